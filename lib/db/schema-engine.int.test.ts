import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '@/e2e/setup/test-database';
import { AppError } from '@/lib/errors';
import { schemaPath } from './migrations';
import { withSchemaEngine } from './schema-engine';
import { poolConfigFromUrl } from './url';

// A file of its own: after a panic the engine cannot run again in the process (Vitest gives each file
// its own module state).
describe('a panic of the WebAssembly Schema Engine', () => {
  it('rejects at once with an AppError naming the engine, the server and the panic, then every later call too', async () => {
    const db = await createTestDatabase(inject('serverUrl'), 'panic', { migrate: false });
    try {
      const c = new pg.Client(poolConfigFromUrl(db.url));
      await c.connect();
      // A CHECK constraint (and, on PostgreSQL 18, the NOT NULL one) gives the engine's constraint query a row.
      await c.query('CREATE TABLE probe (id int NOT NULL CHECK (id > 0))');
      const { server_version: serverVersion } = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!;
      await c.end();

      // The engine reads pg_constraint.contype with get_char; reporting that column as text (what this
      // project's adapter shim did before) makes it panic inside an asynchronous step.
      const charAsText = (adapter: object) => {
        const a = adapter as { queryRaw(q: object): Promise<{ columnTypes: number[] }> };
        const queryRaw = a.queryRaw.bind(a);
        a.queryRaw = async (q) => {
          const r = await queryRaw(q);
          r.columnTypes = r.columnTypes.map((t) => (t === 6 ? 7 : t));
          return r;
        };
      };
      const content = readFileSync(schemaPath, 'utf8');
      const files = [{ path: schemaPath, content }];
      const describeDatabase = () =>
        withSchemaEngine(
          db.url,
          { path: schemaPath, content },
          (engine) =>
            engine.diff({
              from: { tag: 'schemaDatasource', files, configDir: path.dirname(schemaPath) },
              to: { tag: 'schemaDatamodel', files },
              script: true,
              exitCode: true,
              filters: { externalTables: [], externalEnums: [] },
            }),
          { onConnect: charAsText },
        );

      const started = Date.now();
      const error = await describeDatabase().catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(error).toBeInstanceOf(AppError);
      const e = error as AppError;
      expect(e.code).toBe('SCHEMA_ENGINE_PANIC');
      expect(e.message).toMatch(/^Prisma's Schema Engine 7\.\d+\.\d+ \([0-9a-f]{8}\) \(WebAssembly\) crashed on PostgreSQL /);
      expect(e.message).toContain(`PostgreSQL ${serverVersion}:`);
      expect(e.message).toContain('constraint_type');
      expect(e.details.serverVersion).toBe(serverVersion);

      const again = await describeDatabase().catch((x: unknown) => x);
      expect((again as AppError).code).toBe('SCHEMA_ENGINE_PANIC');
    } finally {
      await db.drop();
    }
  });
});

import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '@/e2e/setup/test-database';
import { AppError } from '@/lib/errors';
import { checkHealth } from '@/lib/health';
import { applyMigrations, createMigration, withTemporaryDatabase } from './migrate';
import { readMigrationState } from './migration-state';
import { listMigrations, migrationsDir, schemaPath } from './migrations';
import { checkDatabaseReachable } from './preflight';
import { poolConfigFromUrl } from './url';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client(poolConfigFromUrl(url));
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('migrations through the WebAssembly Schema Engine', () => {
  it('apply to an empty database and write the same history prisma migrate deploy writes', async () => {
    const db = await createTestDatabase(inject('serverUrl'), 'mig', { migrate: false });
    try {
      const applied = await applyMigrations(db.url);
      expect(applied).toEqual(listMigrations().map((m) => m.name));
      const rows = await query<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
        applied_steps_count: number;
      }>(
        db.url,
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.map((r) => [r.migration_name, r.checksum, r.finished_at !== null, r.applied_steps_count])).toEqual(
        listMigrations().map((m) => [m.name, m.checksum, true, 1]),
      );
      const tables = await query<{ tablename: string }>(db.url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
      expect(tables.map((t) => t.tablename)).toEqual(
        expect.arrayContaining(['Cluster', 'Identity', 'Credential', 'Finding', 'CollectionRun']),
      );
      // A second run is a no-op.
      expect(await applyMigrations(db.url)).toEqual([]);
      expect((await readMigrationState(db.url)).ok).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it('the committed migrations match prisma/schema.prisma (no un-migrated schema change)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-mig-'));
    cpSync(migrationsDir, dir, { recursive: true });
    expect(await createMigration(inject('serverUrl'), 'nothing', { dir })).toBeNull();
  });

  it('turn a schema change into a new migration offline, which then applies', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'nhi-mig-'));
    const dir = path.join(work, 'migrations');
    cpSync(migrationsDir, dir, { recursive: true });
    const schemaFile = path.join(work, 'schema.prisma');
    writeFileSync(
      schemaFile,
      readFileSync(schemaPath, 'utf8') + '\nmodel ProbeNote {\n  id   Int    @id @default(autoincrement())\n  text String\n}\n',
    );
    const created = await createMigration(inject('serverUrl'), 'add probe note', {
      dir,
      schemaFile,
      now: new Date('2099-01-02T03:04:05Z'),
    });
    expect(created).toBe(path.join(dir, '20990102030405_add_probe_note'));
    const sql = readFileSync(path.join(created!, 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "ProbeNote"');
    expect(sql).not.toContain('CREATE TABLE "Cluster"');
    expect(readdirSync(dir)).toContain('migration_lock.toml');

    await withTemporaryDatabase(inject('serverUrl'), async (url) => {
      const applied = await applyMigrations(url, dir);
      expect(applied.at(-1)).toBe('20990102030405_add_probe_note');
      expect(await query(url, 'SELECT count(*)::int AS n FROM "ProbeNote"')).toEqual([{ n: 0 }]);
      // Against the real migrations folder this database is ahead: health says so instead of "ok".
      const state = await readMigrationState(url);
      expect(state.unknown).toEqual(['20990102030405_add_probe_note']);
    });
  });

  it('health reports pending migrations as degraded and an unreachable database as down', async () => {
    const db = await createTestDatabase(inject('serverUrl'), 'health', { migrate: false });
    try {
      const before = await checkHealth(db.url);
      expect(before.status).toBe('degraded');
      expect(before.migrations?.pending).toEqual(listMigrations().map((m) => m.name));
      await applyMigrations(db.url);
      expect((await checkHealth(db.url)).status).toBe('ok');
    } finally {
      await db.drop();
    }
    const down = await checkHealth('postgresql://nobody@127.0.0.1:1/none');
    expect(down.status).toBe('down');
    expect(down.database.error).toMatch(/nothing listens there/);
  });

  it('an unreachable database gives an actionable message without the password', async () => {
    const error = await checkDatabaseReachable('postgresql://u:hunter2@127.0.0.1:1/x', 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/The database is unreachable: nothing listens there.*Set DATABASE_URL/);
    expect(JSON.stringify({ message: (error as AppError).message, details: (error as AppError).details })).not.toContain(
      'hunter2',
    );
  });
});

import pg from 'pg';
import { unavailable } from '@/lib/errors';
import type { MigrationState } from './migrations';
import { readMigrationState } from './migration-state';
import { poolConfigFromUrl, redactUrl } from './url';

const connectionHints: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there; is PostgreSQL running?',
  ENOTFOUND: 'the host name does not resolve',
  ETIMEDOUT: 'the connection timed out',
  '28P01': 'the password was refused',
  '28000': 'the user may not connect (pg_hba.conf)',
  '3D000': 'the database does not exist; create it (createdb) or fix the name in DATABASE_URL',
};

/** Connects once and turns a failure into an error a person can act on. */
export async function checkDatabaseReachable(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ ...poolConfigFromUrl(url), connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    const hint = connectionHints[code] ?? (e instanceof Error ? e.message : String(e));
    // The message reaches /api/health, which is public: it names no host, user or database.
    throw unavailable(
      `The database is unreachable: ${hint}. Set DATABASE_URL to a reachable PostgreSQL, or unset it to use the embedded one.`,
      { code: 'DB_UNREACHABLE', cause: e, details: { database: redactUrl(url) } },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** Throws an actionable error unless every committed migration is applied and none was edited. */
export function assertMigrationsCurrent(state: MigrationState): void {
  if (state.ok) return;
  const parts: string[] = [];
  if (state.pending.length)
    parts.push(`${state.pending.length} pending (${state.pending.join(', ')}): run \`npm run db:migrate\``);
  if (state.failed.length)
    parts.push(`failed: ${state.failed.join(', ')}; fix the database, then mark it rolled back and migrate again`);
  if (state.edited.length) parts.push(`changed after being applied: ${state.edited.join(', ')}; restore the committed file`);
  if (state.unknown.length)
    parts.push(`applied here but unknown to this version: ${state.unknown.join(', ')}; run the matching app version`);
  const text = `Database migrations are not current — ${parts.join('; ')}.`;
  throw unavailable(text, { code: 'DB_MIGRATIONS' });
}

export async function preflight(url: string): Promise<MigrationState> {
  await checkDatabaseReachable(url);
  const state = await readMigrationState(url);
  assertMigrationsCurrent(state);
  return state;
}

import { readMigrationState } from '@/lib/db/migration-state';
import { checkDatabaseReachable } from '@/lib/db/preflight';
import { describeError } from '@/lib/errors';
import { version } from '@/lib/version';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  version: string;
  database: { reachable: boolean; error?: string };
  migrations: {
    current: boolean;
    applied: number;
    pending: string[];
    failed: string[];
    edited: string[];
    unknown: string[];
  } | null;
  checkedAt: string;
}

/** What /api/health answers: the app version, whether the database answers, and the migration state. */
export async function checkHealth(url: string | undefined, now: () => Date = () => new Date()): Promise<HealthReport> {
  const base = { version, checkedAt: now().toISOString() };
  if (!url) {
    return { ...base, status: 'down', database: { reachable: false, error: 'DATABASE_URL is not set' }, migrations: null };
  }
  try {
    await checkDatabaseReachable(url, 2000);
  } catch (e) {
    return { ...base, status: 'down', database: { reachable: false, error: describeError(e) }, migrations: null };
  }
  const state = await readMigrationState(url);
  return {
    ...base,
    status: state.ok ? 'ok' : 'degraded',
    database: { reachable: true },
    migrations: {
      current: state.ok,
      applied: state.applied.length,
      pending: state.pending,
      failed: state.failed,
      edited: state.edited,
      unknown: state.unknown,
    },
  };
}

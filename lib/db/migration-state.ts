import pg from 'pg';
import { compareMigrations, listMigrations, migrationsDir, type AppliedMigrationRow, type MigrationState } from './migrations';
import { poolConfigFromUrl } from './url';

/** Reads the migration history straight from the database (cheap enough for a health check). */
export async function readMigrationState(url: string, dir = migrationsDir): Promise<MigrationState> {
  const client = new pg.Client(poolConfigFromUrl(url));
  await client.connect();
  try {
    const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
    const rows =
      exists.rows[0]?.t == null
        ? []
        : (
            await client.query<AppliedMigrationRow>(
              'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations',
            )
          ).rows;
    return compareMigrations(listMigrations(dir), rows);
  } finally {
    await client.end();
  }
}

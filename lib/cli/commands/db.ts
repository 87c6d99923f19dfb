import path from 'node:path';
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { applyMigrations, createMigration } from '@/lib/db/migrate';
import { readMigrationState } from '@/lib/db/migration-state';
import { redactUrl } from '@/lib/db/url';

/** The db commands inspect or change the migrations themselves: the database need only be reachable. */
const reachable = { check: 'reachable' } as const;

export function registerDbCommands(program: Command): void {
  const db = program
    .command('db')
    .description('Database schema: apply migrations, show their state, create the next one (offline).');

  db.command('migrate')
    .description('Apply committed migrations (prisma/migrations) the database lacks, as `prisma migrate deploy` would.')
    .action(async () => {
      const applied = await withDatabase(({ url }) => applyMigrations(url), reachable);
      console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'No pending migrations.');
    });

  db.command('status')
    .description('Compare the database migration history with prisma/migrations.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async ({ url }) => {
        const state = await readMigrationState(url);
        if (opts.json) console.log(JSON.stringify({ database: redactUrl(url), ...state }, null, 2));
        else {
          console.log(`database: ${redactUrl(url)}`);
          console.log(
            `applied: ${state.applied.length}, pending: ${state.pending.length}, failed: ${state.failed.length}, edited: ${state.edited.length}`,
          );
          for (const name of state.pending) console.log(`  pending ${name}`);
        }
        if (!state.ok) process.exitCode = 2;
      }, reachable);
    });

  db.command('create-migration')
    .description(
      'Write prisma/migrations/<timestamp>_<name>/migration.sql for the changes in prisma/schema.prisma. Works offline.',
    )
    .argument('<name>', 'short name, e.g. add_reach')
    .action(async (name: string) => {
      const dir = await withDatabase(({ url }) => createMigration(url, name), reachable);
      console.log(
        dir
          ? `Created ${path.relative(process.cwd(), dir)}/migration.sql`
          : 'The schema matches the migrations: nothing to create.',
      );
    });
}

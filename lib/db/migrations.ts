import { invalidInput } from '@/lib/errors';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import { repoRoot } from '@/lib/paths';

export const migrationsDir = path.join(repoRoot, 'prisma', 'migrations');
export const schemaPath = path.join(repoRoot, 'prisma', 'schema.prisma');
const lockfileName = 'migration_lock.toml';

export interface MigrationFileInfo {
  name: string;
  /** SHA-256 of migration.sql, as Prisma records it in _prisma_migrations.checksum. */
  checksum: string;
}

/** The committed migrations, oldest first (Prisma orders them by directory name). */
export function listMigrations(dir = migrationsDir): MigrationFileInfo[] {
  if (!existsSync(/*turbopackIgnore: true*/ dir)) return [];
  return readdirSync(/*turbopackIgnore: true*/ dir)
    .filter((name) => statSync(/*turbopackIgnore: true*/ path.join(dir, name)).isDirectory())
    .filter((name) => existsSync(/*turbopackIgnore: true*/ path.join(dir, name, 'migration.sql')))
    .sort()
    .map((name) => ({
      name,
      checksum: createHash('sha256')
        .update(readFileSync(/*turbopackIgnore: true*/ path.join(dir, name, 'migration.sql')))
        .digest('hex'),
    }));
}

/** The migrations folder in the shape the Schema Engine reads. */
export function migrationList(dir = migrationsDir): MigrationList {
  const lockPath = path.join(dir, lockfileName);
  return {
    baseDir: dir,
    lockfile: { path: lockfileName, content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: listMigrations(dir).map(({ name }) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok', value: readFileSync(path.join(dir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

export interface AppliedMigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationState {
  ok: boolean;
  applied: string[];
  pending: string[];
  failed: string[];
  /** Applied, but the committed file changed since. */
  edited: string[];
  /** Recorded in the database but not in the folder (a newer app version ran here). */
  unknown: string[];
}

/** Compares the database's migration history with the committed migrations (pure). */
export function compareMigrations(files: MigrationFileInfo[], rows: AppliedMigrationRow[]): MigrationState {
  const live = rows.filter((r) => r.rolled_back_at === null);
  const byName = new Map(live.map((r) => [r.migration_name, r]));
  const fileNames = new Set(files.map((f) => f.name));
  const applied: string[] = [];
  const pending: string[] = [];
  const failed: string[] = [];
  const edited: string[] = [];
  for (const file of files) {
    const row = byName.get(file.name);
    if (!row) pending.push(file.name);
    else if (row.finished_at === null) failed.push(file.name);
    else {
      applied.push(file.name);
      if (row.checksum !== file.checksum) edited.push(file.name);
    }
  }
  const unknown = [...new Set(live.map((r) => r.migration_name))].filter((n) => !fileNames.has(n)).sort();
  return {
    ok: pending.length === 0 && failed.length === 0 && edited.length === 0 && unknown.length === 0,
    applied,
    pending,
    failed,
    edited,
    unknown,
  };
}

/** A directory name the way `prisma migrate dev` makes one: UTC timestamp + snake_case name. */
export function migrationDirName(name: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw invalidInput('A migration needs a name made of letters or digits, e.g. "add_reach".');
  return `${stamp}_${slug}`;
}

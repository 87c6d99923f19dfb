import { describe, expect, it } from 'vitest';
import { compareMigrations, migrationDirName, type AppliedMigrationRow } from './migrations';

const files = [
  { name: '20260101000000_init', checksum: 'a' },
  { name: '20260201000000_more', checksum: 'b' },
];
const row = (name: string, checksum: string, over: Partial<AppliedMigrationRow> = {}): AppliedMigrationRow => ({
  migration_name: name,
  checksum,
  finished_at: new Date('2026-01-01T00:00:00Z'),
  rolled_back_at: null,
  ...over,
});

describe('compareMigrations', () => {
  it('is current when every file is applied with its checksum', () => {
    expect(compareMigrations(files, [row('20260101000000_init', 'a'), row('20260201000000_more', 'b')])).toEqual({
      ok: true,
      applied: ['20260101000000_init', '20260201000000_more'],
      pending: [],
      failed: [],
      edited: [],
      unknown: [],
    });
  });

  it('lists pending migrations in order on an empty history', () => {
    const state = compareMigrations(files, []);
    expect(state.ok).toBe(false);
    expect(state.pending).toEqual(['20260101000000_init', '20260201000000_more']);
  });

  it('reports failed, edited and unknown migrations, and ignores rolled-back attempts', () => {
    const state = compareMigrations(files, [
      row('20260101000000_init', 'changed'),
      row('20260201000000_more', 'b', { finished_at: null }),
      row('20260201000000_more', 'b', { rolled_back_at: new Date() }),
      row('20260301000000_newer', 'c'),
    ]);
    expect(state).toEqual({
      ok: false,
      applied: ['20260101000000_init'],
      pending: [],
      failed: ['20260201000000_more'],
      edited: ['20260101000000_init'],
      unknown: ['20260301000000_newer'],
    });
  });
});

describe('migrationDirName', () => {
  it('prefixes a UTC timestamp and snake-cases the name like prisma migrate dev', () => {
    expect(migrationDirName('Add reach table', new Date('2026-11-27T08:44:11.123Z'))).toBe('20261127084411_add_reach_table');
  });

  it('refuses a name with no letters or digits', () => {
    expect(() => migrationDirName(' -- ', new Date())).toThrow(/needs a name/);
  });
});

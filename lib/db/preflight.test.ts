import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { assertMigrationsCurrent } from './preflight';

const current = { ok: true, applied: ['1_init'], pending: [], failed: [], edited: [], unknown: [] };

describe('assertMigrationsCurrent', () => {
  it('accepts a current history', () => {
    expect(() => assertMigrationsCurrent(current)).not.toThrow();
  });

  it('names the pending migrations and the command that applies them', () => {
    let caught: unknown;
    try {
      assertMigrationsCurrent({ ...current, ok: false, pending: ['2_more'] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('DB_MIGRATIONS');
    expect((caught as AppError).message).toBe(
      'Database migrations are not current — 1 pending (2_more): run `npm run db:migrate`.',
    );
  });

  it('explains edited and unknown migrations', () => {
    expect(() => assertMigrationsCurrent({ ...current, ok: false, edited: ['1_init'], unknown: ['3_x'] })).toThrow(
      'Database migrations are not current — changed after being applied: 1_init; restore the committed file; applied here but unknown to this version: 3_x; run the matching app version.',
    );
  });
});

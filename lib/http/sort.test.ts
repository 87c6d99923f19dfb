import { describe, expect, it } from 'vitest';
import { parseAnomalyFilter } from '@/lib/data/anomalies';
import { parseCredentialFilter } from '@/lib/data/credentials';
import { findingOrderOf, parseFindingFilter } from '@/lib/data/findings';
import { IDENTITY_SORTS, identityOrderSql, parseIdentityFilter } from '@/lib/data/identities';
import { ariaSort, nextSort, sortDirOf } from './sort';
import { listExportFileName, pagesOf } from './list-export';

describe('sort and dir in the list filters', () => {
  it('leave the default order when absent', () => {
    for (const parse of [parseIdentityFilter, parseFindingFilter, parseCredentialFilter, parseAnomalyFilter]) {
      const { filter, error } = parse({});
      expect(error).toBeUndefined();
      expect(filter.sort).toBeUndefined();
      expect(filter.dir).toBeUndefined();
    }
  });

  it('accept each list’s own columns and both directions', () => {
    expect(parseIdentityFilter({ sort: 'workloads', dir: 'asc' }).filter).toMatchObject({ sort: 'workloads', dir: 'asc' });
    expect(parseIdentityFilter({ sort: 'anomalies' }).filter.sort).toBe('anomalies');
    expect(parseFindingFilter({ sort: 'firstSeen', dir: 'desc' }).filter).toMatchObject({ sort: 'firstSeen', dir: 'desc' });
    expect(parseCredentialFilter({ sort: 'expires' }).filter.sort).toBe('expires');
    expect(parseAnomalyFilter({ sort: 'lastSeen', dir: 'asc' }).filter).toMatchObject({ sort: 'lastSeen', dir: 'asc' });
  });

  it('refuse another list’s column, an unknown direction, and SQL', () => {
    const bad = [
      parseIdentityFilter({ sort: 'severity' }),
      parseIdentityFilter({ sort: 'name; DROP TABLE "Identity"' }),
      parseIdentityFilter({ sort: 'name', dir: 'up' }),
      parseFindingFilter({ sort: 'workloads' }),
      parseCredentialFilter({ sort: 'risk' }),
      parseAnomalyFilter({ dir: 'sideways' }),
    ];
    for (const { filter, error } of bad) {
      expect(error).toMatch(/Invalid filter "(sort|dir)"/);
      // The defaults, as for any bad value.
      expect(filter.sort).toBeUndefined();
    }
  });

  it('keep the filters next to the sort', () => {
    const { filter } = parseFindingFilter({ severity: 'high', sort: 'rule', dir: 'desc', page: '3' });
    expect(filter).toMatchObject({ severity: 'high', sort: 'rule', dir: 'desc', page: 3, status: 'open' });
  });
});

describe('column headers', () => {
  it('sort a new column in its natural direction, and flip the current one', () => {
    expect(nextSort(IDENTITY_SORTS, {}, 'name')).toEqual({ sort: 'name', dir: 'asc' });
    expect(nextSort(IDENTITY_SORTS, {}, 'workloads')).toEqual({ sort: 'workloads', dir: 'desc' });
    expect(nextSort(IDENTITY_SORTS, { sort: 'name' }, 'name')).toEqual({ sort: 'name', dir: 'desc' });
    expect(nextSort(IDENTITY_SORTS, { sort: 'name', dir: 'desc' }, 'name')).toEqual({ sort: 'name', dir: 'asc' });
    expect(nextSort(IDENTITY_SORTS, { sort: 'name', dir: 'desc' }, 'risk')).toEqual({ sort: 'risk', dir: 'desc' });
  });

  it('say aria-sort on the sorted column only', () => {
    expect(ariaSort(IDENTITY_SORTS, { sort: 'risk' }, 'risk')).toBe('descending');
    expect(ariaSort(IDENTITY_SORTS, { sort: 'risk', dir: 'asc' }, 'risk')).toBe('ascending');
    expect(ariaSort(IDENTITY_SORTS, { sort: 'risk' }, 'name')).toBe('none');
    expect(ariaSort(IDENTITY_SORTS, {}, 'name')).toBe('none');
    expect(sortDirOf(IDENTITY_SORTS, 'namespace', undefined)).toBe('asc');
  });
});

describe('the orders', () => {
  it('identities: the default is riskiest first; a column sorts the whole key one way (index-served)', () => {
    const text = (f: Parameters<typeof identityOrderSql>[0]) => identityOrderSql(f).order.sql.replace(/\s+/g, ' ');
    expect(text({ deleted: 'hide' })).toBe('i."riskSort" DESC, i.namespace ASC, i.name ASC, i.id ASC');
    expect(text({ deleted: 'hide', sort: 'risk' })).toBe(text({ deleted: 'hide' }));
    expect(text({ deleted: 'hide', sort: 'risk', dir: 'asc' })).toBe(
      'i."riskSort" ASC, i.namespace DESC, i.name DESC, i.id DESC',
    );
    expect(text({ deleted: 'show' })).toMatch(/^r\."escalationDistance" ASC NULLS LAST/);
    expect(text({ deleted: 'hide', sort: 'name', dir: 'asc' })).toBe('i.name ASC, i.namespace ASC, i.id ASC');
    expect(text({ deleted: 'hide', sort: 'workloads' })).toBe('i."workloadCount" DESC, i.namespace DESC, i.name DESC, i.id DESC');
    expect(text({ deleted: 'hide', sort: 'anomalies', dir: 'asc' })).toBe(
      'i."anomalyCount" ASC, i.namespace ASC, i.name ASC, i.id ASC',
    );
    expect(identityOrderSql({ deleted: 'hide', sort: 'name' }).joins.sql).toBe('');
    expect(identityOrderSql({ deleted: 'hide', sort: 'cluster' }).joins.sql).toContain('"Cluster"');
  });

  it('findings: the chosen column first, the default after, the id last', () => {
    expect(findingOrderOf({})[0]).toEqual({ status: 'asc' });
    const o = findingOrderOf({ sort: 'firstSeen', dir: 'asc' });
    expect(o[0]).toEqual({ firstSeenAt: 'asc' });
    expect(o.at(-1)).toEqual({ id: 'asc' });
  });
});

describe('exports', () => {
  it('name the file after the list and the day', () => {
    expect(listExportFileName('identities', 'csv', new Date('2026-11-30T23:59:00Z'))).toBe('nhi-identities-2026-11-30.csv');
  });

  it('read a list page after page until a short page, at most the limit', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => i);
    const asked: number[] = [];
    const read = async (page: number, take: number) => {
      asked.push(page);
      return { rows: rows.slice((page - 1) * take, page * take) };
    };
    const all: number[] = [];
    for await (const r of pagesOf(read, 100_000)) all.push(r);
    expect(all).toEqual(rows);
    expect(asked).toEqual([1, 2, 3]);
    const some: number[] = [];
    for await (const r of pagesOf(read, 1200)) some.push(r);
    expect(some).toHaveLength(1200);
  });
});

import { describe, expect, it } from 'vitest';
import { filterHref } from '@/lib/http/query';
import { parseWorkloadFilter, WORKLOAD_FILTER_DEFAULTS } from './workloads';

describe('parseWorkloadFilter', () => {
  it('gives the defaults for an empty query string', () => {
    expect(parseWorkloadFilter({})).toEqual({ filter: { deleted: 'hide', sort: 'name', dir: 'asc', page: 1 } });
  });

  it('reads every filter, the sort and the page (repeated keys: the first; empty values: absent)', () => {
    const { filter, error } = parseWorkloadFilter({
      cluster: 'prod',
      namespace: 'shop',
      kind: 'StatefulSet',
      team: '(none)',
      q: 'api',
      findings: 'open',
      risk: 'cluster-admin',
      deleted: 'show',
      sort: 'findings',
      dir: 'desc',
      page: ['3', '9'],
      extra: undefined,
      search: '',
    });
    expect(error).toBeUndefined();
    expect(filter).toEqual({
      cluster: 'prod',
      namespace: 'shop',
      kind: 'StatefulSet',
      team: '(none)',
      q: 'api',
      findings: 'open',
      risk: 'cluster-admin',
      deleted: 'show',
      sort: 'findings',
      dir: 'desc',
      page: 3,
    });
  });

  it.each([
    [{ kind: 'Secret' }, 'kind'],
    [{ sort: 'secret' }, 'sort'],
    [{ dir: 'up' }, 'dir'],
    [{ page: '0' }, 'page'],
    [{ page: '10001' }, 'page'],
    [{ page: 'two' }, 'page'],
    [{ findings: 'closed' }, 'findings'],
    [{ risk: 'high' }, 'risk'],
    [{ q: 'x'.repeat(201) }, 'q'],
  ])('refuses %j, naming "%s", and falls back to the defaults', (params, field) => {
    const { filter, error } = parseWorkloadFilter(params);
    expect(error).toContain(`"${field}"`);
    expect(filter).toEqual({ deleted: 'hide', sort: 'name', dir: 'asc', page: 1 });
  });

  it('makes short links: the defaults are left out', () => {
    const { filter } = parseWorkloadFilter({ namespace: 'shop', sort: 'name', dir: 'asc', page: '1' });
    expect(filterHref('/workloads', filter, WORKLOAD_FILTER_DEFAULTS)).toBe('/workloads?namespace=shop');
    expect(filterHref('/workloads', { ...filter, sort: 'risk', dir: 'desc', page: 2 }, WORKLOAD_FILTER_DEFAULTS)).toBe(
      '/workloads?namespace=shop&sort=risk&dir=desc&page=2',
    );
  });
});

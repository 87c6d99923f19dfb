import { describe, expect, it } from 'vitest';
import { labelSelectorMatches, nonResourceURLMatches, resourceMatches, ruleAllows, ruleAllowsLenient } from './match';
import type { PolicyRule, RequestAttributes } from './types';

const r = (over: Partial<PolicyRule>): PolicyRule => ({ verbs: ['get'], apiGroups: [''], resources: ['pods'], ...over });
const get = (over: Partial<Extract<RequestAttributes, { resource: string }>> = {}): RequestAttributes => ({
  verb: 'get',
  apiGroup: '',
  resource: 'pods',
  namespace: 'ns',
  ...over,
});

describe('verbs', () => {
  it('matches listed verbs and the * wildcard only', () => {
    expect(ruleAllows(r({ verbs: ['get', 'list'] }), get({ verb: 'list' }))).toBe(true);
    expect(ruleAllows(r({ verbs: ['get'] }), get({ verb: 'list' }))).toBe(false);
    expect(ruleAllows(r({ verbs: ['*'] }), get({ verb: 'impersonate' }))).toBe(true);
    expect(ruleAllows(r({ verbs: ['GET'] }), get({ verb: 'get' }))).toBe(false);
    expect(ruleAllows(r({ verbs: [] }), get())).toBe(false);
  });
});

describe('apiGroups', () => {
  it('"" is the core group, * is every group, others are exact', () => {
    expect(ruleAllows(r({ apiGroups: [''] }), get({ apiGroup: '' }))).toBe(true);
    expect(ruleAllows(r({ apiGroups: [''] }), get({ apiGroup: 'apps' }))).toBe(false);
    expect(ruleAllows(r({ apiGroups: ['*'] }), get({ apiGroup: 'example.com' }))).toBe(true);
    expect(
      ruleAllows(r({ apiGroups: ['apps'], resources: ['deployments'] }), get({ apiGroup: 'apps', resource: 'deployments' })),
    ).toBe(true);
    expect(ruleAllows(r({ apiGroups: ['rbac.authorization.k8s.io'] }), get({ apiGroup: '' }))).toBe(false);
    expect(ruleAllows(r({ apiGroups: [] }), get())).toBe(false);
    expect(ruleAllows(r({ apiGroups: undefined }), get())).toBe(false);
  });
});

describe('resources and subresources', () => {
  it('* matches every resource and subresource', () => {
    expect(ruleAllows(r({ resources: ['*'] }), get({ resource: 'secrets' }))).toBe(true);
    expect(ruleAllows(r({ resources: ['*'] }), get({ resource: 'pods', subresource: 'exec' }))).toBe(true);
  });
  it('a resource does not cover its subresources, and vice versa', () => {
    expect(ruleAllows(r({ resources: ['pods'] }), get({ subresource: 'exec' }))).toBe(false);
    expect(ruleAllows(r({ resources: ['pods/exec'] }), get())).toBe(false);
    expect(ruleAllows(r({ resources: ['pods/exec'] }), get({ subresource: 'exec' }))).toBe(true);
    expect(ruleAllows(r({ resources: ['pods/log'] }), get({ subresource: 'exec' }))).toBe(false);
  });
  it('*/subresource covers that subresource of every resource', () => {
    expect(
      ruleAllows(
        r({ resources: ['*/scale'], apiGroups: ['*'] }),
        get({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale' }),
      ),
    ).toBe(true);
    expect(ruleAllows(r({ resources: ['*/scale'] }), get({ resource: 'scale' }))).toBe(false);
    expect(ruleAllows(r({ resources: ['*/scale'] }), get({ subresource: 'status' }))).toBe(false);
    // The length check: "*/xscale" is not "*/scale".
    expect(resourceMatches(r({ resources: ['*/xscale'] }), 'pods/scale', 'scale')).toBe(false);
  });
  it('resource/* is NOT a wildcard (kubernetes/kubernetes#78936): only a literal "*" subresource matches', () => {
    expect(ruleAllows(r({ resources: ['pods/*'] }), get({ subresource: 'exec' }))).toBe(false);
    expect(ruleAllows(r({ resources: ['pods/*'] }), get())).toBe(false);
    expect(ruleAllows(r({ resources: ['pods/*'] }), get({ subresource: '*' }))).toBe(true);
    // The scanners' reading, kept apart:
    expect(ruleAllowsLenient(r({ resources: ['pods/*'] }), get({ subresource: 'exec' }))).toBe(true);
    expect(ruleAllowsLenient(r({ resources: ['pods/*'] }), get({ resource: 'services', subresource: 'proxy' }))).toBe(false);
  });
  it('a resource rule never matches a non-resource request', () => {
    expect(ruleAllows(r({ resources: ['*'], verbs: ['*'], apiGroups: ['*'] }), { verb: 'get', nonResourceURL: '/healthz' })).toBe(
      false,
    );
  });
});

describe('resourceNames', () => {
  it('empty means any name, including none', () => {
    expect(ruleAllows(r({}), get({ name: 'x' }))).toBe(true);
    expect(ruleAllows(r({}), get())).toBe(true);
  });
  it('non-empty restricts to those names and never matches a request without a name', () => {
    const rule = r({ resourceNames: ['a', 'b'] });
    expect(ruleAllows(rule, get({ name: 'b' }))).toBe(true);
    expect(ruleAllows(rule, get({ name: 'c' }))).toBe(false);
    expect(ruleAllows(rule, get({ verb: 'get' }))).toBe(false);
    expect(ruleAllows(r({ verbs: ['list'], resourceNames: ['a'] }), get({ verb: 'list' }))).toBe(false);
  });
  it('* in resourceNames is a literal name', () => {
    expect(ruleAllows(r({ resourceNames: ['*'] }), get({ name: 'x' }))).toBe(false);
    expect(ruleAllows(r({ resourceNames: ['*'] }), get({ name: '*' }))).toBe(true);
  });
});

describe('nonResourceURLs', () => {
  const nr = (urls: string[], verbs = ['get']): PolicyRule => ({ verbs, nonResourceURLs: urls });
  it('exact, * and trailing-* prefix matches', () => {
    expect(nonResourceURLMatches(nr(['/healthz']), '/healthz')).toBe(true);
    expect(nonResourceURLMatches(nr(['/healthz']), '/healthz/ready')).toBe(false);
    expect(nonResourceURLMatches(nr(['/healthz/*']), '/healthz/ready')).toBe(true);
    expect(nonResourceURLMatches(nr(['/healthz/*']), '/healthz/')).toBe(true);
    expect(nonResourceURLMatches(nr(['/healthz/*']), '/healthz')).toBe(false);
    expect(nonResourceURLMatches(nr(['/api*']), '/apis/apps')).toBe(true);
    expect(nonResourceURLMatches(nr(['/api**']), '/apis')).toBe(true);
    expect(nonResourceURLMatches(nr(['*']), '/anything')).toBe(true);
    expect(nonResourceURLMatches(nr(['/a*b']), '/axb')).toBe(false);
  });
  it('verbs apply; a non-resource rule never matches a resource request', () => {
    expect(ruleAllows(nr(['/metrics']), { verb: 'get', nonResourceURL: '/metrics' })).toBe(true);
    expect(ruleAllows(nr(['/metrics']), { verb: 'post', nonResourceURL: '/metrics' })).toBe(false);
    expect(ruleAllows(nr(['*'], ['*']), get())).toBe(false);
  });
});

describe('label selectors', () => {
  const labels = { a: '1', b: '2' };
  it('matchLabels and matchExpressions are ANDed; empty selects everything', () => {
    expect(labelSelectorMatches({}, labels)).toBe(true);
    expect(labelSelectorMatches({}, undefined)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { a: '1' } }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { a: '1', b: '3' } }, labels)).toBe(false);
    expect(
      labelSelectorMatches(
        { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'In', values: ['2', '9'] }] },
        labels,
      ),
    ).toBe(true);
    expect(
      labelSelectorMatches(
        { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['2'] }] },
        labels,
      ),
    ).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['2'] }] }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, labels)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['0'] }] }, labels)).toBe(false);
  });
});

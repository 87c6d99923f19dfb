/** checkManifests: the findings of manifests, where they are written, the threshold, exceptions and a cluster context. */
import { describe, expect, it } from 'vitest';
import type { RbacSnapshot } from '@/lib/rbac/types';
import { atOrAbove, CHECK_RULES, checkManifests, type CheckReport } from './check';
import { contextObjects } from './context';
import { BIND_EXISTING, CLEAN, LEGACY, SHOP } from './fixtures';
import { parseCheckPolicy } from './policy';

const NOW = new Date('2026-12-01T12:00:00Z');
const keys = (r: CheckReport) => r.findings.map((f) => `${f.status} ${f.severity} ${f.fingerprint}`);

describe('checkManifests', () => {
  it('raises the rules that apply before deploy and points at the object that causes each, by file, line and template', () => {
    const r = checkManifests([{ name: 'chart.yaml', text: SHOP }], { now: NOW });
    expect(keys(r)).toEqual([
      'open high NHI-MAN-001 workload:shop/Deployment/api',
      'open high NHI-POS-001 identity:ServiceAccount/shop/api',
    ]);
    const grant = r.findings.find((f) => f.rule === 'NHI-POS-001')!;
    expect(grant.subject).toEqual({ kind: 'ServiceAccount', namespace: 'shop', name: 'api' });
    expect(grant.object).toEqual({
      kind: 'RoleBinding',
      namespace: 'shop',
      name: 'api-admin',
      file: 'chart.yaml',
      line: 20,
      helmSource: 'shop/templates/rbac.yaml',
    });
    expect(grant).toMatchObject({
      owasp: ['NHI5'],
      title: expect.stringContaining('cluster-admin'),
      remediation: { text: expect.any(String) },
    });
    expect(r.summary).toMatchObject({ objects: 5, files: 1, open: 2, excepted: 0, failing: 2 });
    expect(r.summary.bySeverity).toEqual({ critical: 0, high: 2, medium: 0, low: 0 });
    expect(r.failed).toBe(true);
  });

  it('judges credentials and the default account: legacy token Secrets, workloads on default, never printing a Secret value', () => {
    const r = checkManifests([LEGACY], { now: NOW });
    expect(keys(r)).toEqual(
      expect.arrayContaining([
        'open high NHI-CRED-001 secret:tools/ci-token',
        'open low NHI-CRED-010 workload:tools/Pod/debug',
        'open low NHI-MAN-003 workload:tools/Pod/debug',
      ]),
    );
    expect(r.findings.find((f) => f.rule === 'NHI-CRED-001')!.object).toMatchObject({
      kind: 'Secret',
      name: 'ci-token',
      line: 1,
    });
    const text = JSON.stringify(r);
    expect(text).not.toContain('c2VjcmV0LXRva2VuLXZhbHVl');
    expect(text).not.toContain('secret-token-value');
    expect(JSON.stringify(checkManifests([SHOP]))).not.toContain('hunter2-not-for-output');
  });

  it('fails by the threshold: at or above --fail-on, never with none', () => {
    expect(checkManifests([CLEAN], { now: NOW })).toMatchObject({ failed: false, summary: { open: 0 } });
    expect(checkManifests([SHOP], { failOn: 'critical' }).failed).toBe(false);
    expect(checkManifests([SHOP], { failOn: 'high' }).failed).toBe(true);
    expect(checkManifests([LEGACY], { failOn: 'none' }).failed).toBe(false);
    expect(checkManifests([LEGACY], { failOn: 'low' }).summary.failing).toBe(6);
    expect([
      atOrAbove('medium', 'high'),
      atOrAbove('critical', 'high'),
      atOrAbove('low', 'low'),
      atOrAbove('critical', 'none'),
    ]).toEqual([false, true, true, false]);
  });

  it('excepts findings matched by a live exception, reopens them when it expired and says which expired', () => {
    const policy = parseCheckPolicy(`apiVersion: nhi.dev/v1
kind: FindingsPolicy
metadata: { name: shop, version: 2 }
spec:
  exceptions:
    - { rule: NHI-POS-001, namespace: shop, name: api, reason: the installer needs it until the operator lands, expires: 2026-12-31 }
    - { rule: NHI-MAN-001, namespace: shop, reason: legacy image reads only its environment, expires: 2026-11-30 }
    - { rule: NHI-CRED-*, namespace: nowhere, reason: nothing matches this one at all, expires: 2020-01-01 }
`);
    const r = checkManifests([SHOP], { policy, policySource: 'nhi-policy.yaml', now: NOW });
    expect(keys(r)).toEqual([
      'open high NHI-MAN-001 workload:shop/Deployment/api',
      'excepted high NHI-POS-001 identity:ServiceAccount/shop/api',
    ]);
    expect(r.findings[1]!.exception).toEqual({
      reason: 'the installer needs it until the operator lands',
      expires: '2026-12-31',
    });
    expect(r.summary).toMatchObject({ open: 1, excepted: 1, failing: 1 });
    expect(r.policy).toMatchObject({ name: 'shop', version: 2, label: 'shop v2', source: 'nhi-policy.yaml', exceptions: 3 });
    expect(r.policy.expiredExceptions.map((e) => [e.rule, e.expires, e.matches])).toEqual([
      ['NHI-MAN-001', '2026-11-30', 1],
      ['NHI-CRED-*', '2020-01-01', 0],
    ]);
    // A day earlier both applied and nothing fails.
    const before = checkManifests([SHOP], { policy, now: new Date('2026-11-30T08:00:00Z') });
    expect(before).toMatchObject({ failed: false, summary: { open: 0, excepted: 2 } });
  });

  it('applies the policy’s registry allow-list (NHI-POS-011)', () => {
    const policy = parseCheckPolicy(
      'apiVersion: nhi.dev/v1\nkind: FindingsPolicy\nmetadata: {name: p, version: 1}\nspec: {registries: [ghcr.io/acme/*]}\n',
    );
    expect(keys(checkManifests([CLEAN], { policy }))).toEqual(['open medium NHI-POS-011 workload:site/Deployment/web']);
  });

  it('reports unusable input as error issues, and an input without objects as one', () => {
    expect(checkManifests(['kind: Namespace\nmetadata: {name: [\n']).issues).toEqual([
      expect.objectContaining({ level: 'error', file: 'manifest' }),
    ]);
    expect(checkManifests(['# nothing\n']).issues).toEqual([
      { level: 'error', message: 'no Kubernetes objects found in the input' },
    ]);
  });

  it('puts namespaced objects without a namespace where kubectl apply -n would', () => {
    const r = checkManifests(
      [BIND_EXISTING.replace('  namespace: shop\nroleRef', 'roleRef').replace('    namespace: shop\n', '')],
      {
        defaultNamespace: 'reports',
      },
    );
    expect(r.findings.map((f) => f.fingerprint)).toEqual(['NHI-POS-007 identity:ServiceAccount/reports/reporter']);
  });

  it('lists every rule it runs, each once, with its OWASP item', () => {
    expect(new Set(CHECK_RULES.map((r) => r.id)).size).toBe(CHECK_RULES.length);
    expect(CHECK_RULES.map((r) => r.id)).toEqual(
      expect.arrayContaining(['NHI-POS-001', 'NHI-POS-011', 'NHI-CRED-001', 'NHI-CRED-010', 'NHI-MAN-004']),
    );
    expect(CHECK_RULES.every((r) => r.owasp.length > 0)).toBe(true);
  });
});

describe('in the context of a collected cluster', () => {
  const snapshot: RbacSnapshot = {
    namespaces: ['shop', 'ops'],
    serviceAccounts: [
      { namespace: 'shop', name: 'reporter' },
      { namespace: 'ops', name: 'robot' },
    ],
    clusterRoles: [
      {
        kind: 'ClusterRole',
        metadata: { name: 'secret-reader' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }],
      },
      { kind: 'ClusterRole', metadata: { name: 'cluster-admin' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    ],
    roles: [],
    roleBindings: [],
    clusterRoleBindings: [
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'robot-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'ops' }],
      },
    ],
  };

  it('judges a new RoleBinding with the rules of the ClusterRole the cluster already has', () => {
    const alone = checkManifests([{ name: 'rb.yaml', text: BIND_EXISTING }], { now: NOW });
    expect(alone.findings.filter((f) => f.severity !== 'low')).toEqual([]);
    const inCluster = checkManifests([{ name: 'rb.yaml', text: BIND_EXISTING }], {
      now: NOW,
      context: { name: 'prod', objects: contextObjects(snapshot) },
    });
    expect(inCluster.context).toEqual({ cluster: 'prod' });
    // Every verb on Secrets: a wildcard grant, known only from the cluster's role.
    expect(keys(inCluster)).toEqual([
      'open high NHI-POS-001 identity:ServiceAccount/shop/reporter',
      'open low NHI-POS-007 identity:ServiceAccount/shop/reporter',
    ]);
    expect(inCluster.findings.find((f) => f.rule === 'NHI-POS-001')!.object).toMatchObject({
      kind: 'RoleBinding',
      name: 'reporter-reads',
      file: 'rb.yaml',
    });
    // What the cluster holds and the manifests do not touch is not reported (ops/robot is cluster-admin).
    expect(inCluster.findings.some((f) => f.subject.name === 'robot')).toBe(false);
    expect(inCluster.failed).toBe(true);
  });

  it('turns the stored snapshot into Kubernetes objects', () => {
    const objects = contextObjects(snapshot) as { apiVersion: string; kind: string; metadata: { name: string } }[];
    expect(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)).toEqual([
      'v1 Namespace shop',
      'v1 Namespace ops',
      'v1 ServiceAccount reporter',
      'v1 ServiceAccount robot',
      'rbac.authorization.k8s.io/v1 ClusterRole secret-reader',
      'rbac.authorization.k8s.io/v1 ClusterRole cluster-admin',
      'rbac.authorization.k8s.io/v1 ClusterRoleBinding robot-admin',
    ]);
  });
});

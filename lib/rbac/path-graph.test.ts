import { describe, expect, it } from 'vitest';
import { capabilityOf, identityOfNode, pathGraph, pathLines, type StoredPath, type StoredPathStep } from './path-graph';

const START = { id: 'sa:app/web', label: 'ServiceAccount app/web' };
const grant = (binding: string, role: string) => [{ binding, role }];

const step = (from: string, to: string, kind: string, extra: Partial<StoredPathStep> = {}): StoredPathStep => ({
  text: `${from} ${kind} ${to}`,
  kind,
  from,
  to,
  fromLabel: from,
  toLabel: to,
  ...extra,
});

/** web creates pods in ops (→ ops/deployer), which binds cluster-admin. */
const toAdmin: StoredPath = {
  target: 'cluster-admin',
  scope: '*',
  distance: 2,
  steps: [
    step('sa:app/web', 'sa:ops/deployer', 'RUN_AS', {
      namespace: 'ops',
      grants: grant('RoleBinding ops/web-pods', 'ClusterRole edit'),
    }),
    step('sa:ops/deployer', 'cluster-admin', 'ROLE_BIND', {
      grants: grant('ClusterRoleBinding deployer', 'ClusterRole binder'),
    }),
  ],
};
/** Shares the first step with toAdmin. */
const toSecrets: StoredPath = {
  target: 'other-namespace-secrets',
  scope: 'ops',
  distance: 2,
  steps: [
    step('sa:app/web', 'sa:ops/deployer', 'RUN_AS', { namespace: 'ops' }),
    step('sa:ops/deployer', 'secrets:ops', 'SECRET_READ', { namespace: 'ops' }),
  ],
};
const toNode: StoredPath = {
  target: 'node',
  scope: 'ops',
  distance: 1,
  steps: [step('sa:app/web', 'node:*', 'POD_ESCAPE', { namespace: 'ops' })],
};

describe('pathGraph', () => {
  it('draws the identity, the identities and targets on its paths, shared steps once', () => {
    const g = pathGraph([toSecrets, toAdmin], START);
    expect(g.nodes.map((n) => [n.id, n.kind, n.targets, n.severity])).toEqual([
      ['sa:app/web', 'start', [], 'critical'],
      ['sa:ops/deployer', 'identity', [], 'critical'],
      ['cluster-admin', 'target', ['cluster-admin'], 'critical'],
      ['secrets:ops', 'target', ['other-namespace-secrets'], 'high'],
    ]);
    // The shared RUN_AS step is one edge, on the critical path.
    expect(g.edges.map((e) => [e.source, e.target, e.capability, e.severity])).toEqual([
      ['sa:app/web', 'sa:ops/deployer', 'create pods in namespace ops', 'critical'],
      ['sa:ops/deployer', 'cluster-admin', 'bind roles', 'critical'],
      ['sa:ops/deployer', 'secrets:ops', 'read Secrets in namespace ops', 'high'],
    ]);
    expect(g.edges[0]!.grants).toEqual([{ binding: 'RoleBinding ops/web-pods', role: 'ClusterRole edit' }]);
    expect(g.nodes.find((n) => n.id === 'sa:ops/deployer')!.identity).toEqual({
      kind: 'ServiceAccount',
      namespace: 'ops',
      name: 'deployer',
    });
    expect([g.shownPaths, g.totalPaths]).toEqual([2, 2]);
  });

  it('highlights the shortest path to the most severe target, cluster-admin first', () => {
    const g = pathGraph([toNode, toSecrets, toAdmin], START);
    expect(g.paths.map((p) => p.target)).toEqual(['cluster-admin', 'node', 'other-namespace-secrets']);
    expect(g.edges.filter((e) => e.highlighted).map((e) => e.target)).toEqual(['sa:ops/deployer', 'cluster-admin']);
    expect(g.nodes.filter((n) => n.highlighted).map((n) => n.id)).toEqual(['sa:app/web', 'sa:ops/deployer', 'cluster-admin']);
    expect(g.nodes.find((n) => n.id === 'node:*')).toMatchObject({ kind: 'target', severity: 'critical', highlighted: false });
  });

  it('keeps cycles among paths without looping, and skips steps within one node', () => {
    const ab: StoredPath = {
      target: 'token-mint',
      scope: 'ServiceAccount b/b',
      distance: 2,
      steps: [step('sa:app/web', 'sa:a/a', 'TOKEN_REQUEST'), step('sa:a/a', 'sa:b/b', 'TOKEN_REQUEST')],
    };
    const ba: StoredPath = {
      target: 'namespace-admin',
      scope: 'a',
      distance: 3,
      steps: [
        step('sa:app/web', 'sa:b/b', 'IMPERSONATE_SA'),
        step('sa:b/b', 'sa:a/a', 'POD_EXEC', { namespace: 'a' }),
        step('sa:a/a', 'sa:a/a', 'MEMBER'),
        step('sa:a/a', 'ns-control:a', 'NS_CONTROL', { namespace: 'a' }),
      ],
    };
    const g = pathGraph([ab, ba], START);
    expect(g.nodes.map((n) => n.id)).toEqual(['sa:app/web', 'sa:a/a', 'sa:b/b', 'ns-control:a']);
    expect(g.edges.map((e) => `${e.source}>${e.target}`)).toEqual([
      'sa:app/web>sa:a/a',
      'sa:a/a>sa:b/b',
      'sa:app/web>sa:b/b',
      'sa:b/b>sa:a/a',
      'sa:a/a>ns-control:a',
    ]);
    expect(g.nodes.find((n) => n.id === 'sa:b/b')!.targets).toEqual(['token-mint']);
  });

  it('leaves out whole paths past the node cap and counts them', () => {
    const many: StoredPath[] = Array.from({ length: 10 }, (_, i) => ({
      target: 'namespace-admin',
      scope: `ns${i}`,
      distance: 2,
      steps: [
        step('sa:app/web', `sa:ns${i}/default`, 'RUN_AS', { namespace: `ns${i}` }),
        step(`sa:ns${i}/default`, `ns-control:ns${i}`, 'NS_CONTROL', { namespace: `ns${i}` }),
      ],
    }));
    const g = pathGraph([...many, toAdmin], START, 8);
    // cluster-admin first (3 nodes), then 2 new nodes per namespace path: 2 fit under 8.
    expect(g.nodes.length).toBeLessThanOrEqual(8);
    expect([g.shownPaths, g.totalPaths, g.maxNodes]).toEqual([3, 11, 8]);
    expect(g.paths[0]).toMatchObject({ target: 'cluster-admin', shown: true, end: 'cluster-admin' });
    expect(g.paths.filter((p) => !p.shown).every((p) => p.end === null)).toBe(true);
    // Every edge joins two drawn nodes.
    const ids = new Set(g.nodes.map((n) => n.id));
    expect(g.edges.every((e) => ids.has(e.source) && ids.has(e.target))).toBe(true);
  });

  it('gives each step of a row stored without node ids a node of its own', () => {
    const old: StoredPath = {
      target: 'cluster-admin',
      scope: '*',
      distance: 2,
      steps: [
        { text: 'web creates a pod in namespace ops running as deployer.', kind: 'RUN_AS' },
        { text: 'deployer creates a ClusterRoleBinding giving itself cluster-admin.', kind: 'ROLE_BIND' },
      ],
    };
    const g = pathGraph([old], START);
    expect(g.nodes.map((n) => [n.id, n.label])).toEqual([
      ['sa:app/web', 'ServiceAccount app/web'],
      ['path:0:0', 'web creates a pod in namespace ops running as deployer.'],
      ['path:0:1', 'cluster-admin (*)'],
    ]);
    expect(g.nodes[2]).toMatchObject({ kind: 'target', targets: ['cluster-admin'] });
    expect(g.edges.map((e) => `${e.source}>${e.target}`)).toEqual(['sa:app/web>path:0:0', 'path:0:0>path:0:1']);
  });

  it('is empty without paths', () => {
    expect(pathGraph([], START)).toMatchObject({ nodes: [], edges: [], shownPaths: 0, totalPaths: 0 });
  });
});

describe('helpers', () => {
  it('names capabilities and identities', () => {
    expect(capabilityOf({ kind: 'RUN_AS', namespace: '*' })).toBe('create pods in any namespace');
    expect(capabilityOf({ kind: 'IMPERSONATE_SA' })).toBe('impersonate');
    expect(capabilityOf({ kind: 'NS_CONTROL', namespace: 'shop' })).toBe('controls namespace shop');
    expect(capabilityOf({ kind: 'NS_CONTROL', namespace: '*' })).toBe('controls every namespace');
    expect(identityOfNode('user:alice')).toEqual({ kind: 'User', namespace: '', name: 'alice' });
    expect(identityOfNode('group:system:masters')).toEqual({ kind: 'Group', namespace: '', name: 'system:masters' });
    expect(identityOfNode('role:*|ClusterRole/admin')).toBeUndefined();
  });

  it('prints paths as text, most severe first', () => {
    expect(pathLines([toSecrets, toAdmin])).toEqual([
      'cluster-admin (cluster-wide) — critical, 2 steps',
      '  1. sa:app/web RUN_AS sa:ops/deployer',
      '     granted by RoleBinding ops/web-pods → ClusterRole edit',
      '  2. sa:ops/deployer ROLE_BIND cluster-admin',
      '     granted by ClusterRoleBinding deployer → ClusterRole binder',
      'other-namespace-secrets (ops) — high, 2 steps',
      '  1. sa:app/web RUN_AS sa:ops/deployer',
      '  2. sa:ops/deployer SECRET_READ secrets:ops',
    ]);
  });
});

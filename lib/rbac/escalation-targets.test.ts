import { describe, expect, it } from 'vitest';
import { buildEscalationGraph, distancesTo, escalationOf, type Edge, type EscalationGraph } from './escalation';
import { escalationTargets, type TargetPath } from './escalation-targets';
import { nearestLabels, reverseGraph } from './escalation/labels';
import { ruleCovered } from './escalation/power';
import { snapshotFromObjects } from './load';
import { escalationFingerprint, materializeEscalation } from './materialize';
import { buildIndex } from './rbac-index';
import type { IdentityRef } from './reach';
import type { ClusterRole, PolicyRule, RbacSnapshot, RoleBinding, Subject } from './types';

const RBAC = 'rbac.authorization.k8s.io';
const sa = (ns: string, name: string): Subject => ({ kind: 'ServiceAccount', namespace: ns, name });
const ATTACKER: IdentityRef = { kind: 'ServiceAccount', namespace: 'app', name: 'attacker' };

/** The bootstrap `admin` ClusterRole, as far as namespace control goes. */
const ADMIN: ClusterRole = {
  kind: 'ClusterRole',
  metadata: { name: 'admin' },
  rules: [
    { verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] },
    { verbs: ['create', 'update', 'patch', 'delete', 'get', 'list'], apiGroups: [RBAC], resources: ['rolebindings', 'roles'] },
  ],
};
const role = (name: string, rules: PolicyRule[]): ClusterRole => ({ kind: 'ClusterRole', metadata: { name }, rules });
const roleBinding = (ns: string, name: string, roleName: string, subject: Subject): RoleBinding => ({
  kind: 'RoleBinding',
  metadata: { namespace: ns, name },
  roleRef: { kind: 'ClusterRole', name: roleName },
  subjects: [subject],
});

const CLUSTER_ADMIN_ROLE: ClusterRole = {
  kind: 'ClusterRole',
  metadata: { name: 'cluster-admin' },
  rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
};

/** A cluster without any path to cluster-admin unless a test adds one: the grants, `admin`, `cluster-admin`, namespaces. */
function cluster(extra: Partial<RbacSnapshot> = {}): RbacSnapshot {
  return {
    roles: [],
    roleBindings: [],
    clusterRoleBindings: [],
    serviceAccounts: [
      { namespace: 'app', name: 'attacker' },
      { namespace: 'ops', name: 'deployer' },
    ],
    namespaces: ['app', 'billing', 'ops', 'team'],
    ...extra,
    clusterRoles: [ADMIN, CLUSTER_ADMIN_ROLE, ...(extra.clusterRoles ?? [])],
  };
}

function targetsOf(s: RbacSnapshot, who: IdentityRef = ATTACKER) {
  const graph = buildEscalationGraph(buildIndex(s));
  const all = escalationTargets(graph).of(who);
  const by = (kind: TargetPath['target']) => all.filter((t) => t.target === kind);
  return { all, by, graph, kinds: (t: TargetPath) => t.steps.map((x) => x.kind) };
}

describe('escalation targets: namespace control', () => {
  const bindAdmin = role('binder', [
    { verbs: ['create'], apiGroups: [RBAC], resources: ['rolebindings'] },
    { verbs: ['bind'], apiGroups: [RBAC], resources: ['clusterroles'], resourceNames: ['admin'] },
  ]);

  it('bind on admin in one namespace: control of that namespace, in two steps (bind, then hold it)', () => {
    const t = targetsOf(
      cluster({ clusterRoles: [bindAdmin], roleBindings: [roleBinding('team', 'b', 'binder', sa('app', 'attacker'))] }),
    );
    expect(t.by('cluster-admin')).toEqual([]);
    const [team] = t.by('namespace-admin');
    expect(t.by('namespace-admin').map((x) => [x.scope, x.distance])).toEqual([['team', 1]]);
    expect(t.kinds(team!)).toEqual(['ROLE_BIND', 'NS_CONTROL']);
    expect(team!.steps.map((x) => x.text)).toEqual([
      'ServiceAccount app/attacker creates RoleBindings giving itself ClusterRole admin in namespace team.',
      'Holding ClusterRole admin in namespace team, it controls namespace team: it reads every Secret there, runs any pod and grants roles with RoleBindings.',
    ]);
    // The grants behind the RBAC step: the binding and role that allow create rolebindings and bind.
    expect(
      team!.steps[0]!.grants.map(
        (g) => `${g.binding.kind} ${g.binding.namespace}/${g.binding.name} → ${g.role.name} rule ${g.ruleIndex}`,
      ),
    ).toEqual(['RoleBinding team/b → binder rule 0', 'RoleBinding team/b → binder rule 1']);
  });

  it('without bind, or already holding admin there, nothing to report', () => {
    const noBind = role('binder', [{ verbs: ['create'], apiGroups: [RBAC], resources: ['rolebindings'] }]);
    expect(
      targetsOf(
        cluster({ clusterRoles: [noBind], roleBindings: [roleBinding('team', 'b', 'binder', sa('app', 'attacker'))] }),
      ).by('namespace-admin'),
    ).toEqual([]);
    const holds = targetsOf(cluster({ roleBindings: [roleBinding('team', 'a', 'admin', sa('app', 'attacker'))] }));
    expect(holds.by('namespace-admin')).toEqual([]);
    // It does read another namespace's Secrets, though (team is not its own).
    expect(holds.by('other-namespace-secrets').map((x) => [x.scope, x.distance])).toEqual([['team', 1]]);
  });

  it('escalate + create a Role and a RoleBinding: control of the namespace; through a ClusterRoleBinding: of every namespace', () => {
    const escalate = role('escalator', [
      { verbs: ['create', 'escalate', 'bind'], apiGroups: [RBAC], resources: ['roles'] },
      { verbs: ['create'], apiGroups: [RBAC], resources: ['rolebindings'] },
    ]);
    const ns = targetsOf(
      cluster({ clusterRoles: [escalate], roleBindings: [roleBinding('billing', 'e', 'escalator', sa('app', 'attacker'))] }),
    );
    expect(ns.by('namespace-admin').map((x) => [x.scope, x.distance, ns.kinds(x)])).toEqual([
      ['billing', 1, ['ROLE_ESCALATE', 'NS_CONTROL']],
    ]);
    const bindEverywhere = role('binder', [
      { verbs: ['create'], apiGroups: [RBAC], resources: ['rolebindings'] },
      { verbs: ['bind'], apiGroups: [RBAC], resources: ['clusterroles'], resourceNames: ['admin'] },
    ]);
    const wide = targetsOf(
      cluster({
        clusterRoles: [bindEverywhere],
        clusterRoleBindings: [
          {
            kind: 'ClusterRoleBinding',
            metadata: { name: 'b' },
            roleRef: { kind: 'ClusterRole', name: 'binder' },
            subjects: [sa('app', 'attacker')],
          },
        ],
      }),
    );
    // "*" stands for every namespace: namespaces no nearer are left out.
    expect(wide.by('namespace-admin').map((x) => [x.scope, x.distance])).toEqual([['*', 1]]);
    expect(wide.by('namespace-admin')[0]!.steps[1]!.text).toContain('controls every namespace');
  });

  it('names at most `namespaceLimit` namespaces, nearest first', () => {
    const namespaces = Array.from({ length: 30 }, (_, i) => `ns-${String(i).padStart(2, '0')}`);
    const s = cluster({
      namespaces,
      clusterRoles: [bindAdmin],
      roleBindings: namespaces.map((ns) => roleBinding(ns, 'b', 'binder', sa('app', 'attacker'))),
    });
    const graph = buildEscalationGraph(buildIndex(s));
    const paths = escalationTargets(graph)
      .of(ATTACKER)
      .filter((t) => t.target === 'namespace-admin');
    expect(paths.map((p) => p.scope)).toEqual(namespaces.slice(0, 20));
    expect(
      escalationTargets(graph, { namespaceLimit: 3 })
        .of(ATTACKER)
        .filter((t) => t.target === 'namespace-admin'),
    ).toHaveLength(3);
  });
});

describe('escalation targets: other namespaces’ Secrets', () => {
  const reader = role('reader', [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'] }]);

  it('reading Secrets of another namespace directly: one step, with its grant', () => {
    const t = targetsOf(
      cluster({ clusterRoles: [reader], roleBindings: [roleBinding('billing', 'r', 'reader', sa('app', 'attacker'))] }),
    );
    const [p] = t.by('other-namespace-secrets');
    expect([p!.scope, p!.distance, t.kinds(p!)]).toEqual(['billing', 1, ['SECRET_READ']]);
    expect(p!.steps[0]!.text).toBe(
      'ServiceAccount app/attacker reads the Secrets of namespace billing (get, list or watch on secrets).',
    );
    expect(p!.steps[0]!.grants[0]!.binding).toEqual({ kind: 'RoleBinding', namespace: 'billing', name: 'r' });
  });

  it('its own namespace does not count; named Secrets do not count; cluster-wide reading is "*"', () => {
    expect(
      targetsOf(cluster({ clusterRoles: [reader], roleBindings: [roleBinding('app', 'r', 'reader', sa('app', 'attacker'))] })).by(
        'other-namespace-secrets',
      ),
    ).toEqual([]);
    const named = role('named', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] }]);
    expect(
      targetsOf(
        cluster({ clusterRoles: [named], roleBindings: [roleBinding('billing', 'r', 'named', sa('app', 'attacker'))] }),
      ).by('other-namespace-secrets'),
    ).toEqual([]);
    const everywhere = targetsOf(
      cluster({
        clusterRoles: [reader],
        clusterRoleBindings: [
          {
            kind: 'ClusterRoleBinding',
            metadata: { name: 'r' },
            roleRef: { kind: 'ClusterRole', name: 'reader' },
            subjects: [sa('app', 'attacker')],
          },
        ],
      }),
    );
    expect(everywhere.by('other-namespace-secrets').map((x) => x.scope)).toEqual(['*']);
  });

  it('after steps: a token of an account that reads them', () => {
    const t = targetsOf(
      cluster({
        clusterRoles: [reader, role('minter', [{ verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'] }])],
        roleBindings: [
          roleBinding('ops', 'm', 'minter', sa('app', 'attacker')),
          roleBinding('billing', 'r', 'reader', sa('ops', 'deployer')),
        ],
      }),
    );
    const [p] = t.by('other-namespace-secrets');
    expect([p!.scope, p!.distance, t.kinds(p!)]).toEqual(['billing', 2, ['TOKEN_REQUEST', 'SECRET_READ']]);
    expect(p!.steps[0]!.text).toBe(
      'ServiceAccount app/attacker requests a fresh token for ServiceAccount ops/deployer (serviceaccounts/token).',
    );
  });
});

describe('escalation targets: tokens of more powerful identities', () => {
  const minter = role('minter', [
    { verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['deployer'] },
  ]);
  const deploys = role('deploys', [{ verbs: ['create', 'update'], apiGroups: ['apps'], resources: ['deployments'] }]);

  it('requesting a token of an account that may do more: the account, in one step', () => {
    const t = targetsOf(
      cluster({
        clusterRoles: [minter, deploys],
        roleBindings: [
          roleBinding('ops', 'm', 'minter', sa('app', 'attacker')),
          roleBinding('ops', 'd', 'deploys', sa('ops', 'deployer')),
        ],
      }),
    );
    expect(t.by('token-mint').map((x) => [x.scope, x.distance, t.kinds(x), x.clusterAdminEquivalent])).toEqual([
      ['ServiceAccount ops/deployer', 1, ['TOKEN_REQUEST'], false],
    ]);
  });

  it('not when that account may do nothing more than the requester', () => {
    const t = targetsOf(
      cluster({
        clusterRoles: [minter, deploys],
        roleBindings: [
          roleBinding('ops', 'm', 'minter', sa('app', 'attacker')),
          roleBinding('ops', 'd', 'deploys', sa('app', 'attacker')), // the attacker holds the deployer's rules itself
          roleBinding('ops', 'd2', 'deploys', sa('ops', 'deployer')),
        ],
      }),
    );
    expect(t.by('token-mint')).toEqual([]);
    // And not for an account with no permission at all.
    expect(
      targetsOf(cluster({ clusterRoles: [minter], roleBindings: [roleBinding('ops', 'm', 'minter', sa('app', 'attacker'))] })).by(
        'token-mint',
      ),
    ).toEqual([]);
  });

  it('a legacy token Secret read, and impersonation of a cluster-admin-equivalent account (which is also cluster-admin)', () => {
    const secrets = [
      { namespace: 'ops', name: 'deployer-token', type: 'kubernetes.io/service-account-token', serviceAccountName: 'deployer' },
    ];
    const lister = role('lister', [
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['deployer-token'] },
    ]);
    const t = targetsOf(
      cluster({
        secrets,
        clusterRoles: [lister, deploys],
        roleBindings: [
          roleBinding('ops', 'l', 'lister', sa('app', 'attacker')),
          roleBinding('ops', 'd', 'deploys', sa('ops', 'deployer')),
        ],
      }),
    );
    expect(t.by('token-mint').map((x) => [x.scope, t.kinds(x)])).toEqual([['ServiceAccount ops/deployer', ['TOKEN_GET']]]);

    const imp = targetsOf(
      cluster({
        clusterRoles: [role('imp', [{ verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] }])],
        roleBindings: [roleBinding('ops', 'i', 'imp', sa('app', 'attacker'))],
        clusterRoleBindings: [
          {
            kind: 'ClusterRoleBinding',
            metadata: { name: 'god' },
            roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [sa('ops', 'deployer')],
          },
        ],
      }),
    );
    expect(imp.by('token-mint').map((x) => [x.scope, imp.kinds(x), x.clusterAdminEquivalent])).toEqual([
      ['ServiceAccount ops/deployer', ['IMPERSONATE_SA'], true],
    ]);
    expect(imp.by('cluster-admin').map((x) => [x.distance, imp.kinds(x)])).toEqual([[1, ['IMPERSONATE_SA', 'WILDCARD']]]);
  });
});

describe('escalation targets: the node', () => {
  const podMaker = role('pods', [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }]);
  const makesPods = (ns: string, podSecurity?: Record<string, string>) =>
    targetsOf(
      cluster({
        clusterRoles: [podMaker],
        roleBindings: [roleBinding(ns, 'p', 'pods', sa('app', 'attacker'))],
        ...(podSecurity ? { podSecurity } : {}),
      }),
    );

  it('create pods where Pod Security admits privileged pods → the node, in one step', () => {
    const t = makesPods('app');
    const [p] = t.by('node');
    expect([p!.scope, p!.distance, t.kinds(p!)]).toEqual(['app', 1, ['POD_ESCAPE']]);
    expect(p!.steps[0]!.text).toBe(
      "ServiceAccount app/attacker creates a pod in namespace app that is privileged, shares the host's PID namespace or mounts the host's filesystem (hostPath), which no Pod Security label forbids; from it, it leaves the container for the node and takes the kubelet's credentials and the tokens of the pods running there.",
    );
    expect(p!.steps[0]!.grants[0]!.role.name).toBe('pods');
    expect(makesPods('app', { app: 'privileged' }).by('node')[0]!.steps[0]!.text).toContain(
      'Pod Security level "privileged" admits',
    );
  });

  it('baseline or restricted enforced in the namespace: no way to the node', () => {
    expect(makesPods('app', { app: 'baseline' }).by('node')).toEqual([]);
    expect(makesPods('app', { app: 'restricted' }).by('node')).toEqual([]);
  });

  it('cluster-wide pod creation escapes through the first namespace that admits it; pod controllers count too', () => {
    const t = targetsOf(
      cluster({
        clusterRoles: [role('deploys', [{ verbs: ['patch'], apiGroups: ['apps'], resources: ['daemonsets'] }])],
        clusterRoleBindings: [
          {
            kind: 'ClusterRoleBinding',
            metadata: { name: 'd' },
            roleRef: { kind: 'ClusterRole', name: 'deploys' },
            subjects: [sa('app', 'attacker')],
          },
        ],
        podSecurity: { app: 'restricted', billing: 'baseline' },
      }),
    );
    expect(t.by('node').map((x) => x.scope)).toEqual(['ops']);
  });
});

describe('escalation targets alongside cluster-admin', () => {
  it('the cluster-admin entry is the path escalationOf gives', () => {
    const s = cluster({
      clusterRoles: [role('pods', [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }])],
      roleBindings: [roleBinding('ops', 'p', 'pods', sa('app', 'attacker'))],
      clusterRoleBindings: [
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'god' },
          roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [sa('ops', 'deployer')],
        },
      ],
    });
    const graph = buildEscalationGraph(buildIndex(s));
    const e = escalationOf(graph, distancesTo(graph), ATTACKER);
    const [admin] = escalationTargets(graph)
      .of(ATTACKER)
      .filter((t) => t.target === 'cluster-admin');
    expect([admin!.distance, admin!.steps.map((x) => x.text)]).toEqual([e.distance, e.steps.map((x) => x.text)]);
    expect(admin!.scope).toBe('*');
  });

  it('rows carry every target with its steps, kinds and grants; Pod Security labels change the fingerprint', () => {
    const objects = [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'app', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
      },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'app', name: 'attacker' } },
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'pods' },
        rules: [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }],
      },
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { namespace: 'ops', name: 'p' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'pods' },
        subjects: [{ kind: 'ServiceAccount', namespace: 'app', name: 'attacker' }],
      },
    ];
    const loaded = snapshotFromObjects(objects).snapshot;
    expect(loaded.podSecurity).toEqual({ app: 'baseline' });
    const row = materializeEscalation(buildIndex(loaded)).find((r) => r.identityKey === 'ServiceAccount/app/attacker')!;
    expect(row.targets).toEqual([
      {
        target: 'node',
        scope: 'ops',
        distance: 1,
        steps: [
          {
            text: expect.stringContaining('creates a pod in namespace ops'),
            kind: 'POD_ESCAPE',
            grants: [{ binding: 'RoleBinding ops/p', role: 'ClusterRole pods' }],
            from: 'sa:app/attacker',
            to: 'node:*',
            fromLabel: 'ServiceAccount app/attacker',
            toLabel: 'the node (its kubelet credentials)',
            namespace: 'ops',
          },
        ],
      },
    ]);
    const relabelled = snapshotFromObjects(
      objects.map((o) =>
        o.kind === 'Namespace'
          ? { ...o, metadata: { ...o.metadata, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } }
          : o,
      ),
    ).snapshot;
    expect(escalationFingerprint(buildIndex(relabelled))).not.toBe(escalationFingerprint(buildIndex(loaded)));
  });
});

describe('comparing powers (the API server’s Covers)', () => {
  const r = (verbs: string[], resources: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
    verbs,
    apiGroups: [''],
    resources,
    ...extra,
  });
  it('covers exactly what the owner rules list; a wildcard only by a wildcard', () => {
    expect(ruleCovered([r(['get', 'list'], ['pods'])], r(['get'], ['pods']))).toBe(true);
    expect(ruleCovered([r(['get'], ['pods'])], r(['get', 'list'], ['pods']))).toBe(false);
    expect(ruleCovered([r(['*'], ['*'])], r(['delete'], ['secrets']))).toBe(true);
    expect(ruleCovered([r(['get', 'list', 'create'], ['pods'])], r(['*'], ['pods']))).toBe(false);
    expect(ruleCovered([r(['get'], ['*/status'])], r(['get'], ['pods/status']))).toBe(true);
    expect(ruleCovered([r(['get'], ['secrets'], { resourceNames: ['a'] })], r(['get'], ['secrets']))).toBe(false);
    expect(ruleCovered([r(['get'], ['secrets'])], r(['get'], ['secrets'], { resourceNames: ['a'] }))).toBe(true);
    expect(
      ruleCovered([{ verbs: ['get'], nonResourceURLs: ['/metrics*'] }], { verbs: ['get'], nonResourceURLs: ['/metrics/x'] }),
    ).toBe(true);
  });
});

describe('nearest labels', () => {
  /** A small random graph of 0/1 edges, seeded: every node its labels' distances by one search per label. */
  function randomGraph(seed: number, n: number, m: number): EscalationGraph {
    let x = seed;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const nodes = new Map(Array.from({ length: n }, (_, i) => [`n${i}`, { id: `n${i}`, kind: 'User' as const, label: `n${i}` }]));
    const edges: Edge[] = [];
    for (let i = 0; i < m; i++) {
      const from = `n${Math.floor(rnd() * n)}`;
      const to = `n${Math.floor(rnd() * n)}`;
      if (from !== to) edges.push({ from, to, kind: 'MEMBER', weight: rnd() < 0.3 ? 0 : 1, grants: [], detail: {} });
    }
    const out = new Map<string, Edge[]>();
    for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
    return { nodes, edges, out };
  }

  it('keeps the k nearest labels of every node, at their true distances, with a path of that length', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const graph = randomGraph(seed, 60, 180);
      const targets = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
      const truth = new Map(targets.map((t) => [t, distancesTo(graph, t).distance]));
      const k = 3;
      const found = nearestLabels(
        reverseGraph(graph),
        targets.map((t) => ({ node: t, label: t, distance: 0 })),
        k,
      );
      for (const id of graph.nodes.keys()) {
        const want = targets
          .filter((t) => truth.get(t)!.has(id))
          .map((t) => truth.get(t)!.get(id)!)
          .sort((a, b) => a - b)
          .slice(0, k);
        const got = found.at(id);
        expect([seed, id, got.map((h) => h.distance)]).toEqual([seed, id, want]);
        for (const h of got) {
          expect(h.distance).toBe(truth.get(h.label)!.get(id));
          const path = found.path(id, h.label)!;
          expect(path.reduce((d, e) => d + e.weight, 0)).toBe(h.distance);
          expect(path.length ? path[path.length - 1]!.to : id).toBe(h.label);
        }
      }
    }
  });
});

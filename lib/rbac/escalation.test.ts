import { describe, expect, it } from 'vitest';
import { buildEscalationGraph, distancesTo, escalationOf, reachableIdentitiesAndPowers, type EdgeKind } from './escalation';
import { buildIndex } from './rbac-index';
import type { PolicyRule, RbacSnapshot, Subject } from './types';

const RBAC = 'rbac.authorization.k8s.io';
const sa = (ns: string, name: string): Subject => ({ kind: 'ServiceAccount', namespace: ns, name });

function scenario(extra: Partial<RbacSnapshot> & { grant: PolicyRule[]; scope?: 'cluster' | string }): RbacSnapshot {
  const scope = extra.scope ?? 'app';
  const base: RbacSnapshot = {
    roles: [],
    clusterRoles: [
      { kind: 'ClusterRole', metadata: { name: 'attacker-role' }, rules: extra.grant },
      { kind: 'ClusterRole', metadata: { name: 'cluster-admin' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] },
    ],
    roleBindings:
      scope === 'cluster'
        ? []
        : [
            {
              kind: 'RoleBinding',
              metadata: { namespace: scope, name: 'attacker' },
              roleRef: { kind: 'ClusterRole', name: 'attacker-role' },
              subjects: [sa('app', 'attacker')],
            },
          ],
    clusterRoleBindings: [
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'god' },
        roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [sa('app', 'god')],
      },
      ...(scope === 'cluster'
        ? [
            {
              kind: 'ClusterRoleBinding' as const,
              metadata: { name: 'attacker' },
              roleRef: { kind: 'ClusterRole', name: 'attacker-role' },
              subjects: [sa('app', 'attacker')],
            },
          ]
        : []),
    ],
    serviceAccounts: [
      { namespace: 'app', name: 'attacker' },
      { namespace: 'app', name: 'god' },
    ],
  };
  return { ...base, ...extra, clusterRoles: [...base.clusterRoles, ...(extra.clusterRoles ?? [])] };
}

function pathOf(s: RbacSnapshot, options = {}) {
  const graph = buildEscalationGraph(buildIndex(s), options);
  const dist = distancesTo(graph);
  const e = escalationOf(graph, dist, { kind: 'ServiceAccount', namespace: 'app', name: 'attacker' });
  return { e, kinds: e.steps.map((st) => st.kind) as EdgeKind[], texts: e.steps.map((st) => st.text), graph };
}

describe('escalation paths to cluster-admin', () => {
  it('create pods in a namespace → run as its most privileged ServiceAccount', () => {
    const { e, texts } = pathOf(scenario({ grant: [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }] }));
    expect(e.reachesClusterAdmin).toBe(true);
    expect(e.distance).toBe(1);
    expect(texts).toEqual([
      'ServiceAccount app/attacker creates a pod (or a workload that creates pods) in namespace app running as ServiceAccount app/god, and uses the token mounted in it.',
      'ServiceAccount app/god already holds every permission cluster-wide.',
    ]);
    expect(e.steps[0]!.grants).toEqual([
      {
        binding: { kind: 'RoleBinding', namespace: 'app', name: 'attacker' },
        role: { kind: 'ClusterRole', name: 'attacker-role' },
        ruleIndex: 0,
        subjectIndex: 0,
      },
    ]);
  });
  it('patching a controller template also runs as any ServiceAccount', () => {
    expect(pathOf(scenario({ grant: [{ verbs: ['patch'], apiGroups: ['apps'], resources: ['daemonsets'] }] })).kinds).toEqual([
      'RUN_AS',
      'WILDCARD',
    ]);
  });
  it('read a legacy token Secret → that ServiceAccount (only for listed token Secrets, names honoured)', () => {
    const secrets = [
      { namespace: 'app', name: 'god-token-x1', type: 'kubernetes.io/service-account-token', serviceAccountName: 'god' },
    ];
    expect(pathOf(scenario({ grant: [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'] }], secrets })).kinds).toEqual([
      'TOKEN_LIST',
      'WILDCARD',
    ]);
    expect(
      pathOf(
        scenario({
          grant: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['god-token-x1'] }],
          secrets,
        }),
      ).texts[0],
    ).toBe('ServiceAccount app/attacker reads Secret god-token-x1 in namespace app, the legacy token of ServiceAccount app/god.');
    expect(
      pathOf(
        scenario({ grant: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['other'] }], secrets }),
      ).e.reachesClusterAdmin,
    ).toBe(false);
    expect(pathOf(scenario({ grant: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }] })).e.reachesClusterAdmin).toBe(
      false,
    );
    expect(
      pathOf(scenario({ grant: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }] }), { assumeLegacyTokens: true })
        .kinds,
    ).toEqual(['TOKEN_GET', 'WILDCARD']);
  });
  it('create serviceaccounts/token for a named account', () => {
    expect(
      pathOf(
        scenario({
          grant: [{ verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['god'] }],
        }),
      ).texts[0],
    ).toBe('ServiceAccount app/attacker requests a fresh token for ServiceAccount app/god (serviceaccounts/token).');
    expect(
      pathOf(
        scenario({
          grant: [{ verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['nobody'] }],
        }),
      ).e.reachesClusterAdmin,
    ).toBe(false);
  });
  it('create a token Secret and read it back', () => {
    expect(pathOf(scenario({ grant: [{ verbs: ['create', 'get'], apiGroups: [''], resources: ['secrets'] }] })).kinds).toEqual([
      'TOKEN_SECRET_CREATE',
      'WILDCARD',
    ]);
  });
  it('impersonation: ServiceAccounts (namespaced), groups (system:masters needs a user to ride on)', () => {
    expect(
      pathOf(scenario({ grant: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] }] })).kinds,
    ).toEqual(['IMPERSONATE_SA', 'WILDCARD']);
    const groupsOnly = [{ verbs: ['impersonate'], apiGroups: [''], resources: ['groups'] }];
    expect(pathOf(scenario({ grant: groupsOnly, scope: 'cluster' })).e.reachesClusterAdmin).toBe(false);
    const masters = pathOf(
      scenario({ grant: [...groupsOnly, { verbs: ['impersonate'], apiGroups: [''], resources: ['users'] }], scope: 'cluster' }),
    );
    expect(masters.texts).toEqual([
      'ServiceAccount app/attacker impersonates group system:masters, which the API server lets do anything.',
    ]);
    // Impersonating users or groups through a RoleBinding does nothing: they are cluster-scoped.
    expect(
      pathOf(scenario({ grant: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users', 'groups'] }] })).e
        .reachesClusterAdmin,
    ).toBe(false);
  });
  it('bind: create a ClusterRoleBinding to cluster-admin; or RoleBindings → namespace admin → pods', () => {
    const crb = pathOf(
      scenario({
        grant: [
          { verbs: ['create'], apiGroups: [RBAC], resources: ['clusterrolebindings'] },
          { verbs: ['bind'], apiGroups: [RBAC], resources: ['clusterroles'], resourceNames: ['cluster-admin'] },
        ],
        scope: 'cluster',
      }),
    );
    expect(crb.texts).toEqual([
      'ServiceAccount app/attacker creates a ClusterRoleBinding giving itself ClusterRole cluster-admin — every permission.',
    ]);
    const rb = pathOf(
      scenario({
        grant: [
          { verbs: ['create'], apiGroups: [RBAC], resources: ['rolebindings'] },
          { verbs: ['bind'], apiGroups: [RBAC], resources: ['clusterroles'] },
        ],
      }),
    );
    expect(rb.kinds).toEqual(['ROLE_BIND', 'RUN_AS', 'WILDCARD']);
    expect(rb.texts[0]).toBe(
      'ServiceAccount app/attacker creates RoleBindings giving itself ClusterRole cluster-admin in namespace app.',
    );
    expect(rb.texts[1]).toBe(
      'Holding every permission in namespace app, it creates a pod (or a workload that creates pods) in namespace app running as ServiceAccount app/god, and uses the token mounted in it.',
    );
    // Without bind, creating bindings is capped by what one already holds.
    expect(
      pathOf(
        scenario({
          grant: [{ verbs: ['create'], apiGroups: [RBAC], resources: ['rolebindings', 'clusterrolebindings'] }],
          scope: 'cluster',
        }),
      ).e.reachesClusterAdmin,
    ).toBe(false);
  });
  it('escalate: widen a role one is bound to, or create one and bind it', () => {
    const own = pathOf(
      scenario({
        grant: [
          { verbs: ['escalate', 'update'], apiGroups: [RBAC], resources: ['clusterroles'], resourceNames: ['attacker-role'] },
        ],
        scope: 'cluster',
      }),
    );
    expect(own.texts).toEqual([
      'ServiceAccount app/attacker adds any permission to ClusterRole attacker-role, which it is bound to (escalate + update), reaching cluster-admin (every permission).',
    ]);
    const fresh = pathOf(
      scenario({
        grant: [
          { verbs: ['create', 'escalate', 'bind'], apiGroups: [RBAC], resources: ['clusterroles'] },
          { verbs: ['create'], apiGroups: [RBAC], resources: ['clusterrolebindings'] },
        ],
        scope: 'cluster',
      }),
    );
    expect(fresh.kinds).toEqual(['ROLE_BIND']);
  });
  it('nodes/proxy and CSR approval are cluster-admin equivalents', () => {
    expect(
      pathOf(scenario({ grant: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes/proxy'] }], scope: 'cluster' })).kinds,
    ).toEqual(['NODE_PROXY']);
    expect(
      pathOf(scenario({ grant: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes/proxy'] }] })).e.reachesClusterAdmin,
    ).toBe(false);
    const csr = [
      { verbs: ['create'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'] },
      { verbs: ['update'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'] },
    ];
    expect(pathOf(scenario({ grant: csr, scope: 'cluster' })).e.reachesClusterAdmin).toBe(false);
    expect(
      pathOf(
        scenario({
          grant: [
            ...csr,
            {
              verbs: ['approve'],
              apiGroups: ['certificates.k8s.io'],
              resources: ['signers'],
              resourceNames: ['kubernetes.io/kube-apiserver-client'],
            },
          ],
          scope: 'cluster',
        }),
      ).kinds,
    ).toEqual(['CSR_MINT']);
  });
  it('exec / patch / ephemeral containers on running pods → the pods’ ServiceAccounts (token must be mounted)', () => {
    const pods = [
      { namespace: 'app', name: 'god-pod', serviceAccountName: 'god' },
      { namespace: 'app', name: 'sealed', serviceAccountName: 'god', automountServiceAccountToken: false },
    ];
    const exec = pathOf(scenario({ grant: [{ verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }], pods }));
    expect(exec.texts[0]).toBe(
      'ServiceAccount app/attacker executes a shell in pod god-pod (namespace app), which runs as ServiceAccount app/god, and reads the mounted token.',
    );
    expect(
      pathOf(scenario({ grant: [{ verbs: ['patch'], apiGroups: [''], resources: ['pods'], resourceNames: ['sealed'] }], pods })).e
        .reachesClusterAdmin,
    ).toBe(false);
    expect(
      pathOf(scenario({ grant: [{ verbs: ['update'], apiGroups: [''], resources: ['pods/ephemeralcontainers'] }], pods })).kinds,
    ).toEqual(['POD_EPHEMERAL', 'WILDCARD']);
  });
  it('reports reachable identities and powers', () => {
    const { graph } = pathOf(
      scenario({ grant: [{ verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['god'] }] }),
    );
    expect(reachableIdentitiesAndPowers(graph, { kind: 'ServiceAccount', namespace: 'app', name: 'attacker' })).toEqual({
      // god holds everything, so every other identity follows (here the namespace's default account).
      identities: ['sa:app/default', 'sa:app/god'],
      powers: ['cluster-admin', 'ns-admin:*', 'ns-admin:app'],
    });
  });
});

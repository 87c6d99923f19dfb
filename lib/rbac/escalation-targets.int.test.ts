/**
 * Every escalation target, proved on the real API server (issue 12, item 2). ServiceAccounts get the grants that
 * give each target kind — `bind` on `admin` in a namespace, reading another namespace's Secrets, a TokenRequest for a
 * more powerful account, creating pods where Pod Security does not stop privileged ones — the cluster is collected
 * as a collection does (listSnapshot), and the paths are computed from that snapshot. Then, for every step of every
 * path, a SubjectAccessReview asks the authorizer whether the acting identity may make the step's requests; where a
 * step needs an earlier one done (holding `admin` after binding it), the earlier step is done for real with the
 * account's own token. For each kind a twin account lacks the one right that matters: the engine finds no such path
 * and the authorizer (or Pod Security admission) refuses the step.
 *
 * Grants through groups (system:serviceaccounts, system:authenticated) that a seeded cluster may hold apply to every
 * account alike: the twins are compared with a control account that has no binding at all.
 */
import {
  AuthorizationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1PolicyRule,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenClient } from '@/e2e/cluster/as-token';
import { adminKubeConfig, ensureCluster, serviceAccountToken, type TestCluster } from '@/e2e/cluster/harness';
import { listSnapshot } from '@/lib/collect/collect';
import { resolveTargets } from '@/lib/collect/kube';
import { buildEscalationGraph, type EscalationGraph, type PathStep } from './escalation';
import { escalationTargets, type TargetKind, type TargetPath } from './escalation-targets';
import { snapshotFromObjects } from './load';
import { buildIndex } from './rbac-index';

const RBAC = 'rbac.authorization.k8s.io';
const p = `it-esc-${Date.now().toString(36)}`;
/** The attackers' namespace (restricted: nothing escapes from it), the target namespace, and a baseline one. */
const HOME = `${p}-home`;
const T = `${p}-t`;
const R = `${p}-r`;
const role = (name: string) => `${p}-${name}`;

let cluster: TestCluster;
let kc: KubeConfig;
let client: ReturnType<typeof tokenClient>;
let graph: EscalationGraph;
let targetsOf: (name: string, ns?: string) => TargetPath[];

const saUser = (ns: string, name: string) => ({
  user: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
});

async function allowed(who: { user: string; groups: string[] }, attrs: V1ResourceAttributes): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { ...who, resourceAttributes: attrs } },
  });
  return review.status?.allowed === true;
}

/** What a step asks the API server: each entry is a list of alternatives, one of which must be allowed. */
function requestsOf(step: PathStep): V1ResourceAttributes[][] {
  const d = step.detail;
  const ns = (n: string | undefined) => (!n || n === '*' ? '' : n);
  switch (step.kind) {
    case 'ROLE_BIND': {
      const where = ns(d.scope);
      const kind = d.role?.kind === 'Role' ? 'roles' : 'clusterroles';
      return [
        [{ verb: 'create', group: RBAC, resource: where ? 'rolebindings' : 'clusterrolebindings', namespace: where }],
        [{ verb: 'bind', group: RBAC, resource: kind, name: d.role?.name, namespace: where }],
      ];
    }
    case 'TOKEN_REQUEST': {
      const [sns, sname] = step.to.replace(/^sa:/, '').split('/') as [string, string];
      return [[{ verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: sns, name: sname }]];
    }
    case 'SECRET_READ':
      return [['list', 'watch', 'get'].map((verb) => ({ verb, resource: 'secrets', namespace: ns(d.namespace) }))];
    case 'POD_ESCAPE':
      return [[{ verb: 'create', resource: 'pods', namespace: ns(d.namespace) }]];
    case 'NS_CONTROL':
      return [
        ['get', 'list'].map((verb) => ({ verb, resource: 'secrets', namespace: ns(d.namespace) })),
        [{ verb: 'create', resource: 'pods', namespace: ns(d.namespace) }],
        [{ verb: 'create', group: RBAC, resource: 'rolebindings', namespace: ns(d.namespace) }],
      ];
    default:
      throw new Error(`no requests known for a ${step.kind} step`);
  }
}

/** Whether the identity may make every request of the step (one alternative of each). */
async function stepAllowed(who: { user: string; groups: string[] }, step: PathStep): Promise<boolean> {
  for (const alternatives of requestsOf(step)) {
    let ok = false;
    for (const attrs of alternatives) if (await allowed(who, attrs)) ok = true;
    if (!ok) return false;
  }
  return true;
}

const only = (paths: TargetPath[], kind: TargetKind) => paths.filter((t) => t.target === kind);
const brief = (paths: TargetPath[]) => paths.map((t) => [t.target, t.scope, t.distance]);
const as = async (ns: string, name: string) => (await serviceAccountToken(cluster, ns, name, { expirationSeconds: 600 })).token;

beforeAll(async () => {
  cluster = await ensureCluster();
  kc = adminKubeConfig(cluster);
  client = tokenClient(cluster);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const enforce = (level: string) => ({ 'pod-security.kubernetes.io/enforce': level });
  await core.createNamespace({ body: { metadata: { name: HOME, labels: enforce('restricted') } } });
  await core.createNamespace({ body: { metadata: { name: T } } });
  await core.createNamespace({ body: { metadata: { name: R, labels: enforce('baseline') } } });
  for (const name of [
    'binder',
    'nobind',
    'reader',
    'reader-own',
    'minter',
    'minter-elsewhere',
    'podmaker',
    'podmaker-r',
    'control',
  ])
    await core.createNamespacedServiceAccount({ namespace: HOME, body: { metadata: { name } } });
  for (const name of ['deployer', 'nobody'])
    await core.createNamespacedServiceAccount({ namespace: T, body: { metadata: { name } } });
  // A Secret for the readers to reach (its value is a fixed placeholder, never read back by this test).
  await core.createNamespacedSecret({ namespace: T, body: { metadata: { name: 'db' }, stringData: { url: 'placeholder' } } });

  const clusterRoles: [string, V1PolicyRule[]][] = [
    [
      'binder',
      [
        { apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create'] },
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['admin'] },
      ],
    ],
    ['nobind', [{ apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create'] }]],
    ['secret-reader', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }]],
    ['minter', [{ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'], resourceNames: ['deployer'] }]],
    ['pods', [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }]],
  ];
  for (const [name, rules] of clusterRoles) await rbac.createClusterRole({ body: { metadata: { name: role(name) }, rules } });
  const bind = (ns: string, sa: { ns: string; name: string }, clusterRole: string) =>
    rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: `${sa.name}-${clusterRole}` },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: clusterRole },
        subjects: [{ kind: 'ServiceAccount', namespace: sa.ns, name: sa.name }],
      },
    });
  const home = (name: string) => ({ ns: HOME, name });
  await bind(T, home('binder'), role('binder'));
  await bind(T, home('nobind'), role('nobind'));
  await bind(T, home('reader'), role('secret-reader'));
  await bind(HOME, home('reader-own'), role('secret-reader'));
  await bind(T, home('minter'), role('minter'));
  await bind(R, home('minter-elsewhere'), role('minter'));
  await bind(T, home('podmaker'), role('pods'));
  await bind(R, home('podmaker-r'), role('pods'));
  // The account whose token is worth minting: edit in T (Secrets, pods and workloads there).
  await bind(T, { ns: T, name: 'deployer' }, 'edit');

  // Collected as a collection does, then the engine's paths from that snapshot.
  const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
  const { snapshot } = await listSnapshot({ ...target!, name: 'escalation-targets' });
  graph = buildEscalationGraph(buildIndex(snapshotFromObjects(Object.values(snapshot).flat()).snapshot));
  const targets = escalationTargets(graph);
  targetsOf = (name, ns = HOME) => targets.of({ kind: 'ServiceAccount', namespace: ns, name });
});

afterAll(async () => {
  await client?.close();
  if (!kc) return;
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  for (const name of [HOME, T, R]) await core.deleteNamespace({ name }).catch(() => {});
  for (const name of ['binder', 'nobind', 'secret-reader', 'minter', 'pods'])
    await rbac.deleteClusterRole({ name: role(name) }).catch(() => {});
});

describe('escalation targets against the authorizer', () => {
  it('reads the namespaces’ Pod Security levels from the collected snapshot: no escape from restricted or baseline ones', () => {
    expect(graph.edges.some((e) => e.kind === 'POD_ESCAPE' && (e.detail.namespace === HOME || e.detail.namespace === R))).toBe(
      false,
    );
    expect((graph.out.get(`sa:${HOME}/podmaker`) ?? []).map((e) => [e.kind, e.detail.namespace])).toContainEqual([
      'POD_ESCAPE',
      T,
    ]);
    expect((graph.out.get(`sa:${HOME}/podmaker-r`) ?? []).some((e) => e.kind === 'POD_ESCAPE')).toBe(false);
  });

  it('namespace-admin: bind on admin in a namespace; each step allowed, and holding admin after the bind is real', async () => {
    const [path] = only(targetsOf('binder'), 'namespace-admin').filter((t) => t.scope === T);
    expect(path && [path.distance, path.steps.map((s) => s.kind)]).toEqual([1, ['ROLE_BIND', 'NS_CONTROL']]);
    const who = saUser(HOME, 'binder');
    const [bindStep, controlStep] = path!.steps as [PathStep, PathStep];
    expect(bindStep.grants.map((g) => `${g.binding.namespace}/${g.binding.name}`)).toContain(`${T}/binder-${role('binder')}`);
    expect(await stepAllowed(who, bindStep)).toBe(true);
    // Before the bind it does not control T; the bind itself passes the API server's escalation check; then it does.
    expect(await stepAllowed(who, controlStep)).toBe(false);
    const made = await client.call(await as(HOME, 'binder'), 'nhi-it', 'POST', `/apis/${RBAC}/v1/namespaces/${T}/rolebindings`, {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'binder-self-admin' },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'ServiceAccount', namespace: HOME, name: 'binder' }],
    });
    expect(made.status).toBe(201);
    expect(await stepAllowed(who, controlStep)).toBe(true);
  });

  it('namespace-admin refused without bind: no such path, the authorizer denies bind and the API server refuses the binding', async () => {
    expect(brief(only(targetsOf('nobind'), 'namespace-admin'))).toEqual(brief(only(targetsOf('control'), 'namespace-admin')));
    const who = saUser(HOME, 'nobind');
    expect(await allowed(who, { verb: 'create', group: RBAC, resource: 'rolebindings', namespace: T })).toBe(true);
    expect(await allowed(who, { verb: 'bind', group: RBAC, resource: 'clusterroles', name: 'admin', namespace: T })).toBe(false);
    const refused = await client.call(
      await as(HOME, 'nobind'),
      'nhi-it',
      'POST',
      `/apis/${RBAC}/v1/namespaces/${T}/rolebindings`,
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'nobind-self-admin' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'admin' },
        subjects: [{ kind: 'ServiceAccount', namespace: HOME, name: 'nobind' }],
      },
    );
    expect(refused.status).toBe(403);
    expect(String(refused.json?.message)).toMatch(/escalat|not currently held/);
  });

  it('other-namespace-secrets: list secrets in another namespace; the step is allowed', async () => {
    const reached = only(targetsOf('reader'), 'other-namespace-secrets');
    expect(reached.map((t) => t.distance)).toEqual([1]);
    expect((graph.out.get(`sa:${HOME}/reader`) ?? []).some((e) => e.kind === 'SECRET_READ' && e.to === `secrets:${T}`)).toBe(
      true,
    );
    for (const step of reached[0]!.steps)
      expect([step.kind, await stepAllowed(saUser(HOME, 'reader'), step)]).toEqual([step.kind, true]);
    const listed = await client.call(await as(HOME, 'reader'), 'nhi-it', 'GET', `/api/v1/namespaces/${T}/secrets`);
    expect(listed.status).toBe(200);
  });

  it('other-namespace-secrets not from its own namespace: nothing more than the control account, and T is denied', async () => {
    expect(brief(only(targetsOf('reader-own'), 'other-namespace-secrets'))).toEqual(
      brief(only(targetsOf('control'), 'other-namespace-secrets')),
    );
    expect(await allowed(saUser(HOME, 'reader-own'), { verb: 'list', resource: 'secrets', namespace: HOME })).toBe(true);
    expect(await allowed(saUser(HOME, 'reader-own'), { verb: 'list', resource: 'secrets', namespace: T })).toBe(false);
  });

  it('token-mint: a TokenRequest for a more powerful account; allowed, and the token is really issued', async () => {
    const [path] = only(targetsOf('minter'), 'token-mint');
    expect(path && [path.scope, path.distance, path.steps.map((s) => s.kind), path.clusterAdminEquivalent]).toEqual([
      `ServiceAccount ${T}/deployer`,
      1,
      ['TOKEN_REQUEST'],
      false,
    ]);
    expect(await stepAllowed(saUser(HOME, 'minter'), path!.steps[0]!)).toBe(true);
    const issued = await client.call(
      await as(HOME, 'minter'),
      'nhi-it',
      'POST',
      `/api/v1/namespaces/${T}/serviceaccounts/deployer/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    );
    expect(issued.status).toBe(201); // the token itself is neither printed nor kept
    // The deployer's edit rights reach T's Secrets: a second target through the same token.
    const secrets = only(targetsOf('minter'), 'other-namespace-secrets');
    expect(
      secrets.some((t) => t.distance === 2 && t.steps[0]!.kind === 'TOKEN_REQUEST') || secrets.some((t) => t.distance < 2),
    ).toBe(true);
  });

  it('token-mint refused where the grant does not apply: no such path, and the authorizer denies the TokenRequest', async () => {
    expect(only(targetsOf('minter-elsewhere'), 'token-mint').filter((t) => t.scope === `ServiceAccount ${T}/deployer`)).toEqual(
      [],
    );
    const who = saUser(HOME, 'minter-elsewhere');
    expect(
      await allowed(who, { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: T, name: 'deployer' }),
    ).toBe(false);
  });

  it('node: create pods where no Pod Security label forbids a privileged pod; allowed, and admission admits one', async () => {
    const [path] = only(targetsOf('podmaker'), 'node');
    expect(path && [path.scope, path.distance, path.steps.map((s) => s.kind)]).toEqual([T, 1, ['POD_ESCAPE']]);
    expect(await stepAllowed(saUser(HOME, 'podmaker'), path!.steps[0]!)).toBe(true);
    const pod = await client.call(
      await as(HOME, 'podmaker'),
      'nhi-it',
      'POST',
      `/api/v1/namespaces/${T}/pods`,
      privilegedPod('escape'),
    );
    expect(pod.status).toBe(201);
  });

  it('node refused under Pod Security baseline: no such path, admission refuses the pod, and elsewhere the authorizer denies', async () => {
    expect(brief(only(targetsOf('podmaker-r'), 'node'))).toEqual(brief(only(targetsOf('control'), 'node')));
    const token = await as(HOME, 'podmaker-r');
    expect(await allowed(saUser(HOME, 'podmaker-r'), { verb: 'create', resource: 'pods', namespace: R })).toBe(true);
    const refused = await client.call(token, 'nhi-it', 'POST', `/api/v1/namespaces/${R}/pods`, privilegedPod('escape'));
    expect(refused.status).toBe(403);
    expect(String(refused.json?.message)).toMatch(/PodSecurity "baseline/);
    expect(await allowed(saUser(HOME, 'podmaker-r'), { verb: 'create', resource: 'pods', namespace: T })).toBe(false);
  });
});

/** A pod that leaves its container: privileged, in the host's PID namespace, with the host's root mounted. */
function privilegedPod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      hostPID: true,
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'shell',
          image: 'registry.k8s.io/pause:3.10',
          securityContext: { privileged: true },
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    },
  };
}

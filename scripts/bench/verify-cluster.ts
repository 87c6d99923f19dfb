/**
 * Checks that a loaded bench cluster is exactly what cluster-gen planned: every planned object is there,
 * no controller added Pods or ReplicaSets of its own, every Pod's controller ownerReference points at
 * its ReplicaSet's real uid and every ReplicaSet's at its Deployment's, ReplicaSet replicas equal their
 * Pod counts, and the legacy token Secrets were populated by the token controller.
 * Reads metadata and specs only; Secret data is never looked at beyond "is a token present".
 */
import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

import type { BenchCluster, Manifest } from './cluster-gen';
import { sharedConnectionConfig } from './load-cluster';

export interface VerifyReport {
  ok: boolean;
  /** Planned vs found, per kind (found counts only names in the plan). */
  kinds: Record<string, { planned: number; found: number; missing: string[] }>;
  extraPods: string[];
  extraReplicaSets: string[];
  podOwnerProblems: string[];
  replicaSetOwnerProblems: string[];
  replicaMismatches: string[];
  tokenSecrets: { planned: number; populated: number };
  pendingPods: number;
}

interface Listed {
  metadata?: { name?: string; namespace?: string; uid?: string; ownerReferences?: { uid: string; controller?: boolean }[] };
}

async function listAll<T extends Listed>(
  page: (cont: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const r = await page(cont);
    out.push(...r.items);
    cont = r.metadata?._continue || undefined;
  } while (cont);
  return out;
}

const id = (m: { metadata?: { namespace?: string; name?: string } }) =>
  `${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name}`;
const controllerUid = (o: Listed) => o.metadata?.ownerReferences?.find((r) => r.controller)?.uid;

export async function verifyBenchCluster(kc: KubeConfig, cluster: BenchCluster): Promise<VerifyReport> {
  const config = sharedConnectionConfig(kc, 'nhi-bench-verify');
  const core = new CoreV1Api(config);
  const apps = new AppsV1Api(config);
  const rbac = new RbacAuthorizationV1Api(config);
  const limit = 2000;
  const benchNs = new Set(cluster.namespaces.map((n) => n.metadata.name));
  const inBench = <T extends Listed>(items: T[]) => items.filter((o) => benchNs.has(o.metadata?.namespace ?? ''));

  const [namespaces, sas, secrets, roles, roleBindings, clusterRoles, clusterRoleBindings, deployments, replicaSets, pods] =
    await Promise.all([
      listAll((c) => core.listNamespace({ limit, _continue: c })),
      listAll((c) => core.listServiceAccountForAllNamespaces({ limit, _continue: c })).then(inBench),
      listAll((c) => core.listSecretForAllNamespaces({ limit, _continue: c })).then(inBench),
      listAll((c) => rbac.listRoleForAllNamespaces({ limit, _continue: c })).then(inBench),
      listAll((c) => rbac.listRoleBindingForAllNamespaces({ limit, _continue: c })).then(inBench),
      listAll((c) => rbac.listClusterRole({ limit, _continue: c })),
      listAll((c) => rbac.listClusterRoleBinding({ limit, _continue: c })),
      listAll((c) => apps.listDeploymentForAllNamespaces({ limit, _continue: c })).then(inBench),
      listAll((c) => apps.listReplicaSetForAllNamespaces({ limit, _continue: c })).then(inBench),
      listAll((c) => core.listPodForAllNamespaces({ limit, _continue: c })).then(inBench),
    ]);

  const kinds: VerifyReport['kinds'] = {};
  const compare = (kind: string, planned: readonly Manifest[], found: Listed[]) => {
    const have = new Set(found.map(id));
    const missing = planned.map(id).filter((k) => !have.has(k));
    kinds[kind] = { planned: planned.length, found: planned.length - missing.length, missing: missing.slice(0, 10) };
  };
  const plannedPods = [...cluster.workloads.flatMap((w) => w.pods), ...cluster.barePods];
  compare('Namespace', cluster.namespaces, namespaces);
  compare('ServiceAccount', cluster.serviceAccounts, sas);
  compare('Secret', cluster.secrets, secrets);
  compare('Role', cluster.roles, roles);
  compare('RoleBinding', cluster.roleBindings, roleBindings);
  compare('ClusterRole', cluster.clusterRoles, clusterRoles);
  compare('ClusterRoleBinding', cluster.clusterRoleBindings, clusterRoleBindings);
  compare(
    'Deployment',
    cluster.workloads.map((w) => w.deployment),
    deployments,
  );
  compare(
    'ReplicaSet',
    cluster.workloads.map((w) => w.replicaSet),
    replicaSets,
  );
  compare('Pod', plannedPods, pods);

  const plannedPodIds = new Set(plannedPods.map(id));
  const plannedRsIds = new Set(cluster.workloads.map((w) => id(w.replicaSet)));
  const extraPods = pods.map(id).filter((k) => !plannedPodIds.has(k));
  const extraReplicaSets = replicaSets.map(id).filter((k) => !plannedRsIds.has(k));

  const rsById = new Map(replicaSets.map((r) => [id(r), r]));
  const depById = new Map(deployments.map((d) => [id(d), d]));
  const podById = new Map(pods.map((p) => [id(p), p]));
  const podOwnerProblems: string[] = [];
  const replicaSetOwnerProblems: string[] = [];
  const replicaMismatches: string[] = [];
  for (const w of cluster.workloads) {
    const rs = rsById.get(id(w.replicaSet));
    const dep = depById.get(id(w.deployment));
    if (rs && dep && controllerUid(rs) !== dep.metadata?.uid) replicaSetOwnerProblems.push(id(w.replicaSet));
    let owned = 0;
    for (const p of w.pods) {
      const pod = podById.get(id(p));
      if (!pod) continue;
      if (!rs || controllerUid(pod) !== rs.metadata?.uid) podOwnerProblems.push(id(p));
      else owned++;
    }
    if (rs && rs.spec?.replicas !== owned)
      replicaMismatches.push(`${id(w.replicaSet)}: replicas ${rs.spec?.replicas}, ${owned} owned Pods`);
  }

  const plannedTokens = new Set(cluster.secrets.filter((s) => s.type === 'kubernetes.io/service-account-token').map(id));
  const populated = secrets.filter(
    (s) => plannedTokens.has(id(s)) && typeof s.data?.token === 'string' && s.data.token.length > 0,
  ).length;
  const pendingPods = pods.filter((p) => p.status?.phase === 'Pending').length;

  const report: VerifyReport = {
    ok: false,
    kinds,
    extraPods: extraPods.slice(0, 20),
    extraReplicaSets: extraReplicaSets.slice(0, 20),
    podOwnerProblems: podOwnerProblems.slice(0, 20),
    replicaSetOwnerProblems: replicaSetOwnerProblems.slice(0, 20),
    replicaMismatches: replicaMismatches.slice(0, 20),
    tokenSecrets: { planned: plannedTokens.size, populated },
    pendingPods,
  };
  report.ok =
    Object.values(kinds).every((k) => k.found === k.planned) &&
    extraPods.length === 0 &&
    extraReplicaSets.length === 0 &&
    podOwnerProblems.length === 0 &&
    replicaSetOwnerProblems.length === 0 &&
    replicaMismatches.length === 0;
  return report;
}

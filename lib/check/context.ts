/**
 * The cluster context of `nhi check --cluster NAME`: what a collected cluster already holds that decides what new
 * manifests grant — its Roles and ClusterRoles (with the rules the API server serves, aggregated ones included),
 * RoleBindings and ClusterRoleBindings, ServiceAccounts (with their automount setting) and Namespaces — as Kubernetes
 * objects, to be judged together with the manifests (lib/check/check.ts reports only what the manifests touch).
 * A new RoleBinding to an existing ClusterRole is then judged with that role's rules, and a new pod-creating grant
 * with the accounts already in its namespace.
 *
 * Read from the stored RBAC snapshot (lib/data/rbac.ts), the one `nhi can` and the least-privilege fix read.
 * Workloads, Secrets and nodes of the cluster are not part of the context.
 */
import type { PrismaClient } from '@/lib/db/client';
import { resolveCluster } from '@/lib/data/clusters';
import { loadRbacSnapshot } from '@/lib/data/rbac';
import type { RbacSnapshot } from '@/lib/rbac/types';

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The snapshot's objects as Kubernetes objects (pure). */
export function contextObjects(snapshot: RbacSnapshot): unknown[] {
  return [
    ...(snapshot.namespaces ?? []).map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
    ...(snapshot.serviceAccounts ?? []).map((sa) => ({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa.name, namespace: sa.namespace },
      ...(sa.automountServiceAccountToken === undefined ? {} : { automountServiceAccountToken: sa.automountServiceAccountToken }),
    })),
    ...snapshot.clusterRoles.map((r) => ({ apiVersion: RBAC, ...r })),
    ...snapshot.roles.map((r) => ({ apiVersion: RBAC, ...r })),
    ...snapshot.clusterRoleBindings.map((b) => ({ apiVersion: RBAC, ...b })),
    ...snapshot.roleBindings.map((b) => ({ apiVersion: RBAC, ...b })),
  ];
}

/** The context of the collected cluster `name` (its live RBAC objects); a name the database lacks is an error. */
export async function loadClusterContext(db: PrismaClient, name: string): Promise<{ name: string; objects: unknown[] }> {
  const cluster = await resolveCluster(db, name);
  const { snapshot } = await loadRbacSnapshot(db, cluster.id);
  return { name: cluster.name, objects: contextObjects(snapshot) };
}

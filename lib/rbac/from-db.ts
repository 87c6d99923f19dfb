/**
 * An RbacSnapshot from the inventory database: the live (not deleted) RbacRole / RbacBinding rows the
 * collector stored for one cluster, plus its ServiceAccounts and Namespaces. The rows go through
 * `snapshotFromObjects`, so malformed stored rules are reported as issues, not trusted.
 *
 *   const cluster = await resolveRbacCluster(pool, opts.cluster);   // one cluster, or a clear error
 *   const { snapshot } = await loadRbacSnapshot(pool, cluster.id);
 *   const index = buildIndex(snapshot);
 *
 * The collector stores what the API server holds: aggregated ClusterRoles carry the rules the
 * aggregation controller wrote, so the index's default `union` aggregation equals what the
 * authorizer reads (and fills in aggregation for imported manifests whose rules are empty).
 */
import { snapshotFromObjects, type LoadIssue } from './load';
import type { RbacObjectCounts, RbacSnapshot } from './types';

/** Anything that runs a parameterised query (pg.Pool, pg.Client, pg.PoolClient). */
export interface Queryable {
  query<R extends object>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface RbacClusterRow {
  id: string;
  name: string;
  lastSyncAt: string | null;
  roles: number;
  bindings: number;
}

/** Why no single cluster could be chosen; `clusters` lists the names in the database. */
export class ClusterSelectionError extends Error {
  constructor(
    message: string,
    readonly clusters: string[],
    readonly reason: 'none' | 'ambiguous' | 'unknown',
  ) {
    super(message);
    this.name = 'ClusterSelectionError';
  }
}

/** Every cluster in the database with its live RBAC object counts, by name. */
export async function listRbacClusters(db: Queryable): Promise<RbacClusterRow[]> {
  const res = await db.query<RbacClusterRow>(
    `SELECT c.id, c.name,
            to_char(c."lastSyncAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "lastSyncAt",
            (SELECT count(*)::int FROM "RbacRole" r WHERE r."clusterId" = c.id AND r."deletedAt" IS NULL) AS roles,
            (SELECT count(*)::int FROM "RbacBinding" b WHERE b."clusterId" = c.id AND b."deletedAt" IS NULL) AS bindings
     FROM "Cluster" c ORDER BY c.name`,
  );
  return res.rows;
}

/**
 * The cluster to answer about: `requested` if given (it must exist), else the only cluster in the
 * database. Throws ClusterSelectionError when there is none, several, or the name is unknown.
 */
export async function resolveRbacCluster(db: Queryable, requested?: string): Promise<RbacClusterRow> {
  const clusters = await listRbacClusters(db);
  const names = clusters.map((c) => c.name);
  if (requested !== undefined) {
    const found = clusters.find((c) => c.name === requested);
    if (!found) {
      throw new ClusterSelectionError(
        names.length
          ? `no cluster named "${requested}" in the inventory; clusters: ${names.join(', ')}`
          : `no cluster named "${requested}": the inventory is empty (run \`npx nhi collect\` or \`npx nhi import PATH\` first)`,
        names,
        'unknown',
      );
    }
    return found;
  }
  if (clusters.length === 0) {
    throw new ClusterSelectionError(
      'the inventory holds no cluster yet: run `npx nhi collect` or `npx nhi import PATH` first',
      [],
      'none',
    );
  }
  if (clusters.length > 1) {
    throw new ClusterSelectionError(
      `the inventory holds ${clusters.length} clusters; choose one with --cluster NAME: ${names.join(', ')}`,
      names,
      'ambiguous',
    );
  }
  return clusters[0] as RbacClusterRow;
}

export interface DbRbacSnapshot {
  snapshot: RbacSnapshot;
  issues: LoadIssue[];
  counts: RbacObjectCounts;
}

interface RoleRow {
  kind: string;
  namespace: string;
  name: string;
  rules: unknown;
  aggregationRule: unknown;
  labels: unknown;
}

interface BindingRow {
  kind: string;
  namespace: string;
  name: string;
  roleRefKind: string;
  roleRefName: string;
  subjects: unknown;
}

const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';

/** The RBAC snapshot of one cluster (by id) from its live rows. */
export async function loadRbacSnapshot(db: Queryable, clusterId: string): Promise<DbRbacSnapshot> {
  const live = `"clusterId" = $1 AND "deletedAt" IS NULL`;
  // Sequential: a pg.Client runs one query at a time anyway.
  const roles = await db.query<RoleRow>(
    `SELECT kind, namespace, name, rules, "aggregationRule", labels FROM "RbacRole" WHERE ${live} ORDER BY kind, namespace, name`,
    [clusterId],
  );
  const bindings = await db.query<BindingRow>(
    `SELECT kind, namespace, name, "roleRefKind", "roleRefName", subjects FROM "RbacBinding" WHERE ${live} ORDER BY kind, namespace, name`,
    [clusterId],
  );
  const serviceAccounts = await db.query<{ namespace: string; name: string; automountToken: boolean | null }>(
    `SELECT namespace, name, "automountToken" FROM "Identity" WHERE ${live} AND kind = 'ServiceAccount' ORDER BY namespace, name`,
    [clusterId],
  );
  const namespaces = await db.query<{ name: string }>(`SELECT name FROM "Namespace" WHERE ${live} ORDER BY name`, [clusterId]);

  const objects: unknown[] = [];
  for (const r of roles.rows) {
    if (r.kind !== 'Role' && r.kind !== 'ClusterRole') continue;
    objects.push({
      apiVersion: RBAC_API_VERSION,
      kind: r.kind,
      metadata: { name: r.name, ...(r.kind === 'Role' ? { namespace: r.namespace } : {}), labels: r.labels ?? {} },
      rules: r.rules ?? [],
      ...(r.kind === 'ClusterRole' && r.aggregationRule ? { aggregationRule: r.aggregationRule } : {}),
    });
  }
  for (const b of bindings.rows) {
    if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
    objects.push({
      apiVersion: RBAC_API_VERSION,
      kind: b.kind,
      metadata: { name: b.name, ...(b.kind === 'RoleBinding' ? { namespace: b.namespace } : {}) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: b.roleRefKind, name: b.roleRefName },
      subjects: b.subjects ?? [],
    });
  }
  for (const sa of serviceAccounts.rows) {
    objects.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa.name, namespace: sa.namespace },
      ...(sa.automountToken === null ? {} : { automountServiceAccountToken: sa.automountToken }),
    });
  }
  const { snapshot, issues } = snapshotFromObjects(objects);
  snapshot.namespaces = namespaces.rows.map((n) => n.name);
  return {
    snapshot,
    issues,
    counts: {
      roles: snapshot.roles.length,
      clusterRoles: snapshot.clusterRoles.length,
      roleBindings: snapshot.roleBindings.length,
      clusterRoleBindings: snapshot.clusterRoleBindings.length,
      serviceAccounts: snapshot.serviceAccounts?.length ?? 0,
      namespaces: namespaces.rows.length,
    },
  };
}

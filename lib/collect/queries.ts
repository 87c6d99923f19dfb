import type pg from 'pg';

export interface ClusterRow {
  name: string;
  source: string;
  server: string | null;
  lastSyncAt: string | null;
  lastRunPhase: string | null;
  identities: number;
  workloads: number;
}

export async function listClusterRows(pool: pg.Pool): Promise<ClusterRow[]> {
  const res = await pool.query<ClusterRow>(`
    SELECT c.name, c.source::text AS source, c.server, to_char(c."lastSyncAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "lastSyncAt",
      (SELECT phase::text FROM "CollectionRun" r WHERE r."clusterId" = c.id ORDER BY "startedAt" DESC LIMIT 1) AS "lastRunPhase",
      (SELECT count(*)::int FROM "Identity" i WHERE i."clusterId" = c.id AND i."deletedAt" IS NULL) AS identities,
      (SELECT count(*)::int FROM "Workload" w WHERE w."clusterId" = c.id AND w."deletedAt" IS NULL) AS workloads
    FROM "Cluster" c ORDER BY c.name`);
  return res.rows;
}

export interface IdentityWithLinks {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string | null;
  provider: string | null;
  builtIn: boolean;
  automountToken: boolean | null;
  deletedAt: string | null;
  workloads: { kind: string; namespace: string; name: string; podCount: number; automountToken: boolean | null }[];
  credentials: {
    kind: string;
    namespace: string;
    name: string;
    secretType: string | null;
    via: string[];
    createdInClusterAt: string | null;
    metadata: unknown;
  }[];
  linkedIdentities: { kind: string; name: string; provider: string | null; link: string; inferred: boolean; source: string }[];
  owners: { team: string; origin: string; source: string | null }[];
}

/**
 * The inventory with links, one row per identity: the workloads running as it, the credentials it owns
 * or its workloads use (metadata only), its linked cloud/SPIFFE identities and its owners.
 */
export async function listIdentitiesWithLinks(
  pool: pg.Pool,
  opts: { cluster?: string; namespace?: string; includeDeleted?: boolean } = {},
): Promise<IdentityWithLinks[]> {
  const res = await pool.query<IdentityWithLinks>(
    `
    SELECT c.name AS cluster, i.kind::text AS kind, i.namespace, i.name, i.uid, i.provider, i."builtIn", i."automountToken",
      i."deletedAt",
      COALESCE((SELECT json_agg(json_build_object('kind', w.kind, 'namespace', w.namespace, 'name', w.name, 'podCount', w."podCount", 'automountToken', w."automountToken") ORDER BY w.namespace, w.kind, w.name)
        FROM "WorkloadIdentity" wi JOIN "Workload" w ON w.id = wi."workloadId"
        WHERE wi."identityId" = i.id AND wi."deletedAt" IS NULL AND w."deletedAt" IS NULL), '[]') AS workloads,
      COALESCE((SELECT json_agg(x ORDER BY x.kind, x.name) FROM (
        SELECT cr.kind::text AS kind, cr.namespace, cr.name, cr."secretType", cr."createdInClusterAt", cr.metadata,
          COALESCE((SELECT json_agg(DISTINCT u.via) FROM "CredentialUse" u JOIN "WorkloadIdentity" wi2 ON wi2."workloadId" = u."workloadId"
                    WHERE u."credentialId" = cr.id AND wi2."identityId" = i.id AND u."deletedAt" IS NULL), '[]') AS via
        FROM "Credential" cr
        WHERE cr."deletedAt" IS NULL AND (cr."identityId" = i.id OR cr.id IN (
          SELECT u."credentialId" FROM "CredentialUse" u JOIN "WorkloadIdentity" wi3 ON wi3."workloadId" = u."workloadId"
          WHERE wi3."identityId" = i.id AND u."deletedAt" IS NULL AND wi3."deletedAt" IS NULL))
      ) x), '[]') AS credentials,
      COALESCE((SELECT json_agg(json_build_object('kind', t.kind, 'name', t.name, 'provider', t.provider, 'link', l.kind, 'inferred', l.inferred, 'source', l.source) ORDER BY l.kind, t.name)
        FROM "IdentityLink" l JOIN "Identity" t ON t.id = l."toId" WHERE l."fromId" = i.id AND l."deletedAt" IS NULL), '[]') AS "linkedIdentities",
      COALESCE((SELECT json_agg(json_build_object('team', tm.name, 'origin', o.origin, 'source', o.source) ORDER BY tm.name)
        FROM "Ownership" o JOIN "Team" tm ON tm.id = o."teamId" WHERE o."identityId" = i.id), '[]') AS owners
    FROM "Identity" i JOIN "Cluster" c ON c.id = i."clusterId"
    WHERE ($1::text IS NULL OR c.name = $1) AND ($2::text IS NULL OR i.namespace = $2) AND ($3::boolean OR i."deletedAt" IS NULL)
    ORDER BY c.name, i.kind, i.namespace, i.name`,
    [opts.cluster ?? null, opts.namespace ?? null, opts.includeDeleted ?? false],
  );
  return res.rows;
}

/**
 * What can be exported, each as one SQL query read through a cursor (lib/reports/stream.ts) with the same
 * filters as its page: the inventory (identities with kind, namespace, owners, risk score and workloads),
 * findings (lib/data/findings.ts findingFilterSchema), credentials (lib/data/credentials.ts
 * credentialFilterSchema; metadata only, never a value), exceptions (lib/findings/exceptions.ts) and the
 * activity trail. Rows come out as plain records with the dataset's columns in order.
 */
import { z } from 'zod';
import { CLASS_INFO, CREDENTIAL_CLASSES, type CredentialClass } from '@/lib/credentials/classify';
import { credentialFilterSchema } from '@/lib/data/credentials';
import { findingFilterSchema } from '@/lib/data/findings';
import { exceptionFilterSchema } from '@/lib/findings/exceptions';
import { trailFilterSchema, trailWhere } from '@/lib/trail/read';

export const DATASETS = ['inventory', 'findings', 'credentials', 'exceptions', 'trail'] as const;
export type Dataset = (typeof DATASETS)[number];

const IDENTITY_KINDS = ['ServiceAccount', 'CloudIdentity', 'SpiffeId', 'User', 'Group'] as const;

export const inventoryFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  kind: z.enum(IDENTITY_KINDS).optional(),
  /** Owning team's name, or `(none)`. */
  owner: z.string().max(253).optional(),
  /** Leave out the identities Kubernetes itself makes and uses. */
  builtIn: z.enum(['include', 'exclude']).default('include'),
});

/** Each dataset's filter: its page's, without paging. */
export const datasetFilterSchemas = {
  inventory: inventoryFilterSchema,
  findings: findingFilterSchema.omit({ page: true }),
  credentials: credentialFilterSchema.omit({ page: true, federatedPage: true }),
  exceptions: exceptionFilterSchema.omit({ findingId: true }),
  trail: trailFilterSchema.omit({ page: true, pageSize: true }),
} as const;
export type DatasetFilter<D extends Dataset> = z.output<(typeof datasetFilterSchemas)[D]>;

/** A value of an exported row: arrays stay arrays in JSON and are joined with "; " in CSV. */
export type Cell = string | number | boolean | null | string[] | Record<string, unknown> | unknown[];
export type ExportRow = Record<string, Cell>;

export interface DatasetQuery {
  columns: readonly string[];
  sql: string;
  params: unknown[];
  /** Turns a database row into the exported record (columns in order). */
  toRow: (r: Record<string, unknown>) => ExportRow;
}

const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Collects SQL conditions with numbered parameters. */
class Where {
  readonly conds: string[] = [];
  readonly params: unknown[] = [];
  /** Adds a condition whose `?` marks are all the same new parameter. */
  add(sql: string, value: unknown): this {
    this.params.push(value);
    this.conds.push(sql.replaceAll('?', `$${this.params.length}`));
    return this;
  }
  raw(sql: string): this {
    this.conds.push(sql);
    return this;
  }
  get sql(): string {
    return this.conds.length ? `WHERE ${this.conds.join(' AND ')}` : '';
  }
}

const pick = (columns: readonly string[]) => (r: Record<string, unknown>) =>
  Object.fromEntries(columns.map((c) => [c, (r[c] ?? null) as Cell])) as ExportRow;

const ownedBy = (teamName: string, ownership: string) =>
  `EXISTS (SELECT 1 FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o.${ownership} AND t.name = ${teamName})`;

function inventoryQuery(f: DatasetFilter<'inventory'>): DatasetQuery {
  const w = new Where().raw('i."deletedAt" IS NULL');
  if (f.cluster) w.add('cl.name = ?', f.cluster);
  if (f.namespace) w.add('i.namespace = ?', f.namespace);
  if (f.kind) w.add('i.kind = ?::"IdentityKind"', f.kind);
  if (f.builtIn === 'exclude') w.raw('NOT i."builtIn"');
  if (f.owner === '(none)') w.raw('NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = i.id)');
  else if (f.owner) w.add(ownedBy('?', '"identityId" = i.id'), f.owner);
  const columns = [
    'cluster',
    'kind',
    'namespace',
    'name',
    'builtIn',
    'provider',
    'owners',
    'riskScore',
    'workloads',
    'firstSeenAt',
    'lastSeenAt',
    'id',
  ] as const;
  return {
    columns,
    // Owners and workloads are aggregated once and joined by hash: a lookup per identity would scan
    // "WorkloadIdentity", whose key starts with the workload.
    sql: `SELECT cl.name AS cluster, i.kind::text AS kind, i.namespace, i.name, i."builtIn", i.provider,
            COALESCE(o.owners, '{}') AS owners, r.score AS "riskScore", COALESCE(wl.workloads, '{}') AS workloads,
            ${iso('i."firstSeenAt"')} AS "firstSeenAt", ${iso('i."lastSeenAt"')} AS "lastSeenAt", i.id
          FROM "Identity" i JOIN "Cluster" cl ON cl.id = i."clusterId" LEFT JOIN "RiskScore" r ON r."identityId" = i.id
          LEFT JOIN (SELECT o."identityId", array_agg(DISTINCT t.name ORDER BY t.name) AS owners
                     FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."identityId" IS NOT NULL GROUP BY 1) o ON o."identityId" = i.id
          LEFT JOIN (SELECT wi."identityId", array_agg(w.namespace || '/' || w.kind || '/' || w.name ORDER BY w.namespace, w.kind, w.name) AS workloads
                     FROM "WorkloadIdentity" wi JOIN "Workload" w ON w.id = wi."workloadId"
                     WHERE wi."deletedAt" IS NULL AND w."deletedAt" IS NULL GROUP BY 1) wl ON wl."identityId" = i.id
          ${w.sql}
          ORDER BY cl.name, i.kind, i.namespace, i.name`,
    params: w.params,
    toRow: pick(columns),
  };
}

function findingsQuery(f: DatasetFilter<'findings'>): DatasetQuery {
  const w = new Where();
  if (f.cluster) w.add('cl.name = ?', f.cluster);
  if (f.severity) w.add('f.severity = ?::"Severity"', f.severity);
  if (f.owasp) w.add('? = ANY(f."owaspIds")', f.owasp);
  if (f.rule) w.add('f."ruleId" = ?', f.rule);
  if (f.status !== 'all') w.add('f.status = ?::"FindingStatus"', f.status);
  if (f.namespace)
    w.add(`(i.namespace = ? OR wl.namespace = ? OR c.namespace = ? OR f."subjectKey" = 'namespace:' || ?)`, f.namespace);
  if (f.owner === '(none)')
    w.raw(`((f."identityId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = f."identityId"))
           OR (f."workloadId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."workloadId" = f."workloadId")))`);
  else if (f.owner)
    w.add(
      `(${ownedBy('?', '"identityId" = f."identityId"')} OR ${ownedBy('?', '"workloadId" = f."workloadId"')} OR ${ownedBy('?', '"identityId" = c."identityId"')})`,
      f.owner,
    );
  const columns = [
    'cluster',
    'rule',
    'severity',
    'status',
    'owasp',
    'title',
    'subject',
    'namespace',
    'firstSeenAt',
    'lastSeenAt',
    'resolvedAt',
    'explanation',
    'id',
  ] as const;
  return {
    columns,
    sql: `SELECT cl.name AS cluster, f."ruleId" AS rule, f.severity::text AS severity, f.status::text AS status, f."owaspIds" AS owasp, f.title,
            COALESCE(wl.kind || '/' || wl.namespace || '/' || wl.name, i.kind::text || '/' || NULLIF(i.namespace, '') || '/' || i.name,
                     i.kind::text || '/' || i.name, 'Secret/' || c.namespace || '/' || c.name, f."subjectKey") AS subject,
            COALESCE(wl.namespace, NULLIF(i.namespace, ''), c.namespace,
                     CASE WHEN f."subjectKey" LIKE 'namespace:%' THEN substr(f."subjectKey", 11) END) AS namespace,
            ${iso('f."firstSeenAt"')} AS "firstSeenAt", ${iso('f."lastSeenAt"')} AS "lastSeenAt", ${iso('f."resolvedAt"')} AS "resolvedAt",
            f.explanation, f.id
          FROM "Finding" f JOIN "Cluster" cl ON cl.id = f."clusterId"
          LEFT JOIN "Identity" i ON i.id = f."identityId" LEFT JOIN "Workload" wl ON wl.id = f."workloadId"
          LEFT JOIN "Credential" c ON c.id = f."credentialId"
          ${w.sql}
          ORDER BY f.status, f.severity DESC, f."lastSeenAt" DESC, f."firstSeenAt" DESC, f."ruleId", f."subjectKey"`,
    params: w.params,
    toRow: pick(columns),
  };
}

const DAY = 86_400_000;

function credentialsQuery(f: DatasetFilter<'credentials'>, now: Date): DatasetQuery {
  const w = new Where().raw('c."deletedAt" IS NULL');
  const before = (days: number) => new Date(now.getTime() - days * DAY).toISOString();
  const ts = `(?::timestamptz AT TIME ZONE 'UTC')`;
  if (f.cluster) w.add('cl.name = ?', f.cluster);
  if (f.namespace) w.add('c.namespace = ?', f.namespace);
  if (f.class) w.add('c.class = ?', f.class);
  if (f.lifetime)
    w.add(
      'c.class = ANY(?::text[])',
      CREDENTIAL_CLASSES.filter((k) => CLASS_INFO[k].lifetime === f.lifetime),
    );
  if (f.olderThan !== undefined) w.add(`COALESCE(c."rotatedAt", c."createdInClusterAt") < ${ts}`, before(f.olderThan));
  if (f.expiry === 'expired') w.add(`c."expiresAt" < ${ts}`, now.toISOString());
  if (f.expiry === '30d' || f.expiry === '90d')
    w.add(`c."expiresAt" >= ${ts}`, now.toISOString()).add(`c."expiresAt" < ${ts}`, before(f.expiry === '30d' ? -30 : -90));
  if (f.expiry === 'none') w.raw('c."expiresAt" IS NULL');
  if (f.lastUse === 'unknown') w.raw('c."lastUsedAt" IS NULL');
  if (f.lastUse === 'stale') w.add(`c."lastUsedAt" < ${ts}`, before(90));
  if (f.lastUse === 'recent') w.add(`c."lastUsedAt" >= ${ts}`, before(90));
  if (f.owner === '(none)') w.raw('NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = c."identityId")');
  else if (f.owner) w.add(ownedBy('?', '"identityId" = c."identityId"'), f.owner);
  if (f.q)
    w.add(
      `c.name ILIKE '%' || ? || '%'`,
      f.q.replace(/[\\%_]/g, (m) => `\\${m}`),
    );
  if (f.findings === 'any') w.raw(`EXISTS (SELECT 1 FROM "Finding" x WHERE x."credentialId" = c.id AND x.status = 'open')`);
  const columns = [
    'cluster',
    'namespace',
    'name',
    'kind',
    'class',
    'lifetime',
    'secretType',
    'createdAt',
    'rotatedAt',
    'ageDays',
    'expiresAt',
    'lastUsedAt',
    'lastUsedSource',
    'identity',
    'workloads',
    'owners',
    'openFindings',
    'id',
  ] as const;
  w.params.push(now.toISOString());
  const nowParam = `($${w.params.length}::timestamptz AT TIME ZONE 'UTC')`;
  return {
    columns,
    sql: `SELECT cl.name AS cluster, c.namespace, c.name, c.kind::text AS kind, c.class, c."secretType",
            ${iso('c."createdInClusterAt"')} AS "createdAt", ${iso('c."rotatedAt"')} AS "rotatedAt",
            floor(extract(epoch FROM (${nowParam} - COALESCE(c."rotatedAt", c."createdInClusterAt"))) / 86400)::int AS "ageDays",
            ${iso('c."expiresAt"')} AS "expiresAt", ${iso('c."lastUsedAt"')} AS "lastUsedAt", c."lastUsedSource",
            CASE WHEN ci.id IS NOT NULL THEN ci.namespace || '/' || ci.name END AS identity,
            COALESCE(u.workloads, '{}') AS workloads, COALESCE(o.owners, '{}') AS owners, COALESCE(x.open, 0) AS "openFindings", c.id
          FROM "Credential" c JOIN "Cluster" cl ON cl.id = c."clusterId" LEFT JOIN "Identity" ci ON ci.id = c."identityId"
          LEFT JOIN (SELECT u."credentialId", array_agg(DISTINCT w.namespace || '/' || w.kind || '/' || w.name) AS workloads
                     FROM "CredentialUse" u JOIN "Workload" w ON w.id = u."workloadId"
                     WHERE u."deletedAt" IS NULL AND w."deletedAt" IS NULL GROUP BY 1) u ON u."credentialId" = c.id
          LEFT JOIN (SELECT o."identityId", array_agg(DISTINCT t.name ORDER BY t.name) AS owners
                     FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."identityId" IS NOT NULL GROUP BY 1) o ON o."identityId" = c."identityId"
          LEFT JOIN (SELECT "credentialId", count(*)::int AS open FROM "Finding"
                     WHERE "credentialId" IS NOT NULL AND status = 'open' GROUP BY 1) x ON x."credentialId" = c.id
          ${w.sql}
          ORDER BY cl.name, c.namespace, c.name, c.kind`,
    params: w.params,
    toRow: (r) => {
      const cls = (
        (CREDENTIAL_CLASSES as readonly string[]).includes(String(r.class)) ? r.class : 'unrecognised-secret'
      ) as CredentialClass;
      const age = cls === 'projected-service-account-token' ? 0 : r.ageDays === null ? null : Math.max(0, Number(r.ageDays));
      return pick(columns)({ ...r, lifetime: CLASS_INFO[cls].lifetime, ageDays: age });
    },
  };
}

function exceptionsQuery(f: DatasetFilter<'exceptions'>, now: Date): DatasetQuery {
  const w = new Where();
  w.params.push(now.toISOString());
  const nowSql = `($1::timestamptz AT TIME ZONE 'UTC')`;
  const state = `CASE WHEN e."revokedAt" IS NOT NULL THEN 'revoked' WHEN e."expiredAt" IS NOT NULL OR e."expiresAt" <= ${nowSql} THEN 'expired' ELSE 'active' END`;
  if (f.cluster) w.add('cl.name = ?', f.cluster);
  if (f.state !== 'all') w.add(`${state} = ?`, f.state);
  const columns = [
    'state',
    'cluster',
    'rule',
    'severity',
    'findingStatus',
    'subject',
    'reason',
    'requestedBy',
    'approvedBy',
    'approvedAt',
    'expiresAt',
    'revokedAt',
    'revokedBy',
    'expiredAt',
    'findingId',
    'id',
  ] as const;
  return {
    columns,
    sql: `SELECT ${state} AS state, cl.name AS cluster, f."ruleId" AS rule, f.severity::text AS severity, f.status::text AS "findingStatus",
            regexp_replace(f."subjectKey", '^(identity|workload|credential):(ServiceAccount/)?', '') AS subject,
            e.reason, e."requestedBy", e."approvedBy", ${iso('e."approvedAt"')} AS "approvedAt", ${iso('e."expiresAt"')} AS "expiresAt",
            ${iso('e."revokedAt"')} AS "revokedAt", e."revokedBy", ${iso('e."expiredAt"')} AS "expiredAt", f.id AS "findingId", e.id
          FROM "FindingException" e JOIN "Finding" f ON f.id = e."findingId" JOIN "Cluster" cl ON cl.id = f."clusterId"
          ${w.sql}
          ORDER BY e."approvedAt" DESC, e.id`,
    params: w.params,
    toRow: pick(columns),
  };
}

function trailQuery(f: DatasetFilter<'trail'>, now: Date): DatasetQuery {
  const { sql, params } = trailWhere(f, now);
  const columns = [
    'seq',
    'at',
    'actor',
    'userId',
    'action',
    'target',
    'before',
    'after',
    'ip',
    'userAgent',
    'prevHash',
    'hash',
  ] as const;
  return {
    columns,
    sql: `SELECT seq::text AS seq, ${iso('at')} AS at, actor, "userId"::text AS "userId", action, target, before, after, ip, "userAgent", "prevHash", hash
          FROM "ActivityLog" ${sql} ORDER BY "ActivityLog".seq`,
    params,
    toRow: (r) => pick(columns)({ ...r, seq: Number(r.seq) }),
  };
}

/** The query of a dataset under its (already parsed) filter, at `now`. */
export function datasetQuery<D extends Dataset>(what: D, filter: DatasetFilter<D>, now: Date): DatasetQuery {
  switch (what) {
    case 'inventory':
      return inventoryQuery(filter as DatasetFilter<'inventory'>);
    case 'findings':
      return findingsQuery(filter as DatasetFilter<'findings'>);
    case 'credentials':
      return credentialsQuery(filter as DatasetFilter<'credentials'>, now);
    case 'exceptions':
      return exceptionsQuery(filter as DatasetFilter<'exceptions'>, now);
    default:
      return trailQuery(filter as DatasetFilter<'trail'>, now);
  }
}

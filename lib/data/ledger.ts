/**
 * The per-token ledger as readers see it (`nhi tokens`, /api/tokens, the identity page): every service
 * account token of the stored runtime events, newest activity first, with its minting TokenRequest and its
 * uses aggregated in PostgreSQL (GROUP BY the credential id: a token may have millions of uses, none is
 * loaded), the lists of pods, nodes, addresses and agents bounded to the top LEDGER_TOP with counts.
 * lib/runtime/ledger.ts builds the entries from these rows.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { invalidInput } from '@/lib/errors';
import {
  buildLedger,
  LEDGER_TOP,
  type LedgerDimension,
  type LedgerEntry,
  type LedgerToken,
  type MintRow,
  type UseCountRow,
  type UseSummaryRow,
} from '@/lib/runtime/ledger';
import { eventFilterSchema } from './events';
import { parseStored } from './json';

export const ledgerFilterSchema = z.object({
  cluster: eventFilterSchema.shape.cluster,
  /** The cluster by id (the identity page knows it); with `cluster`, both must hold. */
  clusterId: z.uuid().optional(),
  /** A ServiceAccount as `NAMESPACE/NAME`: the tokens minted for it or used as it. */
  identity: eventFilterSchema.shape.identity,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type LedgerFilter = z.input<typeof ledgerFilterSchema>;

/** The stored `event.tokenRequest` (lib/runtime/types.ts TokenRequestInfo), read back. */
const storedTokenRequestSchema = z
  .object({
    serviceAccount: z.object({ namespace: z.string(), name: z.string() }).nullish(),
    audiences: z.array(z.string()).nullish(),
    expirationSeconds: z.number().int().nullish(),
    boundObject: z.object({ kind: z.string(), name: z.string(), uid: z.string() }).nullish(),
    expiresAt: z.string().nullish(),
  })
  .nullish();

/** One request per audit ID (every stage the policy logs is one call), as in lib/data/activity.ts. */
const REQUEST = Prisma.sql`split_part(e.key, ':', 2)`;
const DENIED = Prisma.sql`(e."responseCode" IN (401, 403) OR e.event->>'decision' = 'forbid')`;

export async function tokenLedger(db: PrismaClient, filter: LedgerFilter): Promise<{ total: number; items: LedgerEntry[] }> {
  const parsed = ledgerFilterSchema.safeParse(filter);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidInput(`Invalid ledger filter "${issue?.path.join('.') || '?'}": ${issue?.message ?? 'invalid'}`);
  }
  const f = parsed.data;
  const [namespace, name] = f.identity ? (f.identity.split('/') as [string, string]) : [null, null];
  const cluster = Prisma.sql`${f.cluster ? Prisma.sql`AND e."clusterId" IN (SELECT id FROM "Cluster" WHERE name = ${f.cluster})` : Prisma.empty}
    ${f.clusterId ? Prisma.sql`AND e."clusterId" = ${f.clusterId}::uuid` : Prisma.empty}`;
  const usedAs = namespace ? Prisma.sql`AND e."saNamespace" = ${namespace} AND e."saName" = ${name}` : Prisma.empty;
  const mintedFor = namespace ? Prisma.sql`AND e.namespace = ${namespace} AND e.name = ${name}` : Prisma.empty;

  // The page of tokens: by their newest event (use or minting), with how many there are in all.
  const page = await db.$queryRaw<{ clusterId: string; cluster: string; credentialId: string; total: number }[]>`
    WITH seen AS (
      SELECT e."clusterId", e."credentialId" AS id, max(e.at) AS last FROM "RuntimeEvent" e
      WHERE e."credentialId" IS NOT NULL ${cluster} ${usedAs} GROUP BY 1, 2
      UNION ALL
      SELECT e."clusterId", e."issuedCredentialId", max(e.at) FROM "RuntimeEvent" e
      WHERE e."issuedCredentialId" IS NOT NULL ${cluster} ${mintedFor} GROUP BY 1, 2),
    tokens AS (SELECT "clusterId", id, max(last) AS last FROM seen GROUP BY 1, 2)
    SELECT t."clusterId"::text AS "clusterId", c.name AS cluster, t.id AS "credentialId", count(*) OVER ()::int AS total
    FROM tokens t JOIN "Cluster" c ON c.id = t."clusterId"
    ORDER BY t.last DESC, t.id, c.name LIMIT ${f.limit}`;
  if (!page.length) return { total: 0, items: [] };
  const tokens: LedgerToken[] = page.map(({ clusterId, cluster, credentialId }) => ({ clusterId, cluster, credentialId }));
  const clusterIds = tokens.map((t) => t.clusterId);
  const ids = tokens.map((t) => t.credentialId);

  // The minting TokenRequest of each (its first event carrying the issued id).
  const mintRows = await db.$queryRaw<
    (Omit<MintRow, 'audiences' | 'expirationSeconds' | 'boundObject' | 'expiresAt'> & { tokenRequest: unknown })[]
  >`
    SELECT DISTINCT ON (e."clusterId", e."issuedCredentialId") e."clusterId"::text AS "clusterId", e."issuedCredentialId" AS "credentialId",
           e.at, e.username, e.namespace, e.name, e."sourceIp", e."userAgent", e.event->'tokenRequest' AS "tokenRequest"
    FROM "RuntimeEvent" e JOIN unnest(${clusterIds}::uuid[], ${ids}::text[]) AS t(cid, id)
      ON e."clusterId" = t.cid AND e."issuedCredentialId" = t.id
    ORDER BY e."clusterId", e."issuedCredentialId", e.at, e.key`;
  const mints: MintRow[] = mintRows.map((m) => {
    const tr = parseStored(storedTokenRequestSchema, m.tokenRequest, `RuntimeEvent.event.tokenRequest of ${m.credentialId}`);
    return {
      clusterId: m.clusterId,
      credentialId: m.credentialId,
      at: m.at,
      username: m.username,
      namespace: m.namespace ?? tr?.serviceAccount?.namespace ?? null,
      name: m.name ?? tr?.serviceAccount?.name ?? null,
      sourceIp: m.sourceIp,
      userAgent: m.userAgent,
      audiences: tr?.audiences ?? [],
      expirationSeconds: tr?.expirationSeconds ?? null,
      boundObject: tr?.boundObject ?? null,
      expiresAt: tr?.expiresAt && Number.isFinite(Date.parse(tr.expiresAt)) ? new Date(tr.expiresAt).toISOString() : null,
    };
  });

  // What the uses are checked against: the bound pod and the expiry of each minted token.
  const mintOf = new Map(mints.map((m) => [`${m.clusterId}/${m.credentialId}`, m]));
  const boundPods = tokens.map((t) => {
    const b = mintOf.get(`${t.clusterId}/${t.credentialId}`)?.boundObject;
    return b?.kind === 'Pod' ? b.name : null;
  });
  const expiries = tokens.map((t) => mintOf.get(`${t.clusterId}/${t.credentialId}`)?.expiresAt ?? null);
  // `at` is a UTC wall time in a `timestamp` column: the ISO strings are cast to timestamp (their zone is
  // ignored), not timestamptz, so the comparison does not depend on the session's time zone.
  const scope = Prisma.sql`unnest(${clusterIds}::uuid[], ${ids}::text[], ${boundPods}::text[], ${expiries}::timestamp[])
    AS t(cid, id, "boundPod", "expiresAt")`;

  const [uses, counts] = await Promise.all([
    db.$queryRaw<UseSummaryRow[]>`
      SELECT e."clusterId"::text AS "clusterId", e."credentialId",
             count(DISTINCT ${REQUEST})::int AS calls, count(DISTINCT ${REQUEST}) FILTER (WHERE ${DENIED})::int AS denied,
             min(e.at) AS "firstAt", max(e.at) AS "lastAt", min(e."saNamespace") AS "saNamespace", min(e."saName") AS "saName",
             count(DISTINCT e."podName")::int AS pods, count(DISTINCT e.node)::int AS nodes,
             count(DISTINCT e."sourceIp")::int AS addresses, count(DISTINCT e."userAgent")::int AS agents,
             count(DISTINCT ${REQUEST}) FILTER (WHERE e.at > t."expiresAt")::int AS "afterExpiry",
             count(DISTINCT ${REQUEST}) FILTER (WHERE e."podName" <> t."boundPod")::int AS "foreignPod"
      FROM "RuntimeEvent" e JOIN ${scope} ON e."clusterId" = t.cid AND e."credentialId" = t.id
      GROUP BY 1, 2`,
    db.$queryRaw<UseCountRow[]>`
      WITH used AS MATERIALIZED (
        SELECT e."clusterId", e."credentialId", ${REQUEST} AS request, e.at, e."podName", e.node, e."sourceIp", e."userAgent"
        FROM "RuntimeEvent" e JOIN unnest(${clusterIds}::uuid[], ${ids}::text[]) AS t(cid, id)
          ON e."clusterId" = t.cid AND e."credentialId" = t.id),
      counted AS (
        SELECT "clusterId", "credentialId", 'pod' AS dim, "podName" AS value, count(DISTINCT request)::int AS calls, max(at) AS "lastAt"
          FROM used WHERE "podName" IS NOT NULL GROUP BY 1, 2, 4
        UNION ALL SELECT "clusterId", "credentialId", 'node', node, count(DISTINCT request)::int, max(at)
          FROM used WHERE node IS NOT NULL GROUP BY 1, 2, 4
        UNION ALL SELECT "clusterId", "credentialId", 'address', "sourceIp", count(DISTINCT request)::int, max(at)
          FROM used WHERE "sourceIp" IS NOT NULL GROUP BY 1, 2, 4
        UNION ALL SELECT "clusterId", "credentialId", 'agent', "userAgent", count(DISTINCT request)::int, max(at)
          FROM used WHERE "userAgent" IS NOT NULL GROUP BY 1, 2, 4)
      SELECT "clusterId"::text AS "clusterId", "credentialId", dim, value, calls, "lastAt" FROM (
        SELECT *, row_number() OVER (PARTITION BY "clusterId", "credentialId", dim ORDER BY calls DESC, value) AS rank FROM counted) ranked
      WHERE rank <= ${LEDGER_TOP}`,
  ]);
  return {
    total: page[0]!.total,
    items: buildLedger(
      tokens,
      mints,
      uses,
      counts.map((c) => ({ ...c, dim: c.dim as LedgerDimension })),
    ),
  };
}

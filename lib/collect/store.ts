import pg from 'pg';
import { poolConfigFromUrl } from '@/lib/db/url';
import { keySql } from '@/lib/keys';
import { diffInventories, type PreviousState, type TimelineChange } from './changes';
import type { Inventory } from './inventory';
import type { CollectionNote } from './types';

type Client = pg.PoolClient | pg.Client;
/** A Postgres type for jsonb_to_recordset's record definition (enum types by their quoted name). */
type ColType = string;
const BATCH = 5000;

// Timestamp columns hold UTC without a zone (Prisma's convention, which the read layer relies on). pg would
// write a Date parameter and read such a column in the process's local time zone: make both UTC.
pg.defaults.parseInputDatesAsUTC = true;
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (v: string) => new Date(`${v.replace(' ', 'T')}Z`));

/** A database connection for the collector: plain pg, bulk statements with one JSON parameter per batch. */
export function openStore(url: string): pg.Pool {
  const pool = new pg.Pool({ ...poolConfigFromUrl(url), max: 4 });
  // An idle connection the server ends (a restart, a dropped database) is an 'error' event on the pool: without a
  // listener Node would end the process. The pool replaces the connection at its next use; say what happened.
  pool.on('error', (e) => console.error(`database connection lost: ${e.message}`));
  return pool;
}

/**
 * Upserts rows into a cluster-owned table keyed by (clusterId, keys…), refreshing lastSeenAt and clearing
 * deletedAt, then marks every live row of the cluster that this sync did not see as deleted (history is
 * kept, nothing is erased). One statement per 5,000 rows (jsonb_to_recordset: no bind-variable limit).
 */
async function syncClusterTable(
  db: Client,
  table: string,
  clusterId: string,
  now: Date,
  keys: string[],
  columns: Record<string, ColType>,
  rows: Record<string, unknown>[],
): Promise<void> {
  const cols = Object.keys(columns);
  const recordDef = cols.map((c) => `"${c}" ${columns[c]}`).join(', ');
  const updates = cols.filter((c) => !keys.includes(c)).map((c) => `"${c}" = EXCLUDED."${c}"`);
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await db.query(
      `INSERT INTO "${table}" (id, "clusterId", ${cols.map((c) => `"${c}"`).join(', ')}, "firstSeenAt", "lastSeenAt", "deletedAt")
       SELECT gen_random_uuid(), $2::uuid, ${cols.map((c) => `x."${c}"`).join(', ')}, $3, $3, NULL
       FROM jsonb_to_recordset($1::jsonb) AS x(${recordDef})
       ON CONFLICT ("clusterId", ${keys.map((k) => `"${k}"`).join(', ')})
       DO UPDATE SET ${[...updates, `"lastSeenAt" = EXCLUDED."lastSeenAt"`, `"deletedAt" = NULL`].join(', ')}`,
      [JSON.stringify(batch), clusterId, now],
    );
  }
  await db.query(`UPDATE "${table}" SET "deletedAt" = $2 WHERE "clusterId" = $1 AND "deletedAt" IS NULL AND "lastSeenAt" < $2`, [
    clusterId,
    now,
  ]);
}

/** `k` → `id` of the rows a query returns (row ids by key, read once for a batch of writes). */
export async function keyMap(db: Client, sql: string, params: unknown[]): Promise<Map<string, string>> {
  const res = await db.query<{ k: string; id: string }>(sql, params);
  return new Map(res.rows.map((r) => [r.k, r.id]));
}

/** Identity, role and binding rows are matched to normalised records by the one key (lib/keys.ts), in SQL. */
const identityKeySql = keySql('i');
/** inventory.ts's workloadKey (`<namespace>/<kind>/<name>`) over a Workload row aliased `alias`, in SQL. */
export const workloadKeySql = (alias: string) => `${alias}.namespace || '/' || ${alias}.kind || '/' || ${alias}.name`;
/**
 * In SQL: Identity row `i` is the live ServiceAccount Workload row `w` runs as (its `serviceAccountName`, else
 * `default`), for a join condition.
 */
export const workloadAccountSql = (w: string, i: string) =>
  `${i}."clusterId" = ${w}."clusterId" AND ${i}.kind = 'ServiceAccount' AND ${i}.namespace = ${w}.namespace
   AND ${i}.name = COALESCE(${w}."serviceAccountName", 'default') AND ${i}."deletedAt" IS NULL`;
/** inventory.ts's credentialKey (`<namespace>/<kind>/<name>`) over a Credential row aliased `alias`, in SQL. */
export const credentialKeySql = (alias: string) => `${alias}.namespace || '/' || ${alias}.kind::text || '/' || ${alias}.name`;

/** Reads what the last sync of this cluster stored, for the timeline diff. */
async function readPrevious(db: Client, clusterId: string): Promise<PreviousState> {
  const live = `"clusterId" = $1 AND "deletedAt" IS NULL`;
  // One connection runs one query at a time: read sequentially.
  const queries = [
    () => db.query(`SELECT ${identityKeySql} AS key, kind::text AS kind, uid FROM "Identity" i WHERE ${live}`, [clusterId]),
    () =>
      db.query(`SELECT ${workloadKeySql('w')} AS key, images, "serviceAccountName" FROM "Workload" w WHERE ${live}`, [clusterId]),
    () =>
      db.query(
        `SELECT ${credentialKeySql('c')} AS key, c.uid, c.kind::text AS kind,
              CASE WHEN i.id IS NULL THEN NULL ELSE ${identityKeySql} END AS identity,
              c."resourceVersion", c.metadata, c.certificate, c."rotatedAt", c."lastUsedAt", c."lastUsedSource"
       FROM "Credential" c LEFT JOIN "Identity" i ON i.id = c."identityId" WHERE c."clusterId" = $1 AND c."deletedAt" IS NULL`,
        [clusterId],
      ),
    () => db.query(`SELECT ${keySql('r')} AS key, rules FROM "RbacRole" r WHERE ${live}`, [clusterId]),
    () =>
      db.query(`SELECT ${keySql('b')} AS key, "roleRefKind", "roleRefName", subjects FROM "RbacBinding" b WHERE ${live}`, [
        clusterId,
      ]),
  ];
  const results = [];
  for (const q of queries) results.push(await q());
  return {
    identities: results[0]!.rows,
    workloads: results[1]!.rows,
    credentials: results[2]!.rows,
    roles: results[3]!.rows,
    bindings: results[4]!.rows,
  } as PreviousState;
}

export interface SaveResult {
  changes: TimelineChange[];
  firstSync: boolean;
}

/**
 * Persists a cluster's inventory as of `now` in one transaction: upserts every table, soft-deletes what
 * disappeared, replaces inferred owners, records timeline events for what changed since the last sync
 * (none on the first sync, which is the baseline), and stores the cluster facts.
 */
export async function saveInventory(
  pool: pg.Pool,
  clusterId: string,
  inv: Inventory,
  now: Date,
  notes: CollectionNote[] = [],
): Promise<SaveResult> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    // Serialise syncs of one cluster (a watch and a manual run may overlap).
    await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [clusterId]);
    const previous = await readPrevious(db, clusterId);
    const firstSync = (await db.query(`SELECT 1 FROM "Identity" WHERE "clusterId" = $1 LIMIT 1`, [clusterId])).rowCount === 0;
    // What changed since the last sync (nothing on the first, which is the baseline). Rotations also set rotatedAt.
    const changes = firstSync ? [] : diffInventories(previous, inv);
    const rotatedAt = rotationTimes(previous, changes, inv, now);
    const lastUse = new Map(previous.credentials.map((c) => [c.key, c]));

    await syncClusterTable(
      db,
      'Namespace',
      clusterId,
      now,
      ['name'],
      { name: 'text', uid: 'text', labels: 'jsonb', annotations: 'jsonb', networkPolicies: 'text[]' },
      inv.namespaces as never,
    );
    await syncClusterTable(
      db,
      'Workload',
      clusterId,
      now,
      ['namespace', 'kind', 'name'],
      {
        namespace: 'text',
        kind: 'text',
        name: 'text',
        uid: 'text',
        serviceAccountName: 'text',
        automountToken: 'boolean',
        images: 'jsonb',
        labels: 'jsonb',
        annotations: 'jsonb',
        podSpecFacts: 'jsonb',
        podCount: 'int',
      },
      inv.workloads as never,
    );
    await syncClusterTable(
      db,
      'Identity',
      clusterId,
      now,
      ['kind', 'namespace', 'name'],
      {
        kind: '"IdentityKind"',
        namespace: 'text',
        name: 'text',
        uid: 'text',
        provider: 'text',
        builtIn: 'boolean',
        automountToken: 'boolean',
        labels: 'jsonb',
        annotations: 'jsonb',
      },
      inv.identities.map(({ key: _k, ...r }) => r),
    );
    const identityIds = await keyMap(db, `SELECT ${identityKeySql} AS k, id FROM "Identity" i WHERE "clusterId" = $1`, [
      clusterId,
    ]);
    const workloadIds = await keyMap(db, `SELECT ${workloadKeySql('w')} AS k, id FROM "Workload" w WHERE "clusterId" = $1`, [
      clusterId,
    ]);
    await syncClusterTable(
      db,
      'Credential',
      clusterId,
      now,
      ['namespace', 'name', 'kind'],
      {
        namespace: 'text',
        name: 'text',
        kind: '"CredentialKind"',
        secretType: 'text',
        uid: 'text',
        identityId: 'uuid',
        createdInClusterAt: 'timestamptz',
        expiresAt: 'timestamptz',
        rotatedAt: 'timestamptz',
        class: 'text',
        classReason: 'text',
        resourceVersion: 'text',
        lastUsedAt: 'timestamptz',
        lastUsedSource: 'text',
        invalidSince: 'timestamptz',
        certificate: 'jsonb',
        metadata: 'jsonb',
      },
      inv.credentials.map((c) => ({
        namespace: c.namespace,
        name: c.name,
        kind: c.kind,
        secretType: c.secretType,
        uid: c.uid,
        identityId: c.identity ? (identityIds.get(c.identity) ?? null) : null,
        createdInClusterAt: validDate(c.createdInClusterAt),
        expiresAt: validDate(c.expiresAt),
        rotatedAt: rotatedAt.get(c.key) ?? null,
        class: c.class,
        classReason: c.classReason,
        resourceVersion: c.resourceVersion,
        // A Secret recreated under the same name is a new credential: its predecessor's use is not its own.
        ...latestUse(c, lastUse.get(c.key)?.uid === c.uid ? lastUse.get(c.key) : undefined),
        invalidSince: validDate(c.invalidSince),
        certificate: c.certificate,
        metadata: c.metadata,
      })),
    );
    await syncClusterTable(
      db,
      'RbacRole',
      clusterId,
      now,
      ['kind', 'namespace', 'name'],
      { kind: 'text', namespace: 'text', name: 'text', uid: 'text', rules: 'jsonb', aggregationRule: 'jsonb', labels: 'jsonb' },
      inv.roles.map(({ key: _k, ...r }) => r),
    );
    await syncClusterTable(
      db,
      'RbacBinding',
      clusterId,
      now,
      ['kind', 'namespace', 'name'],
      { kind: 'text', namespace: 'text', name: 'text', uid: 'text', roleRefKind: 'text', roleRefName: 'text', subjects: 'jsonb' },
      inv.bindings.map(({ key: _k, ...r }) => r),
    );
    const credentialIds = await keyMap(
      db,
      `SELECT ${credentialKeySql('c')} AS k, id FROM "Credential" c WHERE "clusterId" = $1`,
      [clusterId],
    );

    await syncLinkTable(
      db,
      'WorkloadIdentity',
      ['workloadId', 'identityId'],
      clusterId,
      now,
      `"workloadId" IN (SELECT id FROM "Workload" WHERE "clusterId" = $1)`,
      inv.workloadIdentities.map((w) => ({ workloadId: workloadIds.get(w.workload), identityId: identityIds.get(w.identity) })),
    );
    await syncLinkTable(
      db,
      'CredentialUse',
      ['credentialId', 'workloadId', 'via'],
      clusterId,
      now,
      `"workloadId" IN (SELECT id FROM "Workload" WHERE "clusterId" = $1)`,
      inv.credentialUses.map((u) => ({
        credentialId: credentialIds.get(u.credential),
        workloadId: workloadIds.get(u.workload),
        via: u.via,
      })),
    );
    await syncLinkTable(
      db,
      'IdentityLink',
      ['fromId', 'toId', 'kind'],
      clusterId,
      now,
      `"fromId" IN (SELECT id FROM "Identity" WHERE "clusterId" = $1)`,
      inv.identityLinks.map((l) => ({
        fromId: identityIds.get(l.from),
        toId: identityIds.get(l.to),
        kind: l.kind,
        inferred: l.inferred,
        source: l.source,
      })),
      ['inferred', 'source'],
    );

    await replaceInferredOwners(db, clusterId, inv, identityIds, workloadIds);

    for (let i = 0; i < changes.length; i += BATCH) {
      const batch = changes.slice(i, i + BATCH).map((c) => ({
        kind: c.kind,
        summary: c.summary,
        details: c.details,
        identityId: c.identity ? (identityIds.get(c.identity) ?? null) : null,
        workloadId: c.workload ? (workloadIds.get(c.workload) ?? null) : null,
        credentialId: c.credential ? (credentialIds.get(c.credential) ?? null) : null,
      }));
      await db.query(
        `INSERT INTO "TimelineEvent" (id, "clusterId", at, kind, summary, "identityId", "workloadId", "credentialId", details)
         SELECT gen_random_uuid(), $2::uuid, $3, x.kind, x.summary, x."identityId"::uuid, x."workloadId"::uuid, x."credentialId"::uuid, x.details
         FROM jsonb_to_recordset($1::jsonb) AS x(kind text, summary text, "identityId" text, "workloadId" text, "credentialId" text, details jsonb)`,
        [JSON.stringify(batch), clusterId, now],
      );
    }
    await db.query(
      `UPDATE "Cluster" SET "lastSyncAt" = $2, facts = facts || $3::jsonb, "admissionPolicies" = $4::jsonb WHERE id = $1`,
      [clusterId, now, JSON.stringify({ ...inv.facts, notes }), JSON.stringify(inv.admissionPolicies)],
    );
    await db.query('COMMIT');
    return { changes, firstSync };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    db.release();
  }
}

/**
 * A credential's last use: the newer of what this collection read (the legacy-token-last-used label) and what
 * is stored (which runtime ingestion may have moved forward from audit events), with its source, so a
 * collection never takes back a later use seen in the audit log.
 */
export function latestUse(
  collected: { lastUsedAt: string | null; lastUsedSource: string | null },
  stored: { lastUsedAt: Date | string | null; lastUsedSource: string | null } | undefined,
): { lastUsedAt: string | null; lastUsedSource: string | null } {
  const fresh = validDate(collected.lastUsedAt);
  const kept = stored?.lastUsedAt ? new Date(stored.lastUsedAt).toISOString() : null;
  if (kept && (!fresh || kept > fresh)) return { lastUsedAt: kept, lastUsedSource: stored!.lastUsedSource };
  return { lastUsedAt: fresh, lastUsedSource: fresh ? collected.lastUsedSource : null };
}

/**
 * When each credential was last rotated: now for those rotated since the last sync (the creation time when
 * the Secret was recreated), else what was stored before, else what the object states itself.
 */
function rotationTimes(
  previous: PreviousState,
  changes: TimelineChange[],
  inv: Inventory,
  now: Date,
): Map<string, string | null> {
  const rotated = new Map(
    changes.filter((c) => c.kind === 'credential.rotated' && c.credential).map((c) => [c.credential!, c.details.reason]),
  );
  const stored = new Map(previous.credentials.map((c) => [c.key, c.rotatedAt]));
  const out = new Map<string, string | null>();
  for (const c of inv.credentials) {
    const reason = rotated.get(c.key);
    const at =
      reason === 'recreated' ? (validDate(c.createdInClusterAt) ?? now.toISOString()) : reason ? now.toISOString() : null;
    const before = stored.get(c.key);
    out.set(c.key, at ?? (before ? new Date(before).toISOString() : null) ?? validDate(c.rotatedAt));
  }
  return out;
}

function validDate(v: string | null): string | null {
  return v && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : null;
}

/** Like syncClusterTable for link tables whose rows belong to a cluster through a parent. */
async function syncLinkTable(
  db: Client,
  table: string,
  keys: string[],
  clusterId: string,
  now: Date,
  ownedBy: string,
  rows: Record<string, unknown>[],
  extra: string[] = [],
): Promise<void> {
  const complete = rows.filter((r) => keys.every((k) => r[k] !== undefined && r[k] !== null));
  const types: Record<string, string> = { via: 'text', kind: 'text', source: 'text', inferred: 'boolean' };
  const cols = [...keys, ...extra];
  const def = cols.map((c) => `"${c}" ${types[c] ?? 'uuid'}`).join(', ');
  const idCol = table === 'IdentityLink' ? 'id, ' : '';
  const idVal = table === 'IdentityLink' ? 'gen_random_uuid(), ' : '';
  for (let i = 0; i < complete.length; i += BATCH) {
    await db.query(
      `INSERT INTO "${table}" (${idCol}${cols.map((c) => `"${c}"`).join(', ')}, "firstSeenAt", "lastSeenAt", "deletedAt")
       SELECT ${idVal}${cols.map((c) => `x."${c}"`).join(', ')}, $2, $2, NULL FROM jsonb_to_recordset($1::jsonb) AS x(${def})
       ON CONFLICT (${keys.map((k) => `"${k}"`).join(', ')}) DO UPDATE SET ${[...extra.map((c) => `"${c}" = EXCLUDED."${c}"`), `"lastSeenAt" = EXCLUDED."lastSeenAt"`, `"deletedAt" = NULL`].join(', ')}`,
      [JSON.stringify(complete.slice(i, i + BATCH)), now],
    );
  }
  await db.query(`UPDATE "${table}" SET "deletedAt" = $2 WHERE ${ownedBy} AND "deletedAt" IS NULL AND "lastSeenAt" < $2`, [
    clusterId,
    now,
  ]);
}

async function replaceInferredOwners(
  db: Client,
  clusterId: string,
  inv: Inventory,
  identityIds: Map<string, string>,
  workloadIds: Map<string, string>,
): Promise<void> {
  await db.query(
    `DELETE FROM "Ownership" WHERE origin = 'inferred' AND ("identityId" IN (SELECT id FROM "Identity" WHERE "clusterId" = $1) OR "workloadId" IN (SELECT id FROM "Workload" WHERE "clusterId" = $1))`,
    [clusterId],
  );
  const teams = [...new Set(inv.ownerHints.map((h) => h.team))];
  if (!teams.length) return;
  await db.query(
    `INSERT INTO "Team" (id, name) SELECT gen_random_uuid(), t FROM unnest($1::text[]) AS t ON CONFLICT (name) DO NOTHING`,
    [teams],
  );
  const teamIds = await keyMap(db, `SELECT name AS k, id FROM "Team" WHERE name = ANY($1::text[])`, [teams]);
  const rows = inv.ownerHints.map((h) => ({
    teamId: teamIds.get(h.team),
    identityId: h.target.type === 'identity' ? (identityIds.get(h.target.key) ?? null) : null,
    workloadId: h.target.type === 'workload' ? (workloadIds.get(h.target.key) ?? null) : null,
    source: h.source,
  }));
  await db.query(
    `INSERT INTO "Ownership" (id, "teamId", "identityId", "workloadId", origin, source)
     SELECT gen_random_uuid(), x."teamId", x."identityId", x."workloadId", 'inferred', x.source
     FROM jsonb_to_recordset($1::jsonb) AS x("teamId" uuid, "identityId" uuid, "workloadId" uuid, source text)`,
    [JSON.stringify(rows)],
  );
}

/**
 * The id of the cluster named `name`, made (as an import) if the inventory has none by that name. Unlike
 * ensureCluster it never rewrites an existing cluster's source, server or context: for runtime events and
 * ingest tokens, which name a cluster without collecting it.
 */
export async function clusterIdNamed(pool: pg.Pool, name: string): Promise<string> {
  const res = await pool.query<{ id: string }>(
    `WITH made AS (
       INSERT INTO "Cluster" (id, name, source) VALUES (gen_random_uuid(), $1, 'import') ON CONFLICT (name) DO NOTHING RETURNING id)
     SELECT id FROM made UNION ALL SELECT id FROM "Cluster" WHERE name = $1`,
    [name],
  );
  return res.rows[0]!.id;
}

/** Creates the cluster row if needed, records how it is collected, and returns its id. */
export async function ensureCluster(
  pool: pg.Pool,
  name: string,
  source: 'kubeconfig' | 'in_cluster' | 'import' | 'demo',
  server: string | null,
  context: string | null,
): Promise<string> {
  const res = await pool.query<{ id: string }>(
    `INSERT INTO "Cluster" (id, name, source, server, context) VALUES (gen_random_uuid(), $1, $2::"ClusterSource", $3, $4)
     ON CONFLICT (name) DO UPDATE SET source = EXCLUDED.source, server = EXCLUDED.server, context = EXCLUDED.context RETURNING id`,
    [name, source, server, context],
  );
  return res.rows[0]!.id;
}

/** Records the start of a collection run at `startedAt` (as UTC: the column has no time zone and Prisma reads it as UTC). */
export async function startRun(pool: pg.Pool, clusterId: string, mode: string, startedAt: Date): Promise<string> {
  const res = await pool.query<{ id: string }>(
    `INSERT INTO "CollectionRun" (id, "clusterId", mode, "startedAt") VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id`,
    [clusterId, mode, startedAt.toISOString()],
  );
  return res.rows[0]!.id;
}

export async function updateRun(
  pool: pg.Pool,
  runId: string,
  patch: {
    progress?: number;
    counts?: Record<string, number>;
    errors?: CollectionNote[];
    phase?: 'running' | 'succeeded' | 'partial' | 'failed';
    /** Ends the run at this time (as UTC: the column has no time zone and Prisma reads it as UTC). */
    finishedAt?: Date;
  },
): Promise<void> {
  await pool.query(
    `UPDATE "CollectionRun" SET progress = COALESCE($2, progress), counts = COALESCE($3::jsonb, counts), errors = COALESCE($4::jsonb, errors),
       phase = COALESCE($5::"RunPhase", phase), "finishedAt" = COALESCE($6::timestamp(3), "finishedAt") WHERE id = $1`,
    [
      runId,
      patch.progress ?? null,
      patch.counts ? JSON.stringify(patch.counts) : null,
      patch.errors ? JSON.stringify(patch.errors) : null,
      patch.phase ?? null,
      patch.finishedAt?.toISOString() ?? null,
    ],
  );
}

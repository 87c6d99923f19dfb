/**
 * The server side of the agent mode (POST /api/push/inventory; the agent is push-agent.ts, the format
 * push-protocol.ts). The cluster's ingest token decides the cluster (the body cannot name another); a batch is
 * applied once per (agent session, sequence number) and the result saved as the cluster's inventory by the same
 * path as a collection run or an import (recordSnapshot: normalise, store with history, credentials, reach, then
 * findings and risk).
 *
 * Nothing is kept in the process between requests: the pushed objects (PushObject) and each session's last
 * sequence number (PushCursor) are in Postgres, and a batch is applied inside one transaction that holds a
 * per-cluster advisory lock (taken with try: a second batch of the same cluster, on this replica or another,
 * answers 503 with Retry-After instead of holding a connection while it waits). The objects and the cursor are
 * written after the inventory is saved, in that transaction: when the save fails nothing is recorded as applied
 * and the agent's resend applies it again; when the commit fails after a save, the resend saves the same state.
 */
import pg from 'pg';
import { gunzipSync } from 'node:zlib';
import { AppError, forbidden, invalidInput } from '@/lib/errors';
import { json } from '@/lib/http/route';
import { IngestLimiter } from '@/lib/runtime/limiter';
import { authenticateIngest } from '@/lib/runtime/tokens';
import { parseFields } from '@/lib/validate';
import { recordSnapshot } from './collect';
import {
  applyToObjects,
  decideBatch,
  MAX_PUSH_BODY_BYTES,
  MAX_PUSH_JSON_BYTES,
  pushBatchSchema,
  pushSafe,
  snapshotOfObjects,
  type Cursor,
  type Item,
  type PushBatch,
} from './push-protocol';
import { itemKey } from './reducer';
import type { ResourceKey } from './types';

const limiter = new IngestLimiter(Number(process.env.NHI_PUSH_MAX_IN_FLIGHT ?? 2));
const BATCH = 5000;

export interface PushAck {
  /** `applied`, or `duplicate`: this sequence number was applied before (nothing done again). */
  status: 'applied' | 'duplicate';
  seq: number;
  /** The sequence number the server expects next from this session. */
  next: number;
  /** Objects the cluster holds now (pushed ones). */
  objects?: number;
  /** The inventory save, when the batch completed a state (null for a snapshot's earlier parts and heartbeats). */
  saved?: { phase: string; changes: number; seconds: number } | null;
}

const tooLarge = (what: string) =>
  invalidInput(
    `the ${what} is larger than ${Math.round((what === 'body' ? MAX_PUSH_BODY_BYTES : MAX_PUSH_JSON_BYTES) / 1048576)} MB; send smaller batches`,
    {
      code: 'PUSH_TOO_LARGE',
    },
  );

/** The request body, at most MAX_PUSH_BODY_BYTES, gunzipped (to at most MAX_PUSH_JSON_BYTES) when it is gzip. */
export async function readPushBody(request: Request): Promise<string> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') throw invalidInput('send the body as gzip or without content-encoding');
  if (Number(request.headers.get('content-length') ?? 0) > MAX_PUSH_BODY_BYTES) throw tooLarge('body');
  const chunks: Buffer[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_PUSH_BODY_BYTES) {
        await reader.cancel().catch(() => {});
        throw tooLarge('body');
      }
      chunks.push(Buffer.from(value));
    }
  }
  const body = Buffer.concat(chunks);
  // gzip by its magic bytes: a proxy may have decoded the body and left the header.
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    try {
      return gunzipSync(body, { maxOutputLength: MAX_PUSH_JSON_BYTES }).toString('utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('decompressed body');
      throw invalidInput('the body is not valid gzip');
    }
  }
  if (encoding === 'gzip') throw invalidInput('the body is not valid gzip');
  if (body.length > MAX_PUSH_JSON_BYTES) throw tooLarge('decompressed body');
  return body.toString('utf8');
}

/** POST /api/push/inventory: authenticate, read, validate and apply one batch. */
export async function pushRequest(pool: pg.Pool, request: Request, now: Date = new Date()): Promise<PushAck | Response> {
  const { clusterId } = await authenticateIngest(pool, request.headers.get('authorization'), now);
  const text = await readPushBody(request);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidInput('the body is not JSON');
  }
  const batch = parseFields(pushBatchSchema, raw) as PushBatch;
  const name = (await pool.query<{ name: string }>(`SELECT name FROM "Cluster" WHERE id = $1`, [clusterId])).rows[0]!.name;
  if (batch.cluster !== undefined && batch.cluster !== name)
    throw forbidden(`this token speaks for cluster "${name}", not "${batch.cluster}"`, { code: 'PUSH_WRONG_CLUSTER' });
  return limiter.run(() => applyBatch(pool, { id: clusterId, name }, batch, now));
}

type Stored = { resource: ResourceKey; object: Item };

async function readObjects(db: pg.ClientBase, clusterId: string): Promise<Map<string, Stored>> {
  const res = await db.query<{ resource: ResourceKey; key: string; object: Item }>(
    `SELECT resource, key, object FROM "PushObject" WHERE "clusterId" = $1`,
    [clusterId],
  );
  return new Map(res.rows.map((r) => [`${r.resource}\u0000${r.key}`, { resource: r.resource, object: r.object }]));
}

async function writeObjects(db: pg.ClientBase, clusterId: string, batch: PushBatch): Promise<void> {
  if (batch.reset) await db.query(`DELETE FROM "PushObject" WHERE "clusterId" = $1`, [clusterId]);
  for (let i = 0; i < batch.deletes.length; i += BATCH)
    await db.query(
      `DELETE FROM "PushObject" p USING jsonb_to_recordset($2::jsonb) AS x(resource text, key text)
       WHERE p."clusterId" = $1 AND p.resource = x.resource AND p.key = x.key`,
      [clusterId, JSON.stringify(batch.deletes.slice(i, i + BATCH))],
    );
  for (let i = 0; i < batch.upserts.length; i += BATCH) {
    const rows = batch.upserts
      .slice(i, i + BATCH)
      .map((u) => ({ resource: u.resource, key: itemKey(u.object), object: u.object }));
    await db.query(
      `INSERT INTO "PushObject" ("clusterId", resource, key, object)
       SELECT $1, x.resource, x.key, x.object FROM jsonb_to_recordset($2::jsonb) AS x(resource text, key text, object jsonb)
       ON CONFLICT ("clusterId", resource, key) DO UPDATE SET object = EXCLUDED.object`,
      [clusterId, JSON.stringify(rows)],
    );
  }
}

/** Whether the cluster's latest collection run failed (the next save then records a run again, as a watcher does). */
async function lastRunFailed(db: pg.ClientBase, clusterId: string): Promise<boolean> {
  const res = await db.query<{ phase: string }>(
    `SELECT phase::text AS phase FROM "CollectionRun" WHERE "clusterId" = $1 ORDER BY "startedAt" DESC LIMIT 1`,
    [clusterId],
  );
  return res.rows[0]?.phase === 'failed';
}

async function applyBatch(
  pool: pg.Pool,
  cluster: { id: string; name: string },
  incoming: PushBatch,
  now: Date,
): Promise<PushAck | Response> {
  // The server reduces what it keeps itself, whatever the agent sent (an old or modified agent included).
  const batch: PushBatch = {
    ...incoming,
    upserts: incoming.upserts.map((u) => ({ resource: u.resource, object: pushSafe(u.resource, u.object as Item) })),
  };
  // A connection of its own, not the pool's: it waits on the pool's connections while the inventory is saved.
  const client = new pg.Client(pool.options);
  await client.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`, [
      `nhi-push:${cluster.id}`,
    ]);
    if (!locked.rows[0]!.ok)
      throw new AppError('unavailable', 'busy: another batch of this cluster is being applied; retry shortly', {
        code: 'PUSH_BUSY',
        details: { retryAfterSeconds: 1 },
      });
    const row = (
      await client.query<{ lastSeq: number; current: boolean; snapshotAt: Date | null }>(
        `SELECT "lastSeq", current, "snapshotAt" FROM "PushCursor" WHERE "clusterId" = $1 AND "sessionId" = $2`,
        [cluster.id, batch.session],
      )
    ).rows[0];
    const cursor: Cursor | undefined = row && { session: batch.session, lastSeq: row.lastSeq, current: row.current };
    const decision = decideBatch(cursor, batch);
    if (decision.action === 'duplicate') return { status: 'duplicate', seq: batch.seq, next: decision.next };
    if (decision.action === 'gap')
      return json(
        {
          error: `batch ${batch.seq} does not follow the last one applied: send ${decision.expected} next`,
          code: 'PUSH_GAP',
          expected: decision.expected,
        },
        409,
      );
    if (decision.action === 'snapshot-needed')
      return json({ error: `${decision.reason}: send a snapshot`, code: 'PUSH_SNAPSHOT_NEEDED' }, 409);

    // A heartbeat (an empty change batch) only says the agent is alive.
    const empty = !batch.reset && !batch.upserts.length && !batch.deletes.length;
    // The batch that makes this session's snapshot whole: a collection run of its own, like a watcher's first save.
    const completesSnapshot = batch.complete && (batch.reset || !row?.snapshotAt);
    let saved: PushAck['saved'] = null;
    let objects: number | undefined;
    if (!empty && batch.complete) {
      const state = batch.reset ? new Map<string, Stored>() : await readObjects(client, cluster.id);
      applyToObjects(state, batch);
      objects = state.size;
      const run = completesSnapshot || (await lastRunFailed(client, cluster.id)) ? 'record' : 'on-failure';
      const outcome = await recordSnapshot(
        pool,
        { name: cluster.name, source: batch.agent.source, server: batch.agent.server, context: batch.agent.context },
        'push',
        snapshotOfObjects(state.values()),
        batch.notes,
        { run },
      );
      saved = { phase: outcome.phase, changes: outcome.changes, seconds: outcome.seconds };
    }
    if (!empty) await writeObjects(client, cluster.id, batch);
    objects ??= Number(
      (await client.query<{ n: string }>(`SELECT count(*) AS n FROM "PushObject" WHERE "clusterId" = $1`, [cluster.id])).rows[0]!
        .n,
    );
    if (batch.reset) {
      await client.query(`UPDATE "PushCursor" SET current = false WHERE "clusterId" = $1 AND "sessionId" <> $2`, [
        cluster.id,
        batch.session,
      ]);
      // Sessions long gone are forgotten (a replay of theirs then asks for a snapshot, which its agent no longer sends).
      await client.query(
        `DELETE FROM "PushCursor" WHERE "clusterId" = $1 AND NOT current AND "lastPushAt" < $2::timestamp - interval '30 days'`,
        [cluster.id, now],
      );
    }
    const snapshotAt = batch.reset ? (batch.complete ? now : null) : completesSnapshot ? now : (row?.snapshotAt ?? null);
    await client.query(
      `INSERT INTO "PushCursor" ("clusterId", "sessionId", "lastSeq", current, "startedAt", "lastPushAt", "snapshotAt", objects, agent)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8::jsonb)
       ON CONFLICT ("clusterId", "sessionId") DO UPDATE SET "lastSeq" = EXCLUDED."lastSeq", current = EXCLUDED.current,
         "lastPushAt" = EXCLUDED."lastPushAt", "snapshotAt" = EXCLUDED."snapshotAt", objects = EXCLUDED.objects, agent = EXCLUDED.agent`,
      [
        cluster.id,
        batch.session,
        batch.seq,
        batch.reset || row?.current === true,
        now,
        snapshotAt,
        objects,
        JSON.stringify(batch.agent),
      ],
    );
    await client.query('COMMIT');
    return { status: 'applied', seq: batch.seq, next: batch.seq + 1, objects, saved };
  } finally {
    // After a COMMIT this is a no-op; after an early return or a throw it undoes everything and frees the lock.
    await client.query('ROLLBACK').catch(() => {});
    await client.end().catch(() => {});
  }
}

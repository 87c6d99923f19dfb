/**
 * The runtime event store: parsed events written in bulk (one UNNEST statement per 5,000 events), into
 * day partitions of "RuntimeEvent" made as events arrive (schema nhi_runtime), each event once per
 * cluster and key (a replay is counted as a duplicate), and old days dropped by retention.
 */
import type pg from 'pg';
import { invalidInput } from '@/lib/errors';
import type { RuntimeEvent } from './types';

const BATCH = 5000;
const DAY = 86_400_000;
const PARTITION_SCHEMA = 'nhi_runtime';

/** `RuntimeEvent_20261129` for the UTC day of `at`. */
export function partitionName(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw invalidInput(`not a day: ${day}`);
  return `RuntimeEvent_${day.replaceAll('-', '')}`;
}

const dayOf = (iso: string) => new Date(iso).toISOString().slice(0, 10);
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + DAY).toISOString().slice(0, 10);

/**
 * Creates the day partitions the events need (idempotent). Concurrent DDL on one parent may collide, so
 * writers take a transaction lock, on one connection: a session lock taken through a pool could be taken
 * on one connection and released on another, and then held for good.
 */
export async function ensurePartitions(pool: pg.Pool, days: Iterable<string>): Promise<void> {
  const wanted = [...new Set(days)];
  if (!wanted.length) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('nhi_runtime_partitions'))`);
    for (const day of wanted) {
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${PARTITION_SCHEMA}"."${partitionName(day)}" PARTITION OF "RuntimeEvent"
         FOR VALUES FROM ('${day}') TO ('${nextDay(day)}')`,
      );
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/** `[group/]resource[/subresource]`, e.g. `secrets`, `apps/deployments/scale`. */
const resourceText = (e: RuntimeEvent) =>
  e.resource ? [e.resource.group, e.resource.resource, e.resource.subresource].filter(Boolean).join('/') || null : null;

/**
 * What the columns do not already hold, without nulls and empty values (a fraction of the event's size,
 * which is most of the cost of a write): groups, annotations, stage, request URI, decision, token facts,
 * Falco's alert.
 */
function detailJson(e: RuntimeEvent): string {
  const detail: Record<string, unknown> = {};
  const keep = (k: string, v: unknown) => {
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return;
    if (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length) return;
    detail[k] = v;
  };
  keep('stage', e.stage);
  keep('requestURI', e.requestURI);
  keep('decision', e.decision);
  keep('groups', e.user?.groups);
  keep('impersonatedUser', e.impersonatedUser);
  keep('podUid', e.pod?.uid);
  keep('sourceIPs', e.sourceIPs.length > 1 ? e.sourceIPs : undefined);
  keep('legacyToken', e.legacyToken);
  keep('staleToken', e.staleToken);
  keep('tokenRequest', e.tokenRequest);
  keep('annotations', e.annotations);
  keep('falco', e.falco);
  return JSON.stringify(detail);
}

export interface StoreResult {
  inserted: number;
  duplicates: number;
}

/** Writes events of one cluster; those already stored (same key) are skipped and counted. */
export async function storeEvents(db: pg.Pool, clusterId: string, events: readonly RuntimeEvent[]): Promise<StoreResult> {
  let inserted = 0;
  await ensurePartitions(
    db,
    events.map((e) => dayOf(e.at)),
  );
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    const col = <T>(f: (e: RuntimeEvent) => T) => batch.map(f);
    const res = await db.query(
      `INSERT INTO "RuntimeEvent" ("clusterId", at, key, source, verb, resource, namespace, name, "responseCode", username,
          "saNamespace", "saName", "podName", node, "credentialId", "issuedCredentialId", "sourceIp", "userAgent", event)
       SELECT $1::uuid, * FROM UNNEST($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
          $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
          $18::text[], $19::jsonb[])
       ON CONFLICT DO NOTHING`,
      [
        clusterId,
        col((e) => e.at),
        col((e) => e.key),
        col((e) => e.source),
        col((e) => e.verb),
        col(resourceText),
        col((e) => e.resource?.namespace ?? e.workload?.namespace ?? null),
        col((e) => e.resource?.name ?? e.workload?.pod ?? null),
        col((e) => e.responseCode),
        col((e) => e.user?.username ?? null),
        col((e) => e.serviceAccount?.namespace ?? null),
        col((e) => e.serviceAccount?.name ?? null),
        col((e) => e.pod?.name ?? e.workload?.pod ?? null),
        col((e) => e.node),
        col((e) => e.credentialId),
        col((e) => e.issuedCredentialId),
        col((e) => e.sourceIPs[0] ?? null),
        col((e) => e.userAgent || null),
        col(detailJson),
      ],
    );
    inserted += res.rowCount ?? 0;
  }
  return { inserted, duplicates: events.length - inserted };
}

/** Drops the day partitions older than `days` days before `now`; returns the tables dropped. */
export async function dropExpiredPartitions(db: pg.Pool, days: number, now: Date): Promise<string[]> {
  if (!Number.isInteger(days) || days < 1) throw invalidInput(`retention must be a whole number of days ≥ 1, got ${days}`);
  const cutoff = partitionName(new Date(now.getTime() - days * DAY).toISOString().slice(0, 10));
  const res = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE i.inhparent = '"RuntimeEvent"'::regclass AND n.nspname = $1 ORDER BY 1`,
    [PARTITION_SCHEMA],
  );
  const expired = res.rows.map((r) => r.name).filter((name) => name < cutoff);
  for (const name of expired) await db.query(`DROP TABLE "${PARTITION_SCHEMA}"."${name}"`);
  return expired;
}

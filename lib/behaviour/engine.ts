/**
 * Detection over the event store: for each ServiceAccount whose events just arrived (a webhook batch, an
 * `nhi ingest` run, or `nhi anomalies detect`), learn its baseline once its learning window has passed
 * (event time), run the detectors (detect.ts) over the new events' time range, and merge what they raise
 * into anomalies, one per fingerprint. Each ServiceAccount is handled in one transaction under an
 * advisory lock, so concurrent batches of one identity never race.
 *
 * Idempotent: re-running over events already seen merges the same evidence into the same rows; counts are
 * read from the store, not kept in memory, so the result does not depend on how events were batched.
 */
import { BlockList } from 'node:net';
import type pg from 'pg';
import { podNamePattern, workloadOfPod } from '@/lib/runtime/attribution';
import type { RuntimeEvent } from '@/lib/runtime/types';
import { learnBaseline, loadBaseline, storeBaseline, type CallShape, type StoredBaseline } from './baseline';
import { DETECTORS, type DetectorId, type Severity } from './catalogue';
import {
  burstBucket,
  denied,
  detectAlert,
  detectCall,
  globRegExp,
  type AlertEvent,
  type Baseline,
  type CallEvent,
  type Candidate,
} from './detect';
import { classProfile, loadProfiles, profilesLabel, type BehaviourProfiles } from './profiles';
import { asWorkloadClass, serviceAccountClass, type ClassifiedWorkload } from './workload-class';

/** A ServiceAccount and the event-time range of its new events (ms). */
export interface SubjectRange {
  namespace: string;
  name: string;
  from: number;
  to: number;
}

export interface DetectResult {
  subjects: number;
  /** Anomalies made or given new evidence. */
  raised: number;
  created: number;
  /** The ServiceAccounts with anomalies made or given new evidence (their risk scores change). */
  changed: { namespace: string; name: string }[];
}

const HOUR = 3_600_000;
const MAX_EVIDENCE = 50;
const FINAL_STAGE = `(e.key LIKE '%:ResponseComplete' OR e.key LIKE '%:Panic')`;
const SA = `e."clusterId" = $1 AND e."saNamespace" = $2 AND e."saName" = $3`;
/** Refused by the authorizer (detect.ts `denied`): admission and quota refusals carry the decision `allow`. */
const DENIED = `e."responseCode" = 403 AND e.event->>'decision' IS DISTINCT FROM 'allow'`;

/** The ServiceAccounts of parsed events and the time range of each (the webhook's batch). */
export function subjectRangesOf(events: readonly RuntimeEvent[]): { subjects: SubjectRange[]; alerts: SubjectRange[] } {
  const subjects = new Map<string, SubjectRange>();
  const alerts = new Map<string, SubjectRange>();
  const add = (map: Map<string, SubjectRange>, namespace: string, name: string, at: number) => {
    const k = `${namespace}/${name}`;
    const r = map.get(k);
    if (!r) map.set(k, { namespace, name, from: at, to: at });
    else {
      r.from = Math.min(r.from, at);
      r.to = Math.max(r.to, at);
    }
  };
  for (const e of events) {
    const at = Date.parse(e.at);
    if (e.serviceAccount) add(subjects, e.serviceAccount.namespace, e.serviceAccount.name, at);
    else if (e.source === 'falco' && e.workload) add(alerts, e.workload.namespace, e.workload.pod, at);
  }
  return { subjects: [...subjects.values()], alerts: [...alerts.values()] };
}

/** The ServiceAccounts with events in a time range, and the pods with Falco alerts (an ingested file). */
export async function subjectRangesIn(
  pool: pg.Pool,
  clusterId: string,
  from: Date,
  to: Date,
): Promise<{ subjects: SubjectRange[]; alerts: SubjectRange[] }> {
  const q = async (ns: string, name: string, where: string) =>
    (
      await pool.query<{ namespace: string; name: string; from: Date; to: Date }>(
        `SELECT ${ns} AS namespace, ${name} AS name, min(e.at) AS "from", max(e.at) AS "to" FROM "RuntimeEvent" e
         WHERE e."clusterId" = $1 AND e.at >= $2 AND e.at < $3 AND ${where} GROUP BY 1, 2`,
        [clusterId, from, to],
      )
    ).rows.map((r) => ({ namespace: r.namespace, name: r.name, from: r.from.getTime(), to: r.to.getTime() }));
  return {
    subjects: await q(`e."saNamespace"`, `e."saName"`, `e."saNamespace" IS NOT NULL`),
    alerts: await q('e.namespace', `e."podName"`, `e.source = 'falco' AND e.namespace IS NOT NULL AND e."podName" IS NOT NULL`),
  };
}

const DAY = 86_400_000;

/** Runs the detectors over the UTC days an ingestion run brought events for (IngestResult.days). */
export async function detectDays(
  pool: pg.Pool,
  clusterId: string,
  days: { first: string; last: string } | null,
  profiles: BehaviourProfiles,
): Promise<DetectResult | null> {
  if (!days) return null;
  const from = new Date(`${days.first}T00:00:00Z`);
  const to = new Date(Date.parse(`${days.last}T00:00:00Z`) + DAY);
  return detectAnomalies(pool, clusterId, await subjectRangesIn(pool, clusterId, from, to), { profiles });
}

interface WorkloadRow extends ClassifiedWorkload {
  id: string;
  namespace: string;
  serviceAccountName: string | null;
}

async function workloadsOf(db: pg.Pool | pg.ClientBase, clusterId: string, namespace: string): Promise<WorkloadRow[]> {
  const rows = await db.query<WorkloadRow & { images: unknown; labels: unknown }>(
    `SELECT id, namespace, kind, name, images, labels, "serviceAccountName", "classOverride", "classOverrideReason"
     FROM "Workload" WHERE "clusterId" = $1 AND namespace = $2 AND "deletedAt" IS NULL ORDER BY kind, name`,
    [clusterId, namespace],
  );
  return rows.rows.map((r) => ({
    ...r,
    images: Array.isArray(r.images) ? (r.images as string[]) : [],
    labels: (r.labels ?? {}) as Record<string, string>,
    classOverride: asWorkloadClass(r.classOverride),
  }));
}

/** Runs detection for new events: ServiceAccounts with their ranges, and pods with Falco alerts. */
export async function detectAnomalies(
  pool: pg.Pool,
  clusterId: string,
  input: { subjects: SubjectRange[]; alerts?: SubjectRange[] },
  options: { profiles?: BehaviourProfiles } = {},
): Promise<DetectResult> {
  const profiles = options.profiles ?? loadProfiles();
  const subjects = new Map(input.subjects.map((s) => [`${s.namespace}/${s.name}`, { ...s }]));
  // Falco alerts name pods: their workload's ServiceAccount is the subject.
  const byNamespace = new Map<string, WorkloadRow[]>();
  for (const a of input.alerts ?? []) {
    if (!byNamespace.has(a.namespace)) byNamespace.set(a.namespace, await workloadsOf(pool, clusterId, a.namespace));
    const w = workloadOfPod(a.name, byNamespace.get(a.namespace)!);
    if (!w?.serviceAccountName) continue;
    const k = `${a.namespace}/${w.serviceAccountName}`;
    const s = subjects.get(k);
    if (s) {
      s.from = Math.min(s.from, a.from);
      s.to = Math.max(s.to, a.to);
    } else subjects.set(k, { namespace: a.namespace, name: w.serviceAccountName, from: a.from, to: a.to });
  }
  // What every ServiceAccount of the run is judged with, read or built once.
  const shared = { profiles, suppressions: await activeSuppressions(pool, clusterId), podNetworks: podNetworks(profiles) };
  const result: DetectResult = { subjects: subjects.size, raised: 0, created: 0, changed: [] };
  for (const s of [...subjects.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`nhi-behaviour ${clusterId} ${s.namespace}/${s.name}`]);
      const r = await detectSubject(client, clusterId, s, shared);
      await client.query('COMMIT');
      result.raised += r.raised;
      result.created += r.created;
      if (r.raised || r.created) result.changed.push({ namespace: s.namespace, name: s.name });
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }
  return result;
}

/** Re-runs detection over every stored event of a cluster (after a change of profiles, or on demand). */
export async function detectStored(
  pool: pg.Pool,
  clusterId: string,
  options: { profiles?: BehaviourProfiles; relearn?: boolean } = {},
): Promise<DetectResult> {
  if (options.relearn)
    await pool.query(`UPDATE "Baseline" SET "learnedAt" = NULL, "firstEventAt" = 'epoch' WHERE "clusterId" = $1`, [clusterId]);
  return detectAnomalies(pool, clusterId, await subjectRangesIn(pool, clusterId, new Date(0), new Date(8.64e15)), options);
}

interface BaselineRow extends StoredBaseline {
  class: string;
  firstEventAt: Date;
  learnUntil: Date;
  learnedAt: Date | null;
  events: number;
  accepted: string[];
}

async function detectSubject(
  db: pg.ClientBase,
  clusterId: string,
  s: SubjectRange,
  {
    profiles,
    suppressions,
    podNetworks,
  }: { profiles: BehaviourProfiles; suppressions: Suppression[]; podNetworks: BlockList | null },
): Promise<{ raised: number; created: number }> {
  const subject = { namespace: s.namespace, name: s.name };
  const args = [clusterId, s.namespace, s.name];
  const workloads = (await workloadsOf(db, clusterId, s.namespace)).filter((w) => w.serviceAccountName === s.name);
  const decision = serviceAccountClass(subject, workloads);
  const profile = classProfile(profiles, decision.class);

  // The baseline: (re)learned when its window has passed in event time, or when older events arrived.
  const span = (
    await db.query<{ first: Date | null; last: Date | null }>(
      `SELECT min(e.at) AS first, max(e.at) AS last FROM "RuntimeEvent" e WHERE ${SA} AND e.source = 'audit'`,
      args,
    )
  ).rows[0]!;
  const firstAt = span.first?.getTime() ?? s.from;
  const learnUntil = firstAt + profile.learningWindowMs;
  const stored = (
    await db.query<BaselineRow>(`SELECT * FROM "Baseline" WHERE "clusterId" = $1 AND "saNamespace" = $2 AND "saName" = $3`, args)
  ).rows[0];
  const accepted = stored?.accepted ?? [];
  let baseline: Baseline | null = null;
  const windowCalls = async () =>
    (
      await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "RuntimeEvent" e WHERE ${SA} AND e.at >= $4 AND e.at < $5 AND ${FINAL_STAGE}`,
        [...args, new Date(firstAt), new Date(learnUntil)],
      )
    ).rows[0]!.n;
  const sameWindow =
    stored &&
    stored.firstEventAt.getTime() === firstAt &&
    stored.learnUntil.getTime() === learnUntil &&
    stored.class === decision.class;
  // A learned baseline stays unless calls of its window arrived since (a replay brings none).
  const current = sameWindow && !(stored.learnedAt && s.from < learnUntil && (await windowCalls()) !== stored.events);
  // Learning (or relearning) re-judges the identity's whole history against the new baseline, so that the
  // result does not depend on the order in which events arrived (an older file imported after a newer one).
  let full = false;
  if (current && stored.learnedAt) baseline = loadBaseline(stored);
  else if (span.last && span.last.getTime() >= learnUntil) {
    full = true;
    baseline = await learn(db, args, subject, firstAt, learnUntil);
    const calls = await windowCalls();
    const b = storeBaseline(baseline);
    // False positives fed back before are kept: their actions, namespaces and addresses stay learned.
    for (const fp of accepted) feedBack(b, fp);
    baseline = loadBaseline(b);
    await writeBaseline(db, args, decision, firstAt, learnUntil, new Date(), b, calls, accepted);
  } else if (!current) {
    await writeBaseline(db, args, decision, firstAt, learnUntil, null, storeBaseline(learnBaseline([], subject, 0)), 0, accepted);
  }

  const from = full ? Math.min(s.from, firstAt) : s.from;
  const to = full ? Math.max(s.to, span.last!.getTime()) : s.to;
  const calls = await callsIn(db, args, from, to);
  const alerts = await alertsIn(db, clusterId, s.namespace, workloads, from, to);
  if (!calls.length && !alerts.length && !full) return { raised: 0, created: 0 };

  const ctx = {
    subject,
    cls: decision.class,
    profile,
    learnUntil,
    baseline,
    accepted: new Set(accepted),
    podNetworks,
    tokenFirstSource: await tokenFirstSources(db, clusterId, calls),
    deniedCounts: await deniedCounts(db, args, calls, profile.deniedBurst.windowMs),
    hourCounts: baseline ? await hourCounts(db, args, calls, learnUntil) : new Map<number, number>(),
  };
  const candidates: Candidate[] = [];
  for (const e of calls) candidates.push(...detectCall(e, ctx));
  for (const a of alerts) {
    const c = detectAlert(a, ctx);
    if (c) candidates.push(c);
  }
  await addBurstEvidence(db, args, candidates, profile.deniedBurst.windowMs);
  if (full) await dropUnraised(db, args, new Set(candidates.map((c) => c.fingerprint)));
  if (!candidates.length) return { raised: 0, created: 0 };
  const identityId =
    (
      await db.query<{ id: string }>(
        `SELECT id FROM "Identity" WHERE "clusterId" = $1 AND kind = 'ServiceAccount' AND namespace = $2 AND name = $3 AND "deletedAt" IS NULL`,
        args,
      )
    ).rows[0]?.id ?? null;
  const context = { class: decision.class, classReason: decision.reason, profiles: profilesLabel(profiles) };
  let raised = 0;
  let created = 0;
  for (const group of groupByFingerprint(candidates)) {
    const pod = group.find((c) => c.podName)?.podName;
    const workload = (pod && workloadOfPod(pod, workloads)) || (workloads.length === 1 ? workloads[0]! : null);
    const suppression = suppressions.find((r) => r.matches(clusterId, subject, group[0]!));
    const made = await mergeAnomaly(db, clusterId, subject, group, full, {
      identityId,
      workloadId: workload?.id ?? null,
      context,
      suppressionId: suppression?.id ?? null,
    });
    raised++;
    if (made) created++;
  }
  return { raised, created };
}

async function learn(
  db: pg.ClientBase,
  args: string[],
  subject: { namespace: string; name: string },
  from: number,
  until: number,
): Promise<Baseline> {
  const window = [...args, new Date(from), new Date(until)];
  const shapes = await db.query<CallShape>(
    `SELECT DISTINCT e.verb, e.resource, e.namespace, e."responseCode", e."sourceIp", e."userAgent",
            CASE WHEN e.resource IS NULL THEN split_part(e.event->>'requestURI', '?', 1) END AS "requestURI",
            e."podName" IS NULL AS podless
     FROM "RuntimeEvent" e WHERE ${SA} AND e.at >= $4 AND e.at < $5 AND ${FINAL_STAGE} AND e.verb IS NOT NULL`,
    window,
  );
  const peak = await db.query<{ n: number | null }>(
    `SELECT max(n)::int AS n FROM (SELECT count(*) AS n FROM "RuntimeEvent" e
       WHERE ${SA} AND e.at >= $4 AND e.at < $5 AND ${FINAL_STAGE} GROUP BY date_trunc('hour', e.at)) h`,
    window,
  );
  return learnBaseline(shapes.rows, subject, peak.rows[0]?.n ?? 0);
}

async function writeBaseline(
  db: pg.ClientBase,
  args: string[],
  decision: { class: string; reason: string },
  firstAt: number,
  learnUntil: number,
  learnedAt: Date | null,
  b: StoredBaseline,
  events: number,
  accepted: string[],
): Promise<void> {
  await db.query(
    `INSERT INTO "Baseline" ("clusterId", "saNamespace", "saName", class, "classReason", "firstEventAt", "learnUntil", "learnedAt",
       actions, namespaces, sources, "userAgents", podless, "maxPerHour", events, accepted, "updatedAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
     ON CONFLICT ("clusterId", "saNamespace", "saName") DO UPDATE SET class = $4, "classReason" = $5, "firstEventAt" = $6,
       "learnUntil" = $7, "learnedAt" = $8, actions = $9, namespaces = $10, sources = $11, "userAgents" = $12, podless = $13,
       "maxPerHour" = $14, events = $15, accepted = $16, "updatedAt" = now()`,
    [
      ...args,
      decision.class,
      decision.reason,
      new Date(firstAt),
      new Date(learnUntil),
      learnedAt,
      b.actions,
      b.namespaces,
      b.sources,
      b.userAgents,
      b.podless,
      b.maxPerHour,
      events,
      accepted,
    ],
  );
}

/**
 * What a false positive teaches the baseline: the action, namespace, address or client it was about. The
 * fingerprint itself is kept in `accepted`, so a signature (an exec, a token request) is not raised again.
 */
export function feedBack(b: StoredBaseline, fingerprint: string): void {
  const [detector, subject] = fingerprint.split('|', 2) as [DetectorId, string];
  const detail = fingerprint.slice(detector.length + subject.length + 2);
  const add = (list: string[], v: string) => {
    if (!list.includes(v)) {
      list.push(v);
      list.sort();
    }
  };
  if (detector === 'new-action') add(b.actions, detail);
  else if (detector === 'new-namespace') add(b.namespaces, detail);
  else if (detector === 'new-source' && detail.startsWith('address ')) add(b.sources, detail.slice(8));
  else if (detector === 'new-source' && detail.startsWith('agent ')) add(b.userAgents, detail.slice(6));
  else if (detector === 'human-use' && detail === 'kubectl-pod-token') add(b.userAgents, 'kubectl');
  else if (detector === 'human-use' && detail === 'podless') b.podless = true;
}

async function callsIn(db: pg.ClientBase, args: string[], from: number, to: number): Promise<CallEvent[]> {
  const rows = await db.query<Omit<CallEvent, 'at'> & { at: Date }>(
    `SELECT e.key, e.at, e.verb, e.resource, e.namespace, e.name, e."responseCode", e."podName", e."credentialId",
            e."sourceIp", e."userAgent", e.event->>'requestURI' AS "requestURI", e.event->>'decision' AS decision,
            e.event->'impersonatedUser'->>'username' AS impersonated
     FROM "RuntimeEvent" e WHERE ${SA} AND e.at >= $4 AND e.at <= $5 AND ${FINAL_STAGE} AND e.verb IS NOT NULL
     ORDER BY e.at, e.key`,
    [...args, new Date(from), new Date(to)],
  );
  return rows.rows.map((r) => ({ ...r, at: r.at.getTime() }));
}

async function alertsIn(
  db: pg.ClientBase,
  clusterId: string,
  namespace: string,
  workloads: readonly WorkloadRow[],
  from: number,
  to: number,
): Promise<AlertEvent[]> {
  const patterns = workloads.map(podNamePattern).filter((p): p is string => p !== null);
  if (!patterns.length) return [];
  const rows = await db.query<Omit<AlertEvent, 'at'> & { at: Date }>(
    `SELECT e.key, e.at, e.event->'falco'->>'rule' AS rule, e.event->'falco'->>'priority' AS priority, e."podName", e.namespace
     FROM "RuntimeEvent" e WHERE e."clusterId" = $1 AND e.source = 'falco' AND e.namespace = $2 AND e."podName" ~ ANY($3::text[])
       AND e.at >= $4 AND e.at <= $5 ORDER BY e.at, e.key`,
    [clusterId, namespace, patterns, new Date(from), new Date(to)],
  );
  return rows.rows.map((r) => ({ ...r, rule: r.rule ?? '(no rule)', priority: r.priority ?? '', at: r.at.getTime() }));
}

async function tokenFirstSources(db: pg.ClientBase, clusterId: string, calls: CallEvent[]): Promise<Map<string, string>> {
  const ids = [...new Set(calls.filter((c) => c.credentialId && c.podName).map((c) => c.credentialId!))];
  if (!ids.length) return new Map();
  const rows = await db.query<{ credentialId: string; sourceIp: string }>(
    `SELECT DISTINCT ON (e."credentialId") e."credentialId", e."sourceIp" FROM "RuntimeEvent" e
     WHERE e."clusterId" = $1 AND e."credentialId" = ANY($2::text[]) AND e."sourceIp" IS NOT NULL
     ORDER BY e."credentialId", e.at, e.key`,
    [clusterId, ids],
  );
  return new Map(rows.rows.map((r) => [r.credentialId, r.sourceIp]));
}

/** Denied calls per burst window, for the windows the new denied calls fall in. */
async function deniedCounts(
  db: pg.ClientBase,
  args: string[],
  calls: CallEvent[],
  windowMs: number,
): Promise<Map<number, number>> {
  const buckets = [...new Set(calls.filter(denied).map((c) => burstBucket(c.at, windowMs)))];
  if (!buckets.length) return new Map();
  const rows = await db.query<{ bucket: string; n: number }>(
    `SELECT (floor(extract(epoch FROM e.at) * 1000 / $4) * $4)::bigint AS bucket, count(*)::int AS n
     FROM "RuntimeEvent" e WHERE ${SA} AND ${DENIED} AND ${FINAL_STAGE} AND e.at >= $5 AND e.at < $6 GROUP BY 1`,
    [...args, windowMs, new Date(Math.min(...buckets)), new Date(Math.max(...buckets) + windowMs)],
  );
  return new Map(rows.rows.map((r) => [Number(r.bucket), r.n]));
}

/** Calls per hour, for the hours after the learning window that the new calls fall in. */
async function hourCounts(
  db: pg.ClientBase,
  args: string[],
  calls: CallEvent[],
  learnUntil: number,
): Promise<Map<number, number>> {
  const hours = calls.filter((c) => c.at >= learnUntil).map((c) => Math.floor(c.at / HOUR) * HOUR);
  if (!hours.length) return new Map();
  const rows = await db.query<{ hour: Date; n: number }>(
    `SELECT date_trunc('hour', e.at) AS hour, count(*)::int AS n FROM "RuntimeEvent" e
     WHERE ${SA} AND ${FINAL_STAGE} AND e.at >= $4 AND e.at < $5 GROUP BY 1`,
    [...args, new Date(Math.min(...hours)), new Date(Math.max(...hours) + HOUR)],
  );
  return new Map(rows.rows.map((r) => [r.hour.getTime(), r.n]));
}

function podNetworks(profiles: BehaviourProfiles): BlockList | null {
  if (!profiles.spec.podNetworks.length) return null;
  const list = new BlockList();
  for (const cidr of profiles.spec.podNetworks) {
    const [net, bits] = cidr.split('/') as [string, string];
    list.addSubnet(net, Number(bits), net.includes(':') ? 'ipv6' : 'ipv4');
  }
  return list;
}

function groupByFingerprint(candidates: Candidate[]): Candidate[][] {
  const groups = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const g = groups.get(c.fingerprint);
    if (g) g.push(c);
    else groups.set(c.fingerprint, [c]);
  }
  return [...groups.values()];
}

interface Suppression {
  id: string;
  matches: (clusterId: string, subject: { namespace: string; name: string }, c: Candidate) => boolean;
}

/** Suppression rules not revoked; each applies to events before its expiry (event time). */
async function activeSuppressions(pool: pg.Pool, clusterId: string): Promise<Suppression[]> {
  const rows = await pool.query<{
    id: string;
    clusterId: string | null;
    detector: string | null;
    namespace: string | null;
    name: string | null;
    expiresAt: Date;
  }>(
    `SELECT id, "clusterId", detector, namespace, name, "expiresAt" FROM "AnomalySuppression"
     WHERE "revokedAt" IS NULL AND ("clusterId" IS NULL OR "clusterId" = $1) ORDER BY "createdAt", id`,
    [clusterId],
  );
  return rows.rows.map((r) => {
    const name = r.name ? globRegExp(r.name) : null;
    return {
      id: r.id,
      matches: (cluster, subject, c) =>
        (!r.clusterId || r.clusterId === cluster) &&
        (!r.detector || r.detector === c.detector) &&
        (!r.namespace || r.namespace === subject.namespace) &&
        (!name || name.test(subject.name)) &&
        c.at < r.expiresAt.getTime(),
    };
  });
}

interface AnomalyRow {
  id: string;
  eventKeys: string[];
  eventTimes: Date[];
  eventCount: number;
  lastEventAt: Date;
  status: string;
  history: unknown[];
}

/**
 * A burst is all the denied calls of its window, also those that came in batches before the threshold was
 * reached (they were below it then): the evidence is read from the store, whatever the batching.
 */
async function addBurstEvidence(db: pg.ClientBase, args: string[], candidates: Candidate[], windowMs: number): Promise<void> {
  const bursts = new Map(candidates.filter((c) => c.detector === 'denied-burst').map((c) => [c.fingerprint, c]));
  for (const c of bursts.values()) {
    const start = burstBucket(c.at, windowMs);
    const have = new Set(candidates.filter((x) => x.fingerprint === c.fingerprint).map((x) => x.key));
    const rows = await db.query<{ key: string; at: Date; podName: string | null }>(
      `SELECT e.key, e.at, e."podName" FROM "RuntimeEvent" e
       WHERE ${SA} AND ${DENIED} AND ${FINAL_STAGE} AND e.at >= $4 AND e.at < $5 ORDER BY e.at, e.key`,
      [...args, new Date(start), new Date(start + windowMs)],
    );
    for (const r of rows.rows)
      if (!have.has(r.key)) candidates.push({ ...c, key: r.key, at: r.at.getTime(), podName: r.podName });
  }
}

/**
 * After a full re-judgement: the anomalies of the identity that it no longer raises and that nobody has
 * decided on yet (open, no history) are removed; those a person acted on stay.
 */
async function dropUnraised(db: pg.ClientBase, args: string[], raised: Set<string>): Promise<void> {
  await db.query(
    `DELETE FROM "Anomaly" WHERE "clusterId" = $1 AND "saNamespace" = $2 AND "saName" = $3 AND status = 'open'
       AND history = '[]'::jsonb AND NOT (fingerprint = ANY($4::text[]))`,
    [...args, [...raised]],
  );
}

/**
 * Merges one fingerprint's candidates into its anomaly; true when the anomaly is new. `replace` (a full
 * re-judgement: the candidates are all its events) sets the evidence instead of adding to it.
 */
async function mergeAnomaly(
  db: pg.ClientBase,
  clusterId: string,
  subject: { namespace: string; name: string },
  group: Candidate[],
  replace: boolean,
  refs: { identityId: string | null; workloadId: string | null; context: object; suppressionId: string | null },
): Promise<boolean> {
  const sorted = [...group].sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const severity = worst(sorted.map((c) => c.severity));
  const info = DETECTORS[first.detector];
  const explanation = `${info.why} Here: ${first.summary}.`;
  const existing = (
    await db.query<AnomalyRow>(
      `SELECT id, "eventKeys", "eventTimes", "eventCount", "lastEventAt", status, history FROM "Anomaly"
       WHERE "clusterId" = $1 AND fingerprint = $2 FOR UPDATE`,
      [clusterId, first.fingerprint],
    )
  ).rows[0];
  const evidence = new Map<string, number>(
    replace ? [] : (existing?.eventKeys.map((k, i) => [k, existing.eventTimes[i]!.getTime()]) ?? []),
  );
  const before = evidence.size;
  for (const c of sorted) evidence.set(c.key, c.at);
  const merged = [...evidence].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, MAX_EVIDENCE);
  // Exact when all its events were judged (or fit the list); else the events judged since its last one are added.
  const count =
    replace || evidence.size <= MAX_EVIDENCE || !existing
      ? Math.max(evidence.size, replace ? 0 : (existing?.eventCount ?? 0))
      : existing.eventCount + sorted.filter((c) => c.at > existing.lastEventAt.getTime()).length;
  if (!existing) {
    const status = refs.suppressionId ? 'suppressed' : 'open';
    await db.query(
      `INSERT INTO "Anomaly" (id, "clusterId", "saNamespace", "saName", "identityId", "workloadId", detector, fingerprint, severity,
         "owaspIds", summary, explanation, facts, context, "eventKeys", "eventTimes", "eventCount", "firstEventAt", "lastEventAt",
         status, history, "suppressionId", "updatedAt")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8::"Severity", $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
         $19::"AnomalyStatus", $20, $21, now())`,
      [
        clusterId,
        subject.namespace,
        subject.name,
        refs.identityId,
        refs.workloadId,
        first.detector,
        first.fingerprint,
        severity,
        info.owasp,
        first.summary,
        explanation,
        JSON.stringify(first.facts),
        JSON.stringify(refs.context),
        merged.map((m) => m[0]),
        merged.map((m) => new Date(m[1])),
        count,
        new Date(first.at),
        new Date(last.at),
        status,
        JSON.stringify(status === 'suppressed' ? [{ status, by: 'suppression rule', at: new Date().toISOString() }] : []),
        refs.suppressionId,
      ],
    );
    return true;
  }
  if (!replace && evidence.size === before && last.at <= existing.lastEventAt.getTime()) return false;
  // A resolved anomaly whose behaviour comes back (later in event time) is open again.
  const reopen = existing.status === 'resolved' && last.at > existing.lastEventAt.getTime();
  const history = reopen
    ? [
        ...existing.history,
        { status: 'open', by: 'detector', at: new Date().toISOString(), note: 'the behaviour was seen again' },
      ]
    : existing.history;
  await db.query(
    `UPDATE "Anomaly" SET "eventKeys" = $2, "eventTimes" = $3, "eventCount" = $4,
       "firstEventAt" = CASE WHEN $12 THEN $5 ELSE LEAST("firstEventAt", $5) END,
       "lastEventAt" = CASE WHEN $12 THEN $6 ELSE GREATEST("lastEventAt", $6) END,
       severity = CASE WHEN $12 THEN $7::"Severity" ELSE GREATEST(severity, $7::"Severity") END,
       summary = CASE WHEN $12 THEN $13 ELSE summary END, explanation = CASE WHEN $12 THEN $14 ELSE explanation END,
       facts = CASE WHEN $12 THEN $15::jsonb ELSE facts END, status = CASE WHEN $8 THEN 'open'::"AnomalyStatus" ELSE status END,
       history = $9, "identityId" = COALESCE("identityId", $10), "workloadId" = COALESCE("workloadId", $11), "updatedAt" = now()
     WHERE id = $1`,
    [
      existing.id,
      merged.map((m) => m[0]),
      merged.map((m) => new Date(m[1])),
      count,
      new Date(first.at),
      new Date(last.at),
      severity,
      reopen,
      JSON.stringify(history),
      refs.identityId,
      refs.workloadId,
      replace,
      first.summary,
      explanation,
      JSON.stringify(first.facts),
    ],
  );
  return false;
}

const ORDER = ['info', 'low', 'medium', 'high', 'critical'] as const;
const worst = (list: Severity[]) => list.reduce<Severity>((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'info');

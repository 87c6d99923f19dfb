/**
 * The behaviour engine on the real PostgreSQL, over generated audit events with event times spread over two
 * hours (a one-hour learning window, set by profiles): planted abuse after the window is found for the
 * abusing ServiceAccount with its evidence, normal workloads raise nothing, and the anomalies are the same
 * whether the events come as one file, as webhook batches in time order, replayed, or in reverse order.
 * Then the workflow: a false positive feeds the baseline, a suppression rule suppresses and is revoked, a
 * resolved anomaly reopens when its behaviour comes back.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { ensureCluster as ensureClusterRow, openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { createSuppression, getAnomaly, listAnomalies, revokeSuppression, setAnomalyStatus } from '@/lib/data/anomalies';
import { parseRuntimeText } from '@/lib/runtime/parse';
import { storeEvents } from '@/lib/runtime/store';
import { detectAnomalies, detectStored, subjectRangesOf } from './engine';
import { DEFAULT_PROFILES, type BehaviourProfiles } from './profiles';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

const T0 = Date.parse('2026-11-02T08:00:00Z');
const MIN = 60_000;
const API_POD = 'api-7d9f8c6b5-x2k9p';
const OPERATOR_POD = 'shop-operator-6b5c4d3f2-abcde';
const profiles: BehaviourProfiles = {
  ...DEFAULT_PROFILES,
  metadata: { name: 'test-one-hour', version: 1 },
  spec: {
    ...DEFAULT_PROFILES.spec,
    defaults: { ...DEFAULT_PROFILES.spec.defaults, learningWindow: 3_600_000, deniedBurst: { count: 10, window: 300_000 } },
    classes: { controller: { ...DEFAULT_PROFILES.spec.classes.controller, learningWindow: 3_600_000 } },
  },
};

let seq = 0;
function audit(
  at: number,
  sa: string,
  over: {
    verb?: string;
    resource?: string;
    sub?: string;
    group?: string;
    ns?: string | null;
    name?: string;
    code?: number;
    pod?: string | null;
    agent?: string;
    ip?: string;
  } = {},
) {
  const ns = over.ns === undefined ? 'shop' : over.ns;
  const pod = over.pod === undefined ? (sa === 'api' ? API_POD : OPERATOR_POD) : over.pod;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `id-${++seq}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/${ns ? `namespaces/${ns}/` : ''}${over.resource ?? 'configmaps'}`,
    verb: over.verb ?? 'list',
    user: {
      username: `system:serviceaccount:shop:${sa}`,
      groups: ['system:serviceaccounts', 'system:authenticated'],
      extra: pod
        ? { 'authentication.kubernetes.io/pod-name': [pod], 'authentication.kubernetes.io/credential-id': [`JTI=${sa}-1`] }
        : {},
    },
    sourceIPs: [over.ip ?? (sa === 'api' ? '10.0.0.7' : '10.0.0.9')],
    userAgent: over.agent ?? `${sa}/1.0`,
    objectRef: {
      resource: over.resource ?? 'configmaps',
      ...(over.sub ? { subresource: over.sub } : {}),
      ...(over.group ? { apiGroup: over.group } : {}),
      ...(ns ? { namespace: ns } : {}),
      ...(over.name ? { name: over.name } : {}),
    },
    responseStatus: { code: over.code ?? 200 },
    requestReceivedTimestamp: new Date(at).toISOString(),
    stageTimestamp: new Date(at + 5).toISOString(),
  };
}

/** Two hours: both workloads call as usual every 2 minutes; after 90 minutes, api's token is abused. */
function traffic(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let t = T0; t < T0 + 120 * MIN; t += 2 * MIN) {
    events.push(audit(t, 'api'), audit(t + 1000, 'api', { verb: 'get', resource: 'secrets', name: 'db' }));
    events.push(
      audit(t + 500, 'shop-operator', { verb: 'watch', resource: 'pods', ns: null }),
      audit(t + 600, 'shop-operator', {
        verb: 'update',
        resource: 'leases',
        group: 'coordination.k8s.io',
        name: 'shop-operator',
      }),
    );
  }
  const abuse = T0 + 90 * MIN;
  events.push(audit(abuse, 'api', { verb: 'list', resource: 'secrets', ns: 'payments' }));
  for (let i = 0; i < 12; i++)
    events.push(audit(abuse + MIN + i * 1000, 'api', { verb: 'get', resource: 'pods', ns: 'kube-system', code: 403 }));
  events.push(audit(abuse + 3 * MIN, 'api', { verb: 'create', resource: 'pods', sub: 'exec', name: API_POD }));
  events.push(
    audit(abuse + 4 * MIN, 'api', {
      verb: 'list',
      resource: 'configmaps',
      agent: 'kubectl/v1.37.2 (linux/amd64) kubernetes/abc',
    }),
  );
  return events;
}

const lines = (events: Record<string, unknown>[]) => events.map((e) => JSON.stringify(e)).join('\n');

async function newCluster(name: string): Promise<string> {
  const clusterId = await ensureClusterRow(pool, name, 'import', null, null);
  await pool.query(
    `INSERT INTO "Workload" (id, "clusterId", namespace, kind, name, "serviceAccountName", images, labels)
     VALUES (gen_random_uuid(), $1, 'shop', 'Deployment', 'api', 'api', '["registry.example/shop/api:1.4"]', '{}'),
            (gen_random_uuid(), $1, 'shop', 'Deployment', 'shop-operator', 'shop-operator', '["registry.example/shop/operator:2"]',
             '{"app.kubernetes.io/component":"controller"}')`,
    [clusterId],
  );
  return clusterId;
}

/** Stores events and runs detection as the webhook route does, one batch at a time. */
async function ingestBatches(clusterId: string, batches: Record<string, unknown>[][]): Promise<void> {
  for (const batch of batches) {
    const { events, rejected } = parseRuntimeText(lines(batch));
    expect(rejected).toEqual([]);
    await storeEvents(pool, clusterId, events);
    await detectAnomalies(pool, clusterId, subjectRangesOf(events), { profiles });
  }
}

interface Row {
  fingerprint: string;
  detector: string;
  sa: string;
  severity: string;
  eventKeys: string[];
  eventCount: number;
  summary: string;
}
async function anomaliesOf(clusterId: string): Promise<Row[]> {
  return (
    await pool.query<Row>(
      `SELECT fingerprint, detector, "saNamespace" || '/' || "saName" AS sa, severity::text, "eventKeys", "eventCount", summary
       FROM "Anomaly" WHERE "clusterId" = $1 ORDER BY fingerprint`,
      [clusterId],
    )
  ).rows;
}

const chunk = <T>(list: T[], size: number) =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

let live: Row[];
let liveCluster: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'behaviour');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  liveCluster = await newCluster('live');
  const all = traffic();
  await ingestBatches(liveCluster, chunk(all, 25));
  live = await anomaliesOf(liveCluster);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

describe('the behaviour engine over stored events', () => {
  it('finds each planted abuse for the abusing ServiceAccount, with its evidence, and nothing for the normal workloads', async () => {
    expect(new Set(live.map((a) => a.sa))).toEqual(new Set(['shop/api']));
    const byDetector = new Map(live.map((a) => [a.detector, a]));
    expect([...byDetector.keys()].sort()).toEqual(['denied-burst', 'exec', 'human-use', 'new-namespace', 'secret-access']);
    expect(byDetector.get('secret-access')).toMatchObject({
      severity: 'high',
      summary: 'list secrets in namespace payments',
      eventCount: 1,
    });
    expect(byDetector.get('denied-burst')).toMatchObject({
      eventCount: 12,
      summary: expect.stringMatching(/^12 denied requests within 5 min/),
    });
    expect(byDetector.get('human-use')!.fingerprint).toBe('human-use|shop/api|kubectl-pod-token');
    // Every evidence key is a stored event of that ServiceAccount.
    const keys = live.flatMap((a) => a.eventKeys);
    const found = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "RuntimeEvent" WHERE "clusterId" = $1 AND key = ANY($2::text[]) AND "saName" = 'api'`,
      [liveCluster, keys],
    );
    expect(found.rows[0]!.n).toBe(new Set(keys).size);
    // The baseline learned what api did in its first hour, and its class.
    const baseline = await prisma.baseline.findFirstOrThrow({ where: { clusterId: liveCluster, saName: 'api' } });
    expect(baseline).toMatchObject({
      class: 'service',
      actions: ['get secrets own', 'list configmaps own'],
      sources: ['10.0.0.7'],
      userAgents: ['api'],
    });
    expect(baseline.learnUntil.toISOString()).toBe('2026-11-02T09:00:00.005Z');
    const operator = await prisma.baseline.findFirstOrThrow({ where: { clusterId: liveCluster, saName: 'shop-operator' } });
    expect(operator.class).toBe('controller');
    // Anomalies name the workload whose pod made the calls, and the page's reader gives the evidence events.
    const page = await listAnomalies(prisma, { cluster: 'live', status: 'active', page: 1 });
    expect(page.total).toBe(5);
    expect(page.items[0]!.workload).toMatchObject({ kind: 'Deployment', name: 'api' });
    const detail = (await getAnomaly(prisma, page.items.find((a) => a.detector === 'denied-burst')!.id))!;
    expect(detail.events).toHaveLength(12);
    expect(detail.events.every((e) => e.responseCode === 403)).toBe(true);
  });

  it('gives the same anomalies for one file-sized batch, a replay, and the events in reverse order', async () => {
    const once = await newCluster('once');
    await ingestBatches(once, [traffic().map((e) => ({ ...e }))]);
    // The generator numbers audit IDs: regenerate the same events by resetting the sequence.
    const normalise = (rows: Row[]) =>
      rows.map(({ fingerprint, detector, sa, severity, eventCount }) => ({ fingerprint, detector, sa, severity, eventCount }));
    expect(normalise(await anomaliesOf(once))).toEqual(normalise(live));

    seq = 0;
    const same = traffic();
    const replayed = await newCluster('replayed');
    await ingestBatches(replayed, chunk(same, 40));
    const first = await anomaliesOf(replayed);
    expect(first).toEqual(live);
    await ingestBatches(replayed, chunk(same, 40));
    expect(await anomaliesOf(replayed)).toEqual(first);

    const reversed = await newCluster('reversed');
    await ingestBatches(reversed, chunk(same, 30).reverse());
    expect(await anomaliesOf(reversed)).toEqual(first);
  });

  it('feeds a false positive back into the baseline, so it is not raised again', async () => {
    const c = await newCluster('feedback');
    seq = 10_000;
    await ingestBatches(c, [traffic()]);
    const ns = (await prisma.anomaly.findFirstOrThrow({ where: { clusterId: c, detector: 'new-namespace' } })).id;
    const after = await setAnomalyStatus(prisma, ns, { status: 'false_positive', by: 'alice', note: 'payments is ours too' });
    expect(after).toMatchObject({ status: 'false_positive', statusBy: 'alice' });
    expect(after.history).toEqual([
      expect.objectContaining({ status: 'false_positive', by: 'alice', note: 'payments is ours too' }),
    ]);
    const baseline = await prisma.baseline.findFirstOrThrow({ where: { clusterId: c, saName: 'api' } });
    expect(baseline.namespaces).toContain('payments');
    expect(baseline.accepted).toEqual(['new-namespace|shop/api|payments']);
    // More calls into payments later: no new anomaly for the namespace (the secret read still is one).
    await ingestBatches(c, [[audit(T0 + 150 * MIN, 'api', { verb: 'list', resource: 'configmaps', ns: 'payments' })]]);
    expect(await prisma.anomaly.count({ where: { clusterId: c, detector: 'new-namespace' } })).toBe(1);
    expect(await prisma.anomaly.count({ where: { clusterId: c, detector: 'new-action' } })).toBe(1);
    // Relearning keeps what was fed back.
    await detectStored(pool, c, { profiles, relearn: true });
    const relearned = await prisma.baseline.findFirstOrThrow({ where: { clusterId: c, saName: 'api' } });
    expect(relearned.accepted).toEqual(['new-namespace|shop/api|payments']);
    expect(await prisma.anomaly.findUniqueOrThrow({ where: { id: ns } })).toMatchObject({ status: 'false_positive' });
  });

  it('suppresses with a rule until it is revoked, and reopens a resolved anomaly when its behaviour comes back', async () => {
    const c = await newCluster('workflow');
    seq = 20_000;
    await ingestBatches(c, [traffic()]);
    const rule = await createSuppression(prisma, {
      cluster: 'workflow',
      detector: 'exec',
      reason: 'debugging this week',
      by: 'bob',
      days: 7,
    });
    expect(rule).toMatchObject({ anomalies: 1, active: true, createdBy: 'bob' });
    const exec = await prisma.anomaly.findFirstOrThrow({ where: { clusterId: c, detector: 'exec' } });
    expect(exec).toMatchObject({ status: 'suppressed', suppressionId: rule.id });
    await revokeSuppression(prisma, rule.id, 'carol');
    expect((await prisma.anomaly.findUniqueOrThrow({ where: { id: exec.id } })).status).toBe('open');

    const secret = await prisma.anomaly.findFirstOrThrow({ where: { clusterId: c, detector: 'secret-access' } });
    await setAnomalyStatus(prisma, secret.id, { status: 'resolved', by: 'dave' });
    await ingestBatches(c, [[audit(T0 + 160 * MIN, 'api', { verb: 'list', resource: 'secrets', ns: 'payments' })]]);
    const back = (await getAnomaly(prisma, secret.id))!;
    expect(back.status).toBe('open');
    expect(back.eventCount).toBe(2);
    expect(back.history.map((h) => `${h.status} ${h.by}`)).toEqual(['resolved dave', 'open detector']);
    await expect(setAnomalyStatus(prisma, secret.id, { status: 'open', by: 'x' })).rejects.toThrow(/already open/);
    await expect(createSuppression(prisma, { reason: 'all of it', by: 'eve', days: 1 })).rejects.toThrow(/would hide everything/);
  });
});

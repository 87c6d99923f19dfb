/**
 * The per-token ledger and the legacy/stale token evidence against the real PostgreSQL (no cluster): a
 * TokenRequest joined to the uses of the token it minted (calls counted once per audit request whatever
 * the stages, denials, bounded lists), a token seen only in use, the anomalies; `nhi tokens --json`; and
 * applyCredentialEvidence moving lastUsedAt forward only, idempotent on replay, one timeline line per day.
 * No token value reaches the database or the CLI's output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runNhi } from '@/lib/cli/run-nhi';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { ensureCluster, openStore } from '@/lib/collect/store';
import { tokenLedger } from '@/lib/data/ledger';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { applyCredentialEvidence } from './credential-use';
import { ingestFiles } from './ingest';
import type { LedgerEntry } from './ledger';
import { parseRuntimeValue } from './parse';
import { storeEvents } from './store';
import type { RuntimeEvent } from './types';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.nhi-ledger-test-token-5b7e.c2lnbmF0dXJl';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let clusterId: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-ledger-test-'));

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'ledger');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  // The inventory: a ServiceAccount with a legacy token Secret (never used by label), another whose Secret's
  // label says it was used on 2026-12-01, and a Deployment running as shop/cart with its automount token.
  const dump = path.join(dir, 'shop.json');
  const secret = (name: string, sa: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, annotations: { 'kubernetes.io/service-account.name': sa }, labels },
  });
  writeFileSync(
    dump,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', uid: 'uid-ns-shop' } },
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'legacy', namespace: 'shop', uid: 'uid-sa-legacy' },
          secrets: [{ name: 'legacy-token-x7k2p' }],
        },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'old', namespace: 'shop', uid: 'uid-sa-old' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'cart', namespace: 'shop', uid: 'uid-sa-cart' } },
        secret('legacy-token-x7k2p', 'legacy'),
        secret('old-token', 'old', { 'kubernetes.io/legacy-token-last-used': '2026-12-01' }),
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'cart', namespace: 'shop', uid: 'uid-deploy-cart' },
          spec: { template: { spec: { serviceAccountName: 'cart', containers: [{ name: 'cart', image: 'shop/cart:1.0' }] } } },
        },
      ],
    }),
  );
  await importDumps(pool, [dump], { clusterName: 'ledger' });
  clusterId = await ensureCluster(pool, 'ledger', 'import', null, null);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** One audit event as the API server writes it (parsed by lib/runtime, as ingestion does). */
function audit(over: Record<string, unknown>): RuntimeEvent[] {
  const at = (over.at as string | undefined) ?? '2026-11-01T10:05:00Z';
  const { at: _at, ...rest } = over;
  const { events, rejected } = parseRuntimeValue({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `audit-${++n}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/configmaps',
    verb: 'list',
    sourceIPs: ['10.0.0.7'],
    userAgent: 'cart/1.0',
    objectRef: { resource: 'configmaps', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    ...rest,
  });
  expect(rejected).toEqual([]);
  return events;
}

/** A call made with a pod-bound token: the pod, node and credential id come from the token's claims. */
const cartUser = (jti: string, pod: string, node = 'node-a') => ({
  username: 'system:serviceaccount:shop:cart',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
  extra: {
    'authentication.kubernetes.io/pod-name': [pod],
    'authentication.kubernetes.io/pod-uid': [`uid-${pod}`],
    'authentication.kubernetes.io/node-name': [node],
    'authentication.kubernetes.io/credential-id': [`JTI=${jti}`],
  },
});

/** The kubelet's TokenRequest for a pod, logged at RequestResponse (the token in the response is never read). */
const tokenRequest = (jti: string, pod: string, at: string, expires: string) =>
  audit({
    at,
    level: 'RequestResponse',
    verb: 'create',
    requestURI: '/api/v1/namespaces/shop/serviceaccounts/cart/token',
    user: { username: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'] },
    sourceIPs: ['192.168.1.10'],
    userAgent: 'kubelet/v1.31.0',
    objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'shop', name: 'cart', apiVersion: 'v1' },
    responseStatus: { code: 201 },
    requestObject: {
      kind: 'TokenRequest',
      spec: {
        audiences: ['https://kubernetes.default.svc'],
        expirationSeconds: 3607,
        boundObjectRef: { kind: 'Pod', name: pod, uid: `uid-${pod}` },
      },
    },
    responseObject: { kind: 'TokenRequest', status: { token: TOKEN, expirationTimestamp: expires } },
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authentication.kubernetes.io/issued-credential-id': `JTI=${jti}` },
  });

const legacyUse = (at: string, annotations: Record<string, string>, sa = 'legacy') =>
  audit({
    at,
    user: { username: `system:serviceaccount:shop:${sa}`, groups: ['system:serviceaccounts', 'system:authenticated'] },
    sourceIPs: ['10.3.3.3'],
    userAgent: 'legacy-client/0.9',
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authentication.k8s.io/legacy-token': `system:serviceaccount:shop:${sa}`,
      ...annotations,
    },
  });

const staleUse = (at: string) =>
  audit({
    at,
    user: cartUser('stale-old', 'cart-7d9f8-abcde'),
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authentication.k8s.io/stale-token': 'subject: system:serviceaccount:shop:cart, seconds after warning threshold: 4185',
    },
  });

const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

describe('the token ledger', () => {
  const events: RuntimeEvent[] = [];
  beforeAll(async () => {
    // tok-1: minted for pod cart-…-abcde; two calls (the first logged at two stages) and one denied.
    events.push(...tokenRequest('tok-1', 'cart-7d9f8-abcde', '2026-11-01T10:00:00Z', '2026-11-01T11:00:07Z'));
    const twoStages = { auditID: 'two-stages', user: cartUser('tok-1', 'cart-7d9f8-abcde') };
    events.push(...audit({ ...twoStages, stage: 'RequestReceived', at: '2026-11-01T10:05:00Z', responseStatus: undefined }));
    events.push(...audit({ ...twoStages, at: '2026-11-01T10:05:00.200Z' }));
    events.push(...audit({ at: '2026-11-01T10:06:00Z', user: cartUser('tok-1', 'cart-7d9f8-abcde') }));
    events.push(
      ...audit({
        at: '2026-11-01T10:07:00Z',
        verb: 'get',
        objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
        user: cartUser('tok-1', 'cart-7d9f8-abcde'),
        responseStatus: { code: 403 },
        annotations: { 'authorization.k8s.io/decision': 'forbid' },
      }),
    );
    // tok-2: minted for pod cart-…-fghij; used from it, then named with another pod on another node after expiry.
    events.push(...tokenRequest('tok-2', 'cart-7d9f8-fghij', '2026-11-01T12:00:00Z', '2026-11-01T13:00:07Z'));
    events.push(...audit({ at: '2026-11-01T12:10:00Z', user: cartUser('tok-2', 'cart-7d9f8-fghij'), sourceIPs: ['10.0.0.8'] }));
    events.push(
      ...audit({
        at: '2026-11-01T13:30:00Z',
        user: cartUser('tok-2', 'cart-7d9f8-zzzzz', 'node-b'),
        sourceIPs: ['10.9.9.9'],
        userAgent: 'curl/8.5.0',
      }),
    );
    // A token whose TokenRequest was never stored (before ingestion began), and the stale one.
    events.push(
      ...audit({ at: '2026-11-01T09:00:00Z', user: cartUser('unminted', 'cart-7d9f8-abcde'), sourceIPs: ['10.0.0.7'] }),
    );
    events.push(...staleUse('2026-11-01T08:00:00Z'));
    // A legacy token carries no credential id: it is not in the ledger.
    events.push(
      ...legacyUse('2026-11-01T10:00:00Z', { 'authentication.k8s.io/legacy-token-autogenerated-secret': 'legacy-token-x7k2p' }),
    );
    const stored = await storeEvents(pool, clusterId, events);
    expect(stored).toEqual({ inserted: events.length, duplicates: 0 });
  });

  it('joins each TokenRequest to its uses, counts calls per request and denials, and flags the facts', async () => {
    const ledger = await tokenLedger(prisma, { cluster: 'ledger', limit: 10 });
    expect(ledger.total).toBe(4);
    expect(ledger.items.map((t) => t.credentialId)).toEqual(['JTI=tok-2', 'JTI=tok-1', 'JTI=unminted', 'JTI=stale-old']);
    const byId = new Map(ledger.items.map((t) => [t.credentialId, t]));
    expect(byId.get('JTI=tok-1')).toEqual({
      cluster: 'ledger',
      clusterId,
      credentialId: 'JTI=tok-1',
      serviceAccount: { namespace: 'shop', name: 'cart' },
      minted: {
        by: 'system:node:node-a',
        at: '2026-11-01T10:00:00.000Z',
        sourceIp: '192.168.1.10',
        userAgent: 'kubelet/v1.31.0',
      },
      seenOnlyInUse: false,
      boundObject: { kind: 'Pod', name: 'cart-7d9f8-abcde', uid: 'uid-cart-7d9f8-abcde' },
      audiences: ['https://kubernetes.default.svc'],
      expirationSeconds: 3607,
      expiresAt: '2026-11-01T11:00:07.000Z',
      calls: 3,
      denied: 1,
      firstUseAt: '2026-11-01T10:05:00.000Z',
      lastUseAt: '2026-11-01T10:07:00.000Z',
      used: {
        pods: [{ value: 'cart-7d9f8-abcde', calls: 3, lastAt: '2026-11-01T10:07:00.000Z' }],
        nodes: [{ value: 'node-a', calls: 3, lastAt: '2026-11-01T10:07:00.000Z' }],
        addresses: [{ value: '10.0.0.7', calls: 3, lastAt: '2026-11-01T10:07:00.000Z' }],
        userAgents: [{ value: 'cart/1.0', calls: 3, lastAt: '2026-11-01T10:07:00.000Z' }],
      },
      distinct: { pods: 1, nodes: 1, addresses: 1, userAgents: 1 },
      anomalies: [],
    } satisfies LedgerEntry);
    const tok2 = byId.get('JTI=tok-2')!;
    expect([tok2.calls, tok2.denied, tok2.distinct]).toEqual([2, 0, { pods: 2, nodes: 2, addresses: 2, userAgents: 2 }]);
    expect(tok2.used.addresses.map((a) => [a.value, a.calls])).toEqual([
      ['10.0.0.8', 1],
      ['10.9.9.9', 1],
    ]);
    expect(tok2.anomalies).toEqual([
      { kind: 'foreign-pod', summary: 'bound to pod cart-7d9f8-fghij, but 1 call named cart-7d9f8-zzzzz' },
      {
        kind: 'used-after-expiry',
        summary: 'expired 2026-11-01T13:00:07.000Z, yet 1 call after that (last 2026-11-01T13:30:00.000Z)',
      },
      { kind: 'multiple-nodes', summary: 'used from 2 nodes: node-a, node-b' },
    ]);
    expect(byId.get('JTI=unminted')).toMatchObject({
      seenOnlyInUse: true,
      minted: null,
      serviceAccount: { namespace: 'shop', name: 'cart' },
      calls: 1,
      anomalies: [],
    });
  });

  it('filters by ServiceAccount and cluster, and pages newest first', async () => {
    expect((await tokenLedger(prisma, { identity: 'shop/legacy', limit: 10 })).total).toBe(0);
    const cart = await tokenLedger(prisma, { clusterId, identity: 'shop/cart', limit: 2 });
    expect([cart.total, cart.items.map((t) => t.credentialId)]).toEqual([4, ['JTI=tok-2', 'JTI=tok-1']]);
    expect((await tokenLedger(prisma, { cluster: 'no-such-cluster', limit: 10 })).total).toBe(0);
    await expect(tokenLedger(prisma, { identity: 'not a name', limit: 10 })).rejects.toMatchObject({ kind: 'invalid_input' });
  });

  it('never stores the token of the TokenRequest', async () => {
    const rows = await pool.query<{ t: string }>(
      `SELECT row_to_json(e)::text AS t FROM "RuntimeEvent" e WHERE "clusterId" = $1`,
      [clusterId],
    );
    expect(rows.rows.some((r) => r.t.includes('JTI=tok-1'))).toBe(true);
    expect(rows.rows.some((r) => r.t.includes('nhi-ledger-test-token'))).toBe(false);
  });

  it('is printed by `nhi tokens` as JSON and as a table, without a token value', () => {
    const nhi = (...args: string[]) => runNhi(db.url, ...args);
    const json = nhi('tokens', '--json', '--cluster', 'ledger', '--identity', 'shop/cart', '--limit', '3');
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    const out = JSON.parse(json.stdout) as { total: number; items: LedgerEntry[] };
    expect(out.total).toBe(4);
    expect(out.items.map((t) => [t.credentialId, t.calls, t.denied, t.anomalies.length])).toEqual([
      ['JTI=tok-2', 2, 0, 3],
      ['JTI=tok-1', 3, 1, 0],
      ['JTI=unminted', 1, 0, 0],
    ]);
    const table = nhi('tokens', '--cluster', 'ledger');
    expect(table.status).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe('4 token(s)');
    expect(lines[1]).toMatch(
      /^TOKEN\s+SERVICE ACCOUNT\s+MINTED BY\s+MINTED AT\s+BOUND TO\s+EXPIRES\s+CALLS\s+DENIED\s+LAST USE\s+FROM\s+ANOMALIES$/,
    );
    expect(lines[3]).toMatch(
      /^JTI=tok-1\s+shop\/cart\s+system:node:node-a\s+2026-11-01 10:00:00\s+Pod cart-7d9f8-abcde\s+2026-11-01 11:00:07\s+3\s+1\s+2026-11-01 10:07:00\s+10\.0\.0\.7 on node-a\s+-$/,
    );
    expect(table.stdout).toContain('(seen only in use)');
    expect(table.stdout).toContain('JTI=tok-2 multiple-nodes: used from 2 nodes: node-a, node-b');
    expect(table.stdout + json.stdout).not.toContain('nhi-ledger-test-token');
    const bad = nhi('tokens', '--limit', '0');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--limit/);
  });
});

describe('applyCredentialEvidence', () => {
  const credential = async (name: string) =>
    (
      await pool.query<{ lastUsedAt: string | null; lastUsedSource: string | null }>(
        `SELECT ${iso('"lastUsedAt"')} AS "lastUsedAt", "lastUsedSource" FROM "Credential" WHERE "clusterId" = $1 AND name = $2`,
        [clusterId, name],
      )
    ).rows[0]!;
  const timeline = async (kind: string) =>
    (
      await pool.query<{
        at: string;
        summary: string;
        details: Record<string, unknown>;
        credential: string;
        identity: string | null;
      }>(
        `SELECT ${iso('t.at')} AS at, t.summary, t.details, c.name AS credential, i.name AS identity
         FROM "TimelineEvent" t JOIN "Credential" c ON c.id = t."credentialId" LEFT JOIN "Identity" i ON i.id = t."identityId"
         WHERE t."clusterId" = $1 AND t.kind = $2 ORDER BY t.at`,
        [clusterId, kind],
      )
    ).rows;
  const secret = { 'authentication.k8s.io/legacy-token-autogenerated-secret': 'legacy-token-x7k2p' };

  it('moves lastUsedAt of the named Secret to the newest use, with one timeline line per credential per UTC day', async () => {
    expect(await credential('legacy-token-x7k2p')).toEqual({ lastUsedAt: null, lastUsedSource: null });
    const batch = [
      ...legacyUse('2026-11-01T10:00:00Z', secret),
      ...legacyUse('2026-11-01T18:00:00Z', secret),
      ...legacyUse('2026-11-02T09:00:00Z', secret),
      ...staleUse('2026-11-02T07:00:00Z'),
      // An API server before 1.29 names no Secret: nothing is matched.
      ...legacyUse('2026-11-03T09:00:00Z', {}),
    ];
    expect(await applyCredentialEvidence(pool, clusterId, batch)).toEqual({ updated: 2, timeline: 3 });
    expect(await credential('legacy-token-x7k2p')).toEqual({ lastUsedAt: '2026-11-02T09:00:00.000Z', lastUsedSource: 'audit' });
    expect(await credential('Deployment/cart/automount')).toEqual({
      lastUsedAt: '2026-11-02T07:00:00.000Z',
      lastUsedSource: 'audit',
    });
    const legacy = await timeline('credential.legacy_token_used');
    expect(legacy.map((t) => [t.at, t.credential, t.identity, t.summary])).toEqual([
      [
        '2026-11-01T10:00:00.000Z',
        'legacy-token-x7k2p',
        'legacy',
        'Legacy token of Secret shop/legacy-token-x7k2p used by system:serviceaccount:shop:legacy from 10.3.3.3',
      ],
      [
        '2026-11-02T09:00:00.000Z',
        'legacy-token-x7k2p',
        'legacy',
        'Legacy token of Secret shop/legacy-token-x7k2p used by system:serviceaccount:shop:legacy from 10.3.3.3',
      ],
    ]);
    expect(legacy[0]!.details).toMatchObject({
      username: 'system:serviceaccount:shop:legacy',
      sourceIp: '10.3.3.3',
      userAgent: 'legacy-client/0.9',
      secretNamedBy: 'authentication.k8s.io/legacy-token-autogenerated-secret',
    });
    const stale = await timeline('credential.stale_token_used');
    expect(stale.map((t) => [t.at, t.credential, t.identity, t.details.pod, t.details.secondsAfterWarning])).toEqual([
      ['2026-11-02T07:00:00.000Z', 'Deployment/cart/automount', 'cart', 'cart-7d9f8-abcde', 4185],
    ]);
  });

  it('changes nothing when the same events are replayed', async () => {
    const batch = [
      ...legacyUse('2026-11-01T10:00:00Z', secret),
      ...legacyUse('2026-11-02T09:00:00Z', secret),
      ...staleUse('2026-11-02T07:00:00Z'),
    ];
    expect(await applyCredentialEvidence(pool, clusterId, batch)).toEqual({ updated: 0, timeline: 0 });
    // Another use later on a day already in the timeline moves lastUsedAt, and adds no line.
    expect(await applyCredentialEvidence(pool, clusterId, legacyUse('2026-11-02T20:00:00Z', secret))).toEqual({
      updated: 1,
      timeline: 0,
    });
    expect((await timeline('credential.legacy_token_used')).length).toBe(2);
  });

  it('never moves lastUsedAt backwards, and keeps a newer label-based value', async () => {
    expect(await applyCredentialEvidence(pool, clusterId, legacyUse('2026-10-30T10:00:00Z', secret))).toEqual({
      updated: 0,
      timeline: 1,
    });
    expect(await credential('legacy-token-x7k2p')).toEqual({ lastUsedAt: '2026-11-02T20:00:00.000Z', lastUsedSource: 'audit' });

    expect(await credential('old-token')).toEqual({
      lastUsedAt: '2026-12-01T00:00:00.000Z',
      lastUsedSource: 'label kubernetes.io/legacy-token-last-used',
    });
    const old = legacyUse('2026-11-20T10:00:00Z', { 'authentication.k8s.io/legacy-token-manual-secret': 'old-token' }, 'old');
    expect(await applyCredentialEvidence(pool, clusterId, old)).toEqual({ updated: 0, timeline: 1 });
    expect(await credential('old-token')).toEqual({
      lastUsedAt: '2026-12-01T00:00:00.000Z',
      lastUsedSource: 'label kubernetes.io/legacy-token-last-used',
    });
  });

  it('records a refused use of an invalidated token apart, and writes one line per day from concurrent batches', async () => {
    const refused = audit({
      at: '2026-12-05T10:00:00Z',
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
      sourceIPs: ['10.6.6.6'],
      responseStatus: { code: 401 },
      annotations: {
        'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:old',
        'authentication.k8s.io/legacy-token-invalidated': 'old-token/shop',
      },
    });
    const results = await Promise.all([
      applyCredentialEvidence(pool, clusterId, refused),
      applyCredentialEvidence(pool, clusterId, refused),
    ]);
    expect(results.map((r) => r.timeline).sort()).toEqual([0, 1]);
    expect(await credential('old-token')).toEqual({ lastUsedAt: '2026-12-05T10:00:00.000Z', lastUsedSource: 'audit' });
    expect((await timeline('credential.invalidated_token_used')).map((t) => [t.at, t.summary])).toEqual([
      [
        '2026-12-05T10:00:00.000Z',
        'Invalidated legacy token of Secret shop/old-token presented from 10.6.6.6 (refused by the API server)',
      ],
    ]);
    const all = await pool.query<{ t: string }>(`SELECT details::text AS t FROM "TimelineEvent" WHERE "clusterId" = $1`, [
      clusterId,
    ]);
    expect(all.rows.every((r) => !r.t.includes('eyJ'))).toBe(true);
  });

  it('keeps a use seen in the audit log when the cluster is collected again (the label is older)', async () => {
    expect(await credential('legacy-token-x7k2p')).toEqual({ lastUsedAt: '2026-11-02T20:00:00.000Z', lastUsedSource: 'audit' });
    await importDumps(pool, [path.join(dir, 'shop.json')], { clusterName: 'ledger' });
    expect(await credential('legacy-token-x7k2p')).toEqual({ lastUsedAt: '2026-11-02T20:00:00.000Z', lastUsedSource: 'audit' });
    expect(await credential('old-token')).toEqual({ lastUsedAt: '2026-12-05T10:00:00.000Z', lastUsedSource: 'audit' });
  });

  it('is applied by file ingestion too, in the parse worker as in process', async () => {
    const line = (at: string, id: string) =>
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: id,
        stage: 'ResponseComplete',
        requestURI: '/api/v1/namespaces/shop/configmaps',
        verb: 'list',
        user: { username: 'system:serviceaccount:shop:legacy', groups: ['system:serviceaccounts'] },
        sourceIPs: ['10.3.3.4'],
        userAgent: 'legacy-client/0.9',
        objectRef: { resource: 'configmaps', namespace: 'shop', apiVersion: 'v1' },
        responseStatus: { code: 200 },
        requestReceivedTimestamp: at,
        stageTimestamp: at,
        annotations: {
          'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy',
          'authentication.k8s.io/legacy-token-autogenerated-secret': 'legacy-token-x7k2p',
        },
      });
    const file = path.join(dir, 'legacy.log');
    writeFileSync(file, `${line('2026-12-10T08:00:00Z', 'file-1')}\n`);
    await ingestFiles(pool, clusterId, [file], { parseIn: 'main' });
    expect(await credential('legacy-token-x7k2p')).toEqual({ lastUsedAt: '2026-12-10T08:00:00.000Z', lastUsedSource: 'audit' });
    writeFileSync(file, `${line('2026-12-11T09:00:00Z', 'file-2')}\n`);
    await ingestFiles(pool, clusterId, [file], { parseIn: 'thread' });
    expect(await credential('legacy-token-x7k2p')).toEqual({ lastUsedAt: '2026-12-11T09:00:00.000Z', lastUsedSource: 'audit' });
  });
});

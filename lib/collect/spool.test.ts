import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PushAgent } from './push-agent';
import { applyToObjects, decideBatch, snapshotOfObjects, type Item, type PushBatch } from './push-protocol';
import { Spool } from './spool';
import { emptySnapshot, type ClusterSnapshot, type KubeObject } from './types';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-spool-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';
const meta = (session: string, seq: number, reset = false) => ({ session, seq, reset, complete: true });

describe('spool', () => {
  it('keeps batches in order, across a restart, and removes what is acknowledged', async () => {
    const a = await Spool.open(dir);
    await a.append(meta(S1, 1, true), Buffer.from('one'));
    const two = await a.append(meta(S1, 2), Buffer.from('two'));
    await a.append(meta(S1, 3), Buffer.from('three'));
    await a.remove(a.head()!);
    await a.replace(two, Buffer.from('two, merged'));
    a.close();

    // A crash in the middle of a write leaves a temporary file: it is not a batch.
    writeFileSync(path.join(dir, '000000000009-x.batch.gz.tmp'), 'half');
    const b = await Spool.open(dir);
    expect(b.entries().map((e) => [e.session, e.seq, e.reset])).toEqual([
      [S1, 2, false],
      [S1, 3, false],
    ]);
    expect((await b.read(b.head()!)).toString()).toBe('two, merged');
    await b.append(meta(S2, 1, true), Buffer.from('s2'));
    expect(b.entries().map((e) => `${e.session.slice(0, 1)}:${e.seq}`)).toEqual(['1:2', '1:3', '2:1']);
    expect(b.totalBytes).toBe('two, merged'.length + 'three'.length + 2);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    b.close();
  });

  it('is bounded: it says when a batch would overflow it', async () => {
    const s = await Spool.open(dir, { maxBytes: 10 });
    const e = await s.append(meta(S1, 1), Buffer.alloc(6));
    expect(s.wouldOverflow(4)).toBe(false);
    expect(s.wouldOverflow(5)).toBe(true);
    expect(s.wouldOverflow(9, e)).toBe(false);
    s.close();
  });

  it('is not shared: a live process holding it is refused, a stale lock is taken over', async () => {
    writeFileSync(path.join(dir, 'spool.lock'), String(process.ppid));
    await expect(Spool.open(dir)).rejects.toThrow(/in use by process/);
    writeFileSync(path.join(dir, 'spool.lock'), '999999999');
    const s = await Spool.open(dir);
    s.close();
  });
});

/** A push server in memory, with the server's sequence rule; it can be down or busy. */
function fakeServer() {
  const cursors = new Map<string, { lastSeq: number; current: boolean }>();
  const objects = new Map<string, { resource: never; object: Item }>();
  const received: PushBatch[] = [];
  const applied: PushBatch[] = [];
  const server = {
    down: false,
    busy: 0,
    received,
    applied,
    cursors,
    state: () => snapshotOfObjects(objects.values()),
    fetch: (async (_url: string, init: { body: Uint8Array }) => {
      if (server.down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      if (server.busy > 0) {
        server.busy--;
        return new Response('{"error":"busy"}', { status: 503, headers: { 'retry-after': '0' } });
      }
      const batch = JSON.parse(gunzipSync(Buffer.from(init.body)).toString()) as PushBatch;
      received.push(batch);
      const c = cursors.get(batch.session);
      const d = decideBatch(c && { session: batch.session, ...c }, batch);
      if (d.action === 'duplicate') return Response.json({ status: 'duplicate' });
      if (d.action === 'gap') return Response.json({ code: 'PUSH_GAP', expected: d.expected }, { status: 409 });
      if (d.action === 'snapshot-needed') return Response.json({ code: 'PUSH_SNAPSHOT_NEEDED' }, { status: 409 });
      if (batch.reset) for (const [k, v] of cursors) cursors.set(k, { ...v, current: false });
      applyToObjects(objects as never, batch);
      cursors.set(batch.session, { lastSeq: batch.seq, current: batch.reset || c!.current });
      applied.push(batch);
      return Response.json({ status: 'applied' });
    }) as unknown as typeof fetch,
  };
  return server;
}

const sa = (name: string, rv = '1'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'shop', resourceVersion: rv },
});
const snapshotOf = (names: string[]): ClusterSnapshot => ({ ...emptySnapshot(), serviceAccounts: names.map((n) => sa(n)) });
const names = (s: ClusterSnapshot) => s.serviceAccounts.map((o) => o.metadata.name).sort();

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function agentOn(
  server: ReturnType<typeof fakeServer>,
  spool: Spool,
  extra: Partial<ConstructorParameters<typeof PushAgent>[0]> = {},
) {
  return new PushAgent({
    url: 'http://push.test/api/push/inventory',
    token: () => 'nhi_ingest_test',
    spool,
    agent: { version: 't', host: 'h', source: 'in_cluster', server: null, context: null },
    fetch: server.fetch,
    minBackoffMs: 5,
    maxBackoffMs: 20,
    heartbeatMs: 60_000,
    ...extra,
  });
}

describe('push agent over the spool', () => {
  it('sends a snapshot, then changes; an outage loses nothing and the changes made meanwhile are merged', async () => {
    const server = fakeServer();
    const spool = await Spool.open(dir);
    const agent = agentOn(server, spool);
    const running = agent.run();
    await agent.save(snapshotOf(['a', 'b']), []);
    await until('the snapshot', () => server.applied.length === 1);
    await agent.save(snapshotOf(['a', 'b', 'c']), []);
    await until('the change', () => names(server.state()).includes('c'));

    server.down = true;
    for (let i = 0; i < 20; i++)
      await agent.save(snapshotOf(['a', 'c', ...Array.from({ length: i + 1 }, (_, j) => `n${j}`)]), []);
    // Twenty saves during the outage wait as at most two batches (one may be in flight while the others merge).
    expect(spool.entries().length).toBeLessThanOrEqual(2);
    server.down = false;
    server.busy = 2;
    await until('the outage changes', () => agent.waiting === 0 && server.state().serviceAccounts.length === 22);
    expect(names(server.state())).toEqual(names(snapshotOf(['a', 'c', ...Array.from({ length: 20 }, (_, j) => `n${j}`)])));
    // In order, each sequence number applied once.
    const seqs = server.applied.map((b) => b.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    agent.stop(0);
    await running;
    spool.close();
  });

  it('after a restart, sends what the previous run left first, then its own snapshot', async () => {
    const server = fakeServer();
    server.down = true;
    const first = await Spool.open(dir);
    const a1 = agentOn(server, first);
    const r1 = a1.run();
    await a1.save(snapshotOf(['a']), []);
    await a1.save(snapshotOf(['a', 'b']), []);
    a1.stop(0);
    await r1;
    first.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.batch.gz')).length).toBe(2);

    server.down = false;
    const second = await Spool.open(dir);
    const a2 = agentOn(server, second);
    const r2 = a2.run();
    await a2.save(snapshotOf(['a', 'b', 'c']), []);
    await until('everything', () => a2.waiting === 0 && server.applied.length === 3);
    expect(server.applied.map((b) => [b.session === a1.session ? 'old' : 'new', b.seq, b.reset])).toEqual([
      ['old', 1, true],
      ['old', 2, false],
      ['new', 1, true],
    ]);
    expect(names(server.state())).toEqual(['a', 'b', 'c']);
    a2.stop(0);
    await r2;
    second.close();
  });

  it('sends a fresh snapshot when the server lost its state (409), and when the spool would overflow', async () => {
    const server = fakeServer();
    const spool = await Spool.open(dir, { maxBytes: 600 });
    const agent = agentOn(server, spool);
    const running = agent.run();
    await agent.save(snapshotOf(['a']), []);
    await until('the snapshot', () => server.applied.length === 1);
    server.cursors.clear(); // e.g. the database restored from a backup
    await agent.save(snapshotOf(['a', 'b']), []);
    await until('a second snapshot', () => server.applied.filter((b) => b.reset).length === 2);
    expect(names(server.state())).toEqual(['a', 'b']);

    server.down = true;
    const many = Array.from({ length: 60 }, (_, i) => `long-name-of-service-account-${i}`);
    for (let i = 1; i <= many.length; i += 5) await agent.save(snapshotOf(many.slice(0, i)), []);
    const resets = server.applied.filter((b) => b.reset).length;
    server.down = false;
    await until('the state after the overflow', () => agent.waiting === 0 && server.state().serviceAccounts.length === 56);
    expect(agent.stats.snapshots).toBeGreaterThan(2);
    expect(server.applied.filter((b) => b.reset).length).toBeGreaterThan(resets);
    agent.stop(0);
    await running;
    spool.close();
  });

  it('says it is alive with an empty batch when nothing changes', async () => {
    const server = fakeServer();
    const spool = await Spool.open(dir);
    const agent = agentOn(server, spool, { heartbeatMs: 30 });
    const running = agent.run();
    await agent.save(snapshotOf(['a']), []);
    await until('heartbeats', () => server.applied.filter((b) => !b.upserts.length && !b.reset).length >= 2);
    expect(names(server.state())).toEqual(['a']);
    agent.stop(0);
    await running;
    spool.close();
  });
});

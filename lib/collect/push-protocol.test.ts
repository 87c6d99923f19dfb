import { describe, expect, it } from 'vitest';
import {
  applyToObjects,
  decideBatch,
  diffState,
  mergeChanges,
  pushBatchSchema,
  pushSafe,
  snapshotOfObjects,
  snapshotParts,
  stateOf,
  type Item,
  type PushBatch,
} from './push-protocol';
import { emptySnapshot, type ClusterSnapshot, type KubeObject } from './types';

const S = '3f1c2a4e-8b7d-4c6e-9a1b-2d3e4f5a6b7c';
const agent = { version: '0.1.0', host: 'agent-0', source: 'in_cluster' as const, server: 'https://10.0.0.1', context: null };
const head = { protocol: 1 as const, session: S, agent, notes: [] };
const sa = (name: string, rv = '1', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'shop', resourceVersion: rv },
  ...extra,
});
const snap = (over: Partial<ClusterSnapshot>): ClusterSnapshot => ({ ...emptySnapshot(), ...over });
const changes = (seq: number, over: Partial<PushBatch> = {}): PushBatch => ({
  ...head,
  seq,
  reset: false,
  complete: true,
  upserts: [],
  deletes: [],
  ...over,
});

describe('the sequence rule (decideBatch)', () => {
  const cursor = { session: S, lastSeq: 5, current: true };
  it('applies the next batch and acknowledges a replay without applying it', () => {
    expect(decideBatch(cursor, { session: S, seq: 6, reset: false })).toEqual({ action: 'apply' });
    expect(decideBatch(cursor, { session: S, seq: 5, reset: false })).toEqual({ action: 'duplicate', next: 6 });
    expect(decideBatch(cursor, { session: S, seq: 1, reset: true })).toEqual({ action: 'duplicate', next: 6 });
  });
  it('refuses a gap with the sequence number expected', () => {
    expect(decideBatch(cursor, { session: S, seq: 8, reset: false })).toEqual({ action: 'gap', expected: 6 });
  });
  it('takes a snapshot at any later number, and asks for one when the session has none or was superseded', () => {
    expect(decideBatch(cursor, { session: S, seq: 40, reset: true })).toEqual({ action: 'apply' });
    expect(decideBatch(undefined, { session: S, seq: 7, reset: true })).toEqual({ action: 'apply' });
    expect(decideBatch(undefined, { session: S, seq: 1, reset: false }).action).toBe('snapshot-needed');
    expect(decideBatch({ ...cursor, current: false }, { session: S, seq: 6, reset: false }).action).toBe('snapshot-needed');
  });
});

describe('batches', () => {
  it('diffs states by resourceVersion and content: upserts, deletes, nothing for an equal relisted copy', () => {
    const before = stateOf(snap({ serviceAccounts: [sa('a'), sa('b'), sa('c')] }));
    const after = snap({ serviceAccounts: [sa('a'), sa('b', '2'), sa('d')] });
    const diff = diffState(before, after);
    expect(diff.upserts.map((u) => u.object.metadata.name)).toEqual(['b', 'd']);
    expect(diff.deletes).toEqual([{ resource: 'serviceAccounts', key: 'shop/c' }]);
    expect(diffState(stateOf(after), structuredClone(after))).toEqual({ upserts: [], deletes: [] });
  });

  it('merges change batches: the later operation on a key wins, the first sequence number stays', () => {
    const a = changes(3, {
      upserts: [{ resource: 'serviceAccounts', object: sa('x') }],
      deletes: [{ resource: 'serviceAccounts', key: 'shop/y' }],
    });
    const m = mergeChanges(a, {
      upserts: [{ resource: 'serviceAccounts', object: sa('y', '9') }],
      deletes: [{ resource: 'serviceAccounts', key: 'shop/x' }],
      notes: [],
      agent,
    });
    expect(m.seq).toBe(3);
    expect(m.upserts.map((u) => `${u.object.metadata.name}@${u.object.metadata.resourceVersion}`)).toEqual(['y@9']);
    expect(m.deletes).toEqual([{ resource: 'serviceAccounts', key: 'shop/x' }]);
  });

  it('cuts a snapshot into parts: the first resets, the last completes, applying them gives the snapshot back', () => {
    const s = snap({ serviceAccounts: Array.from({ length: 50 }, (_, i) => sa(`sa-${i}`, '1', { pad: 'x'.repeat(200) })) });
    const parts = snapshotParts(s, head, 10, 2_000);
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.map((p) => p.seq)).toEqual(parts.map((_, i) => 10 + i));
    expect(parts.map((p) => [p.reset, p.complete])).toEqual(parts.map((_, i) => [i === 0, i === parts.length - 1]));
    const objects = new Map();
    applyToObjects(objects, changes(1, { upserts: [{ resource: 'serviceAccounts', object: sa('stale') }] }));
    for (const p of parts) applyToObjects(objects, p);
    expect(snapshotOfObjects(objects.values())).toEqual(s);
    expect(snapshotParts(emptySnapshot(), head, 1)).toMatchObject([{ reset: true, complete: true, upserts: [] }]);
  });

  it('validates a batch with zod: a reset has no deletes, resources are the collected ones', () => {
    expect(pushBatchSchema.safeParse(changes(1)).success).toBe(true);
    expect(pushBatchSchema.safeParse(changes(0)).success).toBe(false);
    expect(pushBatchSchema.safeParse({ ...changes(1), session: 'x' }).success).toBe(false);
    expect(pushBatchSchema.safeParse(changes(1, { reset: true, deletes: [{ resource: 'pods', key: 'a/b' }] })).success).toBe(
      false,
    );
    expect(pushBatchSchema.safeParse({ ...changes(1), upserts: [{ resource: 'configMaps', object: sa('a') }] }).success).toBe(
      false,
    );
    expect(pushBatchSchema.safeParse({ ...changes(1), upserts: [{ resource: 'pods', object: { metadata: {} } }] }).success).toBe(
      false,
    );
  });
});

describe('pushSafe: what leaves the agent and what the server keeps', () => {
  it('reduces a Secret to its allow-listed metadata, whatever the agent sent', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'db',
        namespace: 'shop',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"c2VjcmV0"}}',
          'nhi.dev/owner': 'team-a',
        },
      },
      data: { password: 'c2VjcmV0' },
      stringData: { password: 'secret' },
    } as unknown as Item;
    const out = pushSafe('secrets', secret);
    expect(JSON.stringify(out)).not.toMatch(/c2VjcmV0|secret"/);
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'db', namespace: 'shop', annotations: { 'nhi.dev/owner': 'team-a' } },
    });
  });

  it('drops container env values, commands and arguments from pods and pod templates, keeping secret references', () => {
    const container = {
      name: 'app',
      image: 'shop/app:1',
      command: ['/app', '--password=hunter2'],
      args: ['--token', 'hunter2'],
      env: [
        { name: 'PLAIN', value: 'hunter2' },
        { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      ],
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { containers: [container], initContainers: [container] },
    };
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'shop' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [container] } } } } },
    };
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop' },
      spec: { template: { spec: { containers: [container] } } },
    };
    for (const [resource, o] of [
      ['pods', pod],
      ['cronJobs', cron],
      ['deployments', deploy],
    ] as const) {
      const out = pushSafe(resource, o as unknown as Item);
      expect(JSON.stringify(out), resource).not.toContain('hunter2');
      expect(JSON.stringify(out), resource).toContain('"secretKeyRef":{"name":"db","key":"password"}');
      expect(JSON.stringify(out), resource).toContain('shop/app:1');
    }
    expect(container.env[0]!.value).toBe('hunter2'); // the collector's own object is left as it was
  });
});

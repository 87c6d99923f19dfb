/**
 * The parse worker in a real thread (no database): the same batches as in-process parsing, malformed lines
 * rejected with their place and reason while the valid items of the batch are kept, and failures reported
 * to every waiting request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { batchText, LineBatcher, parseBatch, type ParsedBatch } from './batches';
import { ParseThread } from './parse-thread';

const CLUSTER = '6b1f5d1e-3a0c-4f6e-9a7d-2c4b8e1f0a93';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.parse-thread-test-token.c2ln';

function line(i: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `id-${i}`,
    stage: 'ResponseComplete',
    verb: 'get',
    userAgent: 'ünïcödé 🚀',
    user: { username: 'system:serviceaccount:shop:cart', extra: { 'authentication.kubernetes.io/pod-name': ['cart-1'] } },
    objectRef: { resource: 'pods', namespace: 'shop' },
    stageTimestamp: '2026-11-29T10:00:00.000001Z',
    ...over,
  });
}

const rowsText = (batches: ParsedBatch[]) => batches.map((b) => Buffer.from(b.rows).toString('utf8')).join('');

let thread: ParseThread | null = null;
afterEach(async () => {
  await thread?.close();
  thread = null;
});

describe('the parse worker', () => {
  it('gives the batches in-process parsing gives', async () => {
    thread = await ParseThread.start({ clusterId: CLUSTER });
    const lines = [
      line(1),
      '{"kind":"Event","auditID":"broken',
      line(2, { responseObject: { status: { token: TOKEN } } }),
      '',
      '[1]',
      line(3, { stage: 'Later' }),
      line(4),
      line(5),
      `{"broken": "${TOKEN}`,
      line(6),
    ];
    const bytes = Buffer.from(lines.join('\r\n'));
    // Cut as ingest.ts cuts a file read in chunks (here of 97 bytes, inside characters too).
    const batcher = new LineBatcher(4);
    const cut = [];
    for (let at = 0; at < bytes.length; at += 97) cut.push(...batcher.push(bytes.subarray(at, at + 97)));
    cut.push(batcher.end()!);
    expect(cut.map((b) => b.offset)).toEqual([0, 4, 8]);
    const expected = cut.map((b) => parseBatch(CLUSTER, batchText(b.bytes), b.offset));
    const batches = await Promise.all(cut.map((b) => thread!.parse(b.bytes, b.offset)));
    // The bytes were moved to the worker, not copied.
    expect(cut.every((b) => b.bytes.byteLength === 0)).toBe(true);

    expect(batches.map((b) => ({ ...b, rows: null }))).toEqual(expected.map((b) => ({ ...b, rows: null })));
    expect(rowsText(batches)).toBe(rowsText(expected));

    // Malformed lines: rejected with their line in the file and why; the valid lines around them are kept.
    expect(batches.reduce((n, b) => n + b.events, 0)).toBe(5);
    expect(batches.flatMap((b) => b.rejected)).toEqual([
      { item: 'line 2', reason: expect.stringMatching(/^not JSON: invalid JSON/) as unknown as string },
      { item: 'line 5 [0]', reason: 'neither an audit event nor a Falco alert: a number' },
      { item: 'line 6', reason: expect.stringMatching(/^not an audit event: stage/) as unknown as string },
      { item: 'line 9', reason: expect.stringMatching(/^not JSON/) as unknown as string },
    ]);
    // Neither a reason nor a row holds the token (the parser never reads it, nor quotes a broken line).
    expect(JSON.stringify(batches.flatMap((b) => b.rejected))).not.toContain('parse-thread-test-token');
    expect(rowsText(batches)).not.toContain('parse-thread-test-token');
  });

  it('fails every waiting request and every later one when the worker fails, with no input in the message', async () => {
    thread = await ParseThread.start({ clusterId: CLUSTER });
    const first = thread.parse(Buffer.from(`${line(1)}\nnope`), 0);
    // Not bytes: the worker's decoding throws, and the thread ends.
    const bad = thread.parse(42 as unknown as Uint8Array, 2);
    const after = thread.parse(Buffer.from(line(2)), 3);
    const [a, b, c] = await Promise.allSettled([first, bad, after]);
    expect(a!.status).toBe('fulfilled');
    expect((a as PromiseFulfilledResult<ParsedBatch>).value).toMatchObject({ events: 1, rejected: [{ item: 'line 2' }] });
    for (const r of [b, c]) {
      expect(r!.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/the parse worker (failed|stopped)/);
      expect(String((r as PromiseRejectedResult).reason)).not.toContain('nope');
    }
    await expect(thread.parse(Buffer.from(line(3)), 4)).rejects.toThrow(/the parse worker/);
  });

  it('rejects requests once closed', async () => {
    thread = await ParseThread.start({ clusterId: CLUSTER });
    await thread.close();
    await expect(thread.parse(Buffer.from(line(1)), 0)).rejects.toThrow(/closed/);
  });
});

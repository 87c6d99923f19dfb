import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchText, LineBatcher, parseBatch, parseBatchBytes, REJECTED_PER_BATCH, transferable } from './batches';
import { encodeRows } from './copy';
import { parseRuntimeText } from './parse';

const CLUSTER = '6b1f5d1e-3a0c-4f6e-9a7d-2c4b8e1f0a93';

/** What ingest.ts did before: readline lines, `perBatch` at a time, joined by \n. */
async function readlineBatches(chunks: Buffer[], perBatch: number): Promise<{ text: string; offset: number }[]> {
  const out: { text: string; offset: number }[] = [];
  let lines: string[] = [];
  let offset = 0;
  for await (const line of createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })) {
    lines.push(line);
    if (lines.length === perBatch) {
      out.push({ text: lines.join('\n'), offset });
      offset += lines.length;
      lines = [];
    }
  }
  if (lines.length) out.push({ text: lines.join('\n'), offset });
  return out;
}

/** As ingest.ts reads: bytes cut into batches, each decoded as the worker decodes it. */
function batcherBatches(chunks: Buffer[], perBatch: number, maxBytes?: number): { text: string; offset: number }[] {
  const batcher = new LineBatcher(perBatch, maxBytes);
  const out = chunks.flatMap((c) => batcher.push(c));
  const last = batcher.end();
  if (last) out.push(last);
  return out.map((b) => ({ text: batchText(b.bytes), offset: b.offset }));
}

/**
 * Batches are equivalent when they hold the same non-blank lines at the same line numbers, batch by batch
 * (what parseRuntimeText reads: blank lines are skipped, so a trailing break is no line).
 */
const parsed = (batches: { text: string; offset: number }[]) =>
  batches
    .map((b) => b.text.split('\n').flatMap((l, i) => (l.trim() ? [`${b.offset + i + 1}: ${l}`] : [])))
    .filter((lines) => lines.length);

describe('LineBatcher', () => {
  it('splits lines as readline does (\\n, \\r\\n across chunks, a lone \\r, a last line without a break)', async () => {
    const piece = fc.constantFrom('a', '{"x":1}', 'ü', '\n', '\r\n', '\r', ' ', '\n\n', '🚀');
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 60 }),
        fc.array(fc.nat(20), { maxLength: 10 }),
        fc.integer({ min: 1, max: 5 }),
        async (pieces, cuts, perBatch) => {
          const text = Buffer.from(pieces.join(''));
          // The bytes cut into chunks at arbitrary places (also inside a \r\n or a character).
          const chunks: Buffer[] = [];
          let rest = text;
          for (const cut of cuts) {
            chunks.push(rest.subarray(0, cut));
            rest = rest.subarray(cut);
          }
          chunks.push(rest);
          const mine = batcherBatches(chunks, perBatch);
          const theirs = await readlineBatches(chunks, perBatch);
          expect(parsed(mine)).toEqual(parsed(theirs));
          // Every line is in a batch, numbered from the file's start.
          expect(mine.every((b, i) => b.offset === i * perBatch)).toBe(true);
          // Batches cut early by size hold the same lines, numbered the same.
          const small = batcherBatches(chunks, perBatch, 1 + (text.length % 7));
          expect(parsed(small).flat()).toEqual(parsed(theirs).flat());
        },
      ),
      { numRuns: 300, seed: 20261129 },
    );
  });

  it('starts again at line 1 after end(), and gives each batch a buffer of its own', () => {
    const batcher = new LineBatcher(2);
    const texts = (batches: { bytes: Buffer; offset: number }[]) => batches.map((b) => [batchText(b.bytes), b.offset]);
    const first = batcher.push(Buffer.from('a\nb\nc'));
    expect(texts(first)).toEqual([['a\nb', 0]]);
    expect(first[0]!.bytes.byteLength).toBe(first[0]!.bytes.buffer.byteLength);
    expect(texts([batcher.end()!])).toEqual([['c', 2]]);
    expect(batcher.end()).toBeNull();
    expect(texts(batcher.push(Buffer.from('d\r\ne\r')))).toEqual([['d\ne', 0]]);
    // The \n of the \r\n that ended the batch is not a line of the next one.
    expect(texts(batcher.push(Buffer.from('\nf\n')))).toEqual([]);
    expect(texts([batcher.end()!])).toEqual([['f\n', 2]]);
  });
});

function line(i: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `id-${i}`,
    stage: 'ResponseComplete',
    verb: 'get',
    user: { username: 'system:serviceaccount:shop:cart' },
    objectRef: { resource: 'pods', namespace: 'shop' },
    stageTimestamp: `2026-11-${10 + (i % 3)}T10:00:00.000001Z`,
    ...over,
  });
}

describe('parseBatch', () => {
  it('rejects malformed lines with their line in the file and keeps the valid ones of the batch', () => {
    const text = [line(1), '{"kind":"Event","auditID":', '', line(2), '[1,2]', line(3, { stage: 'Later' }), line(4)].join('\n');
    const batch = parseBatch(CLUSTER, text, 5000);
    expect(batch.events).toBe(3);
    expect(batch.rejectedCount).toBe(4);
    expect(batch.rejected.map((r) => r.item)).toEqual(['line 5002', 'line 5005 [0]', 'line 5005 [1]', 'line 5006']);
    expect(batch.rejected[0]!.reason).toMatch(/^not JSON: invalid JSON/);
    expect(batch.rejected[3]!.reason).toMatch(/stage/);
    expect(batch.days.sort()).toEqual(['2026-11-11', '2026-11-12']);
    // The rows are those of the events parseRuntimeText gives for the same text.
    const events = parseRuntimeText(text).events;
    expect(Buffer.from(batch.rows).toString('utf8')).toBe(Buffer.from(encodeRows(CLUSTER, events).rows).toString('utf8'));
  });

  it('counts every rejected item but carries at most REJECTED_PER_BATCH of them', () => {
    const text = Array.from({ length: REJECTED_PER_BATCH + 20 }, (_, i) => (i % 2 ? line(i) : `not json ${i}`)).join('\n');
    const batch = parseBatch(CLUSTER, text, 0);
    expect(batch.rejectedCount).toBe(60);
    expect(batch.events).toBe(60);
    expect(batch.rejected).toHaveLength(60);
    const many = parseBatch(CLUSTER, Array.from({ length: 250 }, () => 'x').join('\n'), 0);
    expect(many.rejectedCount).toBe(250);
    expect(many.rejected).toHaveLength(REJECTED_PER_BATCH);
    expect(many.rejected[0]!.item).toBe('line 1');
  });

  it('reads a whole document in a batch as parseRuntimeText does', () => {
    const text = JSON.stringify(
      { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [JSON.parse(line(1)), { auditID: '' }] },
      null,
      2,
    );
    const batch = parseBatch(CLUSTER, text, 0);
    expect(batch.events).toBe(1);
    expect(batch.rejected.map((r) => r.item)).toEqual(['items[1]']);
  });

  it('gives, read line by line from the bytes, exactly what it gives for the batch text', () => {
    const same = (bytes: Buffer, offset: number) => {
      const expected = parseBatch(CLUSTER, batchText(bytes), offset);
      const actual = parseBatchBytes(CLUSTER, bytes, offset);
      expect({ ...actual, rows: Buffer.from(actual.rows).toString('utf8') }).toEqual({
        ...expected,
        rows: Buffer.from(expected.rows).toString('utf8'),
      });
    };
    const event = (i: number) => JSON.stringify(JSON.parse(line(i, { userAgent: i % 2 ? 'ü 🚀' : 'plain\\ua' })));
    const pretty = JSON.stringify(JSON.parse(line(9)), null, 2);
    const list = JSON.stringify({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [JSON.parse(line(10)), { auditID: '' }],
    });
    const piece = fc.oneof(
      fc.nat(40).map(event),
      fc.constantFrom(
        pretty,
        list,
        '',
        ' ',
        '\t',
        '\ufeff',
        'not json',
        '{"kind":"Event"',
        '[1,2]',
        '"text"',
        '42',
        '{}',
        line(11, { stage: 'Later' }),
      ),
    );
    const eol = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r');
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, eol), { maxLength: 12 }), fc.boolean(), fc.nat(9000), (pieces, trailing, offset) => {
        const text = pieces.map(([p, e], i) => (i < pieces.length - 1 || trailing ? p + e : p)).join('');
        same(Buffer.from(text), offset);
      }),
      { numRuns: 500, seed: 20261130 },
    );
    // The usual batch: JSON lines, then a lone line (parsed as a document, as parseBatch does).
    same(Buffer.from(Array.from({ length: 50 }, (_, i) => event(i)).join('\n')), 100);
    same(Buffer.from(event(1)), 0);
  });

  it('gives rows that can be moved to another thread, and never a pooled buffer', () => {
    const batch = parseBatch(CLUSTER, line(1), 0);
    expect(transferable([batch.rows])).toEqual([batch.rows.buffer]);
    const pooled = Buffer.from('small');
    expect(transferable([pooled])).toEqual([]);
  });
});

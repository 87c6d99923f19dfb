import { describe, expect, it } from 'vitest';
import { reportLine, verifyChain, type StoredEntry } from './chain';
import { entryHash, GENESIS_HASH } from './hash';

/** A valid chain of n entries. */
function chain(n: number): StoredEntry[] {
  const out: StoredEntry[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const e = {
      seq,
      at: new Date(Date.UTC(2026, 10, 30, 0, 0, seq)).toISOString(),
      actor: seq % 2 ? 'alice' : 'bob',
      userId: null,
      action: 'anomaly.status',
      target: `anomaly:${seq}`,
      before: { status: 'open' },
      after: { status: 'resolved', n: seq },
      ip: null,
      userAgent: null,
      prevHash: prev,
    };
    const hash = entryHash(e);
    out.push({ ...e, hash });
    prev = hash;
  }
  return out;
}
const headOf = (c: StoredEntry[]) => ({ seq: c.at(-1)?.seq ?? 0, hash: c.at(-1)?.hash ?? GENESIS_HASH });

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', async () => {
    const c = chain(10);
    const r = await verifyChain(c, headOf(c));
    expect(r).toMatchObject({ entries: 10, broken: null, last: headOf(c) });
    expect(reportLine(r)).toBe('trail: 10 entries, chain ok');
    expect(reportLine(await verifyChain([], { seq: 0, hash: GENESIS_HASH }))).toBe('trail: 0 entries, chain ok');
  });

  it('finds an entry edited in place (its content no longer gives its hash)', async () => {
    const c = chain(10);
    c[4] = { ...c[4]!, actor: 'mallory' };
    const r = await verifyChain(c, headOf(c));
    expect(r.broken).toMatchObject({ seq: 5, reason: 'edited' });
    expect(reportLine(r)).toBe('trail: broken at entry 5: entry 5 was edited: its content does not give its hash');
  });

  it('finds an edit whose hash was recomputed too: the next entry no longer chains to it', async () => {
    const c = chain(10);
    const forged = { ...c[4]!, after: { status: 'open' } };
    c[4] = { ...forged, hash: entryHash(forged) };
    expect((await verifyChain(c, headOf(chain(10)))).broken).toMatchObject({ seq: 6, reason: 'chain' });
  });

  it('finds a deleted entry (a sequence gap), even when the chain was rebuilt behind it', async () => {
    const c = chain(10);
    const r = await verifyChain([...c.slice(0, 3), ...c.slice(4)], headOf(c));
    expect(r.broken).toMatchObject({ seq: 4, reason: 'missing' });
    expect(r.broken!.message).toBe('entry 4 is missing: it was deleted (entry 5 follows entry 3)');
    const r2 = await verifyChain([...c.slice(0, 3), ...c.slice(6)], headOf(c));
    expect(r2.broken!.message).toMatch(/entries 4–6 were deleted/);
  });

  it('finds entries reordered (their sequence numbers swapped)', async () => {
    const c = chain(10);
    const swapped = c.map((e) => (e.seq === 3 ? { ...c[3]!, seq: 3 } : e.seq === 4 ? { ...c[2]!, seq: 4 } : e));
    expect((await verifyChain(swapped, headOf(c))).broken).toMatchObject({ seq: 3, reason: 'edited' });
    // Read out of order (no longer sorted by seq).
    expect((await verifyChain([c[0]!, c[2]!, c[1]!], headOf(c))).broken).toMatchObject({ reason: 'missing' });
  });

  it('finds the last entries deleted through the head checkpoint, and an entry added behind the writer', async () => {
    const c = chain(10);
    const r = await verifyChain(c.slice(0, 8), headOf(c));
    expect(r.broken).toMatchObject({ seq: 9, reason: 'missing' });
    expect(r.broken!.message).toMatch(/head checkpoint is at entry 10 but the trail ends at entry 8/);
    expect((await verifyChain(c, headOf(c.slice(0, 9)))).broken).toMatchObject({ seq: 10, reason: 'head' });
    expect((await verifyChain(c, null)).broken).toMatchObject({ reason: 'head' });
    expect((await verifyChain(c, { seq: 10, hash: 'a'.repeat(64) })).broken).toMatchObject({ seq: 10, reason: 'head' });
  });

  it('finds a tail rewritten with its head through an anchor kept outside the database', async () => {
    const c = chain(10);
    const anchor = { seq: 7, hash: c[6]!.hash };
    // The tail from entry 7 rebuilt with other content, the head moved along: only the anchor tells.
    const rebuilt = c.slice(0, 6);
    let prev = rebuilt.at(-1)!.hash;
    for (let seq = 7; seq <= 10; seq++) {
      const e = { ...c[seq - 1]!, actor: 'mallory', prevHash: prev };
      const hash = entryHash(e);
      rebuilt.push({ ...e, hash });
      prev = hash;
    }
    expect((await verifyChain(rebuilt, headOf(rebuilt))).broken).toBeNull();
    expect((await verifyChain(rebuilt, headOf(rebuilt), [anchor])).broken).toMatchObject({ seq: 7, reason: 'anchor' });
    expect((await verifyChain(c.slice(0, 5), headOf(c.slice(0, 5)), [anchor])).broken).toMatchObject({
      seq: 6,
      reason: 'missing',
    });
    expect((await verifyChain(c, headOf(c), [anchor])).broken).toBeNull();
  });

  it('reads an async source (the database cursor) the same way', async () => {
    const c = chain(5);
    async function* rows() {
      for (const e of c) yield e;
    }
    expect(reportLine(await verifyChain(rows(), headOf(c)))).toBe('trail: 5 entries, chain ok');
  });
});

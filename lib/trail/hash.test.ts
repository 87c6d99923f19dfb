import { describe, expect, it } from 'vitest';
import { canonicalJson, entryHash, GENESIS_HASH, serialiseEntry, toJsonValue, type HashedEntry } from './hash';

const entry: HashedEntry = {
  seq: 1,
  at: '2026-11-30T04:35:25.123Z',
  actor: 'alice',
  userId: null,
  action: 'exception.create',
  target: 'exception:1',
  before: { status: 'open' },
  after: { status: 'excepted', approvedBy: 'bob' },
  ip: null,
  userAgent: null,
  prevHash: GENESIS_HASH,
};

describe('canonical JSON', () => {
  it('sorts keys at every depth and leaves no white space, whatever the order they were written in', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('drops undefined members as JSON does, writes dates as ISO strings and refuses what JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: null, c: [undefined] })).toBe('{"b":null,"c":[null]}');
    expect(canonicalJson(new Date('2026-01-02T03:04:05.006Z'))).toBe('"2026-01-02T03:04:05.006Z"');
    expect(() => canonicalJson(Number.NaN)).toThrow(/finite/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    expect(toJsonValue({ at: new Date(0), n: undefined })).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('escapes strings as JSON (quotes, control characters, non-ASCII kept as such)', () => {
    expect(canonicalJson({ 'k"': 'a\n"b"é' })).toBe('{"k\\"":"a\\n\\"b\\"é"}');
  });
});

describe('entry hash', () => {
  it('is the SHA-256 of the versioned serialisation with the previous hash', () => {
    expect(serialiseEntry(entry)).toBe(
      `["nhi-trail-v1","1","2026-11-30T04:35:25.123Z","alice",null,"exception.create","exception:1",{"status":"open"},{"approvedBy":"bob","status":"excepted"},null,null,"${GENESIS_HASH}"]`,
    );
    expect(entryHash(entry)).toMatch(/^[0-9a-f]{64}$/);
    // Stable: the same entry always gives the same hash (a known value guards the format).
    expect(entryHash(entry)).toBe(entryHash({ ...entry, after: { approvedBy: 'bob', status: 'excepted' } }));
  });

  it('changes when any field changes, the previous hash included', () => {
    const h = entryHash(entry);
    const variants: Partial<HashedEntry>[] = [
      { seq: 2 },
      { at: '2026-11-30T04:35:25.124Z' },
      { actor: 'mallory' },
      { userId: '00000000-0000-0000-0000-000000000001' },
      { action: 'exception.revoke' },
      { target: 'exception:2' },
      { target: null },
      { before: null },
      { after: { status: 'excepted', approvedBy: 'eve' } },
      { ip: '10.0.0.1' },
      { userAgent: 'curl' },
      { prevHash: 'f'.repeat(64) },
    ];
    for (const v of variants) expect(entryHash({ ...entry, ...v }), JSON.stringify(v)).not.toBe(h);
  });

  it('does not confuse a null with the string "null" or a field moved into the next one', () => {
    expect(entryHash({ ...entry, target: 'null' })).not.toBe(entryHash({ ...entry, target: null }));
    expect(entryHash({ ...entry, actor: 'ali', target: 'ceexception:1' })).not.toBe(entryHash(entry));
  });
});

/**
 * Verifying the trail's chain (pure): entries are read in `seq` order and each must follow the one before
 * it (seq + 1, its prevHash the previous hash) and carry the hash of its own content. The first entry that
 * does not is reported, with why:
 *
 * - `edited`: its content no longer gives its hash (a field changed in place);
 * - `missing`: a sequence gap (entries deleted), or the head checkpoint names entries that are not there
 *   (the last entries deleted);
 * - `chain`: its previous hash is not the hash of the entry before it (entries reordered, or one rewritten
 *   together with its own hash);
 * - `head`: the head checkpoint does not match the last entry (an entry added behind the writer's back, or the
 *   head rewound);
 * - `anchor`: an entry differs from a head kept outside the database (`--anchor SEQ:HASH`, e.g. from an
 *   earlier export's manifest): the only way to see the whole tail rewritten with its head by someone who can
 *   disable the triggers.
 */
import { entryHash, GENESIS_HASH, type HashedEntry } from './hash';

export interface StoredEntry extends HashedEntry {
  hash: string;
}

export interface TrailHead {
  seq: number;
  hash: string;
}

export type ChainBreak = { seq: number; reason: 'edited' | 'missing' | 'chain' | 'head' | 'anchor'; message: string };

export interface ChainReport {
  /** Entries read. */
  entries: number;
  /** The last entry that was read (seq 0 and the genesis hash for an empty trail). */
  last: TrailHead;
  /** The first break, or null when the whole chain holds. */
  broken: ChainBreak | null;
}

/**
 * Walks the chain; stops at the first break. `head` is the head checkpoint (null: missing); `anchors` are
 * heads recorded earlier outside the database.
 */
export async function verifyChain(
  entries: AsyncIterable<StoredEntry> | Iterable<StoredEntry>,
  head: TrailHead | null,
  anchors: TrailHead[] = [],
): Promise<ChainReport> {
  const anchorAt = new Map(anchors.map((a) => [a.seq, a.hash]));
  let prev: TrailHead = { seq: 0, hash: GENESIS_HASH };
  let count = 0;
  const stop = (b: ChainBreak): ChainReport => ({ entries: count, last: prev, broken: b });
  for await (const e of entries) {
    count++;
    if (e.seq !== prev.seq + 1) {
      const gap = e.seq > prev.seq + 1;
      return stop({
        seq: prev.seq + 1,
        reason: gap ? 'missing' : 'chain',
        message: gap
          ? `entry ${prev.seq + 1} is missing: ${e.seq === prev.seq + 2 ? 'it was' : `entries ${prev.seq + 1}–${e.seq - 1} were`} deleted (entry ${e.seq} follows entry ${prev.seq})`
          : `entry ${e.seq} is out of order after entry ${prev.seq}`,
      });
    }
    if (entryHash(e) !== e.hash)
      return stop({ seq: e.seq, reason: 'edited', message: `entry ${e.seq} was edited: its content does not give its hash` });
    if (e.prevHash !== prev.hash)
      return stop({
        seq: e.seq,
        reason: 'chain',
        message: `entry ${e.seq} does not chain to entry ${prev.seq}: its previous hash differs (entries reordered or rewritten)`,
      });
    const anchored = anchorAt.get(e.seq);
    if (anchored !== undefined && anchored !== e.hash)
      return stop({
        seq: e.seq,
        reason: 'anchor',
        message: `entry ${e.seq} differs from the anchor recorded for it (the trail was rewritten from there)`,
      });
    prev = { seq: e.seq, hash: e.hash };
  }
  const beyond = anchors.filter((a) => a.seq > prev.seq).sort((a, b) => a.seq - b.seq)[0];
  if (beyond)
    return stop({
      seq: prev.seq + 1,
      reason: 'missing',
      message: `entry ${prev.seq + 1} is missing: an anchor names entry ${beyond.seq} but the trail ends at entry ${prev.seq}`,
    });
  if (!head) return stop({ seq: prev.seq + 1, reason: 'head', message: 'the head checkpoint is missing (deleted)' });
  if (head.seq > prev.seq)
    return stop({
      seq: prev.seq + 1,
      reason: 'missing',
      message: `entry ${prev.seq + 1} is missing: the head checkpoint is at entry ${head.seq} but the trail ends at entry ${prev.seq} (the last entries were deleted)`,
    });
  if (head.seq < prev.seq)
    return stop({
      seq: head.seq + 1,
      reason: 'head',
      message: `entry ${head.seq + 1} was not written by the trail: the head checkpoint is at entry ${head.seq} but the trail goes on to entry ${prev.seq}`,
    });
  if (head.hash !== prev.hash)
    return stop({
      seq: prev.seq,
      reason: 'head',
      message: `entry ${prev.seq} does not match the head checkpoint's hash (rewritten)`,
    });
  return { entries: count, last: prev, broken: null };
}

/** The verify command's last line. */
export const reportLine = (r: ChainReport) =>
  r.broken ? `trail: broken at entry ${r.broken.seq}: ${r.broken.message}` : `trail: ${r.entries} entries, chain ok`;

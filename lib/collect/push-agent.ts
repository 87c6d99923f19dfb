/**
 * The agent mode: `nhi collect --watch --push URL --token-file F` runs the collector's list and watch inside a
 * cluster and, instead of writing a database, sends the state to a central dashboard (POST /api/push/inventory,
 * push-server.ts) with the cluster's ingest token. Only outbound HTTPS from the agent: the server never reaches
 * an API server.
 *
 * - A snapshot on start (and whenever the server asks for one, or the spool would overflow), then change
 *   batches: what differs from what was already queued (push-protocol.ts diffState).
 * - Every batch goes through the spool (spool.ts) first and is sent oldest first, one at a time, until the
 *   server acknowledges it: connection refused, timeouts, 5xx and 503 (busy) are retried with backoff (500 ms
 *   doubling to 30 s, Retry-After honoured). New changes are merged into the last batch not yet sent, so an
 *   outage grows the spool by what changed, not by the number of changes. On restart the spool is sent first.
 * - 409 (a gap, or the server lost the session) makes the agent send a fresh snapshot; 401/403 are logged and
 *   retried slowly (the token file is read again, so a rotated token is picked up); 400 drops the batch and
 *   sends a snapshot instead.
 * - When nothing changes, an empty batch every `heartbeatMs` (60 s) tells the server the agent is alive.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { invalidInput } from '@/lib/errors';
import { version } from '@/lib/version';
import type { ClusterTarget } from './kube';
import {
  diffState,
  mergeChanges,
  PART_BYTES,
  PUSH_PATH,
  PUSH_PROTOCOL,
  pushSafe,
  RESOURCE_KEYS,
  snapshotParts,
  stateOf,
  type AgentInfo,
  type Item,
  type PushBatch,
  type PushedState,
} from './push-protocol';
import { Spool, type SpoolEntry } from './spool';
import { emptySnapshot, type ClusterSnapshot, type CollectionNote } from './types';
import type { WatchSink } from './watch';

export interface PushAgentOptions {
  /** The push endpoint (push-protocol PUSH_PATH on the dashboard). */
  url: string;
  /** Returns the bearer token (read again after a 401). */
  token: () => string;
  spool: Spool;
  agent: AgentInfo;
  /** The name the agent gives its cluster (`--cluster`): the server refuses it when it is not the token's. */
  cluster?: string;
  log?: (line: string) => void;
  fetch?: typeof fetch;
  heartbeatMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  partBytes?: number;
}

export interface PushStats {
  acknowledged: number;
  duplicates: number;
  snapshots: number;
  lastAckAt: number | null;
  /** Milliseconds from the batch's first queueing to its acknowledgement, for the last batch. */
  lastLatencyMs: number | null;
}

/** The endpoint for `--push URL`: the dashboard's base URL, or the endpoint itself. */
export function pushUrlOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalidInput(`--push: not a URL: ${url}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalidInput('--push: the URL must be https:// (or http://)');
  if (!u.pathname.endsWith(PUSH_PATH)) u.pathname = `${u.pathname.replace(/\/$/, '')}${PUSH_PATH}`;
  return u.toString();
}

/** Reads a token file (a mounted Secret): the first line, trimmed. */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidInput(`--token-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const token = text.split('\n')[0]!.trim();
  if (!token) throw invalidInput(`--token-file: ${file} is empty`);
  return token;
}

/** The default spool of an agent: one per dashboard URL and cluster name, under the OS temporary directory. */
export function defaultSpoolDir(url: string, cluster: string): string {
  const id = createHash('sha256').update(`${url}\n${cluster}`).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), 'nhi-push', id);
}

const sleep = (ms: number, wake?: Promise<void>) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    void wake?.then(() => {
      clearTimeout(t);
      resolve();
    });
  });

function safeSnapshot(snapshot: ClusterSnapshot): ClusterSnapshot {
  const out = emptySnapshot();
  for (const key of RESOURCE_KEYS) (out[key] as Item[]) = (snapshot[key] as Item[]).map((o) => pushSafe(key, o));
  return out;
}

type Sent = 'acked' | 'retry' | 'dropped' | 'resnapshot';

export class PushAgent implements WatchSink {
  readonly session = randomUUID();
  readonly stats: PushStats = { acknowledged: 0, duplicates: 0, snapshots: 0, lastAckAt: null, lastLatencyMs: null };
  private seq = 0;
  /** What the server holds once every batch queued by this session is applied. */
  private pushed: PushedState | null = null;
  private latest: { snapshot: ClusterSnapshot; notes: CollectionNote[] } | null = null;
  /** The last change batch queued and not being sent, into which new changes are merged. */
  private tail: { entry: SpoolEntry; batch: PushBatch } | null = null;
  /** The sequence number of this session's latest reset: a refused batch before it needs nothing more. */
  private snapshotSeq = 0;
  private inFlight: SpoolEntry | null = null;
  private queuedAt = new Map<number, number>();
  private wakeUp: () => void = () => {};
  private wakeSignal: Promise<void> = Promise.resolve();
  private stopping: { deadline: number } | null = null;
  private stopped: () => void = () => {};
  private readonly stopSignal = new Promise<void>((resolve) => (this.stopped = resolve));
  private requestAbort: AbortController | null = null;
  private readonly log: (line: string) => void;
  private readonly fetchFn: typeof fetch;
  private lastProblem = { text: '', at: 0 };
  private failures = 0;
  /** Serialises changes to the spool (saves, heartbeats and snapshots asked for by the sender). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: PushAgentOptions) {
    this.log = opts.log ?? (() => {});
    this.fetchFn = opts.fetch ?? fetch;
    this.rearm();
  }

  private rearm(): void {
    this.wakeSignal = new Promise((resolve) => (this.wakeUp = resolve));
  }

  private wake(): void {
    this.wakeUp();
    this.rearm();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private head(): Omit<PushBatch, 'seq' | 'reset' | 'complete' | 'upserts' | 'deletes'> {
    return {
      protocol: PUSH_PROTOCOL,
      session: this.session,
      ...(this.opts.cluster ? { cluster: this.opts.cluster } : {}),
      agent: this.opts.agent,
      notes: (this.latest?.notes ?? []).slice(0, 200),
    };
  }

  private async enqueue(batch: PushBatch, opts: { ignoreBound?: boolean } = {}): Promise<SpoolEntry | null> {
    const body = gzipSync(JSON.stringify(batch));
    if (!opts.ignoreBound && this.opts.spool.wouldOverflow(body.length)) return null;
    const entry = await this.opts.spool.append(batch, body);
    this.queuedAt.set(entry.order, Date.now());
    this.wake();
    return entry;
  }

  /**
   * The whole state as a snapshot, replacing what this session queued (except the batch being sent). What an
   * earlier run left is still sent first, unless `all` (the spool is full): a snapshot supersedes it too.
   */
  private async enqueueSnapshot(reason: string, all = false): Promise<string> {
    const { snapshot } = this.latest!;
    for (const e of [...this.opts.spool.entries()])
      if (e !== this.inFlight && (all || e.session === this.session)) await this.opts.spool.remove(e);
    const parts = snapshotParts(safeSnapshot(snapshot), this.head(), this.seq + 1, this.opts.partBytes ?? PART_BYTES);
    for (const part of parts) await this.enqueue(part, { ignoreBound: true });
    this.seq += parts.length;
    this.snapshotSeq = parts[0]!.seq;
    this.pushed = stateOf(snapshot);
    this.tail = null;
    this.stats.snapshots += 1;
    const objects = parts.reduce((n, p) => n + p.upserts.length, 0);
    if (this.opts.spool.totalBytes > this.opts.spool.maxBytes)
      this.log(`push: the snapshot alone (${this.opts.spool.totalBytes} bytes) is larger than the spool's bound; kept anyway`);
    return `snapshot of ${objects} objects queued in ${parts.length} part(s) (${reason})`;
  }

  /** WatchSink: the watcher's whole current state, after its first list and after each burst of changes. */
  save(snapshot: ClusterSnapshot, notes: CollectionNote[]): Promise<string> {
    return this.exclusive(async () => {
      this.latest = { snapshot, notes };
      if (!this.pushed) return this.enqueueSnapshot('start');
      const diff = diffState(this.pushed, snapshot);
      if (!diff.upserts.length && !diff.deletes.length) return 'nothing new to push';
      const changes = {
        upserts: diff.upserts.map((u) => ({ resource: u.resource, object: pushSafe(u.resource, u.object) })),
        deletes: diff.deletes,
        notes: notes.slice(0, 200),
        agent: this.opts.agent,
      };
      const what = `${diff.upserts.length} changed and ${diff.deletes.length} deleted object(s)`;
      const tail = this.tail;
      if (tail && tail.entry !== this.inFlight && this.opts.spool.last() === tail.entry) {
        const merged = mergeChanges(tail.batch, changes);
        const json = JSON.stringify(merged);
        if (json.length <= (this.opts.partBytes ?? PART_BYTES)) {
          const body = gzipSync(json);
          if (!this.opts.spool.wouldOverflow(body.length, tail.entry)) {
            await this.opts.spool.replace(tail.entry, body);
            tail.batch = merged;
            this.pushed = stateOf(snapshot);
            this.wake();
            return `${what} queued (merged into batch ${merged.seq})`;
          }
        }
      }
      const batch: PushBatch = { ...this.head(), seq: this.seq + 1, reset: false, complete: true, ...changes };
      const entry = await this.enqueue(batch);
      if (!entry) return this.enqueueSnapshot(`the spool would pass its ${this.opts.spool.maxBytes} bytes`, true);
      this.seq = batch.seq;
      this.tail = { entry, batch };
      this.pushed = stateOf(snapshot);
      return `${what} queued as batch ${batch.seq}`;
    });
  }

  private problem(text: string): void {
    const now = Date.now();
    if (text !== this.lastProblem.text || now - this.lastProblem.at > 60_000) {
      const waiting = this.opts.spool.entries().length;
      this.log(`push: ${text}; ${waiting} batch(es) waiting in ${this.opts.spool.dir}, retrying`);
      this.lastProblem = { text, at: now };
    }
  }

  private backoff(retryAfterSeconds?: number): number {
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    const base = Math.min(max, min * 2 ** Math.min(this.failures, 20));
    this.failures += 1;
    const jittered = base / 2 + Math.random() * (base / 2);
    return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
  }

  private async send(entry: SpoolEntry): Promise<{ outcome: Sent; waitMs?: number }> {
    const body = await this.opts.spool.read(entry);
    const abort = new AbortController();
    this.requestAbort = abort;
    const timer = setTimeout(() => abort.abort(), this.opts.requestTimeoutMs ?? 120_000);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(this.opts.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.opts.token()}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'user-agent': `nhi-agent/${version}`,
        },
        body: new Uint8Array(body),
        signal: abort.signal,
      });
      text = await res.text();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      this.problem(`the server is not reachable (${abort.signal.aborted ? 'timed out' : (cause ?? (e as Error).message)})`);
      return { outcome: 'retry', waitMs: this.backoff() };
    } finally {
      clearTimeout(timer);
      this.requestAbort = null;
    }
    let answer: { code?: string; error?: string; status?: string; expected?: number } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // not JSON: a proxy's page
    }
    if (res.ok) {
      if (this.failures > 0) this.log(`push: the server acknowledges again (batch ${entry.seq})`);
      this.failures = 0;
      this.lastProblem = { text: '', at: 0 };
      this.stats.acknowledged += 1;
      if (answer.status === 'duplicate') this.stats.duplicates += 1;
      this.stats.lastAckAt = Date.now();
      const queued = this.queuedAt.get(entry.order);
      if (queued !== undefined) this.stats.lastLatencyMs = Date.now() - queued;
      return { outcome: 'acked' };
    }
    const retryAfter = Number(res.headers.get('retry-after')) || undefined;
    if (res.status === 409 || res.status === 400 || res.status === 413) {
      // 409: the server cannot apply it (a gap, or it holds no snapshot of this session). 400/413: it never will.
      // Batches of earlier sessions, and of this one before its latest snapshot, are superseded: dropped. Anything
      // else is replaced by a fresh snapshot (after a backoff when the server refused the batch itself).
      const current = entry.session === this.session && entry.seq >= this.snapshotSeq && this.latest !== null;
      const why = answer.error ?? answer.code ?? text.slice(0, 200);
      if (res.status !== 409) this.log(`push: the server refused batch ${entry.seq} (${res.status}: ${why})`);
      else if (current) this.log(`push: the server asks for a snapshot (${why})`);
      if (!current) return { outcome: 'dropped' };
      return { outcome: 'resnapshot', waitMs: res.status === 409 ? 0 : this.backoff() };
    }
    if (res.status === 401 || res.status === 403) {
      this.problem(`the server refused the token (${res.status}: ${answer.error ?? 'refused'})`);
      return { outcome: 'retry', waitMs: Math.max(this.backoff(), 5_000) };
    }
    this.problem(`the server answered ${res.status}${answer.error ? ` (${answer.error})` : ''}`);
    return { outcome: 'retry', waitMs: this.backoff(retryAfter) };
  }

  /** Sends the spool, oldest first, until stop(); returns once stopped. */
  async run(): Promise<void> {
    const heartbeatMs = this.opts.heartbeatMs ?? 60_000;
    let lastContact = Date.now();
    for (;;) {
      if (this.stopping && (Date.now() >= this.stopping.deadline || !this.opts.spool.head())) return;
      // Taken under the spool's lock: a save never merges into the batch being sent.
      const entry = await this.exclusive(async () => {
        const head = this.opts.spool.head();
        this.inFlight = head ?? null;
        if (head && this.tail?.entry === head) this.tail = null;
        return head;
      });
      if (!entry) {
        const idle = Math.max(0, lastContact + heartbeatMs - Date.now());
        if (idle > 0 || this.stopping) {
          await sleep(idle, this.wakeSignal);
          continue;
        }
        // Nothing changed for a while: an empty batch says the agent is alive (once a snapshot was queued).
        if (this.pushed)
          await this.exclusive(async () => {
            if (this.opts.spool.head()) return;
            const batch: PushBatch = {
              ...this.head(),
              seq: this.seq + 1,
              reset: false,
              complete: true,
              upserts: [],
              deletes: [],
            };
            if (await this.enqueue(batch, { ignoreBound: true })) this.seq = batch.seq;
          });
        lastContact = Date.now();
        continue;
      }
      let result: { outcome: Sent; waitMs?: number };
      try {
        result = await this.send(entry);
      } finally {
        this.inFlight = null;
      }
      if (result.outcome === 'retry') {
        const left = this.stopping ? Math.max(0, this.stopping.deadline - Date.now()) : Infinity;
        await sleep(Math.min(result.waitMs ?? 0, left), this.stopping ? undefined : this.stopSignal);
        continue;
      }
      lastContact = Date.now();
      this.queuedAt.delete(entry.order);
      await this.exclusive(() => this.opts.spool.remove(entry));
      if (result.outcome === 'resnapshot') {
        if (result.waitMs && !this.stopping) await sleep(result.waitMs, this.stopSignal);
        await this.exclusive(async () => this.log(`push: ${await this.enqueueSnapshot('asked by the server')}`));
      }
    }
  }

  /**
   * Stops sending: what is waiting is sent for up to `drainMs` more, and what is left stays in the spool for the
   * next start.
   */
  stop(drainMs = 10_000): void {
    this.stopping = { deadline: Date.now() + drainMs };
    this.stopped();
    setTimeout(() => this.requestAbort?.abort(), drainMs).unref();
    this.wake();
  }

  /** Batches waiting (for tests and the log). */
  get waiting(): number {
    return this.opts.spool.entries().length;
  }
}

/**
 * `nhi collect --watch --push URL --token-file F`: watches one cluster and pushes its state through a spool until
 * `signal` aborts; then what is pending is sent for up to 10 s and the rest kept in the spool.
 */
export async function pushWatch(
  target: ClusterTarget,
  opts: {
    url: string;
    tokenFile: string;
    cluster?: string;
    spoolDir?: string;
    maxSpoolBytes?: number;
    signal?: AbortSignal;
    log?: (line: string) => void;
    tlsCertificates?: boolean;
    debounceMs?: number;
    heartbeatMs?: number;
    drainMs?: number;
    /** Called once the agent runs (tests: to look at its stats). */
    onAgent?: (agent: PushAgent) => void;
  },
): Promise<void> {
  const { watchCluster } = await import('./watch');
  const url = pushUrlOf(opts.url);
  readTokenFile(opts.tokenFile); // fail at once on a missing file
  const name = opts.cluster ?? target.name;
  const spool = await Spool.open(opts.spoolDir ?? defaultSpoolDir(url, name), { maxBytes: opts.maxSpoolBytes });
  const log = opts.log ?? (() => {});
  const left = spool.entries().length;
  if (left) log(`push: ${left} batch(es) left by a previous run in ${spool.dir}: sending them first`);
  const agent = new PushAgent({
    url,
    token: () => readTokenFile(opts.tokenFile),
    spool,
    cluster: opts.cluster,
    log,
    heartbeatMs: opts.heartbeatMs,
    agent: { version, host: os.hostname(), source: target.source, server: target.server || null, context: target.context },
  });
  opts.onAgent?.(agent);
  const sending = agent.run();
  try {
    await watchCluster(
      null,
      { ...target, name },
      {
        sink: agent,
        signal: opts.signal,
        log,
        tlsCertificates: opts.tlsCertificates,
        debounceMs: opts.debounceMs,
      },
    );
  } finally {
    agent.stop(opts.drainMs ?? 10_000);
    await sending;
    spool.close();
    if (agent.waiting) log(`push: ${agent.waiting} batch(es) kept in ${spool.dir} for the next start`);
  }
}

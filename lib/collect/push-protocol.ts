/**
 * The agent mode's wire format and its pure rules (`nhi collect --watch --push URL`): an agent inside a cluster
 * lists and watches it, and sends what the collector keeps to POST /api/push/inventory as batches. Both ends
 * use this file: the agent to make and merge batches (push-agent.ts), the server to check and apply them
 * (push-server.ts).
 *
 * - A batch carries upserts and deletes of objects, keyed by resource and `namespace/name` (reducer.ts itemKey).
 * - A snapshot is one or more batches: the first has `reset` (the cluster's pushed objects are replaced), the last
 *   has `complete` (the state is whole: the server saves it as the cluster's inventory). A change batch is both
 *   not `reset` and `complete`.
 * - Every batch has a sequence number, increasing by one per agent session (a random id per agent start). The
 *   server applies a batch once: a replayed one is acknowledged without applying it again, a gap is refused
 *   with the sequence the server expects, and a change batch of a session whose snapshot is not the cluster's
 *   latest is refused so that the agent sends a fresh snapshot (decideBatch).
 * - Objects are reduced before they leave the agent, and again by the server (pushSafe): Secrets to the
 *   collector's allow-listed metadata (sanitize.ts), and container env values, commands and arguments dropped
 *   (the inventory never reads them; they may hold credentials written in plain text).
 */
import { z } from 'zod';
import { itemKey } from './reducer';
import { sanitizeSecret, slimObject } from './sanitize';
import {
  emptySnapshot,
  type ClusterSnapshot,
  type CollectionNote,
  type KubeObject,
  type ResourceKey,
  type SecretMeta,
} from './types';

export const PUSH_PROTOCOL = 1;
export const PUSH_PATH = '/api/push/inventory';
/** Largest request body the server reads (gzip-compressed, as the agent sends it). */
export const MAX_PUSH_BODY_BYTES = 32 * 1024 * 1024;
/** Largest body once decompressed. The agent cuts snapshots into parts well below it (PART_BYTES). */
export const MAX_PUSH_JSON_BYTES = 96 * 1024 * 1024;
/** The agent's target size of one batch's JSON (a snapshot of a large cluster is sent in parts of this size). */
export const PART_BYTES = 8 * 1024 * 1024;
export const MAX_NOTES = 200;

export type Item = KubeObject | SecretMeta;
export const RESOURCE_KEYS = Object.keys(emptySnapshot()) as ResourceKey[];

export interface AgentInfo {
  /** The agent's nhi version. */
  version: string;
  /** The host (Pod) name the agent runs on. */
  host: string;
  source: 'kubeconfig' | 'in_cluster';
  /** The API server the agent reads, as it reaches it (never credentials). */
  server: string | null;
  context: string | null;
}

export interface PushUpsert {
  resource: ResourceKey;
  object: Item;
}
export interface PushDelete {
  resource: ResourceKey;
  /** `namespace/name` (an empty namespace for cluster-scoped objects). */
  key: string;
}

export interface PushBatch {
  protocol: typeof PUSH_PROTOCOL;
  session: string;
  seq: number;
  /** The first part of a snapshot: the cluster's pushed objects are replaced by what follows. */
  reset: boolean;
  /** The state is whole after this batch (the last part of a snapshot, and every change batch). */
  complete: boolean;
  /** The agent's name for its cluster (`--cluster`): when given it must be the ingest token's cluster. */
  cluster?: string;
  agent: AgentInfo;
  /** What the agent could not collect (APIs not served, lists refused), as a collection run records them. */
  notes: CollectionNote[];
  upserts: PushUpsert[];
  deletes: PushDelete[];
}

const itemSchema = z
  .object({
    metadata: z.object({ name: z.string().min(1).max(253), namespace: z.string().max(253).optional() }).catchall(z.unknown()),
  })
  .catchall(z.unknown());

const resourceSchema = z.enum(RESOURCE_KEYS as [ResourceKey, ...ResourceKey[]]);

export const pushBatchSchema = z
  .object({
    protocol: z.literal(PUSH_PROTOCOL),
    session: z.uuid(),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    reset: z.boolean(),
    complete: z.boolean(),
    cluster: z.string().min(1).max(253).optional(),
    agent: z.object({
      version: z.string().max(64),
      host: z.string().max(253),
      source: z.enum(['kubeconfig', 'in_cluster']),
      server: z.string().max(2048).nullable(),
      context: z.string().max(253).nullable(),
    }),
    notes: z
      .array(
        z.object({
          resource: z.string().max(128).optional(),
          source: z.string().max(512).optional(),
          level: z.enum(['info', 'warning', 'error']),
          message: z.string().max(2000),
        }),
      )
      .max(MAX_NOTES),
    upserts: z.array(z.object({ resource: resourceSchema, object: itemSchema })),
    deletes: z.array(z.object({ resource: resourceSchema, key: z.string().max(520) })),
  })
  .refine((b) => !(b.reset && b.deletes.length), { message: 'a reset batch has no deletes', path: ['deletes'] });

/** Where a collection of containers lives in each kind's spec (pod templates included). */
function podSpecsOf(resource: ResourceKey, o: Record<string, unknown>): Record<string, unknown>[] {
  const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const spec = obj(o.spec);
  if (!spec) return [];
  if (resource === 'pods') return [spec];
  if (resource === 'cronJobs') {
    const s = obj(obj(obj(obj(spec.jobTemplate)?.spec)?.template)?.spec);
    return s ? [s] : [];
  }
  const s = obj(obj(spec.template)?.spec);
  return s ? [s] : [];
}

/** A container without its env values, command and arguments (env names and secretKeyRef/configMapKeyRef stay). */
function safeContainer(c: unknown): unknown {
  if (!c || typeof c !== 'object') return c;
  const { command: _c, args: _a, ...rest } = c as Record<string, unknown>;
  if (Array.isArray(rest.env))
    rest.env = rest.env.map((e: unknown) => {
      if (!e || typeof e !== 'object') return e;
      const { value: _v, ...kept } = e as Record<string, unknown>;
      return kept;
    });
  return rest;
}

/**
 * What of an object is pushed and kept by the server: Secrets reduced to the allow-listed metadata (with the
 * public certificate facts and key class the collector derived), everything else slimmed (no managedFields, no
 * last-applied annotation) and without container env values, commands or arguments.
 */
export function pushSafe(resource: ResourceKey, object: Item): Item {
  if (resource === 'secrets') {
    const s = object as SecretMeta & Record<string, unknown>;
    const out = sanitizeSecret(s as never);
    const cert = s.certificate as Record<string, unknown> | undefined;
    if (cert && typeof cert === 'object' && typeof cert.fingerprintSha256 === 'string')
      out.certificate = {
        subject: String(cert.subject ?? ''),
        issuer: String(cert.issuer ?? ''),
        sans: Array.isArray(cert.sans) ? cert.sans.map(String) : [],
        notBefore: String(cert.notBefore ?? ''),
        notAfter: String(cert.notAfter ?? ''),
        fingerprintSha256: cert.fingerprintSha256,
        serialNumber: String(cert.serialNumber ?? ''),
        selfSigned: cert.selfSigned === true,
        isCA: cert.isCA === true,
        chainLength: Number(cert.chainLength ?? 1) || 1,
      };
    if (typeof s.keyClass === 'string') out.keyClass = s.keyClass as SecretMeta['keyClass'];
    return out;
  }
  const slim = slimObject(object as KubeObject) as KubeObject;
  const specs = podSpecsOf(resource, slim);
  if (!specs.length) return slim;
  // A copy down to the pod specs: the collector's own objects are never changed.
  const copy = structuredClone(slim);
  for (const spec of podSpecsOf(resource, copy))
    for (const field of ['containers', 'initContainers', 'ephemeralContainers'])
      if (Array.isArray(spec[field])) spec[field] = (spec[field] as unknown[]).map(safeContainer);
  return copy;
}

/** The objects the agent has sent (or queued), per resource and key. */
export type PushedState = Map<ResourceKey, Map<string, Item>>;

export function stateOf(snapshot: ClusterSnapshot): PushedState {
  const state: PushedState = new Map();
  for (const key of RESOURCE_KEYS) state.set(key, new Map((snapshot[key] as Item[]).map((o) => [itemKey(o), o])));
  return state;
}

const same = (a: Item, b: Item) =>
  a === b || (a.metadata.resourceVersion === b.metadata.resourceVersion && JSON.stringify(a) === JSON.stringify(b));

/** What changed from `previous` to `snapshot` (objects compared by resourceVersion and content). */
export function diffState(previous: PushedState, snapshot: ClusterSnapshot): { upserts: PushUpsert[]; deletes: PushDelete[] } {
  const upserts: PushUpsert[] = [];
  const deletes: PushDelete[] = [];
  for (const resource of RESOURCE_KEYS) {
    const before = previous.get(resource) ?? new Map<string, Item>();
    const now = new Map((snapshot[resource] as Item[]).map((o) => [itemKey(o), o]));
    for (const [key, o] of now) {
      const old = before.get(key);
      if (!old || !same(old, o)) upserts.push({ resource, object: o });
    }
    for (const key of before.keys()) if (!now.has(key)) deletes.push({ resource, key });
  }
  return { upserts, deletes };
}

/** `b` applied after `a` (two change batches of one session) as one batch with `a`'s sequence number. */
export function mergeChanges(a: PushBatch, b: Pick<PushBatch, 'upserts' | 'deletes' | 'notes' | 'agent'>): PushBatch {
  const ops = new Map<string, { upsert?: PushUpsert; del?: PushDelete }>();
  const id = (resource: string, key: string) => `${resource}\u0000${key}`;
  for (const u of a.upserts) ops.set(id(u.resource, itemKey(u.object)), { upsert: u });
  for (const d of a.deletes) ops.set(id(d.resource, d.key), { del: d });
  for (const u of b.upserts) ops.set(id(u.resource, itemKey(u.object)), { upsert: u });
  for (const d of b.deletes) ops.set(id(d.resource, d.key), { del: d });
  const upserts: PushUpsert[] = [];
  const deletes: PushDelete[] = [];
  for (const op of ops.values()) {
    if (op.upsert) upserts.push(op.upsert);
    if (op.del) deletes.push(op.del);
  }
  return { ...a, upserts, deletes, notes: b.notes, agent: b.agent };
}

/** A snapshot as batches of at most about `partBytes` of JSON each: the first resets, the last completes. */
export function snapshotParts(
  snapshot: ClusterSnapshot,
  head: Omit<PushBatch, 'seq' | 'reset' | 'complete' | 'upserts' | 'deletes'>,
  firstSeq: number,
  partBytes = PART_BYTES,
): PushBatch[] {
  const parts: PushUpsert[][] = [[]];
  let size = 0;
  for (const resource of RESOURCE_KEYS)
    for (const object of snapshot[resource] as Item[]) {
      const bytes = JSON.stringify(object).length + 40;
      if (size + bytes > partBytes && parts.at(-1)!.length) {
        parts.push([]);
        size = 0;
      }
      parts.at(-1)!.push({ resource, object });
      size += bytes;
    }
  return parts.map((upserts, i) => ({
    ...head,
    seq: firstSeq + i,
    reset: i === 0,
    complete: i === parts.length - 1,
    upserts,
    deletes: [],
  }));
}

/** The server's record of an agent session of a cluster (PushCursor). */
export interface Cursor {
  session: string;
  lastSeq: number;
  /** The session whose snapshot the cluster's pushed objects come from (one per cluster). */
  current: boolean;
}

export type Decision =
  | { action: 'apply' }
  | { action: 'duplicate'; next: number }
  | { action: 'gap'; expected: number }
  | { action: 'snapshot-needed'; reason: string };

/**
 * What the server does with a batch, given its session's cursor (if any). A replay (a sequence number already
 * applied) is acknowledged without applying it; a reset starts from any later number (it replaces everything);
 * any other batch must follow the last one applied, in the session whose snapshot the cluster holds.
 */
export function decideBatch(cursor: Cursor | undefined, batch: Pick<PushBatch, 'session' | 'seq' | 'reset'>): Decision {
  if (cursor && cursor.session !== batch.session) throw new Error('decideBatch: the cursor of another session');
  if (cursor && batch.seq <= cursor.lastSeq) return { action: 'duplicate', next: cursor.lastSeq + 1 };
  if (batch.reset) return { action: 'apply' };
  if (!cursor) return { action: 'snapshot-needed', reason: 'the server holds no snapshot of this agent session' };
  if (!cursor.current)
    return { action: 'snapshot-needed', reason: 'a later snapshot of this cluster came from another agent session' };
  if (batch.seq !== cursor.lastSeq + 1) return { action: 'gap', expected: cursor.lastSeq + 1 };
  return { action: 'apply' };
}

/** The objects after a batch (`objects` keyed `resource\0namespace/name` is changed in place). */
export function applyToObjects(objects: Map<string, { resource: ResourceKey; object: Item }>, batch: PushBatch): void {
  if (batch.reset) objects.clear();
  for (const d of batch.deletes) objects.delete(`${d.resource}\u0000${d.key}`);
  for (const u of batch.upserts) objects.set(`${u.resource}\u0000${itemKey(u.object)}`, u);
}

export function snapshotOfObjects(objects: Iterable<{ resource: ResourceKey; object: Item }>): ClusterSnapshot {
  const snapshot = emptySnapshot();
  for (const { resource, object } of objects) (snapshot[resource] as Item[]).push(object);
  return snapshot;
}

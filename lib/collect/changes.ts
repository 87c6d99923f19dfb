import { identityKey } from '@/lib/keys';
import type { BindingRec, CredentialRec, IdentityRec, Inventory, RoleRec, WorkloadRec } from './inventory';

/** What the previous sync left in the database, as far as timeline events need it. */
export interface PreviousState {
  /** uid is null for ServiceAccounts only referenced (by a binding or a pod), not present as objects. */
  identities: Pick<IdentityRec, 'key' | 'kind' | 'uid'>[];
  workloads: Pick<WorkloadRec, 'key' | 'images' | 'serviceAccountName'>[];
  credentials: Pick<
    CredentialRec,
    | 'key'
    | 'uid'
    | 'kind'
    | 'identity'
    | 'resourceVersion'
    | 'metadata'
    | 'certificate'
    | 'rotatedAt'
    | 'lastUsedAt'
    | 'lastUsedSource'
  >[];
  roles: Pick<RoleRec, 'key' | 'rules'>[];
  bindings: Pick<BindingRec, 'key' | 'roleRefKind' | 'roleRefName' | 'subjects'>[];
}

export interface TimelineChange {
  kind: string;
  summary: string;
  identity?: string;
  workload?: string;
  /** The credential's key (`<namespace>/<kind>/<name>`) for credential events. */
  credential?: string;
  details: Record<string, unknown>;
}

type StoredCredential = PreviousState['credentials'][number];

/** Annotations whose change means the Secret's data was replaced by the tool that manages it. */
const ROTATION_ANNOTATIONS = ['reconcile.external-secrets.io/data-hash', 'cert-manager.io/renewal-time'];

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

const annotation = (c: Pick<CredentialRec, 'metadata'>, key: string) =>
  (c.metadata.annotations as Record<string, string> | undefined)?.[key];

/**
 * Why a credential counts as rotated since the last sync, or undefined: the Secret was recreated (new uid),
 * its certificate changed, the tool that manages it says it replaced the data, or its data changed (its
 * resourceVersion moved while its labels and annotations stayed the same; values are never compared). A
 * metadata change (the API server's daily last-use stamp on legacy tokens, a new label) moves the
 * resourceVersion too, so it never counts: a rotation made together with one goes unseen.
 */
export function rotationOf(before: StoredCredential, c: CredentialRec): string | undefined {
  if (before.uid && c.uid && before.uid !== c.uid) return 'recreated';
  const fingerprint = (x: { certificate: CredentialRec['certificate'] }) => x.certificate?.fingerprintSha256;
  if (fingerprint(before) && fingerprint(c) && fingerprint(before) !== fingerprint(c)) return 'new certificate';
  for (const key of ROTATION_ANNOTATIONS) {
    const [was, is] = [annotation(before, key), annotation(c, key)];
    if (was && is && was !== is) return `${key} changed`;
  }
  if (
    before.resourceVersion &&
    c.resourceVersion &&
    before.resourceVersion !== c.resourceVersion &&
    canonical(before.metadata) === canonical(c.metadata)
  )
    return 'data replaced';
  return undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** The identity a binding subject designates (a ServiceAccount without namespace is in the binding's). */
const saKeyOf = (s: { kind: string; name: string; namespace?: string }, bindingNs: string) =>
  s.kind === 'ServiceAccount'
    ? identityKey({ kind: s.kind, namespace: s.namespace ?? bindingNs, name: s.name })
    : s.kind === 'User' || s.kind === 'Group'
      ? identityKey({ kind: s.kind, name: s.name })
      : undefined;

/**
 * The changes between two syncs that matter to people: bindings added or removed (per subject), role
 * rules changed, a workload's images or ServiceAccount changed, secrets recreated (new uid under the
 * same name), ServiceAccounts created or deleted. Pure; the store writes them as timeline events.
 */
export function diffInventories(prev: PreviousState, next: Inventory): TimelineChange[] {
  const out: TimelineChange[] = [];

  const prevSa = new Set(prev.identities.filter((i) => i.kind === 'ServiceAccount' && i.uid).map((i) => i.key));
  const nextSa = new Set(next.identities.filter((i) => i.kind === 'ServiceAccount' && i.uid).map((i) => i.key));
  for (const key of nextSa)
    if (!prevSa.has(key))
      out.push({
        kind: 'sa.created',
        summary: `ServiceAccount ${key.slice('ServiceAccount/'.length)} created`,
        identity: key,
        details: {},
      });
  for (const key of prevSa) {
    if (!next.identities.some((i) => i.key === key && i.uid))
      out.push({
        kind: 'sa.deleted',
        summary: `ServiceAccount ${key.slice('ServiceAccount/'.length)} deleted`,
        identity: key,
        details: {},
      });
  }

  const prevBindings = new Map(prev.bindings.map((b) => [b.key, b]));
  const nextBindings = new Map(next.bindings.map((b) => [b.key, b]));
  const bindingEvent = (
    kind: 'binding.added' | 'binding.removed',
    b: Pick<BindingRec, 'key' | 'roleRefKind' | 'roleRefName' | 'subjects'>,
    subjects = b.subjects,
  ) => {
    const ns = b.key.split('/')[1] ?? '';
    for (const s of subjects) {
      const identity = saKeyOf(s, ns);
      out.push({
        kind,
        summary: `${b.key.split('/')[0]} ${b.key.split('/').slice(1).filter(Boolean).join('/')} ${kind === 'binding.added' ? 'grants' : 'no longer grants'} ${b.roleRefKind} ${b.roleRefName} to ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`,
        identity,
        details: { binding: b.key, roleRef: `${b.roleRefKind}/${b.roleRefName}`, subject: s },
      });
    }
  };
  for (const [key, b] of nextBindings) {
    const before = prevBindings.get(key);
    if (!before) bindingEvent('binding.added', b);
    else if (before.roleRefKind !== b.roleRefKind || before.roleRefName !== b.roleRefName) {
      bindingEvent('binding.removed', before);
      bindingEvent('binding.added', b);
    } else {
      const had = new Set(before.subjects.map((s) => JSON.stringify(s)));
      const has = new Set(b.subjects.map((s) => JSON.stringify(s)));
      const added = b.subjects.filter((s) => !had.has(JSON.stringify(s)));
      const removed = before.subjects.filter((s) => !has.has(JSON.stringify(s)));
      if (added.length) bindingEvent('binding.added', b, added);
      if (removed.length) bindingEvent('binding.removed', before, removed);
    }
  }
  for (const [key, b] of prevBindings) if (!nextBindings.has(key)) bindingEvent('binding.removed', b);

  const prevRoles = new Map(prev.roles.map((r) => [r.key, r]));
  for (const r of next.roles) {
    const before = prevRoles.get(r.key);
    if (before && !same(before.rules, r.rules)) {
      out.push({
        kind: 'role.rules_changed',
        summary: `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name} rules changed`,
        details: { role: r.key, before: before.rules, after: r.rules },
      });
    }
  }

  const prevWorkloads = new Map(prev.workloads.map((w) => [w.key, w]));
  for (const w of next.workloads) {
    const before = prevWorkloads.get(w.key);
    if (!before) continue;
    if (!same(before.images, w.images)) {
      out.push({
        kind: 'workload.image_changed',
        summary: `${w.kind} ${w.namespace}/${w.name} images changed`,
        workload: w.key,
        details: { before: before.images, after: w.images },
      });
    }
    if (before.serviceAccountName !== w.serviceAccountName) {
      out.push({
        kind: 'workload.sa_changed',
        summary: `${w.kind} ${w.namespace}/${w.name} now runs as ${w.serviceAccountName} (was ${before.serviceAccountName})`,
        workload: w.key,
        identity: identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName }),
        details: { before: before.serviceAccountName, after: w.serviceAccountName },
      });
    }
  }

  const prevCreds = new Map(prev.credentials.map((c) => [c.key, c]));
  for (const c of next.credentials) {
    const before = prevCreds.get(c.key);
    const reason = before && rotationOf(before, c);
    if (!reason) continue;
    const how = reason === 'recreated' ? 'was deleted and created again' : `was rotated (${reason})`;
    out.push({
      kind: 'credential.rotated',
      summary: `Secret ${c.namespace}/${c.name} (${c.kind}) ${how}`,
      identity: c.identity ?? undefined,
      credential: c.key,
      details: {
        credential: c.key,
        reason,
        ...(reason === 'recreated' ? { beforeUid: before.uid, afterUid: c.uid } : {}),
        ...(reason === 'new certificate'
          ? { before: before.certificate?.fingerprintSha256, after: c.certificate?.fingerprintSha256 }
          : {}),
      },
    });
  }
  return out;
}

import type { ObjectMeta, SecretMeta } from './types';

/**
 * Which Secret annotations are kept. An allow-list, not a deny-list: annotations such as
 * kubectl.kubernetes.io/last-applied-configuration carry the Secret's data, and an unknown tool may
 * write its own copy under any name. Only keys that name owners, bindings and rotation are kept.
 */
const keptSecretAnnotations = new Set([
  'kubernetes.io/service-account.name',
  'kubernetes.io/service-account.uid',
  'kubernetes.io/created-by',
  'cert-manager.io/certificate-name',
  'cert-manager.io/issuer-name',
  'cert-manager.io/issuer-kind',
  'cert-manager.io/common-name',
  'cert-manager.io/alt-names',
  'cert-manager.io/renewal-time',
  'reconcile.external-secrets.io/data-hash',
  'meta.helm.sh/release-name',
  'meta.helm.sh/release-namespace',
  'owner',
  'team',
  'app.kubernetes.io/owner',
  'nhi.dev/owner',
  'nhi.dev/team',
  'nhi.dev/rotated-at',
  'nhi.dev/expires-at',
]);

/** Label values are short, validated strings (63 chars, no spaces); still, keep only well-formed ones. */
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function pick(
  record: Record<string, string> | undefined,
  keep: (key: string, value: string) => boolean,
): Record<string, string> | undefined {
  if (!record) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (typeof v === 'string' && keep(k, v)) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Reduces anything Secret-shaped (a full Secret from a dump, a PartialObjectMetadata from the API, a
 * Table row's object) to the fields the inventory needs. `data`, `stringData`, managedFields and every
 * annotation outside the allow-list are dropped here, before the object is stored anywhere.
 */
export function sanitizeSecret(
  input: { metadata?: Partial<ObjectMeta> & Record<string, unknown>; type?: unknown },
  type?: string,
): SecretMeta {
  const m = input.metadata ?? {};
  const metadata: ObjectMeta = { name: String(m.name ?? '') };
  if (typeof m.namespace === 'string') metadata.namespace = m.namespace;
  if (typeof m.uid === 'string') metadata.uid = m.uid;
  if (typeof m.resourceVersion === 'string') metadata.resourceVersion = m.resourceVersion;
  if (typeof m.creationTimestamp === 'string') metadata.creationTimestamp = m.creationTimestamp;
  if (typeof m.deletionTimestamp === 'string') metadata.deletionTimestamp = m.deletionTimestamp;
  const labels = pick(m.labels as Record<string, string> | undefined, (_k, v) => v.length <= 63 && labelValue.test(v));
  if (labels) metadata.labels = labels;
  const annotations = pick(
    m.annotations as Record<string, string> | undefined,
    (k, v) => keptSecretAnnotations.has(k) && v.length <= 512,
  );
  if (annotations) metadata.annotations = annotations;
  if (Array.isArray(m.ownerReferences)) {
    metadata.ownerReferences = (m.ownerReferences as unknown as Record<string, unknown>[]).map((o) => ({
      apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : undefined,
      kind: String(o.kind ?? ''),
      name: String(o.name ?? ''),
      uid: typeof o.uid === 'string' ? o.uid : undefined,
      controller: o.controller === true ? true : undefined,
    }));
  }
  const secretType = type ?? (typeof input.type === 'string' ? input.type : undefined);
  const out: SecretMeta = { apiVersion: 'v1', kind: 'Secret', metadata };
  if (secretType) out.type = secretType;
  return out;
}

/** Strips managedFields and the last-applied annotation from any other object (they bloat and may leak). */
export function slimObject<T extends { metadata?: unknown }>(obj: T): T {
  const meta = obj.metadata as (ObjectMeta & { managedFields?: unknown }) | undefined;
  if (!meta) return obj;
  const { managedFields: _mf, ...rest } = meta;
  if (rest.annotations && 'kubectl.kubernetes.io/last-applied-configuration' in rest.annotations) {
    const { ['kubectl.kubernetes.io/last-applied-configuration']: _la, ...annotations } = rest.annotations;
    rest.annotations = annotations;
  }
  return { ...obj, metadata: rest };
}

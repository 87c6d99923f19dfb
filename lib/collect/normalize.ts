import { classifyCredential } from '@/lib/credentials/classify';
import { identityKey, roleKey } from '@/lib/keys';
import {
  credentialKey,
  workloadKey,
  type AdmissionPolicyRec,
  type BindingRec,
  type ClusterFacts,
  type CredentialKindName,
  type CredentialRec,
  type CredentialUseRec,
  type IdentityLinkRec,
  type IdentityRec,
  type Inventory,
  type NamespaceRec,
  type OwnerHintRec,
  type PodSpecFacts,
  type RoleRec,
  type WorkloadIdentityRec,
  type WorkloadRec,
} from './inventory';
import { labelSelectorMatches } from '@/lib/rbac/match';
import type { LabelSelector } from '@/lib/rbac/types';
import { resourceSpec } from './resources';
import type { ClusterSnapshot, KubeObject, ObjectMeta, SecretMeta } from './types';

/** Options of the normaliser. */
export interface NormalizeOptions {
  /** SPIFFE trust domain for inferred and templated SPIFFE IDs. */
  trustDomain?: string;
}

// ─────────────────────────────── small typed accessors ───────────────────────────────

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const labelsOf = (m: ObjectMeta | undefined) => ({ ...(m?.labels ?? {}) });
const ns = (o: { metadata: ObjectMeta }) => o.metadata.namespace ?? '';
const sortBy = <T>(rows: T[], key: (r: T) => string) => rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/** Annotations worth keeping on identities and workloads; the rest (e.g. last-applied) is dropped. */
function keptAnnotations(m: ObjectMeta | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m?.annotations ?? {})) {
    if (k === 'kubectl.kubernetes.io/last-applied-configuration') continue;
    if (v.length > 1024) continue;
    out[k] = v;
  }
  return out;
}

// ─────────────────────────────── pod templates ───────────────────────────────

/** The pod template spec of a workload object (Deployment…, CronJob's job template, or a Pod itself). */
export function podSpecOf(o: KubeObject): Obj {
  const spec = obj(o.spec);
  switch (o.kind) {
    case 'Pod':
      return spec;
    case 'CronJob':
      return obj(obj(obj(obj(spec.jobTemplate).spec).template).spec);
    default:
      return obj(obj(spec.template).spec);
  }
}

function podTemplateMeta(o: KubeObject): ObjectMeta {
  if (o.kind === 'Pod') return o.metadata;
  if (o.kind === 'CronJob') return (obj(obj(obj(obj(o.spec).jobTemplate).spec).template).metadata ?? { name: '' }) as ObjectMeta;
  return (obj(obj(o.spec).template).metadata ?? { name: '' }) as ObjectMeta;
}

const containersOf = (spec: Obj) => [...arr(spec.initContainers), ...arr(spec.containers), ...arr(spec.ephemeralContainers)];

interface SecretRef {
  name: string;
  via: string;
}

/** Every Secret a pod spec references: volumes, projected sources, env, envFrom, image pull secrets. */
export function secretRefsOf(spec: Obj): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const v of arr(spec.volumes)) {
    const s = str(obj(v.secret).secretName);
    if (s) refs.push({ name: s, via: 'volume' });
    for (const src of arr(obj(v.projected).sources)) {
      const p = str(obj(src.secret).name);
      if (p) refs.push({ name: p, via: 'volume' });
    }
  }
  for (const c of containersOf(spec)) {
    for (const e of arr(c.env)) {
      const s = str(obj(obj(e.valueFrom).secretKeyRef).name);
      if (s) refs.push({ name: s, via: 'env' });
    }
    for (const e of arr(c.envFrom)) {
      const s = str(obj(e.secretRef).name);
      if (s) refs.push({ name: s, via: 'envFrom' });
    }
  }
  for (const p of arr(spec.imagePullSecrets)) {
    const s = str(p.name);
    if (s) refs.push({ name: s, via: 'imagePullSecret' });
  }
  return refs;
}

/** Projected ServiceAccount token volumes declared in a pod spec (audience and lifetime). */
export function projectedTokensOf(
  spec: Obj,
): { volume: string; audience: string | null; expirationSeconds: number; path: string }[] {
  const out = [];
  for (const v of arr(spec.volumes)) {
    for (const src of arr(obj(v.projected).sources)) {
      const t = obj(src.serviceAccountToken);
      if (!Object.keys(t).length) continue;
      out.push({
        volume: str(v.name) ?? '',
        audience: str(t.audience) ?? null,
        expirationSeconds: typeof t.expirationSeconds === 'number' ? t.expirationSeconds : 3600,
        path: str(t.path) ?? '',
      });
    }
  }
  return out;
}

function podSpecFacts(spec: Obj): PodSpecFacts {
  const facts: PodSpecFacts = {};
  if (spec.hostNetwork === true) facts.hostNetwork = true;
  if (spec.hostPID === true) facts.hostPID = true;
  if (spec.hostIPC === true) facts.hostIPC = true;
  const privileged = containersOf(spec)
    .filter((c) => obj(c.securityContext).privileged === true)
    .map((c) => str(c.name) ?? '');
  if (privileged.length) facts.privilegedContainers = privileged;
  const hostPaths = arr(spec.volumes)
    .filter((v) => isObj(v.hostPath))
    .map((v) => str(obj(v.hostPath).path) ?? '');
  if (hostPaths.length) facts.hostPathVolumes = hostPaths;
  const caps = containersOf(spec).flatMap((c) =>
    Array.isArray(obj(obj(c.securityContext).capabilities).add)
      ? (obj(obj(c.securityContext).capabilities).add as unknown[]).map(String)
      : [],
  );
  if (caps.length) facts.addedCapabilities = [...new Set(caps)].sort();
  return facts;
}

// ─────────────────────────────── pods to top-level workloads ───────────────────────────────

const controllerOf = (m: ObjectMeta) => m.ownerReferences?.find((o) => o.controller) ?? m.ownerReferences?.[0];

/**
 * Resolves a Pod to its top-level workload through ownerReferences: ReplicaSet → Deployment,
 * Job → CronJob, StatefulSet, DaemonSet, ReplicationController; a Pod with no controller is its own workload.
 * When an intermediate owner is missing from the snapshot the nearest known owner is used.
 */
export function topOwner(pod: KubeObject, index: Map<string, KubeObject>): { kind: string; name: string } {
  let current: { kind: string; name: string; meta: ObjectMeta } = { kind: 'Pod', name: pod.metadata.name, meta: pod.metadata };
  for (let depth = 0; depth < 5; depth++) {
    const ref = controllerOf(current.meta);
    if (!ref) break;
    const owner = index.get(`${ref.kind}/${ns(pod)}/${ref.name}`);
    if (!owner) {
      // Known controller kinds still name a workload even when their object was not collected.
      if (
        ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'ReplicaSet', 'ReplicationController'].includes(ref.kind)
      ) {
        return { kind: ref.kind, name: ref.name };
      }
      break;
    }
    current = { kind: ref.kind, name: ref.name, meta: owner.metadata };
  }
  return { kind: current.kind, name: current.name };
}

// ─────────────────────────────── identities ───────────────────────────────

const cloudAnnotations: { key: string; provider: string; link: string }[] = [
  { key: 'eks.amazonaws.com/role-arn', provider: 'aws', link: 'aws-irsa' },
  { key: 'iam.gke.io/gcp-service-account', provider: 'gcp', link: 'gcp-workload-identity' },
  { key: 'azure.workload.identity/client-id', provider: 'azure', link: 'azure-workload-identity' },
];

const systemNamespaces = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

const secretKinds: Record<string, CredentialKindName> = {
  'kubernetes.io/service-account-token': 'LegacyServiceAccountToken',
  'kubernetes.io/dockercfg': 'ImagePullSecret',
  'kubernetes.io/dockerconfigjson': 'ImagePullSecret',
  'kubernetes.io/tls': 'TlsCertificate',
  'kubernetes.io/basic-auth': 'BasicAuth',
  'kubernetes.io/ssh-auth': 'SshAuth',
  'bootstrap.kubernetes.io/token': 'BootstrapToken',
};

/** The credential kind of a Secret from its type (unknown and Opaque types are opaque secrets). */
export function credentialKindOfSecret(type: string | undefined): CredentialKindName {
  return (type && secretKinds[type]) || 'OpaqueSecret';
}

/** Labels and annotations (in this order) whose value names an owning team (lib/ownership reads them too). */
export const ownerKeys = ['team', 'owner', 'nhi.dev/team', 'nhi.dev/owner', 'app.kubernetes.io/owner', 'app.kubernetes.io/team'];
export const weakOwnerKeys = ['app.kubernetes.io/part-of'];

function ownerHint(m: ObjectMeta | undefined, keys: string[]): { team: string; source: string } | undefined {
  for (const key of keys) {
    const label = m?.labels?.[key];
    if (label) return { team: label, source: `label ${key}` };
    const annotation = m?.annotations?.[key];
    if (annotation) return { team: annotation, source: `annotation ${key}` };
  }
  return undefined;
}

/** A missing selector selects everything (as in ClusterSPIFFEID); otherwise Kubernetes label-selector semantics. */
function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  return isObj(selector) ? labelSelectorMatches(selector as LabelSelector, labels) : true;
}

/** Renders the ClusterSPIFFEID template fields we can know from a pod template; undefined if others are used. */
function renderSpiffeTemplate(
  template: string,
  vars: { trustDomain: string; namespace: string; serviceAccount: string; labels: Record<string, string>; podName: string },
): string | undefined {
  let unknown = false;
  const out = template.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    const e = expr.trim();
    if (e === '.TrustDomain') return vars.trustDomain;
    if (e === '.PodMeta.Namespace') return vars.namespace;
    if (e === '.PodSpec.ServiceAccountName') return vars.serviceAccount;
    if (e === '.PodMeta.Name') return vars.podName;
    const label = /^index \.PodMeta\.Labels "([^"]+)"$/.exec(e) ?? /^\.PodMeta\.Labels\.(\S+)$/.exec(e);
    if (label && vars.labels[label[1]!] !== undefined) return vars.labels[label[1]!]!;
    unknown = true;
    return '';
  });
  return unknown ? undefined : out;
}

// ─────────────────────────────── the normaliser ───────────────────────────────

const workloadResources = [
  'deployments',
  'statefulSets',
  'daemonSets',
  'cronJobs',
  'jobs',
  'replicationControllers',
  'replicaSets',
] as const;

/**
 * Turns a raw snapshot into the inventory: workloads resolved to their top-level owner, identities
 * (ServiceAccounts, the users and groups RBAC names, linked cloud identities and SPIFFE IDs), credentials
 * (Secrets by type, projected and automounted tokens) with who uses them, RBAC objects, owner hints and
 * cluster facts. Pure and deterministic: same snapshot, same inventory.
 */
export function normalize(snapshot: ClusterSnapshot, opts: NormalizeOptions = {}): Inventory {
  const trustDomain = opts.trustDomain ?? 'cluster.local';
  const index = indexWorkloadObjects(snapshot);
  const namespaceMeta = new Map(snapshot.namespaces.map((n) => [n.metadata.name, n.metadata]));
  const workloads = buildWorkloads(snapshot, index);
  // ServiceAccount objects first: an identity only referenced elsewhere never replaces one read from the cluster.
  const identities = new Identities();
  const serviceAccounts = addServiceAccounts(snapshot, identities);
  const { roles, bindings } = buildRbac(snapshot, identities);
  const workloadIdentities = linkWorkloadsToServiceAccounts(workloads, identities);
  const identityLinks = [
    ...linkCloudIdentities(serviceAccounts, identities),
    ...linkSpiffeIds(snapshot, workloads, index, namespaceMeta, trustDomain, identities),
  ];
  const { credentials, credentialUses } = buildCredentials(snapshot, workloads, serviceAccounts, identities);
  const ownerHints = buildOwnerHints(workloads, serviceAccounts, index, namespaceMeta);

  return {
    namespaces: sortBy(buildNamespaces(snapshot), (n) => n.name),
    workloads: sortBy([...workloads.records.values()], (w) => w.key),
    identities: sortBy([...identities.values()], (i) => i.key),
    identityLinks: sortBy(identityLinks, (l) => `${l.from}|${l.to}|${l.kind}`),
    workloadIdentities: sortBy(workloadIdentities, (w) => `${w.workload}|${w.identity}`),
    credentials: sortBy(credentials, (c) => c.key),
    credentialUses: sortBy(credentialUses, (u) => `${u.credential}|${u.workload}|${u.via}`),
    roles: sortBy(roles, (r) => r.key),
    bindings: sortBy(bindings, (b) => b.key),
    ownerHints: sortBy(ownerHints, (h) => `${h.target.type}|${h.target.key}`),
    admissionPolicies: admissionPoliciesOf(snapshot),
    facts: clusterFacts(snapshot, trustDomain),
  };
}

function kindOf(key: (typeof workloadResources)[number] | 'pods'): string {
  return resourceSpec(key).kind;
}

/** Workload controllers and pods by `kind/namespace/name`, each with its kind set. */
function indexWorkloadObjects(snapshot: ClusterSnapshot): Map<string, KubeObject> {
  const index = new Map<string, KubeObject>();
  for (const key of [...workloadResources, 'pods'] as const) {
    for (const o of snapshot[key])
      index.set(`${o.kind ?? kindOf(key)}/${ns(o)}/${o.metadata.name}`, { ...o, kind: o.kind ?? kindOf(key) });
  }
  return index;
}

function buildNamespaces(snapshot: ClusterSnapshot): NamespaceRec[] {
  const policies = new Map<string, string[]>();
  for (const p of snapshot.networkPolicies) policies.set(ns(p), [...(policies.get(ns(p)) ?? []), p.metadata.name]);
  return snapshot.namespaces.map((n) => ({
    name: n.metadata.name,
    uid: n.metadata.uid ?? null,
    labels: labelsOf(n.metadata),
    annotations: keptAnnotations(n.metadata),
    networkPolicies: (policies.get(n.metadata.name) ?? []).sort(),
  }));
}

/** The resources admission rules intercept on create or update (`resource[/subresource]`, `*` for any). */
function admittedResources(rules: Obj[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    const ops = Array.isArray(r.operations) ? r.operations.map(String) : ['*'];
    if (!ops.some((o) => o === '*' || o === 'CREATE' || o === 'UPDATE')) continue;
    for (const res of Array.isArray(r.resources) ? r.resources : []) if (typeof res === 'string') out.add(res);
  }
  return [...out].sort();
}

/**
 * The cluster's admission objects — webhook configurations, ValidatingAdmissionPolicies and their bindings —
 * with what each intercepts, sorted by kind and name. Names and rules only: no CA bundle, URL or service.
 */
export function admissionPoliciesOf(snapshot: ClusterSnapshot): AdmissionPolicyRec[] {
  const out: AdmissionPolicyRec[] = [];
  for (const [list, kind] of [
    [snapshot.validatingWebhookConfigurations, 'ValidatingWebhookConfiguration'],
    [snapshot.mutatingWebhookConfigurations, 'MutatingWebhookConfiguration'],
  ] as const) {
    for (const c of list) {
      const hooks = arr(c.webhooks);
      out.push({
        kind,
        name: c.metadata.name,
        resources: admittedResources(hooks.flatMap((h) => arr(h.rules))),
        webhooks: hooks.map((h) => str(h.name) ?? '').sort(),
      });
    }
  }
  for (const p of snapshot.validatingAdmissionPolicies)
    out.push({
      kind: 'ValidatingAdmissionPolicy',
      name: p.metadata.name,
      resources: admittedResources(arr(obj(obj(p.spec).matchConstraints).resourceRules)),
    });
  for (const b of snapshot.validatingAdmissionPolicyBindings) {
    const spec = obj(b.spec);
    out.push({
      kind: 'ValidatingAdmissionPolicyBinding',
      name: b.metadata.name,
      resources: [],
      policyName: str(spec.policyName) ?? '',
      validationActions: Array.isArray(spec.validationActions) ? spec.validationActions.map(String).sort() : [],
    });
  }
  return sortBy(out, (a) => `${a.kind}\u0000${a.name}`);
}

// ─────────────────────────────── workloads ───────────────────────────────

interface Workloads {
  records: Map<string, WorkloadRec>;
  /** The pod spec each workload runs. */
  specs: Map<string, Obj>;
  /** The metadata of one real pod per workload (for SPIFFE selectors when the controller is missing). */
  podTemplates: Map<string, ObjectMeta>;
}

/** Every top-level controller, plus what pods resolve to (with their pod count). */
function buildWorkloads(snapshot: ClusterSnapshot, index: Map<string, KubeObject>): Workloads {
  const records = new Map<string, WorkloadRec>();
  const specs = new Map<string, Obj>();
  const podTemplates = new Map<string, ObjectMeta>();
  const addWorkload = (o: KubeObject, kind: string) => {
    const spec = podSpecOf({ ...o, kind });
    const key = workloadKey(ns(o), kind, o.metadata.name);
    if (records.has(key)) return key;
    const images = [
      ...new Set(
        containersOf(spec)
          .map((c) => str(c.image) ?? '')
          .filter(Boolean),
      ),
    ].sort();
    records.set(key, {
      key,
      namespace: ns(o),
      kind,
      name: o.metadata.name,
      uid: o.metadata.uid ?? null,
      serviceAccountName: str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? 'default',
      automountToken: bool(spec.automountServiceAccountToken),
      images,
      labels: labelsOf(o.metadata),
      annotations: keptAnnotations(o.metadata),
      podSpecFacts: podSpecFacts(spec),
      podCount: 0,
    });
    specs.set(key, spec);
    return key;
  };
  for (const key of workloadResources) {
    for (const o of snapshot[key]) {
      const kind = o.kind ?? kindOf(key);
      // A ReplicaSet or Job owned by a controller is not top-level; it appears through its owner.
      if ((kind === 'ReplicaSet' || kind === 'Job') && controllerOf(o.metadata)) continue;
      addWorkload(o, kind);
    }
  }
  for (const pod of snapshot.pods) {
    if (pod.metadata.deletionTimestamp && obj(pod.status).phase === 'Succeeded') continue;
    const top = topOwner({ ...pod, kind: 'Pod' }, index);
    let key = workloadKey(ns(pod), top.kind, top.name);
    if (!records.has(key)) {
      const owner = index.get(`${top.kind}/${ns(pod)}/${top.name}`);
      key = owner ? addWorkload(owner, top.kind) : addWorkload({ ...pod, kind: 'Pod' }, top.kind === 'Pod' ? 'Pod' : top.kind);
    }
    records.get(key)!.podCount += 1;
    podTemplates.set(key, pod.metadata);
  }
  return { records, specs, podTemplates };
}

// ─────────────────────────────── identities and RBAC ───────────────────────────────

/** The identities by key; `ensure` adds one that is only referenced (by a binding, a pod or a token Secret). */
class Identities extends Map<string, IdentityRec> {
  ensure(kind: 'ServiceAccount' | 'User' | 'Group', namespace: string, name: string): string {
    const key = identityKey({ kind, namespace, name });
    if (!this.has(key)) {
      this.set(key, {
        key,
        kind,
        namespace,
        name,
        uid: null,
        provider: null,
        builtIn: name.startsWith('system:') || systemNamespaces.has(namespace),
        automountToken: null,
        labels: {},
        annotations: {},
      });
    }
    return key;
  }
}

/** The ServiceAccount objects as identities; returns them by identity key. */
function addServiceAccounts(snapshot: ClusterSnapshot, identities: Identities): Map<string, KubeObject> {
  const controllerBindings = new Set(
    snapshot.clusterRoleBindings
      .filter((b) => b.metadata.name.startsWith('system:controller:'))
      .map((b) => b.metadata.name.slice('system:controller:'.length)),
  );
  const serviceAccounts = new Map<string, KubeObject>();
  for (const sa of snapshot.serviceAccounts) {
    const key = identityKey({ kind: 'ServiceAccount', namespace: ns(sa), name: sa.metadata.name });
    serviceAccounts.set(key, sa);
    identities.set(key, {
      key,
      kind: 'ServiceAccount',
      namespace: ns(sa),
      name: sa.metadata.name,
      uid: sa.metadata.uid ?? null,
      provider: null,
      builtIn:
        systemNamespaces.has(ns(sa)) &&
        (sa.metadata.name === 'default' || controllerBindings.has(sa.metadata.name) || sa.metadata.name.endsWith('-controller')),
      automountToken: bool(sa.automountServiceAccountToken),
      labels: labelsOf(sa.metadata),
      annotations: keptAnnotations(sa.metadata),
    });
  }
  return serviceAccounts;
}

/** Roles and bindings; every subject a binding names becomes an identity. */
function buildRbac(snapshot: ClusterSnapshot, identities: Identities): { roles: RoleRec[]; bindings: BindingRec[] } {
  const roles: RoleRec[] = [];
  for (const [list, kind] of [
    [snapshot.roles, 'Role'],
    [snapshot.clusterRoles, 'ClusterRole'],
  ] as const) {
    for (const r of list) {
      const namespace = kind === 'Role' ? ns(r) : '';
      roles.push({
        key: roleKey({ kind, namespace, name: r.metadata.name }),
        kind,
        namespace,
        name: r.metadata.name,
        uid: r.metadata.uid ?? null,
        rules: Array.isArray(r.rules) ? (r.rules as unknown[]) : [],
        aggregationRule: isObj(r.aggregationRule) ? r.aggregationRule : null,
        labels: labelsOf(r.metadata),
      });
    }
  }
  const bindings: BindingRec[] = [];
  for (const [list, kind] of [
    [snapshot.roleBindings, 'RoleBinding'],
    [snapshot.clusterRoleBindings, 'ClusterRoleBinding'],
  ] as const) {
    for (const b of list) {
      const namespace = kind === 'RoleBinding' ? ns(b) : '';
      const subjects = arr(b.subjects).map((s) => {
        const subject: BindingRec['subjects'][number] = { kind: str(s.kind) ?? '', name: str(s.name) ?? '' };
        if (str(s.namespace)) subject.namespace = str(s.namespace);
        if (str(s.apiGroup)) subject.apiGroup = str(s.apiGroup);
        return subject;
      });
      for (const s of subjects) {
        if (s.kind === 'ServiceAccount') identities.ensure('ServiceAccount', s.namespace ?? namespace, s.name);
        else if (s.kind === 'User' || s.kind === 'Group') identities.ensure(s.kind, '', s.name);
      }
      bindings.push({
        key: roleKey({ kind, namespace, name: b.metadata.name }),
        kind,
        namespace,
        name: b.metadata.name,
        uid: b.metadata.uid ?? null,
        roleRefKind: str(obj(b.roleRef).kind) ?? '',
        roleRefName: str(obj(b.roleRef).name) ?? '',
        subjects,
      });
    }
  }
  return { roles, bindings };
}

/** Workload → ServiceAccount (a workload's SA exists in the inventory even if the SA object is missing). */
function linkWorkloadsToServiceAccounts(workloads: Workloads, identities: Identities): WorkloadIdentityRec[] {
  return [...workloads.records.values()].map((w) => ({
    workload: w.key,
    identity: identities.ensure('ServiceAccount', w.namespace, w.serviceAccountName),
  }));
}

/** Cloud identities named by ServiceAccount annotations (IRSA, GKE and Azure workload identity). */
function linkCloudIdentities(serviceAccounts: Map<string, KubeObject>, identities: Identities): IdentityLinkRec[] {
  const links: IdentityLinkRec[] = [];
  for (const [key, sa] of serviceAccounts) {
    for (const c of cloudAnnotations) {
      const external = sa.metadata.annotations?.[c.key];
      if (!external) continue;
      const cloudKey = identityKey({ kind: 'CloudIdentity', namespace: '', name: external });
      if (!identities.has(cloudKey)) {
        identities.set(cloudKey, {
          key: cloudKey,
          kind: 'CloudIdentity',
          namespace: '',
          name: external,
          uid: null,
          provider: c.provider,
          builtIn: false,
          automountToken: null,
          labels: {},
          annotations:
            c.provider === 'azure' && sa.metadata.annotations?.['azure.workload.identity/tenant-id']
              ? { 'azure.workload.identity/tenant-id': sa.metadata.annotations['azure.workload.identity/tenant-id'] }
              : {},
        });
      }
      links.push({ from: key, to: cloudKey, kind: c.link, inferred: false, source: `annotation ${c.key}` });
    }
  }
  return links;
}

/**
 * The SPIFFE ID of each workload's ServiceAccount: from the first ClusterSPIFFEID whose selectors match the
 * workload's pod template, else inferred by SPIRE's convention.
 */
function linkSpiffeIds(
  snapshot: ClusterSnapshot,
  workloads: Workloads,
  index: Map<string, KubeObject>,
  namespaceMeta: Map<string, ObjectMeta>,
  trustDomain: string,
  identities: Identities,
): IdentityLinkRec[] {
  const spiffeFor = new Map<string, { id: string; source: string; inferred: boolean }>();
  for (const csid of snapshot.clusterSpiffeIds) {
    const spec = obj(csid.spec);
    const template = str(spec.spiffeIDTemplate);
    if (!template) continue;
    for (const w of workloads.records.values()) {
      const nsLabels = namespaceMeta.get(w.namespace)?.labels ?? {};
      const owner = index.get(`${w.kind}/${w.namespace}/${w.name}`);
      // The pod template's labels are what SPIRE matches; a bare pod (or a missing controller) uses a real pod's.
      const podMeta =
        owner && owner.kind !== 'Pod' ? podTemplateMeta(owner) : (workloads.podTemplates.get(w.key) ?? { name: w.name });
      const podLabels = podMeta.labels ?? {};
      if (!selectorMatches(spec.namespaceSelector, { ...nsLabels, 'kubernetes.io/metadata.name': w.namespace })) continue;
      if (!selectorMatches(spec.podSelector, podLabels)) continue;
      const id = renderSpiffeTemplate(template, {
        trustDomain,
        namespace: w.namespace,
        serviceAccount: w.serviceAccountName,
        labels: podLabels,
        podName: podMeta.name,
      });
      if (!id) continue;
      const saKey = identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName });
      if (!spiffeFor.has(saKey)) spiffeFor.set(saKey, { id, source: `ClusterSPIFFEID ${csid.metadata.name}`, inferred: false });
    }
  }
  for (const w of workloads.records.values()) {
    const saKey = identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName });
    if (!spiffeFor.has(saKey)) {
      spiffeFor.set(saKey, {
        id: `spiffe://${trustDomain}/ns/${w.namespace}/sa/${w.serviceAccountName}`,
        source: 'convention spiffe://<trust-domain>/ns/<namespace>/sa/<name>',
        inferred: true,
      });
    }
  }
  const links: IdentityLinkRec[] = [];
  for (const [saKey, s] of spiffeFor) {
    const key = identityKey({ kind: 'SpiffeId', namespace: '', name: s.id });
    identities.set(key, {
      key,
      kind: 'SpiffeId',
      namespace: '',
      name: s.id,
      uid: null,
      provider: trustDomain,
      builtIn: false,
      automountToken: null,
      labels: {},
      annotations: {},
    });
    links.push({ from: saKey, to: key, kind: 'spiffe', inferred: s.inferred, source: s.source });
  }
  return links;
}

// ─────────────────────────────── credentials ───────────────────────────────

/**
 * Secrets as credentials by type (a legacy token Secret belongs to its ServiceAccount), and per workload
 * the Secrets it references and the tokens projected into its pods, with how each is used. Secrets a
 * workload references but the snapshot lacks are noted in its podSpecFacts.missingSecrets.
 */
function buildCredentials(
  snapshot: ClusterSnapshot,
  workloads: Workloads,
  serviceAccounts: Map<string, KubeObject>,
  identities: Identities,
): { credentials: CredentialRec[]; credentialUses: CredentialUseRec[] } {
  const credentials = secretCredentials(snapshot, identities);
  const secretsByName = new Map(snapshot.secrets.map((s) => [`${ns(s)}/${s.metadata.name}`, s]));
  const credentialUses = new Map<string, CredentialUseRec>();
  for (const w of workloads.records.values()) {
    const spec = workloads.specs.get(w.key) ?? {};
    addWorkloadCredentials(w, spec, serviceAccounts, secretsByName, credentials, credentialUses);
  }
  return { credentials: [...credentials.values()], credentialUses: [...credentialUses.values()] };
}

/** Labels the API server keeps on legacy token Secrets (a date, YYYY-MM-DD, updated at most once a day). */
const LEGACY_TOKEN_LAST_USED = 'kubernetes.io/legacy-token-last-used';
const LEGACY_TOKEN_INVALID_SINCE = 'kubernetes.io/legacy-token-invalid-since';
const labelDate = (v: string | undefined) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00.000Z` : null);

/** Every Secret as a credential, by type; a legacy token Secret belongs to the ServiceAccount it names. */
function secretCredentials(snapshot: ClusterSnapshot, identities: Identities): Map<string, CredentialRec> {
  const credentials = new Map<string, CredentialRec>();
  for (const s of snapshot.secrets) {
    const kind = credentialKindOfSecret(s.type);
    const key = credentialKey(ns(s), kind, s.metadata.name);
    const saName = s.metadata.annotations?.['kubernetes.io/service-account.name'];
    const identity = kind === 'LegacyServiceAccountToken' && saName ? identities.ensure('ServiceAccount', ns(s), saName) : null;
    const a = s.metadata.annotations ?? {};
    const l = s.metadata.labels ?? {};
    const { class: cls, reason } = classifyCredential({
      kind,
      secretType: s.type ?? null,
      name: s.metadata.name,
      labels: l,
      annotations: a,
      ...(s.keyClass ? { keyClass: s.keyClass } : {}),
    });
    const lastUsed = labelDate(l[LEGACY_TOKEN_LAST_USED]);
    credentials.set(key, {
      key,
      namespace: ns(s),
      name: s.metadata.name,
      kind,
      secretType: s.type ?? null,
      uid: s.metadata.uid ?? null,
      identity,
      createdInClusterAt: s.metadata.creationTimestamp ?? null,
      expiresAt: s.certificate?.notAfter ?? a['nhi.dev/expires-at'] ?? null,
      rotatedAt: a['nhi.dev/rotated-at'] ?? null,
      class: cls,
      classReason: reason,
      resourceVersion: s.metadata.resourceVersion ?? null,
      lastUsedAt: lastUsed,
      lastUsedSource: lastUsed ? `label ${LEGACY_TOKEN_LAST_USED}` : null,
      invalidSince: labelDate(l[LEGACY_TOKEN_INVALID_SINCE]),
      certificate: s.certificate ?? null,
      metadata: {
        ...(s.metadata.labels ? { labels: s.metadata.labels } : {}),
        ...(s.metadata.annotations ? { annotations: s.metadata.annotations } : {}),
      },
    });
  }
  return credentials;
}

/**
 * What one workload uses: the Secrets its pod spec (and its ServiceAccount's image pull secrets) reference,
 * and the tokens projected into its pods, which are credentials of its ServiceAccount.
 */
function addWorkloadCredentials(
  w: WorkloadRec,
  spec: Obj,
  serviceAccounts: Map<string, KubeObject>,
  secretsByName: Map<string, SecretMeta>,
  credentials: Map<string, CredentialRec>,
  credentialUses: Map<string, CredentialUseRec>,
): void {
  const addUse = (credential: string, workload: string, via: string) =>
    credentialUses.set(`${credential}|${workload}|${via}`, { credential, workload, via });
  const missing = new Set<string>();
  const sa = serviceAccounts.get(identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName }));
  const refs = [
    ...secretRefsOf(spec),
    ...arr(sa?.imagePullSecrets).map((p) => ({ name: str(p.name) ?? '', via: 'serviceAccountImagePullSecret' })),
  ];
  for (const ref of refs) {
    const secret = secretsByName.get(`${w.namespace}/${ref.name}`);
    if (!secret) {
      if (ref.name) missing.add(ref.name);
      continue;
    }
    addUse(credentialKey(w.namespace, credentialKindOfSecret(secret.type), ref.name), w.key, ref.via);
  }
  if (missing.size) w.podSpecFacts.missingSecrets = [...missing].sort();
  const identity = identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName });
  /** A token the kubelet projects into the workload's pods: a credential of the SA, used by the workload. */
  const projectedToken = (name: string, via: string, metadata: Record<string, unknown>) => {
    const key = credentialKey(w.namespace, 'ProjectedToken', name);
    credentials.set(key, {
      key,
      namespace: w.namespace,
      name,
      kind: 'ProjectedToken',
      secretType: null,
      uid: null,
      identity,
      createdInClusterAt: null,
      expiresAt: null,
      rotatedAt: null,
      class: 'projected-service-account-token',
      classReason: via === 'automount' ? 'the automounted API token (kube-api-access)' : 'a projected serviceAccountToken volume',
      resourceVersion: null,
      lastUsedAt: null,
      lastUsedSource: null,
      invalidSince: null,
      certificate: null,
      metadata,
    });
    addUse(key, w.key, via);
  };
  // The API server's own token volume (kube-api-access-*), mounted unless automount is off on the pod or the SA.
  const automount = w.automountToken ?? bool(sa?.automountServiceAccountToken) ?? true;
  // On a bare Pod the admission plugin has already injected it as `kube-api-access-<random>`: that volume
  // is the automount token, counted once under a name that survives the Pod being recreated.
  const injected = (volume: string) => automount && /^kube-api-access-[a-z0-9]+$/.test(volume);
  for (const t of projectedTokensOf(spec).filter((t) => !injected(t.volume))) {
    projectedToken(`${w.kind}/${w.name}/${t.volume}`, 'projectedVolume', {
      audience: t.audience,
      expirationSeconds: t.expirationSeconds,
      path: t.path,
      volume: t.volume,
    });
  }
  if (automount) {
    projectedToken(`${w.kind}/${w.name}/automount`, 'automount', {
      audience: 'kubernetes API (default)',
      expirationSeconds: 3607,
      automount: true,
    });
  }
}

// ─────────────────────────────── owners ───────────────────────────────

/** Owner hints: the workload's own labels, else its namespace's; an SA takes its own or its namespace's. */
function buildOwnerHints(
  workloads: Workloads,
  serviceAccounts: Map<string, KubeObject>,
  index: Map<string, KubeObject>,
  namespaceMeta: Map<string, ObjectMeta>,
): OwnerHintRec[] {
  const ownerHints: OwnerHintRec[] = [];
  const hintFor = (m: ObjectMeta | undefined, namespace: string) =>
    ownerHint(m, ownerKeys) ??
    (() => {
      const h = ownerHint(namespaceMeta.get(namespace), ownerKeys);
      return h ? { team: h.team, source: `namespace ${namespace} ${h.source}` } : undefined;
    })() ??
    ownerHint(m, weakOwnerKeys);
  for (const w of workloads.records.values()) {
    const o = index.get(`${w.kind}/${w.namespace}/${w.name}`);
    const h = hintFor(o?.metadata ?? { name: w.name, labels: w.labels, annotations: w.annotations }, w.namespace);
    if (h) ownerHints.push({ target: { type: 'workload', key: w.key }, ...h });
  }
  for (const [key, sa] of serviceAccounts) {
    const h = hintFor(sa.metadata, ns(sa));
    if (h) ownerHints.push({ target: { type: 'identity', key }, ...h });
  }
  return ownerHints;
}

function clusterFacts(snapshot: ClusterSnapshot, trustDomain: string): ClusterFacts {
  return {
    nodes: { count: snapshot.nodes.length, names: snapshot.nodes.map((n) => n.metadata.name).sort() },
    spiffe: { clusterSpiffeIds: snapshot.clusterSpiffeIds.map((c) => c.metadata.name).sort(), trustDomain },
  };
}

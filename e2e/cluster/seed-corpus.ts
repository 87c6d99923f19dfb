import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { listFiles, loadManifestObjects, type ManifestObject } from '../../lib/corpus/index';

/**
 * Plans what the seed applies from the public corpus: the operators' manifests (rbac/charts/<project>)
 * and the deliberately insecure scenarios (rbac/vulnerable/<source>). Pure apart from reading files:
 * no API calls here, so the plan (and each skip's reason) is the same on every machine.
 */

export type SkipCategory =
  | 'not-an-object'
  | 'not-served'
  | 'policy:crd'
  | 'policy:admission'
  | 'policy:apiservice'
  | 'policy:flowcontrol'
  | 'policy:node'
  | 'policy:builtin-rbac'
  | 'policy:cluster-wide-group-binding'
  | 'duplicate'
  | 'rejected';

export interface SkippedObject {
  /** Corpus-relative file, or `demo` for our own workloads. */
  source: string;
  kind: string;
  name: string;
  namespace?: string;
  category: SkipCategory;
  detail: string;
}

export interface PlannedObject {
  obj: ManifestObject;
  /** `charts/<project>`, `vulnerable/<source>` or `demo`. */
  origin: string;
  /** Corpus-relative file (or `demo`). */
  source: string;
  /** Namespace for a namespaced object that names none (see readProject). */
  defaultNamespace?: string;
}

/** What the API server serves: `<apiVersion>/<Kind>` -> namespaced? */
export type ServedKinds = Map<string, { namespaced: boolean }>;

const POLICY_SKIPS: Record<string, { category: SkipCategory; detail: string }> = {
  CustomResourceDefinition: {
    category: 'policy:crd',
    detail: 'CRDs are left out: custom resources are not identities, and ~60 CRDs would slow the shared API server',
  },
  ValidatingWebhookConfiguration: {
    category: 'policy:admission',
    detail: 'an admission webhook would intercept the test cluster requests and its backend does not run here',
  },
  MutatingWebhookConfiguration: {
    category: 'policy:admission',
    detail: 'an admission webhook would intercept the test cluster requests and its backend does not run here',
  },
  ValidatingAdmissionPolicy: {
    category: 'policy:admission',
    detail: 'an admission policy would change what the test cluster accepts',
  },
  ValidatingAdmissionPolicyBinding: {
    category: 'policy:admission',
    detail: 'an admission policy would change what the test cluster accepts',
  },
  MutatingAdmissionPolicy: {
    category: 'policy:admission',
    detail: 'an admission policy would change what the test cluster accepts',
  },
  MutatingAdmissionPolicyBinding: {
    category: 'policy:admission',
    detail: 'an admission policy would change what the test cluster accepts',
  },
  APIService: {
    category: 'policy:apiservice',
    detail: 'an aggregated API without its backend makes discovery fail (and blocks namespace deletion)',
  },
  FlowSchema: { category: 'policy:flowcontrol', detail: 'would change the API server flow control' },
  PriorityLevelConfiguration: { category: 'policy:flowcontrol', detail: 'would change the API server flow control' },
  Node: { category: 'policy:node', detail: 'a Node is a machine: this control plane has none (pods stay Pending)' },
};

const BUILTIN_CLUSTER_RBAC = new Set(['cluster-admin', 'admin', 'edit', 'view']);
const CLUSTER_WIDE_GROUPS = new Set(['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts']);
const CLUSTER_WIDE_USERS = new Set(['system:anonymous']);

/** Placeholders of the helm-unittest snapshots (external-secrets), replaced as a `helm install` would. */
const SNAPSHOT_RELEASE = 'nhi';

function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

function describe(obj: ManifestObject): { kind: string; name: string; namespace?: string } {
  const out: { kind: string; name: string; namespace?: string } = {
    kind: typeof obj.kind === 'string' ? obj.kind : '?',
    name: typeof obj.metadata?.name === 'string' ? obj.metadata.name : '?',
  };
  if (typeof obj.metadata?.namespace === 'string') out.namespace = obj.metadata.namespace;
  return out;
}

export function skipOf(planned: { obj: ManifestObject; source: string }, category: SkipCategory, detail: string): SkippedObject {
  return { source: planned.source, ...describe(planned.obj), category, detail };
}

/** Objects of a helm-unittest `.snap` file: test name -> document index -> rendered manifest (a YAML string). */
function loadSnapshotObjects(file: string, namespace: string): ManifestObject[] {
  const snap: unknown = parse(readFileSync(file, 'utf8'));
  const out: ManifestObject[] = [];
  if (!snap || typeof snap !== 'object') return out;
  for (const docs of Object.values(snap as Record<string, unknown>)) {
    if (!docs || typeof docs !== 'object') continue;
    for (const rendered of Object.values(docs as Record<string, unknown>)) {
      if (typeof rendered !== 'string') continue;
      const text = rendered.replaceAll('RELEASE-NAME', SNAPSHOT_RELEASE).replaceAll('NAMESPACE', namespace);
      for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0) continue;
        const value: unknown = doc.toJS();
        if (value && typeof value === 'object' && !Array.isArray(value)) out.push(value as ManifestObject);
      }
    }
  }
  return out;
}

/**
 * The namespace a project's un-namespaced objects go to: the one its bindings name for their
 * ServiceAccount subjects (argo-cd -> argocd), else the one its manifests use most, else the project.
 */
export function projectNamespace(project: string, objects: ManifestObject[]): string {
  const votes = new Map<string, number>();
  const vote = (ns: unknown, weight: number) => {
    if (typeof ns === 'string' && ns && ns !== 'default' && ns !== 'kube-system') votes.set(ns, (votes.get(ns) ?? 0) + weight);
  };
  for (const obj of objects) {
    if (obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding') {
      for (const s of (Array.isArray(obj.subjects) ? obj.subjects : []) as { kind?: string; namespace?: unknown }[]) {
        if (s.kind === 'ServiceAccount') vote(s.namespace, 2);
      }
    }
    vote(obj.metadata?.namespace, 1);
  }
  let best = project;
  let bestVotes = 0;
  for (const [ns, n] of [...votes.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (n > bestVotes) {
      best = ns;
      bestVotes = n;
    }
  }
  return best;
}

function readProject(
  dir: string,
  corpusRoot: string,
  origin: string,
  files: string[],
  defaultNs: (objs: ManifestObject[]) => string,
) {
  const perFile: { file: string; objects: ManifestObject[] }[] = [];
  const snapshots: string[] = [];
  for (const file of files) {
    if (file.endsWith('.snap')) snapshots.push(file);
    else perFile.push({ file, objects: loadManifestObjects(file) });
  }
  const ns = defaultNs(perFile.flatMap((f) => f.objects));
  for (const file of snapshots) perFile.push({ file, objects: loadSnapshotObjects(file, ns) });
  const planned: PlannedObject[] = [];
  for (const { file, objects } of perFile) {
    // A file whose objects name exactly one namespace was written to be applied there as a whole
    // (`kubectl apply -n`): its un-namespaced objects go there too, so bindings still match.
    const named = new Set(
      objects.map((o) => o.metadata?.namespace).filter((n): n is string => typeof n === 'string' && n !== ''),
    );
    const fileNs = named.size === 1 ? [...named][0]! : ns;
    for (const obj of objects) planned.push({ obj, origin, source: path.relative(corpusRoot, file), defaultNamespace: fileNs });
  }
  return { planned, namespace: ns, dir };
}

export interface CorpusPlan {
  objects: PlannedObject[];
  /** Namespace given to each origin's objects that name none. */
  defaultNamespaces: Record<string, string>;
}

/** Everything the corpus offers, in file order, with each origin's default namespace. */
export function readCorpus(corpusRoot: string): CorpusPlan {
  const objects: PlannedObject[] = [];
  const defaultNamespaces: Record<string, string> = {};
  const subdirs = (dir: string) =>
    readdirSync(dir)
      .filter((n) => statSync(path.join(dir, n)).isDirectory())
      .sort();

  const chartsDir = path.join(corpusRoot, 'rbac', 'charts');
  for (const project of subdirs(chartsDir)) {
    const dir = path.join(chartsDir, project);
    const files = listFiles(dir, ['.yaml', '.yml', '.json', '.snap']).filter((f) => path.basename(f) !== 'kustomization.yaml');
    const r = readProject(dir, corpusRoot, `charts/${project}`, files, (objs) => projectNamespace(project, objs));
    objects.push(...r.planned);
    defaultNamespaces[`charts/${project}`] = r.namespace;
  }

  const vulnDir = path.join(corpusRoot, 'rbac', 'vulnerable');
  for (const source of subdirs(vulnDir)) {
    const dir = path.join(vulnDir, source);
    let files = listFiles(dir);
    // kubescape-regolibrary: only the rule tests' inputs are manifests (not expected.json / rule.metadata.json).
    if (source === 'kubescape-regolibrary') files = files.filter((f) => f.split(path.sep).includes('input'));
    const ns = `vuln-${source.replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63);
    const r = readProject(dir, corpusRoot, `vulnerable/${source}`, files, () => ns);
    objects.push(...r.planned);
    defaultNamespaces[`vulnerable/${source}`] = ns;
  }
  return { objects, defaultNamespaces };
}

/** Why an object must not be applied to the shared test cluster, or null when it may be. */
export function policySkip(obj: ManifestObject): { category: SkipCategory; detail: string } | null {
  const kind = String(obj.kind);
  const fixed = POLICY_SKIPS[kind];
  if (fixed) return fixed;
  const name = String(obj.metadata?.name ?? '');
  const group = apiGroup(String(obj.apiVersion));
  if (group === 'rbac.authorization.k8s.io') {
    const clusterScoped = kind === 'ClusterRole' || kind === 'ClusterRoleBinding';
    const ns = obj.metadata?.namespace;
    if (
      (clusterScoped && (name.startsWith('system:') || BUILTIN_CLUSTER_RBAC.has(name))) ||
      (!clusterScoped && (ns === 'kube-system' || ns === 'kube-public') && name.startsWith('system:'))
    ) {
      return { category: 'policy:builtin-rbac', detail: `would overwrite the API server's built-in ${kind} ${name}` };
    }
    if (kind === 'ClusterRoleBinding') {
      for (const s of (Array.isArray(obj.subjects) ? obj.subjects : []) as { kind?: string; name?: string }[]) {
        if (
          (s.kind === 'Group' && CLUSTER_WIDE_GROUPS.has(String(s.name))) ||
          (s.kind === 'User' && CLUSTER_WIDE_USERS.has(String(s.name)))
        ) {
          return {
            category: 'policy:cluster-wide-group-binding',
            detail: `binds ${s.kind} ${s.name} cluster-wide: it would grant every identity of the shared test cluster`,
          };
        }
      }
    }
  }
  return null;
}

const SERVER_SET_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'selfLink',
  'managedFields',
  // Owners from another cluster do not exist here: the garbage collector would delete the object.
  'ownerReferences',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/**
 * A copy ready for server-side apply: fields the server owns removed (dumps from live clusters carry
 * uid/resourceVersion/status), the namespace set or removed by scope, Services' cluster IPs from
 * another cluster's range dropped, and Pods unbound from nodes that do not exist here (the pod GC
 * would delete them).
 */
export function sanitize(obj: ManifestObject, namespaced: boolean, defaultNamespace: string): ManifestObject {
  const copy = structuredClone(obj) as ManifestObject & { spec?: Record<string, unknown> };
  delete copy.status;
  const metadata = { ...(copy.metadata ?? {}) };
  for (const key of SERVER_SET_METADATA) delete metadata[key];
  if (namespaced)
    metadata.namespace = typeof metadata.namespace === 'string' && metadata.namespace ? metadata.namespace : defaultNamespace;
  else delete metadata.namespace;
  copy.metadata = metadata;
  if (copy.kind === 'Service' && copy.spec && copy.spec.clusterIP !== 'None') {
    delete copy.spec.clusterIP;
    delete copy.spec.clusterIPs;
  }
  if (copy.kind === 'Pod' && copy.spec) delete copy.spec.nodeName;
  return copy;
}

/**
 * Removed API versions whose objects convert without loss (as `kubectl convert` would):
 * `<apiVersion>/<Kind>` -> the served apiVersion.
 */
const LOSSLESS_UPGRADES: Record<string, string> = {
  'batch/v1beta1/CronJob': 'batch/v1',
  'batch/v2alpha1/CronJob': 'batch/v1',
  'rbac.authorization.k8s.io/v1beta1/ClusterRole': 'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1beta1/ClusterRoleBinding': 'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1beta1/Role': 'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1beta1/RoleBinding': 'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1alpha1/ClusterRole': 'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1alpha1/ClusterRoleBinding': 'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1alpha1/Role': 'rbac.authorization.k8s.io/v1',
  'rbac.authorization.k8s.io/v1alpha1/RoleBinding': 'rbac.authorization.k8s.io/v1',
};

/** The served apiVersion for an object of a removed version that converts without loss, or null. */
export function upgradedApiVersion(obj: ManifestObject): string | null {
  return LOSSLESS_UPGRADES[`${obj.apiVersion}/${obj.kind}`] ?? null;
}

/** Identity of an object for duplicate detection: group, kind, namespace, name (not the version). */
export function objectKey(obj: ManifestObject): string {
  return [apiGroup(String(obj.apiVersion)), obj.kind, obj.metadata?.namespace ?? '', obj.metadata?.name].join('/');
}

/** Apply order: namespaces and identities before what refers to them, workloads last. */
const KIND_ORDER = [
  'Namespace',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'ClusterRole',
  'Role',
  'ClusterRoleBinding',
  'RoleBinding',
  'Service',
  '*',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'Pod',
];

export function applyRank(kind: unknown): number {
  const i = KIND_ORDER.indexOf(String(kind));
  return i >= 0 ? i : KIND_ORDER.indexOf('*');
}

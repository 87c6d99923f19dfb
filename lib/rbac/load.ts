/**
 * Builds an RbacSnapshot from Kubernetes-shaped objects (manifests, API list responses, dumps).
 *
 * Input from outside is validated: each problem is reported as an issue naming the object and the
 * field, the faulty part is dropped, and everything valid is kept. Secrets are reduced to the
 * metadata the engine needs (namespace, name, type, service-account annotation): values, other
 * annotations (last-applied-configuration can carry values) and managedFields are never copied.
 */
import type {
  AggregationRule,
  ClusterRole,
  ClusterRoleBinding,
  LabelSelector,
  LabelSelectorRequirement,
  PodInfo,
  PolicyRule,
  RbacSnapshot,
  Role,
  RoleBinding,
  RoleRef,
  SecretInfo,
  ServiceAccountInfo,
  Subject,
} from './types';

export interface LoadIssue {
  /** `Kind namespace/name` or `Kind name`, or `document #i` when the object cannot be named. */
  object: string;
  /** Dotted path of the faulty field, "" for the whole object. */
  path: string;
  message: string;
}

export interface LoadOptions {
  /** Namespace given to namespaced objects that have none (kubectl's default). Default "default". */
  defaultNamespace?: string;
}

export interface LoadResult {
  snapshot: RbacSnapshot;
  issues: LoadIssue[];
}

type Obj = Record<string, unknown>;

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const WORKLOAD_TEMPLATE_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController']);
const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
/** The namespace label Pod Security admission enforces (privileged, baseline, restricted). */
export const POD_SECURITY_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
  }
  return out;
}

class Collector {
  issues: LoadIssue[] = [];
  add(object: string, path: string, message: string): void {
    this.issues.push({ object, path, message });
  }
}

/** An array of strings; null/absent -> []; wrong shapes reported and dropped. */
function stringList(v: unknown, c: Collector, object: string, path: string): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.add(object, path, `must be a list of strings, got ${typeof v}`);
    return undefined;
  }
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (typeof item === 'string') out.push(item);
    else c.add(object, `${path}[${i}]`, `must be a string, got ${item === null ? 'null' : typeof item}`);
  }
  return out;
}

function parseRules(v: unknown, c: Collector, object: string): PolicyRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.add(object, 'rules', 'must be a list of rules');
    return [];
  }
  const rules: PolicyRule[] = [];
  v.forEach((raw: unknown, i: number) => {
    const p = `rules[${i}]`;
    if (!isObj(raw)) {
      c.add(object, p, 'must be an object; rule dropped');
      return;
    }
    const verbs = stringList(raw.verbs, c, object, `${p}.verbs`);
    const apiGroups = stringList(raw.apiGroups, c, object, `${p}.apiGroups`);
    const resources = stringList(raw.resources, c, object, `${p}.resources`);
    const resourceNames = stringList(raw.resourceNames, c, object, `${p}.resourceNames`);
    const nonResourceURLs = stringList(raw.nonResourceURLs, c, object, `${p}.nonResourceURLs`);
    if (!verbs || !apiGroups || !resources || !resourceNames || !nonResourceURLs) {
      c.add(object, p, 'rule dropped because a field has the wrong type');
      return;
    }
    const rule: PolicyRule = { verbs };
    if (apiGroups.length) rule.apiGroups = apiGroups;
    if (resources.length) rule.resources = resources;
    if (resourceNames.length) rule.resourceNames = resourceNames;
    if (nonResourceURLs.length) rule.nonResourceURLs = nonResourceURLs;
    rules.push(rule);
  });
  return rules;
}

function parseSelector(v: unknown, c: Collector, object: string, path: string): LabelSelector | undefined {
  if (!isObj(v)) {
    c.add(object, path, 'must be a label selector object; selector dropped');
    return undefined;
  }
  const sel: LabelSelector = {};
  if (v.matchLabels !== undefined && v.matchLabels !== null) {
    const ml = stringMap(v.matchLabels);
    if (!ml) {
      c.add(object, `${path}.matchLabels`, 'must be a map of strings; selector dropped');
      return undefined;
    }
    sel.matchLabels = ml;
  }
  if (v.matchExpressions !== undefined && v.matchExpressions !== null) {
    if (!Array.isArray(v.matchExpressions)) {
      c.add(object, `${path}.matchExpressions`, 'must be a list; selector dropped');
      return undefined;
    }
    const exprs: LabelSelectorRequirement[] = [];
    for (let i = 0; i < v.matchExpressions.length; i++) {
      const e: unknown = v.matchExpressions[i];
      const ep = `${path}.matchExpressions[${i}]`;
      if (!isObj(e) || typeof e.key !== 'string' || typeof e.operator !== 'string') {
        c.add(object, ep, 'needs string key and operator; selector dropped');
        return undefined;
      }
      if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) {
        c.add(object, `${ep}.operator`, `unknown operator "${e.operator}"; selector dropped`);
        return undefined;
      }
      const values = stringList(e.values, c, object, `${ep}.values`);
      if (!values) return undefined;
      exprs.push({ key: e.key, operator: e.operator, ...(values.length ? { values } : {}) });
    }
    sel.matchExpressions = exprs;
  }
  return sel;
}

function parseSubjects(v: unknown, c: Collector, object: string): Subject[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.add(object, 'subjects', 'must be a list of subjects');
    return [];
  }
  const out: Subject[] = [];
  v.forEach((raw: unknown, i: number) => {
    const p = `subjects[${i}]`;
    if (!isObj(raw) || typeof raw.kind !== 'string' || typeof raw.name !== 'string' || raw.name === '') {
      c.add(object, p, 'needs a string kind and a non-empty name; subject dropped');
      return;
    }
    if (!['User', 'Group', 'ServiceAccount'].includes(raw.kind)) {
      c.add(object, `${p}.kind`, `"${raw.kind}" is not User, Group or ServiceAccount; it matches nobody`);
    }
    const s: Subject = { kind: raw.kind, name: raw.name };
    const ns = str(raw.namespace);
    if (ns) s.namespace = ns;
    const g = str(raw.apiGroup);
    if (g !== undefined) s.apiGroup = g;
    out.push(s);
  });
  return out;
}

function parseRoleRef(v: unknown, c: Collector, object: string): RoleRef | undefined {
  if (!isObj(v) || typeof v.kind !== 'string' || typeof v.name !== 'string' || v.name === '') {
    c.add(object, 'roleRef', 'needs a string kind and a non-empty name; binding dropped');
    return undefined;
  }
  if (v.kind !== 'Role' && v.kind !== 'ClusterRole') {
    c.add(object, 'roleRef.kind', `"${v.kind}" is not Role or ClusterRole; the binding grants nothing`);
  }
  const ref: RoleRef = { kind: v.kind, name: v.name };
  const g = str(v.apiGroup);
  if (g !== undefined) ref.apiGroup = g;
  return ref;
}

function podSpecInfo(spec: unknown): { serviceAccountName?: string; automount?: boolean; nodeName?: string } {
  if (!isObj(spec)) return {};
  const sa = str(spec.serviceAccountName) || str(spec.serviceAccount) || undefined;
  return {
    ...(sa ? { serviceAccountName: sa } : {}),
    ...(typeof spec.automountServiceAccountToken === 'boolean' ? { automount: spec.automountServiceAccountToken } : {}),
    ...(str(spec.nodeName) ? { nodeName: str(spec.nodeName) } : {}),
  };
}

/** Object -> snapshot. Unrelated kinds are ignored silently; malformed RBAC objects are reported. */
export function snapshotFromObjects(objects: readonly unknown[], options: LoadOptions = {}): LoadResult {
  const defaultNs = options.defaultNamespace ?? 'default';
  const c = new Collector();
  const roles = new Map<string, Role>();
  const clusterRoles = new Map<string, ClusterRole>();
  const roleBindings = new Map<string, RoleBinding>();
  const clusterRoleBindings = new Map<string, ClusterRoleBinding>();
  const serviceAccounts = new Map<string, ServiceAccountInfo>();
  const secrets = new Map<string, SecretInfo>();
  const pods = new Map<string, PodInfo>();
  const nodes = new Set<string>();
  const namespaces = new Set<string>();
  const podSecurity: Record<string, string> = {};

  const keep = <T>(m: Map<string, T>, key: string, value: T, label: string) => {
    if (m.has(key)) c.add(label, '', 'duplicate object; the later definition replaces the earlier one');
    m.set(key, value);
  };

  objects.forEach((raw, docIndex) => {
    if (!isObj(raw)) return;
    const kind = str(raw.kind);
    if (!kind) return;
    const apiVersion = str(raw.apiVersion);
    const meta = isObj(raw.metadata) ? raw.metadata : undefined;
    const name = meta ? str(meta.name) : undefined;
    const rbacKind = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(kind);
    if (rbacKind && apiVersion !== undefined && !apiVersion.startsWith(`${RBAC_GROUP}/`)) return;
    if (!name) {
      if (rbacKind || kind === 'ServiceAccount')
        c.add(`${kind} (document #${docIndex})`, 'metadata.name', 'missing; object dropped');
      return;
    }
    const rawNs = meta ? str(meta.namespace) : undefined;
    const ns = rawNs ? rawNs : defaultNs;
    const labels = meta ? stringMap(meta.labels) : undefined;
    const annotations = meta ? stringMap(meta.annotations) : undefined;

    switch (kind) {
      case 'Role': {
        const label = `Role ${ns}/${name}`;
        const role: Role = {
          kind: 'Role',
          metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
          rules: parseRules(raw.rules, c, label),
        };
        keep(roles, `${ns}/${name}`, role, label);
        break;
      }
      case 'ClusterRole': {
        const label = `ClusterRole ${name}`;
        const cr: ClusterRole = {
          kind: 'ClusterRole',
          metadata: { name, ...(labels ? { labels } : {}) },
          rules: parseRules(raw.rules, c, label),
        };
        if (raw.aggregationRule !== undefined && raw.aggregationRule !== null) {
          const ar = raw.aggregationRule;
          if (!isObj(ar) || !Array.isArray(ar.clusterRoleSelectors)) {
            c.add(label, 'aggregationRule', 'needs a clusterRoleSelectors list; ignored');
          } else {
            const selectors: LabelSelector[] = [];
            ar.clusterRoleSelectors.forEach((s: unknown, i: number) => {
              const sel = parseSelector(s, c, label, `aggregationRule.clusterRoleSelectors[${i}]`);
              if (sel) selectors.push(sel);
            });
            cr.aggregationRule = { clusterRoleSelectors: selectors } satisfies AggregationRule;
          }
        }
        keep(clusterRoles, name, cr, label);
        break;
      }
      case 'RoleBinding': {
        const label = `RoleBinding ${ns}/${name}`;
        const roleRef = parseRoleRef(raw.roleRef, c, label);
        if (!roleRef) break;
        keep(
          roleBindings,
          `${ns}/${name}`,
          {
            kind: 'RoleBinding',
            metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
            roleRef,
            subjects: parseSubjects(raw.subjects, c, label),
          },
          label,
        );
        break;
      }
      case 'ClusterRoleBinding': {
        const label = `ClusterRoleBinding ${name}`;
        const roleRef = parseRoleRef(raw.roleRef, c, label);
        if (!roleRef) break;
        const subjects = parseSubjects(raw.subjects, c, label);
        subjects.forEach((s, i) => {
          if (s.kind === 'ServiceAccount' && !s.namespace) {
            c.add(
              label,
              `subjects[${i}].namespace`,
              'a ServiceAccount subject of a ClusterRoleBinding needs a namespace; it matches nobody',
            );
          }
        });
        keep(
          clusterRoleBindings,
          name,
          { kind: 'ClusterRoleBinding', metadata: { name, ...(labels ? { labels } : {}) }, roleRef, subjects },
          label,
        );
        break;
      }
      case 'ServiceAccount': {
        const sa: ServiceAccountInfo = { namespace: ns, name };
        if (typeof raw.automountServiceAccountToken === 'boolean')
          sa.automountServiceAccountToken = raw.automountServiceAccountToken;
        if (labels) sa.labels = labels;
        keep(serviceAccounts, `${ns}/${name}`, sa, `ServiceAccount ${ns}/${name}`);
        break;
      }
      case 'Secret': {
        // Metadata only, from an allow-list of fields.
        const s: SecretInfo = { namespace: ns, name };
        const type = str(raw.type);
        if (type) s.type = type;
        const saName = annotations?.[SA_NAME_ANNOTATION];
        if (saName) s.serviceAccountName = saName;
        secrets.set(`${ns}/${name}`, s);
        break;
      }
      case 'Pod': {
        const info = podSpecInfo(raw.spec);
        pods.set(`${ns}/${name}`, {
          namespace: ns,
          name,
          serviceAccountName: info.serviceAccountName ?? 'default',
          ...(info.automount !== undefined ? { automountServiceAccountToken: info.automount } : {}),
          ...(info.nodeName ? { nodeName: info.nodeName } : {}),
        });
        break;
      }
      case 'CronJob':
      case 'Deployment':
      case 'ReplicaSet':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'Job':
      case 'ReplicationController': {
        const spec = isObj(raw.spec) ? raw.spec : undefined;
        let template: unknown;
        if (kind === 'CronJob') {
          const jt = spec && isObj(spec.jobTemplate) ? spec.jobTemplate : undefined;
          const js = jt && isObj(jt.spec) ? jt.spec : undefined;
          template = js && isObj(js.template) ? js.template.spec : undefined;
        } else if (WORKLOAD_TEMPLATE_KINDS.has(kind)) {
          template = spec && isObj(spec.template) ? spec.template.spec : undefined;
        }
        const info = podSpecInfo(template);
        pods.set(`${ns}/${kind}/${name}`, {
          namespace: ns,
          name,
          serviceAccountName: info.serviceAccountName ?? 'default',
          ...(info.automount !== undefined ? { automountServiceAccountToken: info.automount } : {}),
          owner: { kind, name },
        });
        break;
      }
      case 'Node':
        nodes.add(name);
        break;
      case 'Namespace': {
        namespaces.add(name);
        const level = labels?.[POD_SECURITY_ENFORCE_LABEL];
        if (level) podSecurity[name] = level;
        break;
      }
      default:
        break;
    }
  });

  return {
    snapshot: {
      roles: [...roles.values()],
      clusterRoles: [...clusterRoles.values()],
      roleBindings: [...roleBindings.values()],
      clusterRoleBindings: [...clusterRoleBindings.values()],
      serviceAccounts: [...serviceAccounts.values()],
      secrets: [...secrets.values()],
      pods: [...pods.values()],
      nodes: [...nodes],
      namespaces: [...namespaces],
      ...(Object.keys(podSecurity).length ? { podSecurity } : {}),
    },
    issues: c.issues,
  };
}

/** Concatenates snapshots (later objects with the same key are simply appended; index keeps the last role). */
export function mergeSnapshots(...parts: RbacSnapshot[]): RbacSnapshot {
  return {
    roles: parts.flatMap((p) => p.roles),
    clusterRoles: parts.flatMap((p) => p.clusterRoles),
    roleBindings: parts.flatMap((p) => p.roleBindings),
    clusterRoleBindings: parts.flatMap((p) => p.clusterRoleBindings),
    serviceAccounts: parts.flatMap((p) => p.serviceAccounts ?? []),
    secrets: parts.flatMap((p) => p.secrets ?? []),
    pods: parts.flatMap((p) => p.pods ?? []),
    nodes: parts.flatMap((p) => p.nodes ?? []),
    namespaces: parts.flatMap((p) => p.namespaces ?? []),
    podSecurity: Object.assign({}, ...parts.map((p) => p.podSecurity ?? {})) as Record<string, string>,
  };
}

export { SA_TOKEN_TYPE, SA_NAME_ANNOTATION };

/**
 * A least-privilege fix for a ServiceAccount, from what it did: the Roles (and, where needed, one ClusterRole)
 * that allow exactly the calls it made over its activity window, how each rule it holds now fares against
 * them, and `automountServiceAccountToken: false` where it made no API call at all. Pure: the caller
 * (lib/data/least-privilege.ts) loads the calls and the grants.
 *
 * The idea is the one of audit2rbac (write RBAC from an audit log); the rules here are our own:
 *
 * - **Which calls are wanted.** A call the authorizer allowed (audit decision `allow`; a 404 or an admission
 *   refusal after that was still allowed) is wanted. A call it denied is not: a least-privilege Role must not
 *   grant what the identity was refused, which is as often a probe or a bug as a need. The owner may ask for
 *   denied calls too (`includeDenied`).
 * - **Never more than now.** An allowed call is put in the fix only when a rule of the identity's own bindings
 *   allows it today. When a binding through one of its groups (system:authenticated…) allows it, it is left
 *   out: that binding stays whatever the fix does (discovery, self-reviews). When nothing it holds allows it
 *   any more (its bindings changed since), it is left out and said so.
 * - **Where.** One Role (and a RoleBinding to the ServiceAccount) per namespace it acted in. Calls with no
 *   namespace (cluster-scoped resources, a list or watch across all namespaces) and non-resource URLs go to
 *   one ClusterRole and ClusterRoleBinding. A call on a Namespace object is made in that namespace (the API
 *   server's request info says so), so a Role there allows it, as the authorizer does.
 * - **Rules.** Exactly the verbs, API groups, resources (`resource/subresource` as the authorizer matches
 *   them) and URLs seen: never a `*`, never a URL prefix. One API group per rule; resources sharing the same
 *   verbs (and names) share a rule; everything sorted, so the same calls always give the same YAML.
 * - **Names.** `resourceNames` only when every call of that verb on that resource named an object and they
 *   named at most `maxNames` (5) distinct ones. Only verbs whose request carries the name can be restricted:
 *   get, update, patch, delete, and create of a subresource (`pods/exec` names its pod in the path). list,
 *   watch, deletecollection and the create of an object cannot (the authorizer sees no name).
 * - **Websocket exec.** A `get` of pods/exec, pods/attach or pods/portforward (a websocket upgrade) is also
 *   authorized as `create` by current API servers, so `create` is added to it when the identity holds it.
 */
import { stringify } from 'yaml';
import { utcTime } from '@/lib/format';
import { ruleAllows } from '@/lib/rbac/match';
import type { PolicyRule, RequestAttributes } from '@/lib/rbac/types';
import { isNonResource } from '@/lib/rbac/types';
import { covers, requestOf, ruleUses, type CoveredAction, type GrantedRule, type ObservedAction } from './unused';

/** Calls of one verb on one resource (or URL), namespace and object over the window, as the event store has them. */
export interface ObservedCall {
  verb: string;
  /** `[group/]resource[/subresource]` (split by unused.ts's parseResourceText); null for a non-resource URL. */
  resource: string | null;
  /** '' or null when the call named no namespace (cluster-scoped, or across all namespaces). */
  namespace: string | null;
  /** The object's name; null when the call named none (or when its calls named too many objects to list). */
  name?: string | null;
  /** The path of a non-resource request (`/metrics`); a query string is ignored. */
  requestURI?: string | null;
  /** Calls the authorizer allowed (whatever the response after that). */
  allowed: number;
  /** Calls the authorizer denied (audit decision `forbid`). */
  denied: number;
  /**
   * A request of it passed authorization (its ResponseStarted stage is there) but did not end in the window: a
   * long watch or exec. It is allowed, with no call counted yet.
   */
  started?: boolean;
}

export interface FixOptions {
  /** Also grant what was denied in the window (the owner asks for it). Default: only allowed calls. */
  includeDenied?: boolean;
  /** At most this many distinct object names make a `resourceNames` list. Default 5. */
  maxNames?: number;
}

export interface FixWorkload {
  kind: string;
  namespace: string;
  name: string;
  /** automountServiceAccountToken of its pod template (null when unset). */
  automountToken?: boolean | null;
}

/** One binding of the identity's own, with how many other subjects it names (so that it is not deleted under them). */
export interface FixBinding {
  kind: string;
  namespace: string;
  name: string;
  /** `ClusterRole edit`, `Role shop/x`. */
  role: string;
  /** Subjects it names besides this ServiceAccount; null when unknown. */
  otherSubjects?: number | null;
}

export interface FixInput {
  serviceAccount: { namespace: string; name: string; automountToken?: boolean | null };
  calls: readonly ObservedCall[];
  /** Every rule the identity's own bindings grant now (lib/data/permission-use.ts): the fix never grants more. */
  granted: readonly GrantedRule[];
  /** Rules it holds through its groups: they stay whatever the fix does, so what they allow is left out. */
  shared?: readonly GrantedRule[];
  /** Its own bindings, which the fix replaces. */
  bindings?: readonly FixBinding[];
  /** Workloads running as it (for the automount advice). */
  workloads?: readonly FixWorkload[];
  /** The window the calls come from; null when there is no audit event to judge by. */
  window?: { days: number; since: string; until: string } | null;
}

/** What became of an observed action (verb, target, namespace; names folded). */
export type CallDecision =
  /** allowed, and a rule of its own allows it: in the fix */
  | 'granted'
  /** allowed through a binding of one of its groups, which stays: left out */
  | 'shared'
  /** allowed in the window, but nothing it holds allows it now: left out */
  | 'not-granted'
  /** denied: left out */
  | 'denied'
  /** denied, and granted because the owner asked (includeDenied) */
  | 'denied-granted'
  /** neither a resource nor a URL could be read: left out */
  | 'unknown';

export interface FixAction {
  verb: string;
  /** The resource text, or the URL path of a non-resource request. */
  target: string;
  /** '' when cluster-wide. */
  namespace: string;
  calls: number;
  decision: CallDecision;
  /** Why, in words (the group binding that allows it, …). */
  reason: string;
  /** Distinct object names its calls named, sorted. */
  names: string[];
  /** Some of its calls named no object (or more objects than were kept). */
  unnamed: boolean;
}

export interface GeneratedRole {
  kind: 'Role' | 'ClusterRole';
  /** '' for the ClusterRole. */
  namespace: string;
  name: string;
  rules: PolicyRule[];
  binding: { kind: 'RoleBinding' | 'ClusterRoleBinding'; namespace: string; name: string };
}

export interface RuleChange {
  binding: string;
  /** The RoleBinding's namespace; '' for a ClusterRoleBinding. */
  namespace: string;
  rule: PolicyRule;
  text: string;
  /**
   * kept: the fix allows all this rule allows (where its binding applies); narrowed: only part of it (the
   * part its calls used); dropped: none of it.
   */
  status: 'kept' | 'narrowed' | 'dropped';
  /** The wanted calls it allows. */
  covered: CoveredAction[];
  usedVerbs: string[];
  /** Verbs it lists that no wanted call used. */
  droppedVerbs: string[];
  note: string;
}

export interface FixDiff {
  rules: RuleChange[];
  kept: number;
  narrowed: number;
  dropped: number;
  /** Wanted actions no rule held now allows (only with includeDenied): the fix grants them anew. */
  added: FixAction[];
}

export interface ReplacedBinding extends FixBinding {
  /** What to do once the fix is applied. */
  action: 'delete' | 'remove-subject';
  command: string;
}

export interface AutomountPatch {
  kind: string;
  namespace: string;
  name: string;
  current: boolean | null;
  /** A merge patch (kubectl patch --type merge), or null when the object cannot be changed (a Pod, a Job). */
  patch: Record<string, unknown> | null;
  command: string | null;
  note: string;
}

export interface AutomountAdvice {
  reason: string;
  /** Null when the ServiceAccount already says false. */
  serviceAccount: AutomountPatch | null;
  /** Workloads whose pod template does not already say false. */
  workloads: AutomountPatch[];
}

export interface LeastPrivilegeFix {
  roles: GeneratedRole[];
  /** The Kubernetes objects to apply, in order (Roles with their RoleBindings, the ClusterRole, the ServiceAccount). */
  documents: Record<string, unknown>[];
  /** The documents as YAML ('' when there is nothing to apply). */
  yaml: string;
  diff: FixDiff;
  /** Null when the window shows API calls (the token is used), or when there is no window to judge by. */
  automount: AutomountAdvice | null;
  actions: FixAction[];
  /** The identity's own bindings the fix replaces, and what to do with each. */
  replaces: ReplacedBinding[];
  /** Rule by rule, why a verb was not restricted by name (only where names were seen). */
  notes: string[];
}

export const DEFAULT_MAX_NAMES = 5;
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_API = `${RBAC_GROUP}/v1`;
/** Subresources whose websocket `get` is authorized as `create` as well. */
const WEBSOCKET_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
/** Verbs whose request carries the object's name in its path. */
const NAMED_VERBS = new Set(['get', 'update', 'patch', 'delete']);
/** Past this many concrete requests, a rule is not expanded to judge whether it is kept (it is narrowed). */
const EXPAND_LIMIT = 4096;

/** Code-point order: the same on every machine and locale. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const cmpList = (a: readonly string[], b: readonly string[]) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = cmp(a[i]!, b[i]!);
    if (c) return c;
  }
  return a.length - b.length;
};
const sorted = (values: Iterable<string>) => [...new Set(values)].sort(cmp);

/** The names of the generated objects. */
export function fixNames(sa: { namespace: string; name: string }) {
  return { role: `${sa.name}-least-privilege`, clusterRole: `${sa.namespace}:${sa.name}-least-privilege` };
}

/** Can a `verb` of this request be limited with resourceNames? Only when the authorizer sees the name. */
export function nameRestrictable(verb: string, subresource: string): boolean {
  return NAMED_VERBS.has(verb) || (verb === 'create' && subresource !== '');
}

const targetOf = (c: ObservedCall) => c.resource || c.requestURI?.split('?')[0] || '(unknown)';
const asAction = (c: ObservedCall, calls: number): ObservedAction => ({
  verb: c.verb,
  resource: c.resource,
  namespace: c.namespace,
  name: c.name ?? null,
  requestURI: c.requestURI ?? null,
  calls,
});

interface Want {
  /** '' for the ClusterRole. */
  scope: string;
  request: RequestAttributes;
  calls: number;
}

// ---- deciding each call ---------------------------------------------------------------------------------

function decide(input: FixInput, options: FixOptions) {
  const wants: Want[] = [];
  const rows: (Omit<FixAction, 'names' | 'unnamed'> & { name: string })[] = [];
  const shared = input.shared ?? [];
  for (const c of input.calls) {
    const base = { verb: c.verb, target: targetOf(c), namespace: c.namespace ?? '', name: c.name ?? '' };
    const request = requestOf(asAction(c, c.allowed + c.denied));
    const scope = request && !isNonResource(request) ? (request.namespace ?? '') : '';
    if (!request) {
      rows.push({
        ...base,
        calls: c.allowed + c.denied,
        decision: 'unknown',
        reason: 'neither a resource nor a URL was recorded',
      });
      continue;
    }
    if (c.allowed > 0 || c.started) {
      const action = asAction(c, c.allowed);
      const group = shared.find((g) => covers(g, action, request));
      const own = input.granted.find((g) => covers(g, action, request));
      if (group) rows.push({ ...base, calls: c.allowed, decision: 'shared', reason: `stays allowed by ${group.binding}` });
      else if (own) {
        rows.push({ ...base, calls: c.allowed, decision: 'granted', reason: `allowed by ${own.binding}` });
        wants.push({ scope, request, calls: c.allowed });
      } else
        rows.push({
          ...base,
          calls: c.allowed,
          decision: 'not-granted',
          reason: 'allowed in the window, but no binding it holds now allows it',
        });
    }
    if (c.denied > 0) {
      if (options.includeDenied) {
        rows.push({ ...base, calls: c.denied, decision: 'denied-granted', reason: 'denied in the window; granted as asked' });
        wants.push({ scope, request, calls: c.denied });
      } else
        rows.push({
          ...base,
          calls: c.denied,
          decision: 'denied',
          reason: 'denied in the window: a least-privilege Role does not grant it',
        });
    }
  }
  // A websocket exec/attach/portforward is a `get` that is also authorized as `create`.
  for (const w of [...wants]) {
    const r = w.request;
    if (isNonResource(r) || r.verb !== 'get' || !WEBSOCKET_SUBRESOURCES.has(r.subresource ?? '')) continue;
    const create = { ...r, verb: 'create' };
    const asCreate: ObservedAction = {
      verb: 'create',
      resource: `${r.apiGroup ? `${r.apiGroup}/` : ''}${r.resource}/${r.subresource}`,
      namespace: r.namespace ?? '',
      name: r.name ?? '',
      calls: 0,
    };
    if (input.granted.some((g) => covers(g, asCreate, create)) && !shared.some((g) => covers(g, asCreate, create)))
      wants.push({ scope: w.scope, request: create, calls: 0 });
  }
  return { wants, rows };
}

/** One line per verb, target, namespace and decision, names gathered; most calls first, then by text. */
function foldActions(rows: ReturnType<typeof decide>['rows']): FixAction[] {
  const byKey = new Map<string, FixAction & { nameSet: Set<string> }>();
  for (const r of rows) {
    const key = [r.verb, r.target, r.namespace, r.decision].join('\u0000');
    const entry = byKey.get(key) ?? { ...r, calls: 0, names: [], unnamed: false, nameSet: new Set<string>() };
    entry.calls += r.calls;
    if (r.name) entry.nameSet.add(r.name);
    else entry.unnamed = true;
    // The reason of the first row (the same binding for every name, in practice).
    byKey.set(key, entry);
  }
  return [...byKey.values()]
    .map(({ nameSet, ...a }) => ({ ...a, names: sorted(nameSet) }))
    .sort(
      (a, b) =>
        b.calls - a.calls ||
        cmp(a.verb, b.verb) ||
        cmp(a.target, b.target) ||
        cmp(a.namespace, b.namespace) ||
        cmp(a.decision, b.decision),
    );
}

// ---- rules from the wanted calls --------------------------------------------------------------------------

interface ResourceUse {
  group: string;
  /** `resource` or `resource/subresource`, as the authorizer matches it. */
  combined: string;
  subresource: string;
  verbs: Map<string, { names: Set<string>; unnamed: boolean }>;
}

function rulesFor(wants: readonly Want[], maxNames: number, notes: string[], scopeText: string): PolicyRule[] {
  const resources = new Map<string, ResourceUse>();
  const urls = new Map<string, Set<string>>();
  for (const { request: r } of wants) {
    if (isNonResource(r)) {
      urls.set(r.nonResourceURL, (urls.get(r.nonResourceURL) ?? new Set()).add(r.verb));
      continue;
    }
    const combined = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
    const key = `${r.apiGroup}\u0000${combined}`;
    const use = resources.get(key) ?? { group: r.apiGroup, combined, subresource: r.subresource ?? '', verbs: new Map() };
    const verb = use.verbs.get(r.verb) ?? { names: new Set<string>(), unnamed: false };
    if (r.name) verb.names.add(r.name);
    else verb.unnamed = true;
    use.verbs.set(r.verb, verb);
    resources.set(key, use);
  }

  // Per resource, its verbs grouped by the names they are limited to ('' = any name).
  const merged = new Map<string, { group: string; verbs: string[]; names: string[]; resources: Set<string> }>();
  for (const use of resources.values()) {
    const byNames = new Map<string, { names: string[]; verbs: string[] }>();
    for (const [verb, seen] of use.verbs) {
      const restrictable = nameRestrictable(verb, use.subresource);
      const limit = restrictable && !seen.unnamed && seen.names.size > 0 && seen.names.size <= maxNames;
      if (restrictable && !limit && seen.names.size > 0) {
        const what = `${verb} ${use.group ? `${use.group}/` : ''}${use.combined}${scopeText}`;
        notes.push(
          seen.unnamed
            ? `${what}: not limited by name (some calls named no object)`
            : `${what}: not limited by name (${seen.names.size} objects, more than ${maxNames})`,
        );
      }
      const names = limit ? sorted(seen.names) : [];
      const key = names.join('\u0000');
      const entry = byNames.get(key) ?? { names, verbs: [] };
      entry.verbs.push(verb);
      byNames.set(key, entry);
    }
    for (const { names, verbs } of byNames.values()) {
      const v = sorted(verbs);
      const key = [use.group, v.join(','), names.join(',')].join('\u0000');
      const entry = merged.get(key) ?? { group: use.group, verbs: v, names, resources: new Set<string>() };
      entry.resources.add(use.combined);
      merged.set(key, entry);
    }
  }
  const resourceRules = [...merged.values()]
    .map((m): PolicyRule => ({
      apiGroups: [m.group],
      resources: sorted(m.resources),
      ...(m.names.length ? { resourceNames: m.names } : {}),
      verbs: m.verbs,
    }))
    .sort(
      (a, b) =>
        cmp(a.apiGroups![0]!, b.apiGroups![0]!) ||
        cmpList(a.resources!, b.resources!) ||
        cmpList(a.resourceNames ?? [], b.resourceNames ?? []) ||
        cmpList(a.verbs, b.verbs),
    );

  const byVerbs = new Map<string, { verbs: string[]; urls: string[] }>();
  for (const [url, verbs] of urls) {
    const v = sorted(verbs);
    const entry = byVerbs.get(v.join(',')) ?? { verbs: v, urls: [] };
    entry.urls.push(url);
    byVerbs.set(v.join(','), entry);
  }
  const urlRules = [...byVerbs.values()]
    .map((e): PolicyRule => ({ nonResourceURLs: sorted(e.urls), verbs: e.verbs }))
    .sort((a, b) => cmpList(a.nonResourceURLs!, b.nonResourceURLs!) || cmpList(a.verbs, b.verbs));
  return [...resourceRules, ...urlRules];
}

function generateRoles(
  sa: FixInput['serviceAccount'],
  wants: readonly Want[],
  maxNames: number,
  notes: string[],
): GeneratedRole[] {
  const names = fixNames(sa);
  const scopes = sorted(wants.map((w) => w.scope)).sort((a, b) => (a === '' ? 1 : b === '' ? -1 : cmp(a, b)));
  return scopes.map((scope): GeneratedRole => {
    const rules = rulesFor(
      wants.filter((w) => w.scope === scope),
      maxNames,
      notes,
      scope ? ` in ${scope}` : ' (cluster-wide)',
    );
    return scope
      ? {
          kind: 'Role',
          namespace: scope,
          name: names.role,
          rules,
          binding: { kind: 'RoleBinding', namespace: scope, name: names.role },
        }
      : {
          kind: 'ClusterRole',
          namespace: '',
          name: names.clusterRole,
          rules,
          binding: { kind: 'ClusterRoleBinding', namespace: '', name: names.clusterRole },
        };
  });
}

// ---- the objects and their YAML ---------------------------------------------------------------------------

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'nhi-dashboard' };

function metadataOf(name: string, namespace: string, input: FixInput) {
  const annotations: Record<string, string> = {
    'nhi.dev/least-privilege-for': `system:serviceaccount:${input.serviceAccount.namespace}:${input.serviceAccount.name}`,
  };
  if (input.window) annotations['nhi.dev/observed-window'] = `${input.window.since}/${input.window.until}`;
  return { name, ...(namespace ? { namespace } : {}), labels: { ...MANAGED_BY }, annotations };
}

/** A rule as the API writes it (apiGroups, resources, resourceNames, nonResourceURLs, verbs). */
function ruleObject(rule: PolicyRule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rule.apiGroups?.length) out.apiGroups = rule.apiGroups;
  if (rule.resources?.length) out.resources = rule.resources;
  if (rule.resourceNames?.length) out.resourceNames = rule.resourceNames;
  if (rule.nonResourceURLs?.length) out.nonResourceURLs = rule.nonResourceURLs;
  out.verbs = rule.verbs;
  return out;
}

function documentsOf(input: FixInput, roles: readonly GeneratedRole[], automount: AutomountAdvice | null) {
  const sa = input.serviceAccount;
  const docs: Record<string, unknown>[] = [];
  for (const r of roles) {
    docs.push({
      apiVersion: RBAC_API,
      kind: r.kind,
      metadata: metadataOf(r.name, r.namespace, input),
      rules: r.rules.map(ruleObject),
    });
    docs.push({
      apiVersion: RBAC_API,
      kind: r.binding.kind,
      metadata: metadataOf(r.binding.name, r.binding.namespace, input),
      roleRef: { apiGroup: RBAC_GROUP, kind: r.kind, name: r.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
    });
  }
  if (automount?.serviceAccount)
    docs.push({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa.name, namespace: sa.namespace },
      automountServiceAccountToken: false,
    });
  return docs;
}

/** Documents → YAML, `---` between them. */
export function toYaml(documents: readonly Record<string, unknown>[]): string {
  return documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

// ---- the diff against the rules held now ------------------------------------------------------------------

/** Every concrete request a rule allows; null when it holds a wildcard or a URL prefix (or is too large to list). */
export function expandRule(rule: PolicyRule, namespace: string): RequestAttributes[] | null {
  const out: RequestAttributes[] = [];
  if (rule.verbs.includes('*')) return null;
  if (rule.nonResourceURLs?.length) {
    if (rule.nonResourceURLs.some((u) => u.endsWith('*'))) return null;
    for (const url of rule.nonResourceURLs) for (const verb of rule.verbs) out.push({ verb, nonResourceURL: url });
    return out;
  }
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  if (groups.includes('*') || resources.some((r) => r === '*' || r.startsWith('*/'))) return null;
  const names = rule.resourceNames?.length ? rule.resourceNames : [''];
  if (groups.length * resources.length * rule.verbs.length * names.length > EXPAND_LIMIT) return null;
  for (const apiGroup of groups)
    for (const combined of resources) {
      const [resource = '', ...sub] = combined.split('/');
      for (const verb of rule.verbs)
        for (const name of names)
          out.push({ verb, apiGroup, resource, ...(sub.length ? { subresource: sub.join('/') } : {}), namespace, name });
    }
  return out;
}

function diffOf(
  input: FixInput,
  roles: readonly GeneratedRole[],
  wants: readonly Want[],
  actions: readonly FixAction[],
): FixDiff {
  const wanted: ObservedAction[] = wants.map(({ request: r, calls }) =>
    isNonResource(r)
      ? { verb: r.verb, resource: null, namespace: '', requestURI: r.nonResourceURL, calls }
      : {
          verb: r.verb,
          resource: [r.apiGroup, r.resource, r.subresource].filter(Boolean).join('/'),
          namespace: r.namespace ?? '',
          name: r.name ?? '',
          calls,
        },
  );
  const rulesIn = (scope: string) => roles.find((r) => r.namespace === scope)?.rules ?? [];
  const rules = ruleUses(input.granted, wanted).map((u): RuleChange => {
    let status: RuleChange['status'] = 'dropped';
    if (u.covered.length > 0) {
      const requests = expandRule(u.rule, u.namespace);
      const mine = rulesIn(u.namespace);
      const kept = requests !== null && requests.every((req) => mine.some((r) => ruleAllows(r, req)));
      status = kept ? 'kept' : 'narrowed';
    }
    const droppedVerbs = u.unusedVerbs;
    const note =
      status === 'dropped'
        ? 'no wanted call in the window needed it'
        : status === 'kept'
          ? 'the fix allows all of it'
          : [
              'only what its calls used is kept',
              droppedVerbs.length ? `verbs never used: ${droppedVerbs.join(', ')}` : '',
              u.namespace === '' && u.rule.resources?.length ? 'namespaced calls move to Roles of their namespaces' : '',
            ]
              .filter(Boolean)
              .join('; ');
    return {
      binding: u.binding,
      namespace: u.namespace,
      rule: u.rule,
      text: u.text,
      status,
      covered: u.covered,
      usedVerbs: u.usedVerbs,
      droppedVerbs,
      note,
    };
  });
  return {
    rules,
    kept: rules.filter((r) => r.status === 'kept').length,
    narrowed: rules.filter((r) => r.status === 'narrowed').length,
    dropped: rules.filter((r) => r.status === 'dropped').length,
    added: actions.filter((a) => a.decision === 'denied-granted'),
  };
}

// ---- automount and the bindings replaced -------------------------------------------------------------------

/** The merge patch that turns token automounting off in a workload's pod template; null when it cannot be changed. */
function templatePatch(kind: string): Record<string, unknown> | null {
  const off = { spec: { automountServiceAccountToken: false } };
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
      return { spec: { template: off } };
    case 'CronJob':
      return { spec: { jobTemplate: { spec: { template: off } } } };
    default:
      // A Pod's spec and a Job's template cannot be changed once created.
      return null;
  }
}

const patchCommand = (kind: string, namespace: string, name: string, patch: Record<string, unknown>) =>
  `kubectl patch ${kind.toLowerCase()} ${name} -n ${namespace} --type merge -p '${JSON.stringify(patch)}'`;

function automountAdvice(input: FixInput): AutomountAdvice | null {
  if (!input.window || input.calls.length > 0) return null;
  const sa = input.serviceAccount;
  const saPatch = { automountServiceAccountToken: false };
  return {
    reason: `no API call by ${sa.namespace}/${sa.name} in the ${input.window.days} days up to ${utcTime(input.window.until)}: its pods need no token`,
    serviceAccount:
      sa.automountToken === false
        ? null
        : {
            kind: 'ServiceAccount',
            namespace: sa.namespace,
            name: sa.name,
            current: sa.automountToken ?? null,
            patch: saPatch,
            command: patchCommand('ServiceAccount', sa.namespace, sa.name, saPatch),
            note: 'new pods that do not say otherwise get no token',
          },
    workloads: [...(input.workloads ?? [])]
      .filter((w) => w.automountToken !== false)
      .sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.kind, b.kind) || cmp(a.name, b.name))
      .map((w): AutomountPatch => {
        const patch = templatePatch(w.kind);
        return {
          kind: w.kind,
          namespace: w.namespace,
          name: w.name,
          current: w.automountToken ?? null,
          patch,
          command: patch && patchCommand(w.kind, w.namespace, w.name, patch),
          note: patch
            ? w.automountToken === true
              ? 'its pod template asks for the token, over the ServiceAccount: patch it (its pods are replaced)'
              : 'its pods are replaced without a token'
            : `a ${w.kind}'s pod spec cannot be changed: recreate it with automountServiceAccountToken: false`,
        };
      }),
  };
}

function replacedBindings(input: FixInput): ReplacedBinding[] {
  const sa = input.serviceAccount;
  return [...(input.bindings ?? [])]
    .sort((a, b) => cmp(a.kind, b.kind) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name))
    .map((b): ReplacedBinding => {
      const ns = b.kind === 'RoleBinding' ? ` -n ${b.namespace}` : '';
      return b.otherSubjects === 0
        ? { ...b, action: 'delete', command: `kubectl delete ${b.kind.toLowerCase()} ${b.name}${ns}` }
        : {
            ...b,
            action: 'remove-subject',
            command: `kubectl edit ${b.kind.toLowerCase()} ${b.name}${ns}  # remove ServiceAccount ${sa.namespace}/${sa.name} from its subjects`,
          };
    });
}

// ---- the fix ------------------------------------------------------------------------------------------------

export function leastPrivilege(input: FixInput, options: FixOptions = {}): LeastPrivilegeFix {
  const maxNames = options.maxNames ?? DEFAULT_MAX_NAMES;
  const { wants, rows } = decide(input, options);
  const notes: string[] = [];
  const roles = generateRoles(input.serviceAccount, wants, maxNames, notes);
  const actions = foldActions(rows);
  const automount = automountAdvice(input);
  const documents = documentsOf(input, roles, automount);
  return {
    roles,
    documents,
    yaml: toYaml(documents),
    diff: diffOf(input, roles, wants, actions),
    automount,
    actions,
    replaces: replacedBindings(input),
    notes: sorted(notes),
  };
}

/**
 * Reach: for one identity, every binding that designates it, the rules it holds cluster-wide and per
 * namespace, and the sensitive capabilities (catalogue) those rules give, each with where it
 * applies and which binding/role/rule grants it.
 *
 * Scale: capability matching is done once per role (which catalogue checks each rule satisfies) and
 * cached per index; an identity's summary then only merges the cached hits of the bindings that
 * designate it. Group bindings (system:serviceaccounts, system:authenticated…) are shared by
 * thousands of identities and cost nothing extra.
 *
 * Effective vs nominal: a capability is *effective* when Kubernetes would allow the requests it
 * stands for. It is *nominal* when a rule names it but Kubernetes ignores the rule for that purpose:
 * a cluster-scoped resource (nodes, clusterroles, CSRs…) granted through a RoleBinding, or a
 * `resource/*` entry, which Kubernetes does not treat as a wildcard. Nominal findings are what
 * most scanners report; the dashboard shows them as "declared but ineffective".
 *
 * Results may share objects between identities (group contributions are computed once): treat
 * summaries as read-only. In reach grants `subjectIndex` names a binding subject that applies to
 * the identity; `can()` reports the first one, as the authorizer does.
 */
import { identityKey } from '@/lib/keys';
import { CAPABILITIES, checkKey, type Capability, type CapabilityCheck, type Severity } from './capabilities';
import { firstApplyingSubject, reasonFor, type GrantedRule } from './evaluator';
import { ruleAllows, ruleAllowsLenient } from './match';
import type { IndexedBinding, IndexedRole, RbacIndex } from './rbac-index';
import { splitServiceAccountUsername, toUserInfo } from './subjects';
import type { GrantReason, PolicyRule, ResourceAttributes, UserInfo } from './types';

export type IdentityRef =
  { kind: 'ServiceAccount'; namespace: string; name: string } | { kind: 'User'; name: string } | { kind: 'Group'; name: string };

/**
 * Built-in resources that are not namespaced (`kubectl api-resources --namespaced=false`). A rule naming
 * only these reaches no namespace; any other resource (custom resources included) is taken as namespaced.
 */
const CLUSTER_SCOPED_RESOURCES = new Set([
  'apiservices',
  'certificatesigningrequests',
  'clusterrolebindings',
  'clusterroles',
  'clustertrustbundles',
  'componentstatuses',
  'csidrivers',
  'csinodes',
  'customresourcedefinitions',
  'flowschemas',
  'ingressclasses',
  'ipaddresses',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
  'mutatingwebhookconfigurations',
  'namespaces',
  'nodes',
  'persistentvolumes',
  'priorityclasses',
  'prioritylevelconfigurations',
  'runtimeclasses',
  'selfsubjectaccessreviews',
  'selfsubjectreviews',
  'selfsubjectrulesreviews',
  'servicecidrs',
  'storageclasses',
  'subjectaccessreviews',
  'tokenreviews',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'validatingwebhookconfigurations',
  'volumeattachments',
  'volumeattributesclasses',
]);

/** The rule grants something on a namespaced resource (or on every resource). */
function grantsNamespacedResources(rule: PolicyRule): boolean {
  return (rule.resources ?? []).some((r) => r === '*' || !CLUSTER_SCOPED_RESOURCES.has(r.split('/')[0]!));
}

export type NominalReason = 'cluster-scoped-resource-in-rolebinding' | 'resource-subresource-wildcard';

export type CapabilityScope = { kind: 'cluster' } | { kind: 'namespace'; namespace: string };

export interface HeldCapability {
  id: string;
  title: string;
  severity: Severity;
  scope: CapabilityScope;
  /** True when Kubernetes allows it; false when only declared (see module comment). */
  effective: boolean;
  ineffectiveBecause?: NominalReason[];
  grants: GrantReason[];
}

export interface BindingRef {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace?: string;
  name: string;
  roleRef: { kind: string; name: string };
  roleMissing: boolean;
  subjectIndex: number;
  labels: Record<string, string>;
  /** The group through which the binding designates the identity (absent when it names it directly). */
  group?: string;
}

export interface ReachSummary {
  identity: IdentityRef;
  user: UserInfo;
  /** Every binding designating the identity, including those whose role does not exist. */
  bindings: BindingRef[];
  /** Rules from ClusterRoleBindings: they apply cluster-wide and in every namespace. */
  clusterRules: GrantedRule[];
  /** Rules from RoleBindings, per namespace (sorted). */
  namespaceRules: { namespace: string; rules: GrantedRule[] }[];
  /**
   * A ClusterRoleBinding grants rules on namespaced resources (or `*`), so every namespace is reachable.
   * Cluster-wide grants on cluster-scoped resources only (e.g. system:basic-user's self-reviews, which
   * every authenticated identity holds) do not make a namespace reachable.
   */
  allNamespaces: boolean;
  /** Namespaces where RoleBindings grant something (sorted). */
  namespaces: string[];
  capabilities: HeldCapability[];
}

// ---- catalogue compiled to distinct checks ----------------------------------------------------

interface CompiledCheck {
  check: CapabilityCheck;
  attrs: ResourceAttributes;
}
interface CompiledCapability {
  cap: Capability;
  alternatives: number[][];
}

interface Compiled {
  checks: CompiledCheck[];
  capabilities: CompiledCapability[];
}

export function compileCatalogue(catalogue: readonly Capability[]): Compiled {
  const checks: CompiledCheck[] = [];
  const byKey = new Map<string, number>();
  const capabilities = catalogue.map((cap) => ({
    cap,
    alternatives: cap.anyOf.map((alt) =>
      alt.map((check) => {
        const k = checkKey(check);
        let i = byKey.get(k);
        if (i === undefined) {
          i = checks.length;
          byKey.set(k, i);
          const attrs: ResourceAttributes = { verb: check.verb, apiGroup: check.group, resource: check.resource };
          if (check.subresource) attrs.subresource = check.subresource;
          if (check.name) attrs.name = check.name;
          checks.push({ check, attrs });
        }
        return i;
      }),
    ),
  }));
  return { checks, capabilities };
}

const DEFAULT_COMPILED = compileCatalogue(CAPABILITIES);

/** For one role: which checks its rules satisfy (strictly, or only under the lenient reading). */
interface RoleHit {
  check: number;
  strict: number[];
  lenientOnly: number[];
}

function roleHits(role: IndexedRole, compiled: Compiled): RoleHit[] {
  const out: RoleHit[] = [];
  const rules = role.rules;
  compiled.checks.forEach((cc, k) => {
    let strict: number[] | undefined;
    let lenientOnly: number[] | undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as PolicyRule;
      if (ruleAllows(rule, cc.attrs)) (strict ??= []).push(i);
      else if (ruleAllowsLenient(rule, cc.attrs)) (lenientOnly ??= []).push(i);
    }
    if (strict || lenientOnly) out.push({ check: k, strict: strict ?? [], lenientOnly: lenientOnly ?? [] });
  });
  return out;
}

interface EngineCache {
  compiled: Compiled;
  hits: (RoleHit[] | undefined)[];
  /** Contributions of the bindings reached through a set of groups, shared by every identity with that set. */
  groupPartials: Map<string, Partial>;
}
const engineCaches = new WeakMap<RbacIndex, Map<Compiled, EngineCache>>();

function engineFor(index: RbacIndex, compiled: Compiled): EngineCache {
  let perIndex = engineCaches.get(index);
  if (!perIndex) {
    perIndex = new Map();
    engineCaches.set(index, perIndex);
  }
  let cache = perIndex.get(compiled);
  if (!cache) {
    cache = { compiled, hits: new Array(index.roleList.length), groupPartials: new Map() };
    perIndex.set(compiled, cache);
  }
  return cache;
}

function hitsOf(cache: EngineCache, role: IndexedRole): RoleHit[] {
  let h = cache.hits[role.id];
  if (!h) {
    h = roleHits(role, cache.compiled);
    cache.hits[role.id] = h;
  }
  return h;
}

// ---- per identity -------------------------------------------------------------------------------

interface GrantRef {
  binding: IndexedBinding;
  subjectIndex: number;
  ruleIndex: number;
}
interface HeldCheck {
  effective: GrantRef[];
  nominal: GrantRef[];
  nominalReasons: Set<NominalReason>;
}
type CheckMap = Map<number, HeldCheck>;

function holdCheck(map: CheckMap, k: number): HeldCheck {
  let h = map.get(k);
  if (!h) {
    h = { effective: [], nominal: [], nominalReasons: new Set() };
    map.set(k, h);
  }
  return h;
}

const Level = { None: 0, Nominal: 1, Effective: 2 } as const;
type Level = (typeof Level)[keyof typeof Level];

export interface ReachOptions {
  /** Include the rule lists (clusterRules / namespaceRules). Default true. */
  includeRules?: boolean;
  /** Alternative catalogue (tests). */
  catalogue?: readonly Capability[];
}

const compiledCatalogues = new WeakMap<readonly Capability[], Compiled>();
function compiledFor(catalogue: readonly Capability[] | undefined): Compiled {
  if (!catalogue || catalogue === CAPABILITIES) return DEFAULT_COMPILED;
  let c = compiledCatalogues.get(catalogue);
  if (!c) {
    c = compileCatalogue(catalogue);
    compiledCatalogues.set(catalogue, c);
  }
  return c;
}

export function identityUser(id: IdentityRef): UserInfo {
  return toUserInfo(id.kind === 'User' ? { kind: 'User', name: id.name } : id);
}

/** What a set of bindings contributes: rules and checks per scope. */
interface Partial {
  ids: Set<number>;
  bindings: BindingRef[];
  /** Binding id of each entry of `bindings` (index order). */
  order: number[];
  clusterRules: GrantedRule[];
  nsRules: Map<string, GrantedRule[]>;
  clusterChecks: CheckMap;
  nsChecks: Map<string, CheckMap>;
  allNamespaces: boolean;
  /** Capabilities of this partial alone, per scope ("" = cluster), computed on demand. */
  held?: Map<string, HeldCapability[]>;
}

function buildPartial(cache: EngineCache, entries: { binding: IndexedBinding; subjectIndex: number }[]): Partial {
  const compiled = cache.compiled;
  const p: Partial = {
    ids: new Set(),
    bindings: [],
    order: [],
    clusterRules: [],
    nsRules: new Map(),
    clusterChecks: new Map(),
    nsChecks: new Map(),
    allNamespaces: false,
  };
  for (const { binding, subjectIndex } of entries) {
    if (p.ids.has(binding.id)) continue;
    p.ids.add(binding.id);
    p.order.push(binding.id);
    const role = binding.role;
    p.bindings.push({
      kind: binding.kind,
      ...(binding.kind === 'RoleBinding' ? { namespace: binding.namespace } : {}),
      name: binding.name,
      roleRef: { kind: binding.roleRef.kind, name: binding.roleRef.name },
      roleMissing: !role,
      subjectIndex,
      labels: binding.labels,
      ...(binding.subjects[subjectIndex]?.kind === 'Group' ? { group: binding.subjects[subjectIndex].name } : {}),
    });
    if (!role) continue;
    const isCluster = binding.kind === 'ClusterRoleBinding';
    if (isCluster && role.rules.some(grantsNamespacedResources)) p.allNamespaces = true;
    if (role.rules.length > 0) {
      let target = p.clusterRules;
      if (!isCluster) {
        target = p.nsRules.get(binding.namespace) ?? [];
        p.nsRules.set(binding.namespace, target);
      }
      role.rules.forEach((rule, i) => target.push({ rule, reason: reasonFor(binding, subjectIndex, i) }));
    }
    let map = p.clusterChecks;
    if (!isCluster) {
      map = p.nsChecks.get(binding.namespace) ?? new Map();
      p.nsChecks.set(binding.namespace, map);
    }
    for (const hit of hitsOf(cache, role)) {
      const check = compiled.checks[hit.check]!.check;
      if (!isCluster && check.namespace && check.namespace !== binding.namespace) continue;
      const held = holdCheck(map, hit.check);
      const strictCounts = isCluster || check.scope === 'namespaced';
      for (const ruleIndex of hit.strict) {
        const ref = { binding, subjectIndex, ruleIndex };
        if (strictCounts) held.effective.push(ref);
        else {
          held.nominal.push(ref);
          held.nominalReasons.add('cluster-scoped-resource-in-rolebinding');
        }
      }
      for (const ruleIndex of hit.lenientOnly) {
        held.nominal.push({ binding, subjectIndex, ruleIndex });
        held.nominalReasons.add('resource-subresource-wildcard');
        if (!strictCounts) held.nominalReasons.add('cluster-scoped-resource-in-rolebinding');
      }
    }
  }
  return p;
}

function groupPartial(index: RbacIndex, cache: EngineCache, user: UserInfo): Partial {
  const key = [...new Set(user.groups)].sort().join('\u0000');
  let p = cache.groupPartials.get(key);
  if (!p) {
    const probe: UserInfo = { name: '', groups: user.groups };
    const entries: { binding: IndexedBinding; subjectIndex: number }[] = [];
    for (const g of new Set(user.groups)) {
      for (const b of index.bindingsByGroup.get(g) ?? []) {
        const i = firstApplyingSubject(probe, b);
        if (i >= 0) entries.push({ binding: b, subjectIndex: i });
      }
    }
    entries.sort((a, b) => a.binding.id - b.binding.id);
    p = buildPartial(cache, entries);
    cache.groupPartials.set(key, p);
  }
  return p;
}

/** Capabilities of one partial alone (shared by every identity that adds nothing to it). */
function heldOfPartial(cache: EngineCache, p: Partial): Map<string, HeldCapability[]> {
  if (!p.held) p.held = evaluateScopes(cache.compiled, [p.clusterChecks], [...p.nsChecks.keys()], (ns) => [p.nsChecks.get(ns)!]);
  return p.held;
}

function evaluateScopes(
  compiled: Compiled,
  clusterMaps: CheckMap[],
  namespaces: string[],
  nsMaps: (ns: string) => CheckMap[],
): Map<string, HeldCapability[]> {
  const out = new Map<string, HeldCapability[]>();
  const clusterLevels = new Map<string, Level>();
  const atCluster: HeldCapability[] = [];
  const memo = new Int8Array(compiled.checks.length);
  memo.fill(-1);
  for (const cc of compiled.capabilities) {
    const r = evaluateCapability(cc, clusterMaps, memo);
    clusterLevels.set(cc.cap.id, r.level);
    if (r.level !== Level.None) atCluster.push(toHeld(cc.cap, { kind: 'cluster' }, r));
  }
  out.set('', atCluster);
  for (const namespace of namespaces) {
    const maps = [...clusterMaps, ...nsMaps(namespace)];
    const list: HeldCapability[] = [];
    memo.fill(-1);
    for (const cc of compiled.capabilities) {
      if (cc.cap.scope === 'cluster-only') continue;
      const r = evaluateCapability(cc, maps, memo);
      if (r.level > (clusterLevels.get(cc.cap.id) ?? Level.None)) list.push(toHeld(cc.cap, { kind: 'namespace', namespace }, r));
    }
    out.set(namespace, list);
  }
  return out;
}

/** Reach summary of one identity. */
export function reachOf(index: RbacIndex, identity: IdentityRef, options: ReachOptions = {}): ReachSummary {
  const compiled = compiledFor(options.catalogue);
  const cache = engineFor(index, compiled);
  const includeRules = options.includeRules ?? true;
  const user = identityUser(identity);

  // Bindings reached through the groups are shared with every identity having the same groups.
  const shared = groupPartial(index, cache, user);
  const ownEntries: { binding: IndexedBinding; subjectIndex: number }[] = [];
  for (const b of index.bindingsByUser.get(user.name) ?? []) {
    const i = firstApplyingSubject(user, b);
    if (i < 0) continue;
    if (shared.ids.has(b.id)) continue;
    ownEntries.push({ binding: b, subjectIndex: i });
  }
  const own = ownEntries.length ? buildPartial(cache, ownEntries) : undefined;

  let capabilitiesByScope: Map<string, HeldCapability[]>;
  const namespaces = [...new Set([...(own?.nsRules.keys() ?? []), ...shared.nsRules.keys()])].sort();
  const checkNamespaces = [...new Set([...(own?.nsChecks.keys() ?? []), ...shared.nsChecks.keys()])].sort();
  if (!own) capabilitiesByScope = heldOfPartial(cache, shared);
  else if (own.clusterChecks.size === 0) {
    // Reuse the shared results where the identity adds nothing in that namespace.
    const base = heldOfPartial(cache, shared);
    const ownNs = [...own.nsChecks.keys()];
    const fresh = evaluateScopes(compiled, [shared.clusterChecks], ownNs, (ns) => {
      const maps = [own.nsChecks.get(ns)!];
      const s = shared.nsChecks.get(ns);
      if (s) maps.push(s);
      return maps;
    });
    capabilitiesByScope = new Map(base);
    for (const ns of ownNs) capabilitiesByScope.set(ns, fresh.get(ns) ?? []);
  } else {
    capabilitiesByScope = evaluateScopes(compiled, [own.clusterChecks, shared.clusterChecks], checkNamespaces, (ns) =>
      [own.nsChecks.get(ns), shared.nsChecks.get(ns)].filter((m): m is CheckMap => m !== undefined),
    );
  }
  const capabilities: HeldCapability[] = [...(capabilitiesByScope.get('') ?? [])];
  for (const ns of checkNamespaces) capabilities.push(...(capabilitiesByScope.get(ns) ?? []));

  const bindings = own ? mergeById(own, shared) : shared.bindings;
  return {
    identity,
    user,
    bindings,
    clusterRules: includeRules ? (own ? [...own.clusterRules, ...shared.clusterRules] : shared.clusterRules) : [],
    namespaceRules: includeRules
      ? namespaces.map((namespace) => ({
          namespace,
          rules: [...(own?.nsRules.get(namespace) ?? []), ...(shared.nsRules.get(namespace) ?? [])],
        }))
      : [],
    allNamespaces: shared.allNamespaces || (own?.allNamespaces ?? false),
    namespaces,
    capabilities,
  };
}

function mergeById(own: Partial, shared: Partial): BindingRef[] {
  // Index order: ClusterRoleBindings first, each kind in snapshot order (binding ids follow it).
  const all = [
    ...own.bindings.map((b, i) => ({ b, id: own.order[i] as number })),
    ...shared.bindings.map((b, i) => ({ b, id: shared.order[i] as number })),
  ];
  return all.sort((x, y) => x.id - y.id).map((x) => x.b);
}

interface CapabilityResult {
  level: Level;
  refs: GrantRef[];
  reasons: Set<NominalReason>;
}

/** Level of one check across the maps of a scope (memoised per scope in `memo`, -1 = unknown). */
function checkLevel(k: number, maps: CheckMap[], memo: Int8Array): Level {
  const cached = memo[k] as number;
  if (cached >= 0) return cached as Level;
  let level: Level = Level.None;
  for (const m of maps) {
    const h = m.get(k);
    if (!h) continue;
    if (h.effective.length) {
      level = Level.Effective;
      break;
    }
    if (h.nominal.length) level = Level.Nominal;
  }
  memo[k] = level;
  return level;
}

function evaluateCapability(cc: CompiledCapability, maps: CheckMap[], memo: Int8Array): CapabilityResult {
  let best: Level = Level.None;
  for (const alt of cc.alternatives) {
    let level: Level = Level.Effective;
    for (const k of alt) {
      const l = checkLevel(k, maps, memo);
      if (l < level) level = l;
      if (level === Level.None) break;
    }
    if (level > best) best = level;
    if (best === Level.Effective) break;
  }
  if (best === Level.None) return { level: best, refs: [], reasons: new Set() };
  // Collect the grants of every alternative satisfied at the best level.
  const refs: GrantRef[] = [];
  const reasons = new Set<NominalReason>();
  for (const alt of cc.alternatives) {
    let level: Level = Level.Effective;
    for (const k of alt) {
      const l = checkLevel(k, maps, memo);
      if (l < level) level = l;
    }
    if (level !== best) continue;
    for (const k of alt) {
      const l = checkLevel(k, maps, memo);
      for (const m of maps) {
        const h = m.get(k);
        if (!h) continue;
        if (l === Level.Effective) refs.push(...h.effective);
        else {
          refs.push(...h.nominal);
          h.nominalReasons.forEach((r) => reasons.add(r));
        }
      }
    }
  }
  return { level: best, refs, reasons };
}

function toHeld(cap: Capability, scope: CapabilityScope, r: CapabilityResult): HeldCapability {
  const seen = new Set<number>();
  const grants: GrantReason[] = [];
  const refs = r.refs.length > 1 ? [...r.refs].sort((a, b) => a.binding.id - b.binding.id || a.ruleIndex - b.ruleIndex) : r.refs;
  for (const ref of refs) {
    const key = ref.binding.id * 65536 + ref.ruleIndex;
    if (seen.has(key)) continue;
    seen.add(key);
    grants.push(reasonFor(ref.binding, ref.subjectIndex, ref.ruleIndex));
  }
  const held: HeldCapability = {
    id: cap.id,
    title: cap.title,
    severity: scope.kind === 'cluster' ? cap.severity : (cap.namespaceSeverity ?? cap.severity),
    scope,
    effective: r.level === Level.Effective,
    grants,
  };
  if (r.level !== Level.Effective) held.ineffectiveBecause = [...r.reasons].sort();
  return held;
}

// ---- all identities -----------------------------------------------------------------------------

/**
 * Every identity the snapshot knows: ServiceAccounts (objects, binding subjects, pods' accounts),
 * users and groups named as binding subjects. A User subject whose name is a ServiceAccount
 * username is that ServiceAccount. Sorted by key.
 */
export function listIdentities(index: RbacIndex): IdentityRef[] {
  const out = new Map<string, IdentityRef>();
  const add = (id: IdentityRef) => out.set(identityKey(id), id);
  for (const sa of index.snapshot.serviceAccounts ?? []) add({ kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name });
  for (const p of index.snapshot.pods ?? [])
    add({ kind: 'ServiceAccount', namespace: p.namespace, name: p.serviceAccountName ?? 'default' });
  for (const b of index.bindings) {
    for (const s of b.subjects) {
      if (!s.name) continue;
      if (s.kind === 'ServiceAccount') {
        const nsName = s.namespace ? s.namespace : b.namespace;
        if (nsName) add({ kind: 'ServiceAccount', namespace: nsName, name: s.name });
      } else if (s.kind === 'User') {
        const sa = splitServiceAccountUsername(s.name);
        add(sa ? { kind: 'ServiceAccount', ...sa } : { kind: 'User', name: s.name });
      } else if (s.kind === 'Group') add({ kind: 'Group', name: s.name });
    }
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, id]) => id);
}

/** Reach of every identity (or those of the given kinds). */
export function reachAll(index: RbacIndex, options: ReachOptions & { kinds?: IdentityRef['kind'][] } = {}): ReachSummary[] {
  const kinds = options.kinds ? new Set(options.kinds) : undefined;
  return listIdentities(index)
    .filter((id) => !kinds || kinds.has(id.kind))
    .map((id) => reachOf(index, id, options));
}

/**
 * `nhi can` and `nhi who-can`: RBAC questions answered on the collected inventory (no cluster access),
 * exactly as the Kubernetes RBAC authorizer would decide them, with the granting binding(s), role and
 * rule as the explanation.
 *
 *   nhi can system:serviceaccount:flux-system:kustomize-controller '*' '*'
 *   nhi can sa:payments/payments-api get secrets -n payments --name payments-db
 *   nhi can group:system:unauthenticated get /healthz
 *   nhi who-can create pods/exec -n default --json
 *
 * Input errors (bad subject, verb, resource, namespace; several clusters without --cluster) are
 * `invalid_input` AppErrors and exit with code 2; answers ("yes" and "no" alike) exit 0.
 */
import { Command, CommanderError } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { resolveCluster } from '@/lib/data/clusters';
import { loadRbacSnapshot } from '@/lib/data/rbac';
import type { PrismaClient } from '@/lib/db/client';
import { invalidInput, isAppError } from '@/lib/errors';
import { can, whoCan, type ResolvedSubject } from '@/lib/rbac/evaluator';
import { explainReason, formatRequest, formatUser, type ExplainedReason } from '@/lib/rbac/explain';
import { buildIndex, type RbacIndex } from '@/lib/rbac/rbac-index';
import { nonRbacAuthorizerFor, toUserInfo } from '@/lib/rbac/subjects';
import type { RequestAttributes, SubjectQuery, UserInfo } from '@/lib/rbac/types';
import { isNonResource } from '@/lib/rbac/types';

// ---- parsing (pure) -----------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBJECT_FORMS = 'system:serviceaccount:NAMESPACE:NAME, sa:NAMESPACE/NAME, user:NAME or group:NAME';

export interface ParsedSubject {
  query: SubjectQuery;
  /** What the authorizer would see (ServiceAccounts with their implicit groups). */
  user: UserInfo;
  /** Canonical spelling, e.g. `system:serviceaccount:ns:name`, `user:alice`, `group:devs`. */
  label: string;
}

function checkServiceAccount(namespace: string, name: string, input: string): void {
  if (!DNS_LABEL.test(namespace))
    throw invalidInput(
      `invalid namespace "${namespace}" in subject "${input}": a namespace is a DNS label (lower-case letters, digits, '-')`,
    );
  if (!DNS_SUBDOMAIN.test(name))
    throw invalidInput(`invalid ServiceAccount name "${name}" in subject "${input}": lower-case letters, digits, '-' and '.'`);
}

/** SUBJECT: `system:serviceaccount:ns:name`, `sa:ns/name` (or `serviceaccount:`), `user:alice`, `group:devs`. */
export function parseSubject(input: string): ParsedSubject {
  const s = input.trim();
  if (!s) throw invalidInput(`SUBJECT is empty; use ${SUBJECT_FORMS}`);
  if (s.startsWith('system:serviceaccount:')) {
    const parts = s.slice('system:serviceaccount:'.length).split(':');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw invalidInput(`invalid subject "${input}": expected system:serviceaccount:NAMESPACE:NAME`);
    const [namespace, name] = parts as [string, string];
    checkServiceAccount(namespace, name, input);
    const query: SubjectQuery = { kind: 'ServiceAccount', namespace, name };
    return { query, user: toUserInfo(query), label: `system:serviceaccount:${namespace}:${name}` };
  }
  const colon = s.indexOf(':');
  const prefix = colon > 0 ? s.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? s.slice(colon + 1) : '';
  switch (prefix) {
    case 'sa':
    case 'serviceaccount': {
      const slash = rest.indexOf('/');
      if (slash <= 0 || slash === rest.length - 1 || rest.indexOf('/', slash + 1) >= 0) {
        throw invalidInput(`invalid subject "${input}": expected sa:NAMESPACE/NAME`);
      }
      const namespace = rest.slice(0, slash);
      const name = rest.slice(slash + 1);
      checkServiceAccount(namespace, name, input);
      const query: SubjectQuery = { kind: 'ServiceAccount', namespace, name };
      return { query, user: toUserInfo(query), label: `system:serviceaccount:${namespace}:${name}` };
    }
    case 'user': {
      if (!rest.trim()) throw invalidInput(`invalid subject "${input}": expected user:NAME`);
      // A user name spelling a ServiceAccount is that ServiceAccount (with its groups), as a token would be.
      if (rest.startsWith('system:serviceaccount:')) return parseSubject(rest);
      const query: SubjectQuery = { kind: 'User', name: rest };
      return { query, user: toUserInfo(query), label: `user:${rest}` };
    }
    case 'group': {
      if (!rest.trim()) throw invalidInput(`invalid subject "${input}": expected group:NAME`);
      const query: SubjectQuery = { kind: 'Group', name: rest };
      return { query, user: toUserInfo(query), label: `group:${rest}` };
    }
    default:
      throw invalidInput(`unrecognised subject "${input}": use ${SUBJECT_FORMS}`);
  }
}

/** VERB: a Kubernetes verb (get, list, create, impersonate, use, …) or `*`. */
export function parseVerb(input: string): string {
  const v = input.trim();
  if (v === '*' || /^[a-z][a-z0-9-]*(:[a-z0-9-]+)*$/.test(v)) return v;
  throw invalidInput(
    `invalid verb "${input}": use a lower-case Kubernetes verb such as get, list, watch, create, update, patch, delete, impersonate, bind, escalate, or *`,
  );
}

/** -n NAMESPACE: a DNS label. */
export function parseNamespace(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  if (!DNS_LABEL.test(input))
    throw invalidInput(
      `invalid namespace "${input}": a namespace is a DNS label (lower-case letters, digits, '-', at most 63 characters)`,
    );
  return input;
}

/** Built-in resources and their API group (kubectl's discovery, offline). Core resources map to "". */
export const KNOWN_RESOURCE_GROUPS: Readonly<Record<string, string>> = {
  // core
  pods: '',
  services: '',
  secrets: '',
  configmaps: '',
  serviceaccounts: '',
  endpoints: '',
  events: '',
  namespaces: '',
  nodes: '',
  persistentvolumes: '',
  persistentvolumeclaims: '',
  replicationcontrollers: '',
  resourcequotas: '',
  limitranges: '',
  podtemplates: '',
  bindings: '',
  componentstatuses: '',
  users: '',
  groups: '',
  // apps, batch, autoscaling, policy
  deployments: 'apps',
  daemonsets: 'apps',
  statefulsets: 'apps',
  replicasets: 'apps',
  controllerrevisions: 'apps',
  jobs: 'batch',
  cronjobs: 'batch',
  horizontalpodautoscalers: 'autoscaling',
  poddisruptionbudgets: 'policy',
  // rbac
  roles: 'rbac.authorization.k8s.io',
  rolebindings: 'rbac.authorization.k8s.io',
  clusterroles: 'rbac.authorization.k8s.io',
  clusterrolebindings: 'rbac.authorization.k8s.io',
  // authn/authz
  tokenreviews: 'authentication.k8s.io',
  selfsubjectreviews: 'authentication.k8s.io',
  uids: 'authentication.k8s.io',
  userextras: 'authentication.k8s.io',
  subjectaccessreviews: 'authorization.k8s.io',
  selfsubjectaccessreviews: 'authorization.k8s.io',
  localsubjectaccessreviews: 'authorization.k8s.io',
  selfsubjectrulesreviews: 'authorization.k8s.io',
  certificatesigningrequests: 'certificates.k8s.io',
  signers: 'certificates.k8s.io',
  clustertrustbundles: 'certificates.k8s.io',
  // admission, API machinery
  mutatingwebhookconfigurations: 'admissionregistration.k8s.io',
  validatingwebhookconfigurations: 'admissionregistration.k8s.io',
  validatingadmissionpolicies: 'admissionregistration.k8s.io',
  validatingadmissionpolicybindings: 'admissionregistration.k8s.io',
  mutatingadmissionpolicies: 'admissionregistration.k8s.io',
  mutatingadmissionpolicybindings: 'admissionregistration.k8s.io',
  customresourcedefinitions: 'apiextensions.k8s.io',
  apiservices: 'apiregistration.k8s.io',
  flowschemas: 'flowcontrol.apiserver.k8s.io',
  prioritylevelconfigurations: 'flowcontrol.apiserver.k8s.io',
  leases: 'coordination.k8s.io',
  endpointslices: 'discovery.k8s.io',
  // networking, storage, scheduling, nodes, DRA
  ingresses: 'networking.k8s.io',
  ingressclasses: 'networking.k8s.io',
  networkpolicies: 'networking.k8s.io',
  ipaddresses: 'networking.k8s.io',
  servicecidrs: 'networking.k8s.io',
  storageclasses: 'storage.k8s.io',
  volumeattachments: 'storage.k8s.io',
  csidrivers: 'storage.k8s.io',
  csinodes: 'storage.k8s.io',
  csistoragecapacities: 'storage.k8s.io',
  volumeattributesclasses: 'storage.k8s.io',
  priorityclasses: 'scheduling.k8s.io',
  runtimeclasses: 'node.k8s.io',
  resourceclaims: 'resource.k8s.io',
  resourceclaimtemplates: 'resource.k8s.io',
  resourceslices: 'resource.k8s.io',
  deviceclasses: 'resource.k8s.io',
  podsecuritypolicies: 'policy',
};

export interface ParsedResource {
  kind: 'resource';
  resource: string;
  subresource?: string;
  /** undefined: not given and not a built-in resource; inferred from the cluster's rules (`inferApiGroup`). */
  apiGroup: string | undefined;
  /** How the group was obtained. */
  groupFrom: 'given' | 'built-in' | 'wildcard' | 'rules';
}

export interface ParsedNonResource {
  kind: 'nonResource';
  url: string;
}

const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * RESOURCE: `pods`, `pods/exec`, `deployments.apps`, `deployments.apps/scale`, `certificates.cert-manager.io`,
 * `*`, `*.apps`, or a non-resource URL starting with `/` (`/healthz`, `/metrics`).
 * Built-in resources get their group (core resources ""); `*` alone means every group.
 */
export function parseResource(input: string): ParsedResource | ParsedNonResource {
  const s = input.trim();
  if (!s) throw invalidInput('RESOURCE is empty: use e.g. pods, pods/exec, deployments.apps, or a URL such as /healthz');
  if (s.startsWith('/')) {
    if (/\s/.test(s)) throw invalidInput(`invalid non-resource URL "${input}": no spaces allowed`);
    return { kind: 'nonResource', url: s };
  }
  const slash = s.indexOf('/');
  const left = slash >= 0 ? s.slice(0, slash) : s;
  const subresource = slash >= 0 ? s.slice(slash + 1) : undefined;
  if (
    subresource !== undefined &&
    (!subresource || subresource.includes('/') || !(subresource === '*' || RESOURCE_NAME.test(subresource)))
  ) {
    throw invalidInput(
      `invalid subresource in "${input}": expected RESOURCE/SUBRESOURCE such as pods/exec or deployments.apps/scale`,
    );
  }
  const dot = left.indexOf('.');
  const resource = dot >= 0 ? left.slice(0, dot) : left;
  const group = dot >= 0 ? left.slice(dot + 1) : undefined;
  if (resource !== '*' && !RESOURCE_NAME.test(resource)) {
    throw invalidInput(`invalid resource "${input}": use the plural, lower-case resource name (pods, secrets, deployments.apps)`);
  }
  if (group !== undefined && group !== '*' && !DNS_SUBDOMAIN.test(group))
    throw invalidInput(`invalid API group "${group}" in "${input}"`);
  const base = { kind: 'resource' as const, resource, ...(subresource ? { subresource } : {}) };
  if (group !== undefined) return { ...base, apiGroup: group, groupFrom: 'given' };
  if (resource === '*') return { ...base, apiGroup: '*', groupFrom: 'wildcard' };
  const known = KNOWN_RESOURCE_GROUPS[resource];
  if (known !== undefined) return { ...base, apiGroup: known, groupFrom: 'built-in' };
  return { ...base, apiGroup: undefined, groupFrom: 'rules' };
}

/** Groups whose rules in the index name this resource explicitly (wildcard groups excluded). */
export function groupsNamingResource(index: RbacIndex, resource: string): string[] {
  const groups = new Set<string>();
  for (const role of index.roleList) {
    for (const rule of role.rules) {
      if (!(rule.resources ?? []).some((r) => r === resource || r.startsWith(`${resource}/`))) continue;
      for (const g of rule.apiGroups ?? []) if (g !== '*') groups.add(g);
    }
  }
  return [...groups].sort();
}

/** Fills in the group of a resource that is not built in, from the cluster's rules; invalid input when unknown or ambiguous. */
export function inferApiGroup(parsed: ParsedResource, candidates: string[]): string {
  if (parsed.apiGroup !== undefined) return parsed.apiGroup;
  const singular = Object.keys(KNOWN_RESOURCE_GROUPS).find((k) => k === `${parsed.resource}s` || k === `${parsed.resource}es`);
  if (candidates.length === 1) return candidates[0] as string;
  if (candidates.length === 0) {
    throw invalidInput(
      singular
        ? `unknown resource "${parsed.resource}": did you mean ${singular}?`
        : `unknown resource "${parsed.resource}": no rule of this cluster names it; write it as RESOURCE.GROUP (e.g. certificates.cert-manager.io)`,
    );
  }
  throw invalidInput(
    `resource "${parsed.resource}" exists in several API groups (${candidates.map((g) => (g === '' ? 'core' : g)).join(', ')}): write ${parsed.resource}.GROUP`,
  );
}

export interface RequestInput {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

/** The syntax of VERB RESOURCE [-n] [--name], checked before any database access. */
export function parseRequest(input: RequestInput): {
  verb: string;
  target: ParsedResource | ParsedNonResource;
  namespace?: string;
  name?: string;
} {
  const verb = parseVerb(input.verb);
  const target = parseResource(input.resource);
  const namespace = parseNamespace(input.namespace);
  if (input.name !== undefined && !input.name) throw invalidInput('--name needs a non-empty value');
  if (target.kind === 'nonResource') {
    if (namespace !== undefined) throw invalidInput(`-n/--namespace does not apply to a non-resource URL (${target.url})`);
    if (input.name !== undefined) throw invalidInput(`--name does not apply to a non-resource URL (${target.url})`);
  }
  return {
    verb,
    target,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(input.name !== undefined ? { name: input.name } : {}),
  };
}

/** Request attributes once the resource's group is known. */
export function toAttributes(parsed: ReturnType<typeof parseRequest>, apiGroup: string): RequestAttributes {
  if (parsed.target.kind === 'nonResource') return { verb: parsed.verb, nonResourceURL: parsed.target.url };
  return {
    verb: parsed.verb,
    apiGroup,
    resource: parsed.target.resource,
    ...(parsed.target.subresource ? { subresource: parsed.target.subresource } : {}),
    ...(parsed.namespace ? { namespace: parsed.namespace } : {}),
    ...(parsed.name ? { name: parsed.name } : {}),
  };
}

// ---- answering ---------------------------------------------------------------------------------------

/** A collected cluster's RBAC, ready to answer questions. */
export interface RbacView {
  cluster: string;
  index: RbacIndex;
}

/** The RBAC of the chosen cluster (the only one, or `--cluster NAME`) from the inventory. */
export async function loadRbacView(db: PrismaClient, clusterName: string | undefined): Promise<RbacView> {
  const cluster = await resolveCluster(db, clusterName);
  const { snapshot } = await loadRbacSnapshot(db, cluster.id);
  return { cluster: cluster.name, index: buildIndex(snapshot) };
}

function resolveAttributes(index: RbacIndex, parsed: ReturnType<typeof parseRequest>): RequestAttributes {
  if (parsed.target.kind === 'nonResource') return toAttributes(parsed, '');
  const group = inferApiGroup(
    parsed.target,
    parsed.target.apiGroup === undefined ? groupsNamingResource(index, parsed.target.resource) : [],
  );
  return toAttributes(parsed, group);
}

export interface CanResult {
  cluster: string;
  subject: { input: string; label: string; user: UserInfo };
  request: RequestAttributes;
  allowed: boolean;
  reasons: ExplainedReason[];
  /** Set when an authorizer other than RBAC answers for this identity on a real API server. */
  note?: string;
}

/** `nhi can`: would the RBAC authorizer allow SUBJECT to VERB RESOURCE (in NAMESPACE, on NAME)? */
export function runCan({ cluster, index }: RbacView, input: RequestInput & { subject: string }): CanResult {
  const subject = parseSubject(input.subject);
  const parsed = parseRequest(input);
  const request = resolveAttributes(index, parsed);
  const decision = can(index, subject.query, request);
  const note = nonRbacAuthorizerFor(subject.user);
  return {
    cluster,
    subject: { input: input.subject, label: subject.label, user: subject.user },
    request,
    allowed: decision.allowed,
    reasons: decision.reasons.map((r) => explainReason(index, r)),
    ...(note ? { note: `${subject.label} is ${note}: the API server may allow more than RBAC grants` } : {}),
  };
}

export interface WhoCanResult {
  cluster: string;
  request: RequestAttributes;
  subjects: { subject: ResolvedSubject; reasons: ExplainedReason[] }[];
}

/** `nhi who-can`: every binding subject through which the request is allowed. */
export function runWhoCan({ cluster, index }: RbacView, input: RequestInput): WhoCanResult {
  const parsed = parseRequest(input);
  const request = resolveAttributes(index, parsed);
  return {
    cluster,
    request,
    subjects: whoCan(index, request).map((e) => ({ subject: e.subject, reasons: e.reasons.map((r) => explainReason(index, r)) })),
  };
}

// ---- output -----------------------------------------------------------------------------------------

function scopeText(request: RequestAttributes): string {
  if (isNonResource(request)) return '(non-resource URL: only ClusterRoleBindings count)';
  return request.namespace ? '' : '(only ClusterRoleBindings count; add -n NAMESPACE to ask about one namespace)';
}

export function formatCanResult(r: CanResult): string {
  const lines = [r.allowed ? 'yes' : 'no'];
  lines.push(
    `  ${r.subject.label} ${r.allowed ? 'can' : 'cannot'} ${formatRequest(r.request)} ${scopeText(r.request)}`.trimEnd(),
  );
  lines.push(`  identity as the authorizer sees it: ${formatUser(r.subject.user)}`);
  lines.push(`  cluster: ${r.cluster}`);
  if (r.allowed) {
    lines.push(r.reasons.length === 1 ? '  granted by:' : `  granted by ${r.reasons.length} rules:`);
    for (const reason of r.reasons) lines.push(`    ${reason.text}`);
  } else {
    const where =
      isNonResource(r.request) || !r.request.namespace
        ? 'no ClusterRoleBinding'
        : `no ClusterRoleBinding and no RoleBinding in namespace ${r.request.namespace}`;
    lines.push(`  ${where} grants it to this identity or its groups`);
  }
  if (r.note) lines.push(`  note: ${r.note}`);
  return lines.join('\n');
}

function subjectText(s: ResolvedSubject): string {
  return s.kind === 'ServiceAccount' ? `${s.namespace}/${s.name}` : s.name;
}

const GROUP_NOTES: Record<string, string> = {
  'system:authenticated': 'every authenticated identity',
  'system:unauthenticated': 'anonymous requests',
  'system:serviceaccounts': 'every ServiceAccount of the cluster',
  'system:masters': 'always allowed by the API server, whatever RBAC says',
};

export function formatWhoCanResult(r: WhoCanResult): string {
  const lines = [`who can ${formatRequest(r.request)} ${scopeText(r.request)}`.trimEnd(), `cluster: ${r.cluster}`];
  if (!r.subjects.length) {
    lines.push('nobody through RBAC (members of system:masters are always allowed by the API server)');
    return lines.join('\n');
  }
  const kindWidth = Math.max(4, ...r.subjects.map((s) => s.subject.kind.length));
  const nameWidth = Math.max(7, ...r.subjects.map((s) => subjectText(s.subject).length));
  lines.push(`${'KIND'.padEnd(kindWidth)}  ${'SUBJECT'.padEnd(nameWidth)}  VIA`);
  for (const { subject, reasons } of r.subjects) {
    reasons.forEach((reason, i) => {
      const via = `${reason.binding.kind} ${reason.binding.namespace ? `${reason.binding.namespace}/` : ''}${reason.binding.name} → ${reason.role.kind} ${reason.role.namespace ? `${reason.role.namespace}/` : ''}${reason.role.name} (rule #${reason.ruleIndex})`;
      const note =
        i === 0 && subject.kind === 'Group' && (GROUP_NOTES[subject.name] || subject.name.startsWith('system:serviceaccounts:'))
          ? `  [${GROUP_NOTES[subject.name] ?? `every ServiceAccount in namespace ${subject.name.slice('system:serviceaccounts:'.length)}`}]`
          : '';
      lines.push(
        `${(i === 0 ? subject.kind : '').padEnd(kindWidth)}  ${(i === 0 ? subjectText(subject) : '').padEnd(nameWidth)}  ${via}${note}`,
      );
    });
  }
  lines.push(`${r.subjects.length} subject${r.subjects.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}

// ---- commander --------------------------------------------------------------------------------------

const USAGE_CODES = new Set([
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.unknownOption',
  'commander.excessArguments',
  'commander.invalidArgument',
  'commander.conflictingOption',
]);

/** Commander's own input errors (missing argument, unknown option, …) exit with 2 as well. */
function usageExitCodes(cmd: Command): Command {
  return cmd.exitOverride((err) => {
    if (USAGE_CODES.has(err.code) && err.exitCode !== 0) throw new CommanderError(2, err.code, err.message);
    throw err;
  });
}

async function reportUsage<T>(cmd: Command, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isAppError(e) && e.kind === 'invalid_input') {
      // One line and a pointer to the help, not the whole help text.
      cmd.showHelpAfterError(`(see \`nhi ${cmd.name()} --help\`)`);
      cmd.error(`nhi ${cmd.name()}: ${e.message}`, { exitCode: 2, code: 'nhi.usage' });
    }
    throw e;
  }
}

interface RequestOptions {
  namespace?: string;
  name?: string;
  cluster?: string;
  json?: boolean;
}

export function registerRbacCommands(program: Command): void {
  const canCmd = program
    .command('can')
    .description(
      'Would Kubernetes RBAC allow SUBJECT to VERB RESOURCE? Answered on the collected inventory, with the granting binding, role and rule.',
    )
    .argument('<subject>', `who: ${SUBJECT_FORMS}`)
    .argument('<verb>', 'get, list, watch, create, update, patch, delete, impersonate, bind, escalate, … or *')
    .argument(
      '<resource>',
      'pods, pods/exec, deployments.apps, certificates.cert-manager.io, *, or a non-resource URL such as /healthz',
    )
    .option(
      '-n, --namespace <namespace>',
      'ask about this namespace (default: cluster-wide, where only ClusterRoleBindings count)',
    )
    .option('--name <name>', 'a specific object name (rules with resourceNames)')
    .option('--cluster <name>', 'the cluster to ask about (required when the inventory holds several)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  nhi can system:serviceaccount:flux-system:kustomize-controller '*' '*'\n  nhi can sa:payments/payments-api get secrets -n payments --name payments-db\n  nhi can user:alice create pods/exec -n default\n  nhi can group:system:unauthenticated get /healthz`,
    );
  usageExitCodes(canCmd).action(async (subject: string, verb: string, resource: string, opts: RequestOptions, cmd: Command) => {
    await reportUsage(cmd, async () => {
      // Input is checked before the database is opened.
      parseSubject(subject);
      parseRequest({ verb, resource, namespace: opts.namespace, name: opts.name });
      const view = await withDatabase(({ db }) => loadRbacView(db, opts.cluster));
      const result = runCan(view, { subject, verb, resource, namespace: opts.namespace, name: opts.name });
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatCanResult(result));
    });
  });

  const whoCanCmd = program
    .command('who-can')
    .description('Which identities may VERB RESOURCE, and through which binding? Answered on the collected inventory.')
    .argument('<verb>', 'get, list, create, … or *')
    .argument('<resource>', 'pods, pods/exec, deployments.apps, secrets, … or a non-resource URL such as /metrics')
    .option('-n, --namespace <namespace>', 'in this namespace (default: cluster-wide, where only ClusterRoleBindings count)')
    .option('--name <name>', 'a specific object name')
    .option('--cluster <name>', 'the cluster to ask about (required when the inventory holds several)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  nhi who-can get secrets -n payments\n  nhi who-can create pods/exec -n default --json\n  nhi who-can '*' '*'`,
    );
  usageExitCodes(whoCanCmd).action(async (verb: string, resource: string, opts: RequestOptions, cmd: Command) => {
    await reportUsage(cmd, async () => {
      parseRequest({ verb, resource, namespace: opts.namespace, name: opts.name });
      const view = await withDatabase(({ db }) => loadRbacView(db, opts.cluster));
      const result = runWhoCan(view, { verb, resource, namespace: opts.namespace, name: opts.name });
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatWhoCanResult(result));
    });
  });
}

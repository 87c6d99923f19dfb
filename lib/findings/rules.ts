/**
 * The posture rules of the findings engine (issue 12): one table, pure (no database). Each rule judges
 * one subject — a ServiceAccount, a workload, a namespace or the cluster — from facts read after a collection
 * (lib/findings/store.ts) or from manifests (lib/findings/subjects.ts)
 * and yields at most one finding per subject, with its evidence, a plain explanation and a fix.
 *
 * Credential rules (NHI-CRED-…) live in lib/credentials/assess.ts; posture rules are `NHI-POS-…`. NHI-POS-003 is
 * every escalation target other than cluster-admin (namespace control, other namespaces' Secrets, other identities'
 * tokens, the node); a workload on the default ServiceAccount is the credential policy's NHI-CRED-010, not a posture rule.
 * `aliases` name the equivalent checks of peer tools so auditors can map reports; `cis` is the CIS
 * Kubernetes Benchmark control where one applies.
 */
import type { OwaspNhiId } from '@/lib/owasp';
import type { Severity } from '@/lib/rbac/capabilities';
import type { TargetKind } from '@/lib/rbac/escalation-targets';
import type { PolicyRule } from '@/lib/rbac/types';
import { DEFAULT_FINDINGS_POLICY, type FindingsPolicy } from './policy';
import { SCOPE_RULES, type ClusterSubject, type NamespaceSubject } from './scope-rules';

export type { ClusterSubject, NamespaceSubject } from './scope-rules';

export const POSTURE_RULE_PREFIX = 'NHI-POS-';

/** A role a binding grants the identity, with its rules (null when the role does not exist). */
export interface GrantedRole {
  /** `ClusterRoleBinding name` or `RoleBinding ns/name`. */
  binding: string;
  /** `ClusterRole name` or `Role name`. */
  role: string;
  /** Granted in every namespace (a ClusterRoleBinding). */
  clusterWide: boolean;
  /** The group through which the binding designates the identity (null: names it directly). */
  group: string | null;
  rules: PolicyRule[] | null;
}

export interface IdentitySubject {
  /** `ServiceAccount/<ns>/<name>` (lib/keys.ts). */
  key: string;
  namespace: string;
  name: string;
  builtIn: boolean;
  owners: string[];
  grants: GrantedRole[];
  /** Effective sensitive capabilities (IdentityReach.capabilities). */
  capabilities: { id: string; title: string; severity: Severity; scope: string }[];
  /** Attacker actions to cluster-admin-equivalent (0: already is; null: no path known). */
  escalationDistance: number | null;
  escalationSteps: { text: string }[];
  /** Shortest paths to each escalation target (IdentityReach.escalationTargets; absent or [] when none was computed). */
  escalationTargets?: EscalationTargetFact[];
  /**
   * Workloads running as it, each with the application it belongs to (from its labels, see `applicationOf`; null
   * when unlabelled). Absent when not known.
   */
  workloads?: { kind: string; name: string; app: string | null }[];
}

/**
 * The application a workload belongs to, from the labels people and charts set: the suite it is part of, else
 * its release (instance), else its name. Workloads of one application may share a ServiceAccount.
 */
export function applicationOf(labels: Record<string, string> | null | undefined): string | null {
  const l = labels ?? {};
  return (
    l['app.kubernetes.io/part-of'] ??
    l['app.kubernetes.io/instance'] ??
    l['app.kubernetes.io/name'] ??
    l['app'] ??
    l['k8s-app'] ??
    l['name'] ??
    null
  );
}

/** One path to an escalation target, as lib/rbac/materialize.ts stores it. */
export interface EscalationTargetFact {
  target: TargetKind;
  /** "*", a namespace (namespace-admin, other-namespace-secrets, node: where the pod is made), or the identity obtained. */
  scope: string;
  distance: number;
  steps: { text: string; kind?: string }[];
  /** token-mint: the identity obtained is already cluster-admin-equivalent. */
  clusterAdminEquivalent?: boolean;
}

export interface WorkloadSubject {
  /** `<ns>/<kind>/<name>`. */
  key: string;
  namespace: string;
  kind: string;
  name: string;
  serviceAccount: string;
  /** automountServiceAccountToken of the pod template, else of its ServiceAccount (null: unset, i.e. on). */
  automountToken: boolean | null;
  serviceAccountAutomount: boolean | null;
  images: string[];
  podSpecFacts: {
    privilegedContainers?: string[];
    hostPID?: boolean;
    hostNetwork?: boolean;
    hostIPC?: boolean;
    hostPathVolumes?: string[];
    /** Capabilities the containers add (securityContext.capabilities.add). */
    addedCapabilities?: string[];
  };
  /** Runtime evidence of the cluster: null when no runtime event was ever received (then nothing is said). */
  runtime: { windowDays: number; accountCalledApi: boolean } | null;
}

export type Evidence = Record<string, unknown>;
export interface Remediation {
  text: string;
  yaml?: string;
  command?: string;
}

/** What a rule may read besides its subject: the findings policy in force (lib/findings/policy.ts). */
export interface PostureContext {
  policy: FindingsPolicy;
}

interface RuleBase<S> {
  id: string;
  title: string;
  severity: Severity;
  owasp: OwaspNhiId[];
  cis?: string;
  aliases: string[];
  /** The evidence when the rule fires for this subject, else null. */
  evaluate(subject: S, ctx: PostureContext): (Evidence & { severity?: Severity }) | null;
  explain(subject: S, evidence: Evidence): string;
  remediation(subject: S, evidence: Evidence): Remediation;
}
export type IdentityRule = RuleBase<IdentitySubject> & { subject: 'identity' };
export type WorkloadRule = RuleBase<WorkloadSubject> & { subject: 'workload' };
export type NamespaceRule = RuleBase<NamespaceSubject> & { subject: 'namespace' };
export type ClusterRule = RuleBase<ClusterSubject> & { subject: 'cluster' };
export type PostureRule = IdentityRule | WorkloadRule | NamespaceRule | ClusterRule;

export interface PostureFinding {
  ruleId: string;
  title: string;
  severity: Severity;
  owasp: OwaspNhiId[];
  explanation: string;
  evidence: Evidence;
  remediation: Remediation;
  /** `identity:<identity key>`, `workload:<workload key>`, `namespace:<name>` or `cluster:`: one finding per rule and subject. */
  subjectKey: string;
  identity?: string;
  workload?: string;
  /** The namespace a namespace rule's finding is about. */
  namespace?: string;
}

/**
 * The API groups that hold Secrets, pods, workload controllers and RBAC (`*` covers them all). A wildcard confined to
 * an operator's own custom API groups (flux's `*.toolkit.fluxcd.io`, Calico's `projectcalico.org`) gives none of the
 * powers NHI-POS-001 speaks of; NHI-POS-002 still reports any critical capability the account holds.
 */
const POWER_GROUPS = new Set(['*', '', 'apps', 'batch', 'extensions', 'rbac.authorization.k8s.io']);
const isWildcardRule = (r: PolicyRule) =>
  (r.verbs.includes('*') || (r.resources ?? []).includes('*')) && (r.apiGroups ?? ['']).some((g) => POWER_GROUPS.has(g));
/** Kubernetes' built-in roles for people: every Secret, pod and workload of their scope (admin: its RBAC too). */
const PEOPLE_ROLES = new Set(['ClusterRole admin', 'ClusterRole edit']);
const isBroadGrant = (g: GrantedRole) =>
  g.role === 'ClusterRole cluster-admin' || PEOPLE_ROLES.has(g.role) || (g.rules ?? []).some(isWildcardRule);
const list = (xs: readonly string[]) => xs.join(', ');
const sa = (s: { namespace: string; serviceAccount: string }) => `${s.namespace}/${s.serviceAccount}`;
const SEVERITY_ORDER: Severity[] = ['low', 'medium', 'high', 'critical'];
const worst = (xs: Severity[]) => xs.reduce((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a), 'low');

function bindingFix(grant: GrantedRole): string {
  const [kind, ref] = grant.binding.split(' ');
  const [ns, name] = ref!.includes('/') ? ref!.split('/') : [null, ref];
  return kind === 'ClusterRoleBinding'
    ? `kubectl delete clusterrolebinding ${name}`
    : `kubectl -n ${ns} delete rolebinding ${name}`;
}

/**
 * Added capabilities that open a way out of the container, with how far: module loading, mounts and the whole
 * set are as good as privileged; tracing, raw devices, bypassing file permissions and eBPF reach other processes or
 * the host's files; network administration lets a pod intercept its node's traffic (with hostNetwork).
 */
const ESCAPE_CAPABILITIES: Record<string, Severity> = {
  ALL: 'critical',
  SYS_ADMIN: 'critical',
  SYS_MODULE: 'critical',
  SYS_PTRACE: 'high',
  SYS_RAWIO: 'high',
  DAC_READ_SEARCH: 'high',
  BPF: 'high',
  SYS_BOOT: 'high',
  NET_ADMIN: 'medium',
  MAC_ADMIN: 'medium',
  MAC_OVERRIDE: 'medium',
  PERFMON: 'medium',
};

/** The pod-template facts that break the container boundary, in the order a person reads them. */
function hostAccess(f: WorkloadSubject['podSpecFacts']): { fact: string; detail: string; severity: Severity }[] {
  const out: { fact: string; detail: string; severity: Severity }[] = [];
  if (f.privilegedContainers?.length)
    out.push({ fact: 'privileged', detail: `privileged container(s) ${list(f.privilegedContainers)}`, severity: 'critical' });
  if (f.hostPID) out.push({ fact: 'hostPID', detail: "the node's process namespace (hostPID)", severity: 'high' });
  if (f.hostIPC) out.push({ fact: 'hostIPC', detail: "the node's IPC namespace (hostIPC)", severity: 'high' });
  if (f.hostNetwork) out.push({ fact: 'hostNetwork', detail: "the node's network namespace (hostNetwork)", severity: 'medium' });
  if (f.hostPathVolumes?.length)
    out.push({
      fact: 'hostPath',
      detail: `hostPath volume(s) ${list(f.hostPathVolumes)}`,
      severity: f.hostPathVolumes.some(
        (p) => p === '/' || p.startsWith('/var/run') || p.startsWith('/run') || p.startsWith('/etc'),
      )
        ? 'high'
        : 'medium',
    });
  const caps = [...new Set((f.addedCapabilities ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, '')))].filter(
    (c) => ESCAPE_CAPABILITIES[c],
  );
  if (caps.length)
    out.push({
      fact: 'capabilities',
      detail: `the added capabilities ${list(caps)}`,
      severity: worst(caps.map((c) => ESCAPE_CAPABILITIES[c]!)),
    });
  return out;
}

/** An image reference's tag and digest (registry ports are not tags). */
export function imageRef(image: string): { tag: string | null; digest: string | null } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : null;
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  return { tag: colon >= 0 ? name.slice(colon + 1) : null, digest };
}

/** NHI-POS-003's targets, most severe first: what reaching one means, the CIS control it breaks, and its fix. */
const ESCALATION_TARGETS: readonly {
  target: Exclude<TargetKind, 'cluster-admin'>;
  what: (scope: string) => string;
  cis: string;
  fix: (scope: string) => string;
}[] = [
  {
    target: 'node',
    what: () => "leave its container for the node, taking the kubelet's credentials and the tokens of every pod there",
    cis: '5.1.4',
    fix: (ns) =>
      `enforce Pod Security "baseline" on ${ns === '*' ? 'every namespace it can create pods in' : `namespace ${ns}`}, or drop its right to create pods and pod controllers there`,
  },
  {
    target: 'token-mint',
    what: (id) => `obtain the token of ${id}, which may do more than it`,
    cis: '5.1.13',
    fix: () =>
      'drop the token step of the path (serviceaccounts/token, creating or reading token Secrets, impersonation), and delete legacy token Secrets nobody uses',
  },
  {
    target: 'other-namespace-secrets',
    what: (ns) => (ns === '*' ? "read every namespace's Secrets" : `read the Secrets of namespace ${ns}`),
    cis: '5.1.2',
    fix: () => 'limit Secret reads to the named Secrets it needs (resourceNames), in its own namespace',
  },
  {
    target: 'namespace-admin',
    what: (ns) => (ns === '*' ? 'take control of every namespace' : `take control of namespace ${ns}`),
    cis: '5.1.8',
    fix: () => 'remove bind and escalate, and the right to create RoleBindings, from its roles',
  },
];

interface TargetEvidence {
  target: string;
  scope: string;
  distance: number;
  steps: string[];
  cis: string;
  /** namespace-admin: every namespace it can take control of (nearest first, at most 20). */
  namespaces?: string[];
  clusterAdminEquivalent?: boolean;
}

const PATCH_AUTOMOUNT = `spec:
  template:
    spec:
      automountServiceAccountToken: false`;

export const POSTURE_RULES: readonly PostureRule[] = [
  {
    id: 'NHI-POS-001',
    subject: 'identity',
    title: 'ServiceAccount bound to cluster-admin, admin, edit or a wildcard role',
    severity: 'critical',
    owasp: ['NHI5'],
    cis: '5.1.1',
    aliases: ['Kubescape C-0185', 'Kubescape C-0187', 'Trivy KSV044', 'Trivy KSV045', 'Trivy KSV046'],
    evaluate(s) {
      if (s.builtIn) return null; // Kubernetes' own controllers hold these powers by design.
      const hits = s.grants.filter(isBroadGrant);
      if (!hits.length) return null;
      const admin = hits.some((g) => g.role === 'ClusterRole cluster-admin' && g.clusterWide);
      const clusterWide = hits.some((g) => g.clusterWide);
      return {
        severity: admin || clusterWide ? 'critical' : 'high',
        grants: hits.map((g) => ({
          binding: g.binding,
          role: g.role,
          clusterWide: g.clusterWide,
          ...(g.group ? { group: g.group } : {}),
          wildcardRules: (g.rules ?? []).filter(isWildcardRule).length,
        })),
      };
    },
    explain(s, e) {
      const grants = e.grants as { binding: string; role: string; clusterWide: boolean; wildcardRules: number }[];
      const wildcard = grants.some((g) => g.role === 'ClusterRole cluster-admin' || g.wildcardRules > 0);
      const people = grants
        .filter((g) => PEOPLE_ROLES.has(g.role) && !g.wildcardRules)
        .map((g) => g.role.slice('ClusterRole '.length));
      return `ServiceAccount ${s.namespace}/${s.name} is granted ${grants
        .map((g) => `${g.role} through ${g.binding}${g.clusterWide ? ' (every namespace)' : ''}`)
        .join(
          '; ',
        )}.${wildcard ? ' Every verb or every resource is allowed: anyone who obtains this account’s token can read Secrets, start pods and change RBAC within that scope.' : ''}${
        people.length
          ? ` ${list([...new Set(people)])} ${people.length > 1 ? 'are' : 'is'} Kubernetes’ role for people: whoever obtains the token reads and writes every Secret, pod and workload of that scope.`
          : ''
      }`;
    },
    remediation(s) {
      const hit = s.grants.find(isBroadGrant)!;
      return {
        text: `Replace the broad grant with a Role listing only the verbs and resources ${s.namespace}/${s.name} uses, bound in its own namespace, then remove the broad binding.`,
        command: bindingFix(hit),
      };
    },
  },
  {
    id: 'NHI-POS-002',
    subject: 'identity',
    title: 'ServiceAccount holds a critical capability or can escalate to cluster-admin',
    severity: 'critical',
    owasp: ['NHI5'],
    cis: '5.1.8',
    aliases: ['KubeHound ROLE_BIND', 'KubeHound IDENTITY_IMPERSONATE', 'KubeHound POD_CREATE', 'KubeHound TOKEN_LIST'],
    evaluate(s) {
      if (s.builtIn) return null;
      const critical = s.capabilities.filter((c) => c.severity === 'critical');
      const path = s.escalationDistance !== null && s.escalationDistance > 0 ? s.escalationSteps.map((x) => x.text) : [];
      if (!critical.length && !path.length) return null;
      return {
        severity: critical.some((c) => c.scope === 'cluster-wide') || path.length ? 'critical' : 'high',
        capabilities: critical.map((c) => ({ id: c.id, title: c.title, scope: c.scope })),
        ...(path.length ? { escalationDistance: s.escalationDistance, escalationSteps: path } : {}),
      };
    },
    explain(s, e) {
      const caps = e.capabilities as { title: string; scope: string }[];
      const steps = (e.escalationSteps as string[] | undefined) ?? [];
      const parts = [
        caps.length ? `holds ${caps.map((c) => `“${c.title}” (${c.scope})`).join(', ')}` : '',
        steps.length
          ? `can become cluster-admin in ${steps.length} step(s): ${steps.map((t, i) => `${i + 1}. ${t}`).join(' ')}`
          : '',
      ].filter(Boolean);
      return `ServiceAccount ${s.namespace}/${s.name} ${parts.join(' and ')}. Whoever steals its token inherits this power.`;
    },
    remediation(s) {
      return {
        text: `Remove the RBAC rules behind these capabilities from ${s.namespace}/${s.name}'s roles (see its reach on the identity page), or move the duty to a dedicated account scoped to one namespace.`,
        command: `kubectl auth can-i --list --as=system:serviceaccount:${s.namespace}:${s.name}`,
      };
    },
  },
  {
    id: 'NHI-POS-003',
    subject: 'identity',
    title: "ServiceAccount can escalate to namespace control, other namespaces' Secrets, other identities' tokens or the node",
    severity: 'high',
    owasp: ['NHI5', 'NHI8', 'NHI2'],
    cis: '5.1.8',
    aliases: [
      'KubeHound POD_CREATE',
      'KubeHound CE_PRIV_MOUNT',
      'KubeHound CE_NSENTER',
      'KubeHound TOKEN_BRUTEFORCE',
      'KubeHound TOKEN_LIST',
      'KubeHound ROLE_BIND',
      'KubeHound IDENTITY_IMPERSONATE',
      'Kubescape C-0188',
      'Kubescape C-0191',
      'Kubescape C-0282',
      'Kubescape C-0015',
      'Kubescape C-0065',
    ],
    evaluate(s) {
      // A path to cluster-admin is NHI-POS-002's, and cluster-admin holds every other target: not reported twice.
      if (s.builtIn || s.escalationDistance !== null) return null;
      const reached = (s.escalationTargets ?? []).filter((t) => t.distance > 0);
      const targets: TargetEvidence[] = [];
      for (const { target, cis } of ESCALATION_TARGETS) {
        const paths = reached.filter((t) => t.target === target).sort((a, b) => a.distance - b.distance);
        const nearest = paths[0];
        if (!nearest) continue;
        targets.push({
          target,
          scope: nearest.scope,
          distance: nearest.distance,
          steps: nearest.steps.map((x) => x.text),
          cis,
          ...(target === 'namespace-admin' ? { namespaces: paths.map((t) => t.scope) } : {}),
          ...(nearest.clusterAdminEquivalent ? { clusterAdminEquivalent: true } : {}),
        });
      }
      if (!targets.length) return null;
      const critical = targets.some((t) => t.target === 'node' || t.clusterAdminEquivalent);
      return { severity: critical ? 'critical' : 'high', targets };
    },
    explain(s, e) {
      const parts = (e.targets as TargetEvidence[]).map((t) => {
        const what = ESCALATION_TARGETS.find((x) => x.target === t.target)!.what(t.scope);
        const also = (t.namespaces ?? []).filter((n) => n !== t.scope);
        return `${what}${also.length ? ` (and also ${list(also)})` : ''}, in ${t.steps.length} step(s): ${t.steps
          .map((x, i) => `${i + 1}. ${x}`)
          .join(' ')}`;
      });
      return `ServiceAccount ${s.namespace}/${s.name} has no path to cluster-admin, but whoever steals its token can ${parts.join(' It can also ')}`;
    },
    remediation(s, e) {
      const targets = e.targets as TargetEvidence[];
      const fixes = targets.map((t) => ESCALATION_TARGETS.find((x) => x.target === t.target)!.fix(t.scope));
      const node = targets.find((t) => t.target === 'node' && t.scope !== '*');
      return {
        text: `Break each path at the step its grant allows (the grants are listed on ${s.namespace}/${s.name}'s identity page): ${fixes.join('; ')}.`,
        command: node
          ? `kubectl label namespace ${node.scope} pod-security.kubernetes.io/enforce=baseline`
          : `kubectl auth can-i --list --as=system:serviceaccount:${s.namespace}:${s.name}`,
      };
    },
  },
  {
    id: 'NHI-POS-004',
    subject: 'workload',
    title: 'Pod template is privileged or shares the host',
    severity: 'high',
    owasp: ['NHI8', 'NHI5'],
    cis: '5.2.2',
    aliases: [
      'Kubescape C-0057',
      'Kubescape C-0038',
      'Kubescape C-0041',
      'Kubescape C-0048',
      'Kubescape C-0046',
      'Trivy KSV005',
      'Trivy KSV022',
      'Trivy KSV017',
      'Trivy KSV010',
      'Trivy KSV008',
      'Trivy KSV009',
      'Trivy KSV023',
    ],
    evaluate(w) {
      const facts = hostAccess(w.podSpecFacts);
      if (!facts.length) return null;
      return {
        severity: worst(facts.map((f) => f.severity)),
        hostAccess: facts.map((f) => ({ fact: f.fact, detail: f.detail })),
      };
    },
    explain(w, e) {
      const facts = e.hostAccess as { detail: string }[];
      return `${w.kind} ${w.namespace}/${w.name} (ServiceAccount ${sa(w)}) uses ${list(facts.map((f) => f.detail))}. A process that escapes its container this way reaches the node, its kubelet credentials and every other pod's tokens on it.`;
    },
    remediation(w, e) {
      const facts = (e.hostAccess as { fact: string }[]).map((f) => f.fact);
      return {
        text: `Drop ${list(facts)} from ${w.name}'s pod template unless it is a node agent that needs it; enforce the "baseline" Pod Security level on namespace ${w.namespace}.`,
        command: `kubectl label namespace ${w.namespace} pod-security.kubernetes.io/enforce=baseline`,
      };
    },
  },
  {
    id: 'NHI-POS-005',
    subject: 'workload',
    title: 'Image referenced by a mutable tag',
    severity: 'medium',
    owasp: ['NHI3'],
    aliases: ['Trivy KSV013'],
    evaluate(w) {
      const mutable = w.images
        .map((image) => ({ image, ...imageRef(image) }))
        .filter((i) => !i.digest)
        .map((i) => ({ image: i.image, tag: i.tag ?? '(none: latest)' }));
      if (!mutable.length) return null;
      const latest = mutable.some((i) => i.tag === 'latest' || i.tag === '(none: latest)');
      return { severity: latest ? 'medium' : 'low', images: mutable };
    },
    explain(w, e) {
      const images = e.images as { image: string; tag: string }[];
      return `${w.kind} ${w.namespace}/${w.name} runs ${list(images.map((i) => `${i.image} (tag ${i.tag})`))} without a digest: the registry can serve different code under the same name, which then runs with ServiceAccount ${sa(w)}'s credentials.`;
    },
    remediation(w, e) {
      const first = (e.images as { image: string }[])[0]!.image;
      return {
        text: `Pin every image of ${w.name} by digest (image@sha256:…), e.g. with the digest the nodes run today.`,
        command: `crane digest ${first}`,
      };
    },
  },
  {
    id: 'NHI-POS-006',
    subject: 'workload',
    title: 'API token mounted but the ServiceAccount never calls the API',
    severity: 'medium',
    owasp: ['NHI5', 'NHI2'],
    cis: '5.1.6',
    aliases: ['Kubescape C-0034'],
    evaluate(w) {
      if (!w.runtime || w.runtime.accountCalledApi) return null;
      const mounted = w.automountToken ?? w.serviceAccountAutomount ?? true;
      if (!mounted) return null;
      return {
        serviceAccount: sa(w),
        windowDays: w.runtime.windowDays,
        automountSetOn:
          w.automountToken !== null ? 'pod template' : w.serviceAccountAutomount !== null ? 'ServiceAccount' : 'default',
      };
    },
    explain(w, e) {
      return `${w.kind} ${w.namespace}/${w.name} gets ServiceAccount ${sa(w)}'s API token mounted (automount ${String(e.automountSetOn)}), yet the audit log shows no API call by that account in the last ${String(e.windowDays)} days. The token is only something to steal.`;
    },
    remediation(w) {
      return {
        text: `Set automountServiceAccountToken: false on ${w.name}'s pod template (the account keeps existing for when it needs the API).`,
        yaml: PATCH_AUTOMOUNT,
        command: `kubectl -n ${w.namespace} patch ${w.kind.toLowerCase()} ${w.name} -p '{"spec":{"template":{"spec":{"automountServiceAccountToken":false}}}}'`,
      };
    },
  },
  {
    id: 'NHI-POS-007',
    subject: 'identity',
    title: 'ServiceAccount has no owner',
    severity: 'low',
    owasp: ['NHI1'],
    aliases: [],
    evaluate(s) {
      if (s.builtIn || s.owners.length || s.name === 'default') return null;
      return { owners: [] };
    },
    explain(s) {
      return `No team owns ServiceAccount ${s.namespace}/${s.name}: no ownership label or annotation names one and nobody claimed it. Unowned identities are the ones left behind when their workload is retired.`;
    },
    remediation(s) {
      return {
        text: `Label the ServiceAccount with its owning team, or claim it on its identity page.`,
        command: `kubectl -n ${s.namespace} label serviceaccount ${s.name} app.kubernetes.io/part-of=<team>`,
      };
    },
  },
  // Namespace- and cluster-scoped rules, and the registry allow-list (lib/findings/scope-rules.ts).
  {
    id: 'NHI-POS-012',
    subject: 'identity',
    title: 'ServiceAccount shared by unrelated workloads',
    severity: 'medium',
    owasp: ['NHI9', 'NHI5'],
    aliases: [],
    evaluate(s) {
      if (s.builtIn || s.name === 'default') return null; // the default account is NHI-CRED-010's
      const apps = new Map<string, string[]>();
      for (const w of s.workloads ?? []) {
        const app = w.app ?? `${w.kind}/${w.name}`;
        apps.set(app, [...(apps.get(app) ?? []), `${w.kind}/${w.name}`]);
      }
      if (apps.size < 2) return null;
      return {
        applications: [...apps.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([app, workloads]) => ({ app, workloads: workloads.sort() })),
      };
    },
    explain(s, e) {
      const apps = e.applications as { app: string; workloads: string[] }[];
      return `ServiceAccount ${s.namespace}/${s.name} is used by ${apps.length} unrelated applications (${apps
        .map((a) => `${a.app}: ${list(a.workloads)}`)
        .join(
          '; ',
        )}). Each gets the union of what all of them need, a stolen token from any of them opens every other one's access, and the audit log cannot tell them apart.`;
    },
    remediation(s, e) {
      const apps = e.applications as { app: string; workloads: string[] }[];
      const docs = apps.flatMap((a) =>
        a.workloads.map((w) => {
          const name = w.split('/')[1]!;
          return `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: ${s.namespace}`;
        }),
      );
      const commands = apps.flatMap((a) =>
        a.workloads
          .filter((w) => !w.startsWith('Pod/'))
          .map((w) => {
            const [kind, name] = w.split('/') as [string, string];
            return `kubectl -n ${s.namespace} set serviceaccount ${kind.toLowerCase()} ${name} ${name}`;
          }),
      );
      return {
        text: `Give each workload a ServiceAccount of its own (below), move it there, then let each run for a while and apply the least-privilege Role \`npx nhi fix ${s.namespace}/<new account> --yaml\` generates from what it really does; finally remove ${s.name}'s bindings.`,
        yaml: docs.join('\n---\n'),
        ...(commands.length ? { command: commands.join('\n') } : {}),
      };
    },
  },
  ...SCOPE_RULES,
];

export const POSTURE_RULE_BY_ID: ReadonlyMap<string, PostureRule> = new Map(POSTURE_RULES.map((r) => [r.id, r]));

function toFinding<S>(
  rule: RuleBase<S>,
  s: S,
  ctx: PostureContext,
  subjectKey: string,
  about: { identity?: string; workload?: string; namespace?: string },
): PostureFinding | null {
  const hit = rule.evaluate(s, ctx);
  if (!hit) return null;
  const { severity, ...evidence } = hit;
  return {
    ruleId: rule.id,
    title: rule.title,
    severity: severity ?? rule.severity,
    owasp: [...rule.owasp],
    explanation: rule.explain(s, evidence),
    evidence,
    remediation: rule.remediation(s, evidence),
    subjectKey,
    ...about,
  };
}

/** The namespaces and the cluster the scoped rules judge, and the findings policy (default: the built-in one). */
export interface PostureScope {
  namespaces?: readonly NamespaceSubject[];
  /** null or absent: no cluster-wide rule (e.g. manifests, which are not a whole cluster). */
  cluster?: ClusterSubject | null;
  policy?: FindingsPolicy;
}

/** Every posture finding of a cluster's inventory: one per rule and subject. */
export function evaluatePosture(
  identities: readonly IdentitySubject[],
  workloads: readonly WorkloadSubject[],
  scope: PostureScope = {},
): PostureFinding[] {
  const ctx: PostureContext = { policy: scope.policy ?? DEFAULT_FINDINGS_POLICY };
  const out = new Map<string, PostureFinding>();
  const add = (f: PostureFinding | null) => {
    if (f && !out.has(`${f.ruleId} ${f.subjectKey}`)) out.set(`${f.ruleId} ${f.subjectKey}`, f);
  };
  for (const rule of POSTURE_RULES) {
    if (rule.subject === 'identity')
      for (const s of identities) add(toFinding(rule, s, ctx, `identity:${s.key}`, { identity: s.key }));
    else if (rule.subject === 'workload')
      for (const w of workloads) add(toFinding(rule, w, ctx, `workload:${w.key}`, { workload: w.key }));
    else if (rule.subject === 'namespace')
      for (const n of scope.namespaces ?? []) add(toFinding(rule, n, ctx, `namespace:${n.name}`, { namespace: n.name }));
    else if (scope.cluster) add(toFinding(rule, scope.cluster, ctx, 'cluster:', {}));
  }
  return [...out.values()];
}

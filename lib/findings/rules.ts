/**
 * The posture rules of the findings engine (issue 12): one table, pure (no database). Each rule judges
 * one subject — a ServiceAccount or a workload — from facts read after a collection (lib/findings/store.ts)
 * and yields at most one finding per subject, with its evidence, a plain explanation and a fix.
 *
 * Credential rules (NHI-CRED-…) live in lib/credentials/assess.ts; posture rules are `NHI-POS-…`. There is no
 * NHI-POS-003: a workload on the default ServiceAccount is the credential policy's NHI-CRED-010 (one finding, not two).
 * `aliases` name the equivalent checks of peer tools so auditors can map reports; `cis` is the CIS
 * Kubernetes Benchmark control where one applies.
 */
import type { OwaspNhiId } from '@/lib/owasp';
import type { Severity } from '@/lib/rbac/capabilities';
import type { PolicyRule } from '@/lib/rbac/types';

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

interface RuleBase<S> {
  id: string;
  title: string;
  severity: Severity;
  owasp: OwaspNhiId[];
  cis?: string;
  aliases: string[];
  /** The evidence when the rule fires for this subject, else null. */
  evaluate(subject: S): (Evidence & { severity?: Severity }) | null;
  explain(subject: S, evidence: Evidence): string;
  remediation(subject: S, evidence: Evidence): Remediation;
}
export type IdentityRule = RuleBase<IdentitySubject> & { subject: 'identity' };
export type WorkloadRule = RuleBase<WorkloadSubject> & { subject: 'workload' };
export type PostureRule = IdentityRule | WorkloadRule;

export interface PostureFinding {
  ruleId: string;
  title: string;
  severity: Severity;
  owasp: OwaspNhiId[];
  explanation: string;
  evidence: Evidence;
  remediation: Remediation;
  /** `identity:<identity key>` or `workload:<workload key>`: one finding per rule and subject. */
  subjectKey: string;
  identity?: string;
  workload?: string;
}

const isWildcardRule = (r: PolicyRule) => r.verbs.includes('*') || (r.resources ?? []).includes('*');
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

const PATCH_AUTOMOUNT = `spec:
  template:
    spec:
      automountServiceAccountToken: false`;

export const POSTURE_RULES: readonly PostureRule[] = [
  {
    id: 'NHI-POS-001',
    subject: 'identity',
    title: 'ServiceAccount bound to cluster-admin or a wildcard role',
    severity: 'critical',
    owasp: ['NHI5'],
    cis: '5.1.1',
    aliases: ['Kubescape C-0185', 'Kubescape C-0187', 'Trivy KSV044', 'Trivy KSV045', 'Trivy KSV046'],
    evaluate(s) {
      if (s.builtIn) return null; // Kubernetes' own controllers hold these powers by design.
      const hits = s.grants.filter((g) => g.role === 'ClusterRole cluster-admin' || (g.rules ?? []).some(isWildcardRule));
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
      const grants = e.grants as { binding: string; role: string; clusterWide: boolean }[];
      return `ServiceAccount ${s.namespace}/${s.name} is granted ${grants
        .map((g) => `${g.role} through ${g.binding}${g.clusterWide ? ' (every namespace)' : ''}`)
        .join(
          '; ',
        )}. Every verb or every resource is allowed: anyone who obtains this account's token can read Secrets, start pods and change RBAC within that scope.`;
    },
    remediation(s) {
      const hit = s.grants.find((g) => g.role === 'ClusterRole cluster-admin' || (g.rules ?? []).some(isWildcardRule))!;
      return {
        text: `Replace the wildcard grant with a Role listing only the verbs and resources ${s.namespace}/${s.name} uses, bound in its own namespace, then remove the broad binding.`,
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
];

export const POSTURE_RULE_BY_ID: ReadonlyMap<string, PostureRule> = new Map(POSTURE_RULES.map((r) => [r.id, r]));

function toFinding<S>(rule: RuleBase<S>, s: S, about: { identity?: string; workload?: string }): PostureFinding | null {
  const hit = rule.evaluate(s);
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
    subjectKey: about.identity ? `identity:${about.identity}` : `workload:${about.workload}`,
    ...about,
  };
}

/** Every posture finding of a cluster's inventory: one per rule and subject. */
export function evaluatePosture(identities: readonly IdentitySubject[], workloads: readonly WorkloadSubject[]): PostureFinding[] {
  const out = new Map<string, PostureFinding>();
  const add = (f: PostureFinding | null) => {
    if (f && !out.has(`${f.ruleId} ${f.subjectKey}`)) out.set(`${f.ruleId} ${f.subjectKey}`, f);
  };
  for (const rule of POSTURE_RULES) {
    if (rule.subject === 'identity') for (const s of identities) add(toFinding(rule, s, { identity: s.key }));
    else for (const w of workloads) add(toFinding(rule, w, { workload: w.key }));
  }
  return [...out.values()];
}

/**
 * Posture rules about where workloads run rather than what they are (issue 12, "the workload's security shape"):
 * a namespace with workloads and no NetworkPolicy (NHI-POS-008) or no Pod Security admission `enforce` label
 * (NHI-POS-009), a cluster where no admission policy judges pods (NHI-POS-010), and images from registries outside
 * the findings policy's allow-list (NHI-POS-011). Pure, like the rest of the table (lib/findings/rules.ts), which
 * lists them in POSTURE_RULES.
 *
 * Kubernetes' own namespaces (kube-system, kube-public, kube-node-lease) are not judged by the namespace and
 * cluster rules: its control plane needs host access there, and peers exclude them by default (Kubescape's
 * system exceptions). Image registries are judged everywhere, as Kubescape C-0078 and Trivy KSV0125 do.
 */
import type { AdmissionPolicyRec } from '@/lib/collect/inventory';
import { allowedBy, findingsPolicyLabel, imageOrigin } from './policy';
import type { ClusterRule, NamespaceRule, WorkloadRule } from './rules';

/** A namespace as the namespace rules see it. */
export interface NamespaceSubject {
  name: string;
  labels: Record<string, string>;
  /** Names of its NetworkPolicies. */
  networkPolicies: string[];
  /** Its live top-level workloads as `Kind/name`, sorted. */
  workloads: string[];
}

/** The cluster as the cluster rule sees it. */
export interface ClusterSubject {
  /** The cluster's name in the inventory (for the explanation only: the subject key is `cluster:`). */
  name: string;
  admission: AdmissionPolicyRec[];
  /** Namespaces with workloads, Kubernetes' own excepted, with their Pod Security `enforce` level (null: none). */
  namespaces: { name: string; enforce: string | null }[];
}

/** Kubernetes' own namespaces: not judged by the namespace and cluster rules (see the module comment). */
export const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
export const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';
const PSA_ENFORCING = new Set(['baseline', 'restricted']);

/** The resources whose objects become pods: a policy on these can stop a privileged pod. */
const WORKLOAD_RESOURCES = new Set([
  '*',
  'pods',
  'deployments',
  'replicasets',
  'statefulsets',
  'daemonsets',
  'jobs',
  'cronjobs',
  'replicationcontrollers',
]);
const judgesWorkloads = (a: AdmissionPolicyRec) => a.resources.some((r) => WORKLOAD_RESOURCES.has(r.split('/')[0]!));

/** The cluster subject from its admission objects and its namespace subjects (for both builders). */
export function clusterSubjectOf(
  name: string,
  admission: readonly AdmissionPolicyRec[],
  namespaces: readonly NamespaceSubject[],
): ClusterSubject {
  return {
    name,
    admission: [...admission],
    namespaces: namespaces
      .filter((n) => !SYSTEM_NAMESPACES.has(n.name) && n.workloads.length > 0)
      .map((n) => ({ name: n.name, enforce: n.labels[PSA_ENFORCE] ?? null })),
  };
}

const list = (xs: readonly string[], max = 5) =>
  xs.length > max ? `${xs.slice(0, max).join(', ')} and ${xs.length - max} more` : xs.join(', ');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** A user namespace with workloads: what the namespace rules judge. */
const judged = (n: NamespaceSubject) => !SYSTEM_NAMESPACES.has(n.name) && n.workloads.length > 0;
const NOT_JUDGED =
  'Kubernetes’ own namespaces (kube-system, kube-public, kube-node-lease) are not judged, as peers exclude them by default.';

const defaultDeny = (ns: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: ${ns}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]`;

const podBaselinePolicy = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: nhi-pod-host-access
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: ['']
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]
  validations:
    - expression: "!(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC) && !(has(object.spec.hostNetwork) && object.spec.hostNetwork)"
      message: pods may not share the node's process, IPC or network namespace
    - expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)"
      message: privileged containers are not allowed
    - expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
      message: hostPath volumes are not allowed
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: nhi-pod-host-access
spec:
  policyName: nhi-pod-host-access
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchExpressions:
        - { key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system] }`;

export const NETWORK_POLICY_RULE: NamespaceRule = {
  id: 'NHI-POS-008',
  subject: 'namespace',
  title: 'Namespace with workloads has no NetworkPolicy',
  severity: 'medium',
  owasp: ['NHI8'],
  cis: '5.3.2',
  aliases: ['Kubescape C-0054', 'Kubescape C-0206'],
  evaluate(n) {
    if (!judged(n) || n.networkPolicies.length) return null;
    return { workloads: n.workloads.slice(0, 20), workloadCount: n.workloads.length, networkPolicies: [] };
  },
  explain(n) {
    return `Namespace ${n.name} runs ${plural(n.workloads.length, 'workload')} (${list(n.workloads)}) and has no NetworkPolicy: nothing restricts traffic to or from its pods. A compromised pod anywhere in the cluster can reach them, and from them an attacker with a stolen ServiceAccount token reaches every other pod and service. ${NOT_JUDGED}`;
  },
  remediation(n) {
    return {
      text: `Add a default-deny NetworkPolicy to ${n.name}, then allow what its workloads need (DNS, their callers, the API server for those that call it) with policies of their own. NetworkPolicy only acts where the cluster's network plugin enforces it.`,
      yaml: defaultDeny(n.name),
      command: `kubectl -n ${n.name} apply -f default-deny.yaml`,
    };
  },
};

export const POD_SECURITY_RULE: NamespaceRule = {
  id: 'NHI-POS-009',
  subject: 'namespace',
  title: 'Namespace with workloads enforces no Pod Security level',
  severity: 'medium',
  owasp: ['NHI8'],
  cis: '5.2.1',
  aliases: ['Kubescape C-0192'],
  evaluate(n) {
    if (!judged(n) || n.labels[PSA_ENFORCE] !== undefined) return null;
    const warn = n.labels['pod-security.kubernetes.io/warn'] ?? null;
    const audit = n.labels['pod-security.kubernetes.io/audit'] ?? null;
    return {
      workloads: n.workloads.slice(0, 20),
      workloadCount: n.workloads.length,
      ...(warn ? { warn } : {}),
      ...(audit ? { audit } : {}),
    };
  },
  explain(n, e) {
    const only = [e.warn ? `warns (${String(e.warn)})` : '', e.audit ? `audits (${String(e.audit)})` : '']
      .filter(Boolean)
      .join(' and ');
    return `Namespace ${n.name} runs ${plural(n.workloads.length, 'workload')} (${list(n.workloads)}) and has no ${PSA_ENFORCE} label${only ? `; it only ${only}` : ''}: Kubernetes' built-in Pod Security admission lets any pod in, privileged ones and ones that mount the node's filesystem included. Whoever can create pods there — or holds a ServiceAccount token that can — can take over a node and every token on it. An explicit enforce=privileged is taken as a decision (node agents need it) and not reported; NHI-POS-004 reports what the pods do. ${NOT_JUDGED}`;
  },
  remediation(n) {
    return {
      text: `Enforce the baseline level on ${n.name} (restricted where its workloads allow it) and warn on restricted. The server-side dry run first lists the running pods that would be refused.`,
      yaml: `metadata:\n  labels:\n    ${PSA_ENFORCE}: baseline\n    pod-security.kubernetes.io/warn: restricted`,
      command: `kubectl label --dry-run=server --overwrite namespace ${n.name} ${PSA_ENFORCE}=baseline && kubectl label --overwrite namespace ${n.name} ${PSA_ENFORCE}=baseline pod-security.kubernetes.io/warn=restricted`,
    };
  },
};

export const ADMISSION_POLICY_RULE: ClusterRule = {
  id: 'NHI-POS-010',
  subject: 'cluster',
  title: 'No admission policy judges pods in the cluster',
  severity: 'high',
  owasp: ['NHI8', 'NHI5'],
  cis: '5.2.1',
  aliases: [],
  evaluate(c) {
    const denying = new Set(
      c.admission
        .filter((a) => a.kind === 'ValidatingAdmissionPolicyBinding' && (a.validationActions ?? []).includes('Deny'))
        .map((a) => a.policyName),
    );
    const enforcing = c.admission.filter(
      (a) =>
        (a.kind === 'ValidatingWebhookConfiguration' || (a.kind === 'ValidatingAdmissionPolicy' && denying.has(a.name))) &&
        judgesWorkloads(a),
    );
    if (enforcing.length) return null;
    const unenforced = c.namespaces.filter((n) => !n.enforce || !PSA_ENFORCING.has(n.enforce)).map((n) => n.name);
    if (!unenforced.length) return null; // Pod Security admission at baseline or above everywhere: a policy is in place.
    const others = c.admission.filter((a) => a.kind !== 'ValidatingAdmissionPolicyBinding');
    return {
      namespacesWithWorkloads: c.namespaces.length,
      unenforcedNamespaces: unenforced.slice(0, 50),
      unenforcedCount: unenforced.length,
      admission: others.map((a) => ({
        kind: a.kind,
        name: a.name,
        judgesWorkloads: judgesWorkloads(a),
        ...(a.kind === 'ValidatingAdmissionPolicy' ? { bound: denying.has(a.name) } : {}),
      })),
    };
  },
  explain(c, e) {
    const unenforced = e.unenforcedNamespaces as string[];
    const others = e.admission as { kind: string; name: string; judgesWorkloads: boolean }[];
    const otherText = others.length
      ? ` The admission objects it has (${list(others.map((a) => `${a.kind} ${a.name}`))}) only mutate pods, intercept other resources or are not bound with Deny.`
      : ' It has no admission webhook or ValidatingAdmissionPolicy at all.';
    return `In cluster ${c.name} no validating webhook and no ValidatingAdmissionPolicy bound with Deny judges pods or the controllers that make them, and ${plural(Number(e.unenforcedCount), 'namespace')} of ${Number(e.namespacesWithWorkloads)} with workloads ${Number(e.unenforcedCount) === 1 ? 'enforces' : 'enforce'} no Pod Security level of baseline or above (${list(unenforced)}).${otherText} Anyone allowed to create pods there — and every ServiceAccount token that is — can start a privileged pod or mount the node, and so obtain every token on that node. Kubernetes' built-in Pod Security admission acts through those namespace labels, counted here; kube-system, kube-public and kube-node-lease are not counted, as peers exclude them by default.`;
  },
  remediation(_c, e) {
    const unenforced = (e.unenforcedNamespaces as string[]).slice(0, 20);
    return {
      text: `Enforce Pod Security (baseline or restricted) on every namespace with workloads (NHI-POS-009), or refuse host access at admission cluster-wide: the ValidatingAdmissionPolicy below needs no extra component (Kubernetes 1.30+); a policy engine such as Kyverno or Gatekeeper does the same with its own webhooks.`,
      yaml: podBaselinePolicy,
      command: `kubectl label --overwrite namespace ${unenforced.join(' ')} ${PSA_ENFORCE}=baseline`,
    };
  },
};

export const REGISTRY_ALLOW_LIST_RULE: WorkloadRule = {
  id: 'NHI-POS-011',
  subject: 'workload',
  title: 'Image from a registry outside the allow-list',
  severity: 'medium',
  owasp: ['NHI3'],
  aliases: ['Kubescape C-0078', 'Trivy KSV0125'],
  evaluate(w, ctx) {
    const allowed = ctx.policy.spec.registries;
    if (!allowed.length) return null;
    const outside = w.images.filter((i) => !allowedBy(i, allowed));
    if (!outside.length) return null;
    return {
      images: outside.map((image) => ({ image, registry: imageOrigin(image).registry })),
      allowList: allowed.slice(0, 20),
      policy: findingsPolicyLabel(ctx.policy),
    };
  },
  explain(w, e) {
    const images = e.images as { image: string; registry: string }[];
    const registries = [...new Set(images.map((i) => i.registry))];
    return `${w.kind} ${w.namespace}/${w.name} runs ${list(images.map((i) => i.image))} from ${registries.length === 1 ? 'registry' : 'registries'} ${list(registries)}, outside the allow-list of the findings policy (${String(e.policy)}: ${list(e.allowList as string[])}). Whoever can publish there decides what code runs with ServiceAccount ${w.namespace}/${w.serviceAccount}'s token and the workload's Secrets.`;
  },
  remediation(w, e) {
    const image = (e.images as { image: string }[])[0]!.image;
    const origin = imageOrigin(image);
    const mirror = (e.allowList as string[])[0]!.replace(/\/?\*.*$/, '');
    const target = `${mirror && !mirror.includes('*') ? mirror : '<allowed-registry>'}/${origin.repository.replace(/^[^/]+\//, '')}${origin.tag ? `:${origin.tag}` : ''}`;
    return {
      text: `Copy the image into an allowed registry and point ${w.name} at the copy by digest, or add the registry to the findings policy (NHI_FINDINGS_POLICY) if the organisation trusts it. Enforcing the list at admission stops the next one.`,
      command: `crane copy ${image} ${target}`,
    };
  },
};

/** The rules of this module, in id order, for POSTURE_RULES. */
export const SCOPE_RULES = [NETWORK_POLICY_RULE, POD_SECURITY_RULE, ADMISSION_POLICY_RULE, REGISTRY_ALLOW_LIST_RULE] as const;

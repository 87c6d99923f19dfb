/**
 * Catalogue of sensitive capabilities: what a grant lets its holder do, why it matters, and how it
 * is recognised. Each capability is a list of alternatives (`anyOf`), each alternative a set of
 * requests that must all be allowed (`allOf`), checked through the evaluator's rule matching.
 * Explanations are our own words; the ideas come from the public work of KubiScan, rbac-police,
 * Kubescape, Trivy and KubeHound.
 *
 * Check scope:
 * - `namespaced`: the request is made in a namespace; a RoleBinding grants it there, a
 *   ClusterRoleBinding in every namespace.
 * - `cluster`: the resource is cluster-scoped (nodes, clusterroles, CSRs, webhooks…), so only a
 *   ClusterRoleBinding makes it work. The same rule reached through a RoleBinding is reported as
 *   *nominal* (declared, but ignored by Kubernetes).
 * Capability scope:
 * - `any`: held per namespace or cluster-wide.
 * - `cluster-only`: only meaningful cluster-wide (e.g. "everything on everything").
 *
 * Probes: `ANY_VERB`, `ANY_GROUP`, `ANY_RESOURCE` are names no real rule lists, so only a `*` in
 * the rule matches them. That is how "every verb" / "every resource" are asked through the same
 * evaluator.
 */

/** Severities, mildest first. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ANY_VERB = 'nhi.probe:any-verb';
export const ANY_GROUP = 'nhi.probe.any-group';
export const ANY_RESOURCE = 'nhi.probe-any-resource';

export { OWASP_NHI_TOP10, type OwaspNhiId } from '@/lib/owasp';
import type { OwaspNhiId } from '@/lib/owasp';

/** MITRE ATT&CK techniques used below (Containers platform unless noted). */
export const MITRE_TECHNIQUES: Record<string, string> = {
  T1078: 'Valid Accounts',
  'T1098.006': 'Account Manipulation: Additional Container Cluster Roles',
  T1609: 'Container Administration Command',
  T1610: 'Deploy Container',
  T1611: 'Escape to Host',
  'T1053.007': 'Scheduled Task/Job: Container Orchestration Job',
  'T1543.005': 'Create or Modify System Process: Container Service',
  T1528: 'Steal Application Access Token',
  'T1552.007': 'Unsecured Credentials: Container API',
  'T1550.001': 'Use Alternate Authentication Material: Application Access Token',
  'T1562.001': 'Impair Defenses: Disable or Modify Tools',
  T1070: 'Indicator Removal',
  T1485: 'Data Destruction',
  T1499: 'Endpoint Denial of Service',
  T1649: 'Steal or Forge Authentication Certificates (Enterprise)',
  T1090: 'Proxy (Enterprise)',
  T1557: 'Adversary-in-the-Middle (Enterprise)',
};

export interface CapabilityCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Request carries this object name (resourceNames restrict to it). */
  name?: string;
  /** Only in this namespace (e.g. kube-system). */
  namespace?: string;
  scope: 'namespaced' | 'cluster';
}

export interface Capability {
  id: string;
  title: string;
  explanation: string;
  /** Severity when held cluster-wide (or for cluster-scoped powers). */
  severity: Severity;
  /** Severity when held in one namespace only; defaults to `severity`. */
  namespaceSeverity?: Severity;
  owasp: OwaspNhiId[];
  mitre: string[];
  scope: 'any' | 'cluster-only';
  anyOf: CapabilityCheck[][];
  /** Findings of the public tools in the corpus that this capability reproduces. */
  references: string[];
}

// ---- tiny builders -------------------------------------------------------------------------
type Spec = Omit<CapabilityCheck, 'scope'>;
const ns = (verb: string, group: string, resource: string, extra: Partial<Spec> = {}): CapabilityCheck => ({
  verb,
  group,
  resource,
  ...extra,
  scope: 'namespaced',
});
const cl = (verb: string, group: string, resource: string, extra: Partial<Spec> = {}): CapabilityCheck => ({
  verb,
  group,
  resource,
  ...extra,
  scope: 'cluster',
});
/** One alternative per (verb × check), each alone sufficient. */
const each = (verbs: string[], make: (verb: string) => CapabilityCheck[]): CapabilityCheck[][] =>
  verbs.flatMap((v) => make(v).map((c) => [c]));

/** Pod controllers: writing any of them runs pods (as any ServiceAccount of the namespace). */
export const POD_CONTROLLERS: [string, string][] = [
  ['apps', 'deployments'],
  ['apps', 'daemonsets'],
  ['apps', 'statefulsets'],
  ['apps', 'replicasets'],
  ['batch', 'jobs'],
  ['batch', 'cronjobs'],
  ['', 'replicationcontrollers'],
];

const CRITICAL_DELETE_TARGETS: [string, string, 'namespaced' | 'cluster'][] = [
  ['', 'pods', 'namespaced'],
  ['', 'secrets', 'namespaced'],
  ['', 'configmaps', 'namespaced'],
  ['', 'services', 'namespaced'],
  ['', 'serviceaccounts', 'namespaced'],
  ['', 'persistentvolumeclaims', 'namespaced'],
  ['apps', 'deployments', 'namespaced'],
  ['apps', 'daemonsets', 'namespaced'],
  ['apps', 'statefulsets', 'namespaced'],
  ['apps', 'replicasets', 'namespaced'],
  ['batch', 'jobs', 'namespaced'],
  ['batch', 'cronjobs', 'namespaced'],
  ['', 'namespaces', 'cluster'],
  ['', 'persistentvolumes', 'cluster'],
];

export const CAPABILITIES: readonly Capability[] = [
  {
    id: 'cluster-admin',
    title: 'Every action on every resource, cluster-wide',
    explanation:
      'A ClusterRoleBinding grants every verb on every resource of every API group. This identity is a cluster administrator: it can read every Secret, run anything anywhere, and rewrite RBAC itself. Whoever obtains its credentials owns the cluster.',
    severity: 'critical',
    owasp: ['NHI5'],
    mitre: ['T1078', 'T1098.006'],
    scope: 'cluster-only',
    anyOf: [[ns(ANY_VERB, ANY_GROUP, ANY_RESOURCE)]],
    references: ['kubescape:cluster-admin-role', 'kubescape:rule-list-all-cluster-admins-v1', 'kubiscan:risky-any-verb'],
  },
  {
    id: 'namespace-admin',
    title: 'Every action on every core resource',
    explanation:
      'Every verb on every resource of the core API group (pods, secrets, service accounts, config maps…). Within its scope this is administrator power: it can read all Secrets, start pods as any ServiceAccount and delete anything.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1078', 'T1610'],
    scope: 'any',
    anyOf: [[ns(ANY_VERB, '', ANY_RESOURCE)]],
    references: ['kubescape:rule-list-all-cluster-admins-v1', 'kubescape:workload-with-administrative-roles'],
  },
  {
    id: 'secrets-read',
    title: 'Read Secrets',
    explanation:
      'Can get, list or watch Secrets. Secrets hold passwords, API keys, TLS keys and — in older clusters — never-expiring ServiceAccount tokens, so reading them usually means becoming other identities. Listing or watching returns every value at once.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI2'],
    mitre: ['T1552.007', 'T1528'],
    scope: 'any',
    anyOf: each(['get', 'list', 'watch'], (v) => [ns(v, '', 'secrets')]),
    references: [
      'kubescape:rule-can-list-get-secrets-v1',
      'kubiscan:risky-get-secrets',
      'kubiscan:risky-list-secrets',
      'kubehound:TOKEN_LIST',
      'kubehound:TOKEN_BRUTEFORCE',
    ],
  },
  {
    id: 'pods-create',
    title: 'Create pods',
    explanation:
      'Can create pods. A new pod can name any ServiceAccount of its namespace and mount that account’s token, so this is the power of every ServiceAccount in the namespace; unless admission policy stops it, the pod can also be privileged or mount the node’s filesystem.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI9'],
    mitre: ['T1610', 'T1611'],
    scope: 'any',
    anyOf: [[ns('create', '', 'pods')]],
    references: ['kubescape:rule-can-create-pod', 'kubiscan:risky-create-pod', 'kubehound:POD_CREATE'],
  },
  {
    id: 'workloads-modify',
    title: 'Create or change pod controllers',
    explanation:
      'Can create, update or patch Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs or ReplicationControllers. Their controllers create pods from a template the holder writes, including its ServiceAccount, so this equals creating pods; a DaemonSet puts one on every node, a CronJob keeps coming back.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI9'],
    mitre: ['T1610', 'T1053.007', 'T1543.005'],
    scope: 'any',
    anyOf: each(['create', 'update', 'patch'], (v) => POD_CONTROLLERS.map(([g, r]) => ns(v, g, r))),
    references: ['kubiscan:risky-create-deployments', 'kubiscan:risky-update-daemonsets', 'kubiscan:risky-create-jobs'],
  },
  {
    id: 'pods-modify',
    title: 'Patch or update running pods',
    explanation:
      'Can patch or update pods. A container image of a running pod can be swapped, which runs attacker code with that pod’s ServiceAccount token and mounts.',
    severity: 'high',
    namespaceSeverity: 'medium',
    owasp: ['NHI5'],
    mitre: ['T1610'],
    scope: 'any',
    anyOf: each(['patch', 'update'], (v) => [ns(v, '', 'pods')]),
    references: ['kubehound:POD_PATCH'],
  },
  {
    id: 'pods-exec',
    title: 'Execute commands in containers',
    explanation:
      'Can open a shell in running containers (pods/exec). The shell reads the pod’s ServiceAccount token and any mounted secret. `create` is what kubectl needs; `get` was enough over WebSocket before Kubernetes 1.35 made `create` mandatory for that path too.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI10'],
    mitre: ['T1609'],
    scope: 'any',
    anyOf: each(['create', 'get'], (v) => [ns(v, '', 'pods', { subresource: 'exec' })]),
    references: ['kubescape:exec-into-container-v1', 'kubiscan:risky-exec-pods', 'kubehound:POD_EXEC'],
  },
  {
    id: 'pods-attach',
    title: 'Attach to running containers',
    explanation:
      'Can attach to the main process of running containers (pods/attach): read its output and, if it reads standard input, type into it.',
    severity: 'high',
    namespaceSeverity: 'medium',
    owasp: ['NHI5', 'NHI10'],
    mitre: ['T1609'],
    scope: 'any',
    anyOf: each(['create', 'get'], (v) => [ns(v, '', 'pods', { subresource: 'attach' })]),
    references: ['kubiscan:risky-attach-pods', 'kubehound:POD_ATTACH'],
  },
  {
    id: 'pods-portforward',
    title: 'Port-forward into pods',
    explanation:
      'Can open network tunnels to pod ports (pods/portforward), reaching services that network policies or the lack of a Service were meant to keep private — databases, admin consoles, metadata endpoints.',
    severity: 'medium',
    owasp: ['NHI5'],
    mitre: ['T1090'],
    scope: 'any',
    anyOf: each(['create', 'get'], (v) => [ns(v, '', 'pods', { subresource: 'portforward' })]),
    references: ['kubescape:rule-can-portforward-v1'],
  },
  {
    id: 'pods-ephemeral-containers',
    title: 'Add debug containers to running pods',
    explanation:
      'Can add ephemeral containers to running pods (pods/ephemeralcontainers). The new container shares the pod’s ServiceAccount token and volumes and can run any image.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI10'],
    mitre: ['T1609', 'T1610'],
    scope: 'any',
    anyOf: each(['patch', 'update'], (v) => [ns(v, '', 'pods', { subresource: 'ephemeralcontainers' })]),
    references: [],
  },
  {
    id: 'pods-services-proxy',
    title: 'Proxy into pods and services through the API server',
    explanation:
      'Can reach pod and service endpoints through the API server proxy (pods/proxy, services/proxy), bypassing network isolation to talk to internal HTTP interfaces.',
    severity: 'medium',
    namespaceSeverity: 'low',
    owasp: ['NHI5', 'NHI8'],
    mitre: ['T1090'],
    scope: 'any',
    anyOf: each(['get', 'create'], (v) => [
      ns(v, '', 'pods', { subresource: 'proxy' }),
      ns(v, '', 'services', { subresource: 'proxy' }),
    ]),
    references: [],
  },
  {
    id: 'nodes-proxy',
    title: 'Talk to kubelets through nodes/proxy',
    explanation:
      'Can use the nodes/proxy subresource, which forwards to each kubelet’s API. The kubelet runs commands in any container on its node and authorises by this permission alone — even `get` suffices over WebSocket — so this reaches every pod, including control-plane ones: cluster-admin in practice, and kubelet-side calls leave no API audit trail of the command.',
    severity: 'critical',
    owasp: ['NHI5'],
    mitre: ['T1609'],
    scope: 'any',
    anyOf: each(['get', 'create'], (v) => [cl(v, '', 'nodes', { subresource: 'proxy' })]),
    references: ['kubescape:rule-can-access-proxy-subresource', 'kubiscan:risky-execute-command-node-proxy'],
  },
  {
    id: 'nodes-modify',
    title: 'Change nodes',
    explanation:
      'Can patch or update Node objects: change labels and taints to pull sensitive workloads onto a node the attacker controls, or cordon nodes to disrupt the cluster.',
    severity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1611', 'T1499'],
    scope: 'any',
    anyOf: each(['patch', 'update'], (v) => [cl(v, '', 'nodes')]),
    references: [],
  },
  {
    id: 'impersonate-users',
    title: 'Impersonate users',
    explanation:
      'Can send requests as any (or the named) user with the impersonation headers. Every permission of those users — administrators included — is one header away.',
    severity: 'critical',
    owasp: ['NHI5', 'NHI10'],
    mitre: ['T1078'],
    scope: 'any',
    anyOf: [[cl('impersonate', '', 'users')]],
    references: ['kubescape:rule-can-impersonate-users-groups-v1', 'kubiscan:risky-impersonate-groups'],
  },
  {
    id: 'impersonate-groups',
    title: 'Impersonate groups',
    explanation:
      'Can claim membership of any (or the named) group when impersonating. Claiming `system:masters` bypasses authorisation entirely.',
    severity: 'critical',
    owasp: ['NHI5', 'NHI10'],
    mitre: ['T1078'],
    scope: 'any',
    anyOf: [[cl('impersonate', '', 'groups')]],
    references: ['kubescape:rule-can-impersonate-users-groups-v1', 'kubiscan:risky-impersonate-groups'],
  },
  {
    id: 'impersonate-serviceaccounts',
    title: 'Impersonate ServiceAccounts',
    explanation:
      'Can act as ServiceAccounts of the namespace without holding their tokens: every permission of those non-human identities is available to whoever holds this one, and their audit trail shows the account, not the person.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI10'],
    mitre: ['T1078'],
    scope: 'any',
    anyOf: [[ns('impersonate', '', 'serviceaccounts')]],
    references: ['kubescape:rule-can-impersonate-users-groups-v1'],
  },
  {
    id: 'impersonate-uids',
    title: 'Impersonate user UIDs',
    explanation:
      'Can set the UID of an impersonated identity. Alone it is limited, but webhooks and admission policies that trust the UID can be fooled.',
    severity: 'medium',
    owasp: ['NHI5'],
    mitre: ['T1078'],
    scope: 'any',
    anyOf: [[cl('impersonate', 'authentication.k8s.io', 'uids')]],
    references: [],
  },
  {
    id: 'serviceaccount-token-create',
    title: 'Mint ServiceAccount tokens',
    explanation:
      'Can request tokens for ServiceAccounts (serviceaccounts/token) and then act as them, for as long as the token lives. No pod or secret is needed, so little trace is left.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI7'],
    mitre: ['T1528', 'T1550.001'],
    scope: 'any',
    anyOf: [[ns('create', '', 'serviceaccounts', { subresource: 'token' })]],
    references: ['kubescape:rule-can-create-service-account-token'],
  },
  {
    id: 'secrets-create-sa-token',
    title: 'Create token Secrets for ServiceAccounts',
    explanation:
      'Can create Secrets and read them back. A Secret of type kubernetes.io/service-account-token annotated with an account name is filled by the control plane with a token that never expires — a permanent credential for any ServiceAccount of the namespace.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5', 'NHI7'],
    mitre: ['T1528', 'T1098.006'],
    scope: 'any',
    anyOf: ['get', 'list', 'watch'].map((v) => [ns('create', '', 'secrets'), ns(v, '', 'secrets')]),
    references: [],
  },
  {
    id: 'rbac-bind',
    title: 'Bind roles it does not hold',
    explanation:
      'Holds the `bind` verb on roles or cluster roles, which lifts the rule that you can only grant permissions you already have. With permission to create bindings it can hand itself — or anyone — those roles.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1098.006'],
    scope: 'any',
    anyOf: [[ns('bind', 'rbac.authorization.k8s.io', 'roles')], [ns('bind', 'rbac.authorization.k8s.io', 'clusterroles')]],
    references: ['kubescape:rule-can-bind-escalate', 'kubehound:ROLE_BIND'],
  },
  {
    id: 'rbac-escalate',
    title: 'Escalate roles',
    explanation:
      'Holds the `escalate` verb on roles or cluster roles, which lifts the rule that you can only write permissions you already have into a role. Together with update it can add any permission to a role it is bound to.',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1098.006'],
    scope: 'any',
    anyOf: [
      [ns('escalate', 'rbac.authorization.k8s.io', 'roles')],
      [cl('escalate', 'rbac.authorization.k8s.io', 'clusterroles')],
    ],
    references: ['kubescape:rule-can-bind-escalate'],
  },
  {
    id: 'rbac-grant',
    title: 'Grant itself roles through new bindings',
    explanation:
      'Can create bindings and holds `bind` on the roles they would reference: it can give itself any of those roles right now (cluster-admin, if it may bind cluster roles cluster-wide).',
    severity: 'critical',
    namespaceSeverity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1098.006'],
    scope: 'any',
    anyOf: [
      [ns('create', 'rbac.authorization.k8s.io', 'rolebindings'), ns('bind', 'rbac.authorization.k8s.io', 'roles')],
      [ns('create', 'rbac.authorization.k8s.io', 'rolebindings'), ns('bind', 'rbac.authorization.k8s.io', 'clusterroles')],
      [cl('create', 'rbac.authorization.k8s.io', 'clusterrolebindings'), cl('bind', 'rbac.authorization.k8s.io', 'clusterroles')],
    ],
    references: [
      'kubiscan:risky-create-rolebinding-role',
      'kubiscan:risky-create-rolebinding-clusterrole',
      'kubiscan:risky-create-clusterrolebinding-clusterrole',
      'kubehound:ROLE_BIND',
    ],
  },
  {
    id: 'rbac-bindings-modify',
    title: 'Create or change role bindings',
    explanation:
      'Can create, update or patch RoleBindings or ClusterRoleBindings. Kubernetes still refuses bindings to roles the holder could not exercise itself, but any role it can use it can spread to other identities, and combined with `bind` it is a direct escalation.',
    severity: 'high',
    namespaceSeverity: 'medium',
    owasp: ['NHI5'],
    mitre: ['T1098.006'],
    scope: 'any',
    anyOf: [
      ...each(['create', 'update', 'patch'], (v) => [ns(v, 'rbac.authorization.k8s.io', 'rolebindings')]),
      ...each(['create', 'update', 'patch'], (v) => [cl(v, 'rbac.authorization.k8s.io', 'clusterrolebindings')]),
    ],
    references: ['kubiscan:risky-any-verb-rolebindings', 'kubiscan:risky-add-rolebinding'],
  },
  {
    id: 'rbac-roles-modify',
    title: 'Create or change roles',
    explanation:
      'Can create, update or patch Roles or ClusterRoles. Without `escalate` it can only write permissions it already holds, but it can widen roles other identities are bound to; with `escalate` there is no limit.',
    severity: 'high',
    namespaceSeverity: 'medium',
    owasp: ['NHI5'],
    mitre: ['T1098.006'],
    scope: 'any',
    anyOf: [
      ...each(['create', 'update', 'patch'], (v) => [ns(v, 'rbac.authorization.k8s.io', 'roles')]),
      ...each(['create', 'update', 'patch'], (v) => [cl(v, 'rbac.authorization.k8s.io', 'clusterroles')]),
    ],
    references: ['kubiscan:risky-any-verb-roles', 'kubiscan:risky-any-verb-clusterroles'],
  },
  {
    id: 'csr-approve',
    title: 'Approve certificate signing requests',
    explanation:
      'Can approve CertificateSigningRequests (certificatesigningrequests/approval). Paired with approval rights on a signer such as kubernetes.io/kube-apiserver-client, it issues client certificates for any user or group, including system:masters.',
    severity: 'high',
    owasp: ['NHI5', 'NHI4'],
    mitre: ['T1649', 'T1078'],
    scope: 'any',
    anyOf: each(['update', 'patch'], (v) => [
      cl(v, 'certificates.k8s.io', 'certificatesigningrequests', { subresource: 'approval' }),
    ]),
    references: ['kubescape:rule-can-approve-cert-signing-request'],
  },
  {
    id: 'csr-sign',
    title: 'Sign certificate signing requests',
    explanation:
      'Can write the issued certificate into CertificateSigningRequests (certificatesigningrequests/status) for a signer it may `sign` for. Whoever holds that signer’s key mints credentials the cluster trusts.',
    severity: 'high',
    owasp: ['NHI5', 'NHI4'],
    mitre: ['T1649'],
    scope: 'any',
    anyOf: [
      [
        cl('update', 'certificates.k8s.io', 'certificatesigningrequests', { subresource: 'status' }),
        cl('sign', 'certificates.k8s.io', 'signers', { name: 'kubernetes.io/*' }),
      ],
    ],
    references: [],
  },
  {
    id: 'csr-mint-client-certificate',
    title: 'Issue itself an API client certificate',
    explanation:
      'Can submit a CertificateSigningRequest, approve it, and is allowed to approve for the kube-apiserver-client signer: it can obtain a certificate for any user and group, including system:masters. Certificates cannot be revoked before they expire.',
    severity: 'critical',
    owasp: ['NHI5', 'NHI7'],
    mitre: ['T1649', 'T1078'],
    scope: 'cluster-only',
    anyOf: ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/*'].flatMap((signer) =>
      ['update', 'patch'].map((v) => [
        cl('create', 'certificates.k8s.io', 'certificatesigningrequests'),
        cl(v, 'certificates.k8s.io', 'certificatesigningrequests', { subresource: 'approval' }),
        cl('approve', 'certificates.k8s.io', 'signers', { name: signer }),
      ]),
    ),
    references: [],
  },
  {
    id: 'admission-webhooks-modify',
    title: 'Change admission webhooks',
    explanation:
      'Can create, change or delete mutating or validating webhook configurations. A mutating webhook sees and rewrites every object sent to the API — it can inject containers or swap ServiceAccounts in new pods — and removing validating webhooks switches off policy enforcement.',
    severity: 'critical',
    owasp: ['NHI5'],
    mitre: ['T1562.001', 'T1610'],
    scope: 'any',
    anyOf: each(['create', 'update', 'patch', 'delete'], (v) => [
      cl(v, 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
      cl(v, 'admissionregistration.k8s.io', 'validatingwebhookconfigurations'),
    ]),
    references: ['kubescape:rule-can-modify-admission-webhooks'],
  },
  {
    id: 'admission-policies-modify',
    title: 'Change admission policies',
    explanation:
      'Can create, change or delete ValidatingAdmissionPolicies, MutatingAdmissionPolicies or their bindings, switching off or rewriting the in-cluster guard rails.',
    severity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1562.001'],
    scope: 'any',
    anyOf: each(['create', 'update', 'patch', 'delete'], (v) =>
      [
        'validatingadmissionpolicies',
        'validatingadmissionpolicybindings',
        'mutatingadmissionpolicies',
        'mutatingadmissionpolicybindings',
      ].map((r) => cl(v, 'admissionregistration.k8s.io', r)),
    ),
    references: [],
  },
  {
    id: 'namespaces-modify',
    title: 'Relabel namespaces',
    explanation:
      'Can patch or update Namespace objects. Pod Security Admission reads its enforcement level from namespace labels, so this can switch it off and then run privileged pods.',
    severity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1562.001'],
    scope: 'any',
    anyOf: each(['patch', 'update'], (v) => [cl(v, '', 'namespaces')]),
    references: [],
  },
  {
    id: 'persistentvolumes-create',
    title: 'Create persistent volumes',
    explanation:
      'Can create PersistentVolumes, which may point at a hostPath on the node. A pod that claims such a volume reads and writes the node’s filesystem — kubelet credentials and other pods’ tokens included.',
    severity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1611'],
    scope: 'any',
    anyOf: [[cl('create', '', 'persistentvolumes')]],
    references: ['kubescape:rule-can-create-pv'],
  },
  {
    id: 'events-delete',
    title: 'Delete events',
    explanation:
      'Can delete Kubernetes events, erasing the record of what happened (failed pulls, evictions, scheduling) to cover tracks.',
    severity: 'medium',
    namespaceSeverity: 'low',
    owasp: ['NHI5'],
    mitre: ['T1070'],
    scope: 'any',
    anyOf: each(['delete', 'deletecollection'], (v) => [ns(v, '', 'events'), ns(v, 'events.k8s.io', 'events')]),
    references: ['kubescape:rule-can-delete-k8s-events-v1'],
  },
  {
    id: 'critical-resources-delete',
    title: 'Delete workloads, secrets or namespaces',
    explanation:
      'Can delete pods, workloads, Secrets, ConfigMaps, Services, volumes or namespaces: enough to take applications down or destroy data.',
    severity: 'high',
    namespaceSeverity: 'medium',
    owasp: ['NHI5'],
    mitre: ['T1485', 'T1499'],
    scope: 'any',
    anyOf: each(['delete', 'deletecollection'], (v) =>
      CRITICAL_DELETE_TARGETS.map(([g, r, scope]) => (scope === 'cluster' ? cl(v, g, r) : ns(v, g, r))),
    ),
    references: ['kubescape:rule-excessive-delete-rights-v1', 'kubiscan:risky-any-resource-delete'],
  },
  {
    id: 'coredns-config-modify',
    title: 'Change cluster DNS configuration',
    explanation:
      'Can update the `coredns` ConfigMap in kube-system, redirecting service names cluster-wide to addresses of its choice and intercepting traffic.',
    severity: 'high',
    owasp: ['NHI5'],
    mitre: ['T1557'],
    scope: 'any',
    anyOf: each(['update', 'patch'], (v) => [ns(v, '', 'configmaps', { name: 'coredns', namespace: 'kube-system' })]),
    references: ['kubescape:rule-can-update-configmap-v1'],
  },
];

export const CAPABILITY_BY_ID: ReadonlyMap<string, Capability> = new Map(CAPABILITIES.map((c) => [c.id, c]));

/** Stable key of a check (for caching and dedup). */
export function checkKey(c: CapabilityCheck): string {
  return [c.scope, c.verb, c.group, c.resource, c.subresource ?? '', c.name ?? '', c.namespace ?? ''].join('\u0000');
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1 };
export function severityRank(s: Severity): number {
  return SEVERITY_RANK[s];
}

/**
 * What the posture rules must raise on the public test corpus (../shared/corpus, rbac/): exactly these findings on
 * the insecure scenarios of rbac/vulnerable, and only these on the operators' standard manifests of rbac/charts.
 * lib/findings/corpus-expected.test.ts builds each scenario's subjects from its manifests without a database
 * (lib/findings/subjects.ts), runs the rules and compares, both ways: nothing missing, nothing extra.
 *
 * Every entry says where it comes from: the line of rbac/vulnerable/EXPECTED.md it reproduces (quoted), or, marked
 * `beyond`, why we raise something the authors' list does not name. Where our verdict differs from a peer's, the
 * entry or the scenario's note says why. Subjects are the findings' subject keys: `identity:ServiceAccount/<ns>/<name>`,
 * `workload:<ns>/<Kind>/<name>`, `namespace:<name>`.
 *
 * Objects that name no namespace go to `default`, as `kubectl apply` would (EXPECTED.md's messages and KubeHound's
 * cluster say `default` too); the charts' go where the seeded test cluster puts them (e2e/cluster/seed-corpus.ts).
 */

/** A finding as [rule, subject, where it comes from]; `beyond`: ours, not on the authors' list (the text says why). */
export type Expected = readonly [rule: string, subject: string, why: string, beyond?: 'beyond'];

/**
 * The rules compared: those that judge manifests before they are deployed and that the corpus's expectations speak
 * to. NHI-POS-003 (escalation targets) is compared by its own tests.
 */
export const COMPARED_RULES = ['NHI-POS-001', 'NHI-POS-002', 'NHI-POS-004', 'NHI-POS-008', 'NHI-POS-009'] as const;

/** Why the other rules are not compared here. */
export const NOT_COMPARED: Record<string, string> = {
  'NHI-POS-005':
    'digest pinning: every corpus image is a tag without digest, and no source of EXPECTED.md judges image references (the KICS excerpt lists no digest query)',
  'NHI-POS-006': 'needs runtime evidence (audit events); manifests have none, so it is silent by construction',
  'NHI-POS-007': 'ownership is an organisational rule: no fixture carries owner labels and no source speaks of owners',
  'NHI-POS-010': 'needs a whole cluster (every admission object); a set of manifests is not one, so it is not judged',
  'NHI-POS-012':
    'ServiceAccount reuse across applications: no source of EXPECTED.md judges it (KubeHound pods each get their own account; badPods and Goat use default, which is NHI-CRED-010)',
  'NHI-POS-011':
    'needs the organisation’s registry allow-list; the default policy has none (silent). Goat’s "untrusted image" (batch-check) comes from the same Docker Hub account as every other goat image, so no allow-list tells it apart',
};

const CE = (edge: string, container: string) =>
  `EXPECTED.md §1 TestEdge_${edge}: "container \`${container}\` has this edge to a worker node" — a container escape: host access in its pod spec`;

/** DataDog KubeHound's attack-graph test cluster: every attacks__*.yaml together, on Kubernetes' default RBAC. */
export const KUBEHOUND: readonly Expected[] = [
  ['NHI-POS-004', 'workload:default/Pod/modload-pod', CE('CE_MODULE_LOAD', 'modload-pod') + ' (SYS_MODULE)'],
  ['NHI-POS-004', 'workload:default/Pod/nsenter-pod', CE('CE_NSENTER', 'nsenter-pod')],
  ['NHI-POS-004', 'workload:default/Pod/priv-pod', CE('CE_PRIV_MOUNT', 'priv-pod')],
  ['NHI-POS-004', 'workload:default/Pod/sys-ptrace-pod', CE('CE_SYS_PTRACE', 'sys-ptrace-pod')],
  ['NHI-POS-004', 'workload:default/Pod/umh-core-pod', CE('CE_UMH_CORE_PATTERN', 'umh-core-container')],
  [
    'NHI-POS-004',
    'workload:default/Pod/varlog-pod',
    'EXPECTED.md §1 Test_CE_VAR_LOG_SYMLINK: "container `varlog-container` has this edge to a worker node"',
  ],
  [
    'NHI-POS-004',
    'workload:default/Pod/host-read-exploit-pod',
    'EXPECTED.md §1 TestEdge_EXPLOIT_HOST_READ: "`host-read-exploit-pod` → `host-ssh`" (a hostPath volume)',
  ],
  [
    'NHI-POS-004',
    'workload:default/Pod/host-write-exploit-pod',
    'EXPECTED.md §1 TestEdge_EXPLOIT_HOST_WRITE: "`host-write-exploit-pod` → `hostroot`" (a hostPath volume)',
  ],
  [
    'NHI-POS-004',
    'workload:default/Pod/endpoints-pod',
    'the pod of TestEdge_ENDPOINT_EXPLOIT_* (EXPECTED.md §1 lists its ports) is itself privileged with hostPID (attacks__ENDPOINT_EXPLOIT.yaml)',
    'beyond',
  ],
  [
    'NHI-POS-004',
    'workload:default/Pod/netadmin-pod',
    'attacks__CE_NET_MITM.yaml: hostNetwork and NET_ADMIN; graph_edge_test.go queries no CE_NET_MITM edge, so EXPECTED.md has no line for it',
    'beyond',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/pod-create-sa',
    'EXPECTED.md §1 TestEdge_POD_CREATE: "`create-pods::pod-create-pods` → `kubehound.test.local-control-plane`" — creating pods in default runs as any account there, on to cluster-admin (our path, 2 steps)',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/pod-exec-sa',
    'EXPECTED.md §1 TestEdge_POD_EXEC: "`exec-pods::pod-exec-pods` → `rolebind-pod-crb-cr-crb-cr`" (every pod of default) — exec into a pod of a ServiceAccount that can bind cluster-admin',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/pod-patch-sa',
    'EXPECTED.md §1 TestEdge_POD_PATCH: "`patch-pods::pod-patch-pods` → `rolebind-pod-crb-cr-crb-cr`" (every pod of default) — patch that pod\'s image, run as its account',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-crb-cr-crb-cr',
    'EXPECTED.md §1 TestEdge_ROLE_BIND_CASE_1: "`rolebind-crb-cr-crb-cr::pod-bind-role-crb-cr-crb-cr` → `rolebind-crb-cr-crb-cr::…`" — binds cluster roles cluster-wide',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-crb-cr-rb-cr',
    'EXPECTED.md §1 TestEdge_ROLE_BIND_CASE_1: "`rolebind-crb-cr-rb-cr::pod-bind-role-crb-cr-rb-cr` → `rolebind-crb-cr-crb-cr::…`"',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-rb-cr-rb-r',
    'EXPECTED.md §1 TestEdge_ROLE_BIND_CASE_3: "`rolebind-rb-cr-rb-r::pod-bind-role-rb-cr-rb-r` → `rolebind-rb-r-rb-r::pod-bind-role-rb-r-rb-r`"',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-rb-r-rb-r',
    'EXPECTED.md §1 TestEdge_ROLE_BIND_CASE_3: "`rolebind-rb-r-rb-r::pod-bind-role-rb-r-rb-r` → `rolebind-rb-cr-rb-cr::pod-bind-role-rb-cr-rb-cr`"',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-crb-cr-rb-r',
    'a ROLE_BIND target in EXPECTED.md §1 CASE_1; its own ClusterRole (via a ClusterRoleBinding) creates RoleBindings and binds roles in every namespace, which our path follows to cluster-admin (3 steps); CASE_4, which queries such sources, lists no pair',
    'beyond',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-rb-cr-rb-cr',
    'a ROLE_BIND target in EXPECTED.md §1 CASE_3; it binds roles in default, which our path follows to cluster-admin through the accounts of default (3 steps)',
    'beyond',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-rb-r-rb-crb',
    'a ROLE_BIND target in EXPECTED.md §1 CASE_3; it binds roles in default, which our path follows to cluster-admin (3 steps)',
    'beyond',
  ],
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/rolebind-sa-crb-cr-crb-r-fail',
    'differs from KubeHound: its "-fail" set has no ROLE_BIND edge (expected.test.ts pins that, and we find no path either), but it holds `bind` on roles cluster-wide — the capability NHI-POS-002 reports: one more grant (create rolebindings) makes it a takeover',
    'beyond',
  ],
  // Not raised, and why: impersonate-sa's impersonation is granted by a RoleBinding, which cannot grant the
  // cluster-scoped users/groups (nominal, lib/rbac/expected.test.ts); tokenget-sa and tokenlist-sa read the Secrets of
  // default only (high, not critical), and no legacy token Secret exists there to steal (KubeHound assumes one per
  // account: TOKEN_BRUTEFORCE/TOKEN_LIST); varlog-sa reads pod logs; the other "-fail" sets bind in default only and
  // have no path; control-pod and its account `default` have nothing (Test_NoEdgeCase); sharedps-pod* share a process
  // namespace inside the pod, not the node's.
];

/** cyberark KubiScan's unit test: kubiscan-sa.yaml and kubiscan-sa2.yaml applied together. */
export const KUBISCAN: readonly Expected[] = [
  [
    'NHI-POS-002',
    'identity:ServiceAccount/default/kubiscan-sa',
    'EXPECTED.md §2: "`list_of_risky_users = [\\"kubiscan-sa\\"]`: KubiScan must report ServiceAccount `default/kubiscan-sa` as a risky subject" (get/list secrets cluster-wide)',
  ],
  // "`default/kubiscan-sa2` must **not** be reported … The `default` SA must not be reported either": nothing for them.
];

const GOAT = (file: string, text: string) => `EXPECTED.md §4 \`${file}\`: "${text}"`;

/** madhuakula Kubernetes Goat: one scenario per corpus file (files not listed raise nothing). */
export const KUBERNETES_GOAT: Record<string, readonly Expected[]> = {
  'insecure-rbac__setup.yaml': [
    [
      'NHI-POS-001',
      'identity:ServiceAccount/kube-system/superadmin',
      GOAT(
        'insecure-rbac__setup.yaml',
        'ServiceAccount `kube-system/superadmin` bound to `cluster-admin` by ClusterRoleBinding `superadmin`',
      ),
    ],
    // NHI-POS-002 needs cluster-admin's rules, which the file does not carry (the API server's own role): 001 says it.
  ],
  'hunger-check__deployment.yaml': [
    [
      'NHI-POS-001',
      'identity:ServiceAccount/big-monolith/big-monolith-sa',
      GOAT(
        'hunger-check__deployment.yaml',
        'SA `big-monolith/big-monolith-sa` is bound to Role `secret-reader` (resources `*`, verbs get/watch/list in core group)',
      ) + ' and KICS "RBAC Wildcard In Rule"; high, not critical: one namespace',
    ],
    [
      'NHI-POS-008',
      'namespace:big-monolith',
      'the file creates namespace big-monolith with a workload and no NetworkPolicy (Kubescape C-0054 says the same of the file)',
      'beyond',
    ],
    [
      'NHI-POS-009',
      'namespace:big-monolith',
      'the file creates namespace big-monolith without any Pod Security label (Kubescape C-0192 says the same of the file)',
      'beyond',
    ],
  ],
  'cache-store__deployment.yaml': [
    [
      'NHI-POS-008',
      'namespace:secure-middleware',
      GOAT(
        'cache-store__deployment.yaml',
        'Redis in namespace `secure-middleware` reachable across namespaces (no NetworkPolicy)',
      ),
    ],
    [
      'NHI-POS-009',
      'namespace:secure-middleware',
      'the file creates namespace secure-middleware without any Pod Security label (Kubescape C-0192 says the same of the file)',
      'beyond',
    ],
  ],
  'system-monitor__deployment.yaml': [
    [
      'NHI-POS-004',
      'workload:default/Deployment/system-monitor-deployment',
      GOAT('system-monitor__deployment.yaml', 'privileged, hostPID, hostIPC, hostPath `/` mounted at `/host-system`') +
        ' and the KICS rows "Shared Host PID/IPC/Network Namespace", "Workload Mounting With Sensitive OS Directory … \'/\'"',
    ],
  ],
  'health-check__deployment.yaml': [
    [
      'NHI-POS-004',
      'workload:default/Deployment/health-check-deployment',
      GOAT(
        'health-check__deployment.yaml',
        'privileged container with the host container-runtime socket mounted (`/run/containerd/containerd.sock`)',
      ),
    ],
  ],
  'docker-bench-security__deployment.yaml': [
    [
      'NHI-POS-004',
      'workload:default/DaemonSet/docker-bench-security',
      GOAT(
        'docker-bench-security__deployment.yaml',
        'DaemonSet with hostPID/hostIPC/hostNetwork, privileged, many sensitive hostPaths incl. `/var/run/docker.sock`',
      ),
    ],
  ],
  'kube-bench-security__master-job.yaml': [
    [
      'NHI-POS-004',
      'workload:default/Job/kube-bench-master',
      GOAT(
        'kube-bench-security__{master,node}-job.yaml',
        'Jobs with hostPID and sensitive hostPaths (`/etc/kubernetes`, `/var/lib/kubelet`, ...)',
      ),
    ],
  ],
  'kube-bench-security__node-job.yaml': [
    [
      'NHI-POS-004',
      'workload:default/Job/kube-bench-node',
      GOAT(
        'kube-bench-security__{master,node}-job.yaml',
        'Jobs with hostPID and sensitive hostPaths (`/etc/kubernetes`, `/var/lib/kubelet`, ...)',
      ),
    ],
  ],
  // Nothing for the others, each for its reason:
  // - internal-proxy (SSRF, a NodePort Service), build-code and hidden-in-layers (secrets inside images), poor-registry
  //   (an unauthenticated registry), kubernetes-goat-home: weaknesses outside the manifests' identities and pod specs.
  // - batch-check ("Job running an untrusted image"): NHI-POS-011 with an allow-list; see NOT_COMPARED.
  // - infrastructure__helm-tiller__pwnchart__templates__clusterrole.yaml: KICS flags the ClusterRole all-your-base
  //   itself ("RBAC Wildcard In Rule"); nothing binds it in the file, and our rules judge the identities a role reaches.
  // - kyverno-namespace-exec-block: a Kyverno ClusterPolicy, a control rather than a weakness.
  // - KICS's "Service Account Token Automount Not Disabled" rows are NHI-POS-006's matter, which needs runtime evidence.
};

/** BishopFox badPods: each file's one workload, by category (EXPECTED.md §5: "pod-spec attributes set"). */
export const BADPODS: Record<string, { facts: readonly string[]; why: string }> = {
  'everything-allowed': {
    facts: ['privileged', 'hostPID', 'hostIPC', 'hostNetwork', 'hostPath'],
    why: 'EXPECTED.md §5 `everything-allowed`: "hostNetwork, hostPID, hostIPC, privileged, hostPath `/` mounted at `/host`"',
  },
  'priv-and-hostpid': { facts: ['privileged', 'hostPID'], why: 'EXPECTED.md §5 `priv-and-hostpid`: "privileged, hostPID"' },
  priv: { facts: ['privileged'], why: 'EXPECTED.md §5 `priv`: "privileged"' },
  hostpath: { facts: ['hostPath'], why: 'EXPECTED.md §5 `hostpath`: "hostPath `/` mounted at `/host`"' },
  hostpid: { facts: ['hostPID'], why: 'EXPECTED.md §5 `hostpid`: "hostPID"' },
  hostnetwork: { facts: ['hostNetwork'], why: 'EXPECTED.md §5 `hostnetwork`: "hostNetwork"' },
  hostipc: { facts: ['hostIPC'], why: 'EXPECTED.md §5 `hostipc`: "hostIPC"' },
  'nothing-allowed': { facts: [], why: 'EXPECTED.md §5 `nothing-allowed`: "none (negative control)"' },
};
/** Files that set more than their category says (upstream's own manifests, unedited in the corpus). */
export const BADPODS_EXCEPTIONS: Record<string, { facts: readonly string[]; why: string }> = {
  'hostipc/deamonset/hostipc-revshell-deamonset.yaml': {
    facts: ['hostPID', 'hostIPC', 'hostNetwork'],
    why: 'differs from its category (hostIPC only): this upstream file also sets hostPID and hostNetwork, and we report what the pod spec says',
  },
};

const HOSTPATH_VAR = (rule: string) =>
  [
    'NHI-POS-004',
    'workload:default/Pod/test-pd',
    `the fixture pod of ${rule} mounts hostPath /var (Kubescape C-0048 would flag it; the rule under test looks at something else)`,
    'beyond',
  ] as const;
const REGO = (rule: string, testCase: string, alert: string) => `EXPECTED.md §3 \`${rule}\` / \`${testCase}\`: "${alert}"`;

/**
 * kubescape regolibrary rule tests: `rule/case` → our findings on that case's input (cases not listed: none). Kubescape
 * rules about users and groups (cluster-admin-role, exec-into-container-v1, rule-can-*, rule-list-all-cluster-admins-v1,
 * rule-access-dashboard-subject-v1, anonymous-access-enabled, system-authenticated-…) have no ServiceAccount subject, so our
 * identity rules (ServiceAccounts: the non-human identities) raise nothing there; their RBAC reach is reproduced by
 * lib/rbac/expected.test.ts. Rules about object placement or hygiene (role-in-default-namespace, namespace-without-
 * service-account, non-existent-service-account, rule-secrets-in-env-var, workload-mounted-secrets, automount-*,
 * serviceaccount-token-mount, review-roles-with-aws-iam-authenticator) are other questions than ours.
 */
export const KUBESCAPE_REGOLIBRARY: Record<string, readonly Expected[]> = {
  'access-container-service-account-v1/clusterrole-rolebinding': [
    [
      'NHI-POS-001',
      'identity:ServiceAccount/default/default',
      REGO(
        'access-container-service-account-v1',
        'clusterrole-rolebinding',
        'service account: default has the following permissions in the cluster',
      ) + ' — ours because the permissions are a wildcard rule',
    ],
  ],
  'access-container-service-account-v1/role-rolebinding': [
    [
      'NHI-POS-001',
      'identity:ServiceAccount/default/default',
      REGO(
        'access-container-service-account-v1',
        'role-rolebinding',
        'service account: default has the following permissions in the cluster',
      ) + ' — ours because the permissions are a wildcard rule',
    ],
  ],
  'host-pid-ipc-privileges/cronjob': [
    [
      'NHI-POS-004',
      'workload:default/CronJob/hello',
      REGO('host-pid-ipc-privileges', 'cronjob', 'CronJob: hello has a pod with hostIPC enabled'),
    ],
  ],
  'host-pid-ipc-privileges/pod': [
    [
      'NHI-POS-004',
      'workload:default/Pod/test',
      REGO('host-pid-ipc-privileges', 'pod', 'Pod: test has hostPID enabled') +
        ' (and hostNetwork, which that rule does not look at)',
    ],
  ],
  'host-pid-ipc-privileges/workload': [
    [
      'NHI-POS-004',
      'workload:default/Deployment/my-deployment',
      REGO(
        'host-pid-ipc-privileges',
        'workload',
        'Deployment: my-deployment has a pod with hostPID enabled; Deployment: my-deployment has a pod with hostIPC enabled',
      ) + ' — one finding per workload, both facts in its evidence',
    ],
  ],
  'rule-privileged-container/cronjob': [
    [
      'NHI-POS-004',
      'workload:default/CronJob/hello',
      REGO('rule-privileged-container', 'cronjob', 'the following cronjobs are defined as privileged: hello') +
        ' (SYS_ADMIN added)',
    ],
  ],
  'rule-privileged-container/cronjob-initcontainer': [
    [
      'NHI-POS-004',
      'workload:default/CronJob/priv-initcontainer-cronjob',
      REGO(
        'rule-privileged-container',
        'cronjob-initcontainer',
        'the following cronjobs are defined as privileged: priv-initcontainer-cronjob',
      ) + ' (SYS_ADMIN added)',
    ],
  ],
  'rule-privileged-container/pod': [
    [
      'NHI-POS-004',
      'workload:default/Pod/audit-pod',
      REGO('rule-privileged-container', 'pod', 'the following pods are defined as privileged: audit-pod') + ' (SYS_ADMIN added)',
    ],
  ],
  'rule-privileged-container/pod-ephemeralcontainer': [
    [
      'NHI-POS-004',
      'workload:default/Pod/priv-ephemeral-pod',
      REGO(
        'rule-privileged-container',
        'pod-ephemeralcontainer',
        'the following pods are defined as privileged: priv-ephemeral-pod',
      ) + ' (SYS_ADMIN added)',
    ],
  ],
  'rule-privileged-container/pod-initcontainer': [
    [
      'NHI-POS-004',
      'workload:default/Pod/priv-initcontainer-pod',
      REGO(
        'rule-privileged-container',
        'pod-initcontainer',
        'the following pods are defined as privileged: priv-initcontainer-pod',
      ),
    ],
  ],
  'rule-privileged-container/workloads': [
    [
      'NHI-POS-004',
      'workload:default/Deployment/test2',
      REGO('rule-privileged-container', 'workloads', 'Deployment: test2 is defined as privileged:'),
    ],
  ],
  'rule-privileged-container/workloads-initcontainer': [
    [
      'NHI-POS-004',
      'workload:default/Deployment/priv-initcontainer-deploy',
      REGO(
        'rule-privileged-container',
        'workloads-initcontainer',
        'Deployment: priv-initcontainer-deploy is defined as privileged:',
      ),
    ],
  ],
  'workload-with-administrative-roles/fail-wl-creates-pod': [
    [
      'NHI-POS-001',
      'identity:ServiceAccount/default/default',
      REGO(
        'workload-with-administrative-roles',
        'fail-wl-creates-pod',
        'Pod: test-pd in the following namespace: default has administrative roles',
      ) + ' — we name the account whose token the pod mounts (its ClusterRole is a wildcard)',
    ],
    [
      'NHI-POS-002',
      'identity:ServiceAccount/default/default',
      REGO('workload-with-administrative-roles', 'fail-wl-creates-pod', 'Pod: test-pd … has administrative roles') +
        ' — creating pods cluster-wide',
    ],
    HOSTPATH_VAR('workload-with-administrative-roles'),
  ],
  'workload-with-administrative-roles/pass-wl-limited-permissions': [
    [
      'NHI-POS-001',
      'identity:ServiceAccount/default/default',
      'differs from Kubescape (pass: "limited permissions"): its ClusterRole grants every verb on Secrets cluster-wide, which we count as a wildcard grant',
      'beyond',
    ],
    [
      'NHI-POS-002',
      'identity:ServiceAccount/default/default',
      'differs from Kubescape: reading every Secret cluster-wide is a takeover for us (every token), though not an "administrative role" for that rule',
      'beyond',
    ],
    HOSTPATH_VAR('workload-with-administrative-roles'),
  ],
  'workload-with-administrative-roles/pass-wl-not-mount-sa-token': [HOSTPATH_VAR('workload-with-administrative-roles')],
  'workload-with-administrative-roles/pass-wl-rolebinding': [HOSTPATH_VAR('workload-with-administrative-roles')],
  'workload-with-cluster-takeover-roles/fail-wl-creates-pod': [
    [
      'NHI-POS-002',
      'identity:ServiceAccount/default/default',
      REGO(
        'workload-with-cluster-takeover-roles',
        'fail-wl-creates-pod',
        'Pod: test-pd in the following namespace: default has cluster takeover roles',
      ) + ' — we name the account whose token the pod mounts',
    ],
    HOSTPATH_VAR('workload-with-cluster-takeover-roles'),
  ],
  'workload-with-cluster-takeover-roles/fail-wl-gets-secrets': [
    [
      'NHI-POS-002',
      'identity:ServiceAccount/default/default',
      REGO(
        'workload-with-cluster-takeover-roles',
        'fail-wl-gets-secrets',
        'Pod: test-pd in the following namespace: default has cluster takeover roles',
      ) + ' — we name the account whose token the pod mounts',
    ],
    HOSTPATH_VAR('workload-with-cluster-takeover-roles'),
  ],
  'workload-with-cluster-takeover-roles/pass-wl-limited-permissions': [HOSTPATH_VAR('workload-with-cluster-takeover-roles')],
  'workload-with-cluster-takeover-roles/pass-wl-not-mount-sa-token': [HOSTPATH_VAR('workload-with-cluster-takeover-roles')],
  'workload-with-cluster-takeover-roles/pass-wl-rolebinding': [HOSTPATH_VAR('workload-with-cluster-takeover-roles')],
  'automount-service-account/both-mount': [HOSTPATH_VAR('automount-service-account')],
  'automount-service-account/both-mount-default': [HOSTPATH_VAR('automount-service-account')],
  'automount-service-account/pod-mount': [HOSTPATH_VAR('automount-service-account')],
  'automount-service-account/sa-mount': [HOSTPATH_VAR('automount-service-account')],
  'serviceaccount-token-mount/both-mount': [HOSTPATH_VAR('serviceaccount-token-mount')],
  'serviceaccount-token-mount/both-mount-default': [HOSTPATH_VAR('serviceaccount-token-mount')],
  'serviceaccount-token-mount/pod-mount': [HOSTPATH_VAR('serviceaccount-token-mount')],
  'serviceaccount-token-mount/pod-mount-and-rb-bind': [HOSTPATH_VAR('serviceaccount-token-mount')],
  'serviceaccount-token-mount/sa-mount': [HOSTPATH_VAR('serviceaccount-token-mount')],
  'workload-mounted-secrets/success': [HOSTPATH_VAR('workload-mounted-secrets')],
  // ensure-default-service-accounts-has-only-default-roles/failed_*: the binding names ClusterRole `test`, which the
  // case does not define, so it grants nothing; Kubescape flags the binding's existence, we judge the power it gives.
};

/** A chart finding: [rule, subject, the documented power that justifies it]. */
const CHART = (rule: string, subject: string, why: string): Expected => [rule, subject, why];

/**
 * The operators' standard manifests (rbac/charts/<project>): the only findings they may raise, each justified by what the
 * project's own manifest grants for its documented job. Projects not listed raise none (external-dns, metrics-server,
 * velero: only what their job needs; kubernetes-dashboard's account is confined to its namespace).
 */
export const CHARTS: Record<string, readonly Expected[]> = {
  'argo-cd': [
    CHART(
      'NHI-POS-001',
      'identity:ServiceAccount/argocd/argocd-application-controller',
      'deploys any manifest anywhere: its ClusterRole is */*/* (corpus README: "argo-cd\'s application-controller ClusterRole is `*/*/*`")',
    ),
    CHART('NHI-POS-002', 'identity:ServiceAccount/argocd/argocd-application-controller', 'the same */*/*: every capability'),
    CHART(
      'NHI-POS-001',
      'identity:ServiceAccount/argocd/argocd-server',
      'the UI acts on every resource: get/patch/delete on */* cluster-wide',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/argocd/argocd-server',
      'the same */* (nodes/proxy included) and Secrets in argocd',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/argocd/argocd-applicationset-controller',
      'its generators read cluster Secrets: get/list secrets cluster-wide',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/argocd/argocd-redis',
      "creates Secrets in argocd and reads the one named argocd-redis (its password): a token Secret made under that name before the redis init job carries argocd-application-controller's token — a real, narrow path",
    ),
  ],
  calico: [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/tigera-operator/tigera-operator',
      'the operator installs Calico: it creates pods, DaemonSets, roles and bindings cluster-wide (so it can bind cluster-admin)',
    ),
    CHART(
      'NHI-POS-004',
      'workload:kube-system/DaemonSet/calico-node',
      "the CNI agent programs the node's network: privileged, hostNetwork, host paths",
    ),
    CHART(
      'NHI-POS-004',
      'workload:tigera-operator/Deployment/tigera-operator',
      'runs on the host network before the pod network exists, with /var/lib/calico',
    ),
    CHART(
      'NHI-POS-008',
      'namespace:tigera-operator',
      'the manifest creates namespace tigera-operator (enforce=privileged, a decision) with a workload and no NetworkPolicy',
    ),
    // calico-kube-controllers: its wildcards cover Calico's own API groups only (no NHI-POS-001, see POWER_GROUPS).
  ],
  'cert-manager': [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/cert-manager/cert-manager',
      'issues certificates into Secrets anywhere (corpus README: "cert-manager\'s controllers can read and write Secrets cluster-wide") and runs ACME solver pods',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/cert-manager/cert-manager-cainjector',
      'reads CA Secrets and writes them into webhook configurations: its job',
    ),
    CHART(
      'NHI-POS-008',
      'namespace:cert-manager',
      'the manifest creates namespace cert-manager with three Deployments and no NetworkPolicy',
    ),
    CHART('NHI-POS-009', 'namespace:cert-manager', 'the manifest creates namespace cert-manager without a Pod Security label'),
  ],
  'cluster-autoscaler': [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/kube-system/cluster-autoscaler',
      'changes pod controllers cluster-wide (scales and evicts): its job',
    ),
    CHART(
      'NHI-POS-004',
      'workload:kube-system/Deployment/cluster-autoscaler',
      "mounts the node's /etc/ssl/certs/ca-bundle.crt (hostPath) to call the cloud API; graded high for the /etc prefix though the file is a read-only CA bundle",
    ),
  ],
  'external-secrets': [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/external-secrets/nhi-external-secrets',
      'syncs external secrets into Secrets anywhere and mints ServiceAccount tokens for its providers: its job',
    ),
  ],
  falco: [
    CHART(
      'NHI-POS-001',
      'identity:ServiceAccount/default/event-generator',
      'the event generator provokes Falco on purpose: its ClusterRole (bound in falco) gets every core resource (`*`)',
    ),
    CHART(
      'NHI-POS-004',
      'workload:default/DaemonSet/falco',
      'the runtime sensor loads its kernel driver and reads every container runtime socket: privileged, host paths',
    ),
    CHART(
      'NHI-POS-004',
      'workload:default/DaemonSet/falco-exporter',
      "reads Falco's gRPC socket from the node (hostPath /run/falco)",
    ),
  ],
  flannel: [
    CHART(
      'NHI-POS-004',
      'workload:kube-flannel/DaemonSet/kube-flannel-ds',
      'the CNI agent: NET_ADMIN/NET_RAW on the host network with host paths',
    ),
    CHART(
      'NHI-POS-008',
      'namespace:kube-flannel',
      'the manifest creates namespace kube-flannel (enforce=privileged, a decision) with a workload and no NetworkPolicy',
    ),
  ],
  flux: [
    CHART(
      'NHI-POS-001',
      'identity:ServiceAccount/flux-system/kustomize-controller',
      'corpus README: "flux\'s `cluster-reconciler` binds the kustomize-controller and helm-controller SAs to `cluster-admin`"',
    ),
    CHART(
      'NHI-POS-001',
      'identity:ServiceAccount/flux-system/helm-controller',
      'the same cluster-reconciler binding to cluster-admin',
    ),
    ...[
      'helm-controller',
      'kustomize-controller',
      'image-automation-controller',
      'image-reflector-controller',
      'notification-controller',
      'source-controller',
      'source-watcher',
    ].map((name) =>
      CHART(
        'NHI-POS-002',
        `identity:ServiceAccount/flux-system/${name}`,
        'every flux controller is bound to crd-controller, which reads Secrets (Git and registry credentials) and mints ServiceAccount tokens (impersonation of tenants) cluster-wide',
      ),
    ),
    // Their crd-controller wildcards cover flux's own API groups only: no NHI-POS-001 for the other five.
  ],
  gatekeeper: [
    CHART(
      'NHI-POS-001',
      'identity:ServiceAccount/gatekeeper-system/gatekeeper-admin',
      'replicates any object for policies: get/list/watch on */* cluster-wide',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/gatekeeper-system/gatekeeper-admin',
      'the same */* read reaches Secrets and nodes/proxy',
    ),
    CHART(
      'NHI-POS-008',
      'namespace:gatekeeper-system',
      'the manifest creates namespace gatekeeper-system (enforce=restricted) with two Deployments and no NetworkPolicy',
    ),
  ],
  'ingress-nginx': [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/ingress-nginx/ingress-nginx',
      'serves TLS for every Ingress: list/watch Secrets cluster-wide',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/ingress-nginx/ingress-nginx-admission',
      'patches its own validating webhook configuration with the certificate it makes',
    ),
    CHART(
      'NHI-POS-008',
      'namespace:ingress-nginx',
      'the manifest creates namespace ingress-nginx with its controller and Jobs and no NetworkPolicy',
    ),
    CHART('NHI-POS-009', 'namespace:ingress-nginx', 'the manifest creates namespace ingress-nginx without a Pod Security label'),
  ],
  istio: [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/istio-system/istiod',
      "the control plane reads Secrets for gateways' TLS, patches workloads and its own webhooks",
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/istio-system/istio-reader-service-account',
      'multicluster discovery reads Secrets cluster-wide (remote cluster credentials)',
    ),
    CHART(
      'NHI-POS-004',
      'workload:kube-system/DaemonSet/istio-cni-node',
      "the CNI plugin rewrites pods' network namespaces: SYS_ADMIN, NET_ADMIN, SYS_PTRACE and host paths",
    ),
  ],
  'knative-serving': [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/knative-serving/controller',
      'runs user services: creates pods and Deployments anywhere, reads Secrets, manages its webhooks',
    ),
    CHART(
      'NHI-POS-008',
      'namespace:knative-serving',
      'the manifest creates namespace knative-serving with four Deployments and no NetworkPolicy',
    ),
    CHART(
      'NHI-POS-009',
      'namespace:knative-serving',
      'the manifest creates namespace knative-serving without a Pod Security label',
    ),
  ],
  'kube-state-metrics': [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/kube-system/kube-state-metrics',
      'exports metrics about every object, Secrets included: list/watch Secrets cluster-wide',
    ),
  ],
  'kubernetes-dashboard': [
    CHART(
      'NHI-POS-008',
      'namespace:kubernetes-dashboard',
      'the manifest creates namespace kubernetes-dashboard with two Deployments and no NetworkPolicy',
    ),
    CHART(
      'NHI-POS-009',
      'namespace:kubernetes-dashboard',
      'the manifest creates namespace kubernetes-dashboard without a Pod Security label',
    ),
  ],
  kyverno: [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/kyverno/kyverno-admission-controller',
      'registers and updates its own admission webhooks',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/kyverno/kyverno-cleanup-controller',
      'registers and updates its own admission webhooks',
    ),
  ],
  'local-path-provisioner': [
    CHART(
      'NHI-POS-008',
      'namespace:local-path-storage',
      'the manifest creates namespace local-path-storage with a Deployment and no NetworkPolicy',
    ),
    CHART(
      'NHI-POS-009',
      'namespace:local-path-storage',
      'the manifest creates namespace local-path-storage without a Pod Security label',
    ),
  ],
  'prometheus-operator': [
    CHART(
      'NHI-POS-001',
      'identity:ServiceAccount/default/prometheus-operator',
      'manages Prometheus StatefulSets and their config Secrets: every verb on secrets, configmaps and statefulsets',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/default/prometheus-operator',
      'the same: Secrets cluster-wide and pod controllers',
    ),
  ],
  'tekton-pipelines': [
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/tekton-pipelines/tekton-pipelines-controller',
      'runs pipelines as pods in any namespace with their Secrets',
    ),
    CHART(
      'NHI-POS-002',
      'identity:ServiceAccount/tekton-pipelines-resolvers/tekton-pipelines-resolvers',
      'resolvers read Secrets (Git and bundle credentials) cluster-wide',
    ),
  ],
};

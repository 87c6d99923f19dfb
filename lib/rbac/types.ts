/**
 * RBAC object types (the subset of rbac.authorization.k8s.io/v1 the authorizer reads) and the
 * input snapshot of the pure RBAC engine.
 *
 * Field names follow the Kubernetes API so objects read from a cluster or a manifest can be passed
 * through after validation (see `load.ts`). Every array is present (possibly empty) once an object
 * has been normalised by `snapshotFromObjects`; hand-built snapshots may omit optional fields.
 */

/** One rule of a Role or ClusterRole. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface ObjectMeta {
  name: string;
  /** Required for Role and RoleBinding; ignored for cluster-scoped objects. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
}

export interface LabelSelectorRequirement {
  key: string;
  /** In, NotIn, Exists, DoesNotExist */
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface AggregationRule {
  clusterRoleSelectors: LabelSelector[];
}

export interface Role {
  kind: 'Role';
  metadata: ObjectMeta & { namespace: string };
  rules: PolicyRule[];
}

export interface ClusterRole {
  kind: 'ClusterRole';
  metadata: ObjectMeta;
  rules: PolicyRule[];
  aggregationRule?: AggregationRule;
}

/**
 * A binding subject exactly as written. `kind` is compared case-sensitively by the authorizer
 * ("User", "Group", "ServiceAccount"); anything else never matches.
 */
export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  apiGroup?: string;
  /** "Role" or "ClusterRole"; anything else grants nothing. */
  kind: string;
  name: string;
}

export interface RoleBinding {
  kind: 'RoleBinding';
  metadata: ObjectMeta & { namespace: string };
  subjects: Subject[];
  roleRef: RoleRef;
}

export interface ClusterRoleBinding {
  kind: 'ClusterRoleBinding';
  metadata: ObjectMeta;
  subjects: Subject[];
  roleRef: RoleRef;
}

export type AnyRole = Role | ClusterRole;
export type AnyBinding = RoleBinding | ClusterRoleBinding;

/** A ServiceAccount as far as RBAC reach needs it. */
export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  automountServiceAccountToken?: boolean;
  labels?: Record<string, string>;
}

/** Secret metadata only (never values): enough to tell legacy ServiceAccount token secrets apart. */
export interface SecretInfo {
  namespace: string;
  name: string;
  type?: string;
  /** The `kubernetes.io/service-account.name` annotation, when present. */
  serviceAccountName?: string;
}

/** A running pod, or the pod template of a workload, with the identity it runs as. */
export interface PodInfo {
  namespace: string;
  name: string;
  /** Defaults to "default" as the ServiceAccount admission plugin does. */
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  nodeName?: string;
  /** When the entry comes from a workload's pod template rather than a Pod object. */
  owner?: { kind: string; name: string };
}

/** Everything the RBAC engine reads. Only the four RBAC lists are required. */
export interface RbacSnapshot {
  roles: Role[];
  clusterRoles: ClusterRole[];
  roleBindings: RoleBinding[];
  clusterRoleBindings: ClusterRoleBinding[];
  serviceAccounts?: ServiceAccountInfo[];
  secrets?: SecretInfo[];
  pods?: PodInfo[];
  /** Node names (each kubelet authenticates as `system:node:<name>` in group `system:nodes`). */
  nodes?: string[];
  /** Namespaces known to exist (bindings and objects add theirs implicitly). */
  namespaces?: string[];
  /**
   * The Pod Security level each namespace enforces (its `pod-security.kubernetes.io/enforce` label:
   * `privileged`, `baseline` or `restricted`), for the namespaces that carry the label.
   */
  podSecurity?: Record<string, string>;
}

/** The identity a request is made as: exactly what the authorizer sees (user.Info). */
export interface UserInfo {
  name: string;
  groups: string[];
}

/** A resource request (`/api`, `/apis` paths). `namespace` "" or absent means cluster-wide. */
export interface ResourceAttributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** A non-resource request such as `/healthz` or `/metrics`. */
export interface NonResourceAttributes {
  verb: string;
  nonResourceURL: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

export function isNonResource(attrs: RequestAttributes): attrs is NonResourceAttributes {
  return typeof (attrs as NonResourceAttributes).nonResourceURL === 'string';
}

/** Where a grant comes from: one rule of one role reached through one binding subject. */
export interface GrantReason {
  binding: { kind: 'RoleBinding' | 'ClusterRoleBinding'; namespace?: string; name: string };
  role: { kind: 'Role' | 'ClusterRole'; namespace?: string; name: string };
  /** Index into the role's effective rules (after aggregation; see `aggregation.ts`). */
  ruleIndex: number;
  /** Index of the first binding subject that applies to the user (as the authorizer reports it). */
  subjectIndex: number;
}

export interface Decision {
  allowed: boolean;
  /** Every rule that allows the request (ClusterRoleBindings first, then RoleBindings), sorted. */
  reasons: GrantReason[];
}

/** A way to name the identity asked about. */
export type SubjectQuery =
  | UserInfo
  | { kind: 'ServiceAccount'; namespace: string; name: string }
  | { kind: 'User'; name: string; groups?: string[] }
  | { kind: 'Group'; name: string };

/** How many RBAC objects (and the ServiceAccounts and namespaces around them) a snapshot was built from. */
export interface RbacObjectCounts {
  roles: number;
  clusterRoles: number;
  roleBindings: number;
  clusterRoleBindings: number;
  serviceAccounts: number;
  namespaces: number;
}

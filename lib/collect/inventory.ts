import type { CertificateFacts } from '@/lib/credentials/certificate';
import type { CredentialClass } from '@/lib/credentials/classify';
/** The normalised inventory of one cluster: rows keyed by natural keys, ready to persist and diff. */

export type IdentityKindName = 'ServiceAccount' | 'CloudIdentity' | 'SpiffeId' | 'User' | 'Group';
export type CredentialKindName =
  | 'LegacyServiceAccountToken'
  | 'ProjectedToken'
  | 'ImagePullSecret'
  | 'TlsCertificate'
  | 'BasicAuth'
  | 'SshAuth'
  | 'BootstrapToken'
  | 'OpaqueSecret';

type Labels = Record<string, string>;

export interface NamespaceRec {
  name: string;
  uid: string | null;
  labels: Labels;
  annotations: Labels;
  /** Names of the NetworkPolicies in the namespace, sorted (empty: nothing restricts its pods' traffic). */
  networkPolicies: string[];
}

export type AdmissionKind =
  | 'ValidatingWebhookConfiguration'
  | 'MutatingWebhookConfiguration'
  | 'ValidatingAdmissionPolicy'
  | 'ValidatingAdmissionPolicyBinding';

/**
 * An admission object of the cluster as the findings need it: what it is and what it intercepts. Only names
 * and rules are kept (never a webhook's CA bundle or URL).
 */
export interface AdmissionPolicyRec {
  kind: AdmissionKind;
  name: string;
  /**
   * The resources it intercepts on create or update, as `resource` or `resource/subresource` (`*` for any),
   * from the webhooks' rules or the policy's matchConstraints; empty for a binding.
   */
  resources: string[];
  /** A webhook configuration: its webhooks' names. */
  webhooks?: string[];
  /** A binding: the policy it binds and its validation actions (Deny, Warn, Audit). */
  policyName?: string;
  validationActions?: string[];
}

export interface PodSpecFacts {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  privilegedContainers?: string[];
  hostPathVolumes?: string[];
  addedCapabilities?: string[];
  /** Secrets the template references that the cluster does not have. */
  missingSecrets?: string[];
}

export interface WorkloadRec {
  key: string;
  namespace: string;
  kind: string;
  name: string;
  uid: string | null;
  serviceAccountName: string;
  automountToken: boolean | null;
  images: string[];
  labels: Labels;
  annotations: Labels;
  podSpecFacts: PodSpecFacts;
  podCount: number;
}

export interface IdentityRec {
  key: string;
  kind: IdentityKindName;
  namespace: string;
  name: string;
  uid: string | null;
  provider: string | null;
  builtIn: boolean;
  automountToken: boolean | null;
  labels: Labels;
  annotations: Labels;
}

export interface IdentityLinkRec {
  from: string;
  to: string;
  kind: string;
  inferred: boolean;
  source: string;
}

export interface WorkloadIdentityRec {
  workload: string;
  identity: string;
}

export interface CredentialRec {
  key: string;
  namespace: string;
  name: string;
  kind: CredentialKindName;
  secretType: string | null;
  uid: string | null;
  identity: string | null;
  createdInClusterAt: string | null;
  expiresAt: string | null;
  /** A rotation time the object states itself (annotations); the store adds the rotations it observes. */
  rotatedAt: string | null;
  /** lib/credentials/classify.ts */
  class: CredentialClass;
  classReason: string;
  resourceVersion: string | null;
  lastUsedAt: string | null;
  lastUsedSource: string | null;
  invalidSince: string | null;
  certificate: CertificateFacts | null;
  /** Allow-listed metadata only (labels, kept annotations, audience/expiry of projected tokens). */
  metadata: Record<string, unknown>;
}

export interface CredentialUseRec {
  credential: string;
  workload: string;
  via: string;
}

export interface RoleRec {
  key: string;
  kind: 'Role' | 'ClusterRole';
  namespace: string;
  name: string;
  uid: string | null;
  rules: unknown[];
  aggregationRule: unknown | null;
  labels: Labels;
}

export interface BindingRec {
  key: string;
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace: string;
  name: string;
  uid: string | null;
  roleRefKind: string;
  roleRefName: string;
  subjects: { kind: string; name: string; namespace?: string; apiGroup?: string }[];
}

export interface OwnerHintRec {
  target: { type: 'workload' | 'identity'; key: string };
  team: string;
  source: string;
}

export interface ClusterFacts {
  nodes: { count: number; names: string[] };
  spiffe: { clusterSpiffeIds: string[]; trustDomain: string };
}

export interface Inventory {
  namespaces: NamespaceRec[];
  workloads: WorkloadRec[];
  identities: IdentityRec[];
  identityLinks: IdentityLinkRec[];
  workloadIdentities: WorkloadIdentityRec[];
  credentials: CredentialRec[];
  credentialUses: CredentialUseRec[];
  roles: RoleRec[];
  bindings: BindingRec[];
  ownerHints: OwnerHintRec[];
  /** Webhook configurations, ValidatingAdmissionPolicies and their bindings, sorted by kind and name. */
  admissionPolicies: AdmissionPolicyRec[];
  facts: ClusterFacts;
}

export const workloadKey = (namespace: string, kind: string, name: string) => `${namespace}/${kind}/${name}`;
export const credentialKey = (namespace: string, kind: CredentialKindName, name: string) => `${namespace}/${kind}/${name}`;

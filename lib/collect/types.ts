import type { CertificateFacts } from '@/lib/credentials/certificate';
import type { CredentialClass } from '@/lib/credentials/classify';
/**
 * The collector's vocabulary. A `ClusterSnapshot` holds the raw objects of one cluster, grouped by
 * resource, exactly as the API server (or a dump) gave them — except Secrets, which are reduced to
 * allow-listed metadata before they are kept anywhere (see sanitize.ts). The pure normaliser turns a
 * snapshot into an `Inventory` (normalize.ts), the store persists inventories with history (store.ts).
 */

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A Secret as the collector keeps it: metadata from the allow-list, its type, and nothing else. */
export interface SecretMeta {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta;
  /** The Secret's type (kubernetes.io/service-account-token, kubernetes.io/tls, Opaque, …) when known. */
  type?: string;
  /**
   * For `kubernetes.io/tls` Secrets read with the opt-in certificate collection: the public facts of
   * `tls.crt`. Never the key, never any other value.
   */
  certificate?: CertificateFacts;
  /** What the data key names of a dumped Opaque Secret say it is (never a key name, never a value). */
  keyClass?: CredentialClass;
}

/** One collected resource: where it is served and whether its objects are read as metadata only. */
export interface ResourceSpec {
  key: ResourceKey;
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Optional APIs (CRDs, newer groups) are skipped with a note when the server does not serve them. */
  optional?: boolean;
}

export interface ClusterSnapshot {
  namespaces: KubeObject[];
  serviceAccounts: KubeObject[];
  secrets: SecretMeta[];
  pods: KubeObject[];
  replicaSets: KubeObject[];
  deployments: KubeObject[];
  statefulSets: KubeObject[];
  daemonSets: KubeObject[];
  jobs: KubeObject[];
  cronJobs: KubeObject[];
  replicationControllers: KubeObject[];
  roles: KubeObject[];
  clusterRoles: KubeObject[];
  roleBindings: KubeObject[];
  clusterRoleBindings: KubeObject[];
  nodes: KubeObject[];
  networkPolicies: KubeObject[];
  validatingAdmissionPolicies: KubeObject[];
  validatingAdmissionPolicyBindings: KubeObject[];
  validatingWebhookConfigurations: KubeObject[];
  mutatingWebhookConfigurations: KubeObject[];
  clusterSpiffeIds: KubeObject[];
}

export type ResourceKey = keyof ClusterSnapshot;

/** A note about something that was not collected (an API the server lacks, a forbidden list, a bad file). */
export interface CollectionNote {
  resource?: ResourceKey | string;
  source?: string;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export function emptySnapshot(): ClusterSnapshot {
  return {
    namespaces: [],
    serviceAccounts: [],
    secrets: [],
    pods: [],
    replicaSets: [],
    deployments: [],
    statefulSets: [],
    daemonSets: [],
    jobs: [],
    cronJobs: [],
    replicationControllers: [],
    roles: [],
    clusterRoles: [],
    roleBindings: [],
    clusterRoleBindings: [],
    nodes: [],
    networkPolicies: [],
    validatingAdmissionPolicies: [],
    validatingAdmissionPolicyBindings: [],
    validatingWebhookConfigurations: [],
    mutatingWebhookConfigurations: [],
    clusterSpiffeIds: [],
  };
}

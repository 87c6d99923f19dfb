import { AppError } from '@/lib/errors';
import type { ResourceKey, ResourceSpec } from './types';

/**
 * Every resource the collector reads, in the order it lists them. Secrets are listed as
 * PartialObjectMetadata (values never leave the API server); everything else as full objects.
 */
export const resources: readonly ResourceSpec[] = [
  { key: 'namespaces', group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { key: 'serviceAccounts', group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  { key: 'secrets', group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { key: 'pods', group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  {
    key: 'replicationControllers',
    group: '',
    version: 'v1',
    plural: 'replicationcontrollers',
    kind: 'ReplicationController',
    namespaced: true,
  },
  { key: 'nodes', group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { key: 'replicaSets', group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  { key: 'deployments', group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { key: 'statefulSets', group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { key: 'daemonSets', group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  { key: 'jobs', group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
  { key: 'cronJobs', group: 'batch', version: 'v1', plural: 'cronjobs', kind: 'CronJob', namespaced: true },
  { key: 'roles', group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  {
    key: 'clusterRoles',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
  },
  {
    key: 'roleBindings',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
  },
  {
    key: 'clusterRoleBindings',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
  },
  {
    key: 'networkPolicies',
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
  {
    key: 'validatingAdmissionPolicies',
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'validatingadmissionpolicies',
    kind: 'ValidatingAdmissionPolicy',
    namespaced: false,
    optional: true,
  },
  {
    key: 'validatingAdmissionPolicyBindings',
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'validatingadmissionpolicybindings',
    kind: 'ValidatingAdmissionPolicyBinding',
    namespaced: false,
    optional: true,
  },
  {
    key: 'validatingWebhookConfigurations',
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
    namespaced: false,
  },
  {
    key: 'mutatingWebhookConfigurations',
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'mutatingwebhookconfigurations',
    kind: 'MutatingWebhookConfiguration',
    namespaced: false,
  },
  {
    key: 'clusterSpiffeIds',
    group: 'spire.spiffe.io',
    version: 'v1alpha1',
    plural: 'clusterspiffeids',
    kind: 'ClusterSPIFFEID',
    namespaced: false,
    optional: true,
  },
];

const byKind = new Map(resources.map((r) => [r.kind, r]));
const byKey = new Map(resources.map((r) => [r.key, r]));

/** The resource a manifest's `kind` belongs to (for imports), if the collector reads it. */
export function resourceForKind(kind: string | undefined): ResourceSpec | undefined {
  return kind ? byKind.get(kind) : undefined;
}

export function resourceSpec(key: ResourceKey): ResourceSpec {
  const spec = byKey.get(key);
  if (!spec) throw new AppError('internal', `unknown resource ${key}`);
  return spec;
}

/** The API path of a resource's collection, cluster-wide. */
export function collectionPath(spec: ResourceSpec): string {
  return spec.group ? `/apis/${spec.group}/${spec.version}/${spec.plural}` : `/api/${spec.version}/${spec.plural}`;
}

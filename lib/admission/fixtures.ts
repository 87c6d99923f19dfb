/** AdmissionReviews as the API server sends them, for the admission tests and the benchmark. */
import { randomUUID } from 'node:crypto';

type Obj = Record<string, unknown>;

const RESOURCES: Record<string, { group: string; version: string; resource: string }> = {
  ServiceAccount: { group: '', version: 'v1', resource: 'serviceaccounts' },
  Pod: { group: '', version: 'v1', resource: 'pods' },
  ConfigMap: { group: '', version: 'v1', resource: 'configmaps' },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles' },
  ClusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  StatefulSet: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  ReplicaSet: { group: 'apps', version: 'v1', resource: 'replicasets' },
  Job: { group: 'batch', version: 'v1', resource: 'jobs' },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs' },
};

/** An admission.k8s.io/v1 AdmissionReview for `object` (its kind, namespace and name taken from it). */
export function admissionReviewOf(
  object: Obj,
  opts: { operation?: string; oldObject?: Obj; dryRun?: boolean; user?: string; uid?: string; subResource?: string } = {},
) {
  const kind = String(object.kind);
  const meta = (object.metadata ?? {}) as Obj;
  const r = RESOURCES[kind] ?? { group: 'example.com', version: 'v1', resource: `${kind.toLowerCase()}s` };
  const operation = opts.operation ?? 'CREATE';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? randomUUID(),
      kind: { group: r.group, version: r.version, kind },
      resource: { group: r.group, version: r.version, resource: r.resource },
      requestKind: { group: r.group, version: r.version, kind },
      requestResource: { group: r.group, version: r.version, resource: r.resource },
      ...(opts.subResource ? { subResource: opts.subResource } : {}),
      name: meta.name,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      operation,
      userInfo: { username: opts.user ?? 'alice@example.com', groups: ['system:authenticated'] },
      object: operation === 'DELETE' ? null : object,
      oldObject: operation === 'DELETE' ? object : (opts.oldObject ?? null),
      dryRun: opts.dryRun ?? false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions' },
    },
  };
}

/** A ClusterRoleBinding of cluster-admin to a ServiceAccount: NHI-POS-001, critical. */
export const clusterAdminBinding = (name = 'ci-admin', sa = { namespace: 'ci', name: 'deployer' }, labels: Obj = {}) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name, labels },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
});

/** An ordinary Deployment: pinned image, own ServiceAccount, owner label; at most low findings. */
export const ordinaryDeployment = (namespace = 'shop', name = 'web', labels: Obj = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels: { app: name, team: 'shop', ...labels } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, team: 'shop', ...labels } },
      spec: {
        serviceAccountName: name,
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'web',
            image: 'registry.example.com/shop/web@sha256:0f3c1e9d1b6a8d7e5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2918070605',
            ports: [{ containerPort: 8080 }],
            securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true },
          },
        ],
      },
    },
  },
});

/** A Deployment running a privileged container with the host's PID namespace: NHI-POS-004, critical. */
export const privilegedDeployment = (namespace = 'shop', name = 'debug') => {
  const d = ordinaryDeployment(namespace, name);
  const spec = d.spec.template.spec as Obj;
  spec.hostPID = true;
  spec.containers = [{ name: 'debug', image: 'busybox:1.36', securityContext: { privileged: true } }];
  return d;
};

export const configMap = (namespace = 'shop', name = 'settings') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { LOG_LEVEL: 'info' },
});

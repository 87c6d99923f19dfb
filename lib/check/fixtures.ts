/** Manifests for the tests of `nhi check` (lib/check/*.test.ts): a small app with one of each problem. */

/** A Helm-rendered chart: a namespace, an account bound to cluster-admin in it, a workload with a literal password. */
export const SHOP = `---
# Source: shop/templates/namespace.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: baseline
---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: shop
  labels:
    team: payments
---
# Source: shop/templates/rbac.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: api-admin
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: api
    namespace: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  labels:
    team: payments
spec:
  template:
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: registry.example.com/shop/api@sha256:4f2d9f5e3c1b0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d
          env:
            - name: DB_PASSWORD
              value: hunter2-not-for-output
---
# Source: shop/templates/networkpolicy.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
`;

/** Nothing at or above high: a labelled workload on its own account, no token, pinned image. */
export const CLEAN = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: site
  labels: { team: web }
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: site
  labels: { team: web }
spec:
  template:
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      containers:
        - name: web
          image: registry.example.com/site/web@sha256:0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c
`;

/** A legacy token Secret (with a value that must never be printed) and a bare Pod on the default account. */
export const LEGACY = `apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: ci-token
  namespace: tools
  annotations:
    kubernetes.io/service-account.name: ci
data:
  token: c2VjcmV0LXRva2VuLXZhbHVl
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: tools
spec:
  containers:
    - name: sh
      image: busybox:1.36
`;

/** A RoleBinding to a ClusterRole that only the cluster holds (cluster context). */
export const BIND_EXISTING = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reporter-reads
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: secret-reader
subjects:
  - kind: ServiceAccount
    name: reporter
    namespace: shop
`;

/**
 * The collected cluster BIND_EXISTING is judged against (`nhi import` it as cluster.json): namespace shop, its
 * account reporter, and the ClusterRole secret-reader that reads every Secret.
 */
export const SECRET_READER_CLUSTER = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reporter', namespace: 'shop' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }],
    },
  ],
});

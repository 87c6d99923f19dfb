import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ManifestObject } from '../../lib/corpus/index';

/**
 * Our own realistic workloads: four teams' namespaces with owners, ServiceAccounts (cloud workload
 * identities, automount off, a legacy token), mounted secrets, env secretKeyRefs and image pull
 * secrets. Every secret value that matters is a canary: random, made at seed time, recorded only
 * in the cluster state dir, so tests can prove no value ever reaches the database, logs or exports.
 */

/** Prefix of every canary value: lets a test grep for any canary even without the record. */
export const CANARY_PREFIX = 'nhicanary';

export interface Canary {
  /** Where it is planted: `<namespace>/<secret>#<key>` or `...@last-applied`. */
  where: string;
  value: string;
  /** Exact strings that must never appear anywhere: the value and the encodings the API serves it in. */
  needles: string[];
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const newCanary = () => `${CANARY_PREFIX}${randomBytes(16).toString('hex')}`;

/** The secret values of the demo, generated once per cluster and kept in canaries.json. */
export interface DemoSecrets {
  paymentsDbPassword: string;
  paymentsRegistryPassword: string;
  stripeApiKey: string;
  checkoutRegistryPassword: string;
  warehousePassword: string;
  slackWebhookToken: string;
  /** A real short-lived self-signed certificate and its key (PEM), so expiry can be judged. */
  checkoutTlsCert: string;
  checkoutTlsKey: string;
}

export function newDemoSecrets(): DemoSecrets {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-demo-tls-'));
  try {
    const key = path.join(dir, 'tls.key');
    const crt = path.join(dir, 'tls.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '20',
        '-subj',
        '/O=Example Shop/CN=checkout.shop.example.com',
        '-addext',
        'subjectAltName=DNS:checkout.shop.example.com',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return {
      paymentsDbPassword: newCanary(),
      paymentsRegistryPassword: newCanary(),
      stripeApiKey: newCanary(),
      checkoutRegistryPassword: newCanary(),
      warehousePassword: newCanary(),
      slackWebhookToken: newCanary(),
      checkoutTlsCert: readFileSync(crt, 'utf8'),
      checkoutTlsKey: readFileSync(key, 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const DEMO_NAMESPACES = ['payments', 'checkout', 'data-platform', 'monitoring'] as const;

const TEAMS: Record<(typeof DEMO_NAMESPACES)[number], { team: string; owner: string; contact: string; description: string }> = {
  payments: {
    team: 'payments',
    owner: 'maria.garcia',
    contact: 'payments-oncall@shop.example.com',
    description: 'Card payments and refunds',
  },
  checkout: {
    team: 'storefront',
    owner: 'kenji.sato',
    contact: 'storefront@shop.example.com',
    description: 'Checkout web and order workers',
  },
  'data-platform': {
    team: 'data',
    owner: 'amara.okafor',
    contact: 'data-platform@shop.example.com',
    description: 'Warehouse and nightly ETL',
  },
  monitoring: { team: 'sre', owner: 'lukas.brandt', contact: 'sre@shop.example.com', description: 'Metrics and alert routing' },
};

function dockerConfig(registry: string, user: string, password: string): string {
  return JSON.stringify({ auths: { [registry]: { username: user, password, auth: b64(`${user}:${password}`) } } });
}

/** The canaries planted by demoObjects(), with every form a leak could take. */
export function demoCanaries(s: DemoSecrets): Canary[] {
  const paymentsPull = dockerConfig('registry.shop.example.com', 'payments-ci', s.paymentsRegistryPassword);
  const checkoutPull = dockerConfig('registry.shop.example.com', 'storefront-ci', s.checkoutRegistryPassword);
  const warehouseUrl = `postgres://etl:${s.warehousePassword}@warehouse-db.data-platform.svc:5432/warehouse`;
  const slackUrl = `https://hooks.slack.com/services/T0SHOP/B0ALERTS/${s.slackWebhookToken}`;
  const keyLine = s.checkoutTlsKey.split('\n').find((l) => l.length >= 40 && !l.startsWith('-----')) ?? s.checkoutTlsKey;
  return [
    {
      where: 'payments/payments-db#password',
      value: s.paymentsDbPassword,
      needles: [s.paymentsDbPassword, b64(s.paymentsDbPassword)],
    },
    { where: 'payments/payments-db@last-applied', value: s.paymentsDbPassword, needles: [b64(s.paymentsDbPassword)] },
    {
      where: 'payments/payments-registry#.dockerconfigjson',
      value: s.paymentsRegistryPassword,
      needles: [s.paymentsRegistryPassword, b64(paymentsPull)],
    },
    { where: 'checkout/stripe-api-key#api-key', value: s.stripeApiKey, needles: [s.stripeApiKey, b64(s.stripeApiKey)] },
    { where: 'checkout/stripe-api-key@last-applied', value: s.stripeApiKey, needles: [s.stripeApiKey] },
    {
      where: 'checkout/registry-pull#.dockerconfigjson',
      value: s.checkoutRegistryPassword,
      needles: [s.checkoutRegistryPassword, b64(checkoutPull)],
    },
    { where: 'checkout/checkout-tls#tls.key', value: keyLine, needles: [keyLine, b64(s.checkoutTlsKey)] },
    {
      where: 'data-platform/warehouse-db-credentials#password,DATABASE_URL',
      value: s.warehousePassword,
      needles: [s.warehousePassword, b64(s.warehousePassword), b64(warehouseUrl)],
    },
    {
      where: 'monitoring/alert-router-webhook#slack-url',
      value: s.slackWebhookToken,
      needles: [s.slackWebhookToken, b64(slackUrl)],
    },
  ];
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Obj = ManifestObject & {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

function namespace(name: (typeof DEMO_NAMESPACES)[number]): Obj {
  const t = TEAMS[name];
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { team: t.team, environment: 'production', 'app.kubernetes.io/part-of': 'shop', 'nhi.dev/seed': 'demo' },
      annotations: {
        'nhi.dev/owner': t.owner,
        'nhi.dev/team': t.team,
        'nhi.dev/contact': t.contact,
        'nhi.dev/description': t.description,
      },
    },
  };
}

function labels(ns: (typeof DEMO_NAMESPACES)[number], app: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/part-of': 'shop',
    team: TEAMS[ns].team,
    owner: TEAMS[ns].owner,
    ...extra,
  };
}

function sa(
  ns: (typeof DEMO_NAMESPACES)[number],
  name: string,
  extra: Partial<Obj> & { annotations?: Record<string, string> } = {},
): Obj {
  const { annotations, ...rest } = extra;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: ns, labels: labels(ns, name), ...(annotations ? { annotations } : {}) },
    ...rest,
  };
}

function secret(
  ns: (typeof DEMO_NAMESPACES)[number],
  name: string,
  type: string,
  stringData: Record<string, string>,
  app: string,
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type,
    metadata: { name, namespace: ns, labels: labels(ns, app) },
    data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, b64(v)])),
  };
}

/** What `kubectl apply` leaves on an object: the applied manifest, values included. */
function withLastApplied(obj: Obj, applied: Record<string, unknown>): Obj {
  const manifest = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace },
    ...applied,
  };
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [LAST_APPLIED]: `${JSON.stringify(manifest)}\n` };
  return obj;
}

function legacyToken(ns: (typeof DEMO_NAMESPACES)[number], name: string, account: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: {
      name,
      namespace: ns,
      labels: labels(ns, account),
      annotations: { 'kubernetes.io/service-account.name': account },
    },
  };
}

interface PodOpts {
  sa: string;
  image: string;
  env?: Record<string, unknown>[];
  envFrom?: Record<string, unknown>[];
  volumes?: Record<string, unknown>[];
  mounts?: Record<string, unknown>[];
  pullSecrets?: string[];
  podLabels?: Record<string, string>;
  automount?: boolean;
}

function podTemplate(ns: (typeof DEMO_NAMESPACES)[number], app: string, o: PodOpts): Record<string, unknown> {
  return {
    metadata: { labels: labels(ns, app, o.podLabels) },
    spec: {
      serviceAccountName: o.sa,
      ...(o.automount === undefined ? {} : { automountServiceAccountToken: o.automount }),
      ...(o.pullSecrets ? { imagePullSecrets: o.pullSecrets.map((name) => ({ name })) } : {}),
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: app,
          image: o.image,
          ...(o.env ? { env: o.env } : {}),
          ...(o.envFrom ? { envFrom: o.envFrom } : {}),
          ...(o.mounts ? { volumeMounts: o.mounts } : {}),
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
      ...(o.volumes ? { volumes: o.volumes } : {}),
    },
  };
}

function deployment(ns: (typeof DEMO_NAMESPACES)[number], name: string, replicas: number, o: PodOpts): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: labels(ns, name) },
    spec: { replicas, selector: { matchLabels: { 'app.kubernetes.io/name': name } }, template: podTemplate(ns, name, o) },
  };
}

function cronJob(ns: (typeof DEMO_NAMESPACES)[number], name: string, schedule: string, o: PodOpts): Obj {
  const template = podTemplate(ns, name, o) as { spec: Record<string, unknown> };
  template.spec.restartPolicy = 'OnFailure';
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns, labels: labels(ns, name) },
    spec: { schedule, concurrencyPolicy: 'Forbid', jobTemplate: { spec: { backoffLimit: 2, template } } },
  };
}

const secretEnv = (envName: string, secretName: string, key: string) => ({
  name: envName,
  valueFrom: { secretKeyRef: { name: secretName, key } },
});
const secretVolume = (name: string, secretName: string) => ({ name, secret: { secretName, defaultMode: 0o400 } });
const mount = (name: string, mountPath: string) => ({ name, mountPath, readOnly: true });

function rbac(
  kind: 'Role' | 'ClusterRole',
  name: string,
  ns: string | undefined,
  rules: Record<string, unknown>[],
  team: string,
): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}), labels: { team, 'nhi.dev/seed': 'demo' } },
    rules,
  };
}

function binding(
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  ns: string | undefined,
  role: { kind: 'Role' | 'ClusterRole'; name: string },
  subject: { namespace: string; name: string },
  team: string,
): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}), labels: { team, 'nhi.dev/seed': 'demo' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace }],
  };
}

const IMAGE = (repo: string, tag: string) => `registry.shop.example.com/${repo}:${tag}`;

/** All demo objects, namespaces first. */
export function demoObjects(s: DemoSecrets): Obj[] {
  const paymentsPull = dockerConfig('registry.shop.example.com', 'payments-ci', s.paymentsRegistryPassword);
  const checkoutPull = dockerConfig('registry.shop.example.com', 'storefront-ci', s.checkoutRegistryPassword);
  const warehouseUrl = `postgres://etl:${s.warehousePassword}@warehouse-db.data-platform.svc:5432/warehouse`;
  const slackUrl = `https://hooks.slack.com/services/T0SHOP/B0ALERTS/${s.slackWebhookToken}`;

  const paymentsDb = secret(
    'payments',
    'payments-db',
    'Opaque',
    { username: 'payments', password: s.paymentsDbPassword },
    'payments-api',
  );
  // Applied with `data:` (base64) by kubectl: the annotation keeps the encoded value.
  withLastApplied(paymentsDb, { type: 'Opaque', data: paymentsDb.data });
  const stripe = secret('checkout', 'stripe-api-key', 'Opaque', { 'api-key': s.stripeApiKey }, 'checkout-web');
  // Applied with `stringData:` by kubectl: the annotation keeps the plain value.
  withLastApplied(stripe, { type: 'Opaque', stringData: { 'api-key': s.stripeApiKey } });

  return [
    ...DEMO_NAMESPACES.map(namespace),

    // payments: an AWS IRSA identity, a batch SA without automount, a legacy token kept "for the old CI".
    sa('payments', 'payments-api', {
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/payments-api' },
    }),
    sa('payments', 'payments-batch', { automountServiceAccountToken: false }),
    paymentsDb,
    secret(
      'payments',
      'payments-registry',
      'kubernetes.io/dockerconfigjson',
      { '.dockerconfigjson': paymentsPull },
      'payments-api',
    ),
    legacyToken('payments', 'payments-api-legacy-token', 'payments-api'),
    rbac(
      'Role',
      'payments-api',
      'payments',
      [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['payments-db'], verbs: ['get'] },
      ],
      'payments',
    ),
    binding(
      'RoleBinding',
      'payments-api',
      'payments',
      { kind: 'Role', name: 'payments-api' },
      { namespace: 'payments', name: 'payments-api' },
      'payments',
    ),
    deployment('payments', 'payments-api', 2, {
      sa: 'payments-api',
      image: IMAGE('payments/api', '1.42.0'),
      pullSecrets: ['payments-registry'],
      env: [secretEnv('DB_PASSWORD', 'payments-db', 'password'), { name: 'AWS_REGION', value: 'eu-west-1' }],
      volumes: [secretVolume('db', 'payments-db')],
      mounts: [mount('db', '/etc/payments/db')],
    }),
    cronJob('payments', 'payments-reconcile', '15 2 * * *', {
      sa: 'payments-batch',
      image: IMAGE('payments/reconcile', '1.42.0'),
      pullSecrets: ['payments-registry'],
      env: [secretEnv('DB_PASSWORD', 'payments-db', 'password')],
    }),

    // checkout: a GKE workload identity, an Azure workload identity with too much power (edit).
    sa('checkout', 'checkout-web', {
      annotations: { 'iam.gke.io/gcp-service-account': 'checkout-web@shop-prod.iam.gserviceaccount.com' },
    }),
    sa('checkout', 'checkout-worker', {
      annotations: {
        'azure.workload.identity/client-id': '6a3b1f0e-8c2d-4e5f-9a7b-1c2d3e4f5a6b',
        'azure.workload.identity/tenant-id': '0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
      },
    }),
    stripe,
    secret('checkout', 'registry-pull', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': checkoutPull }, 'checkout-web'),
    secret(
      'checkout',
      'checkout-tls',
      'kubernetes.io/tls',
      { 'tls.crt': s.checkoutTlsCert, 'tls.key': s.checkoutTlsKey },
      'checkout-web',
    ),
    binding(
      'RoleBinding',
      'checkout-worker-edit',
      'checkout',
      { kind: 'ClusterRole', name: 'edit' },
      { namespace: 'checkout', name: 'checkout-worker' },
      'storefront',
    ),
    deployment('checkout', 'checkout-web', 3, {
      sa: 'checkout-web',
      image: IMAGE('storefront/checkout-web', '7.3.1'),
      pullSecrets: ['registry-pull'],
      envFrom: [{ secretRef: { name: 'stripe-api-key' } }],
      volumes: [secretVolume('tls', 'checkout-tls')],
      mounts: [mount('tls', '/etc/tls')],
    }),
    deployment('checkout', 'checkout-worker', 1, {
      sa: 'checkout-worker',
      image: IMAGE('storefront/order-worker', '7.3.1'),
      pullSecrets: ['registry-pull'],
      podLabels: { 'azure.workload.identity/use': 'true' },
      env: [secretEnv('STRIPE_API_KEY', 'stripe-api-key', 'api-key')],
    }),

    // data-platform: a database without an API token, an ETL job that can read every Secret in the cluster.
    sa('data-platform', 'warehouse-db', { automountServiceAccountToken: false }),
    sa('data-platform', 'etl-runner'),
    secret(
      'data-platform',
      'warehouse-db-credentials',
      'Opaque',
      { password: s.warehousePassword, DATABASE_URL: warehouseUrl },
      'warehouse-db',
    ),
    legacyToken('data-platform', 'etl-runner-token', 'etl-runner'),
    rbac(
      'ClusterRole',
      'data-platform:secret-reader',
      undefined,
      [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }],
      'data',
    ),
    binding(
      'ClusterRoleBinding',
      'data-platform:etl-runner-secret-reader',
      undefined,
      { kind: 'ClusterRole', name: 'data-platform:secret-reader' },
      { namespace: 'data-platform', name: 'etl-runner' },
      'data',
    ),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'warehouse-db', namespace: 'data-platform', labels: labels('data-platform', 'warehouse-db') },
      spec: {
        clusterIP: 'None',
        selector: { 'app.kubernetes.io/name': 'warehouse-db' },
        ports: [{ name: 'postgres', port: 5432 }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'warehouse-db', namespace: 'data-platform', labels: labels('data-platform', 'warehouse-db') },
      spec: {
        serviceName: 'warehouse-db',
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'warehouse-db' } },
        template: podTemplate('data-platform', 'warehouse-db', {
          sa: 'warehouse-db',
          image: 'docker.io/library/postgres:17.6',
          env: [secretEnv('POSTGRES_PASSWORD', 'warehouse-db-credentials', 'password')],
          volumes: [secretVolume('credentials', 'warehouse-db-credentials')],
          mounts: [mount('credentials', '/etc/warehouse')],
        }),
      },
    },
    cronJob('data-platform', 'nightly-etl', '0 3 * * *', {
      sa: 'etl-runner',
      image: IMAGE('data/etl', '2026.11.2'),
      env: [secretEnv('DATABASE_URL', 'warehouse-db-credentials', 'DATABASE_URL')],
    }),

    // monitoring: a cluster-wide reader, an alert router holding a webhook URL, an orphaned legacy token.
    sa('monitoring', 'metrics-agent'),
    sa('monitoring', 'alert-router'),
    sa('monitoring', 'legacy-exporter', {
      annotations: { 'nhi.dev/note': 'replaced by metrics-agent in 2024; token still around' },
    }),
    legacyToken('monitoring', 'legacy-exporter-token', 'legacy-exporter'),
    secret('monitoring', 'alert-router-webhook', 'Opaque', { 'slack-url': slackUrl }, 'alert-router'),
    rbac(
      'ClusterRole',
      'monitoring:metrics-agent',
      undefined,
      [
        { apiGroups: [''], resources: ['pods', 'nodes', 'services', 'endpoints', 'namespaces'], verbs: ['get', 'list', 'watch'] },
        { nonResourceURLs: ['/metrics'], verbs: ['get'] },
      ],
      'sre',
    ),
    binding(
      'ClusterRoleBinding',
      'monitoring:metrics-agent',
      undefined,
      { kind: 'ClusterRole', name: 'monitoring:metrics-agent' },
      { namespace: 'monitoring', name: 'metrics-agent' },
      'sre',
    ),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'metrics-agent', namespace: 'monitoring', labels: labels('monitoring', 'metrics-agent') },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'metrics-agent' } },
        template: podTemplate('monitoring', 'metrics-agent', {
          sa: 'metrics-agent',
          image: 'quay.io/prometheus/node-exporter:v1.10.2',
        }),
      },
    },
    deployment('monitoring', 'alert-router', 1, {
      sa: 'alert-router',
      image: IMAGE('sre/alert-router', '0.9.4'),
      env: [secretEnv('SLACK_WEBHOOK_URL', 'alert-router-webhook', 'slack-url')],
    }),
  ];
}

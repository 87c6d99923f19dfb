/**
 * Records the demo's runtime events from the real test cluster: starts and seeds it as record-demo.ts does,
 * then acts as four demo ServiceAccounts whose workloads are in the demo dataset, each with a real token
 * from the TokenRequest API bound to a real Pod of its workload (the Pods the controller-manager made; they
 * stay Pending without a kubelet). The API server's own audit log of those calls is what gets bundled:
 *
 *   payments/payments-api        a normal app (2 replicas): lists and watches its ConfigMaps, reads its one Secret
 *   checkout/checkout-worker     a controller (edit in its namespace): leader-election Lease, lists/watches Pods
 *                                and Jobs; then its token is used by a person with kubectl's user agent
 *   data-platform/etl-runner     broad rights (reads every Secret in the cluster): a run of the nightly-etl CronJob
 *   monitoring/alert-router      no RBAC: its token probes for permissions with curl; denied but for what any account may
 *   checkout/checkout-web        tokens issued for its 3 Pods (as a kubelet does) and never used
 *
 * The user agents are set by this script to what such clients send; the source address is whatever the API
 * server saw (loopback). Every call, its outcome (allowed, 403, 404) and the audit record are real.
 *
 * Written: lib/demo/data/demo-audit.jsonl.gz, only the audit events of those identities since the script
 * began, and the TokenRequests that minted their tokens. Request and response bodies are removed from every
 * line except, on a `serviceaccounts/token` create, the request's `spec` and the response's
 * `status.expirationTimestamp` (what lib/runtime/audit.ts reads); the token itself (`status.token`) never.
 * Before writing, it refuses if any token it obtained, any JWT-looking string, a `"token":` field or a
 * planted canary value appears in the output, or if the app's parser rejects a line.
 *
 * Also written: lib/demo/data/demo-falco.jsonl, a few SYNTHETIC Falco alerts (there is no Falco, nor a
 * node, in the test cluster) in Falco's JSON output format, for the alert-router Pod whose token did the
 * probing, timed just before its calls. Each carries the tag `synthetic` so the app shows it for what it is.
 *
 *   node --import tsx scripts/record-demo-audit.ts
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  auditLogOffset,
  canaryNeedles,
  ensureCluster,
  eventually,
  readAuditEvents,
  seedCluster,
  serviceAccountToken,
  type AuditEvent,
} from '@/e2e/cluster/harness';
import { tokenClient, type Answer } from '@/e2e/cluster/as-token';
import { demoAuditFile, demoFalcoFile } from '@/lib/demo/load';
import { parseRuntimeText } from '@/lib/runtime/parse';

const cluster = await ensureCluster();
await seedCluster(cluster);
const kc = adminKubeConfig(cluster);
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const client = tokenClient(cluster);

interface Pod {
  namespace: string;
  name: string;
  uid: string;
}

/** The Pods of a workload (by its app label), oldest name first; waits for the controller-manager to make them. */
async function podsOf(namespace: string, app: string, count: number): Promise<Pod[]> {
  return eventually(`${count} pod(s) of ${namespace}/${app}`, async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${app}` });
    const pods = list.items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => ({ namespace, name: p.metadata!.name!, uid: p.metadata!.uid! }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return pods.length >= count ? pods.slice(0, count) : undefined;
  });
}

/**
 * A run of the nightly-etl CronJob, made as `kubectl create job --from=cronjob/nightly-etl` does (owned by the
 * CronJob, annotated as manual) and named as the CronJob controller names its Jobs (the scheduled minute), so
 * its Pod is recognisably the CronJob's. Reused when this script runs again.
 */
async function etlRunPod(): Promise<Pod> {
  const namespace = 'data-platform';
  const cron = await batch.readNamespacedCronJob({ namespace, name: 'nightly-etl' });
  const existing = (await batch.listNamespacedJob({ namespace })).items.find((j) =>
    j.metadata?.ownerReferences?.some((o) => o.uid === cron.metadata!.uid),
  );
  if (!existing) {
    const lastRun = new Date();
    if (lastRun.getUTCHours() < 3) lastRun.setUTCDate(lastRun.getUTCDate() - 1);
    lastRun.setUTCHours(3, 0, 0, 0);
    const template = cron.spec!.jobTemplate;
    await batch.createNamespacedJob({
      namespace,
      body: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: `nightly-etl-${Math.floor(lastRun.getTime() / 60_000)}`,
          namespace,
          labels: template.metadata?.labels,
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: 'nightly-etl',
              uid: cron.metadata!.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: template.spec,
      },
    });
  }
  return eventually('the pod of the nightly-etl run', async () => {
    const pods = (await core.listNamespacedPod({ namespace })).items.filter((p) =>
      /^nightly-etl-\d+-[a-z0-9]{5}$/.test(p.metadata!.name!),
    );
    const p = pods.find((x) => !x.metadata?.deletionTimestamp);
    return p ? { namespace, name: p.metadata!.name!, uid: p.metadata!.uid! } : undefined;
  });
}

const payments = await podsOf('payments', 'payments-api', 2);
const [worker] = await podsOf('checkout', 'checkout-worker', 1);
const web = await podsOf('checkout', 'checkout-web', 3);
const [router] = await podsOf('monitoring', 'alert-router', 1);
const etl = await etlRunPod();
// Any kube-system Pod name for the exec probes (authorization refuses before the name matters).
const systemPod =
  (await core.listNamespacedPod({ namespace: 'kube-system' })).items[0]?.metadata?.name ?? 'coredns-5d78c9869d-x2k4p';

// Everything after this offset is this run's.
const offset = auditLogOffset(cluster);
const started = new Date();

/** Tokens obtained (kept in memory only, to prove none reaches the output). */
const tokens: string[] = [];
/** Calls made per ServiceAccount username: the audit log must show a ResponseComplete for each. */
const calls = new Map<string, number>();

interface Actor {
  username: string;
  pod: Pod;
  token: string;
}

/** A token for the Pod's ServiceAccount, bound to the Pod, as a kubelet asks for one (audience of the API, ~1 h). */
async function actorFor(pod: Pod, serviceAccount: string): Promise<Actor> {
  const { token } = await serviceAccountToken(cluster, pod.namespace, serviceAccount, {
    expirationSeconds: 3607,
    boundObject: { kind: 'Pod', name: pod.name, uid: pod.uid },
  });
  tokens.push(token);
  return { username: `system:serviceaccount:${pod.namespace}:${serviceAccount}`, pod, token };
}

/** One API call as the actor with the given user agent; the body is read (and dropped) to the end. */
async function call(actor: Actor, userAgent: string, method: string, uri: string, body?: unknown): Promise<Answer> {
  calls.set(actor.username, (calls.get(actor.username) ?? 0) + 1);
  return client.call(actor.token, userAgent, method, uri, body);
}

const resourceVersionOf = (a: Answer) => ((a.json?.metadata ?? {}) as { resourceVersion?: string }).resourceVersion ?? '0';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');

const ua = {
  payments: 'payments-api/v1.42.0 (linux/amd64) kubernetes/4f1c2ab',
  worker: 'order-worker/v7.3.1 (linux/amd64) kubernetes/9b3e0d7',
  etl: 'OpenAPI-Generator/31.0.0/python',
  curl: 'curl/8.14.1',
  kubectl: 'kubectl/v1.35.0 (linux/amd64) kubernetes/abc123',
};

// Tokens as the kubelet would ask for them when starting each Pod (checkout-web's are never used).
const asPayments = [await actorFor(payments[0]!, 'payments-api'), await actorFor(payments[1]!, 'payments-api')];
const asWorker = await actorFor(worker!, 'checkout-worker');
for (const pod of web) await actorFor(pod, 'checkout-web');
const asRouter = await actorFor(router!, 'alert-router');
const asEtl = await actorFor(etl, 'etl-runner');

// --- round 0: start-up. Informers list, then watch; the controller takes its leader-election Lease.
const paymentsLists = await Promise.all(
  asPayments.map(async (a) => {
    const list = await call(a, ua.payments, 'GET', '/api/v1/namespaces/payments/configmaps?limit=500');
    await call(a, ua.payments, 'GET', '/api/v1/namespaces/payments/secrets/payments-db');
    return list;
  }),
);
const lease = '/apis/coordination.k8s.io/v1/namespaces/checkout/leases/order-worker-leader';
const holder = `${worker!.name}_${randomUUID()}`;
const existingLease = (await call(asWorker, ua.worker, 'GET', lease)).json;
if (existingLease?.kind !== 'Lease') {
  await call(asWorker, ua.worker, 'POST', '/apis/coordination.k8s.io/v1/namespaces/checkout/leases', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'order-worker-leader', namespace: 'checkout' },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      acquireTime: microTime(),
      renewTime: microTime(),
      leaseTransitions: 0,
    },
  });
}
const workerPods = await call(asWorker, ua.worker, 'GET', '/api/v1/namespaces/checkout/pods?limit=500');
const workerJobs = await call(asWorker, ua.worker, 'GET', '/apis/batch/v1/namespaces/checkout/jobs?limit=500');

/** The controller renews its Lease (read, then update) as client-go's leader election does. */
async function renewLease(): Promise<void> {
  const current = (await call(asWorker, ua.worker, 'GET', lease)).json;
  if (!current || current.kind !== 'Lease') return;
  const spec = (current.spec ?? {}) as Record<string, unknown>;
  const transitions = spec.holderIdentity === holder ? (spec.leaseTransitions ?? 0) : Number(spec.leaseTransitions ?? 0) + 1;
  const renewed = {
    ...current,
    spec: { ...spec, holderIdentity: holder, renewTime: microTime(), leaseTransitions: transitions },
  };
  await call(asWorker, ua.worker, 'PUT', lease, renewed);
}

/** Each round: the informers' watches (closed by the server after a few seconds) and a Lease renewal. */
async function steadyWork(): Promise<void> {
  await Promise.all([
    ...asPayments.map((a, i) =>
      call(
        a,
        ua.payments,
        'GET',
        `/api/v1/namespaces/payments/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=${resourceVersionOf(paymentsLists[i]!)}`,
      ),
    ),
    call(
      asWorker,
      ua.worker,
      'GET',
      `/api/v1/namespaces/checkout/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=${resourceVersionOf(workerPods)}`,
    ),
    call(
      asWorker,
      ua.worker,
      'GET',
      `/apis/batch/v1/namespaces/checkout/jobs?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=${resourceVersionOf(workerJobs)}`,
    ),
    renewLease(),
  ]);
}

await steadyWork();

// --- round 1: the ETL run reads its database credentials, then (its ClusterRole allows it) every Secret in
// the cluster and another team's database password; writing its checkpoint is denied.
await call(asEtl, ua.etl, 'GET', '/api/v1/namespaces/data-platform/secrets/warehouse-db-credentials');
await call(asEtl, ua.etl, 'GET', '/api/v1/secrets');
await call(asEtl, ua.etl, 'GET', '/api/v1/namespaces/payments/secrets/payments-db');
await call(asEtl, ua.etl, 'GET', '/api/v1/namespaces/checkout/secrets/stripe-api-key');
await call(asEtl, ua.etl, 'POST', '/api/v1/namespaces/data-platform/configmaps', {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'etl-checkpoint', namespace: 'data-platform' },
  data: { lastRun: new Date().toISOString() },
});
await call(asWorker, ua.worker, 'GET', '/api/v1/namespaces/checkout/secrets/stripe-api-key');
await steadyWork();

// --- round 2: someone copied checkout-worker's token out of its Pod and uses it with kubectl.
const kubectl = (method: string, uri: string, body?: unknown) => call(asWorker, ua.kubectl, method, uri, body);
await kubectl('GET', '/api');
await kubectl('GET', '/apis');
await kubectl('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SelfSubjectRulesReview',
  spec: { namespace: 'checkout' },
});
await kubectl('GET', '/api/v1/namespaces/checkout/secrets?limit=500');
await kubectl('GET', '/api/v1/namespaces/checkout/secrets/stripe-api-key');
await kubectl('GET', '/api/v1/secrets?limit=500');
await kubectl('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SelfSubjectAccessReview',
  spec: { resourceAttributes: { namespace: 'kube-system', verb: 'create', resource: 'pods', subresource: 'exec' } },
});
await kubectl('GET', `/api/v1/namespaces/kube-system/pods/${systemPod}`);
await kubectl('GET', '/api/v1/namespaces/kube-system/pods?limit=500');
await sleep(3000);
await steadyWork();

// --- round 3: the alert-router Pod's own token probes with curl: what may I do, Secrets, exec, new Pods.
const falcoAt: Date[] = [new Date(Date.now() - 6000), new Date(Date.now() - 2500), new Date(Date.now() - 900)];
const curl = (method: string, uri: string, body?: unknown) => call(asRouter, ua.curl, method, uri, body);
await curl('GET', '/version');
await curl('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
  apiVersion: 'authorization.k8s.io/v1',
  kind: 'SelfSubjectRulesReview',
  spec: { namespace: 'monitoring' },
});
await curl('GET', '/api/v1/namespaces/monitoring/secrets/alert-router-webhook');
await curl('GET', '/api/v1/namespaces/monitoring/secrets');
await curl('GET', '/api/v1/secrets');
await curl('GET', '/api/v1/namespaces/kube-system/secrets');
await curl('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings');
await curl('POST', `/api/v1/namespaces/kube-system/pods/${systemPod}/exec?command=sh&stdin=true&stdout=true&tty=true`);
await curl('POST', '/api/v1/namespaces/kube-system/pods', {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'debug', namespace: 'kube-system' },
  spec: { hostPID: true, containers: [{ name: 'debug', image: 'docker.io/library/alpine:3.22', command: ['sleep', '3600'] }] },
});
await steadyWork();
await client.close();

// --- the audit log: this run's events of those identities, and the TokenRequests for them.
const identities = new Set([...calls.keys(), 'system:serviceaccount:checkout:checkout-web']);
const saOf = (e: AuditEvent) => `system:serviceaccount:${e.objectRef?.namespace}:${e.objectRef?.name}`;
const isTokenRequest = (e: AuditEvent) =>
  e.verb === 'create' && e.objectRef?.resource === 'serviceaccounts' && e.objectRef.subresource === 'token';
const ours = (e: AuditEvent) => identities.has(e.user?.username ?? '') || (isTokenRequest(e) && identities.has(saOf(e)));
const events = await eventually(
  'the audit log to hold every call of this run',
  () => {
    const found = readAuditEvents(cluster, offset).filter(ours);
    const complete = (u: string) => found.filter((e) => e.user?.username === u && e.stage === 'ResponseComplete').length;
    const minted = found.filter((e) => isTokenRequest(e) && e.stage === 'ResponseComplete').length;
    return [...calls].every(([u, n]) => complete(u) >= n) && minted >= tokens.length ? found : undefined;
  },
  30_000,
);

/** A line without bodies; a TokenRequest keeps its request spec and the expiry of the token, not the token. */
function stripped(e: AuditEvent): AuditEvent {
  const { requestObject, responseObject, ...rest } = e;
  if (!isTokenRequest(e)) return rest as AuditEvent;
  const spec = (requestObject as { spec?: unknown } | undefined)?.spec;
  const expirationTimestamp = (responseObject as { status?: { expirationTimestamp?: string } } | undefined)?.status
    ?.expirationTimestamp;
  return {
    ...rest,
    ...(spec ? { requestObject: { spec } } : {}),
    ...(expirationTimestamp ? { responseObject: { status: { expirationTimestamp } } } : {}),
  } as AuditEvent;
}

const lines = events.map((e) => JSON.stringify(stripped(e)));
const text = `${lines.join('\n')}\n`;

// --- SYNTHETIC Falco alerts (no Falco runs here): what Falco's default rules would report from the
// alert-router container while its token was probing: a shell started by the app, curl, a connection to the API.
// The container id, addresses, user and node name are made up; the pod is the one the token was bound to.
const container = { id: '3f2a9c1d7e4b', image: 'registry.shop.example.com/sre/alert-router', tag: '0.9.4' };
const falcoTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1482913Z');
const clock = (d: Date) => `${d.toISOString().slice(11, 23)}482913`;
const info = `container_id=${container.id} container_image=${container.image} container_image_tag=${container.tag} container_name=alert-router k8s_ns=monitoring k8s_pod_name=${router!.name}`;
const common = {
  'container.id': container.id,
  'container.image.repository': container.image,
  'container.image.tag': container.tag,
  'container.name': 'alert-router',
  'k8s.ns.name': 'monitoring',
  'k8s.pod.name': router!.name,
  'user.loginuid': -1,
  'user.name': 'alertrouter',
  'user.uid': 10001,
};
/** Falco's output line: the rule's text with its fields, then what `append_output` adds for a container. */
const output = (at: Date, priority: string, text: string, fields: string) =>
  `${clock(at)}: ${priority} ${text} | ${fields} ${info}`;
const by = (process: string, exepath: string, parent: string, command: string) =>
  `user=alertrouter user_uid=10001 user_loginuid=-1 process=${process} proc_exepath=${exepath} parent=${parent} command=${command} terminal=0`;
// The header comes from a file (`-H @file`): the command line names no token.
const probe =
  'curl -s --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt -H @/tmp/.h https://kubernetes.default.svc/version';
const alerts = [
  {
    // The alert-router process itself starts a shell: what a remote code execution in it looks like.
    rule: 'Run shell untrusted',
    at: falcoAt[0]!,
    tags: ['maturity_stable', 'host', 'container', 'process', 'shell', 'mitre_execution', 'T1059.004'],
    text: 'Shell spawned by untrusted binary',
    line:
      'parent_exe=/usr/local/bin/alert-router parent_exepath=/usr/local/bin/alert-router pcmdline=alert-router --config=/etc/alert-router/config.yaml ' +
      'gparent=containerd-shim ggparent=systemd aname[4]=<NA> aname[5]=<NA> aname[6]=<NA> aname[7]=<NA> ' +
      `evt_type=execve ${by('sh', '/bin/busybox', 'alert-router', 'sh -i')} exe_flags=EXE_WRITABLE`,
    fields: {
      'proc.pexe': '/usr/local/bin/alert-router',
      'proc.pexepath': '/usr/local/bin/alert-router',
      'proc.pcmdline': 'alert-router --config=/etc/alert-router/config.yaml',
      'proc.aname[2]': 'containerd-shim',
      'proc.aname[3]': 'systemd',
      'proc.aname[4]': null,
      'proc.aname[5]': null,
      'proc.aname[6]': null,
      'proc.aname[7]': null,
      'evt.type': 'execve',
      'proc.name': 'sh',
      'proc.exepath': '/bin/busybox',
      'proc.pname': 'alert-router',
      'proc.cmdline': 'sh -i',
      'proc.tty': 0,
      'evt.arg.flags': 'EXE_WRITABLE',
    },
  },
  {
    rule: 'Launch Ingress Remote File Copy Tools in Container',
    at: falcoAt[1]!,
    tags: ['maturity_incubating', 'container', 'network', 'process', 'mitre_command_and_control', 'TA0011'],
    text: 'Ingress remote file copy tool launched in container',
    line: `evt_type=execve ${by('curl', '/usr/bin/curl', 'sh', probe)} exe_flags=0`,
    fields: {
      'evt.type': 'execve',
      'proc.name': 'curl',
      'proc.exepath': '/usr/bin/curl',
      'proc.pname': 'sh',
      'proc.cmdline': probe,
      'proc.tty': 0,
      'evt.arg.flags': '0',
    },
  },
  {
    rule: 'Contact K8S API Server From Container',
    at: falcoAt[2]!,
    tags: ['maturity_stable', 'container', 'network', 'k8s', 'mitre_discovery', 'T1565'],
    text: 'Unexpected connection to K8s API Server from container',
    line: `connection=10.244.3.17:51544->10.96.0.1:443 lport=51544 rport=443 fd_type=ipv4 fd_proto=tcp evt_type=connect ${by('curl', '/usr/bin/curl', 'sh', probe)}`,
    fields: {
      'fd.name': '10.244.3.17:51544->10.96.0.1:443',
      'fd.lport': 51544,
      'fd.rport': 443,
      'fd.type': 'ipv4',
      'fd.l4proto': 'tcp',
      'evt.type': 'connect',
      'proc.name': 'curl',
      'proc.exepath': '/usr/bin/curl',
      'proc.pname': 'sh',
      'proc.cmdline': probe,
      'proc.tty': 0,
    },
  },
].map((a) => ({
  hostname: 'demo-node-1',
  output: output(a.at, 'Notice', a.text, a.line),
  output_fields: { ...common, ...a.fields, 'evt.time': `${a.at.getTime()}482913` },
  priority: 'Notice',
  rule: a.rule,
  source: 'syscall',
  // Not a Falco tag: marks these alerts as made up for the demo wherever they are shown.
  tags: [...a.tags, 'synthetic'],
  time: falcoTime(a.at),
}));
// Falco writes evt.time as a 64-bit integer (nanoseconds), more digits than a JS number holds exactly.
const falcoText = `${alerts.map((a) => JSON.stringify(a).replace(/"evt\.time":"(\d+)"/, '"evt.time":$1')).join('\n')}\n`;

// --- refuse to write anything that holds a credential.
const leaks: string[] = [];
for (const [name, out] of [
  ['audit', text],
  ['falco', falcoText],
] as const) {
  for (const token of tokens) {
    const [, payload, signature] = token.split('.');
    if ([token, payload, signature].some((part) => part && out.includes(part))) leaks.push(`${name}: an issued token`);
  }
  if (/eyJ[A-Za-z0-9_-]{10,}/.test(out)) leaks.push(`${name}: a JWT-looking value`);
  if (/"token"\s*:/.test(out)) leaks.push(`${name}: a "token" field`);
  if (canaryNeedles(cluster).some((needle) => out.includes(needle))) leaks.push(`${name}: a canary value`);
  const parsed = parseRuntimeText(out);
  if (parsed.rejected.length)
    throw new Error(`refusing to write: the ${name} file has ${parsed.rejected.length} rejected item(s)`);
}
if (leaks.length) throw new Error(`refusing to write the demo runtime files: ${[...new Set(leaks)].join('; ')}`);

writeFileSync(demoAuditFile, gzipSync(text, { level: 9 }));
writeFileSync(demoFalcoFile, falcoText);

const rel = (f: string) => path.relative(process.cwd(), f);
console.log(`${events.length} audit events (from ${started.toISOString()}) written to ${rel(demoAuditFile)}:`);
for (const u of [...identities].sort()) {
  const mine = events.filter((e) => e.user?.username === u);
  const minted = events.filter((e) => isTokenRequest(e) && saOf(e) === u).length;
  const denied = mine.filter((e) => e.responseStatus?.code === 403).length;
  const agents = [...new Set(mine.map((e) => String(e.userAgent)))].join(', ');
  console.log(`  ${u}: ${minted} token(s) issued, ${mine.length} events, ${denied} denied${agents ? `; ${agents}` : ''}`);
}
console.log(`${alerts.length} synthetic Falco alerts for monitoring/${router!.name} written to ${rel(demoFalcoFile)}`);
if (cluster.startedByThisCall) {
  const { stopCluster } = await import('@/e2e/cluster/harness');
  await stopCluster();
}

import https from 'node:https';
import { KubeConfig, KubernetesObjectApi, CoreV1Api } from '@kubernetes/client-node';
import { Semaphore } from './bench/load-cluster';
const kc = new KubeConfig(); kc.loadFromFile('/tmp/nhi-bench-cluster/admin.kubeconfig');
const ns = 'bench-payments-000';
const N = 300, C = 32;
const cm = (p: string, i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `probe-${p}-${i}`, namespace: ns }, data: { a: 'b' } });
async function timeIt(label: string, fn: (i: number) => Promise<unknown>) {
  const sem = new Semaphore(C); const t0 = performance.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: N }, (_, i) => sem.run(() => fn(i))));
  const cpu = process.cpuUsage(c0);
  console.log(label, ((performance.now() - t0) / 1000).toFixed(2), 's', (N / ((performance.now() - t0) / 1000)).toFixed(0), '/s; client cpu', ((cpu.user + cpu.system) / 1e6).toFixed(2), 's');
}
const api = KubernetesObjectApi.makeApiClient(kc);
const core = kc.makeApiClient(CoreV1Api);
const tag = String(Date.now() % 100000);
await timeIt('objectapi', (i) => api.create(cm('o' + tag, i)));
await timeIt('corev1', (i) => core.createNamespacedConfigMap({ namespace: ns, body: cm('c' + tag, i) }));
const opts: https.RequestOptions = {};
await kc.applyToHTTPSOptions(opts);
const agent = new https.Agent({ keepAlive: true, maxSockets: C, ca: opts.ca, cert: opts.cert, key: opts.key });
const server = new URL(kc.getCurrentCluster()!.server);
await timeIt('raw', (i) => new Promise<void>((resolve, reject) => {
  const body = JSON.stringify(cm('r' + tag, i));
  const req = https.request({ host: server.hostname, port: server.port, path: `/api/v1/namespaces/${ns}/configmaps`, method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => { res.resume(); res.on('end', () => (res.statusCode! < 300 ? resolve() : reject(new Error(String(res.statusCode))))); });
  req.on('error', reject); req.end(body);
}));

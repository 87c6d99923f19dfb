import { KubeConfig, KubernetesObjectApi, createConfiguration, ServerConfiguration } from '@kubernetes/client-node';
import type { Configuration, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';
import { Semaphore } from './bench/load-cluster';
const kc = new KubeConfig(); kc.loadFromFile('/tmp/nhi-bench-cluster/admin.kubeconfig');
const ns = 'bench-payments-000';
const N = 600, C = 32;
const cm = (p: string, i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `probe-${p}-${i}`, namespace: ns }, data: { a: 'b' } });
async function timeIt(label: string, fn: (i: number) => Promise<unknown>) {
  const sem = new Semaphore(C); const t0 = performance.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: N }, (_, i) => sem.run(() => fn(i))));
  const cpu = process.cpuUsage(c0);
  console.log(label, ((performance.now() - t0) / 1000).toFixed(2), 's', (N / ((performance.now() - t0) / 1000)).toFixed(0), '/s; client cpu', ((cpu.user + cpu.system) / 1e6).toFixed(2), 's');
}
let dispatcher: unknown;
const auth: SecurityAuthentication = {
  getName: () => 'kubeconfig, shared connections',
  async applySecurityAuthentication(ctx: RequestContext) {
    await kc.applySecurityAuthentication(ctx);
    if (dispatcher === undefined) dispatcher = ctx.getDispatcher(); else ctx.setDispatcher(dispatcher as never);
  },
};
const config: Configuration = createConfiguration({ baseServer: new ServerConfiguration(kc.getCurrentCluster()!.server, {}), authMethods: { default: auth } });
const api = new KubernetesObjectApi(config);
const tag = String(Date.now() % 100000);
await timeIt('objectapi-shared', (i) => api.create(cm('s' + tag, i)));
import https from 'node:https';
const opts: https.RequestOptions = {};
await kc.applyToHTTPSOptions(opts);
const agent = new https.Agent({ keepAlive: true, maxSockets: C, ca: opts.ca, cert: opts.cert, key: opts.key });
const server = new URL(kc.getCurrentCluster()!.server);
await timeIt('raw', (i) => new Promise<void>((resolve, reject) => {
  const body = JSON.stringify(cm('r' + tag, i));
  const req = https.request({ host: server.hostname, port: server.port, path: `/api/v1/namespaces/${ns}/configmaps`, method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => { res.resume(); res.on('end', () => (res.statusCode! < 300 ? resolve() : reject(new Error(String(res.statusCode))))); });
  req.on('error', reject); req.end(body);
}));
await timeIt('objectapi-shared-again', (i) => api.create(cm('t' + tag, i)));

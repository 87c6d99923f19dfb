import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { fetchFromCluster, KubeHttpError, kubeUrl, noteForListError, resolveTargets } from './kube';
import { resourceSpec } from './resources';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-kube-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (server: string) => {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return file;
};

describe('kube: errors a person sees', () => {
  it('refuses a context the kubeconfig lacks, and --in-cluster outside a Pod, as invalid input', () => {
    const file = kubeconfig('https://127.0.0.1:1');
    expect(() => resolveTargets({ kubeconfig: file, context: 'nope' })).toThrow(
      expect.objectContaining({ kind: 'invalid_input', message: 'kubeconfig has no context "nope" (have: ctx)' }),
    );
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(() => resolveTargets({ inCluster: true })).toThrow(expect.objectContaining({ kind: 'invalid_input' }));
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });

  it('refuses a context whose cluster has no server', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: '' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    expect(() => kubeUrl(kc, '/api')).toThrow(expect.objectContaining({ kind: 'invalid_input' }));
  });

  it('says which API server cannot be reached, as unavailable', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve)); // nothing listens there now
    const err = await fetchFromCluster(`http://127.0.0.1:${port}/api/v1`, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'KUBE_UNREACHABLE', exitCode: 1 });
    expect((err as Error).message).toBe(
      `cannot reach the API server at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('keeps the API server status of an HTTP error apart from its own kind', () => {
    const gone = new KubeHttpError(410, 'GET /api/v1/pods: 410 expired', 'Expired');
    expect(gone).toBeInstanceOf(AppError);
    expect(gone).toMatchObject({ httpStatus: 410, reason: 'Expired', kind: 'unavailable', status: 503, code: 'KUBE_API' });
    expect(new KubeHttpError(404, 'not found')).toMatchObject({ kind: 'not_found', status: 404 });
    expect(noteForListError(resourceSpec('secrets'), new KubeHttpError(403, 'forbidden'))).toMatchObject({ level: 'error' });
    expect(noteForListError(resourceSpec('secrets'), new KubeHttpError(404, 'nope'))).toMatchObject({ level: 'info' });
  });
});

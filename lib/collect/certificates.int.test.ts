/**
 * The opt-in certificate path against the real test cluster: a kubernetes.io/tls Secret made here with a
 * certificate made here (openssl) gives the facts openssl gives, and no value of any Secret — the key,
 * a planted canary, the certificate's own text — is stored or said anywhere.
 */
import { randomBytes } from 'node:crypto';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { adminKubeConfig, canaryNeedles, eventually, seedCluster, type TestCluster } from '@/e2e/cluster/harness';
import { collectorKubeconfig, databaseText as databaseTextOf, withClusterAndStore } from '@/e2e/setup/cluster-store';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { makeCertificate, type TestCertificate } from '@/lib/credentials/test-certificates';
import { collectOnce } from './collect';
import { resolveTargets } from './kube';
import type { SecretMeta } from './types';
import { watchCluster } from './watch';

const ns = `it-tls-${randomBytes(4).toString('hex')}`;
let cluster: TestCluster;
let pool: pg.Pool;
withClusterAndStore('certificates', { namespace: ns }, (s) => ({ cluster, pool } = s));

const b64 = (s: string) => Buffer.from(s).toString('base64');
const canary = `nhicanary${randomBytes(12).toString('hex')}`;
const cert = makeCertificate({
  subject: `/O=NHI Test/CN=web.${ns}.example`,
  sans: [`DNS:web.${ns}.example`, 'DNS:web.internal.example', 'IP:10.9.8.7'],
  days: 45,
});
// The real key with the canary in a PEM header line: the key, the canary and their encodings must stay in the cluster.
const keyPem = cert.keyPem.replace('-----BEGIN PRIVATE KEY-----\n', `-----BEGIN PRIVATE KEY-----\nComment: ${canary}\n`);
const keyBodyLines = cert.keyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
const brokenCrt = `-----BEGIN CERTIFICATE-----\n${b64(`not a certificate ${canary}`)}\n-----END CERTIFICATE-----\n`;

/** Every string a leak of this test's values could show up as. */
const needles = () => [
  canary,
  b64(canary),
  b64(keyPem),
  b64(cert.keyPem),
  ...keyBodyLines,
  'PRIVATE KEY',
  b64(cert.certPem),
  cert.certPem.split('\n')[1]!,
  b64(brokenCrt),
];

function tlsSecret(name: string, crt: string, extra: Record<string, string> = {}): KubernetesObject {
  const stringData = { 'tls.crt': crt, 'tls.key': keyPem, ...extra };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: ns,
      // As `kubectl apply` leaves it: the values again, in an annotation.
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ stringData }) },
    },
    type: 'kubernetes.io/tls',
    stringData,
  } as KubernetesObject;
}

const databaseText = () => databaseTextOf(pool);

const leaksIn = (text: string) => needles().filter((n) => text.includes(n)).length;

/** Whether Credential rows store certificate facts yet (the column comes with the credential-lifecycle schema). */
async function storesCertificates(): Promise<boolean> {
  const r = await pool.query(
    `SELECT 1 FROM information_schema.columns WHERE table_name = 'Credential' AND column_name = 'certificate'`,
  );
  return (r.rowCount ?? 0) > 0;
}

async function storedCertificate(clusterName: string, name: string) {
  const r = await pool.query<{ certificate: Record<string, unknown> | null }>(
    `SELECT cr.certificate FROM "Credential" cr JOIN "Cluster" c ON c.id = cr."clusterId"
      WHERE c.name = $1 AND cr.namespace = $2 AND cr.name = $3 AND cr."deletedAt" IS NULL`,
    [clusterName, ns, name],
  );
  return r.rows[0]?.certificate;
}

const expectedFacts = (c: TestCertificate) => ({
  subject: `O=NHI Test, CN=web.${ns}.example`,
  issuer: `O=NHI Test, CN=web.${ns}.example`,
  sans: [`DNS:web.${ns}.example`, 'DNS:web.internal.example', 'IP Address:10.9.8.7'],
  notBefore: c.notBefore,
  notAfter: c.notAfter,
  fingerprintSha256: c.fingerprintSha256,
  serialNumber: c.serialNumber,
  selfSigned: true,
  isCA: false,
  chainLength: 1,
});

describe('TLS certificates from the live test cluster (--tls-certificates)', () => {
  it('with the option: the facts of tls.crt as openssl gives them; a broken tls.crt is a note naming only the Secret; no value stored or said', async () => {
    const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.create(tlsSecret('web-tls', cert.certPem, { 'canary.txt': canary }));
    await api.create(tlsSecret('broken-tls', brokenCrt));
    // An Opaque Secret with a certificate under the same key is not read.
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'opaque-with-crt', namespace: ns },
      type: 'Opaque',
      stringData: { 'tls.crt': cert.certPem, password: canary },
    } as KubernetesObject);

    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const outcome = await collectOnce(pool, { ...target!, name: 'tls-on' }, undefined, { tlsCertificates: true });
    const secret = (name: string) =>
      (outcome.snapshot.secrets as SecretMeta[]).find((s) => s.metadata.namespace === ns && s.metadata.name === name);
    expect(secret('web-tls')!.certificate).toEqual(expectedFacts(cert));
    expect(secret('web-tls')!.certificate!.notAfter).toBe(cert.notAfter);
    expect(secret('web-tls')!.certificate!.fingerprintSha256).toBe(cert.fingerprintSha256);
    expect(secret('broken-tls')!.certificate).toBeUndefined();
    expect(secret('opaque-with-crt')!.certificate).toBeUndefined();
    expect(Object.keys(secret('web-tls')!).sort()).toEqual(['apiVersion', 'certificate', 'kind', 'metadata', 'type']);

    const warning = outcome.notes.find((n) => n.message.includes('not a readable certificate'));
    expect(warning?.level).toBe('warning');
    expect(warning!.message).toContain(`${ns}/broken-tls (the first PEM CERTIFICATE block is not a valid X.509 certificate)`);
    expect(outcome.notes.filter((n) => n.level === 'error')).toEqual([]);

    if (await storesCertificates()) {
      expect(await storedCertificate('tls-on', 'web-tls')).toEqual(expectedFacts(cert));
      expect(await storedCertificate('tls-on', 'broken-tls')).toBeNull();
    }
    expect(leaksIn(JSON.stringify(outcome)), 'a value in the outcome (snapshot, notes)').toBe(0);
    const text = await databaseText();
    expect(text).toContain(cert.fingerprintSha256.slice(0, 20));
    expect(leaksIn(text), 'a value in the database').toBe(0);
  });

  it('without the option: no certificate facts, nothing decoded', async () => {
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const outcome = await collectOnce(pool, { ...target!, name: 'tls-off' });
    const mine = (outcome.snapshot.secrets as SecretMeta[]).filter((s) => s.metadata.namespace === ns);
    expect(mine.map((s) => s.metadata.name).sort()).toEqual(['broken-tls', 'opaque-with-crt', 'web-tls']);
    expect(mine.filter((s) => s.certificate)).toEqual([]);
    expect((outcome.snapshot.secrets as SecretMeta[]).filter((s) => s.certificate)).toEqual([]);
    expect(outcome.notes.filter((n) => n.message.includes('certificate'))).toEqual([]);
    if (await storesCertificates()) expect(await storedCertificate('tls-off', 'web-tls')).toBeNull();
    expect(leaksIn(JSON.stringify(outcome))).toBe(0);
    expect(leaksIn(await databaseText())).toBe(0);
  });

  it('works with exactly the shipped collector ClusterRole (no new rule: the list verb on secrets)', async () => {
    const kubeconfig = await collectorKubeconfig(cluster);
    const [target] = resolveTargets({ kubeconfig });
    const outcome = await collectOnce(pool, { ...target!, name: 'tls-least-privilege' }, undefined, { tlsCertificates: true });
    expect(outcome.notes.filter((n) => n.message.includes('forbidden'))).toEqual([]);
    const web = (outcome.snapshot.secrets as SecretMeta[]).find(
      (s) => s.metadata.namespace === ns && s.metadata.name === 'web-tls',
    );
    expect(web!.certificate?.fingerprintSha256).toBe(cert.fingerprintSha256);
    expect(leaksIn(JSON.stringify(outcome))).toBe(0);
  });

  it('watch with the option: a renewed certificate (tls.crt replaced) is read again', async () => {
    const stored = await storesCertificates();
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const controller = new AbortController();
    const watchLog: string[] = [];
    const watching = watchCluster(
      pool,
      { ...target!, name: 'tls-watch' },
      { signal: controller.signal, debounceMs: 200, tlsCertificates: true, log: (l) => watchLog.push(l) },
    );
    const renewed = makeCertificate({
      subject: `/O=NHI Test/CN=web.${ns}.example`,
      sans: [`DNS:web.${ns}.example`, 'DNS:web.internal.example', 'IP:10.9.8.7'],
      days: 90,
    });
    try {
      await eventually(
        'initial sync',
        async () =>
          ((await pool.query(`SELECT 1 FROM "Cluster" WHERE name = 'tls-watch' AND "lastSyncAt" IS NOT NULL`)).rowCount ?? 0) > 0,
        60_000,
      );
      if (stored) expect(await storedCertificate('tls-watch', 'web-tls')).toEqual(expectedFacts(cert));
      const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
      await api.replace(tlsSecret('web-tls', renewed.certPem, { 'canary.txt': canary }));
      if (stored)
        await eventually(
          'the renewed certificate stored',
          async () => (await storedCertificate('tls-watch', 'web-tls'))?.fingerprintSha256 === renewed.fingerprintSha256,
          10_000,
        );
      if (stored) expect(await storedCertificate('tls-watch', 'web-tls')).toEqual(expectedFacts(renewed));
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : e}\nwatch log:\n${watchLog.join('\n')}`);
    } finally {
      controller.abort();
      await watching;
    }
    expect(leaksIn(watchLog.join('\n')), 'a value in the watch log').toBe(0);
    expect(leaksIn(await databaseText())).toBe(0);
    expect(renewed.fingerprintSha256).not.toBe(cert.fingerprintSha256);
  });
});

describeWithCorpus('TLS certificates of the seeded test cluster', () => {
  it('the seeded checkout certificate has its facts; no planted canary is stored anywhere with certificates on', async () => {
    await seedCluster(cluster);
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const outcome = await collectOnce(pool, { ...target!, name: 'tls-seeded' }, undefined, { tlsCertificates: true });
    expect(outcome.notes.filter((n) => n.level === 'error')).toEqual([]);
    const checkout = (outcome.snapshot.secrets as SecretMeta[]).find(
      (s) => s.metadata.namespace === 'checkout' && s.metadata.name === 'checkout-tls',
    );
    expect(checkout!.certificate).toMatchObject({
      subject: 'O=Example Shop, CN=checkout.shop.example.com',
      sans: ['DNS:checkout.shop.example.com'],
      selfSigned: true,
    });
    const c = checkout!.certificate!;
    expect((Date.parse(c.notAfter) - Date.parse(c.notBefore)) / 86_400_000).toBe(20);
    const planted = canaryNeedles(cluster);
    expect(planted.length).toBeGreaterThan(0);
    const said = JSON.stringify(outcome);
    expect(planted.filter((n) => said.includes(n)).length, 'a canary in the outcome').toBe(0);
    const text = await databaseText();
    expect(planted.filter((n) => text.includes(n)).length, 'a canary in the database').toBe(0);
    expect(leaksIn(text)).toBe(0);
  });
});

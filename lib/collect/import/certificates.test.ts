import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '@/lib/credentials/test-certificates';
import { readDumps } from '../import';
import type { SecretMeta } from '../types';
import { tmpFolders } from './test-support';

const tmp = tmpFolders();
afterAll(() => tmp.remove());

const b64 = (s: string) => Buffer.from(s).toString('base64');
const canary = `nhicanary${randomBytes(12).toString('hex')}`;
const cert = makeCertificate({
  subject: '/O=Import Test/CN=web.import.example',
  sans: ['DNS:web.import.example'],
  days: 45,
});
// The key as a real PEM, with the canary in a header line of it: it must not be stored or repeated.
const keyPem = cert.keyPem.replace('-----BEGIN PRIVATE KEY-----\n', `-----BEGIN PRIVATE KEY-----\nComment: ${canary}\n`);
const keyBody = cert.keyPem.split('\n')[1]!;

function tlsSecret(name: string, data: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data }) },
    },
    data,
    ...extra,
  };
}

const dump = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    tlsSecret('web-tls', { 'tls.crt': b64(cert.certPem), 'tls.key': b64(keyPem), 'canary.txt': b64(canary) }),
    // An Opaque Secret with a certificate-looking key is not read.
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'opaque', namespace: 'shop' },
      data: { 'tls.crt': b64(cert.certPem), password: b64(canary) },
    },
  ],
};

function expectNoValues(text: string) {
  for (const needle of [canary, b64(canary), keyBody, b64(keyPem), 'PRIVATE KEY', b64(cert.certPem)])
    expect(text, 'a Secret value was kept').not.toContain(needle);
}

describe('import with --tls-certificates', () => {
  it('keeps the facts of tls.crt (fingerprint, expiry, subject, SANs) and drops every value', async () => {
    const dir = tmp.files({ 'dump.json.gz': gzipSync(JSON.stringify(dump)) });
    const r = await readDumps([dir], { tlsCertificates: true });
    const secrets = r.snapshot.secrets as SecretMeta[];
    const web = secrets.find((s) => s.metadata.name === 'web-tls')!;
    expect(web.certificate).toMatchObject({
      subject: 'O=Import Test, CN=web.import.example',
      sans: ['DNS:web.import.example'],
      notAfter: cert.notAfter,
      notBefore: cert.notBefore,
      fingerprintSha256: cert.fingerprintSha256,
      selfSigned: true,
      chainLength: 1,
    });
    expect(Object.keys(web).sort()).toEqual(['apiVersion', 'certificate', 'kind', 'metadata', 'type']);
    expect(secrets.find((s) => s.metadata.name === 'opaque')!.certificate).toBeUndefined();
    expect(r.notes.filter((n) => n.level !== 'info')).toEqual([]);
    expectNoValues(JSON.stringify(r));
  });

  it('reads a manifest whose tls.crt is in stringData', async () => {
    const manifest = tlsSecret('plain', {}, { data: undefined, stringData: { 'tls.crt': cert.certPem, 'tls.key': keyPem } });
    const dir = tmp.files({ 'secret.json': JSON.stringify(manifest) });
    const r = await readDumps([dir], { tlsCertificates: true });
    expect((r.snapshot.secrets[0] as SecretMeta).certificate?.fingerprintSha256).toBe(cert.fingerprintSha256);
    expectNoValues(JSON.stringify(r));
  });

  it('parses nothing without the option', async () => {
    const dir = tmp.files({ 'dump.json': JSON.stringify(dump) });
    const r = await readDumps([dir]);
    expect(r.snapshot.secrets.map((s) => (s as SecretMeta).certificate)).toEqual([undefined, undefined]);
    expectNoValues(JSON.stringify(r));
  });

  it('a tls.crt that is not a certificate is a warning naming the Secret only; the rest is still imported', async () => {
    const garbage = `-----BEGIN CERTIFICATE-----\n${b64(canary)}\n-----END CERTIFICATE-----\n`;
    const broken = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        tlsSecret('corrupt', { 'tls.crt': b64(garbage), 'tls.key': b64(keyPem) }),
        tlsSecret('key-only', { 'tls.crt': b64(keyPem), 'tls.key': b64(keyPem) }),
        tlsSecret('not-base64', { 'tls.crt': `${canary}!*`, 'tls.key': b64(keyPem) }),
        tlsSecret('no-crt', { 'tls.key': b64(keyPem) }),
        tlsSecret('good', { 'tls.crt': b64(cert.certPem), 'tls.key': b64(keyPem) }),
      ],
    };
    const dir = tmp.files({ 'broken.yaml': JSON.stringify(broken) });
    const r = await readDumps([dir], { tlsCertificates: true });
    expect(r.snapshot.secrets.map((s) => s.metadata.name)).toEqual(['corrupt', 'good', 'key-only', 'no-crt', 'not-base64']);
    expect((r.snapshot.secrets as SecretMeta[]).filter((s) => s.certificate).map((s) => s.metadata.name)).toEqual(['good']);
    const warnings = r.notes.filter((n) => n.level === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ resource: 'secrets' });
    expect(warnings[0]!.message).toContain('tls.crt is not a readable certificate');
    expect(warnings[0]!.message).toContain('shop/corrupt (the first PEM CERTIFICATE block is not a valid X.509 certificate)');
    expect(warnings[0]!.message).toContain('shop/key-only (no PEM CERTIFICATE block was found)');
    expect(warnings[0]!.message).toContain('(4 in all)');
    expectNoValues(JSON.stringify(r));
    expect(JSON.stringify(r)).not.toContain(b64(garbage));
  });
});

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readDumps } from '@/lib/collect/import';
import type { SecretMeta } from '@/lib/collect/types';
import { demoDataFile } from './load';

describe('the demo dataset’s TLS certificates', () => {
  it('holds the public tls.crt of kubernetes.io/tls Secrets and no other value', () => {
    const list = JSON.parse(gunzipSync(readFileSync(demoDataFile)).toString('utf8')) as {
      items: { kind: string; type?: string; metadata: { namespace?: string; name: string }; data?: object }[];
    };
    const withData = list.items.filter((o) => o.data !== undefined);
    expect(withData.map((o) => `${o.kind} ${o.type} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Secret kubernetes.io/tls checkout/checkout-tls',
    ]);
    expect(withData.flatMap((o) => Object.keys(o.data!))).toEqual(['tls.crt']);
  });

  it('imports with certificate facts (as the demo loads it): a self-signed 20-day certificate (openssl req -x509 marks it CA:TRUE)', async () => {
    const { snapshot, notes } = await readDumps([demoDataFile], { tlsCertificates: true });
    expect(notes.filter((n) => n.level !== 'info')).toEqual([]);
    const tls = (snapshot.secrets as SecretMeta[]).find((s) => s.metadata.name === 'checkout-tls')!;
    expect(tls.certificate).toMatchObject({
      subject: 'O=Example Shop, CN=checkout.shop.example.com',
      sans: ['DNS:checkout.shop.example.com'],
      selfSigned: true,
      chainLength: 1,
    });
    const days = (Date.parse(tls.certificate!.notAfter) - Date.parse(tls.certificate!.notBefore)) / 86_400_000;
    expect(days).toBe(20);
    expect(tls.certificate!.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const list = JSON.parse(gunzipSync(readFileSync(demoDataFile)).toString('utf8')) as {
      items: { data?: Record<string, string> }[];
    };
    const crt = list.items.find((o) => o.data)!.data!['tls.crt']!;
    expect(JSON.stringify(snapshot).includes(crt), 'the tls.crt value was kept').toBe(false);
  });
});

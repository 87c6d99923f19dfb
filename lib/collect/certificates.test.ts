import { describe, expect, it } from 'vitest';
import type { CertificateFacts } from '@/lib/credentials/certificate';
import { attachCertificates, noteForCertificateListError, noteForUnreadableCertificates } from './certificates';
import { KubeHttpError } from './kube';
import type { SecretMeta } from './types';

const facts = (fingerprint: string): CertificateFacts => ({
  subject: 'CN=x',
  issuer: 'CN=x',
  sans: [],
  notBefore: '2030-01-01T00:00:00.000Z',
  notAfter: '2030-02-01T00:00:00.000Z',
  fingerprintSha256: fingerprint,
  serialNumber: '01',
  selfSigned: true,
  isCA: false,
  chainLength: 1,
});
const secret = (name: string, uid: string, type = 'kubernetes.io/tls'): SecretMeta => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'ns', uid },
  type,
});

describe('attachCertificates', () => {
  it('matches namespace, name and uid; a re-created Secret or another type gets nothing; problems are named', () => {
    const secrets = [secret('a', 'u1'), secret('b', 'u2'), secret('c', 'u3'), secret('d', 'u4', 'Opaque')];
    const problems = attachCertificates(secrets, [
      { namespace: 'ns', name: 'a', uid: 'u1', certificate: facts('AA') },
      { namespace: 'ns', name: 'b', uid: 'other', certificate: facts('BB') },
      { namespace: 'ns', name: 'c', uid: 'u3', problem: 'no tls.crt' },
      { namespace: 'ns', name: 'd', uid: 'u4', certificate: facts('DD') },
      { namespace: 'elsewhere', name: 'a', uid: 'u9', certificate: facts('EE') },
    ]);
    expect(secrets.map((s) => s.certificate?.fingerprintSha256)).toEqual(['AA', undefined, undefined, undefined]);
    expect(problems).toEqual(['ns/c (no tls.crt)']);
  });
});

describe('certificate notes', () => {
  it('names a few unreadable Secrets and the count', () => {
    expect(noteForUnreadableCertificates([])).toBeUndefined();
    const note = noteForUnreadableCertificates(Array.from({ length: 7 }, (_, i) => `ns/s${i} (no tls.crt)`))!;
    expect(note).toMatchObject({ resource: 'secrets', level: 'warning' });
    expect(note.message).toBe(
      '7 kubernetes.io/tls Secrets have a tls.crt that is not a readable certificate (no certificate facts kept): ns/s0 (no tls.crt), ns/s1 (no tls.crt), ns/s2 (no tls.crt), ns/s3 (no tls.crt), ns/s4 (no tls.crt), … (7 in all)',
    );
  });

  it('a forbidden list points at the ClusterRole docs; other failures say only the AppError message', () => {
    expect(noteForCertificateListError(new KubeHttpError(403, 'GET /api/v1/secrets: 403 forbidden'))).toEqual({
      resource: 'secrets',
      level: 'warning',
      message:
        'forbidden to list kubernetes.io/tls secrets with their values: certificate details need list on secrets with values; see public/collector-clusterrole.yaml',
    });
    expect(noteForCertificateListError(new KubeHttpError(500, 'GET /api/v1/secrets: 500 boom')).message).toContain('500 boom');
    expect(noteForCertificateListError(new Error('something with a value')).message).not.toContain('value');
  });
});

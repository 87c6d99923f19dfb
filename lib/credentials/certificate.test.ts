import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { parseCertificate } from './certificate';
import { makeCertificate } from './test-certificates';

describe('parseCertificate', () => {
  const selfSigned = makeCertificate({
    subject: '/O=Example Shop/CN=shop.example.com',
    sans: ['DNS:shop.example.com', 'DNS:www.shop.example.com', 'IP:10.1.2.3'],
    days: 45,
  });

  it('gives the facts openssl gives: fingerprint, validity, subject, issuer, serial; SANs; self-signed', () => {
    const facts = parseCertificate(selfSigned.certPem);
    expect(facts).toEqual({
      subject: 'O=Example Shop, CN=shop.example.com',
      issuer: 'O=Example Shop, CN=shop.example.com',
      sans: ['DNS:shop.example.com', 'DNS:www.shop.example.com', 'IP Address:10.1.2.3'],
      notBefore: selfSigned.notBefore,
      notAfter: selfSigned.notAfter,
      fingerprintSha256: selfSigned.fingerprintSha256,
      serialNumber: selfSigned.serialNumber,
      selfSigned: true,
      isCA: false,
      chainLength: 1,
    });
    expect(facts.subject).toBe(selfSigned.subject);
    expect(facts.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const days = (Date.parse(facts.notAfter) - Date.parse(facts.notBefore)) / 86_400_000;
    expect(days).toBe(45);
  });

  it('reads a chain (leaf first): the leaf facts, the number of certificates, the issuing CA', () => {
    const ca = makeCertificate({ subject: '/CN=Example Test CA', days: 365, ca: true });
    const leaf = makeCertificate({ subject: '/CN=api.example.com', sans: ['DNS:api.example.com'], days: 10, issuer: ca });
    const facts = parseCertificate(`${leaf.certPem}${ca.certPem}`);
    expect(facts).toMatchObject({
      subject: 'CN=api.example.com',
      issuer: 'CN=Example Test CA',
      fingerprintSha256: leaf.fingerprintSha256,
      notAfter: leaf.notAfter,
      selfSigned: false,
      isCA: false,
      chainLength: 2,
    });
    expect(parseCertificate(ca.certPem)).toMatchObject({ isCA: true, selfSigned: true, chainLength: 1 });
  });

  it('skips a private key in the same PEM text without decoding it, and never repeats it', () => {
    const facts = parseCertificate(`${selfSigned.keyPem}\n${selfSigned.certPem}`);
    expect(facts.fingerprintSha256).toBe(selfSigned.fingerprintSha256);
    expect(facts.chainLength).toBe(1);
    expect(JSON.stringify(facts)).not.toContain('PRIVATE');
  });

  it('refuses what is not a certificate with a message that does not quote the input', () => {
    const canary = `nhicanary${randomBytes(8).toString('hex')}`;
    const keyBody = selfSigned.keyPem.split('\n')[1]!;
    const cases = [
      selfSigned.keyPem,
      `just text ${canary}`,
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(canary).toString('base64')}\n-----END CERTIFICATE-----\n`,
      `-----BEGIN CERTIFICATE-----\n${canary}!!\n-----END CERTIFICATE-----\n`,
      '',
    ];
    for (const input of cases) {
      let error: unknown;
      try {
        parseCertificate(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      const e = error as AppError;
      expect(e.kind).toBe('invalid_input');
      const said = `${e.message} ${JSON.stringify(e.details)} ${String(e.cause ?? '')}`;
      expect(said).not.toContain(canary);
      expect(said).not.toContain(Buffer.from(canary).toString('base64'));
      expect(said).not.toContain(keyBody);
    }
  });

  it('refuses very large input without reading it', () => {
    expect(() => parseCertificate('x'.repeat(2 * 1024 * 1024))).toThrow(/larger than/);
  });
});

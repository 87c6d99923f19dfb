import { describe, expect, it } from 'vitest';
import {
  assessCredential,
  assessCredentials,
  coverageOf,
  shortLivedShare,
  workloadClassOf,
  type CredentialFacts,
  type WorkloadFacts,
} from './assess';
import type { CertificateFacts } from './certificate';
import { DEFAULT_POLICY } from './policy';

const now = new Date('2026-06-01T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);

const cred = (o: Partial<CredentialFacts> & Pick<CredentialFacts, 'name' | 'class'>): CredentialFacts => ({
  key: `shop/${o.kind ?? 'OpaqueSecret'}/${o.name}`,
  namespace: 'shop',
  kind: 'OpaqueSecret',
  createdAt: daysAgo(10),
  rotatedAt: null,
  expiresAt: null,
  lastUsedAt: null,
  invalidSince: null,
  certificate: null,
  identities: [],
  workloads: [],
  ...o,
});
const workload = (name: string, o: Partial<WorkloadFacts> = {}): WorkloadFacts => ({
  key: `shop/Deployment/${name}`,
  namespace: 'shop',
  kind: 'Deployment',
  name,
  serviceAccount: name,
  app: name,
  team: 'storefront',
  apiCredential: 'short-lived',
  ...o,
});
const cert = (notAfter: Date, fingerprintSha256 = 'AA:BB'): CertificateFacts => ({
  subject: 'CN=web.shop.svc',
  issuer: 'CN=shop-ca',
  sans: ['DNS:web.shop.svc'],
  notBefore: daysAgo(60).toISOString(),
  notAfter: notAfter.toISOString(),
  fingerprintSha256,
  serialNumber: '01',
  selfSigned: false,
  isCA: false,
  chainLength: 1,
});

describe('assessCredential', () => {
  it('measures age from the later of creation and rotation, expiry from the certificate, disuse from the last use', () => {
    const a = assessCredential(
      cred({
        name: 'tls',
        kind: 'TlsCertificate',
        class: 'tls-certificate',
        createdAt: daysAgo(400),
        rotatedAt: daysAgo(20),
        certificate: cert(daysAgo(-12)),
      }),
      now,
    );
    expect(a).toMatchObject({ ageDays: 20, expiresInDays: 12, lifetime: 'expiring', unusedDays: null });
    expect(a.expiresAt?.toISOString()).toBe(daysAgo(-12).toISOString());
    expect(assessCredential(cred({ name: 'x', class: 'api-token', createdAt: null }), now).ageDays).toBeNull();
    expect(assessCredential(cred({ name: 'x', class: 'api-token', lastUsedAt: daysAgo(3) }), now).unusedDays).toBe(3);
  });
});

describe('assessCredentials: the findings of the default policy', () => {
  const credentials: CredentialFacts[] = [
    // A legacy token used by a workload, recently used: forbidden, not unused.
    cred({
      name: 'ci-token',
      kind: 'LegacyServiceAccountToken',
      class: 'legacy-service-account-token',
      identities: ['ServiceAccount/shop/ci'],
      lastUsedAt: daysAgo(2),
      workloads: ['shop/Deployment/ci'],
    }),
    // A legacy token nobody used for 200 days, of an account that runs nothing: forbidden, unused, and its account dormant.
    cred({
      name: 'old-token',
      kind: 'LegacyServiceAccountToken',
      class: 'legacy-service-account-token',
      identities: ['ServiceAccount/shop/exporter'],
      createdAt: daysAgo(400),
      lastUsedAt: daysAgo(200),
    }),
    // A certificate 12 days from expiry, issued by cert-manager; an expired one; one copied into a second namespace.
    cred({
      name: 'web-tls',
      kind: 'TlsCertificate',
      class: 'tls-certificate',
      certificate: cert(daysAgo(-12), 'F1'),
      certManagerCertificate: 'web',
    }),
    cred({ name: 'old-tls', kind: 'TlsCertificate', class: 'tls-certificate', certificate: cert(daysAgo(3), 'F2') }),
    cred({
      key: 'other/TlsCertificate/old-tls',
      namespace: 'other',
      name: 'old-tls',
      kind: 'TlsCertificate',
      class: 'tls-certificate',
      certificate: cert(daysAgo(3), 'F2'),
    }),
    // A cloud key 45 days old used by a CronJob (batch: 30 days) and a database password 100 days old (180 allowed).
    cred({ name: 'aws-credentials', class: 'cloud-key', createdAt: daysAgo(45), workloads: ['shop/CronJob/report'] }),
    cred({
      name: 'orders-db',
      class: 'database-credential',
      createdAt: daysAgo(100),
      workloads: ['shop/Deployment/web', 'shop/Deployment/api', 'shop/Deployment/worker', 'shop/CronJob/report'],
    }),
    // Short-lived tokens are never old, shared or forbidden.
    cred({
      name: 'Deployment/web/automount',
      kind: 'ProjectedToken',
      class: 'projected-service-account-token',
      createdAt: null,
      workloads: ['shop/Deployment/web'],
    }),
  ];
  const workloads: WorkloadFacts[] = [
    workload('web'),
    workload('api', { serviceAccount: 'backend', app: 'api' }),
    workload('worker', { serviceAccount: 'backend', app: 'worker', apiCredential: 'none' }),
    workload('ci', { apiCredential: 'long-lived' }),
    workload('report', { key: 'shop/CronJob/report', kind: 'CronJob', serviceAccount: 'default', app: 'report', team: null }),
  ];
  const { findings, coverage } = assessCredentials(credentials, workloads, DEFAULT_POLICY, now);

  it('equals the hand-checked list', () => {
    expect(findings.map((f) => `${f.ruleId} ${f.subjectKey}`)).toEqual([
      'NHI-CRED-001 shop/LegacyServiceAccountToken/ci-token',
      'NHI-CRED-001 shop/LegacyServiceAccountToken/old-token',
      'NHI-CRED-002 shop/TlsCertificate/web-tls',
      'NHI-CRED-003 other/TlsCertificate/old-tls',
      'NHI-CRED-003 shop/TlsCertificate/old-tls',
      'NHI-CRED-004 shop/OpaqueSecret/aws-credentials',
      'NHI-CRED-005 shop/LegacyServiceAccountToken/old-token',
      'NHI-CRED-006 ServiceAccount/shop/exporter',
      'NHI-CRED-007 shop/OpaqueSecret/orders-db',
      'NHI-CRED-008 certificate/F2',
      'NHI-CRED-009 ServiceAccount/shop/backend',
      'NHI-CRED-010 shop/CronJob/report',
    ]);
  });

  it('explains each finding with its facts, its OWASP item and a concrete fix', () => {
    const by = (rule: string) => findings.find((f) => f.ruleId === rule)!;
    expect(by('NHI-CRED-001')).toMatchObject({ severity: 'high', owasp: ['NHI7'], identity: 'ServiceAccount/shop/ci' });
    expect(by('NHI-CRED-001').remediation.yaml).toContain('serviceAccountToken:');
    expect(by('NHI-CRED-001').remediation.command).toContain('kubectl -n shop delete secret ci-token');
    expect(by('NHI-CRED-002').explanation).toContain('in 12 day(s)');
    expect(by('NHI-CRED-002').remediation.command).toBe('cmctl renew -n shop web');
    expect(by('NHI-CRED-004').evidence).toMatchObject({ ageDays: 45, maxAgeDays: 30 });
    expect(by('NHI-CRED-005').explanation).toContain('200 days ago');
    expect(by('NHI-CRED-006')).toMatchObject({ owasp: ['NHI1'] });
    expect(by('NHI-CRED-007').evidence.workloads).toHaveLength(4);
    expect(by('NHI-CRED-008').explanation).toContain('2 namespaces');
    expect(by('NHI-CRED-009').evidence).toMatchObject({ apps: ['api', 'worker'] });
    for (const f of findings) {
      expect(f.explanation.length, f.ruleId).toBeGreaterThan(40);
      expect(f.remediation.text.length, f.ruleId).toBeGreaterThan(5);
    }
  });

  it('measures short-lived coverage per cluster, namespace and team', () => {
    expect(coverage.filter((c) => c.scopeKind !== 'namespace')).toEqual([
      { scopeKind: 'cluster', scope: '', workloads: 5, shortLived: 3, longLived: 1, none: 1 },
      { scopeKind: 'team', scope: '(no owner)', workloads: 1, shortLived: 1, longLived: 0, none: 0 },
      { scopeKind: 'team', scope: 'storefront', workloads: 4, shortLived: 2, longLived: 1, none: 1 },
    ]);
    expect(shortLivedShare(coverage[0]!)).toBe(0.75);
    expect(shortLivedShare({ shortLived: 0, longLived: 0 })).toBeNull();
    expect(coverageOf([])).toEqual([]);
  });

  it('gives the same output for the same input, and nothing for a clean cluster', () => {
    expect(assessCredentials(credentials, workloads, DEFAULT_POLICY, now)).toEqual(
      assessCredentials(credentials, workloads, DEFAULT_POLICY, now),
    );
    const clean = assessCredentials([credentials[7]!], [workload('web')], DEFAULT_POLICY, now);
    expect(clean.findings).toEqual([]);
  });

  it('knows the workload classes of the policy', () => {
    expect(['Deployment', 'StatefulSet', 'CronJob', 'Job', 'DaemonSet', 'Pod'].map(workloadClassOf)).toEqual([
      'service',
      'service',
      'batch',
      'batch',
      'node-agent',
      'bare-pod',
    ]);
  });
});

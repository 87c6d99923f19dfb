import { describe, expect, it } from 'vitest';
import { diffInventories, rotationOf, type PreviousState } from './changes';
import type { CredentialRec } from './inventory';
import { normalize } from './normalize';
import { emptySnapshot } from './types';

function snapshot(opts: {
  image?: string;
  sa?: string;
  subjects?: string[];
  rules?: string[];
  secretUid?: string;
  withSa?: boolean;
}) {
  const s = emptySnapshot();
  if (opts.withSa !== false)
    s.serviceAccounts.push({ kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'shop', uid: 'sa-1' } });
  s.deployments.push({
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: { spec: { serviceAccountName: opts.sa ?? 'api', containers: [{ name: 'c', image: opts.image ?? 'web:1' }] } },
    },
  });
  s.roles.push({
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'shop' },
    rules: [{ apiGroups: [''], resources: opts.rules ?? ['pods'], verbs: ['get'] }],
  });
  s.roleBindings.push({
    kind: 'RoleBinding',
    metadata: { name: 'read', namespace: 'shop' },
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: (opts.subjects ?? ['api']).map((name) => ({ kind: 'ServiceAccount', name, namespace: 'shop' })),
  });
  s.secrets.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop', uid: opts.secretUid ?? 's-1' },
    type: 'Opaque',
  });
  return normalize(s);
}
const previous = (inv: ReturnType<typeof normalize>): PreviousState => inv;

describe('diffInventories', () => {
  it('reports nothing when nothing changed', () => {
    expect(diffInventories(previous(snapshot({})), snapshot({}))).toEqual([]);
  });

  it('reports image, ServiceAccount, rule, subject and secret changes', () => {
    const changes = diffInventories(
      previous(snapshot({})),
      snapshot({ image: 'web:2', sa: 'default', rules: ['pods', 'secrets'], subjects: ['api', 'default'], secretUid: 's-2' }),
    );
    expect(changes.map((c) => [c.kind, c.summary, c.identity ?? null, c.workload ?? null])).toEqual([
      [
        'binding.added',
        'RoleBinding shop/read grants Role reader to ServiceAccount shop/default',
        'ServiceAccount/shop/default',
        null,
      ],
      ['role.rules_changed', 'Role shop/reader rules changed', null, null],
      ['workload.image_changed', 'Deployment shop/web images changed', null, 'shop/Deployment/web'],
      [
        'workload.sa_changed',
        'Deployment shop/web now runs as default (was api)',
        'ServiceAccount/shop/default',
        'shop/Deployment/web',
      ],
      ['credential.rotated', 'Secret shop/db (OpaqueSecret) was deleted and created again', null, null],
    ]);
  });

  it('reports removed subjects and ServiceAccounts created and deleted', () => {
    expect(diffInventories(previous(snapshot({ withSa: false })), snapshot({})).map((c) => c.kind)).toEqual(['sa.created']);
    const removed = diffInventories(previous(snapshot({ subjects: ['api', 'default'] })), snapshot({ withSa: false }));
    expect(removed.map((c) => [c.kind, c.identity])).toEqual([
      ['sa.deleted', 'ServiceAccount/shop/api'],
      ['binding.removed', 'ServiceAccount/shop/default'],
    ]);
  });
});

describe('rotationOf', () => {
  const cred = (over: Partial<CredentialRec> = {}): CredentialRec => ({
    key: 'shop/OpaqueSecret/db',
    namespace: 'shop',
    name: 'db',
    kind: 'OpaqueSecret',
    secretType: 'Opaque',
    uid: 'u1',
    identity: null,
    createdInClusterAt: '2026-01-01T00:00:00Z',
    expiresAt: null,
    rotatedAt: null,
    class: 'database-credential',
    classReason: '',
    resourceVersion: '100',
    lastUsedAt: null,
    lastUsedSource: null,
    invalidSince: null,
    certificate: null,
    metadata: { labels: { app: 'db' }, annotations: { team: 'shop' } },
    ...over,
  });

  it('sees a recreation, a data change under the same metadata, a new certificate and a managing tool saying so', () => {
    expect(rotationOf(cred(), cred({ uid: 'u2' }))).toBe('recreated');
    expect(rotationOf(cred(), cred({ resourceVersion: '101' }))).toBe('data replaced');
    const cert = (fingerprintSha256: string) => ({
      fingerprintSha256,
      subject: 'CN=x',
      issuer: 'CN=x',
      sans: [],
      notBefore: '',
      notAfter: '',
      serialNumber: '1',
      selfSigned: true,
      isCA: false,
      chainLength: 1,
    });
    expect(rotationOf(cred({ certificate: cert('AA') }), cred({ certificate: cert('BB') }))).toBe('new certificate');
    const eso = (hash: string) => cred({ metadata: { annotations: { 'reconcile.external-secrets.io/data-hash': hash } } });
    expect(rotationOf(eso('h1'), { ...eso('h2'), resourceVersion: '101' })).toBe(
      'reconcile.external-secrets.io/data-hash changed',
    );
  });

  it('does not count a metadata change, the last-use stamp, or nothing at all', () => {
    expect(rotationOf(cred(), cred())).toBeUndefined();
    expect(
      rotationOf(
        cred(),
        cred({ resourceVersion: '101', metadata: { labels: { app: 'db', tier: 'x' }, annotations: { team: 'shop' } } }),
      ),
    ).toBeUndefined();
    // The API server stamps last use on legacy tokens at most daily: a moved resourceVersion, same data.
    const stamp = (day: string) =>
      cred({
        resourceVersion: day,
        metadata: { labels: { app: 'db', 'kubernetes.io/legacy-token-last-used': day }, annotations: { team: 'shop' } },
      });
    expect(rotationOf(cred(), stamp('2026-11-29'))).toBeUndefined();
    expect(rotationOf(stamp('2026-11-28'), stamp('2026-11-29'))).toBeUndefined();
    // Key order of stored JSON does not matter.
    expect(rotationOf(cred({ metadata: { annotations: { team: 'shop' }, labels: { app: 'db' } } }), cred())).toBeUndefined();
    // Without resourceVersions (imported dumps) only a new uid or certificate counts.
    expect(rotationOf(cred({ resourceVersion: null }), cred({ resourceVersion: null }))).toBeUndefined();
  });
});

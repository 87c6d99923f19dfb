import { describe, expect, it } from 'vitest';
import { CLASS_INFO, CREDENTIAL_CLASSES, classOfKeyNames, classifyCredential } from './classify';

const opaque = (name: string, keys?: string[]) =>
  classifyCredential({ kind: 'OpaqueSecret', secretType: 'Opaque', name, ...(keys ? { keyClass: classOfKeyNames(keys) } : {}) });

describe('classifyCredential', () => {
  it('takes the class from the Secret type first', () => {
    expect(
      classifyCredential({ kind: 'LegacyServiceAccountToken', secretType: 'kubernetes.io/service-account-token', name: 'x' }),
    ).toEqual({
      class: 'legacy-service-account-token',
      reason: 'type kubernetes.io/service-account-token',
    });
    expect(classifyCredential({ kind: 'TlsCertificate', secretType: 'kubernetes.io/tls', name: 'db' }).class).toBe(
      'tls-certificate',
    );
    expect(classifyCredential({ kind: 'ProjectedToken', secretType: null, name: 'Deployment/api/automount' }).class).toBe(
      'projected-service-account-token',
    );
  });

  it('classifies opaque Secrets whose names say nothing by their key names (from dumps)', () => {
    expect(opaque('app-config', ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])).toEqual({
      class: 'cloud-key',
      reason: 'its data key names are those of static cloud key (read from a dump)',
    });
    expect(classOfKeyNames(['username', 'nhi-canary-key'])).toBeUndefined();
    expect(opaque('settings', ['DATABASE_URL']).class).toBe('database-credential');
    expect(opaque('settings', ['id_ed25519']).class).toBe('ssh-key');
    expect(opaque('settings', ['.dockerconfigjson']).class).toBe('image-pull-secret');
    // A telling name decides first, as it does for live collection, which sees no key names.
    expect(opaque('payments-db', ['api-key']).class).toBe('database-credential');
  });

  it('classifies by name when no key names are known (live collection reads no data)', () => {
    expect(opaque('payments-db')).toEqual({
      class: 'database-credential',
      reason: 'name "payments-db" looks like a database credential',
    });
    expect(opaque('warehouse-db-credentials').class).toBe('database-credential');
    expect(opaque('stripe-api-key').class).toBe('api-token');
    expect(opaque('alert-router-webhook').class).toBe('api-token');
    expect(opaque('aws-credentials').class).toBe('cloud-key');
    expect(opaque('gcp-sa-key').class).toBe('cloud-key');
    expect(opaque('webhook-certs').class).toBe('tls-certificate');
    expect(opaque('git-ssh').class).toBe('ssh-key');
    // Words inside other words are not evidence.
    expect(opaque('dbt-config').class).toBe('unrecognised-secret');
    expect(opaque('argocd-secret')).toEqual({
      class: 'unrecognised-secret',
      reason: 'type Opaque; neither its name nor its keys name a credential',
    });
  });

  it('reads the annotations that name an issuer', () => {
    expect(
      classifyCredential({
        kind: 'OpaqueSecret',
        secretType: 'Opaque',
        name: 'frontend',
        annotations: { 'cert-manager.io/certificate-name': 'frontend' },
      }),
    ).toEqual({ class: 'tls-certificate', reason: 'issued by cert-manager (Certificate frontend)' });
  });

  it('never takes a Helm release record for a credential', () => {
    expect(
      classifyCredential({ kind: 'OpaqueSecret', secretType: 'helm.sh/release.v1', name: 'sh.helm.release.v1.api-token.v1' })
        .class,
    ).toBe('unrecognised-secret');
  });

  it('describes every class with a lifetime', () => {
    for (const c of CREDENTIAL_CLASSES) expect(['short-lived', 'long-lived', 'expiring']).toContain(CLASS_INFO[c].lifetime);
    expect(CLASS_INFO['projected-service-account-token'].lifetime).toBe('short-lived');
    expect(CLASS_INFO['legacy-service-account-token'].lifetime).toBe('long-lived');
  });
});

/** The manifest rules NHI-MAN-001..004: each fires on its case and stays silent on its negative. */
import { describe, expect, it } from 'vitest';
import {
  envFacts,
  literalSecretReason,
  MANIFEST_RULE_BY_ID,
  MANIFEST_RULES,
  type ManifestWorkloadSubject,
} from './manifest-rules';

const base: ManifestWorkloadSubject = {
  key: 'shop/Deployment/api',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'api',
  serviceAccount: 'api',
  tokenMounted: false,
  automountSetOn: 'pod template',
  accountGrants: 1,
  literalSecretEnv: [],
  secretEnv: [],
  owners: ['payments'],
};
const rule = (id: string) => MANIFEST_RULE_BY_ID.get(id)!;
const fire = (id: string, patch: Partial<ManifestWorkloadSubject>) => rule(id).evaluate({ ...base, ...patch });

it('every rule is described like the posture rules (id, title, severity, OWASP item, remediation)', () => {
  for (const r of MANIFEST_RULES) {
    expect(r.id).toMatch(/^NHI-MAN-\d{3}$/);
    expect(r.title.length).toBeGreaterThan(10);
    expect(r.owasp.length).toBeGreaterThan(0);
  }
  expect(MANIFEST_RULES.map((r) => r.evaluate(base))).toEqual([null, null, null, null]);
});

describe('literalSecretReason', () => {
  it.each([
    ['DB_PASSWORD', 'hunter22', 'name'],
    ['api-key', 'abc123def', 'name'],
    ['GITHUB_TOKEN', 'ghp_xxxxxxxx', 'name'],
    ['AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI', 'name'],
    ['DATABASE_URL', 'postgres://app:s3cret@db:5432/app', 'url-password'],
    ['ADMIN_PASSPHRASE', 'correct horse battery', 'name'],
  ])('%s with a literal value is a secret (%s)', (name, value, why) => {
    expect(literalSecretReason(name, String(value))).toBe(why);
  });
  it.each([
    ['DB_PASSWORD_FILE', '/run/secrets/db'],
    ['TOKEN_AUDIENCE', 'vault'],
    ['SECRET_NAME', 'db-credentials'],
    ['AWS_ACCESS_KEY_ID', 'AKIAxxxxxxxx'],
    ['ENABLE_TOKEN_AUTH', 'true'],
    ['TOKEN_TTL', '3600'],
    ['PASSWORD_MIN_LENGTH', '12'],
    ['PASSWORD', ''],
    ['PASSWORD', '$(DB_PASSWORD)'],
    ['LOG_LEVEL', 'debug'],
    ['DATABASE_URL', 'postgres://db:5432/app'],
    ['DATABASE_URL', 'postgres://app:$(DB_PASSWORD)@db:5432/app'],
  ])('%s=%s is not', (name, value) => {
    expect(literalSecretReason(name, value)).toBeNull();
  });
});

describe('envFacts', () => {
  it('finds literal secrets (names only) and Secrets read into the environment, init containers included', () => {
    const facts = envFacts({
      initContainers: [{ name: 'init', env: [{ name: 'ADMIN_PASSWORD', value: 'changeme' }] }],
      containers: [
        {
          name: 'app',
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'CONFIG', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } },
          ],
          envFrom: [{ secretRef: { name: 'api-keys' } }, { configMapRef: { name: 'cfg' } }],
        },
      ],
    });
    expect(facts.literalSecretEnv).toEqual([{ container: 'init', variable: 'ADMIN_PASSWORD', why: 'name' }]);
    expect(facts.secretEnv).toEqual([
      { container: 'app', variable: 'DB_PASSWORD', secret: 'db' },
      { container: 'app', variable: null, secret: 'api-keys' },
    ]);
    expect(JSON.stringify(facts)).not.toContain('changeme');
  });
});

describe('the rules', () => {
  it('NHI-MAN-001: a literal secret, high, never quoting the value', () => {
    const subject = { ...base, literalSecretEnv: [{ container: 'app', variable: 'DB_PASSWORD', why: 'name' as const }] };
    const e = rule('NHI-MAN-001').evaluate(subject)!;
    expect(e).toEqual({ variables: [{ container: 'app', variable: 'DB_PASSWORD', why: 'name' }] });
    expect(rule('NHI-MAN-001').severity).toBe('high');
    expect(rule('NHI-MAN-001').explain(subject, e)).toContain('DB_PASSWORD (container app)');
    expect(rule('NHI-MAN-001').remediation(subject, e).command).toContain('create secret generic api-credentials');
  });

  it('NHI-MAN-002: a Secret in the environment, low, with the mount to use instead', () => {
    const subject = { ...base, secretEnv: [{ container: 'app', variable: null, secret: 'api-keys' }] };
    const e = rule('NHI-MAN-002').evaluate(subject)!;
    expect(e.secrets).toEqual(['api-keys']);
    expect(rule('NHI-MAN-002').severity).toBe('low');
    expect(rule('NHI-MAN-002').remediation(subject, e).yaml).toContain('secretName: api-keys');
  });

  it('NHI-MAN-003: a mounted token for an account granted nothing; silent when granted, unknown or not mounted', () => {
    expect(fire('NHI-MAN-003', { tokenMounted: true, accountGrants: 0, automountSetOn: 'default' })).toEqual({
      serviceAccount: 'shop/api',
      automountSetOn: 'default',
      grants: 0,
    });
    expect(fire('NHI-MAN-003', { tokenMounted: true, accountGrants: 2 })).toBeNull();
    expect(fire('NHI-MAN-003', { tokenMounted: true, accountGrants: null })).toBeNull();
    expect(fire('NHI-MAN-003', { tokenMounted: false, accountGrants: 0 })).toBeNull();
  });

  it('NHI-MAN-004: a workload without an owning team', () => {
    expect(fire('NHI-MAN-004', { owners: [] })).toEqual({ owners: [] });
    expect(fire('NHI-MAN-004', { owners: ['payments'] })).toBeNull();
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@/lib/paths';
import { DEFAULT_POLICY, maxAgeDays, parsePolicy } from './policy';

describe('the credential policy', () => {
  it('ships public/credential-policy.yaml equal to the built-in default', () => {
    const shipped = parsePolicy(readFileSync(path.join(repoRoot, 'public', 'credential-policy.yaml'), 'utf8'));
    expect(shipped).toEqual(DEFAULT_POLICY);
  });

  it('does not allow legacy token Secrets and warns 30 days before a certificate expires, by default', () => {
    expect(DEFAULT_POLICY.spec.forbiddenClasses).toEqual(['legacy-service-account-token']);
    expect(DEFAULT_POLICY.spec.certificateExpiryWarningDays).toBe(30);
  });

  it('takes the workload class limit over the credential class limit', () => {
    expect(maxAgeDays(DEFAULT_POLICY, 'cloud-key')).toBe(90);
    expect(maxAgeDays(DEFAULT_POLICY, 'cloud-key', 'batch')).toBe(30);
    expect(maxAgeDays(DEFAULT_POLICY, 'cloud-key', 'service')).toBe(90);
    expect(maxAgeDays(DEFAULT_POLICY, 'projected-service-account-token')).toBeUndefined();
  });

  it('fills defaults in a minimal file and refuses a bad one naming the field', () => {
    const minimal = parsePolicy(
      'apiVersion: nhi.dev/v1\nkind: CredentialPolicy\nmetadata: {name: strict, version: 2}\nspec: {}\n',
    );
    expect(minimal.spec).toMatchObject({
      forbiddenClasses: [],
      certificateExpiryWarningDays: 30,
      unusedAfterDays: 90,
      maxWorkloadsPerSecret: 3,
    });
    expect(() =>
      parsePolicy(
        'apiVersion: nhi.dev/v1\nkind: CredentialPolicy\nmetadata: {name: x, version: 1}\nspec: {forbiddenClasses: [passwords]}\n',
      ),
    ).toThrow(/spec\.forbiddenClasses\.0/);
    expect(() =>
      parsePolicy('apiVersion: nhi.dev/v2\nkind: CredentialPolicy\nmetadata: {name: x, version: 1}\nspec: {}\n'),
    ).toThrow(/apiVersion/);
    expect(() => parsePolicy('{ not yaml', 'policy.yaml')).toThrow(/policy.yaml is not valid YAML/);
  });
});

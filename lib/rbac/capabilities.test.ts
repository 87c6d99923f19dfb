import { describe, expect, it } from 'vitest';
import { CAPABILITIES, MITRE_TECHNIQUES, OWASP_NHI_TOP10, checkKey } from './capabilities';

describe('capability catalogue', () => {
  it('every id is unique and kebab-case', () => {
    const ids = CAPABILITIES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('every entry has a title, an explanation, a severity, OWASP NHI and MITRE mappings, and a non-empty matcher', () => {
    for (const c of CAPABILITIES) {
      expect([c.id, c.title.length > 0]).toEqual([c.id, true]);
      expect([c.id, c.explanation.length > 40]).toEqual([c.id, true]);
      expect(['critical', 'high', 'medium', 'low']).toContain(c.severity);
      if (c.namespaceSeverity) expect(['critical', 'high', 'medium', 'low']).toContain(c.namespaceSeverity);
      expect([c.id, c.owasp.length > 0]).toEqual([c.id, true]);
      for (const o of c.owasp) expect(Object.keys(OWASP_NHI_TOP10)).toContain(o);
      expect([c.id, c.mitre.length > 0]).toEqual([c.id, true]);
      for (const m of c.mitre) expect([c.id, m, m in MITRE_TECHNIQUES]).toEqual([c.id, m, true]);
      expect([c.id, c.anyOf.length > 0]).toEqual([c.id, true]);
      for (const alt of c.anyOf) {
        expect([c.id, alt.length > 0]).toEqual([c.id, true]);
        for (const check of alt) {
          expect(check.verb.length).toBeGreaterThan(0);
          expect(check.resource.length).toBeGreaterThan(0);
          expect(['namespaced', 'cluster']).toContain(check.scope);
        }
        // No duplicate check inside one alternative.
        expect(new Set(alt.map(checkKey)).size).toBe(alt.length);
      }
    }
  });

  it('uses the 2025 OWASP NHI Top 10 names', () => {
    expect(OWASP_NHI_TOP10).toEqual({
      NHI1: 'Improper Offboarding',
      NHI2: 'Secret Leakage',
      NHI3: 'Vulnerable Third-Party NHI',
      NHI4: 'Insecure Authentication',
      NHI5: 'Overprivileged NHI',
      NHI6: 'Insecure Cloud Deployment Configurations',
      NHI7: 'Long-Lived Secrets',
      NHI8: 'Environment Isolation',
      NHI9: 'NHI Reuse',
      NHI10: 'Human Use of NHI',
    });
  });

  it('covers the powers the public scanners flag', () => {
    const has = (verb: string, resource: string, subresource?: string) =>
      CAPABILITIES.some((c) =>
        c.anyOf.some((alt) =>
          alt.some((k) => k.verb === verb && k.resource === resource && (k.subresource ?? undefined) === subresource),
        ),
      );
    const required: [string, string, string?][] = [
      ['get', 'secrets'],
      ['list', 'secrets'],
      ['watch', 'secrets'],
      ['create', 'pods'],
      ['patch', 'pods'],
      ['update', 'pods'],
      ...['deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers'].flatMap((r) =>
        ['create', 'update', 'patch'].map((v) => [v, r] as [string, string]),
      ),
      ['create', 'pods', 'exec'],
      ['create', 'pods', 'attach'],
      ['create', 'pods', 'portforward'],
      ['patch', 'pods', 'ephemeralcontainers'],
      ['impersonate', 'users'],
      ['impersonate', 'groups'],
      ['impersonate', 'serviceaccounts'],
      ['impersonate', 'uids'],
      ['bind', 'roles'],
      ['bind', 'clusterroles'],
      ['escalate', 'roles'],
      ['escalate', 'clusterroles'],
      ...['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'].flatMap((r) =>
        ['create', 'update', 'patch'].map((v) => [v, r] as [string, string]),
      ),
      ['create', 'serviceaccounts', 'token'],
      ['get', 'nodes', 'proxy'],
      ['create', 'nodes', 'proxy'],
      ['update', 'certificatesigningrequests', 'approval'],
      ['approve', 'signers'],
      ['sign', 'signers'],
      ['create', 'mutatingwebhookconfigurations'],
      ['update', 'validatingwebhookconfigurations'],
      ['patch', 'validatingadmissionpolicies'],
      ['create', 'validatingadmissionpolicybindings'],
      ['create', 'persistentvolumes'],
      ['delete', 'events'],
      ['patch', 'nodes'],
      ['update', 'nodes'],
    ];
    for (const [v, r, s] of required) expect([v, r, s, has(v, r, s)]).toEqual([v, r, s, true]);
    expect(CAPABILITIES.map((c) => c.id)).toContain('cluster-admin');
  });
});

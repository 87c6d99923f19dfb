import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readDumps } from '@/lib/collect/import';
import { normalize } from '@/lib/collect/normalize';
import { parseRuntimeText } from '@/lib/runtime/parse';
import { demoAuditFile, demoDataFile, demoFalcoFile } from './load';

describe('the bundled demo dataset', () => {
  const list = JSON.parse(gunzipSync(readFileSync(demoDataFile)).toString('utf8')) as {
    kind: string;
    items: { kind: string; metadata: { annotations?: Record<string, string> }; [k: string]: unknown }[];
  };

  it('holds Secrets as metadata only: no data, no stringData, no last-applied copy', () => {
    const secrets = list.items.filter((i) => i.kind === 'Secret');
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) {
      expect(Object.keys(s).sort()).toEqual(expect.not.arrayContaining(['data', 'stringData']));
      expect(Object.keys(s.metadata.annotations ?? {})).not.toContain('kubectl.kubernetes.io/last-applied-configuration');
    }
  });

  it('reads through the import path into a realistic inventory: teams, operators, insecure scenarios', async () => {
    const dump = await readDumps([demoDataFile]);
    expect(dump.notes.filter((n) => n.level === 'error')).toEqual([]);
    const inv = normalize(dump.snapshot);
    const namespaces = inv.namespaces.map((n) => n.name);
    expect(namespaces).toEqual(
      expect.arrayContaining([
        'payments',
        'checkout',
        'data-platform',
        'monitoring',
        'flux-system',
        'cert-manager',
        'vuln-badpods',
      ]),
    );
    expect(new Set(inv.ownerHints.map((h) => h.team)).size).toBeGreaterThanOrEqual(4);
    expect(
      inv.identities
        .filter((i) => i.kind === 'CloudIdentity')
        .map((i) => i.provider)
        .sort(),
    ).toEqual(expect.arrayContaining(['aws', 'azure', 'gcp']));
    expect(inv.workloads.length).toBeGreaterThan(100);
  });
});

describe('the bundled demo runtime events', () => {
  const auditText = gunzipSync(readFileSync(demoAuditFile)).toString('utf8');
  const falcoText = readFileSync(demoFalcoFile, 'utf8');
  const audit = parseRuntimeText(auditText);
  const falco = parseRuntimeText(falcoText);

  it('parse with no rejected item', () => {
    expect(audit.rejected).toEqual([]);
    expect(falco.rejected).toEqual([]);
    expect(audit.events.length).toBeGreaterThan(50);
    expect(audit.events.every((e) => e.source === 'audit')).toBe(true);
    expect(falco.events.length).toBeGreaterThan(0);
    expect(falco.events.every((e) => e.source === 'falco')).toBe(true);
  });

  it('hold calls of at least 4 ServiceAccounts made with pod-bound tokens, denied ones among them', () => {
    const podBound = audit.events.filter((e) => e.serviceAccount && e.pod?.name && e.credentialId?.startsWith('JTI='));
    const accounts = new Set(podBound.map((e) => `${e.serviceAccount!.namespace}/${e.serviceAccount!.name}`));
    expect(accounts.size).toBeGreaterThanOrEqual(4);
    expect(podBound.some((e) => e.responseCode === 403 && e.decision === 'forbid')).toBe(true);
    expect(podBound.some((e) => e.userAgent.startsWith('kubectl/'))).toBe(true);
  });

  it('hold the TokenRequests that minted those tokens: the issued credential id is the one their calls carry', () => {
    const minted = audit.events.filter((e) => e.tokenRequest && e.issuedCredentialId);
    expect(minted.length).toBeGreaterThanOrEqual(4);
    for (const e of minted) {
      expect(e.tokenRequest!.boundObject?.kind).toBe('Pod');
      expect(e.tokenRequest!.expiresAt).not.toBeNull();
    }
    const used = new Set(audit.events.map((e) => e.credentialId).filter(Boolean));
    expect(minted.filter((e) => used.has(e.issuedCredentialId)).length).toBeGreaterThanOrEqual(4);
  });

  it('hold no token: no "token" field, nothing JWT-looking, no body but a TokenRequest spec and expiry', () => {
    for (const text of [auditText, falcoText]) {
      expect(text).not.toMatch(/"token"\s*:/);
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    }
    for (const line of auditText.split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as { requestObject?: object; responseObject?: { status?: object } };
      if (e.requestObject) expect(Object.keys(e.requestObject)).toEqual(['spec']);
      if (e.responseObject) {
        expect(Object.keys(e.responseObject)).toEqual(['status']);
        expect(Object.keys(e.responseObject.status ?? {})).toEqual(['expirationTimestamp']);
      }
    }
  });

  it('has only synthetic Falco alerts, for a pod whose token the audit events show in use', () => {
    const auditPods = new Set(audit.events.flatMap((e) => (e.pod ? [`${e.serviceAccount?.namespace}/${e.pod.name}`] : [])));
    for (const e of falco.events) {
      expect(e.falco!.tags).toContain('synthetic');
      expect(auditPods).toContain(`${e.workload!.namespace}/${e.workload!.pod}`);
    }
  });
});

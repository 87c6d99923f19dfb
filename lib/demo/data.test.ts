import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readDumps } from '@/lib/collect/import';
import { normalize } from '@/lib/collect/normalize';
import { demoDataFile } from './load';

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

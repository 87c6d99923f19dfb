import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { corpusPath, listFiles } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { dedupe, parseRuntimeText } from './parse';
import type { RejectedItem } from './types';

/** Every item the corpus holds that is not a valid audit event or Falco alert, checked by eye. */
const KUBE_AUDIT_REST_LINES = 59;
const EXPECTED_REJECTED: Record<string, RejectedItem[]> = {
  // Deliberately malformed (`{"kind": 0}`), per the Falco test matrix.
  'audit/falco-k8s-audit-traces/fal_01_003.json': [
    { item: 'document', reason: 'neither an audit event nor a Falco alert: an object of kind 0' },
  ],
  // kube-audit-rest logs admission webhook requests, not audit.k8s.io events.
  'audit/kube-audit-rest/kube-audit-rest.jsonl': Array.from({ length: KUBE_AUDIT_REST_LINES }, (_, i) => ({
    item: `line ${i + 1}`,
    reason: 'an AdmissionReview (admission webhook log), not an audit.k8s.io Event',
  })),
  // falco-talon's examples spell the field `Rule`: not Falco's output format.
  'falco/falco-talon-examples.jsonl': [1, 2, 3, 4, 5, 6].map((n) => ({
    item: `line ${n}`,
    reason: 'not a Falco alert: rule: Invalid input: expected string, received undefined',
  })),
  // The blog's example time has a stray `+2` after the Z.
  'falco/falco-website__blog__extend-falco-outputs-with-falcosidekick.jsonl': [
    { item: 'document', reason: 'not a Falco alert: time "2021-04-13T20:58:00.746609046Z+2" is not a time' },
  ],
};

describeWithCorpus('runtime corpus', () => {
  const root = corpusPath('runtime');
  // YAML files (Falco rules, PSPs, Panther rule tests, test matrices) are not event streams.
  const files = listFiles(root, ['.json', '.jsonl']);
  const results = files.map((file) => {
    const name = path.relative(root, file);
    return { name, result: parseRuntimeText(readFileSync(file, 'utf8')) };
  });

  it('reads every JSON and JSON-lines file', () => {
    expect(files.length).toBe(98);
  });

  it.each(results.filter((r) => !(r.name in EXPECTED_REJECTED)).map((r) => [r.name, r.result] as const))(
    '%s: every item is a valid event',
    (_name, result) => {
      expect(result.rejected).toEqual([]);
      expect(result.events.length).toBeGreaterThan(0);
    },
  );

  it('rejects exactly the malformed items, each with a reason', () => {
    const rejected = Object.fromEntries(results.filter((r) => r.result.rejected.length).map((r) => [r.name, r.result.rejected]));
    expect(rejected).toEqual(EXPECTED_REJECTED);
  });

  it('counts the events of each source', () => {
    const events = results.flatMap((r) => r.result.events);
    expect(events.filter((e) => e.source === 'audit')).toHaveLength(122);
    expect(events.filter((e) => e.source === 'falco')).toHaveLength(26);
    // Several traces replay the same audit event (same auditID and stage), and two blog posts show the same
    // Falco alert: each is stored once.
    expect(dedupe(events.filter((e) => e.source === 'audit'))).toHaveLength(103);
    expect(dedupe(events.filter((e) => e.source === 'falco'))).toHaveLength(24);
  });

  it('attributes service-account requests and Falco pods', () => {
    const events = results.flatMap((r) => r.result.events);
    const sa = events.filter((e) => e.serviceAccount);
    expect(sa.length).toBeGreaterThan(0);
    expect(
      sa.some((e) => e.serviceAccount!.namespace === 'kube-system' && e.serviceAccount!.name === 'replicaset-controller'),
    ).toBe(true);
    const pods = events.filter((e) => e.workload);
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.map((e) => e.workload)).toContainEqual({ namespace: 'default', pod: 'alpine' });
  });
});

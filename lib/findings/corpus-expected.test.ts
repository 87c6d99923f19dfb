/**
 * The posture findings of the public corpus's insecure scenarios equal their expected lists (lib/findings/corpus-
 * expected.ts, each entry from a line of rbac/vulnerable/EXPECTED.md or marked as ours with its reason), and the
 * operators' standard manifests raise only their justified findings. Subjects are built from the manifests without a
 * database (lib/findings/subjects.ts). Skipped, not failed, without the corpus (failed where CI is set).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { corpusLocation, corpusPath, listFiles, loadManifestObjects, type ManifestObject } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { readCorpus } from '@/e2e/cluster/seed-corpus';
import { POSTURE_RULE_BY_ID, type PostureFinding } from './rules';
import { findingsFromObjects } from './subjects';
import {
  BADPODS,
  BADPODS_EXCEPTIONS,
  CHARTS,
  COMPARED_RULES,
  KUBEHOUND,
  KUBERNETES_GOAT,
  KUBESCAPE_REGOLIBRARY,
  KUBISCAN,
  NOT_COMPARED,
  type Expected,
} from './corpus-expected';

const VULN = 'rbac/vulnerable';
const compared = new Set<string>(COMPARED_RULES);

const keysOf = (fs: readonly PostureFinding[]) =>
  fs
    .filter((f) => compared.has(f.ruleId))
    .map((f) => `${f.ruleId} ${f.subjectKey}`)
    .sort();
const expectedKeys = (list: readonly Expected[]) => list.map(([rule, subject]) => `${rule} ${subject}`).sort();

/** Equality both ways, reported as what is missing and what is extra. */
function expectSame(scenario: string, findings: readonly PostureFinding[], expected: readonly Expected[]): void {
  const ours = keysOf(findings);
  const want = expectedKeys(expected);
  expect({ scenario, missing: want.filter((k) => !ours.includes(k)), extra: ours.filter((k) => !want.includes(k)) }).toEqual({
    scenario,
    missing: [],
    extra: [],
  });
}

const hostFacts = (f: PostureFinding | undefined) =>
  ((f?.evidence.hostAccess as { fact: string }[] | undefined) ?? []).map((h) => h.fact);

it('the fixture is well formed: compared rules exist, every other rule says why it is not compared, entries are unique and justified', () => {
  for (const id of COMPARED_RULES) expect(POSTURE_RULE_BY_ID.has(id), id).toBe(true);
  for (const id of POSTURE_RULE_BY_ID.keys())
    if (!compared.has(id) && id !== 'NHI-POS-003') expect(NOT_COMPARED[id], id).toBeTruthy();
  const lists: [string, readonly Expected[]][] = [
    ['kubehound', KUBEHOUND],
    ['kubiscan', KUBISCAN],
    ...Object.entries(KUBERNETES_GOAT),
    ...Object.entries(KUBESCAPE_REGOLIBRARY),
    ...Object.entries(CHARTS),
  ];
  for (const [name, list] of lists) {
    expect(new Set(expectedKeys(list)).size, name).toBe(list.length);
    for (const [rule, subject, why] of list) {
      expect(compared.has(rule), `${name}: ${rule}`).toBe(true);
      expect(subject, name).toMatch(/^(identity:ServiceAccount\/[^/]+\/[^/]+|workload:[^/]+\/[A-Za-z]+\/[^/]+|namespace:[^/]+)$/);
      expect(why.length, `${name}: ${rule} ${subject}`).toBeGreaterThan(20);
    }
  }
});

describeWithCorpus('findings on the insecure scenarios equal their expected lists (rbac/vulnerable)', () => {
  it('KubeHound test cluster (on Kubernetes’ default RBAC and its three nodes)', () => {
    const cluster = listFiles(corpusPath(VULN, 'kubehound/test-cluster'))
      .filter((f) => !f.endsWith('cluster.yaml'))
      .flatMap((f) => loadManifestObjects(f));
    // The kind cluster the test ran on has the default roles (controller-roles-featuregates.yaml repeats controller-roles.yaml).
    const bootstrap = listFiles(corpusPath('rbac/kubernetes-bootstrap'))
      .filter((f) => !f.endsWith('controller-roles-featuregates.yaml'))
      .flatMap((f) => loadManifestObjects(f));
    const nodes = ['kubehound.test.local-control-plane', 'kubehound.test.local-worker', 'kubehound.test.local-worker2'].map(
      (name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }),
    );
    const findings = findingsFromObjects([...bootstrap, ...cluster, ...nodes]);
    expectSame('kubehound', findings, KUBEHOUND);
    // Test_NoEdgeCase: control-pod and its account raise nothing at all.
    expect(
      findings.filter((f) => /control-pod|ServiceAccount\/default\/default$/.test(f.subjectKey) && compared.has(f.ruleId)),
    ).toEqual([]);
  });

  it('KubiScan unit test: kubiscan-sa is risky, kubiscan-sa2 and default are not', () => {
    const objects = ['kubiscan-sa.yaml', 'kubiscan-sa2.yaml'].flatMap((f) =>
      loadManifestObjects(corpusPath(VULN, 'kubiscan', f)),
    );
    expectSame('kubiscan', findingsFromObjects(objects), KUBISCAN);
  });

  const goatDir = corpusPath(VULN, 'kubernetes-goat');
  const goatFiles = existsSync(goatDir)
    ? readdirSync(goatDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  it('Kubernetes Goat: every file of the fixture exists', () => {
    expect(Object.keys(KUBERNETES_GOAT).filter((f) => !goatFiles.includes(f))).toEqual([]);
  });
  for (const file of goatFiles)
    it(`Kubernetes Goat ${file}`, () => {
      expectSame(file, findingsFromObjects(loadManifestObjects(path.join(goatDir, file))), KUBERNETES_GOAT[file] ?? []);
    });

  const badDir = corpusPath(VULN, 'badpods');
  for (const file of existsSync(badDir) ? listFiles(badDir) : []) {
    const rel = path.relative(badDir, file).split(path.sep).join('/');
    it(`badPods ${rel}`, () => {
      const category = rel.split('/')[0]!;
      const want = BADPODS_EXCEPTIONS[rel] ?? BADPODS[category];
      expect(want, `category ${category}`).toBeDefined();
      const objects = loadManifestObjects(file);
      // One workload per file (the StatefulSets come with their headless Service).
      const workloads = objects.filter((x) => x.kind !== 'Service');
      expect(workloads).toHaveLength(1);
      const o = workloads[0] as ManifestObject & { kind: string };
      const subject = `workload:default/${o.kind}/${o.metadata!.name}`;
      const findings = findingsFromObjects(objects);
      expectSame(rel, findings, want!.facts.length ? [['NHI-POS-004', subject, want!.why]] : []);
      expect(hostFacts(findings.find((f) => f.ruleId === 'NHI-POS-004'))).toEqual([...want!.facts]);
    });
  }

  const rego = corpusPath(VULN, 'kubescape-regolibrary');
  const regoCases = existsSync(rego)
    ? readdirSync(rego)
        .filter((r) => existsSync(path.join(rego, r, 'test')))
        .sort()
        .flatMap((r) =>
          readdirSync(path.join(rego, r, 'test'))
            .sort()
            .filter((c) => existsSync(path.join(rego, r, 'test', c, 'input')))
            .map((c) => `${r}/${c}`),
        )
    : [];
  it('kubescape regolibrary: every case of the fixture exists', () => {
    expect(regoCases.length).toBeGreaterThan(100);
    expect(Object.keys(KUBESCAPE_REGOLIBRARY).filter((c) => !regoCases.includes(c))).toEqual([]);
  });
  for (const c of regoCases)
    it(`kubescape regolibrary ${c}`, () => {
      const [rule, testCase] = c.split('/') as [string, string];
      const objects = listFiles(path.join(rego, rule, 'test', testCase, 'input')).flatMap((f) => loadManifestObjects(f));
      expectSame(c, findingsFromObjects(objects), KUBESCAPE_REGOLIBRARY[c] ?? []);
    });
});

describeWithCorpus('the operators’ standard manifests raise only their justified findings (rbac/charts)', () => {
  // Placed as the seeded test cluster places them: un-namespaced objects go where the project's bindings point.
  const plan = readCorpus(corpusLocation());
  const byProject = new Map<string, ManifestObject[]>();
  for (const p of plan.objects) {
    if (!p.origin.startsWith('charts/')) continue;
    const o = structuredClone(p.obj);
    o.metadata = { ...(o.metadata ?? {}), namespace: o.metadata?.namespace || p.defaultNamespace };
    const project = p.origin.slice('charts/'.length);
    byProject.set(project, [...(byProject.get(project) ?? []), o]);
  }

  it('every project of the fixture exists', () => {
    expect(byProject.size).toBeGreaterThan(15);
    expect(Object.keys(CHARTS).filter((p) => !byProject.has(p))).toEqual([]);
  });
  for (const [project, objects] of [...byProject].sort(([a], [b]) => a.localeCompare(b)))
    it(`chart ${project}`, () => {
      expectSame(project, findingsFromObjects(objects), CHARTS[project] ?? []);
    });
});

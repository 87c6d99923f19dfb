/**
 * `nhi check` on the public test corpus (../shared/corpus, rbac/): it flags the insecure scenarios — every finding
 * lib/findings/corpus-expected.ts expects of badPods, Kubernetes Goat, KubiScan and KubeHound's test cluster is raised,
 * and the gate fails wherever one of them is high or critical — and it passes the operators' standard manifests
 * (rbac/charts) once their documented powers are written down as policy exceptions: what they raise of the compared
 * rules is exactly their justified list (CHARTS), and nothing else at or above high is left open.
 * Skipped, not failed, without the corpus (failed where CI is set), like corpus-expected.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { corpusLocation, corpusPath, listFiles, loadManifestObjects, type ManifestObject } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { readCorpus } from '@/e2e/cluster/seed-corpus';
import {
  BADPODS,
  BADPODS_EXCEPTIONS,
  CHARTS,
  COMPARED_RULES,
  KUBEHOUND,
  KUBERNETES_GOAT,
  KUBISCAN,
  type Expected,
} from '@/lib/findings/corpus-expected';
import { SEVERITIES } from '@/lib/rbac/capabilities';
import { checkManifests, checkObjects, type CheckOptions, type CheckReport } from './check';
import { DEFAULT_CHECK_POLICY, type CheckException, type CheckPolicy } from './policy';

const VULN = 'rbac/vulnerable';
const NOW = new Date('2026-12-01T00:00:00Z');
const compared = new Set<string>(COMPARED_RULES);
const text = (file: string) => ({ name: path.relative(corpusLocation(), file), text: readFileSync(file, 'utf8') });

/** Every expected finding is raised (open), and the gate fails exactly when one of them is high or above. */
function expectFlagged(scenario: string, report: CheckReport, expected: readonly Expected[]): void {
  expect(
    report.issues.filter((i) => i.level === 'error'),
    scenario,
  ).toEqual([]);
  const raised = new Map(report.findings.map((f) => [f.fingerprint, f]));
  const missing = expected.map(([rule, subject]) => `${rule} ${subject}`).filter((k) => !raised.has(k));
  expect({ scenario, missing }).toEqual({ scenario, missing: [] });
  const serious = expected.some(
    ([rule, subject]) => SEVERITIES.indexOf(raised.get(`${rule} ${subject}`)!.severity) >= SEVERITIES.indexOf('high'),
  );
  expect({ scenario, failed: report.failed }).toEqual({ scenario, failed: serious });
  // Every finding points at an object of the scenario's files.
  expect(report.findings.filter((f) => !f.object.file).map((f) => f.fingerprint)).toEqual([]);
}

describeWithCorpus('nhi check flags the insecure scenarios (rbac/vulnerable)', () => {
  it('KubeHound test cluster, judged in the context of Kubernetes’ default RBAC and its nodes', () => {
    const files = listFiles(corpusPath(VULN, 'kubehound/test-cluster')).filter((f) => !f.endsWith('cluster.yaml'));
    const bootstrap = listFiles(corpusPath('rbac/kubernetes-bootstrap'))
      .filter((f) => !f.endsWith('controller-roles-featuregates.yaml'))
      .flatMap((f) => loadManifestObjects(f));
    const nodes = ['kubehound.test.local-control-plane', 'kubehound.test.local-worker', 'kubehound.test.local-worker2'].map(
      (name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }),
    );
    const report = checkManifests(files.map(text), { now: NOW, context: { name: 'kind', objects: [...bootstrap, ...nodes] } });
    expectFlagged('kubehound', report, KUBEHOUND);
    // Nothing of Kubernetes' own roles is reported: only what the scenario's files touch.
    expect(report.findings.filter((f) => f.subject.namespace === 'kube-system')).toEqual([]);
  });

  it('KubiScan: kubiscan-sa is flagged', () => {
    const files = ['kubiscan-sa.yaml', 'kubiscan-sa2.yaml'].map((f) => corpusPath(VULN, 'kubiscan', f));
    expectFlagged('kubiscan', checkManifests(files.map(text), { now: NOW }), KUBISCAN);
  });

  const goatDir = corpusPath(VULN, 'kubernetes-goat');
  const goatFiles = existsSync(goatDir)
    ? readdirSync(goatDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  for (const file of goatFiles.filter((f) => KUBERNETES_GOAT[f]?.length))
    it(`Kubernetes Goat ${file}`, () => {
      expectFlagged(file, checkManifests([text(path.join(goatDir, file))], { now: NOW }), KUBERNETES_GOAT[file]!);
    });

  const badDir = corpusPath(VULN, 'badpods');
  for (const file of existsSync(badDir) ? listFiles(badDir) : []) {
    const rel = path.relative(badDir, file).split(path.sep).join('/');
    it(`badPods ${rel}`, () => {
      const want = BADPODS_EXCEPTIONS[rel] ?? BADPODS[rel.split('/')[0]!]!;
      const report = checkManifests([text(file)], { now: NOW });
      const workload = report.findings.find((f) => f.rule === 'NHI-POS-004');
      if (!want.facts.length) {
        // The negative control: no host access, and the gate passes.
        expect(workload).toBeUndefined();
        expect(report.failed).toBe(false);
        return;
      }
      expect(((workload?.evidence.hostAccess as { fact: string }[]) ?? []).map((h) => h.fact)).toEqual([...want.facts]);
      expect(workload!.severity === 'critical' || workload!.severity === 'high' ? report.failed : true).toBe(true);
      expect(workload!.object.line).toBeGreaterThan(0);
    });
  }
});

/**
 * The escalation paths (NHI-POS-003) of the charts' accounts that have no documented NHI-POS-001/002 entry, each with
 * the documented job that needs it. (Where the account has one, its paths come from the same grants: same reason.)
 */
const DOCUMENTED_PATHS: Record<string, readonly [subject: string, why: string][]> = {
  calico: [
    [
      'identity:ServiceAccount/kube-system/calico-node',
      "calico-node mints the token of calico-cni-plugin (serviceaccounts/token) for the CNI plugin it installs on each node: Calico's documented design",
    ],
  ],
  'cert-manager': [
    [
      'identity:ServiceAccount/cert-manager/cert-manager-webhook',
      "keeps its serving CA in a Secret of cert-manager (create secrets there: its dynamic-serving Role); a token Secret made for cert-manager's account is a real, narrow path, as argocd-redis's",
    ],
  ],
  'local-path-provisioner': [
    [
      'identity:ServiceAccount/local-path-storage/local-path-provisioner-service-account',
      'creates a helper pod with a hostPath volume on the node to make and remove each volume’s directory: its documented job',
    ],
  ],
};

/** The chart's documented powers as exceptions of the check policy (namespace and name of each subject). */
function documentedPolicy(project: string): CheckPolicy {
  const exceptions: CheckException[] = [];
  const add = (rule: string, subject: string, reason: string) => {
    const [, rest] = subject.split(':') as [string, string];
    const parts = rest.split('/');
    const [namespace, name] = subject.startsWith('identity:')
      ? [parts[1]!, parts[2]!]
      : subject.startsWith('workload:')
        ? [parts[0]!, parts[2]!]
        : [rest, rest];
    exceptions.push({ rule, namespace, name, reason, expires: '2099-12-31' });
  };
  for (const [rule, subject, why] of CHARTS[project] ?? []) {
    add(rule, subject, why);
    if (rule === 'NHI-POS-001' || rule === 'NHI-POS-002')
      add('NHI-POS-003', subject, `the escalation paths of the same documented grants: ${why}`);
  }
  for (const [subject, why] of DOCUMENTED_PATHS[project] ?? []) add('NHI-POS-003', subject, why);
  return {
    ...DEFAULT_CHECK_POLICY,
    metadata: { name: `${project}-documented`, version: 1 },
    spec: { ...DEFAULT_CHECK_POLICY.spec, exceptions },
  };
}

describeWithCorpus('nhi check passes the operators’ manifests whose powers are documented (rbac/charts)', () => {
  // Placed as the seeded test cluster places them (and as corpus-expected.test.ts judges them).
  const plan = readCorpus(corpusLocation());
  const byProject = new Map<string, { object: Record<string, unknown>; file: string }[]>();
  for (const p of plan.objects) {
    if (!p.origin.startsWith('charts/')) continue;
    const o = structuredClone(p.obj) as ManifestObject;
    o.metadata = { ...(o.metadata ?? {}), namespace: o.metadata?.namespace || p.defaultNamespace };
    const project = p.origin.slice('charts/'.length);
    byProject.set(project, [...(byProject.get(project) ?? []), { object: o as Record<string, unknown>, file: p.source }]);
  }

  it('every project of the fixture exists', () => {
    expect(Object.keys(CHARTS).filter((p) => !byProject.has(p))).toEqual([]);
    expect(Object.keys(DOCUMENTED_PATHS).filter((p) => !byProject.has(p))).toEqual([]);
  });

  for (const [project, objects] of [...byProject].sort(([a], [b]) => a.localeCompare(b)))
    it(`chart ${project}`, () => {
      const options: CheckOptions = { now: NOW, failOn: 'high' };
      const plain = checkObjects(objects, options);
      // The compared rules raise exactly the justified list, as in corpus-expected.test.ts.
      const ours = plain.findings
        .filter((f) => compared.has(f.rule))
        .map((f) => f.fingerprint)
        .sort();
      expect({ project, findings: ours }).toEqual({
        project,
        findings: (CHARTS[project] ?? []).map(([r, s]) => `${r} ${s}`).sort(),
      });
      // With the documented powers as exceptions, nothing at or above high is left open: the gate passes.
      const gated = checkObjects(objects, { ...options, policy: documentedPolicy(project) });
      expect({
        project,
        open: gated.findings
          .filter((f) => f.status === 'open' && ['critical', 'high'].includes(f.severity))
          .map((f) => f.fingerprint),
      }).toEqual({
        project,
        open: [],
      });
      expect(gated.failed).toBe(false);
      // And every exception was needed: each covers a finding of the chart.
      const used = new Set(
        gated.findings.filter((f) => f.exception).map((f) => `${f.rule} ${f.subject.namespace}/${f.subject.name}`),
      );
      const unused = documentedPolicy(project)
        .spec.exceptions.filter((e) => e.rule !== 'NHI-POS-003')
        .filter((e) => !used.has(`${e.rule} ${e.namespace}/${e.name}`));
      expect(unused).toEqual([]);
    });
});

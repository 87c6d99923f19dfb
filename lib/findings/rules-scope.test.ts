/**
 * The namespace- and cluster-scoped posture rules (NHI-POS-008…010), the registry allow-list (NHI-POS-011), the
 * escape capabilities NHI-POS-004 now reads, and the findings policy file: positive and negative cases per rule.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AdmissionPolicyRec } from '@/lib/collect/inventory';
import { repoRoot } from '@/lib/paths';
import {
  allowedBy,
  DEFAULT_FINDINGS_POLICY,
  findingsPolicySchema,
  imageOrigin,
  loadFindingsPolicy,
  parseFindingsPolicy,
  type FindingsPolicy,
} from './policy';
import {
  evaluatePosture,
  POSTURE_RULE_BY_ID,
  type GrantedRole,
  type IdentitySubject,
  type NamespaceSubject,
  type PostureFinding,
  type WorkloadSubject,
} from './rules';
import { clusterSubjectOf, SYSTEM_NAMESPACES } from './scope-rules';

const ns = (over: Partial<NamespaceSubject> = {}): NamespaceSubject => ({
  name: 'payments',
  labels: { 'pod-security.kubernetes.io/enforce': 'baseline' },
  networkPolicies: ['default-deny'],
  workloads: ['Deployment/api'],
  ...over,
});

const workload = (over: Partial<WorkloadSubject> = {}): WorkloadSubject => ({
  key: 'payments/Deployment/api',
  namespace: 'payments',
  kind: 'Deployment',
  name: 'api',
  serviceAccount: 'api',
  automountToken: null,
  serviceAccountAutomount: null,
  images: ['registry.example.com/shop/api@sha256:0123'],
  podSpecFacts: {},
  runtime: null,
  ...over,
});

const policy = (registries: string[]): FindingsPolicy => ({
  ...DEFAULT_FINDINGS_POLICY,
  metadata: { name: 'acme', version: 3 },
  spec: { registries },
});

const only = (ruleId: string, fs: PostureFinding[]) => fs.filter((f) => f.ruleId === ruleId);
const ofNamespace = (ruleId: string, n: NamespaceSubject) => only(ruleId, evaluatePosture([], [], { namespaces: [n] }));
const webhook = (name: string, resources: string[]): AdmissionPolicyRec => ({
  kind: 'ValidatingWebhookConfiguration',
  name,
  resources,
  webhooks: [`${name}.example.com`],
});
const ofCluster = (admission: AdmissionPolicyRec[], namespaces: NamespaceSubject[]) =>
  only('NHI-POS-010', evaluatePosture([], [], { namespaces, cluster: clusterSubjectOf('prod', admission, namespaces) }));

describe('the scoped rules in the table', () => {
  it('are listed with their subject kind, OWASP item, CIS control and peer aliases', () => {
    expect(
      ['NHI-POS-008', 'NHI-POS-009', 'NHI-POS-010', 'NHI-POS-011'].map((id) => {
        const r = POSTURE_RULE_BY_ID.get(id)!;
        return [id, r.subject, r.owasp, r.cis ?? null, r.aliases];
      }),
    ).toEqual([
      ['NHI-POS-008', 'namespace', ['NHI8'], '5.3.2', ['Kubescape C-0054', 'Kubescape C-0206']],
      ['NHI-POS-009', 'namespace', ['NHI8'], '5.2.1', ['Kubescape C-0192']],
      ['NHI-POS-010', 'cluster', ['NHI8', 'NHI5'], '5.2.1', []],
      ['NHI-POS-011', 'workload', ['NHI3'], null, ['Kubescape C-0078', 'Trivy KSV0125']],
    ]);
  });

  it('yields nothing for a well-configured namespace and cluster; without a cluster subject the cluster rule is silent', () => {
    const n = ns();
    expect(evaluatePosture([], [workload()], { namespaces: [n], cluster: clusterSubjectOf('prod', [], [n]) })).toEqual([]);
    expect(only('NHI-POS-010', evaluatePosture([], [], { namespaces: [ns({ labels: {} })] }))).toEqual([]);
  });
});

describe('NHI-POS-008 namespace without NetworkPolicy', () => {
  it('fires for a namespace with workloads and no NetworkPolicy, naming them, with a default-deny fix', () => {
    const [f] = ofNamespace('NHI-POS-008', ns({ networkPolicies: [], workloads: ['CronJob/nightly', 'Deployment/api'] }));
    expect(f).toMatchObject({
      severity: 'medium',
      subjectKey: 'namespace:payments',
      namespace: 'payments',
      evidence: { workloads: ['CronJob/nightly', 'Deployment/api'], workloadCount: 2, networkPolicies: [] },
    });
    expect(f!.identity ?? f!.workload).toBeUndefined();
    expect(f!.explanation).toContain(
      'Namespace payments runs 2 workloads (CronJob/nightly, Deployment/api) and has no NetworkPolicy',
    );
    expect(f!.explanation).toContain('kube-system, kube-public, kube-node-lease');
    expect(f!.remediation.yaml).toContain('namespace: payments');
    expect(f!.remediation.yaml).toContain('policyTypes: [Ingress, Egress]');
  });

  it('does not fire with a NetworkPolicy, without workloads, or in Kubernetes’ own namespaces', () => {
    expect(ofNamespace('NHI-POS-008', ns({ networkPolicies: ['allow-dns'] }))).toEqual([]);
    expect(ofNamespace('NHI-POS-008', ns({ networkPolicies: [], workloads: [] }))).toEqual([]);
    for (const name of SYSTEM_NAMESPACES) expect(ofNamespace('NHI-POS-008', ns({ name, networkPolicies: [] }))).toEqual([]);
  });
});

describe('NHI-POS-009 namespace without Pod Security enforcement', () => {
  it('fires without an enforce label, saying what it only warns or audits, with a dry-run-first label command', () => {
    const [f] = ofNamespace(
      'NHI-POS-009',
      ns({ labels: { 'pod-security.kubernetes.io/warn': 'restricted', team: 'payments' }, workloads: ['Deployment/api'] }),
    );
    expect(f).toMatchObject({ severity: 'medium', subjectKey: 'namespace:payments', evidence: { warn: 'restricted' } });
    expect(f!.explanation).toContain('has no pod-security.kubernetes.io/enforce label; it only warns (restricted)');
    expect(f!.remediation.command).toMatch(/^kubectl label --dry-run=server --overwrite namespace payments pod-security/);
  });

  it('does not fire for any explicit enforce level (privileged is a decision), without workloads, or in kube-system', () => {
    for (const level of ['privileged', 'baseline', 'restricted'])
      expect(ofNamespace('NHI-POS-009', ns({ labels: { 'pod-security.kubernetes.io/enforce': level } }))).toEqual([]);
    expect(ofNamespace('NHI-POS-009', ns({ labels: {}, workloads: [] }))).toEqual([]);
    expect(ofNamespace('NHI-POS-009', ns({ name: 'kube-system', labels: {} }))).toEqual([]);
  });
});

describe('NHI-POS-010 no admission policy judges pods', () => {
  const open = ns({ name: 'shop', labels: {} });
  const privileged = ns({ name: 'cni', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } });

  it('fires when nothing validates pods and a namespace with workloads enforces no baseline, listing what the cluster has', () => {
    const [f] = ofCluster(
      [
        webhook('cert-manager-webhook', ['certificaterequests', 'certificates']),
        { kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector', resources: ['pods'], webhooks: ['x'] },
        { kind: 'ValidatingAdmissionPolicy', name: 'no-privileged', resources: ['pods'] },
        // Bound only to warn: it refuses nothing.
        {
          kind: 'ValidatingAdmissionPolicyBinding',
          name: 'no-privileged',
          resources: [],
          policyName: 'no-privileged',
          validationActions: ['Warn'],
        },
      ],
      [open, privileged, ns({ name: 'kube-system', labels: {} })],
    );
    expect(f).toMatchObject({
      severity: 'high',
      subjectKey: 'cluster:',
      evidence: { namespacesWithWorkloads: 2, unenforcedNamespaces: ['shop', 'cni'], unenforcedCount: 2 },
    });
    expect(f!.identity ?? f!.workload ?? f!.namespace).toBeUndefined();
    expect(
      (f!.evidence.admission as { name: string; judgesWorkloads: boolean }[]).map((a) => [a.name, a.judgesWorkloads]),
    ).toEqual([
      ['cert-manager-webhook', false],
      ['istio-sidecar-injector', true],
      ['no-privileged', true],
    ]);
    expect(f!.explanation).toContain('In cluster prod no validating webhook and no ValidatingAdmissionPolicy bound with Deny');
    expect(f!.remediation.yaml).toContain('kind: ValidatingAdmissionPolicyBinding');
    expect(f!.remediation.command).toBe(
      'kubectl label --overwrite namespace shop cni pod-security.kubernetes.io/enforce=baseline',
    );
  });

  it('does not fire with a validating webhook on pods or workloads, a policy bound with Deny, or baseline everywhere', () => {
    expect(ofCluster([webhook('kyverno-resource-validating-webhook-cfg', ['*'])], [open])).toEqual([]);
    expect(ofCluster([webhook('gatekeeper', ['deployments', 'pods/ephemeralcontainers'])], [open])).toEqual([]);
    const vap: AdmissionPolicyRec[] = [
      { kind: 'ValidatingAdmissionPolicy', name: 'p', resources: ['pods'] },
      { kind: 'ValidatingAdmissionPolicyBinding', name: 'b', resources: [], policyName: 'p', validationActions: ['Deny'] },
    ];
    expect(ofCluster(vap, [open])).toEqual([]);
    expect(ofCluster([], [ns({ labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } })])).toEqual([]);
    // Nothing runs outside Kubernetes' own namespaces: nothing to protect yet.
    expect(ofCluster([], [ns({ name: 'kube-system', labels: {} }), ns({ name: 'empty', labels: {}, workloads: [] })])).toEqual(
      [],
    );
  });

  it('an unbound policy or one bound to another policy name does not count', () => {
    const [f] = ofCluster(
      [
        { kind: 'ValidatingAdmissionPolicy', name: 'p', resources: ['pods'] },
        { kind: 'ValidatingAdmissionPolicyBinding', name: 'b', resources: [], policyName: 'other', validationActions: ['Deny'] },
      ],
      [open],
    );
    expect(f!.evidence.admission).toEqual([
      { kind: 'ValidatingAdmissionPolicy', name: 'p', judgesWorkloads: true, bound: false },
    ]);
  });
});

describe('NHI-POS-011 image registry allow-list', () => {
  const ofWorkload = (w: WorkloadSubject, p: FindingsPolicy) => only('NHI-POS-011', evaluatePosture([], [w], { policy: p }));

  it('is silent while the allow-list is empty (the default policy)', () => {
    expect(DEFAULT_FINDINGS_POLICY.spec.registries).toEqual([]);
    expect(only('NHI-POS-011', evaluatePosture([], [workload({ images: ['evil.example/miner:1'] })]))).toEqual([]);
  });

  it('fires for each image outside the list, naming registries and the policy, with a mirror command', () => {
    const w = workload({
      images: ['registry.example.com/shop/api:1.2', 'nginx:1.27', 'ghcr.io/other/tool@sha256:abc'],
    });
    const [f] = ofWorkload(w, policy(['registry.example.com/*', 'ghcr.io/acme/*']));
    expect(f).toMatchObject({
      severity: 'medium',
      subjectKey: 'workload:payments/Deployment/api',
      evidence: {
        images: [
          { image: 'nginx:1.27', registry: 'docker.io' },
          { image: 'ghcr.io/other/tool@sha256:abc', registry: 'ghcr.io' },
        ],
        policy: 'acme v3',
      },
    });
    expect(f!.explanation).toContain(
      'from registries docker.io, ghcr.io, outside the allow-list of the findings policy (acme v3',
    );
    expect(f!.remediation.command).toBe('crane copy nginx:1.27 registry.example.com/library/nginx:1.27');
  });

  it('does not fire when every image matches a pattern (host-only patterns, Docker Hub short names)', () => {
    const w = workload({ images: ['nginx', 'docker.io/library/redis:7', '123.dkr.ecr.eu-west-1.amazonaws.com/app:1'] });
    expect(ofWorkload(w, policy(['docker.io/library/*', '*.dkr.ecr.*.amazonaws.com']))).toEqual([]);
    expect(ofWorkload(workload({ images: ['nginx', 'bitnami/redis:7'] }), policy(['docker.io']))).toEqual([]);
  });

  it('reads image references as the container runtime does', () => {
    expect(imageOrigin('nginx')).toEqual({ registry: 'docker.io', repository: 'docker.io/library/nginx', tag: null });
    expect(imageOrigin('bitnami/redis:7.2')).toEqual({
      registry: 'docker.io',
      repository: 'docker.io/bitnami/redis',
      tag: '7.2',
    });
    expect(imageOrigin('index.docker.io/library/busybox@sha256:1')).toEqual({
      registry: 'docker.io',
      repository: 'docker.io/library/busybox',
      tag: null,
    });
    expect(imageOrigin('localhost:5000/app:dev')).toEqual({
      registry: 'localhost:5000',
      repository: 'localhost:5000/app',
      tag: 'dev',
    });
    expect(imageOrigin('Registry.Example.com:443/Team/App:1')).toEqual({
      registry: 'registry.example.com:443',
      repository: 'registry.example.com:443/team/app',
      tag: '1',
    });
    expect(allowedBy('quay.io/prometheus/node-exporter:v1', ['ghcr.io/*', 'quay.io/prometheus/*'])).toBe('quay.io/prometheus/*');
    expect(allowedBy('quay.io/other/x', ['quay.io/prometheus/*'])).toBeNull();
  });
});

describe('NHI-POS-004 escape capabilities', () => {
  const of = (addedCapabilities: string[]) =>
    only('NHI-POS-004', evaluatePosture([], [workload({ podSpecFacts: { addedCapabilities } })]));

  it('grades added capabilities by how far they reach out of the container', () => {
    expect(of(['SYS_ADMIN'])[0]).toMatchObject({ severity: 'critical', evidence: { hostAccess: [{ fact: 'capabilities' }] } });
    expect(of(['CAP_SYS_MODULE'])[0]!.severity).toBe('critical');
    expect(of(['SYS_PTRACE', 'NET_ADMIN'])[0]!.severity).toBe('high');
    expect(of(['NET_ADMIN'])[0]!.explanation).toContain('the added capabilities NET_ADMIN');
  });

  it('ignores capabilities that open no way out', () => {
    expect(of(['NET_BIND_SERVICE', 'CHOWN', 'NET_RAW'])).toEqual([]);
  });
});

describe('NHI-POS-001 on what the operators’ manifests grant', () => {
  const identity = (grants: GrantedRole[]): IdentitySubject => ({
    key: 'ServiceAccount/flux-system/source-controller',
    namespace: 'flux-system',
    name: 'source-controller',
    builtIn: false,
    owners: [],
    grants,
    capabilities: [],
    escalationDistance: null,
    escalationSteps: [],
  });
  const grant = (role: string, rules: GrantedRole['rules'], clusterWide = true): GrantedRole => ({
    binding: clusterWide ? 'ClusterRoleBinding b' : 'RoleBinding flux-system/b',
    role,
    clusterWide,
    group: null,
    rules,
  });
  const of = (grants: GrantedRole[]) => only('NHI-POS-001', evaluatePosture([identity(grants)], []));

  it('does not count a wildcard confined to an operator’s own API groups', () => {
    expect(
      of([grant('ClusterRole crd-controller', [{ apiGroups: ['source.toolkit.fluxcd.io'], resources: ['*'], verbs: ['*'] }])]),
    ).toEqual([]);
  });

  it('counts a wildcard over core, apps, batch, RBAC or every group', () => {
    for (const group of ['', 'apps', 'batch', 'rbac.authorization.k8s.io', '*'])
      expect(of([grant('ClusterRole r', [{ apiGroups: [group], resources: ['*'], verbs: ['get'] }])]), group).toHaveLength(1);
  });

  it('counts Kubernetes’ roles for people (admin, edit) given to an account, and says what they are', () => {
    const [f] = of([grant('ClusterRole edit', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }], false)]);
    expect(f).toMatchObject({ severity: 'high', evidence: { grants: [{ role: 'ClusterRole edit', wildcardRules: 0 }] } });
    expect(f!.explanation).toContain('edit is Kubernetes’ role for people');
    expect(f!.explanation).not.toContain('Every verb or every resource');
    expect(of([grant('ClusterRole admin', null)])[0]!.severity).toBe('critical');
    expect(of([grant('ClusterRole view', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }])])).toEqual([]);
  });
});

describe('the findings policy file', () => {
  it('public/findings-policy.yaml is the built-in default, written out', () => {
    const file = path.join(repoRoot, 'public', 'findings-policy.yaml');
    expect(parseFindingsPolicy(readFileSync(file, 'utf8'), file)).toEqual(DEFAULT_FINDINGS_POLICY);
    expect(loadFindingsPolicy(file)).toEqual(DEFAULT_FINDINGS_POLICY);
  });

  it('refuses a bad file with the field and the reason', () => {
    const text = (registries: string) =>
      `apiVersion: nhi.dev/v1\nkind: FindingsPolicy\nmetadata: { name: acme, version: 1 }\nspec:\n  registries: ${registries}\n`;
    expect(parseFindingsPolicy(text('[registry.example.com/*]')).spec.registries).toEqual(['registry.example.com/*']);
    expect(() => parseFindingsPolicy(text('["Registry With Space"]'), 'p.yaml')).toThrow(
      /p\.yaml: spec\.registries\.0: is not a registry pattern/,
    );
    expect(() => parseFindingsPolicy('kind: [', 'p.yaml')).toThrow(/p\.yaml is not valid YAML/);
    expect(() => loadFindingsPolicy('/nonexistent/findings-policy.yaml')).toThrow(/cannot read the findings policy/);
    expect(findingsPolicySchema.safeParse({ ...DEFAULT_FINDINGS_POLICY, metadata: { name: 'x', version: 0 } }).success).toBe(
      false,
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  applicationOf,
  evaluatePosture,
  imageRef,
  POSTURE_RULE_BY_ID,
  POSTURE_RULES,
  type IdentitySubject,
  type PostureFinding,
  type WorkloadSubject,
} from './rules';
import { DEFAULT_FINDINGS_POLICY } from './policy';

const identity = (over: Partial<IdentitySubject> = {}): IdentitySubject => ({
  key: 'ServiceAccount/payments/api',
  namespace: 'payments',
  name: 'api',
  builtIn: false,
  owners: ['payments-team'],
  grants: [],
  capabilities: [],
  escalationDistance: null,
  escalationSteps: [],
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
  images: ['registry.example/api@sha256:0123'],
  podSpecFacts: {},
  runtime: null,
  ...over,
});

const only = (ruleId: string, fs: PostureFinding[]) => fs.filter((f) => f.ruleId === ruleId);
const ofIdentity = (ruleId: string, s: IdentitySubject) => only(ruleId, evaluatePosture([s], []));
const ofWorkload = (ruleId: string, w: WorkloadSubject) => only(ruleId, evaluatePosture([], [w]));

describe('the rule table', () => {
  it('gives every rule an id, title, OWASP items and a prefix of its own', () => {
    expect(new Set(POSTURE_RULES.map((r) => r.id)).size).toBe(POSTURE_RULES.length);
    for (const r of POSTURE_RULES) {
      expect(r.id).toMatch(/^NHI-POS-\d{3}$/);
      expect(r.title.length).toBeGreaterThan(10);
      expect(r.owasp.length).toBeGreaterThan(0);
    }
  });

  it('yields nothing for a well-configured identity and workload', () => {
    expect(evaluatePosture([identity()], [workload()])).toEqual([]);
  });

  it('deduplicates one finding per rule and subject', () => {
    const w = workload({ podSpecFacts: { hostPID: true } });
    const fs = evaluatePosture([], [w, w]);
    expect(fs.map((f) => `${f.ruleId} ${f.subjectKey}`)).toEqual(['NHI-POS-004 workload:payments/Deployment/api']);
  });
});

describe('NHI-POS-001 cluster-admin or wildcard grants', () => {
  const admin = {
    binding: 'ClusterRoleBinding ci-admin',
    role: 'ClusterRole cluster-admin',
    clusterWide: true,
    group: null,
    rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  };
  it('fires for cluster-admin through a ClusterRoleBinding, critical, with the binding to delete', () => {
    const [f] = ofIdentity('NHI-POS-001', identity({ grants: [admin] }));
    expect(f).toMatchObject({
      severity: 'critical',
      subjectKey: 'identity:ServiceAccount/payments/api',
      identity: 'ServiceAccount/payments/api',
    });
    expect(f!.explanation).toContain('ClusterRole cluster-admin through ClusterRoleBinding ci-admin');
    expect(f!.remediation.command).toBe('kubectl delete clusterrolebinding ci-admin');
  });
  it('fires high for a namespaced Role with a wildcard verb', () => {
    const grant = {
      binding: 'RoleBinding payments/all',
      role: 'Role all',
      clusterWide: false,
      group: null,
      rules: [{ verbs: ['*'], resources: ['configmaps'] }],
    };
    const [f] = ofIdentity('NHI-POS-001', identity({ grants: [grant] }));
    expect(f).toMatchObject({
      severity: 'high',
      evidence: { grants: [{ binding: 'RoleBinding payments/all', wildcardRules: 1 }] },
    });
    expect(f!.remediation.command).toBe('kubectl -n payments delete rolebinding all');
  });
  it('does not fire for explicit verbs and resources or a missing role', () => {
    const reader = {
      binding: 'RoleBinding payments/r',
      role: 'Role r',
      clusterWide: false,
      group: null,
      rules: [{ verbs: ['get'], resources: ['pods'] }],
    };
    const missing = { ...reader, role: 'Role gone', rules: null };
    expect(ofIdentity('NHI-POS-001', identity({ grants: [reader, missing] }))).toEqual([]);
  });
});

describe('NHI-POS-002 critical capabilities and escalation paths', () => {
  it('fires for a critical capability cluster-wide', () => {
    const [f] = ofIdentity(
      'NHI-POS-002',
      identity({ capabilities: [{ id: 'secrets-read', title: 'Read Secrets', severity: 'critical', scope: 'cluster-wide' }] }),
    );
    expect(f).toMatchObject({ severity: 'critical', evidence: { capabilities: [{ id: 'secrets-read' }] } });
    expect(f!.explanation).toContain('Read Secrets');
  });
  it('explains each step of a path to cluster-admin', () => {
    const [f] = ofIdentity(
      'NHI-POS-002',
      identity({ escalationDistance: 2, escalationSteps: [{ text: 'create a pod as ns/builder' }, { text: 'use its token' }] }),
    );
    expect(f!.explanation).toContain('2 step(s): 1. create a pod as ns/builder 2. use its token');
    expect(f!.evidence).toMatchObject({ escalationDistance: 2 });
  });
  it('does not fire for high capabilities only, nor for distance 0 (already admin: rule 001) or no path', () => {
    const s = identity({
      capabilities: [{ id: 'pods-exec', title: 'Exec', severity: 'high', scope: 'namespace payments' }],
      escalationDistance: 0,
    });
    expect(ofIdentity('NHI-POS-002', s)).toEqual([]);
    expect(ofIdentity('NHI-POS-002', identity({ escalationDistance: null }))).toEqual([]);
  });
});

describe('NHI-POS-004 privileged and host access', () => {
  it('fires critical for a privileged container, listing every host fact', () => {
    const [f] = ofWorkload(
      'NHI-POS-004',
      workload({
        kind: 'DaemonSet',
        podSpecFacts: { privilegedContainers: ['agent'], hostPID: true, hostPathVolumes: ['/var/log'] },
      }),
    );
    expect(f!.severity).toBe('critical');
    expect((f!.evidence.hostAccess as { fact: string }[]).map((x) => x.fact)).toEqual(['privileged', 'hostPID', 'hostPath']);
    expect(f!.explanation).toContain('privileged container(s) agent');
  });
  it('grades hostNetwork alone medium and a hostPath on / high', () => {
    expect(ofWorkload('NHI-POS-004', workload({ podSpecFacts: { hostNetwork: true } }))[0]!.severity).toBe('medium');
    expect(ofWorkload('NHI-POS-004', workload({ podSpecFacts: { hostPathVolumes: ['/'] } }))[0]!.severity).toBe('high');
  });
  it('does not fire without host facts', () => {
    expect(ofWorkload('NHI-POS-004', workload({ podSpecFacts: { hostPathVolumes: [] } }))).toEqual([]);
  });
});

describe('NHI-POS-005 mutable image tags', () => {
  it('parses tags, digests and registry ports', () => {
    expect(imageRef('registry:5000/app')).toEqual({ tag: null, digest: null });
    expect(imageRef('registry:5000/app:1.2')).toEqual({ tag: '1.2', digest: null });
    expect(imageRef('app:1.2@sha256:ab')).toEqual({ tag: '1.2', digest: 'sha256:ab' });
  });
  it('fires medium for latest or no tag, low for a version tag', () => {
    expect(ofWorkload('NHI-POS-005', workload({ images: ['nginx'] }))[0]).toMatchObject({
      severity: 'medium',
      evidence: { images: [{ image: 'nginx', tag: '(none: latest)' }] },
    });
    expect(ofWorkload('NHI-POS-005', workload({ images: ['nginx:latest'] }))[0]!.severity).toBe('medium');
    expect(ofWorkload('NHI-POS-005', workload({ images: ['nginx:1.27', 'x@sha256:1'] }))[0]).toMatchObject({
      severity: 'low',
      evidence: { images: [{ image: 'nginx:1.27', tag: '1.27' }] },
    });
  });
  it('does not fire when every image is pinned by digest', () => {
    expect(ofWorkload('NHI-POS-005', workload({ images: ['nginx:1.27@sha256:ab', 'x@sha256:cd'] }))).toEqual([]);
  });
});

describe('NHI-POS-006 token mounted but never used', () => {
  const quiet = { windowDays: 30, accountCalledApi: false };
  it('fires when the token is mounted and the account made no call in the window', () => {
    const [f] = ofWorkload('NHI-POS-006', workload({ runtime: quiet }));
    expect(f).toMatchObject({
      evidence: { automountSetOn: 'default', windowDays: 30 },
      remediation: { yaml: expect.stringContaining('automountServiceAccountToken: false') },
    });
  });
  it('says nothing without runtime events, when the account called the API, or when automount is off', () => {
    expect(ofWorkload('NHI-POS-006', workload({ runtime: null }))).toEqual([]);
    expect(ofWorkload('NHI-POS-006', workload({ runtime: { windowDays: 30, accountCalledApi: true } }))).toEqual([]);
    expect(ofWorkload('NHI-POS-006', workload({ runtime: quiet, automountToken: false }))).toEqual([]);
    expect(ofWorkload('NHI-POS-006', workload({ runtime: quiet, serviceAccountAutomount: false }))).toEqual([]);
  });
  it('lets the pod template override the account', () => {
    expect(
      ofWorkload('NHI-POS-006', workload({ runtime: quiet, automountToken: true, serviceAccountAutomount: false }))[0]!.evidence,
    ).toMatchObject({
      automountSetOn: 'pod template',
    });
  });
});

describe('NHI-POS-007 ServiceAccount without owner', () => {
  it('fires for an unowned, not built-in account', () => {
    expect(ofIdentity('NHI-POS-007', identity({ owners: [] }))[0]).toMatchObject({ severity: 'low', owasp: ['NHI1'] });
  });
  it('does not fire for owned, built-in or namespace default accounts', () => {
    expect(ofIdentity('NHI-POS-007', identity())).toEqual([]);
    expect(ofIdentity('NHI-POS-007', identity({ owners: [], builtIn: true }))).toEqual([]);
    expect(ofIdentity('NHI-POS-007', identity({ owners: [], name: 'default', key: 'ServiceAccount/payments/default' }))).toEqual(
      [],
    );
  });
});

describe('rule metadata', () => {
  it('maps the RBAC rules to the CIS controls', () => {
    expect(POSTURE_RULE_BY_ID.get('NHI-POS-001')!.cis).toBe('5.1.1');
    // The default ServiceAccount is the credential policy's NHI-CRED-010; NHI-POS-003 is the other escalation targets.
    expect(POSTURE_RULE_BY_ID.get('NHI-POS-003')!.title).toMatch(/^ServiceAccount can escalate to namespace control/);
    expect(POSTURE_RULE_BY_ID.get('NHI-POS-006')!.cis).toBe('5.1.6');
  });
});

describe('NHI-POS-003 escalation to namespace control, other namespaces’ Secrets, other tokens or the node', () => {
  const step = (text: string, kind: string) => ({ text, kind });
  const node = {
    target: 'node' as const,
    scope: 'payments',
    distance: 1,
    steps: [step('ServiceAccount payments/api creates a pod in namespace payments that is privileged …', 'POD_ESCAPE')],
  };
  const secrets = {
    target: 'other-namespace-secrets' as const,
    scope: 'billing',
    distance: 2,
    steps: [
      step('ServiceAccount payments/api requests a fresh token for ServiceAccount payments/reader.', 'TOKEN_REQUEST'),
      step('ServiceAccount payments/reader reads the Secrets of namespace billing.', 'SECRET_READ'),
    ],
  };
  const control = (scope: string, distance: number) => ({
    target: 'namespace-admin' as const,
    scope,
    distance,
    steps: [
      step(
        `ServiceAccount payments/api creates RoleBindings giving itself ClusterRole admin in namespace ${scope}.`,
        'ROLE_BIND',
      ),
      step(`Holding ClusterRole admin in namespace ${scope}, it controls namespace ${scope}: …`, 'NS_CONTROL'),
    ],
  });
  const token = (clusterAdminEquivalent: boolean) => ({
    target: 'token-mint' as const,
    scope: 'ServiceAccount ops/deployer',
    distance: 1,
    clusterAdminEquivalent,
    steps: [step('ServiceAccount payments/api requests a fresh token for ServiceAccount ops/deployer.', 'TOKEN_REQUEST')],
  });

  it('fires for a path to the node: critical, with the Pod Security fix for the namespace the pod is made in', () => {
    const [f] = ofIdentity('NHI-POS-003', identity({ escalationTargets: [node] }));
    expect(f).toMatchObject({
      severity: 'critical',
      owasp: ['NHI5', 'NHI8', 'NHI2'],
      evidence: { targets: [{ target: 'node', scope: 'payments', distance: 1, cis: '5.1.4' }] },
      remediation: { command: 'kubectl label namespace payments pod-security.kubernetes.io/enforce=baseline' },
    });
    expect(f!.explanation).toContain('ServiceAccount payments/api has no path to cluster-admin');
    expect(f!.explanation).toContain("leave its container for the node, taking the kubelet's credentials");
    expect(f!.explanation).toContain(', in 1 step(s): 1. ServiceAccount payments/api creates a pod in namespace payments');
  });

  it('is high for namespace control and other namespaces’ Secrets; lists every namespace, the nearest path first', () => {
    const [f] = ofIdentity('NHI-POS-003', identity({ escalationTargets: [control('shop', 2), control('billing', 1), secrets] }));
    expect(f!.severity).toBe('high');
    expect(f!.evidence.targets).toEqual([
      { target: 'other-namespace-secrets', scope: 'billing', distance: 2, steps: secrets.steps.map((s) => s.text), cis: '5.1.2' },
      {
        target: 'namespace-admin',
        scope: 'billing',
        distance: 1,
        steps: control('billing', 1).steps.map((s) => s.text),
        cis: '5.1.8',
        namespaces: ['billing', 'shop'],
      },
    ]);
    expect(f!.explanation).toContain(
      'read the Secrets of namespace billing, in 2 step(s): 1. ServiceAccount payments/api requests',
    );
    expect(f!.explanation).toContain('take control of namespace billing (and also shop), in 2 step(s)');
    expect(f!.explanation).toContain('namespace billing. It can also take control');
    expect(f!.remediation.command).toBe('kubectl auth can-i --list --as=system:serviceaccount:payments:api');
    expect(f!.remediation.text).toContain('remove bind and escalate');
  });

  it('is high for another identity’s token, critical when that identity is cluster-admin-equivalent', () => {
    expect(ofIdentity('NHI-POS-003', identity({ escalationTargets: [token(false)] }))[0]).toMatchObject({
      severity: 'high',
      evidence: { targets: [{ target: 'token-mint', scope: 'ServiceAccount ops/deployer', cis: '5.1.13' }] },
    });
    expect(ofIdentity('NHI-POS-003', identity({ escalationTargets: [token(true)] }))[0]!.severity).toBe('critical');
  });

  it('is silent without targets, for built-in controllers, and where NHI-POS-002 reports a path to cluster-admin', () => {
    expect(ofIdentity('NHI-POS-003', identity())).toEqual([]);
    expect(ofIdentity('NHI-POS-003', identity({ escalationTargets: [] }))).toEqual([]);
    expect(ofIdentity('NHI-POS-003', identity({ builtIn: true, escalationTargets: [node] }))).toEqual([]);
    const admin = {
      target: 'cluster-admin' as const,
      scope: '*',
      distance: 2,
      steps: [step('…', 'RUN_AS'), step('…', 'WILDCARD')],
    };
    const viaAdmin = identity({ escalationDistance: 2, escalationSteps: admin.steps, escalationTargets: [admin, node] });
    expect(ofIdentity('NHI-POS-003', viaAdmin)).toEqual([]);
    expect(ofIdentity('NHI-POS-002', viaAdmin)).toHaveLength(1);
    // A cluster-admin entry alone (or a target already held, distance 0) is not this rule's.
    expect(ofIdentity('NHI-POS-003', identity({ escalationTargets: [{ ...admin, distance: 0 }] }))).toEqual([]);
    expect(ofIdentity('NHI-POS-003', identity({ escalationTargets: [control('payments', 0)] }))).toEqual([]);
  });

  it('names the peers’ checks and the CIS control', () => {
    const r = POSTURE_RULE_BY_ID.get('NHI-POS-003')!;
    expect([r.subject, r.cis]).toEqual(['identity', '5.1.8']);
    expect(r.aliases).toEqual(
      expect.arrayContaining(['KubeHound POD_CREATE', 'KubeHound CE_PRIV_MOUNT', 'KubeHound TOKEN_LIST', 'KubeHound ROLE_BIND']),
    );
  });
});

describe('NHI-POS-012 ServiceAccount shared by unrelated workloads', () => {
  const rule = POSTURE_RULE_BY_ID.get('NHI-POS-012')!;
  const ctx = { policy: DEFAULT_FINDINGS_POLICY };
  const sa = (
    workloads: { kind: string; name: string; app: string | null }[],
    extra: Partial<IdentitySubject> = {},
  ): IdentitySubject => ({
    key: 'ServiceAccount/shop/shared',
    namespace: 'shop',
    name: 'shared',
    builtIn: false,
    owners: [],
    grants: [],
    capabilities: [],
    escalationDistance: null,
    escalationSteps: [],
    workloads,
    ...extra,
  });

  it('fires when workloads of different applications run as one account, with a dedicated account each as the fix', () => {
    const s = sa([
      { kind: 'Deployment', name: 'api', app: 'shop' },
      { kind: 'Deployment', name: 'worker', app: 'shop' },
      { kind: 'CronJob', name: 'report', app: 'billing' },
    ]);
    const e = rule.evaluate(s as never, ctx)!;
    expect(e).toEqual({
      applications: [
        { app: 'billing', workloads: ['CronJob/report'] },
        { app: 'shop', workloads: ['Deployment/api', 'Deployment/worker'] },
      ],
    });
    expect(rule.explain(s as never, e)).toContain('2 unrelated applications');
    const fix = rule.remediation(s as never, e);
    expect(fix.yaml).toContain('kind: ServiceAccount\nmetadata:\n  name: report\n  namespace: shop');
    expect(fix.yaml!.split('\n---\n')).toHaveLength(3);
    expect(fix.command).toContain('kubectl -n shop set serviceaccount cronjob report report');
  });

  it('an unlabelled workload is its own application', () => {
    expect(
      rule.evaluate(
        sa([
          { kind: 'Deployment', name: 'a', app: null },
          { kind: 'Deployment', name: 'b', app: null },
        ]) as never,
        ctx,
      ),
    ).not.toBeNull();
  });

  it('is silent for one application, the default account, built-in accounts and unknown workloads', () => {
    const oneApp = [
      { kind: 'Deployment', name: 'api', app: 'shop' },
      { kind: 'StatefulSet', name: 'db', app: 'shop' },
    ];
    expect(rule.evaluate(sa(oneApp) as never, ctx)).toBeNull();
    const two = [
      { kind: 'Deployment', name: 'a', app: 'x' },
      { kind: 'Deployment', name: 'b', app: 'y' },
    ];
    expect(rule.evaluate(sa(two, { name: 'default' }) as never, ctx)).toBeNull();
    expect(rule.evaluate(sa(two, { builtIn: true }) as never, ctx)).toBeNull();
    const { workloads: _w, ...unknown } = sa(two);
    expect(rule.evaluate(unknown as never, ctx)).toBeNull();
  });

  it('reads the application from the usual labels, suite first', () => {
    expect(applicationOf({ 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/name': 'api' })).toBe('shop');
    expect(applicationOf({ app: 'api' })).toBe('api');
    expect(applicationOf({})).toBeNull();
    expect(applicationOf(undefined)).toBeNull();
  });
});

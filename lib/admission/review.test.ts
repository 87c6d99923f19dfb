/** review(): the admission webhook's answer and the decision it records, in enforce and audit mode. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCheckPolicy } from '@/lib/check/policy';
import { demoDataFile } from '@/lib/demo/load';
import { rbacFactsOf } from '@/lib/findings/subjects';
import { isAppError } from '@/lib/errors';
import { admissionSettings, webhookConfiguration, webhookConfigurationYaml, webhookUrl } from './config';
import { admissionReviewOf, clusterAdminBinding, configMap, ordinaryDeployment, privilegedDeployment } from './fixtures';
import { review, reviewAdmission, workloadOf } from './review';

const NOW = new Date('2026-12-01T12:00:00Z');
const CONTEXT_KINDS = new Set(['Namespace', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
/** A collected cluster's context as lib/check/context.ts gives it: its RBAC objects, accounts and namespaces. */
const contextObjectsOf = (items: Record<string, unknown>[]) => items.filter((o) => CONTEXT_KINDS.has(String(o.kind)));
const enforce = { mode: 'enforce' as const, now: NOW };
const audit = { mode: 'audit' as const, now: NOW };

const policyWith = (expires: string) =>
  parseCheckPolicy(`apiVersion: nhi.dev/v1
kind: FindingsPolicy
metadata: { name: platform, version: 2 }
spec:
  exceptions:
    - rule: NHI-POS-001
      namespace: ci
      name: deployer
      reason: the CI deployer installs cluster-wide operators (ticket SEC-42)
      expires: ${expires}
`);

describe('review', () => {
  it('denies a binding of cluster-admin to a ServiceAccount in enforce mode, naming the rule, its title and the fix', () => {
    const req = admissionReviewOf(clusterAdminBinding(), { uid: 'uid-1' });
    const { response, decision } = reviewAdmission(req, enforce);
    expect(response.apiVersion).toBe('admission.k8s.io/v1');
    expect(response.kind).toBe('AdmissionReview');
    expect(response.response.uid).toBe('uid-1');
    expect(response.response.allowed).toBe(false);
    expect(response.response.status!.code).toBe(403);
    const message = response.response.status!.message;
    expect(message).toContain('NHI-POS-001 ServiceAccount bound to cluster-admin');
    expect(message).toContain('ServiceAccount ci/deployer is granted ClusterRole cluster-admin');
    expect(message).toMatch(/Fix: Replace the broad grant .*kubectl delete clusterrolebinding ci-admin/);
    expect(message).not.toMatch(/\n/);
    expect(decision).toMatchObject({
      uid: 'uid-1',
      operation: 'CREATE',
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: 'ci-admin',
      decision: 'denied',
      mode: 'enforce',
      failOn: 'high',
      rules: ['NHI-POS-001'],
      serviceAccounts: ['ci/deployer'],
      workload: null,
      user: 'alice@example.com',
      record: true,
    });
    // Every finding is recorded (the low ones too), without denying for them.
    expect(decision!.findings.map((f) => `${f.rule} ${f.severity}`)).toContain('NHI-POS-001 critical');
    expect(decision!.findings.find((f) => f.rule === 'NHI-POS-001')).toMatchObject({
      subject: 'ServiceAccount ci/deployer',
      status: 'open',
      preexisting: false,
    });
  });

  it('allows the same binding in audit mode, with a warning for what would be denied', () => {
    const { response, decision } = reviewAdmission(admissionReviewOf(clusterAdminBinding()), audit);
    expect(response.response.allowed).toBe(true);
    expect(response.response.status).toBeUndefined();
    expect(response.response.warnings).toHaveLength(1);
    const [warning] = response.response.warnings!;
    expect(warning).toMatch(/^NHI-POS-001 ServiceAccount bound to cluster-admin.*would be denied in enforce mode\. Fix: /);
    expect(warning!.length).toBeLessThanOrEqual(256);
    expect(decision).toMatchObject({ decision: 'warned', mode: 'audit', rules: ['NHI-POS-001'], record: true });
    expect(decision!.message).toBe(warning);
  });

  it('judges pod controllers: a privileged Deployment is denied, an ordinary one passes without warnings', () => {
    const denied = reviewAdmission(admissionReviewOf(privilegedDeployment('shop', 'debug')), enforce);
    expect(denied.response.response.allowed).toBe(false);
    expect(denied.response.response.status!.message).toMatch(/NHI-POS-004 Pod template is privileged .*Fix: /);
    expect(denied.decision).toMatchObject({ workload: { kind: 'Deployment', name: 'debug' }, serviceAccounts: ['shop/debug'] });

    const ok = reviewAdmission(admissionReviewOf(ordinaryDeployment()), enforce);
    expect(ok.response.response).toEqual({ uid: ok.decision!.uid, allowed: true });
    expect(ok.decision).toMatchObject({
      decision: 'allowed',
      rules: [],
      message: '',
      workload: { kind: 'Deployment', name: 'web' },
    });
    // Lower findings are recorded but neither deny nor warn.
    expect(ok.decision!.findings.every((f) => f.severity === 'low' || f.severity === 'medium')).toBe(true);
  });

  it('answers a dry run but does not record it', () => {
    const { response, decision } = reviewAdmission(admissionReviewOf(clusterAdminBinding(), { dryRun: true }), enforce);
    expect(response.response.allowed).toBe(false);
    expect(decision!.record).toBe(false);
  });

  it('allows DELETE, subresources and kinds it does not judge, without a decision to record', () => {
    const del = reviewAdmission(admissionReviewOf(clusterAdminBinding(), { operation: 'DELETE', uid: 'd' }), enforce);
    expect(del).toEqual({
      response: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'd', allowed: true } },
      decision: null,
    });
    const cm = reviewAdmission(admissionReviewOf(configMap()), enforce);
    expect(cm.response.response.allowed).toBe(true);
    expect(cm.decision).toBeNull();
    const scale = reviewAdmission(
      admissionReviewOf(privilegedDeployment(), { operation: 'UPDATE', subResource: 'scale' }),
      enforce,
    );
    expect(scale.response.response.allowed).toBe(true);
    expect(scale.decision).toBeNull();
    expect(
      review(admissionReviewOf({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), enforce).response,
    ).toMatchObject({ allowed: true });
  });

  it('allows a finding under a live exception of the policy, and denies again once it has expired', () => {
    const live = reviewAdmission(admissionReviewOf(clusterAdminBinding()), { ...enforce, policy: policyWith('2027-06-30') });
    expect(live.response.response.allowed).toBe(true);
    expect(live.response.response.warnings).toBeUndefined();
    expect(live.decision).toMatchObject({ decision: 'allowed', rules: [] });
    expect(live.decision!.findings.find((f) => f.rule === 'NHI-POS-001')!.status).toBe('excepted');

    const expired = reviewAdmission(admissionReviewOf(clusterAdminBinding()), { ...enforce, policy: policyWith('2026-11-30') });
    expect(expired.response.response.allowed).toBe(false);
    // The exception is for ci/deployer only.
    const other = reviewAdmission(admissionReviewOf(clusterAdminBinding('x', { namespace: 'ci', name: 'other' })), {
      ...enforce,
      policy: policyWith('2027-06-30'),
    });
    expect(other.response.response.allowed).toBe(false);
  });

  it('lets an UPDATE keep a finding its previous version had (a warning), and denies one it adds', () => {
    const old = privilegedDeployment('shop', 'debug');
    const scaled = { ...old, spec: { ...old.spec, replicas: 3 } };
    const kept = reviewAdmission(admissionReviewOf(scaled, { operation: 'UPDATE', oldObject: old }), enforce);
    expect(kept.response.response.allowed).toBe(true);
    expect(kept.response.response.warnings).toEqual([expect.stringMatching(/^NHI-POS-004 .*already there before this change/)]);
    expect(kept.decision).toMatchObject({ decision: 'warned', rules: ['NHI-POS-004'] });
    expect(kept.decision!.findings.find((f) => f.rule === 'NHI-POS-004')!.preexisting).toBe(true);

    const clean = ordinaryDeployment('shop', 'debug');
    const worse = reviewAdmission(
      admissionReviewOf(privilegedDeployment('shop', 'debug'), { operation: 'UPDATE', oldObject: clean }),
      enforce,
    );
    expect(worse.response.response.allowed).toBe(false);
    expect(worse.decision).toMatchObject({ operation: 'UPDATE', decision: 'denied' });
  });

  it('judges a binding with the roles of the cluster context, and leaves out the object’s own previous version', () => {
    const everything = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'do-everything' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'app-all', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'do-everything' },
      subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'shop' }],
    };
    const context = { name: 'prod', objects: [everything] };
    expect(reviewAdmission(admissionReviewOf(binding), enforce).response.response.allowed).toBe(true);
    const judged = reviewAdmission(admissionReviewOf(binding), { ...enforce, context });
    expect(judged.response.response.allowed).toBe(false);
    expect(judged.response.response.status!.message).toContain('NHI-POS-001');

    // The fix: the binding changed to a harmless role. The cluster still holds the old binding: it must not count.
    const fixed = { ...binding, roleRef: { ...binding.roleRef, name: 'view' } };
    const r = reviewAdmission(admissionReviewOf(fixed, { operation: 'UPDATE', oldObject: binding }), {
      ...enforce,
      context: { name: 'prod', objects: [everything, binding] },
    });
    expect(r.response.response.allowed).toBe(true);
    expect(r.decision!.rules).toEqual([]);
  });

  it('judges a role with the cluster’s bindings to it: widening a bound role is denied, a role bound to nobody is not', () => {
    const role = (rules: unknown[]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reporter' },
      rules,
    });
    const narrow = role([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]);
    const wide = role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    const bound = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'reporter' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reporter' },
      subjects: [{ kind: 'ServiceAccount', name: 'reporter', namespace: 'ops' }],
    };
    const context = { name: 'prod', objects: [narrow, bound] };
    const widened = reviewAdmission(admissionReviewOf(wide, { operation: 'UPDATE', oldObject: narrow }), { ...enforce, context });
    expect(widened.response.response.allowed).toBe(false);
    expect(widened.response.response.status!.message).toMatch(
      /NHI-POS-001 .*ServiceAccount ops\/reporter is granted ClusterRole reporter/,
    );
    expect(widened.decision!.rules).toContain('NHI-POS-001');
    const unbound = reviewAdmission(admissionReviewOf(wide), { ...enforce, context: { name: 'prod', objects: [] } });
    expect(unbound.response.response.allowed).toBe(true);
  });

  it('denies at or above the threshold only', () => {
    const r = reviewAdmission(admissionReviewOf(clusterAdminBinding()), { ...enforce, failOn: 'none' });
    expect(r.response.response.allowed).toBe(true);
    expect(r.decision).toMatchObject({ decision: 'allowed', failOn: 'none', rules: [] });
  });

  it('lets Kubernetes’ controllers make Pods of an admitted controller unjudged, but judges anyone else’s Pod', () => {
    const template = privilegedDeployment('shop', 'debug').spec.template;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'debug-7d9f8c6b5-x2x4z',
        namespace: 'shop',
        labels: { ...template.metadata.labels, 'pod-template-hash': '7d9f8c6b5' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'debug-7d9f8c6b5', uid: 'u', controller: true }],
      },
      spec: template.spec,
    };
    const byController = reviewAdmission(
      admissionReviewOf(pod, { user: 'system:serviceaccount:kube-system:replicaset-controller' }),
      enforce,
    );
    expect(byController).toMatchObject({ response: { response: { allowed: true } }, decision: null });
    const byPerson = reviewAdmission(admissionReviewOf(pod), enforce);
    expect(byPerson.response.response.allowed).toBe(false);
    // Keyed by the Deployment the collector will list it under.
    expect(byPerson.decision!.workload).toEqual({ kind: 'Deployment', name: 'debug' });
  });

  it('keys a decision by the workload the collector lists the object under', () => {
    const owned = (kind: string, name: string, labels: Record<string, string> = {}) => ({
      labels,
      ownerReferences: [{ kind, name, controller: true }],
    });
    expect(workloadOf('ReplicaSet', 'web-5c9d', owned('Deployment', 'web'))).toEqual({ kind: 'Deployment', name: 'web' });
    expect(workloadOf('Job', 'backup-2913', owned('CronJob', 'backup'))).toEqual({ kind: 'CronJob', name: 'backup' });
    expect(workloadOf('Pod', 'db-0', owned('StatefulSet', 'db'))).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(workloadOf('Pod', 'rs-abcde', owned('ReplicaSet', 'rs'))).toEqual({ kind: 'ReplicaSet', name: 'rs' });
    expect(workloadOf('Pod', 'solo', {})).toEqual({ kind: 'Pod', name: 'solo' });
  });

  it('refuses what is not an admission.k8s.io/v1 AdmissionReview (a 400: the failure policy applies)', () => {
    for (const bad of [{}, { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, null]) {
      let caught: unknown;
      try {
        review(bad, enforce);
      } catch (e) {
        caught = e;
      }
      expect(isAppError(caught) && caught.status).toBe(400);
    }
  });
});

describe('admission settings', () => {
  const env = (vars: Record<string, string | undefined>) => vars as NodeJS.ProcessEnv;
  it('reads the mode for every cluster or per cluster, and the threshold', () => {
    expect(admissionSettings('prod', env({}))).toEqual({ mode: 'audit', failOn: 'high' });
    expect(admissionSettings('prod', env({ NHI_ADMISSION_MODE: 'enforce', NHI_ADMISSION_FAIL_ON: 'critical' }))).toEqual({
      mode: 'enforce',
      failOn: 'critical',
    });
    const perCluster = env({ NHI_ADMISSION_MODE: 'prod=enforce, staging=audit' });
    expect(admissionSettings('prod', perCluster).mode).toBe('enforce');
    expect(admissionSettings('dev', perCluster).mode).toBe('audit');
    expect(admissionSettings('dev', env({ NHI_ADMISSION_MODE: 'prod=audit,*=enforce' })).mode).toBe('enforce');
    for (const bad of [
      { NHI_ADMISSION_MODE: 'block' },
      { NHI_ADMISSION_MODE: 'prod=block' },
      { NHI_ADMISSION_FAIL_ON: 'severe' },
    ])
      expect(() => admissionSettings('prod', env(bad))).toThrow(/admission settings cannot be used/);
  });
});

describe('webhook configuration', () => {
  it('is a ValidatingWebhookConfiguration with the documented timeout, failure policy and side effects', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const enforceConfig = webhookConfiguration({ url: 'https://nhi.example.com', cluster: 'prod', mode: 'enforce', caPem: ca });
    const [hook] = enforceConfig.webhooks;
    expect(hook).toMatchObject({
      name: 'admission.nhi.dev',
      admissionReviewVersions: ['v1'],
      clientConfig: { url: 'https://nhi.example.com/api/admission/prod', caBundle: Buffer.from(ca).toString('base64') },
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      sideEffects: 'NoneOnDryRun',
      timeoutSeconds: 5,
      namespaceSelector: {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
      },
    });
    expect(hook!.rules.flatMap((r) => r.resources).sort()).toEqual(
      [
        'clusterrolebindings',
        'clusterroles',
        'cronjobs',
        'daemonsets',
        'deployments',
        'jobs',
        'pods',
        'replicasets',
        'rolebindings',
        'roles',
        'serviceaccounts',
        'statefulsets',
      ].sort(),
    );
    expect(hook!.rules.every((r) => r.operations.join() === 'CREATE,UPDATE')).toBe(true);
    const yaml = webhookConfigurationYaml({ url: 'https://nhi.example.com/', cluster: 'prod', mode: 'audit' });
    const doc = parse(yaml) as typeof enforceConfig;
    expect(doc.webhooks[0]).toMatchObject({
      failurePolicy: 'Ignore',
      clientConfig: { url: 'https://nhi.example.com/api/admission/prod' },
    });
    expect(doc.webhooks[0]!.clientConfig).not.toHaveProperty('caBundle');
    expect(yaml).toMatch(/^# nhi admission webhook/);
  });

  it('builds the URL from the dashboard’s base URL, https only', () => {
    expect(webhookUrl('https://nhi.example.com:8443/nhi/', 'prod')).toBe('https://nhi.example.com:8443/nhi/api/admission/prod');
    expect(webhookUrl('https://nhi.example.com/api/admission/prod', 'prod')).toBe('https://nhi.example.com/api/admission/prod');
    expect(() => webhookUrl('http://nhi.example.com', 'prod')).toThrow(/https only/);
    expect(() => webhookUrl('https://nhi.example.com/?x=1', 'prod')).toThrow(/no user, password, query/);
  });
});

describe('the context’s RBAC facts computed once', () => {
  it('judge workloads and known ServiceAccounts exactly as computing them again would (the demo cluster)', () => {
    const items = (JSON.parse(gunzipSync(readFileSync(demoDataFile)).toString('utf8')) as { items: Record<string, unknown>[] })
      .items;
    const objects = contextObjectsOf(items);
    let computed = 0;
    const facts = rbacFactsOf(objects);
    const fast = { name: 'demo', objects, rbac: () => (computed++, facts) };
    const slow = { name: 'demo', objects };
    const picked = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Pod', 'ServiceAccount'].flatMap((kind) =>
      items.filter((o) => o.kind === kind).slice(0, 3),
    );
    // A workload running as an account bound to cluster-admin, and an unknown account (judged from scratch).
    picked.push(
      {
        ...ordinaryDeployment('payments', 'api-admin'),
        spec: {
          ...ordinaryDeployment().spec,
          template: { spec: { serviceAccountName: 'payments-api', containers: [{ name: 'c', image: 'nginx' }] } },
        },
      },
      ordinaryDeployment('payments', 'newcomer'),
    );
    for (const o of picked) {
      const review = admissionReviewOf(o, { uid: 'same' });
      const a = reviewAdmission(review, { ...enforce, context: fast });
      const b = reviewAdmission(review, { ...enforce, context: slow });
      expect(a, `${String(o.kind)} ${JSON.stringify((o as { metadata?: unknown }).metadata).slice(0, 80)}`).toEqual(b);
    }
    expect(computed).toBe(picked.length);
  }, 60_000);
});

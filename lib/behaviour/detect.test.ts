import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { learnBaseline } from './baseline';
import {
  actionKey,
  detectAlert,
  detectCall,
  matchesExpected,
  userAgentProduct,
  type CallEvent,
  type DetectContext,
} from './detect';
import { classProfile, DEFAULT_PROFILES } from './profiles';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
const subject = { namespace: 'shop', name: 'api' };
let n = 0;
const call = (over: Partial<CallEvent> = {}): CallEvent => ({
  key: `audit:${++n}:ResponseComplete`,
  at: T0 + 10 * 86_400_000,
  verb: 'list',
  resource: 'configmaps',
  namespace: 'shop',
  name: null,
  responseCode: 200,
  podName: 'api-7d9f8-abcde',
  credentialId: 'JTI=1',
  sourceIp: '10.0.0.5',
  userAgent: 'shop-api/1.2',
  requestURI: null,
  impersonated: null,
  decision: null,
  ...over,
});
const learned = learnBaseline(
  [
    { ...call(), podless: false },
    { ...call({ verb: 'get', resource: 'secrets', name: 'db' }), podless: false },
    { ...call({ verb: 'get', resource: 'pods', namespace: 'other', responseCode: 403 }), podless: false },
  ],
  subject,
  120,
);
const ctx = (over: Partial<DetectContext> = {}): DetectContext => ({
  subject,
  cls: 'service',
  profile: classProfile(DEFAULT_PROFILES, 'service'),
  learnUntil: T0 + 7 * 86_400_000,
  baseline: learned,
  accepted: new Set(),
  podNetworks: null,
  tokenFirstSource: new Map([['JTI=1', '10.0.0.5']]),
  deniedCounts: new Map(),
  hourCounts: new Map(),
  ...over,
});
const detectors = (e: CallEvent, c = ctx()) => detectCall(e, c).map((x) => x.detector);

describe('actions and patterns', () => {
  it('names an action by verb, resource and namespace scope', () => {
    expect(actionKey(call(), subject)).toBe('list configmaps own');
    expect(actionKey(call({ namespace: 'prod' }), subject)).toBe('list configmaps other');
    expect(actionKey(call({ resource: 'rbac.authorization.k8s.io/clusterroles', namespace: null }), subject)).toBe(
      'list rbac.authorization.k8s.io/clusterroles cluster',
    );
    expect(
      actionKey(call({ verb: 'get', resource: null, namespace: null, requestURI: '/apis/apps/v1?timeout=3s' }), subject),
    ).toBe('get /apis/apps/v1 cluster');
    expect(userAgentProduct('kubectl/v1.37.2 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(userAgentProduct(null)).toBe('(none)');
  });

  it('matches expected patterns, whose wildcards never cover Secrets', () => {
    expect(matchesExpected('get,list,watch * *', 'list pods other')).toBe(true);
    expect(matchesExpected('get,list,watch * *', 'list secrets other')).toBe(false);
    expect(matchesExpected('get,list,watch secrets own', 'list secrets own')).toBe(true);
    expect(matchesExpected('get /api* cluster', 'get /apis/apps/v1 cluster')).toBe(true);
    expect(matchesExpected('get,create,update coordination.k8s.io/leases *', 'delete coordination.k8s.io/leases own')).toBe(
      false,
    );
  });

  it('learns actions and namespaces from calls that succeeded, addresses and clients from all', () => {
    expect([...learned.actions].sort()).toEqual(['get secrets own', 'list configmaps own']);
    expect([...learned.namespaces]).toEqual(['shop']);
    expect([...learned.userAgents]).toEqual(['shop-api']);
    expect(learned.podless).toBe(false);
  });
});

describe('detectCall', () => {
  it('raises nothing for what the baseline holds', () => {
    expect(detectCall(call(), ctx())).toEqual([]);
    expect(detectCall(call({ verb: 'get', resource: 'secrets', name: 'db' }), ctx())).toEqual([]);
    expect(detectCall(call({ verb: 'get', resource: null, namespace: null, requestURI: '/version' }), ctx())).toEqual([]);
  });

  it('finds secrets read outside the baseline, and the namespace never touched', () => {
    const hits = detectCall(call({ verb: 'list', resource: 'secrets', namespace: 'payments' }), ctx());
    expect(hits.map((h) => h.detector)).toEqual(['secret-access', 'new-namespace']);
    expect(hits[0]).toMatchObject({
      severity: 'high',
      fingerprint: 'secret-access|shop/api|list payments',
      summary: 'list secrets in namespace payments',
    });
  });

  it('finds a new action, more severe when it writes', () => {
    expect(detectCall(call({ verb: 'list', resource: 'pods' }), ctx())[0]).toMatchObject({
      detector: 'new-action',
      severity: 'low',
    });
    expect(detectCall(call({ verb: 'delete', resource: 'pods' }), ctx())[0]).toMatchObject({
      detector: 'new-action',
      severity: 'medium',
    });
    // A refused call is not an action it made (bursts of them are denied-burst's).
    expect(detectors(call({ verb: 'delete', resource: 'pods', responseCode: 403 }))).toEqual([]);
  });

  it('stays silent on baseline detectors while learning, yet raises signatures', () => {
    const learning = ctx({ baseline: null });
    expect(detectors(call({ verb: 'list', resource: 'secrets', namespace: 'payments' }), learning)).toEqual([]);
    expect(detectors(call({ verb: 'create', resource: 'pods/exec', namespace: 'payments', name: 'db-0' }), learning)).toEqual([
      'exec',
    ]);
    // An event inside the window of a baseline learned since is judged as learning too.
    expect(detectors(call({ at: T0, verb: 'list', resource: 'secrets', namespace: 'payments' }))).toEqual([]);
  });

  it('finds the signatures', () => {
    // The signature names the call: it is not also a new action.
    expect(
      detectors(call({ verb: 'create', resource: 'authorization.k8s.io/selfsubjectrulesreviews', namespace: null })),
    ).toEqual(['access-review']);
    expect(detectors(call({ verb: 'get', resource: 'pods', impersonated: 'system:admin', responseCode: 403 }))).toEqual([
      'impersonation',
    ]);
    expect(
      detectors(call({ verb: 'create', resource: 'serviceaccounts/token', namespace: 'kube-system', name: 'admin' }))[0],
    ).toBe('token-for-other');
    // Its own token is not another's.
    expect(detectors(call({ verb: 'create', resource: 'serviceaccounts/token', namespace: 'shop', name: 'api' }))).not.toContain(
      'token-for-other',
    );
    const rbac = detectCall(
      call({
        verb: 'create',
        resource: 'rbac.authorization.k8s.io/clusterrolebindings',
        namespace: null,
        name: 'me',
        responseCode: 403,
      }),
      ctx(),
    );
    expect(rbac[0]).toMatchObject({
      detector: 'rbac-change',
      severity: 'medium',
      summary: 'create clusterrolebindings me (refused)',
    });
  });

  it('finds a burst of denied requests from the store counts of its window', () => {
    const e = call({ verb: 'list', resource: 'secrets', namespace: null, responseCode: 403, at: T0 + 10 * 86_400_000 + 1000 });
    const bucket = Math.floor(e.at / 300_000) * 300_000;
    expect(detectors(e, ctx({ deniedCounts: new Map([[bucket, 9]]) }))).toEqual([]);
    const hit = detectCall(e, ctx({ deniedCounts: new Map([[bucket, 10]]) }));
    expect(hit[0]).toMatchObject({ detector: 'denied-burst', severity: 'medium' });
    expect(detectCall(e, ctx({ deniedCounts: new Map([[bucket, 50]]) }))[0]!.severity).toBe('high');
    // A 403 the authorizer allowed (admission or quota refused it) is not probing.
    expect(detectors({ ...e, decision: 'allow' }, ctx({ deniedCounts: new Map([[bucket, 10]]) }))).toEqual([]);
    expect(detectors({ ...e, decision: 'forbid' }, ctx({ deniedCounts: new Map([[bucket, 10]]) }))).toEqual(['denied-burst']);
  });

  it('finds human use: kubectl, tokens without pod claims, addresses outside the pods', () => {
    expect(detectors(call({ userAgent: 'kubectl/v1.37.2', podName: null }), ctx({ baseline: null }))).toEqual(['human-use']);
    expect(detectCall(call({ userAgent: 'kubectl/v1.37.2' }), ctx())[0]).toMatchObject({
      detector: 'human-use',
      fingerprint: 'human-use|shop/api|kubectl-pod-token',
    });
    expect(detectCall(call({ podName: null }), ctx())[0]!.fingerprint).toBe('human-use|shop/api|podless');
    const pods = new BlockList();
    pods.addSubnet('10.0.0.0', 16, 'ipv4');
    expect(detectors(call({ sourceIp: '192.0.2.7' }), ctx({ podNetworks: pods }))).toContain('human-use');
    expect(detectors(call(), ctx({ podNetworks: pods }))).toEqual([]);
    // A class of people at keyboards is not judged for it.
    expect(
      detectors(call({ userAgent: 'kubectl/v1', podName: null }), ctx({ profile: classProfile(DEFAULT_PROFILES, 'human-like') })),
    ).not.toContain('human-use');
  });

  it('finds a pod-bound token used from a second address', () => {
    const hit = detectCall(call({ sourceIp: '10.9.9.9' }), ctx());
    expect(hit.map((h) => h.detector)).toEqual(['token-new-source', 'new-source']);
    expect(hit[0]!.facts).toMatchObject({ firstSource: '10.0.0.5', sourceIp: '10.9.9.9' });
  });

  it('finds a call rate far above the learned peak hour', () => {
    const e = call();
    const hour = Math.floor(e.at / HOUR) * HOUR;
    expect(detectors(e, ctx({ hourCounts: new Map([[hour, 3600]]) }))).toEqual([]);
    expect(detectors(e, ctx({ hourCounts: new Map([[hour, 3601]]) }))).toEqual(['call-rate']);
  });

  it('lets a controller learn its signatures, and drops false positives fed back', () => {
    const controller = ctx({ cls: 'controller', profile: classProfile(DEFAULT_PROFILES, 'controller') });
    const rbac = call({ verb: 'update', resource: 'rbac.authorization.k8s.io/clusterroles', namespace: null, name: 'edit' });
    expect(detectors(rbac, { ...controller, baseline: null })).toEqual([]);
    expect(detectors(rbac, controller)).toEqual(['rbac-change']);
    expect(detectors(rbac, { ...controller, baseline: learnBaseline([{ ...rbac, podless: false }], subject, 1) })).toEqual([]);
    // The controller's wildcard reads are expected: no new-action for reading pods, nor new-namespace (learnable for
    // controllers) for an expected action in a namespace made after its window; a write there is news.
    expect(detectors(call({ verb: 'watch', resource: 'pods', namespace: 'shop' }), controller)).toEqual([]);
    expect(detectors(call({ verb: 'create', resource: 'events', namespace: 'tenant-9' }), controller)).toEqual([]);
    expect(detectors(call({ verb: 'delete', resource: 'pods', namespace: 'tenant-9' }), controller)).toEqual([
      'new-action',
      'new-namespace',
    ]);
    const fp = detectCall(call({ verb: 'list', resource: 'pods' }), ctx())[0]!.fingerprint;
    expect(detectors(call({ verb: 'list', resource: 'pods' }), ctx({ accepted: new Set([fp]) }))).toEqual([]);
  });
});

describe('detectAlert', () => {
  it('joins a Falco alert to the identity, its severity from the priority', () => {
    const a = {
      key: 'falco:1',
      at: T0,
      rule: 'Terminal shell in container',
      priority: 'Notice',
      podName: 'api-0',
      namespace: 'shop',
    };
    expect(detectAlert(a, ctx())).toMatchObject({
      detector: 'falco-alert',
      severity: 'low',
      fingerprint: 'falco-alert|shop/api|Terminal shell in container 2026-11-01',
    });
    expect(detectAlert({ ...a, priority: 'Critical' }, ctx())!.severity).toBe('critical');
  });
});

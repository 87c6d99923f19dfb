import { describe, expect, it } from 'vitest';
import { credentialEvidence } from './credential-use';
import { buildLedger, LEDGER_TOP, shortCredentialId, type MintRow, type UseCountRow, type UseSummaryRow } from './ledger';
import { parseRuntimeValue } from './parse';

const C = '11111111-1111-4111-8111-111111111111';
const token = (credentialId: string) => ({ clusterId: C, cluster: 'prod', credentialId });

const mint = (over: Partial<MintRow> = {}): MintRow => ({
  clusterId: C,
  credentialId: 'JTI=minted',
  at: new Date('2026-11-01T10:00:00Z'),
  username: 'system:node:node-a',
  namespace: 'shop',
  name: 'cart',
  sourceIp: '10.0.0.1',
  userAgent: 'kubelet/v1.31',
  audiences: ['https://kubernetes.default.svc'],
  expirationSeconds: 3607,
  boundObject: { kind: 'Pod', name: 'cart-1', uid: 'pod-uid-1' },
  expiresAt: '2026-11-01T11:00:07.000Z',
  ...over,
});

const use = (over: Partial<UseSummaryRow> = {}): UseSummaryRow => ({
  clusterId: C,
  credentialId: 'JTI=minted',
  calls: 5,
  denied: 1,
  firstAt: new Date('2026-11-01T10:00:05Z'),
  lastAt: new Date('2026-11-01T10:30:00Z'),
  saNamespace: 'shop',
  saName: 'cart',
  pods: 1,
  nodes: 1,
  addresses: 1,
  agents: 1,
  afterExpiry: 0,
  foreignPod: 0,
  ...over,
});

const count = (dim: UseCountRow['dim'], value: string, calls: number, credentialId = 'JTI=minted'): UseCountRow => ({
  clusterId: C,
  credentialId,
  dim,
  value,
  calls,
  lastAt: new Date('2026-11-01T10:30:00Z'),
});

describe('buildLedger', () => {
  it('joins the minting TokenRequest to the uses of its token, with bounded lists sorted by calls', () => {
    const [entry] = buildLedger(
      [token('JTI=minted')],
      [mint()],
      [use()],
      [count('address', '10.0.0.9', 2), count('address', '10.0.0.7', 3), count('pod', 'cart-1', 5), count('node', 'node-a', 5)],
    );
    expect(entry).toEqual({
      cluster: 'prod',
      clusterId: C,
      credentialId: 'JTI=minted',
      serviceAccount: { namespace: 'shop', name: 'cart' },
      minted: { by: 'system:node:node-a', at: '2026-11-01T10:00:00.000Z', sourceIp: '10.0.0.1', userAgent: 'kubelet/v1.31' },
      seenOnlyInUse: false,
      boundObject: { kind: 'Pod', name: 'cart-1', uid: 'pod-uid-1' },
      audiences: ['https://kubernetes.default.svc'],
      expirationSeconds: 3607,
      expiresAt: '2026-11-01T11:00:07.000Z',
      calls: 5,
      denied: 1,
      firstUseAt: '2026-11-01T10:00:05.000Z',
      lastUseAt: '2026-11-01T10:30:00.000Z',
      used: {
        pods: [{ value: 'cart-1', calls: 5, lastAt: '2026-11-01T10:30:00.000Z' }],
        nodes: [{ value: 'node-a', calls: 5, lastAt: '2026-11-01T10:30:00.000Z' }],
        addresses: [
          { value: '10.0.0.7', calls: 3, lastAt: '2026-11-01T10:30:00.000Z' },
          { value: '10.0.0.9', calls: 2, lastAt: '2026-11-01T10:30:00.000Z' },
        ],
        userAgents: [],
      },
      distinct: { pods: 1, nodes: 1, addresses: 1, userAgents: 1 },
      anomalies: [],
    });
  });

  it('keeps the order of the tokens, lists a token seen only in use, and a minted token never used', () => {
    const entries = buildLedger(
      [token('JTI=only-used'), token('JTI=minted')],
      [mint()],
      [use({ credentialId: 'JTI=only-used', saNamespace: 'shop', saName: 'legacy', calls: 2, denied: 0 })],
      [],
    );
    expect(entries.map((e) => e.credentialId)).toEqual(['JTI=only-used', 'JTI=minted']);
    expect(entries[0]).toMatchObject({
      seenOnlyInUse: true,
      minted: null,
      serviceAccount: { namespace: 'shop', name: 'legacy' },
      boundObject: null,
      audiences: [],
      expiresAt: null,
      calls: 2,
    });
    expect(entries[1]).toMatchObject({
      seenOnlyInUse: false,
      calls: 0,
      denied: 0,
      firstUseAt: null,
      lastUseAt: null,
      anomalies: [],
    });
  });

  it('flags a foreign pod, a use after expiry and several nodes, each with its numbers', () => {
    const [entry] = buildLedger(
      [token('JTI=minted')],
      [mint()],
      [use({ lastAt: new Date('2026-11-01T12:00:00Z'), afterExpiry: 2, foreignPod: 3, nodes: 2, pods: 2 })],
      [count('pod', 'cart-1', 2), count('pod', 'evil-0', 3), count('node', 'node-a', 2), count('node', 'node-b', 3)],
    );
    expect(entry!.anomalies).toEqual([
      { kind: 'foreign-pod', summary: 'bound to pod cart-1, but 3 calls named evil-0' },
      {
        kind: 'used-after-expiry',
        summary: 'expired 2026-11-01T11:00:07.000Z, yet 2 calls after that (last 2026-11-01T12:00:00.000Z)',
      },
      { kind: 'multiple-nodes', summary: 'used from 2 nodes: node-b, node-a' },
    ]);
  });

  it('flags nothing it cannot know: no expiry, no bound pod, one node', () => {
    const [entry] = buildLedger(
      [token('JTI=minted')],
      [mint({ expiresAt: null, boundObject: { kind: 'Secret', name: 's', uid: '' } })],
      // Counts the SQL would not report without an expiry or a bound pod are ignored all the same.
      [use({ afterExpiry: 4, foreignPod: 4 })],
      [count('pod', 'other', 4)],
    );
    expect(entry!.anomalies).toEqual([]);
  });

  it(`lists at most ${LEDGER_TOP} values per dimension, ties by value`, () => {
    const many = Array.from({ length: 15 }, (_, i) => count('agent', `agent-${String(i).padStart(2, '0')}`, i < 5 ? 9 : 1));
    const [entry] = buildLedger([token('JTI=minted')], [], [use({ agents: 15 })], many);
    expect(entry!.used.userAgents.map((a) => a.value)).toEqual([
      'agent-00',
      'agent-01',
      'agent-02',
      'agent-03',
      'agent-04',
      'agent-05',
      'agent-06',
      'agent-07',
      'agent-08',
      'agent-09',
    ]);
    expect(entry!.distinct.userAgents).toBe(15);
  });
});

describe('shortCredentialId', () => {
  it('keeps the prefix and 8 characters', () => {
    expect(shortCredentialId('JTI=3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b')).toBe('JTI=3f1c2a4b…');
    expect(shortCredentialId('JTI=short')).toBe('JTI=short');
    expect(shortCredentialId('abcdefghijk')).toBe('abcdefgh…');
  });
});

function audit(annotations: Record<string, string>, over: Record<string, unknown> = {}) {
  const { events } = parseRuntimeValue({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'a-1',
    stage: 'ResponseComplete',
    verb: 'list',
    user: { username: 'system:serviceaccount:shop:legacy', groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'legacy-client/1.0',
    objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: '2026-11-01T10:00:00Z',
    stageTimestamp: '2026-11-01T10:00:00.100Z',
    annotations,
    ...over,
  });
  return events;
}

describe('credentialEvidence', () => {
  it('names the Secret of a legacy token from the API server’s annotations, the namespace from the subject', () => {
    const [e] = credentialEvidence(
      audit({
        'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy',
        'authentication.k8s.io/legacy-token-autogenerated-secret': 'legacy-token-x7k2p',
      }),
    );
    expect(e).toEqual({
      kind: 'legacy',
      timelineKind: 'credential.legacy_token_used',
      namespace: 'shop',
      serviceAccount: 'legacy',
      secret: 'legacy-token-x7k2p',
      pod: null,
      at: '2026-11-01T10:00:00.100Z',
      auditID: 'a-1',
      username: 'system:serviceaccount:shop:legacy',
      sourceIp: '10.0.0.7',
      userAgent: 'legacy-client/1.0',
      responseCode: 200,
      secondsAfterWarning: null,
      secretFrom: 'authentication.k8s.io/legacy-token-autogenerated-secret',
    });
  });

  it('reads a manual Secret, an invalidated one (name/namespace), and no Secret on older API servers', () => {
    const manual = credentialEvidence(
      audit({
        'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy',
        'authentication.k8s.io/legacy-token-manual-secret': 'ci-token',
      }),
    );
    expect(manual.map((e) => [e.secret, e.timelineKind])).toEqual([['ci-token', 'credential.legacy_token_used']]);
    const refused = credentialEvidence(
      audit(
        {
          'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy',
          'authentication.k8s.io/legacy-token-invalidated': 'legacy-token-x7k2p/shop',
        },
        { user: { username: 'system:anonymous' }, responseStatus: { code: 401 } },
      ),
    );
    expect(refused.map((e) => [e.namespace, e.serviceAccount, e.secret, e.timelineKind, e.responseCode])).toEqual([
      ['shop', 'legacy', 'legacy-token-x7k2p', 'credential.invalidated_token_used', 401],
    ]);
    // An invalidated Secret of another namespace than the token's is not believed.
    const mismatch = credentialEvidence(
      audit({
        'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy',
        'authentication.k8s.io/legacy-token-invalidated': 'legacy-token-x7k2p/other',
      }),
    );
    expect(mismatch[0]!.secret).toBeNull();
    const old = credentialEvidence(audit({ 'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy' }));
    expect(old.map((e) => [e.kind, e.secret])).toEqual([['legacy', null]]);
  });

  it('reads a stale projected token’s subject, pod and lateness; ignores events without either annotation', () => {
    const stale = credentialEvidence(
      audit(
        {
          'authentication.k8s.io/stale-token': 'subject: system:serviceaccount:shop:cart, seconds after warning threshold: 4185',
        },
        {
          user: {
            username: 'system:serviceaccount:shop:cart',
            extra: { 'authentication.kubernetes.io/pod-name': ['cart-7d9f8-abcde'] },
          },
        },
      ),
    );
    expect(stale.map((e) => [e.kind, e.namespace, e.serviceAccount, e.pod, e.secondsAfterWarning, e.timelineKind])).toEqual([
      ['stale', 'shop', 'cart', 'cart-7d9f8-abcde', 4185, 'credential.stale_token_used'],
    ]);
    expect(credentialEvidence(audit({ 'authorization.k8s.io/decision': 'allow' }))).toEqual([]);
  });
});

/**
 * Audit events and a Falco alert shaped like the public corpus's, for the runtime parsers' tests (not a
 * test file: shared by parse.test.ts and fast-audit.test.ts). TOKEN stands for a live bearer token that must
 * never come out of a parser.
 */
export const TOKEN =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IlNFQ1JFVCJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDpjYXJ0In0.c2lnbmF0dXJl';

export function auditEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'a1b2c3',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/secrets/db',
    verb: 'get',
    user: {
      username: 'system:serviceaccount:shop:cart',
      uid: 'sa-uid-1',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/pod-name': ['cart-7d9f-abcde'],
        'authentication.kubernetes.io/pod-uid': ['pod-uid-1'],
        'authentication.kubernetes.io/node-name': ['node-a'],
        'authentication.kubernetes.io/node-uid': ['node-uid-1'],
        'authentication.kubernetes.io/credential-id': ['JTI=3f1c-42'],
      },
    },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'cart/1.0',
    objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-11-01T10:00:00.000000Z',
    stageTimestamp: '2026-11-01T10:00:00.120000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed', other: 'x' },
    ...overrides,
  };
}

export function tokenRequestEvent(): Record<string, unknown> {
  return auditEvent({
    level: 'RequestResponse',
    auditID: 'tr-1',
    verb: 'create',
    requestURI: '/api/v1/namespaces/shop/serviceaccounts/cart/token',
    user: { username: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'] },
    objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'shop', name: 'cart', apiVersion: 'v1' },
    responseStatus: { code: 201 },
    requestObject: {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      spec: {
        audiences: ['https://kubernetes.default.svc'],
        expirationSeconds: 3607,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'cart-7d9f-abcde', uid: 'pod-uid-1' },
      },
    },
    responseObject: {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3607 },
      status: { token: TOKEN, expirationTimestamp: '2026-11-01T11:00:07Z' },
    },
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authentication.kubernetes.io/issued-credential-id': 'JTI=3f1c-42',
    },
  });
}

export const falcoAlert = {
  hostname: 'falco-xczjd',
  output: '13:44:05.478445995: Critical A shell was spawned in a container (user=root k8s.ns=shop k8s.pod=cart-7d9f-abcde)',
  priority: 'Critical',
  rule: 'Terminal shell in container',
  source: 'syscall',
  tags: ['container', 'shell', 'mitre_execution'],
  time: '2026-11-01T13:44:05.478445995Z',
  output_fields: {
    'container.id': 'ee97d9c4186f',
    'container.image.repository': 'shop/cart',
    'evt.time': 1793540645478445995,
    'k8s.ns.name': 'shop',
    'k8s.pod.name': 'cart-7d9f-abcde',
    'proc.cmdline': 'sh -c clear; (bash || ash || sh)',
    'user.name': 'root',
  },
};

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuditEventList, parseAuditLines } from './audit';
import { dedupe, parseRuntimeText, parseRuntimeValue } from './parse';

import { auditEvent, falcoAlert, TOKEN, tokenRequestEvent } from './test-events';

describe('audit attribution', () => {
  it('maps a pod-bound ServiceAccount token request to identity, pod, node and credential', () => {
    const { events, rejected } = parseRuntimeValue(auditEvent());
    expect(rejected).toEqual([]);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({
      source: 'audit',
      key: 'audit:a1b2c3:ResponseComplete',
      at: '2026-11-01T10:00:00.120Z',
      verb: 'get',
      resource: { group: '', resource: 'secrets', subresource: '', namespace: 'shop', name: 'db' },
      responseCode: 200,
      decision: 'allow',
      serviceAccount: { namespace: 'shop', name: 'cart' },
      pod: { name: 'cart-7d9f-abcde', uid: 'pod-uid-1' },
      node: 'node-a',
      credentialId: 'JTI=3f1c-42',
      issuedCredentialId: null,
      legacyToken: null,
      sourceIPs: ['10.0.0.7'],
      userAgent: 'cart/1.0',
      falco: null,
    });
    expect(e.user?.username).toBe('system:serviceaccount:shop:cart');
    // Only allow-listed annotations are kept.
    expect(e.annotations).toEqual({
      'authorization.k8s.io/decision': 'allow',
      'authorization.k8s.io/reason': 'RBAC: allowed',
    });
  });

  it('leaves the service account empty for people and malformed usernames, and reads forbid from the code', () => {
    for (const username of [
      'alice',
      'system:serviceaccount:shop',
      'system:serviceaccount::cart',
      'system:serviceaccount:a:b:c',
    ]) {
      const { events } = parseRuntimeValue(auditEvent({ user: { username }, annotations: {}, responseStatus: { code: 403 } }));
      expect(events[0]!.serviceAccount).toBeNull();
      expect(events[0]!.pod).toBeNull();
      expect(events[0]!.decision).toBe('forbid');
    }
  });

  it('falls back to requestReceivedTimestamp and keeps impersonation', () => {
    const { events } = parseRuntimeValue(
      auditEvent({ stage: 'RequestReceived', stageTimestamp: undefined, impersonatedUser: { username: 'bob', groups: ['dev'] } }),
    );
    expect(events[0]!.at).toBe('2026-11-01T10:00:00.000Z');
    expect(events[0]!.key).toBe('audit:a1b2c3:RequestReceived');
    expect(events[0]!.impersonatedUser).toEqual({ username: 'bob', groups: ['dev'], uid: '' });
  });
});

describe('TokenRequest', () => {
  it('keeps the issued credential id and bound object, and never the token', () => {
    const text = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [tokenRequestEvent()] });
    const result = parseRuntimeText(text);
    expect(result.rejected).toEqual([]);
    const e = result.events[0]!;
    expect(e.issuedCredentialId).toBe('JTI=3f1c-42');
    expect(e.tokenRequest).toEqual({
      serviceAccount: { namespace: 'shop', name: 'cart' },
      audiences: ['https://kubernetes.default.svc'],
      expirationSeconds: 3607,
      boundObject: { kind: 'Pod', name: 'cart-7d9f-abcde', uid: 'pod-uid-1' },
      expiresAt: '2026-11-01T11:00:07.000Z',
    });
    const out = JSON.stringify(result);
    expect(out).not.toContain(TOKEN);
    for (const part of TOKEN.split('.')) expect(out).not.toContain(part);
    expect(out).not.toContain('"token":');
    expect(out).not.toContain('responseObject');
    expect(out).not.toContain('requestObject');
  });

  it('never echoes a token from a malformed line in a reason', () => {
    const text = `{"kind":"Event","auditID":"x","responseObject":{"status":{"token":"${TOKEN}"}}\n{"broken": "${TOKEN}`;
    const result = parseAuditLines(text);
    expect(result.events).toEqual([]);
    expect(result.rejected.map((r) => r.item)).toEqual(['line 1', 'line 2']);
    expect(JSON.stringify(result)).not.toContain(TOKEN.slice(0, 20));
  });

  it('keeps no body of a Secret', () => {
    const secret = auditEvent({
      level: 'RequestResponse',
      verb: 'create',
      requestObject: { kind: 'Secret', data: { password: 'c3VwZXJzZWNyZXQ=' } },
      responseObject: { kind: 'Secret', data: { password: 'c3VwZXJzZWNyZXQ=' } },
    });
    const out = JSON.stringify(parseRuntimeValue(secret));
    expect(out).not.toContain('c3VwZXJzZWNyZXQ=');
    expect(out).not.toContain('password');
  });
});

describe('legacy tokens', () => {
  it('turns the legacy-token and stale-token annotations into credential facts', () => {
    const { events } = parseRuntimeValue(
      auditEvent({
        user: { username: 'system:serviceaccount:shop:legacy', groups: ['system:serviceaccounts'] },
        annotations: {
          'authorization.k8s.io/decision': 'allow',
          'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy',
          'authentication.k8s.io/stale-token':
            'subject: system:serviceaccount:shop:legacy, seconds after warning threshold: 3600',
        },
      }),
    );
    const e = events[0]!;
    expect(e.legacyToken).toBe('system:serviceaccount:shop:legacy');
    expect(e.staleToken).toMatch(/seconds after warning threshold/);
    expect(e.credentialId).toBeNull();
    expect(e.serviceAccount).toEqual({ namespace: 'shop', name: 'legacy' });
    expect(Object.keys(e.annotations)).toContain('authentication.k8s.io/legacy-token');
  });
});

describe('audit rejections', () => {
  it('names the item and the reason, and keeps the valid items of the batch', () => {
    const list = {
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [
        auditEvent({ auditID: 'ok-1' }),
        auditEvent({ auditID: undefined }),
        auditEvent({ apiVersion: 'v1' }),
        auditEvent({ stage: 'Sometime' }),
        auditEvent({ stageTimestamp: undefined, requestReceivedTimestamp: undefined }),
        auditEvent({ stageTimestamp: 'yesterday' }),
        'junk',
        auditEvent({ auditID: 'ok-2' }),
      ],
    };
    const result = parseAuditEventList(list);
    expect(result.events.map((e) => e.auditID)).toEqual(['ok-1', 'ok-2']);
    expect(result.rejected.map((r) => r.item)).toEqual(['items[1]', 'items[2]', 'items[3]', 'items[4]', 'items[5]', 'items[6]']);
    expect(result.rejected[0]!.reason).toMatch(/auditID/);
    expect(result.rejected[1]!.reason).toMatch(/apiVersion/);
    expect(result.rejected[2]!.reason).toMatch(/stage/);
    expect(result.rejected[3]!.reason).toMatch(/timestamp/i);
    expect(result.rejected[4]!.reason).toMatch(/not a time/);
    expect(result.rejected[5]!.reason).toMatch(/not a JSON object/);
  });

  it('skips blank lines and names lines in JSON-lines text', () => {
    const text = [JSON.stringify(auditEvent()), '', '   ', '{not json', JSON.stringify({ kind: 0 })].join('\n');
    const result = parseRuntimeText(text);
    expect(result.events).toHaveLength(1);
    expect(result.rejected).toEqual([
      { item: 'line 4', reason: expect.stringMatching(/^not JSON/) as unknown as string },
      { item: 'line 5', reason: 'neither an audit event nor a Falco alert: an object of kind 0' },
    ]);
  });
});

describe('Falco', () => {
  it('maps an alert from Falco JSON output to a workload hint and kept fields', () => {
    const { events, rejected } = parseRuntimeText(`${JSON.stringify(falcoAlert)}\n`);
    expect(rejected).toEqual([]);
    const e = events[0]!;
    expect(e.source).toBe('falco');
    expect(e.key).toMatch(/^falco:[0-9a-f]{64}$/);
    expect(e.at).toBe('2026-11-01T13:44:05.478Z');
    expect(e.workload).toEqual({ namespace: 'shop', pod: 'cart-7d9f-abcde' });
    expect(e.user).toBeNull();
    expect(e.falco).toEqual({
      rule: 'Terminal shell in container',
      priority: 'critical',
      output: falcoAlert.output,
      tags: ['container', 'shell', 'mitre_execution'],
      hostname: 'falco-xczjd',
      source: 'syscall',
      fields: {
        'k8s.ns.name': 'shop',
        'k8s.pod.name': 'cart-7d9f-abcde',
        'container.id': 'ee97d9c4186f',
        'container.image.repository': 'shop/cart',
        'user.name': 'root',
        'proc.cmdline': 'sh -c clear; (bash || ash || sh)',
      },
    });
  });

  it('accepts a falcosidekick webhook payload (one object, with a uuid) with the same key as the raw alert', () => {
    const payload = { uuid: '5a4f3c2e-1b0d-4e9f-8a7b-6c5d4e3f2a1b', ...falcoAlert };
    const one = parseRuntimeText(JSON.stringify(payload, null, 2), { hint: 'falco' });
    const raw = parseRuntimeText(JSON.stringify(falcoAlert));
    expect(one.rejected).toEqual([]);
    expect(one.events[0]!.key).toBe(raw.events[0]!.key);
    // Key order in output_fields does not matter.
    const reordered = { ...falcoAlert, output_fields: Object.fromEntries(Object.entries(falcoAlert.output_fields).reverse()) };
    expect(parseRuntimeValue(reordered).events[0]!.key).toBe(raw.events[0]!.key);
  });

  it('truncates long output and command lines, and names the user of a k8saudit alert', () => {
    const long = {
      ...falcoAlert,
      source: 'k8s_audit',
      output: 'x'.repeat(5000),
      output_fields: { 'proc.cmdline': 'y'.repeat(5000), 'ka.user.name': 'system:serviceaccount:kube-system:deployer' },
    };
    const e = parseRuntimeValue(long).events[0]!;
    expect(e.falco!.output.length).toBeLessThanOrEqual(1001);
    expect(e.falco!.fields['proc.cmdline']!.length).toBeLessThanOrEqual(501);
    expect(e.workload).toBeNull();
    expect(e.serviceAccount).toEqual({ namespace: 'kube-system', name: 'deployer' });
  });

  it('rejects alerts without rule, time or priority, or with a time that is not one', () => {
    const lines = [
      { ...falcoAlert, rule: undefined },
      { ...falcoAlert, time: undefined },
      { ...falcoAlert, priority: undefined },
      { ...falcoAlert, time: '2021-04-13T20:58:00.746609046Z+2' },
      falcoAlert,
    ].map((a) => JSON.stringify(a));
    const result = parseRuntimeText(lines.join('\n'));
    expect(result.events).toHaveLength(1);
    expect(result.rejected.map((r) => [r.item, r.reason.split(':')[1]?.trim()])).toEqual([
      ['line 1', 'rule'],
      ['line 2', 'time'],
      ['line 3', 'priority'],
      ['line 4', 'time "2021-04-13T20'],
    ]);
  });
});

describe('formats', () => {
  it('reads a JSON array of mixed audit events and Falco alerts, naming rejects by index', () => {
    const text = JSON.stringify([auditEvent(), falcoAlert, { kind: 'Pod' }, 42]);
    const result = parseRuntimeText(text);
    expect(result.events.map((e) => e.source)).toEqual(['audit', 'falco']);
    expect(result.rejected).toEqual([
      { item: '[2]', reason: 'neither an audit event nor a Falco alert: an object of kind "Pod"' },
      { item: '[3]', reason: 'neither an audit event nor a Falco alert: a number' },
    ]);
  });

  it('reads a pretty-printed webhook EventList and EventLists on JSON lines', () => {
    const list = { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [auditEvent(), { kind: 'Event' }] };
    const webhook = parseRuntimeText(JSON.stringify(list, null, 2), { hint: 'audit' });
    expect(webhook.events).toHaveLength(1);
    expect(webhook.rejected.map((r) => r.item)).toEqual(['items[1]']);
    const lines = parseAuditLines(`${JSON.stringify(list)}\n${JSON.stringify(list)}`);
    expect(lines.events).toHaveLength(2);
    expect(lines.rejected.map((r) => r.item)).toEqual(['line 1 items[1]', 'line 2 items[1]']);
  });

  it('accepts v1beta1 events and events without apiVersion (older Falco traces), rejects other kinds', () => {
    const v1beta1 = auditEvent({
      apiVersion: 'audit.k8s.io/v1beta1',
      stageTimestamp: undefined,
      requestReceivedTimestamp: undefined,
      timestamp: '2018-10-25T13:58:49Z',
    });
    expect(parseRuntimeValue(v1beta1).events[0]!.at).toBe('2018-10-25T13:58:49.000Z');
    expect(parseRuntimeValue(auditEvent({ apiVersion: undefined })).events).toHaveLength(1);
    expect(parseRuntimeValue(auditEvent({ apiVersion: 'v1' })).rejected[0]!.reason).toBe(
      'not an audit event: apiVersion: is not audit.k8s.io/…',
    );
    expect(parseRuntimeValue({ kind: 'AdmissionReview' }).rejected[0]!.reason).toMatch(/AdmissionReview/);
    expect(parseRuntimeValue(falcoAlert, { hint: 'audit' }).rejected[0]!.reason).toBe('kind is missing, not "Event"');
  });

  it('does not throw on deeply nested input', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const result = parseRuntimeValue({ ...falcoAlert, output_fields: { deep } });
    expect(result.events.length + result.rejected.length).toBe(1);
    const text = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(() => parseRuntimeText(text)).not.toThrow();
  });

  it('answers nothing for empty text', () => {
    expect(parseRuntimeText('')).toEqual({ events: [], rejected: [] });
    expect(parseRuntimeText(' \n\n ')).toEqual({ events: [], rejected: [] });
  });
});

describe('idempotency', () => {
  it('gives the same keys for the same text, and dedupe keeps the first of each', () => {
    const text = [auditEvent(), auditEvent({ stage: 'ResponseStarted' }), falcoAlert, auditEvent(), falcoAlert]
      .map((x) => JSON.stringify(x))
      .join('\n');
    const a = parseRuntimeText(text);
    const b = parseRuntimeText(text);
    expect(a.events.map((e) => e.key)).toEqual(b.events.map((e) => e.key));
    expect(a).toEqual(b);
    const unique = dedupe([...a.events, ...b.events]);
    expect(unique.map((e) => e.key)).toEqual([a.events[0]!.key, a.events[1]!.key, a.events[2]!.key]);
    expect(unique[0]).toBe(a.events[0]);
  });
});

describe('fuzz', () => {
  const options = { numRuns: 500, seed: 20261129 };

  it('never throws on arbitrary JSON values, strings or JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, s) => {
        const r1 = parseRuntimeValue(value);
        const r2 = parseRuntimeText(s);
        const r3 = parseRuntimeText(JSON.stringify(value) ?? '');
        const r4 = parseRuntimeText(`${JSON.stringify(value)}\n${s}`, { hint: 'audit' });
        for (const r of [r1, r2, r3, r4]) {
          expect(Array.isArray(r.events) && Array.isArray(r.rejected)).toBe(true);
        }
      }),
      options,
    );
  });

  it('never throws on mutated audit events and Falco alerts', () => {
    const field = fc.constantFrom(...Object.keys(auditEvent()), ...Object.keys(falcoAlert));
    fc.assert(
      fc.property(fc.boolean(), field, fc.jsonValue(), (audit, key, junk) => {
        const base = audit ? auditEvent() : { ...falcoAlert };
        const r = parseRuntimeValue({ ...base, [key]: junk });
        expect(r.events.length + r.rejected.length).toBe(1);
      }),
      options,
    );
  });

  it('keeps every valid event mixed into a batch of junk', () => {
    const valid = fc.oneof(
      fc.uuid().map((id) => JSON.stringify(auditEvent({ auditID: id }))),
      fc.string({ minLength: 1 }).map((rule) => JSON.stringify({ ...falcoAlert, rule })),
    );
    const junk = fc.oneof(
      fc.string().filter((s) => !s.includes('\n')),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), valid, junk), { maxLength: 20 }), (rows) => {
        const lines = rows.map(([isValid, v, j]) => (isValid ? v : j));
        const expected = rows.filter(([isValid]) => isValid).length;
        // A leading valid line keeps the text from being read as one JSON document.
        const r = parseRuntimeText([JSON.stringify(auditEvent({ auditID: 'first' })), ...lines].join('\n'));
        expect(r.events.length).toBe(expected + 1);
      }),
      options,
    );
  });
});

describe('the API server webhook body', () => {
  it('reads EventList items that carry no kind or apiVersion of their own (the list has them)', () => {
    const body = JSON.stringify({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      metadata: {},
      items: [
        {
          level: 'Metadata',
          auditID: 'w-1',
          stage: 'ResponseComplete',
          requestURI: '/api/v1/namespaces/shop/configmaps',
          verb: 'list',
          user: { username: 'system:serviceaccount:shop:api', groups: ['system:authenticated'] },
          sourceIPs: ['127.0.0.1'],
          objectRef: { resource: 'configmaps', namespace: 'shop', apiVersion: 'v1' },
          responseStatus: { metadata: {}, code: 403 },
          requestReceivedTimestamp: '2026-11-29T10:00:00.000000Z',
          stageTimestamp: '2026-11-29T10:00:00.001000Z',
        },
      ],
    });
    const r = parseRuntimeText(body, { hint: 'audit' });
    expect(r.rejected).toEqual([]);
    expect(r.events.map((e) => [e.key, e.serviceAccount])).toEqual([
      ['audit:w-1:ResponseComplete', { namespace: 'shop', name: 'api' }],
    ]);
  });
});

describe('rejection reasons', () => {
  it('never quote free text from the input, which may be a token', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YTpiIn0.c2lnbmF0dXJl';
    const text = [
      JSON.stringify({ kind: jwt, apiVersion: 'audit.k8s.io/v1' }),
      JSON.stringify({ kind: 'Pod', apiVersion: 'v1' }),
      JSON.stringify({
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        auditID: 'x',
        stage: 'ResponseComplete',
        verb: 'get',
        requestURI: '/',
        user: { username: 'u' },
        stageTimestamp: jwt,
        requestReceivedTimestamp: jwt,
      }),
    ].join('\n');
    const { rejected } = parseRuntimeText(text);
    expect(rejected.map((r) => r.item)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(rejected[1]!.reason).toBe('neither an audit event nor a Falco alert: an object of kind "Pod"');
    expect(JSON.stringify(rejected)).not.toContain('eyJ');
  });
});

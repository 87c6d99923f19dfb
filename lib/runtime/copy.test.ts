import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyRow, copyValue, dayOf, detailJson, encodeRows, RowEncoder } from './copy';
import { parseRuntimeText, parseRuntimeValue } from './parse';
import type { RuntimeEvent } from './types';

const CLUSTER = '6b1f5d1e-3a0c-4f6e-9a7d-2c4b8e1f0a93';

/** COPY text format → values (null for \N), as PostgreSQL reads it. */
function readCopyRow(row: string): (string | null)[] {
  return row.split('\t').map((field) => {
    if (field === '\\N') return null;
    return field.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
  });
}

/** What the former UNNEST statement sent for an event, column by column. */
function expectedValues(e: RuntimeEvent): (string | null)[] {
  const resource = e.resource
    ? [e.resource.group, e.resource.resource, e.resource.subresource].filter(Boolean).join('/') || null
    : null;
  return [
    CLUSTER,
    e.at,
    e.key,
    e.source,
    e.verb,
    resource,
    e.resource?.namespace ?? e.workload?.namespace ?? null,
    e.resource?.name ?? e.workload?.pod ?? null,
    e.responseCode === null ? null : String(e.responseCode),
    e.user?.username ?? null,
    e.serviceAccount?.namespace ?? null,
    e.serviceAccount?.name ?? null,
    e.pod?.name ?? e.workload?.pod ?? null,
    e.node,
    e.credentialId,
    e.issuedCredentialId,
    e.sourceIPs[0] ?? null,
    e.userAgent || null,
    detailJson(e),
  ];
}

function auditEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: 'a1',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/pods?labelSelector=app%3Dcart&limit=500',
    verb: 'list',
    user: {
      username: 'system:serviceaccount:shop:cart',
      groups: ['system:serviceaccounts', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['cart-1'], 'authentication.kubernetes.io/pod-uid': ['u-1'] },
    },
    sourceIPs: ['10.0.0.1', '10.0.0.2'],
    userAgent: 'cart/1.0',
    objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    stageTimestamp: '2026-11-29T10:00:00.123456Z',
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    ...overrides,
  };
}

describe('COPY text rows', () => {
  it('escapes backslashes, tabs and line breaks, and writes null as \\N', () => {
    expect(copyValue(null)).toBe('\\N');
    expect(copyValue(undefined)).toBe('\\N');
    expect(copyValue(403)).toBe('403');
    expect(copyValue('plain')).toBe('plain');
    expect(copyValue('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    // A value that reads "\N" is text, not null.
    expect(copyValue('\\N')).toBe('\\\\N');
    expect(readCopyRow(copyValue('\\N'))).toEqual(['\\N']);
  });

  it('holds the values the UNNEST statement wrote, whatever the text', () => {
    const nasty = 'tab\there, line\nbreak, cr\r, backslash \\ and "\\N", emoji 🚀, ünïcödé';
    const events = parseRuntimeValue([
      auditEvent(),
      auditEvent({ auditID: 'a2', userAgent: nasty, verb: nasty, user: { username: nasty, groups: [nasty] } }),
      auditEvent({ auditID: 'a3', objectRef: null, responseStatus: null, user: null, sourceIPs: null, userAgent: '' }),
      auditEvent({ auditID: nasty, requestURI: `/${'x'.repeat(498)}🚀🚀` }),
      {
        output: `shell ${nasty}`,
        priority: 'Critical',
        rule: 'Terminal shell',
        time: '2026-11-29T10:00:00.5Z',
        output_fields: { 'k8s.ns.name': 'shop', 'k8s.pod.name': 'cart-1', 'proc.cmdline': nasty },
      },
    ]).events;
    expect(events).toHaveLength(5);
    for (const e of events) {
      const row = copyRow(CLUSTER, e);
      expect(row).not.toMatch(/[\n\r]/);
      expect(readCopyRow(row)).toEqual(expectedValues(e));
    }
    const { rows, count, days } = encodeRows(CLUSTER, events);
    expect(count).toBe(5);
    expect(days).toEqual(['2026-11-29']);
    const lines = Buffer.from(rows).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map(readCopyRow)).toEqual(events.map(expectedValues));
  });

  it('skips the per-value escaping only where it cannot change anything (lines without a backslash)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    fc.assert(
      fc.property(text, text, text, text, (ua, verb, name, uri) => {
        const line = JSON.stringify(
          auditEvent({ userAgent: ua, verb, requestURI: `/${uri}${'y'.repeat(499)}${uri}`, user: { username: name } }),
        );
        const e = parseRuntimeText(line).events[0]!;
        const escaped = copyRow(CLUSTER, e);
        if (!line.includes('\\')) expect(copyRow(CLUSTER, e, true)).toBe(escaped);
        expect(readCopyRow(escaped)).toEqual(expectedValues(e));
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });

  it('grows its buffer past the first guess and gives rows an ArrayBuffer of their own', () => {
    const encoder = new RowEncoder(CLUSTER, 10);
    const e = parseRuntimeValue(auditEvent({ userAgent: 'ü'.repeat(400) })).events[0]!;
    for (let i = 0; i < 50; i++) encoder.add(e);
    const { rows, count } = encoder.finish();
    expect(count).toBe(50);
    expect(rows.byteOffset).toBe(0);
    expect(rows.byteLength).toBe(rows.buffer.byteLength);
    expect(Buffer.from(rows).toString('utf8')).toBe(`${copyRow(CLUSTER, e)}\n`.repeat(50));
  });

  it("reuses a finished encoder's buffer for the next one, whose rows are its own", () => {
    const a = parseRuntimeValue(auditEvent({ userAgent: 'first' })).events[0]!;
    const b = parseRuntimeValue(auditEvent({ userAgent: 'second' })).events[0]!;
    const first = new RowEncoder(CLUSTER, 10);
    for (let i = 0; i < 20; i++) first.add(a);
    const rowsA = first.finish().rows;
    expect(() => first.add(a)).toThrow(/after finish/);
    const second = new RowEncoder(CLUSTER, 10);
    second.add(b);
    const rowsB = second.finish().rows;
    expect(Buffer.from(rowsA).toString('utf8')).toBe(`${copyRow(CLUSTER, a)}\n`.repeat(20));
    expect(Buffer.from(rowsB).toString('utf8')).toBe(`${copyRow(CLUSTER, b)}\n`);
  });

  it('names the UTC day of each time', () => {
    expect(dayOf('2026-11-29T23:59:59.999Z')).toBe('2026-11-29');
    const days = encodeRows(
      CLUSTER,
      parseRuntimeValue([
        auditEvent({ stageTimestamp: '2026-11-29T23:59:59.999Z' }),
        auditEvent({ auditID: 'b', stageTimestamp: '2026-11-30T01:00:00+03:00' }),
        auditEvent({ auditID: 'c', stageTimestamp: '2026-12-01T00:00:00Z' }),
      ]).events,
    ).days;
    expect(days.sort()).toEqual(['2026-11-29', '2026-12-01']);
  });
});

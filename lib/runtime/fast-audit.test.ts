/**
 * The hand-checked fast path (fast-audit.ts) against the zod path: identical RuntimeEvents (or the zod
 * path's rejection) for the fixtures of parse.test.ts, fuzzed variants of them and every audit event of
 * the public corpus.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { corpusPath, listFiles } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { isRecord, parseAuditEvent, safeJson } from './audit';
import { isoTimeFast, isWellFormedAuditEvent } from './fast-audit';
import { parseRuntimeText } from './parse';
import { isoTime } from './types';

import { auditEvent, TOKEN, tokenRequestEvent } from './test-events';

const WELL_FORMED: Record<string, unknown>[] = [
  auditEvent(),
  tokenRequestEvent(),
  auditEvent({ user: { username: 'alice' }, annotations: {}, responseStatus: { code: 403 } }),
  auditEvent({ stage: 'RequestReceived', stageTimestamp: undefined, impersonatedUser: { username: 'bob', groups: ['dev'] } }),
  auditEvent({
    user: { username: 'system:serviceaccount:shop:legacy', groups: ['system:serviceaccounts'] },
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authentication.k8s.io/legacy-token': 'system:serviceaccount:shop:legacy',
      'authentication.k8s.io/stale-token': 'subject: system:serviceaccount:shop:legacy, seconds after warning threshold: 3600',
    },
  }),
  auditEvent({
    apiVersion: 'audit.k8s.io/v1beta1',
    stageTimestamp: undefined,
    requestReceivedTimestamp: undefined,
    timestamp: '2018-10-25T13:58:49Z',
  }),
  auditEvent({ apiVersion: undefined }),
  auditEvent({
    requestURI: null,
    verb: null,
    userAgent: null,
    objectRef: null,
    sourceIPs: null,
    responseStatus: null,
    annotations: null,
  }),
  auditEvent({
    user: { username: 'x', groups: null, extra: { a: null, b: ['1', '2'] } },
    stageTimestamp: '2024-02-29T23:59:59.9Z',
  }),
  auditEvent({
    annotations: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`authorization.k8s.io/k${i}`, 'v'.repeat(600)])),
  }),
];

const line0 = (v: unknown) => JSON.stringify(v) ?? 'null';

/** Both paths, through a JSON round trip (what a log line gives the parser). */
function bothPaths(value: unknown) {
  const json = JSON.stringify(value);
  const parsed = json === undefined ? value : (JSON.parse(json) as unknown);
  return { fast: parseAuditEvent(parsed), zod: parseAuditEvent(parsed, { fastPath: false }), parsed };
}

describe('the audit fast path', () => {
  it('takes the well-formed fixtures and maps them exactly as the zod path does', () => {
    for (const fixture of WELL_FORMED) {
      const { fast, zod, parsed } = bothPaths(fixture);
      expect(isWellFormedAuditEvent(parsed)).toBe(true);
      expect('event' in fast).toBe(true);
      expect(fast).toEqual(zod);
    }
  });

  it('never keeps the token of a TokenRequest response', () => {
    const { fast } = bothPaths(tokenRequestEvent());
    const out = JSON.stringify(fast);
    for (const part of TOKEN.split('.')) expect(out).not.toContain(part);
    expect(out).not.toContain('responseObject');
  });

  it('leaves anything unusual to the zod path, which gives the same answer (reasons included)', () => {
    const unusual: unknown[] = [
      auditEvent({ auditID: '' }),
      auditEvent({ auditID: 7 }),
      auditEvent({ stage: 'Sometime' }),
      auditEvent({ apiVersion: 'v1' }),
      auditEvent({ user: { username: null } }),
      auditEvent({ user: { uid: 5 } }),
      auditEvent({ user: { extra: { a: 'not a list' } } }),
      auditEvent({ user: { groups: ['a', 1] } }),
      auditEvent({ responseStatus: { code: 200.5 } }),
      auditEvent({ responseStatus: { code: 2 ** 60 } }),
      auditEvent({ responseStatus: { code: '200' } }),
      auditEvent({ annotations: { a: 1 } }),
      auditEvent({ objectRef: { resource: ['pods'] } }),
      auditEvent({ sourceIPs: '10.0.0.1' }),
      auditEvent({ stageTimestamp: 5 }),
      auditEvent({ stageTimestamp: 'yesterday' }),
      auditEvent({ stageTimestamp: '2026-02-30T10:00:00Z' }),
      auditEvent({ stageTimestamp: '', requestReceivedTimestamp: undefined }),
      auditEvent({ user: [] }),
      Object.assign(Object.create(null) as object, auditEvent()),
    ];
    for (const value of unusual) {
      const direct = { fast: parseAuditEvent(value), zod: parseAuditEvent(value, { fastPath: false }) };
      expect(direct.fast).toEqual(direct.zod);
    }
    expect(isWellFormedAuditEvent(unusual[0])).toBe(false);
  });

  it('agrees with the zod path on fuzzed variants of the fixtures (any field, at any depth, set to anything)', () => {
    // Every (fixture, path to one of its values) pair.
    const places: [number, string[]][] = [];
    const walk = (n: number, v: unknown, at: string[]) => {
      if (at.length) places.push([n, at]);
      if (isRecord(v)) for (const [k, child] of Object.entries(v)) walk(n, child, [...at, k]);
      else if (Array.isArray(v)) v.forEach((child, i) => walk(n, child, [...at, String(i)]));
    };
    WELL_FORMED.forEach((f, n) => walk(n, f, []));
    const extraKeys = ['kind', 'auditID', 'stage', 'user', 'extra', 'groups', 'code', 'annotations', 'timestamp', '__proto__'];
    fc.assert(
      fc.property(
        fc.constantFrom(...places),
        fc.oneof(fc.jsonValue(), fc.constant(undefined)),
        fc.constantFrom(...extraKeys),
        ([n, where], junk, extraKey) => {
          const value = JSON.parse(JSON.stringify(WELL_FORMED[n])) as Record<string, unknown>;
          let target: Record<string, unknown> = value;
          for (const k of where.slice(0, -1)) target = target[k] as Record<string, unknown>;
          const last = where.at(-1)!;
          if (!isRecord(target) && !Array.isArray(target)) return;
          if (junk === undefined) delete target[last];
          else target[last] = junk;
          if (isRecord(target[last])) (target[last] as Record<string, unknown>)[extraKey] = JSON.parse(line0(junk)) as unknown;
          const line = JSON.stringify(value);
          const parsed = JSON.parse(line) as unknown;
          expect(parseAuditEvent(parsed)).toEqual(parseAuditEvent(parsed, { fastPath: false }));
        },
      ),
      { numRuns: 2000, seed: 20261129 },
    );
  });

  it('is what parseRuntimeText uses: the same events as the zod path for a batch of lines', () => {
    const lines = WELL_FORMED.map((f) => JSON.stringify(f));
    const viaText = parseRuntimeText(lines.join('\n')).events;
    const viaZod = lines.map((l) => parseAuditEvent(JSON.parse(l), { fastPath: false }));
    expect(viaText).toEqual(viaZod.map((r) => ('event' in r ? r.event : null)));
  });
});

describe('isoTimeFast', () => {
  it('gives what isoTime gives, for API server times and anything else', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const rfc3339 = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two(13),
        two(32),
        two(25),
        two(61),
        two(61),
        fc.option(fc.oneof(fc.stringMatching(/^\d{0,11}$/), fc.stringMatching(/^0{0,9}[1-9]?0{0,3}$/))),
        fc.constantFrom('Z', 'z', '+02:00', ''),
      )
      .map(([y, mo, d, h, mi, s, frac, zone]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${frac === null ? '' : `.${frac}`}${zone}`);
    fc.assert(
      fc.property(fc.oneof(rfc3339, fc.string()), (s) => {
        expect(isoTimeFast(s)).toBe(isoTime(s));
      }),
      { numRuns: 5000, seed: 20261129 },
    );
    for (const s of ['2024-02-29T00:00:00Z', '2025-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2000-02-29T12:00:00.1234567Z'])
      expect(isoTimeFast(s)).toBe(isoTime(s));
  });
});

describeWithCorpus('the audit fast path on the public corpus', () => {
  it('maps every audit event of the corpus as the zod path does', () => {
    const root = corpusPath('runtime');
    let compared = 0;
    let fast = 0;
    const compare = (item: unknown) => {
      if (!isRecord(item) || item.kind !== 'Event') return;
      if (isWellFormedAuditEvent(item)) fast++;
      expect(parseAuditEvent(item)).toEqual(parseAuditEvent(item, { fastPath: false }));
      compared++;
    };
    const visit = (value: unknown) => {
      if (Array.isArray(value)) return value.forEach(visit);
      if (isRecord(value) && value.kind === 'EventList' && Array.isArray(value.items)) {
        for (const item of value.items as unknown[])
          compare(
            isRecord(item) && item.kind === undefined
              ? { ...item, kind: 'Event', apiVersion: item.apiVersion ?? value.apiVersion }
              : item,
          );
        return;
      }
      compare(value);
    };
    for (const file of listFiles(root, ['.json', '.jsonl'])) {
      const text = readFileSync(file, 'utf8');
      const whole = safeJson(text.trim());
      if ('value' in whole) visit(whole.value);
      else
        for (const line of text.split('\n')) {
          const parsed = safeJson(line.trim());
          if ('value' in parsed) visit(parsed.value);
        }
      expect(path.isAbsolute(file)).toBe(true);
    }
    expect(compared).toBeGreaterThan(100);
    // Nearly all of them take the fast path.
    expect(fast / compared).toBeGreaterThan(0.8);
  });
});

/**
 * The policy `nhi check` judges manifests under: the findings policy (lib/findings/policy.ts: apiVersion nhi.dev/v1,
 * kind FindingsPolicy, metadata.version, spec.registries for NHI-POS-011) plus `spec.exceptions`, findings accepted
 * per namespace until a date:
 *
 *   spec:
 *     exceptions:
 *       - rule: NHI-POS-002            # a rule id; `*` is a glob (NHI-POS-*)
 *         namespace: cert-manager      # glob: `*` matches any run of characters
 *         name: cert-manager*          # optional glob on the object's name (ServiceAccount, workload, Secret, namespace)
 *         reason: issues certificates into Secrets anywhere; documented power of the operator
 *         expires: 2027-06-30          # the last day it applies (UTC)
 *
 * An exception applies through the end of its `expires` day; after it, it no longer applies and the report lists it
 * as expired. The same file serves the collector (NHI_FINDINGS_POLICY), which reads only what it knows.
 * An invalid file is refused with the line of the offending field.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { invalidInput } from '@/lib/errors';
import { globRegExp } from '@/lib/behaviour/detect';
import { DEFAULT_FINDINGS_POLICY, findingsPolicySchema } from '@/lib/findings/policy';

const GLOB = /^[A-Za-z0-9*][A-Za-z0-9*._:-]*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const expiresSchema = z.preprocess(
  (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
  z
    .string({ error: 'must be a date such as 2027-06-30' })
    .regex(DATE, 'must be a date such as 2027-06-30')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
      message: 'is not a calendar date',
    }),
);

export const checkExceptionSchema = z.strictObject({
  rule: z.string().regex(/^[A-Z0-9*][A-Z0-9*-]*$/, 'must be a rule id such as NHI-POS-002 (a `*` glob is allowed)'),
  namespace: z.string().regex(GLOB, 'must be a namespace name or glob such as team-*'),
  name: z.string().regex(GLOB, 'must be an object name or glob such as api-*').optional(),
  reason: z.string().trim().min(10, 'must say why the risk is accepted (10 characters at least)').max(1000),
  expires: expiresSchema,
});
export type CheckException = z.output<typeof checkExceptionSchema>;

export const checkPolicySchema = findingsPolicySchema.extend({
  spec: findingsPolicySchema.shape.spec.extend({
    /** Findings accepted per namespace until a date (lib/check). */
    exceptions: z.array(checkExceptionSchema).max(1000).default([]),
  }),
});
export type CheckPolicy = z.output<typeof checkPolicySchema>;

/** The built-in policy: the default findings policy, no exception. */
export const DEFAULT_CHECK_POLICY: CheckPolicy = {
  ...DEFAULT_FINDINGS_POLICY,
  spec: { ...DEFAULT_FINDINGS_POLICY.spec, exceptions: [] },
};

/** `source:line: field: reason`, from the YAML node at the zod issue's path. */
export function parseCheckPolicy(text: string, source = 'the policy'): CheckPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    throw invalidInput(`${source}:${line}: not valid YAML at column ${col} (${yamlError.code.toLowerCase().replace(/_/g, ' ')})`);
  }
  const parsed = checkPolicySchema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const line = lineOfPath(doc.contents, path, lineCounter);
  const field = path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : String(p)), '');
  throw invalidInput(`${source}${line ? `:${line}` : ''}: ${field || '(root)'}: ${issue.message}`);
}

/** The line of the deepest node of `path` that exists (a missing field: its parent's line). */
function lineOfPath(root: unknown, path: readonly (string | number)[], lc: LineCounter): number | undefined {
  let node = root as Node | null | undefined;
  let line = node?.range ? lc.linePos(node.range[0]).line : undefined;
  for (const key of path) {
    if (!isMap(node) && !isSeq(node)) break;
    const child = node.get(key, true) as Node | undefined;
    if (!child || typeof child !== 'object' || !child.range) break;
    node = child;
    line = lc.linePos(child.range[0]).line;
  }
  return line;
}

/** The policy file `file`, or the built-in policy; an unreadable or invalid file is invalid input (exit 2). */
export function loadCheckPolicy(file: string | undefined): { policy: CheckPolicy; source: string } {
  if (!file) return { policy: DEFAULT_CHECK_POLICY, source: 'built-in' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidInput(`cannot read the policy ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return { policy: parseCheckPolicy(text, file), source: file };
}

/** Whether the exception still applies at `now` (through the end of its `expires` day, UTC). */
export const exceptionLive = (e: CheckException, now: Date) => now.getTime() < Date.parse(`${e.expires}T00:00:00Z`) + 86_400_000;

/** Whether the exception names this finding (rule, namespace and optional name, each a glob). */
export function exceptionMatches(e: CheckException, f: { rule: string; namespace: string; name: string }): boolean {
  return (
    globRegExp(e.rule).test(f.rule) &&
    globRegExp(e.namespace).test(f.namespace) &&
    (e.name === undefined || globRegExp(e.name).test(f.name))
  );
}

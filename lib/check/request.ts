/**
 * `nhi check` from the web (POST /api/check, the Check page): manifests pasted or read from a file in the browser,
 * judged by the same engine as the CLI (lib/check/check.ts) under the server's policy (NHI_FINDINGS_POLICY, else the
 * built-in one; there is no policy upload) and credential policy (NHI_CREDENTIAL_POLICY), optionally in the context
 * of a collected cluster (lib/check/context.ts, as `--cluster`).
 *
 * As the CLI's exit 2, input that cannot be used is refused (400) with the parser's message, which names the
 * document's line and never quotes its content; nothing is judged then. The answer is `--format json`'s shape
 * (lib/check/format.ts) plus `passed`, or the SARIF 2.1.0 log. Findings never carry a Secret's value (the engine
 * writes names only).
 */
import path from 'node:path';
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { loadPolicy as loadCredentialPolicy, type CredentialPolicy } from '@/lib/credentials/policy';
import { AppError, invalidInput, isAppError } from '@/lib/errors';
import { checkObjects, FAIL_ON, type CheckReport } from './check';
import { loadClusterContext } from './context';
import { reportJson, sarifLog } from './format';
import { parseManifests, type CheckIssue } from './parse';
import { loadCheckPolicy, type CheckPolicy } from './policy';

/** The largest manifest text accepted (UTF-8 bytes), as pasted or read from a file. */
export const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;
/** The largest request body (characters of JSON): the manifests with JSON's escapes, and the other fields. */
export const MAX_CHECK_BODY = 3 * MAX_MANIFEST_BYTES;

const FILE_NAME = /^[A-Za-z0-9._\- /]{1,255}$/;

export const checkRequestSchema = z.strictObject({
  manifests: z
    .string({ error: 'give the manifests as text (multi-document YAML or JSON)' })
    .refine((s) => s.trim().length > 0, 'is empty: paste manifests or choose a file')
    .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_MANIFEST_BYTES, 'is larger than 2 MB'),
  cluster: z.string().trim().min(1).max(253).optional(),
  failOn: z.enum(FAIL_ON, { error: `must be one of ${FAIL_ON.join(', ')}` }).default('high'),
  format: z.enum(['json', 'sarif'], { error: 'must be json or sarif' }).default('json'),
  /** The name the findings locate their objects in (a file chosen in the browser); default `manifest`. */
  fileName: z.string().regex(FILE_NAME, 'must be a file name').optional(),
});
export type CheckRequest = z.output<typeof checkRequestSchema>;

/** `--format json`'s shape, the policy's label, and whether the gate passed. */
export type CheckResponse = ReturnType<typeof reportJson> & {
  policy: { label: string };
  passed: boolean;
};

/** `file:line: message` of an input problem. */
export const issueText = (i: CheckIssue) => `${i.file ? `${i.file}${i.line ? `:${i.line}` : ''}: ` : ''}${i.message}`;

/** The server's policies; an invalid file is the server's problem (503), not the request's (also the admission webhook's). */
export function serverPolicies(): { policy: CheckPolicy; source: string; credentialPolicy: CredentialPolicy } {
  const file = process.env.NHI_FINDINGS_POLICY || undefined;
  try {
    const { policy } = loadCheckPolicy(file);
    return {
      policy,
      source: file ? 'the server’s policy (NHI_FINDINGS_POLICY)' : 'built-in',
      credentialPolicy: loadCredentialPolicy(),
    };
  } catch (e) {
    if (!isAppError(e)) throw e;
    // The files' names, not where they lie on the server.
    const message = [file, process.env.NHI_CREDENTIAL_POLICY].reduce<string>(
      (m, f) => (f ? m.split(f).join(path.basename(f)) : m),
      e.message,
    );
    throw new AppError('unavailable', `the server’s policy cannot be used (${message}); ask an administrator to fix it`, {
      code: 'POLICY_INVALID',
      cause: e,
    });
  }
}

/** Judges the request's manifests (see the module comment); unusable input throws invalid_input. */
export async function runCheck(db: PrismaClient, req: CheckRequest): Promise<CheckReport> {
  const name = req.fileName ?? 'manifest';
  const parsed = parseManifests([{ name, text: req.manifests }]);
  const errors = parsed.issues.filter((i) => i.level === 'error');
  if (errors.length)
    throw invalidInput(
      `the manifests cannot be used: ${issueText(errors[0]!)}${errors.length > 1 ? ` (and ${errors.length - 1} more problem(s))` : ''}. Nothing was judged.`,
      { code: 'MANIFEST_INVALID' },
    );
  if (!parsed.objects.length)
    throw invalidInput('no Kubernetes object found in the manifests (each needs a kind)', { code: 'MANIFEST_EMPTY' });
  const { policy, source, credentialPolicy } = serverPolicies();
  const context = req.cluster ? await loadClusterContext(db, req.cluster) : undefined;
  return checkObjects(parsed.objects, {
    policy,
    policySource: source,
    credentialPolicy,
    failOn: req.failOn,
    files: 1,
    issues: parsed.issues,
    ...(context ? { context } : {}),
  });
}

/** The JSON answer: `--format json`'s shape, the policy's label, and `passed`. */
export function checkResponse(r: CheckReport): CheckResponse {
  const json = reportJson(r);
  return { ...json, policy: { ...json.policy, label: r.policy.label }, passed: !r.failed };
}

/** The SARIF answer, with `passed` in the run's properties (SARIF allows no field of its own at the top). */
export function sarifResponse(r: CheckReport) {
  const log = sarifLog(r);
  const [run] = log.runs;
  return { ...log, runs: [{ ...run!, properties: { ...run!.properties, passed: !r.failed } }] };
}

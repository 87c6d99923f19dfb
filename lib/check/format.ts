/**
 * The three outputs of `nhi check` (lib/check/check.ts's CheckReport):
 * - `table`: for people — one block per finding (severity, rule, object, title; where it is written; a fix hint),
 *   excepted findings and expired exceptions apart, and a last line that says whether the gate passed;
 * - `json`: a stable machine shape, `{ version, tool, policy, context, failOn, failed, summary: { bySeverity, … },
 *   findings: [{ rule, severity, title, owasp, object: { kind, namespace, name, file, line? }, subject, message,
 *   remediation, status, exception?, evidence, fingerprint }], issues }`;
 * - `sarif`: SARIF 2.1.0 (valid against the OASIS schema, lib/check/sarif/) for GitHub code scanning and other
 *   viewers: the rule catalogue with help and `security-severity`, one result per finding located by file and line
 *   (URIs relative to the working directory, `%SRCROOT%`), excepted findings as accepted suppressions.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { OWASP_NHI_TOP10 } from '@/lib/owasp';
import type { Severity } from '@/lib/rbac/capabilities';
import type { CheckFinding, CheckReport, CheckRule } from './check';

export const FORMATS = ['table', 'json', 'sarif'] as const;
export type CheckFormat = (typeof FORMATS)[number];

const OWASP_URI = 'https://owasp.org/www-project-non-human-identities-top-10/';
const INFORMATION_URI = 'https://owasp.org/www-project-non-human-identities-top-10/2025/';

const objectText = (o: { kind: string; namespace: string; name: string }) =>
  o.kind === 'Namespace' || !o.namespace ? `${o.kind} ${o.name}` : `${o.kind} ${o.namespace}/${o.name}`;

/** `file:line` of a finding's object, with the object when it is not the subject and the Helm template. */
export function whereText(f: CheckFinding): string {
  const o = f.object;
  if (!o.file) return 'not in the manifests (in the cluster)';
  const other = o.kind !== f.subject.kind || o.name !== f.subject.name || o.namespace !== f.subject.namespace;
  const extras = [other ? objectText(o) : '', o.helmSource ?? ''].filter(Boolean);
  return `${o.file}${o.line !== undefined ? `:${o.line}` : ''}${extras.length ? ` (${extras.join('; ')})` : ''}`;
}

/** The first sentence of the remediation, short enough for a terminal. */
export function fixHint(f: CheckFinding, max = 200): string {
  const text = f.remediation.text.trim();
  const sentence = /^(.+?[.!?])(?=\s+[A-Z(`]|$)/s.exec(text)?.[1] ?? text;
  return sentence.length > max ? `${sentence.slice(0, max - 1)}…` : sentence;
}

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s.padEnd(n));

/** The readable table (see the module comment). */
export function formatTable(r: CheckReport): string {
  const lines: string[] = [];
  const open = r.findings.filter((f) => f.status === 'open');
  const excepted = r.findings.filter((f) => f.status === 'excepted');
  lines.push(
    `nhi check: ${r.summary.objects} object(s) from ${r.summary.files} input(s), policy ${r.policy.label} (${r.policy.source})${r.context ? `, in the context of cluster ${r.context.cluster}` : ''}, failing on ${r.failOn}`,
  );
  if (open.length) {
    const sevW = 9;
    const ruleW = Math.max(12, ...open.map((f) => f.rule.length + 1));
    const objW = Math.min(56, Math.max(8, ...open.map((f) => objectText(f.subject).length + 1)));
    const indent = ' '.repeat(sevW + ruleW);
    lines.push('', `${pad('SEVERITY', sevW)}${pad('RULE', ruleW)}${pad('OBJECT', objW)}TITLE`);
    for (const f of open) {
      lines.push(`${pad(f.severity, sevW)}${pad(f.rule, ruleW)}${pad(objectText(f.subject), objW)}${f.title}`);
      lines.push(`${indent}at ${whereText(f)}`);
      lines.push(`${indent}fix: ${fixHint(f)}`);
    }
  } else lines.push('', 'No open finding.');
  if (excepted.length) {
    lines.push('', `Excepted by the policy (${excepted.length}, not counted):`);
    for (const f of excepted)
      lines.push(`  ${f.severity} ${f.rule} ${objectText(f.subject)} until ${f.exception!.expires}: ${f.exception!.reason}`);
  }
  if (r.policy.expiredExceptions.length) {
    lines.push('', `Expired exceptions (no longer applied; renew or remove them in ${r.policy.source}):`);
    for (const e of r.policy.expiredExceptions)
      lines.push(
        `  ${e.rule} namespace ${e.namespace}${e.name ? ` name ${e.name}` : ''}, expired ${e.expires}, ${e.matches} finding(s) it would cover: ${e.reason}`,
      );
  }
  const sev = (Object.entries(r.summary.bySeverity) as [Severity, number][]).map(([s, n]) => `${n} ${s}`).join(', ');
  lines.push(
    '',
    `${r.summary.open} open finding(s) (${sev}), ${r.summary.excepted} excepted. ${
      r.failOn === 'none'
        ? 'PASSED (--fail-on none).'
        : r.failed
          ? `FAILED: ${r.summary.failing} at or above ${r.failOn}.`
          : `PASSED: none at or above ${r.failOn}.`
    }`,
  );
  return lines.join('\n');
}

/** The stable JSON shape (see the module comment). */
export function reportJson(r: CheckReport) {
  return {
    version: r.version,
    tool: r.tool,
    policy: {
      name: r.policy.name,
      version: r.policy.version,
      source: r.policy.source,
      exceptions: r.policy.exceptions,
      expiredExceptions: r.policy.expiredExceptions,
    },
    context: r.context,
    failOn: r.failOn,
    failed: r.failed,
    summary: r.summary,
    findings: r.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      title: f.title,
      owasp: f.owasp,
      object: f.object,
      subject: f.subject,
      message: f.message,
      remediation: f.remediation,
      status: f.status,
      ...(f.exception ? { exception: f.exception } : {}),
      evidence: f.evidence,
      fingerprint: f.fingerprint,
    })),
    issues: r.issues,
  };
}

/** GitHub's reading of `security-severity`: ≥ 9 critical, ≥ 7 high, ≥ 4 medium, else low. */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };
export const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/** `Secret value written literally…` → `SecretValueWrittenLiterally…` (SARIF's reportingDescriptor.name). */
const ruleName = (title: string) =>
  title
    .replace(/[^A-Za-z0-9 ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** A relative file path as a URI reference (each segment percent-encoded, `/` separators). */
export const fileUri = (file: string) => file.split(/[\\/]/).map(encodeURIComponent).join('/');

function sarifRule(rule: CheckRule) {
  const owasp = rule.owasp.map((id) => `${id} ${OWASP_NHI_TOP10[id]}`);
  const help = [
    `${rule.title}.`,
    `OWASP Top 10 Non-Human Identities: ${owasp.join('; ')}.`,
    rule.cis ? `CIS Kubernetes Benchmark ${rule.cis}.` : '',
    rule.aliases.length ? `Peers: ${rule.aliases.join(', ')}.` : '',
    'Each result says what to change; `npx nhi check --format table` prints the fix.',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    id: rule.id,
    name: ruleName(rule.title),
    shortDescription: { text: rule.title },
    fullDescription: { text: `${rule.title} (${owasp.join('; ')}).` },
    helpUri: OWASP_URI,
    help: { text: help, markdown: help },
    defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
    properties: {
      'security-severity': SECURITY_SEVERITY[rule.severity],
      precision: 'high',
      tags: ['security', 'kubernetes', ...rule.owasp.map((o) => `owasp-nhi-${o}`), ...(rule.cis ? [`cis-${rule.cis}`] : [])],
    },
  };
}

/** The SARIF 2.1.0 log (see the module comment). `cwd`: the folder the file URIs are relative to. */
export function sarifLog(r: CheckReport, opts: { cwd?: string } = {}) {
  const rules = r.rules.map(sarifRule);
  const index = new Map(r.rules.map((rule, i) => [rule.id, i]));
  const results = r.findings.map((f) => {
    const o = f.object;
    const physical =
      o.file && o.file !== '(stdin)'
        ? {
            physicalLocation: {
              artifactLocation: { uri: fileUri(o.file), ...(opts.cwd ? { uriBaseId: 'SRCROOT' } : {}) },
              ...(o.line !== undefined ? { region: { startLine: o.line } } : {}),
            },
          }
        : {};
    return {
      ruleId: f.rule,
      ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule)! } : {}),
      level: SARIF_LEVEL[f.severity],
      message: { text: `${f.message} Fix: ${f.remediation.text}` },
      locations: [
        {
          ...physical,
          logicalLocations: [{ name: o.name, fullyQualifiedName: objectText(o), kind: 'resource' }],
        },
      ],
      partialFingerprints: { 'nhiFinding/v1': createHash('sha256').update(f.fingerprint).digest('hex').slice(0, 32) },
      ...(f.exception
        ? {
            suppressions: [
              { kind: 'external', status: 'accepted', justification: `${f.exception.reason} (until ${f.exception.expires})` },
            ],
          }
        : {}),
      properties: {
        severity: f.severity,
        'security-severity': SECURITY_SEVERITY[f.severity],
        owasp: f.owasp,
        subject: objectText(f.subject),
        ...(o.helmSource ? { helmSource: o.helmSource } : {}),
      },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: 'nhi check',
            version: r.tool.version,
            semanticVersion: r.tool.version,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        ...(opts.cwd ? { originalUriBaseIds: { SRCROOT: { uri: `${pathToFileURL(opts.cwd).href.replace(/\/?$/, '/')}` } } } : {}),
        invocations: [
          {
            executionSuccessful: !r.issues.some((i) => i.level === 'error'),
            toolExecutionNotifications: r.issues.map((i) => ({
              level: i.level === 'error' ? 'error' : 'warning',
              message: { text: `${i.file ? `${i.file}${i.line ? `:${i.line}` : ''}: ` : ''}${i.message}` },
            })),
          },
        ],
        results,
        properties: {
          policy: `${r.policy.label} (${r.policy.source})`,
          failOn: r.failOn,
          failed: r.failed,
          expiredExceptions: r.policy.expiredExceptions.map(
            (e) => `${e.rule} ${e.namespace}${e.name ? `/${e.name}` : ''} (expired ${e.expires})`,
          ),
        },
      },
    ],
  };
}

/** The report in a format, as printed. */
export function formatReport(r: CheckReport, format: CheckFormat, opts: { cwd?: string } = {}): string {
  if (format === 'json') return JSON.stringify(reportJson(r), null, 2);
  if (format === 'sarif') return JSON.stringify(sarifLog(r, opts), null, 2);
  return formatTable(r);
}

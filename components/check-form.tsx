'use client';

import { useId, useState } from 'react';
import type { CheckResponse } from '@/lib/check/request';
import { CopyButton } from './copy-button';
import { jsonHeaders, postJson } from './post-json';
import { SeverityPill } from './severity';
import { saveAs } from './save-as';

const FAIL_ON = ['critical', 'high', 'medium', 'low', 'none'] as const;
type FailOn = (typeof FAIL_ON)[number];
const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'] as const;
/** As the server's limit (lib/check/request.ts). */
const MAX_BYTES = 2 * 1024 * 1024;

type Finding = CheckResponse['findings'][number];

const objectText = (o: { kind: string; namespace: string; name: string }) =>
  o.kind === 'Namespace' || !o.namespace ? `${o.kind} ${o.name}` : `${o.kind} ${o.namespace}/${o.name}`;

/** A browser file name as the route accepts it (letters, digits, `._- /`). */
const safeFileName = (name: string) => name.replace(/[^A-Za-z0-9._\- /]/g, '_').slice(0, 255) || 'manifest';

/** PASS/FAIL, the open findings by severity and the excepted ones (the CLI's last line). */
function Summary({ report }: { report: CheckResponse }) {
  const s = report.summary;
  const counts = SEVERITY_ORDER.map((sev) => `${s.bySeverity[sev] ?? 0} ${sev}`).join(', ');
  return (
    <p data-testid="check-summary">
      <span className={`pill ${report.passed ? 'pill-ok' : 'pill-down'}`} data-testid="check-verdict">
        {report.passed ? 'PASS' : 'FAIL'}
      </span>{' '}
      {s.open} open finding{s.open === 1 ? '' : 's'} ({counts}), {s.excepted} excepted, in {s.objects} object
      {s.objects === 1 ? '' : 's'}.{' '}
      {report.failOn === 'none'
        ? 'The gate is off (fail on none).'
        : report.passed
          ? `None at or above ${report.failOn}.`
          : `${s.failing} at or above ${report.failOn}.`}{' '}
      <span className="muted">
        Policy {report.policy.label} ({report.policy.source})
        {report.context ? `, in the context of cluster ${report.context.cluster}` : ''}.
      </span>
    </p>
  );
}

function Remedy({ f }: { f: Finding }) {
  const r = f.remediation;
  const code = r.command ?? r.yaml;
  return (
    <>
      <p>{r.text}</p>
      {code && <pre className="scroll-x">{code}</pre>}
      <CopyButton text={code ?? r.text} label={r.command ? 'Copy command' : r.yaml ? 'Copy YAML' : 'Copy'} />
    </>
  );
}

function FindingsTable({ findings }: { findings: Finding[] }) {
  return (
    <div className="scroll-x">
      <table className="data" data-testid="check-findings">
        <caption className="sr-only">Findings of the check, open ones first</caption>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Rule</th>
            <th scope="col">Object</th>
            <th scope="col">Message</th>
            <th scope="col">Remediation</th>
          </tr>
        </thead>
        <tbody>
          {findings.map((f) => (
            <tr key={f.fingerprint} className={f.status === 'excepted' ? 'muted' : ''} data-status={f.status} data-rule={f.rule}>
              <td className="nowrap">
                <SeverityPill severity={f.severity} />
                {f.status === 'excepted' && (
                  <>
                    {' '}
                    <span className="pill pill-muted" data-testid="check-excepted">
                      excepted
                    </span>
                  </>
                )}
              </td>
              <td className="nowrap">
                <strong>{f.rule}</strong>
                <br />
                <span className="small muted">{f.title}</span>
              </td>
              <td>
                <span className="nowrap">{f.object.kind}</span>
                <br />
                {f.object.namespace ? `${f.object.namespace}/` : ''}
                {f.object.name}
                {f.object.file && (
                  <>
                    <br />
                    <span className="small muted">
                      {f.object.file}
                      {f.object.line !== undefined ? `:${f.object.line}` : ''}
                      {f.object.helmSource ? ` (${f.object.helmSource})` : ''}
                    </span>
                  </>
                )}
                {!f.object.file && <span className="small muted"> (in the cluster)</span>}
                {objectText(f.subject) !== objectText(f.object) && (
                  <>
                    <br />
                    <span className="small muted">about {objectText(f.subject)}</span>
                  </>
                )}
              </td>
              <td>
                {f.message}
                {f.exception && (
                  <p className="small">
                    <em>
                      Excepted by the policy until {f.exception.expires}: {f.exception.reason}
                    </em>
                  </p>
                )}
              </td>
              <td>
                <Remedy f={f} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Paste manifests (or read a local file), judge them with `nhi check` on the server, see the findings, download SARIF. */
export function CheckForm({ clusters }: { clusters: string[] }) {
  const ids = useId();
  const [manifests, setManifests] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [cluster, setCluster] = useState('');
  const [failOn, setFailOn] = useState<FailOn>('high');
  const [busy, setBusy] = useState<'check' | 'sarif' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<CheckResponse | null>(null);
  const empty = manifests.trim() === '';

  const body = (format: 'json' | 'sarif') => ({
    manifests,
    failOn,
    format,
    ...(cluster ? { cluster } : {}),
    ...(fileName ? { fileName: safeFileName(fileName) } : {}),
  });

  async function check() {
    setBusy('check');
    setError(null);
    setReport(null);
    try {
      setReport(await postJson<CheckResponse>('/api/check', body('json')));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }

  async function downloadSarif() {
    setBusy('sarif');
    setError(null);
    try {
      const res = await fetch('/api/check', { method: 'POST', headers: jsonHeaders(), body: JSON.stringify(body('sarif')) });
      if (!res.ok) {
        const data = (await res.json().catch(() => ({}))) as { error?: string };
        throw new Error(data.error ?? `the server answered ${res.status}`);
      }
      saveAs(new Blob([await res.arrayBuffer()], { type: 'application/sarif+json' }), 'nhi-check.sarif');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }

  async function readFile(file: File | undefined) {
    if (!file) return;
    setError(null);
    if (file.size > MAX_BYTES) {
      setError(`${file.name} is larger than 2 MB: check it from a terminal with npx nhi check instead`);
      return;
    }
    try {
      setManifests(await file.text());
      setFileName(file.name);
      setReport(null);
    } catch {
      setError(`${file.name} cannot be read`);
    }
  }

  const open = report?.findings.filter((f) => f.status === 'open') ?? [];
  const excepted = report?.findings.filter((f) => f.status === 'excepted') ?? [];
  const warnings = report?.issues.filter((i) => i.level === 'warning') ?? [];

  return (
    <>
      <form
        className="stacked"
        aria-label="Check manifests"
        data-testid="check-form"
        onSubmit={(e) => {
          e.preventDefault();
          void check();
        }}
      >
        <label htmlFor={`${ids}-manifests`}>
          Manifests (multi-document YAML or JSON, as <code>helm template</code> or <code>kustomize build</code> print them)
        </label>
        <textarea
          id={`${ids}-manifests`}
          data-testid="check-manifests"
          value={manifests}
          onChange={(e) => {
            setManifests(e.target.value);
            setFileName(null);
          }}
          rows={16}
          spellCheck={false}
          autoComplete="off"
          placeholder={'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n…'}
          style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: '0.85rem', maxWidth: '100%' }}
        />
        <div className="filters">
          <label htmlFor={`${ids}-file`} className="small">
            Or read a local file{' '}
            <input
              id={`${ids}-file`}
              type="file"
              accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
              data-testid="check-file"
              onChange={(e) => void readFile(e.target.files?.[0])}
            />
          </label>
          {fileName && <span className="small muted">read from {fileName} (stays in this browser until you check it)</span>}
        </div>
        <div className="filters">
          <select value={cluster} onChange={(e) => setCluster(e.target.value)} aria-label="Cluster context">
            <option value="">no cluster context</option>
            {clusters.map((c) => (
              <option key={c} value={c}>
                in the context of {c}
              </option>
            ))}
          </select>
          <select value={failOn} onChange={(e) => setFailOn(e.target.value as FailOn)} aria-label="Fail on">
            {FAIL_ON.map((s) => (
              <option key={s} value={s}>
                {s === 'none' ? 'never fail (none)' : `fail on ${s}${s === 'critical' ? '' : ' or above'}`}
              </option>
            ))}
          </select>
          <button type="submit" disabled={busy !== null || empty}>
            {busy === 'check' ? 'Checking…' : 'Check'}
          </button>
          <button type="button" onClick={() => void downloadSarif()} disabled={busy !== null || empty} data-testid="check-sarif">
            {busy === 'sarif' ? 'Preparing SARIF…' : 'Download SARIF'}
          </button>
        </div>
        {error && (
          <p className="error" role="alert" data-testid="check-error">
            {error}
          </p>
        )}
      </form>

      <section aria-label="Results" aria-busy={busy === 'check'} aria-live="polite" data-testid="check-results">
        {busy === 'check' && <p className="muted">Checking the manifests…</p>}
        {!busy && !report && !error && (
          <p className="muted" data-testid="check-empty">
            Paste manifests or choose a file, then Check: the findings appear here. Nothing is stored on the server.
          </p>
        )}
        {report && (
          <>
            <h2>Results</h2>
            <Summary report={report} />
            {warnings.length > 0 && (
              <ul className="small muted" data-testid="check-warnings">
                {warnings.map((w, i) => (
                  <li key={i}>
                    {w.file ? `${w.file}${w.line ? `:${w.line}` : ''}: ` : ''}
                    {w.message}
                  </li>
                ))}
              </ul>
            )}
            {open.length === 0 && excepted.length === 0 ? (
              <p data-testid="check-none">No finding: the manifests break none of the rules that apply before deploy.</p>
            ) : (
              <FindingsTable findings={[...open, ...excepted]} />
            )}
            {report.policy.expiredExceptions.length > 0 && (
              <>
                <h3>Expired exceptions (no longer applied)</h3>
                <ul className="small">
                  {report.policy.expiredExceptions.map((e, i) => (
                    <li key={i}>
                      {e.rule} namespace {e.namespace}
                      {e.name ? ` name ${e.name}` : ''}, expired {e.expires}, {e.matches} finding(s) it would cover: {e.reason}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </section>
    </>
  );
}

'use client';

import { useState } from 'react';
import { jsonHeaders } from './post-json';
import { saveAs } from './save-as';

const WHAT = [
  ['inventory', 'Inventory (identities, owners, risk, workloads)'],
  ['findings', 'Findings'],
  ['credentials', 'Credentials (metadata only)'],
  ['exceptions', 'Exceptions'],
  ['trail', 'Activity trail'],
  ['evidence', 'Evidence report (PDF)'],
] as const;
type What = (typeof WHAT)[number][0];

interface Done {
  file: string;
  exportId: string;
  bytes: number;
  /** SHA-256 of the bytes received, computed in the browser (null where the browser cannot). */
  received: string | null;
  /** SHA-256 the server recorded on the activity trail. */
  recorded: string | null;
}

async function sha256Hex(data: ArrayBuffer): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The server's SHA256SUMS line of an export, once its completion is on the trail (a few tries). */
async function recordedHash(exportId: string): Promise<string | null> {
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`/api/exports/${exportId}`, { cache: 'no-store' });
    if (res.ok) return (await res.text()).split(/\s+/)[0] ?? null;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

/** What to export, in which format, under which filter; the download, its SHA-256 and the manifest. */
export function ReportForm({ clusters }: { clusters: string[] }) {
  const [what, setWhat] = useState<What>('findings');
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Done | null>(null);
  const set = (k: string) => (e: { target: { value: string } }) => setFilter((f) => ({ ...f, [k]: e.target.value }));
  const evidence = what === 'evidence';

  async function run() {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const keep = (keys: string[]) => Object.fromEntries(Object.entries(filter).filter(([k, v]) => keys.includes(k) && v));
      const keys: Record<What, string[]> = {
        inventory: ['cluster', 'namespace', 'owner'],
        findings: ['cluster', 'namespace', 'owner', 'severity', 'status'],
        credentials: ['cluster', 'namespace', 'owner', 'lifetime'],
        exceptions: ['cluster', 'state'],
        trail: ['since', 'action', 'actor'],
        evidence: ['cluster'],
      };
      const res = await fetch('/api/exports', {
        method: 'POST',
        headers: jsonHeaders(),
        body: JSON.stringify({ what, format: evidence ? 'pdf' : format, filter: keep(keys[what]) }),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        throw new Error(body.error ?? `the server answered ${res.status}`);
      }
      const file = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'export';
      const exportId = res.headers.get('x-export-id') ?? '';
      const data = await res.arrayBuffer();
      saveAs(new Blob([data], { type: res.headers.get('content-type') ?? 'application/octet-stream' }), file);
      const [received, recorded] = await Promise.all([sha256Hex(data), recordedHash(exportId)]);
      setDone({ file, exportId, bytes: data.byteLength, received, recorded });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="stacked"
      aria-label="Export"
      data-testid="report-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <div className="filters">
        <select value={what} onChange={(e) => setWhat(e.target.value as What)} aria-label="What">
          {WHAT.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        {!evidence && (
          <select value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'json')} aria-label="Format">
            <option value="csv">CSV</option>
            <option value="json">JSON</option>
          </select>
        )}
        {what !== 'trail' && (
          <select value={filter.cluster ?? ''} onChange={set('cluster')} aria-label="Cluster">
            <option value="">all clusters</option>
            {clusters.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        )}
        {['inventory', 'findings', 'credentials'].includes(what) && (
          <>
            <input value={filter.namespace ?? ''} onChange={set('namespace')} placeholder="Namespace" aria-label="Namespace" />
            <input value={filter.owner ?? ''} onChange={set('owner')} placeholder="Owner team or (none)" aria-label="Owner" />
          </>
        )}
        {what === 'findings' && (
          <>
            <select value={filter.status ?? ''} onChange={set('status')} aria-label="Status">
              <option value="">open</option>
              <option value="excepted">excepted</option>
              <option value="resolved">resolved</option>
              <option value="all">all statuses</option>
            </select>
            <select value={filter.severity ?? ''} onChange={set('severity')} aria-label="Severity">
              <option value="">any severity</option>
              {['critical', 'high', 'medium', 'low', 'info'].map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </>
        )}
        {what === 'credentials' && (
          <select value={filter.lifetime ?? ''} onChange={set('lifetime')} aria-label="Lifetime">
            <option value="">any lifetime</option>
            <option value="short-lived">short-lived</option>
            <option value="long-lived">long-lived</option>
            <option value="expiring">expiring</option>
          </select>
        )}
        {what === 'exceptions' && (
          <select value={filter.state ?? ''} onChange={set('state')} aria-label="State">
            <option value="">all states</option>
            <option value="active">active</option>
            <option value="expired">expired</option>
            <option value="revoked">revoked</option>
          </select>
        )}
        {what === 'trail' && (
          <>
            <input value={filter.since ?? ''} onChange={set('since')} placeholder="Since (7d or a date)" aria-label="Since" />
            <input value={filter.actor ?? ''} onChange={set('actor')} placeholder="Actor" aria-label="Actor" />
          </>
        )}
      </div>
      <div className="filters">
        <button type="submit" disabled={busy}>
          {busy ? 'Exporting…' : evidence ? 'Download the PDF' : `Download ${format.toUpperCase()}`}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <div className="panel" data-testid="report-done">
          <p>
            Downloaded <code data-testid="report-file">{done.file}</code> ({done.bytes} bytes).
          </p>
          <p>
            SHA-256 recorded on the activity trail: <code data-testid="report-sha256">{done.recorded ?? 'not recorded yet'}</code>
            {done.received && done.recorded && (
              <span data-testid="report-match" className={done.received === done.recorded ? 'pill pill-ok' : 'pill pill-down'}>
                {done.received === done.recorded ? 'matches the file received' : 'does NOT match the file received'}
              </span>
            )}
          </p>
          <p>
            <a href={`/api/exports/${done.exportId}`} download="SHA256SUMS" data-testid="report-manifest">
              Download SHA256SUMS
            </a>{' '}
            and keep it beside the file: <code>sha256sum -c SHA256SUMS</code> says <code>{done.file}: OK</code>.
          </p>
        </div>
      )}
    </form>
  );
}

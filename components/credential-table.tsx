import type { ReactNode } from 'react';
import Link from 'next/link';
import { SeverityPill } from '@/components/severity';
import type { CredentialRow, CredentialSort } from '@/lib/data/credentials';

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : null);
const lifetimeClass = { 'short-lived': 'pill-ok', expiring: 'pill-degraded', 'long-lived': 'pill-down' } as const;

function Expiry({ row }: { row: CredentialRow }) {
  if (!row.expiresAt) return <span className="muted">{row.lifetime === 'short-lived' ? 'per pod (renewed)' : 'never'}</span>;
  const expired = row.expiresAt < new Date().toISOString();
  return (
    <span className={expired ? 'pill pill-down' : undefined}>
      {expired ? `expired ${day(row.expiresAt)}` : day(row.expiresAt)}
    </span>
  );
}

/** Credentials with class, age, expiry, last use, holders and findings (metadata only). */
export function CredentialTable({
  rows,
  testId = 'credential-table',
  sortHeader,
}: {
  rows: CredentialRow[];
  testId?: string;
  /** The header of a sortable column (the Credentials page's; lib/data/credentials.ts CREDENTIAL_SORTS), else a plain one. */
  sortHeader?: (column: CredentialSort, label: string) => ReactNode;
}) {
  const th = (column: CredentialSort, label: string) => sortHeader?.(column, label) ?? <th>{label}</th>;
  return (
    <table className="data" data-testid={testId}>
      <thead>
        <tr>
          {th('name', 'Credential')}
          {th('class', 'Class')}
          {th('age', 'Age')}
          {th('expires', 'Expires')}
          {th('lastUsed', 'Last used')}
          <th>Held by</th>
          <th>Used by</th>
          {th('findings', 'Findings')}
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => (
          <tr key={c.id} data-credential={`${c.namespace}/${c.name}`}>
            <td>
              {c.namespace}/{c.name}
              {c.certificate && (
                <div className="muted small">
                  {c.certificate.subject} · SHA-256 {c.certificate.fingerprintSha256.slice(0, 23)}…
                </div>
              )}
              {c.token && (
                <div className="muted small">
                  audience {c.token.audience ?? 'API server'} · {c.token.expirationSeconds ?? '?'} s
                </div>
              )}
            </td>
            <td title={c.classReason}>
              <span className={`pill ${lifetimeClass[c.lifetime]}`}>{c.lifetime}</span> {c.classTitle}
            </td>
            <td>
              {c.ageDays === null ? <span className="muted">—</span> : `${c.ageDays} d`}
              {c.class === 'projected-service-account-token' && <span className="muted"> (renewed)</span>}
            </td>
            <td>
              <Expiry row={c} />
            </td>
            <td>{c.lastUsedAt ? day(c.lastUsedAt) : <span className="muted">unknown</span>}</td>
            <td>
              {c.identities.length ? (
                c.identities.map((i, n) => (
                  <span key={i.id}>
                    {n > 0 && ', '}
                    <Link href={`/identities/${i.id}`}>{i.namespace ? `${i.namespace}/${i.name}` : i.name}</Link>
                  </span>
                ))
              ) : (
                <span className="muted">none</span>
              )}
            </td>
            <td>
              {c.workloads.length ? (
                c.workloads.map((w) => `${w.kind} ${w.name} (${w.via.join(', ')})`).join('; ')
              ) : (
                <span className="muted">none</span>
              )}
            </td>
            <td>{c.findings.open ? <SeverityPill severity={c.findings.worst} /> : <span className="muted">none</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

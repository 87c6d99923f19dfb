import { shortCredentialId, type LedgerCount, type LedgerEntry } from '@/lib/runtime/ledger';
import { utcTime } from '@/lib/format';

const utc = (iso: string | null) => (iso ? utcTime(iso, 'second') : null);

function Counts({ label, counts, distinct }: { label: string; counts: LedgerCount[]; distinct: number }) {
  if (!counts.length) return null;
  const more = distinct - counts.length;
  return (
    <div>
      <span className="muted">{label}</span>{' '}
      {counts.map((c, i) => (
        <span key={c.value} title={`${c.calls} call(s), last ${utc(c.lastAt)}`}>
          {i > 0 && ', '}
          {c.value} ({c.calls})
        </span>
      ))}
      {more > 0 && <span className="muted"> and {more} more</span>}
    </div>
  );
}

/**
 * The per-token ledger of an identity (server component): each token by its credential id (shortened, the
 * full id in the title), who minted it and when, the bound object, the expiry, where it was used from
 * (pods, nodes, addresses, agents with call counts), calls and denials, last use, and anomaly pills.
 */
export function TokenLedger({ entries }: { entries: readonly LedgerEntry[] }) {
  if (!entries.length)
    return (
      <p className="muted" data-testid="token-ledger">
        No service account token seen in the runtime events.
      </p>
    );
  return (
    <table className="data" data-testid="token-ledger">
      <thead>
        <tr>
          <th>Token</th>
          <th>Minted</th>
          <th>Bound to</th>
          <th>Expires</th>
          <th>Used from</th>
          <th>Calls / denied</th>
          <th>Last use</th>
          <th>Anomalies</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((t) => (
          <tr key={`${t.clusterId}/${t.credentialId}`} data-credential-id={t.credentialId}>
            <td title={t.credentialId}>
              <code>{shortCredentialId(t.credentialId)}</code>
              {t.serviceAccount && (
                <div className="muted small">
                  {t.serviceAccount.namespace}/{t.serviceAccount.name}
                  {t.audiences.length > 0 && ` · ${t.audiences.join(', ')}`}
                </div>
              )}
            </td>
            <td>
              {t.minted ? (
                <>
                  {t.minted.by ?? <span className="muted">unknown</span>}
                  <div className="muted small">{utc(t.minted.at)}</div>
                </>
              ) : (
                <span className="pill pill-muted" title="No minting TokenRequest among the stored events">
                  seen only in use
                </span>
              )}
            </td>
            <td>
              {t.boundObject ? (
                <span title={t.boundObject.uid || undefined}>
                  {t.boundObject.kind} {t.boundObject.name}
                </span>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td>
              {t.expiresAt ? (
                utc(t.expiresAt)
              ) : (
                <span className="muted">{t.expirationSeconds ? `${t.expirationSeconds} s asked` : '—'}</span>
              )}
            </td>
            <td>
              <Counts label="pods" counts={t.used.pods} distinct={t.distinct.pods} />
              <Counts label="nodes" counts={t.used.nodes} distinct={t.distinct.nodes} />
              <Counts label="addresses" counts={t.used.addresses} distinct={t.distinct.addresses} />
              <Counts label="agents" counts={t.used.userAgents} distinct={t.distinct.userAgents} />
              {!t.calls && <span className="muted">not used</span>}
            </td>
            <td>
              {t.calls} / <span className={t.denied ? 'pill sev-high' : 'muted'}>{t.denied}</span>
            </td>
            <td>{utc(t.lastUseAt) ?? <span className="muted">never</span>}</td>
            <td>
              {t.anomalies.length ? (
                t.anomalies.map((a, i) => (
                  <span key={a.kind}>
                    {i > 0 && ' '}
                    <span className="pill sev-high" title={a.summary}>
                      {a.kind}
                    </span>
                  </span>
                ))
              ) : (
                <span className="muted">none</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import { CoverageTrend } from '@/components/coverage-trend';
import { CredentialTable } from '@/components/credential-table';
import { Pager } from '@/components/pager';
import { systemClock } from '@/lib/clock';
import { shortLivedShare } from '@/lib/credentials/assess';
import { CLASS_INFO, CREDENTIAL_CLASSES } from '@/lib/credentials/classify';
import {
  CREDENTIAL_PAGE_SIZE,
  credentialCoverage,
  federatedCredentials,
  listCredentials,
  parseCredentialFilter,
  type CredentialFilter,
} from '@/lib/data/credentials';
import { prisma } from '@/lib/db/client';
import { filterHref } from '@/lib/http/query';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Credentials' };

const pageHref = (f: CredentialFilter, page: number) => filterHref('/credentials', { ...f, page }, { page: 1 });
const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 100)}%`);

export default async function CredentialsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { filter, error } = parseCredentialFilter(await searchParams);
  const db = prisma();
  const now = systemClock();
  const [{ rows, total }, coverage, federated] = await Promise.all([
    listCredentials(db, filter, now),
    credentialCoverage(db, filter.cluster),
    federatedCredentials(db, filter),
  ]);
  const pages = Math.max(1, Math.ceil(total / CREDENTIAL_PAGE_SIZE));
  return (
    <section>
      <h1>Credentials</h1>

      {coverage.map((c) => {
        const cluster = c.scopes.find((s) => s.scopeKind === 'cluster');
        const worst = c.scopes
          .filter((s) => s.scopeKind !== 'cluster' && s.longLived > 0)
          .sort((a, b) => (shortLivedShare(a) ?? 1) - (shortLivedShare(b) ?? 1) || b.longLived - a.longLived)
          .slice(0, 6);
        return (
          <div className="panel coverage" key={c.cluster} data-testid={`coverage-${c.cluster}`}>
            <h2>
              Short-lived API credentials · {c.cluster}{' '}
              <span className="big" data-testid="coverage-share">
                {cluster ? percent(shortLivedShare(cluster)) : '—'}
              </span>
            </h2>
            {cluster && (
              <p className="muted">
                Of {cluster.workloads} workloads, {cluster.shortLived} get a short-lived, pod-bound token, {cluster.longLived} use
                a long-lived token Secret, {cluster.none} have no Kubernetes API credential. Measured{' '}
                {c.at?.slice(0, 16).replace('T', ' ')} UTC.
              </p>
            )}
            <CoverageTrend points={c.trend} />
            {cluster && cluster.longLived === 0 && (
              <p data-testid="coverage-all">No workload uses a long-lived token Secret for the Kubernetes API.</p>
            )}
            {worst.length > 0 && (
              <table className="data compact">
                <thead>
                  <tr>
                    <th>Namespace or team</th>
                    <th>Short-lived</th>
                    <th>Long-lived</th>
                    <th>Share</th>
                  </tr>
                </thead>
                <tbody>
                  {worst.map((s) => (
                    <tr key={`${s.scopeKind}/${s.scope}`}>
                      <td>
                        {s.scopeKind} {s.scope}
                      </td>
                      <td>{s.shortLived}</td>
                      <td>{s.longLived}</td>
                      <td>{percent(shortLivedShare(s))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        );
      })}

      <form className="filters" method="get" action="/credentials">
        <input name="q" placeholder="Search name" defaultValue={filter.q ?? ''} aria-label="Search" />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <input name="owner" placeholder="Owner team" defaultValue={filter.owner ?? ''} aria-label="Owner" />
        <select name="class" defaultValue={filter.class ?? ''} aria-label="Class">
          <option value="">All classes</option>
          {CREDENTIAL_CLASSES.map((c) => (
            <option key={c} value={c}>
              {CLASS_INFO[c].title}
            </option>
          ))}
        </select>
        <select name="lifetime" defaultValue={filter.lifetime ?? ''} aria-label="Lifetime">
          <option value="">Any lifetime</option>
          <option value="long-lived">Long-lived</option>
          <option value="expiring">Expiring (certificates)</option>
          <option value="short-lived">Short-lived</option>
        </select>
        <select name="olderThan" defaultValue={filter.olderThan?.toString() ?? ''} aria-label="Age">
          <option value="">Any age</option>
          {[30, 90, 180, 365].map((d) => (
            <option key={d} value={d}>
              Older than {d} days
            </option>
          ))}
        </select>
        <select name="expiry" defaultValue={filter.expiry ?? ''} aria-label="Expiry">
          <option value="">Any expiry</option>
          <option value="expired">Expired</option>
          <option value="30d">Expires within 30 days</option>
          <option value="90d">Expires within 90 days</option>
          <option value="none">No expiry</option>
        </select>
        <select name="lastUse" defaultValue={filter.lastUse ?? ''} aria-label="Last use">
          <option value="">Any last use</option>
          <option value="recent">Used in the last 90 days</option>
          <option value="stale">Not used for 90 days</option>
          <option value="unknown">Use unknown</option>
        </select>
        <label className="check">
          <input type="checkbox" name="findings" value="any" defaultChecked={filter.findings === 'any'} /> with findings
        </label>
        <button type="submit">Filter</button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <p className="muted" data-testid="credential-count">
        {total} credentials · metadata only: no value of any Secret is read or stored · last use is known for legacy tokens (the
        API server&apos;s label); for others it shows as unknown until runtime events are ingested
      </p>
      <CredentialTable rows={rows} />
      <Pager page={filter.page} pages={pages} href={(p) => pageHref(filter, p)} />

      {federated.length > 0 && (
        <>
          <h2>Federated and SPIFFE identities ({federated.length})</h2>
          <p className="muted">
            Short-lived by design: the workload exchanges its projected token for these; no Secret holds them.
          </p>
          <table className="data" data-testid="federated-table">
            <thead>
              <tr>
                <th>ServiceAccount</th>
                <th>Federated to</th>
                <th>Kind</th>
                <th>Workloads</th>
                <th>Read from</th>
              </tr>
            </thead>
            <tbody>
              {federated.map((f) => (
                <tr key={`${f.serviceAccount.id}/${f.link}/${f.target}`}>
                  <td>
                    <Link href={`/identities/${f.serviceAccount.id}`}>
                      {f.serviceAccount.namespace}/{f.serviceAccount.name}
                    </Link>
                  </td>
                  <td>{f.target}</td>
                  <td>{f.link}</td>
                  <td>{f.workloads.map((w) => `${w.kind} ${w.name}`).join(', ') || <span className="muted">none</span>}</td>
                  <td className="muted">{f.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

import Link from 'next/link';
import { ActivityChart } from '@/components/activity-chart';
import type { Activity, ActivityCount, ActivityEvent } from '@/lib/data/activity';
import { utcTime } from '@/lib/format';

const utc = (iso: string) => utcTime(iso, 'second');

/** The event detail page of a stored runtime event; its time makes the lookup one index probe (lib/data/events.ts). */
export const eventHref = (clusterId: string, key: string, at?: string) =>
  `/events/${clusterId}/${encodeURIComponent(key)}${at ? `?at=${encodeURIComponent(at)}` : ''}`;

const WINDOWS = [1, 7, 30] as const;

function What({ e }: { e: ActivityEvent }) {
  if (e.source === 'falco') return <>{e.rule ?? 'Falco alert'}</>;
  const target = [e.resource, e.namespace ? `in ${e.namespace}` : null, e.name].filter(Boolean).join(' ');
  return (
    <>
      {e.verb} {target}
    </>
  );
}

function Counts({ title, rows, testId }: { title: string; rows: ActivityCount[]; testId: string }) {
  return (
    <div>
      <h4>{title}</h4>
      {rows.length === 0 ? (
        <p className="muted">None recorded.</p>
      ) : (
        <ul className="compact" data-testid={testId}>
          {rows.map((r) => (
            <li key={r.value}>
              <code>{r.value}</code>{' '}
              <span className="muted">
                × {r.count}, last {utc(r.lastAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function EventTable({ events, clusterId, testId }: { events: ActivityEvent[]; clusterId: string; testId: string }) {
  return (
    <table className="data" data-testid={testId}>
      <thead>
        <tr>
          <th>When</th>
          <th>What</th>
          <th>Result</th>
          <th>Pod</th>
          <th>From</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.key}>
            <td>
              <Link href={eventHref(clusterId, e.key, e.at)}>{utc(e.at)}</Link>
              {e.stage && e.stage !== 'ResponseComplete' && <span className="muted"> ({e.stage})</span>}
            </td>
            <td>
              <What e={e} />
            </td>
            <td>
              {e.source === 'falco' ? (
                <span className="pill sev-high">{e.priority ?? 'alert'}</span>
              ) : e.denied ? (
                <span className="pill pill-down">denied {e.responseCode ?? ''}</span>
              ) : (
                (e.responseCode ?? '—')
              )}
            </td>
            <td>{e.pod ?? '—'}</td>
            <td>
              {e.sourceIp ?? '—'}
              {e.userAgent && <div className="muted small">{e.userAgent}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * An identity's or a workload's runtime activity (lib/data/activity.ts): totals, calls over time, what it
 * called, where from, denied calls, Falco alerts and the latest events, each one click from its detail.
 * `basePath` is the page's own path, for the window links (`?days=`).
 */
export function ActivityPanel({
  activity,
  basePath,
  clusterName,
}: {
  activity: Activity;
  basePath: string;
  clusterName: string;
}) {
  const a = activity;
  const windows = (
    <p className="muted" data-testid="activity-windows">
      Window:{' '}
      {WINDOWS.map((d, i) => (
        <span key={d}>
          {i > 0 && ' · '}
          {d === a.days ? <strong>{d} d</strong> : <Link href={`${basePath}?days=${d}#activity`}>{d} d</Link>}
        </span>
      ))}
    </p>
  );
  if (!a.window) {
    return (
      <div data-testid="activity">
        <p className="muted">
          No runtime event of it has been received. Send the cluster&apos;s audit events: point the API server&apos;s audit
          webhook at <code>/api/ingest/audit</code> with a token from{' '}
          <code>npx nhi ingest-token create --cluster {clusterName}</code>, or import an audit log with{' '}
          <code>npx nhi ingest audit.log --cluster {clusterName}</code>.
        </p>
      </div>
    );
  }
  return (
    <div data-testid="activity">
      <p data-testid="activity-summary">
        <strong>{a.calls.toLocaleString('en')}</strong> API call{a.calls === 1 ? '' : 's'}
        {a.denied > 0 && (
          <>
            , <strong className="denied">{a.denied.toLocaleString('en')} denied</strong>
          </>
        )}
        {a.alerts > 0 && (
          <>
            ,{' '}
            <strong>
              {a.alerts.toLocaleString('en')} Falco alert{a.alerts === 1 ? '' : 's'}
            </strong>
          </>
        )}{' '}
        in the {a.days} day{a.days === 1 ? '' : 's'} up to its last event ({utc(a.window.until)}).
      </p>
      {windows}
      <ActivityChart buckets={a.histogram} bucket={a.bucket} />

      <h3>What it called ({a.actions.length})</h3>
      {a.actions.length === 0 ? (
        <p className="muted">No API call in this window.</p>
      ) : (
        <table className="data" data-testid="activity-actions">
          <thead>
            <tr>
              <th>Verb</th>
              <th>Resource</th>
              <th>Namespace</th>
              <th>Calls</th>
              <th>Denied</th>
              <th>Last</th>
            </tr>
          </thead>
          <tbody>
            {a.actions.map((x) => (
              <tr key={`${x.verb}/${x.resource}/${x.namespace}`}>
                <td>{x.verb || '—'}</td>
                <td>
                  <code>{x.resource || '(non-resource URL)'}</code>
                </td>
                <td>{x.namespace || <span className="muted">cluster-wide</span>}</td>
                <td>{x.calls}</td>
                <td>{x.denied > 0 ? <span className="pill pill-down">{x.denied}</span> : 0}</td>
                <td>
                  <Link href={eventHref(a.clusterId, x.sampleKey, x.lastAt)}>{utc(x.lastAt)}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Where from</h3>
      <div className="columns">
        <Counts title="Source addresses" rows={a.sources.addresses} testId="activity-addresses" />
        <Counts title="User agents" rows={a.sources.userAgents} testId="activity-agents" />
        <Counts title="Pods" rows={a.sources.pods} testId="activity-pods" />
        <Counts title="Nodes" rows={a.sources.nodes} testId="activity-nodes" />
      </div>

      <h3>Denied calls ({a.denied})</h3>
      {a.deniedRecent.length === 0 ? (
        <p className="muted">None in this window.</p>
      ) : (
        <EventTable events={a.deniedRecent} clusterId={a.clusterId} testId="activity-denied" />
      )}

      {a.alerts > 0 && (
        <>
          <h3>Falco alerts ({a.alerts})</h3>
          <EventTable events={a.alertsRecent} clusterId={a.clusterId} testId="activity-alerts" />
        </>
      )}

      <h3>Latest events</h3>
      <EventTable events={a.recent} clusterId={a.clusterId} testId="activity-recent" />
    </div>
  );
}

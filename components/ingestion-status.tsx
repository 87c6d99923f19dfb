'use client';

import { useQuery } from '@tanstack/react-query';
import type { ClusterIngestion, IngestionStatus } from '@/lib/data/ingestion';
import { AppError } from '@/lib/errors';
import type { ErrorBody } from '@/lib/http/route';
import { durationText, type IngestionVerdict } from '@/lib/runtime/status';
import { utcTime } from '@/lib/format';

async function fetchStatus(): Promise<IngestionStatus> {
  const res = await fetch('/api/ingest/status', { cache: 'no-store' });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as ErrorBody | null;
    throw new AppError('unavailable', body?.error ?? `the server answered HTTP ${res.status}`);
  }
  return (await res.json()) as IngestionStatus;
}

const PILL: Record<IngestionVerdict, string> = {
  receiving: 'pill-ok',
  silent: 'pill-degraded',
  rejecting: 'pill-down',
  never: 'pill-muted',
};

const utc = (iso: string) => utcTime(iso, 'second');
/** Events per minute: `0`, `<0.01`, `0.42`, `6.7`, `120`. */
const rate = (n: number) =>
  n === 0 ? '0' : n < 0.01 ? '<0.01' : n < 1 ? n.toFixed(2) : n < 10 ? n.toFixed(1) : String(Math.round(n));

/** `2026-11-29 08:00 – 08:45 UTC`, the day written once when both ends share it. */
function span(from: string, to: string): string {
  const [fromDay, fromTime] = [from.slice(0, 10), from.slice(11, 16)];
  const [toDay, toTime] = [to.slice(0, 10), to.slice(11, 16)];
  return fromDay === toDay ? `${fromDay} ${fromTime} – ${toTime} UTC` : `${fromDay} ${fromTime} – ${toDay} ${toTime} UTC`;
}

function Row({ c, now }: { c: ClusterIngestion; now: number }) {
  return (
    <>
      <tr data-testid={`ingestion-row-${c.cluster}`} data-verdict={c.verdict}>
        <td>{c.cluster}</td>
        <td>
          <span className={`pill ${PILL[c.verdict]}`} data-testid="ingestion-verdict">
            {c.verdict}
          </span>
          <div className="muted small ingestion-reason">{c.reason}</div>
        </td>
        <td>
          {c.lastEventAt ? (
            <>
              {durationText(Math.max(0, now - Date.parse(c.lastEventAt)))} ago
              <div className="muted small">{utc(c.lastEventAt)}</div>
            </>
          ) : (
            <span className="muted">never</span>
          )}
          {c.lastBatch && (
            <div className="muted small">
              last batch {utc(c.lastBatch.receivedAt)} by {c.lastBatch.channel}
            </div>
          )}
        </td>
        <td>
          {rate(c.rate.perMinute15m)}/min <span className="muted small">15 min</span>
          <br />
          {rate(c.rate.perMinute24h)}/min <span className="muted small">24 h</span>
          {c.last24h.duplicates > 0 && <div className="muted small">{c.last24h.duplicates} duplicates (24 h)</div>}
        </td>
        <td data-testid="ingestion-rejected">
          {c.last24h.rejected}
          {c.latestRejections.length > 0 && (
            <ul className="problems">
              {c.latestRejections.map((r, i) => (
                <li key={`${r.receivedAt}-${i}`}>
                  {r.item}: {r.reason}
                </li>
              ))}
            </ul>
          )}
        </td>
        <td data-testid="ingestion-gaps">
          {c.gaps.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="problems">
              {c.gaps.map((g) => (
                <li key={g.from}>
                  {span(g.from, g.to)} ({durationText(g.minutes * 60_000)})
                </li>
              ))}
            </ul>
          )}
          {c.silentNow && <div className="problems">silent for {durationText(c.silentNow.minutes * 60_000)} now</div>}
        </td>
      </tr>
      {c.verdict === 'never' && (
        <tr className="ingestion-howto" data-testid={`ingestion-howto-${c.cluster}`}>
          <td colSpan={6}>
            Send the audit events of {c.cluster}: make an ingest token and its webhook configuration,
            <pre>npx nhi ingest-token create --cluster {c.cluster} --url https://DASHBOARD-ADDRESS</pre>
            save the configuration it prints on the control-plane node and start the API server with{' '}
            <code>--audit-webhook-config-file=FILE</code> (and an <code>--audit-policy-file</code>). Or load audit logs:{' '}
            <code>npx nhi ingest --cluster {c.cluster} audit.log</code>.
          </td>
        </tr>
      )}
    </>
  );
}

/**
 * Each cluster's runtime ingestion: verdict with its reason, last event, rate, rejected items and the gaps
 * of the last 24 h. Rendered on the server with `initial`, then refreshed every 15 s.
 */
export function IngestionStatusPanel({ initial }: { initial: IngestionStatus }) {
  const {
    data: status = initial,
    isError,
    error,
  } = useQuery({
    queryKey: ['ingestion-status'],
    queryFn: fetchStatus,
    initialData: initial,
    refetchInterval: 15_000,
    staleTime: 0,
  });
  // Ages are counted from when the status was read, so the server's and the browser's render agree.
  const now = Date.parse(status.now);
  return (
    <div data-testid="ingestion-status">
      {isError && (
        <p className="muted" role="status">
          The ingestion status could not be refreshed ({error?.message}); showing the last one received.
        </p>
      )}
      <table className="data">
        <thead>
          <tr>
            <th>Cluster</th>
            <th>Status</th>
            <th>Last event</th>
            <th>Rate</th>
            <th>Rejected (24 h)</th>
            <th>Gaps over {status.gapMinutes} min (24 h)</th>
          </tr>
        </thead>
        <tbody>
          {status.clusters.map((c) => (
            <Row key={c.clusterId} c={c} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Fragment } from 'react';
import { eventHref } from '@/components/activity-panel';
import { AnomalyActions } from '@/components/anomaly-actions';
import { statusText } from '@/components/anomaly-list';
import { SeverityPill } from '@/components/severity';
import { WORKLOAD_CLASS_TITLES, type WorkloadClass } from '@/lib/behaviour/workload-class';
import { getAnomaly } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { utcTime } from '@/lib/format';
import { OWASP_NHI_TOP10, type OwaspNhiId } from '@/lib/owasp';
import { inScopeOr404, pageViewer } from '@/lib/auth/page';
import { assertSubjectInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Anomaly' };

export default async function AnomalyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const viewer = await pageViewer('/anomalies/[id]', `/anomalies/${encodeURIComponent(id)}`);
  const a = await getAnomaly(prisma(), id);
  if (!a) notFound();
  await inScopeOr404((scope) => assertSubjectInScope(prisma(), scope, a, 'anomaly'), viewer);
  return (
    <article>
      <p className="muted">
        <Link href="/anomalies">Anomalies</Link> / {a.cluster}
      </p>
      <h1>
        <SeverityPill severity={a.severity} /> {a.title}
      </h1>
      <p>
        {a.identityId ? <Link href={`/identities/${a.identityId}`}>{a.identity}</Link> : <strong>{a.identity}</strong>}
        {a.workload && (
          <>
            {' · '}
            <Link href={`/workloads/${a.workload.id}`}>
              {a.workload.kind} {a.workload.name}
            </Link>
          </>
        )}
        {' · '}
        <span data-testid="anomaly-status">{statusText(a.status)}</span>
        {a.statusBy && ` by ${a.statusBy} ${utcTime(a.statusAt!)}`}
      </p>
      <p data-testid="anomaly-explanation">{a.explanation}</p>
      <p className="muted">
        {a.detector} · {a.owasp.map((o) => `${o} ${OWASP_NHI_TOP10[o as OwaspNhiId] ?? ''}`).join(', ')} · first{' '}
        {utcTime(a.firstEventAt, 'second')} · last {utcTime(a.lastEventAt, 'second')} · {a.eventCount} events
      </p>
      {a.context.class && (
        <p className="muted">
          Judged as a {WORKLOAD_CLASS_TITLES[a.context.class as WorkloadClass] ?? a.context.class} ({a.context.classReason}) under
          the behaviour profiles {a.context.profiles}.
        </p>
      )}
      {a.suppression && (
        <p>
          Suppressed by a rule of {a.suppression.createdBy} until {utcTime(a.suppression.expiresAt)}: {a.suppression.reason}
        </p>
      )}
      <AnomalyActions id={a.id} status={a.status} />

      <h2>Facts</h2>
      <dl className="facts">
        {Object.entries(a.facts).map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{String(v)}</dd>
          </Fragment>
        ))}
      </dl>

      <h2>
        Evidence ({a.events.length === a.eventCount ? a.eventCount : `the first ${a.events.length} of ${a.eventCount}`} events)
      </h2>
      <table className="data" data-testid="evidence">
        <thead>
          <tr>
            <th>Time</th>
            <th>Call</th>
            <th>Answer</th>
            <th>From</th>
            <th>Pod</th>
          </tr>
        </thead>
        <tbody>
          {a.events.map((e) => (
            <tr key={e.key}>
              <td className="nowrap">
                <Link href={eventHref(a.clusterId, e.key, e.at)}>{utcTime(e.at, 'second')}</Link>
              </td>
              <td>
                {e.verb} {e.resource ?? e.path} {[e.namespace, e.name].filter(Boolean).join('/')}
              </td>
              <td>{e.responseCode ?? '—'}</td>
              <td>
                {e.sourceIp ?? '—'} <span className="muted">{e.userAgent}</span>
              </td>
              <td>{e.podName ?? <span className="muted">not pod-bound</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>History</h2>
      {a.history.length ? (
        <ul data-testid="history">
          {a.history.map((h, i) => (
            <li key={i}>
              {utcTime(h.at, 'second')} · {statusText(h.status)} by {h.by}
              {h.note && `: ${h.note}`}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Raised by the detectors; no decision yet.</p>
      )}
    </article>
  );
}

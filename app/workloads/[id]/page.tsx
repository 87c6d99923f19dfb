import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ActivityPanel } from '@/components/activity-panel';
import { CredentialTable } from '@/components/credential-table';
import { FindingList } from '@/components/finding-list';
import { WorkloadTimeline } from '@/components/workload-timeline';
import { workloadTimeline } from '@/lib/data/workload-timeline';
import { parseTimelineQuery } from '@/lib/data/timeline-window';
import { FilterError } from '@/components/filter-error';
import { systemClock } from '@/lib/clock';
import { activityOf, activityQueryOf, workloadScope } from '@/lib/data/activity';
import { credentialsOfWorkload } from '@/lib/data/credentials';
import { findingsOfWorkload } from '@/lib/data/findings';
import { getWorkload } from '@/lib/data/workloads';
import { riskOf } from '@/lib/data/risk';
import { RiskPanel } from '@/components/risk-panel';
import { asWorkloadClass, workloadClass } from '@/lib/behaviour/workload-class';
import { BehaviourPanel } from '@/components/behaviour-panel';
import { ClassOverride } from '@/components/class-override';
import { baselineOf, listAnomalies } from '@/lib/data/anomalies';
import { WorkloadClassText } from '@/components/workload-class';
import { prisma } from '@/lib/db/client';
import { utcTime } from '@/lib/format';
import { inScopeOr404, pageViewer } from '@/lib/auth/page';
import { assertWorkloadInScope } from '@/lib/auth/scope';
import { OwnershipPanel } from '@/components/ownership-panel';
import { subjectOwnership } from '@/lib/ownership/claims';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Workload' };

const utc = (d: Date | null) => (d ? utcTime(d) : '—');

export default async function WorkloadPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const db = prisma();
  const viewer = await pageViewer('/workloads/[id]', `/workloads/${encodeURIComponent(id)}`);
  await inScopeOr404((scope) => assertWorkloadInScope(db, scope, id), viewer);
  const workload = await getWorkload(db, id);
  if (!workload) notFound();
  const ownership = await subjectOwnership(db, { workloadId: id }, viewer);
  const search = await searchParams;
  const query = activityQueryOf(search);
  const { query: timelineQuery, error: timelineError } = parseTimelineQuery(search);
  const scope = await workloadScope(db, id);
  const sa = workload.serviceAccountName ?? 'default';
  const [credentials, findings, activity, baseline, anomalies, risk, timeline] = await Promise.all([
    credentialsOfWorkload(db, id, systemClock()),
    findingsOfWorkload(db, id),
    scope ? activityOf(db, scope, query) : null,
    baselineOf(db, workload.clusterId, workload.namespace, sa),
    listAnomalies(db, { workloadId: id, status: 'all', page: 1 }, 20),
    riskOf(db, { workloadId: id }),
    workloadTimeline(db, id, timelineQuery),
  ]);
  const decided = workloadClass(
    { ...workload, classOverride: asWorkloadClass(workload.classOverride) },
    { userAgents: activity?.sources.userAgents.map((a) => a.value) ?? [] },
  );
  return (
    <article className="workload">
      <p className="muted">
        <Link href="/workloads">Workloads</Link> / {workload.cluster.name} / {workload.namespace}
      </p>
      <h1>
        {workload.namespace}/{workload.name}
      </h1>
      <p>
        <span className="pill pill-muted">{workload.kind}</span>{' '}
        {workload.deletedAt && <span className="pill pill-down">deleted {utc(workload.deletedAt)}</span>} {workload.podCount}{' '}
        pod(s) · first seen {utc(workload.firstSeenAt)} · Owner:{' '}
        {workload.ownerships.length ? (
          workload.ownerships.map((o) => `${o.team.name} (${o.origin}${o.source ? `, ${o.source}` : ''})`).join('; ')
        ) : (
          <strong>unowned</strong>
        )}
      </p>
      <dl className="facts" data-testid="workload-facts">
        <dt>Class</dt>
        <dd data-testid="workload-class">
          <WorkloadClassText decision={decided} />
        </dd>
        <dt>Runs as</dt>
        <dd>
          {workload.identities.length === 0
            ? `ServiceAccount ${workload.serviceAccountName ?? 'default'} (not in the inventory)`
            : workload.identities.map((i, n) => (
                <span key={i.id}>
                  {n > 0 && ', '}
                  {i.kind}{' '}
                  <Link href={`/identities/${i.id}`}>
                    {i.namespace ? `${i.namespace}/` : ''}
                    {i.name}
                  </Link>
                </span>
              ))}
        </dd>
        <dt>Token automount</dt>
        <dd>{workload.automountToken === null ? 'not set (mounted by default)' : workload.automountToken ? 'on' : 'off'}</dd>
        <dt>Images</dt>
        <dd>{workload.images.length ? workload.images.join(', ') : '—'}</dd>
        <dt>Labels</dt>
        <dd>
          {Object.entries(workload.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '—'}
        </dd>
      </dl>
      <details className="class-override" data-testid="class-override">
        <summary>
          Change the class
          {workload.classOverrideBy && ` (last changed by ${workload.classOverrideBy} ${utc(workload.classOverrideAt)})`}
        </summary>
        <p className="muted">
          Its class tunes how its ServiceAccount&apos;s baseline is learned and judged (public/behaviour-profiles.yaml). Choose
          one when the decision above is wrong; the baseline is learned again under the new class.
        </p>
        <ClassOverride id={id} current={workload.classOverride} />
      </details>

      <OwnershipPanel ownership={ownership} label={`${workload.kind} ${workload.namespace}/${workload.name}`} />

      <h2 id="risk">Risk</h2>
      <RiskPanel risk={risk} />

      <h2 id="findings">Findings ({findings.filter((f) => f.status === 'open').length} open)</h2>
      <FindingList findings={findings} />

      <h2>Credentials it uses ({credentials.length})</h2>
      {credentials.length === 0 ? <p className="muted">None.</p> : <CredentialTable rows={credentials} testId="credentials" />}

      {(baseline || anomalies.total > 0) && (
        <>
          <h2 id="anomalies">Behaviour ({anomalies.byStatus.open + anomalies.byStatus.acknowledged} open anomalies)</h2>
          <BehaviourPanel baseline={baseline} anomalies={anomalies} moreHref={`/anomalies?status=all&workloadId=${id}`} />
        </>
      )}

      {activity && (
        <>
          <h2 id="activity">Runtime activity</h2>
          <ActivityPanel activity={activity} basePath={`/workloads/${id}`} clusterName={workload.cluster.name} />
        </>
      )}

      <h2 id="timeline">Timeline</h2>
      <p className="muted small">
        Deployments and images, ServiceAccount and RBAC changes, credential rotations, anomalies and Falco alerts, ownership
        claims, exceptions and admission decisions, newest first.
      </p>
      <FilterError error={timelineError} />
      {timeline ? <WorkloadTimeline view={timeline} /> : <p className="muted">No timeline for this workload.</p>}
    </article>
  );
}

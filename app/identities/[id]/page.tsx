import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ActivityPanel } from '@/components/activity-panel';
import { PermissionUsePanel } from '@/components/permission-use';
import { permissionUse } from '@/lib/data/permission-use';
import { CredentialTable } from '@/components/credential-table';
import { FindingList } from '@/components/finding-list';
import { SeverityPill } from '@/components/severity';
import { Timeline } from '@/components/timeline';
import { TokenLedger } from '@/components/token-ledger';
import { tokenLedger } from '@/lib/data/ledger';
import { BehaviourPanel } from '@/components/behaviour-panel';
import { baselineOf, listAnomalies } from '@/lib/data/anomalies';
import { asWorkloadClass, workloadClass } from '@/lib/behaviour/workload-class';
import { WorkloadClassText } from '@/components/workload-class';
import { activityOf, activityQueryOf, identityScope } from '@/lib/data/activity';
import { systemClock } from '@/lib/clock';
import { credentialsOfIdentity } from '@/lib/data/credentials';
import { findingsOfIdentity } from '@/lib/data/findings';
import { bindingGroups, bindingText } from '@/lib/data/bindings';
import { getIdentity } from '@/lib/data/identities';
import { prisma } from '@/lib/db/client';
import { severityRank } from '@/lib/rbac/capabilities';
import { utcTime } from '@/lib/format';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Identity' };

const utc = (d: Date | null) => (d ? utcTime(d) : '—');

export default async function IdentityPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const db = prisma();
  const identity = await getIdentity(db, id);
  if (!identity) notFound();
  const query = activityQueryOf(await searchParams);
  const scope = await identityScope(db, id);
  const [credentials, findings, activity, tokens, baseline, anomalies] = await Promise.all([
    credentialsOfIdentity(db, id, systemClock()),
    findingsOfIdentity(db, id),
    scope ? activityOf(db, scope, query) : null,
    scope
      ? tokenLedger(db, { clusterId: identity.clusterId, identity: `${identity.namespace}/${identity.name}`, limit: 50 })
      : null,
    baselineOf(db, identity.clusterId, identity.namespace, identity.name),
    listAnomalies(db, { identityId: id, status: 'all', page: 1 }, 20),
  ]);
  // Over the same window as the runtime activity.
  const permissions = activity ? await permissionUse(db, id, activity) : null;
  const reach = identity.reach;
  // Effective before declared-only, then worst first.
  const capabilities = [...(reach?.capabilities ?? [])].sort(
    (a, b) => Number(b.effective) - Number(a.effective) || severityRank(b.severity) - severityRank(a.severity),
  );
  const steps = reach?.escalationSteps ?? [];
  const behaviour = { userAgents: activity?.sources.userAgents.map((a) => a.value) ?? [] };
  const bindings = reach?.bindings ?? [];
  const title = `${identity.namespace ? `${identity.namespace}/` : ''}${identity.name}`;
  return (
    <article className="identity">
      <p className="muted">
        <Link href="/identities">Identities</Link> / {identity.cluster.name}
      </p>
      <h1>{title}</h1>
      <p>
        <span className="pill pill-muted">{identity.kind}</span>{' '}
        {identity.builtIn && <span className="pill pill-muted">built-in</span>}{' '}
        {identity.deletedAt && <span className="pill pill-down">deleted {utc(identity.deletedAt)}</span>} Owner:{' '}
        {identity.ownerships.length ? (
          identity.ownerships.map((o) => `${o.team.name} (${o.origin}${o.source ? `, ${o.source}` : ''})`).join('; ')
        ) : (
          <strong>unowned</strong>
        )}
        {' · '}first seen {utc(identity.firstSeenAt)}
      </p>

      <h2>Path to cluster-admin</h2>
      {!reach ? (
        <p className="muted">No RBAC reach computed for this identity.</p>
      ) : reach.reachesClusterAdmin ? (
        reach.escalationDistance === 0 ? (
          <p data-testid="escalation">
            <span className="pill sev-critical">is cluster-admin equivalent</span> through its own bindings.
          </p>
        ) : (
          <ol className="steps" data-testid="escalation">
            {steps.map((s, i) => (
              <li key={i}>
                {s.text}
                {s.grants.length > 0 && (
                  <span className="muted"> — granted by {s.grants.map((g) => `${g.binding} → ${g.role}`).join(', ')}</span>
                )}
              </li>
            ))}
          </ol>
        )
      ) : (
        <p data-testid="escalation">No path to cluster-admin found from this identity&apos;s permissions.</p>
      )}

      <h2>Sensitive capabilities ({capabilities.filter((c) => c.effective).length})</h2>
      {capabilities.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="data" data-testid="capabilities">
          <thead>
            <tr>
              <th>Capability</th>
              <th>Severity</th>
              <th>Scope</th>
              <th>Granted by</th>
            </tr>
          </thead>
          <tbody>
            {capabilities.map((c) => (
              <tr key={c.id} className={c.effective ? '' : 'muted'}>
                <td>
                  {c.title}
                  {!c.effective && ' (declared, but Kubernetes does not honour it)'}
                </td>
                <td>
                  <SeverityPill severity={c.severity} />
                </td>
                <td>{c.scope}</td>
                <td>{c.grants.map((g) => `${g.binding} → ${g.role}`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {reach && (
        <>
          <p className="muted">
            Reach:{' '}
            {reach.allNamespaces
              ? 'every namespace (a cluster-wide binding grants namespaced resources)'
              : reach.namespaces.length
                ? `namespaces ${reach.namespaces.join(', ')}`
                : 'no namespace'}
          </p>
          <h3>Bindings ({bindings.length})</h3>
          {bindings.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="bindings" data-testid="bindings">
              {bindingGroups(bindings).map((g) => (
                <li key={g.label}>
                  <strong>{g.label}</strong>: {g.bindings.map(bindingText).join('; ')}
                </li>
              ))}
            </ul>
          )}
        </>
      )}

      <h2>Workloads running as it ({identity.workloads.length})</h2>
      {identity.workloads.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul>
          {identity.workloads.map((w) => (
            <li key={w.id}>
              {w.kind}{' '}
              <Link href={`/workloads/${w.id}`}>
                {w.namespace}/{w.name}
              </Link>{' '}
              · {w.podCount} pod(s) · {w.images.join(', ')} ·{' '}
              <WorkloadClassText decision={workloadClass({ ...w, classOverride: asWorkloadClass(w.classOverride) }, behaviour)} />
            </li>
          ))}
        </ul>
      )}

      <h2>Findings ({findings.filter((f) => f.status === 'open').length} open)</h2>
      <FindingList findings={findings} />

      <h2>Credentials ({credentials.length})</h2>
      {credentials.length === 0 ? (
        <p className="muted">None held or used.</p>
      ) : (
        <CredentialTable rows={credentials} testId="credentials" />
      )}

      <h2>Linked identities</h2>
      {identity.linksFrom.length + identity.linksTo.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul data-testid="links">
          {identity.linksFrom.map((l) => (
            <li key={l.id}>
              {l.kind}: <Link href={`/identities/${l.to.id}`}>{l.to.name}</Link>
              {l.inferred ? ' (inferred)' : ''} <span className="muted">— {l.source}</span>
            </li>
          ))}
          {identity.linksTo.map((l) => (
            <li key={l.id}>
              {l.kind} of{' '}
              <Link href={`/identities/${l.from.id}`}>
                {l.from.namespace}/{l.from.name}
              </Link>
            </li>
          ))}
        </ul>
      )}

      {tokens && (
        <>
          <h2 id="tokens">Tokens seen at runtime ({tokens.total})</h2>
          <p className="muted">
            Each token this ServiceAccount was issued (TokenRequest) or used, from the audit log: who minted it for which pod, and
            from where it was used.{tokens.total > tokens.items.length && ` The newest ${tokens.items.length} are shown.`}
          </p>
          <TokenLedger entries={tokens.items} />
        </>
      )}

      {(baseline || anomalies.total > 0) && (
        <>
          <h2 id="anomalies">Behaviour ({anomalies.byStatus.open + anomalies.byStatus.acknowledged} open anomalies)</h2>
          <BehaviourPanel baseline={baseline} anomalies={anomalies} moreHref={`/anomalies?status=all&identityId=${id}`} />
        </>
      )}

      {activity && (
        <>
          <h2 id="activity">Runtime activity</h2>
          <ActivityPanel activity={activity} basePath={`/identities/${id}`} clusterName={identity.cluster.name} />
        </>
      )}

      {permissions && (
        <>
          <h2 id="permissions">Permissions held but never used</h2>
          <PermissionUsePanel use={permissions} />
        </>
      )}

      <h2>Timeline</h2>
      <Timeline changes={identity.timeline} daily={activity?.daily ?? []} lastEventAt={activity?.window?.until ?? null} />
    </article>
  );
}

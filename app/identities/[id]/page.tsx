import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ActivityPanel } from '@/components/activity-panel';
import { PermissionUsePanel } from '@/components/permission-use';
import { CopyButton } from '@/components/copy-button';
import { permissionUse } from '@/lib/data/permission-use';
import { leastPrivilegeFix, replacedText } from '@/lib/data/least-privilege';
import { CredentialTable } from '@/components/credential-table';
import { FindingList } from '@/components/finding-list';
import { SeverityPill } from '@/components/severity';
import { Timeline, timelineFilterOf } from '@/components/timeline';
import { admissionOfServiceAccount, decisionSummary } from '@/lib/data/admission';
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
import { EscalationTargets } from '@/components/escalation-targets';
import { EscalationGraph } from '@/components/escalation-graph';
import { riskOf } from '@/lib/data/risk';
import { RiskPanel } from '@/components/risk-panel';
import { prisma } from '@/lib/db/client';
import { severityRank } from '@/lib/rbac/capabilities';
import { utcTime } from '@/lib/format';
import { inScopeOr404, pageViewer } from '@/lib/auth/page';
import { assertIdentityInScope } from '@/lib/auth/scope';
import { OwnershipPanel } from '@/components/ownership-panel';
import { subjectOwnership } from '@/lib/ownership/claims';

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
  const viewer = await pageViewer('/identities/[id]', `/identities/${encodeURIComponent(id)}`);
  await inScopeOr404((scope) => assertIdentityInScope(db, scope, id), viewer);
  const identity = await getIdentity(db, id);
  if (!identity) notFound();
  const ownership = await subjectOwnership(db, { identityId: id }, viewer);
  const search = await searchParams;
  const query = activityQueryOf(search);
  const timelineFilter = timelineFilterOf(search.timeline);
  const scope = await identityScope(db, id);
  const [credentials, findings, activity, tokens, baseline, anomalies, risk, admission] = await Promise.all([
    credentialsOfIdentity(db, id, systemClock()),
    findingsOfIdentity(db, id),
    scope ? activityOf(db, scope, query) : null,
    scope
      ? tokenLedger(db, { clusterId: identity.clusterId, identity: `${identity.namespace}/${identity.name}`, limit: 50 })
      : null,
    baselineOf(db, identity.clusterId, identity.namespace, identity.name),
    listAnomalies(db, { identityId: id, status: 'all', page: 1 }, 20),
    riskOf(db, { identityId: id }),
    identity.kind === 'ServiceAccount' ? admissionOfServiceAccount(db, identity) : [],
  ]);
  // The admission webhook's decisions about objects that concern it (lib/admission).
  const changes = [
    ...identity.timeline,
    ...admission.map((d) => ({ id: d.id, at: d.at, kind: `admission.${d.decision}`, summary: decisionSummary(d) })),
  ];
  // Over the same window as the runtime activity.
  const [permissions, fix] = activity
    ? await Promise.all([permissionUse(db, id, activity), leastPrivilegeFix(db, id, query, { activity })])
    : [null, null];
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

      <OwnershipPanel
        ownership={ownership}
        label={`${identity.kind} ${identity.namespace ? `${identity.namespace}/` : ''}${identity.name}`}
      />

      <h2 id="risk">Risk</h2>
      <RiskPanel risk={risk} />
      <h2 id="escalation">Path to cluster-admin</h2>
      {identity.kind === 'ServiceAccount' && (
        <p className="small">
          <Link href={`/identities/${id}/what-if`}>What if…? Simulate removing or adding bindings</Link>
        </p>
      )}
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
      {reach && (
        <>
          <h3 id="escalation-targets">Other escalation targets</h3>
          <EscalationTargets targets={reach.escalationTargets} />
        </>
      )}
      {reach && <EscalationGraph identityId={id} />}

      <h2 id="reach">Sensitive capabilities ({capabilities.filter((c) => c.effective).length})</h2>
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

      {fix && (
        <>
          <h2 id="least-privilege">Least-privilege fix</h2>
          <div data-testid="least-privilege">
            <p className="muted">
              Roles that allow exactly what it did
              {fix.window
                ? ` in the ${fix.window.days} days up to ${utcTime(fix.window.until)}${fix.window.basis === 'cluster' ? " (the cluster's last audit event: it has none of its own)" : ''}`
                : ''}
              , limited to what it holds now. Denied calls are not granted; what its groups allow stays as it is.
            </p>
            {!fix.window ? (
              <p className="muted">No audit event recorded for this cluster: there are no calls to build a fix from.</p>
            ) : (
              <p data-testid="fix-summary">
                {fix.calls.allowed} allowed and {fix.calls.denied} denied calls; generated{' '}
                {fix.roles.length
                  ? fix.roles
                      .map(
                        (r) =>
                          `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name} (${r.rules.length} rule${r.rules.length === 1 ? '' : 's'})`,
                      )
                      .join(', ')
                  : 'no Role (no call to grant)'}
                .{' '}
                {fix.diff.rules.length ? (
                  <>
                    Against the rules it holds now: <strong>{fix.diff.kept} kept</strong>, {fix.diff.narrowed} narrowed,{' '}
                    {fix.diff.dropped} dropped.
                  </>
                ) : (
                  'It holds no rule through bindings of its own.'
                )}
              </p>
            )}
            {fix.yaml && (
              <>
                <p>
                  <CopyButton text={fix.yaml} label="Copy YAML" />{' '}
                  <span className="muted small">
                    or{' '}
                    <code>
                      nhi fix {fix.serviceAccount.namespace}/{fix.serviceAccount.name} --cluster {identity.cluster.name} --days{' '}
                      {fix.window?.days ?? query.days} --yaml | kubectl apply -f -
                    </code>
                  </span>
                </p>
                <pre data-testid="fix-yaml">{fix.yaml}</pre>
              </>
            )}
            {fix.notes.length > 0 && (
              <ul className="small muted">
                {fix.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            )}
            {fix.diff.rules.length > 0 && (
              <table className="data" data-testid="fix-diff">
                <thead>
                  <tr>
                    <th>Rule held now</th>
                    <th>Granted by</th>
                    <th>In the fix</th>
                    <th>Why</th>
                  </tr>
                </thead>
                <tbody>
                  {fix.diff.rules.map((r, i) => (
                    <tr key={i} className={r.status === 'dropped' ? 'muted' : ''}>
                      <td>
                        <code>{r.text}</code>
                      </td>
                      <td>{r.binding}</td>
                      <td>
                        <span
                          className={`pill ${r.status === 'kept' ? 'pill-ok' : r.status === 'narrowed' ? 'pill-degraded' : 'pill-down'}`}
                        >
                          {r.status}
                        </span>
                      </td>
                      <td className="small">{r.note}</td>
                    </tr>
                  ))}
                  {fix.diff.added.map((a, i) => (
                    <tr key={`added-${i}`}>
                      <td>
                        <code>
                          {a.verb} {a.target}
                          {a.namespace ? ` in ${a.namespace}` : ''}
                        </code>
                      </td>
                      <td>—</td>
                      <td>
                        <span className="pill pill-degraded">added</span>
                      </td>
                      <td className="small">denied in the window, granted as asked</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {fix.replaces.length > 0 && (
              <>
                <p>Once applied, remove the bindings it replaces:</p>
                <ul data-testid="fix-replaces">
                  {fix.replaces.map((b) => (
                    <li key={`${b.kind}/${b.namespace}/${b.name}`}>
                      {replacedText(b)}: <code>{b.command}</code>
                    </li>
                  ))}
                </ul>
              </>
            )}
            {fix.automount ? (
              <div data-testid="fix-automount">
                <p>
                  <strong>automountServiceAccountToken: false</strong> — {fix.automount.reason}.
                </p>
                <ul>
                  {fix.automount.serviceAccount && (
                    <li>
                      ServiceAccount: <code>{fix.automount.serviceAccount.command}</code>{' '}
                      <span className="muted small">({fix.automount.serviceAccount.note}; in the YAML above)</span>
                    </li>
                  )}
                  {fix.automount.workloads.map((w) => (
                    <li key={`${w.kind}/${w.name}`}>
                      {w.kind} {w.name}: {w.command ? <code>{w.command}</code> : null}{' '}
                      <span className="muted small">({w.note})</span>
                    </li>
                  ))}
                  {!fix.automount.serviceAccount && fix.automount.workloads.length === 0 && <li>Already off everywhere.</li>}
                </ul>
              </div>
            ) : (
              fix.window && (
                <p className="muted small" data-testid="fix-automount">
                  It calls the API, so its pods keep their token (automountServiceAccountToken stays).
                </p>
              )
            )}
            {fix.observedCalls.length > 0 && (
              <details>
                <summary>What it did, and what the fix does with each call ({fix.observedCalls.length})</summary>
                <table className="data" data-testid="fix-calls">
                  <thead>
                    <tr>
                      <th>Calls</th>
                      <th>Action</th>
                      <th>Objects</th>
                      <th>In the fix</th>
                    </tr>
                  </thead>
                  <tbody>
                    {fix.observedCalls.map((a, i) => (
                      <tr key={i}>
                        <td>{a.calls}</td>
                        <td>
                          <code>
                            {a.verb} {a.target}
                          </code>
                          {a.namespace ? ` in ${a.namespace}` : ' (cluster-wide)'}
                        </td>
                        <td className="small">
                          {a.names.slice(0, 5).join(', ')}
                          {a.names.length > 5 ? `, ${a.names.length - 5} more` : ''}
                        </td>
                        <td className="small">
                          {a.decision === 'granted' || a.decision === 'denied-granted' ? 'granted' : 'left out'}: {a.reason}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
            )}
          </div>
        </>
      )}

      <h2 id="timeline">Timeline</h2>
      <Timeline
        changes={changes}
        daily={activity?.daily ?? []}
        lastEventAt={activity?.window?.until ?? null}
        filter={{
          value: timelineFilter,
          href: (f) =>
            `/identities/${id}?${new URLSearchParams({ ...(search.days ? { days: String(search.days) } : {}), ...(f === 'all' ? {} : { timeline: f }) })}#timeline`,
        }}
      />
    </article>
  );
}

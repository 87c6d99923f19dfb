import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { eventHref } from '@/components/activity-panel';
import { getRuntimeEvent } from '@/lib/data/events';
import { prisma } from '@/lib/db/client';
import { utcTime } from '@/lib/format';
import { inScopeOr404, pageViewer } from '@/lib/auth/page';
import { assertSubjectInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Runtime event' };

/** Route params may arrive still percent-encoded (the key holds colons); a malformed one is not decoded. */
function decodedParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const utc = (iso: string) => utcTime(iso, 'millisecond');

/**
 * One runtime event with everything kept about it: the request, who made it, from where, with which
 * token, the outcome, and what is attributed to it. The store keeps no body and no token, so nothing here
 * is secret; the raw detail is shown as stored.
 */
export default async function EventPage({
  params,
  searchParams,
}: {
  params: Promise<{ clusterId: string; key: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { clusterId, key } = await params;
  const { at } = await searchParams;
  const viewer = await pageViewer(
    '/events/[clusterId]/[key]',
    `/events/${encodeURIComponent(clusterId)}/${encodeURIComponent(key)}`,
  );
  const e = await getRuntimeEvent(prisma(), clusterId, decodedParam(key), typeof at === 'string' ? at : null);
  if (!e) notFound();
  await inScopeOr404(
    (scope) => assertSubjectInScope(prisma(), scope, { identityId: e.identity?.id, workloadId: e.workload?.id }, 'event'),
    viewer,
  );
  const denied = e.responseCode === 401 || e.responseCode === 403 || e.detail.decision === 'forbid';
  const rows: [string, React.ReactNode][] = [
    ['Cluster', e.clusterName],
    ['Time', utc(e.at)],
    [
      'Source',
      e.source === 'audit'
        ? `audit event${typeof e.detail.stage === 'string' ? `, stage ${e.detail.stage}` : ''}`
        : 'Falco alert',
    ],
    ['Verb', e.verb],
    ['Resource', e.resource],
    ['Namespace', e.namespace],
    ['Name', e.name],
    ['Request URI', typeof e.detail.requestURI === 'string' ? <code>{e.detail.requestURI}</code> : null],
    [
      'Response',
      e.responseCode === null ? null : (
        <>
          {e.responseCode} {denied && <span className="pill pill-down">denied</span>}
        </>
      ),
    ],
    ['User', e.username],
    [
      'Identity',
      e.identity ? (
        <Link href={`/identities/${e.identity.id}`}>
          {e.identity.namespace}/{e.identity.name}
        </Link>
      ) : e.saNamespace ? (
        `${e.saNamespace}/${e.saName} (not in the inventory yet)`
      ) : null,
    ],
    [
      'Workload',
      e.workload ? (
        <Link href={`/workloads/${e.workload.id}`}>
          {e.workload.kind} {e.workload.name}
        </Link>
      ) : null,
    ],
    ['Pod', e.podName],
    ['Node', e.node],
    ['Token (credential id)', e.credentialId ? <code>{e.credentialId}</code> : null],
    ['Token issued (credential id)', e.issuedCredentialId ? <code>{e.issuedCredentialId}</code> : null],
    ['Source address', e.sourceIp],
    ['User agent', e.userAgent],
    ['Received', utc(e.receivedAt)],
  ];
  return (
    <article>
      <p className="muted">
        {e.identity ? <Link href={`/identities/${e.identity.id}#activity`}>Activity of {e.identity.name}</Link> : 'Runtime event'}{' '}
        / <code>{e.key}</code>
      </p>
      <h1>
        {e.source === 'falco'
          ? `Falco: ${String((e.detail.falco as { rule?: string } | undefined)?.rule ?? 'alert')}`
          : `${e.verb ?? '?'} ${e.resource ?? e.detail.requestURI ?? ''}`}
      </h1>
      <dl className="facts" data-testid="event-facts">
        {rows
          .filter(([, v]) => v !== null && v !== undefined && v !== '')
          .map(([k, v]) => (
            <div key={k} style={{ display: 'contents' }}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
      {e.otherStages.length > 0 && (
        <>
          <h2>Other stages of this request</h2>
          <ul>
            {e.otherStages.map((s) => (
              <li key={s.key}>
                <Link href={eventHref(clusterId, s.key, s.at)}>{s.key.split(':').at(-1)}</Link>{' '}
                <span className="muted">{utc(s.at)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Everything else kept</h2>
      <p className="muted">
        Groups, annotations, token request facts, Falco fields: as stored. No request or response body and no token is ever kept.
      </p>
      <pre data-testid="event-detail">{JSON.stringify(e.detail, null, 2)}</pre>
    </article>
  );
}

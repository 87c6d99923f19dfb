import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Fragment } from 'react';
import { CopyButton } from '@/components/copy-button';
import { ExceptionForm } from '@/components/exception-form';
import { ExceptionTable } from '@/components/exception-table';
import { FindingSubject } from '@/components/finding-subject';
import { QueueActions } from '@/components/queue-actions';
import { QueueStateText } from '@/components/queue-state';
import { SeverityPill } from '@/components/severity';
import { findingWithExceptions } from '@/lib/data/findings';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { utcTime } from '@/lib/format';
import { inScopeOr404, pageViewer } from '@/lib/auth/page';
import { assertSubjectInScope, findingSubject } from '@/lib/auth/scope';
import { allows } from '@/lib/auth/roles';
import { findingQueue } from '@/lib/findings/queue';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Finding' };

/** A value of the evidence, as text (lists joined with semicolons; objects as `key value` pairs). */
const text = (v: unknown): string =>
  Array.isArray(v)
    ? v.map(text).join('; ')
    : v !== null && typeof v === 'object'
      ? Object.entries(v)
          .map(([k, x]) => `${k} ${text(x)}`)
          .join(', ')
      : String(v);

export default async function FindingPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const viewer = await pageViewer('/findings/[id]', `/findings/${encodeURIComponent(id)}`);
  const f = await findingWithExceptions(prisma(), pgPool(), id);
  if (!f) notFound();
  await inScopeOr404(
    async (scope) => assertSubjectInScope(prisma(), scope, await findingSubject(prisma(), id), 'finding'),
    viewer,
  );
  const { exceptions } = f;
  const queue = await findingQueue(prisma(), viewer, f.id);
  const active = exceptions.find((e) => e.state === 'active');
  return (
    <article>
      <p className="muted">
        <Link href="/findings">Findings</Link> / {f.cluster}
      </p>
      <h1>
        <SeverityPill severity={f.severity} /> {f.title}
      </h1>
      <dl className="facts" data-testid="finding-facts">
        <dt>Rule</dt>
        <dd>{f.ruleId}</dd>
        <dt>Subject</dt>
        <dd>
          <FindingSubject f={f} />
        </dd>
        <dt>Status</dt>
        <dd data-testid="finding-status">
          {f.status}
          {f.resolvedAt ? ` ${utcTime(f.resolvedAt)} (no longer seen by the collector)` : ''}
        </dd>
        {queue && (
          <>
            <dt>Queue</dt>
            <dd data-testid="finding-queue">
              <QueueStateText item={queue.item} />
              {allows(viewer.role, 'owned.act') && (
                <QueueActions findingId={f.id} label={f.ruleId} state={queue.item.state} teams={queue.teams} />
              )}
            </dd>
          </>
        )}
        <dt>OWASP NHI Top 10</dt>
        <dd>{f.owasp.map((o) => `${o.id} ${o.name}`).join(', ')}</dd>
        {f.cis && (
          <>
            <dt>CIS Kubernetes Benchmark</dt>
            <dd>{f.cis}</dd>
          </>
        )}
        {f.aliases.length > 0 && (
          <>
            <dt>Peer tools</dt>
            <dd>{f.aliases.join(', ')}</dd>
          </>
        )}
        <dt>First seen</dt>
        <dd>{utcTime(f.firstSeenAt)}</dd>
        <dt>Last seen</dt>
        <dd>{utcTime(f.lastSeenAt)}</dd>
        {f.policy && (
          <>
            <dt>Evaluated under</dt>
            <dd>{f.policy}</dd>
          </>
        )}
      </dl>
      <h2>Why it matters</h2>
      <p>{f.explanation}</p>
      <h2>Evidence</h2>
      <dl className="facts" data-testid="finding-evidence">
        {Object.entries(f.evidence).map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{text(v)}</dd>
          </Fragment>
        ))}
      </dl>
      <h2>Fix</h2>
      <p>{f.remediation.text}</p>
      {f.remediation.yaml && (
        <>
          <pre data-testid="fix-yaml">{f.remediation.yaml}</pre>
          <CopyButton text={f.remediation.yaml} label="Copy YAML" />
        </>
      )}
      {f.remediation.command && (
        <>
          <pre data-testid="fix-command">{f.remediation.command}</pre>
          <CopyButton text={f.remediation.command} label="Copy command" />
        </>
      )}
      <h2 id="exceptions">Exceptions ({exceptions.length})</h2>
      {exceptions.length > 0 && <ExceptionTable exceptions={exceptions} showFinding={false} />}
      {f.status === 'open' && !active && (
        <>
          <p className="muted">
            Accept the risk for a while if it cannot be fixed yet: the finding leaves the open queue and the risk score until the
            exception expires (at most a year) or is revoked, then it is open again.
          </p>
          <ExceptionForm findingId={f.id} />
        </>
      )}
    </article>
  );
}

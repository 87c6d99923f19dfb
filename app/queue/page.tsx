import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { FilterError } from '@/components/filter-error';
import { QueueActions } from '@/components/queue-actions';
import { QueueStateText } from '@/components/queue-state';
import { SeverityPill } from '@/components/severity';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';
import { allows } from '@/lib/auth/roles';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { isAppError } from '@/lib/errors';
import { QUEUE_SECTION_LIMIT, queueQuerySchema, teamQueue, type TeamQueue } from '@/lib/findings/queue';
import { parseFilter } from '@/lib/http/query';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Findings queue' };

export default async function QueuePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/queue', '/queue');
  const scope = teamScope(viewer);
  const { filter, error } = parseFilter(queueQuerySchema, await searchParams);
  let queue: TeamQueue;
  try {
    queue = await teamQueue({ db: prisma(), pool: pgPool() }, scope, filter);
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') notFound();
    throw e;
  }
  const canAct = allows(viewer.role, 'owned.act');
  const assignTo = queue.team ? [{ name: queue.team.name, members: queue.members }] : [];
  return (
    <section>
      <h1>Findings queue{queue.team ? `: ${queue.team.name}` : ''}</h1>
      <p className="muted">
        {scope ? 'Your teams’' : 'A team’s'} findings as a work queue: assign each to a member of the team (or the team), fix it
        and mark it fixed; the next collection verifies the fix (no longer raised: verified fixed; still raised: back to open with
        a note). A finding that cannot be fixed yet can be accepted for a while through an{' '}
        <Link href="/exceptions">exception</Link> (a security lead approves).
      </p>
      <FilterError error={error} />
      {queue.teams.length > 0 && (
        <form className="filters" method="get" aria-label="Choose a team">
          <label htmlFor="queue-team">Team</label>
          <select id="queue-team" name="team" defaultValue={queue.team?.name} data-testid="queue-team">
            {queue.teams.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
          <button type="submit">Show</button>
        </form>
      )}
      {!queue.team ? (
        <div className="empty-state">
          <p>{scope ? 'You are in no team yet.' : 'No team yet.'}</p>
          <p className="muted">
            Teams come from owner labels and from the teams users are added to; see <Link href="/teams">Teams</Link>.
          </p>
        </div>
      ) : (
        <>
          <nav className="tabs" aria-label="Sections">
            {queue.sections.map((s) => (
              <a key={s.state} href={`#${s.state}`}>
                {s.label} ({s.total})
              </a>
            ))}
          </nav>
          {queue.sections.map((s) => (
            <section key={s.state} aria-labelledby={s.state} data-testid={`queue-${s.state}`}>
              <h2 id={s.state}>
                {s.label} ({s.total})
              </h2>
              {s.rows.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <div className="scroll-x">
                  <table className="data">
                    <thead>
                      <tr>
                        <th scope="col">Severity</th>
                        <th scope="col">Finding</th>
                        <th scope="col">Subject</th>
                        <th scope="col">State</th>
                        {canAct && <th scope="col">Actions</th>}
                      </tr>
                    </thead>
                    <tbody>
                      {s.rows.map((f) => (
                        <tr key={f.id} data-testid="queue-row">
                          <td>
                            <SeverityPill severity={f.severity} />
                          </td>
                          <td>
                            <Link href={`/findings/${f.id}`}>{f.title}</Link>
                            <br />
                            <span className="small muted">
                              {f.ruleId} · {f.cluster}
                            </span>
                          </td>
                          <td>
                            {f.workloadId ? (
                              <Link href={`/workloads/${f.workloadId}`}>{f.subject}</Link>
                            ) : f.identityId ? (
                              <Link href={`/identities/${f.identityId}`}>{f.subject}</Link>
                            ) : (
                              f.subject
                            )}
                          </td>
                          <td>
                            <QueueStateText item={f} />
                          </td>
                          {canAct && (
                            <td>
                              <QueueActions
                                findingId={f.id}
                                label={`${f.ruleId} on ${f.subject}`}
                                state={f.state}
                                teams={assignTo}
                              />
                            </td>
                          )}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  {s.total > s.rows.length && (
                    <p className="small muted">
                      The {QUEUE_SECTION_LIMIT} worst of {s.total} are shown.
                    </p>
                  )}
                </div>
              )}
            </section>
          ))}
        </>
      )}
    </section>
  );
}

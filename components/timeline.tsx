import type { ActivityBucket } from '@/lib/data/activity';
import { utcTime } from '@/lib/format';

interface Change {
  id: string;
  at: Date;
  kind: string;
  summary: string;
}

/**
 * A page's timeline: recorded changes (bindings, rotations, images, …) and one line per UTC day of runtime
 * activity, newest first. A day's line sits at the end of that day (or at its last event, for today).
 */
export function Timeline({
  changes,
  daily,
  lastEventAt,
}: {
  changes: Change[];
  daily: ActivityBucket[];
  lastEventAt: string | null;
}) {
  const dayEnd = (d: string) => {
    const end = new Date(Date.parse(d) + 86_399_000);
    return lastEventAt && Date.parse(lastEventAt) < end.getTime() ? new Date(lastEventAt) : end;
  };
  const items = [
    ...changes.map((c) => ({ key: c.id, at: c.at, kind: c.kind, text: c.summary, runtime: false })),
    ...daily.map((d) => ({
      key: `day-${d.at}`,
      at: dayEnd(d.at),
      kind: 'runtime.day',
      text:
        `${d.at.slice(0, 10)}: ${d.calls.toLocaleString('en')} API call${d.calls === 1 ? '' : 's'}` +
        (d.denied ? `, ${d.denied.toLocaleString('en')} denied` : '') +
        (d.alerts ? `, ${d.alerts.toLocaleString('en')} Falco alert${d.alerts === 1 ? '' : 's'}` : ''),
      runtime: true,
    })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());
  if (items.length === 0) return <p className="muted">No changes recorded since the first collection, and no runtime event.</p>;
  return (
    <ul data-testid="timeline">
      {items.map((i) => (
        <li key={i.key} data-kind={i.kind}>
          {i.runtime ? (
            <>
              <span className="pill pill-muted">activity</span> <a href="#activity">{i.text}</a>
            </>
          ) : (
            <>
              {utcTime(i.at)} — {i.text}
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

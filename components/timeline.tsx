import type { ActivityBucket } from '@/lib/data/activity';
import { utcTime } from '@/lib/format';

interface Change {
  id: string;
  at: Date;
  kind: string;
  summary: string;
}

/** What a timeline can be narrowed to: recorded changes, admission webhook decisions (`admission.*`), runtime days. */
export const TIMELINE_FILTERS = ['all', 'changes', 'admission', 'activity'] as const;
export type TimelineFilter = (typeof TIMELINE_FILTERS)[number];
const FILTER_LABELS: Record<TimelineFilter, string> = {
  all: 'All',
  changes: 'Changes',
  admission: 'Admission decisions',
  activity: 'Runtime activity',
};
/** A page's `?timeline=`: anything else is `all`. */
export const timelineFilterOf = (v: string | string[] | undefined): TimelineFilter =>
  (TIMELINE_FILTERS as readonly string[]).includes(String(v)) ? (v as TimelineFilter) : 'all';
const isAdmission = (kind: string) => kind.startsWith('admission.');
const PILLS: Record<string, { className: string; label: string } | undefined> = {
  'admission.denied': { className: 'pill pill-down', label: 'denied' },
  'admission.warned': { className: 'pill pill-degraded', label: 'warned' },
};

/**
 * A page's timeline: recorded changes (bindings, rotations, images, …) and one line per UTC day of runtime
 * activity, newest first. A day's line sits at the end of that day (or at its last event, for today).
 */
export function Timeline({
  changes,
  daily,
  lastEventAt,
  filter,
}: {
  changes: Change[];
  daily: ActivityBucket[];
  lastEventAt: string | null;
  /** Links narrowing the timeline (`href` builds each link), and the one in force. */
  filter?: { value: TimelineFilter; href: (f: TimelineFilter) => string };
}) {
  const shown = filter?.value ?? 'all';
  const dayEnd = (d: string) => {
    const end = new Date(Date.parse(d) + 86_399_000);
    return lastEventAt && Date.parse(lastEventAt) < end.getTime() ? new Date(lastEventAt) : end;
  };
  const items = [
    ...changes
      .filter(
        (c) => shown === 'all' || (shown === 'admission' ? isAdmission(c.kind) : shown === 'changes' && !isAdmission(c.kind)),
      )
      .map((c) => ({ key: c.id, at: c.at, kind: c.kind, text: c.summary, runtime: false })),
    ...(shown === 'all' || shown === 'activity' ? daily : []).map((d) => ({
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
  const nav = filter && (
    <p className="filters small" data-testid="timeline-filter" aria-label="Show on the timeline">
      {TIMELINE_FILTERS.map((f, n) => (
        <span key={f}>
          {n > 0 && ' · '}
          {f === shown ? (
            <strong aria-current="true">{FILTER_LABELS[f]}</strong>
          ) : (
            <a href={filter.href(f)}>{FILTER_LABELS[f]}</a>
          )}
        </span>
      ))}
    </p>
  );
  if (items.length === 0)
    return (
      <>
        {nav}
        <p className="muted">
          {shown === 'all'
            ? 'No changes recorded since the first collection, and no runtime event.'
            : shown === 'admission'
              ? 'No admission webhook decision recorded.'
              : 'Nothing of this kind recorded.'}
        </p>
      </>
    );
  return (
    <>
      {nav}
      <ul data-testid="timeline">
        {items.map((i) => (
          <li key={i.key} data-kind={i.kind}>
            {i.runtime ? (
              <>
                <span className="pill pill-muted">activity</span> <a href="#activity">{i.text}</a>
              </>
            ) : (
              <>
                {utcTime(i.at)} —{' '}
                {PILLS[i.kind] && (
                  <>
                    <span className={PILLS[i.kind]!.className}>{PILLS[i.kind]!.label}</span>{' '}
                  </>
                )}
                {i.text}
              </>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

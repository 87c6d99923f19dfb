'use client';

import { useEffect, useRef, useTransition } from 'react';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { Bar, BarChart, Brush, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WorkloadTimelineView } from '@/lib/data/workload-timeline';
import {
  bucketsOfWindow,
  CATEGORY_LABELS,
  TIMELINE_CATEGORIES,
  timelineSearch,
  windowOfBuckets,
  type TimelineCategory,
  type TimelineQuery,
} from '@/lib/data/timeline-window';
import { utcTime } from '@/lib/format';

/** The timeline's own query keys: the page's other keys (e.g. the activity window `days`) are kept. */
const OWN_KEYS = ['from', 'to', 'types'];

/** Each category's colour: design tokens only (they change with the dark theme); the labels say the same. */
const COLOURS: Record<TimelineCategory, string> = {
  deploy: 'var(--chart-1)',
  serviceaccount: 'var(--chart-5)',
  rbac: 'var(--chart-2)',
  credentials: 'var(--warn)',
  runtime: 'var(--chart-3)',
  claims: 'var(--chart-4)',
  exceptions: 'var(--high-ink)',
  admission: 'var(--ink)',
  other: 'var(--muted)',
};

function Swatch({ c }: { c: TimelineCategory }) {
  return (
    <span
      aria-hidden="true"
      style={{
        display: 'inline-block',
        width: '0.75em',
        height: '0.75em',
        borderRadius: 2,
        marginRight: 4,
        verticalAlign: 'baseline',
        background: COLOURS[c],
      }}
    />
  );
}

/** `2026-11-30T10:00` (UTC) for a datetime-local input. */
const localValue = (iso: string | null) => (iso ? iso.slice(0, 16) : '');

const label = (iso: string, unit: WorkloadTimelineView['unit']) =>
  unit === 'hour' ? `${iso.slice(5, 13).replace('T', ' ')}h` : iso.slice(0, 10);

/**
 * A workload's timeline: a chart of its events per category over time whose brush (drag its ends, or the
 * window between them) zooms the list below to the selected span, toggles per category, and a From/To form
 * for the keyboard. The view (from, to, types) lives in the URL, so a view can be shared; each change asks
 * the server again (the page reads lib/data/workload-timeline.ts), with a loading state meanwhile.
 */
export function WorkloadTimeline({ view }: { view: WorkloadTimelineView }) {
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const [pending, startTransition] = useTransition();
  const brushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (brushTimer.current && clearTimeout(brushTimer.current)), []);

  const current: TimelineQuery = {
    from: view.query.from ? new Date(view.query.from) : null,
    to: view.query.to ? new Date(view.query.to) : null,
    types: view.query.types,
  };
  const go = (next: TimelineQuery) => {
    const params = new URLSearchParams(search.toString());
    for (const k of OWN_KEYS) params.delete(k);
    for (const [k, v] of timelineSearch(next)) params.set(k, v);
    const qs = params.toString();
    startTransition(() => router.push(`${pathname}${qs ? `?${qs}` : ''}#timeline`, { scroll: false }));
  };

  const shown = new Set(view.query.types);
  const toggle = (c: TimelineCategory, on: boolean) => {
    const types = TIMELINE_CATEGORIES.filter((x) => (x === c ? on : shown.has(x)));
    go({ ...current, types: types.length ? types : [c] });
  };

  const data = view.buckets.map((b) => ({ ...b, label: label(b.start, view.unit) }));
  const { startIndex, endIndex } = bucketsOfWindow(view.buckets, current);
  const onBrush = ({ startIndex: s, endIndex: e }: { startIndex?: number; endIndex?: number }) => {
    if (s === undefined || e === undefined) return;
    if (brushTimer.current) clearTimeout(brushTimer.current);
    brushTimer.current = setTimeout(() => {
      const whole = s <= 0 && e >= view.buckets.length - 1;
      const w = whole ? null : windowOfBuckets(view.buckets, s, e);
      go({ ...current, from: w?.from ?? null, to: w?.to ?? null });
    }, 400);
  };

  const onSubmit = (ev: React.FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    const at = (k: string) => {
      const v = String(form.get(k) ?? '');
      const t = v ? Date.parse(/Z$|[+-]\d{2}:\d{2}$/.test(v) ? v : `${v}Z`) : NaN;
      return Number.isFinite(t) ? new Date(t) : null;
    };
    go({ ...current, from: at('from'), to: at('to') });
  };

  const windowed = Boolean(view.query.from || view.query.to);
  const keep = [...search.entries()].filter(([k]) => !OWN_KEYS.includes(k));
  return (
    <div className="workload-timeline" data-testid="workload-timeline" aria-busy={pending}>
      <form className="filters" method="get" action={`${pathname}#timeline`} onSubmit={onSubmit} data-testid="timeline-form">
        {keep.map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <fieldset
          className="timeline-types"
          style={{ border: 'none', padding: 0, margin: 0, display: 'flex', flexWrap: 'wrap', gap: 8 }}
        >
          <legend className="small muted">Show</legend>
          {TIMELINE_CATEGORIES.map((c) => (
            <label key={c} className="check" data-testid={`timeline-type-${c}`}>
              <input
                type="checkbox"
                name="types"
                value={c}
                checked={shown.has(c)}
                onChange={(e) => toggle(c, e.currentTarget.checked)}
              />{' '}
              <Swatch c={c} />
              {CATEGORY_LABELS[c]} ({view.counts[c].toLocaleString('en')})
            </label>
          ))}
        </fieldset>
        <label className="check">
          From (UTC){' '}
          <input type="datetime-local" name="from" defaultValue={localValue(view.query.from)} key={`from-${view.query.from}`} />
        </label>
        <label className="check">
          To (UTC) <input type="datetime-local" name="to" defaultValue={localValue(view.query.to)} key={`to-${view.query.to}`} />
        </label>
        <button type="submit">Apply</button>
        {windowed && (
          <button type="button" className="link-button" onClick={() => go({ ...current, from: null, to: null })}>
            Whole history
          </button>
        )}
      </form>

      {pending && (
        <p className="muted small" role="status" data-testid="timeline-loading">
          Loading…
        </p>
      )}

      {data.length === 0 ? (
        <p className="empty-state" data-testid="timeline-empty">
          Nothing recorded about this workload yet.
        </p>
      ) : (
        <figure
          className="chart"
          data-testid="timeline-chart"
          aria-label={`Events per ${view.unit}, by category; drag the ends of the brush under the chart to zoom the list`}
        >
          <ResponsiveContainer width="100%" height={200}>
            <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
              <XAxis dataKey="label" tick={{ fontSize: 11 }} minTickGap={30} />
              <YAxis allowDecimals={false} width={44} tick={{ fontSize: 11 }} />
              <Tooltip />
              {TIMELINE_CATEGORIES.filter((c) => shown.has(c)).map((c) => (
                <Bar key={c} dataKey={c} name={CATEGORY_LABELS[c]} stackId="a" fill={COLOURS[c]} isAnimationActive={false} />
              ))}
              {data.length > 1 && (
                <Brush
                  key={`${startIndex}-${endIndex}-${data.length}`}
                  dataKey="label"
                  height={24}
                  stroke="var(--accent)"
                  startIndex={startIndex}
                  endIndex={endIndex}
                  onChange={onBrush}
                />
              )}
            </BarChart>
          </ResponsiveContainer>
          <figcaption className="small muted">
            Events per {view.unit} (UTC).{' '}
            {windowed
              ? `Window: ${view.query.from ? utcTime(new Date(view.query.from)) : 'the start'} to ${view.query.to ? utcTime(new Date(view.query.to)) : 'now'}.`
              : 'Whole history.'}
            {view.countsCapped && ' The chart counts the latest 2,000 events of each source.'}
          </figcaption>
        </figure>
      )}

      {view.truncated && (
        <p className="muted small" data-testid="timeline-truncated">
          Showing the latest {view.limit.toLocaleString('en')} events of this window: zoom in (or choose fewer types) to see
          earlier ones.
        </p>
      )}
      {data.length > 0 && view.events.length === 0 ? (
        <p className="muted" data-testid="timeline-none">
          No event of the selected types in this window.
        </p>
      ) : (
        <ul className="timeline-list" data-testid="workload-timeline-list" style={{ opacity: pending ? 0.6 : 1 }}>
          {view.events.map((e) => (
            <li key={e.id} data-kind={e.kind} data-category={e.category}>
              <time dateTime={e.at}>{utcTime(new Date(e.at))}</time> —{' '}
              <span className="pill pill-muted">
                <Swatch c={e.category} />
                {CATEGORY_LABELS[e.category]}
              </span>{' '}
              {e.kind === 'admission.denied' && <span className="pill pill-down">denied</span>}
              {e.kind === 'admission.warned' && <span className="pill pill-degraded">warned</span>}{' '}
              {e.href ? <a href={e.href}>{e.summary}</a> : e.summary}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

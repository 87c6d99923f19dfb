'use client';

import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

/**
 * The overview's charts (recharts). Each is a figure with a title; the chart itself is an image with a one-line
 * summary for screen readers, and the same numbers follow as a table (in a disclosure) for everyone.
 */

export interface BarDatum {
  label: string;
  value: number;
}

function DataTable({ head, rows }: { head: string[]; rows: (string | number)[][] }) {
  return (
    <details className="small">
      <summary>Show as a table</summary>
      <table className="data compact">
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={String(r[0])}>
              {r.map((c, i) => (
                <td key={i}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** Horizontal bars: a count per label, largest first as given. */
export function OverviewBars({
  title,
  bars,
  unit,
  testId,
  color = 'var(--chart-1)',
}: {
  title: string;
  bars: BarDatum[];
  /** What the values count, e.g. "identities". */
  unit: string;
  testId: string;
  color?: string;
}) {
  if (!bars.length) return <p className="muted">{title}: nothing to show.</p>;
  const summary = `${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')} ${unit}`;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption className="small muted">{title}</figcaption>
      <div role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height={Math.max(80, bars.length * 26 + 24)}>
          <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 24, bottom: 0, left: 8 }}>
            <CartesianGrid horizontal={false} stroke="var(--chart-grid)" />
            <XAxis type="number" allowDecimals={false} tick={{ fontSize: 11 }} />
            <YAxis type="category" dataKey="label" width={150} tick={{ fontSize: 11 }} interval={0} />
            <Tooltip formatter={(v) => [String(v), unit]} />
            <Bar dataKey="value" name={unit} fill={color} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <DataTable head={[title, unit]} rows={bars.map((b) => [b.label, b.value])} />
    </figure>
  );
}

export interface TrendRow {
  day: string;
  identities: number;
  riskMean: number | null;
  riskHigh: number | null;
  coverage: number | null;
  anomalies: number;
}

const SERIES = [
  { key: 'identities', title: 'Live identities', unit: '', color: 'var(--chart-1)', domain: undefined },
  { key: 'riskMean', title: 'Mean identity risk score (0–100)', unit: '', color: 'var(--chart-2)', domain: [0, 100] },
  { key: 'coverage', title: 'Short-lived credential coverage', unit: '%', color: 'var(--chart-4)', domain: [0, 100] },
  { key: 'anomalies', title: 'Anomalies raised', unit: '', color: 'var(--chart-3)', domain: undefined },
] as const;

const fmt = (v: number | null, unit = '') => (v === null ? '—' : `${v}${unit}`);

/** The daily trends, one small chart per measure, and one table with every day. */
export function OverviewTrends({ points }: { points: TrendRow[] }) {
  const first = points[0]?.day;
  const last = points.at(-1)?.day;
  return (
    <div data-testid="overview-trends">
      <div className="grid-3">
        {SERIES.map((s) => {
          const values = points.map((p) => p[s.key]).filter((v): v is number => v !== null);
          const latest = values.at(-1);
          const summary = values.length
            ? `${s.title} from ${first} to ${last}: from ${values[0]}${s.unit} to ${latest}${s.unit}, lowest ${Math.min(...values)}${s.unit}, highest ${Math.max(...values)}${s.unit}`
            : `${s.title}: no data from ${first} to ${last}`;
          return (
            <figure key={s.key} className="chart" data-testid={`trend-${s.key}`}>
              <figcaption className="small muted">
                {s.title}
                {latest !== undefined && (
                  <>
                    {' '}
                    (today <strong>{fmt(latest, s.unit)}</strong>)
                  </>
                )}
              </figcaption>
              {values.length ? (
                <div role="img" aria-label={summary}>
                  <ResponsiveContainer width="100%" height={120}>
                    <LineChart data={points} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
                      <CartesianGrid vertical={false} stroke="var(--chart-grid)" />
                      <XAxis dataKey="day" tick={{ fontSize: 10 }} minTickGap={40} />
                      <YAxis
                        domain={s.domain ? [...s.domain] : [0, 'auto']}
                        unit={s.unit}
                        width={40}
                        allowDecimals={false}
                        tick={{ fontSize: 10 }}
                      />
                      <Tooltip formatter={(v) => [`${String(v)}${s.unit}`, s.title]} />
                      <Line
                        type="monotone"
                        dataKey={s.key}
                        stroke={s.color}
                        strokeWidth={2}
                        dot={false}
                        connectNulls
                        isAnimationActive={false}
                      />
                    </LineChart>
                  </ResponsiveContainer>
                </div>
              ) : (
                <p className="muted small">No data in these days.</p>
              )}
            </figure>
          );
        })}
      </div>
      <DataTable
        head={['Day', 'Live identities', 'Mean risk', 'Identities at risk ≥ 70', 'Short-lived coverage', 'Anomalies raised']}
        rows={[...points]
          .reverse()
          .map((p) => [p.day, p.identities, fmt(p.riskMean), fmt(p.riskHigh), fmt(p.coverage, '%'), p.anomalies])}
      />
    </div>
  );
}

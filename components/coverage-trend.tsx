'use client';

import { Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface CoveragePoint {
  at: string;
  shortLived: number;
  longLived: number;
}

/** The share of workloads with an API credential that get a short-lived one, over collections. */
export function CoverageTrend({ points }: { points: CoveragePoint[] }) {
  const data = points
    .filter((p) => p.shortLived + p.longLived > 0)
    .map((p) => ({
      at: p.at.slice(0, 16).replace('T', ' '),
      share: Math.round((100 * p.shortLived) / (p.shortLived + p.longLived)),
    }));
  if (data.length < 2) return <p className="muted">The trend appears after the second collection.</p>;
  return (
    <div className="chart" data-testid="coverage-trend" aria-label="Short-lived coverage over time">
      <ResponsiveContainer width="100%" height={160}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <XAxis dataKey="at" tick={{ fontSize: 11 }} minTickGap={40} />
          <YAxis domain={[0, 100]} unit="%" width={44} tick={{ fontSize: 11 }} />
          <Tooltip formatter={(v) => [`${String(v)}%`, 'short-lived']} />
          <Line type="monotone" dataKey="share" stroke="var(--chart-1)" strokeWidth={2} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

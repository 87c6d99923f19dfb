'use client';

import { Bar, BarChart, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ActivityBucket } from '@/lib/data/activity';

/** Calls per hour or day, the denied ones and Falco alerts stacked apart, so a burst of 403s stands out. */
export function ActivityChart({ buckets, bucket }: { buckets: ActivityBucket[]; bucket: 'hour' | 'day' }) {
  if (buckets.length === 0) return null;
  const data = buckets.map((b) => ({
    at: bucket === 'hour' ? b.at.slice(5, 13).replace('T', ' ') + 'h' : b.at.slice(0, 10),
    allowed: b.calls - b.denied,
    denied: b.denied,
    alerts: b.alerts,
  }));
  return (
    <div className="chart" data-testid="activity-chart" aria-label={`Calls per ${bucket}`}>
      <ResponsiveContainer width="100%" height={160}>
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <XAxis dataKey="at" tick={{ fontSize: 11 }} minTickGap={30} />
          <YAxis allowDecimals={false} width={44} tick={{ fontSize: 11 }} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="allowed" name="calls allowed" stackId="a" fill="var(--chart-1)" isAnimationActive={false} />
          <Bar dataKey="denied" name="calls denied" stackId="a" fill="var(--chart-2)" isAnimationActive={false} />
          <Bar dataKey="alerts" name="Falco alerts" stackId="a" fill="var(--chart-3)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

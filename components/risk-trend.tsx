'use client';

import { Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

/** Daily scores (0–100) of one subject, or the mean and max of many (roll-ups). */
export function RiskTrend({
  points,
  label = 'Risk score over time',
}: {
  points: { day: string; score?: number; mean?: number; max?: number }[];
  label?: string;
}) {
  if (points.length < 2) return <p className="muted">The trend appears after scores of a second day.</p>;
  const many = points.some((p) => p.mean !== undefined);
  return (
    <div className="chart" data-testid="risk-trend" aria-label={label}>
      <ResponsiveContainer width="100%" height={140}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <XAxis dataKey="day" tick={{ fontSize: 11 }} minTickGap={40} />
          <YAxis domain={[0, 100]} width={36} tick={{ fontSize: 11 }} />
          <Tooltip />
          {many ? (
            <>
              <Line
                type="monotone"
                dataKey="max"
                name="max"
                stroke="var(--chart-2)"
                strokeWidth={2}
                dot={false}
                isAnimationActive={false}
              />
              <Line
                type="monotone"
                dataKey="mean"
                name="mean"
                stroke="var(--chart-1)"
                strokeWidth={2}
                dot={false}
                isAnimationActive={false}
              />
            </>
          ) : (
            <Line
              type="stepAfter"
              dataKey="score"
              name="score"
              stroke="var(--chart-1)"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          )}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

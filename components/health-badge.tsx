'use client';

import { useQuery } from '@tanstack/react-query';
import type { HealthReport } from '@/lib/health';

async function fetchHealth(): Promise<HealthReport> {
  const res = await fetch('/api/health', { cache: 'no-store' });
  return (await res.json()) as HealthReport;
}

const labels: Record<HealthReport['status'], string> = {
  ok: 'Database OK',
  degraded: 'Migrations pending',
  down: 'Database unreachable',
};

/** A small status pill in the header, refreshed every 30 s. */
export function HealthBadge() {
  const { data, isError } = useQuery({ queryKey: ['health'], queryFn: fetchHealth, refetchInterval: 30_000 });
  const status = isError ? 'down' : data?.status;
  if (!status) return <span className="pill pill-muted health-badge">Checking…</span>;
  const title =
    data?.database.error ?? (data?.migrations?.pending.length ? `Pending: ${data.migrations.pending.join(', ')}` : undefined);
  return (
    <span className={`pill pill-${status} health-badge`} role="status" title={title} data-testid="health-badge">
      {labels[status]}
    </span>
  );
}

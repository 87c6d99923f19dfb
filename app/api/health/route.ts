import { NextResponse } from 'next/server';
import { checkHealth } from '@/lib/health';

export const dynamic = 'force-dynamic';

/**
 * Liveness and readiness for probes and operators. Public on purpose (probes carry no session); it
 * reveals only the version and whether the database and its migrations are in order, never the URL.
 */
export async function GET() {
  const report = await checkHealth(process.env.DATABASE_URL);
  return NextResponse.json(report, {
    status: report.status === 'down' ? 503 : 200,
    headers: { 'cache-control': 'no-store' },
  });
}

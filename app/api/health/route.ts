import { checkHealth } from '@/lib/health';
import { json, route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * Liveness and readiness for probes and operators. Public on purpose (probes carry no session); it
 * reveals only the version and whether the database and its migrations are in order, never the URL.
 */
export const GET = route({ access: 'public' }, async () => {
  const report = await checkHealth(process.env.DATABASE_URL);
  return json(report, report.status === 'down' ? 503 : 200);
});

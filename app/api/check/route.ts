import { checkRequestSchema, checkResponse, MAX_CHECK_BODY, runCheck, sarifResponse } from '@/lib/check/request';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * `{ manifests, cluster?, failOn?, format? }`: `nhi check` on pasted manifests (lib/check/request.ts), under the
 * server's policy. JSON: the report (`--format json`'s shape) and `passed`; `format: sarif`: the SARIF 2.1.0 log as a
 * download, with `x-nhi-check: passed|failed`. Manifests that cannot be parsed are a 400 naming the line.
 */
export const POST = route({ access: 'owned.read', body: checkRequestSchema, maxBody: MAX_CHECK_BODY }, async ({ body }) => {
  const report = await runCheck(prisma(), body);
  if (body.format === 'json') return checkResponse(report);
  return new Response(JSON.stringify(sarifResponse(report), null, 2), {
    headers: {
      'content-type': 'application/sarif+json; charset=utf-8',
      'content-disposition': 'attachment; filename="nhi-check.sarif"',
      'cache-control': 'no-store',
      'x-nhi-check': report.failed ? 'failed' : 'passed',
    },
  });
});

import { z } from 'zod';
import { pgPool } from '@/lib/db/pool';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { exportManifest } from '@/lib/reports/export';

export const dynamic = 'force-dynamic';

/**
 * The SHA256SUMS of a finished export (its id is the X-Export-Id of the download), as the activity trail
 * recorded it: save it beside the file and run `sha256sum -c SHA256SUMS`.
 */
export const GET = route({ access: 'report.export' }, async ({ params }) => {
  const id = z
    .string()
    .regex(/^\d{1,15}$/)
    .safeParse(params.id);
  if (!id.success) throw notFound('no such export');
  const manifest = await exportManifest(pgPool(), id.data);
  if (!manifest) throw notFound('no finished export with this id (it may still be running)');
  return new Response(manifest, {
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': 'attachment; filename="SHA256SUMS"',
      'cache-control': 'no-store',
    },
  });
});

import { Readable } from 'node:stream';
import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import {
  encodeExport,
  exportFileName,
  exportBodySchema,
  parseDatasetFilter,
  recordExportEnd,
  recordExportStart,
} from '@/lib/reports/export';
import { CONTENT_TYPES } from '@/lib/reports/format';
import { trailContextOf, withTrailContext } from '@/lib/trail/write';
import { actorOf } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/**
 * `{ format: csv|json|pdf, what: inventory|findings|credentials|exceptions|trail|evidence, filter: {…}, by }`:
 * one file, streamed from the database as a download (Content-Disposition). The export is on the activity
 * trail before the first byte (refused if that entry cannot be written); when the last byte has gone, a second
 * entry records the file's SHA-256, which `GET /api/exports/<X-Export-Id>` gives back as a SHA256SUMS line.
 * Same-origin JSON only (route()), so another site cannot make a browser export.
 */
export const POST = route({ access: 'report.export', body: exportBodySchema }, async ({ body: request_, viewer, request }) => {
  const body = { ...request_, by: actorOf(viewer) };
  const ctx = trailContextOf(request);
  return withTrailContext(ctx, async () => {
    const pool = pgPool();
    const now = new Date();
    if (body.what !== 'evidence') parseDatasetFilter(body.what, body.filter);
    const file = exportFileName(body.what, body.format, now);
    const started = await recordExportStart(
      pool,
      body.by,
      { format: body.format, what: [body.what], filter: body.filter, destination: 'download' },
      now,
    );
    const enc = encodeExport(pool, body.what, body.format, body.filter, now);
    void enc.done
      .then(() =>
        withTrailContext(ctx, () =>
          recordExportEnd(pool, body.by, started, [
            { file, sha256: enc.hashing.sha256, bytes: enc.hashing.bytes, rows: enc.rows() },
          ]),
        ),
      )
      .catch((e: unknown) => console.error(`export ${started.exportId} did not complete`, e));
    return new Response(Readable.toWeb(enc.stream) as ReadableStream<Uint8Array>, {
      headers: {
        'content-type': CONTENT_TYPES[body.format],
        'content-disposition': `attachment; filename="${file}"`,
        'cache-control': 'no-store',
        'x-export-id': started.exportId,
      },
    });
  });
});

import { prisma } from '@/lib/db/client';
import { markFixed, markFixedSchema } from '@/lib/findings/queue';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * `{ note? }`: marks an open finding fixed; the next collection verifies it (no longer raised: verified fixed;
 * still raised: verification failed, open again). 404 outside the viewer's teams; 409 not open or already marked.
 */
export const POST = route({ access: 'owned.act', body: markFixedSchema }, ({ params, body, viewer }) =>
  markFixed(prisma(), viewer, String(params.id), body),
);

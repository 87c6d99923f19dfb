import { prisma } from '@/lib/db/client';
import { assignFinding, assignSchema } from '@/lib/findings/queue';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * `{ user?: EMAIL, team?: NAME }`: assigns the finding to a member of one of its owning teams, or to the team.
 * 404 outside the viewer's teams; 403 a service owner naming another team; 409 a resolved finding.
 */
export const POST = route({ access: 'owned.act', body: assignSchema }, ({ params, body, viewer }) =>
  assignFinding(prisma(), viewer, String(params.id), body),
);

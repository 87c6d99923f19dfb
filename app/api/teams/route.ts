import { teamScope } from '@/lib/auth/principal';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { listTeams } from '@/lib/ownership/teams';

export const dynamic = 'force-dynamic';

/** Teams with what they own (claimed or inferred), its risk, open findings, active anomalies and pending claims (service owners: their own teams). */
export const GET = route({ access: 'owned.read' }, ({ viewer }) => listTeams(prisma(), teamScope(viewer)));

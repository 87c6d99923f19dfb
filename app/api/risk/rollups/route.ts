import { z } from 'zod';
import { riskRollups } from '@/lib/data/risk';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

const query = z.object({ cluster: z.string().max(253).optional(), days: z.coerce.number().int().min(1).max(365).default(90) });

/** Identity scores per cluster, namespace and team, and their daily trend. */
export const GET = route({ access: 'owned.read', query }, ({ query, viewer }) => riskRollups(prisma(), query, teamScope(viewer)));

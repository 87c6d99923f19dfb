import { z } from 'zod';
import { credentialCoverage } from '@/lib/data/credentials';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Short-lived credential coverage per cluster, namespace and team, with the cluster-wide trend. */
export const GET = route({ access: 'cluster.read', query: z.object({ cluster: z.string().max(253).optional() }) }, ({ query }) =>
  credentialCoverage(prisma(), query.cluster),
);

import { listClusters } from '@/lib/data/clusters';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Every cluster's inventory size and sync status; the overview polls it to stay current. */
export const GET = route({ access: 'owned.read' }, () => listClusters(prisma()));

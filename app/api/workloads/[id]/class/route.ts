import { classChangeSchema, setWorkloadClass } from '@/lib/data/workloads';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { actorOf, teamScope } from '@/lib/auth/principal';
import { assertWorkloadInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** `{ class, reason?, by }`: an owner's choice of the workload's class (`auto`: decided from its facts again). */
export const POST = route(
  { access: 'owned.act', body: classChangeSchema.omit({ by: true }) },
  async ({ params, body, viewer }) => {
    await assertWorkloadInScope(prisma(), teamScope(viewer), String(params.id));
    await setWorkloadClass(prisma(), String(params.id), { ...body, by: actorOf(viewer) });
    return { class: body.class };
  },
);

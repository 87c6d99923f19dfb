import { classChangeSchema, setWorkloadClass } from '@/lib/data/workloads';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** `{ class, reason?, by }`: an owner's choice of the workload's class (`auto`: decided from its facts again). */
export const POST = route({ body: classChangeSchema }, async ({ params, body }) => {
  await setWorkloadClass(prisma(), String(params.id), body);
  return { class: body.class };
});

import { admissionRequest } from '@/lib/admission/http';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * The admission webhook (a ValidatingWebhookConfiguration from `nhi admission config`): the API server posts an
 * admission.k8s.io/v1 AdmissionReview and gets it back with the decision (lib/admission). Authenticated by the
 * cluster's ingest token (the API server's --admission-control-config-file kubeconfig), never by a user session; the
 * token must be the URL's cluster's. Served over TLS by whatever is in front of the app (the API server calls
 * webhooks over https only).
 */
export const POST = route({ access: 'ingest' }, ({ request, params }) =>
  admissionRequest(pgPool(), prisma(), request, String(params.cluster ?? '')),
);

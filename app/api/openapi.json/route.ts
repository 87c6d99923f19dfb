import { API_ROUTES } from '@/lib/http/api-index';
import { openApiDocument } from '@/lib/http/openapi';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

let cached: Promise<Record<string, unknown>> | undefined;

/** The OpenAPI 3.1 description of this JSON API, built from the routes' own declarations. */
export const GET = route({ access: 'public' }, async () => (cached ??= openApiDocument(API_ROUTES)));

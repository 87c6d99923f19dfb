/**
 * The OpenAPI 3.1 document of the JSON API (GET /api/openapi.json), built from the routes themselves: each
 * route module's handlers carry the access and the zod schemas they declared to route() (lib/http/route.ts),
 * and lib/http/api-index.ts lists the modules with the doc comment of each method. So the document cannot
 * drift from what the server checks: a query parameter or a body field exists in it because the route parses it.
 */
import { z } from 'zod';
import type { Access } from '@/lib/auth/roles';
import { version } from '@/lib/version';
import type { RouteHandler } from './route';

export interface ApiRouteEntry {
  path: string;
  file: string;
  summaries: Record<string, string>;
  load: () => Promise<Record<string, unknown>>;
}

type JsonSchema = Record<string, unknown>;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const isHandler = (v: unknown): v is RouteHandler => typeof v === 'function' && typeof (v as RouteHandler).access === 'string';

/** A zod schema as JSON Schema of what a client sends (coercions and defaults as the input side sees them). */
export function inputSchema(schema: z.ZodType): JsonSchema {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete s.$schema;
  return s;
}

function securityOf(access: Access): Record<string, string[]>[] {
  if (access === 'public') return [];
  if (access === 'ingest') return [{ ingestToken: [] }];
  return [{ session: [] }, { apiToken: [] }];
}

function accessText(access: Access): string {
  if (access === 'public') return 'Anyone.';
  if (access === 'ingest') return "The cluster's ingest token only (`Authorization: Bearer …`).";
  if (access === 'signed-in') return 'Any signed-in user or API token.';
  return `Needs the \`${access}\` permission (lib/auth/roles.ts); service owners see their teams' subjects only.`;
}

const errorRef = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\//, '')
    .split(/[/{}\-.]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function parametersOf(path: string, query: z.ZodType | undefined): JsonSchema[] {
  const params: JsonSchema[] = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (!query) return params;
  const schema = inputSchema(query);
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [name, s] of Object.entries(props))
    params.push({
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof s.description === 'string' ? { description: s.description } : {}),
      schema: s,
    });
  return params;
}

/** The document, from the route entries (lib/http/api-index.ts in the app; a list of its own in tests). */
export async function openApiDocument(entries: ApiRouteEntry[]): Promise<JsonSchema> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const entry of entries) {
    const mod = await entry.load();
    for (const method of METHODS) {
      const handler = mod[method];
      if (!isHandler(handler)) continue;
      const summary = entry.summaries[method] ?? '';
      const tag = entry.path.split('/')[2] ?? 'api';
      const op: Record<string, unknown> = {
        operationId: operationId(method, entry.path),
        tags: [tag],
        summary: summary.length > 120 ? `${summary.slice(0, summary.lastIndexOf(' ', 117))}…` : summary,
        description: `${summary}\n\n${accessText(handler.access)}`,
        'x-nhi-access': handler.access,
        security: securityOf(handler.access),
        parameters: parametersOf(entry.path, handler.query),
        responses: {
          '200': { description: 'The answer, as JSON (or a file where the summary says so).' },
          '400': errorRef('Invalid input: the message names the field.'),
          ...(handler.access === 'public'
            ? {}
            : { '401': errorRef('Not signed in, or the token is unknown, expired or revoked.') }),
          ...(handler.access === 'public' || handler.access === 'ingest'
            ? {}
            : { '403': errorRef('Signed in, but the role, the token scope or the CSRF token does not allow it.') }),
          ...(entry.path.includes('{') ? { '404': errorRef('No such subject, or not one of your teams’.') } : {}),
          '500': errorRef('Internal error: the reference finds the detail in the server log.'),
        },
      };
      if (handler.body)
        op.requestBody = { required: true, content: { 'application/json': { schema: inputSchema(handler.body) } } };
      (paths[entry.path] ??= {})[method.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'NHI Dashboard API',
      version,
      description:
        'The JSON API of the NHI Dashboard: the inventory of non-human identities, their RBAC reach, credentials, ' +
        'findings, anomalies, risk, ownership and the activity trail. Browsers use the session cookie and send ' +
        '`X-CSRF-Token` on state-changing requests; scripts use a personal API token (`nhi tokens create`) as a bearer ' +
        "token; collectors and webhooks use their cluster's ingest token.",
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'nhi_session', description: '`__Host-nhi_session` over TLS.' },
        apiToken: { type: 'http', scheme: 'bearer', description: 'A personal API token, `nhi_pat_…` (read or write scope).' },
        ingestToken: { type: 'http', scheme: 'bearer', description: "A cluster's ingest token (`nhi tokens create`)." },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'code'],
          properties: {
            error: { type: 'string', description: 'What went wrong, safe to show.' },
            code: { type: 'string' },
            reference: { type: 'string', description: 'For 500s: quote it to the operator.' },
          },
        },
      },
    },
    paths,
  };
}

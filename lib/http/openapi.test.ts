import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot } from '@/lib/paths';
import { API_ROUTES } from './api-index';
import { INDEX_FILE, renderIndex, routeSources, summariesOf } from './api-index-gen';
import { inputSchema, openApiDocument } from './openapi';
import { route } from './route';

describe('the route index', () => {
  it('is up to date with app/api (run `npm run api:index` when this fails)', () => {
    expect(readFileSync(path.join(repoRoot, INDEX_FILE), 'utf8')).toBe(renderIndex(repoRoot));
  });

  it("takes each method's summary from the first paragraph of its doc comment", () => {
    const source = [
      "/** Lists things,\n * worst first.\n *\n * More detail. */\nexport const GET = route({ access: 'public' }, f);",
      'export const POST = route({ access: "signed-in" }, g);',
    ].join('\n');
    expect(summariesOf(source)).toEqual({ GET: 'Lists things, worst first.', POST: '' });
  });
});

describe('the OpenAPI document', () => {
  it('describes every route and method with its access, parameters and body, as valid JSON Schemas', async () => {
    const doc = (await openApiDocument(API_ROUTES)) as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const expected = routeSources(repoRoot).flatMap((r) => Object.keys(r.summaries).map((m) => `${m} ${r.path}`));
    const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(described.sort()).toEqual(expected.sort());

    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const ids = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths))
      for (const [m, op] of Object.entries(ops)) {
        expect(op.summary, `${m} ${p} needs a doc comment`).not.toBe('');
        expect(typeof op['x-nhi-access'], `${m} ${p}`).toBe('string');
        expect(ids.has(op.operationId as string), `operationId ${String(op.operationId)}`).toBe(false);
        ids.add(op.operationId as string);
        for (const param of op.parameters as { schema: object }[]) ajv.compile(param.schema);
        const body = op.requestBody as { content: { 'application/json': { schema: object } } } | undefined;
        if (body) ajv.compile(body.content['application/json'].schema);
      }
    const findings = doc.paths['/api/findings']!.get!;
    expect((findings.parameters as { name: string }[]).map((x) => x.name)).toContain('severity');
    expect(doc.paths['/api/claims']!.post!.requestBody).toBeDefined();
    expect(doc.paths['/api/findings/{id}']!.get!.parameters).toContainEqual(
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    );
    expect(doc.paths['/api/health']!.get!.security).toEqual([]);
    expect(doc.paths['/api/ingest/audit']!.post!.security).toEqual([{ ingestToken: [] }]);
  });

  it('builds parameters from what the route parses, defaults and coercions as a client sends them', async () => {
    const handler = route(
      {
        access: 'owned.read',
        query: z.object({ page: z.coerce.number().int().min(1).default(1), q: z.string().max(5).optional() }),
      },
      async () => ({}),
    );
    const doc = (await openApiDocument([
      { path: '/api/x/{id}', file: 'x', summaries: { GET: 'X.' }, load: async () => ({ GET: handler }) },
    ])) as {
      paths: Record<
        string,
        {
          get: {
            parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
            security: unknown;
          };
        }
      >;
    };
    const op = doc.paths['/api/x/{id}']!.get;
    expect(op.parameters.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual([
      'path:id:true',
      'query:page:false',
      'query:q:false',
    ]);
    expect(op.parameters[2]!.schema).toMatchObject({ type: 'string', maxLength: 5 });
    expect(op.security).toEqual([{ session: [] }, { apiToken: [] }]);
    expect(inputSchema(z.object({ a: z.string() }))).not.toHaveProperty('$schema');
  });
});

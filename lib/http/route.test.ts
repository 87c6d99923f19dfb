import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AppError, invalidInput, notFound, unavailable } from '@/lib/errors';
import { errorResponse, route } from './route';

const get = (url: string) => new Request(`http://localhost${url}`);

describe('route()', () => {
  it('answers the handler value as JSON that is never cached', async () => {
    const res = await route({ access: 'public' }, async () => ({ ok: 1 }))(get('/api/x'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ ok: 1 });
  });

  it('parses the query string with the route schema and refuses a bad one with 400 naming the field', async () => {
    const handler = route(
      { access: 'public', query: z.object({ page: z.coerce.number().int().min(1).default(1) }) },
      async ({ query }) => query,
    );
    expect(await (await handler(get('/api/x?page=3&page=9'))).json()).toEqual({ page: 3 });
    expect(await (await handler(get('/api/x'))).json()).toEqual({ page: 1 });
    const bad = await handler(get('/api/x?page=0'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_INPUT', error: expect.stringContaining('"page"') });
  });

  it('passes the route parameters through', async () => {
    const res = await route({ access: 'public' }, async ({ params }) => params)(get('/api/x/1'), {
      params: Promise.resolve({ id: '1' }),
    });
    expect(await res.json()).toEqual({ id: '1' });
  });

  it('maps each kind of AppError to its status, with its message and code', async () => {
    for (const [error, status] of [
      [invalidInput('bad'), 400],
      [notFound('gone'), 404],
      [new AppError('forbidden', 'no'), 403],
      [unavailable('db down', { code: 'DB_UNREACHABLE' }), 503],
    ] as const) {
      const res = await route({ access: 'public' }, async () => {
        throw error;
      })(get('/api/x'));
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error: error.message, code: error.code });
    }
  });

  it('answers anything else with a generic 500 and a reference, keeping the detail out of the response', async () => {
    const log = vi.fn();
    const res = errorResponse(new Error('connect ECONNREFUSED 10.0.0.5:5432 user=admin'), log);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; code: string; reference: string };
    expect(body.code).toBe('INTERNAL');
    expect(JSON.stringify(body)).not.toContain('10.0.0.5');
    expect(log).toHaveBeenCalledWith(`route error ${body.reference}`, expect.any(Error));
    // Internal AppErrors (e.g. malformed stored data) are not shown either; rejections that are not Errors are handled.
    expect((await errorResponse(new AppError('internal', 'row 7 of X'), log).json()) as object).not.toHaveProperty(
      'error',
      'row 7 of X',
    );
    expect(errorResponse('a string', log).status).toBe(500);
  });

  it('parses a JSON body with the route schema, only from the same origin, naming a bad field', async () => {
    const handler = route({ access: 'public', body: z.object({ by: z.string().min(1) }) }, async ({ body }) => body);
    const post = (headers: Record<string, string>, body: string) =>
      handler(new Request('http://localhost/api/x', { method: 'POST', headers: { host: 'localhost', ...headers }, body }));
    const json = { 'content-type': 'application/json' };
    expect(await (await post({ ...json, origin: 'http://localhost' }, '{"by":"alice"}')).json()).toEqual({ by: 'alice' });
    expect((await post(json, '{"by":"alice"}')).status).toBe(200);
    // Another site's page, or a browser saying the request is cross-site, is refused before the body is read.
    const refused: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    for (const headers of refused) {
      const res = await post({ ...json, ...headers }, '{"by":"alice"}');
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'CROSS_SITE' });
    }
    expect((await post({ 'content-type': 'text/plain' }, '{"by":"alice"}')).status).toBe(400);
    expect(await (await post(json, '{"by":')).json()).toMatchObject({ error: 'the body is not JSON' });
    expect(await (await post(json, '{"by":""}')).json()).toMatchObject({ error: expect.stringContaining('"by"') });
    expect((await post(json, JSON.stringify({ by: 'x'.repeat(70_000) }))).status).toBe(400);
  });
});

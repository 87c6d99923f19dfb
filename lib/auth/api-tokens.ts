/**
 * API tokens for scripts: `Authorization: Bearer nhi_pat_…`, acting as their user (role and teams) with at
 * most their scope — `read` (GET only) or `write` — until they expire or are revoked. The token is printed
 * once, when made; only its SHA-256 and its first characters are kept.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { conflict, notFound } from '@/lib/errors';
import { DURATION_PATTERN, parseDuration } from '@/lib/behaviour/profiles';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';
import { parseFields } from '@/lib/validate';
import { API_TOKEN_PREFIX, newSecret, secretHash } from './secret-token';
import { emailSchema } from './users';

export const newTokenSchema = z.object({
  user: emailSchema,
  name: z.string().trim().min(1).max(100),
  scope: z.enum(['read', 'write']).default('read'),
  /** e.g. 90d (default), 12h; at most 365d. */
  expires: z.string().regex(DURATION_PATTERN, 'a duration such as 90d or 12h').default('90d'),
});
export type NewToken = z.input<typeof newTokenSchema>;

export interface ApiTokenRow {
  id: string;
  user: string;
  name: string;
  scope: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const MAX_MS = 365 * 86_400_000;

export async function createApiToken(
  db: PrismaClient,
  input: NewToken,
  actor: string,
  now = new Date(),
): Promise<{ token: string; row: ApiTokenRow }> {
  const t = parseFields(newTokenSchema, input);
  const ms = parseDuration(t.expires);
  if (ms > MAX_MS) throw conflict('an API token lives at most 365 days');
  const token = newSecret(API_TOKEN_PREFIX);
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email: t.user } });
    if (!user || user.disabledAt) throw notFound(`no enabled user ${t.user}`);
    if (await tx.apiToken.findUnique({ where: { userId_name: { userId: user.id, name: t.name } } }))
      throw conflict(`${t.user} has a token named "${t.name}" already`);
    const row = await tx.apiToken.create({
      data: {
        userId: user.id,
        name: t.name,
        scope: t.scope,
        tokenHash: secretHash(token),
        prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
        createdAt: now,
        expiresAt: new Date(now.getTime() + ms),
      },
    });
    await appendTrail(prismaExecutor(tx), {
      actor,
      action: 'api_token.create',
      target: `api_token:${row.id}`,
      after: { user: t.user, name: t.name, scope: t.scope, prefix: row.prefix, expiresAt: row.expiresAt?.toISOString() },
    });
    return { token, row: toRow({ ...row, user }) };
  });
}

function toRow(r: {
  id: string;
  name: string;
  scope: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: { email: string };
}): ApiTokenRow {
  return {
    id: r.id,
    user: r.user.email,
    name: r.name,
    scope: r.scope,
    prefix: r.prefix,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

export async function listApiTokens(db: PrismaClient, user?: string): Promise<ApiTokenRow[]> {
  const rows = await db.apiToken.findMany({
    where: user ? { user: { email: emailSchema.parse(user) } } : {},
    include: { user: { select: { email: true } } },
    orderBy: [{ createdAt: 'desc' }],
  });
  return rows.map(toRow);
}

/** Revokes a token by id (or its printed prefix); the trail records it. */
export async function revokeApiToken(
  db: PrismaClient,
  idOrPrefix: string,
  actor: string,
  now = new Date(),
): Promise<ApiTokenRow> {
  const key = z.string().trim().min(6).max(100).parse(idOrPrefix);
  return db.$transaction(async (tx) => {
    const matches = await tx.apiToken.findMany({
      where: z.uuid().safeParse(key).success ? { id: key } : { prefix: key },
      include: { user: { select: { email: true } } },
    });
    if (matches.length === 0) throw notFound(`no API token ${key}`);
    if (matches.length > 1) throw conflict(`${key} names ${matches.length} tokens: give the id`);
    const t = matches[0]!;
    if (t.revokedAt) throw conflict(`token ${t.prefix}… is revoked already`);
    const row = await tx.apiToken.update({
      where: { id: t.id },
      data: { revokedAt: now },
      include: { user: { select: { email: true } } },
    });
    await appendTrail(prismaExecutor(tx), {
      actor,
      action: 'api_token.revoke',
      target: `api_token:${t.id}`,
      before: { revokedAt: null },
      after: { user: t.user.email, name: t.name, revokedAt: now.toISOString() },
    });
    return toRow(row);
  });
}

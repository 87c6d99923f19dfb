/**
 * The app's users: added by an admin (`nhi users add`), listed, disabled (never deleted: their trail entries
 * name them). Disabling ends their sessions and API tokens at once. The first admin is made when the server
 * starts on a database without one: from NHI_ADMIN_EMAIL / NHI_ADMIN_PASSWORD, or with a random password
 * printed once.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { conflict, invalidInput, notFound } from '@/lib/errors';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';
import { parseFields } from '@/lib/validate';
import { hashPassword, passwordSchema } from './password';
import { ROLES, type Role } from './roles';

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email('give an e-mail address').max(254));

export const newUserSchema = z.object({
  email: emailSchema,
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  teams: z.array(z.string().trim().min(1).max(253)).max(50).default([]),
  password: passwordSchema.optional(),
  source: z.enum(['local', 'oidc', 'demo']).default('local'),
  oidcSubject: z.string().max(600).optional(),
});
export type NewUser = z.input<typeof newUserSchema>;

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  source: string;
  teams: string[];
  createdAt: string;
  lastSignInAt: string | null;
  disabledAt: string | null;
}

/** Adds a user (teams made when missing); the trail records it with `actor`. */
export async function addUser(db: PrismaClient, input: NewUser, actor: string): Promise<UserRow> {
  const u = parseFields(newUserSchema, input);
  if (u.role === 'service_owner' && u.teams.length === 0)
    throw invalidInput('a service owner needs at least one team (--team NAME): they see only what their teams own');
  const passwordHash = u.password ? await hashPassword(u.password) : null;
  return db.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email: u.email } })) throw conflict(`a user ${u.email} exists already`);
    const teamIds: string[] = [];
    for (const name of u.teams)
      teamIds.push((await tx.team.upsert({ where: { name }, create: { name }, update: {}, select: { id: true } })).id);
    const user = await tx.user.create({
      data: {
        email: u.email,
        name: u.name,
        role: u.role,
        passwordHash,
        source: u.source,
        oidcSubject: u.oidcSubject ?? null,
        teams: { create: teamIds.map((teamId) => ({ teamId })) },
      },
    });
    await appendTrail(prismaExecutor(tx), {
      actor,
      action: 'user.create',
      target: `user:${u.email}`,
      after: { email: u.email, name: u.name, role: u.role, teams: u.teams, source: u.source },
    });
    return toRow({ ...user, teams: u.teams.map((name) => ({ team: { name } })) });
  });
}

function toRow(u: {
  id: string;
  email: string;
  name: string;
  role: Role;
  source: string;
  createdAt: Date;
  lastSignInAt: Date | null;
  disabledAt: Date | null;
  teams: { team: { name: string } }[];
}): UserRow {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    source: u.source,
    teams: u.teams.map((t) => t.team.name).sort(),
    createdAt: u.createdAt.toISOString(),
    lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
    disabledAt: u.disabledAt?.toISOString() ?? null,
  };
}

export async function listUsers(db: PrismaClient): Promise<UserRow[]> {
  const users = await db.user.findMany({
    include: { teams: { include: { team: { select: { name: true } } } } },
    orderBy: { email: 'asc' },
  });
  return users.map(toRow);
}

/** Disables a user: sessions and API tokens end now; the trail records it. */
export async function disableUser(db: PrismaClient, email: string, actor: string, now = new Date()): Promise<UserRow> {
  const address = parseFields(emailSchema, email);
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email: address } });
    if (!user) throw notFound(`no user ${address}`);
    if (user.disabledAt) throw conflict(`${address} is disabled already`);
    const updated = await tx.user.update({
      where: { id: user.id },
      data: { disabledAt: now },
      include: { teams: { include: { team: { select: { name: true } } } } },
    });
    const sessions = await tx.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
    const tokens = await tx.apiToken.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
    await appendTrail(prismaExecutor(tx), {
      actor,
      action: 'user.disable',
      target: `user:${address}`,
      before: { disabledAt: null },
      after: { disabledAt: now.toISOString(), sessionsEnded: sessions.count, tokensRevoked: tokens.count },
    });
    return toRow(updated);
  });
}

/**
 * Makes the first admin when no enabled admin exists: NHI_ADMIN_EMAIL (default admin@localhost) with
 * NHI_ADMIN_PASSWORD, or a random password returned (to print once). Null when an admin exists.
 */
export async function ensureFirstAdmin(
  db: PrismaClient,
  env: Record<string, string | undefined> = process.env,
): Promise<{ email: string; password: string | null } | null> {
  if (await db.user.findFirst({ where: { role: 'admin', disabledAt: null, source: { not: 'demo' } }, select: { id: true } }))
    return null;
  const email = emailSchema.parse(env.NHI_ADMIN_EMAIL || 'admin@localhost');
  const given = env.NHI_ADMIN_PASSWORD;
  const password = given || randomBytes(18).toString('base64url');
  if (given) passwordSchema.parse(given);
  const existing = await db.user.findUnique({ where: { email } });
  if (existing) throw conflict(`${email} exists but is not an enabled admin: set NHI_ADMIN_EMAIL to another address`);
  await addUser(db, { email, name: 'Administrator', role: 'admin', password }, 'system');
  return { email, password: given ? null : password };
}

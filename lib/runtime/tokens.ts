/**
 * Ingest tokens: how a cluster's audit webhook (or a Falco forwarder) proves which cluster it speaks for.
 * 32 random bytes, shown once; only their SHA-256 is stored, so a leaked database holds no usable token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { AppError, conflict, notFound } from '@/lib/errors';
import { inTransaction } from '@/lib/db/transaction';
import { appendTrail, pgExecutor } from '@/lib/trail/write';

const PREFIX = 'nhi_ingest_';
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The activity trail's target for a cluster's token (never the token or its hash). */
async function tokenTarget(db: pg.ClientBase, clusterId: string, name: string): Promise<string> {
  const c = await db.query<{ name: string }>(`SELECT name FROM "Cluster" WHERE id = $1`, [clusterId]);
  return `ingest_token:${c.rows[0]?.name ?? clusterId}/${name}`;
}

/**
 * Makes a token for the cluster under `name` (unique per cluster); returns it, the only time it is seen.
 * `by`: who asked, for the activity trail (written in the same transaction).
 */
export async function createIngestToken(db: pg.Pool, clusterId: string, name: string, by = 'unknown'): Promise<string> {
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  try {
    await inTransaction(db, async (client) => {
      await client.query(
        `INSERT INTO "IngestToken" (id, "clusterId", name, "tokenHash") VALUES (gen_random_uuid(), $1, $2, $3)`,
        [clusterId, name, hashToken(token)],
      );
      await appendTrail(pgExecutor(client), {
        actor: by,
        action: 'ingest_token.create',
        target: await tokenTarget(client, clusterId, name),
        before: null,
        after: { state: 'live' },
      });
    });
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw conflict(`this cluster already has an ingest token named "${name}"`);
    throw e;
  }
  return token;
}

export async function revokeIngestToken(db: pg.Pool, clusterId: string, name: string, now: Date, by = 'unknown'): Promise<void> {
  await inTransaction(db, async (client) => {
    const res = await client.query<{ lastUsedAt: Date | null }>(
      `UPDATE "IngestToken" SET "revokedAt" = $3 WHERE "clusterId" = $1 AND name = $2 AND "revokedAt" IS NULL RETURNING "lastUsedAt"`,
      [clusterId, name, now],
    );
    if (!res.rowCount) throw notFound(`no live ingest token named "${name}" for this cluster`);
    await appendTrail(pgExecutor(client), {
      actor: by,
      action: 'ingest_token.revoke',
      target: await tokenTarget(client, clusterId, name),
      before: { state: 'live', lastUsedAt: res.rows[0]!.lastUsedAt?.toISOString() ?? null },
      after: { state: 'revoked' },
      at: now,
    });
  });
}

/**
 * The cluster an `Authorization: Bearer …` header speaks for, or an `unauthenticated` AppError (the same
 * message whether the header is missing, malformed, unknown or revoked: nothing to probe).
 */
export async function authenticateIngest(db: pg.Pool, authorization: string | null, now: Date): Promise<{ clusterId: string }> {
  const token = /^Bearer (\S{20,200})$/.exec(authorization ?? '')?.[1];
  const refused = new AppError('unauthenticated', 'a valid ingest token is required (Authorization: Bearer …)');
  if (!token?.startsWith(PREFIX)) throw refused;
  const res = await db.query<{ clusterId: string }>(
    `UPDATE "IngestToken" SET "lastUsedAt" = $2 WHERE "tokenHash" = $1 AND "revokedAt" IS NULL RETURNING "clusterId"`,
    [hashToken(token), now],
  );
  if (!res.rows[0]) throw refused;
  return res.rows[0];
}

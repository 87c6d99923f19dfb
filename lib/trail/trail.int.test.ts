/**
 * The activity trail on real PostgreSQL (a database of its own: these tests tamper with it): appends from pg
 * and Prisma transactions form one chain however many run at once; the table refuses UPDATE, DELETE and
 * TRUNCATE; every state change that exists today writes its entry in its own transaction, and does not happen
 * when the entry cannot be written (fail closed); `nhi trail verify` (the real command) reports an entry edited
 * with the trigger disabled, an entry deleted, the last entries deleted, and a rewritten tail against an anchor.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { runNhi } from '@/lib/cli/run-nhi';
import { fixedClock } from '@/lib/clock';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { createSuppression, revokeSuppression, setAnomalyStatus } from '@/lib/data/anomalies';
import { setWorkloadClass } from '@/lib/data/workloads';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { demoDataFile } from '@/lib/demo/load';
import { createException } from '@/lib/findings/exceptions';
import { createIngestToken, revokeIngestToken } from '@/lib/runtime/tokens';
import { listTrail, verifyTrail } from './read';
import { appendTrail, pgExecutor, prismaExecutor } from './write';
import { inTransaction } from '@/lib/db/transaction';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let clusterId: string;
const nhi = (...args: string[]) => runNhi(db.url, ...args);
const lastLine = (s: string) => s.trim().split('\n').at(-1);
const count = async () => Number((await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "ActivityLog"`)).rows[0]!.n);
const openFinding = async (rule: string, skip = 0) =>
  (
    await pool.query<{ id: string }>(
      `SELECT id FROM "Finding" WHERE "ruleId" = $1 AND status = 'open' ORDER BY id OFFSET $2 LIMIT 1`,
      [rule, skip],
    )
  ).rows[0]!.id;
/** Runs SQL with the append-only trigger off, as someone who owns the table could. */
async function tamper(sql: string, params: unknown[] = []) {
  await inTransaction(pool, async (c) => {
    await c.query(`ALTER TABLE "ActivityLog" DISABLE TRIGGER "ActivityLog_append_only"`);
    await c.query(sql, params);
    await c.query(`ALTER TABLE "ActivityLog" ENABLE TRIGGER "ActivityLog_append_only"`);
  });
}

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'trail');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  const out = await importDumps(pool, [demoDataFile], {
    clusterName: 'demo',
    source: 'demo',
    tlsCertificates: true,
    now: fixedClock(new Date()),
  });
  clusterId = out.clusterId;
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

describe('appending', () => {
  it('chains entries written from pg and Prisma transactions, many at once, with no gap and no fork', async () => {
    const first = await inTransaction(pool, (c) =>
      appendTrail(pgExecutor(c), {
        actor: 'alice',
        action: 'settings.change',
        target: 'settings:test',
        before: { a: 1 },
        after: { a: 2 },
      }),
    );
    expect(first).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
    const second = await prisma.$transaction((tx) =>
      appendTrail(prismaExecutor(tx), {
        actor: 'bob',
        action: 'settings.change',
        target: 'settings:test',
        after: { z: [1, 'x'], a: null },
      }),
    );
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2
          ? inTransaction(pool, (c) => appendTrail(pgExecutor(c), { actor: `p${i}`, action: 'settings.change', after: { i } }))
          : prisma.$transaction((tx) =>
              appendTrail(prismaExecutor(tx), { actor: `q${i}`, action: 'settings.change', after: { i } }),
            ),
      ),
    );
    const seqs = (
      await pool.query<{ seq: string }>(`SELECT seq::text AS seq FROM "ActivityLog" ORDER BY "ActivityLog".seq`)
    ).rows.map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect((await verifyTrail(pool)).line).toBe('trail: 32 entries, chain ok');
  });

  it('leaves no trace of an append whose transaction rolled back (no gap either)', async () => {
    const before = await count();
    await expect(
      inTransaction(pool, async (c) => {
        await appendTrail(pgExecutor(c), { actor: 'alice', action: 'settings.change', after: { rolled: 'back' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await count()).toBe(before);
    await inTransaction(pool, (c) =>
      appendTrail(pgExecutor(c), { actor: 'alice', action: 'settings.change', after: { kept: true } }),
    );
    expect((await verifyTrail(pool)).line).toBe(`trail: ${before + 1} entries, chain ok`);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in PostgreSQL; the head only moves forward', async () => {
    await expect(pool.query(`UPDATE "ActivityLog" SET actor = 'mallory' WHERE seq = 1`)).rejects.toThrow(
      /append-only: UPDATE on "ActivityLog"/,
    );
    await expect(pool.query(`DELETE FROM "ActivityLog" WHERE seq = 1`)).rejects.toThrow(/append-only: DELETE/);
    await expect(pool.query(`TRUNCATE "ActivityLog"`)).rejects.toThrow(/append-only: TRUNCATE/);
    await expect(pool.query(`UPDATE "ActivityTrailHead" SET seq = seq - 1`)).rejects.toThrow(/only moves forward/);
    await expect(pool.query(`DELETE FROM "ActivityTrailHead"`)).rejects.toThrow(/only moves forward/);
    await expect(pool.query(`INSERT INTO "ActivityTrailHead" (id, seq, hash, at) VALUES (2, 0, 'x', now())`)).rejects.toThrow(
      /one_row/,
    );
  });

  it('refuses an entry without an actor or with an unknown action', async () => {
    await expect(
      inTransaction(pool, (c) => appendTrail(pgExecutor(c), { actor: ' ', action: 'settings.change' })),
    ).rejects.toThrow();
    await expect(
      inTransaction(pool, (c) => appendTrail(pgExecutor(c), { actor: 'a', action: 'nothing.at_all' as 'settings.change' })),
    ).rejects.toThrow();
  });
});

describe('state changes on the trail, in their own transaction', () => {
  it('an exception added and revoked through the CLI writes its entries; when the entry cannot be written, no exception', async () => {
    const findingId = await openFinding('NHI-POS-005');
    const added = nhi(
      'exceptions',
      'add',
      findingId,
      '--reason',
      'pinned at the next release',
      '--by',
      'alice',
      '--approved-by',
      'bob',
      '--expires',
      '30d',
      '--json',
    );
    expect(added.stderr).toBe('');
    const e = JSON.parse(added.stdout) as { id: string };
    const entries = JSON.parse(nhi('trail', 'list', '--json', '--action', 'exception.create').stdout) as {
      items: { actor: string; target: string; before: unknown; after: Record<string, unknown> }[];
    };
    expect(entries.items).toHaveLength(1);
    expect(entries.items[0]).toMatchObject({
      // The approver grants the exception: the trail names them as the actor.
      actor: 'bob',
      target: `exception:${e.id}`,
      before: { finding: { id: findingId, status: 'open' } },
      after: { approvedBy: 'bob', requestedBy: 'alice', reason: 'pinned at the next release', finding: { status: 'excepted' } },
    });
    expect(nhi('exceptions', 'revoke', e.id, '--by', 'bob').status).toBe(0);
    expect(
      JSON.parse(nhi('trail', 'list', '--json', '--action', 'exception.revoke', '--actor', 'BOB').stdout).items[0],
    ).toMatchObject({
      target: `exception:${e.id}`,
      after: { state: 'revoked', revokedBy: 'bob' },
    });

    // Fail closed: the trail refuses this action's entries, so the exception is not made.
    const other = await openFinding('NHI-POS-005', 1);
    const entriesBefore = await count();
    await pool.query(`ALTER TABLE "ActivityLog" ADD CONSTRAINT "test_refuse" CHECK (action <> 'exception.create') NOT VALID`);
    try {
      const refused = nhi(
        'exceptions',
        'add',
        other,
        '--reason',
        'this must not be recorded',
        '--by',
        'carol',
        '--approved-by',
        'dan',
        '--expires',
        '7d',
      );
      expect(refused.status).toBe(1);
      await expect(
        createException(pool, {
          findingId: other,
          reason: 'this must not be recorded',
          requestedBy: 'carol',
          approvedBy: 'dan',
          expires: '7d',
        }),
      ).rejects.toThrow(/test_refuse/);
    } finally {
      await pool.query(`ALTER TABLE "ActivityLog" DROP CONSTRAINT "test_refuse"`);
    }
    expect((await pool.query(`SELECT status::text FROM "Finding" WHERE id = $1`, [other])).rows[0]).toEqual({ status: 'open' });
    expect((await pool.query(`SELECT 1 FROM "FindingException" WHERE "findingId" = $1`, [other])).rowCount).toBe(0);
    expect((await pool.query(`SELECT 1 FROM "TimelineEvent" WHERE details->>'findingId' = $1`, [other])).rowCount).toBe(0);
    expect(await count()).toBe(entriesBefore);
  });

  it('anomaly decisions, suppression rules, workload classes and ingest tokens write theirs (Prisma and pg paths)', async () => {
    const anomaly = await pool.query<{ id: string }>(
      `INSERT INTO "Anomaly" (id, "clusterId", "saNamespace", "saName", detector, fingerprint, severity, "owaspIds", summary, "eventKeys", "eventTimes",
                              "firstEventAt", "lastEventAt", "updatedAt")
       VALUES (gen_random_uuid(), $1, 'shop', 'api', 'secret-access', 'fp-trail', 'high', '{NHI5}', 'read a Secret', '{}', '{}', now(), now(), now()) RETURNING id`,
      [clusterId],
    );
    const anomalyId = anomaly.rows[0]!.id;
    await setAnomalyStatus(prisma, anomalyId, { status: 'acknowledged', by: 'erin', note: 'looking' });
    const rule = await createSuppression(prisma, { namespace: 'shop', reason: 'load test week', by: 'erin', days: 7 });
    await revokeSuppression(prisma, rule.id, 'frank');
    const workload = await pool.query<{ id: string; namespace: string; kind: string; name: string }>(
      `SELECT id, namespace, kind, name FROM "Workload" WHERE "deletedAt" IS NULL ORDER BY namespace, name LIMIT 1`,
    );
    const w = workload.rows[0]!;
    await setWorkloadClass(prisma, w.id, { class: 'ci-runner', by: 'gina', reason: 'runs builds' });
    await createIngestToken(pool, clusterId, 'trail-hook', 'hal');
    await revokeIngestToken(pool, clusterId, 'trail-hook', new Date(), 'hal');

    const page = await listTrail(pool, { page: 1, pageSize: 10 });
    expect(page.items.slice(0, 6).map((e) => [e.action, e.actor, e.target])).toEqual([
      ['ingest_token.revoke', 'hal', 'ingest_token:demo/trail-hook'],
      ['ingest_token.create', 'hal', 'ingest_token:demo/trail-hook'],
      ['workload.class', 'gina', `workload:demo/${w.namespace}/${w.kind}/${w.name}`],
      ['suppression.revoke', 'frank', `suppression:${rule.id}`],
      ['suppression.create', 'erin', `suppression:${rule.id}`],
      ['anomaly.status', 'erin', `anomaly:${anomalyId}`],
    ]);
    expect(page.items[5]).toMatchObject({ before: { status: 'open' }, after: { status: 'acknowledged', note: 'looking' } });
    expect(page.items[2]).toMatchObject({ before: { class: null }, after: { class: 'ci-runner', reason: 'runs builds' } });
    // No token and no token hash on the trail.
    const token = await pool.query<{ tokenHash: string }>(`SELECT "tokenHash" FROM "IngestToken" WHERE name = 'trail-hook'`);
    expect(JSON.stringify(page.items)).not.toContain(token.rows[0]!.tokenHash);

    // Fail closed on the Prisma path too: no entry, no class change.
    await pool.query(`ALTER TABLE "ActivityLog" ADD CONSTRAINT "test_refuse" CHECK (action <> 'workload.class') NOT VALID`);
    try {
      await expect(setWorkloadClass(prisma, w.id, { class: 'auto', by: 'gina' })).rejects.toThrow();
    } finally {
      await pool.query(`ALTER TABLE "ActivityLog" DROP CONSTRAINT "test_refuse"`);
    }
    expect((await pool.query(`SELECT "classOverride" FROM "Workload" WHERE id = $1`, [w.id])).rows[0]).toEqual({
      classOverride: 'ci-runner',
    });
    expect((await verifyTrail(pool)).broken).toBeNull();
  });
});

describe('nhi trail verify', () => {
  it('ends with "trail: <N> entries, chain ok" on an intact trail, and lists entries by filter', async () => {
    const n = await count();
    const r = nhi('trail', 'verify');
    expect(r.status).toBe(0);
    expect(lastLine(r.stdout)).toBe(`trail: ${n} entries, chain ok`);
    const list = nhi('trail', 'list', '--actor', 'bob', '--since', '1d');
    expect(list.stdout).toMatch(/\tbob\texception\.create\texception:/);
    expect(nhi('trail', 'list', '--action', 'nope').status).toBe(2);
  });

  it('names an entry edited directly in the database with the trigger disabled (exit 1), and holds again once undone', async () => {
    const original = (await pool.query<{ actor: string }>(`SELECT actor FROM "ActivityLog" WHERE seq = 3`)).rows[0]!.actor;
    await tamper(`UPDATE "ActivityLog" SET actor = 'mallory' WHERE seq = 3`);
    const r = nhi('trail', 'verify');
    expect(r.status).toBe(1);
    expect(lastLine(r.stdout)).toBe('trail: broken at entry 3: entry 3 was edited: its content does not give its hash');
    await tamper(`UPDATE "ActivityLog" SET actor = $1 WHERE seq = 3`, [original]);
    expect(nhi('trail', 'verify').status).toBe(0);

    // An edit of the JSON (jsonb) content is seen too.
    const after = (await pool.query<{ after: string }>(`SELECT after::text AS after FROM "ActivityLog" WHERE seq = 5`)).rows[0]!
      .after;
    await tamper(`UPDATE "ActivityLog" SET after = jsonb_set(after, '{i}', '99') WHERE seq = 5`);
    expect(lastLine(nhi('trail', 'verify').stdout)).toMatch(/^trail: broken at entry 5: entry 5 was edited/);
    await tamper(`UPDATE "ActivityLog" SET after = $1::jsonb WHERE seq = 5`, [after]);
    expect(nhi('trail', 'verify').status).toBe(0);
  });

  it('names a deleted entry, the last entries deleted, and a tail rewritten after an anchor', async () => {
    const saved = await pool.query(`SELECT *, at::text AS at_text FROM "ActivityLog" ORDER BY "ActivityLog".seq`);
    const restore = async () => {
      await tamper(`DELETE FROM "ActivityLog"`);
      for (const row of saved.rows)
        await tamper(
          `INSERT INTO "ActivityLog" (seq, at, actor, "userId", action, target, before, after, ip, "userAgent", "prevHash", hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12)`,
          [
            row.seq,
            row.at_text,
            row.actor,
            row.userId,
            row.action,
            row.target,
            JSON.stringify(row.before),
            JSON.stringify(row.after),
            row.ip,
            row.userAgent,
            row.prevHash,
            row.hash,
          ],
        );
    };
    const n = saved.rowCount!;
    const verify = await verifyTrail(pool);
    expect(verify.broken).toBeNull();
    const anchor = `${verify.last.seq}:${verify.last.hash}`;

    await tamper(`DELETE FROM "ActivityLog" WHERE seq = 4`);
    let r = nhi('trail', 'verify');
    expect(r.status).toBe(1);
    expect(lastLine(r.stdout)).toBe('trail: broken at entry 4: entry 4 is missing: it was deleted (entry 5 follows entry 3)');
    await restore();
    expect(lastLine(nhi('trail', 'verify').stdout)).toBe(`trail: ${n} entries, chain ok`);

    await tamper(`DELETE FROM "ActivityLog" WHERE seq > $1`, [n - 2]);
    r = nhi('trail', 'verify');
    expect(r.status).toBe(1);
    expect(lastLine(r.stdout)).toBe(
      `trail: broken at entry ${n - 1}: entry ${n - 1} is missing: the head checkpoint is at entry ${n} but the trail ends at entry ${n - 2} (the last entries were deleted)`,
    );
    // The next append chains to the head, so the deletion stays visible as a gap.
    await inTransaction(pool, (c) =>
      appendTrail(pgExecutor(c), { actor: 'alice', action: 'settings.change', after: { after: 'deletion' } }),
    );
    expect(lastLine(nhi('trail', 'verify').stdout)).toMatch(
      new RegExp(`^trail: broken at entry ${n - 1}: entry ${n - 1} is missing`),
    );

    // Someone who can also move the head rebuilds the tail: only an anchor kept outside the database tells.
    await tamper(`DELETE FROM "ActivityLog" WHERE seq > $1`, [n - 2]);
    await inTransaction(pool, async (c) => {
      await c.query(`ALTER TABLE "ActivityTrailHead" DISABLE TRIGGER "ActivityTrailHead_forward"`);
      await c.query(`UPDATE "ActivityTrailHead" SET seq = $1, hash = (SELECT hash FROM "ActivityLog" WHERE seq = $1)`, [n - 2]);
      await c.query(`ALTER TABLE "ActivityTrailHead" ENABLE TRIGGER "ActivityTrailHead_forward"`);
    });
    for (let i = 0; i < 2; i++)
      await inTransaction(pool, (c) =>
        appendTrail(pgExecutor(c), { actor: 'mallory', action: 'settings.change', after: { forged: i } }),
      );
    expect(nhi('trail', 'verify').status).toBe(0);
    r = nhi('trail', 'verify', '--anchor', anchor);
    expect(r.status).toBe(1);
    expect(lastLine(r.stdout)).toBe(
      `trail: broken at entry ${n}: entry ${n} differs from the anchor recorded for it (the trail was rewritten from there)`,
    );
    expect(nhi('trail', 'verify', '--anchor', 'nonsense').status).toBe(2);
  });
});

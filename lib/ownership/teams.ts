/**
 * Teams as the Teams page, `GET /api/teams` and `nhi teams` show them: what each owns (identities and workloads,
 * claimed or only inferred from labels), the risk of its identities, its open findings, active anomalies and the
 * claims waiting for a decision. A service owner sees their own teams only.
 *
 * "Owns" means an Ownership row of its own here (as the findings' and the risk page's team filters read it),
 * not the wider team scope of lib/auth/scope.ts, which also follows workloads to the ServiceAccounts they run as.
 */
import type { TeamScope } from '@/lib/auth/roles';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { HIGH_RISK } from '@/lib/data/risk';

export interface TeamRow {
  id: string;
  name: string;
  contact: string | null;
  members: number;
  /** Live identities it owns; `claimed` of them by an approved claim, the rest only inferred from labels. */
  identities: { total: number; claimed: number; inferred: number };
  workloads: { total: number; claimed: number; inferred: number };
  /** Risk scores of its identities (Kubernetes' own left out): mean, max, how many at HIGH_RISK or more; null when none is scored. */
  risk: { mean: number; max: number; high: number; scored: number } | null;
  /** Open findings of its identities (or of their credentials) and of its workloads. */
  openFindings: number;
  /** Open and acknowledged anomalies of its identities and workloads. */
  activeAnomalies: number;
  pendingClaims: number;
}

type Counts = { teamId: string; n: number; claimed?: number };

/**
 * Every team (or the scope's), riskiest first (highest max, then mean), then by name. One query per measure, each
 * grouped by team over the Ownership rows and run side by side (at 100,000 owned identities a single statement
 * joining them all was planned from guesses and took seconds).
 */
export async function listTeams(db: PrismaClient, scope: TeamScope = null): Promise<TeamRow[]> {
  const mine = (col: Prisma.Sql) => (scope ? Prisma.sql`AND ${col} = ANY(${[...scope]}::uuid[])` : Prisma.empty);
  const [teams, identities, workloads, risk, findings, anomalies] = await Promise.all([
    db.$queryRaw<{ id: string; name: string; contact: string | null; members: number; pendingClaims: number }[]>`
      SELECT t.id, t.name, t.contact,
             (SELECT count(*) FROM "TeamMember" m WHERE m."teamId" = t.id)::int AS members,
             (SELECT count(*) FROM "Claim" c WHERE c."teamId" = t.id AND c.status = 'pending')::int AS "pendingClaims"
      FROM "Team" t WHERE TRUE ${mine(Prisma.sql`t.id`)}`,
    db.$queryRaw<Counts[]>`
      SELECT o."teamId", count(DISTINCT o."identityId")::int AS n,
             count(DISTINCT o."identityId") FILTER (WHERE o.origin = 'claimed')::int AS claimed
      FROM "Ownership" o JOIN "Identity" i ON i.id = o."identityId" AND i."deletedAt" IS NULL
      WHERE TRUE ${mine(Prisma.sql`o."teamId"`)} GROUP BY 1`,
    db.$queryRaw<Counts[]>`
      SELECT o."teamId", count(DISTINCT o."workloadId")::int AS n,
             count(DISTINCT o."workloadId") FILTER (WHERE o.origin = 'claimed')::int AS claimed
      FROM "Ownership" o JOIN "Workload" w ON w.id = o."workloadId" AND w."deletedAt" IS NULL
      WHERE TRUE ${mine(Prisma.sql`o."teamId"`)} GROUP BY 1`,
    db.$queryRaw<{ teamId: string; mean: number; max: number; high: number; scored: number }[]>`
      SELECT x."teamId", round(avg(s.score))::int AS mean, max(s.score)::int AS max,
             count(*) FILTER (WHERE s.score >= ${HIGH_RISK})::int AS high, count(*)::int AS scored
      FROM "RiskScore" s
      JOIN (SELECT DISTINCT o."teamId", o."identityId" FROM "Ownership" o WHERE o."identityId" IS NOT NULL ${mine(Prisma.sql`o."teamId"`)}) x
        ON x."identityId" = s."identityId"
      WHERE s."identityId" NOT IN (SELECT id FROM "Identity" WHERE "builtIn") GROUP BY 1`,
    // Each open finding once per team: through its identity, its credential's identity, or its workload.
    db.$queryRaw<Counts[]>`
      SELECT x."teamId", count(DISTINCT x.id)::int AS n FROM (
        SELECT o."teamId", f.id FROM "Finding" f JOIN "Ownership" o ON o."identityId" = f."identityId"
        WHERE f.status = 'open' ${mine(Prisma.sql`o."teamId"`)}
        UNION ALL
        SELECT o."teamId", f.id FROM "Finding" f JOIN "Credential" c ON c.id = f."credentialId" JOIN "Ownership" o ON o."identityId" = c."identityId"
        WHERE f.status = 'open' AND f."identityId" IS NULL ${mine(Prisma.sql`o."teamId"`)}
        UNION ALL
        SELECT o."teamId", f.id FROM "Finding" f JOIN "Ownership" o ON o."workloadId" = f."workloadId"
        WHERE f.status = 'open' ${mine(Prisma.sql`o."teamId"`)}) x GROUP BY 1`,
    db.$queryRaw<Counts[]>`
      SELECT x."teamId", count(DISTINCT x.id)::int AS n FROM (
        SELECT o."teamId", a.id FROM "Anomaly" a JOIN "Ownership" o ON o."identityId" = a."identityId"
        WHERE a.status IN ('open', 'acknowledged') ${mine(Prisma.sql`o."teamId"`)}
        UNION ALL
        SELECT o."teamId", a.id FROM "Anomaly" a JOIN "Ownership" o ON o."workloadId" = a."workloadId"
        WHERE a.status IN ('open', 'acknowledged') ${mine(Prisma.sql`o."teamId"`)}) x GROUP BY 1`,
  ]);
  const by = <T extends { teamId: string }>(rows: T[]) => new Map(rows.map((r) => [r.teamId, r]));
  const [ids, wls, risks, fs, as] = [by(identities), by(workloads), by(risk), by(findings), by(anomalies)];
  const owned = (c: Counts | undefined) => ({
    total: c?.n ?? 0,
    claimed: c?.claimed ?? 0,
    inferred: (c?.n ?? 0) - (c?.claimed ?? 0),
  });
  return teams
    .map((t) => {
      const r = risks.get(t.id);
      return {
        id: t.id,
        name: t.name,
        contact: t.contact,
        members: t.members,
        identities: owned(ids.get(t.id)),
        workloads: owned(wls.get(t.id)),
        risk: r ? { mean: r.mean, max: r.max, high: r.high, scored: r.scored } : null,
        openFindings: fs.get(t.id)?.n ?? 0,
        activeAnomalies: as.get(t.id)?.n ?? 0,
        pendingClaims: t.pendingClaims,
      };
    })
    .sort(
      (a, b) =>
        (b.risk?.max ?? -1) - (a.risk?.max ?? -1) || (b.risk?.mean ?? -1) - (a.risk?.mean ?? -1) || a.name.localeCompare(b.name),
    );
}

/** Team names, for the claim forms: the scope's, or all. */
export async function teamNames(db: PrismaClient, scope: TeamScope = null): Promise<string[]> {
  const rows = await db.team.findMany({
    where: scope ? { id: { in: [...scope] } } : {},
    select: { name: true },
    orderBy: { name: 'asc' },
    take: 5000,
  });
  return rows.map((r) => r.name);
}

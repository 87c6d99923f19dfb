/**
 * Findings, as the identity page (and later the findings queue) reads them: open ones first, worst first,
 * with their explanation, evidence and fix parsed from the stored JSON.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { OWASP_NHI_TOP10, type OwaspNhiId } from '@/lib/owasp';
import { parseStored } from './json';

export const remediationSchema = z.object({ text: z.string(), yaml: z.string().optional(), command: z.string().optional() });

export interface FindingView {
  id: string;
  ruleId: string;
  title: string;
  severity: string;
  status: string;
  owasp: { id: string; name: string }[];
  explanation: string;
  evidence: Record<string, unknown>;
  remediation: z.infer<typeof remediationSchema>;
  policy: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
}

const severityOrder = ['critical', 'high', 'medium', 'low', 'info'];

/** Findings about an identity: its own, those of its credentials, and those of the workloads running as it. */
export function findingsOfIdentity(db: PrismaClient, identityId: string): Promise<FindingView[]> {
  return findingsWhere(db, {
    OR: [{ identityId }, { credential: { identityId } }, { workload: { identities: { some: { identityId, deletedAt: null } } } }],
  });
}

/** Findings about a workload: its own and those of the credentials it uses. */
export function findingsOfWorkload(db: PrismaClient, workloadId: string): Promise<FindingView[]> {
  return findingsWhere(db, { OR: [{ workloadId }, { credential: { uses: { some: { workloadId, deletedAt: null } } } }] });
}

async function findingsWhere(db: PrismaClient, where: Prisma.FindingWhereInput): Promise<FindingView[]> {
  const rows = await db.finding.findMany({
    where,
    orderBy: [{ status: 'asc' }, { lastSeenAt: 'desc' }],
    take: 200,
  });
  return rows
    .map((f) => ({
      id: f.id,
      ruleId: f.ruleId,
      title: f.title,
      severity: f.severity,
      status: f.status,
      owasp: f.owaspIds.map((id) => ({ id, name: OWASP_NHI_TOP10[id as OwaspNhiId] ?? id })),
      explanation: f.explanation,
      evidence: parseStored(z.record(z.string(), z.unknown()), f.evidence, `Finding.evidence of ${f.id}`),
      remediation: parseStored(remediationSchema, f.remediation, `Finding.remediation of ${f.id}`),
      policy: f.policy,
      firstSeenAt: f.firstSeenAt.toISOString(),
      lastSeenAt: f.lastSeenAt.toISOString(),
      resolvedAt: f.resolvedAt?.toISOString() ?? null,
    }))
    .sort(
      (a, b) =>
        Number(a.status !== 'open') - Number(b.status !== 'open') ||
        severityOrder.indexOf(a.severity) - severityOrder.indexOf(b.severity) ||
        a.ruleId.localeCompare(b.ruleId),
    );
}

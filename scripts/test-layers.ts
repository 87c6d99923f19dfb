/**
 * How scripts/test-all.ts counts a test layer from its runner's report. Pure, so it is unit-tested
 * (scripts/test-layers.test.ts). The rule: a layer that did not run, or whose runner says it failed, is
 * never green: it counts at least one failure, with the reason.
 */
import path from 'node:path';
import { describeError } from '@/lib/errors';

export interface LayerResult {
  layer: string;
  passed: number;
  failed: number;
  skipped: number;
  exitCode: number;
  /** Why the layer failed beyond its failed tests (did not run, a file that did not load, …). */
  problems: string[];
}

/** The parts of Vitest's JSON report (`--reporter=json`) read here. */
export interface VitestReport {
  success?: boolean;
  numTotalTests?: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: { name: string; status: string; message?: string; assertionResults?: { status: string }[] }[];
}

const ansi = /\u001b\[[0-9;]*m/g;

/**
 * The first error Vitest printed outside any test (its "Unhandled Error" and "Startup Error" blocks,
 * where a global set-up's failure lands), e.g. `Error: kube-apiserver: port … is already in use …`.
 */
export function unhandledErrorFrom(output: string): string | undefined {
  const lines = output.replace(ansi, '').split('\n');
  const start = lines.findIndex((l) => /(Unhandled|Startup) (Error|Rejection)|Error during global setup/i.test(l));
  if (start < 0) return undefined;
  for (const line of lines.slice(start + 1, start + 20)) {
    const m = /^\s*(?:\w*Error|\w*Exception)(?:\s*\[[^\]]*\])?:\s*(.+)$/.exec(line);
    if (m) return m[1]!.trim();
  }
  return undefined;
}

function firstLine(text: string | undefined): string {
  return (
    (text ?? '')
      .replace(ansi, '')
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? 'no message'
  );
}

/** A Vitest layer's counts from its exit status, its JSON report (if written) and what it printed. */
export function vitestLayerResult(
  layer: string,
  exitCode: number,
  report: VitestReport | undefined,
  output = '',
  root = process.cwd(),
): LayerResult {
  const why = unhandledErrorFrom(output);
  if (!report) {
    return {
      layer,
      passed: 0,
      failed: 1,
      skipped: 0,
      exitCode: exitCode || 1,
      problems: [`did not run: Vitest wrote no report (exit ${exitCode})${why ? `: ${why}` : ''}`],
    };
  }
  const problems: string[] = [];
  let failed = report.numFailedTests;
  // A file that failed to load (or whose hooks failed) without a failed test of its own.
  for (const file of report.testResults ?? []) {
    if (file.status !== 'failed') continue;
    if ((file.assertionResults ?? []).some((a) => a.status === 'failed')) continue;
    failed += 1;
    problems.push(`${path.relative(root, file.name)}: ${firstLine(file.message)}`);
  }
  const passed = report.numPassedTests;
  const skipped = report.numPendingTests + report.numTodoTests;
  const ranNothing = (report.testResults ?? []).length === 0 && (report.numTotalTests ?? passed + failed + skipped) === 0;
  if (ranNothing) {
    failed = Math.max(failed, 1);
    problems.push(`did not run: no test file ran${why ? `; ${why}` : ' (its set-up failed, or no file matched)'}`);
  } else if (report.success === false && failed === 0) {
    failed = 1;
    problems.push(
      `Vitest reports a failure although no test failed${why ? `: ${why}` : ' (an error outside the tests, see above)'}`,
    );
  }
  if (exitCode !== 0 && failed === 0) {
    failed = 1;
    problems.push(`Vitest exited with status ${exitCode}`);
  }
  return { layer, passed, failed, skipped, exitCode: failed > 0 ? exitCode || 1 : exitCode, problems };
}

/** The summary printed at the end of `npm test`; its last line is always `N passed, N failed`. */
export function summary(results: LayerResult[], skipReason?: string): string[] {
  const lines = ['', 'Test layers:'];
  const width = Math.max(12, ...results.map((r) => r.layer.length));
  for (const r of results) {
    lines.push(`  ${r.layer.padEnd(width)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
    for (const p of r.problems) lines.push(`    ✗ ${p}`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  if (skipped > 0) lines.push(`${skipped} skipped${skipReason ? ` (${skipReason})` : ''}`);
  lines.push(`${passed} passed, ${failed} failed`);
  return lines;
}

/** What `npm test` prints when it cannot run at all: the reason (also for a rejection that is no Error). */
export function crashLines(e: unknown): { stderr: string; stdout: string } {
  return { stderr: `npm test: ${describeError(e)}`, stdout: '0 passed, 1 failed' };
}

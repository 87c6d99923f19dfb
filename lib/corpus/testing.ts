/**
 * For test files that read the public test corpus (../shared/corpus or NHI_CORPUS_DIR).
 *
 * A person with only the repository gets a green run: such tests are skipped (counted as skipped; the
 * test runner prints the reason once, see scripts/test-all.ts). Where `CI` is set the corpus must be
 * there, and a missing one fails the file, as it always did.
 */
import { describe, it } from 'vitest';
import { unavailable } from '@/lib/errors';
import { corpusMissing } from './index';

/** True when the corpus is there; false when it is not (an error where CI is set). */
export function hasCorpus(env: NodeJS.ProcessEnv = process.env): boolean {
  const missing = corpusMissing();
  if (!missing) return true;
  if (env.CI) throw unavailable(`CI is set and ${missing}.`, { code: 'CORPUS_MISSING' });
  return false;
}

export const needsCorpusSuffix = '(needs the public test corpus)';

/**
 * `describe` for tests that need the corpus. Without it the suite is declared skipped: its body still
 * runs to declare its tests (as skipped), and where the body itself reads the corpus (tests generated
 * per corpus file) one skipped placeholder stands for them.
 */
export function describeWithCorpus(name: string, body: () => void): void {
  if (hasCorpus()) {
    describe(name, body);
    return;
  }
  describe.skip(`${name} ${needsCorpusSuffix}`, () => {
    try {
      body();
    } catch {
      it.skip('its tests are made from the corpus files');
    }
  });
}

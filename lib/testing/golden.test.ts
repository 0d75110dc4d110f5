/**
 * The analysis of every sample and corpus capture is the one recorded in lib/testing/golden/:
 * refactors leave reports unchanged. A deliberate change rewrites the files with
 * `npx tsx scripts/golden.ts` in the commit that says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveCorpus } from './corpus';
import { GOLDEN_DIR, goldenCases, goldenReport } from './golden';

const cases = goldenCases();
const corpusPresent = haveCorpus('the corpus golden analyses');

describe('golden analyses', () => {
  it('covers every sample', () => {
    expect(cases.filter((c) => c.source === 'samples').length).toBeGreaterThanOrEqual(45);
  });
  for (const c of cases) {
    it.skipIf(c.source === 'corpus' && !corpusPresent)(c.name, async () => {
      const file = join(GOLDEN_DIR, `${c.name}.json`);
      expect(existsSync(file), `${file} missing: run npx tsx scripts/golden.ts`).toBe(true);
      const recorded = JSON.parse(readFileSync(file, 'utf8')) as { files: string[]; report: unknown; errors: string[] };
      const now = await goldenReport(c);
      expect(recorded.files).toEqual(c.files);
      expect(JSON.parse(JSON.stringify(now.report))).toEqual(recorded.report);
      expect(now.errors).toEqual(recorded.errors);
    });
  }
});

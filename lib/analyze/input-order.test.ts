/**
 * The order a user drops or lists the files in is no evidence: every lab scenario analysed with
 * its files reversed gives the same flows, paths, counts, verdicts and notes. Only the capture
 * table follows the files as given, and each flow's list of points off its path follows it.
 */
import { describe, expect, it } from 'vitest';
import { analyzeFiles, scenarioFiles, scenarios } from '../testing/scenarios';
import type { AnalysisReport } from '.';

const all = scenarios();
if (all.length === 0) console.log('[samples] no lab scenario found: skipping the input order tests');

/** A point's index in the report (`point`: the files' order) as its name. */
function named(x: unknown, names: string[]): unknown {
  if (Array.isArray(x)) return x.map((y) => named(y, names));
  if (x === null || typeof x !== 'object') return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, k === 'point' && typeof v === 'number' ? names[v] : named(v, names)]));
}

/** The report with what follows the input order put in one order of its own. */
function canonical(report: AnalysisReport): unknown {
  const r = named(report, report.captures.map((c) => `${c.node}/${c.interface}`)) as AnalysisReport;
  const byJson = <T,>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return {
    referenceNode: r.referenceNode,
    captures: [...r.captures].sort((a, b) => a.file.localeCompare(b.file)),
    clocks: byJson(r.clocks),
    flows: byJson(r.flows.map((f) => ({ ...f, offPath: byJson(f.offPath), notCaptured: byJson(f.notCaptured) }))),
    undecoded: byJson(r.undecoded),
    notes: [...r.notes].sort(),
  };
}

describe.skipIf(all.length === 0)('the files in another order', () => {
  for (const { dir, truth } of all) {
    it(`${truth.name}: the same analysis with its files reversed`, async () => {
      const files = scenarioFiles(dir, truth);
      const [given, reversed] = await Promise.all([analyzeFiles(files), analyzeFiles([...files].reverse())]);
      expect(canonical(reversed)).toEqual(canonical(given));
    });
  }
});

/** The lab scenarios in sample-captures/ and what their ground truth says a verdict must be. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadInputs } from '../analyze/files';
import { linksFileNode } from '../correlate/links';
import { analyze } from '../analyze';
import type { GroundTruth } from './truth';

export { directionPaths, expectedKind, expectedStop, findFlow, packetsAt, SAMPLES, scenarios, type GroundTruth, type TruthFlow } from './truth';

const analyses = new Map<string, ReturnType<typeof analyzeOnce>>();

/** The analysis of one scenario folder, made once per test file. */
export function analyzeScenario(dir: string, truth: GroundTruth): ReturnType<typeof analyzeOnce> {
  let a = analyses.get(dir);
  if (!a) analyses.set(dir, (a = analyzeOnce(dir, truth)));
  return a;
}

/**
 * The correlation of one sample folder's own capture files (not its all-interfaces.pcapng, which
 * repeats them), analysed without labels or links: what the verdict's properties are checked on.
 */
export async function correlateSample(dir: string): Promise<ReturnType<typeof analyze>['correlation']> {
  const files = readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng)$/.test(f) && f !== 'all-interfaces.pcapng')
    .map((f) => join(dir, f));
  const { inputs } = await loadInputs(files, new Map());
  return analyze(inputs).correlation;
}

/** A scenario's capture points, and each node's interface list (`<node>-links.txt`) where the lab wrote one. */
export function scenarioFiles(dir: string, truth: GroundTruth): string[] {
  const links = readdirSync(dir).filter((f) => linksFileNode(f) !== null);
  return [...truth.capturePoints.map((c) => c.file), ...(truth.extraCaptures ?? []).map((c) => c.file), ...links].map((f) => join(dir, f));
}

/** The analysis of these files, in this order. */
export async function analyzeFiles(files: string[]) {
  const loaded = await loadInputs(files, new Map());
  expect(loaded.errors.filter((e) => !e.startsWith('warning'))).toEqual([]);
  return analyze(loaded.inputs, { links: loaded.links }).report;
}

function analyzeOnce(dir: string, truth: GroundTruth) {
  return analyzeFiles(scenarioFiles(dir, truth));
}


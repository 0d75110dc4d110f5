/**
 * Golden analyses: `hopscope analyze --json` on every sample (the whole folder, the per-interface
 * files alone, the multi-interface pcapng alone) and on every corpus capture, recorded so a
 * refactor can prove the reports did not change. `npx tsx scripts/golden.ts` rewrites them; a
 * difference that fixes a bug is recorded by rerunning it in the commit that names the bug.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { reportJson } from '../report/report-json';
import { CORPUS_DIR, corpusCaptures } from './corpus';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, '..', '..');
export const GOLDEN_DIR = join(HERE, 'golden');
const SAMPLES = join(REPO, 'sample-captures');

export interface GoldenCase {
  name: string;
  /** Paths relative to the repository (samples) or to the corpus (corpus cases). */
  files: string[];
  /** 'samples' cases always run; 'corpus' cases need ../shared. */
  source: 'samples' | 'corpus';
}

export function goldenCases(): GoldenCase[] {
  const out: GoldenCase[] = [];
  for (const d of readdirSync(SAMPLES).sort()) {
    const dir = join(SAMPLES, d);
    if (!existsSync(join(dir, 'scenario.json'))) continue;
    const truth = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as { capturePoints: { file: string }[] };
    const all = readdirSync(dir).filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f)).sort();
    const rel = (f: string) => relative(REPO, join(dir, f));
    out.push({ name: `${d}.folder`, files: all.map(rel), source: 'samples' });
    out.push({ name: `${d}.points`, files: truth.capturePoints.map((c) => rel(c.file)), source: 'samples' });
    for (const f of all.filter((x) => x.endsWith('.pcapng') || /-any\./.test(x))) {
      out.push({ name: `${d}.${f.replace(/\.(pcapng|pcap)$/, '')}`, files: [rel(f)], source: 'samples' });
    }
  }
  for (const p of corpusCaptures({ withTsv: false, nonEmpty: true })) {
    const r = relative(CORPUS_DIR, p);
    out.push({ name: `corpus.${r.replace(/[/\\]/g, '.')}`, files: [r], source: 'corpus' });
  }
  return out;
}

/** The report document of one case, with paths as recorded. */
export async function goldenReport(c: GoldenCase): Promise<{ report: unknown; errors: string[] }> {
  const root = c.source === 'samples' ? REPO : CORPUS_DIR;
  const { inputs, errors } = await loadInputs(c.files.map((f) => join(root, f)), new Map());
  for (const i of inputs) i.file = relative(root, i.file);
  if (inputs.length === 0) return { report: null, errors };
  return { report: reportJson(analyze(inputs).report), errors: errors.map((e) => e.replaceAll(root + '/', '')) };
}

/**
 * Capture files from disk into analysis inputs: folders expanded to their capture files, each
 * file read and indexed. Node only; the CLI, the tests and the lab use it.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readCaptureFile } from '../capture/node';
import { CaptureFormatError } from '../capture/errors';
import { CaptureIndexer } from '../decode/capture-index';
import type { AnalysisInput } from './index';

const CAPTURE_FILE = /\.(pcapng|pcap|cap)(\.gz)?$/i;

/** Files and folders as given to `analyze` (and `share`): a folder stands for its capture files. */
export function expand(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`${p}: no such file or folder`);
    if (st.isDirectory()) {
      const files = readdirSync(p)
        .filter((n) => CAPTURE_FILE.test(n))
        .sort()
        .map((n) => join(p, n));
      if (files.length === 0) throw new Error(`${p}: no capture files (.pcap, .pcapng, .gz) in this folder`);
      out.push(...files);
    } else out.push(p);
  }
  return out;
}

export async function loadInputs(files: string[], labels: Map<string, { node: string; interface: string }>): Promise<{ inputs: AnalysisInput[]; errors: string[] }> {
  const inputs: AnalysisInput[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      const indexer = new CaptureIndexer();
      const summary = await readCaptureFile(file, indexer);
      for (const w of summary.warnings) errors.push(`warning: ${w.message}`);
      inputs.push({ file, capture: indexer.finish(summary), label: labels.get(file) ?? labels.get(basename(file)) });
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw e;
      errors.push(e.message);
    }
  }
  return { inputs, errors };
}

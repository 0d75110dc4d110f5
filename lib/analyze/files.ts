/**
 * Capture files from disk into analysis inputs: folders expanded to their capture files, each
 * file read and indexed. Node only; the CLI, the tests and the lab use it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CaptureFormatError } from '../capture/errors';
import { indexFiles } from './read-pool';
import type { AnalysisInput } from './index';
import { linksFileNode, parseLinks } from '../correlate/links';
import { CAPTURE_FILE } from '../correlate/labels';

/**
 * Files and folders as given to `analyze` (and `share`): a folder stands for its capture files,
 * and, with `links`, for the nodes' interface lists beside them (`<node>-links.txt`).
 */
export function expand(paths: string[], opts: { links?: boolean } = {}): string[] {
  const out: string[] = [];
  const linksIn = (dir: string) => readdirSync(dir).filter((n) => !CAPTURE_FILE.test(n) && linksFileNode(n) !== null);
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`${p}: no such file or folder`);
    if (st.isDirectory()) {
      const files = readdirSync(p)
        .filter((n) => CAPTURE_FILE.test(n) || (opts.links === true && linksFileNode(n) !== null))
        .sort()
        .map((n) => join(p, n));
      if (files.length === 0) throw new Error(`${p}: no capture files (.pcap, .pcapng, .gz) in this folder`);
      out.push(...files);
    } else {
      out.push(p);
      // A node's interface list dropped beside a capture file counts as given.
      if (opts.links === true && CAPTURE_FILE.test(p)) out.push(...linksIn(dirname(p)).map((n) => join(dirname(p), n)));
    }
  }
  return [...new Set(out)];
}

/**
 * For the commands that take capture files (`stats`, `fields`): a folder stands for its capture
 * files, as it does for `analyze`; any other path is kept as given, so that one missing or
 * unreadable file is reported on its own and the rest are still read. A folder with no capture
 * is one of `problems`, not the end of the command.
 */
export function captureFilesIn(paths: string[]): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    if (!statSync(p, { throwIfNoEntry: false })?.isDirectory()) files.push(p);
    else {
      try {
        files.push(...expand([p]));
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      }
    }
  }
  return { files: [...new Set(files)], problems };
}

export interface LoadedInputs {
  inputs: AnalysisInput[];
  errors: string[];
  /** node → ifindex → name, from the `<node>-links.txt` files among `files`. */
  links: Map<string, Map<number, string>>;
}

export async function loadInputs(files: string[], labels: Map<string, { node: string; interface: string }>): Promise<LoadedInputs> {
  const inputs: AnalysisInput[] = [];
  const errors: string[] = [];
  const links = new Map<string, Map<number, string>>();
  const isLinks = (file: string) => linksFileNode(file) !== null && !CAPTURE_FILE.test(file);
  // The captures are read by the read pool (read-pool.ts), on several threads where there are the cores; what they say is taken in the order given.
  const read = await indexFiles(files.filter((f) => !isLinks(f)));
  let k = 0;
  for (const file of files) {
    if (isLinks(file)) {
      try {
        links.set(linksFileNode(file)!, parseLinks(readFileSync(file, 'utf8'), file));
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
      continue;
    }
    const { capture, error } = read[k++]!;
    if (error) {
      if (!(error instanceof CaptureFormatError)) throw error;
      errors.push(error.message);
      continue;
    }
    for (const w of capture!.summary.warnings) errors.push(`warning: ${w.message}`);
    inputs.push({ file, capture: capture!, label: labels.get(file) ?? labels.get(basename(file)) });
  }
  return { inputs, errors, links };
}

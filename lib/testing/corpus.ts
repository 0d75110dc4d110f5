/**
 * Where the shared corpus lives (../shared/corpus beside the checkout) and how tests walk it.
 * It is not part of the project: tests that use it skip, saying so, when it is absent.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus');

/** True when the corpus is there; otherwise prints one line saying which tests skip. */
export function haveCorpus(what: string): boolean {
  const ok = existsSync(CORPUS_DIR);
  if (!ok) console.log(`[corpus] ${CORPUS_DIR} is absent: skipping ${what}`);
  return ok;
}

export function walkFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walkFiles(p) : [p];
    });
}

/** Captures under the corpus (optionally below `sub`), with or without tshark's view. */
export function corpusCaptures(opts: { sub?: string; withTsv?: boolean; nonEmpty?: boolean } = {}): string[] {
  const root = opts.sub ? join(CORPUS_DIR, opts.sub) : CORPUS_DIR;
  if (!existsSync(root)) return [];
  return walkFiles(root).filter(
    (p) =>
      /\.(pcap|pcapng|cap)$/.test(p) &&
      (opts.withTsv === false || existsSync(p + '.tshark.tsv')) &&
      (!opts.nonEmpty || statSync(p).size > 0),
  );
}

/** A .tshark.tsv: header row and data rows, tab-split. */
export function readTsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  return { header: (lines[0] ?? '').split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

/** A capture's path relative to the corpus, for test names. */
export function corpusName(path: string): string {
  return path.slice(CORPUS_DIR.length + 1);
}

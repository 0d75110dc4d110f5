/** Helpers for the decoder tests: hex fixtures, the corpus location, tsv loading. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodePacket, type DecodedPacket, type Layer } from './decode-packet';
import type { DecodeOptions } from './types';

/**
 * Bytes from a hex literal laid out like a protocol diagram: whitespace, `|` separators and
 * `#` comments to the end of a line are ignored.
 */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/#[^\n]*/g, '').replace(/[\s|]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex fixture: ${clean}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The layer kinds, outermost first. */
export function kinds(p: DecodedPacket): string[] {
  return p.layers.map((l) => l.kind);
}

/** The one layer of a kind at position `nth` (0 = outermost), or a thrown test failure. */
export function layerAt<K extends Layer['kind']>(p: DecodedPacket, kind: K, nth = 0): Extract<Layer, { kind: K }> {
  const found = p.layers.filter((l): l is Extract<Layer, { kind: K }> => l.kind === kind)[nth];
  if (found === undefined) throw new Error(`no ${kind} layer #${nth} in ${kinds(p).join('/')}`);
  return found;
}

/**
 * The invariant a to-scale drawing relies on: each layer sits right after its parent's header,
 * parent payload = child header + child payload + child trailer, and the whole tiles the packet.
 */
export function tilingProblems(p: DecodedPacket, capLen: number): string[] {
  const problems: string[] = [];
  let sum = 0;
  p.layers.forEach((l, i) => {
    sum += l.headerLength + l.trailer.length;
    if (l.header.length !== l.headerLength) problems.push(`${i} ${l.kind}: header.length ${l.header.length} ≠ headerLength ${l.headerLength}`);
    const parent = p.layers[i - 1];
    if (parent !== undefined) {
      if (l.offset !== parent.offset + parent.headerLength) problems.push(`${i} ${l.kind}: offset ${l.offset} not after parent header`);
      if (parent.payload.length !== l.headerLength + l.payload.length + l.trailer.length) {
        problems.push(`${i} ${l.kind}: parent payload ${parent.payload.length} ≠ ${l.headerLength}+${l.payload.length}+${l.trailer.length}`);
      }
    } else if (l.offset !== 0) problems.push(`first layer at ${l.offset}`);
  });
  const last = p.layers[p.layers.length - 1];
  if (last !== undefined) sum += last.payload.length;
  if (sum !== capLen) problems.push(`headers+trailers+payload = ${sum} ≠ ${capLen}`);
  return problems;
}

/** decodePacket plus the tiling check, for fixtures. */
export function decode(bytes: Uint8Array, linkType: number, opts?: DecodeOptions): DecodedPacket {
  const p = decodePacket(bytes, linkType, opts);
  const problems = tilingProblems(p, bytes.length);
  if (problems.length > 0) throw new Error(`layers do not tile the packet: ${problems.join('; ')}`);
  return p;
}

/** ../shared/corpus relative to the repository root. */
export const CORPUS_DIR = resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

export function walkFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walkFiles(p) : [p];
    });
}

/** Captures under the corpus that have tshark's view beside them. */
export function corpusCaptures(): string[] {
  if (!existsSync(CORPUS_DIR)) return [];
  return walkFiles(CORPUS_DIR).filter((p) => /\.(pcap|pcapng|cap)$/.test(p) && existsSync(p + '.tshark.tsv'));
}

/** A .tshark.tsv: header row and data rows, tab-split. */
export function readTsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  return { header: (lines[0] ?? '').split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

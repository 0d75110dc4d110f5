/** Helpers for the decoder tests: hex fixtures, the corpus location, tsv loading. */
export { hex } from './hex';
import { decodePacket, type DecodedPacket, type Layer } from '../decode/decode-packet';
import type { DecodeOptions } from '../decode/types';

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

export { CORPUS_DIR, corpusCaptures, readTsv, walkFiles } from './corpus';

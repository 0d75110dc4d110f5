/**
 * Layout of one packet's anatomy, pure: a horizontal bar where each segment's width is
 * proportional to its bytes (a piecewise d3 scale maps byte offsets to x), with a floor so an
 * 8-byte header among 1400 bytes of data stays readable; tunnel payloads and ICMP quotes as
 * brackets under the bar. React draws it (AnatomyBar.tsx); the SVG export draws the same.
 */
import { scaleLinear, type ScaleLinear } from 'd3';
import type { Anatomy, AnatomyField, AnatomyLayer, AnatomySegment, ByteRange, FieldChange } from '@/lib/anatomy/types';
import type { LayerKind } from '@/lib/decode/types';
import { LAYERS, type LayerFamily } from '@/lib/protocols/layers';

/** A segment's colour and pattern come from its layer family (lib/protocols/layers.ts). */
export type { LayerFamily };

export function familyOfKind(kind: LayerKind): LayerFamily {
  return LAYERS[kind].family;
}

/**
 * How a segment is filled, besides its colour, so the kinds differ without colour too:
 * hatched for the outer (encapsulation) headers, plain for the innermost stack, dots for data,
 * cross-hatching for trailers and the FCS, and a dense hatch for bytes left undecoded.
 */
export type Fill = 'hatch' | 'solid' | 'dots' | 'cross' | 'dense';

export interface AnatomyBox {
  /** Index into `anatomy.segments`. */
  segment: number;
  layer: number;
  role: AnatomySegment['role'];
  family: LayerFamily;
  fill: Fill;
  depth: number;
  quoted: boolean;
  offset: number;
  length: number;
  x: number;
  width: number;
  y: number;
  height: number;
  /** Full label, e.g. "IPv4"; `short` when that does not fit; `bytes` as "20" or "56 B". */
  title: string;
  short: string;
  /** What fits in the box, in lines: [title, bytes], [short, bytes], [bytes] or []. */
  lines: string[];
  /** Spoken and tooltip text: "outer IPv4 header, 20 bytes (14–33)". */
  description: string;
  /** True when the box was widened past its share of bytes (its width is not to scale). */
  widened: boolean;
}

export interface AnatomyBracket {
  depth: number;
  x0: number;
  x1: number;
  y: number;
  label: string;
  offset: number;
  length: number;
}

export interface AnatomyLayout {
  width: number;
  height: number;
  barTop: number;
  barHeight: number;
  boxes: AnatomyBox[];
  brackets: AnatomyBracket[];
  /** Byte offset → x, piecewise linear over the boxes (so a field's bytes map into its box). */
  x: ScaleLinear<number, number>;
}

export interface LayoutOptions {
  width: number;
  /** Narrowest box, px; its label carries the true byte count. */
  minBox?: number;
  barTop?: number;
  barHeight?: number;
  /** Vertical inset per tunnel depth: inner layers sit inside the outer ones. */
  inset?: number;
  /** Width of one character of the box labels, px (11 px monospace ≈ 6.7). */
  charWidth?: number;
}

const BRACKET_ROW = 20;

/**
 * Widths for `lengths` that fill `total` px: proportional to the lengths, but none under
 * `min`. The boxes at the floor take their `min`; the rest share what is left by their bytes.
 * When even the floors do not fit, every box gets an equal share.
 */
export function proportionalWidths(lengths: readonly number[], total: number, min: number): number[] {
  const n = lengths.length;
  if (n === 0) return [];
  if (n * min >= total) return lengths.map(() => total / n);
  const floored = new Set<number>();
  for (;;) {
    const rest = lengths.reduce((s, l, i) => (floored.has(i) ? s : s + l), 0);
    const room = total - floored.size * min;
    const k = rest > 0 ? room / rest : 0;
    let changed = false;
    lengths.forEach((l, i) => {
      if (!floored.has(i) && l * k < min) {
        floored.add(i);
        changed = true;
      }
    });
    if (!changed) return lengths.map((l, i) => (floored.has(i) ? min : rest > 0 ? l * k : room / (n - floored.size)));
  }
}

export function familyOf(anatomy: Anatomy, s: AnatomySegment): LayerFamily {
  if (s.role === 'data') return 'data';
  if (s.role === 'trailer' || s.role === 'fcs') return 'trailer';
  if (s.role === 'undecoded') return 'undecoded';
  const layer = anatomy.layers[s.layer];
  return layer ? LAYERS[layer.kind].family : 'undecoded';
}

/** The deepest tunnel depth of the packet: its innermost stack. */
export function innerDepth(anatomy: Anatomy): number {
  return anatomy.layers.reduce((d, l) => Math.max(d, l.depth), 0);
}

function fillOf(anatomy: Anatomy, s: AnatomySegment, depth: number, inner: number): Fill {
  if (s.role === 'data') return 'dots';
  if (s.role === 'trailer' || s.role === 'fcs') return 'cross';
  if (s.role === 'undecoded') return 'dense';
  return depth < inner ? 'hatch' : 'solid';
}

function segmentDepth(anatomy: Anatomy, s: AnatomySegment): number {
  // Trailers and the FCS belong to the outer layer that carried them, whatever they follow.
  return anatomy.layers[s.layer]?.depth ?? 0;
}

function bytesLabel(n: number): string {
  return n === 1 ? '1 B' : `${n} B`;
}

function roleWord(s: AnatomySegment): string {
  switch (s.role) {
    case 'data':
      return 'data';
    case 'trailer':
      return 'trailer';
    case 'fcs':
      return 'frame check sequence';
    case 'undecoded':
      return 'undecoded bytes';
    default:
      return 'header';
  }
}

/** "outer IPv4 header, 20 bytes (14–33)". */
export function segmentDescription(anatomy: Anatomy, s: AnatomySegment): string {
  const layer = anatomy.layers[s.layer];
  const inner = innerDepth(anatomy);
  const where = layer && inner > 0 ? (layer.depth < inner ? 'outer ' : 'inner ') : '';
  const what = s.role === 'header' && layer ? `${where}${layer.title} header` : s.label || roleWord(s);
  return `${what}, ${s.length} byte${s.length === 1 ? '' : 's'} (${rangeText(s)})`;
}

/** "14–33" (inclusive, as a hex editor selects), or "14" for one byte. */
export function rangeText(r: ByteRange): string {
  if (r.length <= 0) return `${r.offset}`;
  return r.length === 1 ? `${r.offset}` : `${r.offset}–${r.offset + r.length - 1}`;
}

function titleOf(anatomy: Anatomy, s: AnatomySegment): { title: string; short: string } {
  const layer = anatomy.layers[s.layer];
  if (s.role === 'header' && layer) return { title: layer.title, short: LAYERS[layer.kind].abbrev ?? layer.title };
  if (s.role === 'fcs') return { title: s.label || 'FCS', short: 'FCS' };
  const title = s.label || roleWord(s);
  return { title, short: s.role === 'data' ? 'data' : s.role === 'trailer' ? 'trail' : title.slice(0, 5) };
}

/**
 * The bracket label for the bytes a tunnel carries: "VXLAN payload: inner Ethernet frame".
 * `tunnel` is the last header before depth `depth` starts; `first` the first layer inside.
 */
export function bracketLabel(tunnel: AnatomyLayer | undefined, first: AnatomyLayer): string {
  const inner = first.kind === 'ethernet' || first.kind === 'vlan' ? `inner ${first.title} frame` : `inner ${first.title} packet`;
  return tunnel ? `${tunnel.title} payload: ${inner}` : inner;
}

export function anatomyLayout(anatomy: Anatomy, opts: LayoutOptions): AnatomyLayout {
  const barTop = opts.barTop ?? 4;
  const barHeight = opts.barHeight ?? 56;
  const width = Math.max(120, opts.width);
  const boxes = layoutBoxes(anatomy, opts, width, barTop, barHeight);
  const scale = byteScale(boxes, width);
  const barBottom = barTop + barHeight;
  const rows = bracketsOf(anatomy, boxes, scale).map((b, row) => ({ ...b, y: barBottom + 10 + row * BRACKET_ROW }));
  const height = barBottom + (rows.length > 0 ? 10 + rows.length * BRACKET_ROW : 4);
  return { width, height, barTop, barHeight, boxes, brackets: rows, x: scale };
}

/** One box per segment, left to right, as wide as its share of the bytes (at least minBox). */
function layoutBoxes(anatomy: Anatomy, opts: LayoutOptions, width: number, barTop: number, barHeight: number): AnatomyBox[] {
  const minBox = opts.minBox ?? 44;
  const inset = opts.inset ?? 6;
  const charW = opts.charWidth ?? 6.7;
  const segs = anatomy.segments;
  const widths = proportionalWidths(
    segs.map((s) => s.length),
    width,
    minBox,
  );
  const inner = innerDepth(anatomy);
  let x = 0;
  return segs.map((s, i) => {
    const w = widths[i]!;
    const depth = segmentDepth(anatomy, s);
    const layer = anatomy.layers[s.layer];
    const quoted = !!layer?.quoted;
    const { title, short } = titleOf(anatomy, s);
    const room = w - 8;
    const fits = (t: string) => t.length * charW <= room;
    const bytes = fits(bytesLabel(s.length)) ? bytesLabel(s.length) : String(s.length);
    const lines = fits(title) && fits(bytes) ? [title, bytes] : fits(short) && fits(bytes) ? [short, bytes] : fits(bytes) ? [bytes] : [];
    const d = Math.min(depth, 4);
    const box: AnatomyBox = {
      segment: i,
      layer: s.layer,
      role: s.role,
      family: familyOf(anatomy, s),
      fill: fillOf(anatomy, s, depth, inner),
      depth,
      quoted,
      offset: s.offset,
      length: s.length,
      x,
      width: w,
      y: barTop + d * inset,
      height: barHeight - 2 * d * inset,
      title,
      short,
      lines,
      description: segmentDescription(anatomy, s),
      widened: widenedPastShare(segs, widths, i),
    };
    x += w;
    return box;
  });
}

/** Byte offset → x: one linear piece per box, so bytes inside a widened box spread over it. */
function byteScale(boxes: readonly AnatomyBox[], width: number): ScaleLinear<number, number> {
  const domain: number[] = [0];
  const range: number[] = [0];
  for (const b of boxes) {
    if (b.length <= 0) continue;
    domain.push(b.offset + b.length);
    range.push(b.x + b.width);
  }
  return domain.length > 1 ? scaleLinear().domain(domain).range(range).clamp(true) : scaleLinear().domain([0, 1]).range([0, width]);
}

/** The brackets under the bar, top row first: what each tunnel carries, then what an ICMP error quotes. */
function bracketsOf(anatomy: Anatomy, boxes: readonly AnatomyBox[], scale: ScaleLinear<number, number>): Omit<AnatomyBracket, 'y'>[] {
  const brackets: Omit<AnatomyBracket, 'y'>[] = [];
  for (let d = 1; d <= innerDepth(anatomy); d++) {
    const li = anatomy.layers.findIndex((l) => l.depth >= d && !l.quoted);
    if (li < 0) continue;
    const first = anatomy.layers[li]!;
    const tunnel = anatomy.layers.slice(0, li).reverse().find((l) => l.depth === d - 1);
    // Everything from the first inner header to the last byte of a segment at depth ≥ d.
    const last = boxes.filter((b) => b.depth >= d).at(-1)!;
    const start = first.offset;
    const end = last.offset + last.length;
    brackets.push({ depth: d, x0: scale(start), x1: scale(end), label: bracketLabel(tunnel, first), offset: start, length: end - start });
  }
  const q = anatomy.layers.findIndex((l) => l.quoted);
  if (q >= 0) {
    const first = anatomy.layers[q]!;
    const last = boxes.filter((b) => b.quoted).at(-1);
    const end = last ? last.offset + last.length : first.offset + first.length;
    const icmp = anatomy.layers.slice(0, q).reverse().find((l) => l.kind === 'icmp' || l.kind === 'icmpv6');
    brackets.push({
      depth: first.depth,
      x0: scale(first.offset),
      x1: scale(end),
      label: `${icmp?.title ?? 'ICMP'} error quotes: the original ${first.title} packet`,
      offset: first.offset,
      length: end - first.offset,
    });
  }
  return brackets;
}

/** A box is "widened" when its bytes alone would have made it narrower (the floor lifted it). */
function widenedPastShare(segs: readonly AnatomySegment[], widths: readonly number[], i: number): boolean {
  const total = widths.reduce((a, b) => a + b, 0);
  const bytes = segs.reduce((a, s) => a + s.length, 0);
  return bytes > 0 && (segs[i]!.length / bytes) * total < widths[i]! - 0.01;
}

/**
 * The field at byte `offset`: the one with the narrowest range that holds it, in the deepest
 * layer (a flags byte holds several bit fields: the first of them). Null outside every field.
 */
export function fieldAt(anatomy: Anatomy, offset: number): { layer: number; field: number } | null {
  let best: { layer: number; field: number; length: number } | null = null;
  anatomy.layers.forEach((l, li) => {
    if (offset < l.offset || offset >= l.offset + l.length) return;
    l.fields.forEach((f, fi) => {
      if (offset < f.offset || offset >= f.offset + f.length) return;
      if (!best || f.length < best.length || (f.length === best.length && li > best.layer)) best = { layer: li, field: fi, length: f.length };
    });
  });
  if (!best) return null;
  const { layer, field } = best;
  return { layer, field };
}

/** The layer whose header holds byte `offset`, or the segment's layer for data and trailers. */
export function segmentAt(anatomy: Anatomy, offset: number): number {
  return anatomy.segments.findIndex((s) => offset >= s.offset && offset < s.offset + s.length);
}

/**
 * A sub-byte field as Wireshark prints it: the field's bytes as bits, its own bits shown and
 * the others as dots, nibbles apart: DF in IPv4's flags and fragment offset is
 * ".1.. .... .... ....". Null for a field without `bits`.
 */
export function bitPattern(bytes: Uint8Array, f: Pick<AnatomyField, 'offset' | 'length' | 'bits'>): string | null {
  if (!f.bits) return null;
  const n = f.length * 8;
  let out = '';
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % 4 === 0) out += ' ';
    const inField = i >= f.bits.first && i < f.bits.first + f.bits.count;
    if (!inField) {
      out += '.';
      continue;
    }
    const byte = bytes[f.offset + (i >> 3)];
    out += byte === undefined ? '?' : (byte >> (7 - (i & 7))) & 1 ? '1' : '0';
  }
  return out;
}

/** Whether byte `offset` lies in `r` (a sub-byte field still owns its whole byte). */
export function inRange(r: ByteRange | null | undefined, offset: number): boolean {
  return !!r && offset >= r.offset && offset < r.offset + r.length;
}

/** `anatomy-node1-eth0-frame14.svg`: names a file by where and which frame. */
export function anatomyFileName(node: string, iface: string, frame: number, ext: 'svg' | 'png'): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `anatomy-${safe(node)}-${safe(iface)}-frame${frame}.${ext}`;
}

/** Lines of a hex dump: 16 bytes each, with the offset of the first. */
export function hexRows(length: number, perRow = 16): { offset: number; count: number }[] {
  const rows: { offset: number; count: number }[] = [];
  for (let o = 0; o < length; o += perRow) rows.push({ offset: o, count: Math.min(perRow, length - o) });
  return rows;
}

/**
 * The fields of `anatomy` that a diff says changed, by `${layer}:${field}`. A change names its
 * layer by title and depth; when the depth moved (a decapsulated inner header), the title alone
 * decides, innermost first.
 */
export function changeMap(anatomy: Anatomy, changes: readonly FieldChange[]): Map<string, FieldChange> {
  const out = new Map<string, FieldChange>();
  for (const c of changes) {
    if (c.toLayer !== undefined) {
      const fi = anatomy.layers[c.toLayer]?.fields.findIndex((f) => f.key === c.key) ?? -1;
      if (fi >= 0) out.set(`${c.toLayer}:${fi}`, c);
      continue;
    }
    // A field of a removed layer (toLayer absent while fromLayer is set) has no bytes here.
    if (c.fromLayer !== undefined) continue;
    const candidates = anatomy.layers.map((l, i) => ({ l, i })).filter(({ l }) => l.title === c.layerTitle);
    const exact = candidates.filter(({ l }) => l.depth === c.depth);
    const pool = exact.length ? exact : [...candidates].reverse();
    for (const { l, i } of pool) {
      const fi = l.fields.findIndex((f) => f.key === c.key);
      if (fi >= 0) {
        out.set(`${i}:${fi}`, c);
        break;
      }
    }
  }
  return out;
}

/** The byte ranges of the changed fields, for the hex dump and the bar. */
export function changedRanges(anatomy: Anatomy, changed: ReadonlyMap<string, FieldChange>): ByteRange[] {
  const out: ByteRange[] = [];
  for (const k of changed.keys()) {
    const [li, fi] = k.split(':').map(Number);
    const f = anatomy.layers[li!]?.fields[fi!];
    if (f) out.push({ offset: f.offset, length: f.length });
  }
  return out;
}

/**
 * Bars of every station's copy on one scale (px per byte), so the copies line up as the packet
 * grows by its encapsulation and shrinks again: x and width per segment.
 */
export function overviewBars(anatomies: readonly Anatomy[], width: number): { x: number; width: number; family: LayerFamily; segment: number }[][] {
  const longest = Math.max(1, ...anatomies.map((a) => a.capLen));
  const k = width / longest;
  return anatomies.map((a) => {
    let x = 0;
    return a.segments.map((s, i) => {
      const w = s.length * k;
      const bar = { x, width: w, family: familyOf(a, s), segment: i };
      x += w;
      return bar;
    });
  });
}

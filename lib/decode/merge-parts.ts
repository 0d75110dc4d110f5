/**
 * One file's index from the indexes of its parts, read on several threads (read-pool.ts): the
 * capture that reading the file whole on one thread gives, row for row. Each part numbered its
 * own shapes and IPv6 addresses in the order it met them and timed its rows from its own first
 * packet, so the later parts' ids are renumbered after the earlier parts' (a shape or address
 * already met keeps its first number, as one reader gives it) and their times moved to the
 * first part's origin; the rest is summed or concatenated in file order.
 */
import type { CaptureSummary } from '../capture/types';
import type { CaptureWarning } from '../capture/errors';
import type { SplitPlan } from '../capture/boundary';
import { foldInterfaceStats, wholePackets, type ReaderPosition } from '../capture/read';
import { ERROR_LIMIT, type IndexedCapture } from './capture-index';
import type { QuotedError } from './encapsulation';
import { emptyRow, META_INNER_IPV6, neighbourTarget, PacketIndex } from './packet-index';
import type { Shape } from './summarize';
import { ns } from '../util/units';

/** Shapes a 16-bit column can number; a part at the limit is not merged (it stood for others there). */
const SHAPE_LIMIT = 0xffff;
/**
 * Times (ns from the first packet) whose sums stay exact integers in a double, with room for
 * the reader's (seconds × 1e9) + nanoseconds: beyond it (104 days, or a bogus timestamp) one
 * reader rounds once where the parts and their shift would round twice, and the file is read whole.
 */
const EXACT_NS = 2 ** 53 - 2e9;


/**
 * Whether every timestamped row of a part, and its time moved by `shift`, stays within
 * EXACT_NS. |t| and |t + shift| are largest at the ends of the rows' times, and those ends are
 * shapes' first and last times, so those are all that need checking (rows or none kept).
 */
function movesExactly(part: IndexedCapture, shift: number): boolean {
  for (const times of [part.shapeFirstNs, part.shapeLastNs]) {
    for (const t of times) if (t !== undefined && (Math.abs(t) > EXACT_NS || Math.abs(t + shift) > EXACT_NS)) return false;
  }
  return true;
}

/** A shape's identity, as ShapeTable.intern compares it, with its overlay's IPv6 ids already renumbered. */
function shapeKey(s: Shape, encKey: Float64Array | null): string {
  return `${s.interfaceId}|${s.sllPacketType}|${s.sllIfindex}|${s.cut}|${encKey ? encKey.join(',') : '-'}|${s.codes.join(',')}`;
}

/**
 * The parts of one file, in file order, as one capture; null when they cannot be merged
 * exactly (a part used up the 16-bit shape numbers, a time too far from the first to add
 * exactly), and the file is then read whole. The first part's interfaces become the file's.
 * `files`: the parts are files of their own (one capture's rotated files, in time order), each
 * of whose warnings names its own file and counts its own packets.
 */
export function mergeParts(parts: readonly IndexedCapture[], files = false): IndexedCapture | null {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  if (parts.some((p) => p.shapes.length > SHAPE_LIMIT || p.index.keepsRows !== first.index.keepsRows)) return null;
  const ipv6 = [...first.ipv6];
  const ipv6Id = new Map(ipv6.map((a, i) => [a, i]));
  const shapes = [...first.shapes];
  const shapeId = new Map(shapes.map((s) => [shapeKey(s, s.encKey), s.id]));
  // The time origin: the first part's first timestamped packet, else a later part's.
  const origin = parts.find((p) => !Number.isNaN(p.lastNs)) ?? first;
  const index = new PacketIndex(first.index.keepsRows);
  const icmpErrors = new Map<number, QuotedError>();
  const shapePackets: number[] = [];
  const shapeBytes: number[] = [];
  const shapeFirstNs: number[] = [];
  const shapeLastNs: number[] = [];
  let lastNs = NaN;
  let wireBytes = 0;
  const row = emptyRow();
  for (const part of parts) {
    const v6 = part.ipv6.map((a) => {
      let id = ipv6Id.get(a);
      if (id === undefined) {
        ipv6Id.set(a, (id = ipv6.length));
        ipv6.push(a);
      }
      return id;
    });
    const shapeOf = part.shapes.map((s) => {
      // An overlay over IPv6 keeps its outer addresses' ids in encKey[3] and [4] (ShapeTable.encKey).
      const k = s.encKey;
      const encKey = k && k[5] === 1 ? Float64Array.of(k[0]!, k[1]!, k[2]!, v6[k[3]!]!, v6[k[4]!]!, 1) : k;
      const key = shapeKey(s, encKey);
      let id = shapeId.get(key);
      if (id === undefined) {
        id = shapes.length;
        if (id > SHAPE_LIMIT) return SHAPE_LIMIT;
        shapes.push({ ...s, id, encKey });
        shapeId.set(key, id);
      }
      return id;
    });
    const shift = (part.baseSec - origin.baseSec) * 1e9 + (part.baseNsec - origin.baseNsec);
    if (!(Math.abs(shift) <= EXACT_NS)) return null;
    if (!movesExactly(part, shift)) return null;
    const rowBase = index.count;
    // An index that only counts (stats): its packets are counted on, and there is no row to move.
    if (!index.keepsRows) index.count += part.index.count;
    else for (let r = 0; r < part.index.count; r++) {
      part.index.read(r, row);
      row.shape = shapeOf[row.shape]!;
      if ((row.meta & META_INNER_IPV6) !== 0) {
        row.src = v6[row.src]!;
        row.dst = v6[row.dst]!;
      }
      const target = neighbourTarget(row);
      if (target >= 0) row.ack = v6[target]! + 1;
      row.tsNs += shift;
      index.append(row);
    }
    for (const [r, e] of part.icmpErrors) if (icmpErrors.size < ERROR_LIMIT) icmpErrors.set(rowBase + r, e);
    part.shapePackets.forEach((n, s) => (shapePackets[shapeOf[s]!] = (shapePackets[shapeOf[s]!] ?? 0) + n));
    part.shapeBytes.forEach((n, s) => (shapeBytes[shapeOf[s]!] = (shapeBytes[shapeOf[s]!] ?? 0) + n));
    part.shapeFirstNs.forEach((t, s) => {
      const m = shapeOf[s]!;
      if (!(t + shift >= shapeFirstNs[m]!)) shapeFirstNs[m] = t + shift;
    });
    part.shapeLastNs.forEach((t, s) => {
      const m = shapeOf[s]!;
      if (!(t + shift <= shapeLastNs[m]!)) shapeLastNs[m] = t + shift;
    });
    if (!Number.isNaN(part.lastNs) && !(part.lastNs + shift <= lastNs)) lastNs = part.lastNs + shift;
    wireBytes += part.wireBytes;
  }
  // The first part's interfaces are the file's (no part declared any of its own: joinParts
  // checks), with what every part's statistics blocks said of them.
  for (const part of parts.slice(1)) part.interfaces.forEach((x, i) => first.interfaces[i] && x.stats && foldInterfaceStats(first.interfaces[i], x.stats));
  const packets = parts.reduce((n, p) => n + p.summary.packets, 0);
  // A part counts its packets from its cut: the last one's "cut short" says how many came before it in the whole file.
  const warnings: CaptureWarning[] = [];
  for (const p of parts) {
    for (const w of p.summary.warnings) {
      if (files || w.code !== 'TRUNCATED_FILE' || p === first) warnings.push(w);
      else if (w.message.endsWith(`; ${wholePackets(p.summary.packets)} before it`)) warnings.push({ ...w, message: `${w.message.slice(0, w.message.lastIndexOf('; '))}; ${wholePackets(packets)} before it` });
      else return null;
    }
  }
  const summary: CaptureSummary = {
    ...first.summary,
    bytes: parts.reduce((n, p) => n + p.summary.bytes, 0),
    packets,
    warnings,
  };
  return {
    ...first,
    summary,
    baseSec: origin.baseSec,
    baseNsec: origin.baseNsec,
    index,
    shapes,
    ipv6,
    lastNs: ns(lastNs),
    shapePackets,
    shapeBytes,
    shapeFirstNs,
    shapeLastNs,
    wireBytes,
    icmpErrors,
  };
}

/** What reading one part gave: its capture (none when it did not end on a boundary) and where its reading stopped, or its error. */
export type PartResult = { capture: IndexedCapture | null; position?: ReaderPosition } | { error: Error };

/**
 * A cut file's parts as one capture: the first part's error is the file's (reading it whole
 * stops there too; a later part's error numbers its records from the cut, so it is not used);
 * otherwise each part must have ended, whole, where the next began, and none may have declared
 * what the parts after it did not know. Null when not: the file is then read whole.
 */
export function joinParts(results: readonly PartResult[], plan: SplitPlan): { capture: IndexedCapture } | { error: Error } | null {
  const first = results[0]!;
  if ('error' in first) return { error: first.error };
  const captures: IndexedCapture[] = [];
  for (let k = 0; k < results.length; k++) {
    const r = results[k]!;
    if ('error' in r || !r.capture || !r.position || r.position.stateUnits !== plan.stateUnits) return null;
    if (!plan.parts[k]!.last && r.position.filePos !== plan.parts[k]!.end) return null;
    captures.push(r.capture);
  }
  const merged = mergeParts(captures);
  return merged ? { capture: merged } : null;
}

/**
 * Captures that miss packets of their own. tcpdump drops what its buffer cannot hold ("packets
 * dropped by kernel"), and a busy node's capture does so at random: a packet missing from such a
 * file may have crossed its interface all the same. What a capture misses is measured from the
 * packets themselves: those proven to have crossed its point (seen before and after it on their
 * way, or sent by its own pod and seen further on), and how many of them its file lacks; beside
 * what its pcapng statistics or its tcpdump said it dropped (points.ts). Worked out only for a
 * point where a flow lost something, once per point.
 */
import type { Correlation, CapturePoint, GroupIds } from '../correlate/types';
import { TCP_RST } from '../protocols/numbers';

/**
 * A tcpdump stopped by a signal never writes what the kernel still held for it: a TPACKET_V3
 * block retires after up to twice its 1 s timeout, so up to 2 s of packets before the stop are
 * lost (a healthy ping, two plain tcpdumps on one node stopped by one Ctrl-C: 138 and 140 of
 * 150 packets written). A stream that stops where `to`'s capture ends, in `from`'s last 2 s,
 * may be that.
 */
export const STOP_UNSURE_NS = 2e9;

export interface CaptureMisses {
  /** Packets proven to have crossed the point while its capture ran. */
  crossed: number;
  /** Of those, the ones its file lacks. */
  missed: number;
  /** Packets the capture itself said it dropped (its statistics, or its tcpdump when stopped). */
  reported: number;
}

/**
 * How likely it must be that the capture's own misses explain every packet a flow lacks there
 * before a loss there is not called one: 1 in 100. A capture missing 10 % of what crosses it
 * explains one lost packet (10 %) or two (1 %), never three.
 */
const EXPLAINED_CHANCE = 0.01;

const memo = new WeakMap<Correlation, Map<number, CaptureMisses>>();

/** What `p`'s capture is proven to miss, over every flow whose path crosses it (memoised per correlation). */
export function captureMisses(c: Correlation, p: CapturePoint): CaptureMisses {
  let byPoint = memo.get(c);
  if (!byPoint) memo.set(c, (byPoint = new Map()));
  let m = byPoint.get(p.id);
  if (!m) byPoint.set(p.id, (m = measure(c, p)));
  return m;
}

function measure(c: Correlation, p: CapturePoint): CaptureMisses {
  const m: CaptureMisses = { crossed: 0, missed: 0, reported: p.droppedReported?.dropped ?? 0 };
  // An -i any file's interfaces share one buffer (the copies-missing rules); a point blind in one
  // direction misses that direction by design, not at random. Neither is a witness either: an
  // -i any file holds what stopped before one of its interfaces.
  const blind = new Set(c.blind.map((b) => b.point));
  if (p.merged || blind.has(p.id)) return m;
  const w = recording(c, p);
  for (const f of c.flows) {
    if (!f.path.includes(p.id)) continue;
    const order = f.path.filter((id) => !c.points[id]!.merged && !blind.has(id));
    const j = order.indexOf(p.id);
    count(c, f.requests, order, j, p, w, m);
    const back = [...order].reverse();
    count(c, f.replies, back, back.length - 1 - j, p, w, m);
  }
  return m;
}

/** `p`'s window on the corrected clock, and the clock offset of each point it may be compared with (NaN: a clock not known against `p`'s). */
interface Recording {
  lo: number;
  hi: number;
  offset: Float64Array;
}

function recording(c: Correlation, p: CapturePoint): Recording {
  const clock = (q: CapturePoint) => c.clocks.get(q.host);
  const unknown = (q: CapturePoint) => clock(q)?.method === 'unknown';
  const offset = Float64Array.from(c.points, (q) => (q.host === p.host || (!unknown(q) && !unknown(p)) ? (clock(q)?.offsetNs ?? 0) : NaN));
  // Its window runs to its last packet, or to where its stop is known (a kit's manifest, a
  // pcapng's statistics): tcpdump stopped by a signal loses its last buffer, so there the last
  // 2 s are no witness.
  return { lo: p.firstNs + offset[p.id]!, hi: p.lastNs + offset[p.id]! - (p.stopKnown ? STOP_UNSURE_NS : 0), offset };
}

/** One direction of a flow: its packets (`ids`) along `order`, in which `p` is at `j`. */
function count(c: Correlation, ids: GroupIds, order: number[], j: number, p: CapturePoint, w: Recording, m: CaptureMisses): void {
  const G = c.groups;
  const st = G.store;
  for (const g of ids) {
    let before = -1;
    let after = -1;
    for (let k = 0; k < order.length; k++) {
      if (k === j || !G.seenAt(g, order[k]!)) continue;
      if (k < j) before = k;
      else if (after < 0) after = k;
    }
    if (after < 0) continue;
    const next = G.sightingAt(g, order[after]!);
    // Seen on both sides of the point, or sent by the point's own pod and seen next on its node
    // (not a RST: a node's REJECT forges one from the pod's address, and it never left the pod).
    const crossed =
      before >= 0 ||
      (j === 0 && c.points[order[after]!]!.host === p.host && (G.tcpFlags[g]! & TCP_RST) === 0 && p.podIps.includes(st.addrs.text[st.src[next]!]!));
    if (!crossed || !whileRecording(c, g, w, before >= 0 ? order[before]! : -1, order[after]!)) continue;
    m.crossed++;
    if (!G.seenAt(g, p.id)) m.missed++;
  }
}

/** Whether the capture ran when packet g passed it: between its sightings at `a` (or -1) and `b`, on one clock. */
function whileRecording(c: Correlation, g: number, w: Recording, a: number, b: number): boolean {
  const G = c.groups;
  for (const q of a >= 0 ? [a, b] : [b]) {
    const t = G.store.tNs[G.sightingAt(g, q)]! + w.offset[q]!;
    if (!(t >= w.lo && t <= w.hi)) return false;
  }
  return true;
}

/**
 * The share of what crosses `p` that its capture misses, taken low: the measured share's lower
 * bound (Wilson, one-sided 90 %), so that one miss in one or two witnesses says little, or the
 * share its own count of drops says.
 */
export function missRate(m: CaptureMisses, p: CapturePoint): number {
  const reported = p.droppedReported && p.droppedReported.of > 0 ? p.droppedReported.dropped / p.droppedReported.of : 0;
  return Math.max(lowerBound(m.missed, m.crossed), reported);
}

/** Wilson score interval's lower end for k of n, z = 1.2816 (one-sided 90 %); 0 for none. */
export function lowerBound(k: number, n: number): number {
  if (n === 0 || k === 0) return 0;
  const z2 = 1.2816 ** 2;
  const ph = k / n;
  return Math.max(0, (ph + z2 / (2 * n) - Math.sqrt(1.2816 ** 2 * (ph * (1 - ph) / n + z2 / (4 * n * n)))) / (1 + z2 / n));
}

/**
 * When `lost` packets missing from every capture in `points` (the rest of their way) could all be
 * those captures' own misses (a chance of EXPLAINED_CHANCE or more, each capture missing at its
 * own rate): what the captures are proven to miss, as evidence; else null.
 */
export function missedByCaptures(c: Correlation, points: readonly CapturePoint[], lost: number): string | null {
  if (points.length === 0) return null;
  let chance = 1;
  const lines: string[] = [];
  for (const p of points) {
    const m = captureMisses(c, p);
    const rate = missRate(m, p);
    chance *= rate ** lost;
    if (!(chance >= EXPLAINED_CHANCE)) return null;
    const said = m.reported > 0 ? `its capture said ${m.reported} packet${m.reported === 1 ? ' was' : 's were'} dropped before being recorded` : '';
    const measured = m.missed > 0 ? `its file lacks ${m.missed} of the ${m.crossed} packets proven to have crossed it (seen on both sides of it, or sent by its own pod and seen further on)` : '';
    lines.push(`${p.node}/${p.interface}: ${[measured, said].filter(Boolean).join('; ')}, at least about ${Math.max(1, Math.round(rate * 100))} % of what crosses it`);
  }
  const what = lost === 1 ? 'one packet' : `${lost} packets`;
  return `${lines.join('; ')}: ${what} missing ${points.length === 1 ? 'there' : 'from all of them'} may be ${points.length === 1 ? 'its' : 'their'} own misses`;
}

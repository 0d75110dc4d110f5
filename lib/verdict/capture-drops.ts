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
  const m: CaptureMisses = { crossed: 0, missed: 0, reported: p.droppedReported ?? 0 };
  // An -i any file's interfaces share one buffer (the copies-missing rules); a point blind in one
  // direction misses that direction by design, not at random.
  if (p.merged || c.blind.some((b) => b.point === p.id)) return m;
  for (const f of c.flows) {
    const j = f.path.indexOf(p.id);
    if (j < 0) continue;
    count(c, f.requests, f.path, j, p, m);
    const back = [...f.path].reverse();
    count(c, f.replies, back, back.length - 1 - j, p, m);
  }
  return m;
}

/** One direction of a flow: its packets (`ids`) along `order`, in which `p` is at `j`. */
function count(c: Correlation, ids: GroupIds, order: number[], j: number, p: CapturePoint, m: CaptureMisses): void {
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
    // Seen on both sides of the point, or sent by the point's own pod and seen further on.
    const crossed = before >= 0 || (j === 0 && p.podIps.includes(st.addrs.text[st.src[next]!]!));
    if (!crossed || !whileRecording(c, g, p, before >= 0 ? order[before]! : -1, order[after]!)) continue;
    m.crossed++;
    if (!G.seenAt(g, p.id)) m.missed++;
  }
}

/** Whether `p`'s capture ran when packet g passed it: between its sightings at `a` (or -1) and `b`, on one clock. */
function whileRecording(c: Correlation, g: number, p: CapturePoint, a: number, b: number): boolean {
  const G = c.groups;
  const st = G.store;
  const offsetOf = (q: CapturePoint) => c.clocks.get(q.host)?.offsetNs ?? 0;
  const known = (q: CapturePoint) => q.host === p.host || (c.clocks.get(q.host)?.method !== 'unknown' && c.clocks.get(p.host)?.method !== 'unknown');
  const lo = p.firstNs + offsetOf(p);
  const hi = p.lastNs + offsetOf(p);
  for (const q of a >= 0 ? [a, b] : [b]) {
    const pt = c.points[q]!;
    if (!known(pt)) return false;
    const t = st.tNs[G.sightingAt(g, q)]! + offsetOf(pt);
    if (!(t >= lo && t <= hi)) return false;
  }
  return true;
}

/** The share of what crosses `p` that its capture misses: measured, or as its own count of drops says. */
export function missRate(m: CaptureMisses, p: CapturePoint): number {
  const measured = m.crossed > 0 ? m.missed / m.crossed : 0;
  const reported = m.reported > 0 ? m.reported / (p.packets + m.reported) : 0;
  return Math.max(measured, reported);
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
    lines.push(`${p.node}/${p.interface}: ${[measured, said].filter(Boolean).join('; ')}, about ${Math.max(1, Math.round(rate * 100))} % of what crosses it`);
  }
  const what = lost === 1 ? 'one packet' : `${lost} packets`;
  return `${lines.join('; ')}: ${what} missing ${points.length === 1 ? 'there' : 'from all of them'} may be ${points.length === 1 ? 'its' : 'their'} own misses`;
}

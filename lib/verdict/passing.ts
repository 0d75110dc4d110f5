/**
 * Other traffic to the same destination that took a step while a flow's packets were lost
 * there. Where a ping and HTTP on port 80 cross a node's bridge into a pod and the SYNs to port
 * 8080 never do, neither forwarding, nor a route, nor the pod is the cause: something matching
 * the port (or the client) is. Engineers reason so at once; the captures prove it, on three
 * conditions: the other traffic came the same way (seen at the station before too: a node's own
 * probe leaves by OUTPUT and proves nothing of FORWARD), it went to the same address at that
 * step (a Service's backends differ), and it crossed while this flow's packets were being lost
 * (`strong`); traffic that crossed only before says less (a route deleted since, forwarding
 * switched off), and the step's own causes stay after it.
 */
import type { CapturePoint, Correlation, Flow, GroupIds, PacketGroups } from '../correlate/correlate';

export interface Passing {
  /** What of the others crossed, distinct, as said: "ping", "TCP 80", "UDP 53". */
  what: string[];
  /** Traffic of this flow's own kind (protocol and port) between other ends crossed too. */
  samePort: boolean;
  /** Some of it is this flow's own ends' (the same client for requests, the same server for replies): nothing tied to the source is at fault. */
  sameEnds: boolean;
  /** Some of it crossed after this flow's first packet was lost there. */
  strong: boolean;
}

/** The step, as a direction's stations give it: `before` is the station ahead of `from`, null for the first. */
export interface StepPoints {
  before: CapturePoint | null;
  from: CapturePoint;
  to: CapturePoint;
}

/** "TCP 8080", "UDP 53", "ping". */
export function trafficName(f: Pick<Flow, 'protocol' | 'serverPort'>): string {
  return f.protocol === 'icmp' || f.protocol === 'icmpv6' ? 'ping' : f.serverPort === null ? f.protocol.toUpperCase() : `${f.protocol.toUpperCase()} ${f.serverPort}`;
}

/** One other flow that crossed the step: when it last did (raw ns at `from`, the node's clock). */
interface Crossing {
  flow: Flow;
  name: string;
  lastNs: number;
}

const memo = new WeakMap<Correlation, Map<string, Crossing[]>>();

/** The flows whose packets of one direction to `addr` crossed the step (at `before` too), each with its last such packet's time; once per step. */
function crossings(c: Correlation, dir: 'requests' | 'replies', addr: string, s: StepPoints): Crossing[] {
  let m = memo.get(c);
  if (!m) memo.set(c, (m = new Map()));
  const key = `${dir}|${addr}|${s.before?.id ?? -1}|${s.from.id}|${s.to.id}`;
  let out = m.get(key);
  if (out) return out;
  out = [];
  const G = c.groups;
  const at = [s.before, s.from, s.to].filter((p): p is CapturePoint => p !== null).map((p) => p.id);
  const all = at.reduce((b, p) => b | (1 << p), 0);
  const id = G.store.addrs.idOf(addr);
  for (const g of c.flows) {
    if ((dir === 'requests' ? g.server : g.client) !== addr) continue;
    const masks = dir === 'requests' ? g.summary.requestMasks : g.summary.replyMasks;
    if (!masks.some((x) => (x.mask & all) === all)) continue;
    const t = lastCrossing(G, dir === 'requests' ? g.requests : g.replies, at, s.from.id, id);
    if (t !== null) out.push({ flow: g, name: trafficName(g), lastNs: t });
  }
  m.set(key, out);
  return out;
}

/** The raw time at `from` of the last packet seen at every point of `at` and heading to address `addr` (its id) there; null if none. */
function lastCrossing(G: PacketGroups, ids: GroupIds, at: number[], from: number, addr: number): number | null {
  const st = G.store;
  for (let k = ids.length - 1; k >= 0; k--) {
    const g = ids[k]!;
    if (!at.every((p) => G.seenAt(g, p))) continue;
    const i = G.sightingAt(g, from);
    if (i >= 0 && st.dst[i] === addr) return st.tNs[i]!;
  }
  return null;
}

/**
 * What crossed the step (`lostNs`: this flow's first lost packet there, raw at `from`). Null
 * where it says nothing: the step spans two nodes (across the underlay a filter sees the outer
 * packets), the packets were translated before `from` (`dst`, where they were heading there, is
 * not the address the flow dialled), some of the flow's own packets took the step (lost at
 * random or sometimes, not by a rule), the same kind of traffic between the same ends crossed,
 * no masks say where packets were seen (over 30 points), or nothing else crossed.
 */
export function passingAt(f: Flow, c: Correlation, s: StepPoints, dir: 'requests' | 'replies', dst: string, lostNs: number): Passing | null {
  const addr = dir === 'requests' ? f.server : f.client;
  if (s.from.host !== s.to.host || f.summary.seenMask === -1 || dst !== addr || Number.isNaN(lostNs)) return null;
  const both = (1 << s.from.id) | (1 << s.to.id);
  if ((dir === 'requests' ? f.summary.requestMasks : f.summary.replyMasks).some((m) => (m.mask & both) === both)) return null;
  const own = trafficName(f);
  // This flow's own ends: its client (requests) or server (replies), the other side being the same address.
  const sameEnds = (g: Flow) => (dir === 'requests' ? g.client === f.client : g.server === f.server);
  const what = new Set<string>();
  const p: Passing = { what: [], samePort: false, sameEnds: false, strong: false };
  for (const x of crossings(c, dir, addr, s)) {
    if (x.flow === f) continue;
    if (x.name === own && sameEnds(x.flow)) return null;
    what.add(x.name);
    if (x.name === own) p.samePort = true;
    if (sameEnds(x.flow)) p.sameEnds = true;
    if (x.lastNs >= lostNs) p.strong = true;
  }
  p.what = [...what].sort();
  return what.size > 0 ? p : null;
}

/**
 * Each node's clock against a reference node, as NTP does: for packets seen on both nodes,
 * d = t_node − t_ref is delay + θ going one way and θ − delay coming back, so the minimum
 * one-way figures bracket θ. With packets in one direction only, the delay is taken as zero.
 */
import { ns } from '../util/units';
import type { PacketGroups } from './groups';
import type { CapturePoint, Flow, NodeClock } from './types';

/** Packets per flow used for clock offsets: the minimum one-way delay settles long before. */
const CLOCK_SAMPLE = 4_000;

/**
 * For packets travelling from node a to node b: the least t_b − t_a, and how many there were.
 * t_a is the packet's last sighting on a (where it left, its NIC) and t_b its first on b (where
 * it arrived): the time it spent inside either node is no delay of the wire, and taken as part
 * of the offset it put a node's NIC after the other's (the hop diagram's time sequence ran
 * backwards by the time node1 took from the pod's veth to its NIC).
 */
interface OneWay {
  min: Float64Array;
  samples: Uint32Array;
}

function oneWayDelays(flows: Flow[], G: PacketGroups, pointNode: Int32Array, n: number): OneWay {
  const st = G.store;
  const min = new Float64Array(n * n).fill(Infinity);
  const samples = new Uint32Array(n * n);
  const first = new Float64Array(n);
  const last = new Float64Array(n);
  const order = new Int32Array(n);
  /** Per node, 1 where the flow's path comes back to it after another node (a NodePort answered by a pod of the first node). */
  const revisited = new Uint8Array(n);
  for (const f of flows) {
    order.fill(-1);
    revisited.fill(0);
    f.path.forEach((pid, i) => {
      const node = pointNode[pid]!;
      if (order[node] === -1) order[node] = i;
      else if (pointNode[f.path[i - 1]!] !== node) revisited[node] = 1;
    });
    const step = Math.max(1, Math.floor(f.groups.length / CLOCK_SAMPLE));
    for (let gi = 0; gi < f.groups.length; gi += step) {
      const g = f.groups[gi]!;
      // Which copy of a resent packet one capture holds is a guess where they hold different ones.
      if (G.unevenCopies.size > 0 && G.unevenCopies.has(g)) continue;
      first.fill(NaN);
      last.fill(NaN);
      let seenNodes = 0;
      for (let k = G.from(g), e = G.to(g); k < e; k++) {
        const i = st.order[k]!;
        const t = st.tNs[i]!;
        if (Number.isNaN(t)) continue;
        const node = pointNode[st.point[i]!]!;
        if (Number.isNaN(first[node]!)) seenNodes++;
        if (!(t >= first[node]!)) first[node] = t;
        if (!(t <= last[node]!)) last[node] = t;
      }
      if (seenNodes < 2) continue;
      for (let a = 0; a < n; a++) {
        if (Number.isNaN(first[a]!) || order[a] === -1) continue;
        for (let b = 0; b < n; b++) {
          if (a === b || Number.isNaN(first[b]!) || order[b] === -1) continue;
          // Does this packet travel from a to b?
          if (!(G.dir[g] === 1 ? order[a]! < order[b]! : order[a]! > order[b]!)) continue;
          // Where the path comes back to a, its last sighting there may come after b: its first is then the safe end.
          const d = first[b]! - (revisited[a] ? first[a]! : last[a]!);
          if (d < min[a * n + b]!) min[a * n + b] = d;
          samples[a * n + b]!++;
        }
      }
    }
  }
  return { min, samples };
}

/** θ of b relative to a, from both directions when there are both. */
function theta(w: OneWay, n: number, a: number, b: number): { theta: number; method: NodeClock['method']; n: number } | null {
  const ab = w.samples[a * n + b]! > 0; // t_b − t_a for a→b packets = delay + θ
  const ba = w.samples[b * n + a]! > 0; // t_a − t_b for b→a packets = delay − θ
  if (ab && ba) return { theta: (w.min[a * n + b]! - w.min[b * n + a]!) / 2, method: 'two-way', n: w.samples[a * n + b]! + w.samples[b * n + a]! };
  if (ab) return { theta: w.min[a * n + b]!, method: 'one-way', n: w.samples[a * n + b]! };
  if (ba) return { theta: -w.min[b * n + a]!, method: 'one-way', n: w.samples[b * n + a]! };
  return null;
}

/**
 * Whether times taken on hosts `a` and `b` compare once corrected: one machine, or both clocks
 * measured against the same node (the reference, or a node of their own side when neither
 * shares a packet with the reference's).
 */
export function clocksCompare(clocks: ReadonlyMap<string, NodeClock>, a: string, b: string): boolean {
  if (a === b) return true;
  const x = clocks.get(a);
  const y = clocks.get(b);
  return x !== undefined && y !== undefined && x.base === y.base;
}

/**
 * The other nodes of an unknown clock's side: those measured against the same node of theirs
 * (`base`, which a report leaves out where it is the node itself). Empty for a known clock.
 */
export function clockSide(clocks: readonly { node: string; method: string; base?: string }[], node: string): string[] {
  const own = clocks.find((c) => c.node === node);
  if (own?.method !== 'unknown') return [];
  const base = own.base ?? node;
  return clocks.filter((c) => c.method === 'unknown' && c.node !== node && (c.base ?? c.node) === base).map((c) => c.node);
}

export function estimateClocks(flows: Flow[], groups: PacketGroups, points: CapturePoint[]): Map<string, NodeClock> {
  // Per machine: a capture inside a pod runs on its node's clock.
  const nodes = [...new Set(points.map((p) => p.host))];
  const clocks = new Map<string, NodeClock>();
  if (nodes.length === 0) return clocks;
  const index = new Map(nodes.map((name, i) => [name, i]));
  const pointNode = Int32Array.from(points, (p) => index.get(p.host)!);
  const n = nodes.length;
  // One machine, one clock: nothing to measure (and the walk over every flow's packets is the
  // costliest part of a single big capture's analysis).
  if (n === 1) {
    clocks.set(nodes[0]!, { node: nodes[0]!, offsetNs: ns(0), method: 'reference', samples: 0, base: nodes[0]! });
    return clocks;
  }
  const w = oneWayDelays(flows, groups, pointNode, n);
  // Reference: the node most flows start on (the client side), then by name.
  const starts = new Map<string, number>();
  for (const f of flows) if (f.clientNode) starts.set(f.clientNode, (starts.get(f.clientNode) ?? 0) + 1);
  const ref = [...nodes].sort((a, b) => (starts.get(b) ?? 0) - (starts.get(a) ?? 0) || a.localeCompare(b))[0]!;
  clocks.set(ref, { node: ref, offsetNs: ns(0), method: 'reference', samples: 0, base: ref });
  // Breadth-first from the reference, preferring two-way estimates. Nodes it never reaches share
  // no packet with its side; each group of them that shares packets among themselves is measured
  // the same way from its own first node: 'unknown' against the reference, comparable inside.
  const measure = (root: string, unknown: boolean) => {
    const queue = [root];
    while (queue.length > 0) {
      const a = queue.shift()!;
      const base = clocks.get(a)!;
      for (const b of nodes) {
        if (clocks.has(b)) continue;
        const t = theta(w, n, index.get(a)!, index.get(b)!);
        if (!t) continue;
        const method = unknown ? 'unknown' : base.method === 'one-way' ? 'one-way' : t.method;
        clocks.set(b, { node: b, offsetNs: ns(base.offsetNs - t.theta), method, samples: t.n, base: root });
        queue.push(b);
      }
    }
  };
  measure(ref, false);
  for (const node of nodes) {
    if (clocks.has(node)) continue;
    clocks.set(node, { node, offsetNs: ns(0), method: 'unknown', samples: 0, base: node });
    measure(node, true);
  }
  return clocks;
}

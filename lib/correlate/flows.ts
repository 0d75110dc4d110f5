/**
 * Flows: the packet groups whose connections the walk joined (connections.ts), one flow per
 * joined set, groups in order of first sighting. Also the pod veths' own addresses, learned
 * from what crossed them.
 */
import { BACKGROUND_KINDS } from './background';
import type { SightingStore, SightingsResult } from './sightings';
import type { CapturePoint, Flow, FlowSummary, GroupIds, Protocol } from './types';

export function protocolName(proto: number): Protocol {
  return proto === 1 ? 'icmp' : proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 58 ? 'icmpv6' : 'other';
}

/** The ids among `ids` that `keep` keeps, in a plain array (what is mapped from it stays whole). */
export function idsWhere(ids: GroupIds, keep: (g: number) => boolean): number[] {
  const out: number[] = [];
  for (const g of ids) if (keep(g)) out.push(g);
  return out;
}

/** A flow's lists and sums before they are filled: each is replaced whole, never written into. */
const NO_GROUPS = new Int32Array(0);
const NO_SUMMARY: FlowSummary = { seenMask: 0, firstNs: Infinity, lastNs: -Infinity, requestMasks: [], replyMasks: [], furthestAck: -1, furthestSeq: -1 };

function emptyFlow(id: number, proto: number): Flow {
  return {
    id,
    protocol: protocolName(proto),
    proto,
    client: '',
    clientPort: null,
    server: '',
    serverPort: null,
    icmpId: null,
    groups: NO_GROUPS,
    requests: NO_GROUPS,
    replies: NO_GROUPS,
    path: [],
    clientNode: '',
    icmpErrors: [],
    summary: NO_SUMMARY,
  };
}

/**
 * Each group in the flow of its connection; the flows in the order of their first packet, each
 * group's flow (`flows[flowOf[g]]`, in the groups' `conn` column from now on), and the flow of a
 * connection node (ICMP errors find theirs by the connection they quote).
 */
export function buildFlows(w: SightingsResult): { flows: Flow[]; flowOfConnection: (node: number) => Flow | undefined; flowOf: Int32Array } {
  const groups = w.groups;
  w.store.index(groups.count);
  const flows: Flow[] = [];
  // Each group's flow, and each flow's count: then every list is made at its size. The flow
  // takes the place of the group's connection, which nothing reads again (a column less, 4 MB
  // on a 1M-packet capture).
  const flowOf = groups.conn;
  const sizes: number[] = [];
  // By connection root, its flow's id (-1 none).
  const flowAt = new Int32Array(w.conns.size).fill(-1);
  for (let g = 0; g < groups.count; g++) {
    const root = w.conns.root(groups.conn[g]!);
    let id = flowAt[root]!;
    if (id < 0) {
      flowAt[root] = id = flows.length;
      flows.push(emptyFlow(id, groups.proto[g]!));
      sizes.push(0);
    }
    flowOf[g] = id;
    sizes[id]!++;
  }
  for (const f of flows) f.groups = new Int32Array(sizes[f.id]!);
  sizes.fill(0);
  for (let g = 0; g < groups.count; g++) {
    const n = flowOf[g]!;
    flows[n]!.groups[sizes[n]!++] = g;
  }
  const flowOfConnection = (node: number) => {
    const root = w.conns.root(node);
    return root < flowAt.length && flowAt[root]! >= 0 ? flows[flowAt[root]!] : undefined;
  };
  return { flows, flowOfConnection, flowOf };
}

/** Each point's background counts, from the walk's table. */
export function fillBackground(points: CapturePoint[], w: SightingsResult): void {
  for (const p of points) BACKGROUND_KINDS.forEach((k, i) => (p.background[k] = w.background[p.id * BACKGROUND_KINDS.length + i]!));
}

/** The TTLs (hop limits) hosts send with. */
export const INITIAL_TTLS = new Set([64, 128, 255]);

/** Sightings of a pod veth examined to learn the pod's own address (the one on all of them). */
const POD_ADDRESS_SAMPLE = 4096;

/**
 * Each pod veth's own address: the one seen most in its first packets. Where the capture says
 * which way a packet went on the veth (`-i any`, SLL), the source of what came in from the
 * pod and the destination of what went out to it count double: with only two pods talking,
 * both addresses are in every packet. Elsewhere the source of a packet with an initial TTL
 * counts double: nothing routed it yet.
 */
export function learnPodAddresses(points: CapturePoint[], store: SightingStore, direction: (i: number) => 'in' | 'out' | null): void {
  const counts = new Map<number, Map<number, number>>();
  const taken = new Int32Array(points.length);
  const add = (m: Map<number, number>, a: number, k: number) => m.set(a, (m.get(a) ?? 0) + k);
  for (let i = 0; i < store.n; i++) {
    const p = store.point[i]!;
    if (points[p]!.role !== 'pod' || taken[p]!++ >= POD_ADDRESS_SAMPLE) continue;
    let m = counts.get(p);
    if (!m) counts.set(p, (m = new Map()));
    const d = direction(i);
    // Without a direction from the capture, the TTL says it: a packet the pod sent crosses its
    // veth with an initial TTL (64, 128, 255), one routed to it with less.
    const fromHere = d === 'in' || (d === null && INITIAL_TTLS.has(store.ttl[i]!));
    add(m, store.src[i]!, fromHere ? 2 : 1);
    add(m, store.dst[i]!, d === 'out' ? 2 : 1);
  }
  for (const p of points) {
    let best = -1;
    let n = 0;
    // Per family, the leader and the runner-up: a dual-stack pod has one address of each.
    const lead = [-1, -1];
    const top = [0, 0];
    const second = [0, 0];
    for (const [a, k] of counts.get(p.id) ?? []) {
      if (k > n) [best, n] = [a, k];
      const f = store.addrs.text[a]!.includes(':') ? 1 : 0;
      if (k > top[f]!) [lead[f], top[f], second[f]] = [a, k, top[f]!];
      else if (k > second[f]!) second[f] = k;
    }
    p.podIp = best >= 0 ? store.addrs.text[best]! : null;
    p.podIps = [0, 1].filter((f) => lead[f]! >= 0 && (lead[f] === best || top[f]! > second[f]!)).map((f) => store.addrs.text[lead[f]!]!);
  }
}

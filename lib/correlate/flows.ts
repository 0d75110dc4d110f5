/**
 * Flows: the packet groups whose connections the walk joined (connections.ts), one flow per
 * joined set, groups in order of first sighting.
 */
import { BACKGROUND_KINDS } from './background';
import type { SightingStore } from './groups';
import type { SightingsResult } from './sightings';
import type { CapturePoint, Flow, FlowSummary, GroupIds, Protocol } from './types';
import { ns } from '../util/units';

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
const NO_SUMMARY: FlowSummary = { seenMask: 0, firstNs: ns(Infinity), lastNs: ns(-Infinity), requestMasks: [], replyMasks: [], furthestAck: -1, furthestSeq: -1 };

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


/**
 * Flows: the packet groups whose connections the walk joined (connections.ts), one flow per
 * joined set, groups in order of first sighting. Also the pod veths' own addresses, learned
 * from what crossed them.
 */
import { BACKGROUND_KINDS } from './background';
import type { SightingsResult } from './sightings';
import type { CapturePoint, Flow, Protocol } from './types';

export function protocolName(proto: number): Protocol {
  return proto === 1 ? 'icmp' : proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 58 ? 'icmpv6' : 'other';
}

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
    groups: [],
    requests: [],
    replies: [],
    path: [],
    clientNode: '',
    icmpErrors: [],
  };
}

/** Each group in the flow of its connection; the flows in the order of their first packet. */
export function buildFlows(w: SightingsResult): { flows: Flow[]; flowOfRoot: Map<number, Flow> } {
  const groups = w.groups;
  w.store.index(groups.count);
  const flowOfRoot = new Map<number, Flow>();
  const flows: Flow[] = [];
  for (let g = 0; g < groups.count; g++) {
    const root = w.conns.root(groups.conn[g]!);
    let f = flowOfRoot.get(root);
    if (!f) {
      flowOfRoot.set(root, (f = emptyFlow(flows.length, groups.proto[g]!)));
      flows.push(f);
    }
    f.groups.push(g);
  }
  return { flows, flowOfRoot };
}

/** Each point's background counts, from the walk's table. */
export function fillBackground(points: CapturePoint[], w: SightingsResult): void {
  for (const p of points) BACKGROUND_KINDS.forEach((k, i) => (p.background[k] = w.background[p.id * BACKGROUND_KINDS.length + i]!));
}

/** Each pod veth's own address: the one seen most in its first packets. */
export function learnPodAddresses(points: CapturePoint[], w: SightingsResult): void {
  for (const [point, counts] of w.podAddrCounts) {
    let best = -1;
    let n = 0;
    for (const [a, k] of counts) if (k > n) [best, n] = [a, k];
    points[point]!.podIp = best >= 0 ? w.store.addrs.text[best]! : null;
  }
}

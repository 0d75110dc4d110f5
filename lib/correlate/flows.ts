/**
 * Flows: the packet groups whose connections the walk joined (connections.ts), one flow per
 * joined set, groups in order of first sighting. Also the pod veths' own addresses, learned
 * from what crossed them.
 */
import { ns } from '../util/units';
import { PacketGroup, type SightingsResult } from './sightings';
import type { CapturePoint, Flow, Protocol } from './types';

export function protocolName(proto: number): Protocol {
  return proto === 1 ? 'icmp' : proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 58 ? 'icmpv6' : 'other';
}

function emptyFlow(id: number, g: PacketGroup): Flow {
  return {
    id,
    protocol: protocolName(g.proto),
    proto: g.proto,
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

/** The walk's groups as objects, each in the flow of its connection. */
export function buildFlows(w: SightingsResult, useMasks: boolean): { flows: Flow[]; groups: PacketGroup[]; flowOfRoot: Map<number, Flow> } {
  const cols = w.groups;
  w.store.index(cols.count);
  const groups: PacketGroup[] = new Array(cols.count);
  const flowOfRoot = new Map<number, Flow>();
  const flows: Flow[] = [];
  for (let i = 0; i < cols.count; i++) {
    const g = new PacketGroup(i, cols.proto[i]!, cols.ipLen[i]!, cols.seq[i]!, cols.flags[i]!, w.store);
    g.firstNs = ns(cols.first[i]!);
    g.pointMask = useMasks ? cols.mask[i]! : -1;
    groups[i] = g;
    const root = w.conns.root(cols.conn[i]!);
    let f = flowOfRoot.get(root);
    if (!f) {
      flowOfRoot.set(root, (f = emptyFlow(flows.length, g)));
      flows.push(f);
    }
    f.groups.push(g);
  }
  return { flows, groups, flowOfRoot };
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

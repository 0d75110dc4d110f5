/**
 * A flow's path: the client's node first, its points in egress order (pod veth → bridge →
 * overlay → NIC); then the other nodes the flow reached, in ingress order (NIC → overlay →
 * bridge → pod veth). Nodes are ordered by what the packets show (TTL), never by file order.
 */
import { EGRESS_ORDER, type InterfaceRole } from '../protocols/devices';
import { CLIENT_SAMPLE } from './direction';
import type { SightingStore } from './sightings';
import type { CapturePoint, Flow } from './types';

const egressRank = (r: InterfaceRole) => EGRESS_ORDER.indexOf(r);
/** Arriving at a node the order turns round; `-i any` stays last. */
const ingressRank = (r: InterfaceRole) => (r === 'any' ? EGRESS_ORDER.length : EGRESS_ORDER.length - 2 - EGRESS_ORDER.indexOf(r));

interface NodeSeen {
  reqTtl: number;
  repTtl: number;
  seen: boolean;
}

/** Where the flow was seen (every packet counts) and the highest TTL each way per point (the first packets suffice). */
function observe(f: Flow, points: CapturePoint[]): { seenAt: Uint8Array; reqTtl: Int16Array; repTtl: Int16Array } {
  const reqTtl = new Int16Array(points.length).fill(-1);
  const repTtl = new Int16Array(points.length).fill(-1);
  const seenAt = new Uint8Array(points.length);
  let reqSeen = 0;
  let repSeen = 0;
  let seenMask = 0;
  for (const g of f.groups) {
    const st = g.store;
    const sample = g.dir === 1 ? reqSeen++ < CLIENT_SAMPLE : repSeen++ < CLIENT_SAMPLE;
    if (!sample && g.pointMask !== -1) {
      seenMask |= g.pointMask;
      continue;
    }
    const ttl = g.dir === 1 ? reqTtl : repTtl;
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      const p = st.point[i]!;
      seenAt[p] = 1;
      if (sample && st.ttl[i]! > ttl[p]!) ttl[p] = st.ttl[i]!;
    }
  }
  for (let p = 0; p < 30 && p < points.length; p++) if (seenMask & (1 << p)) seenAt[p] = 1;
  for (const e of f.icmpErrors) seenAt[e.point] = 1;
  return { seenAt, reqTtl, repTtl };
}

/** The other nodes the flow reached, in the order its packets crossed them. */
function serverSideNodes(f: Flow, points: CapturePoint[], obs: ReturnType<typeof observe>, owners: () => Map<string, string>): string[] {
  const nodes = new Map<string, NodeSeen>();
  for (const p of points) {
    let n = nodes.get(p.node);
    if (!n) nodes.set(p.node, (n = { reqTtl: -1, repTtl: -1, seen: false }));
    if (obs.seenAt[p.id]) n.seen = true;
    n.reqTtl = Math.max(n.reqTtl, obs.reqTtl[p.id]!);
    n.repTtl = Math.max(n.repTtl, obs.repTtl[p.id]!);
  }
  const others = [...nodes.entries()].filter(([name]) => name !== f.clientNode);
  const seen = others.filter(([, n]) => n.seen);
  seen.sort(([a, x], [b, y]) => {
    // Requests lose TTL as they go: a node that saw them with a higher TTL comes first.
    if (x.reqTtl >= 0 && y.reqTtl >= 0 && x.reqTtl !== y.reqTtl) return y.reqTtl - x.reqTtl;
    if (x.reqTtl >= 0 !== y.reqTtl >= 0) return x.reqTtl >= 0 ? -1 : 1;
    // Replies start at the server: a higher reply TTL is farther along the request path.
    if (x.repTtl !== y.repTtl) return x.repTtl - y.repTtl;
    return a.localeCompare(b);
  });
  if (seen.length > 0) return seen.map(([name]) => name);
  // Nothing left the client's node. The server's node is the one whose pods use the server
  // address (learned from other flows); else every other node is a candidate.
  const owner = owners().get(f.server) ?? null;
  return owner && owner !== f.clientNode ? [owner] : others.map(([name]) => name).sort();
}

/** Addresses the requests carried (before and after NAT), with the flow's own. */
function requestAddresses(f: Flow): { client: Set<string>; server: Set<string> } {
  const client = new Set<string>([f.client]);
  const server = new Set<string>([f.server]);
  for (const g of f.requests.slice(0, CLIENT_SAMPLE)) {
    const st = g.store;
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      client.add(st.addrs.text[st.src[i]!]!);
      server.add(st.addrs.text[st.dst[i]!]!);
    }
  }
  return { client, server };
}

export function pathOf(f: Flow, points: CapturePoint[], owners: () => Map<string, string>): number[] {
  const obs = observe(f, points);
  const onPath = serverSideNodes(f, points, obs, owners);
  const addrs = requestAddresses(f);
  // A pod veth belongs on the path when the flow crossed it or it is one end's pod.
  const keep = (p: CapturePoint) =>
    obs.seenAt[p.id] === 1 || p.role !== 'pod' || p.podIp === null || addrs.server.has(p.podIp) || addrs.client.has(p.podIp);
  // Same-node flows: the server pod's veth comes last on the client's node.
  const isServerPod = (p: CapturePoint) => p.role === 'pod' && p.podIp !== null && addrs.server.has(p.podIp) && !addrs.client.has(p.podIp);
  const out = points
    .filter((p) => p.node === f.clientNode && keep(p))
    .sort((a, b) => (isServerPod(a) ? 9 : egressRank(a.role)) - (isServerPod(b) ? 9 : egressRank(b.role)) || a.id - b.id)
    .map((p) => p.id);
  for (const node of onPath) {
    const ps = points.filter((p) => p.node === node && keep(p)).sort((a, b) => ingressRank(a.role) - ingressRank(b.role) || a.id - b.id);
    out.push(...ps.map((p) => p.id));
  }
  return skipUnseenBetweenSeen(out, points, obs.seenAt);
}

/**
 * Packets cannot skip a capture point: one that saw nothing of the flow between two that did
 * on its node is not on this flow's path (a pod talking to the outside never crosses tunl0).
 */
function skipUnseenBetweenSeen(out: number[], points: CapturePoint[], seenAt: Uint8Array): number[] {
  return out.filter((id, i) => {
    if (seenAt[id]) return true;
    const node = points[id]!.node;
    const before = out.slice(0, i).some((o) => seenAt[o] && points[o]!.node === node);
    const after = out.slice(i + 1).some((o) => seenAt[o] && points[o]!.node === node && points[o]!.role !== 'any');
    return !(before && after);
  });
}

/**
 * Which node each address belongs to, from the pod veths' own addresses and from what bridges
 * and pod veths saw as a source: built once, by one pass over the sightings.
 */
export function addressOwners(points: CapturePoint[], store: SightingStore): Map<string, string> {
  const owners = new Map<string, string>();
  for (const p of points) if (p.role === 'pod' && p.podIp !== null) owners.set(p.podIp, p.node);
  const decided = new Uint8Array(store.addrs.text.length);
  for (let i = 0; i < store.n; i++) {
    const a = store.src[i]!;
    if (decided[a]) continue;
    const p = points[store.point[i]!]!;
    if (p.role !== 'bridge' && p.role !== 'pod') continue;
    decided[a] = 1;
    const text = store.addrs.text[a]!;
    if (!owners.has(text)) owners.set(text, p.node);
  }
  return owners;
}

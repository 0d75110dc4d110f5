/**
 * Where a packet is captured on its way, and how it looks at each point: the hops of a route.
 *
 *   pod → pod on the other node   veth? → cni0 → flannel.1 (TTL−1) → eth0 (VXLAN) → eth0 →
 *                                 flannel.1 → cni0 (TTL−2) → veth?
 *   pod → another node's address  veth? → cni0 → eth0 (TTL−1, MASQUERADE'd) → eth0
 *   node or outside → pod         eth0 → eth0 → cni0 (TTL−1) → veth?
 *   node → its own pod            cni0 → veth?           pod → its own node: veth? → cni0
 *   pod → pod on the same node    veth? → veth? → cni0  (bridged; cni0 sees it because tcpdump
 *                                 makes the bridge promiscuous)
 *   host → host                   eth0 → eth0
 *
 * `veth?` is a capture point only for the two pods whose veth was captured.
 */
import type { ClusterNode, Endpoint, Service } from './cluster';
import type { Tuple } from './wire';

/** How long a packet takes from the previous point (or from its sender) to this one. */
export type Delay = 'first' | 'bridge' | 'route' | 'encap' | 'wire' | 'decap';

export interface Hop {
  point: number;
  /** Whose clock timestamps this capture. */
  node: ClusterNode;
  delay: Delay;
  /** Routing steps the packet has taken by here: each lowers the TTL by one. */
  ttlDrop: number;
  /** The frame's MACs; for a VXLAN packet, the inner frame's (VTEP) MACs. */
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  vxlan: { from: ClusterNode; to: ClusterNode } | null;
}

/** One direction of a conversation: the hops, and what NAT does to the packet on the way. */
export interface Channel {
  hops: Hop[];
  /** From this hop on the packet carries `rewrite` instead of the tuple its sender wrote. */
  rewriteFrom: number;
  rewrite: Tuple | null;
  /** Hops from `reach` on never see the packet (dropped after hop reach − 1). */
  reach: number;
  /** When the last packet passed each hop: packets of one flow keep their order. */
  lastAt: Float64Array;
}

function hop(point: number, node: ClusterNode, delay: Delay, ttlDrop: number, dstMac: Uint8Array, srcMac: Uint8Array): Hop {
  return { point, node, delay, ttlDrop, dstMac, srcMac, vxlan: null };
}

function vxlanHop(point: number, node: ClusterNode, delay: Delay, from: ClusterNode, to: ClusterNode): Hop {
  return { point, node, delay, ttlDrop: 1, dstMac: to.vtepMac, srcMac: from.vtepMac, vxlan: { from, to } };
}

/** The hops of a packet from `src` to `dst` (dst as routed, i.e. after any DNAT). */
export function route(src: Endpoint, dst: Endpoint): Hop[] {
  const hops: Hop[] = [];
  const next = (): Delay => (hops.length === 0 ? 'first' : 'bridge');
  const sn = src.node;
  const dn = dst.node;
  if (src.kind === 'pod' && sn) {
    if (dst.kind === 'pod' && dn === sn) {
      // Bridged port to port. tcpdump puts cni0 in promiscuous mode, and a promiscuous bridge
      // passes every frame it forwards up to itself too (br_handle_frame_finish): cni0 sees it
      // just after the bridge has sent it out the other port.
      if (src.vethPoint !== null) hops.push(hop(src.vethPoint, sn, next(), 0, dst.mac, src.mac));
      if (dst.vethPoint !== null) hops.push(hop(dst.vethPoint, sn, next(), 0, dst.mac, src.mac));
      hops.push(hop(sn.points.cni0, sn, next(), 0, dst.mac, src.mac));
      return hops;
    }
    if (src.vethPoint !== null) hops.push(hop(src.vethPoint, sn, next(), 0, sn.cni0Mac, src.mac));
    hops.push(hop(sn.points.cni0, sn, next(), 0, sn.cni0Mac, src.mac));
    if (dn === sn) return hops;
    if (dst.kind === 'pod' && dn) {
      hops.push(hop(sn.points.flannel, sn, 'route', 1, dn.vtepMac, sn.vtepMac));
      hops.push(vxlanHop(sn.points.eth0, sn, 'encap', sn, dn));
      hops.push(vxlanHop(dn.points.eth0, dn, 'wire', sn, dn));
      hops.push(hop(dn.points.flannel, dn, 'decap', 1, dn.vtepMac, sn.vtepMac));
      hops.push(hop(dn.points.cni0, dn, 'route', 2, dst.mac, dn.cni0Mac));
      if (dst.vethPoint !== null) hops.push(hop(dst.vethPoint, dn, 'bridge', 2, dst.mac, dn.cni0Mac));
      return hops;
    }
    hops.push(hop(sn.points.eth0, sn, 'route', 1, dst.mac, sn.mac));
    if (dn) hops.push(hop(dn.points.eth0, dn, 'wire', 1, dst.mac, sn.mac));
    return hops;
  }
  if (dst.kind === 'pod' && dn) {
    if (sn === dn) {
      hops.push(hop(dn.points.cni0, dn, 'first', 0, dst.mac, dn.cni0Mac));
      if (dst.vethPoint !== null) hops.push(hop(dst.vethPoint, dn, 'bridge', 0, dst.mac, dn.cni0Mac));
      return hops;
    }
    if (sn) hops.push(hop(sn.points.eth0, sn, 'first', 0, dn.mac, src.mac));
    hops.push(hop(dn.points.eth0, dn, sn ? 'wire' : 'first', 0, dn.mac, src.mac));
    hops.push(hop(dn.points.cni0, dn, 'route', 1, dst.mac, dn.cni0Mac));
    if (dst.vethPoint !== null) hops.push(hop(dst.vethPoint, dn, 'bridge', 1, dst.mac, dn.cni0Mac));
    return hops;
  }
  if (sn) hops.push(hop(sn.points.eth0, sn, 'first', 0, dst.mac, src.mac));
  if (dn && dn !== sn) hops.push(hop(dn.points.eth0, dn, sn ? 'wire' : 'first', 0, dst.mac, src.mac));
  return hops;
}

export function channel(src: Endpoint, dst: Endpoint): Channel {
  const hops = route(src, dst);
  return { hops, rewriteFrom: Infinity, rewrite: null, reach: hops.length, lastAt: new Float64Array(hops.length) };
}

function indexOf(ch: Channel, point: number): number {
  const i = ch.hops.findIndex((h) => h.point === point);
  if (i < 0) throw new Error(`no hop at capture point ${point} on this route`);
  return i;
}

export type Nat = { kind: 'dnat'; service: Service } | { kind: 'masquerade' } | null;

/** Both directions of a conversation, and the tuple each side writes. */
export interface Conversation {
  fwd: Channel;
  rev: Channel;
  clientTuple: Tuple;
  serverTuple: Tuple;
}

/**
 * A conversation between `client`:clientPort and `server`:serverPort (the real server, after
 * DNAT). kube-proxy's DNAT happens as the frame enters cni0 (br_netfilter): only the client's
 * veth shows the ClusterIP going out; the reply gets its ClusterIP back in POSTROUTING, before
 * it is sent out cni0. flannel's MASQUERADE rewrites the source in POSTROUTING, so eth0 shows
 * the node's address; replies are translated back in PREROUTING, after eth0 captured them.
 */
export function conversation(client: Endpoint, clientPort: number, server: Endpoint, serverPort: number, nat: Nat = null): Conversation {
  const fwd = channel(client, server);
  const rev = channel(server, client);
  const real: Tuple = { src: client.ip, sport: clientPort, dst: server.ip, dport: serverPort };
  const back: Tuple = { src: server.ip, sport: serverPort, dst: client.ip, dport: clientPort };
  if (nat === null) return { fwd, rev, clientTuple: real, serverTuple: back };
  const node = client.node;
  if (!node || client.kind !== 'pod') throw new Error(`${client.name}: only pods' traffic is translated here`);
  if (nat.kind === 'dnat') {
    const svc = nat.service;
    fwd.rewriteFrom = indexOf(fwd, node.points.cni0);
    fwd.rewrite = real;
    rev.rewriteFrom = indexOf(rev, node.points.cni0);
    rev.rewrite = { ...back, src: svc.clusterIp, sport: svc.port };
    return { fwd, rev, clientTuple: { ...real, dst: svc.clusterIp, dport: svc.port }, serverTuple: back };
  }
  fwd.rewriteFrom = indexOf(fwd, node.points.eth0);
  fwd.rewrite = { ...real, src: node.ip };
  rev.rewriteFrom = indexOf(rev, node.points.cni0);
  rev.rewrite = back;
  return { fwd, rev, clientTuple: real, serverTuple: { ...back, dst: node.ip } };
}

/** The packet never gets past `point`: hops after it do not see it. */
export function dropAfter(ch: Channel, point: number): void {
  ch.reach = indexOf(ch, point) + 1;
}

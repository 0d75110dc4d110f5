/**
 * A flow's path: the client's node first, its points in egress order (pod veth → bridge →
 * overlay → NIC); then the other nodes the flow reached, in ingress order (NIC → overlay →
 * bridge → pod veth). Nodes are ordered by what the packets show (TTL), never by file order.
 */
import { EGRESS_ORDER, type InterfaceRole } from '../protocols/devices';
import { CLIENT_SAMPLE } from './direction';
import { INITIAL_TTLS } from './flows';
import type { PacketGroups, SightingStore } from './groups';
import type { CapturePoint, Encapsulation, Flow } from './types';

const egressRank = (r: InterfaceRole) => EGRESS_ORDER.indexOf(r);
/** Points of one role on one node that nothing else orders: by name, never by the order their files came in. */
const byName = (a: CapturePoint, b: CapturePoint) => a.node.localeCompare(b.node) || a.interface.localeCompare(b.interface) || a.id - b.id;
/** Arriving at a node the order turns round; `-i any` stays last. */
const ingressRank = (r: InterfaceRole) => (r === 'any' ? EGRESS_ORDER.length : EGRESS_ORDER.length - 2 - EGRESS_ORDER.indexOf(r));

/** What every flow's path is computed against, built once per correlation. */
export interface PathContext {
  points: CapturePoint[];
  groups: PacketGroups;
  nodes: string[];
  /** Node index of each point. */
  pointNode: Int32Array;
  /** Each node's points in egress (client side) and ingress (server side) order. */
  egress: number[][];
  ingress: number[][];
  /** Pod veths that learned their pod's address, and those addresses' ids in the store. */
  podPoints: number[];
  podAddr: number[][];
  owners: () => Map<string, string>;
  /** Owners proved by a pod veth's own address or a packet sent there (an initial TTL): no fallback. */
  sentFrom: () => Map<string, string>;
  /** Per point, the (inner) address families it carried: bit 1 IPv4, bit 2 IPv6. */
  families: Uint8Array;
  /** Points that carried a tunnel Hopscope does not decode (WireGuard, IPsec): 1. */
  opaque: Uint8Array;
  /** Whether the sighting (a store index) carried its packet encapsulated (VXLAN, IP-in-IP, …). */
  encapsulated: (i: number) => boolean;
  /** The sighting's encapsulation (its outer addresses), or null when it was plain. */
  encapsulation: (i: number) => Encapsulation | null;
  /**
   * Nodes' own underlay addresses, by what their NICs carried encapsulated: a packet from a pod
   * of the node, or to a pod of another, is sent by the node (its outer source is the node's);
   * one to a pod of the node, or from a pod of another, is received (its outer destination is).
   * Worked out when first asked.
   */
  underlayOwner: () => Map<string, string>;
  /** Whether packets from or to `addr` crossed a NIC of `host` encapsulated (one pass over the NICs' sightings, when first asked). */
  tunnelCarries: (host: string, addr: string) => boolean;
}

export function pathContext(points: CapturePoint[], groups: PacketGroups, opaquePoints: Iterable<number> = [], encapsulation: (i: number) => Encapsulation | null = () => null): PathContext {
  const opaque = new Uint8Array(points.length);
  for (const p of opaquePoints) opaque[p] = 1;
  const store = groups.store;
  const nodes = [...new Set(points.map((p) => p.host))];
  const index = new Map(nodes.map((n, i) => [n, i]));
  const byNode = nodes.map((n) => points.filter((p) => p.host === n));
  // A capture inside a pod is the pod's end of its veth: before the host's end leaving, after it arriving.
  const inPod = (p: CapturePoint) => (p.host !== p.node ? 0 : 1);
  let owners: ReturnType<typeof ownersOf> | null = null;
  let underlay: Map<string, string> | null = null;
  let carried: Set<number> | null = null;
  const sentFrom = () => (owners ??= ownersOf(points, store)).sent;
  const nics = nicHosts(points);
  return {
    points,
    groups,
    nodes,
    pointNode: Int32Array.from(points, (p) => index.get(p.host)!),
    egress: byNode.map((ps) => [...ps].sort((a, b) => egressRank(a.role) - egressRank(b.role) || inPod(a) - inPod(b) || byName(a, b)).map((p) => p.id)),
    ingress: byNode.map((ps) => [...ps].sort((a, b) => ingressRank(a.role) - ingressRank(b.role) || inPod(b) - inPod(a) || byName(a, b)).map((p) => p.id)),
    podPoints: points.filter((p) => p.role === 'pod' && p.podIp !== null).map((p) => p.id),
    podAddr: points.map((p) => p.podIps.map((a) => store.addrs.idOf(a)).filter((id) => id >= 0)),
    owners: () => (owners ??= ownersOf(points, store)).all,
    sentFrom,
    families: familiesOf(points, store),
    opaque,
    encapsulated: (i) => encapsulation(i) !== null,
    encapsulation,
    underlayOwner: () => (underlay ??= underlayOwners(nics, store, encapsulation, sentFrom())),
    tunnelCarries: (host, addr) => {
      carried ??= tunnelled(nics, store, encapsulation);
      const id = store.addrs.idOf(addr);
      const h = nics.hostIndex.get(host);
      return id >= 0 && h !== undefined && carried.has(h * store.addrs.text.length + id);
    },
  };
}

/** Each point's host as an index when it is a NIC (-1 otherwise): the passes over NIC sightings below work with numbers. */
function nicHosts(points: CapturePoint[]): { hosts: string[]; hostIndex: Map<string, number>; nic: Int32Array } {
  const hosts = [...new Set(points.map((p) => p.host))];
  const hostIndex = new Map(hosts.map((h, k) => [h, k]));
  return { hosts, hostIndex, nic: Int32Array.from(points, (p) => (p.role === 'nic' ? hostIndex.get(p.host)! : -1)) };
}

/** PathContext.tunnelCarries: (host × address) of every address a NIC of the host carried encapsulated, as source or destination. */
function tunnelled({ nic }: ReturnType<typeof nicHosts>, store: SightingStore, encapsulation: (i: number) => Encapsulation | null): Set<number> {
  const out = new Set<number>();
  const n = store.addrs.text.length;
  for (let i = 0; i < store.n; i++) {
    const h = nic[store.point[i]!]!;
    if (h < 0 || encapsulation(i) === null) continue;
    out.add(h * n + store.src[i]!);
    out.add(h * n + store.dst[i]!);
  }
  return out;
}

/** PathContext.underlayOwner: one pass over the NICs' encapsulated sightings. */
function underlayOwners({ hosts, hostIndex, nic }: ReturnType<typeof nicHosts>, store: SightingStore, encapsulation: (i: number) => Encapsulation | null, pods: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  if (pods.size === 0) return out;
  // Pod addresses as numbers: the pass looks at every sighting of every NIC.
  const podOf = new Int32Array(store.addrs.text.length).fill(-1);
  for (const [addr, host] of pods) {
    const id = store.addrs.idOf(addr);
    if (id >= 0) podOf[id] = hostIndex.get(host) ?? -1;
  }
  for (let i = 0; i < store.n; i++) {
    const h = nic[store.point[i]!]!;
    if (h < 0) continue;
    const src = podOf[store.src[i]!]!;
    const dst = podOf[store.dst[i]!]!;
    if (src < 0 && dst < 0) continue;
    const e = encapsulation(i);
    if (!e) continue;
    // From a pod of this node, or to a pod of another: sent here. To a pod of this node, or from a pod of another: received here.
    const sent = src === h || (dst >= 0 && dst !== h);
    const mine = sent ? e.outerSrc : e.outerDst;
    if (!out.has(mine)) out.set(mine, hosts[h]!);
  }
  return out;
}

/**
 * Whether the flow's first packets crossed a NIC of `host` both ways, and there only as
 * themselves: such a flow never crosses that node's overlay device (traffic to or from the
 * node's own address, SNATed to it, routed past the tunnel). Both ways: a NodePort request that
 * node's FORWARD chain dropped crossed its NIC only plain too, and was on its way into the tunnel.
 */
function crossedNicPlain(f: Flow, ctx: PathContext, host: string): boolean {
  const G = ctx.groups;
  const st = G.store;
  for (const groups of [f.requests, f.replies]) {
    let seen = false;
    for (let r = 0; r < groups.length && r < CLIENT_SAMPLE; r++) {
      const g = groups[r]!;
      for (let k = G.from(g), e = G.to(g); k < e; k++) {
        const i = st.order[k]!;
        const p = ctx.points[st.point[i]!]!;
        if (p.role !== 'nic' || p.host !== host) continue;
        if (ctx.encapsulated(i)) return false;
        seen = true;
      }
    }
    if (!seen) return false;
  }
  return true;
}

/**
 * Which inner address families each point carried. Dual stack keeps the families apart on
 * the overlay (flannel.1 for IPv4, flannel-v6.1 for IPv6): an overlay device that never
 * carried a flow's family is not on its path. Bridges and veths carry both.
 */
function familiesOf(points: CapturePoint[], store: SightingStore): Uint8Array {
  const fam = new Uint8Array(points.length);
  const v6 = Uint8Array.from(store.addrs.text, (t) => (t.includes(':') ? 2 : 1));
  for (let i = 0; i < store.n; i++) fam[store.point[i]!]! |= v6[store.src[i]!]!;
  return fam;
}

interface Observed {
  seenAt: Uint8Array;
  reqTtl: Int16Array;
  repTtl: Int16Array;
}

/** Where the flow was seen (every packet counts) and the highest TTL each way per point (the first packets suffice). */
function observe(f: Flow, G: PacketGroups, points: CapturePoint[]): Observed {
  const reqTtl = new Int16Array(points.length).fill(-1);
  const repTtl = new Int16Array(points.length).fill(-1);
  const seenAt = new Uint8Array(points.length);
  const st = G.store;
  let reqSeen = 0;
  let repSeen = 0;
  // With masks, where the rest were seen is the flow's summary (a sampled packet's mask adds
  // nothing to where its own sightings were).
  for (const g of f.groups) {
    const request = G.dir[g] === 1;
    const sample = request ? reqSeen++ < CLIENT_SAMPLE : repSeen++ < CLIENT_SAMPLE;
    if (!sample && G.useMasks) {
      if (reqSeen > CLIENT_SAMPLE && repSeen > CLIENT_SAMPLE) break;
      continue;
    }
    const ttl = request ? reqTtl : repTtl;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      const p = st.point[i]!;
      seenAt[p] = 1;
      if (sample && st.ttl[i]! > ttl[p]!) ttl[p] = st.ttl[i]!;
    }
  }
  const seenMask = G.useMasks ? f.summary.seenMask : 0;
  for (let p = 0; p < 30 && p < points.length; p++) if (seenMask & (1 << p)) seenAt[p] = 1;
  for (const e of f.icmpErrors) seenAt[e.point] = 1;
  return { seenAt, reqTtl, repTtl };
}

/** The other nodes the flow reached, in the order its packets crossed them. */
function serverSideNodes(f: Flow, ctx: PathContext, obs: Observed): string[] {
  const n = ctx.nodes.length;
  const reqTtl = new Int16Array(n).fill(-1);
  const repTtl = new Int16Array(n).fill(-1);
  const seen = new Uint8Array(n);
  for (const p of ctx.points) {
    const k = ctx.pointNode[p.id]!;
    if (obs.seenAt[p.id]) seen[k] = 1;
    reqTtl[k] = Math.max(reqTtl[k]!, obs.reqTtl[p.id]!);
    repTtl[k] = Math.max(repTtl[k]!, obs.repTtl[p.id]!);
  }
  const others: number[] = [];
  for (let k = 0; k < n; k++) if (ctx.nodes[k] !== f.clientNode) others.push(k);
  const reached = others.filter((k) => seen[k]);
  // The server's own node is the farthest: a tunnel carries the TTL unchanged, so the NICs of
  // both ends can see the same one.
  const serverNode = reached.length > 1 ? (ctx.owners().get(f.server) ?? null) : null;
  reached.sort((a, b) => {
    const [x, y] = [reqTtl[a]!, reqTtl[b]!];
    // Requests lose TTL as they go: a node that saw them with a higher TTL comes first.
    if (x >= 0 && y >= 0 && x !== y) return y - x;
    if (x >= 0 !== y >= 0) return x >= 0 ? -1 : 1;
    if ((ctx.nodes[a] === serverNode) !== (ctx.nodes[b] === serverNode)) return ctx.nodes[a] === serverNode ? 1 : -1;
    // Replies start at the server: a higher reply TTL is farther along the request path.
    if (repTtl[a] !== repTtl[b]) return repTtl[a]! - repTtl[b]!;
    return ctx.nodes[a]!.localeCompare(ctx.nodes[b]!);
  });
  if (reached.length > 0) return reached.map((k) => ctx.nodes[k]!);
  // Seen nowhere else, but sent encapsulated to another node (its outer destination is that
  // node's address): a NodePort's DNATed leg, lost on the way there.
  const sentTo = tunnelledTo(f, ctx);
  if (sentTo.length > 0) return sentTo;
  // Nothing left the client's node. The server's node is the one whose pods use the server
  // address (learned from other flows), or whose own address it is; else every other node is a candidate.
  const owner = ctx.owners().get(f.server) ?? ctx.underlayOwner().get(f.server) ?? null;
  // The server's address is the client node's own: the node answers itself.
  if (owner === f.clientNode) return [];
  return owner ? [owner] : others.map((k) => ctx.nodes[k]!).sort();
}

/** The other nodes the flow's first requests were sent to encapsulated, by their outer destinations (nodes' own addresses). */
function tunnelledTo(f: Flow, ctx: PathContext): string[] {
  const G = ctx.groups;
  const st = G.store;
  const out = new Set<string>();
  for (let r = 0; r < f.requests.length && r < CLIENT_SAMPLE; r++) {
    const g = f.requests[r]!;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      const p = ctx.points[st.point[i]!]!;
      if (p.role !== 'nic' || p.host !== f.clientNode) continue;
      const e2 = ctx.encapsulation(i);
      const to = e2 ? ctx.underlayOwner().get(e2.outerDst) : undefined;
      if (to !== undefined && to !== f.clientNode) out.add(to);
    }
  }
  return [...out].sort();
}

/**
 * Which pod veths' own addresses the requests carried (before and after NAT), as source
 * (client side) or destination (server side): bit 1 client, bit 2 server, per point.
 */
function podEnds(f: Flow, ctx: PathContext): Uint8Array {
  const G = ctx.groups;
  const st = G.store;
  const ends = new Uint8Array(ctx.points.length);
  const pods = ctx.podPoints;
  if (pods.length === 0) return ends;
  for (const p of pods) {
    const ips = ctx.points[p]!.podIps;
    if (ips.includes(f.client)) ends[p]! |= 1;
    if (ips.includes(f.server)) ends[p]! |= 2;
  }
  for (let r = 0; r < f.requests.length && r < CLIENT_SAMPLE; r++) {
    const g = f.requests[r]!;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      const src = st.src[i]!;
      const dst = st.dst[i]!;
      for (const p of pods) {
        const ids = ctx.podAddr[p]!;
        if (ids.includes(src)) ends[p]! |= 1;
        if (ids.includes(dst)) ends[p]! |= 2;
      }
    }
  }
  return ends;
}

/** The store index of the first request's earliest sighting at a point `take` accepts (never `-i any`), or -1. */
function earliestRequestSighting(f: Flow, ctx: PathContext, take: (p: CapturePoint) => boolean): number {
  const G = ctx.groups;
  const st = G.store;
  const first = f.requests[0];
  if (first === undefined) return -1;
  let earliest = -1;
  for (let k = G.from(first), e = G.to(first); k < e; k++) {
    const i = st.order[k]!;
    const p = ctx.points[st.point[i]!]!;
    if (p.role === 'any' || !take(p)) continue;
    if (earliest < 0 || st.tNs[i]! < st.tNs[earliest]!) earliest = i;
  }
  return earliest;
}

/** Whether the flow's first request was first seen on a NIC. */
function firstSeenOnNic(f: Flow, ctx: PathContext): boolean {
  const i = earliestRequestSighting(f, ctx, () => true);
  return i >= 0 && ctx.points[ctx.groups.store.point[i]!]!.role === 'nic';
}

/** Whether the flow's first request sighting on its client's node is on a NIC, before any inner point saw it. */
function arrivedFromOutside(f: Flow, ctx: PathContext): boolean {
  const G = ctx.groups;
  const st = G.store;
  const first = f.requests[0];
  const earliest = earliestRequestSighting(f, ctx, (p) => p.host === f.clientNode);
  if (first === undefined || earliest < 0 || ctx.points[st.point[earliest]!]!.role !== 'nic') return false;
  // Addressed there to the node's own underlay address (a NodePort, the node's own service): it came in.
  if (ctx.underlayOwner().get(st.addrs.text[st.dst[earliest]!]!) === f.clientNode) return true;
  // An inner point of the node saw it too, later: it came in through the NIC.
  for (let k = G.from(first), e = G.to(first); k < e; k++) {
    const i = st.order[k]!;
    const p = ctx.points[st.point[i]!]!;
    if (p.host === f.clientNode && p.role !== 'nic' && p.role !== 'any' && st.tNs[i]! > st.tNs[earliest]!) return true;
  }
  return false;
}

/**
 * Whether any capture point of `host` saw one of the flow's requests; with no request told apart
 * (every packet taken for a reply), whether it saw anything of the flow.
 */
function sawRequests(f: Flow, ctx: PathContext, host: string): boolean {
  const mine = ctx.points.filter((p) => p.host === host).map((p) => p.id);
  const packets = f.requests.length > 0 ? f.requests : f.groups;
  return mine.length > 0 && packets.some((g) => mine.some((p) => ctx.groups.seenAt(g, p)));
}

export function pathOf(f: Flow, ctx: PathContext): number[] {
  const points = ctx.points;
  const obs = observe(f, ctx.groups, points);
  // The client is a pod of a node that saw none of the flow's requests (its captures had
  // stopped, or not started; replies that came back later it may hold): the flow still starts
  // there, not where it was first seen. Only when the flow was first seen coming in on a NIC:
  // one that left a pod started there.
  const home = points.find((p) => p.role === 'pod' && p.podIps.includes(f.client))?.host;
  if (home !== undefined && home !== f.clientNode && firstSeenOnNic(f, ctx) && !sawRequests(f, ctx, home)) f.clientNode = home;
  const onPath = serverSideNodes(f, ctx, obs);
  const ends = podEnds(f, ctx);
  // A pod veth belongs on the path when the flow crossed it or it is one end's pod; a point
  // that carried other families only (the other stack's overlay device) does not.
  const family = f.client.includes(':') ? 2 : 1;
  // An interface of no known role is on the path only where the flow crossed it; so is a NIC
  // that carried an encrypted tunnel (WireGuard, IPsec) of a node the flow crossed: there the
  // flow's packets are ciphertext, never seen as themselves.
  const nodeSeen = (node: string) => points.some((p) => p.host === node && obs.seenAt[p.id]);
  // The server is the client node's own (a pod of it, the node itself: proved by a packet it
  // sent there, not by its replies arriving) and the flow reached no other node, untranslated:
  // it never crosses that node's overlay device or NIC.
  const staysHome = onPath.length === 0 && ctx.sentFrom().get(f.server) === f.clientNode && !translated(f, ctx);
  // A node whose NIC the flow crossed both ways only as itself, never encapsulated: it never
  // crossed that node's overlay device either (asked only of an overlay device the flow was not seen at).
  const plain = new Map<string, boolean>();
  const plainAt = (host: string) => plain.get(host) ?? plain.set(host, crossedNicPlain(f, ctx, host)).get(host)!;
  const keep = (id: number) =>
    obs.seenAt[id] === 1 ||
    (points[id]!.role !== 'other' &&
      !(staysHome && (points[id]!.role === 'overlay' || points[id]!.role === 'nic')) &&
      !(points[id]!.role === 'overlay' && plainAt(points[id]!.host)) &&
      !(ctx.opaque[id] === 1 && points[id]!.role === 'nic' && nodeSeen(points[id]!.host)) &&
      (points[id]!.role !== 'overlay' || ctx.families[id] === 0 || (ctx.families[id]! & family) !== 0) &&
      (points[id]!.role !== 'pod' || points[id]!.podIp === null || ends[id] !== 0));
  // Same-node flows: the server pod's veth comes last on the client's node.
  const isServerPod = (id: number) => ends[id] === 2;
  const clientNode = ctx.nodes.indexOf(f.clientNode);
  // Requests first seen on the client node's NIC came from a client that was not captured:
  // the node is crossed inwards.
  const order = arrivedFromOutside(f, ctx) ? ctx.ingress : ctx.egress;
  const out = clientNode < 0 ? [] : order[clientNode]!.filter((id) => keep(id) && !isServerPod(id));
  // The server's pod is arrived at: its host veth, then the capture inside it.
  if (clientNode >= 0) out.push(...ctx.ingress[clientNode]!.filter((id) => keep(id) && isServerPod(id)));
  for (const node of onPath) out.push(...ctx.ingress[ctx.nodes.indexOf(node)]!.filter(keep));
  crossedOrder(out, f, ctx);
  // The client pod's own device on its node, whose capture ran while the flow crossed the node
  // and holds none of it: every packet the pod sent crossed it, and the flow still began there.
  const spans = nodeSpans(f, ctx);
  const missedAtClient = (id: number) => {
    const p = points[id]!;
    if (obs.seenAt[id] || p.role !== 'pod' || p.host !== f.clientNode || !p.podIps.includes(f.client)) return false;
    const s = spans().stations.get(p.host);
    return s !== undefined && p.firstNs <= s[1] && s[0] <= p.lastNs;
  };
  const all: [number, number] = [f.summary.firstNs, f.summary.lastNs];
  const spanOf = (p: CapturePoint) => spans().all.get(p.host) ?? all;
  return trimEnds(skipUnseenBetweenSeen(out, points, obs.seenAt, missedAtClient), points, obs.seenAt, answeredByServer(f, ctx.groups), spanOf, isServerPod, missedAtClient);
}

/**
 * The flow's first and last sighting on each node (one clock: the nodes' offsets are not known
 * yet, and may be seconds): at every point (`all`, what a point's window is held against), and
 * at its stations only (`stations`, not `-i any`: whether the client pod's device recorded while
 * the flow crossed its node, as the verdict's ownRequestsMissed counts). One pass, when first asked.
 */
function nodeSpans(f: Flow, ctx: PathContext): () => { all: Map<string, [number, number]>; stations: Map<string, [number, number]> } {
  let spans: { all: Map<string, [number, number]>; stations: Map<string, [number, number]> } | null = null;
  const widen = (m: Map<string, [number, number]>, host: string, t: number) => {
    const s = m.get(host);
    if (!s) m.set(host, [t, t]);
    else {
      if (t < s[0]) s[0] = t;
      if (t > s[1]) s[1] = t;
    }
  };
  return () => {
    if (spans) return spans;
    spans = { all: new Map(), stations: new Map() };
    const G = ctx.groups;
    const st = G.store;
    for (const g of f.groups) {
      for (let k = G.from(g), e = G.to(g); k < e; k++) {
        const i = st.order[k]!;
        const q = ctx.points[st.point[i]!]!;
        widen(spans.all, q.host, st.tNs[i]!);
        if (q.role !== 'any') widen(spans.stations, q.host, st.tNs[i]!);
      }
    }
    return spans;
  };
}

/**
 * Whether the flow was answered by more than a refusal. A RST that answers a SYN (sequence
 * number 0) may be made on the way, by a node's REJECT in the server's name: it proves no
 * turn at the server, and the points past its last sighting stay, to show where the SYNs stopped.
 */
function answeredByServer(f: Flow, G: PacketGroups): boolean {
  return f.replies.some((g) => !G.refusesSyn(g));
}

/**
 * Interfaces of one node whose role nothing told (`other`: an `-i any` capture's `if<index>`
 * without a links file, where no encapsulated packet showed the NIC) stand side by side in the
 * path with no order of their own. One request seen at each of them crossed them in time order,
 * one clock: that order is the path's. Left as it is where no request was seen at all of them.
 */
function crossedOrder(path: number[], f: Flow, ctx: PathContext): void {
  const G = ctx.groups;
  const st = G.store;
  for (let a = 0; a < path.length; ) {
    const p = ctx.points[path[a]!]!;
    let b = a + 1;
    while (b < path.length && ctx.points[path[b]!]!.role === 'other' && ctx.points[path[b]!]!.host === p.host) b++;
    if (p.role !== 'other' || b - a < 2) {
      a = b;
      continue;
    }
    const run = path.slice(a, b);
    for (let r = 0; r < f.requests.length && r < CLIENT_SAMPLE; r++) {
      const g = f.requests[r]!;
      const at = run.map((id) => (G.seenAt(g, id) ? st.tNs[G.sightingAt(g, id)]! : NaN));
      if (at.some((t) => !(t === t))) continue;
      const order = run.map((id, k) => ({ id, t: at[k]! })).sort((x, y) => x.t - y.t);
      order.forEach((x, k) => (path[a + k] = x.id));
      break;
    }
    a = b;
  }
}

/** Whether the first requests went to another address than the one the client dialled (DNAT: a ClusterIP, a NodePort). */
function translated(f: Flow, ctx: PathContext): boolean {
  const G = ctx.groups;
  const st = G.store;
  const server = st.addrs.idOf(f.server);
  for (let r = 0; r < f.requests.length && r < CLIENT_SAMPLE; r++) {
    const g = f.requests[r]!;
    for (let k = G.from(g), e = G.to(g); k < e; k++) if (st.dst[st.order[k]!] !== server) return true;
  }
  return false;
}

/** Clock offsets between nodes are not known yet: a window this much wider still covers. */
const WINDOW_MARGIN_NS = 1e9;

/** Whether a point's capture ran while the flow did (an empty capture ran and saw nothing). */
function covers(p: CapturePoint, span: [number, number]): boolean {
  if (p.packets === 0) return !p.runUnknown;
  if (Number.isNaN(p.firstNs) || !Number.isFinite(span[0])) return true;
  return span[1] >= p.firstNs - WINDOW_MARGIN_NS && span[0] <= p.lastNs + WINDOW_MARGIN_NS;
}

/**
 * The path runs from where the flow was first seen to where it turned round. Leading points
 * that saw nothing of it either way are not where it started (an outside client's packets
 * first appear on the node's NIC); and when replies came back, trailing points that saw
 * nothing either way are beyond whoever answered (a pod talking to its own node never crosses
 * flannel.1) — unless the server is a pod we know, whose node answered in its name. Without replies the trailing points stay: where the requests stop is the question.
 * A point whose capture did not cover the flow's time is no evidence and stays (the verdict
 * then says what was not observed); `-i any` points, which are not on the line, stay too.
 */
function trimEnds(
  path: number[],
  points: CapturePoint[],
  seenAt: Uint8Array,
  answered: boolean,
  span: (p: CapturePoint) => [number, number],
  isServerPod: (id: number) => boolean,
  missedAtClient: (id: number) => boolean,
): number[] {
  const station = (id: number) => points[id]!.role !== 'any';
  // A point whose capture did not run then saw nothing for want of a capture: it stays.
  const absent = (id: number) => station(id) && !seenAt[id] && covers(points[id]!, span(points[id]!));
  let lo = 0;
  while (lo < path.length && absent(path[lo]!) && !missedAtClient(path[lo]!)) lo++;
  let hi = path.length - 1;
  // The server is a pod we know: whoever answered short of its veth (a REJECT on its node)
  // answered in its name, and the points up to the pod stay, to show where the requests stopped.
  let serverPod = -1;
  path.forEach((id, i) => {
    if (isServerPod(id)) serverPod = i;
  });
  // Answered, the flow turned round before the first point past its last sighting that was
  // capturing and saw nothing: from there on nothing is on its path, even a point whose capture
  // began later (it would otherwise hold that empty point on the path as where the flow stopped).
  if (answered) {
    let last = lo - 1;
    for (let i = lo; i <= hi; i++) if (station(path[i]!) && seenAt[path[i]!]) last = i;
    for (let i = Math.max(last, serverPod, lo) + 1; i <= hi; i++) {
      if (absent(path[i]!)) {
        hi = i - 1;
        break;
      }
    }
  }
  const kept = new Set(path.slice(lo, hi + 1));
  return path.filter((id) => kept.has(id) || !station(id));
}

/**
 * Packets cannot skip a capture point: one that saw nothing of the flow between two that did
 * on its node is not on this flow's path (a pod talking to the outside never crosses tunl0).
 * So does the client pod's own device whose capture missed it (pathOf): the flow began there.
 */
function skipUnseenBetweenSeen(out: number[], points: CapturePoint[], seenAt: Uint8Array, missedAtClient: (id: number) => boolean): number[] {
  return out.filter((id, i) => {
    if (seenAt[id]) return true;
    const node = points[id]!.host;
    const before = out.slice(0, i).some((o) => (seenAt[o] || missedAtClient(o)) && points[o]!.host === node);
    const after = out.slice(i + 1).some((o) => seenAt[o] && points[o]!.host === node && points[o]!.role !== 'any');
    return !(before && after);
  });
}

/**
 * Which node each address belongs to, from the pod veths' own addresses and from what bridges
 * and pod veths saw as a source, preferring a packet with an initial TTL there: one its sender
 * had not routed yet, so sent on that node (a remote pod's packets arrive routed). Built once,
 * by one pass over the sightings: by every evidence (`all`), and by strong evidence only
 * (`sent`: a pod's own address, a packet sent there).
 */
function ownersOf(points: CapturePoint[], store: SightingStore): { all: Map<string, string>; sent: Map<string, string> } {
  const owners = new Map<string, string>();
  for (const p of points) if (p.role === 'pod') for (const ip of p.podIps) owners.set(ip, p.host);
  const strong = new Map(owners);
  const sent = new Int32Array(store.addrs.text.length).fill(-1);
  const seen = new Int32Array(store.addrs.text.length).fill(-1);
  for (let i = 0; i < store.n; i++) {
    const a = store.src[i]!;
    if (sent[a] !== -1) continue;
    const p = points[store.point[i]!]!;
    if (p.role !== 'bridge' && p.role !== 'pod') continue;
    if (INITIAL_TTLS.has(store.ttl[i]!)) sent[a] = p.id;
    else if (seen[a] === -1) seen[a] = p.id;
  }
  store.addrs.text.forEach((text, a) => {
    if (sent[a] !== -1 && !strong.has(text)) strong.set(text, points[sent[a]!]!.host);
    const p = sent[a] !== -1 ? sent[a]! : seen[a]!;
    if (p !== -1 && !owners.has(text)) owners.set(text, points[p]!.host);
  });
  return { all: owners, sent: strong };
}

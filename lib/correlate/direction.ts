/**
 * Client, server and each packet's direction in a flow. The client is who sent the packet that
 * says it is a request, seen as early as possible; a packet that says nothing of its direction
 * is placed by its TCP sequence space, then its ports, then by comparing its tuple with known
 * requests at the same capture point.
 */
import { EGRESS_ORDER } from '../protocols/devices';
import type { PacketGroups } from './sightings';
import { mix } from './tables';
import type { CapturePoint, Flow, GroupIds } from './types';

/** Requests examined to find a flow's client (highest TTL, pod side, earliest). */
export const CLIENT_SAMPLE = 256;
/** Sequence numbers within this distance ahead of an ISN are in its space. */
const SEQ_WINDOW = 0x40000000;

/** Linux's default ephemeral port range (net.ipv4.ip_local_port_range). */
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;
/** Groups per flow read to learn its endpoints. */
const ENDPOINT_SAMPLE = 16;

/**
 * How much an endpoint (address, port) looks like the listening side: many distinct peers
 * across the incident (a server's port is shared by its clients, a client's is not), a port
 * below 1024, a port outside the ephemeral range.
 */
function listeningScore(peers: number, port: number): number {
  return peers * 4 + (port < 1024 ? 3 : 0) + (port >= EPHEMERAL_LOW && port <= EPHEMERAL_HIGH ? -2 : 0);
}

/**
 * TCP connections whose handshake is in no capture, where the server may speak first: which
 * side listens comes from the whole incident (how many peers each endpoint has) and the ports,
 * and every packet of the connection is placed by its sender's side, so the direction never
 * flips inside a flow. Connections with a SYN or SYN-ACK are left to their handshake.
 */
export function listeningSides(flows: Flow[], G: PacketGroups): void {
  // Most incidents hold every TCP handshake: then no endpoint needs its peers counted.
  const unsure = flows.map((f) => f.proto === 6 && !f.groups.some((g) => Math.abs(G.votes[g]!) >= 2));
  if (!unsure.includes(true)) return;
  const st = G.store;
  const key = (addr: number, port: number) => addr * 65536 + port;
  const peers = new Map<number, Set<number>>();
  const peer = (x: number, y: number) => {
    let set = peers.get(x);
    if (!set) peers.set(x, (set = new Set()));
    set.add(y);
  };
  const tuples = flows.map((f) => {
    const out: [number, number][] = [];
    if (f.proto !== 6) return out;
    for (let n = 0; n < f.groups.length && n < ENDPOINT_SAMPLE; n++) {
      const g = f.groups[n]!;
      for (let k = G.from(g), e = G.to(g); k < e; k++) {
        const i = st.order[k]!;
        const a = key(st.src[i]!, st.sport[i]!);
        const b = key(st.dst[i]!, st.dport[i]!);
        // A connection carries a tuple or two (before and after NAT): a scan beats a set of strings,
        // and a loop, unlike some() with a closure, allocates nothing per packet.
        if (knownTuple(out, a, b)) continue;
        out.push([a, b]);
        peer(a, b);
        peer(b, a);
      }
    }
    return out;
  });
  const score = (ep: number) => listeningScore(peers.get(ep)?.size ?? 0, ep % 65536);
  flows.forEach((f, n) => {
    if (!unsure[n]) return;
    // Every tuple the connection carried (before and after NAT) names its server side.
    // A tuple or two: a scan of them beats a Set of keys past 2^31, hashed per packet.
    const servers: number[] = [];
    for (const [a, b] of tuples[n]!) {
      const sa = score(a);
      const sb = score(b);
      servers.push(sa !== sb ? (sa > sb ? a : b) : a % 65536 < b % 65536 ? a : b);
    }
    placeBySender(f.groups, G, servers);
  });
}

/** Whether (a, b) or (b, a) is among the tuples. */
function knownTuple(tuples: readonly (readonly [number, number])[], a: number, b: number): boolean {
  for (let n = 0; n < tuples.length; n++) {
    const [x, y] = tuples[n]!;
    if ((x === a && y === b) || (x === b && y === a)) return true;
  }
  return false;
}

/** Each group of a connection that says nothing of its direction: a reply when its sender's (address, port) is one of the `servers`. */
function placeBySender(groups: GroupIds, G: PacketGroups, servers: readonly number[]): void {
  const { votes, store } = G;
  const { order, start, src, sport } = store;
  for (let n = 0; n < groups.length; n++) {
    const g = groups[n]!;
    if (votes[g] !== 0) continue;
    const i = order[start[g]!]!;
    const sender = src[i]! * 65536 + sport[i]!;
    let server = false;
    for (let k = 0; k < servers.length; k++) if (servers[k] === sender) server = true;
    votes[g] = server ? -1 : 1;
  }
}

/** Each point's place in egress order (pod veth first), for the template's tie-break. */
export function egressRanks(points: CapturePoint[]): Int8Array {
  return Int8Array.from(points, (p) => EGRESS_ORDER.indexOf(p.role));
}

/**
 * The request "template": a packet that says it is a request, seen as early as possible (the
 * highest TTL, then the pod side of a node, then the earliest). The first few hundred requests
 * say who the client is as well as all of them would. Returns a store index, or -1.
 */
function templateSighting(f: Flow, G: PacketGroups, rank: Int8Array): number {
  const votes = G.votes;
  const st = G.store;
  const anyRequest = f.groups.some((g) => votes[g]! > 0);
  let best = -1;
  let taken = 0;
  for (const g of f.groups) {
    if (anyRequest && !(votes[g]! > 0)) continue;
    if (taken++ === CLIENT_SAMPLE) break;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      if (best < 0) {
        best = i;
        continue;
      }
      const dt = st.ttl[i]! - st.ttl[best]!;
      const dr = rank[st.point[i]!]! - rank[st.point[best]!]!;
      if (dt > 0 || (dt === 0 && (dr < 0 || (dr === 0 && st.tNs[i]! < st.tNs[best]!)))) best = i;
    }
  }
  return best;
}

/**
 * TCP segments that are neither SYN nor SYN-ACK: their sequence number lies in the client's or
 * the server's sequence space, counted from the SYN's and the SYN-ACK's.
 */
function bySequenceSpace(f: Flow, G: PacketGroups): void {
  const votes = G.votes;
  // Sequence numbers read as int32 (`| 0`): half of them are over 2^31, which as doubles took
  // the optimised code back to the interpreter on every such flow (a deopt loop, 214 on the
  // bench incident). The distance mod 2^32 is the same either way.
  let cIsn = 0;
  let sIsn = 0;
  let cKnown = false;
  let sKnown = false;
  for (const g of f.groups) {
    if (votes[g]! >= 2 && !cKnown) {
      cIsn = G.seq[g]! | 0;
      cKnown = true;
    } else if (votes[g]! <= -2 && !sKnown) {
      sIsn = G.seq[g]! | 0;
      sKnown = true;
    }
  }
  if (!cKnown && !sKnown) return;
  for (const g of f.groups) {
    if (votes[g]! !== 0) continue;
    const seq = G.seq[g]! | 0;
    const c = cKnown && (seq - cIsn) >>> 0 < SEQ_WINDOW;
    const s = sKnown && (seq - sIsn) >>> 0 < SEQ_WINDOW;
    if (c === s) continue; // both or neither: leave it to the tuples
    votes[g] = c ? 1 : -1;
  }
}

/** Without a SYN to count from, TCP falls back on ports: the client's is usually the higher. */
function byPorts(f: Flow, G: PacketGroups): void {
  for (const g of f.groups) {
    if (G.votes[g]! !== 0 || G.portVotes[g]! === 0) continue;
    G.votes[g] = G.portVotes[g]! > 0 ? 1 : -1;
  }
}

/**
 * Groups that still did not say which way they go: compared with known requests at the same
 * point ((point, src, dst) as one number; a rare collision only nudges a vote), else with the
 * client's address.
 */
function byTuples(f: Flow, G: PacketGroups, clientId: number): void {
  const st = G.store;
  const votes = G.votes;
  const key = (point: number, a: number, b: number) => mix(mix(point, a), b);
  const requests = new Set<number>();
  for (const g of f.groups) {
    if (votes[g]! <= 0) continue;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      requests.add(key(st.point[i]!, st.src[i]!, st.dst[i]!));
    }
  }
  for (const g of f.groups) {
    if (votes[g]! !== 0) continue;
    let d = 0;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      const p = st.point[i]!;
      if (requests.has(key(p, st.src[i]!, st.dst[i]!))) d++;
      else if (requests.has(key(p, st.dst[i]!, st.src[i]!))) d--;
      else if (st.src[i] === clientId) d++;
      else if (st.dst[i] === clientId) d--;
    }
    votes[g] = d >= 0 ? 1 : -1;
  }
}

/** Decides client, server and each group's direction; fills requests and replies in time order. */
export function settleFlow(f: Flow, G: PacketGroups, points: CapturePoint[], rank: Int8Array): void {
  const votes = G.votes;
  for (const g of f.groups) G.dir[g] = votes[g]! >= 0 ? 1 : -1;
  const best = templateSighting(f, G, rank);
  if (best < 0) return;
  const st = G.store;
  const isIcmp = f.proto === 1 || f.proto === 58;
  f.client = st.addrs.text[st.src[best]!]!;
  f.server = st.addrs.text[st.dst[best]!]!;
  f.clientPort = isIcmp ? null : st.sport[best]!;
  f.serverPort = isIcmp ? null : st.dport[best]!;
  f.icmpId = isIcmp ? st.sport[best]! : null;
  f.clientNode = points[st.point[best]!]!.host;
  if (f.proto === 6) {
    bySequenceSpace(f, G);
    byPorts(f, G);
  }
  if (f.groups.some((g) => votes[g]! === 0)) byTuples(f, G, st.src[best]!);
  let nRequests = 0;
  for (const g of f.groups) {
    if (votes[g] !== 0) G.dir[g] = votes[g]! > 0 ? 1 : -1;
    if (G.dir[g] === 1) nRequests++;
  }
  f.requests = new Int32Array(nRequests);
  f.replies = new Int32Array(f.groups.length - nRequests);
  let r = 0;
  let p = 0;
  for (const g of f.groups) {
    if (G.dir[g] === 1) f.requests[r++] = g;
    else f.replies[p++] = g;
  }
  sortByFirst(f.requests, G.first);
  sortByFirst(f.replies, G.first);
}

/**
 * Groups in order of their earliest sighting, as a stable sort of an array gives them. The walk
 * makes groups in time order, so a flow's usually are already, which one pass checks.
 */
function sortByFirst(groups: GroupIds, first: Float64Array): void {
  for (let k = 1; k < groups.length; k++) {
    if (!(first[groups[k - 1]!]! <= first[groups[k]!]!)) {
      // An array's sort, not the typed array's: with a time missing (NaN) the two sorts differ.
      groups.set(Array.from(groups).sort((a, b) => first[a]! - first[b]!));
      return;
    }
  }
}

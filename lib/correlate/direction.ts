/**
 * Client, server and each packet's direction in a flow. The client is who sent the packet that
 * says it is a request, seen as early as possible; a packet that says nothing of its direction
 * is placed by its TCP sequence space, then its ports, then by comparing its tuple with known
 * requests at the same capture point.
 */
import { EGRESS_ORDER } from '../protocols/devices';
import type { PacketGroups } from './groups';
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
 *
 * `flowOf[g]` is group g's flow, `flows[n].id === n`. This stage and settleFlows go through the
 * groups once in their own order, each flow's state beside them, rather than flow by flow: a
 * flow's groups are spread over the whole incident, and reading them flow by flow took each
 * column from memory once per flow that shares its cache lines (measured on the bench's single
 * capture, 176 flows: one pass over four columns 83-148 ms flow by flow, 3-11 ms in order).
 */
export function listeningSides(flows: Flow[], G: PacketGroups, flowOf: Int32Array): void {
  // Most incidents hold every TCP handshake: then no endpoint needs its peers counted.
  const handshake = new Uint8Array(flows.length);
  for (let g = 0; g < G.count; g++) if (G.votes[g]! >= 2 || G.votes[g]! <= -2) handshake[flowOf[g]!] = 1;
  const unsure = flows.map((f) => f.proto === 6 && handshake[f.id] === 0);
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
  // Every tuple the connection carried (before and after NAT) names its server side.
  // A tuple or two: a scan of them beats a Set of keys past 2^31, hashed per packet.
  const servers = flows.map((f, n) =>
    !unsure[n]
      ? null
      : tuples[n]!.map(([a, b]) => {
          const sa = score(a);
          const sb = score(b);
          return sa !== sb ? (sa > sb ? a : b) : a % 65536 < b % 65536 ? a : b;
        }),
  );
  placeBySender(G, flowOf, servers);
}

/** Whether (a, b) or (b, a) is among the tuples. */
function knownTuple(tuples: readonly (readonly [number, number])[], a: number, b: number): boolean {
  for (let n = 0; n < tuples.length; n++) {
    const [x, y] = tuples[n]!;
    if ((x === a && y === b) || (x === b && y === a)) return true;
  }
  return false;
}

/** Each group of an unsure connection that says nothing of its direction: a reply when its sender's (address, port) is one of its flow's `servers`. */
function placeBySender(G: PacketGroups, flowOf: Int32Array, servers: readonly (readonly number[] | null)[]): void {
  const { votes, store } = G;
  const { order, start, src, sport } = store;
  for (let g = 0; g < G.count; g++) {
    const ours = servers[flowOf[g]!];
    if (!ours || votes[g] !== 0) continue;
    const i = order[start[g]!]!;
    const sender = src[i]! * 65536 + sport[i]!;
    let server = false;
    for (let k = 0; k < ours.length; k++) if (ours[k] === sender) server = true;
    votes[g] = server ? -1 : 1;
  }
}

/** Each point's place in egress order (pod veth first), for the template's tie-break. */
export function egressRanks(points: CapturePoint[]): Int8Array {
  return Int8Array.from(points, (p) => EGRESS_ORDER.indexOf(p.role));
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

/** Per flow, what the sweeps of settleFlows learn: in columns by flow id. */
class FlowState {
  /** Some group votes to be a request. */
  readonly anyRequest: Uint8Array;
  /** TCP: the client's (2n) and the server's (2n + 1) initial sequence number, read as int32, and whether known. */
  readonly isn: Int32Array;
  readonly isnKnown: Uint8Array;
  /** The request template: a store index, -1 none yet; and the groups it was chosen among. */
  readonly best: Int32Array;
  readonly taken: Int32Array;
  /** Some group is left without a direction after the sequence numbers and the ports. */
  readonly undecided: Uint8Array;
  /** The hosts (indexes) of two sightings the template was chosen between by time alone, one TTL on two nodes; -1 none. */
  readonly tie: Int32Array;

  constructor(n: number) {
    this.anyRequest = new Uint8Array(n);
    this.isn = new Int32Array(2 * n);
    this.isnKnown = new Uint8Array(2 * n);
    this.best = new Int32Array(n).fill(-1);
    this.taken = new Int32Array(n);
    this.undecided = new Uint8Array(n);
    this.tie = new Int32Array(2 * n).fill(-1);
  }
}

/**
 * Decides each flow's client and server and each group's direction; fills requests and replies
 * in time order. In sweeps over all groups in order (see listeningSides), each flow's state in
 * FlowState; then what only some flows need (byTuples, a sort) flow by flow.
 */
export function settleFlows(flows: Flow[], G: PacketGroups, points: CapturePoint[], rank: Int8Array, flowOf: Int32Array): void {
  const s = new FlowState(flows.length);
  firstVotes(G, flowOf, s);
  const hosts = [...new Set(points.map((p) => p.host))];
  const hostOf = Int32Array.from(points, (p) => hosts.indexOf(p.host));
  templatesAndSequences(flows, G, flowOf, s, rank, hostOf);
  const st = G.store;
  for (const f of flows) {
    const best = s.best[f.id]!;
    // Every group has a sighting, so every flow a template; without one a flow stays unsettled.
    if (best < 0) continue;
    const isIcmp = f.proto === 1 || f.proto === 58;
    // A flow of which only replies were captured (an echo reply says so): its template is one
    // of them, sent by the server to the client.
    const reply = G.votes[st.group[best]!]! < 0;
    const clientId = reply ? st.dst[best]! : st.src[best]!;
    f.client = st.addrs.text[clientId]!;
    f.server = st.addrs.text[reply ? st.src[best]! : st.dst[best]!]!;
    f.clientPort = isIcmp ? null : reply ? st.dport[best]! : st.sport[best]!;
    f.serverPort = isIcmp ? null : reply ? st.sport[best]! : st.dport[best]!;
    f.icmpId = isIcmp ? st.sport[best]! : null;
    f.clientNode = points[st.point[best]!]!.host;
    if (s.undecided[f.id]) byTuples(f, G, clientId);
  }
  fillDirections(flows, G, flowOf, s);
  for (const f of flows) {
    const [a, b] = [s.tie[2 * f.id]!, s.tie[2 * f.id + 1]!];
    if (a < 0 || f.replies.length === 0) continue;
    const here = hosts.indexOf(f.clientNode);
    const other = a === here ? b : b === here ? a : -1;
    if (other >= 0 && sentFrom(f, G, hostOf, here, other) === other) f.clientNode = hosts[other]!;
  }
}

/**
 * Which of two hosts sent the flow's requests, by the delays both ways: a request seen on each
 * took d1 + skew from the sender's to the other's clock, a reply took d2 − skew back, so the sum
 * over a request and a reply is positive from the sender's side whatever the clocks' offset
 * (clocks.ts measures the offset the same way). Medians over the first CLIENT_SAMPLE packets
 * each way seen on both; -1 where none was.
 */
function sentFrom(f: Flow, G: PacketGroups, hostOf: Int32Array, a: number, b: number): number {
  const st = G.store;
  const delays = (ids: GroupIds): number[] => {
    const out: number[] = [];
    for (let n = 0; n < ids.length && out.length < CLIENT_SAMPLE; n++) {
      const g = ids[n]!;
      let ta = Infinity;
      let tb = Infinity;
      for (let k = G.from(g), e = G.to(g); k < e; k++) {
        const i = st.order[k]!;
        const h = hostOf[st.point[i]!]!;
        if (h === a) ta = Math.min(ta, st.tNs[i]!);
        else if (h === b) tb = Math.min(tb, st.tNs[i]!);
      }
      if (ta < Infinity && tb < Infinity) out.push(tb - ta);
    }
    return out.sort((x, y) => x - y);
  };
  const req = delays(f.requests);
  const rep = delays(f.replies);
  if (req.length === 0 || rep.length === 0) return -1;
  // A request a → b took req, a reply b → a took −rep.
  const sum = req[req.length >> 1]! - rep[rep.length >> 1]!;
  return sum > 0 ? a : sum < 0 ? b : -1;
}

/** Sweep 1: each group's direction as its votes say; each flow's first request vote and, for TCP, the ISNs its SYN and SYN-ACK carry. */
function firstVotes(G: PacketGroups, flowOf: Int32Array, s: FlowState): void {
  const { votes, dir, seq } = G;
  for (let g = 0; g < G.count; g++) {
    const v = votes[g]!;
    const f = flowOf[g]!;
    dir[g] = v >= 0 ? 1 : -1;
    if (v > 0) s.anyRequest[f] = 1;
    // Sequence numbers read as int32 (`| 0`): half of them are over 2^31, which as doubles took
    // optimised code back to the interpreter. The distance mod 2^32 is the same either way.
    if (v >= 2 && !s.isnKnown[2 * f]) {
      s.isn[2 * f] = seq[g]! | 0;
      s.isnKnown[2 * f] = 1;
    } else if (v <= -2 && !s.isnKnown[2 * f + 1]) {
      s.isn[2 * f + 1] = seq[g]! | 0;
      s.isnKnown[2 * f + 1] = 1;
    }
  }
}

/**
 * Sweep 2, group by group: the request template (a packet that says it is a request, seen as
 * early as possible: the highest TTL, then the pod side of one node, then the earliest; the first
 * CLIENT_SAMPLE requests say who the client is as well as all of them would), then, for a TCP
 * segment that is neither SYN nor SYN-ACK, the direction its sequence number gives (in the
 * client's or the server's space, counted from the ISNs), else its ports (the client's is
 * usually the higher). Each step reads only its own group and its flow's state from sweep 1.
 */
function templatesAndSequences(flows: Flow[], G: PacketGroups, flowOf: Int32Array, s: FlowState, rank: Int8Array, host: Int32Array): void {
  const { votes, seq, ack, portVotes } = G;
  const st = G.store;
  for (let g = 0; g < G.count; g++) {
    const f = flowOf[g]!;
    if ((!s.anyRequest[f] || votes[g]! > 0) && s.taken[f]! < CLIENT_SAMPLE) {
      s.taken[f]!++;
      let best = s.best[f]!;
      for (let k = G.from(g), e = G.to(g); k < e; k++) {
        const i = st.order[k]!;
        if (best < 0) {
          best = i;
          continue;
        }
        const dt = st.ttl[i]! - st.ttl[best]!;
        // The pod side of a node comes first on that node only: through a tunnel the TTL stays,
        // and a receiving node's overlay device is no nearer the client than the sender's NIC.
        // Between nodes the earlier comes first, by clocks not yet known: settleFlows checks it.
        const hi = host[st.point[i]!]!;
        const hb = host[st.point[best]!]!;
        const dr = hi === hb ? rank[st.point[i]!]! - rank[st.point[best]!]! : 0;
        if (dt === 0 && hi !== hb) {
          s.tie[2 * f] = hi;
          s.tie[2 * f + 1] = hb;
        }
        if (dt > 0 || (dt === 0 && (dr < 0 || (dr === 0 && st.tNs[i]! < st.tNs[best]!)))) best = i;
      }
      s.best[f] = best;
    }
    if (votes[g] !== 0) continue;
    if (flows[f]!.proto === 6) {
      const sq = seq[g]! | 0;
      const ak = ack[g]! | 0;
      const c = s.isnKnown[2 * f] === 1 && inSpace(sq, ak, s.isn[2 * f]!);
      const sv = s.isnKnown[2 * f + 1] === 1 && inSpace(sq, ak, s.isn[2 * f + 1]!);
      // Both or neither: the ports, then the tuples.
      if (c !== sv) votes[g] = c ? 1 : -1;
      else if (portVotes[g]! !== 0) votes[g] = portVotes[g]! > 0 ? 1 : -1;
    }
    if (votes[g] === 0) s.undecided[f] = 1;
  }
}

/**
 * Whether a segment (its sequence and acknowledgment numbers, as int32) was sent from the
 * sequence space that starts at `isn`: its sequence number is a little ahead of it, and nearer
 * than its acknowledgment number. The peer's segments acknowledge that space, their own numbers
 * lie anywhere: by the sequence number alone, one in four of them fell within SEQ_WINDOW of an
 * ISN that was not theirs (a connection whose SYN-ACK no capture holds had the server's data
 * counted as the client's requests).
 */
export function inSpace(sq: number, ak: number, isn: number): boolean {
  const d = (sq - isn) >>> 0;
  return d < SEQ_WINDOW && d < (ak - isn) >>> 0;
}

/** Sweeps 3 and 4: each group's settled direction, counted per flow, then each flow's requests and replies filled in order, and sorted where their first sightings were not. */
function fillDirections(flows: Flow[], G: PacketGroups, flowOf: Int32Array, s: FlowState): void {
  const { votes, dir, first } = G;
  const nReq = new Int32Array(flows.length);
  const nRep = new Int32Array(flows.length);
  for (let g = 0; g < G.count; g++) {
    const f = flowOf[g]!;
    if (s.best[f]! < 0) continue;
    if (votes[g] !== 0) dir[g] = votes[g]! > 0 ? 1 : -1;
    if (dir[g] === 1) nReq[f]!++;
    else nRep[f]!++;
  }
  for (const f of flows) {
    if (s.best[f.id]! < 0) continue;
    f.requests = new Int32Array(nReq[f.id]!);
    f.replies = new Int32Array(nRep[f.id]!);
  }
  nReq.fill(0);
  nRep.fill(0);
  // The first sighting of the last group filled, per flow and direction (2n requests, 2n + 1 replies), and whether out of order.
  const last = new Float64Array(2 * flows.length);
  const unsorted = new Uint8Array(2 * flows.length);
  for (let g = 0; g < G.count; g++) {
    const f = flowOf[g]!;
    if (s.best[f]! < 0) continue;
    const req = dir[g] === 1;
    const n = req ? nReq[f]!++ : nRep[f]!++;
    (req ? flows[f]!.requests : flows[f]!.replies)[n] = g;
    const k = req ? 2 * f : 2 * f + 1;
    if (n > 0 && !(last[k]! <= first[g]!)) unsorted[k] = 1;
    last[k] = first[g]!;
  }
  for (const f of flows) {
    if (unsorted[2 * f.id]) sortByFirst(f.requests, first);
    if (unsorted[2 * f.id + 1]) sortByFirst(f.replies, first);
  }
}

/**
 * Groups in order of their earliest sighting, as a stable sort of an array gives them; for the
 * few flows whose groups, made in time order by the walk, are not already (fillDirections).
 */
function sortByFirst(groups: GroupIds, first: Float64Array): void {
  // An array's sort, not the typed array's: with a time missing (NaN) the two sorts differ.
  groups.set(Array.from(groups).sort((a, b) => first[a]! - first[b]!));
}

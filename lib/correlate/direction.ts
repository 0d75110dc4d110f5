/**
 * Client, server and each packet's direction in a flow. The client is who sent the packet that
 * says it is a request, seen as early as possible; a packet that says nothing of its direction
 * is placed by its TCP sequence space, then its ports, then by comparing its tuple with known
 * requests at the same capture point.
 */
import { mix } from './tables';
import type { SightingStore } from './sightings';
import type { CapturePoint, Flow } from './types';
import { EGRESS_ORDER } from '../protocols/devices';

/** Requests examined to find a flow's client (highest TTL, pod side, earliest). */
export const CLIENT_SAMPLE = 256;
/** Sequence numbers within this distance ahead of an ISN are in its space. */
const SEQ_WINDOW = 0x40000000;

/**
 * The request "template": a packet that says it is a request, seen as early as possible (the
 * highest TTL, then the pod side of a node, then the earliest). The first few hundred requests
 * say who the client is as well as all of them would. Returns a store index, or -1.
 */
function templateSighting(f: Flow, votes: Int32Array, points: CapturePoint[], st: SightingStore): number {
  const requestish = f.groups.filter((g) => votes[g.id]! > 0).slice(0, CLIENT_SAMPLE);
  const candidates = requestish.length > 0 ? requestish : f.groups.slice(0, CLIENT_SAMPLE);
  const rank = points.map((p) => EGRESS_ORDER.indexOf(p.role));
  let best = -1;
  for (const g of candidates) {
    for (let k = g.from, e = g.to; k < e; k++) {
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
function bySequenceSpace(f: Flow, votes: Int32Array): void {
  let cIsn = -1;
  let sIsn = -1;
  for (const g of f.groups) {
    if (votes[g.id]! >= 2 && cIsn < 0) cIsn = g.seq;
    else if (votes[g.id]! <= -2 && sIsn < 0) sIsn = g.seq;
  }
  if (cIsn < 0 && sIsn < 0) return;
  const ahead = (seq: number, isn: number) => ((seq - isn) >>> 0) < SEQ_WINDOW;
  for (const g of f.groups) {
    if (votes[g.id]! !== 0) continue;
    const c = cIsn >= 0 && ahead(g.seq, cIsn);
    const s = sIsn >= 0 && ahead(g.seq, sIsn);
    if (c === s) continue; // both or neither: leave it to the tuples
    votes[g.id] = c ? 1 : -1;
  }
}

/** Without a SYN to count from, TCP falls back on ports: the client's is usually the higher. */
function byPorts(f: Flow, votes: Int32Array, portVotes: Int32Array): void {
  for (const g of f.groups) {
    if (votes[g.id]! !== 0 || portVotes[g.id]! === 0) continue;
    votes[g.id] = portVotes[g.id]! > 0 ? 1 : -1;
  }
}

/**
 * Groups that still did not say which way they go: compared with known requests at the same
 * point ((point, src, dst) as one number; a rare collision only nudges a vote), else with the
 * client's address.
 */
function byTuples(f: Flow, votes: Int32Array, clientId: number, st: SightingStore): void {
  const key = (point: number, a: number, b: number) => mix(mix(point, a), b);
  const requests = new Set<number>();
  for (const g of f.groups) {
    if (votes[g.id]! <= 0) continue;
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      requests.add(key(st.point[i]!, st.src[i]!, st.dst[i]!));
    }
  }
  for (const g of f.groups) {
    if (votes[g.id]! !== 0) continue;
    let d = 0;
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      const p = st.point[i]!;
      if (requests.has(key(p, st.src[i]!, st.dst[i]!))) d++;
      else if (requests.has(key(p, st.dst[i]!, st.src[i]!))) d--;
      else if (st.src[i] === clientId) d++;
      else if (st.dst[i] === clientId) d--;
    }
    votes[g.id] = d >= 0 ? 1 : -1;
  }
}

/** Decides client, server and each group's direction; fills requests and replies in time order. */
export function settleFlow(f: Flow, votes: Int32Array, portVotes: Int32Array, points: CapturePoint[], st: SightingStore): void {
  for (const g of f.groups) g.dir = votes[g.id]! >= 0 ? 1 : -1;
  const best = templateSighting(f, votes, points, st);
  if (best < 0) return;
  const isIcmp = f.proto === 1 || f.proto === 58;
  f.client = st.addrs.text[st.src[best]!]!;
  f.server = st.addrs.text[st.dst[best]!]!;
  f.clientPort = isIcmp ? null : st.sport[best]!;
  f.serverPort = isIcmp ? null : st.dport[best]!;
  f.icmpId = isIcmp ? st.sport[best]! : null;
  f.clientNode = points[st.point[best]!]!.node;
  if (f.proto === 6) {
    bySequenceSpace(f, votes);
    byPorts(f, votes, portVotes);
  }
  if (f.groups.some((g) => votes[g.id]! === 0)) byTuples(f, votes, st.src[best]!, st);
  for (const g of f.groups) {
    if (votes[g.id] !== 0) g.dir = votes[g.id]! > 0 ? 1 : -1;
    (g.dir === 1 ? f.requests : f.replies).push(g);
  }
  const byTime = (a: { firstNs: number }, b: { firstNs: number }) => a.firstNs - b.firstNs;
  f.requests.sort(byTime);
  f.replies.sort(byTime);
}

/**
 * Each pod veth's own addresses, one per family, learned from what crossed it. First from the
 * node's clock: where another point of the node saw a packet too, the order says which way it
 * went on the veth. Else from counts, which a pod talking only to its node or to a pod of the
 * same bridge can fool: both addresses cross the veth with an initial TTL (bridging routes
 * nothing), the busier one more often. A tie left is settled by the addresses the other pod
 * veths hold, or not at all: the data cannot tell.
 */
import { INITIAL_TTLS } from './flows';
import type { PacketGroups, SightingStore } from './groups';
import type { CapturePoint } from './types';

/** Sightings of a pod veth examined to learn the pod's own address (the one on all of them). */
const POD_ADDRESS_SAMPLE = 4096;

/** Per point and family (0 IPv4, 1 IPv6): the address ids with the most votes; one when decided. */
type Candidates = number[][][];

/**
 * The counts: where the capture says which way a packet went on the veth (`-i any`, SLL), the
 * source of what came in from the pod and the destination of what went out to it count double:
 * with only two pods talking, both addresses are in every packet. Elsewhere the source of a
 * packet with an initial TTL counts double: nothing routed it yet.
 */
export function learnPodAddresses(points: CapturePoint[], groups: PacketGroups, direction: (i: number) => 'in' | 'out' | null): void {
  const store = groups.store;
  const counts = new Map<number, Map<number, number>>();
  const sampled: number[][] = points.map(() => []);
  const add = (m: Map<number, number>, a: number, k: number) => m.set(a, (m.get(a) ?? 0) + k);
  for (let i = 0; i < store.n; i++) {
    const p = store.point[i]!;
    if (points[p]!.role !== 'pod' || sampled[p]!.length >= POD_ADDRESS_SAMPLE) continue;
    sampled[p]!.push(i);
    let m = counts.get(p);
    if (!m) counts.set(p, (m = new Map()));
    const d = direction(i);
    // Without a direction from the capture, the TTL says it: a packet the pod sent crosses its
    // veth with an initial TTL (64, 128, 255), one routed to it with less.
    const fromHere = d === 'in' || (d === null && INITIAL_TTLS.has(store.ttl[i]!));
    add(m, store.src[i]!, fromHere ? 2 : 1);
    add(m, store.dst[i]!, d === 'out' ? 2 : 1);
  }
  const family = (a: number) => (store.addrs.text[a]!.includes(':') ? 1 : 0);
  const cands: Candidates = points.map((p) => {
    // The node's clock first: what it says holds whatever each pod sent; the counts after it.
    const arrival = leaders(arrivalVotes(p, sampled[p.id]!, points, groups), family, true);
    const counted = leaders(counts.get(p.id) ?? new Map(), family, false);
    return [0, 1].map((f) => (arrival[f]!.length === 1 ? arrival[f]! : counted[f]!));
  });
  eliminate(points, cands);
  for (const p of points) {
    const decided = [0, 1].map((f) => (cands[p.id]![f]!.length === 1 ? cands[p.id]![f]![0]! : -1));
    // The pod's address: of the family it used most.
    const m = counts.get(p.id);
    const weight = (a: number) => (a < 0 ? -1 : (m?.get(a) ?? 0));
    const best = weight(decided[0]!) >= weight(decided[1]!) ? decided[0]! : decided[1]!;
    p.podIp = best >= 0 ? store.addrs.text[best]! : null;
    p.podIps = decided.filter((a) => a >= 0).map((a) => store.addrs.text[a]!);
  }
}

/**
 * A tie's candidates less the addresses other pod veths hold for their own, until nothing
 * changes. Host ends only: a capture inside a pod shares its address with the pod's veth.
 */
function eliminate(points: CapturePoint[], cands: Candidates): void {
  const veths = points.filter((p) => p.host === p.node);
  for (let changed = true; changed; ) {
    changed = false;
    const owned = new Map<number, number>();
    for (const p of veths) for (const c of cands[p.id]!) if (c.length === 1) owned.set(c[0]!, p.id);
    for (const p of veths) {
      for (const [f, c] of cands[p.id]!.entries()) {
        if (c.length < 2) continue;
        const left = c.filter((a) => (owned.get(a) ?? p.id) === p.id);
        if (left.length > 0 && left.length < c.length) {
          cands[p.id]![f] = left;
          changed = true;
        }
      }
    }
  }
}

/** Per family, the addresses with the most votes; with `clear`, one only when it has twice the next one's. */
function leaders(votes: Map<number, number>, family: (a: number) => number, clear: boolean): number[][] {
  const top = [0, 0];
  const next = [0, 0];
  const lead: number[][] = [[], []];
  for (const [a, k] of votes) {
    const f = family(a);
    if (k > top[f]!) [next[f], top[f], lead[f]] = [top[f]!, k, [a]];
    else if (k === top[f]) lead[f]!.push(a);
    else if (k > next[f]!) next[f] = k;
  }
  return clear ? lead.map((l, f) => (l.length === 1 && top[f]! >= 2 * next[f]! ? l : [])) : lead;
}

/**
 * What the node's clock says of each address on a pod veth: a packet another point of the node
 * (not `-i any`, not a capture inside a pod) saw before this veth was on its way to the pod, so
 * its destination is the pod's; one that a pod veth, overlay device or NIC saw after it left
 * the pod, so its source is. A bridge's own capture says nothing by coming later: it sees the
 * frames it forwards from port to port after the port they leave by (a promiscuous bridge
 * passes its copy up last).
 */
function arrivalVotes(p: CapturePoint, sampled: number[], points: CapturePoint[], G: PacketGroups): Map<number, number> {
  const votes = new Map<number, number>();
  if (p.host !== p.node) return votes;
  const st = G.store;
  const vote = (a: number) => votes.set(a, (votes.get(a) ?? 0) + 1);
  for (const i of sampled) {
    const g = st.group[i]!;
    if (g < 0) continue;
    let before = false;
    let after = false;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const j = st.order[k]!;
      const q = points[st.point[j]!]!;
      if (q.id === p.id || q.host !== p.host || q.host !== q.node || q.role === 'any') continue;
      if (st.tNs[j]! < st.tNs[i]!) before = true;
      else if (st.tNs[j]! > st.tNs[i]! && (q.role === 'pod' || q.role === 'overlay' || q.role === 'nic')) after = true;
    }
    if (before !== after) vote(before ? st.dst[i]! : st.src[i]!);
  }
  return votes;
}

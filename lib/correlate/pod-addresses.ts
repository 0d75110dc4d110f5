/**
 * Each pod veth's own addresses, one per family, learned from what crossed it. A veth whose
 * pod only talks to its node or to a pod of the same bridge sees two addresses equally often,
 * both with an initial TTL (bridging routes nothing): there the address another pod veth owns
 * is not its own, and else the order one clock saw a packet in on the node says whose it is.
 */
import { INITIAL_TTLS } from './flows';
import type { PacketGroups, SightingStore } from './sightings';
import type { CapturePoint } from './types';

/** Sightings of a pod veth examined to learn the pod's own address (the one on all of them). */
const POD_ADDRESS_SAMPLE = 4096;

/** Per point and family (0 IPv4, 1 IPv6): the address ids with the most votes; one when decided. */
type Candidates = number[][][];

/**
 * Where the capture says which way a packet went on the veth (`-i any`, SLL), the source of
 * what came in from the pod and the destination of what went out to it count double: with only
 * two pods talking, both addresses are in every packet. Elsewhere the source of a packet with
 * an initial TTL counts double: nothing routed it yet.
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
    const top = [0, 0];
    const lead: number[][] = [[], []];
    for (const [a, k] of counts.get(p.id) ?? []) {
      const f = family(a);
      if (k > top[f]!) [top[f], lead[f]] = [k, [a]];
      else if (k === top[f]) lead[f]!.push(a);
    }
    return lead;
  });
  eliminate(points, cands);
  for (const p of points) for (const f of [0, 1]) if (cands[p.id]![f]!.length > 1) cands[p.id]![f] = byArrival(p, cands[p.id]![f]!, sampled[p.id]!, points, groups);
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

/** A tie's candidates less the addresses other pod veths hold for their own, until nothing changes. */
function eliminate(points: CapturePoint[], cands: Candidates): void {
  for (let changed = true; changed; ) {
    changed = false;
    const owned = new Map<number, number>();
    for (const p of points) for (const c of cands[p.id]!) if (c.length === 1) owned.set(c[0]!, p.id);
    for (const p of points) {
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

/**
 * Of tied addresses, the one the node's clock says is the pod's: a packet seen at another
 * point of the node (its bridge, another veth; not `-i any`, not a capture inside a pod)
 * after this veth left the pod, so its source counts; one seen there before it came to the
 * pod, so its destination counts. Still tied, the candidates stay: the data cannot tell.
 */
function byArrival(p: CapturePoint, cands: number[], sampled: number[], points: CapturePoint[], G: PacketGroups): number[] {
  if (p.host !== p.node) return cands;
  const st = G.store;
  const votes = new Map(cands.map((a) => [a, 0]));
  const vote = (a: number) => votes.has(a) && votes.set(a, votes.get(a)! + 1);
  for (const i of sampled) {
    const g = st.group[i]!;
    if (g < 0 || !(votes.has(st.src[i]!) || votes.has(st.dst[i]!))) continue;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const j = st.order[k]!;
      const q = points[st.point[j]!]!;
      if (q.id === p.id || q.host !== p.host || q.host !== q.node || q.role === 'any' || st.tNs[j] === st.tNs[i]) continue;
      vote(st.tNs[j]! > st.tNs[i]! ? st.src[i]! : st.dst[i]!);
      break;
    }
  }
  const most = Math.max(...votes.values());
  const lead = cands.filter((a) => votes.get(a) === most);
  return most > 0 && lead.length === 1 ? lead : cands;
}

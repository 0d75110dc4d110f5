/**
 * Captures taken inside a pod (`kubectl debug`, `nsenter -n tcpdump -i eth0`): the file names
 * the pod, not its node (`pod-a-eth0.pcap`), and by its name the pod's eth0 looks like a node's
 * NIC. Such a point is the pod's end of its veth pair, and two things show it:
 *
 *   - every packet it carried has one address in common, the pod's;
 *   - a packet shows there with the very TTL it has on the pod's side of its node (the host
 *     veth, the bridge): nothing routes in between. Any other node's inner points see it
 *     routed at least once more, and a NIC sees it routed (host-gw) or encapsulated.
 *
 * A point alone on its "node", carrying no encapsulated packet, that shows both is the pod's
 * own interface on that node: it becomes a pod point there (`host`), so a flow's path holds it
 * only where the pod is one end, first leaving and last arriving, and never across a NIC.
 */
import { roleCorrection } from './labels';
import { oneAddress } from './roles';
import type { PointLayout } from './points';
import type { SightingsResult } from './sightings';
import type { CaptureInput, CapturePoint } from './types';

/** Packets compared per point: the answer settles long before. */
const TTL_SAMPLE = 2_000;
/** Packets that must agree, and the share of the comparable ones. */
const MIN_AGREEING = 2;
const AGREEING_SHARE = 0.9;

export function placePodCaptures(points: CapturePoint[], layout: PointLayout, inputs: readonly CaptureInput[], w: SightingsResult): void {
  const candidates = points.filter((p) => isCandidate(p, points, layout, inputs));
  if (candidates.length === 0) return;
  const votes = ttlVotes(candidates, points, w);
  for (const p of candidates) {
    const host = hostOf(votes.get(p.id)!);
    if (host === null || !oneAddress(p.id, w)) continue;
    p.host = host;
    if (p.roleSource !== 'user') [p.role, p.roleSource] = ['pod', 'inferred'];
    layout.notes.push(
      `${p.node}/${p.interface} is a capture inside a pod on ${host}: every packet on it carries one address, and shows there with the TTL it has on ${host}'s pod side; it is placed on ${host} as that pod's own interface (${roleCorrection(layout.roleHints, p.node, p.interface, 'nic')})`,
    );
  }
}

/** Alone on its node, neither `-i any` nor a role the user set otherwise, and never encapsulated. */
function isCandidate(p: CapturePoint, points: CapturePoint[], layout: PointLayout, inputs: readonly CaptureInput[]): boolean {
  if (p.role === 'any' || p.roleSource === 'state' || (p.roleSource === 'user' && p.role !== 'pod')) return false;
  if (points.some((q) => q !== p && q.node === p.node)) return false;
  return inputs.every((input, n) => input.capture.shapes.every((s, k) => s.encapsulation === null || layout.shapePoint[n]![k] !== p.id));
}

/** Per other node: packets seen at both, and of those the ones with the same TTL. */
type Votes = Map<string, { comparable: number; agreeing: number }>;

function ttlVotes(candidates: CapturePoint[], points: CapturePoint[], w: SightingsResult): Map<number, Votes> {
  const out = new Map<number, Votes>(candidates.map((p) => [p.id, new Map()]));
  const taken = new Map<number, number>(candidates.map((p) => [p.id, 0]));
  const G = w.groups;
  const st = w.store;
  // Only points that stay where they are vote: two candidates never place each other.
  const innerSide = (q: CapturePoint) => (q.role === 'pod' || q.role === 'bridge') && !out.has(q.id);
  let full = 0;
  for (let g = 0; g < G.count && full < candidates.length; g++) {
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      const c = st.point[i]!;
      const votes = out.get(c);
      if (!votes || taken.get(c)! >= TTL_SAMPLE) continue;
      taken.set(c, taken.get(c)! + 1);
      if (taken.get(c) === TTL_SAMPLE) full++;
      const here = new Map<string, boolean>();
      for (let m = G.from(g); m < e; m++) {
        const j = st.order[m]!;
        const q = points[st.point[j]!]!;
        if (q.node === points[c]!.node || !innerSide(q)) continue;
        here.set(q.host, (here.get(q.host) ?? false) || st.ttl[j] === st.ttl[i]);
      }
      for (const [node, same] of here) {
        const v = votes.get(node) ?? { comparable: 0, agreeing: 0 };
        v.comparable++;
        if (same) v.agreeing++;
        votes.set(node, v);
      }
    }
  }
  return out;
}

/** The one node whose pod side shows the point's TTLs, or null when none or more than one does. */
function hostOf(votes: Votes): string | null {
  const agreeing = [...votes].filter(([, v]) => v.agreeing > 0);
  if (agreeing.length !== 1) return null;
  const [node, v] = agreeing[0]!;
  return v.agreeing >= MIN_AGREEING && v.agreeing >= AGREEING_SHARE * v.comparable ? node : null;
}

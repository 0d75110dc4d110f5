/**
 * Roles of the interfaces whose names say nothing (an `-i any` capture split without a links
 * file; Antrea's `<pod>-<hash>` veths), from what crossed them, in the order the kernel passes a packet (DOMAIN.md):
 *
 *   - the interface that carries encapsulated packets is the underlay NIC;
 *   - a packet leaving the node is seen on the inner interfaces before the NIC, one arriving
 *     after it: so each inner interface's place from the pod outwards shows;
 *   - routing lowers the TTL: the overlay device sees a leaving packet with a lower TTL than
 *     the pod side does, and an arriving one with the TTL it had inside the tunnel, before
 *     routing lowers it for the bridge and the pod veth; of those two, the pod veth is nearer
 *     the pod.
 *
 * What cannot be told stays `other`; every inferred role is marked so, and the user can
 * correct it.
 */
import { INITIAL_TTLS } from './flows';
import { roleCorrection, roleName } from './labels';
import type { PointLayout } from './points';
import type { SightingsResult } from './sightings';
import type { CaptureInput, CapturePoint } from './types';

interface Seen {
  /** Sum of the point's place among the node's inner sightings, counted from the pod side. */
  rankSum: number;
  samples: number;
  /** Sightings on the overlay side of the routing step (before it leaving, after it arriving). */
  overlaySide: number;
  /** As the innermost point captured, packets leaving with a TTL one below what hosts send: routed already. */
  routedOut: number;
  leaving: number;
  /** Packets arriving, and those showing the tunnel's TTL there. */
  arriving: number;
  arrivingAsTunnel: number;
}

/** An `-i any` interface without a links file: `if<index>`. */
const UNNAMED = /^if\d+$/;

/** Groups examined per node: the order settles long before. */
const ROLE_SAMPLE = 20_000;

export function inferRoles(points: CapturePoint[], layout: PointLayout, inputs: readonly CaptureInput[], w: SightingsResult): void {
  const inferred = points.filter((p) => p.roleSource === 'inferred');
  if (inferred.length === 0) return;
  // The underlay NIC: the interface that carries the encapsulated packets.
  inputs.forEach((input, n) => {
    input.capture.shapes.forEach((s, k) => {
      const p = points[layout.shapePoint[n]![k]!]!;
      if (p.roleSource === 'inferred' && s.encapsulation !== null) p.role = 'nic';
    });
  });
  const doubts: string[] = [];
  for (const node of new Set(inferred.map((p) => p.node))) {
    const doubt = orderInner(points.filter((p) => p.node === node), w);
    if (doubt) doubts.push(doubtNote(doubt.point, doubt.cameBack, layout));
  }
  // A named interface whose traffic told nothing more keeps its name's word for it.
  for (const p of inferred) if (p.role === 'other' && !UNNAMED.test(p.interface)) p.roleSource = 'name';
  const byNode = new Map<string, string[]>();
  for (const p of inferred.filter((x) => x.roleSource === 'inferred')) byNode.set(p.node, [...(byNode.get(p.node) ?? []), `${p.interface} ${roleName(layout.roleHints, p.role)}`]);
  for (const [node, list] of byNode) layout.notes.push(`${node}: roles inferred from what crossed the interfaces: ${list.join(', ')} (${roleCorrection(layout.roleHints, node, null, null)})`);
  layout.notes.push(...doubts);
}

/**
 * A lone inner interface (the only one captured beside its node's NIC) whose packets left
 * already routed, a TTL one below what hosts send, and came back, if any did, with the tunnel's
 * TTL: the overlay device looks so, and so does the veth of a pod that routes itself (Docker in
 * Docker, KubeVirt's masquerade) where the datapath does not route arriving packets again
 * (Antrea), or where none came back. The TTLs cannot tell them apart: the role stays what the
 * addresses said, and the note says so.
 */
function doubtNote(p: CapturePoint, cameBack: boolean, layout: PointLayout): string {
  const taken = p.role === 'pod' ? 'a pod veth (one address in all its packets)' : `the ${p.role} (several addresses in its packets)`;
  const back = cameBack ? "came back with the tunnel's TTL" : 'none came back through it';
  return `${p.node}: ${p.interface}, taken for ${taken}, may be the overlay device: its packets left already routed (a TTL one below what hosts send) and ${back}, as a tunnel device's do and a routing pod's may; if it is the tunnel device, ${roleCorrection(layout.roleHints, p.node, p.interface, 'overlay')}`;
}

/**
 * Places a node's inner interfaces from the pod outwards and names their roles; the lone inner
 * interface whose role the TTLs leave in doubt (doubtNote), if any.
 */
function orderInner(nodePoints: CapturePoint[], w: SightingsResult): { point: CapturePoint; cameBack: boolean } | null {
  const nic = nodePoints.find((p) => p.role === 'nic');
  const inner = nodePoints.filter((p) => p.roleSource === 'inferred' && p.role !== 'nic');
  if (!nic || inner.length === 0) return null;
  const seen = new Map<number, Seen>(inner.map((p) => [p.id, { rankSum: 0, samples: 0, overlaySide: 0, routedOut: 0, leaving: 0, arriving: 0, arrivingAsTunnel: 0 }]));
  const G = w.groups;
  const st = w.store;
  let taken = 0;
  for (let g = 0; g < G.count && taken < ROLE_SAMPLE; g++) {
    // This packet's sightings on the node, in time order (the store keeps them so).
    const here: number[] = [];
    let atNic = -1;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      const p = st.point[i]!;
      if (p === nic.id && atNic < 0) atNic = here.length;
      if (p === nic.id || seen.has(p)) here.push(i);
    }
    if (here.length < 2 || atNic < 0) continue;
    const leaving = atNic === here.length - 1;
    const arriving = atNic === 0;
    if (!leaving && !arriving) continue;
    taken++;
    // Inside the node, from the pod side outwards.
    const inside = leaving ? here.slice(0, -1) : here.slice(1).reverse();
    // The TTL before routing: the pod side's on the way out; the NIC's inner one on the way in.
    const podTtl = st.ttl[inside[0]!]!;
    const nicTtl = st.ttl[here[atNic]!]!;
    inside.forEach((i, rank) => {
      // The NIC again (a mirrored copy of the packet, or its second leg) is not an inner point.
      const s = seen.get(st.point[i]!);
      if (!s) return;
      s.rankSum += rank;
      s.samples++;
      // Arriving, the first interface after the NIC with the tunnel's TTL is the overlay device
      // (the overlays route: flannel, Calico, Cilium), even when nothing was forwarded further.
      if (leaving ? st.ttl[i]! < podTtl : st.ttl[i]! === nicTtl && (nicTtl > podTtl || inside.length === 1)) s.overlaySide++;
      if (leaving) {
        s.leaving++;
        if (rank === 0 && INITIAL_TTLS.has(st.ttl[i]! + 1)) s.routedOut++;
      } else {
        s.arriving++;
        if (st.ttl[i]! === nicTtl) s.arrivingAsTunnel++;
      }
    });
  }
  const placed = inner.filter((p) => seen.get(p.id)!.samples > 0);
  placed.sort((a, b) => avg(seen.get(a.id)!) - avg(seen.get(b.id)!));
  const routed = placed.filter((p) => seen.get(p.id)!.overlaySide * 2 > seen.get(p.id)!.samples);
  const bridged = placed.filter((p) => !routed.includes(p));
  for (const p of routed) p.role = 'overlay';
  // The pod veths come first on the way out; the bridge after them. One alone is a pod veth
  // when one address is in every packet it carried (Calico's routed cali*), else the bridge.
  for (const p of bridged) p.role = (bridged.length > 1 ? avg(seen.get(p.id)!) < 0.5 : oneAddress(p.id, w)) ? 'pod' : 'bridge';
  if (inner.length !== 1 || placed.length !== 1 || routed.length > 0) return null;
  const s = seen.get(placed[0]!.id)!;
  return s.routedOut * 2 > s.leaving && s.arrivingAsTunnel === s.arriving ? { point: placed[0]!, cameBack: s.arriving > 0 } : null;
}

/** Whether one address is the source or the destination of every packet seen at the point. */
export function oneAddress(point: number, w: SightingsResult): boolean {
  const st = w.store;
  let a = -1;
  let b = -1;
  for (let i = 0; i < st.n; i++) {
    if (st.point[i] !== point) continue;
    if (a < 0) [a, b] = [st.src[i]!, st.dst[i]!];
    else {
      if (st.src[i] !== a && st.dst[i] !== a) a = -2;
      if (st.src[i] !== b && st.dst[i] !== b) b = -2;
      if (a === -2 && b === -2) return false;
    }
  }
  return a >= 0 || b >= 0;
}

function avg(s: Seen): number {
  return s.rankSum / s.samples;
}

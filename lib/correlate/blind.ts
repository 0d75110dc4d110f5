/**
 * Capture points that never show one direction of their pod's traffic. Some datapaths deliver
 * packets past a pod's host-side device: Cilium's eBPF host routing puts replies straight into
 * the pod's namespace, and tcpdump on its `lxc*` device never sees them. Such a point is blind
 * in that direction; calling the packets dropped there would be a false alarm.
 *
 * Blind from the pod: packets from the pod's addresses are seen elsewhere on its node, never
 * here, though packets towards the pod are (the veth is the pod's only wire: they crossed it).
 * Blind towards the pod: packets towards it are never seen here, and the pod proved it received
 * some (a SYN-ACK answering a SYN, or an acknowledgment number that moves on): they crossed this
 * point, its only wire. Without that proof, packets missing there may be a real drop, and they
 * stay one. The proof alone is enough: a capture filtered to one direction (`tcpdump -Q in` on
 * the host's veth) may be the only one of its node.
 */
import type { PacketGroups, SightingStore } from './sightings';
import type { CapturePoint } from './types';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../protocols/numbers';

export interface BlindSide {
  point: number;
  /** Blind to packets towards the pod (else from it). */
  towardsPod: boolean;
  /** Packets of the other direction seen there. */
  seen: number;
  /** Packets of the blind direction that the node's other points show. */
  elsewhere: number;
}

/** Packets of the other direction a point must show before its silence in one counts as blindness. */
const MIN_SEEN = 3;

export function blindSides(points: readonly CapturePoint[], store: SightingStore, groups: PacketGroups): BlindSide[] {
  const pods = points.filter((p) => p.role === 'pod' && p.podIps.length > 0);
  if (pods.length === 0) return [];
  // Address id → the pod points whose pod has it (a typed index: this runs once per sighting).
  const lists: number[][] = [];
  const ownerOf = new Int32Array(store.addrs.text.length).fill(-1);
  for (const p of pods) {
    for (const ip of p.podIps) {
      const id = store.addrs.idOf(ip);
      if (id < 0) continue;
      if (ownerOf[id] === -1) ownerOf[id] = lists.push([]) - 1;
      lists[ownerOf[id]!]!.push(p.id);
    }
  }
  const owners = { get: (id: number) => (ownerOf[id] === -1 ? undefined : lists[ownerOf[id]!]) };
  const n = points.length;
  const towards = new Int32Array(n);
  const from = new Int32Array(n);
  const towardsElsewhere = new Int32Array(n);
  const fromElsewhere = new Int32Array(n);
  const acked = new Uint8Array(n);
  /** Per connection from a pod: the first acknowledgment number it sent. */
  const acks = new Map<string, number>();
  for (let i = 0; i < store.n; i++) {
    const at = store.point[i]!;
    const dstOwners = owners.get(store.dst[i]!);
    if (dstOwners) {
      for (const p of dstOwners) {
        if (p === at) towards[p]!++;
        else if (points[at]!.host === points[p]!.host && points[at]!.role !== 'any') towardsElsewhere[p]!++;
      }
    }
    const srcOwners = owners.get(store.src[i]!);
    if (srcOwners) {
      for (const p of srcOwners) {
        if (p !== at) {
          if (points[at]!.host === points[p]!.host && points[at]!.role !== 'any') fromElsewhere[p]!++;
          continue;
        }
        from[p]!++;
        // Proof the pod received: a SYN-ACK (it got a SYN), or its acknowledgment number moving
        // on (it got new data). Keepalives and retransmissions repeat the same one.
        if (acked[p] === 1) continue; // proven already
        const g = store.group[i]!;
        const flags = groups.proto[g] === 6 ? store.tcpFlags[i]! : 0;
        if ((flags & TCP_ACK) === 0 || (flags & TCP_RST) !== 0) continue;
        if ((flags & TCP_SYN) !== 0) acked[p] = 1;
        else {
          const key = `${p}|${store.sport[i]}|${store.dst[i]}|${store.dport[i]}`;
          const seen = acks.get(key);
          if (seen === undefined) acks.set(key, groups.ack[g]!);
          else if (seen !== groups.ack[g]) acked[p] = 1;
        }
      }
    }
  }
  const out: BlindSide[] = [];
  for (const p of pods) {
    const id = p.id;
    if (from[id] === 0 && towards[id]! >= MIN_SEEN && fromElsewhere[id]! > 0) out.push({ point: id, towardsPod: false, seen: towards[id]!, elsewhere: fromElsewhere[id]! });
    else if (towards[id] === 0 && from[id]! >= MIN_SEEN && acked[id] === 1) out.push({ point: id, towardsPod: true, seen: from[id]!, elsewhere: towardsElsewhere[id]! });
  }
  return out;
}

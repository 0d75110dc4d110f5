/**
 * Capture points that never show one direction of their pod's traffic. Some datapaths deliver
 * packets past a pod's host-side device: Cilium's eBPF host routing puts replies straight into
 * the pod's namespace, and tcpdump on its `lxc*` device never sees them. Such a point is blind
 * in that direction; calling the packets dropped there would be a false alarm.
 *
 * Blind from the pod: packets from the pod's addresses are seen elsewhere on its node, never
 * here, though packets towards the pod are (the veth is the pod's only wire: they crossed it).
 * Blind towards the pod: packets towards it are never seen here, and the pod proved it received
 * some (a SYN-ACK answering a SYN, an ACK completing its own handshake, an acknowledgment number
 * that moves on, an echo reply answering an echo request): they crossed this point, its only wire. The proof alone is enough:
 * a capture filtered to one direction (`tcpdump -Q in` on the host's veth) may be the only one
 * of its node. Without it, packets missing there may be a real drop: where the pod sent TCP that
 * proves nothing (a SYN sent again and again, never an ACK after it), they stay one. Where it sent no TCP and no echo
 * reply, nothing it sent could tell, and the node's other points show packets towards it: the
 * side is silent but not proven blind (`proven` false), and what stops right before it is not
 * observed, neither delivered nor dropped (rules.ts).
 */
import type { PacketGroups, SightingStore } from './groups';
import type { CapturePoint } from './types';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../protocols/numbers';
import { ICMP_ECHO_REPLY } from '../decode/layers/icmp';
import { ICMPV6_ECHO_REPLY } from '../decode/layers/icmpv6';

export interface BlindSide {
  point: number;
  /** Blind to packets towards the pod (else from it). */
  towardsPod: boolean;
  /** Packets of the other direction seen there. */
  seen: number;
  /** Packets of the blind direction that the node's other points show. */
  elsewhere: number;
  /** The pod's own packets prove the blind direction crossed the point: it is not judged there. False: nothing could tell (towards the pod only). */
  proven: boolean;
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
  /** TCP packets from the pod at its own point: what could have proved that it received. */
  const tcpFrom = new Int32Array(n);
  /** Per connection from a pod: the first acknowledgment number it sent; and those it opened (its SYN). */
  const acks = new Map<string, number>();
  const opened = new Set<string>();
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
        const g = store.group[i]!;
        const proto = groups.proto[g]!;
        if (proto === 6) tcpFrom[p]!++;
        // Proof the pod received: a SYN-ACK (it got a SYN), its acknowledgment number moving on
        // (it got new data; keepalives and retransmissions repeat the same one), or an echo
        // reply (it got the echo request).
        if (acked[p] === 1) continue; // proven already
        if ((proto === 1 && store.dport[i]! >>> 8 === ICMP_ECHO_REPLY) || (proto === 58 && store.dport[i]! >>> 8 === ICMPV6_ECHO_REPLY)) {
          acked[p] = 1;
          continue;
        }
        const flags = proto === 6 ? store.tcpFlags[i]! : 0;
        if (flags === 0 || (flags & TCP_RST) !== 0) continue;
        const key = `${p}|${store.sport[i]}|${store.dst[i]}|${store.dport[i]}`;
        if ((flags & TCP_ACK) === 0) {
          if ((flags & TCP_SYN) !== 0) opened.add(key);
          continue;
        }
        // An ACK after its own SYN completes the handshake: the SYN-ACK came.
        if ((flags & TCP_SYN) !== 0 || opened.has(key)) acked[p] = 1;
        else {
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
    if (from[id] === 0 && towards[id]! >= MIN_SEEN && fromElsewhere[id]! > 0) out.push({ point: id, towardsPod: false, seen: towards[id]!, elsewhere: fromElsewhere[id]!, proven: true });
    else if (towards[id] === 0 && from[id]! >= MIN_SEEN && acked[id] === 1) out.push({ point: id, towardsPod: true, seen: from[id]!, elsewhere: towardsElsewhere[id]!, proven: true });
    // Not proven, and nothing could have proved it: a claim neither way, so a packet or two is enough.
    else if (towards[id] === 0 && from[id]! > 0 && tcpFrom[id] === 0 && towardsElsewhere[id]! > 0) out.push({ point: id, towardsPod: true, seen: from[id]!, elsewhere: towardsElsewhere[id]!, proven: false });
  }
  return out;
}

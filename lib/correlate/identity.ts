/**
 * A packet's identity and what it says of its own direction, from its index row.
 *
 * The identity is what forwarding and NAT leave alone on the innermost IP header: IP id (for
 * IPv6, the flow label, summarize.ts) and length, protocol, TCP seq/ack/flags, ICMP type/seq,
 * and a digest of the first payload bytes.
 * Addresses and ports are left out, so DNAT, SNAT and MASQUERADE do not break the match.
 * What a snap length cut off at any point of the incident (Shape.cut: the TCP flags, the
 * digest) is left out of every packet of that protocol: it is matched on what every point kept.
 */
import { CUT_DIGEST, CUT_TCP_FLAGS, type PacketRow } from '../decode/packet-index';
import { mix } from './tables';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../protocols/numbers';

const TCP = 6;
const ICMP = 1;
const ICMPV6 = 58;

/**
 * The identity's first half. TCP leaves out the length: a GSO/TSO super-segment and the first
 * wire-sized segment cut from it share IP id, seq, ack and first payload bytes.
 */
export function identityHi(row: PacketRow, leftOut = 0): number {
  return mix(mix(mix(mix(0x811c9dc5, row.proto), row.ipId), row.proto === TCP ? 0 : row.ipLen), (leftOut & CUT_DIGEST) !== 0 ? 0 : row.digest);
}

/**
 * The second half: sequence numbers, and for TCP the flags but PSH and FIN, which only the last
 * piece of a GSO super-segment carries (the later pieces are packets of their own, seen from
 * the point where the cut happened); for ICMP the type.
 */
export function identityLo(row: PacketRow, leftOut = 0): number {
  const h = mix(0x01000193, row.seq);
  if (row.proto === TCP) return mix(mix(h, row.ack), (leftOut & CUT_TCP_FLAGS) !== 0 ? 0 : row.tcpFlags & ~(TCP_PSH | TCP_FIN));
  if (row.proto === ICMP || row.proto === ICMPV6) return mix(h, row.dport >>> 8);
  return h;
}

/**
 * What the packet itself says of its direction: +1/+2 a request (echo request, SYN; 2 is
 * stronger), −1/−2 a reply, 0 nothing. UDP goes by ports: the client's is usually the higher.
 */
export function directionVote(row: PacketRow): number {
  const proto = row.proto;
  if (proto === ICMP || proto === ICMPV6) {
    const type = row.dport >>> 8;
    return type === 8 || type === 128 ? 1 : type === 0 || type === 129 ? -1 : 0;
  }
  if (proto === TCP) {
    const syn = row.tcpFlags & TCP_SYN;
    const ack = row.tcpFlags & TCP_ACK;
    return syn && !ack ? 2 : syn && ack ? -2 : 0;
  }
  return Math.sign(row.sport - row.dport);
}

/** The weakest evidence, used last and for TCP only: the client's port is usually the higher. */
export function portVote(row: PacketRow): number {
  if (row.proto !== TCP || (row.tcpFlags & TCP_SYN) !== 0) return 0;
  return Math.sign(row.sport - row.dport);
}

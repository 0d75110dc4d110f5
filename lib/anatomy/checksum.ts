/**
 * Checksum verification for the anatomy's checksum fields: the Internet checksum (RFC 1071)
 * over the IPv4 header, and over TCP, UDP and ICMPv6 with their pseudo-headers (RFC 9293
 * §3.1, RFC 768, RFC 8200 §8.1), ICMP without one (RFC 792).
 *
 * A host's own outgoing packets are captured before the NIC computes transport checksums
 * (checksum offload, CHECKSUM_PARTIAL): Linux leaves the folded pseudo-header sum in the field
 * for the NIC to finish (tcp_v4_send_check, udp4_hwcsum), so tcpdump sees a "wrong" checksum.
 * The same partial value travels unchanged over veths and bridges, and NAT updates it
 * incrementally like a real one.
 */
import type { Layer } from '../decode/decode-packet';

export type ChecksumStatus =
  | { kind: 'correct' }
  /** The folded pseudo-header sum a sender with checksum offload leaves for the NIC; `expected` is what the NIC will write. */
  | { kind: 'partial'; expected: number }
  /**
   * An outer UDP checksum computed for the inner checksum the NIC has yet to fill in (local
   * checksum offload, Linux Documentation/networking/checksum-offloads.rst): correct once it is.
   */
  | { kind: 'lco' }
  | { kind: 'incorrect'; expected: number }
  | { kind: 'none' }
  /** Not all the bytes it covers were captured (snaplen, ICMP quote, GSO, fragment). */
  | { kind: 'unverified' };

/** Ones'-complement sum of 16-bit big-endian words, not folded. */
function sum16(b: Uint8Array, from: number, to: number, acc = 0): number {
  let s = acc;
  let i = from;
  for (; i + 1 < to; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if (i < to) s += (b[i] ?? 0) << 8;
  return s;
}

function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

/** The checksum a sender should have written, given the sum over the data with the field zeroed. */
function complement(s: number): number {
  return ~fold(s) & 0xffff;
}

/** A partial checksum inside the bytes another checksum covers, and the value the NIC will write there. */
export interface PendingChecksum {
  /** Absolute offset of the field. */
  at: number;
  field: number;
  expected: number;
}

/**
 * Status of a checksum field at `fieldAt` (absolute offset) over data[from, to), plus an
 * optional pseudo-header sum.
 */
function verify(
  data: Uint8Array,
  from: number,
  to: number,
  fieldAt: number,
  pseudo: number | undefined,
  pending: readonly PendingChecksum[] = [],
): ChecksumStatus {
  const field = ((data[fieldAt] ?? 0) << 8) | (data[fieldAt + 1] ?? 0);
  const withField = sum16(data, from, to, pseudo ?? 0);
  if (fold(withField) === 0xffff) return { kind: 'correct' };
  // Sums of 16-bit words: an inner field at an odd distance would sit across two words.
  const inRange = pending.filter((p) => p.at >= from && p.at + 2 <= to && (p.at - from) % 2 === 0);
  if (inRange.length > 0) {
    const completed = inRange.reduce((s, p) => s - p.field + p.expected, withField);
    if (fold(completed) === 0xffff) return { kind: 'lco' };
  }
  const expected = complement(withField - field);
  // 0 and 0xffff are the same value in ones' complement (RFC 1624 §3).
  if (expected === field || (expected === 0 && field === 0xffff) || (expected === 0xffff && field === 0)) return { kind: 'correct' };
  if (pseudo !== undefined) {
    const p = fold(pseudo);
    if (field === p || (p === 0xffff && field === 0)) return { kind: 'partial', expected: complement(withField - field) };
  }
  return { kind: 'incorrect', expected };
}

export function ipv4HeaderChecksum(data: Uint8Array, ip: Extract<Layer, { kind: 'ipv4' }>): ChecksumStatus {
  return verify(data, ip.offset, ip.offset + ip.headerLength, ip.offset + 10, undefined);
}

type IpLayer = Extract<Layer, { kind: 'ipv4' | 'ipv6' }>;

function pseudoHeader(data: Uint8Array, ip: IpLayer, proto: number, length: number): number {
  if (ip.kind === 'ipv4') return sum16(data, ip.offset + 12, ip.offset + 20) + proto + length;
  return sum16(data, ip.offset + 8, ip.offset + 40) + Math.floor(length / 0x10000) + (length & 0xffff) + proto;
}

/** Whether every byte of the IP layer's declared payload was captured, unfragmented. */
function wholeDatagram(ip: IpLayer): boolean {
  if (ip.truncated || ip.quoted) return false;
  if (ip.kind === 'ipv4') return ip.totalLength !== 0 && !ip.moreFragments && ip.fragmentOffset === 0;
  return ip.payloadLength !== 0 && ip.fragment === undefined;
}

/**
 * Status of a transport checksum: `layer` is TCP, UDP, ICMP or ICMPv6 and `ip` the IP layer
 * right around it.
 */
export function transportChecksum(data: Uint8Array, layer: Layer, ip: IpLayer | undefined, pending: readonly PendingChecksum[] = []): ChecksumStatus {
  if (layer.truncated || layer.quoted || ip === undefined || !wholeDatagram(ip)) return { kind: 'unverified' };
  const start = layer.offset;
  const ipEnd = ip.offset + ip.headerLength + ip.payload.length;
  switch (layer.kind) {
    case 'udp': {
      if (layer.checksum === 0 && ip.kind === 'ipv4') return { kind: 'none' };
      if (layer.length === 0 || start + layer.length > ipEnd) return { kind: 'unverified' };
      return verify(data, start, start + layer.length, start + 6, pseudoHeader(data, ip, 17, layer.length), pending);
    }
    case 'tcp':
      return verify(data, start, ipEnd, start + 16, pseudoHeader(data, ip, 6, ipEnd - start));
    case 'icmp':
      return verify(data, start, ipEnd, start + 2, undefined);
    case 'icmpv6':
      return verify(data, start, ipEnd, start + 2, pseudoHeader(data, ip, 58, ipEnd - start));
    default:
      return { kind: 'unverified' };
  }
}

/** "0x7530 (partial, offloaded)": the field as an engineer reads it, with what it means. */
export function formatChecksum(value: number, status: ChecksumStatus): string {
  const h = '0x' + value.toString(16).padStart(4, '0');
  switch (status.kind) {
    case 'correct':
      return `${h} (correct)`;
    case 'partial':
      return `${h} (partial, offloaded)`;
    case 'lco':
      return `${h} (correct once the NIC fills in the inner checksum, LCO)`;
    case 'incorrect':
      return `${h} (incorrect, should be 0x${status.expected.toString(16).padStart(4, '0')})`;
    case 'none':
      return `${h} (none)`;
    case 'unverified':
      return h;
  }
}

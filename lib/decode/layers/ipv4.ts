import { ipProtoLayer } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { formatIpv4, u16, u8 } from './base';

export const IPV4_MIN_HEADER_LEN = 20;

/** One IPv4 option (RFC 791 §3.1): type, and for all but EOL/NOP a length and data. */
export interface Ipv4Option {
  /** Option type octet (copied flag, class, number). */
  type: number;
  /** Option length including type and length octets; 1 for EOL/NOP. */
  length: number;
  /** Option data, a view. */
  data: Uint8Array;
}

/**
 * IPv4 header (RFC 791 §3.1; DSCP/ECN per RFC 2474 and RFC 3168).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |Flags|      Fragment Offset    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options                    |    Padding    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface Ipv4Layer extends LayerBase<'ipv4'> {
  /** Version: 4. */
  version: number;
  /** IHL: header length in 32-bit words (5..15). */
  ihl: number;
  /** Type of Service octet, now DSCP (6 bits) and ECN (2 bits). */
  tos: number;
  dscp: number;
  ecn: number;
  /** Total Length of header and data, in octets, as declared. */
  totalLength: number;
  /** Identification. */
  id: number;
  /** Flags, 3 bits: reserved, DF, MF. */
  flags: number;
  /** Flags bit 0: reserved, must be zero (RFC 3514's "evil bit"). */
  reservedFlag: boolean;
  /** Flags bit 1: DF, Don't Fragment. */
  dontFragment: boolean;
  /** Flags bit 2: MF, More Fragments. */
  moreFragments: boolean;
  /** Fragment Offset in units of 8 octets (RFC 791); multiply by 8 for bytes. */
  fragmentOffset: number;
  /** Time to Live. */
  ttl: number;
  /** Protocol of the payload (1 ICMP, 4 IPv4, 6 TCP, 17 UDP, 41 IPv6, 47 GRE). */
  protocol: number;
  /** Header Checksum, as read (not verified: senders with offload leave it to the NIC). */
  checksum: number;
  /** Source Address, dotted quad. */
  src: string;
  /** Destination Address, dotted quad. */
  dst: string;
  options: Ipv4Option[];
  /** True for a fragment other than the first: its payload is not a transport header. */
  isLaterFragment: boolean;
}

export const decodeIpv4: LayerDecoder<Ipv4Layer> = (ctx, offset, end) => {
  const d = ctx.data;
  const avail = end - offset;
  if (avail < 1) return { short: true };
  const b0 = u8(d, offset);
  if (b0 >> 4 !== 4) return { malformed: `IPv4 header with version ${b0 >> 4}`, at: offset };
  const ihl = b0 & 0x0f;
  const headerLength = ihl * 4;
  if (ihl < 5) return { malformed: `IPv4 IHL ${ihl} (< 5, header length ${headerLength} bytes)`, at: offset };
  if (avail < IPV4_MIN_HEADER_LEN || avail < headerLength) return { short: true };
  const totalLength = u16(d, offset + 2);
  let payloadEnd: number;
  let truncated = false;
  if (totalLength === 0) {
    // Linux hands TSO/GSO super-packets to the capture with total length 0 (Wireshark notes
    // the same): the real length is whatever was captured.
    payloadEnd = end;
    ctx.notes.push(`IPv4 total length 0 at byte ${offset}: TSO/GSO packet, length taken from the capture`);
  } else if (totalLength < headerLength) {
    return { malformed: `IPv4 total length ${totalLength} < header length ${headerLength}`, at: offset + 2 };
  } else if (offset + totalLength > end) {
    payloadEnd = end;
    if (ctx.endIsDeclared && !ctx.quoted) {
      // Not a short capture: the enclosing layer's own length leaves no room. Keep the layer
      // (its fields are sound) and say so, as Wireshark does with "bogus IP length".
      ctx.errors.push({ layer: 'ipv4', offset: offset + 2, message: `IPv4 total length ${totalLength} exceeds the ${end - offset} bytes its enclosing layer declares` });
    } else truncated = true;
  } else {
    payloadEnd = offset + totalLength;
  }
  const flagsFrag = u16(d, offset + 6);
  const flags = flagsFrag >> 13;
  const fragmentOffset = flagsFrag & 0x1fff;
  const protocol = u8(d, offset + 9);
  const options: Ipv4Option[] = [];
  const optEnd = offset + headerLength;
  let p = offset + IPV4_MIN_HEADER_LEN;
  while (p < optEnd) {
    const type = u8(d, p);
    if (type === 0) {
      options.push({ type, length: 1, data: d.subarray(p + 1, p + 1) });
      break;
    }
    if (type === 1) {
      options.push({ type, length: 1, data: d.subarray(p + 1, p + 1) });
      p++;
      continue;
    }
    const len = p + 1 < optEnd ? u8(d, p + 1) : 0;
    if (len < 2 || p + len > optEnd) {
      ctx.errors.push({ layer: 'ipv4', offset: p, message: `IPv4 option ${type} with length ${len} overruns the header` });
      break;
    }
    options.push({ type, length: len, data: d.subarray(p + 2, p + len) });
    p += len;
  }
  const tos = u8(d, offset + 1);
  const layer: Ipv4Layer = {
    kind: 'ipv4',
    offset,
    headerLength,
    header: d.subarray(offset, offset + headerLength),
    payload: d.subarray(offset + headerLength, payloadEnd),
    trailer: d.subarray(payloadEnd, end),
    truncated,
    quoted: ctx.quoted,
    version: 4,
    ihl,
    tos,
    dscp: tos >> 2,
    ecn: tos & 0x03,
    totalLength,
    id: u16(d, offset + 4),
    flags,
    reservedFlag: (flags & 0b100) !== 0,
    dontFragment: (flags & 0b010) !== 0,
    moreFragments: (flags & 0b001) !== 0,
    fragmentOffset,
    ttl: u8(d, offset + 8),
    protocol,
    checksum: u16(d, offset + 10),
    src: formatIpv4(d, offset + 12),
    dst: formatIpv4(d, offset + 16),
    options,
    isLaterFragment: fragmentOffset !== 0,
  };
  return { layer, next: fragmentOffset !== 0 ? 'payload' : ipProtoLayer(protocol), hint: protocol };
};

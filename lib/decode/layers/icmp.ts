import type { LayerBase, LayerDecoder } from '../types';
import { formatIpv4, u16, u8 } from './base';

export const ICMP_HEADER_LEN = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
/** Destination unreachable code 4: fragmentation needed and DF set (RFC 1191 "frag-needed"). */
export const ICMP_CODE_FRAG_NEEDED = 4;

/** Types that quote the offending datagram after the header (RFC 792). */
const QUOTING_TYPES = new Set([ICMP_DEST_UNREACHABLE, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAMETER_PROBLEM]);
/** Types with Identifier and Sequence Number (echo, timestamp, information, address mask). */
const ID_SEQ_TYPES = new Set([0, 8, 13, 14, 15, 16, 17, 18]);
/** Types whose byte 5 is the RFC 4884 length of the original datagram, in 32-bit words. */
const RFC4884_TYPES = new Set([ICMP_DEST_UNREACHABLE, ICMP_TIME_EXCEEDED, ICMP_PARAMETER_PROBLEM]);

export function isIcmpError(type: number): boolean {
  return QUOTING_TYPES.has(type);
}

/**
 * ICMP message (RFC 792); the second word depends on the type. Errors (3, 4, 5, 11, 12) carry
 * the IP header and the first bytes of the datagram that caused them, decoded as the next
 * layers with `quoted` set, as Wireshark shows them.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Identifier          |        Sequence Number        |  echo (0, 8)
 *  |    unused     |    Length     |          Next-Hop MTU         |  3 (RFC 1191, RFC 4884)
 *  |                 Gateway Internet Address                      |  5
 *  |    Pointer    |    Length     |            unused             |  12
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Internet Header + leading octets of original datagram    |  errors
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface IcmpLayer extends LayerBase<'icmp'> {
  /** Type. */
  type: number;
  /** Code. */
  code: number;
  /** Checksum, as read. */
  checksum: number;
  /** The second 32-bit word, whatever the type makes of it. */
  restOfHeader: number;
  /** Identifier (echo, timestamp, information, address mask). */
  identifier: number | undefined;
  /** Sequence Number (same types). */
  sequence: number | undefined;
  /** Next-Hop MTU of a frag-needed error (type 3 code 4, RFC 1191 §4); 0 from old routers. */
  nextHopMtu: number | undefined;
  /** Gateway Internet Address of a redirect (type 5). */
  gateway: string | undefined;
  /** Pointer to the offending octet (type 12). */
  pointer: number | undefined;
  /** RFC 4884 §4.1 Length: bytes of original datagram before extensions; 0 when absent. */
  originalDatagramLength: number;
  /** True for error types, whose payload is the quoted datagram. */
  isError: boolean;
}

export const decodeIcmp: LayerDecoder<IcmpLayer> = (ctx, offset, end) => {
  if (end - offset < ICMP_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const type = u8(d, offset);
  const code = u8(d, offset + 1);
  const isError = QUOTING_TYPES.has(type);
  const idSeq = ID_SEQ_TYPES.has(type);
  const originalDatagramLength = RFC4884_TYPES.has(type) ? u8(d, offset + 5) * 4 : 0;
  const layer: IcmpLayer = {
    kind: 'icmp',
    offset,
    headerLength: ICMP_HEADER_LEN,
    header: d.subarray(offset, offset + ICMP_HEADER_LEN),
    payload: d.subarray(offset + ICMP_HEADER_LEN, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    type,
    code,
    checksum: u16(d, offset + 2),
    restOfHeader: u16(d, offset + 4) * 0x10000 + u16(d, offset + 6),
    identifier: idSeq ? u16(d, offset + 4) : undefined,
    sequence: idSeq ? u16(d, offset + 6) : undefined,
    nextHopMtu: type === ICMP_DEST_UNREACHABLE && code === ICMP_CODE_FRAG_NEEDED ? u16(d, offset + 6) : undefined,
    gateway: type === ICMP_REDIRECT ? formatIpv4(d, offset + 4) : undefined,
    pointer: type === ICMP_PARAMETER_PROBLEM ? u8(d, offset + 4) : undefined,
    originalDatagramLength,
    isError,
  };
  if (!isError) return { layer, next: 'payload', hint: type };
  const payloadStart = offset + ICMP_HEADER_LEN;
  const nextEnd = originalDatagramLength > 0 && payloadStart + originalDatagramLength < end ? payloadStart + originalDatagramLength : undefined;
  return { layer, next: 'ipv4', hint: type, entersQuote: true, nextEnd };
};

import { IP_PROTO_AH, IP_PROTO_FRAGMENT, IP_PROTO_HOPOPT, IP_PROTO_NONXT } from '../../protocols/numbers';
import { IPV6_EXTENSION_HEADERS, ipProtoLayer } from '../tables';
import type { LayerBase, LayerDecoder, NextKind } from '../types';
import { formatIpv6, u16, u32, u8 } from './base';

export const IPV6_HEADER_LEN = 40;
/** The Jumbo Payload hop-by-hop option (RFC 2675 §2): type 0xC2, 4 bytes of length. */
export const IPV6_OPT_JUMBO = 0xc2;

/**
 * One extension header the IPv6 decoder walked through (RFC 8200 §4): hop-by-hop options (0),
 * routing (43), fragment (44), destination options (60), or AH (51, RFC 4302 §2).
 */
export interface Ipv6ExtensionHeader {
  /** The protocol number that named this header. */
  type: number;
  /** Next Header field of this extension header. */
  nextHeader: number;
  /** Offset from the packet start. */
  offset: number;
  /** Length in octets, including the first two. */
  length: number;
  /** The header's bytes after Next Header and Hdr Ext Len, a view. */
  data: Uint8Array;
}

/**
 * Fragment header (RFC 8200 §4.5).
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Identification                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface Ipv6Fragment {
  /** Fragment Offset in units of 8 octets. */
  offset: number;
  /** M flag: more fragments follow. */
  moreFragments: boolean;
  /** Identification. */
  identification: number;
}

/**
 * IPv6 header (RFC 8200 §3). The extension headers are part of this layer: headerLength covers
 * the fixed header and all of them, and `finalNextHeader` names what follows.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |           Flow Label                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +                     Source Address (128 bits)                 +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +                  Destination Address (128 bits)               +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface Ipv6Layer extends LayerBase<'ipv6'> {
  /** Version: 6. */
  version: number;
  /** Traffic Class (DSCP and ECN). */
  trafficClass: number;
  /** Flow Label, 20 bits. */
  flowLabel: number;
  /** Payload Length (everything after the fixed 40 bytes), as declared. */
  payloadLength: number;
  /** Next Header of the fixed header (what tshark shows as ipv6.nxt). */
  nextHeader: number;
  /** Hop Limit. */
  hopLimit: number;
  /** Source Address, RFC 5952 text. */
  src: string;
  /** Destination Address, RFC 5952 text. */
  dst: string;
  extensionHeaders: Ipv6ExtensionHeader[];
  /** The Next Header after the last extension header: the upper-layer protocol. */
  finalNextHeader: number;
  fragment: Ipv6Fragment | undefined;
  /** True for a fragment other than the first: its payload is not a transport header. */
  isLaterFragment: boolean;
  /**
   * Jumbo Payload Length from a hop-by-hop Jumbo Payload option (RFC 2675 §2), when Payload
   * Length is 0: the bytes after the fixed header, hop-by-hop header included.
   */
  jumboPayloadLength: number | undefined;
}

/**
 * The Jumbo Payload Length of a hop-by-hop header at `p` (RFC 2675 §2), if it holds the option;
 * the header's bytes must lie before `end`.
 */
function jumboPayloadLength(d: Uint8Array, p: number, end: number): number | undefined {
  if (end - p < 8) return undefined;
  const hbhEnd = p + (u8(d, p + 1) + 1) * 8;
  if (hbhEnd > end) return undefined;
  let o = p + 2;
  while (o < hbhEnd) {
    const type = u8(d, o);
    if (type === 0) {
      o++;
      continue;
    }
    if (o + 2 > hbhEnd) return undefined;
    const len = u8(d, o + 1);
    if (o + 2 + len > hbhEnd) return undefined;
    if (type === IPV6_OPT_JUMBO && len === 4) return u32(d, o + 2);
    o += 2 + len;
  }
  return undefined;
}

export const decodeIpv6: LayerDecoder<Ipv6Layer> = (ctx, offset, end) => {
  const d = ctx.data;
  const avail = end - offset;
  if (avail < 1) return { short: true };
  const version = u8(d, offset) >> 4;
  if (version !== 6) return { malformed: `IPv6 header with version ${version}`, at: offset };
  if (avail < IPV6_HEADER_LEN) return { short: true };
  const w0 = u32(d, offset);
  const payloadLength = u16(d, offset + 4);
  const nextHeader = u8(d, offset + 6);
  let payloadEnd: number;
  let truncated = false;
  const jumbo = payloadLength === 0 && nextHeader === IP_PROTO_HOPOPT ? jumboPayloadLength(d, offset + IPV6_HEADER_LEN, end) : undefined;
  const declaredEnd = offset + IPV6_HEADER_LEN + (jumbo ?? payloadLength);
  if (payloadLength === 0 && jumbo === undefined && nextHeader !== IP_PROTO_NONXT && end > offset + IPV6_HEADER_LEN) {
    // Linux BIG TCP super-packets declare 0; newer kernels leave out the Jumbo Payload option
    // too (tcpdump PR #1329). Like IPv4's TSO packets, the capture says how long they are.
    payloadEnd = end;
    ctx.notes.push(`IPv6 payload length 0 at byte ${offset}: GSO (BIG TCP) packet, length taken from the capture`);
  } else if (declaredEnd > end) {
    payloadEnd = end;
    if (ctx.endIsDeclared && !ctx.quoted) {
      const what = jumbo === undefined ? `payload length ${payloadLength}` : `jumbo payload length ${jumbo}`;
      ctx.errors.push({ layer: 'ipv6', offset: offset + 4, message: `IPv6 ${what} exceeds the ${end - offset - IPV6_HEADER_LEN} bytes its enclosing layer declares` });
    } else truncated = true;
  } else {
    payloadEnd = declaredEnd;
  }

  const extensionHeaders: Ipv6ExtensionHeader[] = [];
  let fragment: Ipv6Fragment | undefined;
  let nh = nextHeader;
  let p = offset + IPV6_HEADER_LEN;
  let next: NextKind | undefined;
  // Bounded by the bytes: every header is at least 8 octets long.
  while (IPV6_EXTENSION_HEADERS.has(nh)) {
    if (payloadEnd - p < 2) {
      next = 'undecoded';
      if (!truncated) ctx.errors.push({ layer: 'ipv6', offset: p, message: `IPv6 extension header ${nh} overruns the payload length` });
      break;
    }
    const extNext = u8(d, p);
    const len = nh === IP_PROTO_FRAGMENT ? 8 : nh === IP_PROTO_AH ? (u8(d, p + 1) + 2) * 4 : (u8(d, p + 1) + 1) * 8;
    if (p + len > payloadEnd) {
      next = 'undecoded';
      if (!truncated) {
        ctx.errors.push({ layer: 'ipv6', offset: p, message: `IPv6 extension header ${nh} of ${len} bytes overruns the payload length` });
      }
      break;
    }
    if (nh === IP_PROTO_FRAGMENT) {
      const fo = u16(d, p + 2);
      fragment = { offset: fo >> 3, moreFragments: (fo & 1) !== 0, identification: u32(d, p + 4) };
    }
    extensionHeaders.push({ type: nh, nextHeader: extNext, offset: p, length: len, data: d.subarray(p + 2, p + len) });
    p += len;
    nh = extNext;
  }
  const isLaterFragment = fragment !== undefined && fragment.offset !== 0;
  if (next === undefined) next = isLaterFragment ? 'payload' : ipProtoLayer(nh);
  const layer: Ipv6Layer = {
    kind: 'ipv6',
    offset,
    headerLength: p - offset,
    header: d.subarray(offset, p),
    payload: d.subarray(p, payloadEnd),
    trailer: d.subarray(payloadEnd, end),
    truncated,
    quoted: ctx.quoted,
    version,
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit: u8(d, offset + 7),
    src: formatIpv6(d, offset + 8),
    dst: formatIpv6(d, offset + 24),
    extensionHeaders,
    finalNextHeader: nh,
    fragment,
    isLaterFragment,
    jumboPayloadLength: jumbo,
  };
  return { layer, next, hint: nh };
};

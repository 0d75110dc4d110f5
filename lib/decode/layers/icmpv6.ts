import type { LayerBase, LayerDecoder } from '../types';
import { formatIpv6, formatMac, u16, u32, u8 } from './base';

export const ICMPV6_HEADER_LEN = 8;

export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAMETER_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_ROUTER_SOLICITATION = 133;
export const ICMPV6_ROUTER_ADVERTISEMENT = 134;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
export const ICMPV6_REDIRECT = 137;

export const NDP_OPT_SOURCE_LINK_ADDR = 1;
export const NDP_OPT_TARGET_LINK_ADDR = 2;
export const NDP_OPT_PREFIX_INFO = 3;
export const NDP_OPT_MTU = 5;

/** Fixed part (after type/code/checksum) of each Neighbor Discovery message, RFC 4861 §4. */
const ND_FIXED_LEN: ReadonlyMap<number, number> = new Map([
  [ICMPV6_ROUTER_SOLICITATION, 8],
  [ICMPV6_ROUTER_ADVERTISEMENT, 16],
  [ICMPV6_NEIGHBOR_SOLICITATION, 24],
  [ICMPV6_NEIGHBOR_ADVERTISEMENT, 24],
  [ICMPV6_REDIRECT, 40],
]);

/** Prefix Information option (RFC 4861 §4.6.2). */
export interface NdpPrefixInfo {
  prefixLength: number;
  /** L: on-link flag. */
  onLink: boolean;
  /** A: autonomous address-configuration flag. */
  autonomous: boolean;
  validLifetime: number;
  preferredLifetime: number;
  prefix: string;
}

/** One Neighbor Discovery option (RFC 4861 §4.6): Type, Length in units of 8 octets. */
export interface NdpOption {
  type: number;
  /** Length in octets (the field × 8). */
  length: number;
  /** The option's bytes after Type and Length, a view. */
  data: Uint8Array;
  /** Source/Target Link-Layer Address (types 1, 2). */
  linkLayerAddress: string | undefined;
  /** Prefix Information (type 3). */
  prefixInfo: NdpPrefixInfo | undefined;
  /** MTU (type 5). */
  mtu: number | undefined;
}

/**
 * ICMPv6 message (RFC 4443 §2.1; Neighbor Discovery RFC 4861 §4). Errors (1-4) quote as much of
 * the offending packet as fits in the minimum MTU, decoded as the next layers with `quoted`
 * set. Neighbor Discovery messages keep their fixed part and options in the header.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Identifier          |        Sequence Number        |  echo (128, 129)
 *  |                              MTU                              |  packet too big (2)
 *  |                            Pointer                            |  parameter problem (4)
 *  |    Length     |                  Unused                       |  1, 3 (RFC 4884)
 *  |R|S|O|                     Reserved                            |  NA (136)
 *  | Cur Hop Limit |M|O|  Reserved |       Router Lifetime         |  RA (134)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              Message body (quoted packet, target, options)    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface Icmpv6Layer extends LayerBase<'icmpv6'> {
  /** Type. */
  type: number;
  /** Code. */
  code: number;
  /** Checksum, as read. */
  checksum: number;
  /** Identifier (echo). */
  identifier: number | undefined;
  /** Sequence Number (echo). */
  sequence: number | undefined;
  /** MTU of a Packet Too Big (type 2). */
  mtu: number | undefined;
  /** Pointer of a Parameter Problem (type 4). */
  pointer: number | undefined;
  /** RFC 4884 Length of the original datagram in bytes (types 1, 3); 0 when absent. */
  originalDatagramLength: number | undefined;
  /** Target Address (NS, NA, redirect). */
  targetAddress: string | undefined;
  /** Destination Address (redirect). */
  destinationAddress: string | undefined;
  /** NA flags R (router), S (solicited), O (override). */
  router: boolean | undefined;
  solicited: boolean | undefined;
  override: boolean | undefined;
  /** RA: Cur Hop Limit, M (managed), O (other config), Router Lifetime (s), Reachable Time and Retrans Timer (ms). */
  curHopLimit: number | undefined;
  managed: boolean | undefined;
  otherConfig: boolean | undefined;
  routerLifetime: number | undefined;
  reachableTime: number | undefined;
  retransTimer: number | undefined;
  /** Neighbor Discovery options. */
  options: NdpOption[];
  /** True for error types (1-4), whose payload is the quoted packet. */
  isError: boolean;
}

export const decodeIcmpv6: LayerDecoder<Icmpv6Layer> = (ctx, offset, end) => {
  const d = ctx.data;
  const avail = end - offset;
  if (avail < 4) return { short: true };
  const type = u8(d, offset);
  const isError = type >= ICMPV6_DEST_UNREACHABLE && type <= ICMPV6_PARAMETER_PROBLEM;
  const isEcho = type === ICMPV6_ECHO_REQUEST || type === ICMPV6_ECHO_REPLY;
  const ndFixed = ND_FIXED_LEN.get(type);
  let headerLength: number;
  if (ndFixed !== undefined) {
    if (avail < ndFixed) return { short: true };
    headerLength = avail;
  } else if (isError || isEcho) {
    if (avail < ICMPV6_HEADER_LEN) return { short: true };
    headerLength = ICMPV6_HEADER_LEN;
  } else {
    headerLength = 4;
  }
  const layer: Icmpv6Layer = {
    kind: 'icmpv6',
    offset,
    headerLength,
    header: d.subarray(offset, offset + headerLength),
    payload: d.subarray(offset + headerLength, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    type,
    code: u8(d, offset + 1),
    checksum: u16(d, offset + 2),
    identifier: undefined,
    sequence: undefined,
    mtu: undefined,
    pointer: undefined,
    originalDatagramLength: undefined,
    targetAddress: undefined,
    destinationAddress: undefined,
    router: undefined,
    solicited: undefined,
    override: undefined,
    curHopLimit: undefined,
    managed: undefined,
    otherConfig: undefined,
    routerLifetime: undefined,
    reachableTime: undefined,
    retransTimer: undefined,
    options: [],
    isError,
  };
  if (isEcho) {
    layer.identifier = u16(d, offset + 4);
    layer.sequence = u16(d, offset + 6);
  } else if (type === ICMPV6_PACKET_TOO_BIG) {
    layer.mtu = u32(d, offset + 4);
  } else if (type === ICMPV6_PARAMETER_PROBLEM) {
    layer.pointer = u32(d, offset + 4);
  } else if (type === ICMPV6_DEST_UNREACHABLE || type === ICMPV6_TIME_EXCEEDED) {
    layer.originalDatagramLength = u8(d, offset + 4) * 8;
  } else if (type === ICMPV6_ROUTER_ADVERTISEMENT) {
    const f = u8(d, offset + 5);
    layer.curHopLimit = u8(d, offset + 4);
    layer.managed = (f & 0x80) !== 0;
    layer.otherConfig = (f & 0x40) !== 0;
    layer.routerLifetime = u16(d, offset + 6);
    layer.reachableTime = u32(d, offset + 8);
    layer.retransTimer = u32(d, offset + 12);
  } else if (type === ICMPV6_NEIGHBOR_SOLICITATION || type === ICMPV6_NEIGHBOR_ADVERTISEMENT || type === ICMPV6_REDIRECT) {
    layer.targetAddress = formatIpv6(d, offset + 8);
    if (type === ICMPV6_NEIGHBOR_ADVERTISEMENT) {
      const f = u8(d, offset + 4);
      layer.router = (f & 0x80) !== 0;
      layer.solicited = (f & 0x40) !== 0;
      layer.override = (f & 0x20) !== 0;
    }
    if (type === ICMPV6_REDIRECT) layer.destinationAddress = formatIpv6(d, offset + 24);
  }
  if (ndFixed !== undefined) {
    let p = offset + ndFixed;
    while (p + 2 <= end) {
      const optType = u8(d, p);
      const len = u8(d, p + 1) * 8;
      if (len === 0) {
        // RFC 4861 §4.6: a node must discard ND packets with a zero-length option.
        ctx.errors.push({ layer: 'icmpv6', offset: p + 1, message: `Neighbor Discovery option ${optType} with length 0` });
        break;
      }
      if (p + len > end) {
        if (ctx.endIsDeclared) ctx.errors.push({ layer: 'icmpv6', offset: p + 1, message: `Neighbor Discovery option ${optType} of ${len} bytes overruns the message` });
        else layer.truncated = true;
        break;
      }
      const opt: NdpOption = {
        type: optType,
        length: len,
        data: d.subarray(p + 2, p + len),
        linkLayerAddress: undefined,
        prefixInfo: undefined,
        mtu: undefined,
      };
      if (optType === NDP_OPT_SOURCE_LINK_ADDR || optType === NDP_OPT_TARGET_LINK_ADDR) {
        opt.linkLayerAddress = formatMac(d, p + 2, len - 2 >= 6 ? 6 : len - 2);
      } else if (optType === NDP_OPT_PREFIX_INFO && len === 32) {
        const f = u8(d, p + 3);
        opt.prefixInfo = {
          prefixLength: u8(d, p + 2),
          onLink: (f & 0x80) !== 0,
          autonomous: (f & 0x40) !== 0,
          validLifetime: u32(d, p + 4),
          preferredLifetime: u32(d, p + 8),
          prefix: formatIpv6(d, p + 16),
        };
      } else if (optType === NDP_OPT_MTU && len === 8) {
        opt.mtu = u32(d, p + 4);
      }
      layer.options.push(opt);
      p += len;
    }
  }
  if (!isError) return { layer, next: 'payload', hint: type };
  const payloadStart = offset + ICMPV6_HEADER_LEN;
  const odl = layer.originalDatagramLength ?? 0;
  const nextEnd = odl > 0 && payloadStart + odl < end ? payloadStart + odl : undefined;
  return { layer, next: 'ipv6', hint: type, entersQuote: true, nextEnd };
};

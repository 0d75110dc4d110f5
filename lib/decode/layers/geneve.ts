import { etherTypeLayer } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { u16, u24, u8 } from './base';

export const GENEVE_HEADER_LEN = 8;

/**
 * One Geneve option (RFC 8926 §3.5).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Option Class         |      Type     |R|R|R| Length  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Variable-Length Option Data                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface GeneveOption {
  /** Option Class. */
  optionClass: number;
  /** Type; its high bit is the critical bit. */
  type: number;
  /** High bit of Type: the receiver must drop the packet if it does not understand the option. */
  critical: boolean;
  /** R: three reserved flag bits. */
  reservedFlags: number;
  /** Length of the option data in octets (the field × 4). */
  length: number;
  /** Option data, a view. */
  data: Uint8Array;
}

/**
 * Geneve header (RFC 8926 §3.4); the protocol type says what follows: 0x6558 Ethernet, 0x0800
 * IPv4, 0x86DD IPv6.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Virtual Network Identifier (VNI)       |    Reserved   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  ~                    Variable-Length Options                    ~
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface GeneveLayer extends LayerBase<'geneve'> {
  /** Ver: 0. */
  version: number;
  /** Opt Len: length of the options in 4-octet words. */
  optLen: number;
  /** O: OAM packet (control traffic, not user data). */
  oam: boolean;
  /** C: at least one option has the critical bit set. */
  critical: boolean;
  /** Rsvd.: six reserved bits. */
  reservedFlags: number;
  /** Protocol Type: an EtherType. */
  protocolType: number;
  /** Virtual Network Identifier, 24 bits. */
  vni: number;
  /** Reserved: the last octet of the fixed header. */
  reserved: number;
  options: GeneveOption[];
}

export const decodeGeneve: LayerDecoder<GeneveLayer> = (ctx, offset, end) => {
  if (end - offset < GENEVE_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const b0 = u8(d, offset);
  const b1 = u8(d, offset + 1);
  const version = b0 >> 6;
  // RFC 8926 §3.4: a packet of an unknown version must be dropped; its layout is unknown.
  if (version !== 0) return { malformed: `Geneve version ${version}`, at: offset };
  const optLen = b0 & 0x3f;
  const headerLength = GENEVE_HEADER_LEN + optLen * 4;
  if (offset + headerLength > end) {
    if (!ctx.endIsDeclared) return { short: true };
    return { malformed: `Geneve options of ${optLen * 4} bytes overrun the UDP payload`, at: offset };
  }
  const options: GeneveOption[] = [];
  const optEnd = offset + headerLength;
  let p = offset + GENEVE_HEADER_LEN;
  while (p < optEnd) {
    if (p + 4 > optEnd) {
      ctx.errors.push({ layer: 'geneve', offset: p, message: `Geneve option header at byte ${p} overruns Opt Len` });
      break;
    }
    const type = u8(d, p + 2);
    const b3 = u8(d, p + 3);
    const len = (b3 & 0x1f) * 4;
    if (p + 4 + len > optEnd) {
      ctx.errors.push({ layer: 'geneve', offset: p + 3, message: `Geneve option of ${len} bytes overruns Opt Len` });
      break;
    }
    options.push({
      optionClass: u16(d, p),
      type,
      critical: (type & 0x80) !== 0,
      reservedFlags: b3 >> 5,
      length: len,
      data: d.subarray(p + 4, p + 4 + len),
    });
    p += 4 + len;
  }
  const protocolType = u16(d, offset + 2);
  const layer: GeneveLayer = {
    kind: 'geneve',
    offset,
    headerLength,
    header: d.subarray(offset, offset + headerLength),
    payload: d.subarray(offset + headerLength, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    version,
    optLen,
    oam: (b1 & 0x80) !== 0,
    critical: (b1 & 0x40) !== 0,
    reservedFlags: b1 & 0x3f,
    protocolType,
    vni: u24(d, offset + 4),
    reserved: u8(d, offset + 7),
    options,
  };
  return { layer, next: etherTypeLayer(protocolType), hint: protocolType };
};

import { NSH_NEXT_ETHERNET, NSH_NEXT_IPV4, NSH_NEXT_IPV6, NSH_NEXT_NSH } from '../../protocols/numbers';
import type { LayerBase, LayerDecoder, LayerKind } from '../types';
import { u16, u24, u32, u8 } from './base';

/** Base Header and Service Path Header: the least an NSH can be (MD type 2 without metadata). */
export const NSH_MIN_HEADER_LEN = 8;
/** MD type 1's Length, in 4-byte words: base, service path and four fixed context words. */
export const NSH_MD1_LENGTH_WORDS = 6;
export const NSH_MD_TYPE_1 = 1;
export const NSH_MD_TYPE_2 = 2;

/**
 * One MD type 2 Variable-Length Context Header (RFC 8300 §2.5.1): class, type, length in bytes,
 * then the metadata padded to a 4-byte boundary.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Metadata Class       |      Type     |U|    Length   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      Variable-Length Metadata                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface NshContextTlv {
  /** Metadata Class. */
  metadataClass: number;
  /** Type; its top bit marks a critical TLV in some classes. */
  type: number;
  /** U: the unassigned bit before Length. */
  unassigned: boolean;
  /** Length of the metadata in bytes, without padding (0..127). */
  length: number;
  /** Offset of the TLV from the packet start. */
  offset: number;
  /** The metadata, `length` bytes, a view. */
  data: Uint8Array;
}

/**
 * Network Service Header (RFC 8300 §2): a Base Header, a Service Path Header and context
 * headers, Length words in all, then what Next Protocol names. It rides in VXLAN-GPE (Next
 * Protocol 4), GRE or Ethernet (EtherType 0x894F); it needs one of them, having no address of
 * its own (§4).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Ver|O|U|    TTL    |   Length  |U|U|U|U|MD Type| Next Protocol |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Service Path Identifier (SPI)        | Service Index |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  ~                  Context Header(s)                            ~
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * MD type 1 (§2.4) has exactly four words of fixed context (Length 6); MD type 2 (§2.5) has
 * zero or more Variable-Length Context Headers.
 */
export interface NshLayer extends LayerBase<'nsh'> {
  /** Ver: 0. */
  version: number;
  /** O: an OAM packet. */
  oam: boolean;
  /** U (bit 3): unassigned since RFC 8300; the drafts' C bit, Wireshark 4.0's nsh.CBit. */
  unassignedBit: boolean;
  /** TTL, 6 bits: service plane hops left (§2.2). */
  ttl: number;
  /** Length: the whole NSH in 4-byte words. */
  length: number;
  /** The four unassigned bits before MD Type. */
  unassigned: number;
  /** MD Type: 1 fixed context, 2 variable-length context, 0xF experimental. */
  mdType: number;
  /** Next Protocol: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS. */
  nextProtocol: number;
  /** Service Path Identifier, 24 bits: which service function path. */
  spi: number;
  /** Service Index: the packet's place on the path, decremented by each service function. */
  si: number;
  /** MD type 1: the four 32-bit Fixed-Length Context Header words; empty otherwise. */
  fixedContext: number[];
  /** MD type 2: the Variable-Length Context Headers; empty otherwise. */
  tlvs: NshContextTlv[];
  /** The context headers' bytes (Length × 4 − 8), a view. */
  context: Uint8Array;
}

/** Next Protocol → layer; MPLS, the experimental values and anything unknown are payload. */
function nextLayer(nextProtocol: number): LayerKind {
  if (nextProtocol === NSH_NEXT_IPV4) return 'ipv4';
  if (nextProtocol === NSH_NEXT_IPV6) return 'ipv6';
  if (nextProtocol === NSH_NEXT_ETHERNET) return 'ethernet';
  if (nextProtocol === NSH_NEXT_NSH) return 'nsh';
  return 'payload';
}

export const decodeNsh: LayerDecoder<NshLayer> = (ctx, offset, end) => {
  if (end - offset < NSH_MIN_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const w0 = u16(d, offset);
  const version = w0 >> 14;
  // §2.2: Ver is 0; a later version may lay the header out differently.
  if (version !== 0) return { malformed: `NSH version ${version}`, at: offset };
  const length = w0 & 0x3f;
  const headerLength = length * 4;
  if (length < 2) return { malformed: `NSH length ${length} words (< 2: base and service path headers)`, at: offset + 1 };
  if (end - offset < headerLength) return { short: true };
  const b2 = u8(d, offset + 2);
  const mdType = b2 & 0x0f;
  const ctxStart = offset + NSH_MIN_HEADER_LEN;
  const ctxEnd = offset + headerLength;
  const fixedContext: number[] = [];
  const tlvs: NshContextTlv[] = [];
  if (mdType === NSH_MD_TYPE_1) {
    // §2.4: MD type 1 has Length 6; Length still says where the inner packet starts.
    if (length !== NSH_MD1_LENGTH_WORDS) ctx.errors.push({ layer: 'nsh', offset: offset + 1, message: `NSH MD type 1 with length ${length} words (not 6)` });
    for (let p = ctxStart; p + 4 <= ctxEnd; p += 4) fixedContext.push(u32(d, p));
  } else if (mdType === NSH_MD_TYPE_2) {
    let p = ctxStart;
    while (p < ctxEnd) {
      if (ctxEnd - p < 4) {
        ctx.errors.push({ layer: 'nsh', offset: p, message: `NSH context header at byte ${p} overruns the NSH length` });
        break;
      }
      const b3 = u8(d, p + 3);
      const len = b3 & 0x7f;
      const padded = (len + 3) & ~3;
      if (p + 4 + padded > ctxEnd) {
        ctx.errors.push({ layer: 'nsh', offset: p + 3, message: `NSH context header of ${len} bytes overruns the NSH length` });
        break;
      }
      tlvs.push({ metadataClass: u16(d, p), type: u8(d, p + 2), unassigned: (b3 & 0x80) !== 0, length: len, offset: p, data: d.subarray(p + 4, p + 4 + len) });
      p += 4 + padded;
    }
  }
  const nextProtocol = u8(d, offset + 3);
  const layer: NshLayer = {
    kind: 'nsh',
    offset,
    headerLength,
    header: d.subarray(offset, ctxEnd),
    payload: d.subarray(ctxEnd, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    version,
    oam: (w0 & 0x2000) !== 0,
    unassignedBit: (w0 & 0x1000) !== 0,
    ttl: (w0 >> 6) & 0x3f,
    length,
    unassigned: b2 >> 4,
    mdType,
    nextProtocol,
    spi: u24(d, offset + 4),
    si: u8(d, offset + 7),
    fixedContext,
    tlvs,
    context: d.subarray(ctxStart, ctxEnd),
  };
  return { layer, next: nextLayer(nextProtocol), hint: nextProtocol };
};

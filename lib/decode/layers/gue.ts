import { ipProtoLayer } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { u16, u8 } from './base';

export const GUE_HEADER_LEN = 4;
/** C: a control message; Proto/ctype is then a control type, not an IP protocol. */
export const GUE_FLAG_C = 0x20;
/** P, the last flag bit: four bytes of private data follow (Linux's GUE_FLAG_PRIV). */
export const GUE_FLAG_P = 0x0001;

/**
 * Generic UDP Encapsulation (draft-ietf-intarea-gue-09 §3.1; Linux `ip fou add port N gue`).
 * Variant 0 is this header, then what Proto/ctype names; Hlen counts the optional extension
 * fields in 32-bit words (not the first word). Variant 1 (§4.1) has no header at all: the UDP
 * payload is an IPv4 or IPv6 packet, whose version nibble 4 (0100) or 6 (0110) reads as
 * variant 01; it decodes as a zero-length layer, like flannel's UDP backend.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Var|C|   Hlen  |  Proto/ctype  |             Flags             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  ~                      Extensions Fields (optional)             ~
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface GueLayer extends LayerBase<'gue'> {
  /** Var: 0 (this header) or 1 (direct IPv4/IPv6, no header). */
  variant: number;
  /** C: a control message. Variant 0 only, false in variant 1. */
  control: boolean;
  /** Hlen: extension fields in 32-bit words (0..31). */
  hlen: number;
  /** Proto/ctype: the inner packet's IP protocol number (C clear) or the control type (C set). */
  protoCtype: number;
  /** Flags: 16 bits saying which extension fields are present. */
  flags: number;
  /** P, the last flag bit: private data (Linux puts its remote-checksum-offload flags there). */
  privateData: boolean;
  /** The extension fields, hlen × 4 bytes, a view. */
  extensions: Uint8Array;
}

export const decodeGue: LayerDecoder<GueLayer> = (ctx, offset, end) => {
  const d = ctx.data;
  if (end - offset < 1) return { short: true };
  const b0 = u8(d, offset);
  const variant = b0 >> 6;
  if (variant === 1) {
    // Direct IP (§4.1): the bytes are the inner packet's; nothing of GUE's own to read.
    const layer: GueLayer = {
      kind: 'gue',
      offset,
      headerLength: 0,
      header: d.subarray(offset, offset),
      payload: d.subarray(offset, end),
      trailer: d.subarray(end, end),
      truncated: false,
      quoted: ctx.quoted,
      variant,
      control: false,
      hlen: 0,
      protoCtype: 0,
      flags: 0,
      privateData: false,
      extensions: d.subarray(offset, offset),
    };
    return { layer, next: 'ip', hint: 0 };
  }
  // §3.1: variants 2 and 3 are reserved; a receiver drops them.
  if (variant !== 0) return { malformed: `GUE variant ${variant}`, at: offset };
  if (end - offset < GUE_HEADER_LEN) return { short: true };
  const hlen = b0 & 0x1f;
  const headerLength = GUE_HEADER_LEN + hlen * 4;
  if (end - offset < headerLength) return { short: true };
  const control = (b0 & GUE_FLAG_C) !== 0;
  const protoCtype = u8(d, offset + 1);
  const flags = u16(d, offset + 2);
  const layer: GueLayer = {
    kind: 'gue',
    offset,
    headerLength,
    header: d.subarray(offset, offset + headerLength),
    payload: d.subarray(offset + headerLength, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    variant,
    control,
    hlen,
    protoCtype,
    flags,
    privateData: (flags & GUE_FLAG_P) !== 0,
    extensions: d.subarray(offset + GUE_HEADER_LEN, offset + headerLength),
  };
  // A control message's body is GUE's own business; data carries an IP protocol's packet.
  return { layer, next: control ? 'payload' : ipProtoLayer(protoCtype), hint: protoCtype };
};

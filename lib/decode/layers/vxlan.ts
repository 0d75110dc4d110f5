import type { LayerBase, LayerDecoder } from '../types';
import { u24, u8 } from './base';

export const VXLAN_HEADER_LEN = 8;
/** The I flag: the VNI is valid (RFC 7348 §5). */
export const VXLAN_FLAG_I = 0x08;

/**
 * VXLAN header (RFC 7348 §5), then the inner Ethernet frame. The seven R flag bits and both
 * reserved fields must be sent as zero and are ignored on receipt, so they are reported, not
 * rejected.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface VxlanLayer extends LayerBase<'vxlan'> {
  /** Flags: the whole first octet. */
  flags: number;
  /** I flag (0x08): the VNI is valid. */
  validVni: boolean;
  /** The seven R bits of the flags octet (flags & 0xF7); zero on the wire per RFC 7348. */
  reservedFlags: number;
  /** Reserved: the 24 bits after the flags. */
  reserved1: number;
  /** VXLAN Network Identifier, 24 bits. */
  vni: number;
  /** Reserved: the last octet. */
  reserved2: number;
}

export const decodeVxlan: LayerDecoder<VxlanLayer> = (ctx, offset, end) => {
  if (end - offset < VXLAN_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const flags = u8(d, offset);
  const layer: VxlanLayer = {
    kind: 'vxlan',
    offset,
    headerLength: VXLAN_HEADER_LEN,
    header: d.subarray(offset, offset + VXLAN_HEADER_LEN),
    payload: d.subarray(offset + VXLAN_HEADER_LEN, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    flags,
    validVni: (flags & VXLAN_FLAG_I) !== 0,
    reservedFlags: flags & ~VXLAN_FLAG_I & 0xff,
    reserved1: u24(d, offset + 1),
    vni: u24(d, offset + 4),
    reserved2: u8(d, offset + 7),
  };
  return { layer, next: 'ethernet', hint: 0 };
};

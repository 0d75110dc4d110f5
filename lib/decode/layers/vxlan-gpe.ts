import { VXLAN_GPE_NEXT_ETHERNET, VXLAN_GPE_NEXT_IPV4, VXLAN_GPE_NEXT_IPV6, VXLAN_GPE_NEXT_NSH } from '../../protocols/numbers';
import type { LayerBase, LayerDecoder, LayerKind } from '../types';
import { u16, u24, u8 } from './base';

export const VXLAN_GPE_HEADER_LEN = 8;
export const VXLAN_GPE_FLAG_I = 0x08;
export const VXLAN_GPE_FLAG_P = 0x04;
export const VXLAN_GPE_FLAG_B = 0x02;
export const VXLAN_GPE_FLAG_O = 0x01;

/**
 * VXLAN-GPE header (draft-ietf-nvo3-vxlan-gpe-13): VXLAN's header with a version, three more
 * flags and a Next Protocol in the last reserved octet of the first word. Next Protocol says
 * what follows: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|Ver|I|P|B|O|           Reserved            | Next Protocol |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface VxlanGpeLayer extends LayerBase<'vxlan-gpe'> {
  /** Flags: the whole first octet. */
  flags: number;
  /** Ver: 0. */
  version: number;
  /** I (0x08): the VNI is valid. */
  validVni: boolean;
  /** P (0x04): the Next Protocol field is present. */
  nextProtocolPresent: boolean;
  /** B (0x02): ingress-replicated BUM traffic (broadcast, unknown unicast, multicast). */
  bum: boolean;
  /** O (0x01): an OAM packet. */
  oam: boolean;
  /** The two R bits (flags & 0xC0); zero on the wire. */
  reservedFlags: number;
  /** Reserved: the 16 bits after the flags. */
  reserved1: number;
  /** Next Protocol. */
  nextProtocol: number;
  /** VXLAN Network Identifier, 24 bits. */
  vni: number;
  /** Reserved: the last octet. */
  reserved2: number;
}

/** Next Protocol → layer; MPLS and anything unknown are payload. */
function nextLayer(nextProtocol: number): LayerKind {
  if (nextProtocol === VXLAN_GPE_NEXT_IPV4) return 'ipv4';
  if (nextProtocol === VXLAN_GPE_NEXT_IPV6) return 'ipv6';
  if (nextProtocol === VXLAN_GPE_NEXT_ETHERNET) return 'ethernet';
  if (nextProtocol === VXLAN_GPE_NEXT_NSH) return 'nsh';
  return 'payload';
}

export const decodeVxlanGpe: LayerDecoder<VxlanGpeLayer> = (ctx, offset, end) => {
  if (end - offset < VXLAN_GPE_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const flags = u8(d, offset);
  const version = (flags >> 4) & 0x3;
  // The draft: a packet of a version the receiver does not support must be dropped.
  if (version !== 0) return { malformed: `VXLAN-GPE version ${version}`, at: offset };
  const nextProtocol = u8(d, offset + 3);
  const layer: VxlanGpeLayer = {
    kind: 'vxlan-gpe',
    offset,
    headerLength: VXLAN_GPE_HEADER_LEN,
    header: d.subarray(offset, offset + VXLAN_GPE_HEADER_LEN),
    payload: d.subarray(offset + VXLAN_GPE_HEADER_LEN, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    flags,
    version,
    validVni: (flags & VXLAN_GPE_FLAG_I) !== 0,
    nextProtocolPresent: (flags & VXLAN_GPE_FLAG_P) !== 0,
    bum: (flags & VXLAN_GPE_FLAG_B) !== 0,
    oam: (flags & VXLAN_GPE_FLAG_O) !== 0,
    reservedFlags: flags & 0xc0,
    reserved1: u16(d, offset + 1),
    nextProtocol,
    vni: u24(d, offset + 4),
    reserved2: u8(d, offset + 7),
  };
  // With P clear Next Protocol is followed all the same, as Wireshark does.
  return { layer, next: nextLayer(nextProtocol), hint: nextProtocol };
};

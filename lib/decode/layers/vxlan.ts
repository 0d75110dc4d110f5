import type { LayerBase, LayerDecoder } from '../types';
import { u16, u24, u8 } from './base';

export const VXLAN_HEADER_LEN = 8;
/** The I flag: the VNI is valid (RFC 7348 §5). */
export const VXLAN_FLAG_I = 0x08;
/** The G flag: Group Based Policy extension (draft-smith-vxlan-group-policy-05 §2.1). */
export const VXLAN_FLAG_G = 0x80;
/** D, in the octet after the flags: Don't Learn. */
export const VXLAN_GBP_FLAG_D = 0x40;
/** A, in the octet after the flags: Policy Applied. */
export const VXLAN_GBP_FLAG_A = 0x08;

/**
 * VXLAN header (RFC 7348 §5), then the inner Ethernet frame. The R flag bits and both reserved
 * fields must be sent as zero and are ignored on receipt, so they are reported, not rejected.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * With the Group Based Policy extension (draft-smith-vxlan-group-policy-05 §2.1; Linux
 * `ip link add … type vxlan gbp`, Cilium and Calico policy), the first word carries the G flag,
 * Don't Learn, Policy Applied and the sender's Group Policy ID:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |G|R|R|R|I|R|R|R|R|D|R|R|A|R|R|R|        Group Policy ID        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface VxlanLayer extends LayerBase<'vxlan'> {
  /** Flags: the whole first octet. */
  flags: number;
  /** I flag (0x08): the VNI is valid. */
  validVni: boolean;
  /** The R bits of the flags octet (flags & 0x77: neither I nor G); zero on the wire. */
  reservedFlags: number;
  /** G flag (0x80): the Group Based Policy extension is in use, Group Policy ID is valid. */
  groupPolicy: boolean;
  /** D (bit 9): Don't Learn, the receiving VTEP must not learn the source address. */
  dontLearn: boolean;
  /** A (bit 12): Policy Applied, the group policy was already enforced upstream. */
  policyApplied: boolean;
  /**
   * Group Policy ID, bytes 2-3. Read whether or not G is set, as Wireshark shows vxlan.gbp
   * for every VXLAN header; without G it is RFC 7348's reserved bits.
   */
  groupPolicyId: number;
  /** Reserved: the 24 bits after the flags as read (with G: the D and A flags and the Group Policy ID). */
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
  const gbpFlags = u8(d, offset + 1);
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
    reservedFlags: flags & ~(VXLAN_FLAG_I | VXLAN_FLAG_G) & 0xff,
    groupPolicy: (flags & VXLAN_FLAG_G) !== 0,
    dontLearn: (gbpFlags & VXLAN_GBP_FLAG_D) !== 0,
    policyApplied: (gbpFlags & VXLAN_GBP_FLAG_A) !== 0,
    groupPolicyId: u16(d, offset + 2),
    reserved1: u24(d, offset + 1),
    vni: u24(d, offset + 4),
    reserved2: u8(d, offset + 7),
  };
  return { layer, next: 'ethernet', hint: 0 };
};

import { ETHERTYPE_MIN, ETHERTYPE_VLAN } from '../../protocols/numbers';
import { etherTypeLayer } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { u16 } from './base';

export const VLAN_HEADER_LEN = 4;

/**
 * IEEE 802.1Q tag (C-tag, TPID 0x8100) or 802.1ad service tag (S-tag, TPID 0x88A8) as it
 * follows the TPID; a QinQ frame is two of these in a row (802.1Q-2018 §9.6).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | PCP |D|         VID           |           EtherType           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface VlanLayer extends LayerBase<'vlan'> {
  /** The TPID that introduced this tag: 0x8100 (802.1Q) or 0x88A8/0x9100 (802.1ad/QinQ). */
  tpid: number;
  /** PCP: Priority Code Point, 3 bits. */
  priority: number;
  /** DEI: Drop Eligible Indicator (formerly CFI). */
  dropEligible: boolean;
  /** VID: VLAN Identifier, 12 bits (0 = priority tag only). */
  id: number;
  /** EtherType (or 802.3 length) of what follows. */
  etherType: number;
}

export const decodeVlan: LayerDecoder<VlanLayer> = (ctx, offset, end, hint) => {
  if (end - offset < VLAN_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const tci = u16(d, offset);
  const etherType = u16(d, offset + 2);
  const layer: VlanLayer = {
    kind: 'vlan',
    offset,
    headerLength: VLAN_HEADER_LEN,
    header: d.subarray(offset, offset + VLAN_HEADER_LEN),
    payload: d.subarray(offset + VLAN_HEADER_LEN, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    tpid: hint === 0 ? ETHERTYPE_VLAN : hint,
    priority: tci >> 13,
    dropEligible: (tci & 0x1000) !== 0,
    id: tci & 0x0fff,
    etherType,
  };
  return { layer, next: etherType >= ETHERTYPE_MIN ? etherTypeLayer(etherType) : 'payload', hint: etherType };
};

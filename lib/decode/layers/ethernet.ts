import { ETHERNET_MAX_LENGTH_FIELD, ETHERTYPE_MIN } from '../../protocols/numbers';
import { etherTypeLayer } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { formatMac, u16 } from './base';

export const ETHERNET_HEADER_LEN = 14;

/**
 * Ethernet II / IEEE 802.3 MAC header (IEEE 802.3 §3.1.1; the FCS is not captured on most
 * interfaces and is left in the trailer when it is).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Type / Length          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface EthernetLayer extends LayerBase<'ethernet'> {
  /** Destination Address, aa:bb:cc:dd:ee:ff. */
  dst: string;
  /** Source Address. */
  src: string;
  /** Type/Length field as read: an EtherType (≥ 0x0600) or an 802.3 length (≤ 1500). */
  typeOrLength: number;
  /** The EtherType, or undefined for an 802.3 frame (then `length` is set). */
  etherType: number | undefined;
  /** 802.3 length of the LLC data, when the field is a length. */
  length: number | undefined;
}

export const decodeEthernet: LayerDecoder<EthernetLayer> = (ctx, offset, end) => {
  if (end - offset < ETHERNET_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const tl = u16(d, offset + 12);
  const payloadStart = offset + ETHERNET_HEADER_LEN;
  let payloadEnd = end;
  let truncated = false;
  let etherType: number | undefined;
  let length: number | undefined;
  if (tl >= ETHERTYPE_MIN) {
    etherType = tl;
  } else if (tl <= ETHERNET_MAX_LENGTH_FIELD) {
    length = tl;
    if (payloadStart + tl <= end) payloadEnd = payloadStart + tl;
    else truncated = true;
  }
  const layer: EthernetLayer = {
    kind: 'ethernet',
    offset,
    headerLength: ETHERNET_HEADER_LEN,
    header: d.subarray(offset, offset + ETHERNET_HEADER_LEN),
    payload: d.subarray(offset + ETHERNET_HEADER_LEN, payloadEnd),
    trailer: d.subarray(payloadEnd, end),
    truncated,
    quoted: ctx.quoted,
    dst: formatMac(d, offset),
    src: formatMac(d, offset + 6),
    typeOrLength: tl,
    etherType,
    length,
  };
  // 802.3 frames carry LLC/SNAP, which Hopscope does not decode; 1501..1535 is undefined.
  return { layer, next: etherType === undefined ? 'payload' : etherTypeLayer(etherType), hint: tl };
};

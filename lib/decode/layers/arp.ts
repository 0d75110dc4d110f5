import { ETHERTYPE_IPV4 } from '../../protocols/numbers';
import type { LayerBase, LayerDecoder } from '../types';
import { formatIpv4, formatMac, u16, u8 } from './base';

export const ARP_FIXED_LEN = 8;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

/**
 * ARP (RFC 826); the address fields' sizes come from HLN and PLN.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Hardware type (HRD)   |         Protocol type (PRO)   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    HLN        |     PLN       |          Opcode (OP)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Sender hardware address (SHA), HLN octets ...                |
 *  |  Sender protocol address (SPA), PLN octets ...                |
 *  |  Target hardware address (THA), HLN octets ...                |
 *  |  Target protocol address (TPA), PLN octets ...                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface ArpLayer extends LayerBase<'arp'> {
  /** HRD: hardware type (1 = Ethernet). */
  hardwareType: number;
  /** PRO: protocol type, an EtherType (0x0800 = IPv4). */
  protocolType: number;
  /** HLN: hardware address length. */
  hardwareLength: number;
  /** PLN: protocol address length. */
  protocolLength: number;
  /** OP: 1 request, 2 reply. */
  opcode: number;
  /** SHA, colon-separated hex. */
  senderHardwareAddress: string;
  /** SPA: dotted quad for IPv4, colon-separated hex otherwise. */
  senderProtocolAddress: string;
  /** THA. */
  targetHardwareAddress: string;
  /** TPA. */
  targetProtocolAddress: string;
}

function protoAddr(d: Uint8Array, o: number, pro: number, len: number): string {
  return pro === ETHERTYPE_IPV4 && len === 4 ? formatIpv4(d, o) : formatMac(d, o, len);
}

export const decodeArp: LayerDecoder<ArpLayer> = (ctx, offset, end) => {
  if (end - offset < ARP_FIXED_LEN) return { short: true };
  const d = ctx.data;
  const hln = u8(d, offset + 4);
  const pln = u8(d, offset + 5);
  const len = ARP_FIXED_LEN + 2 * (hln + pln);
  if (end - offset < len) return { short: true };
  const pro = u16(d, offset + 2);
  const sha = offset + ARP_FIXED_LEN;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  // ARP has no payload: what follows in the frame is padding to Ethernet's 60-byte minimum.
  const layer: ArpLayer = {
    kind: 'arp',
    offset,
    headerLength: len,
    header: d.subarray(offset, offset + len),
    payload: d.subarray(offset + len, offset + len),
    trailer: d.subarray(offset + len, end),
    truncated: false,
    quoted: ctx.quoted,
    hardwareType: u16(d, offset),
    protocolType: pro,
    hardwareLength: hln,
    protocolLength: pln,
    opcode: u16(d, offset + 6),
    senderHardwareAddress: formatMac(d, sha, hln),
    senderProtocolAddress: protoAddr(d, spa, pro, pln),
    targetHardwareAddress: formatMac(d, tha, hln),
    targetProtocolAddress: protoAddr(d, tpa, pro, pln),
  };
  return { layer, next: 'payload', hint: 0 };
};

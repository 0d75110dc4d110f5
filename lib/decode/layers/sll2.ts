import { etherTypeLayer } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { formatMac, u16, u32, u8 } from './base';
import { ARPHRD_NETLINK } from './sll';

export const SLL2_HEADER_LEN = 20;

/**
 * Linux cooked capture v2, LINKTYPE_LINUX_SLL2 (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html):
 * v1 plus the interface index, so `tcpdump -i any` says which interface saw the packet.
 *
 *  +---------------------------+
 *  |        Protocol type      |  (2 octets)
 *  +---------------------------+
 *  |       Reserved (MBZ)      |  (2 octets)
 *  +---------------------------+
 *  |       Interface index     |  (4 octets)
 *  +---------------------------+
 *  |        ARPHRD_ type       |  (2 octets)
 *  +---------------------------+
 *  |         Packet type       |  (1 octet)
 *  +---------------------------+
 *  | Link-layer address length |  (1 octet)
 *  +---------------------------+
 *  |    Link-layer address     |  (8 octets)
 *  +---------------------------+
 */
export interface Sll2Layer extends LayerBase<'sll2'> {
  /** Protocol type: an EtherType for most interfaces. */
  protocol: number;
  /** Reserved (MBZ). */
  reserved: number;
  /** Interface index (the kernel's ifindex; `ip link` lists them). */
  interfaceIndex: number;
  /** ARPHRD_ type of the interface. */
  arphrdType: number;
  /** Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  packetType: number;
  /** Link-layer address length, as recorded. */
  addressLength: number;
  /** Link-layer address (first min(length, 8) bytes), colon-separated hex. */
  address: string;
}

export const decodeSll2: LayerDecoder<Sll2Layer> = (ctx, offset, end) => {
  if (end - offset < SLL2_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const protocol = u16(d, offset);
  const arphrdType = u16(d, offset + 8);
  const addressLength = u8(d, offset + 11);
  const layer: Sll2Layer = {
    kind: 'sll2',
    offset,
    headerLength: SLL2_HEADER_LEN,
    header: d.subarray(offset, offset + SLL2_HEADER_LEN),
    payload: d.subarray(offset + SLL2_HEADER_LEN, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    protocol,
    reserved: u16(d, offset + 2),
    interfaceIndex: u32(d, offset + 4),
    arphrdType,
    packetType: u8(d, offset + 10),
    addressLength,
    address: formatMac(d, offset + 12, Math.min(addressLength, 8)),
  };
  return { layer, next: arphrdType === ARPHRD_NETLINK ? 'payload' : etherTypeLayer(protocol), hint: protocol };
};

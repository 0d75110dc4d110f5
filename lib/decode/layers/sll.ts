import { etherTypeLayer } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { formatMac, u16 } from './base';

export const SLL_HEADER_LEN = 16;
/** ARPHRD_NETLINK: the protocol field is a netlink family, not an EtherType. */
export const ARPHRD_NETLINK = 824;

/** Linux packet types (linux/if_packet.h PACKET_*), as both cooked headers record them. */
export const SLL_PKTTYPE_HOST = 0;
export const SLL_PKTTYPE_BROADCAST = 1;
export const SLL_PKTTYPE_MULTICAST = 2;
export const SLL_PKTTYPE_OTHERHOST = 3;
export const SLL_PKTTYPE_OUTGOING = 4;

/**
 * Linux cooked capture v1, LINKTYPE_LINUX_SLL (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html),
 * what `tcpdump -i any` writes.
 *
 *  +---------------------------+
 *  |         Packet type       |  (2 octets)
 *  +---------------------------+
 *  |        ARPHRD_ type       |  (2 octets)
 *  +---------------------------+
 *  | Link-layer address length |  (2 octets)
 *  +---------------------------+
 *  |    Link-layer address     |  (8 octets)
 *  +---------------------------+
 *  |        Protocol type      |  (2 octets)
 *  +---------------------------+
 */
export interface SllLayer extends LayerBase<'sll'> {
  /** Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  packetType: number;
  /** ARPHRD_ type of the interface (1 = Ethernet, 772 = loopback, 65534 = none/tun). */
  arphrdType: number;
  /** Link-layer address length, as recorded (may exceed the 8 bytes of room). */
  addressLength: number;
  /** Link-layer address (first min(length, 8) bytes), colon-separated hex. */
  address: string;
  /** Protocol type: an EtherType for most interfaces. */
  protocol: number;
}

export const decodeSll: LayerDecoder<SllLayer> = (ctx, offset, end) => {
  if (end - offset < SLL_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const addressLength = u16(d, offset + 4);
  const arphrdType = u16(d, offset + 2);
  const protocol = u16(d, offset + 14);
  const layer: SllLayer = {
    kind: 'sll',
    offset,
    headerLength: SLL_HEADER_LEN,
    header: d.subarray(offset, offset + SLL_HEADER_LEN),
    payload: d.subarray(offset + SLL_HEADER_LEN, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    packetType: u16(d, offset),
    arphrdType,
    addressLength,
    address: formatMac(d, offset + 6, Math.min(addressLength, 8)),
    protocol,
  };
  return { layer, next: arphrdType === ARPHRD_NETLINK ? 'payload' : etherTypeLayer(protocol), hint: protocol };
};

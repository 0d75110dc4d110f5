/**
 * Numbers from the registries and the dispatch tables the driver follows from one layer to
 * the next (gopacket layers/enums.go, layers/ports.go). Plain maps of numbers to kinds, so the
 * non-allocating indexer (index-packet.ts) can share them with decodePacket.
 */
import type { LayerKind, NextKind } from './types';

// Link-layer header types (tcpdump.org/linktypes.html).
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW as most systems number it; raw IPv4 or IPv6 by the version nibble. */
export const LINKTYPE_RAW_DLT12 = 12;
/** DLT_RAW as OpenBSD numbers it. */
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

// EtherTypes (IEEE Registration Authority; RFC 7042 §B.1).
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
/** Reverse ARP (RFC 903): ARP's packet format with opcodes 3 and 4. */
export const ETHERTYPE_RARP = 0x8035;
export const ETHERTYPE_TRANSPARENT_ETHERNET = 0x6558;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-802.1ad vendor QinQ tag, still seen on older switches. */
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** Type/length values up to this are an IEEE 802.3 length, not an EtherType (802.3 §3.2.6). */
export const ETHERNET_MAX_LENGTH_FIELD = 1500;
export const ETHERTYPE_MIN = 0x0600;

// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
export const IP_PROTO_HOPOPT = 0;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_IGMP = 2;
export const IP_PROTO_IPV4 = 4;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
export const IP_PROTO_IPV6 = 41;
export const IP_PROTO_ROUTING = 43;
export const IP_PROTO_FRAGMENT = 44;
export const IP_PROTO_GRE = 47;
export const IP_PROTO_ESP = 50;
export const IP_PROTO_AH = 51;
export const IP_PROTO_ICMPV6 = 58;
export const IP_PROTO_NONXT = 59;
export const IP_PROTO_DSTOPTS = 60;

// UDP ports of the overlays (IANA; flannel's defaults).
export const UDP_PORT_VXLAN = 4789;
/** The Linux kernel's pre-IANA VXLAN port, which flannel's vxlan backend still uses. */
export const UDP_PORT_FLANNEL_VXLAN = 8472;
/** flannel's "udp" backend: flanneld reads IP packets from a TUN device and sends them in UDP. */
export const UDP_PORT_FLANNEL_UDP = 8285;
export const UDP_PORT_GENEVE = 6081;

// Address families in the 4-byte header of LINKTYPE_NULL / LINKTYPE_LOOP (each OS its own).
export const AF_INET = 2;
export const AF_INET6_LINUX = 10;
export const AF_INET6_BSD = 24;
export const AF_INET6_FREEBSD = 28;
export const AF_INET6_DARWIN = 30;

/** Link type → first layer. */
export const LINKTYPE_LAYERS: ReadonlyMap<number, NextKind> = new Map<number, NextKind>([
  [LINKTYPE_NULL, 'loopback'],
  [LINKTYPE_LOOP, 'loopback'],
  [LINKTYPE_ETHERNET, 'ethernet'],
  [LINKTYPE_RAW_DLT12, 'ip'],
  [LINKTYPE_RAW_DLT14, 'ip'],
  [LINKTYPE_RAW, 'ip'],
  [LINKTYPE_IPV4, 'ipv4'],
  [LINKTYPE_IPV6, 'ipv6'],
  [LINKTYPE_LINUX_SLL, 'sll'],
  [LINKTYPE_LINUX_SLL2, 'sll2'],
]);

/** EtherType → layer (Ethernet, VLAN tags, SLL/SLL2 protocol, GRE and Geneve protocol type). */
export const ETHERTYPE_LAYERS: ReadonlyMap<number, LayerKind> = new Map<number, LayerKind>([
  [ETHERTYPE_IPV4, 'ipv4'],
  [ETHERTYPE_ARP, 'arp'],
  [ETHERTYPE_RARP, 'arp'],
  [ETHERTYPE_IPV6, 'ipv6'],
  [ETHERTYPE_VLAN, 'vlan'],
  [ETHERTYPE_QINQ, 'vlan'],
  [ETHERTYPE_QINQ_OLD, 'vlan'],
  [ETHERTYPE_TRANSPARENT_ETHERNET, 'ethernet'],
]);

/** IP protocol (IPv4 protocol, IPv6 final next header) → layer. 4 and 41 lead back to IP. */
export const IP_PROTO_LAYERS: ReadonlyMap<number, LayerKind> = new Map<number, LayerKind>([
  [IP_PROTO_ICMP, 'icmp'],
  [IP_PROTO_IPV4, 'ipv4'],
  [IP_PROTO_TCP, 'tcp'],
  [IP_PROTO_UDP, 'udp'],
  [IP_PROTO_IPV6, 'ipv6'],
  [IP_PROTO_GRE, 'gre'],
  [IP_PROTO_ICMPV6, 'icmpv6'],
]);

/** UDP port → overlay layer. Users add to it with DecodeOptions.udpPorts ("Decode As"). */
export const UDP_PORT_LAYERS: ReadonlyMap<number, LayerKind> = new Map<number, LayerKind>([
  [UDP_PORT_VXLAN, 'vxlan'],
  [UDP_PORT_FLANNEL_VXLAN, 'vxlan'],
  [UDP_PORT_GENEVE, 'geneve'],
  [UDP_PORT_FLANNEL_UDP, 'flannel-udp'],
]);

/** Loopback address family → layer. */
export const LOOPBACK_FAMILY_LAYERS: ReadonlyMap<number, LayerKind> = new Map<number, LayerKind>([
  [AF_INET, 'ipv4'],
  [AF_INET6_LINUX, 'ipv6'],
  [AF_INET6_BSD, 'ipv6'],
  [AF_INET6_FREEBSD, 'ipv6'],
  [AF_INET6_DARWIN, 'ipv6'],
]);

/** IPv6 extension headers the IPv6 decoder walks through (RFC 8200 §4; AH is RFC 4302). */
export const IPV6_EXTENSION_HEADERS: ReadonlySet<number> = new Set([
  IP_PROTO_HOPOPT,
  IP_PROTO_ROUTING,
  IP_PROTO_FRAGMENT,
  IP_PROTO_DSTOPTS,
  IP_PROTO_AH,
]);

export function linkTypeLayer(linkType: number): NextKind | undefined {
  return LINKTYPE_LAYERS.get(linkType);
}

/** EtherType → layer; anything unknown is application payload. */
export function etherTypeLayer(etherType: number): LayerKind {
  return ETHERTYPE_LAYERS.get(etherType) ?? 'payload';
}

export function ipProtoLayer(proto: number): LayerKind {
  return IP_PROTO_LAYERS.get(proto) ?? 'payload';
}

/**
 * IPv4 or IPv6 by the first nibble, for raw-IP link types and flannel's UDP backend; anything
 * else is `undecoded`.
 */
export function ipVersionLayer(buf: Uint8Array, offset: number, end: number): 'ipv4' | 'ipv6' | 'undecoded' {
  if (offset >= end) return 'undecoded';
  const version = (buf[offset] ?? 0) >> 4;
  if (version === 4) return 'ipv4';
  if (version === 6) return 'ipv6';
  return 'undecoded';
}

/**
 * The dispatch tables the driver follows from one layer to the next (gopacket
 * layers/enums.go, layers/ports.go), over the numbers in lib/protocols/numbers.ts; UDP ports
 * come from the overlay registry (lib/protocols/overlays.ts). Plain maps of numbers to kinds,
 * so the non-allocating summarizer (summarize.ts) can share them with decodePacket.
 */
import {
  AF_INET,
  AF_INET6_BSD,
  AF_INET6_DARWIN,
  AF_INET6_FREEBSD,
  AF_INET6_LINUX,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_NSH,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_RARP,
  ETHERTYPE_TRANSPARENT_ETHERNET,
  ETHERTYPE_VLAN,
  GRE_PROTO_ERSPAN_II,
  GRE_PROTO_ERSPAN_III,
  IP_PROTO_AH,
  IP_PROTO_DSTOPTS,
  IP_PROTO_FRAGMENT,
  IP_PROTO_GRE,
  IP_PROTO_HOPOPT,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  IP_PROTO_IPV4,
  IP_PROTO_IPV6,
  IP_PROTO_ROUTING,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_DLT12,
  LINKTYPE_RAW_DLT14,
} from '../protocols/numbers';
import type { LayerKind, NextKind } from './types';

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
  [ETHERTYPE_NSH, 'nsh'],
]);

/**
 * GRE Protocol Types only GRE dispatches on (Wireshark's gre.proto table); every other
 * Protocol Type is an EtherType.
 */
export const GRE_PROTO_LAYERS: ReadonlyMap<number, LayerKind> = new Map<number, LayerKind>([
  [GRE_PROTO_ERSPAN_II, 'erspan'],
  [GRE_PROTO_ERSPAN_III, 'erspan'],
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

/** GRE Protocol Type → layer. */
export function greProtocolLayer(protocolType: number): LayerKind {
  return GRE_PROTO_LAYERS.get(protocolType) ?? etherTypeLayer(protocolType);
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

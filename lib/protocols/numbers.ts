/**
 * The numbers of the registries the decoders dispatch on (tcpdump.org link types, IEEE
 * EtherTypes, IANA protocol numbers, socket address families): one home for each, read by the
 * decoders, the dispatch tables and the overlay registry (overlays.ts), which holds the overlay
 * ports.
 */

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
/** Network Service Header (RFC 8300 §6.1; IEEE-assigned EtherType). */
export const ETHERTYPE_NSH = 0x894f;
/** Type/length values up to this are an IEEE 802.3 length, not an EtherType (802.3 §3.2.6). */
export const ETHERNET_MAX_LENGTH_FIELD = 1500;
export const ETHERTYPE_MIN = 0x0600;

// TCP header flag bits (RFC 9293 §3.1), as the flags byte holds them.
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

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
/** EtherIP (RFC 3378): an Ethernet frame behind a 2-byte header. */
export const IP_PROTO_ETHERIP = 97;
/** L2TPv3 directly over IP (RFC 3931 §4.1.1). */
export const IP_PROTO_L2TP = 115;
/** MPLS in IP (RFC 4023 §3). */
export const IP_PROTO_MPLS_IN_IP = 137;

// Address families in the 4-byte header of LINKTYPE_NULL / LINKTYPE_LOOP (each OS its own).
export const AF_INET = 2;
export const AF_INET6_LINUX = 10;
export const AF_INET6_BSD = 24;
export const AF_INET6_FREEBSD = 28;
export const AF_INET6_DARWIN = 30;

// VXLAN-GPE Next Protocol values (draft-ietf-nvo3-vxlan-gpe-13; Wireshark's vxlan.next_proto).
export const VXLAN_GPE_NEXT_IPV4 = 1;
export const VXLAN_GPE_NEXT_IPV6 = 2;
export const VXLAN_GPE_NEXT_ETHERNET = 3;
export const VXLAN_GPE_NEXT_NSH = 4;
export const VXLAN_GPE_NEXT_MPLS = 5;

// NSH Next Protocol values (RFC 8300 §11.2.5; the same numbers as VXLAN-GPE's).
export const NSH_NEXT_IPV4 = 1;
export const NSH_NEXT_IPV6 = 2;
export const NSH_NEXT_ETHERNET = 3;
export const NSH_NEXT_NSH = 4;
export const NSH_NEXT_MPLS = 5;

// GRE Protocol Types that are not EtherTypes of a frame on a LAN (Wireshark's gre.proto table).
/** ERSPAN types I and II (GRE without and with a sequence number). */
export const GRE_PROTO_ERSPAN_II = 0x88be;
/** ERSPAN type III. */
export const GRE_PROTO_ERSPAN_III = 0x22eb;

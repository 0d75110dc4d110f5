/**
 * The lab's own count of the traffic that is no flow's business: ARP, IPv6 neighbour discovery,
 * MLD, IGMP, LLDP, STP and DHCP, on the wire and inside VXLAN. It reads the bytes itself (a few
 * fixed offsets per protocol) rather than through lib/decode, so the count of what a capture
 * holds does not depend on which protocols the decoder knows.
 */
import type { BackgroundCounts, BackgroundKind } from './scenario';

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_LLDP = 0x88cc;
/** Linux cooked headers put this in the protocol field of an 802.2 LLC frame (if_ether.h ETH_P_802_2). */
const SLL_P_802_2 = 0x0004;
/** IEEE 802.1D: BPDUs travel in LLC with DSAP = SSAP = 0x42. */
const LLC_SAP_STP = 0x42;
const IP_PROTO_IGMP = 2;
const IP_PROTO_UDP = 17;
const IP_PROTO_ICMPV6 = 58;
const IPV6_EXT_HEADERS = new Set([0, 43, 60]);
const UDP_PORT_BOOTPS = 67;
const UDP_PORT_BOOTPC = 68;
/** VXLAN ports the lab's overlays use: flannel's 8472 and IANA's 4789 (RFC 7348 §5). */
const VXLAN_PORTS = new Set([8472, 4789]);
const VXLAN_HEADER_LEN = 8;
/** ICMPv6 types (RFC 4861 §4, RFC 2710 §3, RFC 3810 §5.2). */
const ICMPV6_KIND: Record<number, BackgroundKind> = { 130: 'mld', 131: 'mld', 132: 'mld', 143: 'mld', 133: 'nd-rs', 134: 'nd-ra', 135: 'nd-ns', 136: 'nd-na' };
const ARP_REQUEST = 1;
const ARP_REPLY = 2;

export interface ArpFacts {
  op: number;
  senderIp: string;
  targetIp: string;
}

export interface BackgroundFacts {
  kind: BackgroundKind;
  /** Seen inside a VXLAN packet rather than on the link itself. */
  inTunnel: boolean;
  arp?: ArpFacts;
}

const u16 = (d: Uint8Array, o: number): number => (d[o]! << 8) | d[o + 1]!;
const ip4 = (d: Uint8Array, o: number): string => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;

function fromEthernet(d: Uint8Array, o: number, inTunnel: boolean): BackgroundFacts | null {
  if (d.length < o + 14) return null;
  let type = u16(d, o + 12);
  let at = o + 14;
  while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) && d.length >= at + 4) {
    type = u16(d, at + 2);
    at += 4;
  }
  // A type/length field of 1500 or less is an 802.3 length: an LLC header follows.
  if (type <= 1500) return fromLlc(d, at, inTunnel);
  return fromEtherType(type, d, at, inTunnel);
}

function fromLlc(d: Uint8Array, o: number, inTunnel: boolean): BackgroundFacts | null {
  if (d.length < o + 2) return null;
  return d[o] === LLC_SAP_STP && d[o + 1] === LLC_SAP_STP ? { kind: 'stp', inTunnel } : null;
}

function fromEtherType(type: number, d: Uint8Array, o: number, inTunnel: boolean): BackgroundFacts | null {
  switch (type) {
    case ETHERTYPE_ARP:
      return fromArp(d, o, inTunnel);
    case ETHERTYPE_LLDP:
      return { kind: 'lldp', inTunnel };
    case ETHERTYPE_IPV4:
      return fromIpv4(d, o, inTunnel);
    case ETHERTYPE_IPV6:
      return fromIpv6(d, o, inTunnel);
    default:
      return null;
  }
}

function fromArp(d: Uint8Array, o: number, inTunnel: boolean): BackgroundFacts {
  // Ethernet/IPv4 ARP (RFC 826): op at 6, sender IP at 14, target IP at 24.
  if (d.length < o + 28 || d[o + 4] !== 6 || d[o + 5] !== 4) return { kind: 'arp', inTunnel };
  return { kind: 'arp', inTunnel, arp: { op: u16(d, o + 6), senderIp: ip4(d, o + 14), targetIp: ip4(d, o + 24) } };
}

function fromIpv4(d: Uint8Array, o: number, inTunnel: boolean): BackgroundFacts | null {
  if (d.length < o + 20 || d[o]! >> 4 !== 4) return null;
  const ihl = (d[o]! & 0x0f) * 4;
  const fragOffset = u16(d, o + 6) & 0x1fff;
  if (fragOffset !== 0) return null;
  const proto = d[o + 9];
  const l4 = o + ihl;
  if (proto === IP_PROTO_IGMP) return { kind: 'igmp', inTunnel };
  if (proto !== IP_PROTO_UDP || d.length < l4 + 8) return null;
  const sport = u16(d, l4);
  const dport = u16(d, l4 + 2);
  if ((sport === UDP_PORT_BOOTPC && dport === UDP_PORT_BOOTPS) || (sport === UDP_PORT_BOOTPS && dport === UDP_PORT_BOOTPC)) return { kind: 'dhcp', inTunnel };
  if (VXLAN_PORTS.has(dport)) return fromEthernet(d, l4 + 8 + VXLAN_HEADER_LEN, true);
  return null;
}

function fromIpv6(d: Uint8Array, o: number, inTunnel: boolean): BackgroundFacts | null {
  if (d.length < o + 40 || d[o]! >> 4 !== 6) return null;
  let next = d[o + 6]!;
  let at = o + 40;
  while (IPV6_EXT_HEADERS.has(next) && d.length >= at + 2) {
    const len = (d[at + 1]! + 1) * 8;
    next = d[at]!;
    at += len;
  }
  if (next !== IP_PROTO_ICMPV6 || d.length < at + 1) return null;
  const kind = ICMPV6_KIND[d[at]!];
  return kind ? { kind, inTunnel } : null;
}

/** What background frame this is, if any; `data` is one record as captured (possibly cut short). */
export function backgroundFacts(data: Uint8Array, linkType: number): BackgroundFacts | null {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return fromEthernet(data, 0, false);
    case LINKTYPE_LINUX_SLL: {
      // 16 bytes: packet type, ARPHRD, address length, 8 address bytes, protocol.
      if (data.length < 16) return null;
      const proto = u16(data, 14);
      return proto === SLL_P_802_2 ? fromLlc(data, 16, false) : fromEtherType(proto, data, 16, false);
    }
    case LINKTYPE_LINUX_SLL2: {
      // 20 bytes: protocol, reserved, interface index, ARPHRD, packet type, address length, address.
      if (data.length < 20) return null;
      const proto = u16(data, 0);
      return proto === SLL_P_802_2 ? fromLlc(data, 20, false) : fromEtherType(proto, data, 20, false);
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
      return data.length > 0 && data[0]! >> 4 === 6 ? fromIpv6(data, 0, false) : fromIpv4(data, 0, false);
    default:
      return null;
  }
}

/** Interface index and packet type of a Linux cooked v2 record (SLL2 header, tcpdump's sll2 format). */
export function sll2Meta(data: Uint8Array): { ifindex: number; pktType: number } | null {
  if (data.length < 20) return null;
  const ifindex = ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0;
  return { ifindex, pktType: data[10]! };
}

/** Per-point counts of the background frames, and the ARP requests no reply answered. */
export function countBackground(frames: Iterable<BackgroundFacts | null>): BackgroundCounts {
  const out: BackgroundCounts = { onLink: {}, inTunnel: {} };
  const asked = new Map<string, number>();
  const answered = new Set<string>();
  for (const f of frames) {
    if (!f) continue;
    const side = f.inTunnel ? out.inTunnel : out.onLink;
    side[f.kind] = (side[f.kind] ?? 0) + 1;
    if (f.arp && !f.inTunnel) {
      if (f.arp.op === ARP_REQUEST && f.arp.senderIp !== f.arp.targetIp) asked.set(f.arp.targetIp, (asked.get(f.arp.targetIp) ?? 0) + 1);
      if (f.arp.op === ARP_REPLY) answered.add(f.arp.senderIp);
    }
  }
  const unanswered: Record<string, number> = {};
  for (const [ip, n] of [...asked].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (!answered.has(ip)) unanswered[ip] = n;
  if (Object.keys(unanswered).length) out.arpUnanswered = unanswered;
  return out;
}

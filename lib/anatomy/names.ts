/**
 * Numbers as an engineer reads them: "0x0800 (IPv4)", "1 (ICMP)", "3 (port unreachable)".
 * Names follow the IANA registries and tcpdump/Wireshark's wording.
 */
import { ETHERTYPE_NSH, GRE_PROTO_ERSPAN_II, GRE_PROTO_ERSPAN_III } from '../protocols/numbers';
import { ENCAPSULATION_UDP_PORTS } from '../protocols/opaque';

export function hex(n: number, digits: number): string {
  return '0x' + n.toString(16).padStart(digits, '0');
}

export function named(n: string, name: string | undefined): string {
  return name === undefined ? n : `${n} (${name})`;
}

/** A one-bit flag: "1 (set)" / "0 (not set)". */
export function flag(set: boolean): string {
  return set ? '1 (set)' : '0 (not set)';
}

const ETHER_TYPES: ReadonlyMap<number, string> = new Map([
  [ETHERTYPE_NSH, 'NSH'],
  [GRE_PROTO_ERSPAN_II, 'ERSPAN type I or II'],
  [GRE_PROTO_ERSPAN_III, 'ERSPAN type III'],
  [0x0800, 'IPv4'],
  [0x0806, 'ARP'],
  [0x8035, 'RARP'],
  [0x86dd, 'IPv6'],
  [0x8100, '802.1Q VLAN'],
  [0x88a8, '802.1ad QinQ'],
  [0x9100, 'QinQ (pre-802.1ad)'],
  [0x6558, 'Transparent Ethernet Bridging'],
  [0x88cc, 'LLDP'],
  [0x8847, 'MPLS'],
]);

export function etherType(t: number): string {
  return named(hex(t, 4), ETHER_TYPES.get(t));
}

const IP_PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [0, 'Hop-by-Hop Options'],
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPv4, IP-in-IP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [41, 'IPv6'],
  [43, 'Routing'],
  [44, 'Fragment'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMPv6'],
  [59, 'No Next Header'],
  [60, 'Destination Options'],
  [112, 'VRRP'],
  [132, 'SCTP'],
]);

export function ipProtocol(p: number): string {
  return named(String(p), IP_PROTOCOLS.get(p));
}

export function ipProtocolName(p: number): string | undefined {
  return IP_PROTOCOLS.get(p);
}

/** DSCP code point names (RFC 2474 class selectors, RFC 2597 AF, RFC 3246 EF). */
export function dscp(d: number): string {
  if (d === 46) return `${d} (EF)`;
  if (d % 8 === 0) return `${d} (CS${d / 8})`;
  const cls = d >> 3;
  const drop = (d >> 1) & 3;
  if ((d & 1) === 0 && cls >= 1 && cls <= 4 && drop >= 1) return `${d} (AF${cls}${drop})`;
  return String(d);
}

const ECN = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'];

/** ECN codepoints (RFC 3168 §5). */
export function ecn(e: number): string {
  return `${e} (${ECN[e & 3] ?? ''})`;
}

const PORTS: ReadonlyMap<number, string> = new Map([
  [53, 'DNS'],
  [67, 'DHCP server'],
  [68, 'DHCP client'],
  [80, 'HTTP'],
  [123, 'NTP'],
  [179, 'BGP'],
  [443, 'HTTPS'],
  [2379, 'etcd'],
  [4789, 'VXLAN'],
  [6081, 'Geneve'],
  [6443, 'Kubernetes API'],
  [8285, 'flannel UDP'],
  [8472, 'VXLAN, Linux/flannel'],
  [10250, 'kubelet'],
]);

export function port(p: number): string {
  // An encapsulation's own port, from the protocol registry: "FOU or GUE" where two share one.
  return named(String(p), PORTS.get(p) ?? ENCAPSULATION_UDP_PORTS.get(p)?.join(' or '));
}

const ICMP_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'echo reply'],
  [3, 'destination unreachable'],
  [4, 'source quench'],
  [5, 'redirect'],
  [8, 'echo request'],
  [9, 'router advertisement'],
  [10, 'router solicitation'],
  [11, 'time exceeded'],
  [12, 'parameter problem'],
  [13, 'timestamp'],
  [14, 'timestamp reply'],
]);

const ICMP_UNREACHABLE_CODES = [
  'net unreachable',
  'host unreachable',
  'protocol unreachable',
  'port unreachable',
  'fragmentation needed and DF set',
  'source route failed',
  'destination network unknown',
  'destination host unknown',
  'source host isolated',
  'network administratively prohibited',
  'host administratively prohibited',
  'network unreachable for TOS',
  'host unreachable for TOS',
  'communication administratively prohibited',
  'host precedence violation',
  'precedence cutoff in effect',
];

export function icmpType(t: number): string {
  return named(String(t), ICMP_TYPES.get(t));
}

/** "echo request", "destination unreachable", …; undefined for a type without a name. */
export function icmpTypeName(t: number): string | undefined {
  return ICMP_TYPES.get(t);
}

export function icmpCode(t: number, c: number): string {
  let name: string | undefined;
  if (t === 3) name = ICMP_UNREACHABLE_CODES[c];
  else if (t === 11) name = c === 0 ? 'TTL exceeded in transit' : c === 1 ? 'fragment reassembly time exceeded' : undefined;
  else if (t === 5) name = ['for network', 'for host', 'for TOS and network', 'for TOS and host'][c];
  return named(String(c), name);
}

const ICMPV6_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'destination unreachable'],
  [2, 'packet too big'],
  [3, 'time exceeded'],
  [4, 'parameter problem'],
  [128, 'echo request'],
  [129, 'echo reply'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [143, 'multicast listener report v2'],
]);

export function icmpv6Type(t: number): string {
  return named(String(t), ICMPV6_TYPES.get(t));
}

export function icmpv6Code(t: number, c: number): string {
  let name: string | undefined;
  if (t === 1) {
    name = ['no route to destination', 'administratively prohibited', 'beyond scope of source address', 'address unreachable', 'port unreachable', 'source address failed policy', 'reject route'][c];
  } else if (t === 3) name = c === 0 ? 'hop limit exceeded in transit' : c === 1 ? 'fragment reassembly time exceeded' : undefined;
  else if (t === 4) name = ['erroneous header field', 'unrecognized Next Header', 'unrecognized IPv6 option'][c];
  return named(String(c), name);
}

const ARPHRD: ReadonlyMap<number, string> = new Map([
  [1, 'Ethernet'],
  [768, 'IP-in-IP tunnel'],
  [772, 'loopback'],
  [776, 'IPv6-in-IPv4 (sit)'],
  [778, 'GRE'],
  [823, 'IP6GRE'],
  [824, 'netlink'],
  [65534, 'none (TUN)'],
]);

export function arphrd(t: number): string {
  return named(String(t), ARPHRD.get(t));
}

const PACKET_TYPES = ['to us', 'broadcast', 'multicast', 'to another host', 'sent by us'];

/** Linux PACKET_* of the cooked headers (linux/if_packet.h). */
export function packetType(t: number): string {
  return named(String(t), PACKET_TYPES[t]);
}

const ARP_OPS = ['', 'request', 'reply', 'RARP request', 'RARP reply'];

export function arpOpcode(op: number): string {
  return named(String(op), ARP_OPS[op] || undefined);
}

const IPV4_OPTIONS: ReadonlyMap<number, string> = new Map([
  [0, 'End of Option List'],
  [1, 'No-Operation'],
  [7, 'Record Route'],
  [68, 'Timestamp'],
  [130, 'Security'],
  [131, 'Loose Source Route'],
  [136, 'Stream ID'],
  [137, 'Strict Source Route'],
  [148, 'Router Alert'],
]);

export function ipv4OptionName(t: number): string {
  return IPV4_OPTIONS.get(t) ?? `Option ${t}`;
}

const TCP_OPTIONS: ReadonlyMap<number, string> = new Map([
  [0, 'End of Option List'],
  [1, 'No-Operation'],
  [2, 'Maximum Segment Size'],
  [3, 'Window Scale'],
  [4, 'SACK Permitted'],
  [5, 'SACK'],
  [8, 'Timestamps'],
  [19, 'MD5 Signature'],
  [28, 'User Timeout'],
  [29, 'TCP-AO'],
  [30, 'Multipath TCP'],
  [34, 'TCP Fast Open Cookie'],
]);

export function tcpOptionName(k: number): string {
  return TCP_OPTIONS.get(k) ?? `Option ${k}`;
}

const IPV6_EXT: ReadonlyMap<number, string> = new Map([
  [0, 'Hop-by-Hop Options'],
  [43, 'Routing'],
  [44, 'Fragment'],
  [51, 'Authentication Header'],
  [60, 'Destination Options'],
]);

export function ipv6ExtensionName(t: number): string {
  return IPV6_EXT.get(t) ?? `Extension header ${t}`;
}

const NDP_OPTIONS: ReadonlyMap<number, string> = new Map([
  [1, 'Source Link-Layer Address'],
  [2, 'Target Link-Layer Address'],
  [3, 'Prefix Information'],
  [4, 'Redirected Header'],
  [5, 'MTU'],
  [14, 'Nonce'],
  [25, 'Recursive DNS Server'],
]);

export function ndpOptionName(t: number): string {
  return NDP_OPTIONS.get(t) ?? `Option ${t}`;
}

/** "1 byte", "20 bytes". */
export function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

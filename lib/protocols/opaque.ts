/**
 * Tunnels Hopscope recognises but cannot look into: encrypted carriers (IPsec, WireGuard,
 * OpenVPN), and carriers of what the decoders do not follow (PPP, MPLS, mobile user planes).
 * Their packets travel between node addresses, so without this list they read as node-to-node
 * flows that never get an answer; with it they can be reported as "encapsulated, not decoded".
 *
 * Each entry names the IP protocols or UDP ports that carry it and, where its first bytes can
 * say so, a check of them. Ports, as everywhere, are hints: with the payload's bytes the check
 * must pass too; without them (the index keeps no payload) the port or protocol alone answers,
 * and the answer says it was not confirmed. Nothing here is recognised on a port it is not
 * registered on: hiding a real broken flow costs more than missing a tunnel.
 *
 * Overlays the decoders do follow (overlays.ts) appear here only for what they carry that the
 * decoders cannot follow, such as a Geneve header with a protocol type nobody decodes.
 */
import type { LayerKind } from './layers';
import {
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_NSH,
  ETHERTYPE_TRANSPARENT_ETHERNET,
  IP_PROTO_AH,
  IP_PROTO_ESP,
  IP_PROTO_ETHERIP,
  IP_PROTO_GRE,
  IP_PROTO_IPV4,
  IP_PROTO_IPV6,
  IP_PROTO_L2TP,
  IP_PROTO_MPLS_IN_IP,
  IP_PROTO_UDP,
  VXLAN_GPE_NEXT_ETHERNET,
  VXLAN_GPE_NEXT_IPV4,
  VXLAN_GPE_NEXT_IPV6,
  VXLAN_GPE_NEXT_NSH,
} from './numbers';
import { GENEVE, OVERLAYS, overlayOfLayer, VXLAN_GPE, type OverlaySpec } from './overlays';

export type OpaqueTunnelId =
  | 'esp'
  | 'ah'
  | 'esp-in-udp'
  | 'wireguard'
  | 'openvpn'
  | 'l2tp'
  | 'l2tpv3-ip'
  | 'gtp-u'
  | 'pptp'
  | 'mpls-in-gre'
  | 'etherip'
  | 'mpls-in-ip'
  | 'weave-sleeve'
  | 'geneve-other'
  | 'vxlan-gpe-other';

export interface OpaqueTunnel {
  id: OpaqueTunnelId;
  /** Display name: "WireGuard", "IPsec ESP". */
  name: string;
  /** IP protocol numbers that carry it directly. */
  ipProtocols: readonly number[];
  /** UDP ports it is registered on (either end of the datagram). */
  udpPorts: readonly number[];
  /**
   * Its payload's first bytes (the IP payload, or the UDP payload for a UDP carrier): true when
   * they are this tunnel's. None: the port or protocol is all there is to go on.
   */
  check?: (payload: Uint8Array) => boolean;
  /** True when the port or protocol alone is not enough, as for an overlay the decoders follow. */
  needsBytes?: boolean;
  /** Where it is met and why it stays opaque. */
  note: string;
}

export interface OpaqueTunnelMatch {
  id: OpaqueTunnelId;
  name: string;
  /** The payload's bytes were checked and are this tunnel's (false: port or protocol alone). */
  confirmed: boolean;
}

function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) * 0x1000000 + (((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0));
}

/** ESP (RFC 4303 §2): an SPI (0 is never sent, §2.1), a sequence number, then ciphertext. */
function isEsp(b: Uint8Array): boolean {
  return b.length >= 8 && u32(b, 0) !== 0;
}

/**
 * AH in tunnel mode (RFC 4302 §2, §3.1.2): Next Header is the inner IP header, Payload Len
 * (in 32-bit words, minus 2) fits, Reserved is zero, the SPI is not 0. AH in transport mode
 * protects a flow between the two nodes themselves and is not a tunnel.
 */
function isAhTunnel(b: Uint8Array): boolean {
  if (b.length < 12) return false;
  const next = b[0];
  return (next === IP_PROTO_IPV4 || next === IP_PROTO_IPV6) && ((b[1] ?? 0) + 2) * 4 <= b.length && u16(b, 2) === 0 && u32(b, 4) !== 0;
}

/**
 * WireGuard's four messages (whitepaper §5.4): a type byte 1-4 and three zero bytes, then
 * handshake initiation 148 bytes, response 92, cookie reply 64, or transport data of 32 bytes
 * (a keepalive) plus whole 16-byte blocks.
 */
function isWireGuard(b: Uint8Array): boolean {
  if (b.length < 32 || b[1] !== 0 || b[2] !== 0 || b[3] !== 0) return false;
  switch (b[0]) {
    case 1:
      return b.length === 148;
    case 2:
      return b.length === 92;
    case 3:
      return b.length === 64;
    case 4:
      return (b.length - 32) % 16 === 0;
    default:
      return false;
  }
}

/**
 * ESP in UDP on the NAT-T port (RFC 3948 §2): an ESP packet (a non-zero SPI), or the one-byte
 * NAT keepalive 0xFF (§2.3), which goes one way only by design. Four zero bytes (the non-ESP
 * marker) start IKE, a control exchange between the nodes, not the tunnel.
 */
function isEspInUdp(b: Uint8Array): boolean {
  return (b.length === 1 && b[0] === 0xff) || isEsp(b);
}

/** OpenVPN over UDP: opcode (top five bits) 1-11, P_CONTROL_HARD_RESET_CLIENT_V1 to P_CONTROL_WKC_V1. */
function isOpenVpn(b: Uint8Array): boolean {
  const opcode = (b[0] ?? 0) >> 3;
  return b.length >= 4 && opcode >= 1 && opcode <= 11;
}

/**
 * L2TP over UDP: version 2 (RFC 2661 §3.1, the x bits zero; a control message, T, has L and
 * S set) or version 3 (RFC 3931 §4.1.2.1).
 */
function isL2tp(b: Uint8Array): boolean {
  if (b.length < 6) return false;
  const b0 = b[0] ?? 0;
  const b1 = b[1] ?? 0;
  const version = b1 & 0x0f;
  if (version === 3) return (b0 & 0x7f) === 0 && (b1 & 0xf0) === 0;
  if (version !== 2 || (b0 & 0x34) !== 0 || (b1 & 0xf0) !== 0) return false;
  return (b0 & 0x80) === 0 || (b0 & 0x48) === 0x48;
}

/**
 * GTP-U (3GPP TS 29.281 §5.1): version 1, PT 1, and a Length that counts exactly the bytes
 * after the mandatory 8-byte header. A user-plane tunnel of a mobile core.
 */
function isGtpU(b: Uint8Array): boolean {
  return b.length >= 8 && (b[0] ?? 0) >> 4 === 0x3 && u16(b, 2) === b.length - 8;
}

/** PPTP's enhanced GRE (RFC 2637 §4.1): version 1, K set, Protocol Type 0x880B (PPP). */
function isPptpGre(b: Uint8Array): boolean {
  return b.length >= 8 && ((b[1] ?? 0) & 0x07) === 1 && ((b[0] ?? 0) & 0x20) !== 0 && u16(b, 2) === 0x880b;
}

/** GRE version 0 carrying MPLS (RFC 4023 §4: Protocol Type 0x8847 or 0x8848). */
function isMplsInGre(b: Uint8Array): boolean {
  if (b.length < 4 || ((b[1] ?? 0) & 0x07) !== 0) return false;
  const t = u16(b, 2);
  return t === 0x8847 || t === 0x8848;
}

/** EtherIP (RFC 3378 §3): version 3 in the first nibble, the other twelve bits zero. */
function isEtherIp(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x30 && b[1] === 0;
}

/**
 * A Geneve header (RFC 8926 §3.4) of version 0 whose Protocol Type is none the decoders follow
 * (they follow Ethernet, IPv4, IPv6 and NSH).
 */
function isGeneveOther(b: Uint8Array): boolean {
  if (b.length < 8 || (b[0] ?? 0) >> 6 !== 0) return false;
  const t = u16(b, 2);
  return t !== ETHERTYPE_TRANSPARENT_ETHERNET && t !== ETHERTYPE_IPV4 && t !== ETHERTYPE_IPV6 && t !== ETHERTYPE_NSH;
}

/** A VXLAN-GPE header (I and P set, version 0) whose Next Protocol the decoders do not follow (MPLS, unknown). */
function isVxlanGpeOther(b: Uint8Array): boolean {
  if (b.length < 8 || ((b[0] ?? 0) & 0xfc) !== 0x0c) return false;
  const next = b[3];
  return next !== VXLAN_GPE_NEXT_IPV4 && next !== VXLAN_GPE_NEXT_IPV6 && next !== VXLAN_GPE_NEXT_ETHERNET && next !== VXLAN_GPE_NEXT_NSH;
}

export const OPAQUE_TUNNELS: readonly OpaqueTunnel[] = [
  {
    id: 'esp',
    name: 'IPsec ESP',
    ipProtocols: [IP_PROTO_ESP],
    udpPorts: [],
    check: isEsp,
    note: 'encrypted (RFC 4303): Calico, Cilium and flannel IPsec modes, strongSwan/Libreswan site tunnels',
  },
  {
    id: 'ah',
    name: 'IPsec AH (tunnel mode)',
    ipProtocols: [IP_PROTO_AH],
    udpPorts: [],
    check: isAhTunnel,
    note: 'RFC 4302; over IPv4 the decoders stop at AH, so the inner packet is not read',
  },
  {
    id: 'esp-in-udp',
    name: 'IPsec ESP in UDP (NAT traversal)',
    ipProtocols: [],
    udpPorts: [4500],
    check: isEspInUdp,
    note: 'RFC 3948: ESP behind a NAT; IKE shares the port behind a zero marker and is not matched',
  },
  {
    id: 'wireguard',
    name: 'WireGuard',
    ipProtocols: [],
    // wg-quick's and Calico's 51820 (Calico IPv6 51821, flannel's wireguard backend the same), Cilium's 51871.
    udpPorts: [51820, 51821, 51871],
    check: isWireGuard,
    note: 'encrypted; the CNIs encryption modes (wireguard.cali, flannel-wg, cilium_wg0)',
  },
  {
    id: 'openvpn',
    name: 'OpenVPN',
    ipProtocols: [],
    udpPorts: [1194],
    check: isOpenVpn,
    note: 'encrypted; IANA port 1194',
  },
  {
    id: 'l2tp',
    name: 'L2TP',
    ipProtocols: [],
    udpPorts: [1701],
    check: isL2tp,
    note: 'RFC 2661 / RFC 3931 over UDP: PPP or pseudowires, often inside IPsec',
  },
  {
    id: 'l2tpv3-ip',
    name: 'L2TPv3 over IP',
    ipProtocols: [IP_PROTO_L2TP],
    udpPorts: [],
    note: 'RFC 3931 §4.1.1; Linux `ip l2tp add tunnel … encap ip`',
  },
  {
    id: 'gtp-u',
    name: 'GTP-U',
    ipProtocols: [],
    udpPorts: [2152],
    check: isGtpU,
    note: 'a mobile core user plane (3GPP TS 29.281): user packets behind a TEID',
  },
  {
    id: 'pptp',
    name: 'PPTP (enhanced GRE)',
    ipProtocols: [IP_PROTO_GRE],
    udpPorts: [],
    check: isPptpGre,
    needsBytes: true,
    note: 'GRE version 1 carrying PPP (RFC 2637), which the decoders do not follow',
  },
  {
    id: 'mpls-in-gre',
    name: 'MPLS in GRE',
    ipProtocols: [IP_PROTO_GRE],
    udpPorts: [],
    check: isMplsInGre,
    needsBytes: true,
    note: 'RFC 4023: a label stack the decoders do not follow',
  },
  {
    id: 'etherip',
    name: 'EtherIP',
    ipProtocols: [IP_PROTO_ETHERIP],
    udpPorts: [],
    check: isEtherIp,
    note: 'RFC 3378: Ethernet over IP (BSD gif/etherip, some routers)',
  },
  {
    id: 'mpls-in-ip',
    name: 'MPLS in IP',
    ipProtocols: [IP_PROTO_MPLS_IN_IP],
    udpPorts: [],
    note: 'RFC 4023: a label stack the decoders do not follow',
  },
  {
    id: 'weave-sleeve',
    name: 'Weave Net (sleeve)',
    ipProtocols: [],
    udpPorts: [6783],
    note: "Weave Net's user-space encapsulation, often encrypted (its fastdp mode is VXLAN on 6784, which is decoded)",
  },
  {
    id: 'geneve-other',
    name: 'Geneve (inner protocol not decoded)',
    ipProtocols: [],
    udpPorts: GENEVE.udpPorts,
    check: isGeneveOther,
    needsBytes: true,
    note: 'a Geneve Protocol Type other than Ethernet, IPv4, IPv6 or NSH (MPLS, for one)',
  },
  {
    id: 'vxlan-gpe-other',
    name: 'VXLAN-GPE (inner protocol not decoded)',
    ipProtocols: [],
    udpPorts: VXLAN_GPE.udpPorts,
    check: isVxlanGpeOther,
    needsBytes: true,
    note: 'a VXLAN-GPE Next Protocol other than IPv4, IPv6, Ethernet or NSH (MPLS, for one)',
  },
];

const BY_IP_PROTOCOL = new Map<number, OpaqueTunnel[]>();
const BY_UDP_PORT = new Map<number, OpaqueTunnel[]>();
for (const t of OPAQUE_TUNNELS) {
  for (const p of t.ipProtocols) BY_IP_PROTOCOL.set(p, [...(BY_IP_PROTOCOL.get(p) ?? []), t]);
  for (const p of t.udpPorts) BY_UDP_PORT.set(p, [...(BY_UDP_PORT.get(p) ?? []), t]);
}

/** Every UDP port some opaque tunnel is registered on: a cheap test before opaqueTunnel(). */
export const OPAQUE_UDP_PORTS: ReadonlySet<number> = new Set(BY_UDP_PORT.keys());

/**
 * Every UDP port an encapsulation uses, opened (the overlays) or only named (the opaque tunnels),
 * with the names of what runs on it: "Weave Net (sleeve)" as "Weave Net", and Geneve and
 * VXLAN-GPE once though they are registered both ways. The capture kit's filter and the
 * anatomy's port names read it.
 */
export const ENCAPSULATION_UDP_PORTS: ReadonlyMap<number, readonly string[]> = (() => {
  const names = new Map<number, string[]>();
  for (const t of [...OVERLAYS, ...OPAQUE_TUNNELS]) {
    const name = t.name.replace(/ \(.*\)$/, '');
    for (const p of t.udpPorts) {
      const here = names.get(p) ?? [];
      if (!here.includes(name)) names.set(p, [...here, name]);
    }
  }
  return new Map([...names].sort((a, b) => a[0] - b[0]));
})();

/** How an opaque tunnel crosses the network: "UDP 51820", "IP protocol 50". */
export function opaqueWire(proto: number, sport: number, dport: number, id: OpaqueTunnelId): string {
  if (proto !== IP_PROTO_UDP) return `IP protocol ${proto}`;
  const t = OPAQUE_TUNNELS.find((x) => x.id === id);
  const port = t?.udpPorts.includes(Math.min(sport, dport)) ? Math.min(sport, dport) : Math.max(sport, dport);
  return `UDP ${port}`;
}

function first(candidates: readonly OpaqueTunnel[] | undefined, payload: Uint8Array | undefined): OpaqueTunnelMatch | null {
  if (candidates === undefined) return null;
  for (const t of candidates) {
    if (payload === undefined) {
      if (t.needsBytes !== true) return { id: t.id, name: t.name, confirmed: false };
    } else if (t.check === undefined) {
      return { id: t.id, name: t.name, confirmed: false };
    } else if (t.check(payload)) {
      return { id: t.id, name: t.name, confirmed: true };
    }
  }
  return null;
}

/**
 * The opaque tunnel a packet is, from its IP protocol, its UDP ports (0 when it has none) and,
 * when known, its payload: the IP payload, or for UDP the UDP payload. Null when it is none of
 * them (or its bytes say otherwise). The lower UDP port is tried first, as the decoders do.
 */
export function opaqueTunnel(proto: number, sport: number, dport: number, payload?: Uint8Array): OpaqueTunnelMatch | null {
  if (proto !== IP_PROTO_UDP) return first(BY_IP_PROTOCOL.get(proto), payload);
  const low = sport < dport ? sport : dport;
  const high = sport < dport ? dport : sport;
  return (low !== 0 ? first(BY_UDP_PORT.get(low), payload) : null) ?? (high !== 0 ? first(BY_UDP_PORT.get(high), payload) : null);
}

/**
 * The overlay a layer stack stops inside: the last overlay header, when all that follows it is
 * payload or undecoded bytes (an index shape "eth:ipv4:udp:geneve:data"). Such a packet went
 * through the tunnel, but what it carried was not read.
 */
export function overlayWithOpaqueInner(kinds: readonly LayerKind[]): OverlaySpec | null {
  for (let i = kinds.length - 1; i >= 0; i--) {
    const k = kinds[i]!;
    if (k === 'payload' || k === 'undecoded') continue;
    return i < kinds.length - 1 ? (overlayOfLayer(k) ?? null) : null;
  }
  return null;
}

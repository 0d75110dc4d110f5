/**
 * The overlay registry: one entry per encapsulation, after Wireshark's dissector tables
 * (`dissector_add_uint("udp.port", 4789, vxlan_handle)`, `heur_dissector_add`) and gopacket's
 * LayerTypeMetadata. Each entry holds everything the rest of Hopscope knows about its
 * overlay: its name, the ports or IP protocols that carry it, how its bytes are recognised on
 * another port, the bytes it puts in front of the inner packet, how the inner packet is
 * found, and the words the causes and the anatomy use. The decode tables, the correlator, the
 * verdict causes, the MTU arithmetic, the hop diagram, the anatomy and the lessons read it;
 * none spells an overlay's name, port or overhead again.
 *
 * Adding an encapsulation: its decoder (lib/decode/layers/<kind>.ts) and its test, its layer
 * kind in layers.ts, and one entry here.
 */
import type { LayerKind } from './layers';
import { IP_PROTO_GRE, IP_PROTO_IPV4, IP_PROTO_IPV6 } from './numbers';
import { looksLikeFlannelUdp, looksLikeGeneve, looksLikeVxlan, looksLikeVxlanGpe } from './recognise';

export type OverlayKind = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'flannel-udp' | 'ipip' | 'gre';

/** One header of an overlay's overhead, in wire order. */
export interface OverheadPart {
  title: string;
  length: number;
}

export interface OverlaySpec {
  kind: OverlayKind;
  /** Display name: "VXLAN", "flannel UDP", "IP-in-IP". */
  name: string;
  /** The name in "how the underlay carries it": "UDP 8285 (flannel UDP backend)". */
  wireName: string;
  /** The decoder's layer for the overlay header; null when the inner IP header follows the outer one. */
  layer: LayerKind | null;
  /** UDP destination ports it is registered on, the usual one first (empty: not carried in UDP). */
  udpPorts: readonly number[];
  /** IP protocol numbers that carry it directly (IP-in-IP 4 and 41, GRE 47). */
  ipProtocols: readonly number[];
  /** Recognises its UDP payload on a port the table does not name; tried in registry order. */
  recognise?: (buf: Uint8Array, offset: number, length: number) => boolean;
  /**
   * What the overlay puts between the underlay's IP payload start and the inner IP header,
   * over an IPv4 underlay, in wire order (the outer IPv4 header first): the MTU arithmetic.
   */
  overhead: readonly OverheadPart[];
  /** What the overlay carries: an Ethernet frame, or a bare IP packet. */
  inner: 'ethernet' | 'ip';
  /** The segment identifier: its name and the decoded layer's property that holds it. */
  id: { label: string; field: 'vni' | 'key' } | null;
  /** Who encapsulates: a kernel device, or a user-space daemon behind a TUN device. */
  encapsulator: { kind: 'kernel' } | { kind: 'daemon'; name: string; check: string };
  /** A per-destination entry the sender needs (VXLAN's fdb and neighbour entries). */
  forwardingEntries: { what: string; check: (device: string) => string } | null;
  /** The device whose MTU must leave room for the overhead, as the CNIs name it. */
  deviceText: string;
  /** What the receiving node did to the packet: "VXLAN decapsulated". */
  decapsulated: string;
  /** Its label in a report: "VXLAN VNI 1, UDP 8472"; without `id` (from a device name) "VXLAN, UDP 8472". */
  label(id: number | null | undefined, port: string | null): string;
  /** Why the outer UDP ports and the overlay header's fields hold what they hold (anatomy). */
  notes: {
    srcPort?: string;
    dstPort?: Readonly<Record<number, string>>;
    otherDstPort?: string;
    fields?: Readonly<Record<string, string>>;
  };
}

/** The underlay MTU assumed when a capture cannot say (an Ethernet NIC). */
export const UNDERLAY_MTU = 1500;

const OUTER_IPV4: OverheadPart = { title: 'outer IPv4', length: 20 };
const UDP: OverheadPart = { title: 'UDP', length: 8 };
const INNER_ETHERNET: OverheadPart = { title: 'inner Ethernet II', length: 14 };

const udpLabel = (name: string, idLabel: string) => (id: number | null | undefined, port: string | null) =>
  `${name}${id === undefined ? ',' : ` ${idLabel} ${id ?? '?'},`} UDP ${port ?? '?'}`;

export const VXLAN: OverlaySpec = {
  kind: 'vxlan',
  name: 'VXLAN',
  wireName: 'VXLAN',
  layer: 'vxlan',
  // 4789 is IANA's (RFC 7348 §5); 8472 the Linux kernel's pre-IANA default, flannel's.
  udpPorts: [4789, 8472],
  ipProtocols: [],
  recognise: looksLikeVxlan,
  overhead: [OUTER_IPV4, UDP, { title: 'VXLAN', length: 8 }, INNER_ETHERNET],
  inner: 'ethernet',
  id: { label: 'VNI', field: 'vni' },
  encapsulator: { kind: 'kernel' },
  forwardingEntries: { what: 'VTEP entry', check: (dev) => `bridge fdb show dev ${dev}; ip neigh show dev ${dev}` },
  deviceText: 'the VXLAN device (flannel.1)',
  decapsulated: 'VXLAN decapsulated',
  label: udpLabel('VXLAN', 'VNI'),
  notes: {
    srcPort: 'a hash of the inner flow, for ECMP entropy (RFC 7348 §5)',
    dstPort: { 4789: "VXLAN's IANA port (RFC 7348 §5)", 8472: "the Linux kernel's pre-IANA VXLAN port, flannel's default" },
    otherDstPort: "the VXLAN device's dstport",
    fields: {
      'flags.i': 'I flag set: the VNI is valid (RFC 7348 §5)',
      vni: "the VXLAN Network Identifier: which overlay the inner frame belongs to (flannel's VXLAN id, 1 by default)",
    },
  },
};

export const VXLAN_GPE: OverlaySpec = {
  kind: 'vxlan-gpe',
  name: 'VXLAN-GPE',
  wireName: 'VXLAN-GPE',
  layer: 'vxlan-gpe',
  udpPorts: [4790],
  ipProtocols: [],
  recognise: looksLikeVxlanGpe,
  // Nominal, for Next Protocol Ethernet; carrying IPv4 or IPv6 it has no inner Ethernet header
  // (36 bytes), which a captured packet's own headers show.
  overhead: [OUTER_IPV4, UDP, { title: 'VXLAN-GPE', length: 8 }, INNER_ETHERNET],
  inner: 'ethernet',
  id: { label: 'VNI', field: 'vni' },
  encapsulator: { kind: 'kernel' },
  forwardingEntries: null,
  deviceText: 'the VXLAN-GPE device',
  decapsulated: 'VXLAN-GPE decapsulated',
  label: udpLabel('VXLAN-GPE', 'VNI'),
  notes: {
    srcPort: 'a hash of the inner flow, for ECMP entropy, as in VXLAN (RFC 7348 §5)',
    dstPort: { 4790: "VXLAN-GPE's IANA port" },
    otherDstPort: "the VXLAN-GPE device's dstport",
    fields: {
      'flags.p': 'P flag set: the Next Protocol field says what follows',
      nextProtocol: 'what the tunnel carries: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS',
      vni: 'the VXLAN Network Identifier: which overlay the inner packet belongs to',
    },
  },
};

export const GENEVE: OverlaySpec = {
  kind: 'geneve',
  name: 'Geneve',
  wireName: 'Geneve',
  layer: 'geneve',
  udpPorts: [6081],
  ipProtocols: [],
  recognise: looksLikeGeneve,
  // Without options; a packet's own Geneve header says how long its options are.
  overhead: [OUTER_IPV4, UDP, { title: 'Geneve', length: 8 }, INNER_ETHERNET],
  inner: 'ethernet',
  id: { label: 'VNI', field: 'vni' },
  encapsulator: { kind: 'kernel' },
  forwardingEntries: null,
  deviceText: 'the Geneve device',
  decapsulated: 'decapsulated',
  label: udpLabel('Geneve', 'VNI'),
  notes: {
    srcPort: 'a hash of the inner flow, for ECMP entropy (RFC 8926 §3.3)',
    dstPort: { 6081: "Geneve's IANA port (RFC 8926 §3.3)" },
    otherDstPort: "the Geneve device's port",
    fields: { vni: 'the Virtual Network Identifier: which overlay the inner packet belongs to (RFC 8926 §3.4)' },
  },
};

export const FLANNEL_UDP: OverlaySpec = {
  kind: 'flannel-udp',
  name: 'flannel UDP',
  wireName: 'flannel UDP backend',
  layer: 'flannel-udp',
  // flanneld reads IP packets from the flannel0 TUN device and sends each as a UDP payload.
  udpPorts: [8285],
  ipProtocols: [],
  recognise: looksLikeFlannelUdp,
  overhead: [OUTER_IPV4, UDP],
  inner: 'ip',
  id: null,
  encapsulator: { kind: 'daemon', name: 'flanneld', check: 'systemctl status flanneld; ss -ulpn | grep 8285' },
  forwardingEntries: null,
  deviceText: "flanneld's TUN device (flannel0)",
  decapsulated: 'written to flannel0 by flanneld',
  label: (_id, port) => `flannel UDP ${port ?? '?'}`,
  notes: {
    srcPort: "flanneld's own socket: one port for every flow, so no ECMP entropy",
    dstPort: { 8285: "flannel's UDP backend port (flanneld listens on it)" },
    otherDstPort: "flanneld's configured port",
  },
};

export const IPIP: OverlaySpec = {
  kind: 'ipip',
  name: 'IP-in-IP',
  wireName: 'IP-in-IP',
  layer: null,
  udpPorts: [],
  ipProtocols: [IP_PROTO_IPV4, IP_PROTO_IPV6],
  overhead: [OUTER_IPV4],
  inner: 'ip',
  id: null,
  encapsulator: { kind: 'kernel' },
  forwardingEntries: null,
  deviceText: 'the IP-in-IP device (tunl0)',
  decapsulated: 'IP-in-IP decapsulated',
  label: () => 'IP-in-IP (proto 4)',
  notes: {},
};

export const GRE: OverlaySpec = {
  kind: 'gre',
  name: 'GRE',
  wireName: 'GRE',
  layer: 'gre',
  udpPorts: [],
  ipProtocols: [IP_PROTO_GRE],
  overhead: [OUTER_IPV4, { title: 'GRE', length: 4 }],
  inner: 'ip',
  id: { label: 'key', field: 'key' },
  encapsulator: { kind: 'kernel' },
  forwardingEntries: null,
  deviceText: 'the GRE device',
  decapsulated: 'decapsulated',
  label: (id) => (id !== null && id !== undefined ? `GRE key ${id}` : 'GRE'),
  notes: { fields: { protocol: 'the EtherType of what the tunnel carries' } },
};

/** Every overlay, in the order their byte recognisers are tried. */
export const OVERLAYS: readonly OverlaySpec[] = [VXLAN, VXLAN_GPE, GENEVE, FLANNEL_UDP, IPIP, GRE];

const BY_KIND = new Map<OverlayKind, OverlaySpec>(OVERLAYS.map((o) => [o.kind, o]));
const BY_LAYER = new Map<LayerKind, OverlaySpec>(OVERLAYS.flatMap((o) => (o.layer ? [[o.layer, o] as const] : [])));
const BY_UDP_PORT = new Map<number, OverlaySpec>(OVERLAYS.flatMap((o) => o.udpPorts.map((p) => [p, o] as const)));

export function overlay(kind: OverlayKind): OverlaySpec {
  return BY_KIND.get(kind)!;
}

/** The overlay whose header a decoded layer is, if any. */
export function overlayOfLayer(kind: LayerKind): OverlaySpec | undefined {
  return BY_LAYER.get(kind);
}

/** The overlay layer registered on a UDP port. */
export function overlayLayerForUdpPort(port: number): LayerKind | undefined {
  return BY_UDP_PORT.get(port)?.layer ?? undefined;
}

/** Layer kinds of overlays carried in UDP: what a user may "Decode As". */
export type UdpOverlayLayer = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'flannel-udp';

/** Bytes the overlay adds in front of the inner IP packet over an IPv4 underlay. */
export function overheadBytes(o: OverlaySpec): number {
  return o.overhead.reduce((s, p) => s + p.length, 0);
}

/** The largest inner IP packet the overlay carries over an underlay of `underlayMtu`. */
export function innerMtu(o: OverlaySpec, underlayMtu = UNDERLAY_MTU): number {
  return underlayMtu - overheadBytes(o);
}

/** "UDP 8472 (VXLAN)", "UDP 4789 or 8472 (VXLAN)", "IP protocol 4 (IP-in-IP)". */
export function wireText(o: OverlaySpec, ports: readonly number[] = o.udpPorts): string {
  if (o.udpPorts.length > 0) return `UDP ${ports.join(' or ')} (${o.wireName})`;
  return `IP protocol ${o.ipProtocols[0] ?? '?'} (${o.wireName})`;
}

/** An iptables grep for the rules that could filter the overlay (all overlays when unknown). */
export function filterPattern(o: OverlaySpec | null, ports?: readonly number[]): string {
  const list = o ? [o] : OVERLAYS;
  const udp = o ? (ports ?? o.udpPorts) : list.flatMap((x) => x.udpPorts);
  const protos = list.flatMap((x) => x.ipProtocols);
  const parts = [...new Set(udp)].map(String);
  if (protos.length > 0) parts.push(`-p (${[...new Set(protos)].join('|')}${protos.includes(IP_PROTO_IPV4) ? '|ipencap' : ''})`);
  return parts.join('|');
}

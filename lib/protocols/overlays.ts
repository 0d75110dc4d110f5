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
import { fouClaims, gueClaims, looksLikeFlannelUdp, looksLikeGeneve, looksLikeGue, looksLikeVxlan, looksLikeVxlanGpe } from './recognise';

export type OverlayKind = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'flannel-udp' | 'ipip' | 'gre' | 'fou' | 'gue' | 'erspan';

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
   * On a UDP port it shares with other overlays (FOU and GUE on 5555), whether the payload is its
   * own: weaker than `recognise`, as the port has already narrowed it to a few. Tried in registry
   * order; the first overlay registered on the port takes what none claims.
   */
  claims?: (buf: Uint8Array, offset: number, length: number) => boolean;
  /**
   * What the overlay puts between the underlay's IP payload start and the inner IP header,
   * over an IPv4 underlay, in wire order (the outer IPv4 header first): the MTU arithmetic.
   */
  overhead: readonly OverheadPart[];
  /** What the overlay carries: an Ethernet frame, or a bare IP packet. */
  inner: 'ethernet' | 'ip';
  /** The segment identifier: its name and the decoded layer's property that holds it. */
  id: { label: string; field: 'vni' | 'key' | 'sessionId' } | null;
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

export const FOU: OverlaySpec = {
  kind: 'fou',
  name: 'FOU',
  wireName: 'Foo-over-UDP',
  layer: 'fou',
  // No IANA port: 5555 is the port of the kernel's and iproute2's FOU examples
  // (`ip fou add port 5555 ipproto 4`). flannel's recogniser claims bare IP on other ports.
  udpPorts: [5555],
  ipProtocols: [],
  claims: fouClaims,
  overhead: [OUTER_IPV4, UDP],
  inner: 'ip',
  id: null,
  encapsulator: { kind: 'kernel' },
  forwardingEntries: null,
  deviceText: 'the tunnel device with `encap fou` (an ipip, sit or gre device)',
  decapsulated: 'FOU decapsulated',
  label: (_id, port) => `FOU, UDP ${port ?? '?'}`,
  notes: {
    srcPort: 'encap-sport: auto hashes the inner flow for ECMP entropy, or a fixed port',
    dstPort: { 5555: 'the FOU receive port of the Linux examples (ip fou add port 5555 ipproto 4)' },
    otherDstPort: 'the port `ip fou add port N ipproto P` configured on the receiver',
  },
};

export const GUE: OverlaySpec = {
  kind: 'gue',
  name: 'GUE',
  wireName: 'Generic UDP Encapsulation',
  layer: 'gue',
  // No IANA port: 6080 and 5555 are the ports of the Linux examples (`ip fou add port 6080 gue`).
  udpPorts: [6080, 5555],
  ipProtocols: [],
  recognise: looksLikeGue,
  claims: gueClaims,
  // Without extension fields; a packet's own Hlen says how many it has.
  overhead: [OUTER_IPV4, UDP, { title: 'GUE', length: 4 }],
  inner: 'ip',
  id: null,
  encapsulator: { kind: 'kernel' },
  forwardingEntries: null,
  deviceText: 'the tunnel device with `encap gue` (an ipip, sit or gre device)',
  decapsulated: 'GUE decapsulated',
  label: (_id, port) => `GUE, UDP ${port ?? '?'}`,
  notes: {
    srcPort: 'encap-sport: auto hashes the inner flow for ECMP entropy, or a fixed port',
    dstPort: {
      6080: 'the GUE receive port of the Linux examples (ip fou add port 6080 gue)',
      5555: 'the FOU/GUE receive port of the Linux examples (ip fou add port 5555 gue)',
    },
    otherDstPort: 'the port `ip fou add port N gue` configured on the receiver',
    fields: {
      protoCtype: 'the IP protocol of the inner packet: 4 IPv4 (ipip), 41 IPv6 (sit), 47 GRE',
      hlen: 'the extension fields in 4-byte words; Linux uses them for remote checksum offload (encap-remcsum)',
    },
  },
};

export const ERSPAN: OverlaySpec = {
  kind: 'erspan',
  name: 'ERSPAN',
  wireName: 'ERSPAN over GRE',
  layer: 'erspan',
  udpPorts: [],
  // Carried in GRE (Protocol Type 0x88BE or 0x22EB), so by the same IP protocol.
  ipProtocols: [IP_PROTO_GRE],
  // Nominal, type II: GRE with a sequence number (8), ERSPAN (8), the mirrored Ethernet frame.
  overhead: [OUTER_IPV4, { title: 'GRE', length: 8 }, { title: 'ERSPAN', length: 8 }, INNER_ETHERNET],
  inner: 'ethernet',
  id: { label: 'session', field: 'sessionId' },
  encapsulator: { kind: 'kernel' },
  forwardingEntries: null,
  deviceText: 'the mirror session (a switch, or a Linux erspan device)',
  decapsulated: 'received as a mirrored copy',
  label: (id) => (id !== null && id !== undefined ? `ERSPAN session ${id}` : 'ERSPAN'),
  notes: {
    fields: {
      sessionId: 'the mirror session that copied this frame: a copy, not a packet the network forwarded',
      index: 'the port or module the frame was copied at',
      direction: 'whether the frame was copied entering the port (ingress) or leaving it (egress)',
      frameTruncated: 'T set: the session cut the copy short (its MTU); the inner lengths run past the bytes',
    },
  },
};

/** Every overlay, in the order their byte recognisers are tried. */
export const OVERLAYS: readonly OverlaySpec[] = [VXLAN, VXLAN_GPE, GENEVE, FLANNEL_UDP, IPIP, GRE, FOU, GUE, ERSPAN];

const BY_KIND = new Map<OverlayKind, OverlaySpec>(OVERLAYS.map((o) => [o.kind, o]));
const BY_LAYER = new Map<LayerKind, OverlaySpec>(OVERLAYS.flatMap((o) => (o.layer ? [[o.layer, o] as const] : [])));
/** Every overlay registered on each UDP port, in registry order. */
const ON_UDP_PORT = new Map<number, OverlaySpec[]>();
for (const o of OVERLAYS) for (const p of o.udpPorts) ON_UDP_PORT.set(p, [...(ON_UDP_PORT.get(p) ?? []), o]);
/** The layer of a port one overlay owns; what the per-packet dispatch asks first. */
const LAYER_BY_UDP_PORT = new Map<number, LayerKind>([...ON_UDP_PORT].flatMap(([p, os]) => (os.length === 1 && os[0]!.layer ? [[p, os[0]!.layer] as const] : [])));
/** Ports several overlays are registered on, each with its overlays in registry order. */
const SHARED_UDP_PORTS = new Map<number, OverlaySpec[]>([...ON_UDP_PORT].filter(([, os]) => os.length > 1));

export function overlay(kind: OverlayKind): OverlaySpec {
  return BY_KIND.get(kind)!;
}

/** The overlay whose header a decoded layer is, if any. */
export function overlayOfLayer(kind: LayerKind): OverlaySpec | undefined {
  return BY_LAYER.get(kind);
}

/**
 * The overlay layer for a UDP payload on `port`, from the registry's ports: the port's overlay,
 * or on a port several share, the first whose `claims` accepts the bytes (else the first
 * registered). Undefined for a port no overlay is registered on.
 */
export function overlayLayerForUdpPayload(port: number, buf: Uint8Array, offset: number, length: number): LayerKind | undefined {
  const owned = LAYER_BY_UDP_PORT.get(port);
  if (owned !== undefined) return owned;
  const shared = SHARED_UDP_PORTS.get(port);
  if (shared === undefined) return undefined;
  for (const o of shared) if (o.claims?.(buf, offset, length) === true) return o.layer ?? undefined;
  return shared[0]!.layer ?? undefined;
}

/** Every overlay registered on a UDP port, in registry order (several on a shared port). */
export function overlaysOnUdpPort(port: number): readonly OverlaySpec[] {
  return ON_UDP_PORT.get(port) ?? [];
}

/** Layer kinds of overlays carried in UDP: what a user may "Decode As". */
export type UdpOverlayLayer = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'flannel-udp' | 'fou' | 'gue';

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

/**
 * Packet anatomy: one captured packet as nested layers to scale in bytes, each with its fields
 * and the exact bytes (and bits) every field occupies, as Wireshark's detail and bytes panes
 * pair them. Pure data: the dashboard, the /learn lesson and the SVG export all draw from it.
 */
import type { OverlayKind } from '../protocols/overlays';
import type { LayerKind } from '../decode/types';

/** Where a field sits: bytes from the packet start; `bits` narrows to bits within those bytes. */
export interface ByteRange {
  offset: number;
  length: number;
  /** For flags and sub-byte fields: first bit (0 = most significant of the first byte) and count. */
  bits?: { first: number; count: number };
}

export interface AnatomyField extends ByteRange {
  /** Stable key within its layer, e.g. `ttl`, `src`, `vni`, `flags.df`. */
  key: string;
  /** The RFC's name for it, e.g. "Time to Live", "VXLAN Network Identifier". */
  name: string;
  /** As an engineer reads it: "64", "10.244.1.2", "0x0800 (IPv4)", "1 (set)". */
  value: string;
}

/**
 * One layer's header (the bytes it owns), outer first. `depth` counts encapsulations: 0 for the
 * outer stack, 1 inside the first tunnel (VXLAN, Geneve, flannel UDP, IP-in-IP, GRE), and so on.
 */
export interface AnatomyLayer extends ByteRange {
  kind: LayerKind;
  /** "Ethernet II", "IPv4", "UDP", "VXLAN", "ICMP", … */
  title: string;
  depth: number;
  /** Inside an ICMP error's quoted datagram. */
  quoted: boolean;
  truncated: boolean;
  fields: AnatomyField[];
}

/**
 * Every captured byte belongs to exactly one segment, in order, so segment lengths add up to
 * the captured length: layer headers, then what follows the innermost header (data), and any
 * trailer the decoder saw (Ethernet padding, ICMP extensions) or an FCS.
 */
export interface AnatomySegment extends ByteRange {
  role: 'header' | 'data' | 'trailer' | 'fcs' | 'undecoded';
  /**
   * Index into `layers` for headers; the layer a trailer or data belongs to otherwise (a
   * trailer belongs to the layer that carried it: Ethernet padding to the Ethernet layer); -1
   * when no layer was decoded at all.
   */
  layer: number;
  label: string;
}

export interface Anatomy {
  linkType: number;
  capLen: number;
  origLen: number;
  layers: AnatomyLayer[];
  segments: AnatomySegment[];
  /** The decoder's errors and notes ("IPv4 total length 0 …: TSO/GSO packet"), when it had any. */
  notes?: string[];
}

/** One field that differs between the same packet at two stations, with the reason. */
export interface FieldChange {
  layerTitle: string;
  depth: number;
  key: string;
  name: string;
  from: string;
  to: string;
  /** One line: "each router hop decrements it (RFC 791)", "DNAT by kube-proxy", … */
  why: string;
  /**
   * Index of the field's layer in each anatomy's `layers`; absent on the side where the layer
   * does not exist (a field of an added or removed encapsulation header, whose value there is
   * ABSENT, "—").
   */
  fromLayer?: number;
  toLayer?: number;
}

/** A station: where a packet was captured, for the explanations ("node1 routed it from cni0 to flannel.1"). */
export interface StationLabel {
  node?: string;
  interface?: string;
}

export interface StationDiff {
  /** Layers present at `to` and not at `from` (encapsulation), outer first; `layer` indexes `to.layers`. */
  added: { title: string; depth: number; length: number; layer?: number }[];
  /** Layers present at `from` and not at `to` (decapsulation); `layer` indexes `from.layers`. */
  removed: { title: string; depth: number; length: number; layer?: number }[];
  /**
   * Fields whose values differ, outer layer first; then the notable fields of added and removed
   * encapsulation headers (tunnel endpoints, outer UDP ports, VNI) with ABSENT on the other side.
   */
  changed: FieldChange[];
  /**
   * False when the innermost IP packets do not look like the same packet (IP identification or
   * protocol differ); the diff is still computed.
   */
  samePacket?: boolean;
  /** One line summing it up: "encapsulated: +50 bytes of VXLAN headers (outer Ethernet, IPv4, UDP, VXLAN)". */
  summary: string;
}

/** The MTU arithmetic of one packet on one overlay. */
export interface MtuArithmetic {
  overlay: OverlayKind | 'none';
  /** Bytes the overlay adds in front of the inner IP packet (VXLAN 50, flannel UDP 28, IP-in-IP 20). */
  overhead: number;
  /** The underlay MTU assumed or seen (1500 by default). */
  underlayMtu: number;
  /** The largest inner IP packet that fits: underlayMtu − overhead (1450, 1472, 1480). */
  innerMtu: number;
  /** This packet's inner IP total length. */
  innerLength: number;
  fits: boolean;
  /** Lines of arithmetic, e.g. ["inner IPv4 1500 + VXLAN overhead 50 = 1550 > MTU 1500"]. */
  lines: string[];
  /** What the overhead is made of, in wire order: [{title: 'outer IPv4', length: 20}, …]. */
  parts?: { title: string; length: number }[];
  /** True when the overhead was read from the packet's own headers, false when nominal (an inner packet and an explicit overlay). */
  measured?: boolean;
  /** Not measured on this copy but on the same packet where it was captured encapsulated. */
  measuredElsewhere?: true;
}

/**
 * The layer model shared by every decoder (after gopacket's layers/base.go): a layer knows
 * where it sits in the packet, and `header`/`payload` are views (subarray) into the capture
 * bytes, never copies.
 */
import type { LayerKind } from '../protocols/layers';
import type { UdpOverlayLayer } from '../protocols/overlays';

export type { LayerKind };

export interface LayerBase<K extends LayerKind> {
  kind: K;
  /** Offset of the first header byte from the start of the packet. */
  offset: number;
  /** Bytes of header this layer owns (header.length). */
  headerLength: number;
  header: Uint8Array;
  payload: Uint8Array;
  /** True when the capture ends inside this layer's header or its declared payload. */
  truncated: boolean;
  /**
   * Bytes the enclosing layer carried after this layer's declared end (Ethernet padding after
   * an IPv4 total length, bytes after a UDP length, ICMP extensions after the quoted
   * datagram). Empty for most layers. With it the layers tile the packet exactly:
   * parent.payload.length === child.headerLength + child.payload.length + child.trailer.length.
   */
  trailer: Uint8Array;
  /**
   * True for layers inside the datagram an ICMP/ICMPv6 error quotes (RFC 792, RFC 4443 §2.4):
   * they describe the packet that provoked the error, not this one, and are usually cut short
   * by design, which is not a capture truncation.
   */
  quoted: boolean;
}

export interface DecodeError {
  layer: LayerKind;
  /** Offset from the packet start where the impossible value sits. */
  offset: number;
  message: string;
}

/** A user's "Decode As" table: UDP port → what to decode its payload as. */
export type UdpDecodeAs = UdpOverlayLayer;

export interface DecodeOptions {
  /** Extra or overriding UDP port mappings, e.g. {9999: 'vxlan'}. */
  udpPorts?: Readonly<Record<number, UdpDecodeAs>>;
  /** Recognise VXLAN, Geneve and flannel-in-UDP on unexpected ports from their bytes (default true). */
  heuristics?: boolean;
  /** Stop after this many layers (default MAX_LAYERS); the rest becomes one `undecoded` layer. */
  maxLayers?: number;
}

/**
 * What comes next, as the tables say: a layer kind, or `ip` for "IPv4 or IPv6 by the version
 * nibble" (raw-IP link types, flannel's UDP backend).
 */
export type NextKind = LayerKind | 'ip';

/** State one decodePacket call shares with its layer decoders. */
export interface DecodeContext {
  data: Uint8Array;
  opts: DecodeOptions;
  /** Set once an ICMP error's quoted datagram starts; every later layer is `quoted`. */
  quoted: boolean;
  /**
   * True when an enclosing layer declared where the current bytes end (IPv4 total length, UDP
   * length, …) and the capture holds all of them: a header that runs past `end` is then
   * malformed. When false, `end` is just where the capture stopped, and running past it is a
   * short capture.
   */
  endIsDeclared: boolean;
  /** Non-fatal problems a decoder found while still returning its layer (e.g. a bad TCP option). */
  errors: DecodeError[];
  notes: string[];
}

/**
 * The result of one layer decoder. `hint` is the number that selected the next decoder
 * (EtherType, IP protocol, UDP port): the VLAN decoder uses it to tell 802.1Q from 802.1ad.
 */
export type DecodeStep<L> =
  | {
      layer: L;
      next: NextKind;
      hint: number;
      /** The next layers are the datagram an ICMP error quotes. */
      entersQuote?: boolean;
      /**
       * Where the next layer's bytes end when that is before this layer's payload end (an
       * RFC 4884 ICMP error: quoted datagram, then extensions). The bytes between become the
       * next layer's trailer.
       */
      nextEnd?: number;
    }
  /** The capture ends inside the fixed header: not malformed, just short. */
  | { short: true }
  /** An impossible value: recorded as an error, the rest of the packet left undecoded. */
  | { malformed: string; at: number };

/**
 * A layer decoder reads the header at `offset` within `data[offset, end)`, where `end` is the
 * end of the enclosing layer's payload, never the end of the buffer.
 */
export type LayerDecoder<L> = (ctx: DecodeContext, offset: number, end: number, hint: number) => DecodeStep<L>;

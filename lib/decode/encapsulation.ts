/**
 * What a packet's outermost overlay headers say (which overlay, its segment id, the outer UDP
 * port and the tunnel endpoints) and what an ICMP error quotes: both read once, while the
 * capture is indexed, so nothing after the index decodes a packet again.
 */
import { IPIP, overlayOfLayer, type OverlayKind, type OverlaySpec } from '../protocols/overlays';
import type { Layer } from './decode-packet';

/** The outermost overlay of a packet, as its own headers say. */
export interface Encapsulation {
  kind: OverlayKind;
  /** VXLAN/Geneve network identifier; GRE key. */
  vni: number | null;
  /** Outer UDP destination port. */
  port: number | null;
  outerSrc: string;
  outerDst: string;
}

type IpLayer = Extract<Layer, { kind: 'ipv4' | 'ipv6' }>;

function isIp(l: Layer): l is IpLayer {
  return l.kind === 'ipv4' || l.kind === 'ipv6';
}

/** The outermost overlay of a layer stack (not inside an ICMP quote) and the outer IP header around it. */
export function outermostOverlay(layers: readonly Layer[]): { spec: OverlaySpec; id: number | null; port: number | null; outer: IpLayer } | null {
  let outer: IpLayer | null = null;
  let udpPort: number | null = null;
  for (const l of layers) {
    if (l.quoted) break;
    if (isIp(l)) {
      if (outer) return { spec: IPIP, id: null, port: null, outer };
      outer = l;
    } else if (l.kind === 'udp') udpPort = l.dstPort;
    else if (outer) {
      const spec = overlayOfLayer(l.kind);
      if (!spec) continue;
      const id = spec.id ? (l as unknown as Record<string, unknown>)[spec.id.field] : null;
      return { spec, id: typeof id === 'number' ? id : null, port: spec.udpPorts.length > 0 ? udpPort : null, outer };
    }
  }
  return null;
}

/** The outermost overlay in a layer stack, with the outer addresses and port. */
export function encapsulationIn(layers: readonly Layer[]): Encapsulation | null {
  const o = outermostOverlay(layers);
  return o && { kind: o.spec.kind, vni: o.id, port: o.port, outerSrc: o.outer.src, outerDst: o.outer.dst };
}

/** An ICMP or ICMPv6 error and the datagram it quotes, enough to find the flow it answers. */
export interface QuotedError {
  /** Who sent the error (the source of the IP header carrying it). */
  from: string;
  /** Whom it was sent to (the destination of that header): the sender of the packet it answers. */
  to: string;
  type: number;
  code: number;
  /** Next-hop MTU of a frag-needed, MTU of a packet-too-big; null for other errors. */
  mtu: number | null;
  /**
   * The innermost quoted IP packet: protocol, addresses, ports or echo id, identity fields. Null
   * where the snap length cut the quote before them: kept for a frag-needed or packet-too-big
   * only, which still says who must send smaller (`to`) and how small (`mtu`).
   */
  quoted: {
    proto: number;
    src: string;
    dst: string;
    /** TCP/UDP ports; for ICMP echo, sport is the identifier. */
    sport: number;
    dport: number;
    echo: boolean;
    ipId: number | null;
    echoSeq: number | null;
    /** IPv4 total length, or IPv6 payload length + 40. */
    ipLen: number;
  } | null;
  /** The underlay packet quoted around it, when the quoted datagram was encapsulated. */
  quotedUnderlay: { proto: number; dst: string; dport: number } | null;
}

/**
 * The error in a decoded packet, or null when it is not one or quotes too little (a frag-needed
 * or packet-too-big whose quote the snap length cut is kept, its `quoted` null).
 */
export function quotedErrorIn(layers: readonly Layer[]): QuotedError | null {
  const at = layers.findIndex((l) => !l.quoted && (l.kind === 'icmp' || l.kind === 'icmpv6') && l.isError);
  if (at < 0) return null;
  const icmp = layers[at] as Extract<Layer, { kind: 'icmp' | 'icmpv6' }>;
  let from = '';
  let to = '';
  for (let i = at - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (isIp(l)) {
      from = l.src;
      to = l.dst;
      break;
    }
  }
  const mtu = icmp.kind === 'icmp' ? (icmp.type === 3 && icmp.code === 4 ? (icmp.nextHopMtu ?? null) : null) : icmp.type === 2 ? (icmp.mtu ?? null) : null;
  const cut = (): QuotedError | null => (mtu !== null && to !== '' && layers.some((l) => l.quoted && l.kind === 'undecoded' && l.reason === 'truncated') ? { from, to, type: icmp.type, code: icmp.code, mtu, quoted: null, quotedUnderlay: null } : null);
  const quoted = layers.slice(at + 1).filter((l) => l.quoted);
  const ips = quoted.filter(isIp);
  const inner = ips[ips.length - 1];
  if (!inner) return cut();
  const t = quoted[quoted.indexOf(inner) + 1];
  const proto = inner.kind === 'ipv4' ? inner.protocol : inner.finalNextHeader;
  const echo = t !== undefined && (t.kind === 'icmp' || t.kind === 'icmpv6');
  if (!echo && !(t && (t.kind === 'tcp' || t.kind === 'udp'))) return cut();
  let quotedUnderlay: QuotedError['quotedUnderlay'] = null;
  if (ips.length > 1) {
    const outer = ips[0]!;
    const ot = quoted[quoted.indexOf(outer) + 1];
    quotedUnderlay = {
      proto: outer.kind === 'ipv4' ? outer.protocol : outer.finalNextHeader,
      dst: outer.dst,
      dport: ot && (ot.kind === 'udp' || ot.kind === 'tcp') ? ot.dstPort : 0,
    };
  }
  return {
    from,
    to,
    type: icmp.type,
    code: icmp.code,
    mtu,
    quoted: {
      proto,
      src: inner.src,
      dst: inner.dst,
      sport: echo ? ((t as Extract<Layer, { kind: 'icmp' | 'icmpv6' }>).identifier ?? 0) : (t as Extract<Layer, { kind: 'tcp' | 'udp' }>).srcPort,
      dport: echo ? 0 : (t as Extract<Layer, { kind: 'tcp' | 'udp' }>).dstPort,
      echo,
      ipId: inner.kind === 'ipv4' ? inner.id : null,
      echoSeq: echo ? ((t as Extract<Layer, { kind: 'icmp' | 'icmpv6' }>).sequence ?? null) : null,
      ipLen: inner.kind === 'ipv4' ? inner.totalLength : inner.payloadLength + 40,
    },
    quotedUnderlay,
  };
}

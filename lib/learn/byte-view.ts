/**
 * A packet's bytes cut into its layers' headers, outer first, each with a name a newcomer can
 * read ("outer IPv4", "VXLAN", "inner Ethernet") and a colour role. Every captured byte belongs
 * to exactly one segment, so the segments' hex joined is the packet's hex.
 */
import type { DecodedPacket, Layer } from '../decode/decode-packet';

/** The colour role of a layer; the page maps each to a colour and a pattern. */
export type LayerRole = 'link' | 'ip' | 'udp' | 'tunnel' | 'transport' | 'icmp' | 'data' | 'quoted';

export interface ByteSegment {
  offset: number;
  length: number;
  role: LayerRole;
  /** "outer Ethernet", "VXLAN", "inner IPv4", "ICMP echo request", "data". */
  label: string;
  /** 0 for the outer stack, 1 inside the first tunnel, … */
  depth: number;
  /** Index of the layer in `decoded.layers`, or -1 for data/trailers. */
  layer: number;
  /** Short key fields, as tcpdump would print them. */
  fields: { name: string; value: string }[];
}

const TUNNELS = new Set(['vxlan', 'geneve', 'flannel-udp', 'gre']);

function baseTitle(l: Layer): string {
  switch (l.kind) {
    case 'ethernet':
      return 'Ethernet';
    case 'ipv4':
      return 'IPv4';
    case 'ipv6':
      return 'IPv6';
    case 'udp':
      return 'UDP';
    case 'tcp':
      return 'TCP';
    case 'icmp':
      return l.type === 8 ? 'ICMP echo request' : l.type === 0 ? 'ICMP echo reply' : l.type === 3 ? 'ICMP destination unreachable' : 'ICMP';
    case 'vxlan':
      return 'VXLAN';
    case 'flannel-udp':
      return 'flannel UDP';
    case 'sll':
    case 'sll2':
      return 'Linux cooked';
    case 'payload':
      return 'data';
    default:
      return l.kind;
  }
}

function role(l: Layer): LayerRole {
  if (l.quoted) return 'quoted';
  switch (l.kind) {
    case 'ethernet':
    case 'vlan':
    case 'sll':
    case 'sll2':
    case 'loopback':
      return 'link';
    case 'ipv4':
    case 'ipv6':
      return 'ip';
    case 'udp':
      return 'udp';
    case 'tcp':
      return 'transport';
    case 'icmp':
    case 'icmpv6':
      return 'icmp';
    case 'vxlan':
    case 'geneve':
    case 'flannel-udp':
    case 'gre':
      return 'tunnel';
    default:
      return 'data';
  }
}

function fieldsOf(l: Layer): { name: string; value: string }[] {
  switch (l.kind) {
    case 'ethernet':
      return [
        { name: 'src', value: l.src },
        { name: 'dst', value: l.dst },
        { name: 'type', value: `0x${l.typeOrLength.toString(16).padStart(4, '0')}` },
      ];
    case 'ipv4':
      return [
        { name: 'src', value: l.src },
        { name: 'dst', value: l.dst },
        { name: 'ttl', value: String(l.ttl) },
        { name: 'id', value: String(l.id) },
        { name: 'length', value: String(l.totalLength) },
        { name: 'proto', value: String(l.protocol) },
        { name: 'DF', value: l.dontFragment ? 'set' : 'clear' },
      ];
    case 'udp':
      return [
        { name: 'src port', value: String(l.srcPort) },
        { name: 'dst port', value: String(l.dstPort) },
        { name: 'length', value: String(l.length) },
      ];
    case 'vxlan':
      return [
        { name: 'flags', value: `0x${l.flags.toString(16).padStart(2, '0')}` },
        { name: 'VNI', value: String(l.vni) },
      ];
    case 'icmp':
      return [
        { name: 'type', value: String(l.type) },
        { name: 'code', value: String(l.code) },
        ...(l.identifier !== undefined ? [{ name: 'id', value: String(l.identifier) }] : []),
        ...(l.sequence !== undefined ? [{ name: 'seq', value: String(l.sequence) }] : []),
        ...(l.nextHopMtu !== undefined && l.type === 3 && l.code === 4 ? [{ name: 'next-hop MTU', value: String(l.nextHopMtu) }] : []),
      ];
    case 'tcp':
      return [
        { name: 'src port', value: String(l.srcPort) },
        { name: 'dst port', value: String(l.dstPort) },
        { name: 'flags', value: [l.flagSyn && 'SYN', l.flagAck && 'ACK', l.flagFin && 'FIN', l.flagRst && 'RST', l.flagPsh && 'PSH'].filter(Boolean).join(' ') },
      ];
    default:
      return [];
  }
}

/** The segments of a decoded packet, in byte order. */
export function byteSegments(decoded: DecodedPacket, capLen: number): ByteSegment[] {
  const layers = decoded.layers;
  const tunnelsBefore: number[] = [];
  let depth = 0;
  let ipSeen = 0;
  for (const [i, l] of layers.entries()) {
    tunnelsBefore[i] = depth;
    // A quoted datagram's tunnel headers (an ICMP error about a VXLAN packet) nest nothing of
    // this packet's own: it is labelled "quoted", not "inner".
    if (l.quoted) {
      tunnelsBefore[i] = 0;
      continue;
    }
    if (TUNNELS.has(l.kind)) depth++;
    // IP-in-IP: a second IP header with no tunnel header between.
    if (l.kind === 'ipv4' && !l.quoted) {
      if (ipSeen > 0 && i > 0 && layers[i - 1]?.kind === 'ipv4') tunnelsBefore[i] = ++depth;
      ipSeen++;
    }
  }
  const maxDepth = depth;
  const segs: ByteSegment[] = [];
  for (const [i, l] of layers.entries()) {
    const d = tunnelsBefore[i] ?? 0;
    const isPayload = l.kind === 'payload' || l.kind === 'undecoded';
    const length = isPayload ? l.headerLength + l.payload.length : l.headerLength;
    if (length === 0) continue;
    let label = baseTitle(l);
    if (l.quoted) label = `quoted ${label}`;
    else if (maxDepth > 0 && !TUNNELS.has(l.kind) && !isPayload) label = `${d === 0 ? 'outer' : d === maxDepth ? 'inner' : 'middle'} ${label}`;
    segs.push({ offset: l.offset, length, role: isPayload ? 'data' : role(l), label, depth: d, layer: i, fields: fieldsOf(l) });
  }
  segs.sort((a, b) => a.offset - b.offset);
  // Trailers (Ethernet padding) and anything no layer claims fill the gaps: the segments tile.
  const tiled: ByteSegment[] = [];
  let cursor = 0;
  for (const s of segs) {
    if (s.offset > cursor) tiled.push({ offset: cursor, length: s.offset - cursor, role: 'data', label: 'trailer', depth: 0, layer: -1, fields: [] });
    const start = Math.max(s.offset, cursor);
    const end = Math.min(s.offset + s.length, capLen);
    if (end > start) tiled.push({ ...s, offset: start, length: end - start });
    cursor = Math.max(cursor, end);
  }
  if (cursor < capLen) tiled.push({ offset: cursor, length: capLen - cursor, role: 'data', label: 'trailer', depth: 0, layer: -1, fields: [] });
  return tiled;
}

/**
 * The lesson's view of a packet's anatomy (lib/anatomy): the same segments, tiling every
 * captured byte, with the words and colours a newcomer reads them by: "outer IPv4", "VXLAN",
 * "inner Ethernet", "quoted UDP", and a few key fields per header, as tcpdump would print them.
 */
import { fieldNumber, fieldOf, icmpTypeName, type Anatomy, type AnatomyLayer } from '../anatomy';
import type { LayerKind } from '../decode/types';
import { LAYERS } from '../protocols/layers';

/** The colour role of a layer; the page maps each to a colour and a pattern. */
export type LayerRole = 'link' | 'ip' | 'udp' | 'tunnel' | 'transport' | 'icmp' | 'data' | 'quoted';

export interface ByteSegment {
  offset: number;
  length: number;
  role: LayerRole;
  /** "outer Ethernet", "VXLAN", "inner IPv4", "ICMP echo request", "data". */
  label: string;
  /** 0 for the outer stack, 1 inside the first tunnel, …; 0 for what an ICMP error quotes. */
  depth: number;
  /** Short key fields, as tcpdump would print them. */
  fields: { name: string; value: string }[];
}

function role(l: AnatomyLayer): LayerRole {
  if (l.quoted) return 'quoted';
  // The lesson gives IP and UDP colours of their own; the rest follow the layer's family.
  if (l.kind === 'ipv4' || l.kind === 'ipv6') return 'ip';
  if (l.kind === 'udp') return 'udp';
  const family = LAYERS[l.kind].family;
  return family === 'link' || family === 'tunnel' || family === 'transport' || family === 'icmp' ? family : 'data';
}

/** The anatomy's fields the lesson's layer table shows, by key, under tcpdump's short names. */
const KEY_FIELDS: Partial<Record<LayerKind, [key: string, name: string][]>> = {
  ethernet: [['src', 'src'], ['dst', 'dst'], ['type', 'type']],
  ipv4: [['src', 'src'], ['dst', 'dst'], ['ttl', 'ttl'], ['id', 'id'], ['totalLength', 'length'], ['protocol', 'proto'], ['flags.df', 'DF']],
  udp: [['srcPort', 'src port'], ['dstPort', 'dst port'], ['length', 'length']],
  vxlan: [['flags', 'flags'], ['vni', 'VNI']],
  icmp: [['type', 'type'], ['code', 'code'], ['identifier', 'id'], ['sequence', 'seq'], ['nextHopMtu', 'next-hop MTU']],
  tcp: [['srcPort', 'src port'], ['dstPort', 'dst port'], ['flags', 'flags']],
};

function keyFields(l: AnatomyLayer): ByteSegment['fields'] {
  return (KEY_FIELDS[l.kind] ?? []).flatMap(([key, name]) => {
    const f = fieldOf(l, key);
    return f ? [{ name, value: f.value }] : [];
  });
}

/**
 * What a newcomer calls the layer: Ethernet (every frame here is Ethernet II), and an ICMP
 * message by its type ("ICMP echo request": the type field reads "8 (echo request)").
 */
function plainTitle(l: AnatomyLayer): string {
  if (l.title === 'Ethernet II') return 'Ethernet';
  const t = l.kind === 'icmp' ? fieldNumber(l, 'type') : undefined;
  const type = t === undefined ? undefined : icmpTypeName(t);
  return type === undefined ? l.title : `${l.title} ${type}`;
}

/** The segments of a packet's anatomy, in byte order. */
export function byteSegments(anatomy: Anatomy): ByteSegment[] {
  // A quoted datagram's tunnel headers (an ICMP error about a VXLAN packet) nest nothing of this
  // packet's own: they are "quoted", never "inner", and drawn at the outer depth.
  const depthOf = (l: AnatomyLayer | undefined): number => (l === undefined || l.quoted ? 0 : l.depth);
  const inner = anatomy.layers.reduce((d, l) => Math.max(d, depthOf(l)), 0);
  return anatomy.segments.map((s) => {
    const l = anatomy.layers[s.layer];
    const depth = depthOf(l);
    if (s.role !== 'header' || l === undefined) {
      const label = s.role === 'data' ? (l?.quoted ? 'quoted data' : 'data') : s.label;
      return { offset: s.offset, length: s.length, role: 'data', label, depth, fields: [] };
    }
    const r = role(l);
    const title = plainTitle(l);
    let label = title;
    if (r === 'quoted') label = `quoted ${title}`;
    else if (inner > 0 && r !== 'tunnel') label = `${depth === 0 ? 'outer' : depth === inner ? 'inner' : 'middle'} ${title}`;
    return { offset: s.offset, length: s.length, role: r, label, depth, fields: keyFields(l) };
  });
}

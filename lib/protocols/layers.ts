/**
 * Every layer kind the decoders produce, with what each screen calls it (after gopacket's
 * LayerTypeMetadata): the anatomy's title, tshark's short name for the protocol hierarchy, the
 * abbreviation for a narrow box, and the family that gives its colour and pattern. Adding a
 * decoder adds one row here; nothing else spells these names.
 */

export const LAYER_KINDS = [
  'ethernet',
  'vlan',
  'sll',
  'sll2',
  'loopback',
  'arp',
  'ipv4',
  'ipv6',
  'udp',
  'tcp',
  'icmp',
  'icmpv6',
  'vxlan',
  'geneve',
  'flannel-udp',
  'gre',
  'payload',
  'undecoded',
  // New kinds go last: the fast indexer (lib/decode/summarize.ts) numbers the ones above literally.
  'vxlan-gpe',
  'fou',
  'gue',
  'nsh',
  'erspan',
] as const;

export type LayerKind = (typeof LAYER_KINDS)[number];

/**
 * What a layer's colour and pattern say: link, network, transport, ICMP, tunnel (overlay
 * headers), data, and bytes left undecoded. Trailers (padding, FCS) are a family of their own
 * that no layer kind has.
 */
export type LayerFamily = 'link' | 'network' | 'transport' | 'tunnel' | 'icmp' | 'data' | 'trailer' | 'undecoded';

export interface LayerMeta {
  kind: LayerKind;
  /** The anatomy's title when a layer has no more specific one ("Ethernet" → "Ethernet II"). */
  title: string;
  /** tshark's name in `-z io,phs` and frame.protocols, where it has one. */
  short: string;
  /** For a box too narrow for the title; none when the title is short already. */
  abbrev?: string;
  family: LayerFamily;
}

const meta = (kind: LayerKind, title: string, short: string, family: LayerFamily, abbrev?: string): LayerMeta =>
  abbrev === undefined ? { kind, title, short, family } : { kind, title, short, family, abbrev };

export const LAYERS: { readonly [K in LayerKind]: LayerMeta } = {
  ethernet: meta('ethernet', 'Ethernet', 'eth', 'link', 'Eth'),
  vlan: meta('vlan', 'VLAN', 'vlan', 'link', 'VLAN'),
  sll: meta('sll', 'Linux cooked (SLL)', 'sll', 'link', 'SLL'),
  sll2: meta('sll2', 'Linux cooked v2 (SLL2)', 'sll2', 'link', 'SLL2'),
  loopback: meta('loopback', 'Loopback', 'null', 'link', 'Loop'),
  arp: meta('arp', 'ARP', 'arp', 'network'),
  ipv4: meta('ipv4', 'IPv4', 'ipv4', 'network', 'IPv4'),
  ipv6: meta('ipv6', 'IPv6', 'ipv6', 'network', 'IPv6'),
  udp: meta('udp', 'UDP', 'udp', 'transport'),
  tcp: meta('tcp', 'TCP', 'tcp', 'transport'),
  icmp: meta('icmp', 'ICMP', 'icmp', 'icmp'),
  icmpv6: meta('icmpv6', 'ICMPv6', 'icmpv6', 'icmp', 'ICMP6'),
  vxlan: meta('vxlan', 'VXLAN', 'vxlan', 'tunnel'),
  geneve: meta('geneve', 'Geneve', 'geneve', 'tunnel'),
  'flannel-udp': meta('flannel-udp', 'flannel UDP', 'flannel', 'tunnel', 'flannel'),
  gre: meta('gre', 'GRE', 'gre', 'tunnel'),
  payload: meta('payload', 'Data', 'data', 'data'),
  undecoded: meta('undecoded', 'Undecoded', 'undecoded', 'undecoded'),
  // tshark 4.0 files VXLAN-GPE under "vxlan" in io,phs (and leaves it out of frame.protocols).
  'vxlan-gpe': meta('vxlan-gpe', 'VXLAN-GPE', 'vxlan', 'tunnel', 'GPE'),
  // tshark 4.0 has no FOU or GUE dissector: their UDP payload is "data" unless decoded as IP.
  fou: meta('fou', 'FOU', 'fou', 'tunnel'),
  gue: meta('gue', 'GUE', 'gue', 'tunnel'),
  nsh: meta('nsh', 'Network Service Header', 'nsh', 'tunnel', 'NSH'),
  erspan: meta('erspan', 'ERSPAN', 'erspan', 'tunnel'),
};

export function layerMeta(kind: LayerKind): LayerMeta {
  return LAYERS[kind];
}

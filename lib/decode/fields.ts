/**
 * tshark's view of a packet, column for column: what
 * `tshark -T fields -E occurrence=a -E aggregator=, -e …` prints for TSHARK_FIELDS
 * (../shared/corpus/make-oracle.sh), so Hopscope's decoders can be checked against Wireshark
 * row by row and the CLI's `fields` command can stand in for tshark.
 *
 * A column with several occurrences (outer and inner headers, or the datagram quoted in an
 * ICMP error) joins them with commas, outermost first. Where Hopscope decodes deeper than tshark
 * (flannel's UDP backend, FOU, GUE, VXLAN on an unexpected port) its extra values follow tshark's in the
 * same column.
 *
 * frame.protocols is Wireshark's own protocol naming: we produce a chain in its style
 * (eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data) but stop at "data" where Wireshark
 * names application protocols (dns, http, dhcp, …), so a comparison must normalise it first
 * (see normalizeTsharkProtocols).
 */
import type { DecodedPacket, Layer } from './decode-packet';
import { LINKTYPE_RAW, LINKTYPE_RAW_DLT12, LINKTYPE_RAW_DLT14 } from '../protocols/numbers';

export const TSHARK_FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'frame.len',
  'frame.cap_len',
  'frame.protocols',
  'eth.src',
  'eth.dst',
  'eth.type',
  'vlan.id',
  'sll.pkttype',
  'sll.ifindex',
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ip.id',
  'ip.ttl',
  'ip.flags.df',
  'ip.len',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
  'udp.srcport',
  'udp.dstport',
  'vxlan.vni',
  'geneve.vni',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'icmp.type',
  'icmp.code',
  'icmp.ident',
  'icmp.seq',
  'icmpv6.type',
] as const;

export type TsharkField = (typeof TSHARK_FIELDS)[number];

/** What fieldsRow needs to know about the frame; a capture PacketRecord satisfies it. */
export interface FrameInfo {
  /** 1-based, as Wireshark counts frames. */
  frameNumber: number;
  hasTimestamp: boolean;
  tsSec: number;
  /** 0..999,999,999. */
  tsNsec: number;
  origLen: number;
  capLen: number;
}

const COLUMN: { readonly [F in TsharkField]: number } = Object.fromEntries(TSHARK_FIELDS.map((f, i) => [f, i])) as {
  [F in TsharkField]: number;
};

function hex(n: number, digits: number): string {
  return '0x' + n.toString(16).padStart(digits, '0');
}

/** Seconds since the epoch with nine decimals, as tshark prints frame.time_epoch. */
export function formatEpoch(tsSec: number, tsNsec: number): string {
  // Keep integer arithmetic: seconds·1e9 overflows 2^53 only after the year 2255.
  let sec = tsSec;
  let nsec = tsNsec;
  let sign = '';
  if (sec < 0 && nsec > 0) {
    sec += 1;
    nsec = 1_000_000_000 - nsec;
  }
  if (sec < 0) {
    sign = '-';
    sec = -sec;
  } else if (sec === 0 && tsSec < 0) sign = '-';
  return `${sign}${sec}.${String(nsec).padStart(9, '0')}`;
}

/** Wireshark's short protocol names, for frame.protocols. */
function protocolNames(layer: Layer, linkType: number, isFirst: boolean): string[] {
  switch (layer.kind) {
    case 'ethernet':
      return layer.etherType === undefined ? ['eth'] : ['eth', 'ethertype'];
    case 'vlan':
      return ['vlan', 'ethertype'];
    case 'sll':
    case 'sll2':
      return ['sll', 'ethertype'];
    case 'loopback':
      return ['null'];
    case 'arp':
      return ['arp'];
    case 'ipv4':
    case 'ipv6': {
      const names: string[] = [];
      if (isFirst && (linkType === LINKTYPE_RAW || linkType === LINKTYPE_RAW_DLT12 || linkType === LINKTYPE_RAW_DLT14)) names.push('raw');
      names.push(layer.kind === 'ipv4' ? 'ip' : 'ipv6');
      if (layer.kind === 'ipv6') {
        for (const ext of layer.extensionHeaders) names.push(IPV6_EXT_NAMES.get(ext.type) ?? 'ipv6.ext');
      }
      return names;
    }
    case 'udp':
    case 'tcp':
    case 'icmp':
    case 'icmpv6':
    case 'vxlan':
    case 'geneve':
    case 'gre':
    case 'nsh':
    case 'erspan':
      return [layer.kind];
    case 'flannel-udp':
    case 'fou':
    case 'gue':
      // tshark 4.0 has no dissector for these: its chain says "data" where ours names them.
      return [layer.kind];
    case 'vxlan-gpe':
      // tshark 4.0 leaves VXLAN-GPE out of frame.protocols: eth:ethertype:ip:udp:ip:icmp.
      return [];
    case 'payload':
      return layer.payload.length > 0 ? ['data'] : [];
    case 'undecoded':
      return [layer.wanted === undefined ? 'data' : (WANTED_NAMES.get(layer.wanted) ?? layer.wanted)];
  }
}

const IPV6_EXT_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'ipv6.hopopts'],
  [43, 'ipv6.routing'],
  [44, 'ipv6.fraghdr'],
  [60, 'ipv6.dstopts'],
  [51, 'ah'],
]);

const WANTED_NAMES: ReadonlyMap<string, string> = new Map([
  ['ethernet', 'eth'],
  ['ipv4', 'ip'],
  ['sll2', 'sll'],
  ['loopback', 'null'],
]);

/** Our frame.protocols chain, in Wireshark's naming where we can. */
export function protocolChain(decoded: DecodedPacket): string {
  const names: string[] = [];
  decoded.layers.forEach((layer, i) => names.push(...protocolNames(layer, decoded.linkType, i === 0)));
  return names.join(':');
}

/**
 * A layer's length on the wire, for a header that declares 0 (TSO/GSO): tshark's "reported
 * length", the captured bytes plus those the capture cut off when the layer runs to the end.
 */
function reportedLength(frame: FrameInfo, l: Layer): number {
  const captured = l.headerLength + l.payload.length + l.trailer.length;
  const runsToEnd = l.offset + captured === frame.capLen;
  return captured + (runsToEnd ? Math.max(0, frame.origLen - frame.capLen) : 0);
}

/** tshark's values for TSHARK_FIELDS, one string per column. */
export function fieldsRow(frame: FrameInfo, decoded: DecodedPacket): string[] {
  const cols: string[][] = TSHARK_FIELDS.map(() => []);
  const add = (field: TsharkField, value: string | number): void => {
    (cols[COLUMN[field]] as string[]).push(String(value));
  };
  add('frame.number', frame.frameNumber);
  if (frame.hasTimestamp) add('frame.time_epoch', formatEpoch(frame.tsSec, frame.tsNsec));
  add('frame.len', frame.origLen);
  add('frame.cap_len', frame.capLen);
  add('frame.protocols', protocolChain(decoded));
  for (const l of decoded.layers) {
    switch (l.kind) {
      case 'ethernet':
        add('eth.src', l.src);
        add('eth.dst', l.dst);
        if (l.etherType !== undefined) add('eth.type', hex(l.etherType, 4));
        break;
      case 'vlan':
        add('vlan.id', l.id);
        break;
      case 'sll':
        add('sll.pkttype', l.packetType);
        break;
      case 'sll2':
        add('sll.pkttype', l.packetType);
        add('sll.ifindex', l.interfaceIndex);
        break;
      case 'ipv4':
        add('ip.src', l.src);
        add('ip.dst', l.dst);
        add('ip.proto', l.protocol);
        add('ip.id', hex(l.id, 4));
        add('ip.ttl', l.ttl);
        add('ip.flags.df', l.dontFragment ? 1 : 0);
        add('ip.len', l.totalLength !== 0 ? l.totalLength : reportedLength(frame, l));
        break;
      case 'ipv6':
        add('ipv6.src', l.src);
        add('ipv6.dst', l.dst);
        add('ipv6.nxt', l.nextHeader);
        break;
      case 'udp':
        add('udp.srcport', l.srcPort);
        add('udp.dstport', l.dstPort);
        break;
      case 'vxlan':
      case 'vxlan-gpe':
        add('vxlan.vni', l.vni);
        break;
      case 'geneve':
        add('geneve.vni', hex(l.vni, 6));
        break;
      case 'tcp': {
        // A TCP header cut short (quoted in an ICMP error) shows what its bytes hold.
        const n = l.header.length;
        add('tcp.srcport', l.srcPort);
        add('tcp.dstport', l.dstPort);
        if (n >= 8) add('tcp.seq_raw', l.seq);
        if (n >= 12) add('tcp.ack_raw', l.ack);
        if (n >= 14) add('tcp.flags', hex(l.flags, 4));
        break;
      }
      case 'icmp':
        add('icmp.type', l.type);
        add('icmp.code', l.code);
        if (l.identifier !== undefined) add('icmp.ident', l.identifier);
        if (l.sequence !== undefined) add('icmp.seq', l.sequence);
        break;
      case 'icmpv6':
        add('icmpv6.type', l.type);
        break;
      default:
        break;
    }
  }
  return cols.map((values) => values.join(','));
}

/**
 * tshark's frame.protocols cut to what Hopscope decodes: from the first name we have no decoder
 * for (dns, http, dhcp, igmp, …), the rest becomes "data", as our chain ends.
 */
export function normalizeTsharkProtocols(chain: string): string {
  if (chain === '') return chain;
  const known = new Set(['eth', 'ethertype', 'vlan', 'sll', 'null', 'raw', 'arp', 'ip', 'ipv6', 'udp', 'tcp', 'icmp', 'icmpv6', 'vxlan', 'geneve', 'gre', 'nsh', 'erspan', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ah']);
  const out: string[] = [];
  for (const name of chain.split(':')) {
    if (!known.has(name)) {
      out.push('data');
      break;
    }
    out.push(name);
  }
  return out.join(':');
}

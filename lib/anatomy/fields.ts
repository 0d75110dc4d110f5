/**
 * Per-layer field extraction: each header field of a decoded layer with the bytes (and bits)
 * it occupies, named as the RFC names it and valued as an engineer reads it. Offsets come from
 * the RFC diagrams above each decoder in lib/decode/layers/; values come from the decoded
 * properties, so the anatomy and the decoder cannot disagree.
 *
 * Numeric values start with the number itself ("64", "0x0800 (IPv4)", "1 (set)"), so a reader
 * (or a test) can take the leading number back out.
 */
import type { Layer } from '../decode/decode-packet';
import { u16, u8 } from '../decode/layers/base';
import { LAYERS } from '../protocols/layers';
import {
  NSH_NEXT_ETHERNET,
  NSH_NEXT_IPV4,
  NSH_NEXT_IPV6,
  NSH_NEXT_MPLS,
  NSH_NEXT_NSH,
  VXLAN_GPE_NEXT_ETHERNET,
  VXLAN_GPE_NEXT_IPV4,
  VXLAN_GPE_NEXT_IPV6,
  VXLAN_GPE_NEXT_MPLS,
  VXLAN_GPE_NEXT_NSH,
} from '../protocols/numbers';
import type { AnatomyField } from './types';
import { formatChecksum, ipv4HeaderChecksum, transportChecksum, type PendingChecksum } from './checksum';
import {
  arpOpcode,
  arphrd,
  bytes,
  dscp,
  ecn,
  etherType,
  flag,
  hex,
  icmpCode,
  icmpType,
  icmpv6Code,
  icmpv6Type,
  ipProtocol,
  ipv4OptionName,
  ipv6ExtensionName,
  named,
  ndpOptionName,
  packetType,
  port,
  tcpOptionName,
} from './names';

type Bits = { first: number; count: number };
type IpLayer = Extract<Layer, { kind: 'ipv4' | 'ipv6' }>;
type Of<K extends Layer['kind']> = Extract<Layer, { kind: K }>;

/** Collects one layer's fields; a field whose bytes lie past the captured header is left out. */
class Fields {
  readonly list: AnatomyField[] = [];
  constructor(private readonly layer: Layer) {}
  add(key: string, name: string, rel: number, length: number, value: string, bits?: Bits): void {
    if (rel < 0 || rel + length > this.layer.headerLength) return;
    const f: AnatomyField = { key, name, offset: this.layer.offset + rel, length, value };
    if (bits !== undefined) f.bits = bits;
    this.list.push(f);
  }
}

/** A layer kind's name when there is no layer to title (what an undecoded rest was meant to be). */
export function kindTitle(kind: Layer['kind']): string {
  return LAYERS[kind].title;
}

/** The title a layer goes by in the anatomy: "Ethernet II", "IPv4", "VXLAN", … */
export function layerTitle(l: Layer): string {
  switch (l.kind) {
    case 'ethernet':
      return l.etherType === undefined ? 'IEEE 802.3' : 'Ethernet II';
    case 'vlan':
      return l.tpid === 0x8100 ? '802.1Q VLAN' : '802.1ad VLAN';
    case 'arp':
      return l.opcode === 3 || l.opcode === 4 ? 'RARP' : 'ARP';
    case 'erspan':
      return `ERSPAN type ${['I', 'II', 'III'][l.type - 1] ?? '?'}`;
    case 'vxlan':
      return l.groupPolicy ? 'VXLAN (Group Policy)' : 'VXLAN';
    default:
      return LAYERS[l.kind].title;
  }
}

/**
 * The fields of `layers[index]`. `data` is the buffer the layers view (the packet bytes the
 * decoder saw); the layer before a transport header, when it is IP, gives the pseudo-header
 * for checksum verification.
 */
export function layerFields(layers: readonly Layer[], index: number, data: Uint8Array): AnatomyField[] {
  const l = layers[index];
  if (l === undefined) return [];
  const f = new Fields(l);
  const prev = layers[index - 1];
  const ip = prev !== undefined && (prev.kind === 'ipv4' || prev.kind === 'ipv6') ? prev : undefined;
  switch (l.kind) {
    case 'ethernet':
      ethernetFields(f, l);
      break;
    case 'vlan':
      f.add('pcp', 'Priority Code Point', 0, 1, String(l.priority), { first: 0, count: 3 });
      f.add('dei', 'Drop Eligible Indicator', 0, 1, flag(l.dropEligible), { first: 3, count: 1 });
      f.add('vid', 'VLAN Identifier', 0, 2, String(l.id), { first: 4, count: 12 });
      f.add('type', 'Type', 2, 2, etherType(l.etherType));
      break;
    case 'sll':
      f.add('packetType', 'Packet Type', 0, 2, packetType(l.packetType));
      f.add('arphrdType', 'ARPHRD Type', 2, 2, arphrd(l.arphrdType));
      f.add('addressLength', 'Link-Layer Address Length', 4, 2, String(l.addressLength));
      f.add('address', 'Link-Layer Address', 6, 8, l.address === '' ? '(none)' : l.address);
      f.add('protocol', 'Protocol Type', 14, 2, etherType(l.protocol));
      break;
    case 'sll2':
      f.add('protocol', 'Protocol Type', 0, 2, etherType(l.protocol));
      f.add('reserved', 'Reserved', 2, 2, hex(l.reserved, 4));
      f.add('interfaceIndex', 'Interface Index', 4, 4, String(l.interfaceIndex));
      f.add('arphrdType', 'ARPHRD Type', 8, 2, arphrd(l.arphrdType));
      f.add('packetType', 'Packet Type', 10, 1, packetType(l.packetType));
      f.add('addressLength', 'Link-Layer Address Length', 11, 1, String(l.addressLength));
      f.add('address', 'Link-Layer Address', 12, 8, l.address === '' ? '(none)' : l.address);
      break;
    case 'loopback':
      f.add('family', 'Address Family', 0, 4, named(String(l.family), `${familyName(l.family)}${l.byteOrder === 'little' ? ', little-endian' : ''}`));
      break;
    case 'arp':
      arpFields(f, l);
      break;
    case 'ipv4':
      ipv4Fields(f, l, data);
      break;
    case 'ipv6':
      ipv6Fields(f, l);
      break;
    case 'udp':
      f.add('srcPort', 'Source Port', 0, 2, port(l.srcPort));
      f.add('dstPort', 'Destination Port', 2, 2, port(l.dstPort));
      f.add('length', 'Length', 4, 2, l.length === 0 ? '0 (jumbogram or GSO: taken from the capture)' : String(l.length));
      f.add('checksum', 'Checksum', 6, 2, formatChecksum(l.checksum, transportChecksum(data, l, ip, pendingInside(layers, index, data))));
      break;
    case 'tcp':
      tcpFields(f, l, data, ip);
      break;
    case 'icmp':
      icmpFields(f, l, data, ip);
      break;
    case 'icmpv6':
      icmpv6Fields(f, l, data, ip);
      break;
    case 'vxlan':
      vxlanFields(f, l);
      break;
    case 'vxlan-gpe':
      vxlanGpeFields(f, l);
      break;
    case 'geneve':
      geneveFields(f, l);
      break;
    case 'gre':
      greFields(f, l);
      break;
    case 'gue':
      gueFields(f, l);
      break;
    case 'nsh':
      nshFields(f, l);
      break;
    case 'erspan':
      erspanFields(f, l);
      break;
    case 'flannel-udp':
    case 'fou':
    case 'payload':
    case 'undecoded':
      // No header bytes: flannel's UDP backend and FOU send the bare inner packet as the UDP payload.
      break;
  }
  return f.list;
}

/** Where each transport header keeps its checksum. */
const CHECKSUM_AT: Partial<Record<Layer['kind'], number>> = { tcp: 16, udp: 6, icmpv6: 2 };

/**
 * Partial (offloaded) checksums of the transport headers a UDP datagram carries: a tunnel's
 * outer UDP checksum is computed as if they were already filled in (local checksum offload).
 */
function pendingInside(layers: readonly Layer[], index: number, data: Uint8Array): PendingChecksum[] {
  const out: PendingChecksum[] = [];
  for (let i = index + 1; i < layers.length; i++) {
    const l = layers[i]!;
    const at = CHECKSUM_AT[l.kind];
    if (at === undefined || l.quoted) continue;
    const prev = layers[i - 1];
    const ip = prev !== undefined && (prev.kind === 'ipv4' || prev.kind === 'ipv6') ? prev : undefined;
    const s = transportChecksum(data, l, ip);
    if (s.kind === 'partial') out.push({ at: l.offset + at, field: u16(data, l.offset + at), expected: s.expected });
  }
  return out;
}

function familyName(family: number): string {
  if (family === 2) return 'AF_INET';
  if (family === 10 || family === 24 || family === 28 || family === 30) return 'AF_INET6';
  return 'unknown';
}

function ethernetFields(f: Fields, l: Of<'ethernet'>): void {
  f.add('dst', 'Destination Address', 0, 6, l.dst);
  f.add('src', 'Source Address', 6, 6, l.src);
  if (l.etherType !== undefined) f.add('type', 'Type', 12, 2, etherType(l.etherType));
  else f.add('length', 'Length', 12, 2, named(String(l.typeOrLength), l.length === undefined ? 'neither a length nor an EtherType' : 'IEEE 802.3 length'));
}

function arpFields(f: Fields, l: Of<'arp'>): void {
  const hln = l.hardwareLength;
  const pln = l.protocolLength;
  f.add('hardwareType', 'Hardware Type', 0, 2, named(String(l.hardwareType), l.hardwareType === 1 ? 'Ethernet' : undefined));
  f.add('protocolType', 'Protocol Type', 2, 2, etherType(l.protocolType));
  f.add('hardwareLength', 'Hardware Address Length', 4, 1, String(hln));
  f.add('protocolLength', 'Protocol Address Length', 5, 1, String(pln));
  f.add('opcode', 'Opcode', 6, 2, arpOpcode(l.opcode));
  if (hln > 0) f.add('sha', 'Sender Hardware Address', 8, hln, l.senderHardwareAddress);
  if (pln > 0) f.add('spa', 'Sender Protocol Address', 8 + hln, pln, l.senderProtocolAddress);
  if (hln > 0) f.add('tha', 'Target Hardware Address', 8 + hln + pln, hln, l.targetHardwareAddress);
  if (pln > 0) f.add('tpa', 'Target Protocol Address', 8 + 2 * hln + pln, pln, l.targetProtocolAddress);
}

function ipv4FlagNames(l: Of<'ipv4'>): string {
  const names = [l.reservedFlag ? 'reserved' : '', l.dontFragment ? 'DF' : '', l.moreFragments ? 'MF' : ''].filter((s) => s !== '');
  return names.length === 0 ? 'none' : names.join(', ');
}

function ipv4Fields(f: Fields, l: Of<'ipv4'>, data: Uint8Array): void {
  f.add('version', 'Version', 0, 1, String(l.version), { first: 0, count: 4 });
  f.add('ihl', 'Internet Header Length', 0, 1, `${l.ihl} (${bytes(l.ihl * 4)})`, { first: 4, count: 4 });
  f.add('dscp', 'Differentiated Services Code Point', 1, 1, dscp(l.dscp), { first: 0, count: 6 });
  f.add('ecn', 'Explicit Congestion Notification', 1, 1, ecn(l.ecn), { first: 6, count: 2 });
  f.add('totalLength', 'Total Length', 2, 2, l.totalLength === 0 ? '0 (TSO/GSO: taken from the capture)' : String(l.totalLength));
  f.add('id', 'Identification', 4, 2, `${hex(l.id, 4)} (${l.id})`);
  f.add('flags', 'Flags', 6, 1, `${hex(l.flags, 1)} (${ipv4FlagNames(l)})`, { first: 0, count: 3 });
  f.add('flags.reserved', 'Reserved', 6, 1, flag(l.reservedFlag), { first: 0, count: 1 });
  f.add('flags.df', "Don't Fragment", 6, 1, flag(l.dontFragment), { first: 1, count: 1 });
  f.add('flags.mf', 'More Fragments', 6, 1, flag(l.moreFragments), { first: 2, count: 1 });
  f.add('fragmentOffset', 'Fragment Offset', 6, 2, l.fragmentOffset === 0 ? '0' : `${l.fragmentOffset} (${bytes(l.fragmentOffset * 8)})`, { first: 3, count: 13 });
  f.add('ttl', 'Time to Live', 8, 1, String(l.ttl));
  f.add('protocol', 'Protocol', 9, 1, ipProtocol(l.protocol));
  f.add('checksum', 'Header Checksum', 10, 2, formatChecksum(l.checksum, ipv4HeaderChecksum(data, l)));
  f.add('src', 'Source Address', 12, 4, l.src);
  f.add('dst', 'Destination Address', 16, 4, l.dst);
  let rel = 20;
  l.options.forEach((o, i) => {
    const value = o.length === 1 ? bytes(1) : bytes(o.length);
    f.add(`options.${i}`, ipv4OptionName(o.type), rel, o.length, named(String(o.type), value));
    rel += o.length;
  });
  if (rel < l.headerLength) f.add('padding', 'Padding', rel, l.headerLength - rel, bytes(l.headerLength - rel));
}

function ipv6Fields(f: Fields, l: Of<'ipv6'>): void {
  f.add('version', 'Version', 0, 1, String(l.version), { first: 0, count: 4 });
  f.add('trafficClass', 'Traffic Class', 0, 2, `${hex(l.trafficClass, 2)} (DSCP ${l.trafficClass >> 2}, ECN ${l.trafficClass & 3})`, { first: 4, count: 8 });
  f.add('flowLabel', 'Flow Label', 1, 3, hex(l.flowLabel, 5), { first: 4, count: 20 });
  f.add('payloadLength', 'Payload Length', 4, 2, ipv6PayloadLength(l));
  f.add('nextHeader', 'Next Header', 6, 1, ipProtocol(l.nextHeader));
  f.add('hopLimit', 'Hop Limit', 7, 1, String(l.hopLimit));
  f.add('src', 'Source Address', 8, 16, l.src);
  f.add('dst', 'Destination Address', 24, 16, l.dst);
  l.extensionHeaders.forEach((e, i) => {
    let value = `next header ${ipProtocol(e.nextHeader)}, ${bytes(e.length)}`;
    if (e.type === 0 && l.jumboPayloadLength !== undefined) value = `Jumbo Payload Length ${l.jumboPayloadLength}; ${value}`;
    if (e.type === 44 && l.fragment !== undefined) {
      const fr = l.fragment;
      value = `offset ${fr.offset} (${bytes(fr.offset * 8)}), M ${fr.moreFragments ? 1 : 0}, id ${hex(fr.identification, 8)}; ${value}`;
    }
    f.add(`ext.${i}`, ipv6ExtensionName(e.type), e.offset - l.offset, e.length, named(String(e.type), value));
  });
}

function ipv6PayloadLength(l: Of<'ipv6'>): string {
  if (l.payloadLength !== 0) return String(l.payloadLength);
  // RFC 2675 §2: a jumbogram's length is in its hop-by-hop option; BIG TCP's is the capture's.
  if (l.jumboPayloadLength !== undefined) return '0 (jumbogram: see the Jumbo Payload option)';
  return l.headerLength + l.payload.length > 40 ? '0 (GSO/BIG TCP: taken from the capture)' : '0';
}

const TCP_FLAG_BITS: ReadonlyArray<{ key: string; name: string; byte: number; bit: number; prop: keyof Of<'tcp'> }> = [
  { key: 'flags.ae', name: 'AE (Accurate ECN)', byte: 12, bit: 7, prop: 'flagAe' },
  { key: 'flags.cwr', name: 'CWR (Congestion Window Reduced)', byte: 13, bit: 0, prop: 'flagCwr' },
  { key: 'flags.ece', name: 'ECE (ECN-Echo)', byte: 13, bit: 1, prop: 'flagEce' },
  { key: 'flags.urg', name: 'URG (Urgent)', byte: 13, bit: 2, prop: 'flagUrg' },
  { key: 'flags.ack', name: 'ACK (Acknowledgment)', byte: 13, bit: 3, prop: 'flagAck' },
  { key: 'flags.psh', name: 'PSH (Push)', byte: 13, bit: 4, prop: 'flagPsh' },
  { key: 'flags.rst', name: 'RST (Reset)', byte: 13, bit: 5, prop: 'flagRst' },
  { key: 'flags.syn', name: 'SYN (Synchronize)', byte: 13, bit: 6, prop: 'flagSyn' },
  { key: 'flags.fin', name: 'FIN (Finish)', byte: 13, bit: 7, prop: 'flagFin' },
];

function tcpFlagNames(l: Of<'tcp'>): string {
  const names = TCP_FLAG_BITS.filter((b) => l[b.prop] === true).map((b) => b.key.slice(6).toUpperCase());
  return names.length === 0 ? 'none' : names.join(', ');
}

function tcpOptionValue(o: Of<'tcp'>['options'][number], l: Of<'tcp'>): string {
  switch (o.kind) {
    case 0:
    case 1:
      return bytes(1);
    case 2:
      return o.length === 4 ? String(u16(o.data, 0)) : bytes(o.length);
    case 3:
      return o.length === 3 ? `${u8(o.data, 0)} (×${2 ** Math.min(u8(o.data, 0), 14)})` : bytes(o.length);
    case 4:
      return 'permitted';
    case 5:
      return l.sack === undefined ? bytes(o.length) : l.sack.map((b) => `${b.left}-${b.right}`).join(' ');
    case 8:
      return l.timestamps === undefined ? bytes(o.length) : `TSval ${l.timestamps.value}, TSecr ${l.timestamps.echoReply}`;
    default:
      return bytes(o.length);
  }
}

function tcpFields(f: Fields, l: Of<'tcp'>, data: Uint8Array, ip: IpLayer | undefined): void {
  f.add('srcPort', 'Source Port', 0, 2, port(l.srcPort));
  f.add('dstPort', 'Destination Port', 2, 2, port(l.dstPort));
  f.add('seq', 'Sequence Number', 4, 4, String(l.seq));
  f.add('ack', 'Acknowledgment Number', 8, 4, String(l.ack));
  f.add('dataOffset', 'Data Offset', 12, 1, `${l.dataOffset} (${bytes(l.dataOffset * 4)})`, { first: 0, count: 4 });
  f.add('reserved', 'Reserved', 12, 1, String((l.flags >> 9) & 7), { first: 4, count: 3 });
  f.add('flags', 'Flags', 12, 2, `${hex(l.flags, 3)} (${tcpFlagNames(l)})`, { first: 4, count: 12 });
  for (const b of TCP_FLAG_BITS) f.add(b.key, b.name, b.byte, 1, flag(l[b.prop] === true), { first: b.bit, count: 1 });
  f.add('window', 'Window', 14, 2, String(l.window));
  f.add('checksum', 'Checksum', 16, 2, formatChecksum(l.checksum, transportChecksum(data, l, ip)));
  f.add('urgent', 'Urgent Pointer', 18, 2, String(l.urgent));
  let rel = 20;
  l.options.forEach((o, i) => {
    f.add(`options.${i}`, tcpOptionName(o.kind), rel, o.length, tcpOptionValue(o, l));
    rel += o.length;
  });
  if (rel < l.headerLength) f.add('padding', 'Padding', rel, l.headerLength - rel, bytes(l.headerLength - rel));
}

function icmpFields(f: Fields, l: Of<'icmp'>, data: Uint8Array, ip: IpLayer | undefined): void {
  f.add('type', 'Type', 0, 1, icmpType(l.type));
  f.add('code', 'Code', 1, 1, icmpCode(l.type, l.code));
  f.add('checksum', 'Checksum', 2, 2, formatChecksum(l.checksum, transportChecksum(data, l, ip)));
  const raw = l.header;
  if (l.identifier !== undefined && l.sequence !== undefined) {
    f.add('identifier', 'Identifier', 4, 2, `${l.identifier} (${hex(l.identifier, 4)})`);
    f.add('sequence', 'Sequence Number', 6, 2, String(l.sequence));
  } else if (l.gateway !== undefined) {
    f.add('gateway', 'Gateway Internet Address', 4, 4, l.gateway);
  } else if (l.type === 3 || l.type === 11 || l.type === 12) {
    if (l.pointer !== undefined) f.add('pointer', 'Pointer', 4, 1, String(l.pointer));
    else f.add('unused', 'Unused', 4, 1, hex(u8(raw, 4), 2));
    const words = u8(raw, 5);
    // RFC 4884 §4.1: the length of the original datagram in 32-bit words, 0 without extensions.
    f.add('length', 'Length', 5, 1, words === 0 ? '0' : `${words} (${bytes(words * 4)})`);
    if (l.nextHopMtu !== undefined) f.add('nextHopMtu', 'Next-Hop MTU', 6, 2, String(l.nextHopMtu));
    else f.add('unused2', 'Unused', 6, 2, hex(u16(raw, 6), 4));
  } else {
    f.add('rest', 'Rest of Header', 4, 4, hex(l.restOfHeader, 8));
  }
}

/** Where each Neighbor Discovery message's options start (RFC 4861 §4). */
const ND_FIXED: ReadonlyMap<number, number> = new Map([
  [133, 8],
  [134, 16],
  [135, 24],
  [136, 24],
  [137, 40],
]);

function icmpv6Fields(f: Fields, l: Of<'icmpv6'>, data: Uint8Array, ip: IpLayer | undefined): void {
  const raw = l.header;
  f.add('type', 'Type', 0, 1, icmpv6Type(l.type));
  f.add('code', 'Code', 1, 1, icmpv6Code(l.type, l.code));
  f.add('checksum', 'Checksum', 2, 2, formatChecksum(l.checksum, transportChecksum(data, l, ip)));
  switch (l.type) {
    case 128:
    case 129:
      f.add('identifier', 'Identifier', 4, 2, `${l.identifier ?? 0} (${hex(l.identifier ?? 0, 4)})`);
      f.add('sequence', 'Sequence Number', 6, 2, String(l.sequence ?? 0));
      break;
    case 2:
      f.add('mtu', 'MTU', 4, 4, String(l.mtu ?? 0));
      break;
    case 4:
      f.add('pointer', 'Pointer', 4, 4, String(l.pointer ?? 0));
      break;
    case 1:
    case 3: {
      const words = u8(raw, 4);
      // RFC 4884 §4.2: in 64-bit words for ICMPv6.
      f.add('length', 'Length', 4, 1, words === 0 ? '0' : `${words} (${bytes(words * 8)})`);
      f.add('unused', 'Unused', 5, 3, hex((u8(raw, 5) << 16) | u16(raw, 6), 6));
      break;
    }
    case 133:
      f.add('reserved', 'Reserved', 4, 4, hex(u16(raw, 4) * 0x10000 + u16(raw, 6), 8));
      break;
    case 134:
      f.add('curHopLimit', 'Cur Hop Limit', 4, 1, String(l.curHopLimit ?? 0));
      f.add('flags.m', 'M (Managed address configuration)', 5, 1, flag(l.managed === true), { first: 0, count: 1 });
      f.add('flags.o', 'O (Other configuration)', 5, 1, flag(l.otherConfig === true), { first: 1, count: 1 });
      f.add('reserved', 'Reserved', 5, 1, String(u8(raw, 5) & 0x3f), { first: 2, count: 6 });
      f.add('routerLifetime', 'Router Lifetime', 6, 2, `${l.routerLifetime ?? 0} s`);
      f.add('reachableTime', 'Reachable Time', 8, 4, `${l.reachableTime ?? 0} ms`);
      f.add('retransTimer', 'Retrans Timer', 12, 4, `${l.retransTimer ?? 0} ms`);
      break;
    case 135:
    case 136:
    case 137:
      if (l.type === 136) {
        f.add('flags.r', 'R (Router)', 4, 1, flag(l.router === true), { first: 0, count: 1 });
        f.add('flags.s', 'S (Solicited)', 4, 1, flag(l.solicited === true), { first: 1, count: 1 });
        f.add('flags.o', 'O (Override)', 4, 1, flag(l.override === true), { first: 2, count: 1 });
        f.add('reserved', 'Reserved', 4, 4, hex((u8(raw, 4) & 0x1f) * 0x1000000 + (u8(raw, 5) << 16) + u16(raw, 6), 8), { first: 3, count: 29 });
      } else {
        f.add('reserved', 'Reserved', 4, 4, hex(u16(raw, 4) * 0x10000 + u16(raw, 6), 8));
      }
      f.add('targetAddress', 'Target Address', 8, 16, l.targetAddress ?? '');
      if (l.type === 137) f.add('destinationAddress', 'Destination Address', 24, 16, l.destinationAddress ?? '');
      break;
    default:
      break;
  }
  const ndFixed = ND_FIXED.get(l.type);
  if (ndFixed !== undefined) {
    let rel = ndFixed;
    l.options.forEach((o, i) => {
      const value = o.linkLayerAddress ?? (o.mtu !== undefined ? String(o.mtu) : o.prefixInfo !== undefined ? `${o.prefixInfo.prefix}/${o.prefixInfo.prefixLength}` : bytes(o.length));
      f.add(`options.${i}`, ndpOptionName(o.type), rel, o.length, value);
      rel += o.length;
    });
    if (rel < l.headerLength) f.add('rest', 'Undecoded Options', rel, l.headerLength - rel, bytes(l.headerLength - rel));
  }
}

const VXLAN_GPE_NEXT_NAMES: ReadonlyMap<number, string> = new Map([
  [VXLAN_GPE_NEXT_IPV4, 'IPv4'],
  [VXLAN_GPE_NEXT_IPV6, 'IPv6'],
  [VXLAN_GPE_NEXT_ETHERNET, 'Ethernet'],
  [VXLAN_GPE_NEXT_NSH, 'NSH'],
  [VXLAN_GPE_NEXT_MPLS, 'MPLS'],
]);

function vxlanGpeFields(f: Fields, l: Of<'vxlan-gpe'>): void {
  const set = [l.validVni ? 'I' : '', l.nextProtocolPresent ? 'P' : '', l.bum ? 'B' : '', l.oam ? 'O' : ''].filter((s) => s !== '');
  f.add('flags', 'Flags', 0, 1, named(hex(l.flags, 2), set.length === 0 ? 'none' : set.join(', ')));
  f.add('reservedFlags', 'Reserved', 0, 1, String(l.reservedFlags >> 6), { first: 0, count: 2 });
  f.add('version', 'Version', 0, 1, String(l.version), { first: 2, count: 2 });
  f.add('flags.i', 'I (VNI valid)', 0, 1, flag(l.validVni), { first: 4, count: 1 });
  f.add('flags.p', 'P (Next Protocol present)', 0, 1, flag(l.nextProtocolPresent), { first: 5, count: 1 });
  f.add('flags.b', 'B (BUM traffic)', 0, 1, flag(l.bum), { first: 6, count: 1 });
  f.add('flags.o', 'O (OAM packet)', 0, 1, flag(l.oam), { first: 7, count: 1 });
  f.add('reserved1', 'Reserved', 1, 2, hex(l.reserved1, 4));
  f.add('nextProtocol', 'Next Protocol', 3, 1, named(String(l.nextProtocol), VXLAN_GPE_NEXT_NAMES.get(l.nextProtocol)));
  f.add('vni', 'VXLAN Network Identifier', 4, 3, String(l.vni));
  f.add('reserved2', 'Reserved', 7, 1, hex(l.reserved2, 2));
}

function geneveFields(f: Fields, l: Of<'geneve'>): void {
  f.add('version', 'Version', 0, 1, String(l.version), { first: 0, count: 2 });
  f.add('optLen', 'Opt Len', 0, 1, `${l.optLen} (${bytes(l.optLen * 4)})`, { first: 2, count: 6 });
  f.add('flags.o', 'O (OAM packet)', 1, 1, flag(l.oam), { first: 0, count: 1 });
  f.add('flags.c', 'C (critical options present)', 1, 1, flag(l.critical), { first: 1, count: 1 });
  f.add('reserved', 'Reserved', 1, 1, String(l.reservedFlags), { first: 2, count: 6 });
  f.add('protocol', 'Protocol Type', 2, 2, etherType(l.protocolType));
  f.add('vni', 'Virtual Network Identifier', 4, 3, String(l.vni));
  f.add('reserved2', 'Reserved', 7, 1, hex(l.reserved, 2));
  let rel = 8;
  l.options.forEach((o, i) => {
    const value = `class ${hex(o.optionClass, 4)}, type ${hex(o.type, 2)}${o.critical ? ' (critical)' : ''}, ${bytes(o.length)} of data`;
    f.add(`options.${i}`, 'Option', rel, 4 + o.length, value);
    rel += 4 + o.length;
  });
  if (rel < l.headerLength) f.add('rest', 'Undecoded Options', rel, l.headerLength - rel, bytes(l.headerLength - rel));
}

function greFields(f: Fields, l: Of<'gre'>): void {
  f.add('flags.c', 'C (Checksum Present)', 0, 1, flag(l.checksumPresent), { first: 0, count: 1 });
  f.add('flags.r', 'R (Routing Present)', 0, 1, flag(l.routingPresent), { first: 1, count: 1 });
  f.add('flags.k', 'K (Key Present)', 0, 1, flag(l.keyPresent), { first: 2, count: 1 });
  f.add('flags.s', 'S (Sequence Number Present)', 0, 1, flag(l.sequencePresent), { first: 3, count: 1 });
  f.add('flags.ssr', 's (Strict Source Route)', 0, 1, flag(l.strictSourceRoute), { first: 4, count: 1 });
  f.add('recursion', 'Recursion Control', 0, 1, String(l.recursionControl), { first: 5, count: 3 });
  f.add('flags.a', 'A (Acknowledgment Present)', 1, 1, flag(l.ackPresent), { first: 0, count: 1 });
  f.add('flags', 'Flags', 1, 1, String(l.flags), { first: 1, count: 4 });
  f.add('version', 'Version', 1, 1, String(l.version), { first: 5, count: 3 });
  f.add('protocol', 'Protocol Type', 2, 2, etherType(l.protocolType));
  let rel = 4;
  if (l.checksum !== undefined) {
    f.add('checksum', 'Checksum', rel, 2, hex(l.checksum, 4));
    f.add('reserved1', 'Reserved1', rel + 2, 2, hex(l.reserved1 ?? 0, 4));
    rel += 4;
  }
  if (l.key !== undefined) {
    f.add('key', 'Key', rel, 4, `${hex(l.key, 8)} (${l.key})`);
    rel += 4;
  }
  if (l.sequence !== undefined) {
    f.add('sequence', 'Sequence Number', rel, 4, String(l.sequence));
    rel += 4;
  }
  if (l.ack !== undefined) f.add('ack', 'Acknowledgment Number', rel, 4, String(l.ack));
}

function vxlanFields(f: Fields, l: Of<'vxlan'>): void {
  if (!l.groupPolicy) {
    f.add('flags', 'Flags', 0, 1, named(hex(l.flags, 2), l.validVni ? 'I' : 'I not set'));
    f.add('flags.i', 'I (VNI valid)', 0, 1, flag(l.validVni), { first: 4, count: 1 });
    f.add('reserved1', 'Reserved', 1, 3, hex(l.reserved1, 6));
  } else {
    // draft-smith-vxlan-group-policy-05 §2.1: G, I, then D and A in the next octet.
    const set = ['G', l.validVni ? 'I' : '', l.dontLearn ? 'D' : '', l.policyApplied ? 'A' : ''].filter((x) => x !== '');
    f.add('flags', 'Flags', 0, 2, named(hex(l.flags * 0x100 + (l.reserved1 >> 16), 4), set.join(', ')));
    f.add('flags.g', 'G (Group Based Policy)', 0, 1, flag(l.groupPolicy), { first: 0, count: 1 });
    f.add('flags.i', 'I (VNI valid)', 0, 1, flag(l.validVni), { first: 4, count: 1 });
    f.add('flags.d', "D (Don't Learn)", 1, 1, flag(l.dontLearn), { first: 1, count: 1 });
    f.add('flags.a', 'A (Policy Applied)', 1, 1, flag(l.policyApplied), { first: 4, count: 1 });
    f.add('groupPolicyId', 'Group Policy ID', 2, 2, `${l.groupPolicyId} (${hex(l.groupPolicyId, 4)})`);
  }
  f.add('vni', 'VXLAN Network Identifier', 4, 3, String(l.vni));
  f.add('reserved2', 'Reserved', 7, 1, hex(l.reserved2, 2));
}

function gueFields(f: Fields, l: Of<'gue'>): void {
  // Variant 1 has no header bytes: its version bits are the inner IP header's.
  f.add('variant', 'Variant', 0, 1, String(l.variant), { first: 0, count: 2 });
  f.add('flags.c', 'C (control message)', 0, 1, flag(l.control), { first: 2, count: 1 });
  f.add('hlen', 'Hlen', 0, 1, `${l.hlen} (${bytes(l.hlen * 4)})`, { first: 3, count: 5 });
  f.add('protoCtype', l.control ? 'Control Type' : 'Protocol', 1, 1, l.control ? String(l.protoCtype) : ipProtocol(l.protoCtype));
  f.add('flags', 'Flags', 2, 2, hex(l.flags, 4));
  f.add('flags.p', 'P (private data)', 3, 1, flag(l.privateData), { first: 7, count: 1 });
  if (l.hlen > 0) f.add('extensions', 'Extension Fields', 4, l.hlen * 4, bytes(l.hlen * 4));
}

const NSH_NEXT_NAMES: ReadonlyMap<number, string> = new Map([
  [NSH_NEXT_IPV4, 'IPv4'],
  [NSH_NEXT_IPV6, 'IPv6'],
  [NSH_NEXT_ETHERNET, 'Ethernet'],
  [NSH_NEXT_NSH, 'NSH'],
  [NSH_NEXT_MPLS, 'MPLS'],
]);

const NSH_MD_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'fixed-length context'],
  [2, 'variable-length context'],
  [15, 'experimental'],
]);

function nshFields(f: Fields, l: Of<'nsh'>): void {
  f.add('version', 'Version', 0, 1, String(l.version), { first: 0, count: 2 });
  f.add('flags.o', 'O (OAM packet)', 0, 1, flag(l.oam), { first: 2, count: 1 });
  f.add('flags.u', 'U (unassigned)', 0, 1, flag(l.unassignedBit), { first: 3, count: 1 });
  f.add('ttl', 'TTL', 0, 2, String(l.ttl), { first: 4, count: 6 });
  f.add('length', 'Length', 1, 1, `${l.length} (${bytes(l.length * 4)})`, { first: 2, count: 6 });
  f.add('unassigned', 'Unassigned', 2, 1, String(l.unassigned), { first: 0, count: 4 });
  f.add('mdType', 'MD Type', 2, 1, named(String(l.mdType), NSH_MD_TYPE_NAMES.get(l.mdType)), { first: 4, count: 4 });
  f.add('nextProtocol', 'Next Protocol', 3, 1, named(String(l.nextProtocol), NSH_NEXT_NAMES.get(l.nextProtocol)));
  f.add('spi', 'Service Path Identifier', 4, 3, String(l.spi));
  f.add('si', 'Service Index', 7, 1, String(l.si));
  l.fixedContext.forEach((w, i) => f.add(`context.${i}`, 'Context Header', 8 + 4 * i, 4, hex(w, 8)));
  // A TLV's metadata is padded to a 4-byte boundary (RFC 8300 §2.5.1).
  let rel = 8 + l.fixedContext.length * 4;
  l.tlvs.forEach((t, i) => {
    const length = 4 + ((t.length + 3) & ~3);
    f.add(`tlvs.${i}`, 'Variable-Length Context Header', rel, length, `class ${hex(t.metadataClass, 4)}, type ${hex(t.type, 2)}, ${bytes(t.length)} of metadata`);
    rel += length;
  });
  // MD types other than 1 and 2, or TLVs that overran the length: the rest as bytes.
  if (rel < l.headerLength) f.add('context', 'Context Headers', rel, l.headerLength - rel, bytes(l.headerLength - rel));
}

const ERSPAN_EN = ['originally without VLAN tag', 'ISL encapsulated', '802.1Q encapsulated', 'VLAN tag preserved in frame'];
const ERSPAN_BSO = ['good frame', 'short frame', 'oversized frame', 'bad frame'];
const ERSPAN_GRA = ['100 µs', '100 ns', 'IEEE 1588', 'platform-specific'];

function erspanFields(f: Fields, l: Of<'erspan'>): void {
  // Type I has no header of its own: nothing here has bytes.
  if (l.version === undefined) return;
  f.add('version', 'Version', 0, 1, named(String(l.version), l.type === 2 ? 'type II' : 'type III'), { first: 0, count: 4 });
  f.add('vlan', 'VLAN', 0, 2, String(l.vlan ?? 0), { first: 4, count: 12 });
  f.add('cos', 'Class of Service', 2, 1, String(l.cos ?? 0), { first: 0, count: 3 });
  if (l.type === 2) f.add('encapsulation', 'Encapsulation Type', 2, 1, named(String(l.encapsulation ?? 0), ERSPAN_EN[l.encapsulation ?? 0]), { first: 3, count: 2 });
  else f.add('bso', 'Bad/Short/Oversized', 2, 1, named(String(l.bso ?? 0), ERSPAN_BSO[l.bso ?? 0]), { first: 3, count: 2 });
  f.add('frameTruncated', 'T (frame truncated)', 2, 1, flag(l.frameTruncated === true), { first: 5, count: 1 });
  f.add('sessionId', 'Session ID', 2, 2, String(l.sessionId ?? 0), { first: 6, count: 10 });
  if (l.type === 2) {
    f.add('reserved', 'Reserved', 4, 2, String(l.reserved ?? 0), { first: 0, count: 12 });
    f.add('index', 'Index', 5, 3, String(l.index ?? 0), { first: 4, count: 20 });
    return;
  }
  f.add('timestamp', 'Timestamp', 4, 4, String(l.timestamp ?? 0));
  f.add('sgt', 'Security Group Tag', 8, 2, String(l.sgt ?? 0));
  f.add('flags.p', 'P (Ethernet PDU)', 10, 1, flag(l.pduEthernet === true), { first: 0, count: 1 });
  const ft = l.frameType ?? 0;
  f.add('frameType', 'Frame Type', 10, 1, named(String(ft), ft === 0 ? 'Ethernet' : ft === 2 ? 'IP' : undefined), { first: 1, count: 5 });
  f.add('hardwareId', 'Hardware ID', 10, 2, String(l.hardwareId ?? 0), { first: 6, count: 6 });
  f.add('direction', 'D (direction)', 11, 1, `${l.direction === 'egress' ? 1 : 0} (${l.direction ?? 'ingress'})`, { first: 4, count: 1 });
  f.add('granularity', 'Timestamp Granularity', 11, 1, named(String(l.granularity ?? 0), ERSPAN_GRA[l.granularity ?? 0]), { first: 5, count: 2 });
  f.add('flags.o', 'O (platform sub-header)', 11, 1, flag(l.subHeader === true), { first: 7, count: 1 });
  if (l.subHeader === true) {
    f.add('platformId', 'Platform ID', 12, 1, String(l.platformId ?? 0), { first: 0, count: 6 });
    f.add('platformSpecific', 'Platform Specific Info', 12, 8, bytes(8), { first: 6, count: 58 });
  }
}

/**
 * Helpers for the anatomy tests: the sample captures packet by packet, and the table that ties
 * each anatomy field to the decoder property it shows, so a field can be checked against the
 * decoder and against its own bytes.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readCaptureFile } from '../capture/node';
import { SAMPLES, scenarios } from '../testing/scenarios';
import type { Layer } from '../decode/decode-packet';
import { formatIpv4, formatIpv6, formatMac } from '../decode/layers/base';
import type { LayerKind } from '../decode/types';
import { packetAnatomy } from './anatomy';
import type { Anatomy, AnatomyField, AnatomyLayer } from './types';

export { SAMPLES };

export interface SamplePacket {
  file: string;
  frame: number;
  linkType: number;
  fcsLen: number;
  origLen: number;
  /** The captured bytes, copied out of the reader's buffer. */
  data: Uint8Array;
}

/** The lab scenarios' names, as `lib/testing/scenarios` finds them. */
export function sampleScenarios(): string[] {
  return scenarios().map((s) => basename(s.dir));
}

export function captureFiles(scenario: string): string[] {
  return readdirSync(join(SAMPLES, scenario))
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort();
}

export async function readPackets(path: string): Promise<SamplePacket[]> {
  const out: SamplePacket[] = [];
  const linkTypes: number[] = [];
  const fcs: number[] = [];
  await readCaptureFile(path, {
    onInterface: (i) => {
      linkTypes[i.id] = i.linkType;
      fcs[i.id] = i.fcsLen;
    },
    onPacket: (r) => {
      out.push({
        file: path,
        frame: r.frameNumber,
        linkType: linkTypes[r.interfaceId] ?? 1,
        fcsLen: fcs[r.interfaceId] ?? 0,
        origLen: r.origLen,
        data: r.buf.slice(r.offset, r.offset + r.capLen),
      });
    },
  });
  return out;
}

export function anatomyOf(p: SamplePacket): Anatomy {
  return packetAnatomy(p.linkType, p.data, { origLen: p.origLen, fcsLen: p.fcsLen });
}

/** The integer a field's bytes (and bits) hold, big-endian; undefined past 6 bytes. */
export function readField(data: Uint8Array, f: AnatomyField): number | undefined {
  if (f.length > 6) return undefined;
  let v = 0;
  for (let i = 0; i < f.length; i++) v = v * 256 + (data[f.offset + i] ?? 0);
  if (f.bits === undefined) return v;
  const shift = f.length * 8 - f.bits.first - f.bits.count;
  return Math.floor(v / 2 ** shift) % 2 ** f.bits.count;
}

/** The number a value starts with: "0x0800 (IPv4)" → 2048, "64" → 64, "1 (set)" → 1. */
export function leadingNumber(value: string): number | undefined {
  const m = /^(0x[0-9a-f]+|\d+)(?![.:\w])/i.exec(value);
  return m === null ? undefined : Number(m[1]);
}

/** A decoder property as the anatomy field shows it: a number (bytes, leading number) or text. */
type Getter = (l: never) => number | string | boolean | undefined;
const n = (b: boolean | undefined): number | undefined => (b === undefined ? undefined : b ? 1 : 0);

/**
 * Field key → decoder property, per layer kind. Every field listed here must be present in the
 * anatomy when the decoder set the property and the captured header holds its bytes.
 */
export const FIELD_PROPERTIES: Partial<Record<LayerKind, Record<string, Getter>>> = {
  ethernet: {
    dst: (l: Extract<Layer, { kind: 'ethernet' }>) => l.dst,
    src: (l: Extract<Layer, { kind: 'ethernet' }>) => l.src,
    type: (l: Extract<Layer, { kind: 'ethernet' }>) => l.etherType,
    length: (l: Extract<Layer, { kind: 'ethernet' }>) => (l.etherType === undefined ? l.typeOrLength : undefined),
  },
  vlan: {
    pcp: (l: Extract<Layer, { kind: 'vlan' }>) => l.priority,
    dei: (l: Extract<Layer, { kind: 'vlan' }>) => n(l.dropEligible),
    vid: (l: Extract<Layer, { kind: 'vlan' }>) => l.id,
    type: (l: Extract<Layer, { kind: 'vlan' }>) => l.etherType,
  },
  sll: {
    packetType: (l: Extract<Layer, { kind: 'sll' }>) => l.packetType,
    arphrdType: (l: Extract<Layer, { kind: 'sll' }>) => l.arphrdType,
    addressLength: (l: Extract<Layer, { kind: 'sll' }>) => l.addressLength,
    protocol: (l: Extract<Layer, { kind: 'sll' }>) => l.protocol,
  },
  sll2: {
    protocol: (l: Extract<Layer, { kind: 'sll2' }>) => l.protocol,
    reserved: (l: Extract<Layer, { kind: 'sll2' }>) => l.reserved,
    interfaceIndex: (l: Extract<Layer, { kind: 'sll2' }>) => l.interfaceIndex,
    arphrdType: (l: Extract<Layer, { kind: 'sll2' }>) => l.arphrdType,
    packetType: (l: Extract<Layer, { kind: 'sll2' }>) => l.packetType,
    addressLength: (l: Extract<Layer, { kind: 'sll2' }>) => l.addressLength,
  },
  arp: {
    hardwareType: (l: Extract<Layer, { kind: 'arp' }>) => l.hardwareType,
    protocolType: (l: Extract<Layer, { kind: 'arp' }>) => l.protocolType,
    hardwareLength: (l: Extract<Layer, { kind: 'arp' }>) => l.hardwareLength,
    protocolLength: (l: Extract<Layer, { kind: 'arp' }>) => l.protocolLength,
    opcode: (l: Extract<Layer, { kind: 'arp' }>) => l.opcode,
    sha: (l: Extract<Layer, { kind: 'arp' }>) => l.senderHardwareAddress,
    spa: (l: Extract<Layer, { kind: 'arp' }>) => l.senderProtocolAddress,
    tha: (l: Extract<Layer, { kind: 'arp' }>) => l.targetHardwareAddress,
    tpa: (l: Extract<Layer, { kind: 'arp' }>) => l.targetProtocolAddress,
  },
  ipv4: {
    version: (l: Extract<Layer, { kind: 'ipv4' }>) => l.version,
    ihl: (l: Extract<Layer, { kind: 'ipv4' }>) => l.ihl,
    dscp: (l: Extract<Layer, { kind: 'ipv4' }>) => l.dscp,
    ecn: (l: Extract<Layer, { kind: 'ipv4' }>) => l.ecn,
    totalLength: (l: Extract<Layer, { kind: 'ipv4' }>) => l.totalLength,
    id: (l: Extract<Layer, { kind: 'ipv4' }>) => l.id,
    flags: (l: Extract<Layer, { kind: 'ipv4' }>) => l.flags,
    'flags.reserved': (l: Extract<Layer, { kind: 'ipv4' }>) => n(l.reservedFlag),
    'flags.df': (l: Extract<Layer, { kind: 'ipv4' }>) => n(l.dontFragment),
    'flags.mf': (l: Extract<Layer, { kind: 'ipv4' }>) => n(l.moreFragments),
    fragmentOffset: (l: Extract<Layer, { kind: 'ipv4' }>) => l.fragmentOffset,
    ttl: (l: Extract<Layer, { kind: 'ipv4' }>) => l.ttl,
    protocol: (l: Extract<Layer, { kind: 'ipv4' }>) => l.protocol,
    checksum: (l: Extract<Layer, { kind: 'ipv4' }>) => l.checksum,
    src: (l: Extract<Layer, { kind: 'ipv4' }>) => l.src,
    dst: (l: Extract<Layer, { kind: 'ipv4' }>) => l.dst,
  },
  ipv6: {
    version: (l: Extract<Layer, { kind: 'ipv6' }>) => l.version,
    trafficClass: (l: Extract<Layer, { kind: 'ipv6' }>) => l.trafficClass,
    flowLabel: (l: Extract<Layer, { kind: 'ipv6' }>) => l.flowLabel,
    payloadLength: (l: Extract<Layer, { kind: 'ipv6' }>) => l.payloadLength,
    nextHeader: (l: Extract<Layer, { kind: 'ipv6' }>) => l.nextHeader,
    hopLimit: (l: Extract<Layer, { kind: 'ipv6' }>) => l.hopLimit,
    src: (l: Extract<Layer, { kind: 'ipv6' }>) => l.src,
    dst: (l: Extract<Layer, { kind: 'ipv6' }>) => l.dst,
  },
  udp: {
    srcPort: (l: Extract<Layer, { kind: 'udp' }>) => l.srcPort,
    dstPort: (l: Extract<Layer, { kind: 'udp' }>) => l.dstPort,
    length: (l: Extract<Layer, { kind: 'udp' }>) => l.length,
    checksum: (l: Extract<Layer, { kind: 'udp' }>) => l.checksum,
  },
  tcp: {
    srcPort: (l: Extract<Layer, { kind: 'tcp' }>) => l.srcPort,
    dstPort: (l: Extract<Layer, { kind: 'tcp' }>) => l.dstPort,
    seq: (l: Extract<Layer, { kind: 'tcp' }>) => l.seq,
    ack: (l: Extract<Layer, { kind: 'tcp' }>) => l.ack,
    dataOffset: (l: Extract<Layer, { kind: 'tcp' }>) => l.dataOffset,
    flags: (l: Extract<Layer, { kind: 'tcp' }>) => l.flags,
    'flags.ae': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagAe),
    'flags.cwr': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagCwr),
    'flags.ece': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagEce),
    'flags.urg': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagUrg),
    'flags.ack': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagAck),
    'flags.psh': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagPsh),
    'flags.rst': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagRst),
    'flags.syn': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagSyn),
    'flags.fin': (l: Extract<Layer, { kind: 'tcp' }>) => n(l.flagFin),
    window: (l: Extract<Layer, { kind: 'tcp' }>) => l.window,
    checksum: (l: Extract<Layer, { kind: 'tcp' }>) => l.checksum,
    urgent: (l: Extract<Layer, { kind: 'tcp' }>) => l.urgent,
  },
  icmp: {
    type: (l: Extract<Layer, { kind: 'icmp' }>) => l.type,
    code: (l: Extract<Layer, { kind: 'icmp' }>) => l.code,
    checksum: (l: Extract<Layer, { kind: 'icmp' }>) => l.checksum,
    identifier: (l: Extract<Layer, { kind: 'icmp' }>) => l.identifier,
    sequence: (l: Extract<Layer, { kind: 'icmp' }>) => l.sequence,
    nextHopMtu: (l: Extract<Layer, { kind: 'icmp' }>) => l.nextHopMtu,
    gateway: (l: Extract<Layer, { kind: 'icmp' }>) => l.gateway,
    pointer: (l: Extract<Layer, { kind: 'icmp' }>) => l.pointer,
  },
  icmpv6: {
    type: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.type,
    code: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.code,
    checksum: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.checksum,
    identifier: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.identifier,
    sequence: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.sequence,
    mtu: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.mtu,
    pointer: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.pointer,
    targetAddress: (l: Extract<Layer, { kind: 'icmpv6' }>) => l.targetAddress,
  },
  vxlan: {
    flags: (l: Extract<Layer, { kind: 'vxlan' }>) => l.flags,
    'flags.i': (l: Extract<Layer, { kind: 'vxlan' }>) => n(l.validVni),
    reserved1: (l: Extract<Layer, { kind: 'vxlan' }>) => l.reserved1,
    vni: (l: Extract<Layer, { kind: 'vxlan' }>) => l.vni,
    reserved2: (l: Extract<Layer, { kind: 'vxlan' }>) => l.reserved2,
  },
  geneve: {
    version: (l: Extract<Layer, { kind: 'geneve' }>) => l.version,
    optLen: (l: Extract<Layer, { kind: 'geneve' }>) => l.optLen,
    'flags.o': (l: Extract<Layer, { kind: 'geneve' }>) => n(l.oam),
    'flags.c': (l: Extract<Layer, { kind: 'geneve' }>) => n(l.critical),
    reserved: (l: Extract<Layer, { kind: 'geneve' }>) => l.reservedFlags,
    protocol: (l: Extract<Layer, { kind: 'geneve' }>) => l.protocolType,
    vni: (l: Extract<Layer, { kind: 'geneve' }>) => l.vni,
    reserved2: (l: Extract<Layer, { kind: 'geneve' }>) => l.reserved,
  },
  gre: {
    'flags.c': (l: Extract<Layer, { kind: 'gre' }>) => n(l.checksumPresent),
    'flags.r': (l: Extract<Layer, { kind: 'gre' }>) => n(l.routingPresent),
    'flags.k': (l: Extract<Layer, { kind: 'gre' }>) => n(l.keyPresent),
    'flags.s': (l: Extract<Layer, { kind: 'gre' }>) => n(l.sequencePresent),
    recursion: (l: Extract<Layer, { kind: 'gre' }>) => l.recursionControl,
    'flags.a': (l: Extract<Layer, { kind: 'gre' }>) => n(l.ackPresent),
    version: (l: Extract<Layer, { kind: 'gre' }>) => l.version,
    protocol: (l: Extract<Layer, { kind: 'gre' }>) => l.protocolType,
    key: (l: Extract<Layer, { kind: 'gre' }>) => l.key,
    sequence: (l: Extract<Layer, { kind: 'gre' }>) => l.sequence,
  },
};

/** The decoder's value of a field, or undefined when the decoder has none for this layer. */
export function decodedValue(layer: Layer, key: string): number | string | undefined {
  const get = FIELD_PROPERTIES[layer.kind]?.[key];
  if (get === undefined) return undefined;
  const v = (get as (l: Layer) => number | string | boolean | undefined)(layer);
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/**
 * Problems with one field against the decoder and the bytes: the value's leading number (or
 * its text) equals the decoded property, and the bytes the field claims hold that value.
 */
export function fieldProblems(data: Uint8Array, decoded: Layer, f: AnatomyField): string[] {
  const want = decodedValue(decoded, f.key);
  if (want === undefined) return [];
  const where = `${decoded.kind}.${f.key} [${f.offset}+${f.length}]`;
  if (typeof want === 'number') {
    const shown = leadingNumber(f.value);
    const raw = readField(data, f);
    const out: string[] = [];
    if (shown !== want) out.push(`${where}: value "${f.value}" ≠ decoded ${want}`);
    if (raw !== undefined && raw !== want) out.push(`${where}: bytes hold ${raw} ≠ decoded ${want}`);
    return out;
  }
  const out: string[] = [];
  if (f.value !== want) out.push(`${where}: value "${f.value}" ≠ decoded "${want}"`);
  // Re-read addresses from the bytes the field claims.
  const again =
    f.length === 4 && /^\d+\.\d+\.\d+\.\d+$/.test(want)
      ? formatIpv4(data, f.offset)
      : f.length === 16 && want.includes(':') && !/^[0-9a-f]{2}(:[0-9a-f]{2})+$/.test(want)
        ? formatIpv6(data, f.offset)
        : /^[0-9a-f]{2}(:[0-9a-f]{2})*$/.test(want)
          ? formatMac(data, f.offset, f.length)
          : undefined;
  if (again !== undefined && again !== want) out.push(`${where}: bytes read "${again}" ≠ decoded "${want}"`);
  return out;
}

/** The innermost IP layer outside an ICMP quote, as an index into `layers`. */
export function innermostIp(layers: readonly AnatomyLayer[]): number {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if ((l.kind === 'ipv4' || l.kind === 'ipv6') && !l.quoted) return i;
  }
  return -1;
}

/**
 * Facts: what the sample packets say, read once so that the lesson's sentences and its claims
 * quote the capture instead of the author's memory. Every number a lesson prints comes from
 * here or from an RFC (see STANDARD_NUMBERS).
 */
import { packetAnatomy } from '../anatomy';
import { byteSegments, type ByteSegment } from './byte-view';
import {
  countsBy,
  firstLayer,
  firstMatching,
  hexOf,
  innerIcmp,
  innerIpv4,
  innerTcp,
  keyOf,
  outerIpv4,
  samePacketAt,
  type PacketKey,
  type ProbeSelector,
} from './probe';
import { stationFile, type LoadedSample, type SamplePacket } from './sample';

/**
 * Numbers a lesson may print without reading them from a packet: fixed by a standard.
 * Anything else in the text must be a fact.
 */
export const STANDARD_NUMBERS: Readonly<Record<string, string>> = {
  '14': 'Ethernet II header: two MACs and the EtherType (IEEE 802.3)',
  '20': 'IPv4 header without options (RFC 791)',
  '8': 'UDP header (RFC 768); VXLAN header (RFC 7348 §5); ICMP echo header (RFC 792)',
  '1500': 'Ethernet MTU (RFC 894)',
  '4789': 'IANA port for VXLAN (RFC 7348 §5)',
  '0': 'ICMP echo reply type (RFC 792)',
  '3': 'ICMP destination unreachable type (RFC 792)',
  '4': 'IPv4 protocol number of IP-in-IP (RFC 2003); ICMP code "fragmentation needed" (RFC 792)',
  '1': 'one hop: each router decrements TTL by one (RFC 791)',
  '24': 'a /24 prefix length; the VNI is 24 bits (RFC 7348 §5)',
  '32': 'a /32 host route',
  '5': 'the 5-tuple: addresses, protocol and ports',
};

export const ETHERNET_MTU = 1500;
export const ETHERNET_HEADER = 14;
export const IPV4_HEADER = 20;
export const UDP_HEADER = 8;
export const VXLAN_HEADER = 8;

export interface StationFacts {
  station: string;
  node: string;
  iface: string;
  /** The per-interface capture the pcapng was merged from. */
  file: string;
  frame: number;
  stationFrame: number;
  linkType: number;
  capLen: number;
  hex: string;
  segments: ByteSegment[];
  /** Outermost Ethernet header, when the capture has one. */
  eth?: { src: string; dst: string };
  /** The Ethernet header inside a tunnel (VXLAN carries a whole frame). */
  innerEth?: { src: string; dst: string };
  /** Innermost IPv4: the pod's packet. */
  ip: { src: string; dst: string; ttl: number; id: number; totalLength: number; df: boolean; protocol: number };
  outer?: { src: string; dst: string; ttl: number; df: boolean; totalLength: number; protocol: number };
  udp?: { src: number; dst: number; length: number };
  vxlan?: { vni: number; flags: number; validVni: boolean };
  flannelUdp: boolean;
  icmp?: { type: number; code: number; id?: number; seq?: number; nextHopMtu?: number; dataLength: number };
  /** The ICMP error's own header when the packet is an error (outermost ICMP). */
  icmpError?: { type: number; code: number; nextHopMtu?: number; from: string; to: string; quoted: string[] };
  tcp?: { src: number; dst: number; syn: boolean; ack: boolean };
}

function splitStation(station: string): { node: string; iface: string } {
  const i = station.indexOf('/');
  return i < 0 ? { node: '', iface: station } : { node: station.slice(0, i), iface: station.slice(i + 1) };
}

export function stationFacts(p: SamplePacket): StationFacts {
  const d = p.decoded;
  const ethers = d.layers.filter((l) => l.kind === 'ethernet' && !l.quoted);
  const outerEth = ethers[0]?.kind === 'ethernet' && ethers[0].offset === 0 ? ethers[0] : undefined;
  const innerEthL = ethers.find((l) => l.offset > 0);
  const ip = innerIpv4(d);
  const outer = outerIpv4(d);
  const udp = outer ? firstLayer(d, 'udp') : undefined;
  const vx = firstLayer(d, 'vxlan');
  const icmp = innerIcmp(d);
  const tcp = innerTcp(d);
  const errIcmp = firstLayer(d, 'icmp');
  const quotedIp = d.layers.find((l) => l.quoted && l.kind === 'ipv4');
  const { node, iface } = splitStation(p.station);
  const f: StationFacts = {
    station: p.station,
    node,
    iface,
    file: stationFile(p.station),
    frame: p.frame,
    stationFrame: p.stationFrame,
    linkType: p.linkType,
    capLen: p.bytes.length,
    hex: hexOf(p.bytes),
    segments: byteSegments(packetAnatomy(p.linkType, p.bytes, { origLen: p.origLen })),
    flannelUdp: d.layers.some((l) => l.kind === 'flannel-udp'),
    ip: ip
      ? { src: ip.src, dst: ip.dst, ttl: ip.ttl, id: ip.id, totalLength: ip.totalLength, df: ip.dontFragment, protocol: ip.protocol }
      : { src: '', dst: '', ttl: NaN, id: NaN, totalLength: NaN, df: false, protocol: NaN },
  };
  if (outerEth?.kind === 'ethernet') f.eth = { src: outerEth.src, dst: outerEth.dst };
  if (innerEthL?.kind === 'ethernet') f.innerEth = { src: innerEthL.src, dst: innerEthL.dst };
  if (outer) f.outer = { src: outer.src, dst: outer.dst, ttl: outer.ttl, df: outer.dontFragment, totalLength: outer.totalLength, protocol: outer.protocol };
  if (udp) f.udp = { src: udp.srcPort, dst: udp.dstPort, length: udp.length };
  if (vx) f.vxlan = { vni: vx.vni, flags: vx.flags, validVni: vx.validVni };
  if (icmp && !icmp.isError) {
    f.icmp = { type: icmp.type, code: icmp.code, id: icmp.identifier, seq: icmp.sequence, dataLength: icmp.payload.length };
  }
  if (errIcmp?.isError && ip) {
    f.icmpError = {
      type: errIcmp.type,
      code: errIcmp.code,
      nextHopMtu: errIcmp.type === 3 && errIcmp.code === 4 ? errIcmp.nextHopMtu : undefined,
      from: ip.src,
      to: ip.dst,
      quoted: d.layers.filter((l) => l.quoted).map((l) => l.kind),
    };
    if (quotedIp?.kind === 'ipv4') f.icmpError.quoted.unshift(`${quotedIp.src}>${quotedIp.dst}`);
  }
  if (tcp) f.tcp = { src: tcp.srcPort, dst: tcp.dstPort, syn: tcp.flagSyn, ack: tcp.flagAck };
  return f;
}

export interface WalkFacts {
  sample: string;
  /** The stations of the walk, in path order. */
  path: string[];
  /** The probe packet at each station where it was captured. */
  at: Record<string, StationFacts | undefined>;
  key: PacketKey;
  /** Probe-like packets (same selector) per station, and echo replies per station. */
  requestsAt: Record<string, number>;
  repliesAt: Record<string, number>;
  /** ARP packets per station: none on a VXLAN device whose neighbours are permanent entries. */
  arpAt: Record<string, number>;
  /** The reply to the probe where it crossed the first encapsulating station (if any). */
  replyAtEncap?: StationFacts;
  /** Outer UDP source ports seen per inner flow at the first encapsulating station. */
  outerPortsByFlow: { flow: string; port: number }[];
  /** ARP replies per station: who answered for which address. */
  arpReplies: Record<string, { mac: string; ip: string }[]>;
  /**
   * What the tunnel adds in front of an inner IPv4 packet, in bytes of outer IPv4 length: outer
   * total length minus inner total length, from the first encapsulated packet of the sample.
   */
  tunnelOverhead?: number;
}

function byStation<T>(path: string[], f: (s: string) => T): Record<string, T> {
  return Object.fromEntries(path.map((s) => [s, f(s)]));
}

/** The inner flow a packet belongs to, direction-free: "icmp 10.0.0.1 10.0.0.2 18433". */
function flowName(p: SamplePacket): string | undefined {
  const ip = innerIpv4(p.decoded);
  if (!ip) return undefined;
  const [a, b] = [ip.src, ip.dst].sort();
  const tcp = innerTcp(p.decoded);
  const udps = p.decoded.layers.filter((l) => l.kind === 'udp' && !l.quoted);
  const innerUdp = udps.length > 1 || !outerIpv4(p.decoded) ? udps[udps.length - 1] : undefined;
  if (tcp) return `tcp ${a} ${b} ${[tcp.srcPort, tcp.dstPort].sort((x, y) => x - y).join(' ')}`;
  if (innerUdp?.kind === 'udp') return `udp ${a} ${b} ${[innerUdp.srcPort, innerUdp.dstPort].sort((x, y) => x - y).join(' ')}`;
  const icmp = innerIcmp(p.decoded);
  if (icmp) return `icmp ${a} ${b} ${icmp.identifier ?? ''}`;
  return `ip ${a} ${b} ${ip.protocol}`;
}

function tunnelOverhead(sample: LoadedSample): number | undefined {
  for (const p of sample.packets) {
    const outer = outerIpv4(p.decoded);
    const inner = innerIpv4(p.decoded);
    if (outer && inner && !p.decoded.layers.some((l) => l.quoted)) return outer.totalLength - inner.totalLength;
  }
  return undefined;
}

/**
 * Follow the first packet matching `sel` at `path[0]` along the path. Throws when the sample
 * holds no such packet: a lesson over a sample without its probe is a broken lesson.
 */
export function walkFacts(sample: LoadedSample, path: string[], sel: ProbeSelector = { kind: 'echo-request' }): WalkFacts {
  const first = firstMatching(sample, sel, path[0]);
  const key = first && keyOf(first);
  if (!first || !key) throw new Error(`${sample.name}: no ${sel.kind} at ${path[0]}`);
  const at = byStation(path, (s) => {
    const p = s === first.station ? first : samePacketAt(sample, key, s);
    return p && stationFacts(p);
  });
  // Count the probe's own flow: an echo by its identifier (other pings in the sample, to other
  // hosts, carry other identifiers).
  const probeIcmp = innerIcmp(first.decoded);
  const sameEcho = (p: SamplePacket) => probeIcmp === undefined || innerIcmp(p.decoded)?.identifier === probeIcmp.identifier;
  const req = countsBy(sample, sel, sameEcho);
  const rep = countsBy(sample, { kind: 'echo-reply' }, sameEcho);
  const count = (xs: { station: string; count: number }[], s: string) => xs.find((x) => x.station === s)?.count ?? 0;
  const encap = path.find((s) => at[s]?.outer);
  let replyAtEncap: StationFacts | undefined;
  const outerPortsByFlow: { flow: string; port: number }[] = [];
  if (encap) {
    const ping = at[path[0]!]?.icmp;
    const reply = sample.packets.find((p) => {
      const icmp = p.station === encap ? innerIcmp(p.decoded) : undefined;
      return icmp?.type === 0 && icmp.identifier === ping?.id && icmp.sequence === ping?.seq;
    });
    replyAtEncap = reply && stationFacts(reply);
    const seen = new Set<string>();
    for (const p of sample.packets) {
      if (p.station !== encap) continue;
      const udp = outerIpv4(p.decoded) && firstLayer(p.decoded, 'udp');
      const flow = flowName(p);
      if (!udp || !flow || seen.has(flow)) continue;
      seen.add(flow);
      outerPortsByFlow.push({ flow, port: udp.srcPort });
    }
  }
  return {
    sample: sample.name,
    path,
    at,
    key,
    requestsAt: byStation(path, (s) => count(req, s)),
    repliesAt: byStation(path, (s) => count(rep, s)),
    arpAt: byStation(path, (s) => sample.packets.filter((p) => p.station === s && p.decoded.layers.some((l) => l.kind === 'arp')).length),
    replyAtEncap,
    outerPortsByFlow,
    arpReplies: byStation(path, (s) =>
      sample.packets.flatMap((p) => {
        const arp = p.station === s ? firstLayer(p.decoded, 'arp') : undefined;
        return arp && arp.opcode === 2 ? [{ mac: arp.senderHardwareAddress, ip: arp.senderProtocolAddress }] : [];
      }),
    ),
    tunnelOverhead: tunnelOverhead(sample),
  };
}

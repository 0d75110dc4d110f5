/**
 * Ground truth for the lab's scenarios, computed from what the captures really contain: which
 * capture points saw each flow's requests and replies, and which ICMP errors the flow provoked.
 *
 * A flow's packets are recognised the way an engineer follows them by hand, so that tunnels and
 * NAT do not lose them: the innermost packet (inside VXLAN, flannel UDP, IP-in-IP); ICMP echoes
 * by identifier or by their payload (an SNAT may rewrite the identifier, never the payload);
 * TCP by the client's sequence space (NAT rewrites addresses and ports, not sequence numbers);
 * the DNS-like UDP exchange by its transaction id and QR bit. ICMP errors are tied to a flow
 * through the datagram they quote.
 */
import { readCaptureFile } from '../capture/node';
import type { CaptureSummary } from '../capture/types';
import { CaptureIndexer, type IndexedCapture } from '../decode/capture-index';
import { decodePacket, type Layer } from '../decode/decode-packet';
import { backgroundFacts, sll2Meta, type BackgroundFacts } from './background';
import type { CaptureWindow, DirectionObservation, FlowMatch, FlowProtocol, IcmpErrorObservation, PointId } from './scenario';
import { TCP_ACK, TCP_SYN } from '../protocols/numbers';

const IP_PROTO_ICMP = 1;
const IP_PROTO_ICMPV6 = 58;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;
const ICMPV6_PACKET_TOO_BIG = 2;
const IP_PROTO_TCP = 6;
const IP_PROTO_UDP = 17;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
/** How far past the client's ISN its sequence space reaches: far more than any lab flow sends. */
const TCP_WINDOW = 1 << 20;
const PAYLOAD_KEY_BYTES = 16;
/** TCP header bytes up to and including the flags (RFC 9293 §3.1): a shorter capture leaves them unknown. */
const TCP_BYTES_FOR_FLAGS = 14;
const LINKTYPE_LINUX_SLL2 = 276;

/** The innermost IP packet of a frame (or of the datagram an ICMP error quotes). */
export interface PacketFacts {
  /** IPv4 total length as the header states it (a GSO frame's can exceed the MTU); IPv6: payload length + 40. */
  ipLen: number;
  /** IPv4 identification: forwarding and NAT leave it alone. IPv6 has none: 0. */
  ipId: number;
  /** TTL or hop limit. */
  ttl: number;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** -1 when the capture cut the header before the flags (a small snap length). */
  tcpFlags: number;
  /** ICMP or ICMPv6 (proto says which). */
  icmpType: number;
  icmpCode: number;
  echoId: number;
  /** Hex of the first bytes of the transport payload (ICMP echo data, UDP data). */
  payloadKey: string;
  /** The first 16 bits of a UDP payload: a DNS transaction id; then its QR bit. */
  dnsId: number;
  dnsResponse: boolean;
  /** IPv4 fragments: 0 a whole packet, 1 the first fragment, 2 a later one (no transport header). */
  fragment: 0 | 1 | 2;
}

export interface FrameFacts {
  frame: number;
  /** The record's time, ns since the epoch (a float: what matters is moments apart). */
  tNs: number;
  /** The innermost packet rode inside another IP packet (VXLAN, IP-in-IP, flannel UDP). */
  encapsulated: boolean;
  inner: PacketFacts | null;
  /** Linux cooked v2 (`-i any`): the interface index and packet type of the record. */
  ifindex?: number;
  pktType?: number;
  /** ARP, ND, MLD, IGMP, LLDP, STP, DHCP: traffic that is no flow's. */
  background: BackgroundFacts | null;
  icmpError?: { type: number; code: number; mtu?: number; src: string; dst: string; quoted: PacketFacts | null };
}

export interface LoadedCapture {
  indexed: IndexedCapture;
  summary: CaptureSummary;
  frames: FrameFacts[];
  /** Link type of each interface, by interface id. */
  linkTypes: number[];
  /** First and last packet time; null for an empty capture. */
  window: CaptureWindow | null;
  /** Snap length of the first interface. */
  snaplen: number;
  /**
   * Where a frame was seen, when that is finer than the file: for an `-i any` capture with
   * interface indexes, `<node>/<interface>`. Set by the caller that knows the node's interfaces.
   */
  pointOf?: (fr: FrameFacts) => PointId | undefined;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Facts of the innermost IP packet among `layers` (all quoted, or none quoted). */
function innermost(layers: Layer[]): PacketFacts | null {
  let ipAt = -1;
  for (let i = 0; i < layers.length; i++) if (layers[i]!.kind === 'ipv4' || layers[i]!.kind === 'ipv6') ipAt = i;
  if (ipAt < 0) return null;
  const ip = layers[ipAt]!;
  const base = { sport: 0, dport: 0, seq: 0, ack: 0, tcpFlags: 0, icmpType: -1, icmpCode: -1, echoId: -1, payloadKey: '', dnsId: -1, dnsResponse: false, fragment: 0 as const };
  let f: PacketFacts;
  if (ip.kind === 'ipv4') f = { ...base, ipLen: ip.totalLength, ipId: ip.id, ttl: ip.ttl, src: ip.src, dst: ip.dst, proto: ip.protocol, fragment: ip.fragmentOffset !== 0 ? 2 : ip.moreFragments ? 1 : 0 };
  else if (ip.kind === 'ipv6') f = { ...base, ipLen: ip.payloadLength + 40, ipId: 0, ttl: ip.hopLimit, src: ip.src, dst: ip.dst, proto: ip.finalNextHeader };
  else return null;
  const t = layers[ipAt + 1];
  if (!t) return f;
  if (t.kind === 'tcp') {
    f.sport = t.srcPort;
    f.dport = t.dstPort;
    f.seq = t.seq;
    f.ack = t.ack;
    f.tcpFlags = t.header.length >= TCP_BYTES_FOR_FLAGS ? t.flags : -1;
  } else if (t.kind === 'udp') {
    f.sport = t.srcPort;
    f.dport = t.dstPort;
    const p = t.payload;
    f.payloadKey = hex(p.subarray(0, PAYLOAD_KEY_BYTES));
    if (p.length >= 3) {
      f.dnsId = (p[0]! << 8) | p[1]!;
      f.dnsResponse = (p[2]! & 0x80) !== 0;
    }
  } else if (t.kind === 'icmp' || t.kind === 'icmpv6') {
    f.icmpType = t.type;
    f.icmpCode = t.code;
    f.echoId = t.identifier ?? -1;
    f.seq = t.sequence ?? 0;
    if (!t.isError) f.payloadKey = hex(t.payload.subarray(0, PAYLOAD_KEY_BYTES));
  }
  return f;
}

export function frameFacts(frame: number, data: Uint8Array, linkType: number, tNs = 0): FrameFacts {
  const pkt = decodePacket(data, linkType);
  const outer = pkt.layers.filter((l) => !l.quoted);
  const quoted = pkt.layers.filter((l) => l.quoted);
  const inner = innermost(outer);
  const ips = outer.filter((l) => l.kind === 'ipv4' || l.kind === 'ipv6').length;
  const out: FrameFacts = { frame, tNs, encapsulated: ips > 1, inner, background: backgroundFacts(data, linkType) };
  if (linkType === LINKTYPE_LINUX_SLL2) {
    const m = sll2Meta(data);
    if (m) {
      out.ifindex = m.ifindex;
      out.pktType = m.pktType;
    }
  }
  const icmp = outer.find((l) => (l.kind === 'icmp' || l.kind === 'icmpv6') && l.isError);
  if (icmp && (icmp.kind === 'icmp' || icmp.kind === 'icmpv6') && inner) {
    const mtu = icmp.kind === 'icmp' ? (icmp.type === 3 && icmp.code === 4 ? (icmp.nextHopMtu ?? 0) : undefined) : icmp.type === ICMPV6_PACKET_TOO_BIG ? (icmp.mtu ?? 0) : undefined;
    out.icmpError = {
      type: icmp.type,
      code: icmp.code,
      ...(mtu !== undefined ? { mtu } : {}),
      src: inner.src,
      dst: inner.dst,
      quoted: innermost(quoted),
    };
  }
  return out;
}

/** Read one capture with the project's reader and indexer, and the facts of every frame. */
export async function loadCapture(path: string): Promise<LoadedCapture> {
  const indexer = new CaptureIndexer();
  const frames: FrameFacts[] = [];
  const linkTypes: number[] = [];
  const snaplens: number[] = [];
  let first: [number, number] | null = null;
  let last: [number, number] | null = null;
  const summary = await readCaptureFile(path, {
    onInterface(iface) {
      linkTypes[iface.id] = iface.linkType;
      snaplens[iface.id] = iface.snaplen;
      indexer.onInterface(iface);
    },
    onWarning(w) {
      indexer.onWarning(w);
    },
    onPacket(rec) {
      indexer.onPacket(rec);
      const data = rec.buf.subarray(rec.offset, rec.offset + rec.capLen);
      frames.push(frameFacts(rec.frameNumber, data, linkTypes[rec.interfaceId] ?? -1, rec.tsSec * 1e9 + rec.tsNsec));
      const ts: [number, number] = [rec.tsSec, rec.tsNsec];
      if (!first || before(ts, first)) first = ts;
      if (!last || before(last, ts)) last = ts;
    },
  });
  const window = first && last ? { first: epoch(first), last: epoch(last), packets: frames.length } : null;
  return { indexed: indexer.finish(summary), summary, frames, linkTypes, window, snaplen: snaplens[0] ?? 0 };
}

const before = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
const epoch = ([sec, nsec]: [number, number]): string => `${sec}.${String(nsec).padStart(9, '0')}`;

/** Interface index → name from `ip -o link` output ("2: eth0@if5: <…"). */
export function parseIpLink(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of text.split('\n')) {
    const m = /^(\d+): ([^:@\s]+)[:@]/.exec(l);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Resolve an SLL2 capture's records to `<node>/<interface>` through the node's interface indexes. */
export function splitByInterface(cap: LoadedCapture, node: string, ifindex: Record<string, string>): void {
  cap.pointOf = (fr) => (fr.ifindex !== undefined && ifindex[fr.ifindex] !== undefined ? `${node}/${ifindex[fr.ifindex]}` : undefined);
}

export interface FlowToObserve {
  id: string;
  protocol: FlowProtocol;
  match: FlowMatch;
  path: PointId[];
  /** Points that cannot show this direction's packets (a capture of one direction only): never its last reached. */
  blind?: { requests: PointId[]; replies: PointId[] };
}

export interface FlowObservation {
  id: string;
  /** What was learned at the flow's first capture point (the TCP ISN). */
  learned: FlowMatch;
  requests: DirectionObservation;
  replies: DirectionObservation;
  icmpErrors: IcmpErrorObservation[];
  blind?: { requests: PointId[]; replies: PointId[] };
}

type Direction = 'request' | 'reply' | null;

interface Learned {
  isn?: number;
  echoPayloads: Set<string>;
}

/** TCP connections of one flow in one capture, as `src:sport>dst:dport`, found by their SYN. */
type Tuples = Set<string>;

const tupleOf = (f: PacketFacts): string => `${f.src}:${f.sport}>${f.dst}:${f.dport}`;
const reverseTupleOf = (f: PacketFacts): string => `${f.dst}:${f.dport}>${f.src}:${f.sport}`;

function inWindow(delta: number, from: number): boolean {
  const d = delta >>> 0;
  return d >= from && d < TCP_WINDOW;
}

function classify(f: PacketFacts, flow: FlowToObserve, learned: Learned, tuples?: Tuples): Direction {
  const m = flow.match;
  if (flow.protocol === 'icmp') {
    const echo = echoOf(f);
    if (echo === null) return null;
    const mine = f.echoId === m.icmpId || (f.payloadKey !== '' && learned.echoPayloads.has(f.payloadKey));
    if (!mine) return null;
    return echo;
  }
  if (flow.protocol === 'udp') {
    if (f.proto !== IP_PROTO_UDP || f.dnsId !== m.dnsId) return null;
    return f.dnsResponse ? 'reply' : 'request';
  }
  if (f.proto !== IP_PROTO_TCP) return null;
  // Where the capture holds the connection's SYN, its addresses and ports (after any NAT on
  // this hop) name the connection exactly; sequence windows of unrelated connections can overlap.
  if (tuples && tuples.size > 0) {
    if (tuples.has(tupleOf(f))) return 'request';
    if (tuples.has(reverseTupleOf(f))) return 'reply';
    return null;
  }
  const serverPorts = m.serverPorts ?? [];
  if (learned.isn === undefined) {
    if (f.sport === m.clientPort && serverPorts.includes(f.dport)) return 'request';
    if (f.dport === m.clientPort && serverPorts.includes(f.sport)) return 'reply';
    return null;
  }
  const isn = learned.isn;
  if (inWindow(f.seq - isn, 0) && (f.sport === m.clientPort || serverPorts.includes(f.dport))) return 'request';
  if ((f.tcpFlags & TCP_ACK) !== 0 && inWindow(f.ack - isn, 1) && (f.dport === m.clientPort || serverPorts.includes(f.sport))) {
    return 'reply';
  }
  return null;
}

/** An ICMP or ICMPv6 echo request or reply; null for anything else. */
function echoOf(f: PacketFacts): 'request' | 'reply' | null {
  if (f.proto === IP_PROTO_ICMP) return f.icmpType === ICMP_ECHO_REQUEST ? 'request' : f.icmpType === ICMP_ECHO_REPLY ? 'reply' : null;
  if (f.proto === IP_PROTO_ICMPV6) return f.icmpType === ICMPV6_ECHO_REQUEST ? 'request' : f.icmpType === ICMPV6_ECHO_REPLY ? 'reply' : null;
  return null;
}

const isSyn = (f: PacketFacts): boolean => f.tcpFlags >= 0 && (f.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;

function learn(flow: FlowToObserve, first: FrameFacts[]): Learned {
  const learned: Learned = { echoPayloads: new Set() };
  for (const fr of first) {
    const f = fr.inner;
    if (!f) continue;
    if (flow.protocol === 'tcp' && learned.isn === undefined && f.proto === IP_PROTO_TCP && f.sport === flow.match.clientPort) {
      if (isSyn(f)) learned.isn = f.seq;
    }
    if (flow.protocol === 'icmp' && echoOf(f) === 'request' && f.echoId === flow.match.icmpId) {
      if (f.payloadKey !== '') learned.echoPayloads.add(f.payloadKey);
    }
  }
  return learned;
}

/** The connections in `frames` whose SYN carries the flow's initial sequence number. */
function tcpTuples(flow: FlowToObserve, learned: Learned, frames: FrameFacts[]): Tuples {
  const out: Tuples = new Set();
  if (flow.protocol !== 'tcp' || learned.isn === undefined) return out;
  for (const fr of frames) {
    const f = fr.inner;
    if (f && !fr.icmpError && f.proto === IP_PROTO_TCP && isSyn(f) && f.seq === learned.isn) out.add(tupleOf(f));
  }
  return out;
}

/**
 * Two sightings of one packet at one point this close, in two forms (NATed, encapsulated, one
 * hop less TTL), are one packet crossing it twice. In one form they are two transmissions (a
 * server answers a resent SYN microseconds before its own timer resends the SYN-ACK).
 */
const SAME_PACKET_NS = 50e6;

/** `packetsAt`, distinct packets per point, only where some packet crossed a point twice. */
function packetsAt(seen: Record<PointId, number>, once: Record<PointId, number>, sort: (r: Record<PointId, number>) => Record<PointId, number>): { packetsAt?: Record<PointId, number> } {
  return Object.keys(seen).some((p) => seen[p] !== once[p]) ? { packetsAt: sort(once) } : {};
}

function lastReached(order: PointId[], seenAt: Record<PointId, number>): PointId | null {
  let last: PointId | null = null;
  for (const p of order) if ((seenAt[p] ?? 0) > 0) last = p;
  return last;
}

/** The frames seen at `point`: a whole capture, or the records of an `-i any` capture resolved to it. */
function framesAt(captures: Map<PointId, LoadedCapture>, point: PointId): FrameFacts[] {
  const whole = captures.get(point);
  if (whole) return whole.frames;
  const out: FrameFacts[] = [];
  for (const cap of captures.values()) if (cap.pointOf) for (const fr of cap.frames) if (cap.pointOf(fr) === point) out.push(fr);
  return out;
}

/**
 * Where each flow's requests, replies and ICMP errors were seen. `captures` holds every capture
 * point of the scenario (not only the flow's path): a packet seen off its path is reported too.
 * `claims`, when given, collects for every frame (`<point>#<frame>`) the flows that counted it:
 * a frame two flows claim means their matches are ambiguous.
 */
export function observeFlows(captures: Map<PointId, LoadedCapture>, flows: FlowToObserve[], claims?: Map<string, string[]>): FlowObservation[] {
  // IPv4 fragments per point and datagram: a first fragment counts at a point only when every
  // fragment of its datagram (as many as the point that saw most) got there too.
  const dgKey = (f: PacketFacts) => `${f.src}|${f.dst}|${f.proto}|${f.ipId}`;
  const fragsAt = new Map<string, number>();
  const fragsMost = new Map<string, number>();
  for (const [capPoint, cap] of captures) {
    for (const fr of cap.frames) {
      if (!fr.inner || fr.inner.fragment === 0) continue;
      const point = cap.pointOf?.(fr) ?? capPoint;
      if (point.endsWith('/any')) continue;
      const k = `${point}#${dgKey(fr.inner)}`;
      const n = (fragsAt.get(k) ?? 0) + 1;
      fragsAt.set(k, n);
      fragsMost.set(dgKey(fr.inner), Math.max(fragsMost.get(dgKey(fr.inner)) ?? 0, n));
    }
  }
  const whole = (point: PointId, f: PacketFacts) => f.fragment === 0 || point.endsWith('/any') || (fragsAt.get(`${point}#${dgKey(f)}`) ?? 0) >= (fragsMost.get(dgKey(f)) ?? 0);
  return flows.map((flow) => {
    const learned = learn(flow, framesAt(captures, flow.path[0] ?? ''));
    const req: Record<PointId, number> = {};
    const rep: Record<PointId, number> = {};
    // One packet seen twice at one point within moments (a NodePort leg and its NATed,
    // encapsulated twin on one NIC; a hairpin; `-i any`'s copy per interface) is one packet.
    const reqOnce: Record<PointId, number> = {};
    const repOnce: Record<PointId, number> = {};
    const lastSeen = new Map<string, { tNs: number; form: string }>();
    const reqMax: Record<PointId, number> = {};
    const repMax: Record<PointId, number> = {};
    const errors = new Map<string, IcmpErrorObservation>();
    const seenKeys: PointId[] = [];
    for (const [capPoint, cap] of captures) {
      const tuples = tcpTuples(flow, learned, cap.frames);
      for (const fr of cap.frames) {
        const point = cap.pointOf?.(fr) ?? capPoint;
        if (fr.icmpError) {
          const q = fr.icmpError.quoted;
          const about = q ? classify(q, flow, learned, tuples) : null;
          if (about) {
            const e = fr.icmpError;
            const key = `${e.type}/${e.code}/${e.src}/${e.dst}/${about}/${e.mtu ?? ''}`;
            let obs = errors.get(key);
            if (!obs) {
              obs = { type: e.type, code: e.code, from: e.src, to: e.dst, ...(e.mtu !== undefined ? { mtu: e.mtu } : {}), about, seenAt: {} };
              errors.set(key, obs);
            }
            obs.seenAt[point] = (obs.seenAt[point] ?? 0) + 1;
            claim(claims, `${capPoint}#${fr.frame}`, flow.id);
            if (!seenKeys.includes(point)) seenKeys.push(point);
          }
          continue;
        }
        if (!fr.inner) continue;
        const d = classify(fr.inner, flow, learned, tuples);
        if (d === null) continue;
        if (!whole(point, fr.inner)) continue;
        const [count, max, once] = d === 'request' ? [req, reqMax, reqOnce] : [rep, repMax, repOnce];
        count[point] = (count[point] ?? 0) + 1;
        const i = fr.inner;
        const key = `${point}|${d}|${i.ipId}|${i.ipLen}|${i.proto}|${i.seq}|${i.ack}|${i.tcpFlags}|${i.icmpType}|${i.payloadKey}`;
        // Its other crossing looks different (NATed, or encapsulated); an identical frame again
        // (a SYN-ACK resent with IP id 0) is a new transmission.
        // `-i any` in SLL v1 names no interface: its copies of one packet are alike in every way.
        const sll1 = fr.ifindex === undefined && point.endsWith('/any');
        const form = sll1 ? `copy${fr.frame}` : `${fr.encapsulated}|${i.src}|${i.dst}|${i.sport}|${i.dport}|${i.ttl}|${fr.ifindex ?? ''}`;
        const prev = lastSeen.get(key);
        if (prev === undefined || fr.tNs - prev.tNs > SAME_PACKET_NS || prev.form === form) once[point] = (once[point] ?? 0) + 1;
        lastSeen.set(key, { tNs: fr.tNs, form });
        max[point] = Math.max(max[point] ?? 0, fr.inner.ipLen);
        claim(claims, `${capPoint}#${fr.frame}`, flow.id);
        if (!seenKeys.includes(point)) seenKeys.push(point);
      }
    }
    const first = flow.path[0] ?? '';
    const last = flow.path[flow.path.length - 1] ?? '';
    // Path order first, then the other points in capture order.
    const order = [...flow.path, ...[...captures.keys(), ...seenKeys].filter((p) => !flow.path.includes(p))];
    const sortByPath = (r: Record<PointId, number>): Record<PointId, number> => {
      const out: Record<PointId, number> = {};
      for (const p of order) if (r[p] !== undefined) out[p] = r[p]!;
      return out;
    };
    return {
      id: flow.id,
      learned: learned.isn !== undefined ? { tcpIsn: learned.isn } : {},
      requests: { sent: req[first] ?? 0, lastReached: lastReached(flow.path.filter((p) => !flow.blind?.requests.includes(p)), req), seenAt: sortByPath(req), largestAt: sortByPath(reqMax), ...packetsAt(req, reqOnce, sortByPath) },
      replies: { sent: rep[last] ?? 0, lastReached: lastReached([...flow.path].reverse().filter((p) => !flow.blind?.replies.includes(p)), rep), seenAt: sortByPath(rep), largestAt: sortByPath(repMax), ...packetsAt(rep, repOnce, sortByPath) },
      icmpErrors: [...errors.values()].map((e) => ({ ...e, seenAt: sortByPath(e.seenAt) })),
      ...(flow.blind && (flow.blind.requests.length > 0 || flow.blind.replies.length > 0) ? { blind: flow.blind } : {}),
    };
  });
}

function claim(claims: Map<string, string[]> | undefined, key: string, id: string): void {
  if (!claims) return;
  const l = claims.get(key);
  if (!l) claims.set(key, [id]);
  else if (!l.includes(id)) l.push(id);
}

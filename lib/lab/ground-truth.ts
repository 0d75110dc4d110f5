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
import type { DirectionObservation, FlowMatch, FlowProtocol, IcmpErrorObservation, PointId } from './scenario';

const IP_PROTO_ICMP = 1;
const IP_PROTO_TCP = 6;
const IP_PROTO_UDP = 17;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
/** How far past the client's ISN its sequence space reaches: far more than any lab flow sends. */
const TCP_WINDOW = 1 << 20;
const PAYLOAD_KEY_BYTES = 16;

/** The innermost IPv4 packet of a frame (or of the datagram an ICMP error quotes). */
export interface PacketFacts {
  /** IPv4 total length as the header states it (a GSO frame's can exceed the MTU). */
  ipLen: number;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  tcpFlags: number;
  icmpType: number;
  icmpCode: number;
  echoId: number;
  /** Hex of the first bytes of the transport payload (ICMP echo data, UDP data). */
  payloadKey: string;
  /** The first 16 bits of a UDP payload: a DNS transaction id; then its QR bit. */
  dnsId: number;
  dnsResponse: boolean;
}

export interface FrameFacts {
  frame: number;
  inner: PacketFacts | null;
  icmpError?: { type: number; code: number; mtu?: number; src: string; dst: string; quoted: PacketFacts | null };
}

export interface LoadedCapture {
  indexed: IndexedCapture;
  summary: CaptureSummary;
  frames: FrameFacts[];
  /** Link type of each interface, by interface id. */
  linkTypes: number[];
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Facts of the innermost IPv4 packet among `layers` (all quoted, or none quoted). */
function innermost(layers: Layer[]): PacketFacts | null {
  let ipAt = -1;
  for (let i = 0; i < layers.length; i++) if (layers[i]!.kind === 'ipv4') ipAt = i;
  if (ipAt < 0) return null;
  const ip = layers[ipAt]!;
  if (ip.kind !== 'ipv4') return null;
  const f: PacketFacts = {
    ipLen: ip.totalLength, src: ip.src, dst: ip.dst, proto: ip.protocol, sport: 0, dport: 0, seq: 0, ack: 0, tcpFlags: 0,
    icmpType: -1, icmpCode: -1, echoId: -1, payloadKey: '', dnsId: -1, dnsResponse: false,
  };
  const t = layers[ipAt + 1];
  if (!t) return f;
  if (t.kind === 'tcp') {
    f.sport = t.srcPort;
    f.dport = t.dstPort;
    f.seq = t.seq;
    f.ack = t.ack;
    f.tcpFlags = t.flags;
  } else if (t.kind === 'udp') {
    f.sport = t.srcPort;
    f.dport = t.dstPort;
    const p = t.payload;
    f.payloadKey = hex(p.subarray(0, PAYLOAD_KEY_BYTES));
    if (p.length >= 3) {
      f.dnsId = (p[0]! << 8) | p[1]!;
      f.dnsResponse = (p[2]! & 0x80) !== 0;
    }
  } else if (t.kind === 'icmp') {
    f.icmpType = t.type;
    f.icmpCode = t.code;
    f.echoId = t.identifier ?? -1;
    f.seq = t.sequence ?? 0;
    if (!t.isError) f.payloadKey = hex(t.payload.subarray(0, PAYLOAD_KEY_BYTES));
  }
  return f;
}

export function frameFacts(frame: number, data: Uint8Array, linkType: number): FrameFacts {
  const pkt = decodePacket(data, linkType);
  const outer = pkt.layers.filter((l) => !l.quoted);
  const quoted = pkt.layers.filter((l) => l.quoted);
  const inner = innermost(outer);
  const out: FrameFacts = { frame, inner };
  const icmp = outer.find((l) => l.kind === 'icmp' && l.isError);
  if (icmp && icmp.kind === 'icmp' && inner) {
    out.icmpError = {
      type: icmp.type,
      code: icmp.code,
      ...(icmp.type === 3 && icmp.code === 4 ? { mtu: icmp.nextHopMtu ?? 0 } : {}),
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
  const summary = await readCaptureFile(path, {
    onInterface(iface) {
      linkTypes[iface.id] = iface.linkType;
      indexer.onInterface(iface);
    },
    onWarning(w) {
      indexer.onWarning(w);
    },
    onPacket(rec) {
      indexer.onPacket(rec);
      const data = rec.buf.subarray(rec.offset, rec.offset + rec.capLen);
      frames.push(frameFacts(rec.frameNumber, data, linkTypes[rec.interfaceId] ?? -1));
    },
  });
  return { indexed: indexer.finish(summary), summary, frames, linkTypes };
}

export interface FlowToObserve {
  id: string;
  protocol: FlowProtocol;
  match: FlowMatch;
  path: PointId[];
}

export interface FlowObservation {
  id: string;
  /** What was learned at the flow's first capture point (the TCP ISN). */
  learned: FlowMatch;
  requests: DirectionObservation;
  replies: DirectionObservation;
  icmpErrors: IcmpErrorObservation[];
}

type Direction = 'request' | 'reply' | null;

interface Learned {
  isn?: number;
  echoPayloads: Set<string>;
}

function inWindow(delta: number, from: number): boolean {
  const d = delta >>> 0;
  return d >= from && d < TCP_WINDOW;
}

function classify(f: PacketFacts, flow: FlowToObserve, learned: Learned): Direction {
  const m = flow.match;
  if (flow.protocol === 'icmp') {
    if (f.proto !== IP_PROTO_ICMP || (f.icmpType !== ICMP_ECHO_REQUEST && f.icmpType !== ICMP_ECHO_REPLY)) return null;
    const mine = f.echoId === m.icmpId || (f.payloadKey !== '' && learned.echoPayloads.has(f.payloadKey));
    if (!mine) return null;
    return f.icmpType === ICMP_ECHO_REQUEST ? 'request' : 'reply';
  }
  if (flow.protocol === 'udp') {
    if (f.proto !== IP_PROTO_UDP || f.dnsId !== m.dnsId) return null;
    return f.dnsResponse ? 'reply' : 'request';
  }
  if (f.proto !== IP_PROTO_TCP) return null;
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

function learn(flow: FlowToObserve, first: LoadedCapture | undefined): Learned {
  const learned: Learned = { echoPayloads: new Set() };
  if (!first) return learned;
  for (const fr of first.frames) {
    const f = fr.inner;
    if (!f) continue;
    if (flow.protocol === 'tcp' && learned.isn === undefined && f.proto === IP_PROTO_TCP && f.sport === flow.match.clientPort) {
      if ((f.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) learned.isn = f.seq;
    }
    if (flow.protocol === 'icmp' && f.proto === IP_PROTO_ICMP && f.icmpType === ICMP_ECHO_REQUEST && f.echoId === flow.match.icmpId) {
      if (f.payloadKey !== '') learned.echoPayloads.add(f.payloadKey);
    }
  }
  return learned;
}

function lastReached(order: PointId[], seenAt: Record<PointId, number>): PointId | null {
  let last: PointId | null = null;
  for (const p of order) if ((seenAt[p] ?? 0) > 0) last = p;
  return last;
}

/**
 * Where each flow's requests, replies and ICMP errors were seen. `captures` holds every capture
 * point of the scenario (not only the flow's path): a packet seen off its path is reported too.
 */
export function observeFlows(captures: Map<PointId, LoadedCapture>, flows: FlowToObserve[]): FlowObservation[] {
  return flows.map((flow) => {
    const learned = learn(flow, captures.get(flow.path[0] ?? ''));
    const req: Record<PointId, number> = {};
    const rep: Record<PointId, number> = {};
    const reqMax: Record<PointId, number> = {};
    const repMax: Record<PointId, number> = {};
    const errors = new Map<string, IcmpErrorObservation>();
    for (const [point, cap] of captures) {
      for (const fr of cap.frames) {
        if (fr.icmpError) {
          const q = fr.icmpError.quoted;
          const about = q ? classify(q, flow, learned) : null;
          if (about) {
            const e = fr.icmpError;
            const key = `${e.type}/${e.code}/${e.src}/${e.dst}/${about}/${e.mtu ?? ''}`;
            let obs = errors.get(key);
            if (!obs) {
              obs = { type: e.type, code: e.code, from: e.src, to: e.dst, ...(e.mtu !== undefined ? { mtu: e.mtu } : {}), about, seenAt: {} };
              errors.set(key, obs);
            }
            obs.seenAt[point] = (obs.seenAt[point] ?? 0) + 1;
          }
          continue;
        }
        if (!fr.inner) continue;
        const d = classify(fr.inner, flow, learned);
        if (d === null) continue;
        const [count, max] = d === 'request' ? [req, reqMax] : [rep, repMax];
        count[point] = (count[point] ?? 0) + 1;
        max[point] = Math.max(max[point] ?? 0, fr.inner.ipLen);
      }
    }
    const first = flow.path[0] ?? '';
    const last = flow.path[flow.path.length - 1] ?? '';
    const sortByPath = (r: Record<PointId, number>): Record<PointId, number> => {
      const order = [...flow.path, ...[...captures.keys()].filter((p) => !flow.path.includes(p))];
      const out: Record<PointId, number> = {};
      for (const p of order) if (r[p] !== undefined) out[p] = r[p]!;
      return out;
    };
    return {
      id: flow.id,
      learned: learned.isn !== undefined ? { tcpIsn: learned.isn } : {},
      requests: { sent: req[first] ?? 0, lastReached: lastReached(flow.path, req), seenAt: sortByPath(req), largestAt: sortByPath(reqMax) },
      replies: { sent: rep[last] ?? 0, lastReached: lastReached([...flow.path].reverse(), rep), seenAt: sortByPath(rep), largestAt: sortByPath(repMax) },
      icmpErrors: [...errors.values()].map((e) => ({ ...e, seenAt: sortByPath(e.seenAt) })),
    };
  });
}

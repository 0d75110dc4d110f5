/**
 * The evidence a verdict rule reads, gathered once per flow: how many requests and replies each
 * capture point saw, where each direction was last seen, the ICMP errors that answer the flow,
 * the points on the path that were not captured, and — on demand — what happened at one step
 * of the path (which packets were lost there, whether the next capture covered their time).
 */
import { missedByCaptures, STOP_UNSURE_NS } from './capture-drops';
import type { CapturePoint, Correlation, Flow, GroupIds, MaskCount, PacketGroups } from '../correlate/correlate';
import { clocksCompare } from '../correlate/clocks';
import { idsWhere } from '../correlate/flows';
import { consumesSequence, TCP_MAX_HEADER } from '../correlate/summary';
import { overlayDevice, type InterfaceRole, type OverlayDevice } from '../protocols/devices';
import { CAPTURE_BUFFER, describeStep, pointName, someOnlyCause, stopsEverything, type Cause } from './causes';
import { leftOutsideTunnel, lostPlainAt } from './outside-tunnel';
import { passingAt, trafficName, type Passing, type StepPoints } from './passing';
import type { IcmpErrorReport } from './types';
import { TCP_ACK, TCP_RST } from '../protocols/numbers';

/** What happened between two consecutive stations of one direction. */
export interface Step {
  from: CapturePoint;
  to: CapturePoint;
  /** Packets (group ids) seen at `from`, never at `to`, while `to`'s capture ran. */
  lost: number[];
  /** Packets seen at `from` when `to`'s capture was not running: no evidence either way. */
  outside: number[];
  /** Packets missing from `to`'s capture that the peer proved it received (TCP acknowledged them, an echo reply answers them): the capture missed them. */
  missed: number[];
  /** Packets missing from `to`'s capture but seen at a station after it: they crossed `to`, and its capture missed them. */
  passedOn: number[];
  /** `to`'s node asked for the packets' destination (ARP, neighbour solicitation) and got no answer. */
  unanswered: { at: string; protocol: 'ARP' | 'ND'; target: string; asked: number }[];
  /** The largest of them (IP length). */
  lostSize: number;
  /** The address they were heading to at `from`; for replies a node un-SNATs, the client's it restores (unSnatted). */
  dst: string;
  /** Some of the missing packets passed `from` while `to`'s capture ran (or nothing is missing). */
  covered: boolean;
  transition: string;
  causes: Cause[];
  /** " (node2/cni0 not captured: the step is somewhere in between)" or "". */
  gapNote: string;
  /** `to`'s file ends before its capture did: packets that crossed it later were seen further on (crossedAfterEnd). */
  toEndedEarly: boolean;
  /**
   * `to`'s file ends on this flow's packet of the other way (a request, for replies), and the
   * packets it lacks came after: they answer what it wrote last, and whether they reached it
   * is not captured.
   */
  toEndsOnCounterpart: boolean;
  /**
   * The lost packets left `from`, a NIC, for another node as themselves, not encapsulated,
   * though the overlay carries their destination (outside-tunnel.ts).
   */
  leftPlain: boolean;
  /** The lost (and the outside) packets' times at `from`, and `to`'s window, corrected, ns since the epoch. */
  lostTimes: number[];
  outsideTimes: number[];
  window: [number, number];
}

export interface Evidence {
  flow: Flow;
  groups: PacketGroups;
  points: CapturePoint[];
  /** "echo requests", "TCP segments", "UDP datagrams"; "echo replies", "replies". */
  what: string;
  replyWhat: string;
  /** The most requests (replies) any station saw. */
  n: number;
  nReplies: number;
  /** Path points that decide where packets stop: every captured one but `-i any`, client first. */
  stations: number[];
  reqAt: number[];
  /** The stations the other way round, for replies. */
  repStations: number[];
  repAt: number[];
  /** Index into stations (repStations) of the last one that saw requests (replies); -1 none. */
  reqLast: number;
  repLast: number;
  icmpErrors: IcmpErrorReport[];
  fragNeeded: IcmpErrorReport | undefined;
  portUnreach: IcmpErrorReport | undefined;
  adminProhibited: IcmpErrorReport | undefined;
  /** ICMP host unreachable (ICMPv6 address unreachable): a router found no link address for the destination. */
  hostUnreach: IcmpErrorReport | undefined;
  /** An ICMP port unreachable that quoted an encapsulated packet: the overlay port is closed. */
  underlayUnreachFrom: string | null;
  notCaptured: { node: string; interface: string; role: InterfaceRole }[];
  /** Pod points that never show one direction of their pod's traffic (blind.ts). */
  blind: Correlation['blind'];
  /** The overlay device at a step, or on the path. */
  overlayIn(a: CapturePoint, b: CapturePoint): OverlayDevice | null;
  /** The k-th step of a direction (memoised). */
  step(dir: 'requests' | 'replies', k: number): Step;
  /**
   * Whether the point masks alone say every packet of the direction seen at station k was seen
   * at station k + 1: then step(dir, k) loses, misses and leaves out nothing. False when they
   * cannot say (no masks, or a packet missing), not "something is missing".
   */
  quiet(dir: 'requests' | 'replies', k: number): boolean;
  /** Other traffic of one direction to the same end that crossed a step of one node where this flow's was lost (passing.ts): `dst` where the lost packets were heading at `from`, `lostNs` the first one's raw time there. */
  passing(s: StepPoints, dir: 'requests' | 'replies', dst: string, lostNs: number): Passing | null;
  /** A point's clock offset: its raw times plus this are comparable across nodes. */
  offset(p: CapturePoint): number;
  /** Why `lost` packets missing from every capture of `points` may be those captures' own misses (capture-drops.ts), or null. */
  missedByCaptures(points: readonly CapturePoint[], lost: number): string | null;
  /** Whether `p`'s capture was recording at some moment of [t0, t1] (corrected times; recordingWhile). */
  recording(p: CapturePoint, t0: number, t1: number): boolean;
}

/**
 * Packets of each direction seen at each point, by the groups' point masks; and, with masks,
 * `gaps[a]` with bit b set when some packet seen at a was not seen at b: a step a → b with that
 * bit clear loses nothing, and is known quiet without walking its packets again.
 */
function tally(ids: GroupIds, masks: readonly MaskCount[], G: PacketGroups, points: number): { counts: Uint32Array; gaps: Int32Array | null } {
  const counts = new Uint32Array(points);
  if (!G.useMasks) {
    for (const g of ids) for (let p = 0; p < points; p++) if (G.seenAt(g, p)) counts[p]!++;
    return { counts, gaps: null };
  }
  // A flow's packets fall into a few kinds by where they were seen (most of them everywhere):
  // each distinct mask was counted (summary.ts), and is spread over its points once.
  const gaps = new Int32Array(points);
  for (const { mask, count } of masks) {
    for (let m = mask, p = 0; m !== 0; m >>>= 1, p++) {
      if (m & 1) {
        counts[p]! += count;
        gaps[p]! |= ~mask;
      }
    }
  }
  return { counts, gaps };
}

export function icmpMeaning(type: number, code: number, v6: boolean): string {
  if (v6) {
    if (type === 1) return code === 4 ? 'port unreachable' : code === 1 ? 'administratively prohibited' : 'destination unreachable';
    if (type === 2) return 'packet too big';
    if (type === 3) return 'hop limit exceeded';
    return `ICMPv6 type ${type} code ${code}`;
  }
  if (type === 3) {
    const codes: Record<number, string> = {
      0: 'network unreachable',
      1: 'host unreachable',
      3: 'port unreachable',
      4: 'fragmentation needed (DF set)',
      9: 'network administratively prohibited',
      10: 'host administratively prohibited',
      13: 'communication administratively prohibited',
    };
    return codes[code] ?? `destination unreachable (code ${code})`;
  }
  if (type === 11) return 'TTL exceeded';
  return `ICMP type ${type} code ${code}`;
}

/** The flow's ICMP errors, folded by sender and kind. */
export function foldIcmpErrors(f: Flow, points: CapturePoint[]): IcmpErrorReport[] {
  if (f.icmpErrors.length === 0) return [];
  const errs = new Map<string, IcmpErrorReport>();
  // One error crosses several capture points on its way back: count it once, as the point
  // that saw the most of them did.
  const perPoint = new Map<string, number>();
  for (const e of f.icmpErrors) {
    const k = `${e.from}|${e.type}|${e.code}`;
    const here = (perPoint.get(`${k}|${e.point}`) ?? 0) + 1;
    perPoint.set(`${k}|${e.point}`, here);
    const r = errs.get(k);
    if (r) r.count = Math.max(r.count, here);
    else errs.set(k, { at: pointName(points[e.point]!), from: e.from, type: e.type, code: e.code, meaning: icmpMeaning(e.type, e.code, f.client.includes(':')), mtu: e.mtu, count: 1, ...(e.quoteCut ? { quoteCut: true } : {}) });
  }
  return [...errs.values()];
}

/** What a report says after an ICMP error whose quote was cut (empty for a whole one). */
export function quoteCutNote(e: Pick<IcmpErrorReport, 'quoteCut'>): string {
  return e.quoteCut ? ' (its quote cut by the snap length: matched by the address it was sent to, its MTU and the time)' : '';
}

/** The roles each node (host) has a capture of, per set of points (one correlation's). */
const rolesCache = new WeakMap<CapturePoint[], Map<string, Set<InterfaceRole>>>();
function nodeRoles(points: CapturePoint[]): Map<string, Set<InterfaceRole>> {
  let m = rolesCache.get(points);
  if (!m) {
    m = new Map();
    for (const p of points) {
      let r = m.get(p.host);
      if (!r) m.set(p.host, (r = new Set()));
      r.add(p.role);
    }
    rolesCache.set(points, m);
  }
  return m;
}

/** Kinds of point the flow crossed on one node that another of its nodes has no capture of. */
export function inferUncaptured(f: Flow, G: PacketGroups, points: CapturePoint[]): Evidence['notCaptured'] {
  const nodes = [...new Set(f.path.map((p) => points[p]!.host))];
  if (nodes.length < 2) return [];
  const seen = (id: number) => seenAtAll(f, G, id);
  // Roles the flow was seen crossing (not pod veths: pods differ per node; not any).
  const crossed = f.path.map((p) => points[p]!).filter((p) => (p.role === 'bridge' || p.role === 'overlay' || p.role === 'nic') && seen(p.id));
  const roles = nodeRoles(points);
  const out: Evidence['notCaptured'] = [];
  for (const node of nodes) {
    const mine = roles.get(node)!;
    // A node with no bridge or overlay capture of its own is an outside host: nothing to infer.
    if (!mine.has('bridge') && !mine.has('overlay') && !mine.has('pod')) continue;
    for (const other of crossed) {
      if (other.host === node || mine.has(other.role)) continue;
      if (!out.some((o) => o.node === node && o.interface === other.interface)) out.push({ node, interface: other.interface, role: other.role });
    }
  }
  return out;
}

const lastSeen = (xs: number[]) => xs.reduce((k, n, i) => (n > 0 ? i : k), -1);

/** Whether any packet of the flow, either way, was seen at point p: the flow's mask says, where masks are kept. */
function seenAtAll(f: Flow, G: PacketGroups, p: number): boolean {
  const mask = f.summary.seenMask;
  return mask !== -1 && p < 31 ? (mask & (1 << p)) !== 0 : f.groups.some((g) => G.seenAt(g, p));
}

/**
 * Whether point p cut tunnel packets before their inner packet (tcpdump -s 68 on a NIC carrying
 * VXLAN) and shows nothing of the flow: it cannot show a flow inside the tunnel, so it gives no
 * evidence either way (not a station; a hop drawn as cut).
 */
export function cutBeforeInner(f: Flow, c: Correlation, p: number): boolean {
  return c.points[p]!.innerCut > 0 && !seenAtAll(f, c.groups, p);
}

/**
 * The points that decide where one direction of a flow stops, in the order its packets cross
 * them: the path's points but `-i any` ones, those blind that way (blind.ts), and those cut before
 * the tunnel's inner packet that show nothing of the flow (cutBeforeInner). A pod
 * point on the path is the client's (its own address, before any SNAT) or the server's
 * (whatever DNAT made of the address the client dialled).
 */
export function stationsOf(f: Flow, c: Correlation, dir: 'requests' | 'replies'): number[] {
  const pts = c.points;
  const blindFor = (p: number) => {
    const b = c.blind.find((x) => x.point === p);
    // Not proven blind: still a station, where rules.ts's replies-stop-at-silent-pod speaks.
    if (!b?.proven) return false;
    const clientPod = pts[p]!.podIps.includes(f.client);
    // Towards the pod: requests to the server's pod, replies to the client's.
    const towards = dir === 'requests' ? !clientPod : clientPod;
    return b.towardsPod === towards;
  };
  const out = f.path.filter((p) => pts[p]!.role !== 'any' && (c.blind.length === 0 || !blindFor(p)) && !cutBeforeInner(f, c, p));
  return dir === 'requests' ? out : out.reverse();
}

export function gatherEvidence(f: Flow, c: Correlation, offset: (p: CapturePoint) => number): Evidence {
  const pts = c.points;
  const G = c.groups;
  const reqTally = tally(f.requests, f.summary.requestMasks, G, pts.length);
  const repTally = tally(f.replies, f.summary.replyMasks, G, pts.length);
  const reqCounts = reqTally.counts;
  const repCounts = repTally.counts;
  const stations = stationsOf(f, c, 'requests');
  const repStations = stationsOf(f, c, 'replies');
  const reqAt = stations.map((p) => reqCounts[p]!);
  const repAt = repStations.map((p) => repCounts[p]!);
  const icmpErrors = foldIcmpErrors(f, pts);
  // ICMPv6 errors for IPv6 flows, ICMP errors for IPv4 flows, whatever the flow's protocol.
  const v6 = f.client.includes(':');
  const icmp = f.protocol === 'icmp' || f.protocol === 'icmpv6';
  const notCaptured = inferUncaptured(f, G, pts);
  const onPath = stations.map((s) => pts[s]!).find((x) => x.role === 'overlay');
  const overlayIn = (a: CapturePoint, b: CapturePoint) =>
    a.role === 'overlay' ? overlayDevice(a.interface) : b.role === 'overlay' ? overlayDevice(b.interface) : onPath ? overlayDevice(onPath.interface) : null;
  const ev: Evidence = {
    flow: f,
    groups: G,
    points: pts,
    what: icmp ? 'echo requests' : f.protocol === 'tcp' ? 'TCP segments' : 'UDP datagrams',
    replyWhat: icmp ? 'echo replies' : 'replies',
    n: Math.max(0, ...reqAt),
    nReplies: Math.max(0, ...repAt),
    stations,
    reqAt,
    repStations,
    repAt,
    reqLast: lastSeen(reqAt),
    repLast: lastSeen(repAt),
    icmpErrors,
    fragNeeded: icmpErrors.find((e) => (v6 ? e.type === 2 : e.type === 3 && e.code === 4)),
    portUnreach: icmpErrors.find((e) => (v6 ? e.type === 1 && e.code === 4 : e.type === 3 && e.code === 3)),
    adminProhibited: icmpErrors.find((e) => (v6 ? e.type === 1 && e.code === 1 : e.type === 3 && (e.code === 9 || e.code === 10 || e.code === 13))),
    hostUnreach: icmpErrors.find((e) => (v6 ? e.type === 1 && e.code === 3 : e.type === 3 && e.code === 1)),
    underlayUnreachFrom: f.icmpErrors.find((e) => e.quotedUnderlay && e.type === 3 && e.code === 3)?.from ?? null,
    notCaptured,
    blind: c.blind,
    overlayIn,
    passing: (step, dir, dst, lostNs) => passingAt(f, c, step, dir, dst, lostNs),
    offset,
    missedByCaptures: (points, lost) => missedByCaptures(c, points, lost),
    recording: (p, t0, t1) => recordingWhile(c, p, offset, t0, t1),
    step: () => {
      throw new Error('unreachable');
    },
    quiet: (dir, k) => {
      const gaps = (dir === 'requests' ? reqTally : repTally).gaps;
      const order = dir === 'requests' ? stations : repStations;
      return gaps !== null && ((gaps[order[k]!]! >>> order[k + 1]!) & 1) === 0;
    },
  };
  const memo = new Map<number, Step>();
  ev.step = (dir, k) => {
    const key = dir === 'requests' ? k : ~k;
    let s = memo.get(key);
    if (!s) memo.set(key, (s = computeStep(ev, dir, k, c, offset)));
    return s;
  };
  return ev;
}

/**
 * TCP segments missing at `to` whose bytes a segment seen there carries, merged into the piece
 * before them: the receiving side coalesced them (GRO/LRO) before the capture point, as Linux
 * does on a NIC or a veth. They were delivered, not lost. The rest are returned.
 */
function notCoalesced(missing: number[], groups: GroupIds, from: number, to: number, G: PacketGroups, headers: number): number[] {
  if (missing.length === 0) return missing;
  const spans: [number, number][] = [];
  for (const g of groups) {
    const i = G.seenAt(g, to) ? G.sightingAt(g, to) : -1;
    const j = G.seenAt(g, from) ? G.sightingAt(g, from) : -1;
    // Coalesced: the same segment (its first piece) is longer at `to` than at `from`. A
    // retransmission that re-cut the data is not: it proves nothing of the lost piece.
    if (i >= 0 && j >= 0 && G.store.ipLen[i]! > G.store.ipLen[j]!) spans.push([G.seq[g]!, G.store.ipLen[i]! - headers]);
  }
  if (spans.length === 0) return missing;
  // The IP length less the smallest IP and TCP headers bounds the payload from above: a
  // segment that starts inside [seq, seq + payload) is covered.
  return missing.filter((g) => !spans.some(([seq, len]) => ((G.seq[g]! - seq) >>> 0) > 0 && ((G.seq[g]! - seq) >>> 0) < len));
}

/** A neighbour lookup this close to the lost packets (either side) is about them. */
const LOOKUP_WINDOW_NS = 5e9;

/** Lookups on `to`'s node for `dst` that nobody answered, around the times the packets passed. */
function unansweredLookups(c: Correlation, from: CapturePoint, to: CapturePoint, dst: string, times: number[], offset: (p: CapturePoint) => number): Step['unanswered'] {
  const ok = times.filter((t) => !Number.isNaN(t));
  if (ok.length === 0) return [];
  const lo = Math.min(...ok) - LOOKUP_WINDOW_NS;
  const hi = Math.max(...ok) + LOOKUP_WINDOW_NS;
  const out: Step['unanswered'] = [];
  for (const n of c.neighbours) {
    const p = c.points[n.point]!;
    if (p.host !== to.host || n.target !== dst || n.asked === 0 || n.answered > 0) continue;
    // Across nodes the packets never reached `to`'s node: only its asking for a pod of its own
    // (on its bridge or a pod's device) can be where they were headed, never its NIC asking for
    // another node's address.
    if (from.host !== to.host && p.role !== 'bridge' && p.role !== 'pod') continue;
    const first = n.firstNs + offset(p);
    const last = n.lastNs + offset(p);
    if (Number.isNaN(first) || (last >= lo && first <= hi)) out.push({ at: pointName(p), protocol: n.protocol, target: n.target, asked: n.asked });
  }
  return out;
}

/**
 * TCP segments among `missing` that got through all the same: the peer acknowledged them. A
 * segment that carries data (or a SYN or FIN), was never resent (no other packet of its
 * direction has its sequence number), and whose first byte a packet of the other direction
 * acknowledges, reached the peer, so it crossed every point on the way: a capture that does
 * not hold it missed it (tcpdump -i any drops copies when its ring buffer fills). A dropped
 * segment is never acknowledged without a retransmission.
 */
function acknowledged(missing: number[], same: GroupIds, other: GroupIds, G: PacketGroups, ipHeader: number): number[] {
  if (missing.length === 0) return missing;
  const consumes = (g: number) => consumesSequence(G, g, ipHeader);
  return missing.filter((g) => {
    const s = G.seq[g]!;
    if (!consumes(g)) return false;
    if (same.some((h) => h !== g && G.seq[h] === s && consumes(h))) return false;
    return other.some((h) => acksPast(G, h, s, 1));
  });
}

/**
 * Whether packet h acknowledges at least `bytes` bytes from sequence number `seq` on (32-bit
 * wrap-around taken into account). Not a RST's acknowledgment: iptables' REJECT acknowledges
 * the SYN it refuses in the peer's name.
 */
export function acksPast(G: PacketGroups, h: number, seq: number, bytes: number): boolean {
  const d = (G.ack[h]! - seq) >>> 0;
  return (G.tcpFlags[h]! & (TCP_ACK | TCP_RST)) === TCP_ACK && d >= Math.max(1, bytes) && d < 0x40000000;
}

/**
 * Echo requests among `missing` that got through all the same: an echo reply with the same
 * sequence number is in the captures, so the request reached the host that answers, crossing
 * every point on its way (tcpdump -i any drops copies when its ring buffer fills; a capture
 * blind towards its pod never shows it). Only a sequence number one request carries: two
 * requests with one number (two pings with one identifier) cannot say which was answered.
 */
function answeredEchoes(missing: number[], same: GroupIds, replies: GroupIds, G: PacketGroups): number[] {
  if (missing.length === 0 || replies.length === 0) return [];
  const seqs = new Set<number>();
  for (const h of replies) seqs.add(G.seq[h]!);
  return missing.filter((g) => {
    const s = G.seq[g]!;
    return seqs.has(s) && !same.some((h) => h !== g && G.seq[h] === s);
  });
}

/**
 * UDP requests among `missing` that the server answered: a reply of the flow came after the
 * request and before the flow's next request (clocks corrected), so the server had it, and it
 * crossed every point on its way there. A request resent after a loss is not: the reply comes
 * after the resent one.
 */
function answeredDatagrams(ev: Evidence, missing: number[]): number[] {
  if (missing.length === 0 || ev.flow.replies.length === 0) return [];
  const requests = Array.from(ev.flow.requests, (g) => seenTime(ev, g)).sort((a, b) => a - b);
  const replies = Array.from(ev.flow.replies, (g) => seenTime(ev, g));
  return missing.filter((g) => {
    const t = seenTime(ev, g);
    const next = requests.find((u) => u > t) ?? Infinity;
    return replies.some((r) => r > t && r < next);
  });
}

/**
 * How far outside a capture's window a packet still counts as inside it: what the corrected
 * clocks of two nodes may still disagree by (one-way delay taken as zero), and the
 * microseconds between two points of one node.
 */
const CLOCK_MARGIN_NS = 10e6;
const SAME_NODE_MARGIN_NS = 1e5;
/**
 * A capture's last packet is not when it stopped: tcpdump runs on in silence until it is
 * stopped, and silence is exactly what a drop looks like. A packet that came within this long
 * after the last one counts as inside the window; one that came later is not evidence. Where
 * the stop is known (a kit's manifest, a pcapng's statistics) the window ends there, no later.
 */
const TAIL_GRACE_NS = 1e9;
/**
 * Whether `to` was following this direction of the flow (STREAM_SEEN packets or more) and its
 * last packet is one of the flow's: the stream stopping where the capture ends. Where `to`'s node
 * had its captures taken one after another, or in `from`'s last seconds (STOP_UNSURE_NS), that is
 * the capture being stopped, and silence proves nothing. Elsewhere a capture that goes quiet ran
 * on: packets missing after its last are lost.
 */
const OWN_LAST_NS = 10e6;
const STREAM_SEEN = 3;

function endsOnStream(ev: Evidence, to: CapturePoint, groups: GroupIds): boolean {
  const G = ev.groups;
  let seen = 0;
  for (const g of groups) if (G.seenAt(g, to.id)) seen++;
  if (seen < STREAM_SEEN) return false;
  return endsOn(ev, to, ev.flow.requests) || endsOn(ev, to, ev.flow.replies);
}

/** Whether one of `groups` is among `to`'s last packets (OWN_LAST_NS). */
function endsOn(ev: Evidence, to: CapturePoint, groups: GroupIds): boolean {
  const G = ev.groups;
  const st = G.store;
  for (const g of groups) {
    if (!G.seenAt(g, to.id)) continue;
    const i = G.sightingAt(g, to.id);
    if (i >= 0 && to.lastNs - st.tNs[i]! < OWN_LAST_NS) return true;
  }
  return false;
}

/**
 * Packets that prove a file ends before its capture did: two, so that one odd packet (a path
 * that changed, a packet sent twice) cannot decide it.
 */
const ENDED_EARLY_PROOF = 2;
/** By correlation, then by the clock offsets used: point id → packets counted. */
const crossedCache = new WeakMap<Correlation, WeakMap<(p: CapturePoint) => number, Map<number, number>>>();

/**
 * How many packets crossed point `p` after its file's last one, counted up to ENDED_EARLY_PROOF.
 * One counts when all of these hold:
 * - `p` recorded other packets of the same flow and direction: the flow's way really crosses it
 *   (a point is on a path by its role too, and a flow routed past it, or a capture filter that
 *   left it out, would otherwise look like a file that stopped); or the way starts at the
 *   sending pod's own interface on `p`'s node and reaches `p` without leaving it: the pod's
 *   packets cross its only wire, and its node's devices on their way out;
 * - the packet was seen before `p` on that way, or `p` is where the way starts: it came from
 *   the side of `p` it had to cross from (a TCP reset made by a REJECT rule past `p` was not);
 *   where the way starts at a pod's interface, the pod sent it through there, and one such
 *   packet is proof enough; so is one no capture of `p`'s node holds, where the way starts
 *   inside that node (a pod's interface, its bridge or overlay device: not a NIC) and reaches
 *   `p` without leaving it: a pod or the node sent it, and it crossed `p` on its way out (the
 *   node's captures all stopped before it, as one script stops them);
 * - it was seen past `p`, more than CLOCK_MARGIN_NS after `p`'s last packet (SAME_NODE_MARGIN_NS
 *   at a point of `p`'s own node, one clock; the margin also keeps a packet whose copy at `p` the
 *   snap length cut, unmatched, from counting), and never at `p`.
 * A plain `tcpdump -w` stopped by a signal never writes the buffer block the kernel still holds
 * (up to 2 s of packets), so its file can end seconds before the capture did; a capture stopped
 * before the others ends early too. Either way silence after the file's end is not evidence.
 * A packet dropped before `p` is seen past it nowhere, so a drop cannot make this proof.
 * Worked out only for a point a step needs it for, once per correlation and clock offsets.
 */
export function crossedAfterEnd(c: Correlation, p: CapturePoint, offset: (p: CapturePoint) => number): number {
  let byOffset = crossedCache.get(c);
  if (!byOffset) crossedCache.set(c, (byOffset = new WeakMap()));
  let known = byOffset.get(offset);
  if (!known) byOffset.set(offset, (known = new Map()));
  let n = known.get(p.id);
  if (n !== undefined) return n;
  // The interfaces of one `-i any` file stop writing together, when the file does: a packet that
  // crossed any of them after the file's last one proves the end of all (the pod's own veth, say,
  // where its request to the outside starts, for the NIC it left by).
  // Not a pcapng's interfaces: mergecap joins captures that stopped apart.
  const siblings = c.points.filter((q) => q === p || oneTcpdumpAny(p, q));
  const end = siblings.reduce((m, q) => Math.max(m, q.lastNs + offset(q)), -Infinity);
  n = 0;
  for (const q of siblings) if ((n += crossedSince(c, q, end, offset, ENDED_EARLY_PROOF - n)) >= ENDED_EARLY_PROOF) break;
  for (const q of siblings) known.set(q.id, n);
  return n;
}

/** crossedAfterEnd's count at one point `p` whose file ended at `end` (corrected), up to `need`. */
function crossedSince(c: Correlation, p: CapturePoint, end: number, offset: (p: CapturePoint) => number, need: number): number {
  let n = 0;
  const G = c.groups;
  const st = G.store;
  const comparable = (q: CapturePoint) => clocksCompare(c.clocks, q.host, p.host);
  for (const f of c.flows) {
    if (!f.path.includes(p.id)) continue;
    for (const dir of ['requests', 'replies'] as const) {
      const order = stationsOf(f, c, dir);
      const k = order.indexOf(p.id);
      if (k < 0 || k === order.length - 1) continue;
      const groups = f[dir];
      // The way starts inside p's node (a pod's interface, its bridge or overlay device, not a
      // NIC something from outside comes in by) and stays on it up to p: what a pod or the node
      // sent crossed p on its way out, though none of the node's captures holds it (they may
      // all have stopped together, as one script stops them).
      const start = c.points[order[0]!]!;
      const onNode = order.slice(0, k + 1).every((id) => c.points[id]!.host === p.host);
      const fromInside = k > 0 && (start.role === 'pod' || start.role === 'bridge' || start.role === 'overlay') && onNode;
      // Where it starts at the sending pod's own interface, that pod's packets crossed every
      // point up to p, whether or not any capture there holds one of the flow.
      const fromOwnPod = onNode && start.role === 'pod' && start.podIps.includes(dir === 'requests' ? f.client : f.server);
      if (!fromOwnPod && !groups.some((g) => G.seenAt(g, p.id))) continue;
      for (const g of groups) {
        if (G.seenAt(g, p.id)) continue;
        const unseenOnNode = k > 0 && !seenBefore(G, g, order, k);
        if (unseenOnNode && !(fromInside && !seenOnHost(c, g, p.host))) continue;
        // Its first sighting past `p` on the way.
        for (let j = k + 1; j < order.length; j++) {
          const q = c.points[order[j]!]!;
          if (!G.seenAt(g, q.id)) continue;
          const i = G.sightingAt(g, q.id);
          // On p's node a packet reaches q microseconds after p: past that it crossed p after p's end.
          const margin = q.host === p.host ? SAME_NODE_MARGIN_NS : CLOCK_MARGIN_NS;
          if (!(i >= 0 && comparable(q) && st.tNs[i]! + offset(q) > end + margin)) break;
          // Where the way starts at a pod's own interface, the pod sent the packet through it, and
          // on through `p` where nothing of the node holds it: one is proof.
          n += (k === 0 && p.role === 'pod') || unseenOnNode ? ENDED_EARLY_PROOF : 1;
          if (n >= need) return n;
          break;
        }
      }
    }
  }
  return n;
}

/** By correlation, then point id: lastPacketOnward's answer. */
const onwardCache = new WeakMap<Correlation, Map<number, Map<string, number>>>();

/**
 * Where point `p`'s last packet went after crossing it: for each other node its way reached,
 * the earliest raw time it was seen there. A packet that passed such a node after that moment,
 * on its way to `p`, came to `p` after `p`'s last packet, whatever the two clocks say (the
 * request a capture cut short recorded last, and the reply it drew). Worked out only for a
 * point a step needs it for, once per correlation.
 */
export function lastPacketOnward(c: Correlation, p: CapturePoint): Map<string, number> {
  let byPoint = onwardCache.get(c);
  if (!byPoint) onwardCache.set(c, (byPoint = new Map()));
  let onward = byPoint.get(p.id);
  if (onward) return onward;
  onward = new Map();
  byPoint.set(p.id, onward);
  const G = c.groups;
  const st = G.store;
  const last = new Set<number>();
  // Its own packet only: a last packet the walk does not keep (ARP) leaves nothing to go by.
  for (let i = 0; i < st.n; i++) if (st.point[i] === p.id && st.tNs[i] === p.lastNs) last.add(st.group[i]!);
  if (last.size === 0) return onward;
  for (const f of c.flows) {
    for (const dir of ['requests', 'replies'] as const) {
      const groups = f[dir];
      let mine: number[] | null = null;
      for (const g of groups) if (last.has(g)) (mine ??= []).push(g);
      if (!mine) continue;
      const order = stationsOf(f, c, dir);
      const k = order.indexOf(p.id);
      if (k < 0) continue;
      for (const g of mine) {
        for (let j = k + 1; j < order.length; j++) {
          const q = c.points[order[j]!]!;
          if (q.host === p.host || !G.seenAt(g, q.id)) continue;
          const t = st.tNs[G.sightingAt(g, q.id)]!;
          if (!(onward.get(q.host)! <= t)) onward.set(q.host, t);
        }
      }
    }
  }
  return onward;
}

/** `ids` split by `test` in one pass, each part in the order given: those it holds for, then the rest. */
function partition(ids: readonly number[], test: (g: number) => boolean): [number[], number[]] {
  const yes: number[] = [];
  const no: number[] = [];
  for (const g of ids) (test(g) ? yes : no).push(g);
  return [yes, no];
}

/** Whether group g was seen at a station of `order` after the k-th. */
function seenBeyond(G: PacketGroups, g: number, order: readonly number[], k: number): boolean {
  for (let j = k + 1; j < order.length; j++) if (G.seenAt(g, order[j]!)) return true;
  return false;
}

/** Whether group g was seen at any point of `host`, stations or not (`-i any`). */
function seenOnHost(c: Correlation, g: number, host: string): boolean {
  return c.points.some((q) => q.host === host && c.groups.seenAt(g, q.id));
}

/** Whether group g was seen at one of the first k stations of `order`. */
function seenBefore(G: PacketGroups, g: number, order: number[], k: number): boolean {
  for (let j = 0; j < k; j++) if (G.seenAt(g, order[j]!)) return true;
  return false;
}

/** Whether `p`'s file is proven to end before its capture did (crossedAfterEnd). */
function endedEarly(c: Correlation, p: CapturePoint, offset: (p: CapturePoint) => number): boolean {
  return crossedAfterEnd(c, p, offset) >= ENDED_EARLY_PROOF;
}

/**
 * Where `p`'s capture is known to have stopped writing at its file's last packet: its stop is
 * known (a kit's manifest, a pcapng's statistics), or its file is proven to end early. No tail
 * grace runs past such an end, for a step's window and for recordingWhile alike.
 */
function endKnown(c: Correlation, p: CapturePoint, offset: (p: CapturePoint) => number): boolean {
  return p.stopKnown || endedEarly(c, p, offset);
}

/**
 * Whether point `p`'s capture was recording at some moment of [t0, t1] (corrected times, ns
 * since the epoch, comparable with `p`'s), by the window a step judges by: CLOCK_MARGIN_NS
 * either side, and past the file's last packet the tail grace, none where the stop is known or
 * the file ended early (crossedAfterEnd). An empty capture, and one without times, is taken to
 * have recorded: this says "not recording" only where the times prove it.
 */
export function recordingWhile(c: Correlation, p: CapturePoint, offset: (p: CapturePoint) => number, t0: number, t1: number): boolean {
  if (p.packets === 0) return true;
  const w0 = p.firstNs + offset(p);
  const w1 = p.lastNs + offset(p);
  if (Number.isNaN(w0) || Number.isNaN(w1) || !(t0 <= t1)) return true;
  if (t1 < w0 - CLOCK_MARGIN_NS) return false;
  if (t0 <= w1 + CLOCK_MARGIN_NS) return true;
  return !endKnown(c, p, offset) && t0 <= w1 + CLOCK_MARGIN_NS + TAIL_GRACE_NS;
}

/**
 * The earliest time (corrected) any request of the flow was seen at a station, and the latest
 * end of the captures at `points` (their last packet, or their known stop): how long after the
 * flow's first request those captures could still have shown an answer. NaN without times.
 */
export function watchedAfterRequest(ev: Evidence, points: readonly number[]): number {
  const G = ev.groups;
  const st = G.store;
  const stations = new Set(ev.stations);
  let first = Infinity;
  for (const g of ev.flow.requests) {
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      if (!stations.has(st.point[i]!)) continue;
      const t = st.tNs[i]! + ev.offset(ev.points[st.point[i]!]!);
      if (t < first) first = t;
    }
  }
  let end = -Infinity;
  for (const p of points) {
    const pt = ev.points[p]!;
    if (pt.packets === 0) return Infinity;
    end = Math.max(end, pt.lastNs + ev.offset(pt));
  }
  return first === Infinity || end === -Infinity ? NaN : end - first;
}

/**
 * When group g was first seen, clocks corrected: the earliest of its sightings. (The group's
 * `first` is the raw earliest: comparing it across nodes adds their clock offsets.)
 */
export function seenTime(ev: Evidence, g: number): number {
  const G = ev.groups;
  const st = G.store;
  let t = Infinity;
  for (let k = G.from(g), e = G.to(g); k < e; k++) {
    const i = st.order[k]!;
    t = Math.min(t, st.tNs[i]! + ev.offset(ev.points[st.point[i]!]!));
  }
  return t;
}

/**
 * Requests of the flow seen further on `p`'s node (never at an `-i any` point) while `p`'s
 * capture was recording: sent by `p`'s own pod, each crossed `p` first. How many, where `p`
 * holds none of the flow's requests (its capture missed them); 0 where it holds any.
 */
export function ownRequestsMissed(ev: Evidence, p: CapturePoint): number {
  const k = ev.stations.indexOf(p.id);
  if (k < 0 || ev.reqAt[k] !== 0) return 0;
  const G = ev.groups;
  const st = G.store;
  let missed = 0;
  for (const g of ev.flow.requests) {
    let t = Infinity;
    for (let j = G.from(g), e = G.to(g); j < e; j++) {
      const i = st.order[j]!;
      const q = ev.points[st.point[i]!]!;
      if (q.host === p.host && q.id !== p.id && q.role !== 'any') t = Math.min(t, st.tNs[i]! + ev.offset(q));
    }
    if (t < Infinity && ev.recording(p, t, t)) missed++;
  }
  return missed;
}

/** unansweredEchoes' marks by sequence number, each the turn of the call that set it (256 KB each, once, not per flow). */
const ECHO_SCRATCH = { turn: 0, answered: new Int32Array(0x10000), once: new Int32Array(0x10000), twice: new Int32Array(0x10000) };

/**
 * Echo requests no echo reply answers (none carries their sequence number, which no other
 * request carries), each while a capture where replies are seen was recording, and went on
 * recording long enough to show its reply: it holds a reply of the flow from later on, or ran
 * REPLY_WAIT_NS past the request. A capture taken before or after it (one after another, or
 * stopped early) is no witness.
 */
export function unansweredEchoes(ev: Evidence): number[] {
  const G = ev.groups;
  const st = G.store;
  // Echo sequence numbers are 16 bits. Per number, stamped with this call's turn (nothing to
  // clear after): whether a reply carries it, and whether one request or more does.
  const turn = (ECHO_SCRATCH.turn = (ECHO_SCRATCH.turn + 1) | 0);
  const { answered, once, twice } = ECHO_SCRATCH;
  const seq = G.seq;
  for (const h of ev.flow.replies) answered[seq[h]! & 0xffff] = turn;
  const open: number[] = [];
  for (const g of ev.flow.requests) {
    const s = seq[g]! & 0xffff;
    if (once[s] === turn) twice[s] = turn;
    else once[s] = turn;
  }
  for (const g of ev.flow.requests) {
    const s = seq[g]! & 0xffff;
    if (answered[s] !== turn && twice[s] !== turn) open.push(g);
  }
  if (open.length === 0) return [];
  // Each reply station's window (corrected) and the latest reply it holds.
  const witnesses = ev.repStations.map((p) => {
    const pt = ev.points[p]!;
    // Replies are in the order first seen: the last one this station holds is near the end.
    let lastReply = -Infinity;
    const replies = ev.flow.replies;
    for (let k = replies.length - 1; k >= 0; k--) {
      const i = G.seenAt(replies[k]!, p) ? G.sightingAt(replies[k]!, p) : -1;
      if (i >= 0) {
        lastReply = st.tNs[i]! + ev.offset(pt);
        break;
      }
    }
    return { first: pt.firstNs + ev.offset(pt), last: pt.lastNs + ev.offset(pt), lastReply };
  });
  return open.filter((g) => {
    const t = seenTime(ev, g);
    return witnesses.some((w) => w.first <= t && (t + REPLY_WAIT_NS <= w.last || w.lastReply > t));
  });
}

/**
 * TCP bytes the server sent and the client never received: a server segment in the captures
 * starts past the client's acknowledgment in its last segment, which came more than
 * REPLY_WAIT_NS after it (acknowledgments are cumulative and never go back). The segment
 * furthest on, how many bytes lie before it, and the captured segment that holds the byte
 * acknowledged next (null: that byte was seen nowhere); null when the client has them all.
 */
export function unacknowledgedData(ev: Evidence): { seq: number; ack: number; bytes: number; at: number; lastAt: number; held: number | null } | null {
  const G = ev.groups;
  const f = ev.flow;
  // Most flows: the client acknowledged the server's furthest segment (summary.ts found both).
  const { furthestAck, furthestSeq } = f.summary;
  if (furthestAck < 0 || furthestSeq < 0) return null;
  const beyond = (G.seq[furthestSeq]! - G.ack[furthestAck]!) >>> 0;
  if (beyond === 0 || beyond >= 0x40000000) return null;
  // Acknowledgments never go back: the client's furthest is its last one. Its latest segment
  // is its last group (a flow's groups are in the order first seen).
  // The server's furthest segment is the one furthest past that acknowledgment.
  const ack = G.ack[furthestAck]!;
  const far = furthestSeq;
  const latest = f.requests[f.requests.length - 1]!;
  const ipHeader = f.client.includes(':') ? 40 : 20;
  const at = seenTime(ev, far);
  const lastAt = seenTime(ev, latest);
  if (!(at + REPLY_WAIT_NS <= lastAt)) return null;
  // The captured segment holding the next byte, if any: then it was seen, and lost after the
  // last point that saw it. Its payload is taken as short as it can be (the longest TCP
  // header), so a segment that ends where the acknowledgment stops does not hold the byte after.
  const holds = (g: number) => G.seq[g] === ack || ((ack - G.seq[g]!) >>> 0) < G.ipLen[g]! - ipHeader - TCP_MAX_HEADER;
  const held = f.replies.find((g) => consumesSequence(G, g, ipHeader) && holds(g)) ?? null;
  return { seq: G.seq[far]!, ack, bytes: beyond, at, lastAt, held };
}

/**
 * Two points split from one `tcpdump -i any` file (by interface index, or SLL v1's forms): one
 * ring buffer holds a copy of each packet per interface it crosses, and a burst that fills it
 * drops copies the kernel delivered. Two interfaces of a pcapng (dumpcap -i a -i b) are two
 * captures, each with its own buffer.
 */
export function oneTcpdumpAny(a: CapturePoint, b: CapturePoint): boolean {
  return a.file === b.file && a.interfaceId === b.interfaceId && (a.interfaceId < 0 || (a.fromAny === true && b.fromAny === true));
}

/** How long a capture must still run after a request for the silence after it to say "no reply". */
export const REPLY_WAIT_NS = TAIL_GRACE_NS;

const NONE: readonly number[] = Object.freeze([]);

/**
 * Replies to a client this node SNATed between `to` and `from` (its requests left `from` with
 * another source than they had at `to`): conntrack undoes the SNAT as the replies arrive, before
 * routing and the FORWARD chain, so those see the client's address, not the node's own one the
 * replies carry at `from`. Else the address they carry at `from`.
 */
function unSnatted(ev: Evidence, from: CapturePoint, to: CapturePoint, dstAt: string): string {
  if (from.host !== to.host) return dstAt;
  const G = ev.groups;
  const st = G.store;
  for (const g of ev.flow.requests) {
    const inside = G.sightingAt(g, to.id);
    const outside = G.sightingAt(g, from.id);
    if (inside < 0 || outside < 0) continue;
    return st.src[inside] !== st.src[outside] && st.addrs.text[st.src[outside]!] === dstAt ? st.addrs.text[st.src[inside]!]! : dstAt;
  }
  return dstAt;
}

/** Where a direction's packets head: the server for requests, the client for replies (before any NAT). */
const headingTo = (f: Flow, dir: 'requests' | 'replies') => (dir === 'replies' ? f.client : f.server);

/** What a step means and its likely causes, from the devices on either side. */
function stepMeaning(
  ev: Evidence,
  s: StepPoints,
  dst: string,
  dir: 'requests' | 'replies',
  lost: { size: number; firstNs: number; leftPlain: boolean; plainAtNic: boolean } = { size: 0, firstNs: NaN, leftPlain: false, plainAtNic: false },
): { transition: string; causes: Cause[] } {
  const { from, to } = s;
  const f = ev.flow;
  const passing = ev.passing(s, dir, dst, lost.firstNs);
  return describeStep({
    from, to, dst, lostSize: lost.size, overlay: ev.overlayIn(from, to), overlayPortUnreachableFrom: ev.underlayUnreachFrom, passing,
    traffic: trafficName(f), client: f.client, replies: dir === 'replies', leftPlain: lost.leftPlain, plainAtNic: lost.plainAtNic,
  });
}

/** A step where every packet seen at `from` was seen at `to`: what it would mean is worked out only if asked. */
class QuietStep implements Step {
  readonly lost = NONE as number[];
  readonly outside = NONE as number[];
  readonly missed = NONE as number[];
  readonly passedOn = NONE as number[];
  readonly unanswered: Step['unanswered'] = [];
  readonly lostSize = 0;
  readonly covered = true;
  readonly gapNote = '';
  readonly lostTimes = NONE as number[];
  readonly outsideTimes = NONE as number[];
  readonly window: [number, number] = [NaN, NaN];
  readonly toEndedEarly = false;
  readonly toEndsOnCounterpart = false;
  readonly leftPlain = false;
  readonly dst: string;
  private d: { transition: string; causes: Cause[] } | null = null;
  constructor(
    private readonly ev: Evidence,
    readonly from: CapturePoint,
    readonly to: CapturePoint,
    private readonly dir: 'requests' | 'replies',
  ) {
    this.dst = headingTo(ev.flow, dir);
  }
  private described() {
    return (this.d ??= stepMeaning(this.ev, { before: null, from: this.from, to: this.to }, this.dst, this.dir));
  }
  get transition() {
    return this.described().transition;
  }
  get causes() {
    return this.described().causes;
  }
}

/** One step of a direction: the way, and the points at either end of the step. */
interface StepPlace {
  dir: 'requests' | 'replies';
  k: number;
  /** The way's stations, in the order its packets cross them. */
  order: readonly number[];
  groups: GroupIds;
  from: CapturePoint;
  to: CapturePoint;
}

/** The k-th step of a direction. */
function computeStep(ev: Evidence, dir: 'requests' | 'replies', k: number, c: Correlation, offset: (p: CapturePoint) => number): Step {
  const f = ev.flow;
  const order = dir === 'requests' ? ev.stations : ev.repStations;
  const groups = dir === 'requests' ? f.requests : f.replies;
  const at: StepPlace = { dir, k, order, groups, from: ev.points[order[k]!]!, to: ev.points[order[k + 1]!]! };
  const { from, to } = at;
  // Every packet seen at `from` was seen at `to`, as the masks say (a datagram that reached a
  // point without all its fragments has that point's bit cleared: it did not get there).
  if (ev.quiet(dir, k)) return new QuietStep(ev, from, to, dir);
  const G = ev.groups;
  const st = G.store;
  // A plain array: what is derived from it (lost, their times) is no list of group ids.
  const missing = idsWhere(groups, (g) => G.seenAt(g, from.id) && !G.seenAt(g, to.id));
  // Nothing missing (most steps of most flows): no times, windows or lookups to work out.
  if (missing.length === 0) return new QuietStep(ev, from, to, dir);
  const notMerged = f.proto === 6 ? notCoalesced(missing, groups, from.id, to.id, G, f.client.includes(':') ? 60 : 40) : missing;
  const acked = f.proto === 6 ? acknowledged(notMerged, groups, dir === 'requests' ? f.replies : f.requests, G, f.client.includes(':') ? 40 : 20) : [];
  const timeAtFrom = (g: number) => {
    const i = G.sightingAt(g, from.id);
    return i >= 0 ? st.tNs[i]! + offset(from) : NaN;
  };
  const recording = recordingAt(ev, c, offset, at);
  const [inside, outside] = partition(
    notMerged.filter((g) => !acked.includes(g)),
    (g) => recording.passedWhileRecording(g, timeAtFrom(g)),
  );
  const { lost, passedOn, echoed } = sortUnseen(ev, at, inside);
  const missed = echoed.length > 0 ? [...acked, ...echoed] : acked;
  const lostSize = lost.reduce((m, g) => Math.max(m, G.ipLen[g]!), 0);
  const first = lost.length > 0 ? G.sightingAt(lost[0]!, from.id) : outside.length > 0 ? G.sightingAt(outside[0]!, from.id) : -1;
  const dstAt = first >= 0 ? st.addrs.text[st.dst[first]!]! : headingTo(f, dir);
  const dst = dir === 'replies' ? unSnatted(ev, from, to, dstAt) : dstAt;
  // What the step means and which neighbour lookups went unanswered: read by the rules only at
  // a step where something is missing, so worked out on first use (a busy incident has
  // thousands of healthy flows, each with a handful of steps that lose nothing).
  let plain: boolean | null = null;
  const leftPlain = () => (plain ??= leftOutsideTunnel(c, from, to, lost, dst));
  let d: { transition: string; causes: Cause[] } | null = null;
  const described = () => (d ??= describeLosingStep(ev, c, at, lost, { size: lostSize, firstNs: first >= 0 && lost.length > 0 ? st.tNs[first]! : NaN, leftPlain: leftPlain() }, dst));
  let unanswered: Step['unanswered'] | null = null;
  const gap = ev.notCaptured.filter((u) => u.node === to.host && from.host === to.host);
  const gapNote = gap.length > 0 ? ` (${gap.map((u) => `${u.node}/${u.interface}`).join(', ')} not captured: the step is somewhere in between)` : '';
  return {
    from,
    to,
    lost,
    outside,
    missed,
    passedOn,
    get unanswered() {
      return (unanswered ??= unansweredLookups(c, from, to, dst, [...lost.map(timeAtFrom), ...outside.map(timeAtFrom)], offset));
    },
    lostSize,
    dst,
    covered: lost.length > 0 || outside.length === 0,
    get transition() {
      return described().transition;
    },
    get causes() {
      return described().causes;
    },
    gapNote,
    get leftPlain() {
      return leftPlain();
    },
    lostTimes: lost.map(timeAtFrom),
    outsideTimes: outside.map(timeAtFrom),
    window: recording.window,
    // Said only where the grace was weighed (a packet past the file's end) and the file itself,
    // not a known stop, proved it.
    toEndedEarly: recording.endWeighed() && !to.stopKnown && endedEarly(c, to, offset),
    toEndsOnCounterpart: recording.endsOnCounterpart() && outside.length > 0,
  };
}

/**
 * Whether `to`'s capture was running when a packet passed `from`. An empty capture ran and saw
 * nothing: that is evidence, not a gap. With `to`'s clock unknown the times cannot be compared,
 * and the captures are taken to overlap; unless `to` and `from` share packets with each other,
 * though not with the reference's side (clocksCompare). What it weighed on the way (whether
 * `to`'s file is known to end, whether it ends on the other way's packet) the step reports too.
 */
function recordingAt(ev: Evidence, c: Correlation, offset: (p: CapturePoint) => number, { dir, k, order, groups, from, to }: StepPlace) {
  const f = ev.flow;
  const G = ev.groups;
  const window: [number, number] = [to.firstNs + offset(to), to.lastNs + offset(to)];
  const clockKnown = c.clocks.get(to.host)?.method !== 'unknown' || clocksCompare(c.clocks, to.host, from.host);
  const sameNode = to.host === from.host;
  const margin = sameNode ? SAME_NODE_MARGIN_NS : CLOCK_MARGIN_NS;
  // On one node (one clock) a packet reaches `to` no sooner than it passed `from`, often with
  // the very timestamp (a veth and its bridge keep the skb's): one that passed `from` after
  // `to`'s last packet came there after it, and no margin runs past that end.
  const endMargin = sameNode ? 0 : CLOCK_MARGIN_NS;
  let stream: boolean | null = null;
  const fromEnd = from.lastNs + offset(from);
  const sequential = c.sequentialNodes.includes(to.host);
  // No grace past a known stop, nor past a file proven to end before its capture did; none
  // either where `to` was following the stream up to its last packet and its captures were
  // taken one after another, or the packet passed `from` in the last seconds of `from`'s own
  // capture (both may have been stopping). None where `to`'s file ends on this flow's packet of
  // the other way: what is missing after it answers what it recorded last, and whether that
  // came is not captured (a client's veth stopped right after its one DNS query). Only where
  // `to` is the way's last station: a capture further on that lacks them too says more (two
  // captures stopped right after one query would be a coincidence; replies dropped before both
  // are not). TCP has its own proof: the peer acknowledges what it got, resends what it did not.
  const answers = f.proto !== 6 && k + 2 === order.length ? (dir === 'requests' ? f.replies : f.requests) : null;
  let ended: boolean | null = null;
  let answersLast: boolean | null = null;
  const tailGrace = (t: number) =>
    (ended ??= endKnown(c, to, offset)) ||
    ((sequential || t > fromEnd - STOP_UNSURE_NS) && (stream ??= endsOnStream(ev, to, groups))) ||
    (answersLast ??= answers !== null && endsOn(ev, to, answers))
      ? 0
      : TAIL_GRACE_NS;
  const inWindow = (t: number) =>
    to.packets === 0
      ? !to.runUnknown
      : !clockKnown || Number.isNaN(window[0]) || Number.isNaN(t) || (t >= window[0] - margin && (t <= window[1] + endMargin || t <= window[1] + endMargin + tailGrace(t)));
  // Across nodes the clocks leave a margin; where `to`'s window ends hard, a packet that passed
  // `from` after `to`'s last packet had got there on its way on is proven to have come too late.
  const cameAfterEnd = (g: number, t: number) => !sameNode && tailGrace(t) === 0 && G.store.tNs[G.sightingAt(g, from.id)]! > (lastPacketOnward(c, to).get(from.host) ?? Infinity);
  return {
    window,
    /** Group g, which passed `from` at t (ns, the reference's clock), passed while `to` was recording. */
    passedWhileRecording: (g: number, t: number) => inWindow(t) && !cameAfterEnd(g, t),
    /** Whether the end of `to`'s file was weighed. */
    endWeighed: () => ended !== null,
    /** Whether `to`'s file was found to end on this flow's packet of the other way. */
    endsOnCounterpart: () => answersLast === true,
  };
}

/**
 * The packets `to` should have shown and did not, split by what became of them: answered echo
 * requests and datagrams (missed, not lost: one that passed outside `to`'s window stays outside,
 * which says more), those seen at a later station (they crossed `to` on their way there: its
 * capture missed them, and no clock or window can make that a loss; not one larger than an MTU a
 * too-big error announced: the identity leaves the length out, for GSO, so what was seen further
 * on may be its smaller resend), and the rest, lost.
 */
function sortUnseen(ev: Evidence, { dir, k, order, groups }: StepPlace, inside: number[]): { lost: number[]; passedOn: number[]; echoed: number[] } {
  const f = ev.flow;
  const G = ev.groups;
  const echoed =
    dir !== 'requests' ? [] : f.proto === 1 || f.proto === 58 ? answeredEchoes(inside, groups, f.replies, G) : f.proto === 17 ? answeredDatagrams(ev, inside) : [];
  const notAnswered = echoed.length > 0 ? inside.filter((g) => !echoed.includes(g)) : inside;
  const refusedAbove = ev.fragNeeded?.mtu ?? Infinity;
  const [passedOn, lost] = partition(notAnswered, (g) => G.ipLen[g]! <= refusedAbove && seenBeyond(G, g, order, k + 1));
  return { lost, passedOn, echoed };
}

/** What a step that lost packets means, and its causes: stepMeaning's, with what only fragments and a `-i any` file add. */
function describeLosingStep(
  ev: Evidence,
  c: Correlation,
  { dir, k, order, from, to }: StepPlace,
  lost: number[],
  seen: { size: number; firstNs: number; leftPlain: boolean },
  dst: string,
): { transition: string; causes: Cause[] } {
  const G = ev.groups;
  // Plain at a NIC before the node's overlay device: forwarded in, never decapsulated.
  const plainAtNic = from.role === 'nic' && to.role === 'overlay' && from.host === to.host && lostPlainAt(c, from, lost);
  const d = stepMeaning(ev, { before: k > 0 ? ev.points[order[k - 1]!]! : null, from, to }, dst, dir, { ...seen, plainAtNic });
  // The first fragment of each got there, the rest did not: the datagrams never arrived whole.
  const partial = lost.filter((g) => G.arrivedIncomplete(g, to.id)).length;
  if (partial > 0) {
    d.transition = `only the first fragment of ${partial === lost.length ? 'each' : `${partial} of them`} reaches ${pointName(to)}; the later fragments are lost after ${pointName(from)}, so the datagrams never arrive whole`;
    d.causes.unshift({
      text: `IP fragments are dropped between ${pointName(from)} and ${pointName(to)}: a filter that drops fragments (they carry no ports for a port rule to match), or fragment reassembly limits`,
      check: `nft list ruleset | grep -i frag; iptables -S | grep -- ' -f '; sysctl net.ipv4.ipfrag_high_thresh  # on ${to.host}`,
    });
  }
  // Some of the flow's packets crossed this very step after the first was lost there: nothing
  // that stops them all (forwarding off, no route, a device down) lost the others; what drops
  // only some comes first, unless only the larger ones were lost (the MTU's story) or the step
  // is inside one -i any. Crossings that all came before the losses are a change at one moment
  // (forwarding reset by a network restart): those causes stay.
  let biggest = -1; // the largest packet that crossed after the first loss, -1 none
  for (const g of dir === 'requests' ? ev.flow.requests : ev.flow.replies) {
    if (G.seenAt(g, from.id) && G.seenAt(g, to.id) && G.store.tNs[G.sightingAt(g, from.id)]! > seen.firstNs) biggest = Math.max(biggest, G.ipLen[g]!);
  }
  if (biggest >= 0 || partial > 0) {
    d.causes = d.causes.filter((x) => !stopsEverything(x));
    if (partial === 0 && lost.some((g) => G.ipLen[g]! <= biggest) && !oneTcpdumpAny(from, to)) d.causes.unshift(someOnlyCause(from, to, dst));
  }
  // Two points of one `tcpdump -i any` file: one ring buffer holds every copy of every packet
  // (one per interface crossed), and a burst that fills it loses copies the kernel delivered.
  if (oneTcpdumpAny(from, to) && seen.size > 0) {
    d.causes.push({
      text: `tcpdump itself may have dropped these copies: ${pointName(from)} and ${pointName(to)} come from one -i any capture, whose buffer holds a copy per interface and overflows on bursts (it says "N packets dropped by kernel" when stopped)`,
      check: `tcpdump -i any ${CAPTURE_BUFFER} -w ${from.host}-any.pcap  # capture again with a larger buffer; compare the drop count tcpdump prints`,
    });
  }
  return d;
}

/**
 * The same packet at every capture point. All captures are walked at once, in time order, and
 * each packet's identity (identity.ts) finds the group of its earlier sightings; a sighting
 * stores, in columns, where and when it was seen and the tuple it carried there. The walk also
 * links each group's tuples into connections (connections.ts) and learns each pod veth's own
 * address. Works on the index rows only: no packet is decoded here.
 */
import { CUT_TCP_FLAGS, emptyRow, META_FRAGMENT, META_ICMP_ERROR, META_INNER_IPV6, META_NO_TIMESTAMP, META_TRUNCATED, neighbourTarget, type PacketIndex, type PacketRow } from '../decode/packet-index';
import { formatIpv4 } from '../decode/summarize';
import { IP_PROTO_LAYERS } from '../decode/tables';
import { ns } from '../util/units';
import { OPAQUE_UDP_PORTS, opaqueTunnel, opaqueWire } from '../protocols/opaque';
import { ARP_CODE, BACKGROUND_KINDS, MIRRORED_CODE, ND_CODE, NOT_BACKGROUND, OPAQUE_CODE, rowBackground, shapeBackground, TUNNELLED_CODE } from './background';
import { Connections, icmpConnKey, portConnKey } from './connections';
import { directionVote, identityHi, identityLo, portVote } from './identity';
import type { PointLayout } from './points';
import { grow, mix, PairTable } from './tables';
import { Addresses, FRAGMENT_POINTS, PacketGroups, SightingStore } from './groups';
import { TCP_RST, TCP_SYN } from '../protocols/numbers';
import type { CaptureInput, CapturePoint, NeighbourLookup } from './types';

/** How far apart one datagram's fragments may cross one point. */
const FRAGMENT_SPAN_NS = 1e9;


/** An ICMP error row, attached to its flow later (icmp-errors.ts). */
export interface ErrorRow {
  input: number;
  row: number;
  point: number;
  tNs: number;
}

/** Packets of one tunnel Hopscope does not decode, one way between two addresses. */
export interface OpaqueTraffic {
  name: string;
  /** "UDP 51820", "IP protocol 50" */
  wire: string;
  src: string;
  dst: string;
  /** Packets per capture point. */
  perPoint: Map<number, number>;
}

export interface SightingsResult {
  neighbours: NeighbourLookup[];
  opaque: OpaqueTraffic[];
  /** Packets per point that the capture's snap length cut short. */
  truncated: Int32Array;
  /** Records per point that repeat the one before them there: the same packet at the same time (crossedAgain). */
  doubled: Int32Array;
  /** Tunnel packets per point whose inner packet the snap length cut off (CapturePoint.innerCut). */
  innerCut: Int32Array;
  store: SightingStore;
  groups: PacketGroups;
  conns: Connections;
  errorRows: ErrorRow[];
  /** Background packets per point and kind (point × BACKGROUND_KINDS). */
  background: Int32Array;
}

/** Entries of the recent-identity cache: 4096 × 12 bytes, well inside a core's L2. */
const RECENT_BITS = 12;
const RECENT_SIZE = 1 << RECENT_BITS;
const RECENT_SHIFT = 32 - RECENT_BITS;
/** At a `-i any` point, a copy within this long on another interface is the same packet. */
const ANY_COPY_NS = 5e6;
/**
 * One packet crossing one point twice: a NodePort's client leg and, microseconds later, its
 * NATed and encapsulated twin on the same NIC; a hairpin's way out and back in a pod veth; a
 * bridge that sees a frame come up to the host and go back out routed (one hop less TTL). Two
 * sightings of one identity at one point this close, in two forms, are one packet. In one form
 * they are two transmissions: a server answers a resent SYN microseconds before its own timer
 * resends the SYN-ACK, both with IP id 0.
 */
const SAME_PACKET_NS = 50e6;
/** A collector's device that decapsulates ERSPAN: its frames are mirrored copies. */
const MIRROR_DEVICE = /^erspan\d*$/;

/** Distinct (point, address) neighbour lookups kept: a scan of a whole subnet stops there. */
const NEIGHBOUR_LIMIT = 100_000;
/** How many sightings back the walk looks for that earlier crossing (they come microseconds apart); a power of two. */
const RECROSS_LOOKBACK = 512;
const RECROSS_MASK = RECROSS_LOOKBACK - 1;
/** Slots of the one-point walk's table of latest sightings (256 KB): about one in 128 holds one of the last RECROSS_LOOKBACK. */
const LATEST_BITS = 16;
const LATEST_SHIFT = 32 - LATEST_BITS;

interface Cursor {
  n: number;
  input: CaptureInput;
  idx: PacketIndex;
  /** Per packet shape: its background kind code when the shape alone says so (background.ts). */
  shapeClass: Uint8Array;
  /** Per packet shape: 1 when it has a transport header (a later fragment has none). */
  shapeTransport: Uint8Array;
  /** Per packet shape: the SLL2 interface index (-1 without one; a uint32, so not an Int32Array). */
  shapeIfindex: Float64Array;
  /** Per packet shape: what its tuple does not say of its form (interface index, encapsulated or not). */
  shapeForm: Int32Array;
  /** Per packet shape: what the snap length cut off (Shape.cut). */
  shapeCut: Uint8Array;
  ipv6Text: (id: number) => string;
  baseNs: number;
  shapePoint: Int32Array;
  /** The file's IPv6 address ids → incident address ids. */
  v6: Int32Array;
  /**
   * The rows in time order where the file does not hold them so (tcpdump on several CPUs writes
   * packets microseconds out of order), else null: the walk takes them in time order.
   */
  order: Int32Array | null;
  /** The place in that order of the row being walked, and the row. */
  k: number;
  r: number;
  t: number;
}

/** The layers matched by identity (TCP, UDP, ICMP, ICMPv6) → their IP protocol numbers, from the decoder's table. */
const MATCHED_PROTO = new Map([...IP_PROTO_LAYERS].filter(([, k]) => k === 'tcp' || k === 'udp' || k === 'icmp' || k === 'icmpv6').map(([n, k]) => [k as string, n]));

/** The IP protocol number of a shape's innermost transport layer, 0 without one. */
function transportProto(s: { kinds: readonly string[] }): number {
  for (let i = s.kinds.length - 1; i >= 0; i--) {
    const n = MATCHED_PROTO.get(s.kinds[i]!);
    if (n !== undefined) return n;
  }
  return 0;
}

/** 1 when the innermost IP header of a shape is followed by a transport header. */
function innerTransport(s: { kinds: readonly string[] }): number {
  const ip = Math.max(s.kinds.lastIndexOf('ipv4'), s.kinds.lastIndexOf('ipv6'));
  return s.kinds.slice(ip + 1).some((k) => k === 'tcp' || k === 'udp' || k === 'icmp' || k === 'icmpv6') ? 1 : 0;
}

/**
 * A capture's rows by timestamp, the file's order kept among equal ones; null where the file is
 * already in time order, or where a row has no timestamp (it keeps its place in the file).
 */
function timeOrder(idx: PacketIndex): Int32Array | null {
  if (idx.count < 2) return null;
  let sorted = true;
  for (let r = 1, prev = idx.tsNsAt(0); r < idx.count; r++) {
    const t = idx.tsNsAt(r);
    if (t !== t) return null;
    if (t < prev) sorted = false;
    prev = t;
  }
  if (sorted) return null;
  const ts = new Float64Array(idx.count);
  for (let r = 0; r < idx.count; r++) ts[r] = idx.tsNsAt(r);
  return Int32Array.from({ length: idx.count }, (_, r) => r).sort((a, b) => ts[a]! - ts[b]! || a - b);
}

function advance(cur: Cursor): void {
  const k = ++cur.k;
  if (k >= cur.idx.count) cur.t = Infinity;
  else {
    const r = (cur.r = cur.order === null ? k : cur.order[k]!);
    const t = cur.baseNs + cur.idx.tsNsAt(r);
    if (t === t) cur.t = t; // no timestamp (pcapng SPB, NaN): keep the previous place
  }
}

/**
 * Which capture holds the earliest next packet: a tournament over the captures' next times,
 * each node the earlier of its two children (the lower capture on a tie, as a scan from the
 * first would pick). A changed time replays only its own path to the root: log2(captures)
 * comparisons a packet, where a scan of them all made one each (and, their times interleaving,
 * the processor guessed most of them wrong).
 */
export class EarliestFirst {
  private readonly leaves: number;
  private readonly times: Float64Array;
  /** tree[1] is the winner; tree[leaves + k] is capture k. */
  private readonly tree: Int32Array;

  constructor(readonly count: number) {
    let leaves = 1;
    while (leaves < count) leaves *= 2;
    this.leaves = leaves;
    this.times = new Float64Array(leaves).fill(Infinity);
    this.tree = new Int32Array(2 * leaves);
    for (let k = 0; k < leaves; k++) this.tree[leaves + k] = k;
    for (let n = leaves - 1; n >= 1; n--) this.tree[n] = this.tree[2 * n]!;
  }

  /** The capture whose next time is earliest (any one when all are Infinity). */
  winner(): number {
    return this.tree[1]!;
  }

  time(k: number): number {
    return this.times[k]!;
  }

  set(k: number, t: number): void {
    const times = this.times;
    const tree = this.tree;
    times[k] = t;
    for (let n = (this.leaves + k) >> 1; n >= 1; n >>= 1) {
      const a = tree[2 * n]!;
      const b = tree[2 * n + 1]!;
      tree[n] = times[b]! < times[a]! ? b : a;
    }
  }
}

/** Walks every capture in time order and groups the sightings of each packet. */
export function collectSightings(inputs: readonly CaptureInput[], layout: PointLayout, epochSec: number): SightingsResult {
  return new Walk(inputs, layout, epochSec).run();
}

class Walk {
  private readonly points: CapturePoint[];
  private readonly addrs = new Addresses();
  private readonly store: SightingStore;
  private readonly groups: PacketGroups;
  private readonly conns = new Connections();
  /** Every identity's group; null with one capture point, where only the latest sightings matter (groupAtOnePoint). */
  private readonly byIdentity: PairTable | null;
  /** One capture point: by identity hash, the store index of the latest sighting whose identity falls there, -1 none. */
  private readonly latest: Int32Array | null;
  /** Recently seen identities (hi, lo, group), in front of byIdentity. */
  private readonly recent = new Int32Array(RECENT_SIZE * 3).fill(-1);
  /** Copies of one identity at one point: the n-th copy here pairs with the n-th elsewhere. */
  private readonly copies = new PairTable(1024);
  private readonly copyCount: number[] = [];
  /** With point masks: each group's next copy of its identity, its last sighting's time and node, and copies made from a base. */
  private readonly nextCopy: number[] = [];
  /** Each group's latest sighting, as its store index + 1 (0: none yet): its time, node and tuple are the store's. */
  private last: Int32Array;
  private readonly copiesMade: number[] = [];
  private readonly pointNode: Int32Array;
  /** `-i any` points: (identity, point) → the last copy's time and the interfaces it crossed. */
  private readonly anySeen = new PairTable(1024);
  private readonly anyCopies: { t: number; ifs: number[] }[] = [];
  private readonly errorRows: ErrorRow[] = [];
  private readonly opaque = new Map<string, OpaqueTraffic>();
  private readonly neighbours = new Map<string, NeighbourLookup>();
  private readonly truncated: Int32Array;
  private readonly doubled: Int32Array;
  private readonly innerCut: Int32Array;
  /**
   * For crossedAgain, the last RECROSS_LOOKBACK sightings' identities and what their tuples do
   * not say of their form, sighting i at i & RECROSS_MASK: all it ever looks back at (a column
   * per sighting cost 12 bytes each, 46 MB on a 2 GB incident).
   */
  private readonly idHi = new Int32Array(RECROSS_LOOKBACK);
  private readonly idLo = new Int32Array(RECROSS_LOOKBACK);
  private readonly form = new Int32Array(RECROSS_LOOKBACK);
  /** TCP: the client ISN of the latest SYN seen for a 4-tuple (tcpIncarnation). */
  private readonly isnOf = new Map<number, number>();
  /**
   * IPv4 fragments per (point, datagram): the payload bytes that came (fragment counts change
   * where a node re-fragments for a smaller MTU; the bytes do not) and when the datagram's first
   * piece came there. And each fragmented datagram's group (its first fragment's).
   */
  private readonly fragments = new Map<string, { t: number; bytes: number }>();
  private readonly fragmented = new Map<string, number>();
  /** Background packets per point and kind (point × BACKGROUND_KINDS). */
  private readonly background: Int32Array;
  private readonly useMasks: boolean;
  /**
   * By IP protocol, what a snap length cut off at some point (Shape.cut, all points' together):
   * left out of the identity of every packet of that protocol (identity.ts), or a cut copy would
   * never match a whole one. A TCP payload cut does not cost the pings their digests.
   */
  private readonly leftOut = new Uint8Array(256);
  private readonly row = emptyRow();
  private readonly cursors: Cursor[];

  constructor(
    inputs: readonly CaptureInput[],
    private readonly layout: PointLayout,
    epochSec: number,
  ) {
    this.points = layout.points;
    let total = 0;
    let largest = 0;
    for (const i of inputs) {
      total += i.capture.index.count;
      largest = Math.max(largest, i.capture.index.count);
    }
    this.store = new SightingStore(total, this.addrs);
    const nodes = [...new Set(this.points.map((p) => p.node))];
    // By the files' labels: this runs before captures inside pods are placed on their nodes.
    this.pointNode = Int32Array.from(this.points, (p) => nodes.indexOf(p.node));
    // Packets (groups) to expect: a packet is usually seen at about four points of an incident,
    // and at least once in the largest capture (a single capture's packets are all groups).
    // Growing the table and the columns as they fill cost a single 1M-packet capture 0.24 s.
    const expected = Math.max(largest, total >> 2);
    // One capture point (a single capture): no packet can be seen at another, so the table of
    // every identity (24 MB for a million packets) would only say which ones to look back for.
    const onePoint = this.points.length === 1;
    this.byIdentity = onePoint ? null : new PairTable(expected);
    this.latest = onePoint ? new Int32Array(1 << LATEST_BITS).fill(-1) : null;
    this.useMasks = this.points.length <= 30;
    this.groups = new PacketGroups(this.store, this.useMasks, expected);
    this.last = new Int32Array(Math.max(1024, expected));
    this.background = new Int32Array(this.points.length * BACKGROUND_KINDS.length);
    this.truncated = new Int32Array(this.points.length);
    this.doubled = new Int32Array(this.points.length);
    this.innerCut = new Int32Array(this.points.length);
    for (const i of inputs) for (const s of i.capture.shapes) if (s.cut) this.leftOut[transportProto(s)]! |= s.cut;
    this.cursors = inputs.map((input, n) => ({
      n,
      input,
      idx: input.capture.index,
      // On a collector's ERSPAN device every frame is a mirrored copy.
      shapeClass: Uint8Array.from(input.capture.shapes, (s, k) => (MIRROR_DEVICE.test(layout.points[layout.shapePoint[n]![k]!]?.interface ?? '') ? MIRRORED_CODE : shapeBackground(s))),
      shapeTransport: Uint8Array.from(input.capture.shapes, innerTransport),
      shapeIfindex: Float64Array.from(input.capture.shapes, (s) => s.sllIfindex),
      shapeForm: Int32Array.from(input.capture.shapes, (s) => ((s.sllIfindex + 1) << 1) | (s.encapsulation === null ? 0 : 1)),
      shapeCut: Uint8Array.from(input.capture.shapes, (s) => s.cut ?? 0),
      ipv6Text: (id: number) => input.capture.ipv6[id] ?? '',
      baseNs: (input.capture.baseSec - epochSec) * 1e9 + input.capture.baseNsec,
      shapePoint: layout.shapePoint[n]!,
      v6: new Int32Array(input.capture.ipv6.length).fill(-1),
      order: timeOrder(input.capture.index),
      k: -1,
      r: -1,
      t: -Infinity,
    }));
  }

  run(): SightingsResult {
    const cursors = this.cursors;
    const row = this.row;
    const merge = new EarliestFirst(cursors.length);
    cursors.forEach((cur, k) => {
      advance(cur);
      merge.set(k, cur.t);
    });
    for (let next = merge.winner(); merge.time(next) !== Infinity; next = merge.winner()) {
      const cur = cursors[next]!;
      const r = cur.r;
      cur.idx.read(r, row);
      advance(cur);
      merge.set(next, cur.t);
      this.sight(cur, r);
    }
    if (this.fragmented.size > 0) this.settleFragments();
    if (this.useMasks) this.settleCopies();
    return { store: this.store, groups: this.groups, conns: this.conns, errorRows: this.errorRows, background: this.background, opaque: [...this.opaque.values()], truncated: this.truncated, doubled: this.doubled, innerCut: this.innerCut, neighbours: [...this.neighbours.values()] };
  }

  /** One packet at one point. */
  private sight(cur: Cursor, r: number): void {
    const row = this.row;
    const point = cur.shapePoint[row.shape]!;
    if ((row.meta & META_TRUNCATED) !== 0) this.truncated[point]!++;
    const sc = cur.shapeClass[row.shape]!;
    const tNs = (row.meta & META_NO_TIMESTAMP) !== 0 ? NaN : cur.baseNs + row.tsNs;
    if (sc !== NOT_BACKGROUND) {
      this.background[point * BACKGROUND_KINDS.length + sc - 1]!++;
      if (sc === TUNNELLED_CODE && (row.meta & META_TRUNCATED) !== 0) this.innerCut[point]!++;
      // ARP: row.tcpFlags is the operation, seq and ack the sender's and target's addresses.
      if (sc === ARP_CODE && (row.tcpFlags === 1 || row.tcpFlags === 2)) this.neighbour(point, tNs, 'ARP', this.addrs.v4Id(row.tcpFlags === 1 ? row.ack : row.seq), row.tcpFlags === 2);
      return;
    }
    const pt = this.points[point]!;
    if ((row.meta & META_ICMP_ERROR) !== 0) {
      // tcpdump -i any records an error once per interface it crosses, as any packet.
      if (!pt.merged || !this.isAnyCopy(identityHi(row, 0) | 0, identityLo(row, 0) | 0, point, tNs, cur.shapeIfindex[row.shape]!)) this.errorRows.push({ input: cur.n, row: r, point, tNs });
      return;
    }
    const bg = rowBackground(row, cur.ipv6Text);
    if (bg !== NOT_BACKGROUND) {
      this.background[point * BACKGROUND_KINDS.length + bg - 1]!++;
      // Neighbour solicitation (135) and advertisement (136): whom the node looks for, or who answers.
      const target = bg === ND_CODE ? neighbourTarget(row) : -1;
      if (target >= 0) this.neighbour(point, tNs, 'ND', this.v6Id(cur, target), row.dport >>> 8 === 136);
      return;
    }
    // A fragment after the first carries no transport header: nothing to follow it by, but it
    // is counted, so that a datagram missing one at a point did not get there.
    if ((row.meta & META_FRAGMENT) !== 0 && cur.shapeTransport[row.shape] === 0) {
      if (!pt.merged && (row.meta & META_INNER_IPV6) === 0) this.fragment(point, row, tNs);
      return;
    }
    const proto = row.proto;
    if (proto !== 1 && proto !== 6 && proto !== 58 && (proto !== 17 || OPAQUE_UDP_PORTS.has(row.sport) || OPAQUE_UDP_PORTS.has(row.dport))) {
      if (this.opaqueTunnel(cur, row, point)) return;
      if (proto !== 17) return;
    }
    const leftOut = this.leftOut[proto]!;
    const h1 = identityHi(row, leftOut) | 0;
    const h2 = identityLo(row, leftOut) | 0;
    if (pt.merged && this.isAnyCopy(h1, h2, point, tNs, cur.shapeIfindex[row.shape]!)) return;
    const v6 = (row.meta & META_INNER_IPV6) !== 0;
    const src = v6 ? this.v6Id(cur, row.src) : this.addrs.v4Id(row.src);
    const dst = v6 ? this.v6Id(cur, row.dst) : this.addrs.v4Id(row.dst);
    const form = cur.shapeForm[row.shape]!;
    const g = this.groupOf(h1, h2, point, tNs, src, dst, form);
    const i = this.store.n;
    if (g === this.last.length) this.last = grow(this.last, 2 * g);
    const prev = this.last[g]! - 1;
    this.last[g] = i + 1;
    this.idHi[i & RECROSS_MASK] = h1;
    this.idLo[i & RECROSS_MASK] = h2;
    this.form[i & RECROSS_MASK] = form;
    const gs = this.groups;
    // Only where some capture cut the TCP flags off: a group first seen so takes them from a whole copy.
    const flagsLeftOut = (leftOut & CUT_TCP_FLAGS) !== 0;
    const flagsCut = flagsLeftOut && (cur.shapeCut[row.shape]! & CUT_TCP_FLAGS) !== 0;
    if (flagsLeftOut && !flagsCut && gs.tcpFlags[g] === 0) gs.tcpFlags[g] = row.tcpFlags;
    if (this.useMasks) gs.mask[g] = gs.mask[g]! | (1 << point);
    if (tNs < gs.first[g]!) gs.first[g] = tNs;
    gs.votes[g]! += directionVote(row);
    gs.portVotes[g]! += portVote(row);
    this.store.add(point, r, tNs, src, dst, row, g);
    this.link(g, src, dst, row, prev, flagsCut);
    if ((row.meta & META_FRAGMENT) !== 0 && !v6 && !pt.merged) {
      // The latest datagram with this key is judged: an older one reusing its IP id is not
      // (its counts were overwritten), which can only miss a loss, never invent one.
      const dg = this.fragment(point, row, tNs);
      this.fragmented.set(dg, g);
    }
  }

  /**
   * Count one IPv4 fragment's payload at a point; its datagram's key. A datagram's pieces cross
   * a point within moments: a piece more than FRAGMENT_SPAN_NS from the first one counted there
   * belongs to another datagram that reuses the IP id, and starts the count again.
   */
  private fragment(point: number, row: PacketRow, tNs: number): string {
    const dg = `${row.src}|${row.dst}|${row.proto}|${row.ipId}`;
    const k = `${point}|${dg}`;
    const bytes = Math.max(0, row.ipLen - 20);
    const f = this.fragments.get(k);
    if (f && Math.abs(tNs - f.t) < FRAGMENT_SPAN_NS) f.bytes += bytes;
    else this.fragments.set(k, { t: tNs, bytes });
    return dg;
  }

  /**
   * Resent SYNs and SYN-ACKs (a handshake's identical copies, one a second or more after the
   * other) seen at different points from one another: PacketGroups.unevenCopies. Other resends
   * go on from the node they were resent on, or differ in length, and copyOf pairs them by that.
   */
  private settleCopies(): void {
    const { mask, tcpFlags, proto } = this.groups;
    this.copiesMade.forEach((n, base) => {
      if (!(n > 0) || proto[base] !== 6 || (tcpFlags[base]! & (TCP_SYN | TCP_RST)) !== TCP_SYN) return;
      let even = true;
      for (let c = this.nextCopy[base]; c !== undefined && even; c = this.nextCopy[c]) even = mask[c] === mask[base];
      if (even) return;
      for (let c: number | undefined = base; c !== undefined; c = this.nextCopy[c]) this.groups.unevenCopies.add(c);
    });
  }

  /** Datagrams whose first fragment reached a point with fewer fragments than elsewhere: not there whole. */
  private settleFragments(): void {
    const n = this.points.length;
    for (const [dg, g] of this.fragmented) {
      let most = 0;
      for (let p = 0; p < n; p++) most = Math.max(most, this.fragments.get(`${p}|${dg}`)?.bytes ?? 0);
      for (let p = 0; p < n; p++) {
        const here = this.fragments.get(`${p}|${dg}`)?.bytes ?? 0;
        if (here > 0 && here < most && this.groups.seenAt(g, p)) {
          this.groups.incomplete.add(g * FRAGMENT_POINTS + p);
          // The masks answer seenAt and the counts directly: clear the point there too.
          if (this.useMasks) this.groups.mask[g] = this.groups.mask[g]! & ~(1 << p);
        }
      }
    }
  }

  /**
   * The packet group this sighting belongs to, made on first sight. Identical retransmissions
   * (a SYN-ACK resent with IP id 0) carry the same identity: the n-th copy at one point is
   * matched with the n-th copy at the next, so the n-th copy's identity is the base moved n
   * steps. With bit masks, a packet not yet seen at this point is the first copy there without
   * counting (O(1) even for a flood of identical packets).
   */
  private groupOf(h1: number, h2: number, point: number, tNs: number, src: number, dst: number, form: number): number {
    if (this.latest) return this.groupAtOnePoint(h1, h2, point, tNs, src, dst, form);
    const groups = this.groups;
    if (this.useMasks) {
      const g = this.lookup(h1, h2);
      if (g === groups.count) return groups.add(this.row);
      const bit = 1 << point;
      const next = this.nextCopy[g];
      if (next === undefined && (groups.mask[g]! & bit) === 0) return g;
      return this.copyOf(g, h1, h2, bit, point, tNs, src, dst, form);
    }
    const okey = h1 ^ Math.imul(point + 1, 0x27d4eb2d);
    let ok = this.copies.get(okey, h2);
    // Seen here before (the masks say so, or the copies table does): the same packet again?
    if (this.useMasks || ok >= 0) {
      const again = this.crossedAgain(h1, h2, point, tNs, src, dst, form);
      if (again >= 0) return again;
    }
    if (ok < 0) {
      this.copies.set(okey, h2 | 0, (ok = this.copyCount.length));
      // With masks this is already the second copy here.
      this.copyCount.push(this.useMasks ? 1 : 0);
    }
    const nth = this.copyCount[ok]!;
    this.copyCount[ok] = nth + 1;
    const key = nth > 0 ? (h2 + Math.imul(nth, 0x61c88647)) | 0 : h2;
    const g = this.lookup(h1, key | 0);
    return g === groups.count ? groups.add(this.row) : g;
  }

  /**
   * groupOf with one capture point, where every packet is a new group unless it is the same
   * packet crossing the point again (crossedAgain), which looks back RECROSS_LOOKBACK sightings
   * only. It is asked whenever the slot of this identity holds one of those: the slot keeps the
   * latest sighting of any identity falling there, so an earlier sighting of this one within
   * reach leaves the slot within reach too. The groups are those the identity table gives.
   */
  private groupAtOnePoint(h1: number, h2: number, point: number, tNs: number, src: number, dst: number, form: number): number {
    const latest = this.latest!;
    const n = this.store.n;
    const slot = Math.imul(h1 ^ (h2 >>> 7), 0x9e3779b1) >>> LATEST_SHIFT;
    const prev = latest[slot]!;
    latest[slot] = n;
    if (prev >= 0 && prev >= n - RECROSS_LOOKBACK) {
      const again = this.crossedAgain(h1, h2, point, tNs, src, dst, form);
      if (again >= 0) return again;
    }
    return this.groups.add(this.row);
  }

  /**
   * With copies of one identity about (a retransmission identical to the original: IPv6 has
   * no IP id, and a resent SYN-ACK has IP id 0), which one this sighting continues. Not one
   * already seen here; of those, the one last seen on this node most recently — when the first
   * copy was dropped on the way, the resent one goes on from where it was resent — else the
   * oldest of the same length (a TCP segment too big for the next link, refused, is sent again
   * smaller: the identity leaves the length out, for GSO), else the oldest (copies cross the
   * path in order). None left: a new copy.
   */
  private copyOf(base: number, h1: number, h2: number, bit: number, point: number, tNs: number, src: number, dst: number, form: number): number {
    const groups = this.groups;
    const mask = groups.mask;
    let seenHere = false;
    for (let c: number | undefined = base; c !== undefined; c = this.nextCopy[c]) if ((mask[c]! & bit) !== 0) seenHere = true;
    if (seenHere) {
      const again = this.crossedAgain(h1, h2, point, tNs, src, dst, form);
      if (again >= 0) return again;
    }
    const node = this.pointNode[point]!;
    const ipLen = this.row.ipLen;
    let best = -1;
    let first = -1;
    let sameLength = -1;
    let last = base;
    for (let c: number | undefined = base; c !== undefined; c = this.nextCopy[c]) {
      last = c;
      if ((mask[c]! & bit) !== 0) continue;
      if (first < 0) first = c;
      if (sameLength < 0 && groups.ipLen[c] === ipLen) sameLength = c;
      if (this.lastNode(c) === node && (best < 0 || this.lastT(c) > this.lastT(best))) best = c;
    }
    if (best >= 0) return best;
    if (sameLength >= 0) return sameLength;
    if (first >= 0) return first;
    const n = (this.copiesMade[base] ?? 0) + 1;
    this.copiesMade[base] = n;
    const found = this.lookup(h1, (h2 + Math.imul(n, 0x61c88647)) | 0);
    const g = found === groups.count ? groups.add(this.row) : found;
    this.nextCopy[last] = g;
    return g;
  }

  /**
   * The group of this packet's earlier sighting at `point` when this one is the same packet
   * crossing it again (SAME_PACKET_NS), else -1. Looks back a few hundred
   * sightings: the second crossing follows the first by microseconds.
   */
  private crossedAgain(h1: number, h2: number, point: number, tNs: number, src: number, dst: number, form: number): number {
    if (tNs !== tNs) return -1;
    const st = this.store;
    const row = this.row;
    for (let j = st.n - 1, stop = Math.max(0, st.n - RECROSS_LOOKBACK); j >= stop; j--) {
      const gap = tNs - st.tNs[j]!;
      if (gap > SAME_PACKET_NS) break;
      if (st.point[j] !== point || this.idHi[j & RECROSS_MASK] !== h1 || this.idLo[j & RECROSS_MASK] !== h2) continue;
      const sameForm = st.src[j] === src && st.dst[j] === dst && st.sport[j] === row.sport && st.dport[j] === row.dport && st.ttl[j] === row.ttl && this.form[j & RECROSS_MASK] === form;
      if (!sameForm) return st.group[j]!;
      // The same packet in the same form at the same instant is one packet written twice (two
      // overlapping captures merged into one file, a file appended to itself): a sender's second
      // copy, even a duplicate ACK, leaves it later (two within one microsecond of a microsecond
      // file would be taken for one: a tight loop of identical datagrams, at most).
      if (gap === 0 && st.ipLen[j] === row.ipLen) {
        this.doubled[point]!++;
        return st.group[j]!;
      }
      return -1;
    }
    return -1;
  }

  /**
   * The group of an identity, or the next group's number stored for it when it is new. A
   * packet's sightings on one node come microseconds apart, a few rows later in the walk: a
   * small direct-mapped cache in front of the table answers those without leaving the CPU's
   * nearest caches; only the first sighting on each node goes to the big table.
   */
  private lookup(hi: number, lo: number): number {
    const c = (Math.imul(hi ^ (lo >>> 7), 0x9e3779b1) >>> RECENT_SHIFT) * 3;
    const r = this.recent;
    if (r[c + 2] !== -1 && r[c] === hi && r[c + 1] === lo) return r[c + 2]!;
    const g = this.byIdentity!.getOrSet(hi, lo, this.groups.count);
    r[c] = hi;
    r[c + 1] = lo;
    r[c + 2] = g;
    return g;
  }

  /**
   * `tcpdump -i any` records a packet once per interface it crosses (the bridge and its port,
   * the overlay device): the SLL2 interface index tells those copies apart from a second
   * transmission, which comes back on the same interface. Without an index (SLL v1) a copy
   * within 5 ms is taken as the same packet.
   */
  private isAnyCopy(h1: number, h2: number, point: number, tNs: number, ifx: number): boolean {
    const k1 = h1 ^ Math.imul(point + 1, 0x165667b1);
    const at = this.anySeen.get(k1, h2 | 0);
    const prev = at >= 0 ? this.anyCopies[at]! : undefined;
    if (prev && Math.abs(tNs - prev.t) < ANY_COPY_NS && (ifx < 0 || !prev.ifs.includes(ifx))) {
      prev.ifs.push(ifx);
      return true;
    }
    if (prev) {
      prev.t = tNs;
      prev.ifs = [ifx];
    } else {
      this.anySeen.set(k1, h2 | 0, this.anyCopies.length);
      this.anyCopies.push({ t: tNs, ifs: [ifx] });
    }
    return false;
  }

  /** A node asking for a neighbour's link address, or the answer. */
  private neighbour(point: number, tNs: number, protocol: 'ARP' | 'ND', target: number, answer: boolean): void {
    const key = `${point}|${target}`;
    let n = this.neighbours.get(key);
    if (!n) {
      if (this.neighbours.size >= NEIGHBOUR_LIMIT) return;
      n = { point, target: this.addrs.text[target]!, protocol, asked: 0, answered: 0, firstNs: ns(NaN), lastNs: ns(NaN) };
      this.neighbours.set(key, n);
    }
    if (answer) n.answered++;
    else {
      n.asked++;
      if (!(n.firstNs <= tNs)) n.firstNs = ns(tNs);
      if (!(n.lastNs >= tNs)) n.lastNs = ns(tNs);
    }
  }

  /** A packet of a tunnel we cannot look into: counted apart, never a flow of its outer addresses. */
  private opaqueTunnel(cur: Cursor, row: PacketRow, point: number): boolean {
    const udp = row.proto === 17;
    const t = opaqueTunnel(row.proto, udp ? row.sport : 0, udp ? row.dport : 0);
    if (!t) return false;
    this.background[point * BACKGROUND_KINDS.length + OPAQUE_CODE - 1]!++;
    const v6 = (row.meta & META_INNER_IPV6) !== 0;
    const src = v6 ? this.v6Id(cur, row.src) : this.addrs.v4Id(row.src);
    const dst = v6 ? this.v6Id(cur, row.dst) : this.addrs.v4Id(row.dst);
    const key = `${t.id}|${src}|${dst}`;
    let o = this.opaque.get(key);
    if (!o) {
      o = { name: t.name, wire: opaqueWire(row.proto, row.sport, row.dport, t.id), src: this.addrs.text[src]!, dst: this.addrs.text[dst]!, perPoint: new Map() };
      this.opaque.set(key, o);
    }
    o.perPoint.set(point, (o.perPoint.get(point) ?? 0) + 1);
    return true;
  }

  private v6Id(cur: Cursor, v: number): number {
    let id = cur.v6[v]!;
    if (id < 0) cur.v6[v] = id = this.addrs.intern(cur.input.capture.ipv6[v] ?? '?');
    return id;
  }

  /**
   * One TCP 4-tuple can carry several connections over a capture (MASQUERADE reuses source
   * ports; a host and a pod behind it can pick the same one): each SYN opens a new one, named
   * by its initial sequence number. Packets that come after take the tuple's latest ISN; a
   * connection whose handshake no capture holds has none.
   */
  private tcpIncarnation(base: number, row: PacketRow, flagsCut: boolean): number {
    // A SYN (not a SYN-ACK, whose ack may count data the SYN carried) opens the connection. Its
    // flags cut off, a segment acknowledging nothing (ack 0: a SYN, or a RST) opens a tuple not
    // yet opened: the whole copy of that SYN, seen later at another point, opens it the same.
    const opens = (row.tcpFlags & 0x12) === 0x02 || (flagsCut && row.ack === 0 && !this.isnOf.has(base));
    let isn: number;
    if (opens) {
      isn = row.seq;
      this.isnOf.set(base, isn);
    } else isn = this.isnOf.get(base) ?? 0;
    return isn === 0 ? base : mix(base, isn);
  }

  /** The time of group g's latest sighting (it has one). */
  private lastT(g: number): number {
    return this.store.tNs[this.last[g]! - 1]!;
  }

  /** The node of group g's latest sighting. */
  private lastNode(g: number): number {
    return this.pointNode[this.store.point[this.last[g]! - 1]!]!;
  }

  /**
   * The group's connection, as an unordered pair of endpoints (ICMP: addresses + echo id); the
   * same tuple as this packet's previous sighting (no NAT in between) adds nothing.
   */
  private link(g: number, src: number, dst: number, row: PacketRow, prev: number, flagsCut: boolean): void {
    const st = this.store;
    if (prev >= 0 && st.src[prev] === src && st.dst[prev] === dst && st.sport[prev] === row.sport && st.dport[prev] === row.dport) return;
    const a = this.addrs;
    const proto = row.proto;
    const base =
      proto === 1 || proto === 58
        ? icmpConnKey(proto, a.hash[src]!, a.text[src]!, a.hash[dst]!, a.text[dst]!, row.sport)
        : portConnKey(proto, a.hash[src]!, a.text[src]!, row.sport, a.hash[dst]!, a.text[dst]!, row.dport);
    const node = this.conns.nodeOf(proto === 6 ? this.tcpIncarnation(base, row, flagsCut) : base, base);
    const conn = this.groups.conn;
    if (conn[g] === -1) conn[g] = node;
    else if (conn[g] !== node) this.conns.union(conn[g]!, node);
  }
}

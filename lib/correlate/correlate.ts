/**
 * The correlator: recognise the same packet at every capture point, group packets into flows,
 * order each flow's capture points from client to server, and estimate each node's clock.
 *
 * A packet's identity is what survives forwarding on its innermost IP header, after every
 * overlay is removed: IP id and length, protocol, TCP seq/ack/flags, ICMP type/seq, and a
 * digest of the first payload bytes. Addresses and ports are left out, so DNAT, SNAT and
 * MASQUERADE do not break the match; the translation is reported where the tuple changes.
 *
 * Works on the compact PacketIndex (typed arrays), never on decoded layer objects, except for
 * ICMP errors, whose quoted datagram is decoded to find the flow it belongs to.
 */
import type { IndexedCapture } from '../decode/capture-index';
import { decodePacket, type Layer } from '../decode/decode-packet';
import {
  emptyRow,
  META_HAS_IP,
  META_ICMP_ERROR,
  META_INNER_IPV6,
  META_NO_TIMESTAMP,
} from '../decode/packet-index';
import { formatIpv4 } from '../decode/summarize';
import { interfaceRole, type InterfaceRole } from '../protocols/devices';
import type { Label } from './labels';
import { IPIP, overlayOfLayer, type OverlayKind } from '../protocols/overlays';

export interface CaptureInput {
  /** Path or name as the user gave it. */
  file: string;
  capture: IndexedCapture;
  /** Label for the whole file (one capture point), unless the pcapng names several interfaces. */
  label: Label;
}

export interface CapturePoint {
  id: number;
  file: string;
  node: string;
  interface: string;
  role: InterfaceRole;
  labelSource: Label['source'];
  /** The pcapng interface this point stands for, or -1 for all interfaces of the file. */
  interfaceId: number;
  packets: number;
  /** Raw capture clock, ns since the incident epoch; NaN when nothing was timestamped. */
  firstNs: number;
  lastNs: number;
  /** For pod veths: the pod address seen most on it, when it saw any traffic. */
  podIp: string | null;
}

export type Protocol = 'icmp' | 'tcp' | 'udp' | 'icmpv6' | 'other';
export type Direction = 1 | -1;

export interface Sighting {
  point: number;
  row: number;
  /** Raw clock, ns since the epoch. */
  tNs: number;
  src: string;
  dst: string;
  /** Hashes of src and dst, for cheap tuple comparison. */
  srcHash: number;
  dstHash: number;
  sport: number;
  dport: number;
  ttl: number;
  ipLen: number;
  tcpFlags: number;
}

/**
 * Every sighting of every packet, in columns (34 bytes each): a million sighting objects cost
 * more to build and to walk than the whole correlation. `order[start[g] .. start[g+1])` lists
 * group g's sightings.
 */
export class SightingStore {
  n = 0;
  readonly point: Uint16Array;
  readonly row: Uint32Array;
  readonly tNs: Float64Array;
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly ttl: Uint8Array;
  readonly ipLen: Uint16Array;
  readonly tcpFlags: Uint8Array;
  readonly group: Int32Array;
  order = new Int32Array(0);
  start = new Int32Array(1);
  /** Interned addresses by id. */
  readonly addrs: Addr[] = [];

  constructor(capacity: number) {
    this.point = new Uint16Array(capacity);
    this.row = new Uint32Array(capacity);
    this.tNs = new Float64Array(capacity);
    this.src = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    this.sport = new Uint16Array(capacity);
    this.dport = new Uint16Array(capacity);
    this.ttl = new Uint8Array(capacity);
    this.ipLen = new Uint16Array(capacity);
    this.tcpFlags = new Uint8Array(capacity);
    this.group = new Int32Array(capacity);
  }

  /** Counting sort of the sightings by group. */
  index(groups: number): void {
    const start = new Int32Array(groups + 1);
    for (let i = 0; i < this.n; i++) start[this.group[i]! + 1]!++;
    for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
    const fill = start.slice(0, groups);
    const order = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) order[fill[this.group[i]!]!++] = i;
    this.order = order;
    this.start = start;
  }

  sighting(i: number): Sighting {
    const src = this.addrs[this.src[i]!]!;
    const dst = this.addrs[this.dst[i]!]!;
    return {
      point: this.point[i]!,
      row: this.row[i]!,
      tNs: this.tNs[i]!,
      src: src.text,
      dst: dst.text,
      srcHash: src.hash,
      dstHash: dst.hash,
      sport: this.sport[i]!,
      dport: this.dport[i]!,
      ttl: this.ttl[i]!,
      ipLen: this.ipLen[i]!,
      tcpFlags: this.tcpFlags[i]!,
    };
  }
}

/** One packet (one transmission), seen at one or more capture points. */
export class PacketGroup {
  dir: Direction = 1;
  /** Earliest raw sighting time (ns since the epoch). */
  firstNs = Infinity;
  /** Bit p set: seen at capture point p (up to 30 points); -1 when there are more points. */
  pointMask = -1;
  private cached: Sighting[] | null = null;

  constructor(
    readonly id: number,
    readonly proto: number,
    readonly ipLen: number,
    /** ICMP echo sequence or TCP sequence number. */
    readonly seq: number,
    readonly tcpFlags: number,
    readonly store: SightingStore,
  ) {}

  /** Indices into the store's columns. */
  get from(): number {
    return this.store.start[this.id]!;
  }
  get to(): number {
    return this.store.start[this.id + 1]!;
  }

  seenAt(point: number): boolean {
    if (this.pointMask !== -1) return (this.pointMask & (1 << point)) !== 0;
    const st = this.store;
    for (let k = st.start[this.id]!, e = st.start[this.id + 1]!; k < e; k++) if (st.point[st.order[k]!] === point) return true;
    return false;
  }

  /** The sightings as objects, for code off the hot path. */
  get sightings(): Sighting[] {
    if (this.cached) return this.cached;
    const st = this.store;
    const out: Sighting[] = [];
    for (let k = st.start[this.id]!, e = st.start[this.id + 1]!; k < e; k++) out.push(st.sighting(st.order[k]!));
    return (this.cached = out);
  }
}

export interface IcmpErrorSighting {
  point: number;
  tNs: number;
  /** Who sent the error. */
  from: string;
  type: number;
  code: number;
  /** Next-hop MTU of a frag-needed / packet-too-big. */
  mtu: number | null;
  /** The error quoted an encapsulated (underlay) packet: e.g. UDP 8472 to a node. */
  quotedUnderlay: { proto: number; dst: string; dport: number } | null;
  /** The quoted inner packet's identity fields, to tell which request it answers. */
  quotedIpLen: number;
}

export interface Flow {
  id: number;
  protocol: Protocol;
  proto: number;
  /** As the client addressed it (before DNAT). */
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  /** ICMP echo identifier. */
  icmpId: number | null;
  groups: PacketGroup[];
  requests: PacketGroup[];
  replies: PacketGroup[];
  /** Capture points in path order, client to server (replies travel it backwards). */
  path: number[];
  clientNode: string;
  icmpErrors: IcmpErrorSighting[];
}

export interface NodeClock {
  node: string;
  /** Add to this node's raw timestamps to get the reference node's clock. */
  offsetNs: number;
  method: 'reference' | 'two-way' | 'one-way' | 'unknown';
  samples: number;
}

/** What the overlay headers of an encapsulated packet say. */
export interface Encapsulation {
  kind: OverlayKind;
  /** VXLAN/Geneve network identifier; GRE key. */
  vni: number | null;
  /** Outer UDP destination port. */
  port: number | null;
  outerSrc: string;
  outerDst: string;
}

export interface Correlation {
  epochSec: number;
  /** The encapsulation of the packet at `row` of capture point `point`, or null if plain. */
  encapsulationOf(point: number, row: number): Encapsulation | null;
  points: CapturePoint[];
  flows: Flow[];
  clocks: Map<string, NodeClock>;
  referenceNode: string;
}

// ---------------------------------------------------------------------------------------------

const ROLE_EGRESS: Record<InterfaceRole, number> = { pod: 0, bridge: 1, overlay: 2, nic: 3, other: 4, any: 5 };
const ROLE_INGRESS: Record<InterfaceRole, number> = { nic: 0, overlay: 1, bridge: 2, pod: 3, other: 4, any: 5 };

function mix(h: number, v: number): number {
  return Math.imul(h ^ v, 0x01000193) ^ (Math.imul(h, 0x5bd1e995) >>> 15);
}

/**
 * An open-addressing hash table from a 64-bit key (two int32 halves) to a non-negative int32:
 * the packet-identity lookup runs once per packet, and a Map keyed by a 53-bit double would
 * allocate a heap number on every lookup.
 */
class PairTable {
  /** Slots of three int32s: key high, key low, value (-1 = empty); one cache line per probe. */
  private slots: Int32Array;
  private mask: number;
  private shift: number;
  private size = 0;
  constructor(expected: number) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.shift = 32 - Math.log2(cap);
    this.mask = cap - 1;
    this.slots = new Int32Array(cap * 3);
    for (let i = 2; i < this.slots.length; i += 3) this.slots[i] = -1;
  }
  private slot(hi: number, lo: number): number {
    // Fibonacci hashing: the high bits of the product are the well-mixed ones.
    let x = Math.imul(hi ^ Math.imul(lo ^ (lo >>> 16), 0x9e3779b1), 0x85ebca6b);
    x ^= x >>> 13;
    let i = Math.imul(x, 0x9e3779b1) >>> this.shift;
    const s = this.slots;
    while (s[i * 3 + 2] !== -1 && (s[i * 3] !== hi || s[i * 3 + 1] !== lo)) i = (i + 1) & this.mask;
    return i;
  }
  get(hi: number, lo: number): number {
    return this.slots[this.slot(hi, lo) * 3 + 2]!;
  }
  set(hi: number, lo: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const i = this.slot(hi, lo) * 3;
    if (this.slots[i + 2] === -1) this.size++;
    this.slots[i] = hi;
    this.slots[i + 1] = lo;
    this.slots[i + 2] = v;
  }
  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.shift--;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap * 3);
    for (let i = 2; i < this.slots.length; i += 3) this.slots[i] = -1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 3) if (old[i + 2] !== -1) this.set(old[i]!, old[i + 1]!, old[i + 2]!);
  }
}

class UnionFind {
  parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const n = this.parent[x]!;
      this.parent[x] = r;
      x = n;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function protocolName(proto: number): Protocol {
  return proto === 1 ? 'icmp' : proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 58 ? 'icmpv6' : 'other';
}

/** Capture points of one input: one per named pcapng interface, else one for the file. */
function pointsOf(input: CaptureInput): { interfaceId: number; node: string; iface: string; source: Label['source'] }[] {
  const named = input.capture.interfaces.filter((i) => i.name);
  const distinct = new Set(named.map((i) => i.name));
  if (input.label.source !== 'explicit' && distinct.size > 1) {
    return input.capture.interfaces.map((i) => {
      const name = i.name ?? `if${i.id}`;
      // "node2/eth0" or "node2:eth0" names carry their node.
      const m = /^([^/:]+)[/:](.+)$/.exec(name);
      return { interfaceId: i.id, node: m ? m[1]! : input.label.node, iface: m ? m[2]! : name, source: 'pcapng' as const };
    });
  }
  return [{ interfaceId: -1, node: input.label.node, iface: input.label.interface, source: input.label.source }];
}

export function correlate(inputs: CaptureInput[]): Correlation {
  // The incident's time origin: the earliest first timestamp, so ns offsets stay below 2^53.
  let epochSec = Infinity;
  for (const i of inputs) if (!Number.isNaN(i.capture.lastNs)) epochSec = Math.min(epochSec, i.capture.baseSec);
  if (!Number.isFinite(epochSec)) epochSec = 0;

  const points: CapturePoint[] = [];
  const pointOf: { input: number; byIface: Map<number, number> | number }[] = [];
  inputs.forEach((input, n) => {
    const ps = pointsOf(input);
    const byIface = new Map<number, number>();
    for (const p of ps) {
      const id = points.length;
      points.push({
        id,
        file: input.file,
        node: p.node,
        interface: p.iface,
        role: interfaceRole(p.iface),
        labelSource: p.source,
        interfaceId: p.interfaceId,
        packets: 0,
        firstNs: NaN,
        lastNs: NaN,
        podIp: null,
      });
      byIface.set(p.interfaceId, id);
    }
    pointOf[n] = { input: n, byIface: ps.length === 1 ? points.length - 1 : byIface };
  });

  // -- sightings, grouped by identity -----------------------------------------------------
  const v4Addrs = new Map<number, Addr>();
  let total = 0;
  for (const i of inputs) total += i.capture.index.count;
  const groupByKey = new PairTable(total >> 2);
  const occurrences = new PairTable(1024);
  const occCount: number[] = [];
  const groups: PacketGroup[] = [];
  const store = new SightingStore(total);
  // Per packet group, in columns that grow by doubling: most packets are seen at several
  // points, so there are far fewer groups than rows.
  let groupCap = Math.max(1024, total >> 2);
  let groupVotes = new Int32Array(groupCap);
  let gProto = new Uint8Array(groupCap);
  let gIpLen = new Uint16Array(groupCap);
  let gSeq = new Uint32Array(groupCap);
  let gFlags = new Uint8Array(groupCap);
  let gFirst = new Float64Array(groupCap);
  let groupCount = 0;
  const uf = new UnionFind();
  const connNode = new Map<number, number>();
  let groupConn = new Int32Array(groupCap);
  let portVotes = new Int32Array(groupCap);
  const errorRows: { input: number; row: number; point: number; tNs: number }[] = [];
  const row = emptyRow();
  // Per pod point: how often each address appears, to learn the pod's own address.
  const podAddrCounts = new Map<number, Map<number, number>>();
  // With at most 30 capture points, a bit mask per packet says where it was already seen.
  const useMasks = points.length <= 30;
  let groupMask = new Int32Array(groupCap);
  const anySeen = new Map<string, { t: number; ifs: number[] }>();
  let groupTuple = new Int32Array(groupCap * 4);

  // Walk all captures at once, in time order: the sightings of one packet at its capture points
  // then arrive together, while its group and its table slot are still in cache.
  const cursors = inputs.map((input, n) => {
    const c = input.capture;
    return {
      n,
      c,
      idx: c.index,
      baseNs: (c.baseSec - epochSec) * 1e9 + c.baseNsec,
      mapping: pointOf[n]!.byIface,
      v6Addrs: [] as Addr[],
      r: -1,
      t: -Infinity,
    };
  });
  type Cursor = (typeof cursors)[number];
  const advance = (cur: Cursor): void => {
    cur.r++;
    if (cur.r >= cur.idx.count) cur.t = Infinity;
    else {
      const t = cur.baseNs + cur.idx.tsNsAt(cur.r);
      if (!Number.isNaN(t)) cur.t = t; // no timestamp (pcapng SPB): keep the previous place
    }
  };
  for (const cur of cursors) advance(cur);
  // Addresses are interned: one string and one hash per distinct address, not per packet.
  const addr = (cur: Cursor, v: number, v6: boolean): Addr => {
    if (v6) return (cur.v6Addrs[v] ??= internAddr(cur.c.ipv6[v] ?? '?', store));
    let a = v4Addrs.get(v);
    if (a === undefined) v4Addrs.set(v, (a = internAddr(formatIpv4(v), store)));
    return a;
  };
  let lastSrcV = -1;
  let lastDstV = -1;
  let lastSrcA: Addr | undefined;
  let lastDstA: Addr | undefined;
  for (;;) {
    let cur = cursors[0];
    for (const k of cursors) if (k.t < cur!.t) cur = k;
    if (!cur || cur.t === Infinity) break;
    const r = cur.r;
    const n = cur.n;
    const c = cur.c;
    const baseNs = cur.baseNs;
    const mapping = cur.mapping;
    cur.idx.read(r, row);
    advance(cur);
    {
      const shape = c.shapes[row.shape]!;
      const point = typeof mapping === 'number' ? mapping : (mapping.get(shape.interfaceId) ?? mapping.values().next().value!);
      const pt = points[point]!;
      pt.packets++;
      const tNs = (row.meta & META_NO_TIMESTAMP) !== 0 ? NaN : baseNs + row.tsNs;
      if (!Number.isNaN(tNs)) {
        if (!(tNs >= pt.firstNs)) pt.firstNs = Number.isNaN(pt.firstNs) ? tNs : Math.min(pt.firstNs, tNs);
        if (!(tNs <= pt.lastNs)) pt.lastNs = tNs;
      }
      if ((row.meta & META_HAS_IP) === 0) continue;
      if ((row.meta & META_ICMP_ERROR) !== 0) {
        errorRows.push({ input: n, row: r, point, tNs });
        continue;
      }
      const proto = row.proto;
      if (proto !== 1 && proto !== 6 && proto !== 17 && proto !== 58) continue;
      const v6 = (row.meta & META_INNER_IPV6) !== 0;
      // Identity: what forwarding and NAT leave alone. TCP leaves out the length and PSH/FIN:
      // a GSO/TSO super-segment and the first wire-sized segment cut from it share IP id, seq,
      // ack and first payload bytes, and only the last piece carries PSH or FIN; the later
      // pieces are packets of their own, seen from the point where the cut happened.
      let h1 = mix(mix(mix(0x811c9dc5, proto), row.ipId), proto === 6 ? 0 : row.ipLen);
      h1 = mix(h1, row.digest);
      let h2 = mix(0x01000193, row.seq);
      if (proto === 6) h2 = mix(mix(h2, row.ack), row.tcpFlags & ~(0x08 | 0x01));
      else if (proto === 1 || proto === 58) h2 = mix(h2, row.dport >>> 8); // ICMP type
      // Identical retransmissions (a SYN-ACK resent with IP id 0) carry the same identity: the
      // n-th copy at one point is matched with the n-th copy at the next. At a `-i any` point
      // a copy within 5 ms is the same packet crossing a second interface (bridge and port).
      // `tcpdump -i any` records a packet once per interface it crosses (the bridge and its
      // port, the overlay device): the SLL2 interface index tells those copies apart from a
      // second transmission, which comes back on the same interface. Without an index (SLL v1)
      // a copy within 5 ms is taken as the same packet.
      if (pt.role === 'any') {
        const key = `${h1}|${h2}|${point}`;
        const ifx = shape.sllIfindex;
        const prev = anySeen.get(key);
        if (prev && Math.abs(tNs - prev.t) < 5e6 && (ifx < 0 || !prev.ifs.includes(ifx))) {
          prev.ifs.push(ifx);
          continue;
        }
        anySeen.set(key, { t: tNs, ifs: [ifx] });
      }
      let g: number | undefined;
      if (useMasks) {
        const cand = groupByKey.get(h1 | 0, h2 | 0);
        if (cand >= 0 && (groupMask[cand]! & (1 << point)) !== 0) {
          // A copy of this packet was already seen here: count copies per point (O(1) even
          // for a flood of identical packets).
          const okey = h1 ^ Math.imul(point + 1, 0x27d4eb2d);
          let ok = occurrences.get(okey, h2 | 0);
          if (ok < 0) {
            ok = occCount.length;
            occurrences.set(okey, h2 | 0, ok);
            occCount.push(1);
          }
          const nth = occCount[ok]!;
          occCount[ok] = nth + 1;
          h2 = (h2 + Math.imul(nth, 0x61c88647)) | 0;
          const found = groupByKey.get(h1 | 0, h2 | 0);
          g = found >= 0 ? found : undefined;
        } else g = cand >= 0 ? cand : undefined;
      } else {
        const ok = occurrences.get(h1 ^ Math.imul(point + 1, 0x27d4eb2d), h2 | 0);
        let nth = 0;
        if (ok >= 0) {
          nth = occCount[ok]!;
          occCount[ok] = nth + 1;
        } else {
          occurrences.set(h1 ^ Math.imul(point + 1, 0x27d4eb2d), h2 | 0, occCount.length);
          occCount.push(1);
        }
        if (nth > 0) h2 = (h2 + Math.imul(nth, 0x61c88647)) | 0;
        const found = groupByKey.get(h1 | 0, h2 | 0);
        g = found >= 0 ? found : undefined;
      }
      let srcA: Addr;
      let dstA: Addr;
      if (!v6 && row.src === lastSrcV) srcA = lastSrcA!;
      else {
        srcA = addr(cur, row.src, v6);
        if (!v6) {
          lastSrcV = row.src;
          lastSrcA = srcA;
        }
      }
      if (!v6 && row.dst === lastDstV) dstA = lastDstA!;
      else {
        dstA = addr(cur, row.dst, v6);
        if (!v6) {
          lastDstV = row.dst;
          lastDstA = dstA;
        }
      }
      if (pt.role === 'pod' && pt.packets <= POD_ADDRESS_SAMPLE) {
        let m = podAddrCounts.get(point);
        if (!m) podAddrCounts.set(point, (m = new Map()));
        m.set(srcA.id, (m.get(srcA.id) ?? 0) + 1);
        m.set(dstA.id, (m.get(dstA.id) ?? 0) + 1);
      }
      // Direction from what the packet itself says.
      let vote = 0;
      let portVote = 0;
      if (proto === 1 || proto === 58) {
        const type = row.dport >>> 8;
        vote = type === 8 || type === 128 ? 1 : type === 0 || type === 129 ? -1 : 0;
      } else if (proto === 6) {
        const syn = row.tcpFlags & 0x02;
        const ack = row.tcpFlags & 0x10;
        vote = syn && !ack ? 2 : syn && ack ? -2 : 0;
        // The weakest evidence, used last: the client's port is usually the higher (ephemeral).
        if (vote === 0) portVote = row.sport > row.dport ? 1 : row.sport < row.dport ? -1 : 0;
      } else {
        vote = row.sport > row.dport ? 1 : row.sport < row.dport ? -1 : 0;
      }
      if (g === undefined) {
        if (groupCount === groupCap) {
          groupCap *= 2;
          const grow = <T extends Int32Array | Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, n = groupCap): T => {
            const b = new (a.constructor as new (n: number) => T)(n);
            b.set(a);
            return b;
          };
          groupVotes = grow(groupVotes);
          gProto = grow(gProto);
          gIpLen = grow(gIpLen);
          gSeq = grow(gSeq);
          gFlags = grow(gFlags);
          gFirst = grow(gFirst);
          groupConn = grow(groupConn);
          portVotes = grow(portVotes);
          groupMask = grow(groupMask);
          groupTuple = grow(groupTuple, groupCap * 4);
        }
        g = groupCount++;
        groupByKey.set(h1 | 0, h2 | 0, g);
        gProto[g] = proto;
        gIpLen[g] = row.ipLen;
        gSeq[g] = row.seq;
        gFlags[g] = row.tcpFlags;
        gFirst[g] = Infinity;
        groupConn[g] = -1;
        groupTuple.fill(-1, g * 4, g * 4 + 4);
      }
      if (useMasks) {
        groupMask[g] = groupMask[g]! | (1 << point);
      }
      if (tNs < gFirst[g]!) gFirst[g] = tNs;
      portVotes[g]! += portVote;
      const i = store.n++;
      store.point[i] = point;
      store.row[i] = r;
      store.tNs[i] = tNs;
      store.src[i] = srcA.id;
      store.dst[i] = dstA.id;
      store.sport[i] = row.sport;
      store.dport[i] = row.dport;
      store.ttl[i] = row.ttl;
      store.ipLen[i] = row.ipLen;
      store.tcpFlags[i] = row.tcpFlags;
      store.group[i] = g;
      groupVotes[g]! += vote;
      // The connection, as an unordered pair of endpoints (ICMP: addresses + echo id); the
      // same tuple as this packet's previous sighting (no NAT in between) adds nothing.
      const t4 = g * 4;
      if (groupTuple[t4] === srcA.id && groupTuple[t4 + 1] === dstA.id && groupTuple[t4 + 2] === row.sport && groupTuple[t4 + 3] === row.dport) continue;
      groupTuple[t4] = srcA.id;
      groupTuple[t4 + 1] = dstA.id;
      groupTuple[t4 + 2] = row.sport;
      groupTuple[t4 + 3] = row.dport;
      const ck = proto === 1 || proto === 58 ? icmpConnKey(proto, srcA, dstA, row.sport) : portConnKey(proto, srcA, row.sport, dstA, row.dport);
      let node = connNode.get(ck);
      if (node === undefined) {
        node = uf.add();
        connNode.set(ck, node);
      }
      if (groupConn[g] === -1) groupConn[g] = node;
      else if (groupConn[g] !== node) uf.union(groupConn[g]!, node);
    }
  }

  for (let g = 0; g < groupCount; g++) {
    const pg = new PacketGroup(g, gProto[g]!, gIpLen[g]!, gSeq[g]!, gFlags[g]!, store);
    pg.firstNs = gFirst[g]!;
    pg.pointMask = useMasks ? groupMask[g]! : -1;
    groups.push(pg);
  }
  store.index(groups.length);

  for (const [point, counts] of podAddrCounts) {
    let best = -1;
    let n = 0;
    for (const [a, k] of counts) if (k > n) [best, n] = [a, k];
    points[point]!.podIp = best >= 0 ? store.addrs[best]!.text : null;
  }

  // -- flows --------------------------------------------------------------------------------
  const flowOfRoot = new Map<number, Flow>();
  const flows: Flow[] = [];
  groups.forEach((g, i) => {
    g.dir = groupVotes[i]! >= 0 ? 1 : -1;
    const root = uf.find(groupConn[i]!);
    let f = flowOfRoot.get(root);
    if (!f) {
      f = {
        id: flows.length,
        protocol: protocolName(g.proto),
        proto: g.proto,
        client: '',
        clientPort: null,
        server: '',
        serverPort: null,
        icmpId: null,
        groups: [],
        requests: [],
        replies: [],
        path: [],
        clientNode: '',
        icmpErrors: [],
      };
      flowOfRoot.set(root, f);
      flows.push(f);
    }
    f.groups.push(g);
  });

  for (const f of flows) settleFlow(f, groupVotes, portVotes, points, store);

  // -- ICMP errors: attach to the flow their quoted datagram belongs to ---------------------
  attachIcmpErrors(inputs, errorRows, flows, connNode, uf, flowOfRoot);

  let ownerMap: Map<string, string> | null = null;
  const owners = () => (ownerMap ??= addressOwners(points, store));
  for (const f of flows) f.path = pathOf(f, points, owners);

  const clocks = estimateClocks(flows, points);
  const referenceNode = [...clocks.values()].find((c) => c.method === 'reference')?.node ?? points[0]?.node ?? '';
  const kept = flows.filter((f) => f.requests.length > 0 || f.replies.length > 0);
  kept.forEach((f, i) => (f.id = i)); // Correlation.flows[f.id] === f
  const inputOfPoint = points.map((_, id) => pointOf.findIndex((m) => (typeof m.byIface === 'number' ? m.byIface === id : [...m.byIface.values()].includes(id))));
  const encCache = new Map<string, Encapsulation | null>();
  const encapsulationOf = (point: number, r: number): Encapsulation | null => {
    const input = inputs[inputOfPoint[point]!];
    if (!input) return null;
    const c = input.capture;
    const shapeId = c.index.read(r).shape;
    const key = `${point}|${shapeId}`;
    if (!encCache.has(key)) {
      const bytes = c.shapeSamples.get(shapeId);
      const linkType = c.interfaces[c.shapes[shapeId]?.interfaceId ?? 0]?.linkType ?? 1;
      encCache.set(key, bytes ? encapsulationIn(decodePacket(bytes, linkType).layers) : null);
    }
    return encCache.get(key) ?? null;
  };
  return { epochSec, points, flows: kept, clocks, referenceNode, encapsulationOf };
}

interface Addr {
  id: number;
  text: string;
  hash: number;
}

const addrTables = new WeakMap<SightingStore, Map<string, Addr>>();
function internAddr(text: string, store: SightingStore): Addr {
  let table = addrTables.get(store);
  if (!table) addrTables.set(store, (table = new Map()));
  let a = table.get(text);
  if (!a) {
    a = { id: store.addrs.length, text, hash: hashStr(text) };
    store.addrs.push(a);
    table.set(text, a);
  }
  return a;
}

/** An address for key computation only (same hash as an interned one). */
function addrOf(text: string): Addr {
  return { id: -1, text, hash: hashStr(text) };
}

/** The connection an ICMP echo belongs to: both addresses, unordered, and the identifier. */
function icmpConnKey(proto: number, a: Addr, b: Addr, id: number): number {
  const [x, y] = a.hash < b.hash || (a.hash === b.hash && a.text < b.text) ? [a, b] : [b, a];
  return mix(mix(mix(proto, x.hash), y.hash), id);
}

/** A TCP/UDP connection: both endpoints, unordered. */
function portConnKey(proto: number, a: Addr, ap: number, b: Addr, bp: number): number {
  const aFirst = a.hash < b.hash || (a.hash === b.hash && (a.text < b.text || (a.text === b.text && ap <= bp)));
  return aFirst ? mix(mix(mix(mix(proto, a.hash), ap), b.hash), bp) : mix(mix(mix(mix(proto, b.hash), bp), a.hash), ap);
}


/** The outermost overlay in a layer stack, with the outer addresses and port. */
export function encapsulationIn(layers: Layer[]): Encapsulation | null {
  let outer: Extract<Layer, { kind: 'ipv4' | 'ipv6' }> | null = null;
  let udpPort: number | null = null;
  for (const l of layers) {
    if (l.quoted) break;
    if (l.kind === 'ipv4' || l.kind === 'ipv6') {
      if (outer) return { kind: IPIP.kind, vni: null, port: null, outerSrc: outer.src, outerDst: outer.dst };
      outer = l;
    } else if (l.kind === 'udp') udpPort = l.dstPort;
    else if (outer) {
      const spec = overlayOfLayer(l.kind);
      if (!spec) continue;
      const id = spec.id ? (l as unknown as Record<string, unknown>)[spec.id.field] : null;
      return { kind: spec.kind, vni: typeof id === 'number' ? id : null, port: spec.udpPorts.length > 0 ? udpPort : null, outerSrc: outer.src, outerDst: outer.dst };
    }
  }
  return null;
}

function hashStr(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function roleRank(role: InterfaceRole): number {
  return ROLE_EGRESS[role];
}

/** Decide client, server, and each group's direction. */
/** Packets of a pod veth examined to learn the pod's own address (the one on all of them). */
const POD_ADDRESS_SAMPLE = 4096;
/** Requests examined to find a flow's client (highest TTL, pod side, earliest). */
const CLIENT_SAMPLE = 256;
/** Packets per flow used for clock offsets: the minimum one-way delay settles long before. */
const CLOCK_SAMPLE = 4_000;

function settleFlow(f: Flow, votes: Int32Array, portVotes: Int32Array, points: CapturePoint[], st: SightingStore): void {
  // The request "template": a packet that says it is a request, seen as early as possible
  // (highest TTL, then the pod side of a node, then the earliest).
  // The first few hundred requests say who the client is as well as all of them would.
  const requestish = f.groups.filter((g) => votes[g.id]! > 0).slice(0, CLIENT_SAMPLE);
  const candidates = requestish.length > 0 ? requestish : f.groups.slice(0, CLIENT_SAMPLE);
  const rank = points.map((p) => roleRank(p.role));
  let best = -1;
  for (const g of candidates) {
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      if (best < 0) {
        best = i;
        continue;
      }
      const dt = st.ttl[i]! - st.ttl[best]!;
      const dr = rank[st.point[i]!]! - rank[st.point[best]!]!;
      if (dt > 0 || (dt === 0 && (dr < 0 || (dr === 0 && st.tNs[i]! < st.tNs[best]!)))) best = i;
    }
  }
  if (best < 0) return;
  const isIcmp = f.proto === 1 || f.proto === 58;
  f.client = st.addrs[st.src[best]!]!.text;
  f.server = st.addrs[st.dst[best]!]!.text;
  f.clientPort = isIcmp ? null : st.sport[best]!;
  f.serverPort = isIcmp ? null : st.dport[best]!;
  f.icmpId = isIcmp ? st.sport[best]! : null;
  f.clientNode = points[st.point[best]!]!.node;
  const clientId = st.src[best]!;

  // TCP segments that are neither SYN nor SYN-ACK: their sequence number lies in the client's
  // or the server's sequence space, counted from the SYN's and the SYN-ACK's.
  if (f.proto === 6) {
    let cIsn = -1;
    let sIsn = -1;
    for (const g of f.groups) {
      if (votes[g.id]! >= 2 && cIsn < 0) cIsn = g.seq;
      else if (votes[g.id]! <= -2 && sIsn < 0) sIsn = g.seq;
    }
    const ahead = (seq: number, isn: number) => ((seq - isn) >>> 0) < 0x40000000;
    if (cIsn >= 0 || sIsn >= 0) {
      for (const g of f.groups) {
        if (votes[g.id]! !== 0) continue;
        const c = cIsn >= 0 && ahead(g.seq, cIsn);
        const sv = sIsn >= 0 && ahead(g.seq, sIsn);
        if (c === sv) continue; // both or neither: leave it to the tuples below
        votes[g.id] = c ? 1 : -1;
        g.dir = c ? 1 : -1;
      }
    }
  }
  // Without a SYN to count from, TCP falls back on ports: the client's is usually the higher.
  if (f.proto === 6) {
    for (const g of f.groups) {
      if (votes[g.id]! !== 0 || portVotes[g.id]! === 0) continue;
      votes[g.id] = portVotes[g.id]! > 0 ? 1 : -1;
      g.dir = votes[g.id]! > 0 ? 1 : -1;
    }
  }
  // Groups that still did not say which way they go: compare with a known request at the same point.
  if (f.groups.some((g) => votes[g.id]! === 0)) {
    // (point, src, dst) of known requests, as one number each.
    const reqTuples = new Set<number>();
    // Int32 keys stay unboxed in the Set; a rare collision only nudges a vote.
    const tupleKey = (point: number, a: number, b: number) => mix(mix(point, a), b);
    for (const g of f.groups) {
      if (votes[g.id]! <= 0) continue;
      for (let k = g.from, e = g.to; k < e; k++) {
        const i = st.order[k]!;
        reqTuples.add(tupleKey(st.point[i]!, st.src[i]!, st.dst[i]!));
      }
    }
    for (const g of f.groups) {
      if (votes[g.id]! !== 0) continue;
      let d = 0;
      for (let k = g.from, e = g.to; k < e; k++) {
        const i = st.order[k]!;
        const pnt = st.point[i]!;
        if (reqTuples.has(tupleKey(pnt, st.src[i]!, st.dst[i]!))) d++;
        else if (reqTuples.has(tupleKey(pnt, st.dst[i]!, st.src[i]!))) d--;
        else if (st.src[i] === clientId) d++;
        else if (st.dst[i] === clientId) d--;
      }
      g.dir = d >= 0 ? 1 : -1;
    }
  }
  for (const g of f.groups) (g.dir === 1 ? f.requests : f.replies).push(g);
  const byTime = (a: PacketGroup, b: PacketGroup) => a.firstNs - b.firstNs;
  f.requests.sort(byTime);
  f.replies.sort(byTime);
}


/**
 * Path order: the client's node first, its points in egress order (pod veth → bridge →
 * overlay → NIC); then the other nodes the flow reached, in ingress order (NIC → overlay →
 * bridge → pod veth). Nodes are ordered by what the packets show (TTL), never by file order.
 */
function pathOf(f: Flow, points: CapturePoint[], owners: () => Map<string, string>): number[] {
  // Per point first (one pass over the sightings), then per node.
  const reqTtl = new Int16Array(points.length).fill(-1);
  const repTtl = new Int16Array(points.length).fill(-1);
  const seenAtPoint = new Uint8Array(points.length);
  // Where the flow was seen: every packet counts. TTLs: the first packets each way suffice.
  let reqSeen = 0;
  let repSeen = 0;
  let seenMask = 0;
  for (const g of f.groups) {
    const st = g.store;
    const sample = g.dir === 1 ? reqSeen++ < CLIENT_SAMPLE : repSeen++ < CLIENT_SAMPLE;
    if (!sample && g.pointMask !== -1) {
      seenMask |= g.pointMask;
      continue;
    }
    const ttl = g.dir === 1 ? reqTtl : repTtl;
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      const pnt = st.point[i]!;
      seenAtPoint[pnt] = 1;
      if (sample && st.ttl[i]! > ttl[pnt]!) ttl[pnt] = st.ttl[i]!;
    }
  }
  for (let p = 0; p < 30; p++) if (seenMask & (1 << p)) seenAtPoint[p] = 1;
  for (const e of f.icmpErrors) seenAtPoint[e.point] = 1;
  const nodes = new Map<string, { reqTtl: number; repTtl: number; seen: boolean }>();
  const seenPoints = new Set<number>();
  for (const p of points) {
    let n = nodes.get(p.node);
    if (!n) nodes.set(p.node, (n = { reqTtl: -1, repTtl: -1, seen: false }));
    if (seenAtPoint[p.id]) {
      n.seen = true;
      seenPoints.add(p.id);
    }
    n.reqTtl = Math.max(n.reqTtl, reqTtl[p.id]!);
    n.repTtl = Math.max(n.repTtl, repTtl[p.id]!);
  }
  const client = f.clientNode;
  const others = [...nodes.entries()].filter(([name]) => name !== client);
  const seen = others.filter(([, n]) => n.seen);
  seen.sort(([a, x], [b, y]) => {
    // Requests lose TTL as they go: a node that saw them with a higher TTL comes first.
    if (x.reqTtl >= 0 && y.reqTtl >= 0 && x.reqTtl !== y.reqTtl) return y.reqTtl - x.reqTtl;
    if ((x.reqTtl >= 0) !== (y.reqTtl >= 0)) return x.reqTtl >= 0 ? -1 : 1;
    // Replies start at the server: a higher reply TTL is farther along the request path.
    if (x.repTtl !== y.repTtl) return x.repTtl - y.repTtl;
    return a.localeCompare(b);
  });
  let onPath = seen.map(([name]) => name);
  if (onPath.length === 0) {
    // Nothing left the client's node. The server's node is the one whose pods use the server
    // address (learned from other flows); else every other node is a candidate.
    const owner = owners().get(f.server) ?? null;
    onPath = owner && owner !== client ? [owner] : others.map(([name]) => name).sort();
  }
  const serverAddrs = new Set<string>([f.server]);
  const clientAddrs = new Set<string>([f.client]);
  // Addresses the requests carried (before and after NAT), by interned id, then as text.
  const srcIds = new Set<number>();
  const dstIds = new Set<number>();
  for (const g of f.requests.slice(0, CLIENT_SAMPLE)) {
    const st = g.store;
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      srcIds.add(st.src[i]!);
      dstIds.add(st.dst[i]!);
    }
  }
  const addrsText = f.groups[0]?.store.addrs ?? [];
  for (const id of dstIds) serverAddrs.add(addrsText[id]!.text);
  for (const id of srcIds) clientAddrs.add(addrsText[id]!.text);
  const keep = (p: CapturePoint) =>
    seenPoints.has(p.id) || p.role !== 'pod' || p.podIp === null || serverAddrs.has(p.podIp) || clientAddrs.has(p.podIp);

  const out: number[] = [];
  const clientPoints = points.filter((p) => p.node === client && keep(p));
  // Same-node flows: the server pod's veth comes last on the client's node.
  const isServerPod = (p: CapturePoint) => p.role === 'pod' && p.podIp !== null && serverAddrs.has(p.podIp) && !clientAddrs.has(p.podIp);
  clientPoints.sort((a, b) => (isServerPod(a) ? 9 : ROLE_EGRESS[a.role]) - (isServerPod(b) ? 9 : ROLE_EGRESS[b.role]) || a.id - b.id);
  out.push(...clientPoints.map((p) => p.id));
  for (const node of onPath) {
    const ps = points.filter((p) => p.node === node && keep(p));
    ps.sort((a, b) => ROLE_INGRESS[a.role] - ROLE_INGRESS[b.role] || a.id - b.id);
    out.push(...ps.map((p) => p.id));
  }
  // Packets cannot skip a capture point: one that saw nothing of the flow between two that
  // did is not on this flow's path (a pod talking to the outside never crosses tunl0).
  return out.filter((id, i) => {
    if (seenPoints.has(id)) return true;
    const node = points[id]!.node;
    const before = out.slice(0, i).some((o) => seenPoints.has(o) && points[o]!.node === node);
    const after = out.slice(i + 1).some((o) => seenPoints.has(o) && points[o]!.node === node && points[o]!.role !== 'any');
    return !(before && after);
  });
}

/**
 * Which node each address belongs to, from the pod veths' own addresses and from what bridges
 * and pod veths saw as a source: built once, by one pass over the sightings.
 */
function addressOwners(points: CapturePoint[], store: SightingStore): Map<string, string> {
  const owners = new Map<string, string>();
  for (const p of points) if (p.role === 'pod' && p.podIp !== null) owners.set(p.podIp, p.node);
  const byId = new Int8Array(store.addrs.length); // 1 = already decided
  for (let i = 0; i < store.n; i++) {
    const a = store.src[i]!;
    if (byId[a]) continue;
    const p = points[store.point[i]!]!;
    if (p.role !== 'bridge' && p.role !== 'pod') continue;
    byId[a] = 1;
    const text = store.addrs[a]!.text;
    if (!owners.has(text)) owners.set(text, p.node);
  }
  return owners;
}

// ---------------------------------------------------------------------------------------------

function attachIcmpErrors(
  inputs: CaptureInput[],
  errorRows: { input: number; row: number; point: number; tNs: number }[],
  flows: Flow[],
  connNode: Map<number, number>,
  uf: UnionFind,
  flowOfRoot: Map<number, Flow>,
): void {
  const seen = new Set<string>();
  for (const e of errorRows) {
    const c = inputs[e.input]!.capture;
    const bytes = c.kept.get(e.row);
    if (!bytes) continue;
    const shape = c.shapes[c.index.read(e.row).shape]!;
    const linkType = c.interfaces[shape.interfaceId]?.linkType ?? 1;
    const layers = decodePacket(bytes, linkType).layers;
    const icmpAt = layers.findIndex((l) => !l.quoted && (l.kind === 'icmp' || l.kind === 'icmpv6') && l.isError);
    if (icmpAt < 0) continue;
    const icmp = layers[icmpAt] as Extract<Layer, { kind: 'icmp' | 'icmpv6' }>;
    let from = '';
    for (let i = icmpAt - 1; i >= 0; i--) {
      const l = layers[i]!;
      if (l.kind === 'ipv4' || l.kind === 'ipv6') {
        from = l.src;
        break;
      }
    }
    const quoted = layers.slice(icmpAt + 1).filter((l) => l.quoted);
    const ips = quoted.filter((l): l is Extract<Layer, { kind: 'ipv4' | 'ipv6' }> => l.kind === 'ipv4' || l.kind === 'ipv6');
    const inner = ips[ips.length - 1];
    if (!inner) continue;
    const innerAt = quoted.indexOf(inner);
    const t = quoted[innerAt + 1];
    const proto = inner.kind === 'ipv4' ? inner.protocol : inner.finalNextHeader;
    let ck: number | null = null;
    if ((proto === 1 || proto === 58) && t && (t.kind === 'icmp' || t.kind === 'icmpv6')) {
      ck = icmpConnKey(proto, addrOf(inner.src), addrOf(inner.dst), t.identifier ?? 0);
    } else if (t && (t.kind === 'tcp' || t.kind === 'udp')) {
      ck = portConnKey(proto, addrOf(inner.src), t.srcPort, addrOf(inner.dst), t.dstPort);
    }
    if (ck === null) continue;
    const node = connNode.get(ck);
    if (node === undefined) continue;
    const flow = flowOfRoot.get(uf.find(node));
    if (!flow) continue;
    // The underlay packet the error quotes, when the inner packet was encapsulated.
    let quotedUnderlay: IcmpErrorSighting['quotedUnderlay'] = null;
    if (ips.length > 1) {
      const outer = ips[0]!;
      const ot = quoted[quoted.indexOf(outer) + 1];
      quotedUnderlay = {
        proto: outer.kind === 'ipv4' ? outer.protocol : outer.finalNextHeader,
        dst: outer.dst,
        dport: ot && (ot.kind === 'udp' || ot.kind === 'tcp') ? ot.dstPort : 0,
      };
    }
    const mtu = icmp.kind === 'icmp' ? (icmp.type === 3 && icmp.code === 4 ? (icmp.nextHopMtu ?? null) : null) : icmp.type === 2 ? (icmp.mtu ?? null) : null;
    // One error seen at several capture points is one error.
    const dedupe = `${e.point}|${from}|${icmp.type}|${icmp.code}|${inner.kind === 'ipv4' ? inner.id : ''}|${t && (t.kind === 'icmp' || t.kind === 'icmpv6') ? t.sequence : ''}|${e.tNs}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    flow.icmpErrors.push({
      point: e.point,
      tNs: e.tNs,
      from,
      type: icmp.type,
      code: icmp.code,
      mtu,
      quotedUnderlay,
      quotedIpLen: inner.kind === 'ipv4' ? inner.totalLength : inner.payloadLength + 40,
    });
  }
  void flows;
}

// ---------------------------------------------------------------------------------------------

/**
 * Each node's clock against a reference node, as NTP does: for packets seen on both nodes,
 * d = t_node − t_ref is delay + θ going one way and θ − delay coming back, so the minimum
 * one-way figures bracket θ. With packets in one direction only, the delay is taken as zero.
 */
function estimateClocks(flows: Flow[], points: CapturePoint[]): Map<string, NodeClock> {
  const nodes = [...new Set(points.map((p) => p.node))];
  // Pairwise samples: fwd = packets going a → b, bwd = b → a, as min/max of t_b − t_a.
  const nodeIdx = new Map(nodes.map((n, i) => [n, i]));
  const pointNode = points.map((p) => nodeIdx.get(p.node)!);
  const N = nodes.length;
  // fwdMin[a*N+b]: the least t_b − t_a over packets travelling from node a to node b.
  const fwdMin = new Float64Array(N * N).fill(Infinity);
  const samples = new Uint32Array(N * N);
  const first = new Float64Array(N);
  for (const f of flows) {
    const order = new Int32Array(N).fill(-1);
    f.path.forEach((pid, i) => {
      const n = pointNode[pid]!;
      if (order[n] === -1) order[n] = i;
    });
    const step = Math.max(1, Math.floor(f.groups.length / CLOCK_SAMPLE));
    for (let gi = 0; gi < f.groups.length; gi += step) {
      const g = f.groups[gi]!;
      first.fill(NaN);
      let seenNodes = 0;
      const st = g.store;
      for (let k = g.from, e = g.to; k < e; k++) {
        const i = st.order[k]!;
        const t = st.tNs[i]!;
        if (Number.isNaN(t)) continue;
        const n = pointNode[st.point[i]!]!;
        if (Number.isNaN(first[n]!)) seenNodes++;
        if (!(t >= first[n]!)) first[n] = t;
      }
      if (seenNodes < 2) continue;
      for (let a = 0; a < N; a++) {
        if (Number.isNaN(first[a]!) || order[a] === -1) continue;
        for (let b = 0; b < N; b++) {
          if (a === b || Number.isNaN(first[b]!) || order[b] === -1) continue;
          // Does this packet travel from a to b?
          if (!(g.dir === 1 ? order[a]! < order[b]! : order[a]! > order[b]!)) continue;
          const d = first[b]! - first[a]!;
          if (d < fwdMin[a * N + b]!) fwdMin[a * N + b] = d;
          samples[a * N + b]!++;
        }
      }
    }
  }
  const pair = new Map<string, { fwdMin: number; n: number }>();
  for (let a = 0; a < N; a++) {
    for (let b = 0; b < N; b++) {
      if (samples[a * N + b]! > 0) pair.set(`${nodes[a]}\u0000${nodes[b]}`, { fwdMin: fwdMin[a * N + b]!, n: samples[a * N + b]! });
    }
  }
  // θ(b relative to a) from both directions when we have them.
  const theta = (a: string, b: string): { theta: number; method: NodeClock['method']; n: number } | null => {
    const ab = pair.get(`${a}\u0000${b}`); // t_b - t_a for a→b packets = delay + θ
    const ba = pair.get(`${b}\u0000${a}`); // t_a - t_b for b→a packets = delay − θ
    if (ab && ba) return { theta: (ab.fwdMin - ba.fwdMin) / 2, method: 'two-way', n: ab.n + ba.n };
    if (ab) return { theta: ab.fwdMin, method: 'one-way', n: ab.n };
    if (ba) return { theta: -ba.fwdMin, method: 'one-way', n: ba.n };
    return null;
  };
  const clocks = new Map<string, NodeClock>();
  if (nodes.length === 0) return clocks;
  // Reference: the node most flows start on (the client side), then by name.
  const starts = new Map<string, number>();
  for (const f of flows) if (f.clientNode) starts.set(f.clientNode, (starts.get(f.clientNode) ?? 0) + 1);
  const ref = [...nodes].sort((a, b) => (starts.get(b) ?? 0) - (starts.get(a) ?? 0) || a.localeCompare(b))[0]!;
  clocks.set(ref, { node: ref, offsetNs: 0, method: 'reference', samples: 0 });
  // Breadth-first from the reference, preferring two-way estimates.
  const queue = [ref];
  while (queue.length > 0) {
    const a = queue.shift()!;
    const base = clocks.get(a)!;
    for (const b of nodes) {
      if (clocks.has(b)) continue;
      const t = theta(a, b);
      if (!t) continue;
      clocks.set(b, { node: b, offsetNs: base.offsetNs - t.theta, method: base.method === 'one-way' ? 'one-way' : t.method, samples: t.n });
      queue.push(b);
    }
  }
  for (const n of nodes) if (!clocks.has(n)) clocks.set(n, { node: n, offsetNs: 0, method: 'unknown', samples: 0 });
  return clocks;
}

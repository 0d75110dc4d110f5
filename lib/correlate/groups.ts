/**
 * The walk's columns (sightings.ts): every sighting of every packet, every packet group, and the
 * addresses they carried, interned. Plain data structures over typed arrays, read by every
 * stage after the walk; nothing here walks or decides.
 */
import { emptyRow, type PacketRow } from '../decode/packet-index';
import { formatIpv4 } from '../decode/summarize';
import { ns, type Nanoseconds } from '../util/units';
import { grow, hashStr, PairTable } from './tables';
import { TCP_RST } from '../protocols/numbers';

/** One sighting as an object, for code off the hot path (SightingStore holds them in columns). */
export interface Sighting {
  point: number;
  row: number;
  /** Raw clock, ns since the epoch. */
  tNs: Nanoseconds;
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

/** Interned addresses: one string and one hash per distinct address, not per packet. */
export class Addresses {
  readonly text: string[] = [];
  readonly hash: number[] = [];
  private readonly ids = new Map<string, number>();
  private readonly v4 = new PairTable(1024);

  intern(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.text.length;
      this.text.push(text);
      this.hash.push(hashStr(text));
      this.ids.set(text, id);
    }
    return id;
  }

  /** The id of an address already interned, or -1. */
  idOf(text: string): number {
    return this.ids.get(text) ?? -1;
  }

  /** A direct-mapped cache in front of the table: a node talks to few addresses at a time. */
  private readonly cacheKey = new Int32Array(256).fill(-1);
  private readonly cacheId = new Int32Array(256).fill(-1);

  /** An IPv4 address held as a number. */
  v4Id(v: number): number {
    const k = v | 0;
    const c = Math.imul(k, 0x9e3779b1) >>> 24;
    if (this.cacheKey[c] === k && this.cacheId[c]! >= 0) return this.cacheId[c]!;
    let id = this.v4.get(k, 0x4);
    if (id < 0) this.v4.set(k, 0x4, (id = this.intern(formatIpv4(v))));
    this.cacheKey[c] = k;
    this.cacheId[c] = id;
    return id;
  }
}

/**
 * Every sighting of every packet, in columns (34 bytes each): a million sighting objects cost
 * more to build and to walk than the whole correlation. `order[start[g] .. start[g+1])` lists
 * group g's sightings in the order they were seen.
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

  constructor(
    capacity: number,
    readonly addrs: Addresses,
  ) {
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

  add(point: number, r: number, tNs: number, src: number, dst: number, row: PacketRow, g: number): void {
    const i = this.n++;
    this.point[i] = point;
    this.row[i] = r;
    this.tNs[i] = tNs;
    this.src[i] = src;
    this.dst[i] = dst;
    this.sport[i] = row.sport;
    this.dport[i] = row.dport;
    this.ttl[i] = row.ttl;
    this.ipLen[i] = row.ipLen;
    this.tcpFlags[i] = row.tcpFlags;
    this.group[i] = g;
  }

  /**
   * Counting sort of the sightings by group, stable: each group's in the order seen. Each group's
   * next place is kept in `start` itself and moved back after (no second array of it: a single
   * capture has a group per packet), and sightings already in group order, as a single
   * capture's nearly always are, are placed without the scatter.
   */
  index(groups: number): void {
    const start = new Int32Array(groups + 1);
    const group = this.group;
    let sorted = true;
    for (let i = 0; i < this.n; i++) {
      start[group[i]! + 1]!++;
      if (i > 0 && group[i]! < group[i - 1]!) sorted = false;
    }
    for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
    const order = new Int32Array(this.n);
    if (sorted) for (let i = 0; i < this.n; i++) order[i] = i;
    else {
      // start[g] advances over group g's places to start[g + 1], then everything moves back one.
      for (let i = 0; i < this.n; i++) order[start[group[i]!]!++] = i;
      start.copyWithin(1, 0, groups);
      start[0] = 0;
    }
    this.order = order;
    this.start = start;
  }

  sighting(i: number): Sighting {
    const a = this.addrs;
    return {
      point: this.point[i]!,
      row: this.row[i]!,
      tNs: ns(this.tNs[i]!),
      src: a.text[this.src[i]!]!,
      dst: a.text[this.dst[i]!]!,
      srcHash: a.hash[this.src[i]!]!,
      dstHash: a.hash[this.dst[i]!]!,
      sport: this.sport[i]!,
      dport: this.dport[i]!,
      ttl: this.ttl[i]!,
      ipLen: this.ipLen[i]!,
      tcpFlags: this.tcpFlags[i]!,
    };
  }
}

/** Capture points a fragment key spans (points are far fewer). */
export const FRAGMENT_POINTS = 4096;

/**
 * Every packet group (one packet, one transmission, seen at one or more capture points), in
 * columns that grow by doubling: far fewer groups than sightings, and no object per packet.
 * Flows hold group ids; `from(g)..to(g)` indexes `store.order` for group g's sightings.
 */
export class PacketGroups {
  count = 0;
  private cap: number;
  proto: Uint8Array;
  ipLen: Uint16Array;
  /** ICMP echo sequence or TCP sequence number. */
  seq: Uint32Array;
  /** TCP acknowledgment number. */
  ack: Uint32Array;
  tcpFlags: Uint8Array;
  /** Earliest raw sighting time (ns since the epoch). */
  first: Float64Array;
  /** What the packets say of their direction (identity.ts), summed; settled by direction.ts. */
  votes: Int32Array;
  portVotes: Int32Array;
  /** +1 request, −1 reply, once settled. */
  dir: Int8Array;
  /** Bit p set: seen at capture point p (with at most 30 points). */
  mask: Int32Array;
  /**
   * During the walk, the group's connection node (-1 before its first tuple); once flows are
   * made, its flow's index in buildFlows' list (flows.ts), before flows without packets are
   * dropped and the rest numbered again.
   */
  conn: Int32Array;

  constructor(
    readonly store: SightingStore,
    /** False with more than 30 points: `mask` is then unused and sightings are walked instead. */
    readonly useMasks: boolean,
    /** Groups to make room for; more are made room for as they come. */
    expected = 1024,
  ) {
    const n = (this.cap = Math.max(1024, expected));
    this.proto = new Uint8Array(n);
    this.ipLen = new Uint16Array(n);
    this.seq = new Uint32Array(n);
    this.ack = new Uint32Array(n);
    this.tcpFlags = new Uint8Array(n);
    this.first = new Float64Array(n);
    this.votes = new Int32Array(n);
    this.portVotes = new Int32Array(n);
    this.dir = new Int8Array(n);
    this.mask = new Int32Array(n);
    this.conn = new Int32Array(n);
  }

  add(row: PacketRow): number {
    if (this.count === this.cap) this.double();
    const g = this.count++;
    this.proto[g] = row.proto;
    this.ipLen[g] = row.ipLen;
    this.seq[g] = row.seq;
    this.ack[g] = row.ack;
    this.tcpFlags[g] = row.tcpFlags;
    this.first[g] = Infinity;
    this.conn[g] = -1;
    return g;
  }

  private double(): void {
    const n = (this.cap *= 2);
    this.proto = grow(this.proto, n);
    this.ipLen = grow(this.ipLen, n);
    this.seq = grow(this.seq, n);
    this.ack = grow(this.ack, n);
    this.tcpFlags = grow(this.tcpFlags, n);
    this.first = grow(this.first, n);
    this.votes = grow(this.votes, n);
    this.portVotes = grow(this.portVotes, n);
    this.dir = grow(this.dir, n);
    this.mask = grow(this.mask, n);
    this.conn = grow(this.conn, n);
  }

  /** Group g's sightings are store.order[from(g) .. to(g)), in the order seen. */
  from(g: number): number {
    return this.store.start[g]!;
  }
  to(g: number): number {
    return this.store.start[g + 1]!;
  }

  /**
   * (group × FRAGMENT_POINTS + point) of fragmented datagrams whose first fragment crossed the
   * point without all the others: the datagram did not get there whole, so it did not get there.
   */
  readonly incomplete = new Set<number>();
  /**
   * Groups of a SYN or SYN-ACK sent more than once (identical retransmissions, Walk.copyOf)
   * whose copies were not all seen at the same points: which copy at one point is which at
   * another is then a guess (a capture that started late holds a later copy first, and pairs it
   * with the first elsewhere), so their times say nothing of the clocks (clocks.ts).
   */
  readonly unevenCopies = new Set<number>();

  /** Whether group g's first fragment crossed `point` without the rest of its datagram. */
  arrivedIncomplete(g: number, point: number): boolean {
    return this.incomplete.size > 0 && this.incomplete.has(g * FRAGMENT_POINTS + point);
  }

  /**
   * Whether group g is a TCP RST that answers a SYN: sequence number 0, as a SYN carries no
   * acknowledgment to take one from (RFC 9293 §3.10.7.1; Linux and iptables' REJECT alike).
   */
  refusesSyn(g: number): boolean {
    return this.proto[g] === 6 && (this.tcpFlags[g]! & TCP_RST) !== 0 && this.seq[g] === 0;
  }

  seenAt(g: number, point: number): boolean {
    if (this.incomplete.size > 0 && this.incomplete.has(g * FRAGMENT_POINTS + point)) return false;
    if (this.useMasks) return (this.mask[g]! & (1 << point)) !== 0;
    return this.sightingAt(g, point) >= 0;
  }

  /** The store index of group g's first sighting at `point`, or -1. */
  sightingAt(g: number, point: number): number {
    const st = this.store;
    for (let k = st.start[g]!, e = st.start[g + 1]!; k < e; k++) if (st.point[st.order[k]!] === point) return st.order[k]!;
    return -1;
  }

  /** Group g's sightings as objects, for code off the hot path. */
  sightings(g: number): Sighting[] {
    const st = this.store;
    const out: Sighting[] = [];
    for (let k = st.start[g]!, e = st.start[g + 1]!; k < e; k++) out.push(st.sighting(st.order[k]!));
    return out;
  }
}


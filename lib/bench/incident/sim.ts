/**
 * The discrete-event core: a time-ordered event queue, the network that carries a packet along
 * its hops (recording it at every capture point it crosses, with realistic delays), and the
 * capture files, which receive records slightly out of order and write them in time order.
 *
 * Time is true time in integer nanoseconds since the captures started; each capture point adds
 * its node's clock offset when it writes a timestamp.
 */
import { PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH, PcapWriter } from '../../capture/pcap-writer';
import { EPHEMERAL_HIGH, EPHEMERAL_LOW, LINKTYPE_ETHERNET, type ClusterNode, type Endpoint } from './cluster';
import type { Channel, Delay } from './paths';
import { renderFrame, renderVxlan, vxlanSourcePort, type Packet, type Tuple } from './wire';

const US = 1000;

/** A binary heap of events ordered by time, then by when they were scheduled. */
export class EventQueue {
  private times: number[] = [];
  private seqs: number[] = [];
  private fns: (() => void)[] = [];
  private seq = 0;

  get size(): number {
    return this.times.length;
  }

  push(t: number, fn: () => void): void {
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    const s = this.seq++;
    let i = times.length;
    times.push(t);
    seqs.push(s);
    fns.push(fn);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! < t || (times[parent] === t && seqs[parent]! < s)) break;
      times[i] = times[parent]!;
      seqs[i] = seqs[parent]!;
      fns[i] = fns[parent]!;
      i = parent;
    }
    times[i] = t;
    seqs[i] = s;
    fns[i] = fn;
  }

  /** The earliest event's time; Infinity when empty. */
  peekTime(): number {
    return this.times.length > 0 ? this.times[0]! : Infinity;
  }

  pop(): (() => void) | undefined {
    const times = this.times;
    const seqs = this.seqs;
    const fns = this.fns;
    const n = times.length;
    if (n === 0) return undefined;
    const top = fns[0]!;
    const t = times.pop()!;
    const s = seqs.pop()!;
    const fn = fns.pop()!;
    if (n > 1) {
      let i = 0;
      const m = n - 1;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        const c = r < m && (times[r]! < times[l]! || (times[r] === times[l] && seqs[r]! < seqs[l]!)) ? r : l;
        if (t < times[c]! || (t === times[c] && s < seqs[c]!)) break;
        times[i] = times[c]!;
        seqs[i] = seqs[c]!;
        fns[i] = fns[c]!;
        i = c;
      }
      times[i] = t;
      seqs[i] = s;
      fns[i] = fn;
    }
    return top;
  }
}

/** Records waiting to be written: kept sorted by time, nearly always appended at the end. */
class PointOutput {
  times: number[] = [];
  frames: Uint8Array[] = [];
  head = 0;
  chunk: Uint8Array;
  used = 0;
  packets = 0;
  bytes = 0;

  constructor(
    readonly point: number,
    readonly clockOffsetNs: number,
    chunkSize: number,
  ) {
    this.chunk = new Uint8Array(chunkSize);
  }

  insert(t: number, frame: Uint8Array): void {
    const times = this.times;
    let i = times.length;
    while (i > this.head && times[i - 1]! > t) i--;
    if (i === times.length) {
      times.push(t);
      this.frames.push(frame);
    } else {
      times.splice(i, 0, t);
      this.frames.splice(i, 0, frame);
    }
  }
}

export interface Chunk {
  point: number;
  bytes: Uint8Array;
}

/** The eight capture files, as chunks of classic pcap (microsecond timestamps, Ethernet). */
export class Captures {
  /** Records emitted so far, across all points. */
  records = 0;
  /** True time of the latest record written. */
  lastNs = 0;
  /** Finished chunks for the caller to write out. */
  readonly ready: Chunk[] = [];
  private readonly outputs: PointOutput[];
  private readonly writer = new PcapWriter();
  private readonly chunkSize: number;

  constructor(
    clockOffsetsNs: readonly number[],
    private readonly epochSec: number,
    chunkSize: number,
  ) {
    this.chunkSize = Math.max(chunkSize, PCAP_FILE_HEADER_LENGTH + PCAP_RECORD_HEADER_LENGTH + 65536);
    const header = this.writer.header(LINKTYPE_ETHERNET);
    this.outputs = clockOffsetsNs.map((off, i) => {
      const o = new PointOutput(i, off, this.chunkSize);
      o.chunk.set(header);
      o.used = header.length;
      o.bytes = header.length;
      return o;
    });
  }

  emit(point: number, t: number, frame: Uint8Array): void {
    const o = this.outputs[point];
    if (!o) throw new Error(`no capture point ${point}`);
    o.insert(t, frame);
    this.records++;
  }

  /** Writes every record at or before `t`: nothing emitted later can be earlier than now. */
  flushUntil(t: number): void {
    for (const o of this.outputs) {
      const times = o.times;
      while (o.head < times.length && times[o.head]! <= t) this.write(o);
      if (o.head > 4096 && o.head * 2 > times.length) {
        o.times = times.slice(o.head);
        o.frames = o.frames.slice(o.head);
        o.head = 0;
      }
    }
  }

  finish(): void {
    this.flushUntil(Infinity);
    for (const o of this.outputs) {
      if (o.used > 0) this.ready.push({ point: o.point, bytes: o.chunk.subarray(0, o.used) });
      o.used = 0;
    }
  }

  stats(): { packets: number; bytes: number }[] {
    return this.outputs.map((o) => ({ packets: o.packets, bytes: o.bytes }));
  }

  private write(o: PointOutput): void {
    const frame = o.frames[o.head]!;
    const t = o.times[o.head]!;
    if (t > this.lastNs) this.lastNs = t;
    const ns = t + o.clockOffsetNs;
    o.frames[o.head] = EMPTY;
    o.head++;
    const length = PCAP_RECORD_HEADER_LENGTH + frame.length;
    if (o.used + length > o.chunk.length) {
      this.ready.push({ point: o.point, bytes: o.chunk.subarray(0, o.used) });
      o.chunk = new Uint8Array(this.chunkSize);
      o.used = 0;
    }
    const sec = Math.floor(ns / 1e9);
    o.used += this.writer.recordInto(o.chunk, o.used, this.epochSec + sec, ns - sec * 1e9, frame);
    o.packets++;
    o.bytes += length;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Carries packets along channels. Delays, in microseconds: pod to its veth 1–3; veth to cni0
 * 1–5 (a bridge); a routing step 15–45 (netfilter and a route lookup); flannel.1 to eth0 8–25
 * (encapsulation); node to node 200–500 (the one-way delay on the underlay, mostly near 200);
 * eth0 to flannel.1 10–40 (UDP receive and decapsulation); last point to the application 3–15.
 */
export class Network {
  private readonly outerIds = new Map<ClusterNode, number>();

  constructor(
    private readonly rand: () => number,
    private readonly captures: Captures,
  ) {}

  delay(kind: Delay | 'deliver'): number {
    const r = this.rand();
    switch (kind) {
      case 'first':
        return Math.floor((1 + 2 * r) * US);
      case 'bridge':
        return Math.floor((1 + 4 * r) * US);
      case 'route':
        return Math.floor((15 + 30 * r) * US);
      case 'encap':
        return Math.floor((8 + 17 * r) * US);
      case 'wire':
        return Math.floor((200 + 300 * r * r * r) * US);
      case 'decap':
        return Math.floor((10 + 30 * r) * US);
      case 'deliver':
        return Math.floor((3 + 12 * r) * US);
    }
  }

  /**
   * Records `p` at every hop it reaches, sent at `t`; returns when it reaches the receiving
   * application, or null when it is dropped on the way.
   */
  transmit(ch: Channel, p: Packet, t: number): number | null {
    let at = t;
    let vxlan: Uint8Array | null = null;
    const hops = ch.hops;
    for (let i = 0; i < ch.reach; i++) {
      const h = hops[i]!;
      // A flow's packets keep their order through every hop.
      at = Math.max(at + this.delay(h.delay), ch.lastAt[i]! + US);
      ch.lastAt[i] = at;
      const rw = i >= ch.rewriteFrom ? ch.rewrite : null;
      let frame: Uint8Array;
      if (h.vxlan) {
        // Both nodes' eth0 record the same bytes.
        vxlan ??= renderVxlan(
          p,
          {
            srcMac: h.vxlan.from.mac,
            dstMac: h.vxlan.to.mac,
            src: h.vxlan.from.ip,
            dst: h.vxlan.to.ip,
            id: this.outerId(h.vxlan.from),
            sport: vxlanSourcePortOf(h.vxlan.from, p, rw),
            innerSrcMac: h.srcMac,
            innerDstMac: h.dstMac,
          },
          h.ttlDrop,
          rw,
        );
        frame = vxlan;
      } else {
        frame = renderFrame(p, h.dstMac, h.srcMac, h.ttlDrop, rw);
      }
      this.captures.emit(h.point, at, frame);
    }
    if (ch.reach < hops.length) return null;
    return at + this.delay('deliver');
  }

  /** Emits a frame that does not follow a channel (ARP). */
  record(point: number, t: number, frame: Uint8Array): void {
    this.captures.emit(point, t, frame);
  }

  private outerId(node: ClusterNode): number {
    let id = this.outerIds.get(node);
    if (id === undefined) id = Math.floor(this.rand() * 0x10000);
    id = (id + 1) & 0xffff;
    this.outerIds.set(node, id);
    return id;
  }
}

function vxlanSourcePortOf(node: ClusterNode, p: Packet, rw: Tuple | null): number {
  return vxlanSourcePort(node.flowHashKey, p.proto, rw ?? p.tuple, EPHEMERAL_LOW, EPHEMERAL_HIGH);
}

/** IP ids of packets a host's kernel sends outside a TCP connection: one counter per sender. */
export class IpIds {
  private readonly next = new Map<Endpoint, number>();

  constructor(private readonly rand: () => number) {}

  /** The counter moves on by more than one now and then: other traffic shares it. */
  take(ep: Endpoint): number {
    let id = this.next.get(ep);
    if (id === undefined) id = Math.floor(this.rand() * 0x10000);
    const step = this.rand() < 0.7 ? 1 : 1 + Math.floor(this.rand() * 12);
    this.next.set(ep, (id + step) & 0xffff);
    return id;
  }
}

/**
 * TCP as Linux speaks it, enough for consistent captures: the three-way handshake (SYN and
 * SYN-ACK with MSS, SACK permitted, timestamps and window scale; the SYN-ACK with IP id 0, as a
 * request socket sends it), data in MSS-sized segments paced by the 1 Gbit/s link and limited by
 * a congestion window that grows in slow start, an ACK for every second segment and at every
 * PSH, FIN from the side that closes and FIN-ACK back. No loss: nothing is retransmitted except
 * SYNs that get no answer. Sequence numbers are kept unbounded here and written modulo 2^32.
 */
import type { Endpoint } from './cluster';
import { IPV4_HEADER, TCP_ACK, TCP_FIN, TCP_HEADER, TCP_PSH, TCP_SYN, VXLAN_OVERHEAD, type Tuple } from './wire';
import type { Channel, Conversation } from './paths';
import type { World } from './world';

const US = 1000;
const MS = 1_000_000;
/** Linux's initial congestion window, in segments. */
const INITIAL_CWND = 10;
const MAX_CWND = 256;
const WSCALE = 7;

export interface Message {
  length: number;
  /** Writes bytes [offset, offset + length) of the message at buf[at…]. */
  fill(buf: Uint8Array, at: number, offset: number, length: number): void;
  /** The whole message reached the peer's application at `t`. */
  onDelivered?: (t: number) => void;
}

interface Segment {
  seq: number;
  ack: number;
  flags: number;
  length: number;
  tsval: number;
}

class Side {
  peer!: Side;
  iss: number;
  nxt: number;
  una: number;
  rcv = 0;
  /** Sequence number after the last byte the application has written. */
  writeSeq: number;
  ipId: number;
  tsOffset: number;
  tsRecent = 0;
  window: number;
  established = false;
  queue: { msg: Message; start: number; sent: number }[] = [];
  /** Messages on their way to this side, by the sequence number that ends them. */
  incoming: { end: number; msg: Message }[] = [];
  segEnds: number[] = [];
  cwnd = INITIAL_CWND;
  nextSendAt = 0;
  pumping = false;
  unacked = 0;
  /** A FIN arrived that no segment of ours has acknowledged yet. */
  finAckOwed = false;
  ackScheduled = false;
  /** The application writes before this time: its data will carry the ACK. */
  replySoon = -1;
  finQueued = false;
  finSent = false;

  constructor(
    readonly ep: Endpoint,
    readonly ch: Channel,
    readonly tuple: Tuple,
    rand: () => number,
  ) {
    this.iss = Math.floor(rand() * 0x1_0000_0000);
    this.nxt = this.una = this.iss;
    this.writeSeq = this.iss + 1;
    this.ipId = Math.floor(rand() * 0x10000);
    this.tsOffset = Math.floor(rand() * 0x1_0000_0000);
    this.window = 500 + Math.floor(rand() * 13);
  }
}

function mtuOf(ep: Endpoint): number {
  return ep.kind === 'pod' ? 1450 : 1500;
}

export interface ConnectOptions {
  /** SYN retransmissions after the first, in seconds; default Linux ≥ 6.5's 1, 2, 3, 4, 6, 10. */
  synRetriesS?: readonly number[];
  /** The application gives up connecting after this many seconds. */
  giveUpS?: number;
}

export class TcpConnection {
  readonly client: Side;
  readonly server: Side;
  /** Payload bytes per full segment: the MSS less the 12 bytes of the timestamp option. */
  readonly segmentSize: number;
  private readonly mss: number;
  onClosed?: (t: number) => void;

  constructor(
    private readonly w: World,
    conv: Conversation,
    clientEp: Endpoint,
    serverEp: Endpoint,
  ) {
    this.client = new Side(clientEp, conv.fwd, conv.clientTuple, w.rand);
    this.server = new Side(serverEp, conv.rev, conv.serverTuple, w.rand);
    this.client.peer = this.server;
    this.server.peer = this.client;
    this.mss = Math.min(mtuOf(clientEp), mtuOf(serverEp)) - IPV4_HEADER - 20;
    this.segmentSize = this.mss - (TCP_HEADER - 20);
  }

  /** A connection opened before the captures started: no handshake to see. */
  static established(w: World, conv: Conversation, clientEp: Endpoint, serverEp: Endpoint): TcpConnection {
    const c = new TcpConnection(w, conv, clientEp, serverEp);
    for (const s of [c.client, c.server]) {
      s.iss = s.nxt = s.una = s.writeSeq = s.iss;
      s.established = true;
      s.cwnd = 40;
    }
    c.client.rcv = c.server.iss;
    c.server.rcv = c.client.iss;
    c.client.tsRecent = c.server.tsOffset;
    c.server.tsRecent = c.client.tsOffset;
    return c;
  }

  /** Sends the SYN at `t`; `onEstablished` runs when the SYN-ACK arrives. */
  connect(t: number, onEstablished: (t: number) => void, opts: ConnectOptions = {}): void {
    const c = this.client;
    const sendSyn = (at: number) => {
      if (c.established) return;
      this.send(c, at, TCP_SYN, 0, c.iss);
    };
    this.onEstablished = onEstablished;
    this.w.at(t, () => sendSyn(t));
    const retries = opts.synRetriesS ?? [1, 2, 3, 4, 6, 10];
    const giveUp = opts.giveUpS ?? Infinity;
    for (const s of retries) {
      if (s >= giveUp) break;
      this.w.at(t + s * 1e9, () => sendSyn(t + s * 1e9));
    }
    c.nxt = c.iss + 1;
  }

  private onEstablished: ((t: number) => void) | null = null;

  /** The application on `side` writes `msg` at `t`. */
  write(side: Side, t: number, msg: Message): void {
    if (t - this.w.now < 200 * US) side.replySoon = Math.max(side.replySoon, t);
    this.w.at(t, () => {
      side.queue.push({ msg, start: side.writeSeq, sent: 0 });
      side.writeSeq += msg.length;
      side.peer.incoming.push({ end: side.writeSeq, msg });
      this.pump(side);
    });
  }

  /** The application on `side` closes at `t`: a FIN follows whatever is still queued. */
  close(side: Side, t: number): void {
    this.w.at(t, () => {
      if (side.finQueued) return;
      side.finQueued = true;
      this.pump(side);
    });
  }

  private pump(side: Side): void {
    if (side.pumping || !side.established) return;
    const hasData = side.queue.length > 0;
    if (!hasData && !(side.finQueued && !side.finSent)) return;
    if (side.segEnds.length >= side.cwnd) return;
    side.pumping = true;
    const t = Math.max(this.w.now, side.nextSendAt);
    this.w.at(t, () => {
      side.pumping = false;
      this.sendNext(side, t);
      this.pump(side);
    });
  }

  private sendNext(side: Side, t: number): void {
    const head = side.queue[0];
    if (!head) {
      if (side.finQueued && !side.finSent) {
        side.finSent = true;
        this.send(side, t, TCP_FIN | TCP_ACK, 0, side.nxt);
        side.nxt += 1;
        side.segEnds.push(side.nxt);
      }
      return;
    }
    const length = Math.min(this.segmentSize, head.msg.length - head.sent);
    const seq = head.start + head.sent;
    const last = head.sent + length === head.msg.length;
    const msg = head.msg;
    const offset = head.sent;
    this.send(side, t, TCP_ACK | (last ? TCP_PSH : 0), length, seq, (buf, at) => msg.fill(buf, at, offset, length));
    head.sent += length;
    if (last) side.queue.shift();
    side.nxt = seq + length;
    side.segEnds.push(side.nxt);
    // The next segment waits for this one to leave the 1 Gbit/s link.
    const wire = IPV4_HEADER + TCP_HEADER + length + VXLAN_OVERHEAD + 24;
    side.nextSendAt = t + Math.floor(wire * 8 * (1 + 0.15 * this.w.rand()));
  }

  private send(side: Side, t: number, flags: number, length: number, seq: number, fill?: (buf: Uint8Array, at: number) => void): void {
    const w = this.w;
    const syn = (flags & TCP_SYN) !== 0;
    const synAck = syn && (flags & TCP_ACK) !== 0;
    const tsval = (side.tsOffset + Math.floor(w.clockNs(side.ep, t) / MS)) >>> 0;
    // A request socket (the SYN-ACK) has no IP id counter: with DF set Linux sends 0.
    const id = synAck ? 0 : side.ipId++;
    // Linux's first windows: whole segments of the MSS (SYN) or of the payload size (SYN-ACK).
    const window = !syn ? side.window : this.mss === 1410 ? (synAck ? 64308 : 64860) : synAck ? 65160 : 64240;
    w.packet.tcp(side.tuple, id, { seq, ack: side.rcv, flags, window, options: syn ? 'syn' : 'ts', mss: this.mss, wscale: WSCALE, tsval, tsecr: syn && !synAck ? 0 : side.tsRecent }, length, fill);
    if (flags & TCP_ACK) {
      side.unacked = 0;
      side.finAckOwed = false;
    }
    const arrival = w.net.transmit(side.ch, w.packet, t);
    if (arrival === null) return;
    const seg: Segment = { seq, ack: side.rcv, flags, length, tsval };
    const to = side.peer;
    w.at(arrival, () => this.receive(to, seg, arrival));
  }

  private receive(side: Side, seg: Segment, t: number): void {
    side.tsRecent = seg.tsval;
    const w = this.w;
    if (seg.flags & TCP_SYN) {
      side.rcv = seg.seq + 1;
      if (!(seg.flags & TCP_ACK)) {
        // The server answers from its request socket.
        if (side.nxt > side.iss) return; // a retransmitted SYN we already answered
        side.nxt = side.iss + 1;
        this.send(side, t + w.net.delay('route'), TCP_SYN | TCP_ACK, 0, side.iss);
        return;
      }
      if (side.established) return;
      side.una = seg.ack;
      side.established = true;
      this.send(side, t + w.net.delay('bridge'), TCP_ACK, 0, side.nxt);
      this.onEstablished?.(t);
      return;
    }
    if (!side.established && seg.flags & TCP_ACK) side.established = true;
    if (seg.flags & TCP_ACK && seg.ack > side.una) {
      side.una = seg.ack;
      let acked = 0;
      while (side.segEnds.length > 0 && side.segEnds[0]! <= seg.ack) {
        side.segEnds.shift();
        acked++;
      }
      side.cwnd = Math.min(MAX_CWND, side.cwnd + acked);
      this.pump(side);
    }
    let ackNow = false;
    if (seg.length > 0) {
      side.rcv = seg.seq + seg.length;
      side.unacked++;
      while (side.incoming.length > 0 && side.incoming[0]!.end <= side.rcv) {
        side.incoming.shift()!.msg.onDelivered?.(t);
      }
      ackNow = (seg.flags & TCP_PSH) !== 0 || side.unacked >= 2;
      if (ackNow && side.replySoon >= t) ackNow = false;
    }
    if (seg.flags & TCP_FIN) {
      side.rcv += 1;
      if (side.finSent) {
        side.finAckOwed = true;
        ackNow = true;
        w.at(t, () => this.onClosed?.(t));
      } else {
        // The peer closed: our application closes too, and our FIN carries the ACK.
        this.close(side, t + Math.floor((10 + 70 * w.rand()) * US));
      }
    }
    if (ackNow && !side.ackScheduled) {
      side.ackScheduled = true;
      const at = t + w.net.delay('bridge');
      w.at(at, () => {
        side.ackScheduled = false;
        if (side.unacked > 0 || side.finAckOwed) this.send(side, at, TCP_ACK, 0, side.nxt);
      });
    }
  }
}

export type { Side as TcpSide };

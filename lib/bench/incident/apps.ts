/**
 * The programs that make the traffic: request/response sessions over TCP, connections that
 * were open before the captures started, ping, the stub resolver, and ARP. Each starts at a
 * given time and stops starting new work once the world is draining.
 */
import { gatewayOf, NODES, SERVICES, type ClusterNode, type Endpoint } from './cluster';
import { channel, conversation, type Nat } from './paths';
import { arpFrame } from './wire';
import { dnsQuery, dnsResponse, DNS_TYPE_A, DNS_TYPE_AAAA } from './payload';
import { TcpConnection, type ConnectOptions, type Message } from './tcp';
import { ephemeralPort, exponential, randInt, S, US, type World } from './world';

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

export interface SessionSpec {
  client: Endpoint;
  /** The server that answers (after DNAT). */
  server: Endpoint;
  port: number;
  nat?: Nat;
  exchanges: number;
  request: (onDelivered: (t: number) => void) => Message;
  response: (onDelivered: (t: number) => void) => Message;
  /** The client's pause between one response and its next request. */
  thinkNs: () => number;
  /** The server's time to answer. */
  serverNs: () => number;
}

/** A connection from the handshake to the FIN: `exchanges` requests, each answered. */
export function tcpSession(w: World, spec: SessionSpec, t: number, opts: ConnectOptions = {}): TcpConnection {
  const conv = conversation(spec.client, ephemeralPort(w.rand), spec.server, spec.port, spec.nat ?? null);
  const conn = new TcpConnection(w, conv, spec.client, spec.server);
  let done = 0;
  const exchange = (at: number) => {
    const req = spec.request((t1) => {
      const resp = spec.response((t2) => {
        done++;
        if (done < spec.exchanges && !w.draining) exchange(t2 + spec.thinkNs());
        else conn.close(conn.client, t2 + Math.floor((20 + 200 * w.rand()) * US));
      });
      conn.write(conn.server, t1 + spec.serverNs(), resp);
    });
    conn.write(conn.client, at, req);
  };
  conn.connect(t, (t0) => exchange(t0 + Math.floor((20 + 130 * w.rand()) * US)), opts);
  return conn;
}

export interface StreamSpec {
  client: Endpoint;
  server: Endpoint;
  port: number;
  nat?: Nat;
  /** Client requests answered by the server (Redis), at this mean interval. */
  rpc?: { meanNs: number; request: () => Message; response: () => Message; serverNs: () => number };
  /** Messages the server sends unasked (API watch events), at this mean interval. */
  serverPush?: { meanNs: number; message: () => Message };
  /** Messages the client sends unasked (lease renewals, keystrokes). */
  clientPush?: { meanNs: number; message: () => Message; echo?: () => Message };
}

/** A connection opened before the captures started, kept busy until the world drains. */
export function stream(w: World, spec: StreamSpec, t0: number): TcpConnection {
  const conv = conversation(spec.client, ephemeralPort(w.rand), spec.server, spec.port, spec.nat ?? null);
  const conn = TcpConnection.established(w, conv, spec.client, spec.server);
  const rpc = spec.rpc;
  if (rpc) {
    const next = (t: number) => {
      if (w.draining) return;
      const req = rpc.request();
      req.onDelivered = (t1) => {
        const resp = rpc.response();
        resp.onDelivered = (t2) => w.at(t2 + exponential(w.rand, rpc.meanNs), () => next(w.now));
        conn.write(conn.server, t1 + rpc.serverNs(), resp);
      };
      conn.write(conn.client, t, req);
    };
    w.at(t0 + exponential(w.rand, rpc.meanNs), () => next(w.now));
  }
  const push = (side: 'client' | 'server', p: { meanNs: number; message: () => Message; echo?: () => Message }) => {
    const from = side === 'client' ? conn.client : conn.server;
    const tick = () => {
      if (w.draining) return;
      const msg = p.message();
      const echo = p.echo;
      if (echo) msg.onDelivered = (t1) => conn.write(from.peer, t1 + Math.floor((30 + 300 * w.rand()) * US), echo());
      conn.write(from, w.now, msg);
      w.at(w.now + Math.floor(exponential(w.rand, p.meanNs)), tick);
    };
    w.at(t0 + Math.floor(exponential(w.rand, p.meanNs)), tick);
  };
  if (spec.serverPush) push('server', spec.serverPush);
  if (spec.clientPush) push('client', spec.clientPush);
  return conn;
}

/** `ping -i interval` from `from` to `to`: 56 bytes of data, a struct timeval first. */
export function pinger(w: World, from: Endpoint, to: Endpoint, intervalNs: number, t0: number): void {
  const ident = randInt(w.rand, 1, 0xffff);
  const fwd = channel(from, to);
  const rev = channel(to, from);
  let seq = 1;
  const data = (sec: number, usec: number) => (buf: Uint8Array, at: number) => {
    const dv = new DataView(buf.buffer, buf.byteOffset + at, 56);
    dv.setUint32(0, sec, true);
    dv.setUint32(4, 0, true);
    dv.setUint32(8, usec, true);
    dv.setUint32(12, 0, true);
    for (let i = 16; i < 56; i++) buf[at + i] = i;
  };
  const tick = (t: number) => {
    if (w.draining) return;
    const wall = w.clockNs(from, t);
    const sec = w.epochSec + Math.floor(wall / S);
    const usec = Math.floor((wall % S) / US);
    const s = seq;
    seq = (seq + 1) & 0xffff;
    w.packet.icmpEcho({ src: from.ip, sport: 0, dst: to.ip, dport: 0 }, w.ids.take(from), 8, ident, s, 56, data(sec, usec));
    const arrival = w.net.transmit(fwd, w.packet, t);
    if (arrival !== null) {
      // The kernel answers at once, DF clear, from its own id counter.
      w.at(arrival + Math.floor((5 + 20 * w.rand()) * US), () => {
        w.packet.icmpEcho({ src: to.ip, sport: 0, dst: from.ip, dport: 0 }, w.ids.take(to), 0, ident, s, 56, data(sec, usec));
        w.net.transmit(rev, w.packet, w.now);
      });
    }
    w.at(t + intervalNs + Math.floor(w.rand() * 300 * US), () => tick(w.now));
  };
  w.at(t0, () => tick(w.now));
}

/**
 * One name lookup through kube-dns: A and AAAA together from one connected socket, once per
 * search-list candidate (ndots:5) until the last, which CoreDNS answers.
 */
export function dnsLookup(w: World, client: Endpoint, candidates: readonly string[], address: number, t0: number): void {
  const svc = SERVICES.dns;
  const conv = conversation(client, ephemeralPort(w.rand), svc.endpoint, svc.targetPort, { kind: 'dnat', service: svc });
  let socketId = randInt(w.rand, 0, 0xffff);
  const round = (r: number, t: number) => {
    const last = r === candidates.length - 1;
    let answered = 0;
    [DNS_TYPE_A, DNS_TYPE_AAAA].forEach((qtype, k) => {
      const at = t + k * Math.floor((5 + 25 * w.rand()) * US);
      w.at(at, () => {
        const query = dnsQuery(randInt(w.rand, 0, 0xffff), candidates[r]!, qtype);
        w.packet.udp(conv.clientTuple, socketId++, query.length, (buf, o) => buf.set(query, o));
        const arrival = w.net.transmit(conv.fwd, w.packet, w.now);
        if (arrival === null) return;
        w.at(arrival + Math.floor((40 + 600 * w.rand() * w.rand()) * US), () => {
          const resp = dnsResponse(query, { nxdomain: !last, address: qtype === DNS_TYPE_A ? address : null });
          w.packet.udp(conv.serverTuple, w.ids.take(svc.endpoint), resp.length, (buf, o) => buf.set(resp, o));
          const back = w.net.transmit(conv.rev, w.packet, w.now);
          if (back === null || ++answered < 2 || last) return;
          round(r + 1, back + Math.floor((10 + 40 * w.rand()) * US));
        });
      });
    });
  };
  w.at(t0, () => round(0, w.now));
}

// ---------------------------------------------------------------------------------------------
// ARP. Frames that crossed the underlay wire are padded to 60 bytes; frames sent by the
// capturing host, or crossing only veths and the bridge, are 42.

/** A node or the admin's laptop refreshing its neighbour entry for another, every 15–45 s. */
export function arpUnderlay(w: World, from: Endpoint, to: Endpoint, broadcast: boolean): void {
  const eth0 = (e: Endpoint) => e.node?.points.eth0 ?? null;
  const send = (t: number) => {
    if (w.draining) return;
    let at = t;
    const req = (padded: boolean) => arpFrame(broadcast ? BROADCAST : to.mac, from.mac, 1, from.ip, to.ip, ZERO_MAC, padded);
    const fromPoint = eth0(from);
    if (fromPoint !== null) w.net.record(fromPoint, (at += w.net.delay('first')), req(false));
    at += w.net.delay('wire');
    // A broadcast reaches every node on the segment.
    for (const n of broadcast ? NODES : []) if (n !== from.node && n !== to.node) w.net.record(n.points.eth0, at + w.net.delay('first'), req(true));
    const toPoint = eth0(to);
    if (toPoint !== null) w.net.record(toPoint, at, req(true));
    at += w.net.delay('route');
    const reply = (padded: boolean) => arpFrame(from.mac, to.mac, 2, to.ip, from.ip, from.mac, padded);
    if (toPoint !== null) w.net.record(toPoint, at, reply(false));
    at += w.net.delay('wire');
    if (fromPoint !== null) w.net.record(fromPoint, at, reply(true));
    w.at(t + Math.floor((15 + 30 * w.rand()) * S), () => send(w.now));
  };
  w.at(Math.floor(w.rand() * 20 * S), () => send(w.now));
}

/**
 * ARP on a node's bridge: the node and a pod probing each other (unicast), and now and then a
 * broadcast request from the node, which the bridge floods to every port (and so to the
 * captured veth, whoever it asks for).
 */
export function arpBridge(w: World, node: ClusterNode, pod: Endpoint, capturedPod: Endpoint): void {
  const gw = gatewayOf(node);
  const cni0 = node.points.cni0;
  const send = (t: number) => {
    if (w.draining) return;
    let at = t + w.net.delay('first');
    const kind = w.rand();
    const podAsks = kind < 0.4;
    const [asker, target] = podAsks ? [pod, gw] : [gw, pod];
    const broadcast = !podAsks && kind > 0.6;
    const req = arpFrame(broadcast ? BROADCAST : target.mac, asker.mac, 1, asker.ip, target.ip, ZERO_MAC, false);
    const reply = arpFrame(asker.mac, target.mac, 2, target.ip, asker.ip, asker.mac, false);
    const vethSees = pod.vethPoint !== null || broadcast;
    const veth = capturedPod.vethPoint!;
    if (podAsks) {
      if (vethSees) w.net.record(veth, at, req);
      w.net.record(cni0, (at += w.net.delay('bridge')), req);
      w.net.record(cni0, (at += w.net.delay('route')), reply);
      if (vethSees) w.net.record(veth, (at += w.net.delay('bridge')), reply);
    } else {
      w.net.record(cni0, at, req);
      if (vethSees) w.net.record(veth, (at += w.net.delay('bridge')), req);
      at += w.net.delay('route');
      if (pod.vethPoint !== null) w.net.record(veth, at, reply);
      w.net.record(cni0, at + w.net.delay('bridge'), reply);
    }
    w.at(t + Math.floor((20 + 40 * w.rand()) * S), () => send(w.now));
  };
  w.at(Math.floor(w.rand() * 30 * S), () => send(w.now));
}

/** Poisson arrivals of `start` at `perSecond`, from `t0` until the world drains. */
export function arrivals(w: World, perSecond: number, t0: number, start: (t: number) => void): void {
  if (!(perSecond > 0)) return;
  const mean = S / perSecond;
  const next = () => {
    if (w.draining) return;
    start(w.now);
    w.at(w.now + Math.floor(exponential(w.rand, mean)), next);
  };
  w.at(t0 + Math.floor(exponential(w.rand, mean)), next);
}


/**
 * One test per verdict rule: a small two-node incident built from hand-made frames, in which
 * that rule — and no rule before it — decides. Routed path: node1/cni0 → node1/eth0 →
 * node2/eth0 → node2/cni0, the TTL dropping where a node routes.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { concatBytes } from '../capture/build';
import { PcapWriter } from '../capture/pcap-writer';
import { bytes, frame, sll2Header, type FrameSpec } from '../testing/packets';
import { LINKTYPE_LINUX_SLL2 } from '../protocols/numbers';
import { RULES } from './rules';
import type { FlowReport } from './types';

const A = '10.244.1.2';
const B = '10.244.2.2';
const POINTS = ['node1-cni0', 'node1-eth0', 'node2-eth0', 'node2-cni0'] as const;
type Point = (typeof POINTS)[number];
/** TTL of a request (from A) and a reply (from B) at each point. */
const REQ_TTL: Record<Point, number> = { 'node1-cni0': 64, 'node1-eth0': 63, 'node2-eth0': 63, 'node2-cni0': 62 };
const REP_TTL: Record<Point, number> = { 'node1-cni0': 62, 'node1-eth0': 63, 'node2-eth0': 63, 'node2-cni0': 64 };

interface Sent {
  spec: FrameSpec;
  /** A frame that is not IP (ARP), written as it is. */
  raw?: Uint8Array;
  /** Milliseconds since the start. */
  at: number;
  /** The points that captured it. */
  seen: readonly string[];
}

/** The client pod's host-side veth, a capture point beside POINTS where a case adds it. */
const VETH = 'node1-veth3a1b2c4d';
/** The server pod's, after node2/cni0: a request's TTL there is cni0's, a reply's its first. */
const VETH_B = 'node2-veth7e9d0f12';

const upTo = (last: Point, dir: 'req' | 'rep' = 'req'): Point[] => {
  const order = dir === 'req' ? [...POINTS] : [...POINTS].reverse();
  return order.slice(0, order.indexOf(last) + 1);
};
const all = (dir: 'req' | 'rep' = 'req') => upTo(dir === 'req' ? 'node2-cni0' : 'node1-cni0', dir);

function ping(seq: number, at: number, reqSeen: readonly string[], repSeen: readonly string[], size = 56): Sent[] {
  const payload = bytes(size, seq);
  const req: Sent = { spec: { src: A, dst: B, proto: 'icmp', ipId: 100 + seq, icmp: { type: 8, code: 0, id: 7, seq }, payload }, at, seen: reqSeen };
  const rep: Sent = { spec: { src: B, dst: A, proto: 'icmp', ipId: 900 + seq, icmp: { type: 0, code: 0, id: 7, seq }, payload }, at: at + 1, seen: repSeen };
  return repSeen.length > 0 ? [req, rep] : [req];
}

/** Unrelated traffic at every point from `from` to `to` ms, so each capture's window spans it. */
function background(from: number, to: number, points: readonly string[] = POINTS): Sent[] {
  return [from, to].map((at, i) => ({ spec: { src: '192.168.0.1', dst: '192.168.0.2', proto: 'udp', ipId: 7000 + i, sport: 5353, dport: 5353 }, at, seen: points }));
}

/**
 * Three pings (id 7) seen everywhere, then `point`'s file ends at 1.1 s, on a packet that is not
 * the flow's (so it was not following the flow as it stopped), while the others run on to 2 s;
 * `later` is what comes after. The points but `point`, in path order.
 */
function fileEndsEarly(point: Point, later: (rest: Point[]) => Sent[]): Sent[] {
  const rest = POINTS.filter((p) => p !== point);
  return [
    ...ping(1, 0, all(), all('rep')),
    ...ping(2, 500, all(), all('rep')),
    ...ping(3, 1000, all(), all('rep')),
    ...later(rest),
    ...background(0, 2000, rest),
    { spec: { src: '192.168.0.3', dst: '192.168.0.4', proto: 'udp', ipId: 7100, sport: 5353, dport: 5353 }, at: 1100, seen: [point] },
  ];
}

/** Another ping (echo id `id`), request and reply, seen at `seen` (the reply the other way round). */
function otherPing(id: number, seq: number, at: number, seen: readonly Point[]): Sent[] {
  const payload = bytes(56, id * 10 + seq);
  return [
    { spec: { src: A, dst: B, proto: 'icmp', ipId: id * 1000 + seq, icmp: { type: 8, code: 0, id, seq }, payload }, at, seen },
    { spec: { src: B, dst: A, proto: 'icmp', ipId: id * 1000 + 500 + seq, icmp: { type: 0, code: 0, id, seq }, payload }, at: at + 1, seen: [...seen].reverse() },
  ];
}

/** An ICMP error from `from` quoting the first 28 bytes of `quoted`'s IP packet. */
function icmpError(from: string, to: string, type: number, code: number, quoted: FrameSpec, mtu = 0): FrameSpec {
  const q = frame(quoted).subarray(14, 14 + 28);
  return { src: from, dst: to, proto: 'icmp', ipId: 4242, icmp: { type, code, id: 0, seq: mtu }, payload: q };
}

async function verdictOf(sent: Sent[], match: (f: FlowReport) => boolean = (f) => f.client === A): Promise<FlowReport> {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-rule-'));
  // "node2-any#3": interface 3 of node2's -i any capture, written as one SLL2 file.
  const files = new Set(sent.flatMap((s) => s.seen.map((x) => x.split('#')[0]!)));
  for (const file of files) {
    const w = new PcapWriter();
    const any = file.endsWith('-any');
    const header = w.header(any ? LINKTYPE_LINUX_SLL2 : 1);
    const here = sent.flatMap((s) => s.seen.filter((x) => x.split('#')[0] === file).map((x) => ({ s, ifindex: Number(x.split('#')[1] ?? 0) })));
    here.sort((a, b) => a.s.at - b.s.at);
    // The client pod's veth comes before node1/cni0 (a request crosses it first), the server's after node2/cni0.
    const pointIndex = file === VETH_B ? POINTS.length : file === VETH ? -1 : POINTS.indexOf(file as Point);
    const records = here.map(({ s, ifindex }) => {
      const fromB = s.spec.src === B;
      const ttl = file in REQ_TTL ? (fromB ? REP_TTL : REQ_TTL)[file as Point] : file === VETH_B && !fromB ? REQ_TTL['node2-cni0'] : 64;
      // Interfaces of one -i any in the order a request crosses them (a reply the other way).
      // (A request at 0 ms reaches the client's veth at 0 too: the file cannot go before 0.)
      const us = Math.max(0, Math.round(s.at * 1000) + (fromB ? 3 - pointIndex : pointIndex) * 100 + (fromB ? 10 - ifindex : ifindex) * 10);
      const eth = s.raw ?? frame({ ...s.spec, ttl: s.spec.src.startsWith('192.168.0.') ? 64 : ttl });
      return w.record(1_700_000_000 + Math.floor(us / 1e6), (us % 1e6) * 1000, any ? concatBytes(sll2Header(0x0800, ifindex, 0), eth.subarray(14)) : eth);
    });
    writeFileSync(join(dir, `${file}.pcap`), concatBytes(header, ...records));
  }
  const { inputs } = await loadInputs([...files].map((f) => join(dir, `${f}.pcap`)), new Map());
  const flow = analyze(inputs).report.flows.find(match);
  if (!flow) throw new Error('no such flow');
  return flow;
}

/** An ARP request (who-has `target` tell `sender`), broadcast. */
function arpRequest(sender: string, target: string, at: number, seen: readonly string[]): Sent {
  const ip = (a: string) => a.split('.').map(Number);
  const raw = Uint8Array.from([
    ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x62, 0x4c, 0xf1, 0x9b, 0x42, 0x01, 0x08, 0x06],
    ...[0, 1, 0x08, 0, 6, 4, 0, 1, 0x62, 0x4c, 0xf1, 0x9b, 0x42, 0x01, ...ip(sender), 0, 0, 0, 0, 0, 0, ...ip(target)],
  ]);
  return { spec: { src: sender, dst: target, proto: 'udp', ipId: 0 }, raw, at, seen };
}

/** Datagram n of a one-way UDP stream from A to B's port 514, which B never answers. */
const datagram = (n: number): FrameSpec => ({ src: A, dst: B, proto: 'udp', ipId: 400 + n, sport: 40200, dport: 514, payload: bytes(40, n) });

/**
 * Datagrams `which` to B, `seen(n)` where each was seen; B's veth lacks the second of three
 * queries B sent (seen from node2/cni0 on): its capture misses packets of its own. `extra`: more
 * packets.
 */
function datagramsToLossyVeth(seen: (n: number) => readonly string[], extra: Sent[] = [], which = [0, 1, 2]): Promise<FlowReport> {
  const query = (n: number, from: readonly string[]): Sent[] => [
    { spec: { src: B, dst: A, proto: 'udp', ipId: 300 + n, sport: 40100 + n, dport: 53 }, at: 500 + n * 1000, seen: from },
    { spec: { src: A, dst: B, proto: 'udp', ipId: 310 + n, sport: 53, dport: 40100 + n }, at: 501 + n * 1000, seen: [...all(), VETH_B] },
  ];
  const sent = which.map((n): Sent => ({ spec: datagram(n), at: n * 1000, seen: seen(n) }));
  return verdictOf(
    [...sent, ...query(0, [VETH_B, ...all('rep')]), ...query(1, all('rep')), ...query(2, [VETH_B, ...all('rep')]), ...extra, ...background(0, 3000)],
    (f) => f.client === A && f.serverPort === 514,
  );
}

/**
 * A DNS query from pod A, seen from node1/cni0 on, and its answer back to cni0, `answerAtVeth`
 * also at A's veth; `queryAtVeth` also the query there (else the veth's capture missed it).
 * Beside it three pings that A's veth shows both ways (it is not blind, and learns A's address). The veth's capture starts
 * at `vethFrom` ms; the query goes at 500 ms, the answer at 800.
 */
function queryPastClientVeth(o: { queryAtVeth: boolean; answerAtVeth?: boolean; vethFrom?: number }): Promise<FlowReport> {
  const query: Sent = { spec: { src: A, dst: B, proto: 'udp', ipId: 320, sport: 40120, dport: 53, payload: bytes(30, 1) }, at: 500, seen: o.queryAtVeth ? [VETH, ...all()] : all() };
  const answer: Sent = { spec: { src: B, dst: A, proto: 'udp', ipId: 321, sport: 53, dport: 40120, payload: bytes(60, 2) }, at: 800, seen: o.answerAtVeth ? [...all('rep'), VETH] : all('rep') };
  return verdictOf(
    [query, answer, ...[1, 2, 3].flatMap((n) => ping(n, 500 + n * 500, [VETH, ...all()], [...all('rep'), VETH])), ...background(0, 3000), ...background(o.vethFrom ?? 0, 3000, [VETH])],
    (f) => f.protocol === 'udp' && f.client === A && f.serverPort === 53,
  );
}

/**
 * A TCP exchange in which one data segment of `lost`'s direction is lost on one step (requests
 * between node2/eth0 and node2/cni0, replies between node2/eth0 and node1/eth0) and sent again
 * 200 ms later through every point; `acked`: the peer then acknowledges it.
 */
function resentExchange(lost: 'req' | 'rep', acked: boolean): Sent[] {
  const seg = (dir: 'req' | 'rep', ipId: number, seq: number, ack: number, flags: number, data: number, at: number, seen?: readonly string[]): Sent => ({
    spec: dir === 'req'
      ? { src: A, dst: B, proto: 'tcp', ipId, sport: 40020, dport: 80, seq, ack, flags, payload: bytes(data, ipId) }
      : { src: B, dst: A, proto: 'tcp', ipId, sport: 80, dport: 40020, seq, ack, flags, payload: bytes(data, ipId) },
    at,
    seen: seen ?? all(dir),
  });
  const first = lost === 'req' ? upTo('node2-eth0') : upTo('node2-eth0', 'rep');
  const out: Sent[] = [seg('req', 1, 100, 0, 0x02, 0, 0), seg('rep', 1, 500, 101, 0x12, 0, 1), seg('req', 2, 101, 501, 0x10, 0, 2)];
  if (lost === 'req') {
    out.push(seg('req', 3, 101, 501, 0x18, 100, 3), seg('rep', 2, 501, 201, 0x10, 0, 4));
    out.push(seg('req', 4, 201, 501, 0x18, 100, 5, first), seg('req', 5, 201, 501, 0x18, 100, 205));
    if (acked) out.push(seg('rep', 3, 501, 301, 0x10, 0, 206));
  } else {
    out.push(seg('req', 3, 101, 501, 0x18, 100, 3), seg('rep', 2, 501, 201, 0x18, 100, 4), seg('req', 4, 201, 601, 0x10, 0, 5));
    out.push(seg('rep', 3, 601, 201, 0x18, 100, 6, first), seg('rep', 4, 601, 201, 0x18, 100, 206));
    if (acked) out.push(seg('req', 5, 201, 701, 0x10, 0, 207));
  }
  return [...out, ...background(0, 400)];
}

const cases: Record<string, () => Promise<FlowReport>> = {
  'neighbour-unanswered': () =>
    // node2 asks for B on cni0 three times and nobody answers; the pings never reach cni0.
    verdictOf([
      ...ping(1, 0, upTo('node2-eth0'), []),
      ...ping(2, 1000, upTo('node2-eth0'), []),
      ...[0, 1, 2].map((k) => arpRequest('10.244.2.1', B, 1 + k * 1000, ['node2-cni0'])),
      ...background(0, 2000),
    ]),
  'requests-not-observed': () =>
    // node2/cni0 was captured only a minute later: whether the pings went on is unknown.
    verdictOf([...ping(1, 0, upTo('node2-eth0'), []), ...background(0, 100, upTo('node2-eth0')), ...background(60_000, 60_100, ['node2-cni0'])]),
  'requests-too-big': () => {
    const big: FrameSpec = { src: A, dst: B, proto: 'icmp', ipId: 77, icmp: { type: 8, code: 0, id: 7, seq: 1 }, payload: bytes(1472, 1) };
    return verdictOf([
      { spec: big, at: 0, seen: upTo('node1-eth0') },
      { spec: icmpError('10.244.1.1', A, 3, 4, big, 1450), at: 1, seen: ['node1-cni0'] },
      ...background(0, 100),
    ]);
  },
  'requests-stop': () => verdictOf([...ping(1, 0, upTo('node2-eth0'), []), ...ping(2, 1000, upTo('node2-eth0'), []), ...background(0, 2000)]),
  'requests-lost-above-pmtu': () => {
    const big: FrameSpec = { src: A, dst: B, proto: 'icmp', ipId: 77, icmp: { type: 8, code: 0, id: 7, seq: 9 }, payload: bytes(1472, 9) };
    return verdictOf([
      ...ping(1, 0, all(), all('rep')),
      { spec: big, at: 500, seen: upTo('node1-eth0') },
      { spec: icmpError('10.244.1.1', A, 3, 4, big, 1450), at: 501, seen: ['node1-cni0'] },
      ...ping(2, 1000, all(), all('rep')),
    ]);
  },
  'requests-large-lost': () =>
    verdictOf([...ping(1, 0, all(), all('rep')), ...ping(2, 1000, upTo('node1-eth0'), [], 1472), ...ping(3, 2000, all(), all('rep'))]),
  'requests-partial-loss': () =>
    verdictOf([...ping(1, 0, all(), all('rep')), ...ping(2, 1000, upTo('node2-eth0'), []), ...ping(3, 2000, all(), all('rep'))]),
  'handshake-unfinished': () => {
    // The server's node only: SYNs in, SYN-ACKs out, the client resends its SYN.
    const server = ['node2-eth0', 'node2-cni0'];
    const syn = (n: number): Sent => ({ spec: { src: A, dst: B, proto: 'tcp', ipId: 10 + n, sport: 40020, dport: 80, seq: 7000, flags: 0x02 }, at: n * 1000, seen: server });
    const synAck = (n: number): Sent => ({ spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40020, seq: 9000 + n, ack: 7001, flags: 0x12 }, at: n * 1000 + 1, seen: ['node2-cni0', 'node2-eth0'] });
    return verdictOf([syn(0), synAck(0), syn(1), synAck(1), syn(2), synAck(2)]);
  },
  'tcp-reset': () =>
    verdictOf([
      { spec: { src: A, dst: B, proto: 'tcp', ipId: 1, sport: 40000, dport: 82, seq: 1000, flags: 0x02 }, at: 0, seen: all() },
      { spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 82, dport: 40000, seq: 0, ack: 1001, flags: 0x14 }, at: 1, seen: all('rep') },
    ]),
  'port-unreachable': () => {
    const q: FrameSpec = { src: A, dst: B, proto: 'udp', ipId: 5, sport: 40001, dport: 53, payload: bytes(20, 3) };
    return verdictOf([{ spec: q, at: 0, seen: all() }, { spec: icmpError(B, A, 3, 3, q), at: 1, seen: all('rep') }]);
  },
  'admin-prohibited': () => {
    const syn: FrameSpec = { src: A, dst: B, proto: 'tcp', ipId: 6, sport: 40002, dport: 443, seq: 5, flags: 0x02 };
    return verdictOf([{ spec: syn, at: 0, seen: all() }, { spec: icmpError(B, A, 3, 13, syn), at: 1, seen: all('rep') }]);
  },
  'nothing-captured': () =>
    // Only node2's `-i any` capture saw the pings: no station did.
    verdictOf([...ping(1, 0, ['node2-any'], []), ...background(0, 100)]),
  'no-reply': () => verdictOf([...ping(1, 0, all(), []), ...ping(2, 1000, all(), [])]),
  'replies-missed-by-capture': () => {
    // Pod A's veth lacks a query A sent (seen from cni0 on: its capture misses packets) and the
    // second echo reply, seen up to cni0.
    const out = [VETH, ...all()];
    const back = [...all('rep'), VETH];
    const query: Sent = { spec: { src: A, dst: B, proto: 'udp', ipId: 300, sport: 40100, dport: 53 }, at: 500, seen: all() };
    const answer: Sent = { spec: { src: B, dst: A, proto: 'udp', ipId: 301, sport: 53, dport: 40100 }, at: 501, seen: back };
    return verdictOf(
      [...ping(1, 0, out, back), query, answer, ...ping(2, 1000, out, all('rep')), ...ping(3, 2000, out, back), ...background(0, 3000, [VETH, ...POINTS])],
      (f) => f.protocol === 'icmp',
    );
  },
  // Three datagrams nobody answers; B's veth, which misses packets of its own, lacks the second.
  'requests-missed-by-capture': () => datagramsToLossyVeth((n) => (n === 1 ? all() : [...all(), VETH_B])),
  'echoes-refused-above-pmtu': () => {
    // Only the client's node: the second, 1500-byte echo request crosses both its points and
    // node2 refuses it with frag-needed; the third is answered.
    const node1 = upTo('node1-eth0');
    const back = upTo('node1-cni0', 'rep').slice(2);
    const big: FrameSpec = { src: A, dst: B, proto: 'icmp', ipId: 77, icmp: { type: 8, code: 0, id: 7, seq: 2 }, payload: bytes(1472, 2) };
    return verdictOf([
      ...ping(1, 0, node1, back),
      { spec: big, at: 1000, seen: node1 },
      { spec: icmpError('192.168.0.12', A, 3, 4, big, 1450), at: 1001, seen: back },
      ...ping(3, 2000, node1, back),
      ...background(0, 5000, node1),
    ]);
  },
  'echoes-unanswered-beyond': () =>
    // Only the client's node: every echo request passes both its points, the second is never
    // answered, and the captures run on for seconds after it.
    verdictOf([...ping(1, 0, upTo('node1-eth0'), upTo('node1-cni0', 'rep').slice(2)), ...ping(2, 1000, upTo('node1-eth0'), []), ...ping(3, 2000, upTo('node1-eth0'), upTo('node1-cni0', 'rep').slice(2)), ...background(0, 5000, upTo('node1-eth0'))]),
  'reply-data-unacknowledged': () => {
    // The client's node only: the handshake, the request and the server's FIN come back, the
    // 3000 bytes of data before the FIN never do; five seconds later the client closes,
    // acknowledging only the SYN-ACK.
    const client = upTo('node1-eth0');
    const back = [...client].reverse();
    const c = (n: number, seq: number, ack: number, flags: number, at: number, len = 0): Sent => ({
      spec: { src: A, dst: B, proto: 'tcp', ipId: 30 + n, sport: 40040, dport: 80, seq, ack, flags, ...(len > 0 ? { payload: bytes(len, n) } : {}) },
      at,
      seen: client,
    });
    const sv = (n: number, seq: number, ack: number, flags: number, at: number): Sent => ({ spec: { src: B, dst: A, proto: 'tcp', ipId: 60 + n, sport: 80, dport: 40040, seq, ack, flags }, at, seen: back });
    return verdictOf([
      c(0, 100, 0, 0x02, 0),
      sv(0, 5000, 101, 0x12, 1),
      c(1, 101, 5001, 0x10, 2),
      c(2, 101, 5001, 0x18, 3, 80),
      sv(1, 5001, 181, 0x10, 4),
      sv(2, 8001, 181, 0x11, 6),
      c(3, 181, 5001, 0x10, 7),
      c(4, 181, 5001, 0x11, 5000),
      sv(3, 8002, 182, 0x10, 5001),
      ...background(0, 6000, client),
    ]);
  },
  'replies-acknowledged-unseen': () => {
    // Only the client's side of a connection was captured (tcpdump -Q in): its ACK after the SYN
    // and its moving acknowledgment say the SYN-ACK and the data came back.
    const seg = (n: number, seq: number, ack: number, flags: number, len: number, at: number): Sent => ({
      spec: { src: A, dst: B, proto: 'tcp', ipId: 20 + n, sport: 40030, dport: 80, seq, ack, flags, ...(len > 0 ? { payload: bytes(len, n) } : {}) },
      at,
      seen: all(),
    });
    return verdictOf([seg(0, 100, 0, 0x02, 0, 0), seg(1, 101, 5001, 0x10, 0, 2), seg(2, 101, 5001, 0x18, 80, 3), seg(3, 181, 6001, 0x10, 0, 5), ...background(0, 3000)]);
  },
  'replies-unseeable': () => {
    // node1's only capture is the client pod's veth, written with tcpdump -Q in: nothing towards
    // the pod, though the pod acknowledges data it received (its TCP connection). The ping's
    // replies could be seen nowhere.
    const veth = ['node1-veth3a1b2c4d'];
    const seg = (n: number, seq: number, ack: number, flags: number, at: number): Sent => ({ spec: { src: A, dst: B, proto: 'tcp', ipId: 20 + n, sport: 40031, dport: 80, seq, ack, flags }, at, seen: veth });
    return verdictOf([...ping(1, 0, veth, []), ...ping(2, 1000, veth, []), ...ping(3, 2000, veth, []), seg(0, 100, 0, 0x02, 2100), seg(1, 101, 5001, 0x10, 2102), seg(2, 101, 5400, 0x10, 2105)], (f) => f.protocol === 'icmp');
  },
  'captures-end-after-requests': () =>
    // Every capture stops right after the one echo request: a reply would have come later.
    verdictOf([...background(0, 1000), ...ping(1, 3000, all(), [])]),
  'answered-outside-windows': () =>
    // node2/cni0's capture started a minute late; the replies came back all the same.
    verdictOf([...ping(1, 0, upTo('node2-eth0'), ['node2-eth0', 'node1-eth0', 'node1-cni0']), ...background(0, 100, POINTS.slice(0, 3)), ...background(60_000, 60_100, ['node2-cni0'])]),
  'replies-after-last-request': () =>
    // node1/cni0's file ends on the one echo request; its reply came back to node1/eth0 a
    // millisecond later, while the other captures ran on for two seconds.
    verdictOf([
      ...background(0, 100),
      ...ping(1, 1000, all(), upTo('node1-eth0', 'rep')),
      ...[3000, 3100].map((at, i): Sent => ({ spec: { src: '192.168.0.5', dst: '192.168.0.6', proto: 'udp', ipId: 7200 + i, sport: 5353, dport: 5353 }, at, seen: POINTS.slice(1) })),
    ]),
  'replies-outside-windows': () =>
    // node1/cni0's capture started a minute late: it holds neither the ping nor its reply.
    verdictOf([...ping(1, 0, upTo('node2-cni0').slice(1), upTo('node1-eth0', 'rep')), ...background(0, 100, POINTS.slice(1)), ...background(60_000, 60_100, ['node1-cni0'])]),
  'replies-stop-at-silent-pod': () =>
    // The client pod's veth, written with tcpdump -Q in, beside the rest: the pod only pings, so
    // nothing it sends there can show whether the replies that reach node1/cni0 reached it.
    // (The pod's own pings span the veth's capture: node traffic never crosses a pod's veth.)
    verdictOf([...ping(1, 0, [VETH, ...all()], all('rep')), ...ping(2, 1000, [VETH, ...all()], all('rep')), ...ping(3, 2000, [VETH, ...all()], all('rep')), ...background(0, 2100)]),
  // A's veth holds neither the query A sent through it nor the answer, both seen on cni0.
  'replies-stop-where-requests-unseen': () => queryPastClientVeth({ queryAtVeth: false }),
  'replies-stop': () => verdictOf([...ping(1, 0, all(), upTo('node2-eth0', 'rep')), ...ping(2, 1000, all(), upTo('node2-eth0', 'rep'))]),
  'replies-lost-above-pmtu': () => {
    const bigReply: FrameSpec = { src: B, dst: A, proto: 'tcp', ipId: 88, sport: 80, dport: 40003, seq: 5001, ack: 2, flags: 0x10, payload: bytes(1460, 8) };
    return verdictOf([
      { spec: { src: A, dst: B, proto: 'tcp', ipId: 10, sport: 40003, dport: 80, seq: 1, flags: 0x02 }, at: 0, seen: all() },
      { spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40003, seq: 5000, ack: 2, flags: 0x12 }, at: 1, seen: all('rep') },
      { spec: bigReply, at: 2, seen: upTo('node1-eth0', 'rep') },
      { spec: icmpError('10.244.2.1', B, 3, 4, bigReply, 1450), at: 3, seen: ['node2-cni0'] },
      { spec: { src: B, dst: A, proto: 'tcp', ipId: 89, sport: 80, dport: 40003, seq: 5001, ack: 2, flags: 0x18, payload: bytes(1000, 9) }, at: 4, seen: all('rep') },
    ]);
  },
  'replies-large-lost': () => {
    const rep = (id: number, seq: number, n: number, seen: readonly string[], at: number): Sent => ({ spec: { src: B, dst: A, proto: 'tcp', ipId: id, sport: 80, dport: 40004, seq, ack: 2, flags: 0x10, payload: bytes(n, id) }, at, seen });
    return verdictOf([
      { spec: { src: A, dst: B, proto: 'tcp', ipId: 10, sport: 40004, dport: 80, seq: 1, flags: 0x02 }, at: 0, seen: all() },
      { spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40004, seq: 5000, ack: 2, flags: 0x12 }, at: 1, seen: all('rep') },
      rep(90, 5001, 1460, upTo('node1-eth0', 'rep'), 2),
      rep(91, 6461, 300, all('rep'), 3),
    ]);
  },
  'requests-copies-missing': () => {
    // node2's tcpdump -i any kept its copy of request 2 on interface 3 and lost the one on 4.
    const any = ['node2-any#3', 'node2-any#4'];
    return verdictOf([...ping(1, 0, any, [...any].reverse()), ...ping(2, 1000, ['node2-any#3'], []), ...ping(3, 2000, any, [...any].reverse())]);
  },
  'replies-copies-missing': () => {
    const any = ['node2-any#3', 'node2-any#4'];
    return verdictOf([...ping(1, 0, any, [...any].reverse()), ...ping(2, 1000, any, ['node2-any#4']), ...ping(3, 2000, any, [...any].reverse())]);
  },
  'tcp-recovered': () => verdictOf(resentExchange('rep', true)),
  'replies-partial-loss': () => verdictOf([...ping(1, 0, all(), all('rep')), ...ping(2, 1000, all(), upTo('node2-eth0', 'rep')), ...ping(3, 2000, all(), all('rep'))]),
  delivered: () => verdictOf([...ping(1, 0, all(), all('rep')), ...ping(2, 1000, all(), all('rep'))]),
};

describe('the verdict rule table', () => {
  it('has a test for every rule, and every rule a name and a description', () => {
    expect(Object.keys(cases).sort()).toEqual(RULES.map((r) => r.name).sort());
    for (const r of RULES) expect(r.description.length).toBeGreaterThan(20);
    expect(new Set(RULES.map((r) => r.name)).size).toBe(RULES.length);
    expect(RULES[RULES.length - 1]!.name).toBe('delivered');
  });

  for (const rule of RULES) {
    it(`${rule.name} decides its incident, and says on what evidence`, async () => {
      const f = await cases[rule.name]!();
      expect(f.verdict.rule.name).toBe(rule.name);
      expect(f.verdict.rule.evidence.length).toBeGreaterThan(0);
      expect(f.verdict.summary.length).toBeGreaterThan(10);
    });
  }

  it('still calls a datagram that stops before a lossy capture dropped: a server that answers none is no proof of a capture miss', async () => {
    // The only datagram of the stream, seen up to node2/cni0 while B's veth was recording.
    const f = await datagramsToLossyVeth(() => all(), [], [1]);
    expect([f.verdict.kind, f.verdict.rule.name]).toEqual(['request-dropped', 'requests-stop']);
  });

  it('leaves a lossy capture aside where an ICMP error says why the datagram stopped', async () => {
    const refusal: Sent = { spec: icmpError('10.244.2.1', A, 3, 13, datagram(1)), at: 1001, seen: all('rep') };
    const f = await datagramsToLossyVeth((n) => (n === 1 ? all() : [...all(), VETH_B]), [refusal]);
    expect(f.verdict.rule.name).not.toBe('requests-missed-by-capture');
    expect(f.verdict.kind).not.toBe('not-observed');
  });

  it("still calls replies dropped before a silent pod veth when the pod's TCP proves it received nothing: it sends its SYN again and again, never an ACK", async () => {
    const syn = (n: number, at: number): Sent => ({ spec: { src: A, dst: B, proto: 'tcp', ipId: 70 + n, sport: 40050, dport: 80, seq: 100, flags: 0x02 }, at, seen: [VETH, ...all()] });
    const synAck = (n: number, at: number): Sent => ({ spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40050, seq: 5000 + n, ack: 101, flags: 0x12 }, at, seen: all('rep') });
    const f = await verdictOf([...ping(1, 0, [VETH, ...all()], all('rep')), syn(0, 100), synAck(0, 101), syn(1, 1100), synAck(1, 1101), syn(2, 3100), synAck(2, 3101), ...background(0, 4000, [VETH, ...POINTS])], (x) => x.protocol === 'icmp');
    expect(f.verdict.kind, f.verdict.summary).toBe('reply-dropped');
    expect(f.verdict.rule.name).toBe('replies-stop');
  });

  it("takes a silent pod veth as blind when the pod completes a handshake it opened (its ACK after its SYN): the ping's replies are not judged there", async () => {
    const seg = (n: number, seq: number, ack: number, flags: number, at: number): Sent => ({ spec: { src: A, dst: B, proto: 'tcp', ipId: 80 + n, sport: 40051, dport: 80, seq, ack, flags }, at, seen: [VETH, ...all()] });
    const synAck: Sent = { spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40051, seq: 5000, ack: 101, flags: 0x12 }, at: 101, seen: all('rep') };
    const f = await verdictOf([...ping(1, 0, [VETH, ...all()], all('rep')), seg(0, 100, 0, 0x02, 100), synAck, seg(1, 101, 5001, 0x10, 102), ...background(0, 2000, [VETH, ...POINTS])], (x) => x.protocol === 'icmp');
    expect(f.verdict.kind, f.verdict.summary).toBe('delivered');
  });

  it('a client captured one way that completes its handshake, sends its request and never acknowledges an answer: not observed, not delivered', async () => {
    // The SYN-ACK came (the client acknowledges it); the response did not, or not whole: the
    // client resends its request with the same acknowledgment.
    const seg = (n: number, seq: number, flags: number, len: number, at: number): Sent => ({
      spec: { src: A, dst: B, proto: 'tcp', ipId: 40 + n, sport: 40032, dport: 80, seq, ack: flags === 0x02 ? 0 : 5001, flags, ...(len > 0 ? { payload: bytes(len, n) } : {}) },
      at,
      seen: all(),
    });
    const f = await verdictOf([seg(0, 100, 0x02, 0, 0), seg(1, 101, 0x10, 0, 2), seg(2, 101, 0x18, 80, 3), seg(3, 101, 0x18, 80, 300), ...background(0, 3000)]);
    expect(f.verdict.rule.name).toBe('replies-acknowledged-unseen');
    expect(f.verdict.kind).toBe('not-observed');
    expect(f.verdict.summary).toContain('whether the answers to its data came is not observed');
  });

  it("still calls an answer dropped before the client's veth when the veth holds the query its pod sent", async () => {
    const f = await queryPastClientVeth({ queryAtVeth: true });
    expect([f.verdict.kind, f.verdict.rule.name]).toEqual(['reply-dropped', 'replies-stop']);
  });

  it("still calls an answer dropped before the client's veth when the query passed before the veth's capture began", async () => {
    const f = await queryPastClientVeth({ queryAtVeth: false, vethFrom: 700 });
    expect([f.verdict.kind, f.verdict.rule.name]).toEqual(['reply-dropped', 'replies-stop']);
  });

  it("keeps the client pod's veth first on the path when its capture missed all of the flow, and delivers a flow it holds both ways", async () => {
    const missed = await queryPastClientVeth({ queryAtVeth: false });
    expect(missed.hops.map((h) => `${h.node}/${h.interface}`)[0]).toBe('node1/veth3a1b2c4d');
    expect(missed.verdict.summary).toContain("node1/veth3a1b2c4d's capture holds none of the flow's UDP datagrams either, though 1 crossed it while it was recording");
    const whole = await queryPastClientVeth({ queryAtVeth: true, answerAtVeth: true });
    expect(whole.verdict.kind).toBe('delivered');
  });

  it('names the step and counts in the evidence of a drop', async () => {
    const f = await cases['requests-stop']!();
    expect(f.verdict.kind).toBe('request-dropped');
    expect(f.requestsStopAfter).toBe('node2/eth0');
    expect(f.verdict.rule.evidence[0]).toBe('requests per station: node1/cni0 2, node1/eth0 2, node2/eth0 2, node2/cni0 0');
    expect(f.verdict.rule.evidence[1]).toBe('2 requests seen at node2/eth0 and never at node2/cni0 (largest 84 bytes)');
  });

  it('says a step is not observed when the next capture did not run, and why', async () => {
    const f = await cases['requests-not-observed']!();
    expect(f.verdict.kind).toBe('not-observed');
    expect(f.verdict.rule.evidence.join('\n')).toMatch(/node2\/cni0's capture covers 60\.\d{3} s–60\.\d{3} s/);
  });

  it('takes a TCP segment the peer acknowledged as delivered, even where a capture lacks it', async () => {
    const tcp = (dir: 'req' | 'rep', ipId: number, seq: number, ack: number, flags: number, payload: number, seen: readonly string[], at: number): Sent => ({
      spec: dir === 'req'
        ? { src: A, dst: B, proto: 'tcp', ipId, sport: 40010, dport: 80, seq, ack, flags, payload: bytes(payload, ipId) }
        : { src: B, dst: A, proto: 'tcp', ipId, sport: 80, dport: 40010, seq, ack, flags, payload: bytes(payload, ipId) },
      at,
      seen,
    });
    const f = await verdictOf([
      tcp('req', 1, 100, 0, 0x02, 0, all(), 0),
      tcp('rep', 0, 500, 101, 0x12, 0, all('rep'), 1),
      tcp('req', 2, 101, 501, 0x10, 0, all(), 2),
      tcp('req', 3, 101, 501, 0x18, 60, all(), 3),
      // The response never reached node1/eth0's or node1/cni0's capture, yet the client acknowledges it.
      tcp('rep', 1, 501, 161, 0x18, 129, upTo('node2-eth0', 'rep'), 4),
      tcp('req', 4, 161, 630, 0x10, 0, all(), 5),
      // A bare ACK that node2/cni0 lacks: no loss to speak of.
      tcp('req', 5, 161, 630, 0x10, 0, upTo('node2-eth0'), 6),
      ...background(0, 100),
    ]);
    expect(f.verdict.kind).toBe('delivered');
    expect(f.verdict.summary).toBe(
      '5 TCP segments and 2 replies got through: the peer acknowledged the segments some captures lack, so those captures missed them (as tcpdump -i any does when its buffer fills); 1 bare ACK missing from a capture is not counted as loss',
    );
    expect(f.verdict.rule.evidence).toContain("1 reply seen at node2/eth0 and missing from node1/eth0's capture was acknowledged by the peer: the capture missed it");
    expect(f.repliesStopAfter).toBeNull();
  });

  it('takes a UDP query the server answered before the next one as delivered, where a capture lacks it; a query resent after a lost one is no answer to it', async () => {
    const q = (n: number, at: number, seen: readonly string[]): Sent => ({ spec: { src: A, dst: B, proto: 'udp', ipId: 40 + n, sport: 40050, dport: 53, payload: bytes(30, n) }, at, seen });
    const a = (n: number, at: number): Sent => ({ spec: { src: B, dst: A, proto: 'udp', ipId: 80 + n, sport: 53, dport: 40050, payload: bytes(50, 10 + n) }, at, seen: all('rep') });
    // Query 1 missing from node2/cni0's capture and answered: the server had it.
    const answered = await verdictOf([q(1, 0, upTo('node2-eth0')), a(1, 2), q(2, 500, all()), a(2, 502), ...background(0, 3000)]);
    expect(answered.verdict.kind, answered.verdict.summary).toBe('delivered');
    expect(answered.verdict.rule.evidence).toContain("1 UDP datagram seen at node2/eth0 and missing from node2/cni0's capture was answered (a reply came after it, before the next request): the capture missed it");
    // Query 1 lost before node2/cni0, query 2 (its resend) answered: query 1 stays lost.
    const resent = await verdictOf([q(1, 0, upTo('node2-eth0')), q(2, 1000, all()), a(2, 1002), ...background(0, 3000)]);
    expect(resent.verdict.kind, resent.verdict.summary).toBe('partial-loss');
  });

  it('calls TCP segments lost on one step and resent delivered only when the peer acknowledged them', async () => {
    const requests = await verdictOf(resentExchange('req', true));
    expect(requests.verdict.kind).toBe('delivered');
    expect(requests.verdict.summary).toBe(
      'TCP recovered: 4 of 5 TCP segments passed from node2/eth0 to node2/cni0; the other was lost on that step, sent again and acknowledged by the server: no byte is missing',
    );
    expect(requests.verdict.causes).toEqual([]);
    const replies = await verdictOf(resentExchange('rep', true));
    expect(replies.verdict.summary).toMatch(/^TCP recovered: \d+ of \d+ replies passed from node2\/eth0 to node1\/eth0; the other was lost on that step, sent again and acknowledged by the client: no byte is missing$/);
    // A request segment lost and resent, but the server's replies then stop on the way back:
    // the recovery of the one is no proof of the other, and the stop is what the verdict says.
    const lostData = (ipId: number, at: number): Sent => ({ spec: { src: B, dst: A, proto: 'tcp', ipId, sport: 80, dport: 40020, seq: 501, ack: 301, flags: 0x18, payload: bytes(100, ipId) }, at, seen: upTo('node2-eth0', 'rep') });
    const stopped = await verdictOf([...resentExchange('req', true), lostData(9, 300), lostData(10, 1300), ...background(0, 2500)]);
    expect(stopped.verdict.kind, stopped.verdict.summary).not.toBe('delivered');
    // Resent but never acknowledged past: nothing proves the bytes arrived, the loss stands.
    for (const dir of ['req', 'rep'] as const) {
      const f = await verdictOf(resentExchange(dir, false));
      expect(f.verdict.kind, f.verdict.summary).toBe('partial-loss');
    }
  });

  it('rules out what would stop every packet at a step that others crossed after the first loss, and keeps it where they all crossed before', async () => {
    const texts = (f: FlowReport) => f.verdict.causes.map((c) => c.text);
    // Ping 2 lost between node2/eth0 and node2/cni0, ping 3 through after it: forwarding is on.
    const some = await cases['requests-partial-loss']!();
    expect(texts(some)[0]).toMatch(/^something on node2 drops only some of the packets/);
    expect(texts(some).some((t) => /forwarding is off|has no route/.test(t))).toBe(false);
    // Pings 1 and 2 through, 3 and 4 lost: something changed at one moment (a network restart
    // resets ip_forward), so forwarding off stays a cause.
    const change = await verdictOf([...ping(1, 0, all(), all('rep')), ...ping(2, 1000, all(), all('rep')), ...ping(3, 2000, upTo('node2-eth0'), []), ...ping(4, 3000, upTo('node2-eth0'), []), ...background(0, 4000)]);
    expect(texts(change).some((t) => /IP forwarding is off on node2/.test(t)), texts(change).join(' | ')).toBe(true);
    expect(texts(change).some((t) => /drops only some/.test(t))).toBe(false);
  });

  it("names a capture that shows one direction only where a healthy flow crosses every other point (the lab's blind veth)", async () => {
    const dir = join(import.meta.dirname, '..', '..', 'sample-captures', 'blind-veth-healthy');
    const files = readdirSync(dir).filter((f) => /\.pcap$/.test(f)).map((f) => join(dir, f));
    const { report } = analyze((await loadInputs(files, new Map())).inputs);
    const delivered = report.flows.filter((f) => f.verdict.kind === 'delivered' && f.client === '10.244.1.2');
    expect(delivered.length).toBeGreaterThan(0);
    for (const f of delivered) expect(f.verdict.summary).toMatch(/cross every capture point that could show them \(node1\/veth3a1b2c4d shows one direction only\)$/);
  });

  it("aims the checks for replies a node un-SNATs at the pod they go to, not the node's own address they carry on its NIC (calico-snat-forward-off)", async () => {
    const dir = join(import.meta.dirname, '..', '..', 'sample-captures', 'calico-snat-forward-off');
    const files = readdirSync(dir).filter((f) => /^node1-.*\.pcap$|^outside-.*\.pcap$/.test(f) && !f.includes('-any')).map((f) => join(dir, f));
    const { report } = analyze((await loadInputs(files, new Map())).inputs);
    const dropped = report.flows.filter((f) => f.verdict.kind === 'reply-dropped' && f.translations.some((t) => t.kind === 'SNAT'));
    expect(dropped.length).toBeGreaterThan(0);
    for (const f of dropped) {
      const checks = f.verdict.causes.map((c) => `${c.text} ${c.check}`).join('\n');
      expect(checks).toContain(`-d ${f.client} -j ACCEPT`);
      expect(checks).not.toContain('10.39.0.110');
    }
  });

  it("says why packets that passed after the next capture's last one count as lost (mixed-snaplen-udp-drop)", async () => {
    const dir = join(import.meta.dirname, '..', '..', 'sample-captures', 'mixed-snaplen-udp-drop');
    const files = readdirSync(dir).filter((f) => /\.pcap$/.test(f)).map((f) => join(dir, f));
    const { report } = analyze((await loadInputs(files, new Map())).inputs);
    const lines = report.flows.flatMap((f) => f.verdict.rule.evidence).filter((l) => / covers [\d.]+ s–[\d.]+ s/.test(l));
    const late = lines.filter((l) => {
      const m = /passed \S+ at [\d.]+ s–([\d.]+) s; .* covers [\d.]+ s–([\d.]+) s/.exec(l);
      return m !== null && Number(m[1]) > Number(m[2]);
    });
    expect(late.length).toBeGreaterThan(0);
    for (const l of late) expect(l).toContain('(to its last packet; nothing says it had stopped when the later ones passed, and a capture that goes quiet runs on)');
  });

  it('still calls an unacknowledged segment lost', async () => {
    const f = await verdictOf([
      { spec: { src: A, dst: B, proto: 'tcp', ipId: 1, sport: 40011, dport: 80, seq: 100, flags: 0x02 }, at: 0, seen: all() },
      { spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40011, seq: 500, ack: 101, flags: 0x12 }, at: 1, seen: upTo('node2-eth0', 'rep') },
      { spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40011, seq: 500, ack: 101, flags: 0x12 }, at: 1001, seen: upTo('node2-eth0', 'rep') },
    ]);
    expect(f.verdict.kind).toBe('reply-dropped');
  });

  it('calls a flow delivered when its replies only pass where no capture ran, and says where', async () => {
    const f = await cases['replies-outside-windows']!();
    expect(f.verdict.kind).toBe('delivered');
    expect(f.verdict.summary).toBe("delivered as far as the captures show: requests reach node2/cni0; 1 echo reply passed node1/eth0 while node1/cni0's capture was not running");
    expect(f.repliesStopAfter).toBeNull();
  });

  it('does not count as lost what passed after a file ended early, and names the capture that holds fewer', async () => {
    // node1/cni0's file ends 0.1 s after the third ping; pings 4 and 5 come 0.2 s and 0.3 s
    // after its last packet, within the second a quiet capture is still believed to run. Their requests are seen
    // further on (node1/eth0 onwards) and never at node1/cni0: its file ended before its capture.
    const f = await verdictOf(fileEndsEarly('node1-cni0', (rest) => [...ping(4, 1300, rest, upTo('node1-eth0', 'rep')), ...ping(5, 1400, rest, upTo('node1-eth0', 'rep'))]));
    expect(f.verdict.kind).toBe('delivered');
    expect(f.verdict.summary).toBe('5 echo requests and 5 echo replies got through; node1/cni0 holds fewer of them');
    expect(f.verdict.rule.evidence).toContain("2 replies passed node1/eth0 at 1.301 s–1.401 s, outside node1/cni0's capture: not counted as lost");
    expect(f.verdict.rule.evidence.some((l) => l.startsWith('node1/cni0 was no longer writing'))).toBe(true);
  });

  it('marks a point whose capture was not recording while the whole flow passed, and only that one', async () => {
    // node2/eth0's file ends at 1.1 s, proven early by pings 4 and 5 (seen either side of it,
    // never at it); a second ping (id 11) comes entirely after that.
    const sent = fileEndsEarly('node2-eth0', (rest) => [
      ...ping(4, 1300, rest, [...rest].reverse()),
      ...ping(5, 1400, rest, [...rest].reverse()),
      ...otherPing(11, 1, 1350, rest),
      ...otherPing(11, 2, 1450, rest),
      // A third (id 12) dropped on node1 at the same time: nothing says it came by node2/eth0.
      ...otherPing(12, 1, 1360, upTo('node1-eth0')).slice(0, 1),
    ]);
    const f = await verdictOf(sent, (x) => x.client === A && x.icmpId === 11);
    expect(f.hops.map((h) => [`${h.node}/${h.interface}`, h.requests, h.replies, h.notRecording ?? false])).toEqual([
      ['node1/cni0', 2, 2, false],
      ['node1/eth0', 2, 2, false],
      ['node2/eth0', 0, 0, true],
      ['node2/cni0', 2, 2, false],
    ]);
    expect(f.verdict.kind).toBe('delivered');
    // The flow that node2/eth0 saw part of is not marked: its capture ran while it passed.
    const g = await verdictOf(sent, (x) => x.client === A && x.icmpId === 7);
    expect(g.hops.every((h) => !h.notRecording)).toBe(true);
    const dropped = await verdictOf(sent, (x) => x.client === A && x.icmpId === 12);
    expect(dropped.hops.map((h) => [`${h.node}/${h.interface}`, h.requests, h.notRecording ?? false])).toEqual([
      ['node1/cni0', 1, false],
      ['node1/eth0', 1, false],
      ['node2/eth0', 0, false],
      ['node2/cni0', 0, false],
    ]);
  });

  it('still calls lost what a running, quiet capture lacks, though a flow that never crossed it went on past it', async () => {
    // node2/eth0 ran on in silence after 1.1 s: pings 4 and 5 are dropped before it. Another
    // ping (id 9) is on node2/eth0's path by its role only and never crossed it (a capture
    // filter, a route past it); its packets seen beyond node2/eth0 prove nothing of that file.
    const sent = fileEndsEarly('node2-eth0', (rest) => [...ping(4, 1300, upTo('node1-eth0'), []), ...ping(5, 1400, upTo('node1-eth0'), []), ...otherPing(9, 1, 1300, rest), ...otherPing(9, 2, 1400, rest)]);
    const f = await verdictOf(sent, (x) => x.client === A && x.icmpId === 7);
    expect(f.verdict.kind).toBe('partial-loss');
    expect(f.verdict.rule.evidence).toContain('2 requests seen at node1/eth0 and never at node2/eth0 (largest 84 bytes)');
    // Nor is node2/eth0 'not recording' for the ping that went past it: 0.2 s after its last
    // packet, with no proof that its file ended, it may have been running.
    const past = await verdictOf(sent, (x) => x.client === A && x.icmpId === 9);
    expect(past.hops.find((h) => h.interface === 'eth0' && h.node === 'node2')).toMatchObject({ requests: 0, replies: 0 });
    expect(past.hops.some((h) => h.notRecording)).toBe(false);
  });

  it('calls a RST after the server accepted and answered a close, not a refusal', async () => {
    const tcp = (src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, data = 0): FrameSpec => ({
      src, dst, proto: 'tcp', ipId: seq & 0xffff, sport, dport, seq, ack, flags, ...(data > 0 ? { payload: bytes(data, seq & 0xff) } : {}),
    });
    const f = await verdictOf([
      { spec: tcp(A, B, 40010, 8081, 1000, 0, 0x02), at: 0, seen: all() },
      { spec: tcp(B, A, 8081, 40010, 5000, 1001, 0x12), at: 1, seen: all('rep') },
      { spec: tcp(A, B, 40010, 8081, 1001, 5001, 0x18, 60), at: 2, seen: all() },
      { spec: tcp(B, A, 8081, 40010, 5001, 1061, 0x18, 600), at: 3, seen: all('rep') },
      { spec: tcp(B, A, 8081, 40010, 5601, 1061, 0x14), at: 200, seen: all('rep') },
    ]);
    expect(f.verdict.kind).toBe('delivered');
    expect(f.verdict.rule.name).not.toBe('tcp-reset');
  });

  it('does not call a path MTU black hole with ICMP delivered: nothing got through after the refusal', async () => {
    const big = (n: number): FrameSpec => ({ src: A, dst: B, proto: 'icmp', ipId: 80 + n, icmp: { type: 8, code: 0, id: 7, seq: 20 + n }, payload: bytes(1472, n) });
    const f = await verdictOf([
      ...ping(1, 0, all(), all('rep')),
      ...[1, 2, 3].flatMap((n): Sent[] => [
        { spec: big(n), at: 500 * n, seen: upTo('node1-eth0') },
        { spec: icmpError('10.244.1.1', A, 3, 4, big(n), 1450), at: 500 * n + 1, seen: ['node1-cni0'] },
      ]),
      ...background(0, 2000),
    ]);
    expect(f.verdict.kind).not.toBe('delivered');
  });

  it('reads packet times whole past 2.1 s into the captures: a SYN resent before the first SYN-ACK is no unfinished handshake', async () => {
    // Times are ns from the incident's start: past 2^31 they did not fit an int32, and a list
    // of group ids mapped to times once cut them so (the SYN-ACK's time wrapped below the SYNs').
    const server = ['node2-eth0', 'node2-cni0'];
    const syn = (n: number, at: number): Sent => ({ spec: { src: A, dst: B, proto: 'tcp', ipId: 10 + n, sport: 40030, dport: 80, seq: 7000, flags: 0x02 }, at, seen: server });
    const synAck: Sent = { spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40030, seq: 9000, ack: 7001, flags: 0x12 }, at: 3300, seen: ['node2-cni0', 'node2-eth0'] };
    const f = await verdictOf([...background(0, 3400, server), syn(0, 2200), syn(1, 3200), synAck]);
    expect(f.verdict.rule.name).not.toBe('handshake-unfinished');
  });

  it('takes a RST alone, whose sequence number is not 0, for the end of a connection made before the captures began: not observed, no refusal; one with sequence number 0 still refuses', async () => {
    const rst = (seq: number): Sent => ({ spec: { src: B, dst: A, proto: 'tcp', ipId: 0, sport: 80, dport: 40060, seq, ack: 160, flags: 0x14 }, at: 500, seen: all('rep') });
    const old = await verdictOf([rst(5000), ...background(0, 1000)], (f) => f.protocol === 'tcp');
    expect(old.verdict.kind, old.verdict.summary).toBe('not-observed');
    expect(old.verdict.rule.name).toBe('tcp-reset');
    const refusal = await verdictOf([rst(0), ...background(0, 1000)], (f) => f.protocol === 'tcp');
    expect(refusal.verdict.kind, refusal.verdict.summary).toBe('rejected');
  });

  it('calls a RST right after the SYN-ACK a reset before any answer, not a close', async () => {
    const tcp = (src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number): FrameSpec => ({ src, dst, proto: 'tcp', ipId: seq & 0xffff, sport, dport, seq, ack, flags });
    const f = await verdictOf([
      { spec: tcp(A, B, 40030, 80, 100, 0, 0x02), at: 0, seen: all() },
      { spec: tcp(B, A, 80, 40030, 500, 101, 0x12), at: 1, seen: all('rep') },
      { spec: tcp(A, B, 40030, 80, 101, 501, 0x10), at: 2, seen: all() },
      { spec: tcp(B, A, 80, 40030, 501, 101, 0x14), at: 3, seen: all('rep') },
    ]);
    expect(f.verdict.kind).toBe('rejected');
    expect(f.verdict.summary).toContain('accepts it (SYN-ACK), then sends a RST');
  });

  it('still calls packets lost after the last one a capture holds, when the captures ran together', async () => {
    // Pings 1–10 go through; 11–20 never reach node2/cni0, whose capture goes quiet with ping 10's reply.
    const f = await verdictOf([
      ...Array.from({ length: 10 }, (_, i) => ping(i + 1, i * 250, all(), all('rep'))).flat(),
      ...Array.from({ length: 10 }, (_, i) => ping(i + 11, 2500 + i * 250, upTo('node2-eth0'), [])).flat(),
      ...background(0, 5000, ['node1-cni0', 'node1-eth0', 'node2-eth0']),
    ]);
    expect(f.verdict.kind).not.toBe('delivered');
  });
});

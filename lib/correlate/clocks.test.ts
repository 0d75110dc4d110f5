/**
 * Node clocks (clocks.ts). Every comparison of times taken on two nodes — did the reply reach
 * node1 before node2 sent the next request, did a capture start before a packet passed — goes
 * through these offsets, and nodes' clocks are often tens of milliseconds apart. The captures
 * here are built with a known skew and known one-way delays, so the estimate can be checked
 * against what really happened.
 */
import { describe, expect, it } from 'vitest';
import { indexedCapture, pcapOf } from '../testing/in-memory';
import { analyze, type AnalysisInput } from '../analyze';
import { frame, type FrameSpec } from '../testing/packets';
import { clocksCompare, clockSide } from './clocks';
import type { NodeClock } from './types';
import { ns } from '../util/units';

const SEC = 1_700_000_000;
const MS = 1_000_000;
const US = 1_000;

/** One packet as it crossed the wire: sent at `t` (true time, ns), seen `delay` ns later at the far node. */
interface Sent {
  f: FrameSpec;
  t: number;
  delay: number;
  from: 'near' | 'far';
}

/** A capture named `name` holding `packets` at their times (ns after SEC), as tcpdump would write it. */
function capture(name: string, packets: { f: FrameSpec; t: number }[]): AnalysisInput {
  // Written from a second after SEC, so that a clock running behind still has times to write.
  const bytes = pcapOf(packets.map((p) => ({ ns: 1e9 + p.t, bytes: frame(p.f) })), { startSec: SEC, snaplen: 65535 });
  return { file: name, capture: indexedCapture(name, bytes) };
}

/**
 * The eth0 captures of two nodes that exchanged `sent`, the far node's clock reading `skew` ns
 * ahead; the far capture keeps only what `farKeeps` lets through (tcpdump -Q out: its own sends).
 */
function pair(near: string, far: string, sent: Sent[], skew: number, farKeeps: (s: Sent) => boolean = () => true): AnalysisInput[] {
  const at = (s: Sent, here: 'near' | 'far') => s.t + (s.from === here ? 0 : s.delay) + (here === 'far' ? skew : 0);
  return [
    capture(`${near}-eth0.pcap`, sent.map((s) => ({ f: s.f, t: at(s, 'near') }))),
    capture(`${far}-eth0.pcap`, sent.filter(farKeeps).map((s) => ({ f: s.f, t: at(s, 'far') }))),
  ];
}

/** A TCP handshake and one data segment from client `c` to server `s`, sent 1 ms apart; `port` makes its IP ids and sequence numbers its own. */
function tcp(c: string, s: string, port: number, requestDelays: number[], replyDelays: number[]): Sent[] {
  const req = { src: c, dst: s, proto: 'tcp' as const, sport: port, dport: 80, ttl: 63 };
  const rep = { src: s, dst: c, proto: 'tcp' as const, sport: 80, dport: port, ttl: 63 };
  const [id, isnC, isnS] = [port % 1000, port * 10, port * 20];
  const frames: [FrameSpec, 'near' | 'far'][] = [
    [{ ...req, ipId: id, seq: isnC, flags: 0x02 }, 'near'],
    [{ ...rep, ipId: id + 500, seq: isnS, ack: isnC + 1, flags: 0x12 }, 'far'],
    [{ ...req, ipId: id + 1, seq: isnC + 1, ack: isnS + 1, flags: 0x10 }, 'near'],
    [{ ...req, ipId: id + 2, seq: isnC + 1, ack: isnS + 1, flags: 0x18, payload: new Uint8Array(100).fill(port & 255) }, 'near'],
    [{ ...rep, ipId: id + 501, seq: isnS + 1, ack: isnC + 101, flags: 0x10 }, 'far'],
  ];
  let r = 0;
  let p = 0;
  return frames.map(([f, from], i) => ({ f, from, t: i * MS, delay: from === 'near' ? requestDelays[r++]! : replyDelays[p++]! }));
}

const clocksOf = (inputs: AnalysisInput[]) => analyze(inputs).correlation.clocks;

describe('estimateClocks', () => {
  it("puts node2's offset at minus its skew, from both directions, when packets cross both ways", () => {
    // node2's clock reads 37 ms ahead; requests take 200–300 µs to get there, replies 100–150 µs
    // back. The least delays (200 and 100 µs) bracket the skew: (37.2 + 36.9) / 2 = 37.05 ms,
    // off the truth by half their difference, never more than the delay.
    const clocks = clocksOf(pair('node1', 'node2', tcp('10.244.1.8', '10.244.2.4', 40080, [300 * US, 200 * US, 250 * US], [150 * US, 100 * US]), 37 * MS));
    expect(clocks.get('node1')).toEqual({ node: 'node1', offsetNs: 0, method: 'reference', samples: 0, base: 'node1' });
    const node2 = clocks.get('node2')!;
    // Added to node2's raw times it gives node1's clock: negative, for a clock that runs ahead.
    expect(node2.offsetNs).toBeCloseTo(-37.05 * MS, -1);
    expect(Math.abs(node2.offsetNs + 37 * MS)).toBeLessThanOrEqual(200 * US);
    // Every packet both nodes saw is a sample: three requests and two replies.
    expect([node2.method, node2.samples, node2.base]).toEqual(['two-way', 5, 'node1']);
  });

  it('with packets one way only, takes the delay as zero: the least delay is folded into the offset', () => {
    // Datagrams to a server that never answers: node2 sees each 37 ms + its delay after node1.
    const udp = (ipId: number): FrameSpec => ({ src: '10.244.1.8', dst: '10.244.2.4', proto: 'udp', ipId, sport: 40053, dport: 53, ttl: 63, payload: new Uint8Array(20).fill(ipId) });
    const sent: Sent[] = [300, 200, 250].map((d, i) => ({ f: udp(200 + i), from: 'near', t: i * MS, delay: d * US }));
    const { report, correlation } = analyze(pair('node1', 'node2', sent, 37 * MS));
    const node2 = correlation.clocks.get('node2')!;
    expect(node2.offsetNs).toBeCloseTo(-37.2 * MS, -1);
    expect([node2.method, node2.samples, node2.base]).toEqual(['one-way', 3, 'node1']);
    expect(report.notes).toContain("node2's clock offset comes from one direction only (delay taken as zero)");
  });

  it("measures the wire from where a packet left its node to where it reached the next: not the time it spent inside the first", () => {
    // One clock (no skew): each datagram crosses node1's pod veth, 120 µs later node1's eth0,
    // and 4 µs after that node2's eth0. Only the 4 µs may be folded into node2's offset: taken
    // from the veth, node2's eth0 came out 120 µs before node1's (the time sequence ran backwards).
    const udp = (ipId: number, ttl: number): FrameSpec => ({ src: '10.244.1.8', dst: '10.244.2.4', proto: 'udp', ipId, sport: 40053, dport: 53, ttl, payload: new Uint8Array(20).fill(ipId) });
    const at = [0, 1, 2].map((i) => i * MS);
    const node2 = clocksOf([
      capture('node1-veth1.pcap', at.map((t, i) => ({ f: udp(300 + i, 64), t }))),
      capture('node1-eth0.pcap', at.map((t, i) => ({ f: udp(300 + i, 63), t: t + 120 * US }))),
      capture('node2-eth0.pcap', at.map((t, i) => ({ f: udp(300 + i, 63), t: t + 124 * US }))),
    ]).get('node2')!;
    expect(node2.method).toBe('one-way');
    expect(node2.offsetNs).toBeCloseTo(-4 * US, -1);
  });

  it('with only the replies seen on both nodes, folds their least delay in the other way', () => {
    // node2 captured with tcpdump -Q out: only its replies, 150 and 100 µs on their way to node1.
    // t_node1 − t_node2 for them is delay − 37 ms, so node2 looks 100 µs less ahead than it is.
    const sent = tcp('10.244.1.8', '10.244.2.4', 40080, [200 * US, 200 * US, 200 * US], [150 * US, 100 * US]);
    const node2 = clocksOf(pair('node1', 'node2', sent, 37 * MS, (s) => s.from === 'far')).get('node2')!;
    expect(node2.offsetNs).toBeCloseTo(-36.9 * MS, -1);
    expect([node2.method, node2.samples, node2.base]).toEqual(['one-way', 2, 'node1']);
  });

  it('takes as reference the node the flows start on, and measures the other against it', () => {
    // A pod on node2 connects to one on node1, whose clock reads 37 ms behind node2's; equal
    // delays both ways cancel, so node1's offset is the skew itself, positive.
    const sent = tcp('10.244.2.4', '10.244.1.8', 40080, [200 * US, 200 * US, 200 * US], [200 * US, 200 * US]);
    const clocks = clocksOf(pair('node2', 'node1', sent, -37 * MS));
    expect(clocks.get('node2')!.method).toBe('reference');
    const node1 = clocks.get('node1')!;
    expect(node1.offsetNs).toBeCloseTo(37 * MS, -1);
    expect([node1.method, node1.samples, node1.base]).toEqual(['two-way', 5, 'node2']);
  });

  it('calls unknown the clock of a node sharing no packet with the others, and compares its times with no other node', () => {
    // node5 captured only a ping between two of its own pods.
    const ping = (type: number, src: string, dst: string, ipId: number): FrameSpec => ({ src, dst, proto: 'icmp', ipId, ttl: 64, icmp: { type, code: 0, id: 7, seq: 1 } });
    const lone = capture('node5-eth0.pcap', [
      { f: ping(8, '10.244.5.2', '10.244.5.3', 1), t: 0 },
      { f: ping(0, '10.244.5.3', '10.244.5.2', 2), t: 50 * US },
    ]);
    const { report, correlation } = analyze([...pair('node1', 'node2', tcp('10.244.1.8', '10.244.2.4', 40080, [200 * US, 200 * US, 200 * US], [200 * US, 200 * US]), 37 * MS), lone]);
    expect(correlation.clocks.get('node5')).toEqual({ node: 'node5', offsetNs: 0, method: 'unknown', samples: 0, base: 'node5' });
    expect(clocksCompare(correlation.clocks, 'node1', 'node5')).toBe(false);
    expect(clocksCompare(correlation.clocks, 'node2', 'node5')).toBe(false);
    expect(clocksCompare(correlation.clocks, 'node1', 'node2')).toBe(true);
    expect(clockSide(report.clocks, 'node5')).toEqual([]);
    expect(report.notes).toContain('node5 shares no packet with the other nodes: its clock offset is unknown');
  });

  it('measures two nodes that share packets only with each other against the first of them: unknown to the reference, comparable together', () => {
    // node4's clock reads 5 ms behind node3's; symmetric 100 µs delays give it exactly.
    const same = (d: number) => [d, d, d];
    const inputs = [
      ...pair('node1', 'node2', tcp('10.244.1.8', '10.244.2.4', 40080, same(200 * US), [200 * US, 200 * US]), 37 * MS),
      ...pair('node3', 'node4', tcp('10.244.3.8', '10.244.4.4', 40081, same(100 * US), [100 * US, 100 * US]), -5 * MS),
    ];
    const { report, correlation } = analyze(inputs);
    const clocks = correlation.clocks;
    expect(clocks.get('node1')!.method).toBe('reference');
    expect(clocks.get('node3')).toEqual({ node: 'node3', offsetNs: 0, method: 'unknown', samples: 0, base: 'node3' });
    const node4 = clocks.get('node4')!;
    expect(node4.offsetNs).toBeCloseTo(5 * MS, -1);
    expect([node4.method, node4.samples, node4.base]).toEqual(['unknown', 5, 'node3']);
    expect(clocksCompare(clocks, 'node3', 'node4')).toBe(true);
    expect(clocksCompare(clocks, 'node2', 'node4')).toBe(false);
    // The report leaves `base` out where it is the node itself; the side is found either way.
    expect(clockSide(report.clocks, 'node3')).toEqual(['node4']);
    expect(clockSide(report.clocks, 'node4')).toEqual(['node3']);
    expect(report.notes).toContain("node3 and node4 share packets only with each other: their clocks are measured against node3's, not the reference's");
  });
});

describe('clocksCompare and clockSide on hand-made clocks', () => {
  const clock = (node: string, method: NodeClock['method'], base: string): NodeClock => ({ node, offsetNs: ns(0), method, samples: 0, base });
  const clocks = new Map([clock('a', 'reference', 'a'), clock('b', 'two-way', 'a'), clock('c', 'unknown', 'c'), clock('d', 'unknown', 'c'), clock('e', 'unknown', 'e')].map((c) => [c.node, c]));

  it('compares times on one machine always, on two only when both clocks were measured against the same node', () => {
    expect(clocksCompare(clocks, 'zz', 'zz')).toBe(true);
    expect(clocksCompare(clocks, 'a', 'b')).toBe(true);
    expect(clocksCompare(clocks, 'c', 'd')).toBe(true);
    expect(clocksCompare(clocks, 'b', 'c')).toBe(false);
    expect(clocksCompare(clocks, 'c', 'e')).toBe(false);
    // A node with no clock at all compares with nothing else.
    expect(clocksCompare(clocks, 'a', 'zz')).toBe(false);
  });

  it("lists an unknown clock's side, and nothing for a known clock or a node not listed", () => {
    const list = [...clocks.values()];
    expect(clockSide(list, 'c')).toEqual(['d']);
    expect(clockSide(list, 'd')).toEqual(['c']);
    expect(clockSide(list, 'e')).toEqual([]);
    expect(clockSide(list, 'b')).toEqual([]);
    expect(clockSide(list, 'zz')).toEqual([]);
  });
});

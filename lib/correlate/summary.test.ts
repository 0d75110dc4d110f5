/**
 * Flow summaries (summary.ts): what each flow's packets add up to once their directions are
 * settled — where they were seen, from when to when, how many requests and replies at which
 * points, and for TCP how far the client acknowledged and the server sent. The path and the
 * verdict read these sums instead of the packets: a request counted as a reply, or a point
 * mask off by one, turns "lost between the nodes" into "never answered". Built here from pods
 * on two flannel nodes, captured at each node's cni0 (node1's is point 0, node2's point 1).
 */
import { describe, expect, it } from 'vitest';
import { captureInput, pcapOf } from '../testing/in-memory';
import { bytes, frame, type FrameSpec } from '../testing/packets';
import { correlate, type Correlation, type MaskCount } from './correlate';
import { consumesSequence } from './summary';

const A = '10.244.1.2'; // pod on node1, the client
const B = '10.244.2.3'; // pod on node2, the server
const [NODE1, NODE2, BOTH] = [0b01, 0b10, 0b11];

/** A packet sent at `at` µs: seen on its sender's node's cni0, then 100 µs later on the other's unless `stops`. */
type Sent = [at: number, spec: FrameSpec, stops?: 'stops'];

function run(sent: Sent[]): Correlation {
  const seen = new Map<string, { at: number; bytes: Uint8Array }[]>([['node1-cni0.pcap', []], ['node2-cni0.pcap', []]]);
  for (const [at, spec, stops] of sent) {
    const files = spec.src === A ? ['node1-cni0.pcap', 'node2-cni0.pcap'] : ['node2-cni0.pcap', 'node1-cni0.pcap'];
    files.slice(0, stops ? 1 : 2).forEach((file, k) => seen.get(file)!.push({ at: at + k * 100, bytes: frame({ ...spec, ttl: k === 0 ? 64 : 62 }) }));
  }
  return correlate([...seen].map(([file, packets]) => captureInput(file, pcapOf(packets.map((p) => ({ ns: p.at * 1000, bytes: p.bytes }))))));
}

const c2s = { src: A, dst: B, proto: 'tcp' as const, sport: 40000, dport: 80 };
const s2c = { src: B, dst: A, proto: 'tcp' as const, sport: 80, dport: 40000 };

/**
 * A's connection to B's 80: A's first 100-byte write is lost between the nodes and resent
 * (a new IP id) 1 ms later; B answers 300 bytes; both close. 7 segments from A, 4 from B.
 */
function connection(isn: number, isnS: number): Sent[] {
  const data = bytes(100, 1);
  const seq = (base: number, n: number) => (base + n) >>> 0;
  return [
    [0, { ...c2s, ipId: 1, seq: isn, flags: 0x02 }],
    [300, { ...s2c, ipId: 51, seq: isnS, ack: seq(isn, 1), flags: 0x12 }],
    [600, { ...c2s, ipId: 2, seq: seq(isn, 1), ack: seq(isnS, 1), flags: 0x10 }],
    [700, { ...c2s, ipId: 3, seq: seq(isn, 1), ack: seq(isnS, 1), flags: 0x18, payload: data }, 'stops'],
    [1700, { ...c2s, ipId: 4, seq: seq(isn, 1), ack: seq(isnS, 1), flags: 0x18, payload: data }],
    [2000, { ...s2c, ipId: 52, seq: seq(isnS, 1), ack: seq(isn, 101), flags: 0x10 }],
    [2100, { ...s2c, ipId: 53, seq: seq(isnS, 1), ack: seq(isn, 101), flags: 0x18, payload: bytes(300, 2) }],
    [2400, { ...c2s, ipId: 5, seq: seq(isn, 101), ack: seq(isnS, 301), flags: 0x10 }],
    [2700, { ...c2s, ipId: 6, seq: seq(isn, 101), ack: seq(isnS, 301), flags: 0x11 }],
    [3000, { ...s2c, ipId: 54, seq: seq(isnS, 301), ack: seq(isn, 102), flags: 0x11 }],
    [3300, { ...c2s, ipId: 7, seq: seq(isn, 102), ack: seq(isnS, 302), flags: 0x10 }],
  ];
}

const byMask = (m: MaskCount[]) => [...m].sort((x, y) => x.mask - y.mask);
/** A raw time as the summary holds it: ns since the incident's epoch. */
const rawNs = (c: Correlation, us: number) => (1_700_000_000 - c.epochSec) * 1e9 + us * 1000;

describe('summarizeFlows', () => {
  it("counts a connection's requests and replies by the points that saw them, the lost write at node1 alone", () => {
    const c = run(connection(1_000_000, 5_000_000));
    expect(c.flows).toHaveLength(1);
    const f = c.flows[0]!;
    expect([f.client, f.server, f.requests.length, f.replies.length]).toEqual([A, B, 7, 4]);
    expect(byMask(f.summary.requestMasks)).toEqual([
      { mask: NODE1, count: 1 },
      { mask: BOTH, count: 6 },
    ]);
    expect(f.summary.replyMasks).toEqual([{ mask: BOTH, count: 4 }]);
    expect(f.summary.seenMask).toBe(BOTH);
  });

  it("spans from the SYN's first sighting to the last ACK's first sighting, not that ACK's later copy on node2", () => {
    const c = run(connection(1_000_000, 5_000_000));
    const s = c.flows[0]!.summary;
    expect([s.firstNs, s.lastNs]).toEqual([rawNs(c, 0), rawNs(c, 3300)]);
  });

  it("finds the client's furthest acknowledgment and the server's furthest segment across the 2^32 sequence wrap", () => {
    // Both ISNs sit just below 2^32: B's FIN and A's last ACK carry numbers that wrapped to
    // small ones, yet they are the furthest on (RFC 9293's serial arithmetic, not the largest).
    const [isn, isnS] = [0xffff_ffc0, 0xffff_fff0];
    const c = run(connection(isn, isnS));
    const { furthestAck, furthestSeq } = c.flows[0]!.summary;
    const G = c.groups;
    expect([G.ack[furthestAck], G.tcpFlags[furthestAck]]).toEqual([(isnS + 302) >>> 0, 0x10]);
    expect([G.seq[furthestSeq], G.tcpFlags[furthestSeq]]).toEqual([(isnS + 301) >>> 0, 0x11]);
    expect(G.seq[furthestSeq]).toBeLessThan(300);
  });

  it('counts a ping whose replies were lost on the way back at node2 alone, and leaves its TCP sums unset', () => {
    const ping = (type: 0 | 8, seq: number): FrameSpec => ({ src: type === 8 ? A : B, dst: type === 8 ? B : A, proto: 'icmp', ipId: (type === 8 ? 100 : 500) + seq, icmp: { type, code: 0, id: 0x1234, seq }, payload: bytes(56, seq) });
    // Three requests reach B; its second and third replies never reach node1's bridge.
    const c = run([1, 2, 3].flatMap((n): Sent[] => [[n * 1_000_000, ping(8, n)], [n * 1_000_000 + 300, ping(0, n), n > 1 ? 'stops' : undefined]]));
    const s = c.flows[0]!.summary;
    expect(s.requestMasks).toEqual([{ mask: BOTH, count: 3 }]);
    expect(byMask(s.replyMasks)).toEqual([
      { mask: NODE2, count: 2 },
      { mask: BOTH, count: 1 },
    ]);
    expect([s.seenMask, s.furthestAck, s.furthestSeq]).toEqual([BOTH, -1, -1]);
  });
});

describe('consumesSequence', () => {
  it('holds for a SYN, a data segment and a FIN, not for a bare ACK nor for an IP length a TCP header with options could fill', () => {
    const sent: Sent[] = [
      [0, { ...c2s, ipId: 1, seq: 100, flags: 0x02 }], // SYN
      [300, { ...s2c, ipId: 51, seq: 900, ack: 101, flags: 0x12 }], // SYN-ACK
      [600, { ...c2s, ipId: 2, seq: 101, ack: 901, flags: 0x10 }], // bare ACK: 40 bytes of IP
      [700, { ...c2s, ipId: 3, seq: 101, ack: 901, flags: 0x18, payload: bytes(100, 3) }], // 100 bytes of data
      // 40 bytes of data: IP length 80, as a bare ACK with 40 bytes of TCP options would have.
      [800, { ...c2s, ipId: 4, seq: 201, ack: 901, flags: 0x18, payload: bytes(40, 4) }],
      [900, { ...c2s, ipId: 5, seq: 241, ack: 901, flags: 0x11 }], // FIN, no data
    ];
    const c = run(sent);
    const f = c.flows[0]!;
    expect(f.groups.length).toBe(sent.length);
    expect(Array.from(f.groups, (g) => consumesSequence(c.groups, g, 20))).toEqual([true, true, false, true, false, true]);
  });
});

/**
 * ICMP errors (icmp-errors.ts): each goes to the flow whose datagram it quotes. A port
 * unreachable or a frag-needed is often the one packet that says why a flow failed (nothing
 * listens; the overlay's MTU is smaller than the pod's): on the wrong flow it blames a healthy
 * one, and on none the verdict loses its cause. Built here from two pods on two nodes, captured
 * at each node's cni0, holding two flows of the same protocol between the same pods.
 */
import { describe, expect, it } from 'vitest';
import { captureInput, pcapOf } from '../testing/in-memory';
import { bytes, frame, type FrameSpec } from '../testing/packets';
import { correlate, type CaptureInput, type Correlation, type Flow } from './correlate';

const A = '10.244.1.2'; // pod on node1, the client
const B = '10.244.2.3'; // pod on node2
const GW1 = '10.244.1.1'; // node1's cni0: the router a too-big packet from A meets first

/** A packet sent at `at` µs: seen on its sender's node's cni0, then (unless `stops`) 100 µs later on the other's, routed twice. */
interface Sent {
  at: number;
  spec: FrameSpec;
  stops?: true;
}

/** Each node's cni0 capture, made in memory (`snaplen` for node1's: tcpdump -s). */
function captures(sent: Sent[], snaplen = 262144): CaptureInput[] {
  const seen = { node1: [] as { at: number; bytes: Uint8Array }[], node2: [] as { at: number; bytes: Uint8Array }[] };
  for (const s of sent) {
    const path = s.spec.src === B ? (['node2', 'node1'] as const) : (['node1', 'node2'] as const);
    path.slice(0, s.stops ? 1 : 2).forEach((node, k) => seen[node].push({ at: s.at + k * 100, bytes: frame({ ...s.spec, ttl: k === 0 ? 64 : 62 }) }));
  }
  return (['node1', 'node2'] as const).map((node) =>
    captureInput(`${node}-cni0.pcap`, pcapOf(seen[node].map((p) => ({ ns: p.at * 1000, bytes: p.bytes })), { snaplen: node === 'node1' ? snaplen : 262144 })),
  );
}

/** What an ICMP error quotes of a datagram: its IP header on, at most 548 bytes (Linux keeps the error within 576). */
const quote = (d: FrameSpec) => frame(d).subarray(14, 14 + 548);
/** An ICMP error (type 3) from `from`; a frag-needed's next-hop MTU is in the header's last two bytes, where an echo's sequence number is. */
const icmpError = (from: string, to: string, ipId: number, type: number, code: number, quoted: FrameSpec, mtu = 0): FrameSpec => ({ src: from, dst: to, proto: 'icmp', ipId, icmp: { type, code, id: 0, seq: mtu }, payload: quote(quoted) });

/** A UDP datagram of `n` bytes from A's `sport` to B's `dport`, or (`back`) B's answer. */
const udp = (sport: number, dport: number, ipId: number, n: number, back = false): FrameSpec =>
  back ? { src: B, dst: A, proto: 'udp', ipId, sport: dport, dport: sport, payload: bytes(n, ipId) } : { src: A, dst: B, proto: 'udp', ipId, sport, dport, payload: bytes(n, ipId) };

/**
 * A's TCP connection from `sport` to B's `dport`: the handshake, then one write of `write`
 * bytes with DF, as Linux sends; B acknowledges it only when `delivered`.
 */
function connection(at: number, sport: number, dport: number, write: number, delivered: boolean): Sent[] {
  const c = { src: A, dst: B, proto: 'tcp' as const, sport, dport };
  const s = { src: B, dst: A, proto: 'tcp' as const, sport: dport, dport: sport };
  const [isnC, isnS] = [sport * 1000, dport * 1000];
  const id = (sport % 1000) * 10;
  return [
    { at, spec: { ...c, ipId: id, seq: isnC, flags: 0x02 } },
    { at: at + 300, spec: { ...s, ipId: dport, seq: isnS, ack: isnC + 1, flags: 0x12 } },
    { at: at + 600, spec: { ...c, ipId: id + 1, seq: isnC + 1, ack: isnS + 1, flags: 0x10 } },
    { at: at + 700, spec: { ...c, ipId: id + 2, seq: isnC + 1, ack: isnS + 1, flags: 0x18, payload: bytes(write, sport) }, ...(delivered ? {} : { stops: true as const }) },
    ...(delivered ? [{ at: at + 1000, spec: { ...s, ipId: dport + 1, seq: isnS + 1, ack: isnC + 1 + write, flags: 0x10 } }] : []),
  ];
}

const flowTo = (c: Correlation, protocol: Flow['protocol'], port: number) => c.flows.find((f) => f.protocol === protocol && f.client === A && f.server === B && f.serverPort === port)!;
const at = (c: Correlation, f: Flow) => f.icmpErrors.map((e) => `${c.points[e.point]!.node}/${c.points[e.point]!.interface}`).sort();

describe('attachIcmpErrors', () => {
  it('puts a port unreachable on the datagram it quotes, not on the DNS exchange between the same pods', () => {
    // Nothing listens on B's 5353: B answers port unreachable, seen on its way back at both bridges.
    const closed = udp(40000, 5353, 11, 20);
    const c = correlate(
      captures([
        { at: 1000, spec: udp(40001, 53, 21, 30) },
        { at: 1400, spec: udp(40001, 53, 31, 60, true) },
        { at: 2000, spec: closed },
        { at: 2300, spec: icmpError(B, A, 41, 3, 3, closed) },
      ]),
    );
    const f = flowTo(c, 'udp', 5353);
    expect(at(c, f)).toEqual(['node1/cni0', 'node2/cni0']);
    for (const e of f.icmpErrors) expect([e.from, e.type, e.code, e.mtu, e.quotedIpLen, e.quoteCut]).toEqual([B, 3, 3, null, 20 + 8 + 20, undefined]);
    expect(flowTo(c, 'udp', 53).icmpErrors).toEqual([]);
  });

  it("puts a frag-needed on the connection whose full-sized segment it quotes, with the next hop's MTU, not on a second connection between the same pods", () => {
    // A's 1500-byte segment with DF meets node1's flannel.1 MTU of 1450: node1 says so from its cni0 address.
    const big = connection(5000, 40080, 80, 1460, false);
    const small = connection(5030, 40081, 8080, 200, true);
    const c = correlate(captures([...small, ...big, { at: 5750, spec: icmpError(GW1, A, 51, 3, 4, big[3]!.spec, 1450), stops: true }]));
    const f = flowTo(c, 'tcp', 80);
    expect(at(c, f)).toEqual(['node1/cni0']);
    const e = f.icmpErrors[0]!;
    expect([e.from, e.type, e.code, e.mtu, e.quotedIpLen, e.quoteCut]).toEqual([GW1, 3, 4, 1450, 20 + 20 + 1460, undefined]);
    expect(flowTo(c, 'tcp', 8080).icmpErrors).toEqual([]);
  });

  it('goes to the connection that just sent a packet larger than the MTU when the snap length cut the quote short of its destination port', () => {
    // tcpdump -s 64 on node1: the error's quote keeps the quoted IP header and two bytes after it (the source port).
    const big = connection(5000, 40080, 80, 1460, false);
    // The other connection's write is nearer the error in time: only its size rules it out.
    const small = connection(5030, 40081, 8080, 200, true);
    const c = correlate(captures([...small, ...big, { at: 5750, spec: icmpError(GW1, A, 51, 3, 4, big[3]!.spec, 1450), stops: true }], 14 + 20 + 8 + 22));
    const f = flowTo(c, 'tcp', 80);
    expect(at(c, f)).toEqual(['node1/cni0']);
    const e = f.icmpErrors[0]!;
    // The length is the too-big segment's own, read from the connection's packets, not from the cut quote.
    expect([e.from, e.mtu, e.quotedIpLen, e.quoteCut]).toEqual([GW1, 1450, 20 + 20 + 1460, true]);
    expect(flowTo(c, 'tcp', 8080).icmpErrors).toEqual([]);
  });

  it('attaches an error whose quoted datagram belongs to no captured flow to no flow', () => {
    // The datagram to B's 9999 left before the captures began; only its port unreachable is in them.
    const c = correlate(
      captures([
        { at: 1000, spec: udp(40001, 53, 21, 30) },
        { at: 1400, spec: udp(40001, 53, 31, 60, true) },
        { at: 2300, spec: icmpError(B, A, 41, 3, 3, udp(40002, 9999, 11, 20)) },
      ]),
    );
    expect(c.captureOf(0)!.icmpErrors.size).toBe(1);
    expect(c.flows.map((f) => `${f.protocol} ${f.serverPort}`)).toEqual(['udp 53']);
    expect(c.flows.flatMap((f) => f.icmpErrors)).toEqual([]);
  });
});

describe('an error recorded by tcpdump -i any', () => {
  it('counts once though -i any wrote it once per interface it crossed (vxlan-mtu-frag-needed: node2/any holds two copies)', async () => {
    const { readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { loadInputs } = await import('../analyze/files');
    const { analyze } = await import('../analyze');
    const dir = join(import.meta.dirname, '..', '..', 'sample-captures', 'vxlan-mtu-frag-needed');
    const files = readdirSync(dir).filter((f) => /\.pcap$/.test(f)).map((f) => join(dir, f));
    const { inputs } = await loadInputs(files, new Map());
    // The file itself: two frag-needed records from node2's cni0 address, microseconds apart.
    const any = inputs.find((i) => i.file.endsWith('node2-any.pcap'))!;
    const copies = [...any.capture.icmpErrors.values()].filter((e) => e.from === '10.244.2.1' && e.type === 3 && e.code === 4);
    expect(copies).toHaveLength(2);
    const errors = analyze(inputs).report.flows.flatMap((f) => f.icmpErrors).filter((e) => e.at === 'node2/any' && e.from === '10.244.2.1');
    expect(errors.map((e) => [e.meaning, e.count])).toEqual([[expect.stringContaining('fragmentation needed'), 1]]);
  });
});

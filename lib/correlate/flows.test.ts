/**
 * Flows (flows.ts): packet groups joined into one flow per set of connections they carried,
 * and each point's background counts. A flow is what the verdict judges: two connections made
 * one would charge one's loss to the other, one connection split in two would show each half
 * "unanswered", and a NATed connection split at its DNAT would look lost at the node that
 * rewrote it. Built here from pods on two flannel nodes, captured at each node's cni0 (and, for
 * the Service, at the client's veth and its node's eth0).
 */
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../capture/build';
import { bytes, frame, type FrameSpec } from '../testing/packets';
import { correlate, type Correlation, type Flow } from './correlate';
import { captureInput, pcapOf } from '../testing/in-memory';

const A = '10.244.1.2'; // pod on node1, the client
const B = '10.244.2.3'; // pod on node2, the server
const DNS = '10.96.0.10'; // kube-dns's ClusterIP, DNATed to B

type Files = Map<string, { at: number; bytes: Uint8Array }[]>;

/** Each file made in memory and indexed as the correlator gets it (`at` in µs). */
function run(files: Files): Correlation {
  return correlate([...files].map(([file, packets]) => captureInput(file, pcapOf(packets.map((p) => ({ ns: p.at * 1000, bytes: p.bytes }))))));
}

const put = (files: Files, file: string, at: number, b: Uint8Array) => files.set(file, [...(files.get(file) ?? []), { at, bytes: b }]);

/** A packet between A and B: on its sender's node's cni0, then 100 µs later on the other's, routed twice. */
function cross(files: Files, at: number, spec: FrameSpec): void {
  const nodes = spec.src === A ? ['node1', 'node2'] : ['node2', 'node1'];
  nodes.forEach((node, k) => put(files, `${node}-cni0.pcap`, at + k * 100, frame({ ...spec, ttl: k === 0 ? 64 : 62 })));
}

/**
 * A's TCP connection from `sport` to B's `dport` opened with ISN `isn`: handshake, a 100-byte
 * request, B's ACK and 300-byte answer, both FINs and the last ACK. Its IP ids (from `id`),
 * sequence numbers and payloads are its own: 5 packets from A, 4 from B.
 */
function connection(files: Files, at: number, sport: number, dport: number, isn: number, id: number): void {
  const c = { src: A, dst: B, proto: 'tcp' as const, sport, dport };
  const s = { src: B, dst: A, proto: 'tcp' as const, sport: dport, dport: sport };
  const isnS = isn + 777_777;
  const sent: [number, FrameSpec][] = [
    [0, { ...c, ipId: id, seq: isn, flags: 0x02 }],
    [300, { ...s, ipId: id + 50, seq: isnS, ack: isn + 1, flags: 0x12 }],
    [600, { ...c, ipId: id + 1, seq: isn + 1, ack: isnS + 1, flags: 0x10 }],
    [700, { ...c, ipId: id + 2, seq: isn + 1, ack: isnS + 1, flags: 0x18, payload: bytes(100, isn) }],
    [1000, { ...s, ipId: id + 51, seq: isnS + 1, ack: isn + 101, flags: 0x10 }],
    [1100, { ...s, ipId: id + 52, seq: isnS + 1, ack: isn + 101, flags: 0x18, payload: bytes(300, isnS) }],
    [1400, { ...c, ipId: id + 3, seq: isn + 101, ack: isnS + 301, flags: 0x11 }],
    [1700, { ...s, ipId: id + 53, seq: isnS + 301, ack: isn + 102, flags: 0x11 }],
    [2000, { ...c, ipId: id + 4, seq: isn + 102, ack: isnS + 302, flags: 0x10 }],
  ];
  for (const [dt, spec] of sent) cross(files, at + dt, spec);
}

const endpoints = (f: Flow) => [f.protocol, f.client, f.clientPort, f.server, f.serverPort];
const seenAtAll = (c: Correlation, f: Flow) => Array.from(f.groups).every((g) => c.points.every((p) => c.groups.seenAt(g, p.id)));

describe('buildFlows', () => {
  it('makes one flow of a TCP connection seen at two points, with the client, server and ports it was built with', () => {
    const files: Files = new Map();
    connection(files, 1000, 40000, 80, 1_000_000, 100);
    const c = run(files);
    expect(c.flows).toHaveLength(1);
    const f = c.flows[0]!;
    expect(endpoints(f)).toEqual(['tcp', A, 40000, B, 80]);
    expect([f.groups.length, f.requests.length, f.replies.length]).toEqual([9, 5, 4]);
    expect(seenAtAll(c, f)).toBe(true);
  });

  it('keeps two connections between the same pods on different ports apart, in the order their first packets came', () => {
    // A talks to B's 8080 and, half a millisecond later, to its 80: their packets interleave on the wire.
    const files: Files = new Map();
    connection(files, 1000, 40001, 8080, 2_000_000, 200);
    connection(files, 1500, 40002, 80, 3_000_000, 300);
    const c = run(files);
    expect(c.flows.map(endpoints)).toEqual([
      ['tcp', A, 40001, B, 8080],
      ['tcp', A, 40002, B, 80],
    ]);
    for (const f of c.flows) {
      expect(f.groups.length).toBe(9);
      // The SYN opens each flow: its sequence number is the ISN that connection was built with.
      expect(c.groups.seq[f.groups[0]!]).toBe(f.serverPort === 8080 ? 2_000_000 : 3_000_000);
    }
  });

  it("joins both legs of a DNS query through kube-dns's ClusterIP into one flow: to the Service on the pod's veth, to the endpoint pod on eth0", () => {
    // node1 DNATs A's queries to 10.96.0.10:53 onto B:53 and sends them through flannel's VXLAN;
    // B's answers come back un-NATed to 10.96.0.10 on A's veth. Each packet keeps its IP id and payload.
    const files: Files = new Map([['node1-veth1.pcap', []], ['node1-eth0.pcap', []]]);
    const vxlan = (inner: FrameSpec, id: number, out: boolean) =>
      frame({ src: out ? '192.168.0.11' : '192.168.0.12', dst: out ? '192.168.0.12' : '192.168.0.11', proto: 'udp', ipId: id, df: false, sport: 51234, dport: 8472, payload: concatBytes(Uint8Array.of(8, 0, 0, 0, 0, 0, 1, 0), frame(inner)) });
    for (const [k, at] of [1000, 5000].entries()) {
      const q = { proto: 'udp' as const, ipId: 11 + k, payload: bytes(40, 11 + k) };
      const r = { proto: 'udp' as const, ipId: 61 + k, payload: bytes(90, 61 + k) };
      put(files, 'node1-veth1.pcap', at, frame({ ...q, src: A, dst: DNS, sport: 41000, dport: 53 }));
      put(files, 'node1-eth0.pcap', at + 50, vxlan({ ...q, src: A, dst: B, sport: 41000, dport: 53, ttl: 63 }, 900 + k, true));
      put(files, 'node1-eth0.pcap', at + 400, vxlan({ ...r, src: B, dst: A, sport: 53, dport: 41000, ttl: 63 }, 950 + k, false));
      put(files, 'node1-veth1.pcap', at + 450, frame({ ...r, src: DNS, dst: A, sport: 53, dport: 41000, ttl: 62 }));
    }
    const c = run(files);
    expect(c.flows).toHaveLength(1);
    const f = c.flows[0]!;
    // The client's view: the Service address it asked, as flows name their server.
    expect(endpoints(f)).toEqual(['udp', A, 41000, DNS, 53]);
    expect([f.requests.length, f.replies.length]).toEqual([2, 2]);
    expect(seenAtAll(c, f)).toBe(true);
    for (const g of f.requests) expect(c.groups.sightings(g).map((s) => s.dst).sort()).toEqual([DNS, B].sort());
  });

  it('makes a second flow of a TCP 4-tuple reused by a new connection, told apart by its SYN and new ISN', () => {
    // MASQUERADE hands A's next connection the same source port: a new SYN on the same four-tuple, 2 s later.
    const files: Files = new Map();
    connection(files, 1000, 40003, 80, 4_000_000, 400);
    connection(files, 2_001_000, 40003, 80, 9_000_000, 500);
    const c = run(files);
    expect(c.flows.map(endpoints)).toEqual([
      ['tcp', A, 40003, B, 80],
      ['tcp', A, 40003, B, 80],
    ]);
    const [first, second] = c.flows as [Flow, Flow];
    expect([first.groups.length, second.groups.length]).toEqual([9, 9]);
    expect([c.groups.seq[first.groups[0]!], c.groups.seq[second.groups[0]!]]).toEqual([4_000_000, 9_000_000]);
    // Every packet of the first connection came before the second's SYN.
    expect(Math.max(...Array.from(first.groups, (g) => c.groups.first[g]!))).toBeLessThan(c.groups.first[second.groups[0]!]!);
  });
});

describe('fillBackground', () => {
  it("counts ARP and multicast into each point's background, and makes no flow of them", () => {
    // node1's gateway asks three times for A's MAC, node2's twice for B's; a pod on node1 sends one mDNS query.
    const arp = (sender: string, target: string) => {
      const ip = (a: string) => a.split('.').map(Number);
      return Uint8Array.from([...[255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 0x08, 0x06], ...[0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, ...ip(sender), 0, 0, 0, 0, 0, 0, ...ip(target)]]);
    };
    const files: Files = new Map();
    connection(files, 1000, 40004, 80, 6_000_000, 600);
    for (const k of [0, 1, 2]) put(files, 'node1-cni0.pcap', 10_000 + k * 1000, arp('10.244.1.1', A));
    for (const k of [0, 1]) put(files, 'node2-cni0.pcap', 10_000 + k * 1000, arp('10.244.2.1', B));
    put(files, 'node1-cni0.pcap', 20_000, frame({ src: A, dst: '224.0.0.251', proto: 'udp', ipId: 7, sport: 5353, dport: 5353, payload: bytes(30, 7) }));
    const c = run(files);
    const counted = (node: string) => Object.entries(c.points.find((p) => p.node === node)!.background).filter(([, n]) => n > 0);
    expect(counted('node1')).toEqual([['arp', 3], ['multicast', 1]]);
    expect(counted('node2')).toEqual([['arp', 2]]);
    expect(c.flows.map(endpoints)).toEqual([['tcp', A, 40004, B, 80]]);
    expect(c.flows[0]!.groups.length).toBe(9);
  });
});

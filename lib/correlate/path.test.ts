/**
 * A flow's path (path.ts): its capture points in the order its requests crossed them, client to
 * server. Every stop the verdict names ("lost between node1/eth0 and node2/eth0") is a step
 * along this list, so a point out of place, or one the flow never crossed, moves the stop.
 * Built here from a ping between pods of two flannel (VXLAN) nodes, captured at each pod's veth,
 * cni0, flannel.1 and eth0.
 */
import { describe, expect, it } from 'vitest';
import { captureInput, pcapOf } from '../testing/in-memory';
import { concatBytes } from '../capture/build';
import { bytes, frame, type FrameSpec } from '../testing/packets';
import { correlate, type CaptureInput, type Correlation, type Flow } from './correlate';

const A = '10.244.1.2'; // pod on node1, the client
const B = '10.244.2.3'; // pod on node2, the server
const C = '10.244.1.5'; // another pod on node1
const GW1 = '10.244.1.1'; // node1's cni0
const NODE1 = '192.168.0.11';
const NODE2 = '192.168.0.12';

/** A capture file made in memory: `at` in µs after the first second, its packets in time order. */
function capture(file: string, packets: { at: number; bytes: Uint8Array }[]): CaptureInput {
  return captureInput(file, pcapOf(packets.map((p) => ({ ns: p.at * 1000, bytes: p.bytes }))));
}

/** flannel's VXLAN: UDP 8472, VNI 1, between the nodes' own addresses. */
const vxlan = (inner: Uint8Array, src: string, dst: string, ipId: number) =>
  frame({ src, dst, proto: 'udp', ipId, df: false, sport: 51234, dport: 8472, payload: concatBytes(Uint8Array.of(0x08, 0, 0, 0, 0, 0, 1, 0), inner) });

/** An echo request (8) or reply (0) of ping `id`: its IP ids and payload its own, as separate pings' are. */
const echo = (id: number, src: string, dst: string, type: 0 | 8, seq: number, ttl: number): FrameSpec => ({ src, dst, proto: 'icmp', ttl, ipId: id + (type === 8 ? 100 : 500) + seq, icmp: { type, code: 0, id, seq }, payload: bytes(56, id + seq) });

/**
 * The points A's echo requests cross, in order, with the TTL each way sees there (a routing hop
 * takes one, the tunnel none) and, on the NICs, the requests' outer addresses in the tunnel.
 */
const HOPS = [
  { file: 'node1-veth1.pcap', req: 64, rep: 62 },
  { file: 'node1-cni0.pcap', req: 64, rep: 62 },
  { file: 'node1-flannel.1.pcap', req: 63, rep: 63 },
  { file: 'node1-eth0.pcap', req: 63, rep: 63, tunnel: [NODE1, NODE2] },
  { file: 'node2-eth0.pcap', req: 63, rep: 63, tunnel: [NODE1, NODE2] },
  { file: 'node2-flannel.1.pcap', req: 63, rep: 63 },
  { file: 'node2-cni0.pcap', req: 62, rep: 64 },
  { file: 'node2-veth1.pcap', req: 62, rep: 64 },
];

/** Three pings from A to B, 1 s apart: the first `reached` points see the requests; the replies come back only when all did. */
function pingCaptures(reached = HOPS.length): Map<string, { at: number; bytes: Uint8Array }[]> {
  const out = new Map(HOPS.map((h) => [h.file, [] as { at: number; bytes: Uint8Array }[]]));
  for (let seq = 1; seq <= 3; seq++) {
    HOPS.forEach((h, k) => {
      const wrap = (f: Uint8Array, id: number, back: boolean) => (h.tunnel ? vxlan(f, back ? h.tunnel[1]! : h.tunnel[0]!, back ? h.tunnel[0]! : h.tunnel[1]!, id) : f);
      const t = seq * 1_000_000;
      if (k < reached) out.get(h.file)!.push({ at: t + k * 20, bytes: wrap(frame(echo(0x1234, A, B, 8, seq, h.req)), 7000 + seq, false) });
      if (reached === HOPS.length) out.get(h.file)!.push({ at: t + 500 + (HOPS.length - k) * 20, bytes: wrap(frame(echo(0x1234, B, A, 0, seq, h.rep)), 9000 + seq, true) });
    });
  }
  return out;
}

const inputs = (files: Map<string, { at: number; bytes: Uint8Array }[]>, order = [...files.keys()]) => order.map((f) => capture(f, files.get(f)!));
const names = (c: Correlation, f: Flow) => f.path.map((id) => `${c.points[id]!.node}/${c.points[id]!.interface}`);
const pingOf = (c: Correlation, client: string) => c.flows.find((f) => f.protocol === 'icmp' && f.client === client)!;
const EXPECTED = HOPS.map((h) => h.file.replace('-', '/').replace('.pcap', ''));

describe('pathOf', () => {
  it("runs from the client pod's veth out through node1's cni0, flannel.1 and eth0, then in through node2's eth0, flannel.1 and cni0 to the server pod's veth", () => {
    const c = correlate(inputs(pingCaptures()));
    const f = pingOf(c, A);
    expect([f.client, f.server, f.clientNode]).toEqual([A, B, 'node1']);
    expect(names(c, f)).toEqual(EXPECTED);
  });

  it('gives the same path whatever order the files come in', () => {
    const files = pingCaptures();
    // node2's files first and the nodes' interleaved, none where the path puts it: as an engineer might list them.
    const shuffled = [7, 4, 6, 0, 5, 2, 3, 1].map((k) => HOPS[k]!.file);
    const c = correlate(inputs(files, shuffled));
    expect(c.points.map((p) => p.file)).toEqual(shuffled);
    expect(names(c, pingOf(c, A))).toEqual(EXPECTED);
  });

  it("keeps, at the end, the points past where unanswered requests stopped: node2's cni0 and the server's veth saw none of them", () => {
    // node2 took the requests out of the tunnel and dropped them before its bridge (a FORWARD
    // drop): no reply ever came. Both captures ran and hold nothing. Where the requests stopped
    // is the question, so the silent points stay, in their places past the last that saw them.
    const files = pingCaptures(6);
    const c = correlate(inputs(files));
    const f = pingOf(c, A);
    expect(f.replies).toHaveLength(0);
    expect(names(c, f)).toEqual(EXPECTED);
    const silent = f.path.slice(6);
    for (const id of silent) expect(Array.from(f.groups).some((g) => c.groups.seenAt(g, id))).toBe(false);
    for (const id of f.path.slice(0, 6)) expect(Array.from(f.groups).some((g) => c.groups.seenAt(g, id))).toBe(true);
  });

  it("leaves off another pod's veth the flow never crossed, and ends a ping to the node's own gateway at cni0", () => {
    // Pod C, beside A on node1, pings its gateway while A pings B: its veth was capturing all
    // along and is no step of A's; C's ping turns round at node1's bridge and never enters the tunnel.
    const files = pingCaptures();
    const veth2: { at: number; bytes: Uint8Array }[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      const t = seq * 1_000_000 + 100;
      const [request, reply] = [frame(echo(0x4321, C, GW1, 8, seq, 64)), frame(echo(0x4321, GW1, C, 0, seq, 64))];
      veth2.push({ at: t, bytes: request }, { at: t + 30, bytes: reply });
      files.get('node1-cni0.pcap')!.push({ at: t + 10, bytes: request }, { at: t + 20, bytes: reply });
    }
    files.set('node1-veth2.pcap', veth2);
    const c = correlate(inputs(files));
    expect(c.points.find((p) => p.interface === 'veth2')!.podIp).toBe(C);
    expect(names(c, pingOf(c, A))).toEqual(EXPECTED);
    expect(names(c, pingOf(c, C))).toEqual(['node1/veth2', 'node1/cni0']);
  });
});

/**
 * Capture points (points.ts): which point each file, and each packet of a file, stands for, and
 * when each point ran. Everything after builds on them: a packet missing at a point is only a
 * loss if the point is the interface it names and was capturing then. A `tcpdump -i any` file
 * alone on its node must be cut back into the interfaces it crossed, or where packets stop
 * inside that node could not be told at all.
 */
import { describe, expect, it } from 'vitest';
import { captureInput, pcapOf } from '../testing/in-memory';
import { ByteBuilder, concatBytes, ngBlock, ngEnhancedPacket, ngInterface, ngSection } from '../capture/build';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../protocols/numbers';
import { frame, sll2Header } from '../testing/packets';
import { capturePoints, fillWindows, incidentEpoch, SLL1_INNER, SLL1_UNDERLAY } from './points';
import type { CaptureInput } from './types';

const T0 = 1_700_000_000;
/** Datagram n from a pod on node1 to one on node2: no two of them are the same packet. */
const datagram = (n: number) => frame({ src: '10.244.1.5', dst: '10.244.2.7', proto: 'udp', ipId: n, sport: 40000 + n, dport: 53 });
/** The same, as node1's eth0 sends it inside flannel's VXLAN (UDP 8472). */
const vxlan = (n: number) => frame({ src: '192.168.0.11', dst: '192.168.0.12', proto: 'udp', ipId: 900 + n, sport: 50000, dport: 8472, payload: concatBytes(Uint8Array.of(8, 0, 0, 0, 0, 0, 1, 0), datagram(n)) });
/** A Linux cooked v1 header (`-i any` of older tcpdumps): sent by us, Ethernet, IPv4. */
const sll1 = Uint8Array.of(0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00);

/** A nanosecond pcap of `[ms after T0, frame]` records. */
function pcap(records: [number, Uint8Array][], linkType = 1): Uint8Array {
  return pcapOf(records.map(([ms, bytes]) => ({ ns: ms * 1e6, bytes })), { startSec: T0, linkType, snaplen: 65535 });
}

/** `-i any` in SLL2: each frame on the interface index given. */
const any2 = (records: [number, number, Uint8Array][]) => pcap(records.map(([ms, ix, f]) => [ms, concatBytes(sll2Header(0x0800, ix), f.subarray(14))]), LINKTYPE_LINUX_SLL2);

/** The file indexed and labelled as the correlator gets it. */
async function input(file: string, bytes: Uint8Array): Promise<CaptureInput> {
  return captureInput(file, bytes);
}

describe('capturePoints', () => {
  it('makes one point of each per-interface file, its node, interface and role from the file name', async () => {
    const names = { 'node1-veth1.pcap': ['node1', 'veth1', 'pod'], 'node1-cni0.pcap': ['node1', 'cni0', 'bridge'], 'node1-eth0.pcap': ['node1', 'eth0', 'nic'], 'node2-flannel.1.pcap': ['node2', 'flannel.1', 'overlay'] };
    const inputs = await Promise.all(Object.keys(names).map((f, i) => input(f, pcap([[i, datagram(i)], [i + 10, datagram(i + 10)]]))));
    const layout = capturePoints(inputs);
    expect(layout.points.map((p) => [p.node, p.interface, p.role])).toEqual(Object.values(names));
    for (const p of layout.points) expect([p.labelSource, p.roleSource, p.interfaceId, p.merged, p.file]).toEqual(['file name', 'name', -1, false, inputs[p.id]!.file]);
    expect(layout.inputPoints).toEqual([[0], [1], [2], [3]]);
    expect(layout.split).toEqual([false, false, false, false]);
    // A file that is one point holds every packet shape it has.
    layout.shapePoint.forEach((map, n) => expect([...map]).toEqual(inputs[n]!.capture.shapes.map(() => n)));
  });

  it("splits a -i any capture alone on its node into one point per interface index, named from the node's links", async () => {
    const any = await input('node1-any.pcap', any2([[0, 7, datagram(1)], [1, 2, datagram(1)], [5, 7, datagram(2)]]));
    const links = new Map([['node1', new Map([[2, 'eth0'], [7, 'veth7']])]]);
    const layout = capturePoints([any], { links });
    expect(layout.points.map((p) => [p.node, p.interface, p.role, p.roleSource, p.merged])).toEqual([
      ['node1', 'eth0', 'nic', 'name', false],
      ['node1', 'veth7', 'pod', 'name', false],
    ]);
    expect(layout.split).toEqual([true]);
    any.capture.shapes.forEach((s, k) => expect(layout.points[layout.shapePoint[0]![k]!]!.interface).toBe(links.get('node1')!.get(s.sllIfindex)));
    expect(layout.notes).toEqual([expect.stringContaining("names from node1's links file")]);
  });

  it('names the interfaces of a split -i any capture if<N> without the links, their roles left to what crossed them', async () => {
    const layout = capturePoints([await input('node1-any.pcap', any2([[0, 7, datagram(1)], [1, 2, datagram(1)]]))]);
    expect(layout.points.map((p) => [p.interface, p.role, p.roleSource])).toEqual([
      ['if2', 'other', 'inferred'],
      ['if7', 'other', 'inferred'],
    ]);
    expect(layout.notes[0]).toContain('no node1-links.txt');
  });

  it('splits an SLL v1 -i any capture, which records no interface, into the encapsulated packets and the rest', async () => {
    const any = await input('node1-any.pcap', pcap([[0, concatBytes(sll1, datagram(1).subarray(14))], [1, concatBytes(sll1, vxlan(1).subarray(14))]], LINKTYPE_LINUX_SLL));
    expect(any.capture.shapes.map((s) => s.encapsulation !== null).sort()).toEqual([false, true]);
    const layout = capturePoints([any]);
    expect(layout.points.map((p) => [p.interface, p.role, p.merged])).toEqual([
      [SLL1_UNDERLAY, 'nic', true],
      [SLL1_INNER, 'other', true],
    ]);
    any.capture.shapes.forEach((s, k) => expect(layout.shapePoint[0]![k]).toBe(s.encapsulation !== null ? 0 : 1));
  });

  it('keeps a -i any capture beside another capture of its node as one merged point of role any', async () => {
    const inputs = [await input('node1-any.pcap', any2([[0, 7, datagram(1)], [1, 2, datagram(1)]])), await input('node1-eth0.pcap', pcap([[1, datagram(1)]]))];
    const layout = capturePoints(inputs, { links: new Map([['node1', new Map([[2, 'eth0']])]]) });
    expect(layout.points.map((p) => [p.interface, p.role, p.merged])).toEqual([
      ['any', 'any', true],
      ['eth0', 'nic', false],
    ]);
    expect(layout.split).toEqual([false, false]);
  });

  it('makes one point per named pcapng interface, the node taken from a "node/interface" name', async () => {
    const file = concatBytes(
      ngSection(true),
      ngInterface(true, 1, 65535, [{ code: 2, value: 'node1/eth0' }]),
      ngInterface(true, 1, 65535, [{ code: 2, value: 'node2:eth0' }]),
      ngEnhancedPacket(true, 0, BigInt(T0) * 1_000_000n, datagram(1)),
      ngEnhancedPacket(true, 1, BigInt(T0) * 1_000_000n + 300n, datagram(1)),
    );
    const all = await input('all-interfaces.pcapng', file);
    const layout = capturePoints([all]);
    expect(layout.points.map((p) => [p.node, p.interface, p.interfaceId, p.labelSource])).toEqual([
      ['node1', 'eth0', 0, 'pcapng'],
      ['node2', 'eth0', 1, 'pcapng'],
    ]);
    all.capture.shapes.forEach((s, k) => expect(layout.shapePoint[0]![k]).toBe(s.interfaceId));
  });

  it("splits each node's -i any inside one pcapng by interface index, each with its own capture's window", async () => {
    const sll2 = (ix: number, n: number) => concatBytes(sll2Header(0x0800, ix), datagram(n).subarray(14));
    const at = (ms: number) => BigInt(T0) * 1_000_000n + BigInt(ms * 1000);
    const file = concatBytes(
      ngSection(true),
      ngInterface(true, LINKTYPE_LINUX_SLL2, 65535, [{ code: 2, value: 'node1:any' }]),
      ngInterface(true, LINKTYPE_LINUX_SLL2, 65535, [{ code: 2, value: 'node2:any' }]),
      ngEnhancedPacket(true, 0, at(0), sll2(7, 1)),
      ngEnhancedPacket(true, 0, at(1), sll2(2, 1)),
      ngEnhancedPacket(true, 1, at(3), sll2(2, 1)),
      ngEnhancedPacket(true, 1, at(4), sll2(5, 1)),
      ngEnhancedPacket(true, 1, at(900), sll2(5, 2)),
    );
    const all = await input('all-interfaces.pcapng', file);
    const links = new Map([['node1', new Map([[2, 'eth0'], [7, 'veth7']])]]);
    const layout = capturePoints([all], { links });
    expect(layout.points.map((p) => [p.node, p.interface, p.interfaceId, p.fromAny ?? false])).toEqual([
      ['node1', 'eth0', 0, true],
      ['node1', 'veth7', 0, true],
      ['node2', 'if2', 1, true],
      ['node2', 'if5', 1, true],
    ]);
    expect(layout.split).toEqual([true]);
    all.capture.shapes.forEach((s, k) => {
      const pt = layout.points[layout.shapePoint[0]![k]!]!;
      expect([pt.interfaceId, pt.interface]).toEqual([s.interfaceId, s.interfaceId === 0 ? links.get('node1')!.get(s.sllIfindex) : `if${s.sllIfindex}`]);
    });
    expect(layout.notes).toEqual([expect.stringContaining("(node1's any): tcpdump -i any, split into 2 capture points"), expect.stringContaining("(node2's any): tcpdump -i any, split into 2 capture points")]);
    // One tcpdump per node ran for all of its interfaces: node1's window is its own, not node2's.
    fillWindows([all], layout, incidentEpoch([all]));
    const ms = (p: number) => [(layout.points[p]!.firstNs - layout.points[0]!.firstNs) / 1e6, (layout.points[p]!.lastNs - layout.points[0]!.firstNs) / 1e6];
    expect([0, 1, 2, 3].map(ms)).toEqual([[0, 1], [0, 1], [3, 900], [3, 900]]);
  });

  it('keeps such a split where each node crossed one interface only: its point is named from the links, as the note says', async () => {
    const sll2 = (ix: number, n: number) => concatBytes(sll2Header(0x0800, ix), datagram(n).subarray(14));
    const file = concatBytes(
      ngSection(true),
      ngInterface(true, LINKTYPE_LINUX_SLL2, 65535, [{ code: 2, value: 'node1:any' }]),
      ngInterface(true, LINKTYPE_LINUX_SLL2, 65535, [{ code: 2, value: 'node2:any' }]),
      ngEnhancedPacket(true, 0, BigInt(T0) * 1_000_000n, sll2(2, 1)),
      ngEnhancedPacket(true, 1, BigInt(T0) * 1_000_000n + 300n, sll2(2, 1)),
    );
    const layout = capturePoints([await input('all-interfaces.pcapng', file)], { links: new Map([['node1', new Map([[2, 'eth0']])]]) });
    expect(layout.points.map((p) => [p.node, p.interface, p.fromAny ?? false])).toEqual([
      ['node1', 'eth0', true],
      ['node2', 'if2', true],
    ]);
    expect(layout.notes).toHaveLength(2);
  });
});

describe('incidentEpoch', () => {
  it('is the whole second of the earliest capture, an empty capture (base 0) counting for nothing', async () => {
    const inputs = [await input('node1-eth0.pcap', pcap([[5_900, datagram(1)]])), await input('node2-eth0.pcap', pcap([[3_250, datagram(1)]])), await input('node2-cni0.pcap', pcap([]))];
    expect(incidentEpoch(inputs)).toBe(T0 + 3);
    expect(incidentEpoch(inputs.slice(2))).toBe(0);
  });
});

describe('fillWindows', () => {
  it("gives each point its packets and the first and last of their times, in ns from the incident's epoch", async () => {
    const inputs = [await input('node1-eth0.pcap', pcap([[3_250, datagram(1)], [3_260, vxlan(2)], [4_500, datagram(3)]])), await input('node1-cni0.pcap', pcap([[5_900, datagram(1)], [6_100, datagram(3)]]))];
    const layout = capturePoints(inputs);
    fillWindows(inputs, layout, T0 + 3);
    expect(layout.points.map((p) => [p.packets, p.firstNs, p.lastNs, p.stopKnown])).toEqual([
      [3, 0.25e9, 1.5e9, false],
      [2, 2.9e9, 3.1e9, false],
    ]);
  });

  it("gives every point of a split -i any capture the whole file's window: one tcpdump ran for all of them", async () => {
    const any = await input('node1-any.pcap', any2([[1_000, 2, datagram(1)], [2_000, 2, datagram(2)], [3_000, 7, datagram(3)]]));
    const layout = capturePoints([any]);
    fillWindows([any], layout, T0);
    expect(layout.points.map((p) => [p.interface, p.packets, p.firstNs, p.lastNs])).toEqual([
      ['if2', 2, 1e9, 3e9],
      ['if7', 1, 1e9, 3e9],
    ]);
  });

  it("stretches a window to the span a capture kit's manifest proves, but keeps the first packet as the start of a wrapped ring", async () => {
    const files = () => Promise.all([input('node1-eth0.pcap', pcap([[2_000, datagram(1)], [3_000, datagram(2)]])), input('node1-cni0.pcap', pcap([[2_000, datagram(1)], [3_000, datagram(2)]]))]);
    const inputs = await files();
    const layout = capturePoints(inputs);
    const span = { fromMs: (T0 + 1) * 1000, untilMs: (T0 + 9) * 1000, late: [], wrapped: ['cni0'], counts: new Map() };
    fillWindows(inputs, layout, T0, new Map([['node1', span]]));
    expect(layout.points.map((p) => [p.interface, p.firstNs, p.lastNs, p.stopKnown])).toEqual([
      ['eth0', 1e9, 9e9, true],
      ['cni0', 2e9, 9e9, true],
    ]);
  });

  it("takes a pcapng's own statistics as when its interface ran, and what it dropped, but not a start long before its first packet", async () => {
    const at = (ms: number) => BigInt(T0) * 1_000_000n + BigInt(ms) * 1000n;
    // isb_starttime (2) and isb_endtime (3), microsecond timestamps (high word first), and isb_osdrop (7), a counter.
    const isb = (id: number, start: number, end: number, dropped: number) => {
      const time = (code: number, v: bigint) => new ByteBuilder().u16(code).u16(8).u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn)).build();
      const drops = new ByteBuilder().u16(7).u16(8).u64(BigInt(dropped)).build();
      return ngBlock(true, 5, concatBytes(new ByteBuilder().u32(id).u32(0).u32(0).build(), time(2, at(start)), time(3, at(end)), drops, new Uint8Array(4)));
    };
    const file = concatBytes(
      ngSection(true),
      ngInterface(true, 1, 65535, [{ code: 2, value: 'node1/eth0' }]),
      ngInterface(true, 1, 65535, [{ code: 2, value: 'node1/cni0' }]),
      ...[20_000, 21_000].flatMap((ms, n) => [ngEnhancedPacket(true, 0, at(ms), datagram(n)), ngEnhancedPacket(true, 1, at(ms + 1), datagram(n))]),
      // eth0's dumpcap started 2 s before its first packet; cni0's start is a ring buffer's, 19 s before.
      isb(0, 18_000, 25_000, 3),
      isb(1, 1_000, 24_000, 0),
    );
    const all = await input('all-interfaces.pcapng', file);
    const layout = capturePoints([all]);
    fillWindows([all], layout, T0);
    expect(layout.points.map((p) => [p.interface, p.firstNs, p.lastNs, p.stopKnown, p.droppedReported])).toEqual([
      ['eth0', 18e9, 25e9, true, { dropped: 3, of: 2 + 3 }],
      ['cni0', 20.001e9, 24e9, true, undefined],
    ]);
  });
});

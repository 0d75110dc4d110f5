import { describe, expect, it } from 'vitest';
import type { Anatomy, AnatomyLayer, AnatomySegment } from '@/lib/anatomy/types';
import type { LayerKind } from '@/lib/decode/types';
import {
  anatomyFileName,
  anatomyLayout,
  bitPattern,
  changeMap,
  fieldAt,
  hexRows,
  overviewBars,
  proportionalWidths,
  rangeText,
} from './anatomy-layout';

// Ethernet[IPv4[UDP[VXLAN[Ethernet[IPv4[ICMP[data 56]]]]]]]: flannel VXLAN on node1/eth0.
const STACK: [LayerKind, string, number, number][] = [
  ['ethernet', 'Ethernet II', 14, 0],
  ['ipv4', 'IPv4', 20, 0],
  ['udp', 'UDP', 8, 0],
  ['vxlan', 'VXLAN', 8, 0],
  ['ethernet', 'Ethernet II', 14, 1],
  ['ipv4', 'IPv4', 20, 1],
  ['icmp', 'ICMP', 8, 1],
];

function vxlanAnatomy(): Anatomy {
  let o = 0;
  const layers: AnatomyLayer[] = STACK.map(([kind, title, length, depth]) => {
    const l: AnatomyLayer = { kind, title, depth, offset: o, length, quoted: false, truncated: false, fields: [] };
    o += length;
    return l;
  });
  // Outer IPv4: TTL at 22, flags+fragment offset at 20..21 (DF is bit 1).
  layers[1]!.fields = [
    { key: 'flags.df', name: "Don't Fragment", value: '1 (set)', offset: 20, length: 2, bits: { first: 1, count: 1 } },
    { key: 'ttl', name: 'Time to Live', value: '64', offset: 22, length: 1 },
    { key: 'src', name: 'Source Address', value: '192.168.56.11', offset: 26, length: 4 },
  ];
  layers[5]!.fields = [{ key: 'ttl', name: 'Time to Live', value: '63', offset: 72, length: 1 }];
  const segments: AnatomySegment[] = layers.map((l, i) => ({ role: 'header', layer: i, label: l.title, offset: l.offset, length: l.length }));
  segments.push({ role: 'data', layer: 6, label: 'data', offset: o, length: 56 });
  return { linkType: 1, capLen: o + 56, origLen: o + 56, layers, segments };
}

describe('proportionalWidths', () => {
  it('is proportional when no box is under the floor, and fills the width', () => {
    const w = proportionalWidths([10, 20, 30], 600, 10);
    expect(w).toEqual([100, 200, 300]);
  });

  it('lifts small boxes to the floor; the rest stay proportional among themselves', () => {
    const lengths = [8, 8, 1400, 20];
    const w = proportionalWidths(lengths, 1000, 40);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1000, 6);
    expect(w[0]).toBe(40);
    expect(w[1]).toBe(40);
    // 20 bytes among 1420 in 920 px is 12.96 px: lifted too.
    expect(w[3]).toBe(40);
    expect(w[2]).toBeCloseTo(880, 6);
  });

  it('gives equal shares when even the floors do not fit', () => {
    expect(proportionalWidths([1, 1000, 1], 90, 40)).toEqual([30, 30, 30]);
  });
});

describe('anatomyLayout', () => {
  const a = vxlanAnatomy();
  const layout = anatomyLayout(a, { width: 1300, minBox: 44 });

  it('draws every segment once, in order, tiling the captured bytes and the width', () => {
    expect(layout.boxes.map((b) => [b.title, b.length])).toEqual([
      ['Ethernet II', 14],
      ['IPv4', 20],
      ['UDP', 8],
      ['VXLAN', 8],
      ['Ethernet II', 14],
      ['IPv4', 20],
      ['ICMP', 8],
      ['data', 56],
    ]);
    expect(layout.boxes.reduce((n, b) => n + b.length, 0)).toBe(a.capLen);
    expect(layout.boxes.reduce((n, b) => n + b.width, 0)).toBeCloseTo(1300, 6);
    layout.boxes.forEach((b, i) => i > 0 && expect(b.x).toBeCloseTo(layout.boxes[i - 1]!.x + layout.boxes[i - 1]!.width, 6));
  });

  it('keeps widths proportional to bytes above the floor', () => {
    const scaled = layout.boxes.filter((b) => !b.widened);
    const perByte = scaled.map((b) => b.width / b.length);
    for (const k of perByte) expect(k).toBeCloseTo(perByte[0]!, 6);
    expect(scaled.length).toBe(layout.boxes.length); // 148 bytes in 1300 px: nothing under 44 px
  });

  it('marks boxes lifted to the floor as not to scale, and still labels their true bytes', () => {
    const big = { ...a, capLen: 1514, origLen: 1514, segments: a.segments.map((s) => (s.role === 'data' ? { ...s, length: 1514 - 92 } : s)) };
    const l = anatomyLayout(big, { width: 900, minBox: 44 });
    const udp = l.boxes[2]!;
    expect(udp.widened).toBe(true);
    expect(udp.width).toBe(44);
    expect(udp.lines.at(-1)).toMatch(/^8( B)?$/);
    expect(l.boxes.at(-1)!.widened).toBe(false);
  });

  it('hatches the outer headers, leaves the inner ones plain, dots the data, and nests by depth', () => {
    expect(layout.boxes.map((b) => b.fill)).toEqual(['hatch', 'hatch', 'hatch', 'hatch', 'solid', 'solid', 'solid', 'dots']);
    const [outer, inner] = [layout.boxes[0]!, layout.boxes[4]!];
    expect(inner.y).toBeGreaterThan(outer.y);
    expect(inner.height).toBeLessThan(outer.height);
  });

  it('brackets what VXLAN carries: the inner Ethernet frame to the end', () => {
    expect(layout.brackets).toHaveLength(1);
    const k = layout.brackets[0]!;
    expect(k.label).toBe('VXLAN payload: inner Ethernet II frame');
    expect(k.offset).toBe(50);
    expect(k.length).toBe(98);
    expect(k.x0).toBeCloseTo(layout.boxes[4]!.x, 6);
    expect(k.x1).toBeCloseTo(1300, 6);
  });

  it('maps byte offsets into their boxes', () => {
    const ip = layout.boxes[1]!;
    expect(layout.x(14)).toBeCloseTo(ip.x, 6);
    expect(layout.x(34)).toBeCloseTo(ip.x + ip.width, 6);
  });
});

describe('fields and bytes', () => {
  const a = vxlanAnatomy();

  it('finds the field of a byte, and none between fields', () => {
    expect(fieldAt(a, 22)).toEqual({ layer: 1, field: 1 });
    expect(fieldAt(a, 28)).toEqual({ layer: 1, field: 2 });
    expect(fieldAt(a, 72)).toEqual({ layer: 5, field: 0 });
    expect(fieldAt(a, 15)).toBeNull();
  });

  it('prints a flag bit as Wireshark does', () => {
    const bytes = new Uint8Array(148);
    bytes[20] = 0x40; // DF
    expect(bitPattern(bytes, a.layers[1]!.fields[0]!)).toBe('.1.. .... .... ....');
    bytes[20] = 0x00;
    expect(bitPattern(bytes, a.layers[1]!.fields[0]!)).toBe('.0.. .... .... ....');
    expect(bitPattern(bytes, a.layers[1]!.fields[1]!)).toBeNull();
  });

  it('matches a change to its field by layer title and depth, then by title', () => {
    const m = changeMap(a, [
      { layerTitle: 'IPv4', depth: 1, key: 'ttl', name: 'Time to Live', from: '64', to: '63', why: 'a router hop' },
      { layerTitle: 'IPv4', depth: 3, key: 'src', name: 'Source Address', from: 'x', to: 'y', why: 'SNAT' },
    ]);
    expect([...m.keys()].sort()).toEqual(['1:2', '5:0']);
  });

  it('names files and ranges', () => {
    expect(anatomyFileName('node1', 'eth0', 14, 'svg')).toBe('anatomy-node1-eth0-frame14.svg');
    expect(anatomyFileName('node 1', 'veth/a', 2, 'png')).toBe('anatomy-node_1-veth_a-frame2.png');
    expect(rangeText({ offset: 14, length: 20 })).toBe('14–33');
    expect(rangeText({ offset: 22, length: 1 })).toBe('22');
    expect(hexRows(40)).toEqual([
      { offset: 0, count: 16 },
      { offset: 16, count: 16 },
      { offset: 32, count: 8 },
    ]);
  });

  it('puts every station on one scale', () => {
    const inner: Anatomy = { ...a, capLen: 98, origLen: 98, segments: a.segments.slice(4).map((s) => ({ ...s, offset: s.offset - 50 })) };
    const [outer, bare] = overviewBars([a, inner], 296);
    const end = (bars: { x: number; width: number }[]) => bars.at(-1)!.x + bars.at(-1)!.width;
    expect(end(outer!)).toBeCloseTo(296, 6);
    expect(end(bare!)).toBeCloseTo(196, 6);
  });
});

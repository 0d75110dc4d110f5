import { describe, expect, it } from 'vitest';
import type { PacketDetail } from './ladder-layout';
import { laneCapture, ladderLayout } from './ladder-layout';

const point = (p: number, node: string, iface: string, role: 'pod' | 'bridge' | 'overlay' | 'nic' | 'any') => ({ point: p, node, interface: iface, role });
const path = [
  point(0, 'node1', 'veth1', 'pod'),
  point(5, 'node1', 'any', 'any'),
  point(1, 'node1', 'eth0', 'nic'),
  point(2, 'node2', 'eth0', 'nic'),
  point(3, 'node2', 'veth2', 'pod'),
];
const sighting = (p: (typeof path)[number], tNs: number) => ({
  ...p,
  pathIndex: path.indexOf(p),
  tNs,
  rawNs: tNs + 1000,
  src: '10.0.0.1',
  dst: '10.0.0.2',
  sport: 0,
  dport: 0,
  ttl: 64,
  ipLen: 84,
});

function detail(dir: 'request' | 'reply', times: [number, number][]): PacketDetail {
  return { flow: 0, group: 1, dir, path, sightings: times.map(([i, t]) => sighting(path[i]!, t)), layers: [], frame: 1 };
}

describe('ladderLayout', () => {
  it('a lane per point in path order, -i any last; times left to right from the first sighting', () => {
    const l = ladderLayout(detail('request', [[0, 1000], [2, 51_000], [1, 2000], [3, 61_000]]), { width: 600, labelWidth: 100 });
    expect(l.lanes.map((x) => x.label)).toEqual(['node1/veth1', 'node1/eth0', 'node2/eth0', 'node2/veth2', 'node1/any']);
    expect(l.lanes.map((x) => x.seen)).toEqual([true, true, true, false, true]);
    expect(l.lanes[1]!.y).toBeGreaterThan(l.lanes[0]!.y);
    expect(l.spanNs).toBe(60_000);
    const at = (label: string) => l.marks.find((m) => m.point === l.lanes.find((x) => x.label === label)!.point)!;
    expect(at('node1/veth1').x).toBe(112);
    expect(at('node2/eth0').x).toBeCloseTo(600 - 56);
    expect(at('node1/veth1').delta).toBe('0');
    expect(at('node2/eth0').delta).toBe('+60 µs');
    // The line joins the path's stations in order, leaving the -i any sighting out.
    expect(l.path.match(/[ML]/g)).toHaveLength(3);
    expect(l.ticks.length).toBeGreaterThanOrEqual(2);
  });

  it('a reply walks the lanes bottom-up', () => {
    const l = ladderLayout(detail('reply', [[3, 0], [2, 10_000], [0, 30_000]]), { width: 500 });
    const ys = l.path.match(/[ML][\d.]+,([\d.]+)/g)!.map((s) => Number(s.split(',')[1]));
    expect(ys).toEqual([...ys].sort((a, b) => b - a));
  });

  it('one sighting: no span, still one mark', () => {
    const l = ladderLayout(detail('request', [[0, 5]]), { width: 100 });
    expect(l.spanNs).toBe(0);
    expect(l.marks).toHaveLength(1);
    expect(l.width).toBeGreaterThan(100);
  });
});

describe('laneCapture', () => {
  // Seen at node1's points between 1 and 2 µs; node2's points never saw it.
  const d = detail('request', [
    [0, 1000],
    [2, 2000],
  ]);
  it('tells a lane that missed the packet while capturing from one whose capture did not run then', () => {
    expect(laneCapture(d, 0, { firstNs: 0, lastNs: 10_000, offsetNs: 0 })).toBe('seen');
    expect(laneCapture(d, 3, { firstNs: 0, lastNs: 10_000, offsetNs: 0 })).toBe('not-seen');
    expect(laneCapture(d, 3, { firstNs: 5000, lastNs: 10_000, offsetNs: 0 })).toBe('before');
    expect(laneCapture(d, 3, { firstNs: 0, lastNs: 500, offsetNs: 0 })).toBe('after');
    // The window is on the node's own clock: corrected, node2's capture started before the packet.
    expect(laneCapture(d, 3, { firstNs: 5000, lastNs: 10_000, offsetNs: -4500 })).toBe('not-seen');
    expect(laneCapture(d, 3, undefined)).toBe('not-seen');
  });
});

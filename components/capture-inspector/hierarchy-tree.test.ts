import { describe, expect, it } from 'vitest';
import { buildHierarchyTree, flattenHierarchy } from './hierarchy-tree';

const summary = (rows: Parameters<typeof buildHierarchyTree>[0]) =>
  flattenHierarchy(buildHierarchyTree(rows)).map((n) => [n.path, n.depth, n.packets, n.bytes]);

describe('buildHierarchyTree', () => {
  it('sums full-stack rows into every level they pass through', () => {
    expect(
      summary([
        { path: 'eth:ipv4:udp:vxlan:eth:ipv4:icmp', packets: 4, bytes: 400 },
        { path: 'eth:ipv4:icmp', packets: 2, bytes: 100 },
        { path: 'eth:arp', packets: 1, bytes: 42 },
      ]),
    ).toEqual([
      ['eth', 0, 7, 542],
      ['eth:ipv4', 1, 6, 500],
      ['eth:ipv4:udp', 2, 4, 400],
      ['eth:ipv4:udp:vxlan', 3, 4, 400],
      ['eth:ipv4:udp:vxlan:eth', 4, 4, 400],
      ['eth:ipv4:udp:vxlan:eth:ipv4', 5, 4, 400],
      ['eth:ipv4:udp:vxlan:eth:ipv4:icmp', 6, 4, 400],
      ['eth:ipv4:icmp', 2, 2, 100],
      ['eth:arp', 1, 1, 42],
    ]);
  });

  it('counts packets that end at an inner level once', () => {
    expect(
      summary([
        { path: 'eth:ipv4', packets: 1, bytes: 60 },
        { path: 'eth:ipv4:tcp', packets: 3, bytes: 300 },
      ]),
    ).toEqual([
      ['eth', 0, 4, 360],
      ['eth:ipv4', 1, 4, 360],
      ['eth:ipv4:tcp', 2, 3, 300],
    ]);
  });

  it('handles several link types and empty input', () => {
    expect(summary([])).toEqual([]);
    expect(
      summary([
        { path: 'sll:ipv4:udp', packets: 1, bytes: 10 },
        { path: 'eth:ipv4:udp', packets: 2, bytes: 20 },
      ]).map((r) => r[0]),
    ).toEqual(['eth', 'eth:ipv4', 'eth:ipv4:udp', 'sll', 'sll:ipv4', 'sll:ipv4:udp']);
  });
});

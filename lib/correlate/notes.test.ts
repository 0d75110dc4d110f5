/**
 * The notes on the captures themselves (notes.ts): what the report says before any flow is
 * judged. An engineer reads them to know what the files could and could not show: a node whose
 * captures never ran together, a file with every packet twice, packets cut short, a tunnel not
 * looked into. Each note is checked here against the counts it words, on points made by hand.
 */
import { describe, expect, it } from 'vitest';
import { ns } from '../util/units';
import { emptyBackground } from './background';
import { recordingNotes, sequentialNote, takenOneAfterAnother, undecodedNote, undecodedTunnels } from './notes';
import type { CapturePoint } from './types';

/** A capture point as the earlier stages leave it; `firstNs`/`lastNs` in ms for readability. */
function point(id: number, node: string, iface: string, fromMs: number, toMs: number, extra: Partial<CapturePoint> = {}): CapturePoint {
  return {
    id,
    file: `${node}-${iface}.pcap`,
    node,
    host: node,
    interface: iface,
    role: 'nic',
    roleSource: 'name',
    merged: false,
    labelSource: 'file name',
    interfaceId: -1,
    packets: 10,
    firstNs: ns(fromMs * 1e6),
    lastNs: ns(toMs * 1e6),
    stopKnown: false,
    runUnknown: false,
    podIp: null,
    truncated: 0,
    innerCut: 0,
    snaplen: 0,
    podIps: [],
    background: emptyBackground(),
    ...extra,
  };
}

describe('takenOneAfterAnother and sequentialNote', () => {
  it('names a node whose captures never overlapped, in the order they ran, and not one whose captures did', () => {
    const points = [
      // node1: eth0 from 0 to 5 s, then cni0 from 6 to 9 s, flannel.1 from 10 to 12 s: one after another.
      point(0, 'node1', 'cni0', 6000, 9000),
      point(1, 'node1', 'eth0', 0, 5000),
      point(2, 'node1', 'flannel.1', 10_000, 12_000),
      // node2: two captures that overlap for a second.
      point(3, 'node2', 'eth0', 0, 5000),
      point(4, 'node2', 'cni0', 4000, 9000),
      // node3: one capture only, nothing to be taken one after another.
      point(5, 'node3', 'eth0', 0, 5000),
    ];
    expect(takenOneAfterAnother(points)).toEqual(['node1']);
    expect(sequentialNote(points, 'node1')).toMatch(/^node1's captures were taken one after another \(eth0, cni0, flannel\.1; no two ran at the same time\)/);
  });

  it('leaves out an empty capture and an -i any one, and names a pod-side capture by its pod', () => {
    const points = [
      point(0, 'node1', 'eth0', 0, 5000),
      point(1, 'node1', 'any', 0, 20_000, { role: 'any' }),
      point(2, 'node1', 'cni0', 8000, 9000, { packets: 0 }),
      point(3, 'pod-a', 'eth0', 6000, 7000, { host: 'node1', role: 'pod' }),
    ];
    // The -i any capture spans both, but it is every interface at once: not one of the steps.
    expect(takenOneAfterAnother(points)).toEqual(['node1']);
    expect(sequentialNote(points, 'node1')).toContain('(eth0, pod-a/eth0; no two ran at the same time)');
  });
});

describe('recordingNotes', () => {
  it('words packets written twice, then packets cut short, each with its counts and snap length', () => {
    const points = [point(0, 'node1', 'eth0', 0, 1000, { packets: 40, truncated: 40, snaplen: 96 }), point(1, 'node2', 'eth0', 0, 1000, { packets: 30 })];
    const notes = recordingNotes(points, { doubled: Int32Array.of(0, 12) });
    expect(notes).toEqual([
      'node2/eth0: 12 of 30 packets are written twice in the file, the same packet at the same instant (overlapping captures merged into one?): each is counted once',
      'node1/eth0: 40 of 40 packets are cut short in the file (snap length 96); they are matched on the headers left, and a cut packet is not a lost one',
    ]);
  });

  it('says which cut packets were tunnel packets cut before their inner packet, and that no flow in the tunnel is judged there', () => {
    const all = recordingNotes([point(0, 'node1', 'eth0', 0, 1000, { packets: 50, truncated: 50, innerCut: 50, snaplen: 68 })], { doubled: Int32Array.of(0) });
    expect(all).toEqual([
      'node1/eth0: 50 of 50 packets are cut short in the file (snap length 68); all of them tunnel packets cut before their inner packet: which flows those carried cannot be told, so no flow inside the tunnel is judged at this point',
    ]);
    const some = recordingNotes([point(0, 'node1', 'eth0', 0, 1000, { packets: 50, truncated: 20, innerCut: 15, snaplen: 0 })], { doubled: Int32Array.of(0) });
    // Snap length unknown (0): not named. Five cut packets were not tunnel packets: matched on what is left.
    expect(some[0]).toBe(
      'node1/eth0: 20 of 50 packets are cut short in the file; 15 of them tunnel packets cut before their inner packet: which flows those carried cannot be told, so no flow inside the tunnel is judged at this point; the others: they are matched on the headers left, and a cut packet is not a lost one',
    );
  });

  it('says nothing of points with nothing written twice or cut', () => {
    expect(recordingNotes([point(0, 'node1', 'eth0', 0, 1000)], { doubled: Int32Array.of(0) })).toEqual([]);
  });
});

describe('undecodedTunnels and undecodedNote', () => {
  it('names the points that saw a tunnel by node and interface, sorted by name whatever order the files came in', () => {
    const points = [point(0, 'node2', 'eth0', 0, 1), point(1, 'node1', 'eth0', 0, 1)];
    const [u] = undecodedTunnels([{ name: 'WireGuard', wire: 'UDP 51820', src: '192.168.0.11', dst: '192.168.0.12', perPoint: new Map([[0, 7], [1, 9]]) }], points);
    expect(u).toEqual({ tunnel: 'WireGuard', wire: 'UDP 51820', src: '192.168.0.11', dst: '192.168.0.12', seenAt: { 'node1/eth0': 9, 'node2/eth0': 7 } });
    expect(Object.keys(u!.seenAt)).toEqual(['node1/eth0', 'node2/eth0']);
    expect(undecodedNote(u!)).toBe('192.168.0.11 → 192.168.0.12: WireGuard (UDP 51820), not decoded (node1/eth0 9, node2/eth0 7); the flows inside cannot be followed, and these packets are no flow of their own');
  });
});

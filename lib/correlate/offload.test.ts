/**
 * Offloads are normal on real hosts and must not read as faults. With TSO/GSO the sending
 * host's captures hold one 3 KB TCP segment where the wire shows three; checksums are filled in
 * by the NIC after the capture point, so the sender's captures show them as 0.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../capture/pcap-writer';
import { concatBytes } from '../capture/build';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { bytes, frame, type FrameSpec } from '../testing/packets';

const C = '10.244.1.8';
const S = '10.244.2.4';
const ISN_C = 1_000_000;
const ISN_S = 7_000_000;
const data = bytes(3000, 7);

/** The conversation, with the client's 3000-byte write as one segment or cut in three. */
function conversation(cut: boolean, ttlC: number, ttlS: number): FrameSpec[] {
  const c = { src: C, dst: S, proto: 'tcp' as const, sport: 40080, dport: 80, ttl: ttlC };
  const s = { src: S, dst: C, proto: 'tcp' as const, sport: 80, dport: 40080, ttl: ttlS };
  const write: FrameSpec[] = cut
    ? [
        // The first piece keeps the IP id; PSH goes on the last (Linux GSO, NIC TSO).
        { ...c, ipId: 101, seq: ISN_C + 1, ack: ISN_S + 1, flags: 0x10, payload: data.subarray(0, 1448) },
        { ...c, ipId: 102, seq: ISN_C + 1 + 1448, ack: ISN_S + 1, flags: 0x10, payload: data.subarray(1448, 2896) },
        { ...c, ipId: 103, seq: ISN_C + 1 + 2896, ack: ISN_S + 1, flags: 0x18, payload: data.subarray(2896) },
      ]
    : [{ ...c, ipId: 101, seq: ISN_C + 1, ack: ISN_S + 1, flags: 0x18, payload: data }];
  return [
    { ...c, ipId: 100, seq: ISN_C, ack: 0, flags: 0x02 },
    { ...s, ipId: 500, seq: ISN_S, ack: ISN_C + 1, flags: 0x12 },
    { ...c, ipId: 104, seq: ISN_C + 1, ack: ISN_S + 1, flags: 0x10 },
    ...write,
    { ...s, ipId: 501, seq: ISN_S + 1, ack: ISN_C + 3001, flags: 0x10 },
  ];
}

/** Frame i of the conversation at t0 + i ms (`at`: its place in the conversation, where some are missing). */
function pcap(frames: FrameSpec[], t0: number, at: (f: FrameSpec, i: number) => number = (_f, i) => i): Uint8Array {
  const w = new PcapWriter();
  return concatBytes(w.header(1), ...frames.map((f, i) => w.record(1_700_000_000, t0 + at(f, i) * 1000_000, frame(f))));
}

describe('offloads', () => {
  it('a TSO super-segment at the sender and its three wire pieces downstream are one delivery, not a loss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-tso-'));
    // node1's bridge sees the 3000-byte segment before the NIC cuts it; the wire and node2 see pieces.
    const files = {
      'node1-cni0.pcap': pcap(conversation(false, 64, 62), 0),
      'node1-eth0.pcap': pcap(conversation(true, 63, 63), 100),
      'node2-eth0.pcap': pcap(conversation(true, 63, 63), 300),
      'node2-cni0.pcap': pcap(conversation(true, 62, 64), 400),
    };
    for (const [name, b] of Object.entries(files)) writeFileSync(join(dir, name), b);
    const { inputs } = await loadInputs(Object.keys(files).map((f) => join(dir, f)), new Map());
    const { report } = analyze(inputs);
    expect(report.flows).toHaveLength(1);
    const f = report.flows[0]!;
    expect([f.client, f.server, f.serverPort]).toEqual([C, S, 80]);
    expect(f.hops.map((h) => `${h.node}/${h.interface}`)).toEqual(['node1/cni0', 'node1/eth0', 'node2/eth0', 'node2/cni0']);
    // The bridge saw SYN, ACK and one big segment; the wire the SYN, ACK and three pieces.
    expect(f.hops.map((h) => h.requests)).toEqual([3, 5, 5, 5]);
    expect(f.hops.map((h) => h.replies)).toEqual([2, 2, 2, 2]);
    expect(f.requestsStopAfter).toBeNull();
    expect(f.repliesStopAfter).toBeNull();
    expect(f.verdict.kind).toBe('delivered');
  });

  it('GRO: the receiver merging the wire pieces into one segment before its bridge is a delivery, not a loss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-gro-'));
    // The wire carries three pieces; node2 coalesces them (GRO) before cni0 sees them.
    const files = {
      'node1-eth0.pcap': pcap(conversation(true, 63, 63), 100),
      'node2-eth0.pcap': pcap(conversation(true, 63, 63), 300),
      'node2-cni0.pcap': pcap(conversation(false, 62, 64), 400),
    };
    for (const [name, b] of Object.entries(files)) writeFileSync(join(dir, name), b);
    const { inputs } = await loadInputs(Object.keys(files).map((f) => join(dir, f)), new Map());
    const f = analyze(inputs).report.flows[0]!;
    expect(f.hops.map((h) => h.requests)).toEqual([5, 5, 3]);
    expect(f.verdict.kind).toBe('delivered');
  });

  it('a segment really lost between the pieces is still a loss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-tso-'));
    // The server acknowledges up to the hole only: a segment it never got is never acknowledged.
    const upToHole = (fs: FrameSpec[]) => fs.map((f) => (f.ipId === 501 ? { ...f, ack: ISN_C + 1 + 1448 } : f));
    const sent = upToHole(conversation(true, 63, 63));
    // Each packet at its place in the conversation on both nodes: node2's file lacks one, and the
    // others keep their times (closing the gap made node2 see the SYN-ACK 3 ms after node1).
    const lossy = sent.filter((f) => f.ipId !== 102 || f.src !== C);
    const at = (f: FrameSpec) => sent.indexOf(f);
    const files = {
      'node1-eth0.pcap': pcap(sent, 100),
      'node2-eth0.pcap': pcap(lossy, 300, at),
    };
    for (const [name, b] of Object.entries(files)) writeFileSync(join(dir, name), b);
    const { inputs } = await loadInputs(Object.keys(files).map((f) => join(dir, f)), new Map());
    const f = analyze(inputs).report.flows[0]!;
    expect(f.hops.map((h) => h.requests)).toEqual([5, 4]);
    expect(f.verdict.kind).toBe('partial-loss');
  });
});

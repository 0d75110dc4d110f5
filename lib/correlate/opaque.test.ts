/**
 * Tunnels Hopscope cannot look into (WireGuard here) are no flow of the node addresses that
 * carry them: one-way WireGuard between two nodes would otherwise read as an unanswered UDP
 * flow. They are counted apart, and the report says what was not decoded and where it was seen.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { concatBytes } from '../capture/build';
import { PcapWriter } from '../capture/pcap-writer';
import { bytes, frame, type FrameSpec } from '../testing/packets';

const N1 = '192.168.0.11';
const N2 = '192.168.0.12';

/** A WireGuard transport data message (type 4): 16 header bytes and the encrypted payload. */
const wireguard = (ipId: number): FrameSpec => ({ src: N1, dst: N2, proto: 'udp', ipId, sport: 51820, dport: 51820, payload: concatBytes(Uint8Array.of(4, 0, 0, 0), bytes(92, ipId)) });

function pcap(frames: FrameSpec[]): Uint8Array {
  const w = new PcapWriter();
  return concatBytes(w.header(1), ...frames.map((f, i) => w.record(1_700_000_000, i * 1_000_000, frame(f))));
}

describe('tunnels that are not decoded', () => {
  it('are counted apart and reported, never a flow of the outer addresses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-opaque-'));
    const sent = [1, 2, 3, 4, 5].map(wireguard);
    // A DNS exchange between the same nodes: a flow like any other.
    const dns: FrameSpec[] = [
      { src: N1, dst: N2, proto: 'udp', ipId: 50, sport: 40053, dport: 53, payload: bytes(30, 1) },
      { src: N2, dst: N1, proto: 'udp', ipId: 60, sport: 53, dport: 40053, payload: bytes(40, 2) },
    ];
    // node2 received only two of node1's WireGuard packets.
    writeFileSync(join(dir, 'node1-eth0.pcap'), pcap([...sent, ...dns]));
    writeFileSync(join(dir, 'node2-eth0.pcap'), pcap([sent[0]!, sent[1]!, ...dns]));
    const { inputs } = await loadInputs([join(dir, 'node1-eth0.pcap'), join(dir, 'node2-eth0.pcap')], new Map());
    const { report } = analyze(inputs);
    expect(report.flows.map((f) => `${f.protocol} ${f.serverPort} ${f.verdict.kind}`)).toEqual(['udp 53 delivered']);
    expect(report.undecoded).toEqual([{ tunnel: 'WireGuard', wire: 'UDP 51820', src: N1, dst: N2, seenAt: { 'node1/eth0': 5, 'node2/eth0': 2 } }]);
    expect(report.captures.map((c) => c.background.opaque)).toEqual([5, 2]);
    expect(report.notes).toContain(
      `${N1} → ${N2}: WireGuard (UDP 51820), not decoded (node1/eth0 5, node2/eth0 2); the flows inside cannot be followed, and these packets are no flow of their own`,
    );
  });
});

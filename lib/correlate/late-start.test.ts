/**
 * A capture that began late, on a node a flow never visits. The lab's calico-snat-forward-off
 * scenario: pod-a's flows to 203.0.113.10 leave through node1's eth0 and never reach node2 (its
 * ground truth, measured from the outside host's own capture). node2's tunl0 capture holds
 * nothing before the last of them: a tcpdump started late looks the same. Analysed from the two
 * nodes' captures alone, as the kit takes them, node2's eth0 ran through those flows and saw
 * nothing, so node2 is off their path and each verdict is the lab's. Before the fix the quiet
 * tunl0 held node2 on the path, and the answered ping became "lost on the underlay between node1
 * and node2".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { expectedKind, findFlow, scenarios, type GroundTruth } from '../testing/scenarios';

/** Each record's time (seconds) in a little-endian microsecond Ethernet pcap, with the IPv4 addresses it carries. */
function records(file: Uint8Array): { sec: number; src: string; dst: string }[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  expect(dv.getUint32(0, true)).toBe(0xa1b2c3d4);
  const ip = (at: number) => (at + 4 <= file.length ? [...file.subarray(at, at + 4)].join('.') : '');
  const out = [];
  for (let at = 24; at + 16 <= file.length; at += 16 + dv.getUint32(at + 8, true)) out.push({ sec: dv.getUint32(at, true) + dv.getUint32(at + 4, true) / 1e6, src: ip(at + 16 + 26), dst: ip(at + 16 + 30) });
  return out;
}

const sample = scenarios().find((s) => s.truth.name === 'calico-snat-forward-off');
if (!sample) console.log('[late-start] no calico-snat-forward-off in sample-captures/: skipping');
async function analyseNodes(dir: string, truth: GroundTruth) {
  // The nodes' own captures only, as the kit takes them: the outside host is not the engineer's.
  const files = truth.capturePoints.filter((c) => c.node === 'node1' || c.node === 'node2').map((c) => join(dir, c.file));
  const loaded = await loadInputs(files, new Map());
  return analyze(loaded.inputs, {}).report;
}

describe.skipIf(!sample)('a capture that began late on a node the flow never visits', () => {
  it('keeps that node off the path of pod-a\'s flows to the outside, each with the lab\'s verdict', async () => {
    const { dir, truth } = sample!;
    const outside = truth.flows.filter((f) => f.path.includes('outside/eth0'));
    expect(outside.length).toBeGreaterThanOrEqual(3);
    for (const f of outside) expect(f.path.some((p) => p.startsWith('node2/')), f.id).toBe(false);
    const tunl0 = records(new Uint8Array(readFileSync(join(dir, 'node2-tunl0.pcap'))));
    const node2 = records(new Uint8Array(readFileSync(join(dir, 'node2-eth0.pcap'))));
    const toOutside = records(new Uint8Array(readFileSync(join(dir, 'node1-eth0.pcap')))).filter((r) => r.src === '203.0.113.10' || r.dst === '203.0.113.10');
    const lastOutside = Math.max(...toOutside.map((r) => r.sec));
    expect(toOutside.length).toBeGreaterThan(0);
    // tunl0 had not seen a packet yet; eth0 on node2 was capturing before and after them.
    expect(tunl0[0]!.sec).toBeGreaterThan(lastOutside);
    expect(node2[0]!.sec).toBeLessThan(Math.min(...toOutside.map((r) => r.sec)));
    expect(node2[node2.length - 1]!.sec).toBeGreaterThan(lastOutside);

    const late = await analyseNodes(dir, truth);
    let judged = 0;
    for (const tf of outside) {
      const after = findFlow(late.flows, tf);
      if (!after) continue;
      judged++;
      expect(after.hops.some((h) => h.node === 'node2'), `${tf.id}: ${after.hops.map((h) => `${h.node}/${h.interface}`).join(' ')}`).toBe(false);
      expect(after.verdict.kind, tf.id).toBe(expectedKind(truth, tf));
    }
    expect(judged).toBeGreaterThanOrEqual(2);
  });
});

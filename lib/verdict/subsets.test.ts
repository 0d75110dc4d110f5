/**
 * Verdicts on part of a lab scenario's captures, as engineers often bring them: the server's
 * node only. The ground truth is the scenario's own (sample-captures/<name>/scenario.json).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { findFlow, SAMPLES, scenarios } from '../testing/scenarios';

const synack = scenarios().find((s) => s.truth.name === 'tcp-synack-dropped');
if (!synack) console.log(`[samples] no tcp-synack-dropped in ${SAMPLES}: skipping the server-side verdict test`);

describe.skipIf(!synack)('server-side captures only', () => {
  it("a server whose SYN-ACKs never reach the client: the handshake is broken, not delivered, and the stop is the server side's last point", async () => {
    const { dir, truth } = synack!;
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('node2-') && f.endsWith('.pcap'))
      .map((f) => join(dir, f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.every(existsSync)).toBe(true);
    const { inputs } = await loadInputs(files, new Map());
    const { report } = analyze(inputs);
    const gt = truth.flows.find((f) => f.id === 'http')!;
    // The truth: every SYN-ACK left pod-b and crossed node2, none reached pod-a.
    expect(gt.clientResult.outcome).toBe('timeout');
    expect(gt.replies.seenAt['node2/eth0']).toBeGreaterThan(0);
    expect(gt.replies.seenAt['node1/veth3a1b2c4d'] ?? 0).toBe(0);
    const f = findFlow(report.flows, gt)!;
    expect(f.verdict.kind).toBe('reply-dropped');
    expect(f.verdict.rule.name).toBe('handshake-unfinished');
    expect(f.repliesStopAfter).toBe('node2/eth0');
    // The pings and DNS of the same pods, seen on node2 only, stay delivered.
    const others = truth.flows.filter((x) => x.id !== 'http').map((x) => findFlow(report.flows, x)!);
    for (const o of others) expect(o.verdict.kind, o.verdict.summary).toBe('delivered');
  });
});

/**
 * Flows alike in their path share one off-path list and one entry per encapsulation in their
 * reports (verdict.ts, SharedParts): what a flow's report holds must be what that flow alone
 * would get. On every sample scenario, each flow's shared parts are compared with the parts
 * made for it afresh.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { linksFileNode } from '../correlate/links';
import { encapsulationsOf, offPathOf } from './verdict';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');
const scenarios = readdirSync(SAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(SAMPLES, d.name));

describe('parts shared between flow reports', () => {
  it('gives every flow of every sample the off-path list and encapsulations it would get alone', async () => {
    let flows = 0;
    let sharedLists = 0;
    let sharedEntries = 0;
    for (const dir of scenarios) {
      const files = readdirSync(dir)
        .filter((n) => /\.(pcap|pcapng)$/.test(n) || linksFileNode(n) !== null)
        .map((n) => join(dir, n));
      const { inputs, links } = await loadInputs(files, new Map());
      const { report, correlation } = analyze(inputs, { links });
      const byId = new Map(correlation.flows.map((f) => [f.id, f]));
      const lists = new Set<unknown>();
      const entries = new Set<unknown>();
      for (const r of report.flows) {
        const f = byId.get(r.id)!;
        expect(r.offPath, `${dir}: flow ${r.id}`).toEqual(offPathOf(f, correlation));
        expect(r.encapsulation, `${dir}: flow ${r.id}`).toEqual(encapsulationsOf(f, correlation));
        if (lists.has(r.offPath) && r.offPath.length > 0) sharedLists++;
        lists.add(r.offPath);
        for (const e of r.encapsulation) sharedEntries += entries.has(e) ? 1 : 0;
        for (const e of r.encapsulation) entries.add(e);
        flows++;
      }
    }
    expect(flows).toBeGreaterThan(100);
    // Sharing happened: else the comparison above compared nothing shared.
    expect(sharedLists).toBeGreaterThan(10);
    expect(sharedEntries).toBeGreaterThan(10);
  });

  it('does not share an off-path list between flows of one path whose own pods differ', async () => {
    // Two flows alike but for the client: one the pod of a veth off the path, one not.
    const dir = scenarios.find((d) => d.endsWith('busy-node-broken-port'))!;
    const files = readdirSync(dir).filter((n) => /\.(pcap|pcapng)$/.test(n)).map((n) => join(dir, n));
    const { inputs, links } = await loadInputs(files, new Map());
    const { correlation: c } = analyze(inputs, { links });
    const f = c.flows.find((x) => c.points.some((p) => p.role === 'pod' && p.podIp !== null && !x.path.includes(p.id)))!;
    const offPod = c.points.find((p) => p.role === 'pod' && p.podIp !== null && !f.path.includes(p.id))!;
    const twin = { ...f, client: offPod.podIp! };
    const memo = new Map();
    const first = offPathOf(f, c, memo);
    expect(first.map((o) => o.interface)).toContain(offPod.interface);
    expect(offPathOf(twin, c, memo)).toEqual(offPathOf(twin, c));
    expect(offPathOf(twin, c, memo).map((o) => o.interface)).not.toContain(offPod.interface);
  });
});

/**
 * NICs captured with `tcpdump -s 68`: each VXLAN packet is cut after its outer headers and the
 * inner Ethernet header, before the inner IP header. Which flows they carried cannot be told
 * there, so no flow inside the tunnel may be judged at those points: a flow those captures
 * cannot show is never "lost" at them.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { snapped } from '../testing/pcap-records';
import { layoutHopDiagram } from '../viz/hop-layout';
import { reportMarkdown } from '../report/markdown';
import { reportJson } from '../report/report-json';
import { formatReport } from '../cli/analyze';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

/** A sample's per-interface captures, its NICs' cut to `len` bytes a packet as tcpdump -s would. */
async function nicsSnapped(name: string, len: number) {
  const dir = join(SAMPLES, name);
  const out = mkdtempSync(join(tmpdir(), 'hopscope-nic-snapped-'));
  const files = readdirSync(dir).filter((f) => /^node\d-[\w.]+\.pcap$/.test(f) && !f.endsWith('-any.pcap'));
  for (const f of files) writeFileSync(join(out, f), f.includes('-eth0') ? await snapped(join(dir, f), len) : readFileSync(join(dir, f)));
  const { inputs, links } = await loadInputs(files.map((f) => join(out, f)), new Map());
  return analyze(inputs, { links }).report;
}

describe('NICs captured with tcpdump -s 68, VXLAN headers only', () => {
  it('says of each NIC that its tunnel packets were cut before their inner packet', async () => {
    const r = await nicsSnapped('vxlan-8472-blocked', 68);
    for (const node of ['node1', 'node2']) expect(r.notes.some((n) => n.startsWith(`${node}/eth0:`) && n.includes('cut before their inner packet'))).toBe(true);
  });

  it('does not say the requests never left node1 encapsulated when VXLAN is filtered on the way: they stop between the overlay devices', async () => {
    const full = (await nicsSnapped('vxlan-8472-blocked', 65535)).flows.find((f) => f.protocol === 'icmp')!;
    expect(full.requestsStopAfter).toBe('node2/eth0');
    const cut = (await nicsSnapped('vxlan-8472-blocked', 68)).flows.find((f) => f.protocol === 'icmp')!;
    expect(cut.verdict.kind).toBe('request-dropped');
    expect(cut.requestsStopAfter).toBe('node1/flannel.1');
    expect(cut.verdict.transition).not.toMatch(/never left eth0/);
    expect(cut.verdict.transition).toMatch(/never reached node2\/flannel\.1/);
    expect(cut.verdict.causes[0]!.text).toMatch(/UDP 8472/);
    // The hop diagram: both NICs cut before the inner packet (no evidence either way), and the
    // stop between the overlay devices, not on node1's way from flannel.1 to eth0.
    expect(cut.hops.filter((h) => h.innerCut).map((h) => `${h.node}/${h.interface}`)).toEqual(['node1/eth0', 'node2/eth0']);
    const layout = layoutHopDiagram(cut, [], { width: 1200 });
    const name = (i: number) => layout.stations[i]!.name;
    expect(layout.stations.filter((st) => st.state === 'cut').map((st) => st.name)).toEqual(['node1/eth0', 'node2/eth0']);
    const stop = layout.breaks.find((b) => b.direction === 'requests')!;
    expect([name(stop.from), name(stop.to)]).toEqual(['node1/flannel.1', 'node2/flannel.1']);
    expect(stop.title).toContain('node1/eth0 cut before the inner packet');
  });

  it('says so in every table of counts, where a 0 would read as nothing having crossed: the text report, Markdown and JSON', async () => {
    const r = await nicsSnapped('vxlan-8472-blocked', 68);
    const i = r.flows.findIndex((f) => f.protocol === 'icmp');
    const cut = r.flows[i]!.hops.filter((h) => h.innerCut).map((h) => `${h.node}/${h.interface}`);
    expect(cut).toEqual(['node1/eth0', 'node2/eth0']);
    const text = formatReport(r).split('\n');
    const flowAt = text.findIndex((l) => l.startsWith(`Flow ${i + 1}:`));
    const rowOf = (name: string) => text.slice(flowAt).find((l) => l.trimStart().startsWith(`${name} `))!;
    for (const name of cut) expect(rowOf(name)).toMatch(/\(inner cut off\)$/);
    expect(rowOf('node1/flannel.1')).toMatch(/^\s+node1\/flannel\.1\s+[1-9]\d*\s+\d+$/);
    const md = reportMarkdown(r);
    for (const name of cut) expect(md).toContain(`| ${name} (its snap length cut the tunnel packets before their inner packet) | 0 | 0 |`);
    const json = reportJson(r) as { flows: { hops: { node: string; interface: string; innerCut?: true }[] }[] };
    expect(json.flows[i]!.hops.filter((h) => h.innerCut).map((h) => `${h.node}/${h.interface}`)).toEqual(cut);
    // With the whole packets, nothing is cut and no hop says so.
    const full = await nicsSnapped('vxlan-8472-blocked', 65535);
    expect(formatReport(full)).not.toContain('(inner cut off)');
    expect(JSON.stringify(reportJson(full))).not.toContain('innerCut');
  });

  it('keeps the stop where the captures that can see it put it, and calls no healthy flow broken', async () => {
    const drop = (await nicsSnapped('vxlan-forward-drop', 68)).flows.find((f) => f.protocol === 'icmp')!;
    expect(drop.requestsStopAfter).toBe('node2/flannel.1');
    const healthy = await nicsSnapped('vxlan-healthy', 68);
    expect(healthy.flows.length).toBeGreaterThan(0);
    for (const f of healthy.flows) expect(f.verdict.kind, `${f.protocol} ${f.client} → ${f.server}: ${f.verdict.summary}`).toBe('delivered');
  });
});

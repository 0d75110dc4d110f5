/**
 * One capture written as several files (tcpdump -C/-W/-G, dumpcap -b) is one capture point. Every
 * lab scenario's classic pcaps are cut as tcpdump -C cuts them, a new file every few records, and
 * the analysis of the cut files must be the analysis of the whole ones: the same points with the
 * same packets, the same flows with the same verdicts and counts at every hop.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expand, loadInputs } from '../analyze/files';
import { analyze, type AnalysisReport } from '../analyze';
import { linksFileNode } from './links';
import { keptWhere, packetNs, rotated, shifted } from '../testing/pcap-records';
import { mergeToPcapng } from '../lab/pcapng-copy';
import { expectedKind, findFlow, packetsAt, scenarios, type GroundTruth } from '../testing/scenarios';

const all = scenarios();
if (all.length === 0) console.log('[parts] no lab scenarios in sample-captures/: skipping');
const tmp = mkdtempSync(join(tmpdir(), 'hopscope-parts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const captureFiles = (truth: GroundTruth) => [...truth.capturePoints.map((c) => c.file), ...(truth.extraCaptures ?? []).map((c) => c.file)];

async function report(dir: string, files: string[]): Promise<AnalysisReport> {
  const links = readdirSync(dir).filter((f) => linksFileNode(f) !== null).map((f) => join(dir, f));
  const loaded = await loadInputs([...files, ...links], new Map());
  expect(loaded.errors.filter((e) => !e.startsWith('warning'))).toEqual([]);
  return analyze(loaded.inputs, { links: loaded.links }).report;
}

/** What must not change when a capture's files are joined: the points, and each flow's verdict and counts. */
function story(r: AnalysisReport) {
  return {
    captures: r.captures.map((c) => `${c.node}/${c.interface} ${c.role} ${c.packets} ${basename(c.file)}`).sort(),
    flows: r.flows.map((f) => ({ flow: `${f.protocol} ${f.client}:${f.clientPort ?? f.icmpId} → ${f.server}`, kind: f.verdict.kind, summary: f.verdict.summary, hops: f.hops.map((h) => `${h.node}/${h.interface} ${h.requests}/${h.replies}`) })),
  };
}

/** A scenario's captures written into `out`, each classic pcap cut by `name(file, k)` every `perFile` records. */
async function cut(dir: string, truth: GroundTruth, out: string, perFile: number, name: (file: string, k: number) => string): Promise<string[]> {
  const files: string[] = [];
  for (const f of captureFiles(truth)) {
    if (!f.endsWith('.pcap')) {
      copyFileSync(join(dir, f), join(out, f));
      files.push(join(out, f));
      continue;
    }
    for (const [k, bytes] of (await rotated(join(dir, f), perFile)).entries()) {
      writeFileSync(join(out, name(f, k)), bytes);
      files.push(join(out, name(f, k)));
    }
  }
  return files;
}

const tcpdumpC = (f: string, k: number) => (k === 0 ? f : `${f}${k}`);

describe.skipIf(all.length === 0)('a capture written as several files', () => {
  it('is one capture point: every lab scenario cut as tcpdump -C cuts its files gives the whole files\' analysis', async () => {
    let joined = 0;
    for (const { dir, truth } of all) {
      const out = mkdtempSync(join(tmp, `${truth.name}-`));
      const whole = await report(dir, captureFiles(truth).map((f) => join(dir, f)));
      const written = await cut(dir, truth, out, 7, tcpdumpC);
      // Given as a folder, every file is taken, `x.pcap1` as much as `x.pcap`.
      expect(expand([out]).sort()).toEqual([...written].sort());
      const parts = await report(dir, written);
      expect(story(parts), truth.name).toEqual(story(whole));
      for (const c of parts.captures.filter((c) => c.parts)) {
        expect(c.parts![0]).toBe(c.file);
        expect(c.parts!.every((p, k) => k === 0 || p === `${c.file}${k}`), truth.name).toBe(true);
        joined++;
      }
    }
    expect(joined).toBeGreaterThan(100);
  });

  it('joins numbered files by their numbers: a file of one packet written microseconds before the one before it stays in its place', async () => {
    // pod-a's veth in ipv6-pods-forwarding-off holds its 11th packet 81 µs before its 10th (tcpdump on several CPUs).
    const { dir, truth } = all.find((s) => s.truth.name === 'ipv6-pods-forwarding-off')!;
    const out = mkdtempSync(join(tmp, 'one-each-'));
    const files = (await cut(dir, truth, out, 1, tcpdumpC)).reverse();
    const whole = await report(dir, captureFiles(truth).map((f) => join(dir, f)).reverse());
    const r = await report(dir, files);
    expect(r.notes.filter((n) => n.includes(' but '))).toEqual([]);
    expect(story(r)).toEqual(story(whole));
  });

  it('lab: each point captured at once whole and as a file a second (tcpdump -G, gzipped as they close): the files are the whole capture, with the lab\'s verdicts', async () => {
    const rotating = all.filter((s) => s.truth.rotated);
    expect(rotating.length).toBeGreaterThan(0);
    for (const { dir, truth } of rotating) {
      const rotatedFiles = Object.values(truth.rotated!).flat();
      expect(rotatedFiles.some((f) => f.endsWith('.gz')) && rotatedFiles.some((f) => !f.endsWith('.gz'))).toBe(true);
      const r = await report(dir, rotatedFiles.map((f) => join(dir, f)));
      // One point per point of the lab, holding every file of its rotating capture.
      expect(r.captures.map((c) => `${c.node}/${c.interface}`).sort()).toEqual(truth.capturePoints.map((c) => `${c.node}/${c.interface}`).sort());
      for (const c of r.captures) expect([...c.parts!].sort(), `${c.node}/${c.interface}`).toEqual(truth.rotated![`${c.node}/${c.interface}`]!.map((f) => join(dir, f)).sort());
      // Every flow's verdict is the lab's, and its counts at each hop what the lab measured from the whole captures.
      for (const f of [...truth.flows, ...(truth.healthy ?? [])]) {
        const got = findFlow(r.flows, f);
        expect(got?.verdict.kind, `${truth.name}/${f.id}`).toBe(truth.flows.includes(f) ? expectedKind(truth, f) : 'delivered');
        for (const side of ['requests', 'replies'] as const) {
          for (const [at, n] of Object.entries(packetsAt(f, side))) expect(got!.hops.find((h) => `${h.node}/${h.interface}` === at)?.[side], `${f.id} ${side} at ${at}`).toBe(n);
        }
      }
      // And the analysis of the whole captures, flow for flow.
      expect(story(r).flows).toEqual(story(await report(dir, captureFiles(truth).map((f) => join(dir, f)))).flows);
    }
  });

  it('joins dumpcap -b files, tcpdump -G files named by their time, and a -W ring that went round, in time order', async () => {
    const { dir, truth } = all.find((s) => s.truth.name === 'vxlan-forward-drop')!;
    const whole = await report(dir, captureFiles(truth).map((f) => join(dir, f)));
    const stem = (f: string) => f.replace(/\.pcap$/, '');
    const schemes: [string, (f: string, k: number) => string][] = [
      ['dumpcap', (f, k) => `${stem(f)}_${String(k + 1).padStart(5, '0')}_20261206${String(220700 + k).padStart(6, '0')}.pcap`],
      ['tcpdump -G', (f, k) => `${stem(f)}-20261206-${String(220700 + k).padStart(6, '0')}.pcap`],
      // A ring of three: the oldest file, 0, was written over last, so time runs 1, 2, 0.
      ['tcpdump -W 3', (f, k) => `${f}${(k + 1) % 3}`],
    ];
    for (const [scheme, name] of schemes) {
      const out = mkdtempSync(join(tmp, `scheme-`));
      const r = await report(dir, await cut(dir, truth, out, 7, name));
      expect(story(r), scheme).toEqual({ ...story(whole), captures: story(r).captures });
      expect(r.captures.map((c) => `${c.node}/${c.interface} ${c.packets}`).sort(), scheme).toEqual(whole.captures.map((c) => `${c.node}/${c.interface} ${c.packets}`).sort());
      expect(r.captures.find((c) => c.node === 'node1' && c.interface === 'eth0')!.parts!.length, scheme).toBeGreaterThan(1);
      expect(r.notes.some((n) => n.includes('one capture of node1/eth0 written as')), scheme).toBe(true);
    }
  });

  it('joins dumpcap -b files that each hold several interfaces (dumpcap -i … -i … -b): each interface is one point', async () => {
    const { dir, truth } = all.find((s) => s.truth.name === 'vxlan-forward-drop')!;
    const whole = await report(dir, [join(dir, 'all-interfaces.pcapng')]);
    const files = truth.capturePoints.map((c) => c.file);
    // Cut every interface at one instant: the 4th packet of node1's eth0.
    const cut = (await loadInputs([join(dir, 'node1-eth0.pcap')], new Map())).inputs[0]!.capture;
    const at = packetNs(cut, 3);
    const out = mkdtempSync(join(tmp, 'dumpcap-'));
    const named: string[] = [];
    for (const [k, keep] of [(t: bigint) => t < at, (t: bigint) => t >= at].entries()) {
      const half = mkdtempSync(join(tmp, 'half-'));
      for (const f of files) writeFileSync(join(half, f), await keptWhere(join(dir, f), (_, t) => keep(t)));
      const c = truth.capturePoints;
      const merged = await mergeToPcapng(c.map((p) => ({ path: join(half, p.file), name: `${p.node}/${p.interface}`, description: p.interface })));
      named.push(join(out, `incident_0000${k + 1}_2026120622070${k}.pcapng`));
      writeFileSync(named.at(-1)!, merged.bytes);
    }
    const r = await report(dir, named);
    expect(r.notes.some((n) => n.includes('one capture of incident.pcapng written as 2 files'))).toBe(true);
    expect(r.captures.map((c) => `${c.node}/${c.interface} ${c.packets}`).sort()).toEqual(whole.captures.map((c) => `${c.node}/${c.interface} ${c.packets}`).sort());
    expect(story(r).flows).toEqual(story(whole).flows);
  });

  it('leaves files apart where a numbered one is missing between them, where they ran at the same time, or where plain names make them two captures, and says why', async () => {
    const { dir, truth } = all.find((s) => s.truth.name === 'vxlan-forward-drop')!;
    const out = mkdtempSync(join(tmp, 'gap-'));
    const files = (await cut(dir, truth, out, 3, tcpdumpC)).filter((f) => !f.endsWith('node1-eth0.pcap1'));
    const r = await report(dir, files);
    const eth0 = r.captures.filter((c) => c.node === 'node1' && c.interface.startsWith('eth0'));
    expect(eth0.length).toBeGreaterThanOrEqual(2);
    expect(eth0.map((c) => c.interface).sort()).toEqual(['eth0', ...files.filter((f) => /node1-eth0\.pcap\d+$/.test(f)).map((f) => `eth0 (${basename(f)})`)].sort());
    expect(eth0.every((c) => !c.parts)).toBe(true);
    expect(r.notes.some((n) => n.includes('numbers in their names show one or more files missing between them'))).toBe(true);
    // Where the requests stop is still found: the files apart are points of node1, not of node2.
    const whole = await report(dir, captureFiles(truth).map((f) => join(dir, f)));
    expect(r.flows.map((f) => [f.verdict.kind, f.requestsStopAfter])).toEqual(whole.flows.map((f) => [f.verdict.kind, f.requestsStopAfter]));

    // Two tcpdumps of node1's eth0 at once (the second one's node clock 1 µs apart): not one capture's files.
    const twice = mkdtempSync(join(tmp, 'twice-'));
    const one = join(twice, 'node1-eth0.pcap');
    copyFileSync(join(dir, 'node1-eth0.pcap'), one);
    writeFileSync(join(twice, 'node1_eth0.pcap'), shifted(join(dir, 'node1-eth0.pcap'), 1));
    const r2 = await report(dir, [one, join(twice, 'node1_eth0.pcap')]);
    expect(r2.captures.map((c) => c.interface).sort()).toEqual(['eth0', 'eth0 (node1_eth0.pcap)']);
    expect(r2.notes.some((n) => n.includes('ran at the same time'))).toBe(true);

    // One capture of node1's eth0 before and one after, each a plain node1-eth0.pcap: two captures, not one.
    const [before, after] = [mkdtempSync(join(tmp, 'before-')), mkdtempSync(join(tmp, 'after-'))];
    // The same file twice, the second copy an hour later: neither ran while the other did.
    copyFileSync(join(dir, 'node1-eth0.pcap'), join(before, 'node1-eth0.pcap'));
    writeFileSync(join(after, 'node1-eth0.pcap'), shifted(join(dir, 'node1-eth0.pcap'), 3600e6));
    const r3 = await report(dir, [join(before, 'node1-eth0.pcap'), join(after, 'node1-eth0.pcap')]);
    expect(r3.captures.map((c) => c.interface).sort()).toEqual(['eth0', 'eth0 (node1-eth0.pcap)']);
    expect(r3.notes.some((n) => n.includes('captures taken at different times'))).toBe(true);
  });

  it('joins tcpdump -C files written without an extension (node1-eth0, node1-eth01, …), which their names alone make other interfaces', async () => {
    for (const name of ['vxlan-forward-drop', 'any-sll2-forward-drop', 'same-node-pods-policy-drop']) {
      const { dir, truth } = all.find((s) => s.truth.name === name)!;
      const out = mkdtempSync(join(tmp, `bare-${name}-`));
      const whole = await report(dir, captureFiles(truth).map((f) => join(dir, f)));
      const written = await cut(dir, truth, out, 5, (f, k) => `${f.replace(/\.pcap$/, '')}${k === 0 ? '' : k}`);
      expect(written.length, name).toBeGreaterThan(captureFiles(truth).length);
      const parts = await report(dir, written);
      const plain = (r: AnalysisReport) => ({ ...story(r), captures: story(r).captures.map((c) => c.replace(/\.pcap$/, '')) });
      expect(plain(parts), name).toEqual(plain(whole));
      expect(parts.notes.filter((n) => /one capture of node\d-\S+ written as \d+ files/.test(n)).length, name).toBeGreaterThan(0);
    }
  });

  it('says so where a file is missing from such a set: those numbered past the gap stay as their names read', async () => {
    const { dir, truth } = all.find((s) => s.truth.name === 'vxlan-forward-drop')!;
    const out = mkdtempSync(join(tmp, 'bare-gap-'));
    const written = (await cut(dir, truth, out, 2, (f, k) => `${f.replace(/\.pcap$/, '')}${k === 0 ? '' : k}`)).filter((f) => !f.endsWith('node1-eth02'));
    expect(written.some((f) => f.endsWith('node1-eth03'))).toBe(true);
    const r = await report(dir, written);
    expect(r.captures.find((c) => c.interface === 'eth0' && c.node === 'node1')?.parts?.map((p) => basename(p))).toEqual(['node1-eth0', 'node1-eth01']);
    expect(r.notes.some((n) => n.startsWith('node1-eth03') && n.includes('numbered as more files of node1-eth0, but the numbers show one or more files missing before them'))).toBe(true);
  });

  it('leaves two interfaces whose names differ by a number alone as they are: veth1 and veth11 captured at once', async () => {
    const { dir } = all.find((s) => s.truth.name === 'vxlan-forward-drop')!;
    const out = mkdtempSync(join(tmp, 'veth11-'));
    copyFileSync(join(dir, 'node1-veth3a1b2c4d.pcap'), join(out, 'node1-veth1'));
    copyFileSync(join(dir, 'node1-cni0.pcap'), join(out, 'node1-veth11'));
    const r = await report(dir, [join(out, 'node1-veth1'), join(out, 'node1-veth11')]);
    expect(r.captures.map((c) => `${c.node}/${c.interface} ${c.parts?.length ?? 1}`).sort()).toEqual(['node1/veth1 1', 'node1/veth11 1']);
    expect(r.notes.filter((n) => n.includes('veth1'))).toEqual([]);
  });
});

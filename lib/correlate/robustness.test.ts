/**
 * What must not change the analysis: a node's clock being off by minutes, the order the
 * captures are given in, and their file names (given labels instead).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createCaptureReader } from '../capture/read';
import { PcapWriter } from '../capture/pcap-writer';
import { loadInputs } from '../analyze/files';
import { reportJson } from '../report/report-json';
import { analyze, type AnalysisReport } from '../analyze';
import { scenarios } from '../testing/scenarios';
import { concatBytes } from '../capture/build';

/** Rewrite a pcap with every timestamp moved by `shiftSec` seconds (as a node with a wrong clock). */
function shifted(path: string, shiftSec: number): Uint8Array {
  const w = new PcapWriter();
  const out: Uint8Array[] = [];
  const reader = createCaptureReader(basename(path), {
    onInterface: (i) => out.push(w.header(i.linkType, i.snaplen, { nanosecond: true })),
    onPacket: (r) => out.push(w.record(r.tsSec + shiftSec, r.tsNsec, r.buf.subarray(r.offset, r.offset + r.capLen), r.origLen)),
  });
  reader.push(new Uint8Array(readFileSync(path)));
  reader.end();
  return concatBytes(...out);
}

function story(r: AnalysisReport) {
  return r.flows
    .map((f) => ({
      flow: `${f.protocol} ${f.client}:${f.clientPort ?? f.icmpId} → ${f.server}:${f.serverPort ?? ''}`,
      kind: f.verdict.kind,
      requestsStopAfter: f.requestsStopAfter,
      repliesStopAfter: f.repliesStopAfter,
      hops: f.hops.map((h) => `${h.node}/${h.interface} ${h.requests}/${h.replies}`),
      translations: f.translations,
    }))
    .sort((a, b) => a.flow.localeCompare(b.flow));
}

const PICK = ['vxlan-healthy', 'vxlan-forward-drop', 'vxlan-service-forward-drop', 'calico-snat-forward-off', 'vxlan-return-path-drop'];
const chosen = scenarios().filter((s) => PICK.includes(s.truth.name));
if (chosen.length === 0) console.log('[samples] no lab scenarios: skipping the clock and order tests');

describe.skipIf(chosen.length === 0)('clock skew between nodes', () => {
  for (const { dir, truth } of chosen) {
    for (const shift of [37, -300]) {
      it(`${truth.name}: node2's clock ${shift > 0 ? '+' : ''}${shift} s changes no verdict, and the offset is estimated within 1 ms`, async () => {
        const files = [...truth.capturePoints, ...(truth.extraCaptures ?? [])].map((c) => c.file);
        const base = analyze((await loadInputs(files.map((f) => join(dir, f)), new Map())).inputs).report;
        const tmp = mkdtempSync(join(tmpdir(), 'hopscope-skew-'));
        for (const f of files) {
          writeFileSync(join(tmp, f), f.startsWith('node2-') ? shifted(join(dir, f), shift) : readFileSync(join(dir, f)));
        }
        const moved = analyze((await loadInputs(files.map((f) => join(tmp, f)), new Map())).inputs).report;
        expect(story(moved)).toEqual(story(base));
        const clock = (r: AnalysisReport, node: string) => r.clocks.find((c) => c.node === node)!;
        expect(clock(moved, 'node1').method).toBe('reference');
        const expected = clock(base, 'node2').offsetNs - shift * 1e9;
        expect(Math.abs(clock(moved, 'node2').offsetNs - expected)).toBeLessThan(1e6);
        // And in absolute terms: the lab's nodes share one kernel clock, so the estimate is the shift.
        expect(Math.abs(clock(moved, 'node2').offsetNs + shift * 1e9)).toBeLessThan(1e6);
      });
    }
  }
});

describe.skipIf(chosen.length === 0)('input order and file names', () => {
  for (const { dir, truth } of chosen.slice(0, 3)) {
    it(`${truth.name}: shuffled, renamed, labelled explicitly — same report`, async () => {
      const caps = [...truth.capturePoints, ...(truth.extraCaptures ?? [])];
      const named = await loadInputs(caps.map((c) => join(dir, c.file)), new Map());
      const tmp = mkdtempSync(join(tmpdir(), 'hopscope-order-'));
      // Reverse and interleave, and call every file capture-<n>.pcap.
      const order = caps.map((_, i) => i).sort((a, b) => ((a * 7) % caps.length) - ((b * 7) % caps.length)).reverse();
      const labels = new Map<string, { node: string; interface: string }>();
      const paths: string[] = [];
      order.forEach((i, n) => {
        const c = caps[i]!;
        const p = join(tmp, `capture-${n}.pcap`);
        writeFileSync(p, readFileSync(join(dir, c.file)));
        labels.set(p, { node: c.node, interface: c.interface });
        paths.push(p);
      });
      const renamed = await loadInputs(paths, labels);
      const a = reportJson(analyze(named.inputs).report) as { flows: unknown[] };
      const b = reportJson(analyze(renamed.inputs).report) as { flows: unknown[] };
      expect(b.flows).toEqual(a.flows);
    });
  }

  it('a pcapng holding every interface gives the same story as the separate files', async () => {
    const { dir, truth } = chosen.find((s) => s.truth.name === 'vxlan-forward-drop') ?? chosen[0]!;
    const files = truth.capturePoints.map((c) => join(dir, c.file));
    const separate = analyze((await loadInputs(files, new Map())).inputs).report;
    const one = analyze((await loadInputs([join(dir, 'all-interfaces.pcapng')], new Map())).inputs).report;
    expect(story(one)).toEqual(story(separate));
  });
});

describe("a pcapng holding several nodes' tcpdump -i any", () => {
  const SAMPLES = join(import.meta.dirname, '..', '..', 'sample-captures');
  for (const name of ['any-sll2-forward-drop', 'any-sll1-forward-drop']) {
    it(`${name}: is split by interface like the separate files, and tells the same story`, async () => {
      const dir = join(SAMPLES, name);
      const links = ['node1-links.txt', 'node2-links.txt'].map((f) => join(dir, f));
      const load = async (files: string[]) => {
        const l = await loadInputs([...files, ...links], new Map());
        return analyze(l.inputs, { links: l.links }).report;
      };
      const separate = await load([join(dir, 'node1-any.pcap'), join(dir, 'node2-any.pcap')]);
      const one = await load([join(dir, 'all-interfaces.pcapng')]);
      expect(one.captures.length).toBeGreaterThan(2);
      expect(story(one)).toEqual(story(separate));
      // Before, each node's -i any stayed one point off every path: 'no request of this flow was captured'.
      expect(one.flows.filter((f) => f.verdict.rule.name === 'nothing-captured')).toEqual([]);
      // SLL v1's inner point holds the pod's veth too: never 'the pod's veth was not captured'.
      for (const f of one.flows.filter((x) => x.verdict.kind === 'no-reply')) {
        expect(f.verdict.summary).toContain(name.includes('sll1') ? 'in SLL v1 records no interface, so whether they went on to the pod cannot be told' : 'node2');
        expect(f.verdict.summary).not.toContain("the pod's veth was not captured");
      }
    });
  }
});

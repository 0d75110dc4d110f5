/**
 * The correlator and verdicts must survive whatever the readers let through: captures with
 * flipped bits, cut short, with garbage addresses, clocks and lengths. 300 incidents built from
 * mutated sample captures; analyze() may not throw, and its report must stay well formed.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCaptureReader } from '../capture/read';
import { CaptureFormatError } from '../capture/errors';
import { CaptureIndexer } from '../decode/capture-index';
import { analyze, type AnalysisInput } from '../analyze';
import { mulberry32 } from '../util/prng';
import { scenarios } from '../testing/scenarios';

const all = scenarios();

describe.skipIf(all.length === 0)('analyze on mutated incidents', () => {
  it('never throws and reports consistent hop tables', () => {
    const seed = 0x5a11;
    const rand = mulberry32(seed);
    const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    let analysed = 0;
    for (let round = 0; round < 300; round++) {
      const { dir, truth } = pick(all);
      const inputs: AnalysisInput[] = [];
      for (const c of truth.capturePoints) {
        const bytes = new Uint8Array(readFileSync(join(dir, c.file)));
        // Leave the file header alone half the time so most files still read.
        const from = rand() < 0.5 ? 24 : 0;
        for (let k = Math.floor(rand() * 40); k > 0; k--) {
          const at = from + Math.floor(rand() * (bytes.length - from));
          bytes[at] = rand() < 0.5 ? bytes[at]! ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
        }
        const cut = rand() < 0.2 ? Math.floor(rand() * bytes.length) : bytes.length;
        const indexer = new CaptureIndexer();
        try {
          const reader = createCaptureReader(c.file, indexer);
          reader.push(bytes.subarray(0, cut));
          inputs.push({ file: c.file, capture: indexer.finish(reader.end()) });
        } catch (e) {
          expect(e, `seed ${seed} round ${round}`).toBeInstanceOf(CaptureFormatError);
        }
      }
      if (inputs.length === 0) continue;
      const { report } = analyze(inputs);
      analysed++;
      for (const f of report.flows) {
        expect(f.hops.every((h) => Number.isInteger(h.requests) && h.requests >= 0 && Number.isInteger(h.replies) && h.replies >= 0)).toBe(true);
        expect(typeof f.verdict.summary).toBe('string');
        if (f.requestsStopAfter) expect(f.hops.some((h) => `${h.node}/${h.interface}` === f.requestsStopAfter)).toBe(true);
      }
    }
    expect(analysed).toBeGreaterThan(200);
  });
});

describe('one capture of many distinct packets', () => {
  it('grows its per-packet columns and counts every packet once', async () => {
    const { generateBenchCapture } = await import('../bench/generate');
    const indexer = new CaptureIndexer();
    const reader = createCaptureReader('node1-eth0.pcap', indexer);
    for (const chunk of generateBenchCapture(6000)) reader.push(chunk);
    const capture = indexer.finish(reader.end());
    const { report } = analyze([{ file: 'node1-eth0.pcap', capture }]);
    const seen = report.flows.reduce((n, f) => n + f.hops[0]!.requests + f.hops[0]!.replies, 0);
    expect(seen).toBe(6000);
  });
});

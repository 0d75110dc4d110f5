import { describe, expect, it } from 'vitest';
import type { Judgement } from './incident/judge';
import { analysisMemoryCheck, endToEndCheck, evaluate, leastWalkLine, parseStatsOutput, startupCheck, TARGETS, verdictLines } from './run';

const figures = { bytes: 851_832_001, packets: 1_000_000, seconds: 0.5, peakRssBytes: 150 * 1024 * 1024, indexBytesPerPacket: 48 };

describe('parseStatsOutput', () => {
  it('takes the last non-empty line, after the human-readable stats', () => {
    const stdout = `bench.pcap: pcap, 1,000,000 packets\n  protocol hierarchy\n${JSON.stringify({ ...figures, indexAllocatedBytes: 1 })}\n\n`;
    expect(parseStatsOutput(stdout)).toEqual({ ...figures, indexAllocatedBytes: 1 });
  });

  it('says what is wrong with the output', () => {
    expect(() => parseStatsOutput('')).toThrow(/printed nothing/);
    expect(() => parseStatsOutput('{"bytes": 1}\nnot json')).toThrow(/not JSON: not json/);
    expect(() => parseStatsOutput('[1]')).toThrow(/field "bytes"/);
    expect(() => parseStatsOutput(JSON.stringify({ ...figures, seconds: 'fast' }))).toThrow(/field "seconds"/);
  });
});

describe('leastWalkLine', () => {
  it("sets the least walk against what the analysis target leaves after reading", () => {
    // Decoding 0.6 s: at 1.5× the analysis has 0.9 s, 0.3 s of it after reading.
    expect(leastWalkLine(0.6, 0.18)).toMatch(/leaves correlation and verdicts 0\.30 s; .* takes 0\.18 s of it \(60%\)$/);
  });
});

describe('startupCheck', () => {
  it('passes a start-up of 150 ms and fails one a little over', () => {
    expect(startupCheck(TARGETS.maxStartupMs)).toMatchObject({ name: 'start-up', value: 150, unit: 'ms', target: '≤ 150 ms', pass: true });
    expect(startupCheck(TARGETS.maxStartupMs + 0.5).pass).toBe(false);
  });
});

describe('evaluate', () => {
  it('passes figures that meet every target', () => {
    const checks = evaluate(figures);
    expect(checks.map((c) => [c.name, c.pass])).toEqual([
      ['throughput', true],
      ['peak RSS', true],
      ['index', true],
    ]);
    expect(checks[0]?.value).toBeCloseTo(1703.664, 3);
    expect(checks[1]?.value).toBe(150);
  });

  it('fails each target on its own edge: 1 GB/s, 200 MiB, 48 B/packet', () => {
    const slow = evaluate({ ...figures, bytes: TARGETS.minMegabytesPerSecond * 1e6 * 0.5 - 1 });
    expect(slow[0]?.pass).toBe(false);
    expect(evaluate({ ...figures, bytes: TARGETS.minMegabytesPerSecond * 1e6 * 0.5 })[0]?.pass).toBe(true);
    expect(evaluate({ ...figures, peakRssBytes: 200 * 1024 * 1024 })[1]?.pass).toBe(false);
    expect(evaluate({ ...figures, indexBytesPerPacket: 48.5 })[2]?.pass).toBe(false);
  });
});

describe('verdictLines', () => {
  const flow = (text: string) => ({ flow: {} as Judgement['podToPod']['wrong'][number]['flow'], text });
  const base: Judgement = {
    broken: flow('TCP 10.244.1.2:40000 → 10.244.2.2:9090: request-dropped (stops after node2/flannel.1) — …'),
    brokenOk: true,
    podToPod: { total: 10, delivered: 10, wrong: [] },
    other: { total: 3, delivered: 3, wrong: [] },
  };

  it('says the broken flow was found and counts the delivered flows', () => {
    const lines = verdictLines(base);
    expect(lines[0]).toMatch(/found, stops after node2\/flannel\.1 as generated$/);
    expect(lines[1]).toMatch(/pod to pod across nodes: 10 of 10 delivered; other flows: 3 of 3 delivered/);
    expect(lines).toHaveLength(2);
  });

  it('names what the analysis got wrong, eight flows at most', () => {
    const wrong = Array.from({ length: 10 }, (_, i) => flow(`TCP flow ${i}: request-dropped`));
    const lines = verdictLines({ ...base, broken: null, brokenOk: false, other: { total: 13, delivered: 3, wrong } });
    expect(lines[0]).toMatch(/broken flow not found: WRONG \(generated: request-dropped after node2\/flannel\.1\)/);
    expect(lines.filter((l) => l.includes('misjudged: TCP flow'))).toHaveLength(8);
    expect(lines[lines.length - 1]).toMatch(/and 2 more misjudged/);
  });
});

describe('TARGETS', () => {
  it('holds analysis of the incident to 1.5× decoding it', () => {
    expect(TARGETS.maxAnalyzeOverDecode).toBe(1.5);
  });
});

describe('issue targets measured from the runs', () => {
  it('takes stats end to end in MB/s, one file against 1.5 GB/s and several against 3 GB/s', () => {
    const one = endToEndCheck('with start', 1_500_000_000, 1.2);
    expect(one.value).toBeCloseTo(1250, 6);
    expect(one.pass).toBe(false);
    expect(endToEndCheck('with start', 1_500_000_000, 0.9).pass).toBe(true);
    const many = endToEndCheck('multi-file', 3_300_000_000, 1);
    expect(many.target).toBe('≥ 3000 MB/s');
    expect(many.pass).toBe(true);
    expect(endToEndCheck('multi-file', 2_000_000_000, 1).pass).toBe(false);
  });

  it("counts the analysis's memory as the peak less what was resident once read, against the index", () => {
    const MiB = 1024 * 1024;
    const c = analysisMemoryCheck('analysis mem', 250 * MiB, 150 * MiB, 50 * MiB);
    expect(c.value).toBeCloseTo(2, 9);
    expect(c.pass).toBe(true);
    expect(analysisMemoryCheck('x', 251 * MiB, 150 * MiB, 50 * MiB).pass).toBe(false);
    // A peak while reading, above everything after: no negative memory.
    expect(analysisMemoryCheck('x', 100 * MiB, 120 * MiB, 50 * MiB).value).toBe(0);
  });
});

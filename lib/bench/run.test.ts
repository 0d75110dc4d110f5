import { describe, expect, it } from 'vitest';
import { evaluate, parseStatsOutput, TARGETS } from './run';

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

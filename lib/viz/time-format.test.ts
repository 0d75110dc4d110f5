import { describe, expect, it } from 'vitest';
import { clockTime, formatDelta, formatOffset } from './time-format';
import { fromFileList } from '../../components/dashboard/drop-files';

describe('dashboard formats', () => {
  it('clock times are UTC with microseconds, past midnight and second boundaries', () => {
    const epoch = Date.UTC(2024, 4, 1, 23, 59, 59) / 1000;
    expect(clockTime(epoch, 0)).toBe('23:59:59.000000');
    expect(clockTime(epoch, 999_999_999)).toBe('23:59:59.999999');
    expect(clockTime(epoch, 1_000_001_000)).toBe('00:00:00.000001');
    expect(clockTime(epoch, NaN)).toBe('—');
  });

  it('deltas pick a unit for their size', () => {
    expect(formatDelta(0)).toBe('+0 ns');
    expect(formatDelta(1500)).toBe('+1.5 µs');
    expect(formatDelta(94_000)).toBe('+94 µs');
    expect(formatDelta(-98_000)).toBe('−98 µs');
    expect(formatDelta(153_000_000)).toBe('+153.000 ms');
    expect(formatDelta(1_203_000_000)).toBe('+1.203 s');
    expect(formatOffset(0, 'reference')).toBe('reference clock');
    expect(formatOffset(-98_000, 'one-way')).toBe('−98 µs (one-way)');
  });

  it('a folder keeps its captures by relative path and leaves the rest out; picked files are all kept', () => {
    const inFolder = (name: string) => Object.assign(new File(['x'], name.split('/').pop()!), { webkitRelativePath: name });
    const picked = fromFileList([inFolder('inc/node2-eth0.pcap'), inFolder('inc/scenario.json'), inFolder('inc/node1-eth0.pcap.gz'), new File(['x'], 'a.png')]);
    expect(picked.files.map((f) => f.name)).toEqual(['a.png', 'inc/node1-eth0.pcap.gz', 'inc/node2-eth0.pcap']);
    expect(picked.skipped).toEqual(['inc/scenario.json']);
  });
});

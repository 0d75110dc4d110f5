import { describe, expect, it } from 'vitest';
import { uniqueName } from './names';

describe('uniqueName', () => {
  it('keeps a free name and numbers the ones taken, extension last', () => {
    const taken = new Set<string>();
    expect(['eth0.pcap', 'eth0.pcap', 'eth0.pcap', 'eth0 (2).pcap', 'x.pcap.gz', 'x.pcap.gz', 'notes'].map((n) => uniqueName(n, taken))).toEqual([
      'eth0.pcap',
      'eth0 (2).pcap',
      'eth0 (3).pcap',
      'eth0 (2) (2).pcap',
      'x.pcap.gz',
      'x (2).pcap.gz',
      'notes',
    ]);
    expect(uniqueName('notes', taken)).toBe('notes (2)');
  });
});

import { describe, expect, it } from 'vitest';
import { flowKey, uniqueUploadNames } from './client';

describe('uniqueUploadNames', () => {
  it('keeps distinct names, renames repeats before the extension and pins the point the name gave', () => {
    const out = uniqueUploadNames([
      { name: 'node1-eth0.pcap', label: null },
      { name: 'dir/node1-eth0.pcap', label: null },
      { name: 'node1-eth0.pcap', label: { node: 'n3', interface: 'eth1' } },
      { name: 'capture.pcapng.gz', label: null },
      { name: 'capture.pcapng.gz', label: null },
    ]);
    expect(out.map((o) => o.name)).toEqual(['node1-eth0.pcap', 'node1-eth0 (2).pcap', 'node1-eth0 (3).pcap', 'capture.pcapng.gz', 'capture (2).pcapng.gz']);
    expect(out[0]!.label).toBeNull();
    // The renamed copy would lose the point its name gave; it is sent as a label instead.
    expect(out[1]!.label).toEqual({ node: 'node1', interface: 'eth0' });
    expect(out[2]!.label).toEqual({ node: 'n3', interface: 'eth1' });
    expect(out[4]!.label).toBeNull();
  });
});

describe('flowKey', () => {
  it('names a flow by protocol and endpoints, brackets IPv6 with ports', () => {
    expect(flowKey({ protocol: 'icmp', client: '10.244.1.2', clientPort: null, server: '10.244.2.2', serverPort: null, icmpId: 18433 })).toBe(
      'ICMP 10.244.1.2 → 10.244.2.2 id 18433',
    );
    expect(flowKey({ protocol: 'tcp', client: 'fd00::1', clientPort: 40080, server: 'fd00::2', serverPort: 80, icmpId: null })).toBe(
      'TCP [fd00::1]:40080 → [fd00::2]:80',
    );
  });
});

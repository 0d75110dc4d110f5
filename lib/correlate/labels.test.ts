/** Capture-point labels from file names as engineers write them: `<node>-<interface>.pcap`. */
import { describe, expect, it } from 'vitest';
import { labelFromFileName, resolveLabel } from './labels';

describe('labels from file names', () => {
  it('splits where the rest is an interface name, dots and dashes in either part', () => {
    expect(labelFromFileName('k8s-master-flannel.1.pcap')).toEqual({ node: 'k8s-master', interface: 'flannel.1' });
    expect(labelFromFileName('node1-flannel-v6.1.pcap')).toEqual({ node: 'node1', interface: 'flannel-v6.1' });
    expect(labelFromFileName('node1-tun-87d9d8fe21f.pcap')).toEqual({ node: 'node1', interface: 'tun-87d9d8fe21f' });
    expect(labelFromFileName('node2-vxlan_sys_4790.pcap.gz')).toEqual({ node: 'node2', interface: 'vxlan_sys_4790' });
    expect(labelFromFileName('ip-10-0-1-5-eth0.pcapng')).toEqual({ node: 'ip-10-0-1-5', interface: 'eth0' });
  });

  it('splits an unknown interface name after a node the other files name, and only then', () => {
    expect(resolveLabel('node1-frontend-4681d8.pcap', undefined, [], ['node1', 'node2'])).toEqual({ node: 'node1', interface: 'frontend-4681d8', source: 'file name' });
    // The longest known node wins.
    expect(resolveLabel('node1-a-web-7f9c.pcap', undefined, [], ['node1', 'node1-a'])).toEqual({ node: 'node1-a', interface: 'web-7f9c', source: 'file name' });
    expect(resolveLabel('capture-2024-05-01.pcap', undefined, [], [])).toEqual({ node: 'capture-2024-05-01', interface: '?', source: 'unknown' });
  });
});

/** Capture-point labels from file names as engineers write them: `<node>-<interface>.pcap`. */
import { describe, expect, it } from 'vitest';
import { labelFromFileName, resolveLabel, roleCorrection, roleName, rotationPart } from './labels';

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

  it('splits off a NIC name it has no role for when it is named as Linux names NICs', () => {
    expect(labelFromFileName('k8s-worker-2-net0.pcap')).toEqual({ node: 'k8s-worker-2', interface: 'net0' });
    expect(labelFromFileName('node1-ens160.pcap')).toEqual({ node: 'node1', interface: 'ens160' });
    expect(labelFromFileName('node1-bond0.100.pcap')).toEqual({ node: 'node1', interface: 'bond0.100' });
    expect(labelFromFileName('worker1_enp0s3.pcapng')).toEqual({ node: 'worker1', interface: 'enp0s3' });
    expect(labelFromFileName('node1-p1p2.pcap')).toEqual({ node: 'node1', interface: 'p1p2' });
    // A date, a bare number, a word, or a protocol with a digit is no interface.
    expect(labelFromFileName('icmp_dot1q.pcap')).toBeNull();
    expect(labelFromFileName('tunnels-geneve-ipv6.pcap')).toBeNull();
    expect(labelFromFileName('linux_dlt_sll2.pcap')).toBeNull();
    for (const f of ['prod-emea1.pcap', 'web-team2.pcap', 'db-lan2.pcap', 'worker-network3.pcap', 'cluster_ethereum1.pcap']) expect(labelFromFileName(f), f).toBeNull();
    expect(labelFromFileName('capture-2024-05-01.pcap')).toBeNull();
    expect(labelFromFileName('k8s-worker-2.pcap')).toBeNull();
    expect(labelFromFileName('node-frontend.pcap')).toBeNull();
  });

  it('reads the node and interface through what a rotation adds to the name', () => {
    // tcpdump -C (the first file unnumbered), -C with -W (numbered from 0, padded), dumpcap -b, tcpdump -G with strftime names.
    for (const f of ['node1-eth0.pcap', 'node1-eth0.pcap1', 'node1-eth0.pcap12', 'node1-eth0.pcap00', 'node1-eth0_00003_20261206220700.pcapng', 'node1-eth0-20261206-220700.pcap', 'node1-eth0_2026-12-06_22:07:00.pcap', 'node1-eth0.1765058820.pcap', 'node1-eth0-20261206220700.pcap3']) {
      expect(resolveLabel(f, undefined, []), f).toEqual({ node: 'node1', interface: 'eth0', source: 'file name' });
    }
    expect(resolveLabel('node2-flannel.1.pcap2', undefined, [])).toEqual({ node: 'node2', interface: 'flannel.1', source: 'file name' });
    expect(rotationPart('dir/node1-eth0.pcap2')).toEqual({ name: 'node1-eth0.pcap', part: 2 });
    expect(rotationPart('node1-eth0.pcap00')).toEqual({ name: 'node1-eth0.pcap', part: 0 });
    expect(rotationPart('node1-eth0_00017_20261206220700.pcapng')).toEqual({ name: 'node1-eth0.pcapng', part: 17 });
    expect(rotationPart('node1-eth0-20261206-220700.pcap')).toEqual({ name: 'node1-eth0.pcap', part: null });
    expect(rotationPart('node1-eth0-20261206-220700.pcap4')).toEqual({ name: 'node1-eth0.pcap', part: 4 });
    // Names that are no rotation: a plain file, an interface with digits, a date that is the node's name.
    for (const f of ['node1-eth0.pcap', 'node1-flannel.1.pcap', 'node1-veth3a1b2c4d.pcap', 'node1-bond0.100.pcapng']) expect(rotationPart(f), f).toBeNull();
    expect(resolveLabel('capture-2024-05-01.pcap', undefined, [], [])).toEqual({ node: 'capture-2024-05-01', interface: '?', source: 'unknown' });
  });
});

describe('roleCorrection', () => {
  it("names the CLI's --role, with placeholders where the note means any interface or role", () => {
    expect(roleCorrection('cli', 'node1', 'tnl0', 'overlay')).toBe('correct it with --role node1/tnl0=overlay');
    expect(roleCorrection('cli', 'node1', null, null)).toBe('correct them with --role node1/IFACE=ROLE');
    expect(roleName('cli', 'nic')).toBe('nic');
  });

  it("names the app's capture points table, and the role by the word its menu shows", () => {
    expect(roleCorrection('app', 'node1', 'tnl0', 'overlay')).toBe('correct it in the capture points table: node1/tnl0 as overlay device');
    expect(roleCorrection('app', 'pod-a', 'eth0', 'nic')).toBe('correct it in the capture points table: pod-a/eth0 as node NIC');
    expect(roleCorrection('app', 'node1', null, null)).toBe('correct them in the capture points table');
    expect(roleName('app', 'nic')).toBe('node NIC');
    for (const text of [roleCorrection('app', 'n', 'i', 'pod'), roleCorrection('app', 'n', null, null)]) expect(text).not.toContain('--role');
  });
});

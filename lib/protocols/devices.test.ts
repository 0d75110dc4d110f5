/**
 * Device names as the CNIs create them on real nodes (flannel, Calico, Cilium, Antrea, Weave,
 * Docker) and what each says of the interface's role and, for an overlay device, its wire.
 */
import { describe, expect, it } from 'vitest';
import { interfaceRole, overlayDevice } from './devices';

describe('interfaceRole', () => {
  const cases: [string, ReturnType<typeof interfaceRole>][] = [
    // flannel
    ['cni0', 'bridge'],
    ['flannel.1', 'overlay'],
    ['flannel-v6.1', 'overlay'],
    ['flannel0', 'overlay'],
    ['flannel-wg', 'overlay'],
    ['veth3a1b2c4d', 'pod'],
    // Calico: routed veths, no bridge
    ['cali91dded39638', 'pod'],
    ['vxlan.calico', 'overlay'],
    ['vxlan-v6.calico', 'overlay'],
    ['tunl0', 'overlay'],
    ['wireguard.cali', 'overlay'],
    // Cilium
    ['lxc1a2b3c4d5e6f', 'pod'],
    ['lxc_health', 'pod'],
    ['cilium_host', 'bridge'],
    ['cilium_net', 'other'],
    ['cilium_vxlan', 'overlay'],
    ['cilium_geneve', 'overlay'],
    ['cilium_wg0', 'overlay'],
    // Antrea: pod veths are `<pod prefix>-<hash>`, which no name can tell
    ['antrea-gw0', 'bridge'],
    ['genev_sys_6081', 'overlay'],
    ['antrea-tun0', 'overlay'],
    ['coredns--7f9c4d', 'other'],
    // kube-router, OVS, plain Linux tunnels
    ['tun-87d9d8fe21f', 'overlay'],
    ['vxlan_sys_4790', 'overlay'],
    ['tun1', 'overlay'],
    ['gre1', 'overlay'],
    ['erspan1', 'overlay'],
    // Weave, Docker, the node
    ['weave', 'overlay'],
    ['vxlan-6784', 'overlay'],
    ['docker0', 'bridge'],
    ['eth0', 'nic'],
    ['ens5', 'nic'],
    ['enp0s3', 'nic'],
    ['bond0.100', 'nic'],
    // On no pod path
    ['kube-ipvs0', 'other'],
    ['nodelocaldns', 'other'],
    ['lo', 'other'],
    ['any', 'any'],
  ];
  for (const [name, role] of cases) it(`${name} → ${role}`, () => expect(interfaceRole(name)).toBe(role));
});

describe('overlayDevice', () => {
  it('knows each CNI device\'s encapsulation, port and inner MTU on a 1500-byte underlay', () => {
    const d = (name: string) => {
      const o = overlayDevice(name);
      return [o.spec?.kind ?? null, o.ports.join(','), o.overhead, o.mtu];
    };
    expect(d('flannel.1')).toEqual(['vxlan', '8472', 50, 1450]);
    // VXLAN over an IPv6 underlay: a 40-byte outer header.
    expect(d('flannel-v6.1')).toEqual(['vxlan', '8472', 70, 1430]);
    expect(d('vxlan.calico')).toEqual(['vxlan', '4789', 50, 1450]);
    expect(d('vxlan-v6.calico')).toEqual(['vxlan', '4789', 70, 1430]);
    expect(d('cilium_vxlan')).toEqual(['vxlan', '8472', 50, 1450]);
    expect(d('cilium_geneve')).toEqual(['geneve', '6081', 50, 1450]);
    expect(d('genev_sys_6081')).toEqual(['geneve', '6081', 50, 1450]);
    expect(d('tunl0')).toEqual(['ipip', '', 20, 1480]);
    expect(overlayDevice('flannel-v6.1').wire).toBe('UDP 8472 (VXLAN)');
  });
});

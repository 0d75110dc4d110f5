/**
 * IPv6 parity: every cause and check that exists for an IPv4 flow exists for an IPv6 one, with
 * the IPv6 tool and sysctl (ip6tables, net.ipv6.conf.all.forwarding, rpfilter, ping -6).
 */
import { describe, expect, it } from 'vitest';
import { emptyBackground } from '../correlate/background';
import type { CapturePoint } from '../correlate/correlate';
import type { InterfaceRole } from '../protocols/devices';
import { ns } from '../util/units';
import { describeStep, familyOf, podCidr } from './causes';
import { overlayDevice } from '../protocols/devices';

let id = 0;
const pt = (node: string, iface: string, role: InterfaceRole): CapturePoint => ({
  id: id++,
  file: `${node}-${iface}.pcap`,
  node,
  host: node,
  interface: iface,
  role,
  roleSource: 'name',
  merged: false,
  labelSource: 'file name',
  interfaceId: -1,
  packets: 1,
  firstNs: ns(0),
  lastNs: ns(1),
  stopKnown: false,
  runUnknown: false,
  podIp: null,
  podIps: [],
  truncated: 0,
  snaplen: 0,
  background: emptyBackground(),
});

const STEPS: [CapturePoint, CapturePoint][] = [
  [pt('n1', 'veth1', 'pod'), pt('n1', 'cni0', 'bridge')],
  [pt('n1', 'cni0', 'bridge'), pt('n1', 'flannel.1', 'overlay')],
  [pt('n2', 'flannel.1', 'overlay'), pt('n2', 'cni0', 'bridge')],
  [pt('n2', 'eth0', 'nic'), pt('n2', 'cni0', 'bridge')],
  [pt('n1', 'cni0', 'bridge'), pt('n1', 'eth0', 'nic')],
  [pt('n2', 'cni0', 'bridge'), pt('n2', 'veth2', 'pod')],
];

/** Checks about the pod's own packets: the underlay's (INPUT/OUTPUT for UDP 8472) are not the flow's family. */
const flowChecks = (dst: string, lostSize = 100) =>
  STEPS.flatMap(([from, to]) => describeStep({ from, to, dst, lostSize, overlay: overlayDevice('flannel.1'), overlayPortUnreachableFrom: null }).causes)
    .filter((c) => !/ (INPUT|OUTPUT)$/.test(c.check) && !c.check.includes('fdb'));

describe('IPv6 parity of the causes', () => {
  it('an IPv4 flow gets iptables and the IPv4 sysctls', () => {
    const checks = flowChecks('10.244.2.2').map((c) => c.check).join('\n');
    expect(checks).toContain('iptables -S FORWARD');
    expect(checks).toContain('sysctl net.ipv4.ip_forward');
    expect(checks).toContain('net.ipv4.conf.all.rp_filter');
    expect(checks).not.toContain('ip6tables');
  });

  it('an IPv6 flow gets the same causes, with ip6tables, IPv6 forwarding and rpfilter', () => {
    const v4 = flowChecks('10.244.2.2');
    const v6 = flowChecks('fd00:10:244:2::2');
    expect(v6.length).toBe(v4.length);
    const checks = v6.map((c) => c.check).join('\n');
    expect(checks).toContain('ip6tables -S FORWARD');
    expect(checks).toContain('sysctl net.ipv6.conf.all.forwarding');
    expect(checks).toContain('ip6tables -t raw -S | grep rpfilter');
    expect(checks).toContain('bridge-nf-call-ip6tables');
    expect(checks).not.toMatch(/(^|[ ;])iptables /m);
    expect(checks).not.toContain('net.ipv4');
    expect(v6.map((c) => c.text).join('\n')).toContain('IPv6 forwarding is off');
  });

  it('an IPv6 packet too big for the overlay says no router fragments it, and pings with -6', () => {
    const causes = describeStep({ from: STEPS[1]![0], to: STEPS[1]![1], dst: 'fd00:10:244:2::2', lostSize: 1500, overlay: overlayDevice('flannel.1'), overlayPortUnreachableFrom: null }).causes;
    expect(causes[0]!.text).toContain('IPv6 is never fragmented on the way');
    expect(causes[0]!.text).toContain('ICMPv6 packet too big');
    expect(causes[0]!.check).toContain('ping -6 -M do -s 1402');
  });

  it('guesses the pod CIDR of either family', () => {
    expect(podCidr('10.244.2.7')).toBe('10.244.2.0/24');
    expect(podCidr('fd00:10:244:2:0:0:0:7')).toBe('fd00:10:244:2::/64');
    expect(familyOf('fd00::1').forwarding).toBe('net.ipv6.conf.all.forwarding');
  });
});

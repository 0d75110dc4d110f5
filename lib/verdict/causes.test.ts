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
  innerCut: 0,
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
    // As Hopscope writes IPv6 addresses (RFC 5952): compressed.
    expect(podCidr('fd00:10:244:2::7')).toBe('fd00:10:244:2::/64');
    expect(podCidr('2001:db8::1')).toBe('2001:db8::/64');
    expect(podCidr('::ffff:10.244.2.7')).toBe('<pod CIDR>');
    expect(familyOf('fd00::1').forwarding).toBe('net.ipv6.conf.all.forwarding');
  });
});

describe('a step other traffic to the destination took meanwhile', () => {
  const passing = { what: ['TCP 80', 'ping'], samePort: false, sameEnds: true, strong: true };
  const step = (i: number, dst: string, lostSize = 60, p: typeof passing | null = passing) =>
    describeStep({ from: STEPS[i]![0], to: STEPS[i]![1], dst, lostSize, overlay: overlayDevice('flannel.1'), overlayPortUnreachableFrom: null, passing: p, traffic: 'TCP 8080', client: '10.244.1.2' }).causes;

  it('names a rule matching the port first, and none of what the others rule out', () => {
    for (const [i, dst] of [[2, '10.244.2.2'], [5, '10.244.2.2'], [3, 'fd00:10:244:2::2']] as const) {
      const causes = step(i, dst);
      expect(causes[0]!.text).toBe(`a rule on n2 drops TCP 8080 to ${dst}: other traffic to it (TCP 80, ping) crosses this step meanwhile, so forwarding, the routes and the destination work — a NetworkPolicy, or a firewall rule matching the port`);
      expect(causes[0]!.check).toContain(`${dst.includes(':') ? 'ip6tables' : 'iptables'}-save | grep -E -- '--dport 8080\\b|--dports'`);
      expect(causes.map((c) => c.text).join('\n')).not.toMatch(/forwarding is off|policy DROP|no route|pod is gone|rp_filter|reverse-path/);
    }
    // Into a pod's veth from its bridge: bridged frames cross FORWARD only with br_netfilter on.
    expect(step(5, '10.244.2.2')[0]!.check).toContain('sysctl net.bridge.bridge-nf-call-iptables');
  });

  it('names the source when the same port from other clients got through', () => {
    expect(step(2, '10.244.2.2', 60, { what: ['TCP 8080', 'ping'], samePort: true, sameEnds: false, strong: true })[0]!.text).toBe(
      "a rule on n2 drops TCP 8080 from 10.244.1.2 to 10.244.2.2: other clients' TCP 8080 to it (and ping) crosses this step meanwhile, so forwarding, the routes and the destination work — a NetworkPolicy, or a firewall rule matching the source",
    );
  });

  it('for lost replies, names the replies and what a rule matches them by', () => {
    const causes = describeStep({ from: STEPS[2]![0], to: STEPS[2]![1], dst: '10.244.1.2', lostSize: 60, overlay: overlayDevice('flannel.1'), overlayPortUnreachableFrom: null, passing: { what: ['UDP 53', 'ping'], samePort: false, sameEnds: true, strong: true }, traffic: 'TCP 80', client: '10.244.1.2', replies: true }).causes;
    expect(causes[0]!.text).toBe('a rule on n2 drops the TCP 80 replies to 10.244.1.2: other replies to it (UDP 53, ping) cross this step meanwhile, so forwarding, the routes and the client work — a firewall rule matching their source port or TCP flags (a SYN-ACK)');
    expect(causes[0]!.check).toBe("iptables-save | grep -E -- '--sport 80\\b|--sports|--tcp-flags'; nft list ruleset | grep -w 80; conntrack -L -d 10.244.1.2");
  });

  it('keeps reverse-path filtering where only other clients got through a routed step: it is the source\'s', () => {
    const texts = (sameEnds: boolean) => step(2, '10.244.2.2', 60, { ...passing, sameEnds }).map((c) => c.text);
    expect(texts(false).some((t) => t.startsWith('reverse-path filtering on n2'))).toBe(true);
    expect(texts(true).some((t) => t.startsWith('reverse-path filtering'))).toBe(false);
  });

  it('with traffic that crossed only before these were lost, says so and keeps the step\'s own causes after it', () => {
    const weak = step(2, '10.244.2.2', 60, { ...passing, strong: false });
    expect(weak[0]!.text).toBe('a rule on n2 drops TCP 8080 to 10.244.2.2: other traffic to it (TCP 80, ping) crossed this step earlier in the captures, so forwarding, the routes and the destination worked then, unless something changed since — a NetworkPolicy, or a firewall rule matching the port');
    expect(weak.slice(1).map((c) => c.text)).toEqual(step(2, '10.244.2.2', 60, null).map((c) => c.text));
  });

  it('says nothing of inner ports where a NIC\'s packets are not decapsulated', () => {
    const [from, to] = [pt('n2', 'eth0', 'nic'), pt('n2', 'flannel.1', 'overlay')];
    const causes = (p: typeof passing | null) => describeStep({ from, to, dst: '10.244.2.2', lostSize: 60, overlay: overlayDevice('flannel.1'), overlayPortUnreachableFrom: null, passing: p, traffic: 'TCP 8080' }).causes.map((c) => c.text);
    expect(causes(passing)).toEqual(causes(null));
    expect(causes(passing)[1]).toContain('flannel.1 on n2 is down');
  });

  it('puts a filter first where no ICMP port unreachable came back for the tunnel packets, the device first where one did', () => {
    const [from, to] = [pt('n2', 'eth0', 'nic'), pt('n2', 'flannel.1', 'overlay')];
    const causes = (unreachFrom: string | null) => describeStep({ from, to, dst: '10.244.2.2', lostSize: 60, overlay: overlayDevice('flannel.1'), overlayPortUnreachableFrom: unreachFrom }).causes.map((c) => c.text);
    expect(causes(null)).toEqual([
      'an INPUT rule on n2 drops UDP 8472 (VXLAN): no ICMP port unreachable came back, which n2 sends when nothing listens on the port',
      "flannel.1 on n2 is down, missing, or has another VNI or port than the sender's",
    ]);
    expect(causes('192.168.0.12')).toEqual([
      "n2 (192.168.0.12) answered ICMP port unreachable for UDP 8472 (VXLAN): nothing listens there — flannel.1 on n2 is down, missing, or has another VNI or port than the sender's",
      'an INPUT rule on n2 drops UDP 8472 (VXLAN)',
    ]);
  });

  it('keeps the step\'s own causes for packets above the overlay MTU: the others may only be smaller', () => {
    expect(step(1, '10.244.2.2', 1500).map((c) => c.text)).toEqual(step(1, '10.244.2.2', 1500, null).map((c) => c.text));
  });
});

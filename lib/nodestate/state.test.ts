/** The kit's state files read into a NodeState: the copy taken when the captures stopped wins, and what changed meanwhile is named. */
import { describe, expect, it } from 'vitest';
import { capturedSpan, parseNodeState, parseTcpdumpCounts, type StateFiles } from './state';

const LINK = (state: string, promisc = '') => `5: flannel.1: <BROADCAST,MULTICAST${promisc},UP,LOWER_UP> mtu 1450 qdisc noqueue state ${state} mode DEFAULT group default promiscuity ${promisc ? 1 : 0} \\    vxlan id 1 local 192.168.0.12 dev eth0 srcport 0 0 dstport 8472 nolearning`;

function files(extra: Record<string, string>): StateFiles {
  return new Map(Object.entries({ 'manifest.json': '{"node":"node2"}', ...extra }));
}

describe('parseNodeState', () => {
  it('reads the state at the end of the run, and names a file that changed', () => {
    const st = parseNodeState(
      files({
        'iptables-save.txt': '# Generated on Fri\n*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n',
        'iptables-save.after.txt': '# Generated on Sat\n*filter\n:FORWARD DROP [12:840]\nCOMMIT\n',
        'sysctl.txt': 'net.ipv4.ip_forward = 1\n',
        'sysctl.after.txt': 'net.ipv4.ip_forward = 1\n',
        'ip-d-link.txt': LINK('UNKNOWN'),
        'ip-d-link.after.txt': LINK('UNKNOWN', ',PROMISC'),
      }),
    );
    expect(st.iptables!.get('filter')!.get('FORWARD')!.policy).toBe('DROP');
    // Dates, counters and tcpdump's promiscuous mode are no change.
    expect(st.changed).toEqual(['iptables-save.txt']);
  });

  it('a link going down meanwhile is a change; without an after copy the before one is read', () => {
    const st = parseNodeState(files({ 'ip-d-link.txt': LINK('UNKNOWN'), 'ip-d-link.after.txt': LINK('DOWN'), 'sysctl.txt': 'net.ipv4.ip_forward = 0\n' }));
    expect(st.links.get('flannel.1')!.up).toBe(false);
    expect(st.changed).toEqual(['ip-d-link.txt']);
    expect(st.sysctl.get('net.ipv4.ip_forward')).toBe('0');
  });

  it('reads a multipath route with its next hops as one route', () => {
    const st = parseNodeState(files({ 'ip-route.txt': '10.244.2.0/24 proto bird \n\tnexthop via 10.9.0.1 dev eth9 weight 1 \n\tnexthop dev cni0 weight 1 \n' }));
    expect(st.routes).toEqual(['10.244.2.0/24 proto bird nexthop via 10.9.0.1 dev eth9 weight 1 nexthop dev cni0 weight 1']);
  });

  it('keeps only the policy rules beyond the kernel\'s three', () => {
    const st = parseNodeState(files({ 'ip-rule.txt': '0:\tfrom all lookup local\n100:\tfrom all fwmark 0xd00/0xf00 lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n' }));
    expect(st.policyRules).toEqual(['100:\tfrom all fwmark 0xd00/0xf00 lookup 100']);
    expect(parseNodeState(files({})).policyRules).toBeNull();
  });
});

describe('capturedSpan: what a kit manifest proves its captures ran through', () => {
  const at = (t: string) => Date.parse(t);
  it('kit 3: from the second after the start (taken once every tcpdump listened) to two seconds before the stop (a stopped tcpdump loses the block the kernel still holds)', () => {
    const span = capturedSpan({ kit: '3', started: '2026-12-05T12:24:45Z', stopped: '2026-12-05T12:24:49Z', late: 'flannel.1 eth0', wrapped: 'cni0' });
    expect(span).toEqual({ fromMs: at('2026-12-05T12:24:46Z'), untilMs: at('2026-12-05T12:24:47Z'), late: ['flannel.1', 'eth0'], wrapped: ['cni0'], counts: new Map() });
    // Interrupted before every tcpdump listened: no start is proven.
    expect(capturedSpan({ kit: '3', started: '', stopped: '2026-12-05T12:24:49Z', late: '' })).toEqual({ fromMs: null, untilMs: at('2026-12-05T12:24:47Z'), late: [], wrapped: [], counts: new Map() });
  });
  it('kit 2, and a manifest without a version: read as they always were, start to a second after the stop', () => {
    for (const kit of ['2', undefined]) {
      const m: Record<string, string> = { started: '2026-12-05T12:24:45Z', stopped: '2026-12-05T12:24:49Z' };
      if (kit) m.kit = kit;
      expect(capturedSpan(m)).toEqual({ fromMs: at('2026-12-05T12:24:45Z'), untilMs: at('2026-12-05T12:24:50Z'), late: [], wrapped: [], counts: new Map() });
    }
    expect(capturedSpan({ kit: '2', started: 'soon', stopped: '' })).toEqual({ fromMs: null, untilMs: null, late: [], wrapped: [], counts: new Map() });
  });
  it('parseNodeState carries it', () => {
    const files: StateFiles = new Map([['manifest.json', JSON.stringify({ kit: 3, node: 'node1', started: '2026-12-05T12:24:45Z', stopped: '2026-12-05T12:24:49Z', late: '' })]]);
    expect(parseNodeState(files).captured.fromMs).toBe(at('2026-12-05T12:24:46Z'));
  });
});

describe('parseTcpdumpCounts: what a tcpdump says when it stops', () => {
  // As the kit's tcpdump on node1's eth0 wrote it on a real kernel: two packets passed the
  // filter that it never wrote (the block the kernel still held when it was stopped).
  const log = 'tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n73 packets captured\n75 packets received by filter\n0 packets dropped by kernel\n';
  it('reads the three counts, also in the singular', () => {
    expect(parseTcpdumpCounts(log)).toEqual({ captured: 73, received: 75, droppedByKernel: 0 });
    expect(parseTcpdumpCounts('1 packet captured\n1 packet received by filter\n1 packet dropped by kernel\n')).toEqual({ captured: 1, received: 1, droppedByKernel: 1 });
  });
  it('is null for a tcpdump that never got to say them (killed, failed, or still listening)', () => {
    expect(parseTcpdumpCounts('tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n')).toBeNull();
    expect(parseTcpdumpCounts('tcpdump: flannel.9: No such device exists\n')).toBeNull();
  });
  it('capturedSpan keeps them by interface, from the state files', () => {
    const files: StateFiles = new Map([['tcpdump-eth0.log', log], ['tcpdump-cni0.log', 'tcpdump: cni0: That device is not up\n'], ['sysctl.txt', '']]);
    expect([...capturedSpan({ kit: '3' }, files).counts]).toEqual([['eth0', { captured: 73, received: 75, droppedByKernel: 0 }]]);
  });
});

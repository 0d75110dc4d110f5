/**
 * Captures from the wild (issue 13, situations 11 and 12): IPv6 pods on flannel VXLAN with the
 * IPv6 failures engineers meet (ip6tables FORWARD DROP, IPv6 forwarding off, ICMPv6 destination
 * unreachable and packet too big, neighbour discovery that nobody answers), and encapsulations
 * beyond VXLAN: FOU and GUE (kube-router's --overlay-encap=fou), GRE with key and sequence
 * numbers, ERSPAN mirror copies arriving at a collector, VXLAN-GPE carrying NSH, GSO and BIG TCP
 * super-packets, and a tunnel no decoder opens (WireGuard).
 *
 * This kernel has no geneve, gre, gretap, erspan, ipip, fou or wireguard module: the tunnel
 * devices are TUN/TAP devices served by scripts/lab/encapnet.py, which writes the headers the
 * kernel would. Each scenario builds its own cluster through `build`; the stories are told
 * through the FieldCtx of field-run.ts, and what happened is measured from the captures.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Lab } from './exec';
import { lanSwitch, plugIntoLan, routesOf } from './plumbing';
import { interest, ping, tcp, udp, type CaptureSpec, type Extra, type FieldCtx, type FieldFlowSpec, type FieldScenarioDef, type Host } from './field';
import { LABNET } from './scenarios';
import { flannelVxlan, pointId, type BuildOptions, type Built, type PointDef, type VxlanPod } from './topologies';
import type { InterfaceInfo, NodeInfo, PodInfo, PointId } from '../../lib/lab/scenario';

/** How commands.txt names the stand-ins; ENCAPNET_PATH is what really runs. */
const ENCAPNET = 'python3 scripts/lab/encapnet.py';
const ENCAPNET_PATH = fileURLToPath(new URL('./encapnet.py', import.meta.url));
/** The interpreter the runner found (BuildOptions.python), remembered from `build` for `run`. */
let python = 'python3';

/** Start a long-running encapnet.py subcommand on `host` and wait for its "ready". */
async function encapStart(lab: Lab, host: string, name: string, args: string): Promise<void> {
  lab.commands.push({ host, command: `${ENCAPNET} ${args} &` });
  await lab.start(host, name, ['sh', '-c', `exec ${python} ${ENCAPNET_PATH} ${args}`], /^ready$/m);
}

/** Run a short encapnet.py subcommand on `host` to its end. */
async function encapOnce(lab: Lab, host: string, args: string): Promise<string> {
  lab.commands.push({ host, command: `${ENCAPNET} ${args}` });
  const r = await lab.run(host, ['sh', '-c', `${python} ${ENCAPNET_PATH} ${args}`]);
  if (r.status !== 0) throw new Error(`[${host}] encapnet.py ${args} failed (exit ${r.status}): ${r.stderr.trim()} ${r.stdout.trim()}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// Names and flows shared by every scenario here.


interface NodeDef {
  name: string;
  ip: string;
  mac: string;
  subnet: string;
  subnet6: string;
  bridgeMac: string;
}

interface PodDef {
  name: string;
  node: string;
  ip: string;
  ip6: string;
  hostIf: string;
  hostMac: string;
  podMac: string;
}

const NODES: NodeDef[] = [
  { name: 'node1', ip: '192.168.0.11', mac: '52:54:00:a8:00:0b', subnet: '10.244.1', subnet6: 'fd00:10:244:1', bridgeMac: '62:4c:f1:9b:41:01' },
  { name: 'node2', ip: '192.168.0.12', mac: '52:54:00:a8:00:0c', subnet: '10.244.2', subnet6: 'fd00:10:244:2', bridgeMac: '62:4c:f1:9b:42:01' },
];

/** The pods of topologies.ts (pod-a, pod-b, pod-c), with an IPv6 address each. */
const PODS: PodDef[] = [
  { name: 'pod-a', node: 'node1', ip: '10.244.1.2', ip6: 'fd00:10:244:1::2', hostIf: 'veth3a1b2c4d', hostMac: 'a6:3e:11:5c:20:01', podMac: '5a:9c:01:f4:01:02' },
  { name: 'pod-b', node: 'node2', ip: '10.244.2.2', ip6: 'fd00:10:244:2::2', hostIf: 'veth7e9d0f12', hostMac: 'a6:3e:11:5c:20:02', podMac: '5a:9c:01:f4:02:02' },
  { name: 'pod-c', node: 'node1', ip: '10.244.1.3', ip6: 'fd00:10:244:1::3', hostIf: 'veth5c1d2e3f', hostMac: 'a6:3e:11:5c:20:03', podMac: '5a:9c:01:f4:01:03' },
];

const POD_C_VXLAN: VxlanPod = { name: 'pod-c', node: 'node1', ip: '10.244.1.3', hostIf: 'veth5c1d2e3f', hostMac: 'a6:3e:11:5c:20:03', podMac: '5a:9c:01:f4:01:03' };

const pod = (name: string): PodDef => PODS.find((p) => p.name === name)!;
const node = (name: string): NodeDef => NODES.find((n) => n.name === name)!;

const V4: Record<string, Host> = Object.fromEntries(PODS.map((p) => [p.name, { host: p.name, ip: p.ip }]));
const V6: Record<string, Host> = Object.fromEntries(PODS.map((p) => [p.name, { host: p.name, ip: p.ip6 }]));

/** The capture points from pod `from` to pod `to`, in order, for a cluster of bridge + overlay device. */
function podPath(from: string, to: string, bridge: string, overlay: (n: string) => string, bridged = true): PointId[] {
  const a = pod(from);
  const b = pod(to);
  if (a.node === b.node) return bridged ? [`${a.node}/${a.hostIf}`, `${a.node}/${bridge}`, `${b.node}/${b.hostIf}`] : [`${a.node}/${a.hostIf}`, `${b.node}/${b.hostIf}`];
  return [`${a.node}/${a.hostIf}`, `${a.node}/${bridge}`, `${a.node}/${overlay(a.node)}`, `${a.node}/eth0`, `${b.node}/eth0`, `${b.node}/${overlay(b.node)}`, `${b.node}/${bridge}`, `${b.node}/${b.hostIf}`];
}

/** Capture specs for every point of `points` (as PointIds), with a role guessed the lab's way. */
function specs(points: PointId[], roles: Record<string, CaptureSpec['role']>, extra: Partial<CaptureSpec> = {}): CaptureSpec[] {
  return points.map((p) => {
    const [n, iface] = p.split('/') as [string, string];
    return { node: n, iface, role: roles[iface] ?? (iface.startsWith('veth') ? 'pod-veth' : iface === 'eth0' ? 'nic' : 'overlay'), ...extra };
  });
}

// ---------------------------------------------------------------------------------------------
// Situation 11: flannel VXLAN (flannel.1 over the IPv4 underlay) with dual-stack pods.

/**
 * flannel VXLAN of topologies.ts, pods pod-a and pod-c on node1, pod-b on node2, and IPv6 on
 * top: every pod gets fd00:10:244:<n>::<x>/64 beside its IPv4 address, cni0 is the IPv6 gateway
 * (::1), and flannel.1 carries IPv6 too, with a /128 on each VTEP and, for the other node's
 * /64, the same kind of route and permanent neighbour entry flanneld writes for IPv4.
 */
function flannelV6Pods(lab: Lab, opts: BuildOptions): Built {
  python = opts.python;
  const built = flannelVxlan(lab, { ...opts, extraPods: [POD_C_VXLAN] });
  const hosts = [...NODES.map((n) => n.name), ...PODS.map((p) => p.name)];
  for (const h of hosts) {
    // Lab.addHost turned IPv6 off everywhere: on again, without DAD delays on the new addresses.
    const devs = lab.sh(h, 'ls /proc/sys/net/ipv6/conf', { record: false }).split('\n').filter((d) => d && d !== 'all' && d !== 'default');
    lab.sh(h, `sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 ${devs.map((d) => `net.ipv6.conf.${d.replace(/\./g, '/')}.accept_dad=0`).join(' ')}`);
    lab.sh(h, 'sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0');
  }
  const vtepMac: Record<string, string> = { node1: '0e:61:06:ff:7a:73', node2: '0a:72:bf:3f:cd:40' };
  for (const n of NODES) {
    lab.script(n.name, [
      'sysctl -w net.ipv6.conf.all.forwarding=1',
      'sysctl -w net.bridge.bridge-nf-call-ip6tables=1',
      `ip -6 addr add ${n.subnet6}::/128 dev flannel.1 nodad`,
      `ip -6 addr add ${n.subnet6}::1/64 dev cni0 nodad`,
    ]);
    for (const peer of NODES.filter((x) => x !== n)) {
      lab.script(n.name, [
        `ip -6 route add ${peer.subnet6}::/64 via ${peer.subnet6}:: dev flannel.1 onlink`,
        `ip -6 neigh add ${peer.subnet6}:: lladdr ${vtepMac[peer.name]} dev flannel.1 nud permanent`,
      ]);
    }
  }
  for (const p of PODS) {
    lab.script(p.name, [`ip -6 addr add ${p.ip6}/64 dev eth0 nodad`, `ip -6 route add default via ${node(p.node).subnet6}::1`]);
  }
  for (const n of built.topology.nodes) {
    const def = node(n.name);
    for (const i of n.interfaces) {
      if (i.name === 'flannel.1') i.addresses = [...(i.addresses ?? []), `${def.subnet6}::/128`];
      if (i.name === 'cni0') i.addresses = [...(i.addresses ?? []), `${def.subnet6}::1/64`];
    }
    n.routes = routesOf(lab, n.name, true);
  }
  return { ...built, cni: 'flannel-vxlan-ipv6-pods' };
}

const FLANNEL_ROLES: Record<string, CaptureSpec['role']> = { cni0: 'bridge', 'flannel.1': 'overlay', eth0: 'nic' };
const flannelPath = (from: string, to: string, bridged = true): PointId[] => podPath(from, to, 'cni0', () => 'flannel.1', bridged);
const AB = flannelPath('pod-a', 'pod-b');

/**
 * Every pod serves HTTP on 80 and 8080 over both families (labnet.py serve --ipv6) and DNS on 53
 * over both (encapnet.py dns: labnet.py's UDP listener is IPv4 only).
 */
async function dualStackServers(ctx: FieldCtx, names: string[], responseBytes = 64): Promise<void> {
  for (const n of names) {
    const p = pod(n);
    await ctx.start(p.name, 'server', `${LABNET} serve --tcp 80 --tcp 8080 --answer ${p.ip} --response-bytes ${responseBytes} --ipv6`);
    await encapStart(ctx.lab, p.name, 'dns', `dns --port 53 --ipv4 --answer ${p.ip} --answer ${p.ip6}`);
  }
}

const V6_NOTES = [
  'The pods are dual stack: pod-a 10.244.1.2 and fd00:10:244:1::2, pod-c 10.244.1.3 and fd00:10:244:1::3 (node1), pod-b 10.244.2.2 and fd00:10:244:2::2 (node2). cni0 is the gateway of both families (10.244.<n>.1, fd00:10:244:<n>::1).',
  'flannel.1 (VXLAN VNI 1, UDP 8472, IPv4 underlay 192.168.0.0/24) carries both families: each VTEP has fd00:10:244:<n>::/128 beside 10.244.<n>.0/32, and each node routes the other\'s /64 via that address onlink with a permanent neighbour entry for the remote VTEP MAC, as flanneld does for IPv4. flannel itself puts IPv6 on flannel-v6.1 over an IPv6 underlay (see the flannel-dualstack scenarios); IPv6 pods over an IPv4 underlay is what Cilium\'s and Kube-OVN\'s tunnels do.',
  'IPv6 brings its own background on every link: neighbour solicitations and advertisements (the pods resolving fd00:10:244:<n>::1, the nodes resolving the pods) and MLD reports; none of it is a flow.',
];

const V6_BUILD = (lab: Lab, opts: BuildOptions): Built => flannelV6Pods(lab, opts);

const ipv6ForwardDrop: FieldScenarioDef = {
  name: 'ipv6-pods-ip6tables-forward-drop',
  id: 'w6fd',
  title: 'IPv6 pods on flannel VXLAN: ip6tables FORWARD policy DROP on node2; IPv4 between the same pods works',
  summary: 'pod-a and pod-b are dual stack; flannel.1 carries both families over the IPv4 underlay. node2\'s ip6tables FORWARD policy is DROP (Docker sets it once it manages ip6tables), while its iptables FORWARD accepts: pod-a\'s ping, HTTP and DNS to pod-b over IPv6 reach node2 flannel.1 and never cni0, while the same three over IPv4, IPv6 between pods of node1 and node2\'s own IPv6 probe of pod-b work.',
  reportedAs: 'Seeds 000/002 (FORWARD policy DROP) on the IPv6 family only: one family broken, the other healthy; DOMAIN.md: a FORWARD DROP and forwarding off look identical.',
  notes: [
    ...V6_NOTES,
    'The fault: `ip6tables -P FORWARD DROP` on node2. iptables (IPv4) is untouched.',
    'node2\'s probe of pod-b leaves node2 itself (OUTPUT), so the FORWARD policy does not stop it.',
  ],
  build: V6_BUILD,
  async run(ctx) {
    await dualStackServers(ctx, ['pod-a', 'pod-b', 'pod-c']);
    await ctx.sleep(1200);
    for (const c of specs(AB, FLANNEL_ROLES)) await ctx.capture(c);
    await ctx.sleep(300);
    ctx.fault({ kind: 'forward-policy-drop', description: 'ip6tables FORWARD policy DROP on node2 (IPv6 only)', node: 'node2', commands: [{ host: 'node2', command: 'ip6tables -P FORWARD DROP' }] });
    const v = interest('requests reach node2 flannel.1 and never cni0: node2 does not forward IPv6 (ip6tables FORWARD policy DROP, or net.ipv6.conf.all.forwarding=0); nothing comes back; IPv4 between the same pods works');
    const a = V6['pod-a']!;
    const b = V6['pod-b']!;
    await ctx.flow(ping('ping6', a, b, 0x6a01, AB, v));
    await ctx.flow(tcp('http6', a, b, 80, 46601, AB, v));
    await ctx.flow(udp('dns6', a, b, 53, 46602, 0x6a53, AB, v));
    await ctx.flow(ping('ping4', V4['pod-a']!, V4['pod-b']!, 0x6a11, AB));
    await ctx.flow(tcp('http4', V4['pod-a']!, V4['pod-b']!, 80, 46611, AB));
    await ctx.flow(udp('dns4', V4['pod-a']!, V4['pod-b']!, 53, 46612, 0x6a54, AB));
    await ctx.flow(ping('ping6-same-node', a, V6['pod-c']!, 0x6a21, flannelPath('pod-a', 'pod-c')));
    await ctx.flow({
      ...tcp('probe6-pod-b', { host: 'node2', ip: 'fd00:10:244:2::1' }, b, 8080, 46621, ['node2/cni0', 'node2/veth7e9d0f12']),
      description: 'node2 probes pod-b [fd00:10:244:2::2]:8080 over IPv6 (a kubelet readiness probe, from cni0\'s address)',
    });
    await ctx.sleep(1000);
  },
};

const ipv6ForwardingOff: FieldScenarioDef = {
  name: 'ipv6-pods-forwarding-off',
  id: 'w6fo',
  title: 'IPv6 pods on flannel VXLAN: net.ipv6.conf.all.forwarding=0 on node1; IPv4 and bridged IPv6 work',
  summary: 'node1\'s IPv6 forwarding was reset to 0 (a network restart, as in the Calico ip_forward incident, here for IPv6). pod-a\'s IPv6 ping and HTTP to pod-b reach node1 cni0 and never flannel.1; pod-b\'s IPv6 ping to pod-a crosses the tunnel and dies on node1 after flannel.1. IPv4 between the same pods, IPv6 between pod-a and pod-c (bridged inside cni0, not routed) and node1\'s IPv6 probe of pod-a work.',
  reportedAs: 'Seed 004 (forwarding reset to 0 by `systemctl restart network`) for IPv6; DOMAIN.md: forwarding off and a FORWARD DROP look the same in captures.',
  notes: [
    ...V6_NOTES,
    'The fault: `sysctl -w net.ipv6.conf.all.forwarding=0` on node1 (it also sets every interface\'s forwarding to 0). IPv4\'s net.ipv4.ip_forward stays 1.',
    'Two flows of interest stop on the same node at two different points: pod-a → pod-b after node1 cni0 (node1 does not route it to flannel.1), pod-b → pod-a after node1 flannel.1 (node1 does not route it to cni0).',
    'pod-a → pod-c over IPv6 is bridged by cni0 (same /64): forwarding does not apply to it.',
  ],
  build: V6_BUILD,
  async run(ctx) {
    await dualStackServers(ctx, ['pod-a', 'pod-b', 'pod-c']);
    await ctx.sleep(1200);
    for (const c of specs(AB, FLANNEL_ROLES)) await ctx.capture(c);
    await ctx.sleep(300);
    ctx.fault({ kind: 'ip-forward-off', description: 'net.ipv6.conf.all.forwarding=0 on node1 (IPv4 forwarding still on)', node: 'node1', commands: [{ host: 'node1', command: 'sysctl -w net.ipv6.conf.all.forwarding=0' }] });
    const a = V6['pod-a']!;
    const b = V6['pod-b']!;
    const out = interest('requests reach node1 cni0 and never flannel.1: node1 does not forward IPv6 (net.ipv6.conf.all.forwarding=0, or an ip6tables FORWARD drop); IPv4 between the same pods works');
    await ctx.flow(ping('ping6-a-b', a, b, 0x6b01, AB, out));
    await ctx.flow(tcp('http6-a-b', a, b, 80, 46701, AB, out));
    await ctx.flow(ping('ping6-b-a', b, a, 0x6b02, flannelPath('pod-b', 'pod-a'), interest('requests cross the tunnel and reach node1 flannel.1, never node1 cni0: node1 does not forward IPv6 (net.ipv6.conf.all.forwarding=0)')));
    await ctx.flow(ping('ping4-a-b', V4['pod-a']!, V4['pod-b']!, 0x6b11, AB));
    await ctx.flow(tcp('http4-a-b', V4['pod-a']!, V4['pod-b']!, 80, 46711, AB));
    await ctx.flow(ping('ping6-a-c', a, V6['pod-c']!, 0x6b21, flannelPath('pod-a', 'pod-c')));
    await ctx.flow({
      ...tcp('probe6-pod-a', { host: 'node1', ip: 'fd00:10:244:1::1' }, a, 8080, 46721, ['node1/cni0', 'node1/veth3a1b2c4d']),
      description: 'node1 probes pod-a [fd00:10:244:1::2]:8080 over IPv6 (kubelet readiness probe)',
    });
    await ctx.sleep(1000);
  },
};

const ipv6Unreachable: FieldScenarioDef = {
  name: 'ipv6-pods-icmp6-unreachable',
  id: 'w6un',
  title: 'IPv6 pods on flannel VXLAN: ICMPv6 destination unreachable — administratively prohibited from node2, port unreachable from pod-b',
  summary: 'node2 rejects IPv6 TCP to pod-b:80 with ICMPv6 destination unreachable, code 1 (administratively prohibited), as a NetworkPolicy REJECT does; pod-a\'s DNS query to pod-b:5353 finds nothing listening and pod-b answers with ICMPv6 port unreachable (code 4). IPv6 ping and HTTP to pod-b:8080 and IPv4 HTTP to pod-b:80 work.',
  reportedAs: 'Seed 001: port unreachable while ping works (the app listens elsewhere), and a firewall REJECT; here in ICMPv6.',
  notes: [
    ...V6_NOTES,
    'The fault: `ip6tables -I FORWARD -d fd00:10:244:2::2 -p tcp --dport 80 -j REJECT --reject-with icmp6-adm-prohibited` on node2. Nothing listens on UDP 5353 in pod-b.',
    'The administratively-prohibited error comes from node2 (source fd00:10:244:2::, flannel.1\'s address: the route back to pod-a leaves through it) and crosses the tunnel back; the port unreachable comes from pod-b itself.',
    'Linux turns the first into EACCES on the connecting socket ("Permission denied", a hard error for TCP), the second into ECONNREFUSED on the connected UDP socket.',
  ],
  build: V6_BUILD,
  async run(ctx) {
    await dualStackServers(ctx, ['pod-a', 'pod-b', 'pod-c']);
    await ctx.sleep(1200);
    for (const c of specs(AB, FLANNEL_ROLES)) await ctx.capture(c);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-reject', description: 'node2 rejects IPv6 TCP to pod-b:80 with ICMPv6 administratively prohibited', node: 'node2',
      commands: [{ host: 'node2', command: 'ip6tables -I FORWARD -d fd00:10:244:2::2 -p tcp --dport 80 -j REJECT --reject-with icmp6-adm-prohibited' }],
    });
    const a = V6['pod-a']!;
    const b = V6['pod-b']!;
    await ctx.flow(tcp('http6-80', a, b, 80, 46801, AB, interest('requests reach node2 flannel.1 and never cni0; node2 answers each with ICMPv6 destination unreachable, administratively prohibited (an ip6tables REJECT in FORWARD): the connection fails at once')));
    await ctx.flow(udp('dns6-5353', a, b, 5353, 46802, 0x6c53, AB, interest('the query reaches pod-b, which answers ICMPv6 port unreachable: nothing listens on UDP 5353 in pod-b; the network path works')));
    await ctx.flow(ping('ping6', a, b, 0x6c01, AB));
    await ctx.flow(tcp('http6-8080', a, b, 8080, 46811, AB));
    await ctx.flow(tcp('http4-80', V4['pod-a']!, V4['pod-b']!, 80, 46812, AB));
    await ctx.sleep(1000);
  },
};

const ipv6PacketTooBig: FieldScenarioDef = {
  name: 'ipv6-pods-packet-too-big',
  id: 'w6pt',
  title: 'IPv6 pods with MTU 1500 on flannel VXLAN (flannel.1 1450): ICMPv6 Packet Too Big from both nodes',
  summary: 'The pods and cni0 have MTU 1500, flannel.1 1450. A 4000-byte HTTP response from pod-b to pod-a over IPv6 hits the limit on node2, which answers pod-b\'s first full-sized segment with ICMPv6 Packet Too Big (MTU 1450); pod-b resends smaller and the client gets its answer. Then pod-a pings pod-b with 1452 data bytes (1500-byte packets): node1 drops the first with Packet Too Big to pod-a; pod-a fragments the next two, which are answered. Small IPv6 and IPv4 traffic works.',
  reportedAs: 'Seed 001: large packets lost (MTU of docker/CNI/NIC, `ping -s`); DOMAIN.md: MTU. IPv6 never fragments on the way: every router that cannot forward a packet answers Packet Too Big.',
  notes: [
    ...V6_NOTES,
    'The fault, set after the captures started: the pods\' veths, their eth0 and cni0 at MTU 1500 on both nodes, flannel.1 1450 (as when the CNI config forgets the overlay\'s 50 bytes). IPv6 routers never fragment: node2 and node1 each send ICMPv6 type 2 (Packet Too Big, MTU 1450) from their cni0 address.',
    'Each pod caches the path MTU per destination: pod-b learns 1450 from the HTTP flow and fragments its echo replies from the start; the ping\'s Packet Too Big goes to pod-a only.',
    'iputils ping over IPv6 fragments at the source once it knows the path MTU (IPV6_PMTUDISC_WANT): after the first Packet Too Big, pod-a\'s echo requests leave as two fragments. seenAt counts first fragments (the later fragment has no ICMPv6 header).',
    'The HTTP flow\'s first full-sized segment from pod-b is answered by node2 with Packet Too Big; pod-b lowers its MSS and resends. The client gets its 4000 bytes.',
  ],
  build: V6_BUILD,
  async run(ctx) {
    await dualStackServers(ctx, ['pod-a', 'pod-b'], 4000);
    await ctx.sleep(1200);
    for (const c of specs(AB, FLANNEL_ROLES)) await ctx.capture(c);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'mtu-mismatch', description: 'pods and cni0 on both nodes use MTU 1500; flannel.1 is 1450 (IPv6: Packet Too Big)', node: 'node1',
      commands: PODS.flatMap((p) => [
        { host: p.node, command: `ip link set ${p.hostIf} mtu 1500` },
        { host: p.name, command: 'ip link set eth0 mtu 1500' },
      ]).concat(NODES.map((n) => ({ host: n.name, command: 'ip link set cni0 mtu 1500' }))),
    });
    const a = V6['pod-a']!;
    const b = V6['pod-b']!;
    // HTTP first: pod-b learns the path MTU from its own Packet Too Big, before the ping.
    await ctx.flow(tcp('http6-4000', a, b, 80, 46901, AB, interest('healthy after path MTU discovery: pod-b\'s first full-sized segment gets ICMPv6 Packet Too Big (MTU 1450) from node2 and is resent smaller; the 4000-byte response arrives')));
    await ctx.flow(ping('ping6-1452', a, b, 0x6d01, AB, {
      size: 1452, count: 3, interval: 0.5,
      ...interest('the first 1500-byte request reaches node1 cni0 and is answered by node1 with ICMPv6 Packet Too Big (MTU 1450); pod-a fragments the next ones, which reach pod-b and are answered (pod-b already fragments its replies to pod-a): the pod MTU (1500) exceeds flannel.1\'s (1450)'),
    }));
    await ctx.flow(ping('ping6-small', a, b, 0x6d11, AB));
    await ctx.flow(ping('ping4-small', V4['pod-a']!, V4['pod-b']!, 0x6d12, AB));
    await ctx.flow(udp('dns6', a, b, 53, 46911, 0x6d53, AB));
    await ctx.sleep(1000);
  },
};

const ipv6NdUnanswered: FieldScenarioDef = {
  name: 'ipv6-pods-nd-unanswered',
  id: 'w6nd',
  title: 'IPv6 pods on flannel VXLAN: pod-b drops all ICMPv6, so node2\'s neighbour solicitations for it go unanswered',
  summary: 'Someone carried the IPv4 habit of blocking ICMP into pod-b\'s ip6tables: `-A INPUT -p ipv6-icmp -j DROP`. Neighbour discovery is ICMPv6, so node2 never learns pod-b\'s MAC: pod-a\'s IPv6 ping and HTTP reach node2 flannel.1, node2 sends neighbour solicitations for fd00:10:244:2::2 on cni0 that nobody answers, and after three of them answers pod-a with ICMPv6 address unreachable. IPv4 between the same pods and IPv6 between pods of node1 work.',
  reportedAs: 'The IPv6 face of "unanswered ARP" (DOMAIN.md background, seed 001 triage): a neighbour that never answers. Blocking all ICMPv6 breaks IPv6 (RFC 4890).',
  notes: [
    ...V6_NOTES,
    'The fault: `ip6tables -A INPUT -p ipv6-icmp -j DROP` inside pod-b. IPv4 ICMP is untouched.',
    'What the wire shows on node2 cni0 and pod-b\'s veth: multicast neighbour solicitations to ff02::1:ff00:2 from node2, one a second, three per attempt, and no advertisement. The queued packets are then answered with ICMPv6 destination unreachable, code 3 (address unreachable), from node2 (RFC 4861 §7.2.2).',
    'The echo requests and SYNs never appear on node2 cni0: they wait in node2\'s neighbour queue and are dropped there.',
  ],
  build: V6_BUILD,
  async run(ctx) {
    await dualStackServers(ctx, ['pod-a', 'pod-b', 'pod-c']);
    await ctx.sleep(1200);
    for (const c of specs(AB, FLANNEL_ROLES)) await ctx.capture(c);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'neighbour-unanswered', description: 'pod-b drops all inbound ICMPv6, neighbour solicitations included', node: 'pod-b',
      commands: [{ host: 'pod-b', command: 'ip6tables -A INPUT -p ipv6-icmp -j DROP' }],
    });
    const a = V6['pod-a']!;
    const b = V6['pod-b']!;
    const v = 'requests reach node2 flannel.1 and never cni0: node2 cannot resolve pod-b\'s address (neighbour solicitations on cni0 go unanswered) and answers with ICMPv6 address unreachable';
    await ctx.flow(ping('ping6', a, b, 0x6e01, AB, { count: 5, interval: 1, ...interest(v) }));
    await ctx.flow(tcp('http6', a, b, 80, 47001, AB, interest(v)));
    await ctx.flow(ping('ping4', V4['pod-a']!, V4['pod-b']!, 0x6e11, AB));
    await ctx.flow(tcp('http4', V4['pod-a']!, V4['pod-b']!, 80, 47011, AB));
    await ctx.flow(ping('ping6-a-c', a, V6['pod-c']!, 0x6e21, flannelPath('pod-a', 'pod-c')));
    await ctx.sleep(1500);
  },
};

// ---------------------------------------------------------------------------------------------
// Situation 12: L3 tunnels between two nodes (TUN stand-ins), pods on a bridge.

interface TunnelNode {
  /** The tunnel device's name on this node. */
  dev: string;
  /** encapnet.py arguments after `--dev NAME` (the routes are added). */
  args: string;
  mtu: number;
  kind: string;
  /** What `ip` command the stand-in stands for, and anything unusual. */
  note: string;
  /** The device's own address, if the CNI gives it one. */
  address?: string;
  /** The route to the other node's pods, as the CNI writes it. */
  route: (peer: NodeDef, self: NodeDef) => string;
  /** encapnet.py subcommand (tunnel, gpe, wg). */
  subcommand: string;
}

interface TunnelCluster {
  cni: Built['cni'];
  bridge: string;
  /** Per node. */
  tunnel: Record<string, TunnelNode>;
  /** A machine on the underlay (a mirror collector). */
  collector?: { name: string; ip: string; mac: string };
  underlay: string;
}

async function tunnelCluster(lab: Lab, opts: BuildOptions, c: TunnelCluster): Promise<Built> {
  python = opts.python;
  lanSwitch(lab);
  for (const n of NODES) lab.addHost(n.name);
  for (const p of PODS) lab.addHost(p.name);
  if (c.collector) {
    lab.addHost(c.collector.name);
    plugIntoLan(lab, c.collector.name, 'eth0', c.collector.mac, `${c.collector.ip}/24`);
  }
  const mtu: Record<string, number> = {};
  for (const n of NODES) {
    const t = c.tunnel[n.name]!;
    mtu[n.name] = t.mtu;
    plugIntoLan(lab, n.name, 'eth0', n.mac, `${n.ip}/24`);
    lab.script(n.name, ['sysctl -w net.ipv4.ip_forward=1', 'sysctl -w net.bridge.bridge-nf-call-iptables=1']);
    const peers = NODES.filter((x) => x !== n);
    await encapStart(lab, n.name, t.dev, `${t.subcommand} --dev ${t.dev} ${t.args} ${peers.map((x) => `--route ${x.subnet}.0/24=${x.ip}`).join(' ')}`);
    lab.script(n.name, [
      `ip link set ${t.dev} mtu ${t.mtu} up`,
      ...(t.address ? [`ip addr add ${t.address} dev ${t.dev}`] : []),
      ...peers.map((x) => t.route(x, n)),
      `ip link add ${c.bridge} address ${n.bridgeMac} type bridge`,
      `ip link set ${c.bridge} mtu ${t.mtu} up`,
      `ip addr add ${n.subnet}.1/24 dev ${c.bridge}`,
      // The pods' traffic leaving the pod network is masqueraded (none here goes there).
      `iptables -t nat -A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE`,
    ]);
  }
  for (const p of PODS) {
    const m = mtu[p.node]!;
    lab.sh(p.node, `ip link add ${p.hostIf} address ${p.hostMac} type veth peer name eth0 address ${p.podMac} netns ${lab.ns(p.name)}`);
    lab.script(p.node, [`ip link set ${p.hostIf} mtu ${m} up`, `ip link set ${p.hostIf} master ${c.bridge}`]);
    lab.script(p.name, [`ip link set eth0 mtu ${m} up`, `ip addr add ${p.ip}/24 dev eth0`, `ip route add default via ${node(p.node).subnet}.1`]);
  }
  const nodes: NodeInfo[] = NODES.map((n) => {
    const t = c.tunnel[n.name]!;
    const ifs: InterfaceInfo[] = [
      { name: 'eth0', kind: 'veth', addresses: [`${n.ip}/24`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      { name: t.dev, kind: t.kind, ...(t.address ? { addresses: [t.address] } : {}), mtu: t.mtu, note: t.note },
      { name: c.bridge, kind: 'bridge', addresses: [`${n.subnet}.1/24`], mtu: t.mtu, mac: n.bridgeMac, note: 'the pods\' gateway (bridge plugin)' },
      ...PODS.filter((p) => p.node === n.name).map((p) => ({ name: p.hostIf, kind: 'veth', mtu: t.mtu, mac: p.hostMac, note: `host end of ${p.name}'s eth0, port of ${c.bridge}` })),
    ];
    return { name: n.name, underlayIp: n.ip, podCidr: `${n.subnet}.0/24`, interfaces: ifs, routes: routesOf(lab, n.name) };
  });
  const pods: PodInfo[] = PODS.map((p) => ({ name: p.name, node: p.node, ip: p.ip, hostInterface: p.hostIf, gateway: `${node(p.node).subnet}.1`, mtu: mtu[p.node]! }));
  const ab = podPath('pod-a', 'pod-b', c.bridge, (n) => c.tunnel[n]!.dev);
  const points: PointDef[] = ab.map((id) => {
    const [n, iface] = id.split('/') as [string, string];
    return { node: n, iface, role: iface === c.bridge ? 'bridge' : iface === 'eth0' ? 'nic' : iface.startsWith('veth') ? 'pod-veth' : 'overlay' };
  });
  return {
    cni: c.cni,
    topology: {
      nodes, pods, services: [], underlay: c.underlay,
      outside: c.collector ? [{ name: c.collector.name, ip: c.collector.ip, note: 'a traffic collector on the nodes\' switch: receives mirror sessions (an IDS, a Wireshark host)' }] : [],
    },
    points,
    podToPod: ab,
    podA: { host: 'pod-a', ip: pod('pod-a').ip },
    podB: { host: 'pod-b', ip: pod('pod-b').ip },
    pods: Object.fromEntries(PODS.map((p) => [p.name, { host: p.name, ip: p.ip, node: p.node, hostIf: p.hostIf }])),
  };
}

async function podServers(ctx: FieldCtx, names: string[], responseBytes = 64): Promise<void> {
  for (const n of names) {
    const p = pod(n);
    await ctx.serve(p.name, { tcp: [80, 8080], udp: [53], answer: p.ip, responseBytes });
  }
}

function tunnelRoles(bridge: string): Record<string, CaptureSpec['role']> {
  return { [bridge]: 'bridge', eth0: 'nic' };
}

// kube-router names a tunnel after a hash of the peer's address (pkg/tunnels GenerateTunnelName).
function kubeRouterTunnel(peerIp: string): string {
  return `tun-${createHash('sha256').update(peerIp.replace(/[.:]/g, '')).digest('hex').slice(0, 11)}`;
}

// --- e. FOU: `ip fou add port 5555 ipproto 4` and ipip devices with `encap fou`.

const FOU_NODE = (n: string): TunnelNode => ({
  dev: 'tun1',
  subcommand: 'tunnel',
  args: '--mode fou --port 5555 --ttl 225 --pmtudisc',
  mtu: 1472,
  kind: 'tun',
  note: `stand-in for \`ip fou add port 5555 ipproto 4\` and \`ip link add name tun1 type ipip remote ${NODES.find((x) => x.name !== n)!.ip} local ${node(n).ip} ttl 225 encap fou encap-sport auto encap-dport 5555\` (this kernel has no fou or ipip module): a TUN device (link type raw IP, as an ipip device) whose packets leave as bare IPv4 in UDP 5555, source port a hash of the inner flow, checksum 0, TTL 225, DF set; MTU 1500 − 20 − 8`,
  route: (peer, self) => `ip route add ${peer.subnet}.0/24 dev tun1 src ${self.ip}`,
});

const fouForwardDrop: FieldScenarioDef = {
  name: 'fou-forward-drop',
  id: 'wfou',
  title: 'Foo-over-UDP (UDP 5555, bare IPv4) between two nodes; node2 forwards only what its own pods started',
  summary: 'The nodes reach each other\'s pods through ipip devices with `encap fou` (UDP 5555 carrying bare IPv4, as on clouds that filter IP protocol 4). node2\'s FORWARD policy is DROP with Docker\'s two rules: accept what leaves cni0 and what is ESTABLISHED. pod-a\'s ping, HTTP and DNS to pod-b reach node2 tun1 decapsulated and stop; pod-b\'s own ping and HTTP to pod-a work (their replies are ESTABLISHED), and so do pod-a → pod-c and node2\'s probe of pod-b.',
  reportedAs: 'Seeds 000/002 (FORWARD policy DROP, "accept flannel.1 traffic in DOCKER-USER") on a FOU tunnel; DOMAIN.md: requests reach the overlay device and never the bridge.',
  notes: [
    'tun1 is a TUN device served by `encapnet.py tunnel --mode fou` (no fou or ipip module on this kernel); its capture has link type raw IP, as an ipip device\'s has. On eth0 the packets are UDP 5555 whose payload is the inner IPv4 packet itself, with no header between.',
    'The fault: `iptables -P FORWARD DROP`, `iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `iptables -A FORWARD -i cni0 -j ACCEPT` on node2: new connections arriving from tun1 match nothing.',
    'pod-b → pod-a works both ways: pod-b\'s requests leave through cni0 (accepted) and pod-a\'s replies come back ESTABLISHED.',
  ],
  build: (lab, opts) => tunnelCluster(lab, opts, {
    cni: 'fou-ipip', bridge: 'cni0', tunnel: { node1: FOU_NODE('node1'), node2: FOU_NODE('node2') },
    underlay: 'node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), 192.168.0.0/24; pod traffic between the nodes in FOU, UDP 5555',
  }),
  async run(ctx) {
    await podServers(ctx, ['pod-a', 'pod-b', 'pod-c']);
    await ctx.sleep(1200);
    const path = (f: string, t: string, br = true): PointId[] => podPath(f, t, 'cni0', () => 'tun1', br);
    const ab = path('pod-a', 'pod-b');
    for (const c of specs(ab, tunnelRoles('cni0'))) await ctx.capture(c);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'forward-policy-drop', description: 'node2 FORWARD policy DROP; only traffic from cni0 and ESTABLISHED traffic accepted', node: 'node2',
      commands: [
        { host: 'node2', command: 'iptables -P FORWARD DROP' },
        { host: 'node2', command: 'iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT' },
        { host: 'node2', command: 'iptables -A FORWARD -i cni0 -j ACCEPT' },
      ],
    });
    const v = interest('requests reach node2 tun1 (FOU decapsulated) and never cni0: node2\'s FORWARD chain drops new connections from the tunnel (policy DROP; only cni0 and ESTABLISHED are accepted); nothing comes back');
    const a = V4['pod-a']!;
    const b = V4['pod-b']!;
    // kubelet probes every pod every few seconds: node2's cni0 and pod-b's veth are busy before the broken flows come.
    await ctx.flow({ ...tcp('probe-pod-b', { host: 'node2', ip: '10.244.2.1' }, b, 8080, 47121, ['node2/cni0', 'node2/veth7e9d0f12']), description: 'node2 probes pod-b:8080 (kubelet readiness probe, from cni0\'s address)' });
    await ctx.flow(ping('ping-a-b', a, b, 0x7001, ab, v));
    await ctx.flow(tcp('http-a-b', a, b, 80, 47101, ab, v));
    await ctx.flow(udp('dns-a-b', a, b, 53, 47102, 0x7053, ab, v));
    await ctx.flow(ping('ping-b-a', b, a, 0x7011, path('pod-b', 'pod-a')));
    await ctx.flow(tcp('http-b-a', b, a, 80, 47111, path('pod-b', 'pod-a')));
    await ctx.flow(ping('ping-a-c', a, V4['pod-c']!, 0x7021, path('pod-a', 'pod-c')));
    await ctx.sleep(1000);
  },
};

// --- e. GUE: kube-router --overlay-encap=fou (GUE) half rolled out.

const GUE_PORT = 6080;
const KR = { node1: kubeRouterTunnel('192.168.0.12'), node2: kubeRouterTunnel('192.168.0.11') };

const gueRollout: FieldScenarioDef = {
  name: 'gue-rollout-port-unreachable',
  id: 'wgue',
  title: 'kube-router half rolled out to --overlay-encap=fou (GUE on UDP 6080): node2 still speaks IP-in-IP and answers ICMP port unreachable',
  summary: 'node1 runs the new kube-router (`--overlay-encap=fou --overlay-encap-port=6080`): its tunnel to node2 sends pod traffic in GUE (variant 0, protocol 4) on UDP 6080. node2 still runs the old one with plain IP-in-IP, and nothing on node2 listens on 6080: every GUE packet is answered with ICMP port unreachable from 192.168.0.12. pod-a → pod-b dies at node2 eth0; pod-b → pod-a reaches pod-a (IP-in-IP is still accepted by node1\'s tunnel) but the replies go back in GUE and die the same way. Pods on one node still talk.',
  reportedAs: 'kube-router\'s docs/tunnels.md, "Changing Between Tunnel Types in a Live Cluster": during the rollout, nodes with different encapsulations drop pod-to-pod traffic between them.',
  notes: [
    `The tunnels are named as kube-router names them, "tun-" and 11 hex digits of the SHA-256 of the peer's address without dots: ${KR.node1} on node1 (to 192.168.0.12), ${KR.node2} on node2 (to 192.168.0.11). Both are TUN devices served by \`encapnet.py tunnel\` (no fou or ipip module here), link type raw IP.`,
    `node1 stands for \`ip fou add port ${GUE_PORT} gue\` and \`ip link add name ${KR.node1} type ipip remote 192.168.0.12 local 192.168.0.11 ttl 225 encap gue encap-sport auto encap-dport ${GUE_PORT} mode ipip\`: outer TTL 225, DF set, UDP source port a hash of the inner flow, checksum 0, a 4-byte GUE header (variant 0, C 0, Hlen 0, Proto/ctype 4, flags 0). An ipip device with GUE encapsulation still accepts plain IP-in-IP.`,
    `node2 stands for \`ip tunnel add ${KR.node2} mode ipip local 192.168.0.12 remote 192.168.0.11\`: IPv4 protocol 4, TTL inherited from the inner packet.`,
    'The ICMP port unreachable errors are node2\'s kernel\'s own (no socket on UDP 6080), sent from 192.168.0.12 to 192.168.0.11 and quoting the GUE packet; Linux rate-limits them (one per second per destination, icmp_ratelimit), so not every lost packet gets one.',
  ],
  build: (lab, opts) => tunnelCluster(lab, opts, {
    cni: 'kube-router-gue', bridge: 'kube-bridge',
    tunnel: {
      // Before the rollout: IP-in-IP, as node2 still has it. run() recreates it with GUE.
      node1: {
        dev: KR.node1, subcommand: 'tunnel', args: '--mode ipip', mtu: 1480, kind: 'tun',
        note: `stand-in for kube-router's FoU tunnel after the rollout: \`ip fou add port ${GUE_PORT} gue\`, \`ip link add name ${KR.node1} type ipip remote 192.168.0.12 local 192.168.0.11 ttl 225 encap gue encap-sport auto encap-dport ${GUE_PORT} mode ipip\`; a TUN device (raw IP); MTU 1480 as kube-router set it for IP-in-IP before the change (GUE needs 12 bytes more)`,
        route: (peer, self) => `ip route add ${peer.subnet}.0/24 dev ${KR.node1} proto 17 src ${self.ip}`,
      },
      node2: {
        dev: KR.node2, subcommand: 'tunnel', args: '--mode ipip', mtu: 1480, kind: 'tun',
        note: `stand-in for kube-router's IP-in-IP tunnel: \`ip tunnel add ${KR.node2} mode ipip local 192.168.0.12 remote 192.168.0.11\`; a TUN device (raw IP), TTL inherited, MTU 1480`,
        route: (peer, self) => `ip route add ${peer.subnet}.0/24 dev ${KR.node2} proto 17 src ${self.ip}`,
      },
    },
    underlay: 'node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), 192.168.0.0/24',
  }),
  async run(ctx) {
    await podServers(ctx, ['pod-a', 'pod-b', 'pod-c']);
    await ctx.sleep(1200);
    const path = (f: string, t: string, br = true): PointId[] => podPath(f, t, 'kube-bridge', (n) => KR[n as 'node1' | 'node2'], br);
    const ab = path('pod-a', 'pod-b');
    // The rollout reaches node1: kube-router deletes its IP-in-IP tunnel and creates a GUE one of
    // the same name (linux_tunnels.go: "found existing ipip tunnels in place, cleaning up").
    await ctx.lab.stopAll((bg) => bg.host === 'node1' && bg.name === KR.node1);
    ctx.lab.commands.push({ host: 'node1', command: `ip link del ${KR.node1}  # kube-router restarted with --overlay-encap=fou --overlay-encap-port=${GUE_PORT}` });
    await encapStart(ctx.lab, 'node1', KR.node1, `tunnel --dev ${KR.node1} --mode gue --port ${GUE_PORT} --ttl 225 --pmtudisc --route 10.244.2.0/24=192.168.0.12`);
    ctx.fault({
      kind: 'encapsulation-mismatch', description: `node1's tunnel now sends GUE on UDP ${GUE_PORT} (kube-router --overlay-encap=fou); node2 still runs IP-in-IP and has no GUE port`, node: 'node1',
      commands: [
        { host: 'node1', command: `ip link set ${KR.node1} mtu 1480 up` },
        { host: 'node1', command: `ip route add 10.244.2.0/24 dev ${KR.node1} proto 17 src 192.168.0.11` },
      ],
    });
    for (const c of specs(ab, tunnelRoles('kube-bridge'))) await ctx.capture(c);
    await ctx.sleep(300);
    const a = V4['pod-a']!;
    const b = V4['pod-b']!;
    const probe = (id: string, port: number): FieldFlowSpec => ({
      ...tcp(id, { host: 'node2', ip: '10.244.2.1' }, b, 8080, port, ['node2/kube-bridge', 'node2/veth7e9d0f12']),
      description: 'node2 probes pod-b:8080 (kubelet readiness probe, from kube-bridge\'s address)',
    });
    await ctx.flow(probe('probe-pod-b-1', 47231));
    // pod-b's own pings to pod-a run all along (as a busy node's traffic does): node2's tunnel device
    // carries them out before, during and after the broken flows.
    const pingBA = ctx.flowInBackground(ping('ping-b-a', b, a, 0x7111, path('pod-b', 'pod-a'), { count: 6, interval: 1.1, ...interest('requests reach pod-a (node2 sends IP-in-IP, which node1\'s tunnel accepts); the replies leave node1 in GUE and stop at node2 eth0 with ICMP port unreachable') }));
    await ctx.flow(ping('ping-a-b', a, b, 0x7101, ab, interest('requests reach node2 eth0 in GUE (UDP 6080) and never node2\'s tunnel device: node2 has no GUE port and answers ICMP port unreachable (UDP 6080) to node1; the nodes disagree on the encapsulation')));
    await ctx.flow(tcp('http-a-b', a, b, 80, 47201, ab, interest('as ping-a-b: SYNs stop at node2 eth0, answered by ICMP port unreachable for UDP 6080')));
    await pingBA;
    await ctx.flow(ping('ping-a-c', a, V4['pod-c']!, 0x7121, path('pod-a', 'pod-c')));
    await ctx.flow(tcp('http-a-c', a, V4['pod-c']!, 80, 47221, path('pod-a', 'pod-c')));
    await ctx.flow(probe('probe-pod-b-2', 47232));
    await ctx.sleep(1000);
  },
};

// --- f. GRE with key and sequence numbers; ERSPAN II and III mirror sessions to a collector.

const GRE_NODE = (n: string): TunnelNode => ({
  dev: 'gre1', subcommand: 'tunnel', args: '--mode gre --key 42 --seq --ttl 64 --pmtudisc', mtu: 1468, kind: 'tun',
  note: `stand-in for \`ip link add gre1 type gre local ${node(n).ip} remote ${NODES.find((x) => x.name !== n)!.ip} key 42 oseq iseq ttl 64\` (this kernel has no ip_gre module): a TUN device (raw IP, as an L3 gre device) whose packets leave as IPv4 protocol 47 with a GRE header carrying K and S (key 42, sequence numbers from 0); MTU 1500 − 20 − 12`,
  route: (peer) => `ip route add ${peer.subnet}.0/24 dev gre1`,
});

const COLLECTOR = { name: 'collector', ip: '192.168.0.60', mac: '52:54:00:a8:00:3c' };

const greErspan: FieldScenarioDef = {
  name: 'gre-key-seq-erspan-mirror',
  id: 'wgre',
  title: 'GRE with key and sequence numbers between two nodes; pod-a\'s and pod-b\'s traffic mirrored to a collector in ERSPAN II and III; node2 rejects pod-b:8080 with a TCP reset',
  summary: 'Pod traffic between the nodes rides in GRE (IP protocol 47, key 42, sequence numbers). A mirror session on node1 copies every frame of pod-a\'s veth to a collector in ERSPAN type II (session 10, index 3); one on node2 copies pod-b\'s veth in ERSPAN type III (session 11, hardware id 5, direction bit set). The collector\'s eth0 and its erspan1 device are capture points: they hold copies, not forwarded packets. node2 rejects TCP to pod-b:8080 with a reset (a NetworkPolicy REJECT); ping, HTTP on 80 and DNS work.',
  reportedAs: 'Captures of mirrored traffic (port mirroring, ERSPAN to an IDS or a Wireshark host) arrive this way; seed 001: port unreachable while ping works (here a TCP reset from the node, not the pod).',
  notes: [
    'gre1 on each node is a TUN device served by `encapnet.py tunnel --mode gre --key 42 --seq` (no gre module). GRE header: flags 0x3000 (K, S), protocol 0x0800, key 42, then the sequence number, one counter per direction starting at 0.',
    'The mirror sessions stand for `ip link add erspan1 type erspan local <node> remote 192.168.0.60 seq key <session> erspan_ver 1 erspan 3` (node1) and `… erspan_ver 2 erspan_dir … erspan_hwid 5` (node2) with `tc filter add dev <veth> ingress/egress matchall action mirred egress mirror dev erspan1`; served by `encapnet.py erspan`, which copies both directions of the veth. GRE flags 0x1000 (S only), protocol 0x88BE (type II) or 0x22EB (type III); type III carries a timestamp in 100 µs units, P set, FT 0 (Ethernet), D 1 for frames leaving the veth toward the pod.',
    'The collector receives the copies with `encapnet.py collector` (a raw GRE socket, so its kernel answers no protocol unreachable) and writes the mirrored frames to the TAP device erspan1, which shows them as Ethernet frames, as a Linux erspan device on the collector would.',
    'Ground truth counts the mirrored copies as sightings of the flows at collector/eth0 and collector/erspan1 (off the flows\' paths): they are copies of what crossed pod-a\'s and pod-b\'s veths, and say nothing about the collector being on the path.',
    'The fault: `iptables -I FORWARD -d 10.244.2.2 -p tcp --dport 8080 -j REJECT --reject-with tcp-reset` on node2: the reset carries pod-b\'s address but is sent by node2; pod-b\'s veth (and its mirror) never see the SYN.',
  ],
  build: async (lab, opts) => {
    const built = await tunnelCluster(lab, opts, {
      cni: 'gre', bridge: 'cni0', tunnel: { node1: GRE_NODE('node1'), node2: GRE_NODE('node2') }, collector: COLLECTOR,
      underlay: 'node1 eth0, node2 eth0 and the collector on one switch (a bridge in its own namespace), 192.168.0.0/24; pod traffic between the nodes in GRE, mirror copies to the collector in ERSPAN over GRE',
    });
    built.points.push({ node: 'collector', iface: 'eth0', role: 'host' }, { node: 'collector', iface: 'erspan1', role: 'host' });
    return built;
  },
  async run(ctx) {
    await podServers(ctx, ['pod-a', 'pod-b']);
    ctx.sh('collector', 'sysctl -w net.ipv4.conf.all.rp_filter=0');
    await encapStart(ctx.lab, 'collector', 'collector', 'collector --dev erspan1');
    ctx.sh('collector', 'ip link set erspan1 address 02:00:c0:a8:00:3c mtu 1500 up');
    await encapStart(ctx.lab, 'node1', 'erspan', 'erspan --dev veth3a1b2c4d --collector 192.168.0.60 --version 1 --session 10 --index 3');
    await encapStart(ctx.lab, 'node2', 'erspan', 'erspan --dev veth7e9d0f12 --collector 192.168.0.60 --version 2 --session 11 --hwid 5');
    await ctx.sleep(1200);
    const ab = podPath('pod-a', 'pod-b', 'cni0', () => 'gre1');
    for (const c of specs(ab, tunnelRoles('cni0'))) await ctx.capture(c);
    await ctx.capture({ node: 'collector', iface: 'eth0', role: 'host' });
    await ctx.capture({ node: 'collector', iface: 'erspan1', role: 'host' });
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-reject', description: 'node2 rejects TCP to pod-b:8080 with a TCP reset', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -d 10.244.2.2 -p tcp --dport 8080 -j REJECT --reject-with tcp-reset' }],
    });
    const a = V4['pod-a']!;
    const b = V4['pod-b']!;
    await ctx.flow(ping('ping', a, b, 0x7201, ab, interest('healthy: GRE key 42 carries requests and replies; mirror copies of both appear at the collector (ERSPAN II from node1, III from node2)')));
    await ctx.flow(tcp('http-8080', a, b, 8080, 47301, ab, interest('the SYN reaches node2 gre1 and never cni0; node2 answers with a TCP reset in pod-b\'s name (an iptables REJECT --reject-with tcp-reset in FORWARD): connection refused. The collector\'s copies show the SYN leaving pod-a and the reset arriving, and nothing on pod-b\'s veth')));
    await ctx.flow(tcp('http-80', a, b, 80, 47311, ab));
    await ctx.flow(udp('dns', a, b, 53, 47312, 0x7253, ab));
    await ctx.sleep(1000);
  },
};

// --- g. VXLAN-GPE carrying NSH.

const GPE_NODE = (n: string): TunnelNode => ({
  dev: 'vxlan_sys_4790', subcommand: 'gpe', args: `--local ${node(n).ip} --vni 7 --tenant 0x2a --spi-from 10.244.1.0/24=100 --spi-from 10.244.2.0/24=200`, mtu: 1440, kind: 'tun',
  note: 'stand-in for a VXLAN-GPE tunnel port (OVS names its kernel device vxlan_sys_4790) with an NSH classifier and forwarder (this kernel has no NSH-capable path without OVS): a TUN device (raw IP) whose packets leave in UDP 4790, VXLAN-GPE (flags I and P, VNI 7, Next Protocol 4 NSH), NSH MD type 1 (TTL 63, SPI 100 for node1\'s pods, 200 for node2\'s, SI 255, context: tenant 42 and the classifier\'s address), then the IPv4 packet; MTU 1500 − 20 − 8 − 8 − 24',
  route: (peer) => `ip route add ${peer.subnet}.0/24 dev vxlan_sys_4790`,
});

const gpeNsh: FieldScenarioDef = {
  name: 'vxlan-gpe-nsh-healthy',
  id: 'wgpe',
  title: 'VXLAN-GPE (UDP 4790) carrying NSH (MD type 1) carrying pod traffic between two nodes; healthy',
  summary: 'A service function chain classifier on each node steers pod traffic to the other node in NSH over VXLAN-GPE: VNI 7, Next Protocol NSH; NSH MD type 1 with service path 100 (from node1\'s pods) or 200 (from node2\'s), service index 255. The receiving node is the path\'s last hop and delivers the inner IPv4 packet. Ping, HTTP and DNS between pod-a and pod-b work in both directions.',
  reportedAs: 'Service function chaining deployments (OpenDaylight SFC with OVS, VPP) carry NSH in VXLAN-GPE; DOMAIN.md\'s captures show only VXLAN. A healthy baseline for a decoder that must look past two headers.',
  notes: [
    'vxlan_sys_4790 is a TUN device served by `encapnet.py gpe`: no NSH-capable VXLAN-GPE device without OVS on this kernel. UDP source port: a hash of the inner flow; checksum 0; outer TTL 64, DF clear.',
    'Inner packets are bare IPv4 (NSH Next Protocol 1): no inner Ethernet header, unlike VXLAN.',
  ],
  build: (lab, opts) => tunnelCluster(lab, opts, {
    cni: 'vxlan-gpe-nsh', bridge: 'cni0', tunnel: { node1: GPE_NODE('node1'), node2: GPE_NODE('node2') },
    underlay: 'node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), 192.168.0.0/24; pod traffic between the nodes in NSH over VXLAN-GPE, UDP 4790',
  }),
  async run(ctx) {
    await podServers(ctx, ['pod-a', 'pod-b']);
    await ctx.sleep(1200);
    const path = (f: string, t: string): PointId[] => podPath(f, t, 'cni0', () => 'vxlan_sys_4790');
    const ab = path('pod-a', 'pod-b');
    for (const c of specs(ab, tunnelRoles('cni0'))) await ctx.capture(c);
    await ctx.sleep(300);
    const a = V4['pod-a']!;
    const b = V4['pod-b']!;
    const ok = interest('healthy: requests and replies cross every capture point, in NSH over VXLAN-GPE between the nodes (SPI 100 out, SPI 200 back)');
    await ctx.flow(ping('ping-a-b', a, b, 0x7301, ab, ok));
    await ctx.flow(tcp('http-a-b', a, b, 80, 47401, ab, ok));
    await ctx.flow(udp('dns-a-b', a, b, 53, 47402, 0x7353, ab));
    await ctx.flow(ping('ping-b-a', b, a, 0x7311, path('pod-b', 'pod-a')));
    await ctx.sleep(1000);
  },
};

// --- h. GSO and BIG TCP super-packets.

const BIG_TCP = 185000;
const SUPER_SNAPLEN = 160;

const gsoBigTcp: FieldScenarioDef = {
  name: 'gso-big-tcp-super-packets',
  id: 'wgso',
  title: 'GSO and BIG TCP: IPv4 super-packets with total length 0 and IPv6 jumbograms on the pod veths, 64 KB GSO frames through VXLAN; all healthy',
  summary: 'The pods\' veths allow BIG TCP (gso_max_size and gso_ipv4_max_size 185000, both ends). pod-c sends pod-a 600 KB over IPv4 and over IPv6 inside node1: tcpdump on the veths and cni0 records TCP super-packets of up to ~185 KB — IPv4 with total length 0, IPv6 with payload length 0 and a hop-by-hop Jumbo Payload option. pod-b sends pod-a 200 KB across the nodes: flannel.1 and eth0 show GSO frames up to 64 KB, larger than the 1450/1500-byte MTUs. Every capture keeps 192 bytes per packet. Everything works.',
  reportedAs: 'DOMAIN.md: offloads — captures on the host show TCP segments larger than the MTU (GSO/TSO); Linux GSO/BIG TCP — a captured IPv4 packet over 64 KB carries total length 0; IPv6 uses a hop-by-hop jumbo option.',
  notes: [
    ...V6_NOTES,
    `BIG TCP: \`ip link set dev <veth> gso_max_size ${BIG_TCP} gro_max_size ${BIG_TCP}\` (IPv6) and gso_ipv4_max_size/gro_ipv4_max_size ${BIG_TCP} (IPv4; iproute2 6.1 has no keyword for them, \`encapnet.py bigtcp\` sets them through rtnetlink) on both ends of pod-a's, pod-c's and pod-b's veths.`,
    `Snap length ${SUPER_SNAPLEN} on every point: the records keep the headers (for VXLAN on eth0: 50 bytes of outer headers, inner Ethernet, IPv4 or IPv6 with its hop-by-hop option, TCP) and say how long the packet was (original length).`,
    'On this kernel (6.18) IPv6 BIG TCP packets still carry the hop-by-hop Jumbo Payload option in the capture (payload length 0, jumbo length = the real one); IPv4 ones have total length 0, the length only in the record\'s original length.',
    'Ground truth: largestAt reads the IP header\'s length field, so a super-packet counts as 0 (IPv4) or 40 (IPv6 payload length 0 + 40) there, not as its real size.',
    'node2 answers pod-b\'s first IPv6 jumbogram (payload length 0, Jumbo Payload ~70 KB) with ICMPv6 Packet Too Big, MTU 1450, although its 1378-byte segments make 1450-byte packets: forwarding it, the kernel counts the 8-byte hop-by-hop header that segmentation strips (observed on 6.18). pod-b resends the data in smaller segments; the client gets everything.',
    'Between the nodes the kernel keeps GSO frames below 64 KB: flannel.1 and eth0 show VXLAN packets of tens of kilobytes (UDP tunnel segmentation offload on the veth NIC), never a total length of 0.',
  ],
  build: V6_BUILD,
  async run(ctx) {
    // Both ends of every pod veth: the sender's device decides the size TCP builds.
    for (const p of ['pod-a', 'pod-b', 'pod-c']) {
      const d = pod(p);
      ctx.sh(d.node, `ip link set dev ${d.hostIf} gso_max_size ${BIG_TCP} gro_max_size ${BIG_TCP}`);
      await encapOnce(ctx.lab, d.node, `bigtcp --dev ${d.hostIf} --ipv4 ${BIG_TCP}`);
      ctx.sh(p, `ip link set dev eth0 gso_max_size ${BIG_TCP} gro_max_size ${BIG_TCP}`);
      await encapOnce(ctx.lab, p, `bigtcp --dev eth0 --ipv4 ${BIG_TCP}`);
    }
    await dualStackServers(ctx, ['pod-c'], 600000);
    await dualStackServers(ctx, ['pod-b'], 200000);
    await ctx.sleep(1200);
    const ac = flannelPath('pod-a', 'pod-c');
    const points = [...AB.slice(0, 2), 'node1/veth5c1d2e3f', ...AB.slice(2)];
    for (const c of specs(points, FLANNEL_ROLES, { snaplen: SUPER_SNAPLEN })) await ctx.capture(c);
    await ctx.sleep(300);
    const ok = (what: string): Extra => interest(`healthy: ${what}`);
    await ctx.flow({ ...tcp('http4-600k-same-node', V4['pod-a']!, V4['pod-c']!, 80, 47501, ac, ok('IPv4 super-packets with total length 0 (up to ~185 KB) on the veths and cni0; the 600 KB response arrives')), description: 'pod-a fetches 600 KB from pod-c over IPv4 (same node, through cni0)' });
    await ctx.flow({ ...tcp('http6-600k-same-node', V6['pod-a']!, V6['pod-c']!, 80, 47502, ac, ok('IPv6 jumbograms (payload length 0, hop-by-hop Jumbo Payload) on the veths and cni0; the 600 KB response arrives')), description: 'pod-a fetches 600 KB from pod-c over IPv6 (same node, through cni0)' });
    await ctx.flow({ ...tcp('http4-200k-cross-node', V4['pod-a']!, V4['pod-b']!, 80, 47503, AB, ok('GSO frames larger than the MTU on every point; the 200 KB response arrives')), description: 'pod-a fetches 200 KB from pod-b over IPv4 (across the nodes, VXLAN)' });
    await ctx.flow({
      ...tcp('http6-200k-cross-node', V6['pod-a']!, V6['pod-b']!, 80, 47504, AB, ok('GSO frames larger than the MTU; pod-b\'s first BIG TCP jumbogram (over 64 KB) draws ICMPv6 Packet Too Big (MTU 1450) from node2 although its segments fit, and is resent smaller; the 200 KB response arrives')),
      description: 'pod-a fetches 200 KB from pod-b over IPv6 (across the nodes, VXLAN)',
    });
    await ctx.flow(ping('ping', V4['pod-a']!, V4['pod-b']!, 0x7401, AB));
    await ctx.sleep(1000);
  },
};

// --- i. A tunnel no decoder opens: flannel's WireGuard backend.

const WG_NODE = (n: string): TunnelNode => ({
  dev: 'flannel-wg', subcommand: 'wg', args: '--port 51820', mtu: 1420, kind: 'tun', address: `${node(n).subnet}.0/32`,
  note: 'stand-in for flannel\'s wireguard backend device flannel-wg (listen port 51820; this kernel has no wireguard module): a TUN device (raw IP, as a wireguard device) whose packets leave as WireGuard transport data messages (type 4, receiver index, 64-bit counter, payload padded to 16 bytes, 16-byte tag) in UDP 51820 both ways, after a handshake initiation (148 bytes) and response (92 bytes); the payload is scrambled, not encrypted with ChaCha20-Poly1305; MTU 1420 as flannel sets it',
  route: (peer) => `ip route add ${peer.subnet}.0/24 dev flannel-wg scope link`,
});

const wireguard: FieldScenarioDef = {
  name: 'wireguard-undecoded-healthy',
  id: 'wwg',
  title: 'flannel\'s WireGuard backend (flannel-wg, UDP 51820): pod traffic encrypted between the nodes; all healthy',
  summary: 'Pod traffic between the nodes leaves through flannel-wg and crosses the underlay as WireGuard messages, UDP 51820 both ways: first a handshake (initiation, response), then transport data. Nothing on eth0 can be decoded past the WireGuard header. Ping, HTTP and DNS between pod-a and pod-b work both ways, and pod-a → pod-c on node1 too. The outer conversation 192.168.0.11:51820 ↔ 192.168.0.12:51820 is a tunnel, not a flow that broke.',
  reportedAs: 'DOMAIN.md: flows the analyzer cannot see into must not be reported as broken; flannel\'s, Calico\'s and Cilium\'s encryption modes (flannel-wg, wireguard.cali, cilium_wg0) put pod traffic in WireGuard.',
  notes: [
    'flannel-wg is a TUN device served by `encapnet.py wg`: correct message types and lengths (1: 148 bytes, 2: 92 bytes, 4: 16 + padded payload + 16), little-endian indexes and counters, payloads scrambled with a keyed BLAKE2s stream instead of ChaCha20-Poly1305. The underlay cannot tell the difference.',
    'The flows\' paths leave out node1 eth0 and node2 eth0: their packets are there, encrypted, and ground truth (like any decoder) cannot match them; seenAt holds the veths, cni0 and flannel-wg. The eth0 captures are kept: they hold the WireGuard messages.',
  ],
  build: (lab, opts) => tunnelCluster(lab, opts, {
    cni: 'flannel-wireguard', bridge: 'cni0', tunnel: { node1: WG_NODE('node1'), node2: WG_NODE('node2') },
    underlay: 'node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), 192.168.0.0/24; pod traffic between the nodes in WireGuard, UDP 51820',
  }),
  async run(ctx) {
    await podServers(ctx, ['pod-a', 'pod-b', 'pod-c']);
    await ctx.sleep(1200);
    const full = (f: string, t: string, br = true): PointId[] => podPath(f, t, 'cni0', () => 'flannel-wg', br);
    const path = (f: string, t: string): PointId[] => full(f, t).filter((p) => !p.endsWith('/eth0'));
    for (const c of specs(full('pod-a', 'pod-b'), tunnelRoles('cni0'))) await ctx.capture(c);
    await ctx.sleep(300);
    const a = V4['pod-a']!;
    const b = V4['pod-b']!;
    const ok = interest('healthy: requests and replies cross every capture point; between the nodes they ride in WireGuard (UDP 51820), which no decoder opens — the outer 192.168.0.11:51820 ↔ 192.168.0.12:51820 traffic is the tunnel, not a broken flow');
    await ctx.flow(ping('ping-a-b', a, b, 0x7501, path('pod-a', 'pod-b'), ok));
    await ctx.flow(tcp('http-a-b', a, b, 80, 47601, path('pod-a', 'pod-b'), ok));
    await ctx.flow(udp('dns-a-b', a, b, 53, 47602, 0x7553, path('pod-a', 'pod-b')));
    await ctx.flow(tcp('http-b-a', b, a, 80, 47611, path('pod-b', 'pod-a')));
    await ctx.flow(ping('ping-a-c', a, V4['pod-c']!, 0x7521, full('pod-a', 'pod-c')));
    await ctx.sleep(1000);
  },
};

/**
 * No all-interfaces.pcapng copies: sample-captures/ has a 5 MB budget (lib/lab/samples.test.ts)
 * and these folders would double; the per-point captures hold everything.
 */
export const WILD_SCENARIOS: FieldScenarioDef[] = [
  ipv6ForwardDrop,
  ipv6ForwardingOff,
  ipv6Unreachable,
  ipv6PacketTooBig,
  ipv6NdUnanswered,
  fouForwardDrop,
  gueRollout,
  greErspan,
  gpeNsh,
  gsoBigTcp,
  wireguard,
].map((d) => ({ ...d, pcapng: false }));

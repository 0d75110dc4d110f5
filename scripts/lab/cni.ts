/**
 * Other CNIs, as they really name and shape things (issue 13, situation 10): Calico's VXLAN mode
 * (vxlan.calico, VNI 4096, UDP 4789, routed cali* veths behind proxy ARP), Cilium's tunnels
 * (collect-metadata cilium_vxlan and cilium_geneve whose VNI is the sender's security identity,
 * lxc* veths, cilium_host/cilium_net), Antrea (antrea-gw0, genev_sys_6081, veths named after the
 * pod) and flannel over an IPv6 underlay (flannel-v6.1) beside IPv4 (flannel.1). Each cluster is
 * built by its own `build` hook; the stories are told through the FieldCtx of field-run.ts, and
 * what happened is measured from the captures afterwards.
 *
 * This kernel has no geneve module: the Geneve devices are TAP devices served by `labnet.py
 * geneve`, which sends their frames behind a Geneve header (RFC 8926) in UDP 6081.
 */
import type { Lab } from './exec';
import { enableIpv6, lanSwitch, plugIntoLan, podVeth, routesOf } from './plumbing';
import { interest, ping, tcp, udp, type CaptureSpec, type Extra, type FieldCtx, type FieldFlowSpec, type FieldScenarioDef, type Host } from './field';
import { LABNET } from './scenarios';
import { pointId, type BuildOptions, type Built, type PointDef, type StartFn } from './topologies';
import type { Cni, InterfaceInfo, NodeInfo, PodInfo, PointId } from '../../lib/lab/scenario';

// ---------------------------------------------------------------------------------------------
// The clusters' own definitions (plumbing.ts has the switch, veths and routes).


interface NodeDef {
  name: string;
  ip: string;
  mac: string;
  /** IPv6 underlay address (flannel-v6.1). */
  ip6?: string;
}

interface PodDef {
  name: string;
  node: string;
  ip: string;
  ip6?: string;
  hostIf: string;
  hostMac: string;
  podMac: string;
}






function node(n: NodeDef): Host {
  return { host: n.name, ip: n.ip };
}

// ---------------------------------------------------------------------------------------------
// Flows (the same shapes as field.ts's).







async function captureAll(ctx: FieldCtx, specs: CaptureSpec[]): Promise<void> {
  for (const s of specs) await ctx.capture(s);
}

async function podServers(ctx: FieldCtx, pods: Host[], tcpPorts = [80, 8080], responseBytes = 64): Promise<void> {
  for (const p of pods) await ctx.serve(p.host, { tcp: tcpPorts, udp: [53], answer: p.ip, responseBytes });
}

/**
 * The points a packet crosses from one pod to another on a routed CNI (no bridge): the pod's
 * veth, the overlay device and the NIC on each node; between two pods of one node, the two veths.
 */
function routedPath(pods: PodDef[], overlay: string, from: string, to: string): PointId[] {
  const a = pods.find((p) => p.name === from)!;
  const b = pods.find((p) => p.name === to)!;
  if (a.node === b.node) return [`${a.node}/${a.hostIf}`, `${b.node}/${b.hostIf}`];
  return [`${a.node}/${a.hostIf}`, `${a.node}/${overlay}`, `${a.node}/eth0`, `${b.node}/eth0`, `${b.node}/${overlay}`, `${b.node}/${b.hostIf}`];
}

function routedPoints(a: PodDef, b: PodDef, overlay: string): PointDef[] {
  return [
    { node: a.node, iface: a.hostIf, role: 'pod-veth' },
    { node: a.node, iface: overlay, role: 'overlay' },
    { node: a.node, iface: 'eth0', role: 'nic' },
    { node: b.node, iface: 'eth0', role: 'nic' },
    { node: b.node, iface: overlay, role: 'overlay' },
    { node: b.node, iface: b.hostIf, role: 'pod-veth' },
  ];
}

const asCaptures = (points: PointDef[]): CaptureSpec[] => points.map((p) => ({ node: p.node, iface: p.iface, role: p.role }));

function podInfo(p: PodDef, gateway: string, mtu: number): PodInfo {
  return { name: p.name, node: p.node, ip: p.ip, hostInterface: p.hostIf, gateway, mtu };
}

function builtOf(cni: Cni, nodes: NodeInfo[], pods: PodInfo[], podDefs: PodDef[], points: PointDef[], underlay: string): Built {
  const pa = podDefs.find((p) => p.name === 'pod-a')!;
  const pb = podDefs.find((p) => p.name === 'pod-b')!;
  return {
    cni,
    topology: { nodes, pods, outside: [], services: [], underlay },
    points,
    podToPod: points.map(pointId),
    podA: { host: pa.name, ip: pa.ip },
    podB: { host: pb.name, ip: pb.ip },
    pods: Object.fromEntries(podDefs.map((p) => [p.name, { host: p.name, ip: p.ip, node: p.node, hostIf: p.hostIf }])),
  };
}

function hostsOf(pods: PodDef[]): Record<string, Host> {
  return Object.fromEntries(pods.map((p) => [p.name, { host: p.name, ip: p.ip }]));
}

// ---------------------------------------------------------------------------------------------
// Calico, VXLAN mode: vxlan.calico (VNI 4096, UDP 4789), routed cali* veths, no bridge.

const CALICO = {
  pool: '192.168.0.0/16',
  router: { name: 'gw', ip: '10.10.0.1', mac: '52:54:00:0a:00:01' },
  nodes: [
    { name: 'node1', ip: '10.10.0.11', mac: '52:54:00:0a:00:0b', block: '192.168.219.64/26', vtepIp: '192.168.219.64', vtepMac: '66:d2:1a:6e:4c:0b' },
    { name: 'node2', ip: '10.10.0.12', mac: '52:54:00:0a:00:0c', block: '192.168.84.128/26', vtepIp: '192.168.84.128', vtepMac: '66:4f:93:0e:b7:0c' },
  ],
  pods: [
    { name: 'pod-a', node: 'node1', ip: '192.168.219.71', hostIf: 'cali4f776b42dec', hostMac: 'ee:ee:ee:ee:ee:ee', podMac: '0a:58:c0:a8:db:47' },
    { name: 'pod-c', node: 'node1', ip: '192.168.219.72', hostIf: 'cali0d174fe85d8', hostMac: 'ee:ee:ee:ee:ee:ee', podMac: '0a:58:c0:a8:db:48' },
    { name: 'pod-b', node: 'node2', ip: '192.168.84.135', hostIf: 'calib6b47f611ba', hostMac: 'ee:ee:ee:ee:ee:ee', podMac: '0a:58:c0:a8:54:87' },
    { name: 'pod-d', node: 'node2', ip: '192.168.84.136', hostIf: 'cali59653752d1e', hostMac: 'ee:ee:ee:ee:ee:ee', podMac: '0a:58:c0:a8:54:88' },
  ] as PodDef[],
  mtu: 1450,
  /** Felix's route protocol number (RTPROT 80): `ip route` prints `proto 80`. */
  proto: 80,
};

export function calicoVxlan(lab: Lab): Built {
  lanSwitch(lab);
  lab.addHost(CALICO.router.name);
  for (const n of CALICO.nodes) lab.addHost(n.name);
  for (const p of CALICO.pods) lab.addHost(p.name);
  // The nodes' default gateway: proxy ARP answers for 169.254.1.1 only where the node has a route to it.
  plugIntoLan(lab, CALICO.router.name, 'eth0', CALICO.router.mac, [`${CALICO.router.ip}/24`]);
  for (const n of CALICO.nodes) {
    plugIntoLan(lab, n.name, 'eth0', n.mac, [`${n.ip}/24`]);
    lab.script(n.name, [
      `ip route add default via ${CALICO.router.ip} dev eth0`,
      'sysctl -w net.ipv4.ip_forward=1',
      // Felix's VXLAN device: VNI 4096 on IANA's port, no learning (Felix programs every entry).
      `ip link add vxlan.calico address ${n.vtepMac} type vxlan id 4096 local ${n.ip} dev eth0 dstport 4789 nolearning`,
      `ip link set vxlan.calico mtu ${CALICO.mtu} up`,
      `ip addr add ${n.vtepIp}/32 dev vxlan.calico`,
      // The node's own block: what no workload route claims is dropped (Calico's blackhole route).
      `ip route add blackhole ${n.block} proto ${CALICO.proto}`,
      `iptables -t nat -A POSTROUTING -s ${CALICO.pool} ! -d ${CALICO.pool} -m comment --comment "cali:nat-outgoing" -j MASQUERADE --random-fully`,
    ]);
    // What Felix programs for every other node's block: VTEP neighbour, FDB entry, route.
    for (const peer of CALICO.nodes.filter((x) => x !== n)) {
      lab.script(n.name, [
        `ip neigh add ${peer.vtepIp} lladdr ${peer.vtepMac} dev vxlan.calico nud permanent`,
        `bridge fdb add ${peer.vtepMac} dev vxlan.calico dst ${peer.ip} self permanent`,
        `ip route add ${peer.block} via ${peer.vtepIp} dev vxlan.calico onlink proto ${CALICO.proto}`,
      ]);
    }
  }
  for (const p of CALICO.pods) {
    podVeth(lab, p, CALICO.mtu);
    // Felix's per-interface settings: proxy ARP answers the pod's ARP for 169.254.1.1.
    lab.script(p.node, [
      `sysctl -w net.ipv4.conf.${p.hostIf}.proxy_arp=1 net.ipv4.neigh.${p.hostIf}.proxy_delay=0 net.ipv4.conf.${p.hostIf}.forwarding=1`,
      `ip route add ${p.ip} dev ${p.hostIf} scope link`,
    ]);
    lab.script(p.name, [`ip addr add ${p.ip}/32 dev eth0`, 'ip route add 169.254.1.1 dev eth0 scope link', 'ip route add default via 169.254.1.1 dev eth0']);
  }
  const nodes: NodeInfo[] = CALICO.nodes.map((n) => ({
    name: n.name,
    underlayIp: n.ip,
    podCidr: n.block,
    interfaces: [
      { name: 'eth0', kind: 'veth', addresses: [`${n.ip}/24`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      { name: 'vxlan.calico', kind: 'vxlan', addresses: [`${n.vtepIp}/32`], mtu: CALICO.mtu, mac: n.vtepMac, note: `Felix's VXLAN device: vxlan id 4096 local ${n.ip} dev eth0 dstport 4789 nolearning` },
      ...CALICO.pods
        .filter((p) => p.node === n.name)
        .map((p): InterfaceInfo => ({ name: p.hostIf, kind: 'veth', mtu: CALICO.mtu, mac: p.hostMac, note: `host end of ${p.name}'s eth0: routed, no address, proxy_arp=1 (answers for 169.254.1.1)` })),
    ],
    routes: routesOf(lab, n.name),
  }));
  const pods = CALICO.pods.map((p) => podInfo(p, '169.254.1.1', CALICO.mtu));
  const [pa, , pb] = CALICO.pods;
  return builtOf('calico-vxlan', nodes, pods, CALICO.pods, routedPoints(pa!, pb!, 'vxlan.calico'), `node1, node2 and their default gateway ${CALICO.router.ip} on one switch (a bridge in its own namespace), 10.10.0.0/24`);
}

const CAL = hostsOf(CALICO.pods);
const CAL_NODE = { node1: node(CALICO.nodes[0]!), node2: node(CALICO.nodes[1]!) };
const calPath = (from: string, to: string): PointId[] => routedPath(CALICO.pods, 'vxlan.calico', from, to);
const CAL_POINTS = asCaptures(routedPoints(CALICO.pods[0]!, CALICO.pods[2]!, 'vxlan.calico'));

const calicoHealthy: FieldScenarioDef = {
  name: 'calico-vxlan-healthy',
  id: 'cvxh',
  title: 'Calico VXLAN (vxlan.calico, VNI 4096, UDP 4789, routed cali* veths, proxy ARP for 169.254.1.1): every flow works',
  summary: 'Four pods on two nodes of a Calico cluster in VXLAN mode. Pods reach each other across vxlan.calico (VNI 4096, UDP 4789) and on the same node through two routed cali* veths (no bridge); the pods\' gateway 169.254.1.1 exists only as proxy ARP on the cali* veths. A kubelet-like probe from node1 and a pod calling the other node (masqueraded by natOutgoing) work too. Nothing is broken.',
  reportedAs: 'DOMAIN.md: Calico VXLAN — vxlan.calico, VNI 4096, UDP 4789, routed cali* veths, gateway 169.254.1.1 by proxy ARP, no bridge. Seed 004 (Calico\'s routed veths).',
  notes: [
    'No bridge: each pod\'s host-side cali* veth has no address and MAC ee:ee:ee:ee:ee:ee; the node routes every pod as a /32 (`ip route add <pod> dev cali… scope link`) and answers the pod\'s ARP for 169.254.1.1 by proxy ARP.',
    'Between nodes: `<block> via <peer tunnel address> dev vxlan.calico onlink proto 80` with a permanent neighbour entry and an FDB entry, as Felix programs them; the outer packets are UDP 4789 with VNI 4096.',
    'Same-node pods (pod-a → pod-c) cross two cali* veths and are routed by node1: TTL 63 on the second veth.',
    'pod-a → node2:10250 leaves node1 masqueraded to 10.10.0.11 (natOutgoing: the destination is outside the IP pool) and does not use VXLAN.',
    'The kubelet-like probe from node1 to pod-a has the source the kernel picks for the route to the pod (`ip route get 192.168.219.71` in commands.txt): the workload route names no preferred source and the cali* veth has no address.',
  ],
  build: (lab) => calicoVxlan(lab),
  async run(ctx) {
    await podServers(ctx, Object.values(CAL));
    await ctx.serve('node2', { tcp: [10250], answer: CAL_NODE.node2.ip });
    await ctx.sleep(1200);
    await captureAll(ctx, CAL_POINTS);
    await ctx.sleep(300);
    const ok = (what: string): Extra => interest(`healthy: ${what}`);
    await ctx.flow(ping('ping-a-b', CAL['pod-a']!, CAL['pod-b']!, 0x6101, calPath('pod-a', 'pod-b'), ok('echo requests and replies cross both cali* veths, vxlan.calico and both NICs (VXLAN VNI 4096, UDP 4789)')));
    await ctx.flow(tcp('http-a-b', CAL['pod-a']!, CAL['pod-b']!, 80, 46101, calPath('pod-a', 'pod-b'), ok('the HTTP exchange completes across VXLAN VNI 4096')));
    await ctx.flow(udp('dns-a-b', CAL['pod-a']!, CAL['pod-b']!, 53, 46102, 0x6102, calPath('pod-a', 'pod-b')));
    await ctx.flow(ping('ping-b-a', CAL['pod-b']!, CAL['pod-a']!, 0x6103, calPath('pod-b', 'pod-a')));
    await ctx.flow(tcp('http-c-d', CAL['pod-c']!, CAL['pod-d']!, 8080, 46104, calPath('pod-c', 'pod-d')));
    await ctx.flow(ping('ping-a-c', CAL['pod-a']!, CAL['pod-c']!, 0x6105, calPath('pod-a', 'pod-c'), { description: 'ping pod-a → pod-c on the same node: routed from one cali* veth to the other' }));
    await ctx.flow(tcp('http-d-b', CAL['pod-d']!, CAL['pod-b']!, 80, 46106, calPath('pod-d', 'pod-b'), { description: 'pod-d opens TCP to pod-b on the same node (node2), routed between two cali* veths' }));
    const probeSrc = /src (\S+)/.exec(ctx.sh('node1', `ip route get ${CAL['pod-a']!.ip}`))?.[1] ?? CALICO.nodes[0]!.ip;
    await ctx.flow({
      ...tcp('probe-a', { host: 'node1', ip: probeSrc }, CAL['pod-a']!, 8080, 46107, ['node1/cali4f776b42dec']),
      description: `node1 probes pod-a:8080 (kubelet's readiness probe, from ${probeSrc})`,
    });
    await ctx.flow({
      ...tcp('a-to-node2', CAL['pod-a']!, CAL_NODE.node2, 10250, 46108, ['node1/cali4f776b42dec', 'node1/eth0', 'node2/eth0']),
      description: 'pod-a opens TCP to node2\'s kubelet-like listener 10.10.0.12:10250 (natOutgoing: masqueraded to 10.10.0.11, no VXLAN)',
    });
    await ctx.sleep(1000);
  },
};

const calicoRouteMissing: FieldScenarioDef = {
  name: 'calico-vxlan-route-missing',
  id: 'cvxr',
  title: 'Calico VXLAN: node2 has lost pod-b\'s workload route; the block\'s blackhole route swallows everything for pod-b',
  summary: 'A Calico cluster in VXLAN mode. On node2 the /32 route to pod-b through its cali* veth is missing (Felix has not reprogrammed it after a restart), so node2\'s blackhole route for its own block (192.168.84.128/26) discards every packet for pod-b without an ICMP error. Requests from pod-a reach node2\'s vxlan.calico and never pod-b\'s veth; pod-b\'s own pings to pod-a get there, but the replies die on node2 the same way. pod-d, on the same node and in the same block, works.',
  reportedAs: 'Calico: a workload route missing after a Felix restart or a stale IPAM block, leaving the block\'s blackhole route (`blackhole <block> proto 80`) to catch the pod\'s traffic. DOMAIN.md: Calico VXLAN names.',
  notes: [
    'The fault: `ip route del 192.168.84.135 dev calib6b47f611ba` on node2, after the captures started: `blackhole 192.168.84.128/26 proto 80` is then the most specific route to pod-b, and a blackhole route drops silently (no ICMP, unlike `unreachable`).',
    'In the captures this looks like a FORWARD DROP: requests reach node2 vxlan.calico and never calib6b47f611ba; nothing comes back. `ip route get 192.168.84.135` on node2 says "blackhole".',
    'pod-b → pod-a: its echo requests cross every point to pod-a, whose replies reach node2 vxlan.calico and stop there.',
    'Healthy: node2\'s kubelet-like probe of pod-b before the route went, and pod-a and pod-c reaching pod-d on node2 (its route is there).',
  ],
  build: (lab) => calicoVxlan(lab),
  async run(ctx) {
    await podServers(ctx, Object.values(CAL));
    await ctx.sleep(1200);
    await captureAll(ctx, CAL_POINTS);
    await ctx.sleep(300);
    const pb = CALICO.pods[2]!;
    const probeSrc = /src (\S+)/.exec(ctx.sh('node2', `ip route get ${pb.ip}`))?.[1] ?? CALICO.nodes[1]!.ip;
    await ctx.flow({
      ...tcp('probe-b', { host: 'node2', ip: probeSrc }, CAL['pod-b']!, 8080, 46200, [`node2/${pb.hostIf}`]),
      description: `node2 probes pod-b:8080 (kubelet's readiness probe, from ${probeSrc}), before the route goes`,
    });
    ctx.fault({
      kind: 'route-missing',
      description: 'node2 has no workload route to pod-b; the blackhole route of its block drops pod-b\'s traffic',
      node: 'node2',
      commands: [{ host: 'node2', command: `ip route del ${pb.ip} dev ${pb.hostIf}` }],
    });
    const dropped = 'requests reach node2 vxlan.calico (VXLAN VNI 4096 decapsulated) and never pod-b\'s veth calib6b47f611ba: node2 has no route to 192.168.84.135 but its block\'s blackhole route (a missing workload route; looks like a FORWARD drop); nothing comes back';
    await ctx.flow(ping('ping-a-b', CAL['pod-a']!, CAL['pod-b']!, 0x6201, calPath('pod-a', 'pod-b'), interest(dropped)));
    await ctx.flow(tcp('http-a-b', CAL['pod-a']!, CAL['pod-b']!, 80, 46201, calPath('pod-a', 'pod-b'), interest(dropped)));
    await ctx.flow(ping('ping-b-a', CAL['pod-b']!, CAL['pod-a']!, 0x6202, calPath('pod-b', 'pod-a'), interest('requests cross every point to pod-a; the replies reach node2 vxlan.calico and never pod-b\'s veth: node2\'s blackhole route for its block drops them (pod-b\'s workload route is missing)')));
    await ctx.flow(ping('ping-a-d', CAL['pod-a']!, CAL['pod-d']!, 0x6203, calPath('pod-a', 'pod-d')));
    await ctx.flow(tcp('http-c-d', CAL['pod-c']!, CAL['pod-d']!, 80, 46203, calPath('pod-c', 'pod-d')));
    await ctx.flow(udp('dns-a-d', CAL['pod-a']!, CAL['pod-d']!, 53, 46204, 0x6204, calPath('pod-a', 'pod-d')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Cilium, tunnel mode: cilium_vxlan (kernel, collect metadata) or cilium_geneve (user-space
// stand-in); the VNI is the sender's security identity, so each direction carries its own.

interface CiliumPod extends PodDef {
  /** Cilium security identity of the pod: the VNI of what it sends across the tunnel. */
  identity: number;
}

const CILIUM = {
  nodes: [
    { name: 'node1', ip: '192.168.0.11', mac: '52:54:00:c1:00:0b', cidr: '10.0.1.0/24', routerIp: '10.0.1.197', hostMac: '96:2a:51:0c:01:c5', netMac: 'b2:71:9d:4e:01:c5', tunnelMac: 'be:6a:4e:1c:0b:01' },
    { name: 'node2', ip: '192.168.0.12', mac: '52:54:00:c1:00:0c', cidr: '10.0.2.0/24', routerIp: '10.0.2.84', hostMac: '96:2a:51:0c:02:54', netMac: 'b2:71:9d:4e:02:54', tunnelMac: 'be:6a:4e:1c:0c:01' },
  ],
  pods: [
    { name: 'pod-a', node: 'node1', ip: '10.0.1.23', hostIf: 'lxc895747542690', hostMac: '3a:0f:6e:91:01:17', podMac: 'd6:4c:2e:71:01:17', identity: 12345 },
    { name: 'pod-c', node: 'node1', ip: '10.0.1.140', hostIf: 'lxcd408428ed48b', hostMac: '3a:0f:6e:91:01:8c', podMac: 'd6:4c:2e:71:01:8c', identity: 23817 },
    { name: 'pod-b', node: 'node2', ip: '10.0.2.61', hostIf: 'lxc7fdbda3b8e4e', hostMac: '3a:0f:6e:91:02:3d', podMac: 'd6:4c:2e:71:02:3d', identity: 54321 },
    { name: 'pod-d', node: 'node2', ip: '10.0.2.212', hostIf: 'lxce5965b8be88c', hostMac: '3a:0f:6e:91:02:d4', podMac: 'd6:4c:2e:71:02:d4', identity: 40962 },
  ] as CiliumPod[],
  /** Pods' route MTU (Cilium leaves eth0 at 1500 and puts the tunnel's MTU on the routes). */
  routeMtu: 1450,
  /** reserved:host, the identity of what the node itself sends into the tunnel. */
  hostIdentity: 1,
  tableBase: 2000,
};

type CiliumTunnel = 'vxlan' | 'geneve';

async function cilium(lab: Lab, opts: BuildOptions, start: StartFn, tunnel: CiliumTunnel): Promise<Built> {
  const dev = tunnel === 'vxlan' ? 'cilium_vxlan' : 'cilium_geneve';
  lanSwitch(lab);
  for (const n of CILIUM.nodes) lab.addHost(n.name);
  for (const p of CILIUM.pods) lab.addHost(p.name);
  for (const n of CILIUM.nodes) {
    plugIntoLan(lab, n.name, 'eth0', n.mac, [`${n.ip}/24`]);
    const peers = CILIUM.nodes.filter((x) => x !== n);
    const mine = CILIUM.pods.filter((p) => p.node === n.name);
    lab.script(n.name, [
      'sysctl -w net.ipv4.ip_forward=1',
      // cilium_host holds the router IP, the pods' gateway; cilium_net is its veth peer.
      `ip link add cilium_host address ${n.hostMac} type veth peer name cilium_net address ${n.netMac}`,
      'ip link set cilium_net up',
      'ip link set cilium_host up',
      `ip addr add ${n.routerIp}/32 dev cilium_host`,
      `ip route add ${n.routerIp} dev cilium_host scope link`,
      `ip route add ${n.cidr} via ${n.routerIp} dev cilium_host src ${n.routerIp}`,
    ]);
    if (tunnel === 'vxlan') {
      // A collect-metadata device: the VNI and the remote come with each packet, here from the route.
      lab.script(n.name, [`ip link add cilium_vxlan address ${n.tunnelMac} type vxlan external dstport 8472`, 'ip link set cilium_vxlan mtu 1500 up']);
    } else {
      const routes = peers.map((x) => `--route ${x.cidr}=${x.ip}`).join(' ');
      const vnis = mine.map((p) => `--vni-from ${p.ip}/32=${p.identity}`).join(' ');
      await start(n.name, 'cilium_geneve', `${opts.python} ${opts.labnet} geneve --dev cilium_geneve ${routes} --vni ${CILIUM.hostIdentity} ${vnis}`);
      lab.script(n.name, [`ip link set cilium_geneve address ${n.tunnelMac} mtu 1500 up`]);
    }
    for (const peer of peers) {
      const encap = (identity: number): string => (tunnel === 'vxlan' ? `encap ip id ${identity} dst ${peer.ip} ` : '');
      lab.script(n.name, [
        `ip neigh add ${peer.routerIp} lladdr ${peer.tunnelMac} dev ${dev} nud permanent`,
        `ip route add ${peer.cidr} ${encap(CILIUM.hostIdentity)}via ${peer.routerIp} dev ${dev} onlink mtu ${CILIUM.routeMtu}`,
      ]);
      // One table per pod: what it sends into the tunnel carries its own identity as the VNI.
      if (tunnel === 'vxlan') {
        for (const p of mine) {
          const table = CILIUM.tableBase + CILIUM.pods.indexOf(p) + 1;
          lab.script(n.name, [`ip route add ${peer.cidr} ${encap(p.identity)}via ${peer.routerIp} dev ${dev} onlink mtu ${CILIUM.routeMtu} table ${table}`, `ip rule add from ${p.ip} lookup ${table} pref 100`]);
        }
      }
    }
  }
  for (const p of CILIUM.pods) {
    const n = CILIUM.nodes.find((x) => x.name === p.node)!;
    podVeth(lab, p, 1500);
    lab.script(p.node, [`ip route add ${p.ip} dev ${p.hostIf} scope link`]);
    lab.script(p.name, [`ip addr add ${p.ip}/32 dev eth0`, `ip route add ${n.routerIp} dev eth0 scope link`, `ip route add default via ${n.routerIp} dev eth0 mtu ${CILIUM.routeMtu}`]);
  }
  const tunnelNote =
    tunnel === 'vxlan'
      ? 'collect-metadata VXLAN device (`type vxlan external dstport 8472`): the VNI and the remote node come with each packet; here from lightweight-tunnel routes (`encap ip id <identity> dst <node>`), per source pod by policy routing'
      : 'stand-in for the collect-metadata Geneve device (this kernel has no geneve module): a TAP device served by `labnet.py geneve`, which sends its frames in UDP 6081 behind a Geneve header whose VNI is the source pod\'s identity';
  const nodes: NodeInfo[] = CILIUM.nodes.map((n) => ({
    name: n.name,
    underlayIp: n.ip,
    podCidr: n.cidr,
    interfaces: [
      { name: 'eth0', kind: 'veth', addresses: [`${n.ip}/24`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      { name: 'cilium_host', kind: 'veth', addresses: [`${n.routerIp}/32`], mtu: 1500, mac: n.hostMac, note: 'the router IP, the pods\' gateway; veth peer of cilium_net (no traffic crosses it in the lab: the BPF programs that would redirect through it are replaced by kernel routes)' },
      { name: 'cilium_net', kind: 'veth', mtu: 1500, mac: n.netMac, note: 'veth peer of cilium_host' },
      { name: dev, kind: tunnel === 'vxlan' ? 'vxlan' : 'tap', mtu: 1500, mac: n.tunnelMac, note: tunnelNote },
      ...CILIUM.pods
        .filter((p) => p.node === n.name)
        .map((p): InterfaceInfo => ({ name: p.hostIf, kind: 'veth', mtu: 1500, mac: p.hostMac, note: `host end of ${p.name}'s eth0 (security identity ${p.identity}): routed, no address` })),
    ],
    routes: routesOf(lab, n.name),
  }));
  const pods = CILIUM.pods.map((p) => podInfo(p, CILIUM.nodes.find((n) => n.name === p.node)!.routerIp, CILIUM.routeMtu));
  return builtOf(
    tunnel === 'vxlan' ? 'cilium-vxlan' : 'cilium-geneve',
    nodes,
    pods,
    CILIUM.pods,
    routedPoints(CILIUM.pods[0]!, CILIUM.pods[2]!, dev),
    'node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), 192.168.0.0/24',
  );
}

const CIL = hostsOf(CILIUM.pods);
const identityOf = (pod: string): number => CILIUM.pods.find((p) => p.name === pod)!.identity;

const ciliumVxlanPolicy: FieldScenarioDef = {
  name: 'cilium-vxlan-policy-drop',
  id: 'cilx',
  title: 'Cilium VXLAN (cilium_vxlan, UDP 8472, VNI = the sender\'s identity, lxc* veths): node2 drops pod-a → pod-b:8080 (a policy deny); the rest works',
  summary: 'A Cilium cluster in tunnel mode with VXLAN: cilium_vxlan is a collect-metadata device, and each packet\'s VNI is the security identity of the pod that sent it — 12345 from pod-a, 54321 from pod-b, 23817 from pod-c, 40962 from pod-d — so the two directions of one connection carry different VNIs. node2 denies pod-a → pod-b on TCP 8080 (a network policy; Cilium would drop it in BPF before pod-b\'s lxc veth, the lab drops it in FORWARD): the SYNs reach node2 cilium_vxlan and never lxc7fdbda3b8e4e. Ping, HTTP on 80 and DNS between the same pods, and pod-c → pod-b:8080, work.',
  reportedAs: 'DOMAIN.md: Cilium — cilium_vxlan (8472), collect-metadata devices, VNI = the sender\'s security identity (different in each direction), lxc* veths, cilium_host. Seed 001: port unreachable while ping works.',
  notes: [
    'cilium_vxlan: `ip link add cilium_vxlan type vxlan external dstport 8472`. Cilium\'s BPF sets each packet\'s tunnel key; the lab uses lightweight-tunnel routes instead, one routing table per source pod: `ip route add 10.0.2.0/24 encap ip id 12345 dst 192.168.0.12 via 10.0.2.84 dev cilium_vxlan onlink mtu 1450 table 2001` and `ip rule add from 10.0.1.23 lookup 2001`. On eth0 the VNI of pod-a → pod-b is 12345 and of the replies 54321.',
    'Pods have a /32 address, eth0 MTU 1500 and `default via <router IP> dev eth0 mtu 1450`; the router IP sits on cilium_host, so the node answers the pod\'s ARP for it on the lxc veth.',
    'The fault: `iptables -I FORWARD -s 10.0.1.23 -d 10.0.2.61 -p tcp --dport 8080 -j DROP` on node2 — where Cilium\'s policy would drop in BPF at pod-b\'s endpoint (`cilium monitor --type drop`: Policy denied). The same point in the captures: after node2 cilium_vxlan, before lxc7fdbda3b8e4e.',
    'cilium_host and cilium_net exist on each node but carry no pod traffic in the lab.',
    'Before the fault, node2 probes pod-b (kubelet\'s readiness probe, as every node does every few seconds): pod-b\'s lxc veth capture is running, and shows it, when the dropped SYNs pass.',
  ],
  build: (lab, opts, start) => cilium(lab, opts, start, 'vxlan'),
  async run(ctx) {
    await podServers(ctx, Object.values(CIL));
    await ctx.sleep(1200);
    await captureAll(ctx, asCaptures(routedPoints(CILIUM.pods[0]!, CILIUM.pods[2]!, 'cilium_vxlan')));
    await ctx.sleep(300);
    const podB = CILIUM.pods.find((x) => x.name === 'pod-b')!;
    const probeSrc = /src (\S+)/.exec(ctx.sh('node2', `ip route get ${podB.ip}`))?.[1] ?? '192.168.0.12';
    await ctx.flow({
      ...tcp('probe-b', { host: 'node2', ip: probeSrc }, CIL['pod-b']!, 80, 47100, [`node2/${podB.hostIf}`]),
      description: `node2 probes pod-b:80 (kubelet's readiness probe, from ${probeSrc}), before the fault`,
    });
    ctx.fault({
      kind: 'port-drop',
      description: 'node2 drops pod-a → pod-b TCP 8080 before pod-b\'s veth (a network policy deny)',
      node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -s 10.0.1.23 -d 10.0.2.61 -p tcp --dport 8080 -j DROP' }],
    });
    const p = (from: string, to: string): PointId[] => routedPath(CILIUM.pods, 'cilium_vxlan', from, to);
    await ctx.flow(
      tcp('http-a-b-8080', CIL['pod-a']!, CIL['pod-b']!, 8080, 47101, p('pod-a', 'pod-b'), interest(`SYNs reach node2 cilium_vxlan (VXLAN VNI ${identityOf('pod-a')}, pod-a's identity) and never pod-b's lxc7fdbda3b8e4e: node2 drops TCP 8080 from pod-a (a policy deny, here a FORWARD rule); ping, HTTP on 80 and pod-c → pod-b:8080 work`)),
    );
    await ctx.flow(ping('ping-a-b', CIL['pod-a']!, CIL['pod-b']!, 0x6301, p('pod-a', 'pod-b'), { description: `ping pod-a → pod-b: requests in VNI ${identityOf('pod-a')}, replies in VNI ${identityOf('pod-b')}` }));
    await ctx.flow(tcp('http-a-b', CIL['pod-a']!, CIL['pod-b']!, 80, 47102, p('pod-a', 'pod-b')));
    await ctx.flow(udp('dns-a-b', CIL['pod-a']!, CIL['pod-b']!, 53, 47103, 0x6303, p('pod-a', 'pod-b')));
    await ctx.flow(ping('ping-b-a', CIL['pod-b']!, CIL['pod-a']!, 0x6304, p('pod-b', 'pod-a')));
    await ctx.flow(tcp('http-c-b-8080', CIL['pod-c']!, CIL['pod-b']!, 8080, 47105, p('pod-c', 'pod-b'), { description: `pod-c opens TCP to pod-b:8080 (VNI ${identityOf('pod-c')}: the policy allows it)` }));
    await ctx.flow(ping('ping-c-d', CIL['pod-c']!, CIL['pod-d']!, 0x6306, p('pod-c', 'pod-d')));
    await ctx.flow(tcp('http-d-a', CIL['pod-d']!, CIL['pod-a']!, 80, 47107, p('pod-d', 'pod-a')));
    await ctx.sleep(1000);
  },
};

const ciliumGeneveHealthy: FieldScenarioDef = {
  name: 'cilium-geneve-healthy',
  id: 'cilg',
  title: 'Cilium Geneve (cilium_geneve, UDP 6081, VNI = the sender\'s identity, lxc* veths): every flow works',
  summary: 'A Cilium cluster in tunnel mode with Geneve: pod traffic between the nodes travels in UDP 6081 behind a Geneve header (RFC 8926) carrying an Ethernet frame, and each packet\'s VNI is the security identity of the pod that sent it, so requests and replies of one flow carry different VNIs (12345 and 54321 between pod-a and pod-b). Pings, HTTP and DNS between all four pods work.',
  reportedAs: 'DOMAIN.md: Cilium — cilium_geneve (6081), collect-metadata devices, VNI = the sender\'s security identity (different in each direction), lxc* veths, cilium_host.',
  notes: [
    'This kernel has no geneve module: cilium_geneve is a TAP device served by `labnet.py geneve`, which sends each frame to the node owning the destination pod in UDP 6081 (source port a hash of the inner flow, UDP checksum zero, DF clear) behind a Geneve header: version 0, no options, protocol type 0x6558 (Ethernet), VNI = the identity of the source pod (`--vni-from 10.0.1.23/32=12345`), 1 (reserved:host) for the node itself.',
    'tcpdump on cilium_geneve (a TAP, link type Ethernet) shows the frames before encapsulation and after decapsulation, as on a kernel Geneve device.',
    'The inner Ethernet frame goes from the sending node\'s cilium_geneve MAC to the receiving node\'s (a permanent neighbour entry for the peer\'s router IP).',
  ],
  build: (lab, opts, start) => cilium(lab, opts, start, 'geneve'),
  async run(ctx) {
    await podServers(ctx, Object.values(CIL));
    await ctx.sleep(1200);
    await captureAll(ctx, asCaptures(routedPoints(CILIUM.pods[0]!, CILIUM.pods[2]!, 'cilium_geneve')));
    await ctx.sleep(300);
    const p = (from: string, to: string): PointId[] => routedPath(CILIUM.pods, 'cilium_geneve', from, to);
    const ok = (what: string): Extra => interest(`healthy: ${what}`);
    await ctx.flow(ping('ping-a-b', CIL['pod-a']!, CIL['pod-b']!, 0x6401, p('pod-a', 'pod-b'), ok(`requests cross Geneve in VNI ${identityOf('pod-a')} (pod-a's identity), replies in VNI ${identityOf('pod-b')} (pod-b's); both reach their pods`)));
    await ctx.flow(tcp('http-a-b', CIL['pod-a']!, CIL['pod-b']!, 80, 47201, p('pod-a', 'pod-b'), ok(`the HTTP exchange completes; client segments in VNI ${identityOf('pod-a')}, server segments in VNI ${identityOf('pod-b')}`)));
    await ctx.flow(udp('dns-a-b', CIL['pod-a']!, CIL['pod-b']!, 53, 47202, 0x6402, p('pod-a', 'pod-b')));
    await ctx.flow(ping('ping-b-a', CIL['pod-b']!, CIL['pod-a']!, 0x6403, p('pod-b', 'pod-a')));
    await ctx.flow(tcp('http-c-d', CIL['pod-c']!, CIL['pod-d']!, 8080, 47204, p('pod-c', 'pod-d')));
    await ctx.flow(ping('ping-d-a', CIL['pod-d']!, CIL['pod-a']!, 0x6405, p('pod-d', 'pod-a')));
    await ctx.flow(tcp('http-a-c', CIL['pod-a']!, CIL['pod-c']!, 80, 47206, p('pod-a', 'pod-c'), { description: 'pod-a opens TCP to pod-c on the same node: routed from one lxc veth to the other, no tunnel' }));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Antrea, encap mode with Geneve: antrea-gw0, genev_sys_6081, veths named after the pod.

/** OVS's destination MAC for every tunnelled frame (Antrea's "global virtual MAC"). */
const ANTREA_VIRTUAL_MAC = 'aa:bb:cc:dd:ee:ff';

const ANTREA = {
  nodes: [
    { name: 'node1', ip: '192.168.77.100', mac: '00:50:56:a7:4d:10', cidr: '10.10.0.0/24', gw: '10.10.0.1', gwMac: 'ba:5e:d1:55:aa:c0' },
    { name: 'node2', ip: '192.168.77.101', mac: '00:50:56:a7:4d:11', cidr: '10.10.1.0/24', gw: '10.10.1.1', gwMac: 'ba:5e:d1:55:ab:c1' },
  ],
  // Interface names as Antrea derives them: the pod name without dashes (8 characters at most),
  // a dash, and a hash filling 15 characters.
  pods: [
    { name: 'pod-a', node: 'node1', ip: '10.10.0.5', hostIf: 'frontend-4681d8', hostMac: '16:8a:2f:c3:00:05', podMac: 'e2:5b:1d:7a:00:05', k8s: 'default/frontend-6c9f7d8b5-q4x2m' },
    { name: 'pod-c', node: 'node1', ip: '10.10.0.6', hostIf: 'coredns5-7f36e6', hostMac: '16:8a:2f:c3:00:06', podMac: 'e2:5b:1d:7a:00:06', k8s: 'kube-system/coredns-5d78c9869d-8kx2p' },
    { name: 'pod-b', node: 'node2', ip: '10.10.1.5', hostIf: 'backend7-e82d3a', hostMac: '16:8a:2f:c3:01:05', podMac: 'e2:5b:1d:7a:01:05', k8s: 'default/backend-7b9f5c6d4-zl8wn' },
    { name: 'pod-d', node: 'node2', ip: '10.10.1.6', hostIf: 'redis0-db36e5f6', hostMac: '16:8a:2f:c3:01:06', podMac: 'e2:5b:1d:7a:01:06', k8s: 'default/redis-0' },
  ],
  mtu: 1450,
  /** Antrea tunnels with VNI 0 unless a feature (multicast, multi-cluster) asks for another. */
  vni: 0,
  podTable: 100,
};

async function antrea(lab: Lab, opts: BuildOptions, start: StartFn): Promise<Built> {
  lanSwitch(lab);
  for (const n of ANTREA.nodes) lab.addHost(n.name);
  for (const p of ANTREA.pods) lab.addHost(p.name);
  for (const n of ANTREA.nodes) {
    plugIntoLan(lab, n.name, 'eth0', n.mac, [`${n.ip}/24`]);
    const peers = ANTREA.nodes.filter((x) => x !== n);
    lab.script(n.name, ['sysctl -w net.ipv4.ip_forward=1']);
    // OVS's Geneve port and the gateway port, both served by the Geneve stand-in.
    const routes = peers.map((x) => `--route ${x.cidr}=${x.ip}`).join(' ');
    await start(n.name, 'genev_sys_6081', `${opts.python} ${opts.labnet} geneve --dev genev_sys_6081 --also antrea-gw0 ${routes} --vni ${ANTREA.vni} --src-mac ${n.gwMac} --df`);
    lab.script(n.name, [
      `ip link set genev_sys_6081 address ${ANTREA_VIRTUAL_MAC} mtu 65000 up`,
      `ip link set antrea-gw0 address ${n.gwMac} mtu ${ANTREA.mtu} up`,
      `ip addr add ${n.gw}/24 dev antrea-gw0`,
      `iptables -t nat -A POSTROUTING -s ${n.cidr} ! -d 10.10.0.0/16 -m comment --comment "Antrea: masquerade Pod to external packets" -j MASQUERADE`,
    ]);
    for (const peer of peers) {
      lab.script(n.name, [
        // The node's own traffic to remote pods: as antrea-agent routes it, via antrea-gw0.
        `ip neigh add ${peer.gw} lladdr ${ANTREA_VIRTUAL_MAC} dev antrea-gw0 nud permanent`,
        `ip route add ${peer.cidr} via ${peer.gw} dev antrea-gw0 onlink`,
        // The pods' traffic: OVS sends it straight to the tunnel port; the lab routes it there.
        `ip neigh add ${peer.gw} lladdr ${ANTREA_VIRTUAL_MAC} dev genev_sys_6081 nud permanent`,
        `ip route add ${peer.cidr} via ${peer.gw} dev genev_sys_6081 onlink table ${ANTREA.podTable}`,
      ]);
    }
  }
  for (const p of ANTREA.pods) {
    const n = ANTREA.nodes.find((x) => x.name === p.node)!;
    podVeth(lab, p, ANTREA.mtu);
    lab.script(p.node, [
      `ip route add ${p.ip} dev ${p.hostIf} scope link src ${n.gw}`,
      `ip rule add iif ${p.hostIf} lookup ${ANTREA.podTable} pref 100`,
      // Pods of one node share a /24 and ARP for each other; OVS would switch them.
      `sysctl -w net.ipv4.conf.${p.hostIf}.proxy_arp=1 net.ipv4.neigh.${p.hostIf}.proxy_delay=0`,
    ]);
    lab.script(p.name, [`ip addr add ${p.ip}/24 dev eth0`, `ip route add default via ${n.gw}`]);
  }
  const nodes: NodeInfo[] = ANTREA.nodes.map((n) => ({
    name: n.name,
    underlayIp: n.ip,
    podCidr: n.cidr,
    interfaces: [
      { name: 'eth0', kind: 'veth', addresses: [`${n.ip}/24`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      {
        name: 'antrea-gw0', kind: 'tap', addresses: [`${n.gw}/24`], mtu: ANTREA.mtu, mac: n.gwMac,
        note: 'the gateway port of the OVS bridge (an OVS internal port in Antrea; here a TAP served by the Geneve stand-in): the node\'s own traffic to remote pods leaves through it',
      },
      {
        name: 'genev_sys_6081', kind: 'tap', mtu: 65000, mac: ANTREA_VIRTUAL_MAC,
        note: 'OVS\'s Geneve tunnel port (a kernel geneve vport in Antrea; this kernel has no geneve module, so a TAP served by `labnet.py geneve`): frames to remote pods leave in UDP 6081, VNI 0, inner destination MAC aa:bb:cc:dd:ee:ff (the global virtual MAC), inner source MAC the local antrea-gw0\'s',
      },
      ...ANTREA.pods
        .filter((p) => p.node === n.name)
        .map((p): InterfaceInfo => ({ name: p.hostIf, kind: 'veth', mtu: ANTREA.mtu, mac: p.hostMac, note: `host end of ${p.name}'s eth0 (${p.k8s}); an OVS port in Antrea, routed by the node here` })),
    ],
    routes: routesOf(lab, n.name),
  }));
  const pods = ANTREA.pods.map((p) => podInfo(p, ANTREA.nodes.find((n) => n.name === p.node)!.gw, ANTREA.mtu));
  return builtOf('antrea-geneve', nodes, pods, ANTREA.pods, routedPoints(ANTREA.pods[0]!, ANTREA.pods[2]!, 'genev_sys_6081'), 'node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), 192.168.77.0/24');
}

const ANT = hostsOf(ANTREA.pods);
const antPath = (from: string, to: string): PointId[] => routedPath(ANTREA.pods, 'genev_sys_6081', from, to);

const antreaBlocked: FieldScenarioDef = {
  name: 'antrea-geneve-6081-blocked',
  id: 'antg',
  title: 'Antrea (antrea-gw0, genev_sys_6081, pod-named veths), one `tcpdump -i any` per node: node2\'s firewall drops Geneve (UDP 6081)',
  summary: 'An Antrea cluster in encap mode; all the engineer has is one `tcpdump -i any` per node and `ip -o link`. node2\'s host firewall accepts the VXLAN ports but not Geneve\'s UDP 6081, so every tunnelled packet arriving at node2 is dropped after eth0: pod-a\'s requests to pod-b reach node2 eth0 and never genev_sys_6081, and pod-b\'s requests to pod-a get answered but the replies stop at node2 eth0 the same way. Traffic inside node1, the node\'s probe of its pod, and a pod calling the other node outside the tunnel work.',
  reportedAs: 'Antrea\'s requirement to open UDP 6081 between nodes (Geneve); DOMAIN.md: Antrea — antrea-gw0, genev_sys_6081; "with UDP 8472 filtered by iptables, nothing comes back" (here 6081). DOMAIN.md: `tcpdump -i any` writes SLL2; `ip -o link` maps the index to a name.',
  notes: [
    'The fault: `iptables -I INPUT -p udp --dport 6081 -j DROP` on node2. tcpdump sees the Geneve packets on eth0 (before netfilter) and nothing on genev_sys_6081.',
    'This kernel has no geneve module: genev_sys_6081 and antrea-gw0 are TAP devices served by `labnet.py geneve` in place of OVS. Frames to remote pods leave in UDP 6081 (DF set, as OVS tunnels do) behind a Geneve header: version 0, no options, protocol 0x6558, VNI 0; the inner frame goes from the local antrea-gw0 MAC to aa:bb:cc:dd:ee:ff.',
    'Pod veths are named as Antrea names them: the pod name without dashes (8 characters at most), a dash and a hash (frontend-4681d8 for default/frontend-6c9f7d8b5-q4x2m). In Antrea they are OVS ports and OVS switches between them; in the lab the node routes (pod-a → pod-c has TTL 63 on the second veth) and answers ARP between pods of one node by proxy ARP.',
    'The node\'s probe of pod-a has source 10.10.0.1 (antrea-gw0\'s address), as in Antrea; in Antrea it would also cross antrea-gw0, here it goes straight to the pod\'s veth.',
    'pod-a → node2:10250 is masqueraded to 192.168.77.100 and does not use the tunnel: it works.',
  ],
  pcapng: false,
  build: (lab, opts, start) => antrea(lab, opts, start),
  async run(ctx) {
    await podServers(ctx, Object.values(ANT));
    await ctx.serve('node2', { tcp: [10250], answer: ANTREA.nodes[1]!.ip });
    await ctx.sleep(1200);
    await captureAll(ctx, [
      { node: 'node1', iface: 'any', role: 'any' },
      { node: 'node2', iface: 'any', role: 'any' },
    ]);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'overlay-port-blocked',
      description: 'node2\'s firewall drops incoming Geneve (UDP 6081)',
      node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I INPUT -p udp --dport 6081 -j DROP' }],
    });
    const dropped = 'requests reach node2 eth0 (Geneve, UDP 6081, VNI 0) and never genev_sys_6081: node2 drops UDP 6081 as it arrives (a firewall rule); nothing comes back';
    await ctx.flow(ping('ping-a-b', ANT['pod-a']!, ANT['pod-b']!, 0x6501, antPath('pod-a', 'pod-b'), interest(dropped)));
    await ctx.flow(tcp('http-a-b', ANT['pod-a']!, ANT['pod-b']!, 80, 47301, antPath('pod-a', 'pod-b'), interest(dropped)));
    await ctx.flow(ping('ping-b-a', ANT['pod-b']!, ANT['pod-a']!, 0x6502, antPath('pod-b', 'pod-a'), interest('requests cross every point to pod-a, which answers; the replies reach node2 eth0 (Geneve, UDP 6081) and never genev_sys_6081: node2 drops UDP 6081 as it arrives')));
    await ctx.flow(ping('ping-a-c', ANT['pod-a']!, ANT['pod-c']!, 0x6503, antPath('pod-a', 'pod-c')));
    await ctx.flow(tcp('http-c-a', ANT['pod-c']!, ANT['pod-a']!, 80, 47303, antPath('pod-c', 'pod-a')));
    await ctx.flow(udp('dns-a-c', ANT['pod-a']!, ANT['pod-c']!, 53, 47304, 0x6504, antPath('pod-a', 'pod-c')));
    await ctx.flow(ping('ping-d-b', ANT['pod-d']!, ANT['pod-b']!, 0x6505, antPath('pod-d', 'pod-b')));
    await ctx.flow({
      ...tcp('probe-a', { host: 'node1', ip: ANTREA.nodes[0]!.gw }, ANT['pod-a']!, 8080, 47306, ['node1/frontend-4681d8']),
      description: 'node1 probes pod-a:8080 (kubelet\'s readiness probe, from antrea-gw0\'s address)',
    });
    await ctx.flow({
      ...tcp('a-to-node2', ANT['pod-a']!, node(ANTREA.nodes[1]!), 10250, 47307, ['node1/frontend-4681d8', 'node1/eth0', 'node2/eth0']),
      description: 'pod-a opens TCP to node2\'s kubelet-like listener 192.168.77.101:10250 (masqueraded to 192.168.77.100, no tunnel)',
    });
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// flannel VXLAN over IPv6 (flannel-v6.1) beside IPv4 (flannel.1): dual stack, or IPv6 only.

const FLANNEL6 = {
  network: '10.244.0.0/16',
  network6: 'fd00:10:244::/56',
  nodes: [
    { name: 'node1', ip: '192.168.0.11', ip6: 'fd00:192:168::11', mac: '52:54:00:a8:00:0b', subnet: '10.244.1', subnet6: 'fd00:10:244:1:', vtepMac: '0e:61:06:ff:7a:73', vtep6Mac: '0e:61:06:ff:7a:76', bridgeMac: '62:4c:f1:9b:41:01' },
    { name: 'node2', ip: '192.168.0.12', ip6: 'fd00:192:168::12', mac: '52:54:00:a8:00:0c', subnet: '10.244.2', subnet6: 'fd00:10:244:2:', vtepMac: '0a:72:bf:3f:cd:40', vtep6Mac: '0a:72:bf:3f:cd:46', bridgeMac: '62:4c:f1:9b:42:01' },
  ],
  pods: [
    { name: 'pod-a', node: 'node1', ip: '10.244.1.2', ip6: 'fd00:10:244:1::2', hostIf: 'veth3a1b2c4d', hostMac: 'a6:3e:11:5c:20:01', podMac: '5a:9c:01:f4:01:02' },
    { name: 'pod-b', node: 'node2', ip: '10.244.2.2', ip6: 'fd00:10:244:2::2', hostIf: 'veth7e9d0f12', hostMac: 'a6:3e:11:5c:20:02', podMac: '5a:9c:01:f4:02:02' },
  ] as PodDef[],
  /** FLANNEL_MTU: flannel subtracts VXLAN's 50 bytes whatever the family (vxlan_network.go). */
  podMtu: 1450,
  /** The kernel's default for a VXLAN device over IPv6: 1500 − 70 (40 IPv6 + 8 UDP + 8 VXLAN + 14). */
  v6Mtu: 1430,
};

async function flannelV6(lab: Lab, dualStack: boolean): Promise<Built> {
  lanSwitch(lab);
  const hosts = [...FLANNEL6.nodes.map((n) => n.name), ...FLANNEL6.pods.map((p) => p.name)];
  for (const h of hosts) {
    lab.addHost(h);
    enableIpv6(lab, h);
  }
  for (const n of FLANNEL6.nodes) {
    plugIntoLan(lab, n.name, 'eth0', n.mac, [...(dualStack ? [`${n.ip}/24`] : []), `${n.ip6}/64`]);
    lab.script(n.name, [
      ...(dualStack ? ['sysctl -w net.ipv4.ip_forward=1', 'sysctl -w net.bridge.bridge-nf-call-iptables=1'] : []),
      'sysctl -w net.ipv6.conf.all.forwarding=1',
      'sysctl -w net.bridge.bridge-nf-call-ip6tables=1',
    ]);
    if (dualStack) {
      lab.script(n.name, [
        `ip link add flannel.1 address ${n.vtepMac} type vxlan id 1 local ${n.ip} dev eth0 dstport 8472 nolearning`,
        'ip link set flannel.1 mtu 1450 up',
        `ip addr add ${n.subnet}.0/32 dev flannel.1`,
      ]);
    }
    lab.script(n.name, [
      // flanneld's IPv6 VTEP: same VNI and port, the IPv6 underlay; the kernel gives it MTU 1430.
      `ip link add flannel-v6.1 address ${n.vtep6Mac} type vxlan id 1 local ${n.ip6} dev eth0 dstport 8472 nolearning`,
      'ip link set flannel-v6.1 up',
      `ip addr add ${n.subnet6}:/128 dev flannel-v6.1 nodad`,
      `ip link add cni0 address ${n.bridgeMac} type bridge`,
      `ip link set cni0 mtu ${FLANNEL6.podMtu} up`,
      ...(dualStack ? [`ip addr add ${n.subnet}.1/24 dev cni0`] : []),
      `ip addr add ${n.subnet6}:1/64 dev cni0 nodad`,
      ...(dualStack
        ? [
            `iptables -t nat -A POSTROUTING -s ${FLANNEL6.network} -d ${FLANNEL6.network} -m comment --comment "flanneld masq" -j RETURN`,
            `iptables -t nat -A POSTROUTING -s ${FLANNEL6.network} ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
          ]
        : []),
      `ip6tables -t nat -A POSTROUTING -s ${FLANNEL6.network6} -d ${FLANNEL6.network6} -m comment --comment "flanneld masq" -j RETURN`,
      `ip6tables -t nat -A POSTROUTING -s ${FLANNEL6.network6} ! -d ff00::/8 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
    ]);
    for (const peer of FLANNEL6.nodes.filter((x) => x !== n)) {
      if (dualStack) {
        lab.script(n.name, [
          `ip route add ${peer.subnet}.0/24 via ${peer.subnet}.0 dev flannel.1 onlink`,
          `ip neigh add ${peer.subnet}.0 lladdr ${peer.vtepMac} dev flannel.1 nud permanent`,
          `bridge fdb append ${peer.vtepMac} dev flannel.1 dst ${peer.ip} self permanent`,
        ]);
      }
      lab.script(n.name, [
        `ip -6 route add ${peer.subnet6}:/64 via ${peer.subnet6}: dev flannel-v6.1 onlink`,
        `ip -6 neigh add ${peer.subnet6}: lladdr ${peer.vtep6Mac} dev flannel-v6.1 nud permanent`,
        `bridge fdb append ${peer.vtep6Mac} dev flannel-v6.1 dst ${peer.ip6} self permanent`,
      ]);
    }
  }
  for (const p of FLANNEL6.pods) {
    const n = FLANNEL6.nodes.find((x) => x.name === p.node)!;
    podVeth(lab, p, FLANNEL6.podMtu);
    lab.sh(p.node, `ip link set ${p.hostIf} master cni0`);
    lab.script(p.name, [
      'sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0',
      ...(dualStack ? [`ip addr add ${p.ip}/24 dev eth0`, `ip route add default via ${n.subnet}.1`] : []),
      `ip addr add ${p.ip6}/64 dev eth0 nodad`,
      `ip -6 route add default via ${n.subnet6}:1`,
    ]);
  }
  const nodes: NodeInfo[] = FLANNEL6.nodes.map((n) => ({
    name: n.name,
    underlayIp: dualStack ? n.ip : n.ip6,
    podCidr: dualStack ? `${n.subnet}.0/24, ${n.subnet6}:/64` : `${n.subnet6}:/64`,
    interfaces: [
      { name: 'eth0', kind: 'veth', addresses: [...(dualStack ? [`${n.ip}/24`] : []), `${n.ip6}/64`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      ...(dualStack
        ? [{ name: 'flannel.1', kind: 'vxlan', addresses: [`${n.subnet}.0/32`], mtu: 1450, mac: n.vtepMac, note: `the IPv4 VTEP: vxlan id 1 local ${n.ip} dev eth0 dstport 8472 nolearning` }]
        : []),
      {
        name: 'flannel-v6.1', kind: 'vxlan', addresses: [`${n.subnet6}:/128`], mtu: FLANNEL6.v6Mtu, mac: n.vtep6Mac,
        note: `the IPv6 VTEP: vxlan id 1 local ${n.ip6} dev eth0 dstport 8472 nolearning; MTU 1430, the kernel's default over IPv6 (70 bytes of outer IPv6, UDP, VXLAN and inner Ethernet)`,
      },
      { name: 'cni0', kind: 'bridge', addresses: [...(dualStack ? [`${n.subnet}.1/24`] : []), `${n.subnet6}:1/64`], mtu: FLANNEL6.podMtu, mac: n.bridgeMac, note: 'the pods\' gateway (bridge plugin)' },
      ...FLANNEL6.pods.filter((p) => p.node === n.name).map((p) => ({ name: p.hostIf, kind: 'veth', mtu: FLANNEL6.podMtu, mac: p.hostMac, note: `host end of ${p.name}'s eth0, port of cni0` })),
    ],
    routes: routesOf(lab, n.name, true),
  }));
  const pods: PodInfo[] = FLANNEL6.pods.map((p) => {
    const n = FLANNEL6.nodes.find((x) => x.name === p.node)!;
    return dualStack
      ? { name: p.name, node: p.node, ip: p.ip, hostInterface: p.hostIf, gateway: `${n.subnet}.1`, mtu: FLANNEL6.podMtu }
      : { name: p.name, node: p.node, ip: p.ip6!, hostInterface: p.hostIf, gateway: `${n.subnet6}:1`, mtu: FLANNEL6.podMtu };
  });
  const [pa, pb] = FLANNEL6.pods as [PodDef, PodDef];
  const points: PointDef[] = flannelV6Points(dualStack);
  const built = builtOf(dualStack ? 'flannel-vxlan-dualstack' : 'flannel-vxlan-ipv6', nodes, pods, FLANNEL6.pods, points, `node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), ${dualStack ? '192.168.0.0/24 and ' : ''}fd00:192:168::/64`);
  if (!dualStack) {
    built.podA = { host: pa.name, ip: pa.ip6! };
    built.podB = { host: pb.name, ip: pb.ip6! };
  }
  return built;
}

function flannelV6Points(dualStack: boolean): PointDef[] {
  const [pa, pb] = FLANNEL6.pods as [PodDef, PodDef];
  const overlays = (n: string): PointDef[] => [
    ...(dualStack ? [{ node: n, iface: 'flannel.1', role: 'overlay' as const }] : []),
    { node: n, iface: 'flannel-v6.1', role: 'overlay' },
  ];
  return [
    { node: 'node1', iface: pa.hostIf, role: 'pod-veth' },
    { node: 'node1', iface: 'cni0', role: 'bridge' },
    ...overlays('node1'),
    { node: 'node1', iface: 'eth0', role: 'nic' },
    { node: 'node2', iface: 'eth0', role: 'nic' },
    ...overlays('node2'),
    { node: 'node2', iface: 'cni0', role: 'bridge' },
    { node: 'node2', iface: pb.hostIf, role: 'pod-veth' },
  ];
}

/** The pod-to-pod path through one family's VTEP. */
function flannelV6Path(from: string, overlay: 'flannel.1' | 'flannel-v6.1'): PointId[] {
  const [pa, pb] = FLANNEL6.pods as [PodDef, PodDef];
  const path = [`node1/${pa.hostIf}`, 'node1/cni0', `node1/${overlay}`, 'node1/eth0', 'node2/eth0', `node2/${overlay}`, 'node2/cni0', `node2/${pb.hostIf}`];
  return from === 'pod-a' ? path : [...path].reverse();
}

async function v6Servers(ctx: FieldCtx, responseBytes = 64): Promise<void> {
  for (const p of FLANNEL6.pods) {
    await ctx.start(p.name, 'server', `${LABNET} serve --tcp 80 --udp 53 --answer ${p.ip6} --response-bytes ${responseBytes} --ipv6`);
  }
}

const F6 = {
  a: { host: 'pod-a', ip: FLANNEL6.pods[0]!.ip },
  b: { host: 'pod-b', ip: FLANNEL6.pods[1]!.ip },
  a6: { host: 'pod-a', ip: FLANNEL6.pods[0]!.ip6! },
  b6: { host: 'pod-b', ip: FLANNEL6.pods[1]!.ip6! },
  /** node2 talking to its own pod from cni0's IPv6 address: no forwarding involved. */
  node2cni6: { host: 'node2', ip: `${FLANNEL6.nodes[1]!.subnet6}:1` },
};

const dualStackV6Drop: FieldScenarioDef = {
  name: 'flannel-dualstack-v6-drop',
  id: 'fds6',
  title: 'flannel dual stack (flannel.1 over IPv4, flannel-v6.1 over IPv6): node2\'s IPv6 FORWARD policy is DROP; IPv4 between the same pods works',
  summary: 'A dual-stack flannel cluster: each pod has 10.244.x.2 and fd00:10:244:x::2; IPv4 crosses flannel.1 (VXLAN over the IPv4 underlay), IPv6 crosses flannel-v6.1 (VXLAN VNI 1, UDP 8472 over the IPv6 underlay fd00:192:168::/64, MTU 1430). On node2 the ip6tables FORWARD policy is DROP (as Docker sets it once it manages ip6tables), iptables untouched: IPv6 from pod-a reaches node2 flannel-v6.1 and never cni0, and pod-b\'s own IPv6 reaches node2\'s cni0 and never leaves. IPv4 ping, HTTP and DNS between the same pods work, and so does node2\'s own IPv6 to pod-b.',
  reportedAs: 'DOMAIN.md: flannel IPv6 — flannel-v6.1. Seeds 000/002 (FORWARD policy DROP), on the IPv6 family only: one family broken, the other healthy.',
  notes: [
    'The fault: `ip6tables -P FORWARD DROP` on node2, after the captures started (iptables untouched). bridge-nf-call-ip6tables is on, as kubeadm asks, so IPv6 bridged on cni0 would meet the same chain.',
    'flannel-v6.1: `ip link add flannel-v6.1 type vxlan id 1 local fd00:192:168::11 dev eth0 dstport 8472 nolearning`, address fd00:10:244:1::/128, `fd00:10:244:2::/64 via fd00:10:244:2:: dev flannel-v6.1 onlink` with a permanent neighbour and an FDB entry to fd00:192:168::12 — the same VNI and port as flannel.1, over the other family.',
    'MTUs: flannel.1 1450, flannel-v6.1 1430 (the kernel\'s default over IPv6: 40 + 8 + 8 + 14 bytes), cni0 and the pods 1450 — flannel computes FLANNEL_MTU as the NIC\'s MTU minus 50 whatever the family, 20 bytes too many for IPv6. The small packets here fit either way.',
    'pod-b → pod-a over IPv6 stops on node2 itself: node2 receives the requests on cni0 and drops them in FORWARD before flannel-v6.1.',
    'node2 → pod-b over IPv6 (from cni0\'s fd00:10:244:2::1) works: OUTPUT, not FORWARD.',
    'IPv6 neighbour discovery, MLD and router solicitations are background on the pod links, the bridges and the underlay.',
  ],
  build: (lab) => flannelV6(lab, true),
  async run(ctx) {
    await v6Servers(ctx);
    await ctx.sleep(1500);
    await captureAll(ctx, asCaptures(flannelV6Points(true)));
    await ctx.sleep(300);
    ctx.fault({ kind: 'forward-policy-drop', description: 'ip6tables FORWARD policy DROP on node2 (IPv4 untouched)', node: 'node2', commands: [{ host: 'node2', command: 'ip6tables -P FORWARD DROP' }] });
    const v4 = flannelV6Path('pod-a', 'flannel.1');
    const v6 = flannelV6Path('pod-a', 'flannel-v6.1');
    const ok = (what: string): Extra => interest(`healthy: ${what}, while IPv6 between the same pods is dropped on node2`);
    const dropped = 'requests reach node2 flannel-v6.1 (VXLAN over IPv6 decapsulated) and never cni0: node2 does not forward IPv6 (ip6tables FORWARD policy DROP, or IPv6 forwarding off); IPv4 between the same pods works';
    await ctx.flow(ping('ping4-a-b', F6.a, F6.b, 0x6601, v4, ok('IPv4 echo requests and replies cross flannel.1 and both NICs (VXLAN over IPv4)')));
    await ctx.flow(tcp('http4-a-b', F6.a, F6.b, 80, 47401, v4, ok('the IPv4 HTTP exchange completes over flannel.1')));
    await ctx.flow(ping('ping6-a-b', F6.a6, F6.b6, 0x6611, v6, interest(dropped)));
    await ctx.flow(tcp('http6-a-b', F6.a6, F6.b6, 80, 47411, v6, interest(dropped)));
    await ctx.flow(ping('ping6-b-a', F6.b6, F6.a6, 0x6612, flannelV6Path('pod-b', 'flannel-v6.1'), interest('pod-b\'s IPv6 requests reach node2 cni0 and never flannel-v6.1: node2 does not forward IPv6 (ip6tables FORWARD policy DROP); nothing leaves node2')));
    await ctx.flow(udp('dns4-a-b', F6.a, F6.b, 53, 47402, 0x6602, v4));
    await ctx.flow(ping('ping4-b-a', F6.b, F6.a, 0x6603, flannelV6Path('pod-b', 'flannel.1')));
    await ctx.flow({ ...ping('ping6-node2-b', F6.node2cni6, F6.b6, 0x6613, ['node2/cni0', 'node2/veth7e9d0f12']), description: 'node2 pings pod-b over IPv6 from cni0\'s fd00:10:244:2::1 (the node\'s own traffic: no forwarding)' });
    await ctx.sleep(1000);
  },
};

const ipv6Only: FieldScenarioDef = {
  name: 'flannel-ipv6-healthy-ptb',
  id: 'fv6h',
  title: 'flannel over IPv6 only (flannel-v6.1, MTU 1430, pods at 1450): everything works; full-size IPv6 segments draw a packet too big on the way',
  summary: 'An IPv6-only flannel cluster: pods fd00:10:244:1::2 and fd00:10:244:2::2, VXLAN VNI 1 on UDP 8472 between fd00:192:168::11 and ::12 through flannel-v6.1. flannel gives the pods and cni0 an MTU of 1450 (the NIC minus VXLAN\'s 50 bytes over IPv4) while flannel-v6.1 holds only 1430 over IPv6: pod-b\'s first full-size segments of a 3000-byte response are answered by node2 with ICMPv6 packet too big (MTU 1430), pod-b resends them smaller and the exchange completes. Pings, DNS and HTTP work both ways.',
  reportedAs: 'DOMAIN.md: flannel IPv6 — flannel-v6.1; MTU (seed 001: large packets lost; here the ICMPv6 error gets through and path MTU discovery repairs it).',
  notes: [
    'No IPv4 anywhere: the underlay is fd00:192:168::/64, the pod network fd00:10:244::/56 with a /64 per node; flannel-v6.1 holds fd00:10:244:x::/128.',
    'MTUs: flannel-v6.1 1430 (the kernel\'s default for VXLAN over IPv6: 40 + 8 + 8 + 14 bytes of overhead), cni0 and the pods 1450 (FLANNEL_MTU: flannel subtracts 50 bytes whatever the family).',
    'pod-a\'s SYN announces MSS 1390 (1450 − 60); pod-b\'s 1450-byte segments cannot enter flannel-v6.1, so node2 (the router between cni0 and flannel-v6.1) sends ICMPv6 type 2 (packet too big, MTU 1430) to pod-b, which resends them at 1430. The ICMPv6 errors are in icmpErrors of http6-large; the flow is healthy.',
    'Small packets never notice: pings, DNS and pod-b → pod-a HTTP (64-byte answers) fit.',
    'The captures hold GSO frames: pod-b\'s 3000-byte answer appears as one 3139-byte IPv6 packet at every point (largestAt), before and after the packet too big; the lab\'s veths pass GSO frames on unsegmented.',
  ],
  build: (lab) => flannelV6(lab, false),
  async run(ctx) {
    await ctx.start('pod-a', 'server', `${LABNET} serve --tcp 80 --udp 53 --answer ${F6.a6.ip} --response-bytes 64 --ipv6`);
    await ctx.start('pod-b', 'server', `${LABNET} serve --tcp 80 --tcp 8080 --udp 53 --answer ${F6.b6.ip} --response-bytes 3000 --ipv6`);
    await ctx.sleep(1500);
    await captureAll(ctx, asCaptures(flannelV6Points(false)));
    await ctx.sleep(300);
    const v6 = flannelV6Path('pod-a', 'flannel-v6.1');
    await ctx.flow(ping('ping6-a-b', F6.a6, F6.b6, 0x6701, v6, interest('healthy: IPv6 echo requests and replies cross flannel-v6.1 and both NICs (VXLAN over IPv6, VNI 1, UDP 8472)')));
    await ctx.flow({
      ...tcp('http6-large', F6.a6, F6.b6, 8080, 47501, v6, interest('healthy: the 3000-byte response completes; pod-b\'s first full-size (1450-byte) segments are answered by node2 with ICMPv6 packet too big (MTU 1430, flannel-v6.1) and resent smaller — recovered by path MTU discovery, not loss')),
      description: 'pod-a opens TCP to pod-b [fd00:10:244:2::2]:8080; the response is 3000 bytes',
    });
    await ctx.flow(udp('dns6-a-b', F6.a6, F6.b6, 53, 47502, 0x6702, v6));
    await ctx.flow(ping('ping6-b-a', F6.b6, F6.a6, 0x6703, flannelV6Path('pod-b', 'flannel-v6.1')));
    await ctx.flow(tcp('http6-b-a', F6.b6, F6.a6, 80, 47504, flannelV6Path('pod-b', 'flannel-v6.1')));
    await ctx.flow({ ...ping('ping6-node2-b', F6.node2cni6, F6.b6, 0x6704, ['node2/cni0', 'node2/veth7e9d0f12']), description: 'node2 pings pod-b over IPv6 from cni0\'s fd00:10:244:2::1' });
    await ctx.sleep(1000);
  },
};

export const CNI_SCENARIOS: FieldScenarioDef[] = [calicoHealthy, calicoRouteMissing, ciliumVxlanPolicy, ciliumGeneveHealthy, antreaBlocked, dualStackV6Drop, ipv6Only];

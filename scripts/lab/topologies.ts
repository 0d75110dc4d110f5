/**
 * Two-node clusters built from network namespaces, with the kernel devices and state each CNI
 * really creates. Addresses and names follow the incidents they recreate (DOMAIN.md): flannel
 * VXLAN as in the flannel.1 write-up, flannel UDP as in the flannel0/docker0 one, Calico as in
 * the `systemctl restart network` one. Every MAC is fixed so reruns produce the same frames.
 */
import type { Lab } from './exec';
import { lanSwitch, plugIntoLan, podVeth, routesOf } from './plumbing';
import type { CapturePoint, Cni, NodeInfo, PodInfo, PointId, PointRole, Topology } from '../../lib/lab/scenario';

export interface PointDef {
  node: string;
  iface: string;
  role: PointRole;
}

export function pointId(p: { node: string; iface: string }): PointId {
  return `${p.node}/${p.iface}`;
}

export function pointFile(p: { node: string; iface: string }): string {
  return `${p.node}-${p.iface}.pcap`;
}

export interface Endpoint {
  host: string;
  ip: string;
}

export interface Built {
  cni: Cni;
  /** Every pod by name (pod-a, pod-b and any extra pods). */
  pods?: Record<string, Endpoint & { node: string; hostIf: string }>;
  topology: Topology;
  /** Every capture point: pod-to-pod path order first, then the rest. */
  points: PointDef[];
  podToPod: PointId[];
  toOutside?: PointId[];
  podA: Endpoint;
  podB: Endpoint;
  outside?: Endpoint;
}

export interface BuildOptions {
  /** MTU of the pod interfaces and the bridge (the CNI's MTU when unset). */
  podMtu?: number;
  /** Python interpreter and labnet.py, for the user-space forwarders. */
  python: string;
  labnet: string;
  /** flannel VXLAN: more pods than pod-a (node1) and pod-b (node2). */
  extraPods?: VxlanPod[];
  /** flannel VXLAN: an outside machine on the nodes' switch (a client of NodePorts, an SNAT target). */
  outside?: boolean;
  /** flannel VXLAN: each node's NIC name (eth0 when unset): ens160, net0, … as clouds and hypervisors name them. */
  nics?: Record<string, string>;
}

export interface VxlanPod {
  name: string;
  node: string;
  ip: string;
  hostIf: string;
  hostMac: string;
  podMac: string;
}






// ---------------------------------------------------------------------------------------------
// flannel, VXLAN backend

const VXLAN = {
  network: '10.244.0.0/16',
  nodes: [
    { name: 'node1', ip: '192.168.0.11', mac: '52:54:00:a8:00:0b', subnet: '10.244.1', vtepMac: '0e:61:06:ff:7a:73', bridgeMac: '62:4c:f1:9b:41:01' },
    { name: 'node2', ip: '192.168.0.12', mac: '52:54:00:a8:00:0c', subnet: '10.244.2', vtepMac: '0a:72:bf:3f:cd:40', bridgeMac: '62:4c:f1:9b:42:01' },
  ],
  pods: [
    { name: 'pod-a', node: 'node1', ip: '10.244.1.2', hostIf: 'veth3a1b2c4d', hostMac: 'a6:3e:11:5c:20:01', podMac: '5a:9c:01:f4:01:02' },
    { name: 'pod-b', node: 'node2', ip: '10.244.2.2', hostIf: 'veth7e9d0f12', hostMac: 'a6:3e:11:5c:20:02', podMac: '5a:9c:01:f4:02:02' },
  ] as VxlanPod[],
  outside: { name: 'outside', ip: '192.168.0.50', mac: '52:54:00:a8:00:32' },
  mtu: 1450,
};

/** Extra pods for the scenarios that need more than two: pod-c on node1, pod-d on node2. */
export const VXLAN_EXTRA_PODS: VxlanPod[] = [
  { name: 'pod-c', node: 'node1', ip: '10.244.1.3', hostIf: 'veth5c1d2e3f', hostMac: 'a6:3e:11:5c:20:03', podMac: '5a:9c:01:f4:01:03' },
  { name: 'pod-d', node: 'node2', ip: '10.244.2.3', hostIf: 'veth9a8b7c6d', hostMac: 'a6:3e:11:5c:20:04', podMac: '5a:9c:01:f4:02:03' },
];

export function flannelVxlan(lab: Lab, opts: BuildOptions): Built {
  const podMtu = opts.podMtu ?? VXLAN.mtu;
  const allPods = [...VXLAN.pods, ...(opts.extraPods ?? [])];
  const nic = (node: string) => opts.nics?.[node] ?? 'eth0';
  lanSwitch(lab);
  for (const n of VXLAN.nodes) lab.addHost(n.name);
  for (const p of allPods) lab.addHost(p.name);
  if (opts.outside) {
    lab.addHost(VXLAN.outside.name);
    plugIntoLan(lab, VXLAN.outside.name, 'eth0', VXLAN.outside.mac, `${VXLAN.outside.ip}/24`);
  }
  for (const n of VXLAN.nodes) {
    plugIntoLan(lab, n.name, nic(n.name), n.mac, `${n.ip}/24`);
    lab.script(n.name, [
      'sysctl -w net.ipv4.ip_forward=1',
      'sysctl -w net.bridge.bridge-nf-call-iptables=1',
      // flanneld: the VTEP, one per node (flannel's vxlan backend, "flannel.<VNI>").
      `ip link add flannel.1 address ${n.vtepMac} type vxlan id 1 local ${n.ip} dev ${nic(n.name)} dstport 8472 nolearning`,
      `ip link set flannel.1 mtu ${VXLAN.mtu} up`,
      `ip addr add ${n.subnet}.0/32 dev flannel.1`,
      // the bridge plugin: cni0 is the pods' gateway.
      `ip link add cni0 address ${n.bridgeMac} type bridge`,
      `ip link set cni0 mtu ${podMtu} up`,
      `ip addr add ${n.subnet}.1/24 dev cni0`,
      // flanneld's masquerade rules for traffic leaving the pod network (--ip-masq).
      `iptables -t nat -A POSTROUTING -s ${VXLAN.network} -d ${VXLAN.network} -m comment --comment "flanneld masq" -j RETURN`,
      `iptables -t nat -A POSTROUTING -s ${VXLAN.network} ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
    ]);
    // What flanneld programs for every other node's lease: route, permanent ARP entry, FDB entry.
    for (const peer of VXLAN.nodes.filter((x) => x !== n)) {
      lab.script(n.name, [
        `ip route add ${peer.subnet}.0/24 via ${peer.subnet}.0 dev flannel.1 onlink`,
        `ip neigh add ${peer.subnet}.0 lladdr ${peer.vtepMac} dev flannel.1 nud permanent`,
        `bridge fdb append ${peer.vtepMac} dev flannel.1 dst ${peer.ip} self permanent`,
      ]);
    }
  }
  for (const p of allPods) {
    const n = VXLAN.nodes.find((x) => x.name === p.node)!;
    podVeth(lab, p, podMtu);
    lab.sh(p.node, `ip link set ${p.hostIf} master cni0`);
    lab.script(p.name, [
      `ip addr add ${p.ip}/24 dev eth0`,
      `ip route add default via ${n.subnet}.1`,
      `ip route add ${VXLAN.network} via ${n.subnet}.1`,
    ]);
  }
  const nodes: NodeInfo[] = VXLAN.nodes.map((n) => ({
    name: n.name,
    underlayIp: n.ip,
    podCidr: `${n.subnet}.0/24`,
    interfaces: [
      { name: nic(n.name), kind: 'veth', addresses: [`${n.ip}/24`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      { name: 'flannel.1', kind: 'vxlan', addresses: [`${n.subnet}.0/32`], mtu: VXLAN.mtu, mac: n.vtepMac, note: `vxlan id 1 local ${n.ip} dev ${nic(n.name)} dstport 8472 nolearning` },
      { name: 'cni0', kind: 'bridge', addresses: [`${n.subnet}.1/24`], mtu: podMtu, mac: n.bridgeMac, note: 'the pods\' gateway (bridge plugin)' },
      ...allPods.filter((p) => p.node === n.name).map((p) => ({ name: p.hostIf, kind: 'veth', mtu: podMtu, mac: p.hostMac, note: `host end of ${p.name}'s eth0, port of cni0` })),
    ],
    routes: routesOf(lab, n.name),
  }));
  const pods: PodInfo[] = allPods.map((p) => ({
    name: p.name,
    node: p.node,
    ip: p.ip,
    hostInterface: p.hostIf,
    gateway: `${VXLAN.nodes.find((n) => n.name === p.node)!.subnet}.1`,
    mtu: podMtu,
  }));
  const pa = VXLAN.pods[0]!;
  const pb = VXLAN.pods[1]!;
  const points = flannelPath(pa.hostIf, 'cni0', 'flannel.1', pb.hostIf, nic('node1'), nic('node2'));
  const outside = opts.outside
    ? [{ name: VXLAN.outside.name, ip: VXLAN.outside.ip, note: 'a machine outside the cluster on the nodes\' switch: a client of NodePorts, a server pods reach through SNAT' }]
    : [];
  return {
    cni: 'flannel-vxlan',
    topology: {
      nodes, pods, outside, services: [],
      underlay: `node1 ${nic('node1')} and node2 ${nic('node2')}${opts.outside ? ' and the outside machine' : ''} on one switch (a bridge in its own namespace), 192.168.0.0/24`,
    },
    points,
    podToPod: points.map(pointId),
    podA: { host: pa.name, ip: pa.ip },
    podB: { host: pb.name, ip: pb.ip },
    ...(opts.outside ? { outside: { host: VXLAN.outside.name, ip: VXLAN.outside.ip } } : {}),
    pods: Object.fromEntries(allPods.map((p) => [p.name, { host: p.name, ip: p.ip, node: p.node, hostIf: p.hostIf }])),
  };
}

/** The capture points of a flannel pod-to-pod path, node1 → node2, whichever backend. */
function flannelPath(vethA: string, bridge: string, overlay: string, vethB: string, nic1 = 'eth0', nic2 = 'eth0'): PointDef[] {
  return [
    { node: 'node1', iface: vethA, role: 'pod-veth' },
    { node: 'node1', iface: bridge, role: 'bridge' },
    { node: 'node1', iface: overlay, role: 'overlay' },
    { node: 'node1', iface: nic1, role: 'nic' },
    { node: 'node2', iface: nic2, role: 'nic' },
    { node: 'node2', iface: overlay, role: 'overlay' },
    { node: 'node2', iface: bridge, role: 'bridge' },
    { node: 'node2', iface: vethB, role: 'pod-veth' },
  ];
}

// ---------------------------------------------------------------------------------------------
// flannel, UDP backend (flannel0 + flanneld in user space, docker0 as the bridge)

const UDPB = {
  network: '10.1.0.0/16',
  nodes: [
    { name: 'node1', ip: '192.168.44.108', mac: '08:00:27:e2:ae:0a', subnet: '10.1.19', bridgeMac: '02:42:3a:a6:1d:bb' },
    { name: 'node2', ip: '192.168.44.109', mac: '08:00:27:e2:ae:0b', subnet: '10.1.28', bridgeMac: '02:42:3a:a6:1c:cc' },
  ],
  pods: [
    { name: 'pod-a', node: 'node1', ip: '10.1.19.2', hostIf: 'veth5d2c8a1', hostMac: '9e:1f:0c:22:13:02', podMac: '02:42:0a:01:13:02' },
    { name: 'pod-b', node: 'node2', ip: '10.1.28.3', hostIf: 'veth91be4f7', hostMac: '9e:1f:0c:22:1c:03', podMac: '02:42:0a:01:1c:03' },
  ],
  mtu: 1472,
};

export async function flannelUdp(lab: Lab, opts: BuildOptions, start: StartFn): Promise<Built> {
  const podMtu = opts.podMtu ?? UDPB.mtu;
  lanSwitch(lab);
  for (const n of UDPB.nodes) lab.addHost(n.name);
  for (const p of UDPB.pods) lab.addHost(p.name);
  for (const n of UDPB.nodes) {
    plugIntoLan(lab, n.name, 'eth0', n.mac, `${n.ip}/24`);
    lab.script(n.name, ['sysctl -w net.ipv4.ip_forward=1', 'sysctl -w net.bridge.bridge-nf-call-iptables=1']);
    const leases = UDPB.nodes.filter((x) => x !== n).map((x) => `--route ${x.subnet}.0/24=${x.ip}`);
    // flanneld --backend udp: opens the TUN device flannel0 and carries its packets in UDP 8285.
    await start(n.name, 'flanneld', `${opts.python} ${opts.labnet} flanneld --dev flannel0 --port 8285 ${leases.join(' ')}`);
    lab.script(n.name, [
      `ip addr add ${n.subnet}.0/16 dev flannel0`,
      `ip link set flannel0 mtu ${UDPB.mtu} up`,
      // docker, started with flannel's options: --bip=<subnet>.1/24 --mtu=1472 --ip-masq=false.
      `ip link add docker0 address ${n.bridgeMac} type bridge`,
      `ip link set docker0 mtu ${podMtu} up`,
      `ip addr add ${n.subnet}.1/24 dev docker0`,
      'iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
      'iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT',
    ]);
  }
  for (const p of UDPB.pods) {
    const n = UDPB.nodes.find((x) => x.name === p.node)!;
    podVeth(lab, p, podMtu);
    lab.sh(p.node, `ip link set ${p.hostIf} master docker0`);
    lab.script(p.name, [`ip addr add ${p.ip}/24 dev eth0`, `ip route add default via ${n.subnet}.1`]);
  }
  const nodes: NodeInfo[] = UDPB.nodes.map((n) => ({
    name: n.name,
    underlayIp: n.ip,
    podCidr: `${n.subnet}.0/24`,
    interfaces: [
      { name: 'eth0', kind: 'veth', addresses: [`${n.ip}/24`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      { name: 'flannel0', kind: 'tun', addresses: [`${n.subnet}.0/16`], mtu: UDPB.mtu, note: 'TUN device (link type raw IP) read and written by flanneld, which carries its packets in UDP 8285' },
      { name: 'docker0', kind: 'bridge', addresses: [`${n.subnet}.1/24`], mtu: podMtu, mac: n.bridgeMac, note: 'docker\'s bridge, the pods\' gateway' },
      ...UDPB.pods.filter((p) => p.node === n.name).map((p) => ({ name: p.hostIf, kind: 'veth', mtu: podMtu, mac: p.hostMac, note: `host end of ${p.name}'s eth0, port of docker0` })),
    ],
    routes: routesOf(lab, n.name),
  }));
  const pods: PodInfo[] = UDPB.pods.map((p) => ({
    name: p.name, node: p.node, ip: p.ip, hostInterface: p.hostIf,
    gateway: `${UDPB.nodes.find((n) => n.name === p.node)!.subnet}.1`, mtu: podMtu,
  }));
  const pa = UDPB.pods[0]!;
  const pb = UDPB.pods[1]!;
  const points = flannelPath(pa.hostIf, 'docker0', 'flannel0', pb.hostIf);
  return {
    cni: 'flannel-udp',
    topology: { nodes, pods, outside: [], services: [], underlay: 'node1 eth0 and node2 eth0 on one switch (a bridge in its own namespace), 192.168.44.0/24' },
    points,
    podToPod: points.map(pointId),
    podA: { host: pa.name, ip: pa.ip },
    podB: { host: pb.name, ip: pb.ip },
  };
}

// ---------------------------------------------------------------------------------------------
// Calico, routed cali* veths, IP-in-IP between nodes, NAT-outgoing to an outside host

const CALICO = {
  pool: '192.168.0.0/16',
  gw: { lanIp: '10.39.0.1', lanMac: '52:54:00:27:00:01', extIp: '203.0.113.1', extMac: '52:54:00:71:00:01' },
  nodes: [
    { name: 'node1', ip: '10.39.0.110', mac: '52:54:15:5d:39:58', block: '192.168.4.0/26', tunlIp: '192.168.4.0' },
    { name: 'node2', ip: '10.39.0.107', mac: '52:54:31:1e:e1:d9', block: '192.168.54.0/26', tunlIp: '192.168.54.0' },
  ],
  pods: [
    { name: 'pod-a', node: 'node1', ip: '192.168.4.25', hostIf: 'calidc7f3a1b60c', podMac: '3e:8b:5a:04:19:25' },
    { name: 'pod-b', node: 'node2', ip: '192.168.54.50', hostIf: 'cali91dded39638', podMac: '3e:8b:5a:36:32:50' },
  ],
  outside: { name: 'outside', ip: '203.0.113.10', mac: '52:54:00:71:00:0a' },
  /** Calico's host-side MAC for every workload veth. */
  caliMac: 'ee:ee:ee:ee:ee:ee',
  mtu: 1440,
};

export type StartFn = (host: string, name: string, command: string) => Promise<void>;

export async function calicoIpip(lab: Lab, opts: BuildOptions, start: StartFn): Promise<Built> {
  const podMtu = opts.podMtu ?? CALICO.mtu;
  lanSwitch(lab);
  lab.addHost('gw');
  lab.addHost(CALICO.outside.name);
  for (const n of CALICO.nodes) lab.addHost(n.name);
  for (const p of CALICO.pods) lab.addHost(p.name);

  // The underlay router and an outside host on a documentation address (RFC 5737).
  plugIntoLan(lab, 'gw', 'eth0', CALICO.gw.lanMac, `${CALICO.gw.lanIp}/24`);
  lab.sh('gw', `ip link add eth1 address ${CALICO.gw.extMac} type veth peer name eth0 address ${CALICO.outside.mac} netns ${lab.ns('outside')}`);
  lab.script('gw', ['ip link set eth1 up', `ip addr add ${CALICO.gw.extIp}/24 dev eth1`, 'sysctl -w net.ipv4.ip_forward=1']);
  lab.script('outside', ['ip link set eth0 up', `ip addr add ${CALICO.outside.ip}/24 dev eth0`, `ip route add default via ${CALICO.gw.extIp}`]);

  for (const n of CALICO.nodes) {
    plugIntoLan(lab, n.name, 'eth0', n.mac, `${n.ip}/24`);
    lab.script(n.name, [`ip route add default via ${CALICO.gw.lanIp}`, 'sysctl -w net.ipv4.ip_forward=1']);
    // tunl0: a TUN stand-in for the kernel's ipip fallback device (this kernel has no ipip module).
    const peers = CALICO.nodes.filter((x) => x !== n).map((x) => `--route ${x.block}=${x.ip}`);
    await start(n.name, 'tunl0', `${opts.python} ${opts.labnet} ipip --dev tunl0 ${peers.join(' ')}`);
    lab.script(n.name, [
      `ip addr add ${n.tunlIp}/32 dev tunl0`,
      `ip link set tunl0 mtu ${CALICO.mtu} up`,
      // BIRD: a blackhole for the node's own block, the peer's block via IP-in-IP.
      `ip route add blackhole ${n.block} proto bird`,
      ...CALICO.nodes.filter((x) => x !== n).map((x) => `ip route add ${x.block} via ${x.ip} dev tunl0 proto bird onlink`),
      // Felix: NAT-outgoing for the IP pool (cali-nat-outgoing, an ipset in real clusters).
      `iptables -t nat -A POSTROUTING -s ${CALICO.pool} ! -d ${CALICO.pool} -m comment --comment "cali:nat-outgoing" -j MASQUERADE --random-fully`,
    ]);
  }
  for (const p of CALICO.pods) {
    podVeth(lab, { ...p, hostMac: CALICO.caliMac }, podMtu);
    // Felix's per-interface settings: proxy ARP answers for 169.254.1.1, forwarding on.
    lab.script(p.node, [
      `sysctl -w net.ipv4.conf.${p.hostIf}.proxy_arp=1 net.ipv4.neigh.${p.hostIf}.proxy_delay=0 net.ipv4.conf.${p.hostIf}.forwarding=1`,
      `ip route add ${p.ip} dev ${p.hostIf} scope link`,
    ]);
    lab.script(p.name, [
      `ip addr add ${p.ip}/32 dev eth0`,
      'ip route add 169.254.1.1 dev eth0 scope link',
      'ip route add default via 169.254.1.1 dev eth0',
    ]);
  }
  const nodes: NodeInfo[] = CALICO.nodes.map((n) => ({
    name: n.name,
    underlayIp: n.ip,
    podCidr: n.block,
    interfaces: [
      { name: 'eth0', kind: 'veth', addresses: [`${n.ip}/24`], mtu: 1500, mac: n.mac, note: 'the node NIC on the underlay' },
      {
        name: 'tunl0', kind: 'tun', addresses: [`${n.tunlIp}/32`], mtu: CALICO.mtu,
        note: 'stand-in for the ipip fallback device tunl0 (this kernel has no ipip module): a TUN device whose packets a user-space forwarder sends as IPv4 protocol 4 with DF clear and the inner TTL, like "ipip ttl inherit nopmtudisc"; both have link type raw IP',
      },
      ...CALICO.pods.filter((p) => p.node === n.name).map((p) => ({ name: p.hostIf, kind: 'veth', mtu: podMtu, mac: CALICO.caliMac, note: `host end of ${p.name}'s eth0: routed, no address, proxy_arp=1` })),
    ],
    routes: routesOf(lab, n.name),
  }));
  const pods: PodInfo[] = CALICO.pods.map((p) => ({ name: p.name, node: p.node, ip: p.ip, hostInterface: p.hostIf, gateway: '169.254.1.1', mtu: podMtu }));
  const pa = CALICO.pods[0]!;
  const pb = CALICO.pods[1]!;
  const points: PointDef[] = [
    { node: 'node1', iface: pa.hostIf, role: 'pod-veth' },
    { node: 'node1', iface: 'tunl0', role: 'overlay' },
    { node: 'node1', iface: 'eth0', role: 'nic' },
    { node: 'node2', iface: 'eth0', role: 'nic' },
    { node: 'node2', iface: 'tunl0', role: 'overlay' },
    { node: 'node2', iface: pb.hostIf, role: 'pod-veth' },
    { node: 'outside', iface: 'eth0', role: 'host' },
  ];
  return {
    cni: 'calico-ipip',
    topology: {
      nodes,
      pods,
      outside: [{ name: 'outside', ip: CALICO.outside.ip, note: `an internet host (RFC 5737 address) behind the router ${CALICO.gw.lanIp}/${CALICO.gw.extIp}, which has no route to the pod pool` }],
      services: [],
      underlay: `node1, node2 and the router on one switch, 10.39.0.0/24; the router forwards to ${CALICO.outside.ip}`,
    },
    points,
    podToPod: points.slice(0, 6).map(pointId),
    toOutside: [pointId(points[0]!), pointId(points[2]!), pointId(points[6]!)],
    podA: { host: pa.name, ip: pa.ip },
    podB: { host: pb.name, ip: pb.ip },
    outside: { host: 'outside', ip: CALICO.outside.ip },
  };
}

export type { CapturePoint };

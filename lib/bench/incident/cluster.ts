/**
 * The cluster the benchmark incident happens in: two nodes of a flannel VXLAN cluster on a
 * VirtualBox host-only network, their pods and services, the eight capture points and the one
 * broken flow. Everything the generator writes and the tests check is derived from here.
 *
 *   node1 192.168.56.11 (control plane)           node2 192.168.56.12
 *     pod A 10.244.1.2 ─ veth3f9a1c2e ─┐            ┌─ veth8b0d47e5 ─ pod B 10.244.2.2
 *     other pods ────────────────────cni0          cni0──────────────────── other pods
 *                                      │ routed      │
 *                                  flannel.1       flannel.1   (VNI 1, UDP 8472, MTU 1450)
 *                                      │ VXLAN       │
 *                                    eth0 ───────── eth0 ── 192.168.56.1 (the admin's laptop)
 *
 * Protocol numbers are spelled here rather than imported from lib/protocols: the generator is
 * an oracle for the decoders, so it states the wire facts itself.
 */

export const LINKTYPE_ETHERNET = 1;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
/** flannel's VXLAN port, the kernel's pre-IANA default (not 4789). */
export const FLANNEL_VXLAN_PORT = 8472;
export const FLANNEL_VNI = 1;
/** flannel.1, cni0 and the pods: 1500 minus 50 bytes of outer Ethernet, IPv4, UDP and VXLAN. */
export const OVERLAY_MTU = 1450;
export const UNDERLAY_MTU = 1500;
/** The kernel's ephemeral port range: VXLAN source ports and client ports come from it. */
export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;

export function ipv4(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${text}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function ipv4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function mac(text: string): Uint8Array {
  const bytes = text.split(':').map((h) => parseInt(h, 16));
  if (bytes.length !== 6 || bytes.some((b) => !(b >= 0 && b <= 255))) throw new Error(`bad MAC ${text}`);
  return Uint8Array.from(bytes);
}

export function macText(m: Uint8Array): string {
  return [...m].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The capture points, in the order the files are listed (client side to server side). */
export const POINT = {
  node1Veth: 0,
  node1Cni0: 1,
  node1Flannel: 2,
  node1Eth0: 3,
  node2Eth0: 4,
  node2Flannel: 5,
  node2Cni0: 6,
  node2Veth: 7,
} as const;
export const POINT_COUNT = 8;

export interface ClusterNode {
  name: 'node1' | 'node2';
  ip: number;
  /** eth0's MAC. */
  mac: Uint8Array;
  /** flannel.1's MAC: the inner frames of VXLAN packets go from one VTEP MAC to the other. */
  vtepMac: Uint8Array;
  cni0Mac: Uint8Array;
  /** cni0's address, the pods' gateway and the source of kubelet's probes. */
  gateway: number;
  podNet: number;
  /** Add to true time to get this node's capture timestamps. */
  clockOffsetNs: number;
  /**
   * The kernel's per-boot flow-hash key: the VXLAN source port is a hash of the inner flow
   * (udp_flow_src_port), symmetric in direction but different on each node.
   */
  flowHashKey: number;
  points: { veth: number; cni0: number; flannel: number; eth0: number };
  vethName: string;
}

/** node2's clock runs this far ahead of node1's (NTP off by tens of milliseconds). */
export const NODE2_CLOCK_AHEAD_NS = 37_462_318;

export const NODE1: ClusterNode = {
  name: 'node1',
  ip: ipv4('192.168.56.11'),
  mac: mac('08:00:27:8e:21:f4'),
  vtepMac: mac('ce:6f:1a:b3:40:5e'),
  cni0Mac: mac('9a:3e:5c:71:0b:d2'),
  gateway: ipv4('10.244.1.1'),
  podNet: ipv4('10.244.1.0'),
  clockOffsetNs: 0,
  flowHashKey: 0x5e1f_93a7,
  points: { veth: POINT.node1Veth, cni0: POINT.node1Cni0, flannel: POINT.node1Flannel, eth0: POINT.node1Eth0 },
  vethName: 'veth3f9a1c2e',
};

export const NODE2: ClusterNode = {
  name: 'node2',
  ip: ipv4('192.168.56.12'),
  mac: mac('08:00:27:d1:07:9b'),
  vtepMac: mac('1a:c4:82:f7:2e:93'),
  cni0Mac: mac('f2:8d:14:a6:39:e0'),
  gateway: ipv4('10.244.2.1'),
  podNet: ipv4('10.244.2.0'),
  clockOffsetNs: NODE2_CLOCK_AHEAD_NS,
  flowHashKey: 0x2b7c_d041,
  points: { veth: POINT.node2Veth, cni0: POINT.node2Cni0, flannel: POINT.node2Flannel, eth0: POINT.node2Eth0 },
  vethName: 'veth8b0d47e5',
};

export const NODES: readonly ClusterNode[] = [NODE1, NODE2];

export interface CapturePointInfo {
  node: ClusterNode;
  interface: string;
  file: string;
}

export const CAPTURE_POINTS: readonly CapturePointInfo[] = [
  { node: NODE1, interface: NODE1.vethName },
  { node: NODE1, interface: 'cni0' },
  { node: NODE1, interface: 'flannel.1' },
  { node: NODE1, interface: 'eth0' },
  { node: NODE2, interface: 'eth0' },
  { node: NODE2, interface: 'flannel.1' },
  { node: NODE2, interface: 'cni0' },
  { node: NODE2, interface: NODE2.vethName },
].map((p) => ({ ...p, file: `${p.node.name}-${p.interface}.pcap` }));

/** Something that sends and receives IP packets: a pod, a node's own stack, an outside host. */
export interface Endpoint {
  kind: 'pod' | 'host' | 'outside';
  name: string;
  ip: number;
  mac: Uint8Array;
  /** The node it lives on; null for a host outside the cluster. */
  node: ClusterNode | null;
  /** The capture point of its veth, for the two pods whose veth was captured. */
  vethPoint: number | null;
}

/** Pod MACs: the bridge plugin gives each pod a random, locally administered address. */
function podMac(ip: number): Uint8Array {
  let h = Math.imul(ip ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  const m = new Uint8Array(6);
  m[0] = ((h >>> 24) & 0xfc) | 0x02;
  m[1] = (h >>> 16) & 0xff;
  m[2] = (h >>> 8) & 0xff;
  m[3] = h & 0xff;
  m[4] = (ip >>> 8) & 0xff;
  m[5] = ip & 0xff;
  return m;
}

function pod(name: string, node: ClusterNode, last: number, captured = false): Endpoint {
  const ip = (node.podNet | last) >>> 0;
  return { kind: 'pod', name, ip, mac: podMac(ip), node, vethPoint: captured ? node.points.veth : null };
}

function host(node: ClusterNode): Endpoint {
  return { kind: 'host', name: node.name, ip: node.ip, mac: node.mac, node, vethPoint: null };
}

/** A node's stack as seen from its pods: kubelet's probes come from cni0's address. */
export function gatewayOf(node: ClusterNode): Endpoint {
  return { kind: 'host', name: `${node.name} (cni0)`, ip: node.gateway, mac: node.cni0Mac, node, vethPoint: null };
}

export const POD_A = pod('shop-client', NODE1, 2, true);
export const POD_B = pod('web', NODE2, 2, true);

export const PODS = {
  client: POD_A,
  prometheus: pod('prometheus', NODE1, 3),
  worker: pod('worker', NODE1, 4),
  frontend: pod('frontend', NODE1, 5),
  batch: pod('batch', NODE1, 6),
  cacheLocal: pod('cache', NODE1, 7),
  web: POD_B,
  coredns: pod('coredns', NODE2, 3),
  redis: pod('redis', NODE2, 4),
  api2: pod('api-2', NODE2, 5),
  postgres: pod('postgres', NODE2, 6),
  search: pod('search', NODE2, 7),
  metricsAgent: pod('metrics-agent', NODE2, 8),
} as const;

export const NODE1_PODS: readonly Endpoint[] = Object.values(PODS).filter((p) => p.node === NODE1);
export const NODE2_PODS: readonly Endpoint[] = Object.values(PODS).filter((p) => p.node === NODE2);

export const HOSTS = {
  node1: host(NODE1),
  node2: host(NODE2),
  /** The VirtualBox host on the host-only network: the engineer's ssh sessions come from it. */
  admin: { kind: 'outside', name: 'admin laptop', ip: ipv4('192.168.56.1'), mac: mac('0a:00:27:00:00:00'), node: null, vethPoint: null } as Endpoint,
} as const;

export interface Service {
  name: string;
  clusterIp: number;
  port: number;
  protocol: 'tcp' | 'udp';
  endpoint: Endpoint;
  targetPort: number;
}

/** ClusterIP services: kube-proxy DNATs them on the client's node (at cni0, with br_netfilter). */
export const SERVICES = {
  web: { name: 'shop/web', clusterIp: ipv4('10.96.148.21'), port: 80, protocol: 'tcp', endpoint: POD_B, targetPort: 80 } as Service,
  dns: { name: 'kube-system/kube-dns', clusterIp: ipv4('10.96.0.10'), port: 53, protocol: 'udp', endpoint: PODS.coredns, targetPort: 53 } as Service,
};

/**
 * The one broken flow: pod A's connection to pod B's admin port. A DROP rule in node2's FORWARD
 * chain (a network policy) discards it after flannel.1: its SYNs are seen on node1's four points
 * and on node2's eth0 and flannel.1, never on node2's cni0 or pod B's veth, and nothing answers.
 */
export const BROKEN_FLOW = {
  client: POD_A,
  server: POD_B,
  serverPort: 9090,
  /** The last capture point its packets reach. */
  lastPoint: POINT.node2Flannel,
  /** When the first SYN leaves pod A (true time, ns after the capture started). */
  startNs: 6_000_000_000,
  /** SYN retransmissions after the first, in seconds: four linear (tcp_syn_linear_timeouts), then backoff. */
  retransmitsS: [1, 2, 3, 4, 6],
  /** The client's connect timeout: it gives up silently. */
  giveUpS: 8,
} as const;

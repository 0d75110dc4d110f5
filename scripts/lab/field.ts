/**
 * Captures as engineers really bring them (issue 13): one `tcpdump -i any` per node, NodePorts
 * whose two legs share one NIC, nodes full of chatter and of healthy traffic, captures that start
 * late and stop early, connections older than the capture, traffic the node answers itself,
 * short snap lengths, random loss on the underlay. All on the flannel VXLAN cluster of
 * topologies.ts; each scenario's `run` tells its story through a FieldCtx (field-run.ts), and
 * what really happened is measured from the captures afterwards.
 */
import type { Lab } from './exec';
import { LABNET } from './scenarios';
import { plugIntoLan, routesOf } from './plumbing';
import { flannelVxlan, VXLAN_EXTRA_PODS, type BuildOptions, type Built, type StartFn, type VxlanPod } from './topologies';
import type { ClientResult, Fault, FlowProtocol, PointId, PointRole, ServiceInfo } from '../../lib/lab/scenario';

export interface CaptureSpec {
  node: string;
  /** A device, or `any`. */
  iface: string;
  role: PointRole;
  /** tcpdump -s; the full 262144 when unset. */
  snaplen?: number;
  /** `-y LINUX_SLL`: Linux cooked v1 (no interface index) instead of v2. */
  sll1?: boolean;
  /** tcpdump -Q: only what the host received on the device (`in`) or sent (`out`). */
  direction?: 'in' | 'out';
  /**
   * A second tcpdump of the point, beside its whole capture, writing a new file every second
   * into rotated/ (-G 1), as engineers bound a busy node's captures: named by the time as
   * strftime's `%Y%m%d-%H%M%S` (`date`), or `%s` with each finished file gzipped (-z gzip, `epoch-gzip`).
   */
  rotate?: 'date' | 'epoch-gzip';
  /**
   * A `-i any` capture beside the points that captures the same devices again, as an engineer
   * takes one too: listed in extraCaptures, out of the ground truth (its packets are the points')
   * and of all-interfaces.pcapng.
   */
  extra?: boolean;
}

export interface Host {
  host: string;
  ip: string;
}

export interface FieldFlowSpec {
  id: string;
  protocol: FlowProtocol;
  description: string;
  client: Host;
  /** What the client dials (a pod, a node, a NodePort, a ClusterIP). */
  target: { ip: string; port?: number };
  /** Who answers, after any DNAT. */
  server: { host: string; ip: string; port?: number };
  path: PointId[];
  icmpId?: number;
  /** ping -c, -i, -s */
  count?: number;
  interval?: number;
  size?: number;
  clientPort?: number;
  dnsId?: number;
  /** A client command of its own (documented form, with `python3 scripts/lab/labnet.py`). */
  command?: string;
  /** A flow of interest, with the verdict a good analyzer gives; without it the flow must work. */
  interest?: { expectedVerdict: string };
}

export interface FieldCtx {
  readonly lab: Lab;
  readonly built: Built;
  /** Run one command on a host and record it. */
  sh(host: string, command: string): string;
  /** Start a long-running labnet tool that prints "ready". */
  start(host: string, name: string, command: string, ready?: RegExp): Promise<void>;
  /** Run a short command to its end (asynchronously) and record it. */
  once(host: string, command: string): Promise<string>;
  serve(host: string, opts: { tcp?: number[]; udp?: number[]; resetTcp?: number[]; answer?: string; responseBytes?: number }): Promise<void>;
  capture(spec: CaptureSpec): Promise<void>;
  stopCaptures(filter?: (c: CaptureSpec) => boolean): Promise<void>;
  fault(f: Fault): void;
  flow(spec: FieldFlowSpec): Promise<ClientResult>;
  flowInBackground(spec: FieldFlowSpec): Promise<ClientResult>;
  session(spec: FieldFlowSpec): Promise<{ done: Promise<ClientResult> }>;
  sleep(ms: number): Promise<void>;
}

export interface FieldScenarioDef {
  name: string;
  /** Short id for the namespaces (`hslab-<id>-<host>`); the name when unset. */
  id?: string;
  title: string;
  summary: string;
  reportedAs: string;
  notes: string[];
  extraPods?: VxlanPod[];
  outside?: boolean;
  services?: ServiceInfo[];
  /** Run the capture kit on the nodes (default true); its bundles are kept for a fault or the healthy baseline. */
  kit?: boolean;
  /** The pods (hosts) whose addresses the kit is given (`--pod`): pod-a and pod-b when unset. */
  kitPods?: string[];
  /**
   * Leave the nodes without a neighbour entry for the kit's pods: by default each node pings
   * its pods once before the scenario runs, as a kubelet's probes would have.
   */
  coldNeighbours?: boolean;
  /** Write all-interfaces.pcapng (default true). */
  pcapng?: boolean;
  ci?: boolean;
  /**
   * Builds the cluster (flannel VXLAN of topologies.ts when unset). `start` runs a long-lived
   * labnet tool (a user-space forwarder) in the background, as the classic topologies do.
   */
  build?(lab: Lab, opts: BuildOptions, start: StartFn): Built | Promise<Built>;
  run(ctx: FieldCtx): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The cluster's names, as topologies.ts builds them.

const H = {
  a: { host: 'pod-a', ip: '10.244.1.2' },
  b: { host: 'pod-b', ip: '10.244.2.2' },
  c: { host: 'pod-c', ip: '10.244.1.3' },
  d: { host: 'pod-d', ip: '10.244.2.3' },
  node1: { host: 'node1', ip: '192.168.0.11' },
  node2: { host: 'node2', ip: '192.168.0.12' },
  outside: { host: 'outside', ip: '192.168.0.50' },
} satisfies Record<string, Host>;

const VETH: Record<string, string> = { 'pod-a': 'veth3a1b2c4d', 'pod-b': 'veth7e9d0f12', 'pod-c': 'veth5c1d2e3f', 'pod-d': 'veth9a8b7c6d' };
const NODE_OF: Record<string, string> = { 'pod-a': 'node1', 'pod-c': 'node1', 'pod-b': 'node2', 'pod-d': 'node2' };

/**
 * The points a packet crosses from pod `from` to pod `to` (flannel VXLAN), in order. Between two
 * pods of one node the bridge forwards the frame: tcpdump on cni0 sees it (it puts the bridge in
 * promiscuous mode), `-i any` does not (`bridged` false).
 */
function podPath(from: string, to: string, bridged = true): PointId[] {
  const n1 = NODE_OF[from]!;
  const n2 = NODE_OF[to]!;
  if (n1 === n2) return bridged ? [`${n1}/${VETH[from]}`, `${n1}/cni0`, `${n2}/${VETH[to]}`] : [`${n1}/${VETH[from]}`, `${n2}/${VETH[to]}`];
  return [`${n1}/${VETH[from]}`, `${n1}/cni0`, `${n1}/flannel.1`, `${n1}/eth0`, `${n2}/eth0`, `${n2}/flannel.1`, `${n2}/cni0`, `${n2}/${VETH[to]}`];
}

/** The eight capture points of the pod-a → pod-b path, as the first fifteen scenarios take them. */
const AB_POINTS: CaptureSpec[] = [
  { node: 'node1', iface: 'veth3a1b2c4d', role: 'pod-veth' },
  { node: 'node1', iface: 'cni0', role: 'bridge' },
  { node: 'node1', iface: 'flannel.1', role: 'overlay' },
  { node: 'node1', iface: 'eth0', role: 'nic' },
  { node: 'node2', iface: 'eth0', role: 'nic' },
  { node: 'node2', iface: 'flannel.1', role: 'overlay' },
  { node: 'node2', iface: 'cni0', role: 'bridge' },
  { node: 'node2', iface: 'veth7e9d0f12', role: 'pod-veth' },
];

// The flow builders every field, CNI and wild scenario uses.

export type Extra = Partial<FieldFlowSpec>;

function server(h: Host, port?: number): FieldFlowSpec['server'] {
  return { host: h.host, ip: h.ip, ...(port !== undefined ? { port } : {}) };
}

/** `10.244.2.2:80`, `[fd00:10:244:2::2]:80`. */
const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export function ping(id: string, from: Host, to: Host, icmpId: number, path: PointId[], extra: Extra = {}): FieldFlowSpec {
  const count = extra.count ?? 3;
  const v6 = to.ip.includes(':');
  return {
    id, protocol: 'icmp', description: `ping${v6 ? ' (IPv6)' : ''} ${from.host} → ${to.host} (${to.ip}), ${count} echo requests${extra.size !== undefined ? ` of ${extra.size} data bytes` : ''}`,
    client: from, target: { ip: to.ip }, server: server(to), path, icmpId, count, ...extra,
  };
}

export function tcp(id: string, from: Host, to: Host, port: number, clientPort: number, path: PointId[], extra: Extra = {}): FieldFlowSpec {
  const v6 = to.ip.includes(':');
  return {
    id, protocol: 'tcp', description: `${from.host} opens TCP${v6 ? ' over IPv6' : ''} to ${to.host} ${hostPort(to.ip, port)} and sends one HTTP request`,
    client: from, target: { ip: to.ip, port }, server: server(to, port), path, clientPort, ...extra,
  };
}

export function udp(id: string, from: Host, to: Host, port: number, clientPort: number, dnsId: number, path: PointId[], extra: Extra = {}): FieldFlowSpec {
  const v6 = to.ip.includes(':');
  return {
    id, protocol: 'udp', description: `${from.host} sends one DNS query${v6 ? ' over IPv6' : ''} to ${to.host} ${hostPort(to.ip, port)}`,
    client: from, target: { ip: to.ip, port }, server: server(to, port), path, clientPort, dnsId, ...extra,
  };
}

export const interest = (expectedVerdict: string): Extra => ({ interest: { expectedVerdict } });

/** A labnet exchange (DHCP) that must have completed for the scenario to show it. */
function mustAnswer(stdout: string): void {
  if (!/"outcome": "response"/.test(stdout)) throw new Error(`expected an answer, got: ${stdout.trim()}`);
}

const OK = 'healthy: requests and replies cross every capture point';
const FWD_DROP_NODE2 = 'requests reach node2 flannel.1 but never cni0: node2 does not forward them (FORWARD policy DROP, or ip_forward=0); no reply is sent';

/** Pod applications: HTTP-like on 80 and 8080 (the probe port), DNS-like on 53. */
async function podServers(ctx: FieldCtx, pods: Host[], tcpPorts = [80, 8080], responseBytes = 64): Promise<void> {
  for (const p of pods) await ctx.serve(p.host, { tcp: tcpPorts, udp: [53], answer: p.ip, responseBytes });
}

async function captureAll(ctx: FieldCtx, points: CaptureSpec[], extra: Partial<CaptureSpec> = {}): Promise<void> {
  for (const p of points) await ctx.capture({ ...p, ...extra });
}

// ---------------------------------------------------------------------------------------------
// 1. One tcpdump -i any per node and nothing else.

function anyOnly(variant: 'sll2' | 'sll1'): FieldScenarioDef {
  const sll1 = variant === 'sll1';
  // Behind SLL2 each record names its interface: the path is the node's devices. SLL v1 has no
  // index, so a flow can only be placed on a node.
  const abPath = sll1 ? ['node1/any', 'node2/any'] : podPath('pod-a', 'pod-b');
  const acPath = sll1 ? ['node1/any'] : podPath('pod-a', 'pod-c', false);
  const probePath = sll1 ? ['node2/any'] : ['node2/cni0', 'node2/veth7e9d0f12'];
  const verdict = sll1
    ? 'requests reach node2 and are not answered: node2 does not forward them (FORWARD policy DROP, or ip_forward=0); -i any with Linux cooked v1 cannot tell which device the packets stopped at'
    : FWD_DROP_NODE2;
  return {
    name: sll1 ? 'any-sll1-forward-drop' : 'any-sll2-forward-drop',
    id: sll1 ? 'any1' : 'any2',
    title: sll1
      ? 'tcpdump -y LINUX_SLL -i any on each node (cooked v1, no interface index), FORWARD DROP on node2'
      : 'tcpdump -i any on each node and nothing else (cooked v2), FORWARD DROP on node2',
    summary: sll1
      ? 'The same cluster and fault as any-sll2-forward-drop, captured with `tcpdump -y LINUX_SLL -i any`: each record says in or out (packet type) but not on which device. pod-a → pod-b dies on node2; pod-a → pod-c (same node) and node2\'s probe of pod-b work.'
      : 'All the engineer has is one `tcpdump -i any` per node (Linux cooked v2, link type 276) and `ip -o link` from each node. Every packet appears once per device it crossed, tagged with the device\'s index. node2\'s FORWARD policy DROP stops pod-a → pod-b after node2 flannel.1; pod-a → pod-c on node1 and node2\'s kubelet-like probe of pod-b work.',
    reportedAs: 'DOMAIN.md, what real incidents add: `tcpdump -i any` writes SLL2; the file has no interface names, `ip -o link` on the node maps index to name. Seed 000/002: FORWARD policy DROP.',
    notes: [
      sll1
        ? 'LINUX_SLL (v1) records carry the packet type (0 to us, 4 outgoing, …) and the ARPHRD type but no interface index: a packet seen twice on a node cannot be placed on a device.'
        : 'SLL2 records carry the interface index of the node they were captured on; node1-links.txt and node2-links.txt are `ip -o link` from the nodes, and capturePoints[].ifindex maps index to name. tcpdump -r elsewhere prints the reading machine\'s names, which are wrong.',
      'A forwarded packet appears once per device: pod veth (in), cni0 (in), flannel.1 (out), eth0 (out, inside VXLAN) on the sending node; eth0, flannel.1, cni0, pod veth on the receiving one.',
      'The flows\' seenAt is keyed by <node>/<device> (SLL2, resolved through ifindex) or by <node>/any (SLL v1).',
      'A FORWARD DROP does not stop the node\'s own traffic: node2 → pod-b (OUTPUT) still works.',
      '-i any does not make devices promiscuous: pod-a → pod-c, bridged inside cni0, appears on the two veths and never on cni0.',
    ],
    extraPods: [VXLAN_EXTRA_PODS[0]!],
    ci: !sll1,
    async run(ctx) {
      await podServers(ctx, [H.a, H.b, H.c]);
      await ctx.sleep(1200);
      await ctx.capture({ node: 'node1', iface: 'any', role: 'any', ...(sll1 ? { sll1: true } : {}) });
      await ctx.capture({ node: 'node2', iface: 'any', role: 'any', ...(sll1 ? { sll1: true } : {}) });
      await ctx.sleep(300);
      ctx.fault({
        kind: 'forward-policy-drop', description: 'iptables FORWARD policy DROP on node2 with no rule accepting traffic to the pod network', node: 'node2',
        commands: [{ host: 'node2', command: 'iptables -P FORWARD DROP' }],
      });
      await ctx.flow(ping('ping', H.a, H.b, 0x4801, abPath, interest(verdict)));
      await ctx.flow(tcp('http', H.a, H.b, 80, 40080, abPath, interest(verdict)));
      await ctx.flow(udp('dns', H.a, H.b, 53, 40053, 0x4853, abPath, interest(verdict)));
      await ctx.flow(ping('ping-same-node', H.a, H.c, 0x4811, acPath));
      await ctx.flow(tcp('http-same-node', H.a, H.c, 80, 40180, acPath));
      await ctx.flow(tcp('probe-pod-b', H.node2, H.b, 8080, 40280, probePath, { description: 'node2 probes pod-b:8080 (a kubelet readiness probe; from cni0\'s address 10.244.2.1)', client: { host: 'node2', ip: '10.244.2.1' } }));
      await ctx.sleep(1000);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. NodePort (externalTrafficPolicy=Cluster), hostPort, and a hairpin through a ClusterIP.

/** kube-proxy (iptables mode) for one service with one endpoint, as it programs every node. */
function kubeProxy(svc: { chain: string; name: string; clusterIp: string; port: number; proto: 'tcp' | 'udp'; nodePort: number; endpoint: string; endpointPort: number }): string[] {
  const { chain, proto } = svc;
  return [
    `iptables -t nat -N KUBE-SVC-${chain}`,
    `iptables -t nat -N KUBE-EXT-${chain}`,
    `iptables -t nat -N KUBE-SEP-${chain}`,
    `iptables -t nat -A KUBE-SERVICES -d ${svc.clusterIp}/32 -p ${proto} -m comment --comment "${svc.name} cluster IP" -m ${proto} --dport ${svc.port} -j KUBE-SVC-${chain}`,
    `iptables -t nat -A KUBE-NODEPORTS -p ${proto} -m comment --comment "${svc.name}" -m ${proto} --dport ${svc.nodePort} -j KUBE-EXT-${chain}`,
    `iptables -t nat -A KUBE-EXT-${chain} -m comment --comment "masquerade traffic for ${svc.name} external destinations" -j KUBE-MARK-MASQ`,
    `iptables -t nat -A KUBE-EXT-${chain} -j KUBE-SVC-${chain}`,
    `iptables -t nat -A KUBE-SVC-${chain} -m comment --comment "${svc.name} -> ${svc.endpoint}:${svc.endpointPort}" -j KUBE-SEP-${chain}`,
    `iptables -t nat -A KUBE-SEP-${chain} -s ${svc.endpoint}/32 -m comment --comment "${svc.name}" -j KUBE-MARK-MASQ`,
    `iptables -t nat -A KUBE-SEP-${chain} -p ${proto} -m comment --comment "${svc.name}" -m ${proto} -j DNAT --to-destination ${svc.endpoint}:${svc.endpointPort}`,
  ];
}

const KUBE_PROXY_BASE = [
  'iptables -t nat -N KUBE-SERVICES',
  'iptables -t nat -N KUBE-NODEPORTS',
  'iptables -t nat -N KUBE-POSTROUTING',
  'iptables -t nat -N KUBE-MARK-MASQ',
  'iptables -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  'iptables -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  'iptables -t nat -I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  'iptables -t nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
  'iptables -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  'iptables -t nat -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
  'iptables -t nat -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
];

const WEB_SVC = { chain: 'WEB7XQ2M', name: 'default/web:http', clusterIp: '10.96.100.10', port: 80, proto: 'tcp' as const, nodePort: 30080, endpoint: '10.244.1.2', endpointPort: 80 };
const DNS_SVC = { chain: 'DNS4K9PL', name: 'default/web-dns:dns', clusterIp: '10.96.100.53', port: 53, proto: 'udp' as const, nodePort: 30053, endpoint: '10.244.1.2', endpointPort: 53 };

/** The web and DNS services, NodePorts 30080 and 30053, whose one endpoint is pod-a on node1. */
const NODEPORT_SERVICES: ServiceInfo[] = [
  { name: WEB_SVC.name, clusterIp: WEB_SVC.clusterIp, port: 80, protocol: 'tcp', endpoints: ['10.244.1.2:80'] },
  { name: DNS_SVC.name, clusterIp: DNS_SVC.clusterIp, port: 53, protocol: 'udp', endpoints: ['10.244.1.2:53'] },
];

/** What a NodePort incident is captured at: node2 (the ingress node) at its NIC and overlay, node1 down to pod-a. */
const NODEPORT_POINTS: CaptureSpec[] = [
  { node: 'node2', iface: 'eth0', role: 'nic' },
  { node: 'node2', iface: 'flannel.1', role: 'overlay' },
  { node: 'node1', iface: 'eth0', role: 'nic' },
  { node: 'node1', iface: 'flannel.1', role: 'overlay' },
  { node: 'node1', iface: 'cni0', role: 'bridge' },
  { node: 'node1', iface: 'veth3a1b2c4d', role: 'pod-veth' },
];

/** kube-proxy's rules for NODEPORT_SERVICES on both nodes. */
function nodePortServices(ctx: FieldCtx): void {
  const nodePorts = 'iptables -t nat -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';
  for (const n of ['node1', 'node2']) for (const c of [...KUBE_PROXY_BASE, ...kubeProxy(WEB_SVC), ...kubeProxy(DNS_SVC), nodePorts]) ctx.sh(n, c);
}

const nodeport: FieldScenarioDef = {
  name: 'nodeport-hostport-healthy',
  id: 'nport',
  title: 'NodePort (externalTrafficPolicy=Cluster) to a pod on the other node, a hostPort, and a ClusterIP hairpin; all healthy',
  summary: 'An outside client calls node2:30080 and node2:30053; kube-proxy on node2 DNATs to pod-a on node1 and masquerades to node2\'s flannel.1 address, so node2 eth0 carries the client\'s leg and, microseconds later, the same connection inside VXLAN. The same client uses pod-a\'s hostPort node1:8081, and pod-a calls its own service\'s ClusterIP and is answered by itself (hairpin, SNAT to cni0\'s address). Everything works.',
  reportedAs: 'DOMAIN.md: NodePort with externalTrafficPolicy=Cluster puts both legs of one connection on one eth0; seed 002: KUBE-SVC/KUBE-SEP DNAT and MASQUERADE.',
  notes: [
    'node2/eth0 sees every NodePort packet twice: once between the client and node2 (192.168.0.50 ↔ 192.168.0.12:30080), once inside VXLAN between 10.244.2.0 (MASQUERADE --random-fully: new source port) and pod-a 10.244.1.2:80. seenAt counts both.',
    'The hostPort (CNI portmap) DNATs without SNAT: pod-a sees the client\'s own address.',
    'Hairpin: pod-a → 10.96.100.10:80 is DNATed back to pod-a (br_netfilter, at cni0\'s ingress) and the bridge sends it back out the same port (hairpin mode on, as kubelet\'s hairpin-veth sets it). The MASQUERADE kube-proxy asks for did not apply to this bridged hairpin here: the second leg reads 10.244.1.2 → 10.244.1.2:80. The pod veth carries both legs of the connection.',
    'Services: see topology.services. kube-proxy rules are in commands.txt.',
  ],
  outside: true,
  services: NODEPORT_SERVICES,
  async run(ctx) {
    nodePortServices(ctx);
    for (const c of [
      'iptables -t nat -N CNI-HOSTPORT-DNAT',
      'iptables -t nat -N CNI-DN-3f1c0a9b2d',
      'iptables -t nat -I PREROUTING 1 -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
      'iptables -t nat -A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cbr0\\" id: \\"pod-a\\"" -m multiport --dports 8081 -j CNI-DN-3f1c0a9b2d',
      'iptables -t nat -A CNI-DN-3f1c0a9b2d -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.244.1.2:80',
      // kubelet --hairpin-mode=hairpin-veth
      'ip link set veth3a1b2c4d type bridge_slave hairpin on',
    ]) ctx.sh('node1', c);
    await podServers(ctx, [H.a, H.b]);
    await ctx.sleep(1200);
    await captureAll(ctx, NODEPORT_POINTS);
    await ctx.sleep(300);
    const npPath = ['node2/eth0', 'node2/flannel.1', 'node1/eth0', 'node1/flannel.1', 'node1/cni0', 'node1/veth3a1b2c4d'];
    const ok = interest('healthy: the NodePort leg and its DNATed, masqueraded VXLAN leg both cross node2 eth0; requests reach pod-a and the replies return to the client');
    await ctx.flow({
      ...tcp('nodeport-http', H.outside, H.node2, 30080, 41080, npPath, ok),
      description: 'the outside client opens TCP to the NodePort 192.168.0.12:30080 (endpoint pod-a 10.244.1.2:80 on node1)',
      server: server(H.a, 80),
    });
    await ctx.flow({
      ...udp('nodeport-dns', H.outside, H.node2, 30053, 41053, 0x4a01, npPath, ok),
      description: 'the outside client sends a DNS query to the NodePort 192.168.0.12:30053 (endpoint pod-a 10.244.1.2:53)',
      server: server(H.a, 53),
    });
    await ctx.flow({
      ...tcp('hostport-http', H.outside, H.node1, 8081, 41081, ['node1/eth0', 'node1/cni0', 'node1/veth3a1b2c4d'], interest('healthy: DNAT to pod-a on the same node, no SNAT')),
      description: 'the outside client opens TCP to pod-a\'s hostPort 192.168.0.11:8081 (→ 10.244.1.2:80)',
      server: server(H.a, 80),
    });
    await ctx.flow({
      ...tcp('hairpin-http', H.a, { host: 'service', ip: WEB_SVC.clusterIp }, 80, 41180, ['node1/veth3a1b2c4d', 'node1/cni0'], interest('healthy: pod-a reaches its own service; DNAT back to pod-a through the bridge (hairpin)')),
      description: 'pod-a opens TCP to its own service\'s ClusterIP 10.96.100.10:80, whose only endpoint is pod-a',
      server: server(H.a, 80),
    });
    await ctx.flow(ping('ping-b-a', H.b, H.a, 0x4a11, podPath('pod-b', 'pod-a').filter((p) => !p.endsWith('veth7e9d0f12') && p !== 'node2/cni0')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// 3. Background chatter, outside and inside the tunnel, and an ARP nobody answers.

const background: FieldScenarioDef = {
  name: 'background-noise-unanswered-arp',
  id: 'bgnd',
  title: 'ARP, IPv6 ND/MLD, IGMP, LLDP, STP and DHCP around healthy pod traffic (also flooded inside an L2 VXLAN), and a ping to a gone pod whose ARP is never answered',
  summary: 'The nodes\' links carry what real ones do: ARP, IPv6 neighbour discovery, router solicitations and advertisements, MLD, IGMP joins, LLDP from the switch and the nodes, STP BPDUs, a DHCP exchange; an L2 VXLAN (VNI 100, UDP 4789) with a flood entry carries the same kinds of frames encapsulated between the nodes. Pod traffic among it is healthy. pod-a pings 10.244.2.9, a pod that no longer exists: node2 forwards it to cni0, ARPs for it in vain, and answers host unreachable.',
  reportedAs: 'DOMAIN.md: busy nodes carry ARP, IPv6 ND/MLD, IGMP, LLDP and VXLAN-encapsulated broadcast/multicast flooded to every VTEP; none of it is a broken flow. Seed 001: a pod gone, its IP still called.',
  notes: [
    'background (per capture point) is counted from the bytes by the lab (lib/lab/background.ts): onLink on the captured link, inTunnel inside VXLAN (UDP 8472 or 4789).',
    'The switch (the lan namespace) runs STP (BPDUs every second on every port), sends LLDP and IPv6 router advertisements, and answers DHCP; node2 runs a DHCP exchange on eth0 (DISCOVER, OFFER, REQUEST, ACK, all broadcast).',
    'br-l2 on each node bridges vxlan100 (VNI 100, UDP 4789) with STP on; `bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst <peer>` floods every broadcast and multicast to the other VTEP: ARP, NS/MLD, IGMP, BPDUs, LLDP and a DHCP exchange appear inside VXLAN on both eth0s.',
    'The gone pod: node2 has 10.244.2.0/24 on cni0, so it forwards the echo requests there and ARPs for 10.244.2.9 (arpUnanswered on node2/cni0 and the pod veth, which the bridge floods the requests to); the packets never leave node2 flannel.1 for cni0, and node2 answers ICMP host unreachable (3/1) after the ARP attempts fail.',
  ],
  async run(ctx) {
    const l2 = { node1: { ip: '10.250.0.11', peer: '192.168.0.12', mac: '0e:61:06:aa:00:0b' }, node2: { ip: '10.250.0.12', peer: '192.168.0.11', mac: '0e:61:06:aa:00:0c' } } as const;
    ctx.sh('lan', 'ip link set br0 type bridge stp_state 1 forward_delay 200 hello_time 100');
    // The switch speaks IPv6 from the start (it sends the router advertisements).
    ctx.sh('lan', 'sysctl -qw net.ipv6.conf.br0.disable_ipv6=0');
    for (const n of ['node1', 'node2'] as const) {
      const x = l2[n];
      const ip = n === 'node1' ? '192.168.0.11' : '192.168.0.12';
      for (const c of [
        `ip link add vxlan100 address ${x.mac} type vxlan id 100 local ${ip} dev eth0 dstport 4789 nolearning`,
        `bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst ${x.peer} self permanent`,
        'ip link add br-l2 type bridge stp_state 1 forward_delay 200 hello_time 100',
        'ip link set vxlan100 master br-l2 mtu 1450 up',
        `ip addr add ${x.ip}/24 dev br-l2`,
        'ip link set br-l2 up',
      ]) ctx.sh(n, c);
    }
    await podServers(ctx, [H.a, H.b]);
    // STP: ports listen and learn for 2 × forward_delay before they forward.
    await ctx.sleep(5000);
    await captureAll(ctx, AB_POINTS);
    await ctx.sleep(300);
    // IPv6 on the underlay, the L2 overlay and the pods' links: DAD, MLD reports, router solicitations.
    for (const [h, devs] of [['node1', ['eth0', 'br-l2', 'vxlan100']], ['node2', ['eth0', 'br-l2', 'vxlan100']]] as const) {
      for (const d of devs) ctx.sh(h, `sysctl -qw net.ipv6.conf.${d}.router_solicitation_interval=1 net.ipv6.conf.${d}.disable_ipv6=0`);
    }
    await ctx.start('lan', 'dhcpd', `${LABNET} dhcp-server --dev br0 --server-ip 192.168.0.1 --offer 192.168.0.100`);
    await ctx.start('node2', 'dhcpd-l2', `${LABNET} dhcp-server --dev br-l2 --server-ip 10.250.0.12 --offer 10.250.0.100`);
    await ctx.start('node1', 'igmp', `${LABNET} join --dev eth0 --group 239.255.0.1`);
    await ctx.start('node1', 'igmp-l2', `${LABNET} join --dev br-l2 --group 239.255.0.2`);
    // Duplicate address detection takes a second before a link-local address can be used.
    await ctx.sleep(2000);
    await Promise.all([
      ctx.once('lan', `${LABNET} lldp --dev p-node1 --port-id gi0/1 --system-name tor-switch --count 2`),
      ctx.once('lan', `${LABNET} lldp --dev p-node2 --port-id gi0/2 --system-name tor-switch --count 2`),
      ctx.once('node1', `${LABNET} lldp --dev eth0 --system-name node1 --count 2`),
      ctx.once('node2', `${LABNET} lldp --dev vxlan100 --port-id vxlan100 --system-name node2 --count 2`),
      ctx.once('lan', `${LABNET} ra --dev br0 --prefix 2001:db8:0:1::/64 --count 2`),
      ctx.once('node2', `${LABNET} dhcp-client --dev eth0 --xid 0x48530001 --hostname node2`).then(mustAnswer),
      ctx.once('node1', `${LABNET} dhcp-client --dev br-l2 --xid 0x48530002 --hostname node1-l2`).then(mustAnswer),
    ]);
    const ll1 = ctx.sh('node1', 'ip -6 -o addr show dev eth0 scope link').match(/inet6 (fe80::[0-9a-f:]+)/)?.[1];
    if (ll1) await ctx.once('node2', `${LABNET} ns --dev eth0 --target ${ll1}`);
    await ctx.flow(ping('ping', H.a, H.b, 0x4801, podPath('pod-a', 'pod-b')));
    await ctx.flow(tcp('http', H.a, H.b, 80, 40080, podPath('pod-a', 'pod-b')));
    await ctx.flow(udp('dns', H.a, H.b, 53, 40053, 0x4853, podPath('pod-a', 'pod-b')));
    await ctx.flow(ping('ping-l2', H.node1, { host: 'node2', ip: l2.node2.ip }, 0x4b01, ['node1/eth0', 'node2/eth0'], {
      description: 'node1 pings node2 across the L2 VXLAN (br-l2 10.250.0.11 → 10.250.0.12): ARP and echoes inside VXLAN on eth0',
      client: { host: 'node1', ip: l2.node1.ip },
    }));
    await ctx.flow(ping('ping-gone-pod', H.a, { host: 'gone', ip: '10.244.2.9' }, 0x4b02, ['node1/veth3a1b2c4d', 'node1/cni0', 'node1/flannel.1', 'node1/eth0', 'node2/eth0', 'node2/flannel.1', 'node2/cni0'], {
      description: 'ping pod-a → 10.244.2.9, a pod on node2 that was deleted (its IP is in node2\'s cni0 subnet, nothing answers ARP for it)',
      interest: { expectedVerdict: 'requests reach node2 flannel.1 and are not forwarded onto cni0: node2 ARPs for 10.244.2.9 on cni0 and gets no answer (no such pod), then returns ICMP host unreachable' },
    }));
    await ctx.sleep(2500);
  },
};

// ---------------------------------------------------------------------------------------------
// 4. Capture windows that do not line up.

const windows: FieldScenarioDef = {
  name: 'capture-windows-port-drop',
  id: 'wind',
  title: 'Captures that start late on node2 and stop early on node1, steady healthy traffic, and one port dropped on node2',
  summary: 'node1\'s four captures start first, node2\'s four only after the first requests; node1\'s stop before the last replies. Traffic runs throughout (a long ping, one HTTP or DNS exchange every 0.7 s) and works. Inside both windows, pod-a\'s TCP to pod-b:8080 is dropped by a FORWARD rule on node2. A packet outside a point\'s window says nothing about that point.',
  reportedAs: 'DOMAIN.md: captures on different nodes start and stop at different times; a packet outside a point\'s window says nothing about that point.',
  notes: [
    'windows gives each capture point\'s first and last packet time; node2\'s start after node1\'s and node1\'s end before node2\'s.',
    'Healthy flows early in the run appear only on node1, late ones only on node2; the long ping is on both nodes for part of its life.',
    'The fault: `iptables -I FORWARD -p tcp --dport 8080 -j DROP` on node2, installed before any traffic.',
  ],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80, 8080]);
    ctx.fault({
      kind: 'port-drop', description: 'node2 FORWARD drops TCP to port 8080', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -p tcp --dport 8080 -j DROP' }],
    });
    await ctx.sleep(1200);
    const node1 = AB_POINTS.filter((p) => p.node === 'node1');
    const node2 = AB_POINTS.filter((p) => p.node === 'node2');
    await captureAll(ctx, node1);
    await ctx.sleep(300);
    const ab = podPath('pod-a', 'pod-b');
    const longPing = ctx.flowInBackground(ping('ping-long', H.a, H.b, 0x4c01, ab, { count: 45, interval: 0.2, description: 'ping pod-a → pod-b, 45 echo requests 0.2 s apart, across all the capture windows' }));
    let i = 0;
    const short = async (): Promise<void> => {
      const id = i++;
      if (id % 2 === 0) await ctx.flow(tcp(`http-${id}`, H.a, H.b, 80, 42000 + id, ab));
      else await ctx.flow(udp(`dns-${id}`, H.a, H.b, 53, 42000 + id, 0x4c00 + id, ab));
    };
    const tick = async (n: number): Promise<void> => {
      for (let k = 0; k < n; k++) {
        await short();
        await ctx.sleep(700);
      }
    };
    await tick(3);
    await captureAll(ctx, node2);
    await tick(2);
    await ctx.flow(tcp('http-8080', H.a, H.b, 8080, 42080, ab, interest('requests reach node2 flannel.1 and never cni0: node2 drops TCP to port 8080 (a FORWARD rule); other traffic between the same pods works')));
    await tick(1);
    await ctx.stopCaptures((c) => c.node === 'node1');
    await tick(3);
    await longPing;
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// 5. Connections older than the captures, with retransmissions.

const midConnection: FieldScenarioDef = {
  name: 'mid-connection-retransmits',
  id: 'midc',
  title: 'Long-lived TCP connections whose handshakes precede every capture; a few of the server\'s segments dropped once and retransmitted',
  summary: 'pod-a holds two connections to pod-b opened before any capture started: one where the server streams after a pause (the first packet the captures see is the server\'s), one the client keeps idle and then resumes with a request. While the stream runs, node2 drops every third of the server\'s segments for a second; TCP retransmits them and both connections complete. Nothing is lost in the end.',
  reportedAs: 'DOMAIN.md (captures start and stop at different times); real captures start in the middle of connections, and retransmissions are not loss.',
  notes: [
    'No capture holds a SYN of the two connections: they are matched by addresses and ports.',
    'The drop: `iptables -I FORWARD 1 -s 10.244.2.2 -p tcp --sport 9000 -m statistic --mode nth --every 3 --packet 1 -j DROP` on node2 for about a second, then deleted: the dropped segments are on node2\'s veth and cni0 and missing from flannel.1 on; their retransmissions cross every point.',
  ],
  async run(ctx) {
    await ctx.serve(H.b.host, { tcp: [80, 9001], udp: [53], answer: H.b.ip, responseBytes: 400 });
    await ctx.start('pod-b', 'stream', `${LABNET} stream-serve --port 9000 --delay 2.5 --chunks 16 --interval 0.15 --bytes 300`);
    await ctx.sleep(1200);
    const ab = podPath('pod-a', 'pod-b');
    const stream = await ctx.session({
      id: 'stream', protocol: 'tcp', description: 'pod-a holds a connection to pod-b:9000 opened before the captures; the server streams 16 chunks after a pause, then closes',
      client: H.a, target: { ip: H.b.ip, port: 9000 }, server: server(H.b, 9000), path: ab, clientPort: 43000,
      command: `${LABNET} session --dst ${H.b.ip} --port 9000 --sport 43000`,
      interest: { expectedVerdict: 'healthy: a connection older than the captures (no handshake captured) whose server speaks first; a few segments dropped once on node2 and retransmitted — recovered, not loss' },
    });
    const idle = await ctx.session({
      id: 'idle-resume', protocol: 'tcp', description: 'pod-a opens a connection to pod-b:9001 before the captures, keeps it idle, then sends one request and reads the answer',
      client: H.a, target: { ip: H.b.ip, port: 9001 }, server: server(H.b, 9001), path: ab, clientPort: 43001,
      command: `${LABNET} session --dst ${H.b.ip} --port 9001 --sport 43001 --request --idle 5`,
      interest: { expectedVerdict: 'healthy: an idle connection older than the captures resumes; the request and its answer cross every point' },
    });
    await ctx.sleep(300);
    await captureAll(ctx, AB_POINTS);
    await ctx.sleep(1500);
    const drop = 'iptables -I FORWARD 1 -s 10.244.2.2 -p tcp --sport 9000 -m statistic --mode nth --every 3 --packet 1 -j DROP';
    ctx.fault({ kind: 'transient-segment-drop', description: 'node2 drops every third segment from pod-b:9000 for about a second', node: 'node2', commands: [{ host: 'node2', command: drop }] });
    await ctx.sleep(1200);
    ctx.sh('node2', drop.replace('-I FORWARD 1', '-D FORWARD'));
    await ctx.flow(ping('ping', H.a, H.b, 0x4d01, ab));
    await stream.done;
    await idle.done;
    await ctx.sleep(1500);
  },
};

// ---------------------------------------------------------------------------------------------
// 6. Traffic the node answers itself.

const nodeAnswers: FieldScenarioDef = {
  name: 'node-answers-healthy',
  id: 'nans',
  title: 'Traffic the nodes answer themselves: pod → its node (kubelet, node-local DNS), pod → the other node (SNAT), outside → node, kubelet probes, pod → outside (SNAT); all healthy',
  summary: 'pod-a calls a kubelet-like listener on its own node (192.168.0.11:10250) and node-local DNS (169.254.20.10:53), both answered by node1 itself without leaving cni0; it calls node2:10250, masqueraded to node1\'s address on the way out; the outside machine calls node2:10250; node1 probes pod-a:8080 (a health check from cni0\'s address); pod-a reaches the outside machine, masqueraded to node1\'s address. Every flow works.',
  reportedAs: 'DOMAIN.md: busy nodes carry kubelet probes, node-local DNS and metrics scrapes (pod → node IP, often SNATed); none of it is a broken flow. Seed 004: pod → outside, MASQUERADE to the node IP.',
  notes: [
    'A flow to the node itself ends at the node: its path stops at cni0 (or eth0) because the node is the server.',
    'pod-a → node2 and pod-a → outside leave node1 masqueraded to 192.168.0.11 (flanneld\'s MASQUERADE for traffic leaving the pod network) and do not use VXLAN.',
    'node-local DNS listens on 169.254.20.10, here an address on node1\'s lo (this kernel has no dummy device for the nodelocaldns interface).',
  ],
  outside: true,
  async run(ctx) {
    await podServers(ctx, [H.a, H.b]);
    ctx.sh('node1', 'ip addr add 169.254.20.10/32 dev lo');
    await ctx.serve('node1', { tcp: [10250], udp: [53], answer: '169.254.20.10' });
    await ctx.serve('node2', { tcp: [10250], udp: [53], answer: H.node2.ip });
    await ctx.serve('outside', { tcp: [80], udp: [53], answer: H.outside.ip });
    await ctx.sleep(1200);
    await captureAll(ctx, [
      { node: 'node1', iface: 'veth3a1b2c4d', role: 'pod-veth' },
      { node: 'node1', iface: 'cni0', role: 'bridge' },
      { node: 'node1', iface: 'eth0', role: 'nic' },
      { node: 'node2', iface: 'eth0', role: 'nic' },
      { node: 'outside', iface: 'eth0', role: 'host' },
    ]);
    await ctx.sleep(300);
    const ok = (what: string): Extra => interest(`healthy: ${what}`);
    const vethCni = ['node1/veth3a1b2c4d', 'node1/cni0'];
    await ctx.flow({ ...tcp('pod-to-kubelet', H.a, H.node1, 10250, 44250, vethCni, ok('node1 answers pod-a itself; nothing leaves node1')), description: 'pod-a opens TCP to its own node\'s kubelet-like listener 192.168.0.11:10250' });
    await ctx.flow({ ...udp('pod-to-nodelocaldns', H.a, { host: 'node1', ip: '169.254.20.10' }, 53, 44053, 0x4e01, vethCni, ok('node-local DNS on node1 answers')), description: 'pod-a queries node-local DNS 169.254.20.10:53 on its node' });
    await ctx.flow({ ...ping('ping-node', H.a, H.node1, 0x4e11, vethCni, ok('node1 answers the ping itself')) });
    await ctx.flow({
      ...tcp('pod-to-other-node', H.a, H.node2, 10250, 44251, ['node1/veth3a1b2c4d', 'node1/cni0', 'node1/eth0', 'node2/eth0'], ok('masqueraded to 192.168.0.11 on node1, answered by node2 itself, no VXLAN')),
      description: 'pod-a opens TCP to node2\'s kubelet-like listener 192.168.0.12:10250 (a metrics scrape; MASQUERADE on node1)',
    });
    await ctx.flow({ ...tcp('outside-to-node', H.outside, H.node2, 10250, 44252, ['outside/eth0', 'node2/eth0'], ok('node2 answers the outside machine itself')), description: 'the outside machine opens TCP to node2:10250' });
    await ctx.flow({ ...ping('outside-ping-node', H.outside, H.node1, 0x4e12, ['outside/eth0', 'node1/eth0'], ok('node1 answers')) });
    await ctx.flow({
      ...tcp('kubelet-probe', { host: 'node1', ip: '10.244.1.1' }, H.a, 8080, 44253, ['node1/cni0', 'node1/veth3a1b2c4d'], ok('a health check from node1 (source cni0\'s 10.244.1.1) answered by pod-a')),
      description: 'node1 probes pod-a:8080 (kubelet\'s readiness probe)',
    });
    await ctx.flow({
      ...tcp('pod-to-outside', H.a, H.outside, 80, 44254, ['node1/veth3a1b2c4d', 'node1/cni0', 'node1/eth0', 'outside/eth0'], ok('masqueraded to 192.168.0.11 on node1 (egress SNAT) and answered')),
      description: 'pod-a opens TCP to the outside machine 192.168.0.50:80 (MASQUERADE to node1\'s address)',
    });
    await ctx.flow({ ...udp('pod-to-outside-dns', H.a, H.outside, 53, 44055, 0x4e02, ['node1/veth3a1b2c4d', 'node1/cni0', 'node1/eth0', 'outside/eth0'], ok('masqueraded and answered')) });
    await ctx.flow(ping('ping-pod-b', H.a, H.b, 0x4e13, ['node1/veth3a1b2c4d', 'node1/cni0', 'node1/eth0', 'node2/eth0']));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// 7. A busy node and one broken port.

const busy: FieldScenarioDef = {
  name: 'busy-node-broken-port',
  id: 'busy',
  title: 'Dozens of concurrent healthy flows between four pods and the nodes, and one port dropped on node2',
  summary: 'Four pods on two nodes talk at once: pings between every pair, HTTP and DNS across and within nodes, kubelet-like probes from each node, pods calling node listeners (some masqueraded), a metrics scrape across nodes. All of it works except pod-a → pod-d:9090, which node2\'s FORWARD chain drops; pod-c → pod-b:9090 on the same port works.',
  reportedAs: 'Seed 001 (port unreachable while ping works) on a node as busy as real ones (DOMAIN.md).',
  notes: [
    'The fault: `iptables -I FORWARD -d 10.244.2.3 -p tcp --dport 9090 -j DROP` on node2.',
    'The flows start together (a few at a time) so their packets interleave in every capture.',
  ],
  extraPods: VXLAN_EXTRA_PODS,
  pcapng: false,
  kitPods: [H.a.host, H.d.host],
  async run(ctx) {
    const pods = [H.a, H.b, H.c, H.d];
    await podServers(ctx, pods, [80, 8080, 9090, 9100]);
    await ctx.serve('node1', { tcp: [10250], answer: H.node1.ip });
    await ctx.serve('node2', { tcp: [10250], answer: H.node2.ip });
    ctx.fault({
      kind: 'port-drop', description: 'node2 FORWARD drops TCP to pod-d port 9090', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -d 10.244.2.3 -p tcp --dport 9090 -j DROP' }],
    });
    await ctx.sleep(1200);
    await captureAll(ctx, [
      { node: 'node1', iface: 'veth3a1b2c4d', role: 'pod-veth' },
      { node: 'node1', iface: 'cni0', role: 'bridge' },
      { node: 'node1', iface: 'flannel.1', role: 'overlay' },
      { node: 'node1', iface: 'eth0', role: 'nic' },
      { node: 'node2', iface: 'eth0', role: 'nic' },
      { node: 'node2', iface: 'flannel.1', role: 'overlay' },
      { node: 'node2', iface: 'cni0', role: 'bridge' },
      { node: 'node2', iface: 'veth9a8b7c6d', role: 'pod-veth' },
    ]);
    await ctx.sleep(300);
    const specs: FieldFlowSpec[] = [];
    let n = 0;
    for (const from of pods) {
      for (const to of pods) {
        if (from === to) continue;
        specs.push(ping(`ping-${from.host.slice(4)}-${to.host.slice(4)}`, from, to, 0x5000 + n++, podPath(from.host, to.host), { count: 2 }));
      }
    }
    const pairs: Array<[Host, Host]> = [[H.a, H.b], [H.a, H.d], [H.c, H.b], [H.c, H.d], [H.b, H.a], [H.d, H.c], [H.a, H.c], [H.b, H.d]];
    pairs.forEach(([from, to], i) => {
      specs.push(tcp(`http-${from.host.slice(4)}-${to.host.slice(4)}`, from, to, 80, 45000 + i, podPath(from.host, to.host)));
      specs.push(udp(`dns-${from.host.slice(4)}-${to.host.slice(4)}`, from, to, 53, 45100 + i, 0x5100 + i, podPath(from.host, to.host)));
    });
    const cniAddr = { node1: '10.244.1.1', node2: '10.244.2.1' } as Record<string, string>;
    pods.forEach((p, i) => {
      const node = NODE_OF[p.host]!;
      specs.push({ ...tcp(`probe-${p.host}`, { host: node, ip: cniAddr[node]! }, p, 8080, 45200 + i, [`${node}/cni0`, `${node}/${VETH[p.host]}`]), description: `${node} probes ${p.host}:8080 (kubelet readiness probe)` });
    });
    specs.push({ ...tcp('a-to-node1', H.a, H.node1, 10250, 45300, ['node1/veth3a1b2c4d', 'node1/cni0']), description: 'pod-a → its node\'s kubelet-like listener 192.168.0.11:10250' });
    specs.push({ ...tcp('c-to-node2', H.c, H.node2, 10250, 45301, ['node1/cni0', 'node1/eth0', 'node2/eth0']), description: 'pod-c → node2:10250, masqueraded to 192.168.0.11 on node1' });
    specs.push({ ...tcp('d-to-node1', H.d, H.node1, 10250, 45302, ['node2/veth9a8b7c6d', 'node2/cni0', 'node2/eth0', 'node1/eth0']), description: 'pod-d → node1:10250, masqueraded to 192.168.0.12 on node2' });
    specs.push({ ...tcp('scrape-node2-a', { host: 'node2', ip: '10.244.2.0' }, H.a, 9100, 45303, ['node2/flannel.1', 'node2/eth0', 'node1/eth0', 'node1/flannel.1', 'node1/cni0', 'node1/veth3a1b2c4d']), description: 'node2 scrapes pod-a:9100 (metrics; from flannel.1\'s address 10.244.2.0)' });
    specs.push(tcp('http-c-b-9090', H.c, H.b, 9090, 45400, podPath('pod-c', 'pod-b')));
    const broken = tcp('http-a-d-9090', H.a, H.d, 9090, 45401, podPath('pod-a', 'pod-d'), interest('requests reach node2 flannel.1 and never cni0: node2 drops TCP to pod-d:9090 (FORWARD rule); every other flow, including port 9090 to pod-b, works'));
    // A few at a time: they interleave, and the two-core machine keeps up.
    const batch = 6;
    const all = [broken, ...specs];
    const running: Array<Promise<unknown>> = [];
    for (let i = 0; i < all.length; i += batch) {
      running.push(...all.slice(i, i + batch).map((sp) => ctx.flowInBackground(sp)));
      await ctx.sleep(250);
    }
    await Promise.all(running);
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// 8. Mixed snap lengths.

const snaplen: FieldScenarioDef = {
  name: 'mixed-snaplen-udp-drop',
  id: 'snap',
  title: 'tcpdump -s 96 on every node1 point, full packets on node2; healthy flows with payload and DNS dropped on node2',
  summary: 'node1\'s captures keep 96 bytes of each packet (on eth0 the VXLAN packet is cut inside the inner TCP header: ports and sequence numbers kept, flags lost); node2\'s keep everything. A 2000-byte HTTP response, 1000-byte pings and a second HTTP exchange work; pod-a\'s DNS query to pod-b is dropped by node2\'s FORWARD chain.',
  reportedAs: 'Engineers capture with -s 96 or -s 128 to keep files small (tcpdump\'s old default was 68 or 96 bytes); the other node\'s capture is often full.',
  notes: [
    'capturePoints[].snaplen is tcpdump\'s -s; records on node1 are cut to 96 bytes (original length kept), those on node2 are whole.',
    'On node1 eth0, 96 bytes hold the outer Ethernet/IPv4/UDP/VXLAN (50), the inner Ethernet and IPv4 (34) and 12 bytes of the inner TCP header: ports, sequence and acknowledgement numbers, not the flags.',
    'The fault: `iptables -I FORWARD -p udp --dport 53 -j DROP` on node2.',
  ],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80, 8080], 2000);
    await ctx.sleep(1200);
    await captureAll(ctx, AB_POINTS.filter((p) => p.node === 'node1'), { snaplen: 96 });
    await captureAll(ctx, AB_POINTS.filter((p) => p.node === 'node2'));
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-drop', description: 'node2 FORWARD drops UDP to port 53', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -p udp --dport 53 -j DROP' }],
    });
    const ab = podPath('pod-a', 'pod-b');
    await ctx.flow(ping('ping-1000', H.a, H.b, 0x4f01, ab, { size: 972, description: 'ping -s 972 pod-a → pod-b: 3 echo requests of 1000 bytes' }));
    await ctx.flow({ ...tcp('http', H.a, H.b, 80, 46080, ab), description: 'pod-a opens TCP to pod-b:80; the response is 2000 bytes' });
    await ctx.flow({ ...tcp('http-8080', H.a, H.b, 8080, 46081, ab), description: 'pod-a opens TCP to pod-b:8080; the response is 2000 bytes' });
    await ctx.flow(udp('dns', H.a, H.b, 53, 46053, 0x4f53, ab, interest('requests reach node2 flannel.1 and never cni0: node2 drops UDP 53 (FORWARD rule); ping and HTTP between the same pods work')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// 9. Random loss on the underlay.

const randomLoss: FieldScenarioDef = {
  name: 'underlay-random-loss',
  id: 'loss',
  title: 'Random loss of VXLAN packets arriving at node2 (30 %), 40 pings',
  summary: 'node2 drops about 30 % of the VXLAN packets arriving on eth0 (iptables -m statistic). Of 40 echo requests, all reach node2 eth0 (tcpdump sees them before netfilter) and about 70 % reach flannel.1 and pod-b; each of those is answered. An HTTP exchange completes thanks to retransmissions.',
  reportedAs: 'Seed 001: unreachable or flaky — link, overload, a lossy underlay; loss that is partial, not a clean stop.',
  notes: [
    'The fault: `iptables -I INPUT -p udp --dport 8472 -m statistic --mode random --probability 0.3 -j DROP` on node2. Replies are not affected (they arrive at node1).',
    'The exact share lost differs on every run; seenAt gives this run\'s counts.',
  ],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80], 3000);
    await ctx.sleep(1200);
    await captureAll(ctx, AB_POINTS);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'random-loss', description: 'node2 drops 30 % of incoming VXLAN (UDP 8472) packets at random', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I INPUT -p udp --dport 8472 -m statistic --mode random --probability 0.3 -j DROP' }],
    });
    const ab = podPath('pod-a', 'pod-b');
    await ctx.flow(ping('ping-40', H.a, H.b, 0x5201, ab, {
      count: 40, interval: 0.05, description: 'ping pod-a → pod-b, 40 echo requests 50 ms apart',
      interest: { expectedVerdict: 'partial loss: every request reaches node2 eth0, about 30 % of them never reach node2 flannel.1 (dropped on node2 as they arrive: UDP 8472 filtered at random); the rest are answered' },
    }));
    await ctx.flow({
      ...tcp('http', H.a, H.b, 80, 47080, ab, interest('delivered, TCP recovered: the same random drop takes some TCP segments between node2 eth0 and flannel.1; retransmissions repair it and the client completes (the step where they were lost is named)')),
      description: 'pod-a opens TCP to pod-b:80; 3000-byte response, losses repaired by retransmission',
    });
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 3: a RST that closes a finished exchange is no refusal.

const rstClose: FieldScenarioDef = {
  name: 'tcp-rst-close-healthy',
  id: 'rstc',
  title: 'A server that closes every connection with a RST after its response; a port nobody listens on',
  summary: 'pod-b serves HTTP on 80 (closing with FIN) and on 8081, where it answers and then closes with a RST (SO_LINGER 0, as servers and proxies that abort finished or idle connections do). Both exchanges complete. pod-a\'s connection to pod-b:9, where nothing listens, is refused: pod-b\'s kernel answers the SYN with a RST.',
  reportedAs: 'Issue 14 (captures from the wild): a RST after a completed exchange was reported as "connection refused".',
  notes: [
    'On 8081 the server sends the whole response, waits 0.2 s and closes with linger 0: a RST instead of a FIN; the client has read the response (clientResult detail).',
    'No fault is injected: the refusal on port 9 is the kernel answering a SYN for a closed port.',
  ],
  async run(ctx) {
    for (const p of [H.a, H.b]) await ctx.serve(p.host, { tcp: [80], udp: [53], resetTcp: [8081], answer: p.ip, responseBytes: 1200 });
    await ctx.sleep(1200);
    await captureAll(ctx, AB_POINTS);
    await ctx.sleep(300);
    const ab = podPath('pod-a', 'pod-b');
    await ctx.flow({
      ...tcp('http-rst-close', H.a, H.b, 8081, 48081, ab, interest('delivered: the whole response reaches pod-a, then pod-b closes with a RST (a close, not a refusal)')),
      description: 'pod-a opens TCP to pod-b:8081; pod-b answers 1200 bytes, then closes with a RST',
    });
    await ctx.flow(tcp('http', H.a, H.b, 80, 48080, ab, interest('delivered: an ordinary exchange closed with FINs')));
    await ctx.flow(tcp('http-refused', H.a, H.b, 9, 48009, ab, interest('rejected: nothing listens on pod-b:9, its kernel answers the SYN with a RST')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 3: the server accepts, its SYN-ACKs never reach the client.

const synAckDropped: FieldScenarioDef = {
  name: 'tcp-synack-dropped',
  id: 'sadr',
  title: 'node1 drops the SYN-ACKs coming back to pod-a: the server accepts, the client keeps resending its SYN',
  summary: 'node1\'s FORWARD chain drops TCP segments with SYN and ACK set coming from pod-b (a stateful rule gone wrong on the return path). pod-a\'s SYNs to pod-b:80 cross both nodes; pod-b answers each with a SYN-ACK, which crosses node2 and the tunnel and dies on node1 after flannel.1. The client resends its SYN until it gives up. Pings and DNS between the same pods work.',
  reportedAs: 'Issue 14 (captures from the wild): a server answering SYN with SYN-ACK while the client resends its SYN was reported as "delivered".',
  notes: ['The fault: `iptables -I FORWARD -p tcp -s 10.244.2.2 --tcp-flags SYN,ACK SYN,ACK -j DROP` on node1.'],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80]);
    await ctx.sleep(1200);
    await captureAll(ctx, AB_POINTS);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'reply-drop', description: 'node1 FORWARD drops SYN-ACKs from pod-b', node: 'node1',
      commands: [{ host: 'node1', command: 'iptables -I FORWARD -p tcp -s 10.244.2.2 --tcp-flags SYN,ACK SYN,ACK -j DROP' }],
    });
    const ab = podPath('pod-a', 'pod-b');
    await ctx.flow(tcp('http', H.a, H.b, 80, 49080, ab, interest('replies dropped: SYN-ACKs reach node1 flannel.1 and never cni0; the client resends its SYN')));
    await ctx.flow(ping('ping', H.a, H.b, 0x5a01, ab, interest('delivered')));
    await ctx.flow(udp('dns', H.a, H.b, 53, 49053, 0x5a53, ab, interest('delivered')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 2: captures taken one after another, by one engineer with one terminal.

const sequential: FieldScenarioDef = {
  name: 'sequential-captures-healthy',
  id: 'seqc',
  title: 'One capture at a time: pod-a\'s veth, then cni0, flannel.1, eth0, then node2\'s eth0 and pod-b\'s veth; a long ping runs through all of them',
  summary: 'An engineer with one terminal captures each point for about 1.5 s, one after the other, while pod-a pings pod-b every 0.1 s. No packet is in two captures: the windows do not overlap. Every capture holds echo requests and their replies. A short HTTP exchange and a DNS query fall in the first and the last window.',
  reportedAs: 'Issue 14 (captures from the wild): captures taken one after another were all "not observed" although each file shows requests and replies.',
  notes: [
    'Each point is captured alone for about 1.5 s (tcpdump started, then stopped with SIGINT), in path order; windows gives their first and last packets.',
    'No fault: every echo request of the long ping is answered.',
  ],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80]);
    await ctx.sleep(1200);
    // The points captured, in path order: node2's flannel.1 and cni0 are not.
    const points = AB_POINTS.filter((x) => x.node === 'node1' || x.iface === 'eth0' || x.role === 'pod-veth');
    const ab = podPath('pod-a', 'pod-b').filter((id) => points.some((x) => `${x.node}/${x.iface}` === id));
    const longPing = ctx.flowInBackground(ping('ping-long', H.a, H.b, 0x5c01, ab, { count: 100, interval: 0.1, description: 'ping pod-a → pod-b, 100 echo requests 0.1 s apart, across every capture window', ...interest('delivered: at every point the echo requests and their replies were seen; the windows do not overlap, so no packet can be followed from one point to the next') }));
    await ctx.sleep(200);
    for (const [k, p] of points.entries()) {
      await ctx.capture(p);
      await ctx.sleep(300);
      if (k === 0) await ctx.flow(tcp('http-first-window', H.a, H.b, 80, 49180, ab));
      if (k === 5) await ctx.flow(udp('dns-last-window', H.a, H.b, 53, 49153, 0x5c53, ab));
      await ctx.sleep(1200);
      await ctx.stopCaptures((c) => c.node === p.node && c.iface === p.iface);
    }
    await longPing;
    await ctx.sleep(200);
  },
};

// ---------------------------------------------------------------------------------------------
// A busy node's captures come as many files: tcpdump -G (and -C, -W; dumpcap -b) rotates them.

const rotatedCaptures: FieldScenarioDef = {
  name: 'rotated-captures-port-drop',
  id: 'rotc',
  title: 'Every point captured whole and, at the same time, as a file a second (tcpdump -G 1; node1\'s files gzipped as they close); TCP 8080 dropped on node2',
  summary: 'Each of the eight points is captured twice at once: one tcpdump writes the whole capture, a second writes a new file every second, as engineers bound a busy node\'s captures. node1\'s files are named by Unix time and gzipped as each closes (-z gzip); node2\'s by date and time. A long ping, four HTTP exchanges and a DNS query between pod-a and pod-b work across the files\' boundaries; node2\'s FORWARD chain drops TCP to port 8080: those SYNs reach node2 flannel.1 and never cni0.',
  reportedAs: 'On busy nodes engineers bound captures by size or time (tcpdump -C, -G, -W ring buffers, dumpcap -b) and bring a folder of node1-eth0.pcap, node1-eth0.pcap1, … per interface.',
  notes: [
    'capturePoints are the whole captures (tcpdump -w); rotated lists, per point, the files of the second tcpdump of that point, run at the same time with -G 1: node1-<iface>.%s.pcap gzipped by -z gzip as each file closes (the last one, open when tcpdump stopped, stays plain), node2-<iface>-%Y%m%d-%H%M%S.pcap. Both tcpdumps see every packet (two packet sockets), so the ground truth measured from the whole captures holds for the rotated files.',
    'The fault: `iptables -I FORWARD -p tcp --dport 8080 -j DROP` on node2.',
  ],
  pcapng: false,
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80, 8080], 400);
    await ctx.sleep(1200);
    await captureAll(ctx, AB_POINTS);
    await captureAll(ctx, AB_POINTS.filter((p) => p.node === 'node1'), { rotate: 'epoch-gzip' });
    await captureAll(ctx, AB_POINTS.filter((p) => p.node === 'node2'), { rotate: 'date' });
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-drop', description: 'node2 FORWARD drops TCP to port 8080', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -p tcp --dport 8080 -j DROP' }],
    });
    const ab = podPath('pod-a', 'pod-b');
    const longPing = ctx.flowInBackground(ping('ping-long', H.a, H.b, 0x6301, ab, { count: 45, interval: 0.1, description: 'ping pod-a → pod-b, 45 echo requests 0.1 s apart, across several files of each rotating capture' }));
    for (let k = 0; k < 4; k++) {
      await ctx.flow({ ...tcp(`http-${k}`, H.a, H.b, 80, 50080 + k, ab), description: `pod-a opens TCP to pod-b:80 (exchange ${k + 1} of 4, about a second apart); the response is 400 bytes` });
      await ctx.sleep(800);
    }
    await ctx.flow(udp('dns', H.a, H.b, 53, 50053, 0x6353, ab));
    await ctx.flow(tcp('http-8080', H.a, H.b, 8080, 50088, ab, interest('requests dropped: SYNs reach node2 flannel.1 and never cni0 (node2 FORWARD drops TCP 8080); the ping, HTTP on 80 and DNS work, across every file of the rotating captures')));
    await longPing;
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 4: IP fragments belong to their datagram.

const fragments: FieldScenarioDef = {
  name: 'fragments-dropped',
  id: 'frag',
  title: 'node2 drops every IPv4 fragment but the first before it is decapsulated: 3000-byte pings never arrive whole; small pings, HTTP and DNS work',
  summary: 'pod-a pings pod-b with 3000 data bytes: each echo request leaves pod-a as three IPv4 fragments (MTU 1450) and crosses the tunnel so. On node2 a filter drops the VXLAN packets that carry a later fragment as they arrive on eth0 (as filters that cannot see ports do): eth0 captures all three fragments, flannel.1 only the first, the datagram is never reassembled and no reply comes. Small pings, HTTP and DNS between the same pods work.',
  reportedAs: 'Issue 14 (captures from the wild): fragments were not tied to their datagram, so a ping whose later fragments were lost read as "delivered to the pod, no reply".',
  notes: [
    'The fault, on node2: an nftables prerouting chain at priority -450 drops the VXLAN packets on eth0 whose inner IPv4 packet is a fragment with a non-zero offset (`udp dport 8472 @nh,448,16 & 0x1fff != 0 drop`). eth0 captures all three fragments, flannel.1 only the first; node2 holds that one, waiting for the rest, so cni0 sees none. (An iptables `-f` rule in FORWARD never matches: connection tracking reassembles fragments first.)',
    'A request counts at a point only when all of its fragments did (requests.seenAt).',
  ],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80]);
    await ctx.sleep(1200);
    await captureAll(ctx, AB_POINTS);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'fragment-drop', description: 'node2 drops IPv4 fragments after the first, arriving from flannel.1', node: 'node2',
      commands: [
        { host: 'node2', command: 'nft add table ip hsfrag' },
        { host: 'node2', command: "nft add chain ip hsfrag pre '{ type filter hook prerouting priority -450; }'" },
        // The inner IPv4 header starts 50 bytes into the VXLAN packet (outer IPv4 20, UDP 8,
        // VXLAN 8, inner Ethernet 14); its fragment offset is the 13 low bits at byte 6.
        { host: 'node2', command: "nft add rule ip hsfrag pre iifname eth0 udp dport 8472 @nh,448,16 '&' 0x1fff != 0 drop" },
      ],
    });
    const ab = podPath('pod-a', 'pod-b');
    await ctx.flow(ping('ping-3000', H.a, H.b, 0x5f01, ab, { size: 3000, ...interest('requests dropped: all three fragments reach node2 eth0, only the first reaches flannel.1; the datagram never arrives whole, no reply') }));
    await ctx.flow(ping('ping', H.a, H.b, 0x5f02, ab));
    await ctx.flow(tcp('http', H.a, H.b, 80, 49580, ab));
    await ctx.flow(udp('dns', H.a, H.b, 53, 49553, 0x5f53, ab));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 7: NICs with names Hopscope has never heard of.

const oddNics: FieldScenarioDef = {
  name: 'odd-nic-names-port-drop',
  id: 'onic',
  title: 'flannel VXLAN over NICs named ens160 (node1) and net0 (node2); TCP 8080 dropped on node2',
  summary: 'The nodes\' underlay NICs are ens160 and net0, as VMware and some clouds name them; files are named <node>-<interface>.pcap as usual. Pings and HTTP on port 80 between pod-a and pod-b work; node2\'s FORWARD chain drops TCP to port 8080: the requests reach node2 flannel.1 and never cni0. The NICs\' role comes from what crosses them (the encapsulated copies).',
  reportedAs: 'Issue 14 (captures from the wild): `<node>-<iface>.pcap` with an interface Hopscope had never heard of (net0, ens160, eth2, bond0.100) did not split into node and interface.',
  notes: ['The fault: `iptables -I FORWARD -p tcp --dport 8080 -j DROP` on node2.'],
  build: (lab, opts) => flannelVxlan(lab, { ...opts, nics: { node1: 'ens160', node2: 'net0' } }),
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80, 8080]);
    await ctx.sleep(1200);
    await captureAll(ctx, ctx.built.points.map((p) => ({ node: p.node, iface: p.iface, role: p.role })));
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-drop', description: 'node2 FORWARD drops TCP to port 8080', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -p tcp --dport 8080 -j DROP' }],
    });
    const ab = ctx.built.podToPod;
    await ctx.flow(ping('ping', H.a, H.b, 0x6e01, ab));
    await ctx.flow(tcp('http', H.a, H.b, 80, 49680, ab));
    await ctx.flow(tcp('http-8080', H.a, H.b, 8080, 49681, ab, interest('requests dropped: they reach node2 flannel.1, never cni0 (FORWARD drops TCP 8080)')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 5: a capture point blind in one direction by design.

const blindVeth: FieldScenarioDef = {
  name: 'blind-veth-healthy',
  id: 'blnd',
  title: 'pod-a\'s host-side veth shows only what pod-a sends (as an lxc device under Cilium\'s eBPF host routing); every flow works',
  summary: 'Cilium with eBPF host routing hands packets for a pod straight into its namespace: tcpdump on the pod\'s lxc device sees what the pod sends and nothing of what it receives. Here pod-a\'s veth on node1 is captured with `tcpdump -Q in` to the same effect. pod-a pings pod-b, opens HTTP and queries DNS; pod-b pings pod-a. Everything works: the replies to pod-a cross node1\'s cni0 and arrive, unseen at its veth.',
  reportedAs: 'Issue 14 (captures from the wild): with Cilium\'s eBPF host routing replies never show on the client pod\'s lxc device, and every flow was reported as "replies dropped towards the pod".',
  notes: [
    'node1/veth3a1b2c4d is captured with `-Q in` (capturePoints[].direction): it cannot show packets going into pod-a. The ground truth does not count it on that direction\'s path (flows[].blind).',
    'No fault.',
  ],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80]);
    await ctx.sleep(1200);
    await captureAll(ctx, AB_POINTS.map((p) => (p.iface === 'veth3a1b2c4d' ? { ...p, direction: 'in' as const } : p)));
    await ctx.sleep(300);
    const ab = podPath('pod-a', 'pod-b');
    await ctx.flow(ping('ping-a-b', H.a, H.b, 0x6b01, ab, interest('delivered: the replies cross node1 cni0 and reach pod-a; its veth capture cannot show them')));
    await ctx.flow(tcp('http-a-b', H.a, H.b, 80, 49780, ab, interest('delivered')));
    await ctx.flow(udp('dns-a-b', H.a, H.b, 53, 49753, 0x6b53, ab, interest('delivered')));
    await ctx.flow(ping('ping-b-a', H.b, H.a, 0x6b02, podPath('pod-b', 'pod-a'), interest('delivered: the requests reach pod-a unseen at its veth, the replies are seen')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 3: keepalives of a connection older than the captures.

const keepalive: FieldScenarioDef = {
  name: 'tcp-keepalive-healthy',
  id: 'kpal',
  title: 'An idle connection older than the captures: only TCP keepalive probes and their ACKs cross during them',
  summary: 'pod-a opens a connection to pod-b:9100 before the captures and waits for the server, which answers only after 10 s; pod-a\'s kernel sends a keepalive probe every 2 s of silence (no data, one sequence number back) and pod-b\'s acknowledges each. The captures run from about 2.3 s to 7 s: they hold keepalives and ACKs only, no handshake, no data. A ping and an HTTP exchange run beside it.',
  reportedAs: 'Issue 14 (captures from the wild): a lone ACK or keepalive of a connection whose start is outside the capture was shown as a flow of its own, sometimes facing the wrong way.',
  notes: ['SO_KEEPALIVE with TCP_KEEPIDLE = TCP_KEEPINTVL = 2 s on pod-a\'s socket; the server (labnet stream-serve) sends one chunk after 10 s and closes, after the captures stopped.'],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80]);
    await ctx.start('pod-b', 'slow', `${LABNET} stream-serve --port 9100 --delay 10 --chunks 1 --interval 0.1 --bytes 100`);
    await ctx.sleep(1000);
    const ab = podPath('pod-a', 'pod-b');
    const t0 = Date.now();
    const until = (ms: number) => ctx.sleep(Math.max(0, t0 + ms - Date.now()));
    const idle = await ctx.session({
      id: 'keepalive', protocol: 'tcp', description: 'pod-a holds an idle connection to pod-b:9100 opened before the captures; its kernel sends keepalives every 2 s',
      client: H.a, target: { ip: H.b.ip, port: 9100 }, server: { host: H.b.host, ip: H.b.ip, port: 9100 }, path: ab, clientPort: 43100,
      command: `${LABNET} session --dst ${H.b.ip} --port 9100 --sport 43100 --keepalive 2`,
      interest: { expectedVerdict: 'delivered: keepalive probes from pod-a and their ACKs cross every point; one flow, pod-b:9100 the server' },
    });
    // Start and stop the captures between two probes (every 2 s), so that each holds the same ones.
    await until(2300);
    await captureAll(ctx, AB_POINTS);
    await ctx.sleep(300);
    await ctx.flow(ping('ping', H.a, H.b, 0x6c01, ab));
    await ctx.flow(tcp('http', H.a, H.b, 80, 49880, ab));
    await until(7000);
    await ctx.stopCaptures();
    await idle.done;
  },
};

// ---------------------------------------------------------------------------------------------
// Issue 14, 1: points a flow never crosses.

const podsInside: FieldScenarioDef = {
  name: 'pods-captured-inside-port-drop',
  id: 'pins',
  title: 'Captures inside three pods (their own eth0) beside node1 cni0 and both NICs; node1 FORWARD drops TCP 9090 to pod-a',
  summary: 'The engineer captured inside the pods (`kubectl debug` / `nsenter -n tcpdump -i eth0`): pod-c and pod-a on node1, pod-b on node2, plus node1 cni0 and each node\'s eth0. pod-c talks to pod-a on the same node (HTTP, DNS, ping): those packets never leave node1 and never cross pod-b\'s eth0 or any NIC. pod-a and pod-c reach pod-b across the tunnel. node1\'s FORWARD chain drops TCP to port 9090: pod-b → pod-a:9090 reaches node1 eth0 and never cni0.',
  reportedAs: 'Issue 14 (captures from the wild): every capture point was put on every flow\'s path; another pod\'s eth0, the backend pod, the host bridge ended up on paths the flow never crossed, and answered traffic was reported as lost towards the pod.',
  notes: [
    'pod-a-eth0.pcap, pod-b-eth0.pcap and pod-c-eth0.pcap are taken inside the pods\' network namespaces (capturePoints[].role "pod"); their file names say nothing of the node.',
    'The fault: `iptables -I FORWARD -p tcp --dport 9090 -j DROP` on node1.',
  ],
  extraPods: [VXLAN_EXTRA_PODS[0]!],
  kitPods: [H.a.host, H.b.host, H.c.host],
  async run(ctx) {
    await podServers(ctx, [H.a, H.b, H.c], [80, 8080, 9090]);
    await ctx.sleep(1200);
    await captureAll(ctx, [
      { node: 'pod-c', iface: 'eth0', role: 'pod' },
      { node: 'pod-a', iface: 'eth0', role: 'pod' },
      { node: 'node1', iface: 'cni0', role: 'bridge' },
      { node: 'node1', iface: 'eth0', role: 'nic' },
      { node: 'node2', iface: 'eth0', role: 'nic' },
      { node: 'pod-b', iface: 'eth0', role: 'pod' },
    ]);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-drop', description: 'node1 FORWARD drops TCP to port 9090', node: 'node1',
      commands: [{ host: 'node1', command: 'iptables -I FORWARD -p tcp --dport 9090 -j DROP' }],
    });
    const inside = (path: PointId[], from: string, to: string): PointId[] => [`${from}/eth0`, ...path, `${to}/eth0`];
    const ca = inside(podPath('pod-c', 'pod-a'), 'pod-c', 'pod-a');
    const cb = inside(podPath('pod-c', 'pod-b'), 'pod-c', 'pod-b');
    const ab = inside(podPath('pod-a', 'pod-b'), 'pod-a', 'pod-b');
    const ba = inside(podPath('pod-b', 'pod-a'), 'pod-b', 'pod-a');
    await ctx.flow(tcp('http-c-a', H.c, H.a, 8080, 45180, ca, interest('delivered: pod-c → pod-a stays on node1 (pod-c eth0, cni0, pod-a eth0); no NIC and no other pod is on its path')));
    await ctx.flow(udp('dns-c-a', H.c, H.a, 53, 45153, 0x7053, ca, interest('delivered: same node, UDP; the NICs and pod-b\'s eth0 saw nothing and are not on its path')));
    await ctx.flow(ping('ping-c-a', H.c, H.a, 0x7001, ca));
    await ctx.flow(ping('ping-c-b', H.c, H.b, 0x7002, cb, interest('delivered: pod-a\'s eth0 is not on its path')));
    await ctx.flow(tcp('http-a-b', H.a, H.b, 80, 45080, ab));
    await ctx.flow(udp('dns-b-a', H.b, H.a, 53, 45053, 0x7153, ba));
    await ctx.flow(tcp('tcp-9090-b-a', H.b, H.a, 9090, 45090, ba, interest('requests dropped: they reach node1 eth0, never cni0 (FORWARD drops TCP 9090); pod-c\'s eth0 is not on the path')));
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// Two pods of one node that talk only to each other, one of them with its offloads off.

const sameNode: FieldScenarioDef = {
  name: 'same-node-pods-policy-drop',
  id: 'snpd',
  title: 'pod-a and pod-c on one node talk only to each other through cni0; a policy on node1 drops pod-a → pod-c:8080, the kubelet\'s probe of 8080 passes',
  summary: 'pod-a and pod-c both live on node1 and send nothing else: their frames are bridged from port to port inside cni0, never routed, so both addresses cross each veth with TTL 64 either way. pod-c\'s veth has its offloads off (as engineers turn them off to see wire-size packets), so the 100 KB it sends pod-a cross as ~70 segments against fewer ACKs. node1\'s FORWARD chain, which sees bridged frames through br_netfilter as kube-proxy requires, drops TCP from pod-a to pod-c:8080, as an iptables NetworkPolicy does; node1 probes pod-c:8080 from cni0\'s address (a kubelet readiness probe) and gets through. The engineer captured both veths, cni0, flannel.1 and both nodes\' NICs, 128 bytes a packet.',
  reportedAs: 'Pods of one node: a pod veth whose pod talks only to a pod of the same bridge sees both addresses with an initial TTL, the busier one more often; counted so, pod-a\'s veth was taken for pod-c\'s, and the path of a same-node flow put the server pod\'s veth before the bridge.',
  notes: [
    'net.bridge.bridge-nf-call-iptables is 1 on node1 (br_netfilter, as kube-proxy requires): iptables FORWARD sees frames cni0 bridges between two of its ports.',
    'The fault: `iptables -I FORWARD -s 10.244.1.2 -d 10.244.1.3 -p tcp --dport 8080 -j DROP` on node1. tcpdump on cni0 puts the bridge in promiscuous mode, and the bridge passes its copy of each frame up after forwarding it: cni0 shows the dropped SYNs, pod-c\'s veth never does.',
    'Offloads off on both ends of pod-c\'s veth: `ip link set dev <veth> gso_max_size 1500` (this machine has no ethtool; `ethtool -K tso off gso off` does the same).',
    'The capture kit starts on each node after the lab\'s captures; node1 has no neighbour entry for pod-a or pod-c (nothing of the node talked to them), so the kit pings each once from cni0\'s address to learn its MAC: those two pings are in the captures, and delivered.',
  ],
  extraPods: [VXLAN_EXTRA_PODS[0]!],
  kitPods: [H.a.host, H.c.host],
  coldNeighbours: true,
  async run(ctx) {
    ctx.sh('node1', `ip link set dev ${VETH['pod-c']} gso_max_size 1500`);
    ctx.sh('pod-c', 'ip link set dev eth0 gso_max_size 1500');
    ctx.sh('node1', 'sysctl -qw net.bridge.bridge-nf-call-iptables=1');
    await podServers(ctx, [H.c], [80, 8080], 100000);
    await ctx.sleep(1200);
    await captureAll(ctx, [
      { node: 'node1', iface: VETH['pod-a']!, role: 'pod-veth' },
      { node: 'node1', iface: 'cni0', role: 'bridge' },
      { node: 'node1', iface: VETH['pod-c']!, role: 'pod-veth' },
      { node: 'node1', iface: 'flannel.1', role: 'overlay' },
      { node: 'node1', iface: 'eth0', role: 'nic' },
      { node: 'node2', iface: 'eth0', role: 'nic' },
    ], { snaplen: 128 });
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-drop', description: 'node1 FORWARD drops TCP from pod-a to pod-c:8080 (a NetworkPolicy), bridged frames included', node: 'node1',
      commands: [{ host: 'node1', command: `iptables -I FORWARD -s ${H.a.ip} -d ${H.c.ip} -p tcp --dport 8080 -j DROP` }],
    });
    const ac = podPath('pod-a', 'pod-c');
    await ctx.flow(ping('ping', H.a, H.c, 0x7501, ac));
    await ctx.flow(tcp('http-100k', H.a, H.c, 80, 47580, ac, interest('healthy: 100 KB from pod-c in ~70 segments; every point of node1\'s bridge sees them, no NIC does')));
    await ctx.flow(udp('dns', H.a, H.c, 53, 47553, 0x7553, ac));
    await ctx.flow(tcp('http-8080', H.a, H.c, 8080, 47581, ac, interest('requests dropped: the SYNs reach node1 cni0 and never pod-c\'s veth (node1 FORWARD drops pod-a → pod-c:8080, bridged frames included); no reply')));
    await ctx.flow({ ...tcp('probe-8080', H.node1, H.c, 8080, 47582, [`node1/cni0`, `node1/${VETH['pod-c']}`]), description: 'node1 probes pod-c:8080 from cni0\'s address 10.244.1.1 (a kubelet readiness probe): the policy lets the node through', client: { host: 'node1', ip: '10.244.1.1' } });
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// A route of the overlay lost: the node's default route takes the pod traffic instead.

/** The underlay's router: the nodes' default gateway, which forwards nothing. */
const ROUTER = { host: 'router', ip: '192.168.0.1', mac: '52:54:00:a8:00:01' };

const routeLost: FieldScenarioDef = {
  name: 'vxlan-route-missing-default-gw',
  id: 'rtgw',
  title: 'node2 has lost flannel\'s route to node1\'s pod subnet: its default route takes what it sends pod-a out eth0 to the router, not encapsulated',
  summary: 'Both nodes have a default route to the underlay\'s router (192.168.0.1), as real nodes do. node2 has lost flannel\'s route `10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink` (routes flanneld added are gone after `systemctl restart network` until it next syncs its leases, and a node re-registered with a new lease routes the old subnet nowhere). pod-a → pod-b: the requests cross the tunnel, pod-b answers, and node2 routes each reply by its default route: out eth0 as a plain IP packet, to the router\'s MAC, which drops it. pod-b → pod-a: the requests leave the same way. Beside them pod-a and pod-b reach the other node\'s own address (masqueraded, not encapsulated either), and those work.',
  reportedAs: 'flannel\'s first write-up (seed 000): docker started before flannel gave pods addresses no node\'s route leads to through the overlay; the packets for them left by the default route, and the captures showed them leave node2 and arrive nowhere, which read as a loss on the underlay.',
  notes: [
    'The router (192.168.0.1, its own namespace on the switch) has forwarding off: what is not for itself it drops, silently, as a cloud\'s router drops addresses it has no route for.',
    'The fault: `ip route del 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink` on node2.',
    'node1-any.pcap and node2-any.pcap are `tcpdump -i any` (SLL2) on each node, taken at the same time as the per-interface captures; node1-links.txt and node2-links.txt map their interface indexes to names.',
  ],
  build: (lab, opts) => {
    const built = flannelVxlan(lab, opts);
    lab.addHost(ROUTER.host);
    plugIntoLan(lab, ROUTER.host, 'eth0', ROUTER.mac, `${ROUTER.ip}/24`);
    lab.sh(ROUTER.host, 'sysctl -w net.ipv4.ip_forward=0');
    for (const n of built.topology.nodes) {
      lab.sh(n.name, `ip route add default via ${ROUTER.ip}`);
      n.routes = routesOf(lab, n.name);
    }
    built.topology.outside.push({ name: ROUTER.host, ip: ROUTER.ip, note: 'the nodes\' default gateway on the underlay; forwarding off' });
    return built;
  },
  async run(ctx) {
    await podServers(ctx, [H.a, H.b], [80]);
    await ctx.serve('node1', { tcp: [10250] });
    await ctx.serve('node2', { tcp: [10250] });
    await ctx.sleep(1200);
    // And one `tcpdump -i any` per node beside them, as many engineers take it instead.
    await captureAll(ctx, [...AB_POINTS, { node: 'node1', iface: 'any', role: 'any', extra: true }, { node: 'node2', iface: 'any', role: 'any', extra: true }]);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'route-missing', description: 'node2 has no route to node1\'s pod subnet through flannel.1; its default route leads to the router', node: 'node2',
      commands: [{ host: 'node2', command: 'ip route del 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink' }],
    });
    const ab = podPath('pod-a', 'pod-b');
    const ba = podPath('pod-b', 'pod-a');
    const leak = 'node2 routes pod-a\'s address by its default route: out eth0, not encapsulated, to the router';
    await ctx.flow(ping('ping-a-b', H.a, H.b, 0x7601, ab, interest(`replies dropped: the requests reach pod-b through the tunnel; the replies reach node2 eth0 and no further (${leak})`)));
    await ctx.flow(tcp('http-a-b', H.a, H.b, 80, 47680, ab, interest(`replies dropped: the SYN-ACKs reach node2 eth0 and no further (${leak}); pod-a resends its SYN`)));
    await ctx.flow(udp('dns-b-a', H.b, H.a, 53, 47653, 0x7653, ba, interest(`requests dropped: they reach node2 eth0 and no further (${leak})`)));
    await ctx.flow({
      ...tcp('pod-b-to-node1', H.b, H.node1, 10250, 47681, ['node2/veth7e9d0f12', 'node2/cni0', 'node2/eth0', 'node1/eth0']),
      description: 'pod-b opens TCP to node1\'s own address 192.168.0.11:10250 (masqueraded to node2\'s address, not encapsulated): it works',
    });
    await ctx.flow({
      ...tcp('pod-a-to-node2', H.a, H.node2, 10250, 47682, ['node1/veth3a1b2c4d', 'node1/cni0', 'node1/eth0', 'node2/eth0']),
      description: 'pod-a opens TCP to node2\'s own address 192.168.0.12:10250 (masqueraded to node1\'s address): it works',
    });
    await ctx.sleep(1000);
  },
};

// ---------------------------------------------------------------------------------------------
// A NodePort whose ingress node does not forward its DNATed requests.

const nodeportDrop: FieldScenarioDef = {
  name: 'nodeport-forward-drop',
  id: 'npfd',
  title: 'NodePort 30080 on node2 to pod-a on node1: node2\'s FORWARD chain drops the DNATed requests before the tunnel; NodePort 30053 works',
  summary: 'An outside client calls node2:30080 and node2:30053; kube-proxy on node2 DNATs both to pod-a on node1 and masquerades them to flannel.1\'s address. A rule on node2 drops forwarded TCP to pod-a:80, as a NetworkPolicy or a host firewall would: the client\'s SYNs reach node2 eth0 (tcpdump sees them before PREROUTING), are DNATed, and die in FORWARD, so no VXLAN leg ever leaves node2. The DNS NodePort and a ping from pod-b to pod-a work. Captured: both nodes\' eth0 and flannel.1, node1\'s cni0 and pod-a\'s veth, as for a NodePort incident; not the outside client.',
  reportedAs: 'DOMAIN.md, NodePort with externalTrafficPolicy=Cluster: the client\'s leg and its DNATed leg cross one NIC; with the second leg missing, the requests stop at the ingress node, which is both the address the client dialled and the node that must forward.',
  notes: ['The fault: `iptables -I FORWARD -d 10.244.1.2 -p tcp --dport 80 -j DROP` on node2 (after DNAT: FORWARD sees the endpoint, not the NodePort).'],
  outside: true,
  kitPods: [H.a.host, H.b.host],
  services: NODEPORT_SERVICES,
  async run(ctx) {
    nodePortServices(ctx);
    await podServers(ctx, [H.a, H.b]);
    await ctx.sleep(1200);
    await captureAll(ctx, NODEPORT_POINTS);
    await ctx.sleep(300);
    ctx.fault({
      kind: 'port-drop', description: 'node2 FORWARD drops TCP to pod-a:80, the NodePort 30080\'s endpoint, after kube-proxy\'s DNAT', node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I FORWARD -d 10.244.1.2 -p tcp --dport 80 -j DROP' }],
    });
    const npPath = ['node2/eth0', 'node2/flannel.1', 'node1/eth0', 'node1/flannel.1', 'node1/cni0', 'node1/veth3a1b2c4d'];
    const bToA = ['node2/flannel.1', 'node2/eth0', 'node1/eth0', 'node1/flannel.1', 'node1/cni0', 'node1/veth3a1b2c4d'];
    // Traffic through node2's flannel.1 before and after the NodePort's SYNs, as a busy node has:
    // a capture that shows nothing is known to be running only between its first and last packets.
    await ctx.flow(ping('ping-b-a', H.b, H.a, 0x4b11, bToA));
    await ctx.flow({
      ...udp('nodeport-dns', H.outside, H.node2, 30053, 41253, 0x4b01, npPath),
      description: 'the outside client sends a DNS query to the NodePort 192.168.0.12:30053 (endpoint pod-a 10.244.1.2:53): it works',
      server: server(H.a, 53),
    });
    await ctx.flow({
      ...tcp('nodeport-http', H.outside, H.node2, 30080, 41280, npPath, interest('requests dropped: the SYNs reach node2 eth0 and never leave it encapsulated (node2 FORWARD drops them after the NodePort DNAT); no reply')),
      description: 'the outside client opens TCP to the NodePort 192.168.0.12:30080 (endpoint pod-a 10.244.1.2:80 on node1)',
      server: server(H.a, 80),
    });
    await ctx.flow(ping('ping-b-a-after', H.b, H.a, 0x4b12, bToA));
    await ctx.sleep(1000);
  },
};

export const FIELD_SCENARIOS: FieldScenarioDef[] = [anyOnly('sll2'), anyOnly('sll1'), nodeport, background, windows, midConnection, nodeAnswers, busy, snaplen, randomLoss, rstClose, synAckDropped, sequential, fragments, oddNics, blindVeth, keepalive, podsInside, rotatedCaptures, sameNode, routeLost, nodeportDrop];


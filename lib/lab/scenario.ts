/**
 * The shape of `sample-captures/<scenario>/scenario.json`: what the lab built, what it broke,
 * where it captured and — computed from the captures, not from intent — how far each flow got.
 * The correlator's verdict tests compare their answers against `flows[].requests/replies`.
 */

/**
 * 2 added `healthy`, `background`, `windows`, `-i any` capture points (with their node's
 * interface list) and per-point snap lengths; a schema 1 file (the first fifteen scenarios) has
 * none of them and reads as it always did.
 */
export const SCENARIO_SCHEMA = 2;

export type Cni = 'flannel-vxlan' | 'flannel-udp' | 'calico-ipip' | 'calico-vxlan' | 'cilium-vxlan' | 'cilium-geneve' | 'antrea-geneve' | 'flannel-vxlan-dualstack' | 'flannel-vxlan-ipv6' | 'flannel-vxlan-ipv6-pods' | 'fou-ipip' | 'kube-router-gue' | 'gre' | 'vxlan-gpe-nsh' | 'flannel-wireguard';

/** `<node>/<interface>`, e.g. "node2/flannel.1"; the file is `<node>-<interface>.pcap`. */
export type PointId = string;

export type FlowProtocol = 'icmp' | 'tcp' | 'udp';

export interface InterfaceInfo {
  name: string;
  /** veth, bridge, vxlan, tun, … as `ip -d link` calls it. */
  kind: string;
  addresses?: string[];
  mtu: number;
  mac?: string;
  /** What it stands for in a real cluster, and anything unusual about it. */
  note?: string;
}

export interface NodeInfo {
  name: string;
  underlayIp: string;
  podCidr?: string;
  interfaces: InterfaceInfo[];
  routes: string[];
}

export interface PodInfo {
  name: string;
  node: string;
  ip: string;
  /** The host end of the pod's veth, as seen on the node. */
  hostInterface: string;
  gateway: string;
  mtu: number;
}

export interface OutsideHost {
  name: string;
  ip: string;
  note?: string;
}

export interface ServiceInfo {
  name: string;
  clusterIp: string;
  port: number;
  protocol: 'tcp' | 'udp';
  endpoints: string[];
}

export interface Topology {
  nodes: NodeInfo[];
  pods: PodInfo[];
  outside: OutsideHost[];
  services: ServiceInfo[];
  /** Routers and switches between the nodes: not capture points. */
  underlay: string;
}

/** `pod`: the pod's own eth0, captured inside its network namespace (kubectl debug, nsenter). */
export type PointRole = 'pod-veth' | 'pod' | 'bridge' | 'overlay' | 'nic' | 'host' | 'any';

export interface CapturePoint {
  id: PointId;
  file: string;
  node: string;
  /** The device tcpdump was started on; `any` for a node-wide capture (Linux cooked headers). */
  interface: string;
  role: PointRole;
  /** LINKTYPE_* of the file (1 Ethernet, 101 raw IP, 113 Linux cooked v1, 276 Linux cooked v2). */
  linkType: number;
  packets: number;
  /** tcpdump -s: bytes kept of each packet (schema 2). */
  snaplen?: number;
  /**
   * tcpdump -Q: `in` keeps only what the host received on the device (from a pod, on its host-side
   * veth). Stands in for a datapath that passes the device by in the other direction (Cilium's
   * eBPF host routing); the ground truth does not expect packets of that direction there.
   */
  direction?: 'in' | 'out';
  /** `-i any` (schema 2): the file beside the capture holding `ip -o link` as printed on the node. */
  links?: string;
  /** `-i any` (schema 2): interface index → name on the node, parsed from `links`. */
  ifindex?: Record<string, string>;
}

export interface FaultCommand {
  host: string;
  command: string;
}

export interface Fault {
  kind: string;
  description: string;
  /** Where the fault is; the verdict should point here. */
  node: string;
  /** Exactly what the lab ran, on which host, after the captures started. */
  commands: FaultCommand[];
}

/** How the ground truth recognises a flow's packets at every hop, through NAT and tunnels. */
export interface FlowMatch {
  /** ICMP echo identifier the client used (ping -e). */
  icmpId?: number;
  /** The client's source port before any SNAT. */
  clientPort?: number;
  /** Destination ports the request may carry at any hop (service port, then the pod's port). */
  serverPorts?: number[];
  /** DNS transaction id of the UDP exchange. */
  dnsId?: number;
  /** TCP initial sequence number of the client's SYN, as captured (differs on every run). */
  tcpIsn?: number;
}

export interface DirectionObservation {
  /** Packets at the flow's origin: the first path point for requests, the last for replies. */
  sent: number;
  /** The last capture point, in this direction's order along `path`, that saw any of them. */
  lastReached: PointId | null;
  /** Packets of this direction per capture point (points that saw none are left out). */
  seenAt: Record<PointId, number>;
  /**
   * The largest innermost IPv4 total length per point: where large packets stop while small ones
   * pass (an MTU problem), this drops from one point to the next. GSO frames on veths, bridges
   * and even VXLAN devices can be far above the MTU.
   */
  largestAt: Record<PointId, number>;
  /**
   * Distinct packets per point, where some packet crossed a point twice (a NodePort leg and its
   * NATed, encapsulated twin on one NIC; a hairpin through a veth; `-i any` in SLL v1, which
   * records a packet once per interface under one name): a packet counts once. Absent where
   * it would equal `seenAt`.
   */
  packetsAt?: Record<PointId, number>;
}

export interface IcmpErrorObservation {
  type: number;
  code: number;
  /** Who sent the error (outer source of the ICMP packet). */
  from: string;
  to: string;
  /** Next-hop MTU of a frag-needed (type 3 code 4). */
  mtu?: number;
  /** Which direction of the flow the quoted datagram belongs to. */
  about: 'request' | 'reply';
  seenAt: Record<PointId, number>;
}

export interface ClientResult {
  /** response, timeout, reset, refused, response-timeout, partial, error */
  outcome: string;
  detail?: string;
}

export interface Flow {
  id: string;
  protocol: FlowProtocol;
  description: string;
  client: { host: string; ip: string };
  /** What the client dialled (a pod, a ClusterIP, an outside address). */
  target: { ip: string; port?: number };
  /** Where the request should end up after any DNAT. */
  server: { host: string; ip: string; port?: number };
  /** The client command, as run inside the client's namespace. */
  command: string;
  match: FlowMatch;
  /**
   * Capture points in request order; replies travel it backwards. Schema 2: behind a `-i any`
   * capture with interface indexes (SLL2), a point is `<node>/<interface>` resolved through
   * the capture's `ifindex`; `seenAt` uses the same keys.
   */
  path: PointId[];
  clientResult: ClientResult;
  requests: DirectionObservation;
  replies: DirectionObservation;
  icmpErrors: IcmpErrorObservation[];
  /** Points captured in one direction only (`CapturePoint.direction`) that cannot show this flow's requests or replies. */
  blind?: { requests: PointId[]; replies: PointId[] };
  expectedVerdict: string;
}

export interface ExtraCapture {
  file: string;
  node: string;
  interface: string;
  linkType: number;
  packets: number;
  /** The node's interface indexes, for the SLL2 interface index field: resolve names with these. */
  ifindex?: Record<string, string>;
  note: string;
}

/** A flow the lab generated besides the flows of interest, which worked: the client got its answer. */
export type HealthyFlow = Omit<Flow, 'expectedVerdict'>;

export const BACKGROUND_KINDS = ['arp', 'nd-ns', 'nd-na', 'nd-rs', 'nd-ra', 'mld', 'igmp', 'lldp', 'stp', 'dhcp'] as const;
export type BackgroundKind = (typeof BACKGROUND_KINDS)[number];

/** Frames of one capture point that belong to no flow, by kind (kinds not seen are left out). */
export interface BackgroundCounts {
  /** On the captured link itself. */
  onLink: Partial<Record<BackgroundKind, number>>;
  /** Inside VXLAN (UDP 8472 or 4789): an L2 overlay floods broadcasts and multicasts to every VTEP. */
  inTunnel: Partial<Record<BackgroundKind, number>>;
  /** ARP requests on the link, by target address, that no reply from that address answered. */
  arpUnanswered?: Record<string, number>;
}

/** The first and last packet of a capture, as "seconds.nanoseconds" since the epoch (exact). */
export interface CaptureWindow {
  first: string;
  last: string;
  packets: number;
}

export interface ScenarioFile {
  schema: number;
  name: string;
  title: string;
  /** The story in two or three sentences, for the README and the dashboard. */
  summary: string;
  /** Which real incidents (DOMAIN.md, seeds) this scenario recreates. */
  reportedAs: string;
  cni: Cni;
  fault: Fault | null;
  topology: Topology;
  capturePoints: CapturePoint[];
  extraCaptures: ExtraCapture[];
  /** One pcapng holding every capture point, interface names `<node>-<interface>`. */
  /** Schema 2 leaves it null where one file of all points would mislead (`-i any` captures only). */
  pcapng: { file: string; interfaces: string[]; packets: number } | null;
  flows: Flow[];
  /** Schema 2: every other flow the lab ran that worked, measured like `flows`. */
  healthy?: HealthyFlow[];
  /** Schema 2: background frames per capture point. */
  background?: Record<PointId, BackgroundCounts>;
  /** Schema 2: when each capture point started and stopped seeing packets. */
  windows?: Record<PointId, CaptureWindow>;
  /** Kernel behaviour worth knowing when reading these captures. */
  notes: string[];
  /**
   * Points captured a second time at once, as a file a second (tcpdump -G): each point's files
   * under the scenario's folder (`rotated/…`), in time order. Their packets are the point's whole
   * capture's; the ground truth is measured from that.
   */
  rotated?: Record<PointId, string[]>;
  /** The capture kit, run by the lab on every node beside its own captures (lib/kit). */
  kit?: KitRun;
}

/** What the lab's run of the capture kit left: one bundle per node, for these pods. */
export interface KitRun {
  bundles: string[];
  pods: string[];
  port?: number;
  /** Where the bundles come from, when not from the run that wrote the captures beside them. */
  note?: string;
}

/** The part of a flow that must stay the same when the lab is rerun (counts may not). */
export interface FlowStory {
  id: string;
  client: string;
  requests: { lastReached: PointId | null; seenAt: PointId[] };
  replies: { lastReached: PointId | null; seenAt: PointId[] };
  icmpErrors: string[];
}

export function flowStory(f: Flow | HealthyFlow): FlowStory {
  const pts = (r: Record<PointId, number>): PointId[] => Object.keys(r).filter((k) => (r[k] ?? 0) > 0).sort();
  return {
    id: f.id,
    client: f.clientResult.outcome,
    requests: { lastReached: f.requests.lastReached, seenAt: pts(f.requests.seenAt) },
    replies: { lastReached: f.replies.lastReached, seenAt: pts(f.replies.seenAt) },
    icmpErrors: f.icmpErrors.map((e) => `type ${e.type} code ${e.code} from ${e.from} about the ${e.about}`).sort(),
  };
}

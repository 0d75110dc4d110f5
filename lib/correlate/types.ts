/**
 * What the correlator produces: capture points, the same packet at each point (a packet group),
 * flows of groups with their path and direction, node clocks and the ICMP errors that answer a
 * flow. The stages (points, sightings, connections, flows, direction, path, clocks,
 * icmp-errors) each fill a part; correlate.ts runs them in order.
 */
import type { IndexedCapture } from '../decode/capture-index';
import type { Encapsulation } from '../decode/encapsulation';
import type { InterfaceRole } from '../protocols/devices';
import type { Nanoseconds } from '../util/units';
import type { BackgroundCounts } from './background';
import type { Label } from './labels';
import type { PacketGroups } from './groups';

export type { Encapsulation, PacketGroups };

export interface CaptureInput {
  /** Path or name as the user gave it. */
  file: string;
  capture: IndexedCapture;
  /** Label for the whole file (one capture point), unless the pcapng names several interfaces. */
  label: Label;
  /** A capture written as several files (parts.ts): the files, in time order; `file` is the first. */
  parts?: CapturePart[];
}

/** One file of a capture written as several: its rows are the joined capture's [firstRow, firstRow + rows). */
export interface CapturePart {
  file: string;
  firstRow: number;
  rows: number;
}

export interface CapturePoint {
  id: number;
  file: string;
  /** A capture written as several files: the files, in time order (`file` is the first). */
  parts?: CapturePart[];
  node: string;
  /**
   * The machine whose kernel the capture ran in: the node, or for a capture inside a pod
   * (`pod-a-eth0.pcap`, pod-captures.ts) the node the pod runs on. Paths, clocks and "the same
   * node" go by it; `node` stays the name the files gave.
   */
  host: string;
  interface: string;
  role: InterfaceRole;
  /** Where the role came from: the interface's name, what crossed it, or the user. */
  roleSource: 'name' | 'inferred' | 'user' | 'state';
  /** One point standing for several interfaces (`-i any`): a packet's copies are one sighting. */
  merged: boolean;
  /** One interface of a `tcpdump -i any` split by interface: its points share one capture's buffer and window. */
  fromAny?: true;
  labelSource: Label['source'];
  /** The pcapng interface this point stands for, or -1 for all interfaces of the file. */
  interfaceId: number;
  packets: number;
  /** Raw capture clock, ns since the incident epoch; NaN when nothing was timestamped. */
  firstNs: Nanoseconds;
  lastNs: Nanoseconds;
  /**
   * The capture is known to have stopped no earlier than `lastNs` and no proof runs further (a
   * kit's manifest, a pcapng's own statistics): silence after `lastNs` is not taken as capturing.
   */
  stopKnown: boolean;
  /**
   * What the capture itself said it dropped before recording (its pcapng statistics, or its
   * tcpdump when stopped), and out of how many it was handed (dropped plus what it kept: more
   * than the file holds when a ring buffer wrapped); absent: it said nothing, or said it for a
   * whole `-i any` file this point is one interface of.
   */
  droppedReported?: { dropped: number; of: number };
  /** When the capture ran is unknown (a kit's tcpdump that never said it listened): empty, it proves nothing. */
  runUnknown: boolean;
  /** For pod veths: the pod address seen most on it, when it saw any traffic. */
  podIp: string | null;
  /** Packets the capture's snap length cut short, and that snap length (0 unknown). */
  truncated: number;
  /**
   * Tunnel packets whose inner packet the snap length cut off (`tcpdump -s 68` on a NIC carrying
   * VXLAN): what flows they carried cannot be told there, so no flow inside the tunnel is judged
   * at this point (verdict/evidence.ts stationsOf).
   */
  innerCut: number;
  snaplen: number;
  /** Every address of the pod behind this veth: one per family on a dual-stack pod. */
  podIps: string[];
  /** ARP, neighbour discovery, DHCP, multicast…: counted apart, never flows (background.ts). */
  background: BackgroundCounts;
}

export type Protocol = 'icmp' | 'tcp' | 'udp' | 'icmpv6' | 'other';
export type Direction = 1 | -1;

/** What one point saw of a node looking for a neighbour (ARP, IPv6 neighbour discovery). */
export interface NeighbourLookup {
  point: number;
  /** The address asked for. */
  target: string;
  protocol: 'ARP' | 'ND';
  asked: number;
  answered: number;
  /** Raw times (ns since the epoch) of the first and last question. */
  firstNs: Nanoseconds;
  lastNs: Nanoseconds;
}

export interface IcmpErrorSighting {
  point: number;
  tNs: Nanoseconds;
  /** Who sent the error. */
  from: string;
  type: number;
  code: number;
  /** Next-hop MTU of a frag-needed / packet-too-big. */
  mtu: number | null;
  /** The error quoted an encapsulated (underlay) packet: e.g. UDP 8472 to a node. */
  quotedUnderlay: { proto: number; dst: string; dport: number } | null;
  /** The quoted inner packet's length, to tell which request it answers. */
  quotedIpLen: number;
  /** The snap length cut the quote: matched by the address it was sent to, the MTU and the time (icmp-errors.ts); quotedIpLen is that packet's. */
  quoteCut?: true;
}

/**
 * A flow's packet group ids, in an Int32Array of their exact length, without the methods that
 * make another Int32Array (map, filter, slice, subarray): what is mapped from an id there (a
 * time, a size) would be cut to an int32 without a word. Array.from(ids, fn) maps into an array.
 */
export type GroupIds = Omit<Int32Array, 'map' | 'filter' | 'slice' | 'subarray'>;

export interface Flow {
  id: number;
  protocol: Protocol;
  proto: number;
  /** As the client addressed it (before DNAT). */
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  /** ICMP echo identifier. */
  icmpId: number | null;
  /**
   * Packet group ids (Correlation.groups), in the order of their first sighting: time order.
   * Typed arrays of their exact length: a single capture's flows hold a group per packet, and
   * as arrays (8 bytes an id, grown by half again) they were 19 MB of a million-packet analysis.
   */
  groups: GroupIds;
  requests: GroupIds;
  replies: GroupIds;
  /** Capture points in path order, client to server (replies travel it backwards). */
  path: number[];
  clientNode: string;
  icmpErrors: IcmpErrorSighting[];
  /** What its groups add up to (summary.ts), once their directions are settled. */
  summary: FlowSummary;
}

/** Sums over a flow's groups, made in one sweep over all groups (summary.ts). */
export interface FlowSummary {
  /** Bit p set: some packet of the flow was seen at point p; -1 with more than 30 points (no masks). */
  seenMask: number;
  /** The earliest and latest of its packets' first sightings (raw, ns since the epoch). */
  firstNs: Nanoseconds;
  lastNs: Nanoseconds;
  /** Each distinct point mask among its requests, and how many have it; empty without masks. */
  requestMasks: MaskCount[];
  replyMasks: MaskCount[];
  /** TCP: the request (with ACK) whose acknowledgment number is furthest on, -1 none. */
  furthestAck: number;
  /** TCP: the reply consuming sequence (data, SYN, FIN) whose sequence number is furthest on, -1 none. */
  furthestSeq: number;
}

export interface MaskCount {
  mask: number;
  count: number;
}

export interface NodeClock {
  node: string;
  /** Add to this node's raw timestamps to get the reference node's clock. */
  offsetNs: Nanoseconds;
  method: 'reference' | 'two-way' | 'one-way' | 'unknown';
  samples: number;
  /**
   * The node this clock was measured against, through packets both saw: the reference for every
   * known clock. An unknown clock (no packet shared with the reference's side) may still be
   * measured against a node of its own side, so that times there compare with each other.
   */
  base: string;
}

export interface Correlation {
  epochSec: number;
  /** Every packet group, in columns; flows hold their ids. */
  groups: PacketGroups;
  /** The encapsulation of the packet at `row` of capture point `point`, or null if plain. */
  encapsulationOf(point: number, row: number): Encapsulation | null;
  /** The capture a point's rows (Sighting.row) index: its file's, or its files' joined (CapturePoint.parts). */
  captureOf(point: number): IndexedCapture | undefined;
  /**
   * The node whose pod side an address is proven to live on (a pod veth's own address, or sent
   * at a pod veth or bridge with an initial TTL), or undefined: no node's own, no outside one.
   */
  podSide(addr: string): string | undefined;
  /** Whether packets from or to `addr` crossed a NIC of `host` inside an encapsulated packet. */
  tunnelCarries(host: string, addr: string): boolean;
  points: CapturePoint[];
  flows: Flow[];
  clocks: Map<string, NodeClock>;
  referenceNode: string;
  /** How capture points were made (an `-i any` split, inferred roles), for the report. */
  notes: string[];
  /** Tunnels seen but not decoded (WireGuard, IPsec, …), one way between two addresses. */
  undecoded: UndecodedTunnel[];
  /** ARP and neighbour solicitations per point and address asked for, with their answers. */
  neighbours: NeighbourLookup[];
  /** Pod points that never show one direction of their pod's traffic (blind.ts); `proven` false: nothing could tell whether that direction crossed. */
  blind: { point: number; towardsPod: boolean; seen: number; elsewhere: number; proven: boolean }[];
  /** Nodes whose captures were taken one after another: no two of them ran at the same time. */
  sequentialNodes: string[];
}

export interface UndecodedTunnel {
  /** "WireGuard" */
  tunnel: string;
  /** "UDP 51820" */
  wire: string;
  src: string;
  dst: string;
  /** Packets per capture point ("node1/eth0"). */
  seenAt: Record<string, number>;
}

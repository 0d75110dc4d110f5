/** What the verdict stage reports per flow. */
import type { Encapsulation, Protocol } from '../correlate/correlate';
import type { InterfaceRole } from '../protocols/devices';
import type { Nanoseconds } from '../util/units';
import type { Cause } from './causes';

export type VerdictKind =
  | 'delivered'
  | 'request-dropped'
  | 'reply-dropped'
  | 'no-reply'
  | 'partial-loss'
  | 'size-dependent'
  | 'rejected'
  | 'not-observed';

/** Which rule of the table decided (rules.ts), what it says, and the evidence it used. */
export interface VerdictRuleUsed {
  name: string;
  description: string;
  evidence: string[];
}

export interface Verdict {
  kind: VerdictKind;
  summary: string;
  /** The step the packets failed to take, in words. */
  transition: string | null;
  causes: Cause[];
  rule: VerdictRuleUsed;
}

export interface HopReport {
  node: string;
  /** The node the point is on: `node`, or for a capture inside a pod, the pod's node. */
  host: string;
  interface: string;
  /** pod | bridge | overlay | nic | any | other: what the interface is on the path. */
  role: InterfaceRole;
  /** Index into Correlation.points. */
  point: number;
  file: string;
  requests: number;
  replies: number;
  /**
   * Present (true) when the point saw nothing of the flow and its capture was not recording at
   * any moment the flow was seen elsewhere: no evidence either way, as a point not captured.
   */
  notRecording?: true;
  /**
   * Present (true) when the point saw nothing of the flow and its capture cut tunnel packets
   * before their inner packet (CapturePoint.innerCut: `tcpdump -s 68` on a NIC carrying VXLAN):
   * which flows those carried cannot be told there, so no evidence either way.
   */
  innerCut?: true;
}

/** A cause checked against a node's recorded state (the capture kit's bundle). */
export interface NodeCheck {
  node: string;
  /** What was checked, as a cause: "iptables FORWARD drops it", "flannel.1 is down". */
  cause: string;
  status: 'confirmed' | 'ruled out' | 'not checkable';
  /** The line that decides it, quoted from the node's state. */
  evidence: string;
}

export interface Translation {
  /** Where the new addresses are first seen. */
  at: string;
  kind: 'DNAT' | 'SNAT' | 'DNAT+SNAT';
  from: string;
  to: string;
}

export interface IcmpErrorReport {
  at: string;
  from: string;
  type: number;
  code: number;
  meaning: string;
  mtu: number | null;
  count: number;
  /** The snap length cut what it quoted: it was matched to this flow by the address it was sent to, its MTU and the time (correlate/icmp-errors.ts). */
  quoteCut?: true;
}

export interface FlowReport {
  /** Index into Correlation.flows, to fetch the flow's packets. */
  id: number;
  protocol: Protocol;
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  icmpId: number | null;
  translations: Translation[];
  hops: HopReport[];
  /** Points on the path that were not captured (inferred from the other nodes' captures). */
  notCaptured: { node: string; interface: string; role: InterfaceRole }[];
  /** Capture points the flow cannot cross (another pod, a node it never goes to), and why: not evidence either way. */
  offPath: { node: string; interface: string; why: string }[];
  /** Causes checked against the nodes' recorded state, when bundles were given. */
  checks: NodeCheck[];
  /** The largest packet (IP length) lost where the flow stops; null when nothing stops. */
  stopLostSize: number | null;
  /** For TCP, the distinct flag bytes of the segments lost there (0x12: SYN-ACK); empty when nothing stops. */
  stopLostTcpFlags?: number[];
  /** Present (true) when the packets lost where the flow stops left that point, a NIC, for another node as plain IP, not encapsulated, though the overlay carries their destination. */
  stopLeftPlain?: true;
  requests: { sent: number; delivered: number };
  replies: { sent: number; delivered: number };
  requestsStopAfter: string | null;
  repliesStopAfter: string | null;
  icmpErrors: IcmpErrorReport[];
  /** What the overlay headers said where the flow crossed a NIC encapsulated (VNI, port, VTEPs). */
  encapsulation: ({ at: string; text: string } & Encapsulation)[];
  /** Corrected time of the flow's first packet, ns since the incident epoch. */
  firstNs: Nanoseconds;
  verdict: Verdict;
}

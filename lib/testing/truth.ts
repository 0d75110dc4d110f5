/**
 * What a lab scenario's ground truth (sample-captures/<name>/scenario.json) says a correct
 * analysis must find: pure functions, shared by the unit tests and the end-to-end tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlowReport, VerdictKind } from '../verdict/verdict';

/** The lab's recorded scenarios (HOPSCOPE_SAMPLES points the tests at a fresh lab run instead). */
export const SAMPLES = process.env.HOPSCOPE_SAMPLES ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sample-captures');

export type TruthFlow = {
  id: string;
  protocol: 'icmp' | 'tcp' | 'udp';
  client: { ip: string };
  match: { icmpId?: number; clientPort?: number };
  path: string[];
  clientResult: { outcome: string; detail?: string };
  /** ICMP errors about the flow; `mtu`: what a frag-needed or packet too big announced. */
  icmpErrors?: { type: number; code: number; from?: string; mtu?: number | null; seenAt?: Record<string, number> }[];
  /** `largestAt`: the largest IP length seen at each point. */
  requests: { lastReached: string | null; seenAt: Record<string, number>; packetsAt?: Record<string, number>; largestAt?: Record<string, number> };
  replies: { lastReached: string | null; seenAt: Record<string, number>; packetsAt?: Record<string, number>; largestAt?: Record<string, number> };
  /** Points captured in one direction only that cannot show the requests or the replies. */
  blind?: { requests: string[]; replies: string[] };
};

export interface GroundTruth {
  name: string;
  fault: { kind: string } | null;
  capturePoints: { file: string; node: string; interface: string }[];
  extraCaptures?: {
    file: string;
    node: string;
    interface: string;
    /** An `-i any` SLL2 file: ifindex → the interface name the lab read from `ip link`. */
    ifindex?: Record<string, string>;
  }[];
  flows: TruthFlow[];
  /** Schema 2: every other flow of the scenario, each of which worked. */
  healthy?: TruthFlow[];
  /** Each capture point's first and last packet ("seconds.nanoseconds"). */
  windows?: Record<string, { first: string; last: string }>;
  /** Points captured a second time at once as a file a second (tcpdump -G): their files, `rotated/…`. */
  rotated?: Record<string, string[]>;
}

export function scenarios(): { dir: string; truth: GroundTruth }[] {
  if (!existsSync(SAMPLES)) return [];
  return readdirSync(SAMPLES)
    .filter((d) => existsSync(join(SAMPLES, d, 'scenario.json')))
    .sort()
    .map((d) => ({ dir: join(SAMPLES, d), truth: JSON.parse(readFileSync(join(SAMPLES, d, 'scenario.json'), 'utf8')) as GroundTruth }));
}

/**
 * Each direction's path in the order its packets cross it: the requests' from the client, the
 * replies' from the server. A point captured one way only is no point of the other direction's.
 */
export function directionPaths(flow: TruthFlow): { requests: string[]; replies: string[] } {
  return {
    requests: flow.path.filter((p) => !flow.blind?.requests.includes(p)),
    replies: flow.path.filter((p) => !flow.blind?.replies.includes(p)).reverse(),
  };
}

/** The verdict a correct analysis must reach, derived from the ground truth. */
export function expectedKind(truth: GroundTruth, flow: GroundTruth['flows'][number]): VerdictKind {
  // An MTU fault, or a path MTU the flow ran into (frag-needed; ICMPv6 packet too big).
  const tooBig = (flow.icmpErrors ?? []).some((e) => (e.type === 3 && e.code === 4) || (e.type === 2 && e.code === 0));
  const mtu = (truth.fault?.kind.startsWith('mtu') ?? false) || tooBig;
  const { requests: path, replies: back } = directionPaths(flow);
  const counts = (side: 'requests' | 'replies', order: string[]) => order.map((p) => packetsAt(flow, side)[p] ?? 0);
  // Fewer packets at the next point is loss only where both captures ran at the same time:
  // captures taken one after another hold different packets.
  const w = (p: string) => truth.windows?.[p];
  const overlap = (a: string, b: string) => {
    const x = w(a);
    const y = w(b);
    return !x || !y || (Number(x.first) <= Number(y.last) && Number(y.first) <= Number(x.last));
  };
  const shrinks = (xs: number[], order: string[]) => xs.some((x, i) => i > 0 && x < xs[i - 1]! && overlap(order[i - 1]!, order[i]!));
  if (flow.clientResult.outcome === 'refused') return 'rejected';
  if (flow.requests.lastReached !== path[path.length - 1]) return mtu ? 'size-dependent' : 'request-dropped';
  if (flow.replies.lastReached === null) return 'no-reply';
  if (flow.replies.lastReached !== back[back.length - 1]) return 'reply-dropped';
  const lossy = shrinks(counts('requests', path), path) || shrinks(counts('replies', back), back);
  // Packets refused with frag-needed (packet too big), sent again smaller and through: delivered after path MTU discovery.
  if (lossy && tooBig) return 'delivered';
  // TCP lost segments on the way and sent them again: the client program got its whole answer.
  if (lossy && flow.protocol === 'tcp' && flow.clientResult.outcome === 'response' && !mtu) return 'delivered';
  if (lossy) return mtu ? 'size-dependent' : 'partial-loss';
  return 'delivered';
}

/** Distinct packets per point, as the lab measured them (a packet crossing a point twice counts once). */
export function packetsAt(flow: GroundTruth['flows'][number], side: 'requests' | 'replies'): Record<string, number> {
  return flow[side].packetsAt ?? flow[side].seenAt;
}

export function findFlow(flows: FlowReport[], f: TruthFlow): FlowReport | undefined {
  // The lab calls ICMPv6 echoes 'icmp' too.
  return flows.find(
    (r) =>
      (r.protocol === f.protocol || (f.protocol === 'icmp' && r.protocol === 'icmpv6')) &&
      r.client === f.client.ip &&
      (f.protocol === 'icmp' ? r.icmpId === f.match.icmpId : r.clientPort === f.match.clientPort),
  );
}

/**
 * Where a flow's packets stop by the ground truth: the last point the requests reached when it
 * is not the path's end, else the replies'. Null when both got through.
 */
export function expectedStop(f: TruthFlow): { direction: 'requests' | 'replies'; at: string } | null {
  const { requests, replies } = directionPaths(f);
  if (f.requests.lastReached && f.requests.lastReached !== requests[requests.length - 1]) return { direction: 'requests', at: f.requests.lastReached };
  if (f.replies.lastReached && f.replies.lastReached !== replies[replies.length - 1]) return { direction: 'replies', at: f.replies.lastReached };
  return null;
}

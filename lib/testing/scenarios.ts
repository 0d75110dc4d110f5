/** The lab scenarios in sample-captures/ and what their ground truth says a verdict must be. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadInputs } from '../analyze/files';
import { linksFileNode } from '../correlate/links';
import { analyze } from '../analyze';
import type { FlowReport, VerdictKind } from '../verdict/verdict';

export const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

type TruthFlow = {
  id: string;
  protocol: 'icmp' | 'tcp' | 'udp';
  client: { ip: string };
  match: { icmpId?: number; clientPort?: number };
  path: string[];
  clientResult: { outcome: string };
  icmpErrors?: { type: number; code: number }[];
  requests: { lastReached: string | null; seenAt: Record<string, number>; packetsAt?: Record<string, number> };
  replies: { lastReached: string | null; seenAt: Record<string, number>; packetsAt?: Record<string, number> };
};

export interface GroundTruth {
  name: string;
  fault: { kind: string } | null;
  capturePoints: { file: string; node: string; interface: string }[];
  extraCaptures?: { file: string; node: string; interface: string }[];
  flows: TruthFlow[];
  /** Schema 2: every other flow of the scenario, each of which worked. */
  healthy?: TruthFlow[];
}

export function scenarios(): { dir: string; truth: GroundTruth }[] {
  if (!existsSync(SAMPLES)) return [];
  return readdirSync(SAMPLES)
    .filter((d) => existsSync(join(SAMPLES, d, 'scenario.json')))
    .sort()
    .map((d) => ({ dir: join(SAMPLES, d), truth: JSON.parse(readFileSync(join(SAMPLES, d, 'scenario.json'), 'utf8')) as GroundTruth }));
}

/** The verdict a correct analysis must reach, derived from the ground truth. */
export function expectedKind(truth: GroundTruth, flow: GroundTruth['flows'][number]): VerdictKind {
  // An MTU fault, or a path MTU the flow ran into (frag-needed; ICMPv6 packet too big).
  const tooBig = (flow.icmpErrors ?? []).some((e) => (e.type === 3 && e.code === 4) || (e.type === 2 && e.code === 0));
  const mtu = (truth.fault?.kind.startsWith('mtu') ?? false) || tooBig;
  const path = flow.path;
  const counts = (side: 'requests' | 'replies', order: string[]) => order.map((p) => packetsAt(flow, side)[p] ?? 0);
  const shrinks = (xs: number[]) => xs.some((x, i) => i > 0 && x < xs[i - 1]!);
  if (flow.clientResult.outcome === 'refused') return 'rejected';
  if (flow.requests.lastReached !== path[path.length - 1]) return mtu ? 'size-dependent' : 'request-dropped';
  if (flow.replies.lastReached === null) return 'no-reply';
  if (flow.replies.lastReached !== path[0]) return 'reply-dropped';
  if (shrinks(counts('requests', path)) || shrinks(counts('replies', [...path].reverse()))) return mtu ? 'size-dependent' : 'partial-loss';
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

const analyses = new Map<string, ReturnType<typeof analyzeOnce>>();

/** The analysis of one scenario folder, made once per test file. */
export function analyzeScenario(dir: string, truth: GroundTruth): ReturnType<typeof analyzeOnce> {
  let a = analyses.get(dir);
  if (!a) analyses.set(dir, (a = analyzeOnce(dir, truth)));
  return a;
}

async function analyzeOnce(dir: string, truth: GroundTruth) {
  // The capture points, and each node's interface list (`<node>-links.txt`) where the lab wrote one.
  const links = readdirSync(dir).filter((f) => linksFileNode(f) !== null);
  const files = [...truth.capturePoints.map((c) => c.file), ...(truth.extraCaptures ?? []).map((c) => c.file), ...links].map((f) => join(dir, f));
  const loaded = await loadInputs(files, new Map());
  expect(loaded.errors.filter((e) => !e.startsWith('warning'))).toEqual([]);
  return analyze(loaded.inputs, { links: loaded.links }).report;
}


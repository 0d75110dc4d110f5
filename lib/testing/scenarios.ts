/** The lab scenarios in sample-captures/ and what their ground truth says a verdict must be. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import type { FlowReport, VerdictKind } from '../verdict/verdict';

export const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

export interface GroundTruth {
  name: string;
  fault: { kind: string } | null;
  capturePoints: { file: string; node: string; interface: string }[];
  extraCaptures?: { file: string; node: string; interface: string }[];
  flows: {
    id: string;
    protocol: 'icmp' | 'tcp' | 'udp';
    client: { ip: string };
    match: { icmpId?: number; clientPort?: number };
    path: string[];
    clientResult: { outcome: string };
    requests: { lastReached: string | null; seenAt: Record<string, number> };
    replies: { lastReached: string | null; seenAt: Record<string, number> };
  }[];
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
  const mtu = truth.fault?.kind.startsWith('mtu') ?? false;
  const path = flow.path;
  const counts = (side: 'requests' | 'replies', order: string[]) => order.map((p) => flow[side].seenAt[p] ?? 0);
  const shrinks = (xs: number[]) => xs.some((x, i) => i > 0 && x < xs[i - 1]!);
  if (flow.clientResult.outcome === 'refused') return 'rejected';
  if (flow.requests.lastReached !== path[path.length - 1]) return mtu ? 'size-dependent' : 'request-dropped';
  if (flow.replies.lastReached === null) return 'no-reply';
  if (flow.replies.lastReached !== path[0]) return 'reply-dropped';
  if (shrinks(counts('requests', path)) || shrinks(counts('replies', [...path].reverse()))) return mtu ? 'size-dependent' : 'partial-loss';
  return 'delivered';
}

export function findFlow(flows: FlowReport[], f: GroundTruth['flows'][number]): FlowReport | undefined {
  return flows.find(
    (r) =>
      r.protocol === f.protocol &&
      r.client === f.client.ip &&
      (f.protocol === 'icmp' ? r.icmpId === f.match.icmpId : r.clientPort === f.match.clientPort),
  );
}

export async function analyzeScenario(dir: string, truth: GroundTruth) {
  const files = [...truth.capturePoints.map((c) => c.file), ...(truth.extraCaptures ?? []).map((c) => c.file)].map((f) => join(dir, f));
  const { inputs, errors } = await loadInputs(files, new Map());
  expect(errors.filter((e) => !e.startsWith('warning'))).toEqual([]);
  return analyze(inputs).report;
}


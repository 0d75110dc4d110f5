/**
 * Every lab scenario in sample-captures/ gets the verdict its scenario.json records: the lab
 * measured, from the same captures with its own matcher (lib/lab/ground-truth.ts), how many
 * requests and replies each capture point saw and where each direction stopped. The expected
 * verdict kind follows from that ground truth and the fault the lab injected.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInputs } from '../cli/analyze';
import { analyze } from '../analyze';
import type { FlowReport, VerdictKind } from './verdict';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

interface GroundTruth {
  name: string;
  fault: { kind: string } | null;
  capturePoints: { file: string; node: string; interface: string }[];
  extraCaptures?: { file: string }[];
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

const all = scenarios();
if (all.length === 0) console.log(`[samples] no scenario in ${SAMPLES}: skipping the verdict tests`);

describe.skipIf(all.length === 0)('verdicts on the lab scenarios', () => {
  it('covers at least ten scenarios, healthy and broken, of all three CNIs', () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
    const kinds = new Set(all.flatMap(({ truth }) => truth.flows.map((f) => expectedKind(truth, f))));
    for (const k of ['delivered', 'request-dropped', 'reply-dropped', 'rejected', 'size-dependent'] as const) expect(kinds).toContain(k);
  });

  for (const { dir, truth } of all) {
    describe(truth.name, () => {
      for (const gt of truth.flows) {
        it(`${gt.id}: ${expectedKind(truth, gt)}, with the captured counts at every point`, async () => {
          const report = await analyzeScenario(dir, truth);
          const flow = findFlow(report.flows, gt);
          expect(flow, `a ${gt.protocol} flow from ${gt.client.ip}`).toBeDefined();
          const f = flow!;
          // Counts at every capture point of the path, both directions.
          const ours = Object.fromEntries(f.hops.map((h) => [`${h.node}/${h.interface}`, [h.requests, h.replies]]));
          const theirs = Object.fromEntries(gt.path.map((p) => [p, [gt.requests.seenAt[p] ?? 0, gt.replies.seenAt[p] ?? 0]]));
          for (const p of gt.path) expect(ours[p] ?? [0, 0], `counts at ${p}`).toEqual(theirs[p]);
          // Where each direction stopped.
          const last = gt.path[gt.path.length - 1];
          expect(f.requestsStopAfter, 'requestsStopAfter').toBe(gt.requests.lastReached === last ? null : gt.requests.lastReached);
          if (gt.replies.lastReached !== null) {
            expect(f.repliesStopAfter, 'repliesStopAfter').toBe(gt.replies.lastReached === gt.path[0] ? null : gt.replies.lastReached);
          }
          expect(f.verdict.kind, f.verdict.summary).toBe(expectedKind(truth, gt));
          if (f.verdict.kind !== 'delivered') {
            expect(f.verdict.summary.length).toBeGreaterThan(20);
            if (f.verdict.kind !== 'not-observed') expect(f.verdict.causes.length).toBeGreaterThan(0);
          }
        });
      }
    });
  }
});

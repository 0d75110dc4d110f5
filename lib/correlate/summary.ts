/**
 * Sums over each flow's groups that later stages read more than once (path.ts, the verdict's
 * evidence): where its packets were seen, when, and how many of each direction were seen where.
 * One sweep over all groups in order, each flow's sums beside it (why: direction.ts,
 * listeningSides), instead of a pass over each flow's groups in each stage.
 */
import type { PacketGroups } from './sightings';
import type { Flow, MaskCount } from './types';

/** Fills `summary` of every flow; `flowOf[g]` is group g's flow, `flows[n].id === n`, directions settled. */
export function summarizeFlows(flows: Flow[], G: PacketGroups, flowOf: Int32Array): void {
  const n = flows.length;
  const seen = new Int32Array(n);
  const first = new Float64Array(n).fill(Infinity);
  const last = new Float64Array(n).fill(-Infinity);
  // Per flow and direction (2f requests, 2f + 1 replies): each distinct mask and its count. A
  // flow's packets mostly share one mask (seen everywhere), so the last one found is kept at hand.
  const masks: MaskCount[][] = Array.from({ length: 2 * n }, () => []);
  const lastFound = new Array<MaskCount | null>(2 * n).fill(null);
  const { mask, dir } = G;
  for (let g = 0; g < G.count; g++) {
    const f = flowOf[g]!;
    const t = G.first[g]!;
    if (t < first[f]!) first[f] = t;
    if (t > last[f]!) last[f] = t;
    if (!G.useMasks) continue;
    const m = mask[g]!;
    seen[f]! |= m;
    const k = dir[g] === 1 ? 2 * f : 2 * f + 1;
    let found = lastFound[k] ?? null;
    if (found === null || found.mask !== m) {
      found = masks[k]!.find((x) => x.mask === m) ?? null;
      if (!found) masks[k]!.push((found = { mask: m, count: 0 }));
      lastFound[k] = found;
    }
    found.count++;
  }
  for (const f of flows) {
    const k = f.id;
    f.summary = { seenMask: G.useMasks ? seen[k]! : -1, firstNs: first[k]!, lastNs: last[k]!, requestMasks: masks[2 * k]!, replyMasks: masks[2 * k + 1]! };
  }
}

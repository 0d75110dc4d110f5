/**
 * Sums over each flow's groups that later stages read more than once (path.ts, the verdict's
 * evidence): where its packets were seen, when, how many of each direction were seen where, and
 * for TCP how far the client acknowledged and the server sent.
 * One sweep over all groups in order, each flow's sums beside it (why: direction.ts,
 * listeningSides), instead of a pass over each flow's groups in each stage.
 */
import type { PacketGroups } from './groups';
import type { Flow, MaskCount } from './types';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../protocols/numbers';
import { ns } from '../util/units';

const TCP = 6;
/** The largest TCP header: an IP length beyond IP header + this carries data. */
export const TCP_MAX_HEADER = 60;

/** A TCP segment that carries data, a SYN or a FIN (not a bare ACK); `ipHeader` 20 or 40. */
export function consumesSequence(G: PacketGroups, g: number, ipHeader: number): boolean {
  return (G.tcpFlags[g]! & (TCP_SYN | TCP_FIN)) !== 0 || G.ipLen[g]! > ipHeader + TCP_MAX_HEADER;
}

/** Fills `summary` of every flow; `flowOf[g]` is group g's flow, `flows[n].id === n`, directions settled. */
export function summarizeFlows(flows: Flow[], G: PacketGroups, flowOf: Int32Array): void {
  const n = flows.length;
  const first = new Float64Array(n).fill(Infinity);
  const last = new Float64Array(n).fill(-Infinity);
  // Per flow and direction (2f requests, 2f + 1 replies): each distinct mask and its count, with
  // masks only (more than 30 points have none). A flow's packets mostly share one mask (seen
  // everywhere), so the last one found is kept at hand.
  const masks: MaskCount[][] | null = G.useMasks ? Array.from({ length: 2 * n }, () => []) : null;
  const lastFound = new Array<MaskCount | null>(masks ? 2 * n : 0).fill(null);
  // TCP: the client's furthest acknowledgment and the server's furthest segment that consumes
  // sequence (acknowledgments never go back, so the furthest is the last).
  const furthestAck = new Int32Array(n).fill(-1);
  const furthestSeq = new Int32Array(n).fill(-1);
  const ipHeader = Uint8Array.from(flows, (f) => (f.client.includes(':') ? 40 : 20));
  const { mask, dir, proto, tcpFlags, ack, seq } = G;
  for (let g = 0; g < G.count; g++) {
    const f = flowOf[g]!;
    const t = G.first[g]!;
    if (t < first[f]!) first[f] = t;
    if (t > last[f]!) last[f] = t;
    if (proto[g] === TCP) {
      if (dir[g] === 1) {
        const a = furthestAck[f]!;
        if ((tcpFlags[g]! & TCP_ACK) !== 0 && (a < 0 || ((ack[g]! - ack[a]!) >>> 0) - 1 < 0x7fffffff)) furthestAck[f] = g;
      } else if (consumesSequence(G, g, ipHeader[f]!)) {
        const s = furthestSeq[f]!;
        if (s < 0 || ((seq[g]! - seq[s]!) >>> 0) - 1 < 0x7fffffff) furthestSeq[f] = g;
      }
    }
    if (!masks) continue;
    const m = mask[g]!;
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
    const requestMasks = masks?.[2 * k] ?? [];
    const replyMasks = masks?.[2 * k + 1] ?? [];
    // Every group is a request or a reply: where the flow was seen is where either was.
    let seen = 0;
    for (const x of requestMasks) seen |= x.mask;
    for (const x of replyMasks) seen |= x.mask;
    f.summary = { seenMask: masks ? seen : -1, firstNs: ns(first[k]!), lastNs: ns(last[k]!), requestMasks, replyMasks, furthestAck: furthestAck[k]!, furthestSeq: furthestSeq[k]! };
  }
}

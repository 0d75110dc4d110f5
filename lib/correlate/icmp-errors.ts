/**
 * ICMP errors: each is attached to the flow its quoted datagram belongs to, by the connection
 * the quote names. The index already read the quote (decode/encapsulation.ts); nothing is
 * decoded here. A frag-needed or packet-too-big whose quote the snap length cut (tcpdump -s 96
 * keeps 34 bytes of an IPv6 one's quote: not the destination, nor the ports) goes to the flow
 * that sent, nearest before it, a packet larger than its MTU from the address it was sent to.
 */
import { ns } from '../util/units';
import { icmpConnKey, portConnKey, type Connections } from './connections';
import type { PacketGroups } from './groups';
import type { ErrorRow } from './sightings';
import { hashStr } from './tables';
import type { CaptureInput, Flow } from './types';
import type { QuotedError } from '../decode/encapsulation';

/**
 * How long before a cut-quote MTU error its too-big packet may have been first seen: a router
 * answers at once, and the error comes back to the sender's node, whose captures saw the packet
 * first (raw times: the clocks are not known yet, and one node's are one clock).
 */
const CUT_QUOTE_BEFORE_NS = 1e9;
/** And after it, for a packet first seen on another node than the error (a clock a little ahead). */
const CUT_QUOTE_AFTER_NS = 10e6;

export function attachIcmpErrors(inputs: readonly CaptureInput[], rows: readonly ErrorRow[], conns: Connections, flowOfConnection: (node: number) => Flow | undefined, flows: readonly Flow[], G: PacketGroups): void {
  const seen = new Set<string>();
  for (const e of rows) {
    const err = inputs[e.input]!.capture.icmpErrors.get(e.row);
    if (!err) continue;
    const q = err.quoted;
    const match = q ? { flow: quotedFlow(q, conns, flowOfConnection), ipLen: q.ipLen } : tooBigSender(err, e.tNs, flows, G);
    if (!match?.flow) continue;
    // One error seen at several capture points is one error.
    const dedupe = `${e.point}|${err.from}|${err.type}|${err.code}|${q?.ipId ?? ''}|${q?.echoSeq ?? ''}|${e.tNs}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    match.flow.icmpErrors.push({
      point: e.point,
      tNs: ns(e.tNs),
      from: err.from,
      type: err.type,
      code: err.code,
      mtu: err.mtu,
      quotedUnderlay: err.quotedUnderlay,
      quotedIpLen: match.ipLen,
      ...(q ? {} : { quoteCut: true }),
    });
  }
}

function quotedFlow(q: NonNullable<QuotedError['quoted']>, conns: Connections, flowOfConnection: (node: number) => Flow | undefined): Flow | undefined {
  const key = q.echo
    ? icmpConnKey(q.proto, hashStr(q.src), q.src, hashStr(q.dst), q.dst, q.sport)
    : portConnKey(q.proto, hashStr(q.src), q.src, q.sport, hashStr(q.dst), q.dst, q.dport);
  const node = conns.known(key);
  return node === undefined ? undefined : flowOfConnection(node);
}

/**
 * For an MTU error whose quote was cut: the flow whose packet from the error's destination,
 * larger than the MTU, was first seen nearest before the error (within CUT_QUOTE_BEFORE_NS, or
 * CUT_QUOTE_AFTER_NS after), and that packet's length; null where no flow sent one, or the
 * error names no MTU (an old router's frag-needed says 0).
 */
function tooBigSender(err: QuotedError, tNs: number, flows: readonly Flow[], G: PacketGroups): { flow: Flow; ipLen: number } | null {
  if (!err.mtu || !(tNs === tNs)) return null;
  let best: { flow: Flow; ipLen: number; t: number } | null = null;
  for (const f of flows) {
    const sent = f.client === err.to ? f.requests : f.server === err.to ? f.replies : null;
    if (!sent) continue;
    for (const g of sent) {
      const t = G.first[g]!;
      if (G.ipLen[g]! <= err.mtu || !(t >= tNs - CUT_QUOTE_BEFORE_NS && t <= tNs + CUT_QUOTE_AFTER_NS)) continue;
      if (!best || Math.abs(tNs - t) < Math.abs(tNs - best.t)) best = { flow: f, ipLen: G.ipLen[g]!, t };
    }
  }
  return best;
}

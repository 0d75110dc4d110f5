/**
 * ICMP errors: each is attached to the flow its quoted datagram belongs to, by the connection
 * the quote names. The index already read the quote (decode/encapsulation.ts); nothing is
 * decoded here.
 */
import { ns } from '../util/units';
import { icmpConnKey, portConnKey, type Connections } from './connections';
import type { ErrorRow } from './sightings';
import { hashStr } from './tables';
import type { CaptureInput, Flow } from './types';

export function attachIcmpErrors(inputs: readonly CaptureInput[], rows: readonly ErrorRow[], conns: Connections, flowOfConnection: (node: number) => Flow | undefined): void {
  const seen = new Set<string>();
  for (const e of rows) {
    const err = inputs[e.input]!.capture.icmpErrors.get(e.row);
    if (!err) continue;
    const q = err.quoted;
    const key = q.echo
      ? icmpConnKey(q.proto, hashStr(q.src), q.src, hashStr(q.dst), q.dst, q.sport)
      : portConnKey(q.proto, hashStr(q.src), q.src, q.sport, hashStr(q.dst), q.dst, q.dport);
    const node = conns.known(key);
    if (node === undefined) continue;
    const flow = flowOfConnection(node);
    if (!flow) continue;
    // One error seen at several capture points is one error.
    const dedupe = `${e.point}|${err.from}|${err.type}|${err.code}|${q.ipId ?? ''}|${q.echoSeq ?? ''}|${e.tNs}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    flow.icmpErrors.push({
      point: e.point,
      tNs: ns(e.tNs),
      from: err.from,
      type: err.type,
      code: err.code,
      mtu: err.mtu,
      quotedUnderlay: err.quotedUnderlay,
      quotedIpLen: q.ipLen,
    });
  }
}

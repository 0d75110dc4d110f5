/**
 * The least any correlation of an incident's captures can do, timed: every packet of every
 * capture taken once, in time order, and its identity (correlate/identity.ts) looked up in one
 * table, which gives the packet's group. Nothing else: no background, no connections, no flows,
 * nothing kept but each packet's group. `npm run bench` prints it beside the analysis, whose
 * target (analysis ≤ 1.5× decoding) leaves everything after reading half the decoding time.
 * Taking the rows capture by capture instead of in time order was no faster here: the table's
 * cache misses, not the merge, set the pace. Each file is taken in its own order (the walk
 * sorts a file tcpdump wrote out of order; the bench's are in order).
 */
import type { IndexedCapture } from '../decode/capture-index';
import { emptyRow } from '../decode/packet-index';
import { EarliestFirst } from '../correlate/sightings';
import { identityHi, identityLo } from '../correlate/identity';
import { PairTable } from '../correlate/tables';
import { incidentEpoch } from '../correlate/points';

export interface LeastWalk {
  /** The fastest of the runs: the floor is the least this machine took. */
  seconds: number;
  /** Rows walked: every packet of every capture. */
  rows: number;
  /** Distinct identities met. */
  identities: number;
}

/** One walk: each capture's rows in file order, the captures merged by time. */
function walkOnce(captures: readonly IndexedCapture[]): { rows: number; identities: number } {
  const idx = captures.map((c) => c.index);
  const epochSec = incidentEpoch(captures.map((capture) => ({ capture })));
  const base = captures.map((c) => (c.baseSec - epochSec) * 1e9 + c.baseNsec);
  const total = idx.reduce((n, x) => n + x.count, 0);
  const table = new PairTable(total >> 2);
  const group = new Int32Array(total);
  const next = new Int32Array(idx.length);
  const merge = new EarliestFirst(idx.length);
  // A row without a timestamp (NaN) takes the first place: it is walked all the same.
  const timeOf = (n: number, r: number) => (r < idx[n]!.count ? base[n]! + idx[n]!.tsNsAt(r) || 0 : Infinity);
  idx.forEach((_, n) => merge.set(n, timeOf(n, 0)));
  const row = emptyRow();
  let identities = 0;
  let rows = 0;
  for (let n = merge.winner(); merge.time(n) !== Infinity; n = merge.winner()) {
    const r = next[n]!++;
    idx[n]!.read(r, row);
    merge.set(n, timeOf(n, r + 1));
    const g = table.getOrSet(identityHi(row) | 0, identityLo(row) | 0, identities);
    if (g === identities) identities++;
    group[rows++] = g;
  }
  return { rows, identities };
}

/** The least walk over these captures, timed `runs` times in a row; the fastest run counts. */
export function leastWalk(captures: readonly IndexedCapture[], runs = 3): LeastWalk {
  let seconds = Infinity;
  let last = { rows: 0, identities: 0 };
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    last = walkOnce(captures);
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds, ...last };
}

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/prng';
import { EarliestFirst } from './sightings';

/** What the walk did before the tournament: the first capture holding the least time. */
function scan(times: number[]): number {
  let next = 0;
  for (let k = 1; k < times.length; k++) if (times[k]! < times[next]!) next = k;
  return next;
}

describe('EarliestFirst (the walk’s merge of the captures)', () => {
  it('picks what a scan from the first capture picks, ties and finished captures included', () => {
    const rand = mulberry32(7);
    for (const count of [1, 2, 3, 5, 8, 13]) {
      // Coarse times, so that ties between captures are common.
      const streams = Array.from({ length: count }, () => {
        const ts: number[] = [];
        let t = 0;
        const n = Math.floor(rand() * 40);
        for (let i = 0; i < n; i++) ts.push((t += Math.floor(rand() * 3)));
        return ts;
      });
      const at = new Array<number>(count).fill(0);
      const head = (k: number) => (at[k]! < streams[k]!.length ? streams[k]![at[k]!]! : Infinity);
      const merge = new EarliestFirst(count);
      for (let k = 0; k < count; k++) merge.set(k, head(k));
      const taken: number[] = [];
      const expected: number[] = [];
      const shadow = Array.from({ length: count }, (_, k) => head(k));
      for (;;) {
        const want = scan(shadow);
        const got = merge.winner();
        expect(merge.time(got)).toBe(shadow[want]);
        if (shadow[want] === Infinity) break;
        expected.push(want);
        taken.push(got);
        at[got]!++;
        shadow[got] = head(got);
        merge.set(got, head(got));
      }
      expect(taken).toEqual(expected);
      expect(taken.length).toBe(streams.reduce((n, s) => n + s.length, 0));
    }
  });

  it('with no capture at all, has nothing to give', () => {
    const merge = new EarliestFirst(0);
    expect(merge.time(merge.winner())).toBe(Infinity);
  });
});

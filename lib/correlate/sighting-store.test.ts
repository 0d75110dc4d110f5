/** The store's counting sort of sightings by group (SightingStore.index), against a plain stable sort. */
import { describe, expect, it } from 'vitest';
import { Addresses, SightingStore } from './groups';

/** A store whose sightings belong to `groups`, in that order. */
function storeOf(groups: number[]): SightingStore {
  const st = new SightingStore(groups.length, new Addresses());
  groups.forEach((g, i) => {
    st.group[i] = g;
    st.n = i + 1;
  });
  return st;
}

/** Each group's sightings in the order seen, as index() must list them. */
function byGroup(groups: number[], count: number): number[][] {
  return Array.from({ length: count }, (_, g) => groups.flatMap((x, i) => (x === g ? [i] : [])));
}

function listed(st: SightingStore, count: number): number[][] {
  return Array.from({ length: count }, (_, g) => Array.from(st.order.subarray(st.start[g]!, st.start[g + 1]!)));
}

describe('SightingStore.index', () => {
  // A seeded generator: the same cases on every run.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };

  it('lists each group’s sightings in the order seen, whether the sightings come in group order or not', () => {
    const cases: { groups: number[]; count: number }[] = [
      { groups: [], count: 0 },
      { groups: [], count: 3 },
      { groups: [0, 1, 2, 3], count: 4 },
      { groups: [0, 0, 1, 3, 3, 3], count: 5 },
      { groups: [2, 0, 1, 0, 2, 2, 1], count: 4 },
    ];
    for (let k = 0; k < 20; k++) {
      const count = 1 + rand(50);
      const n = rand(400);
      const groups = Array.from({ length: n }, () => rand(count));
      cases.push({ groups, count });
      cases.push({ groups: [...groups].sort((a, b) => a - b), count });
    }
    for (const { groups, count } of cases) {
      const st = storeOf(groups);
      st.index(count);
      expect(listed(st, count), JSON.stringify(groups)).toEqual(byGroup(groups, count));
      expect(st.start[count]).toBe(groups.length);
      expect(st.start[0]).toBe(0);
    }
  });
});

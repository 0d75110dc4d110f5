/**
 * The correlator's own data structures (tables.ts): the hashes that identities and connection
 * keys are built from, the 64-bit-key table every packet's identity and every address is looked
 * up in, the union-find that joins a NATed connection's legs into one flow, and the growable
 * columns. A fault here fails quietly: a lost entry splits one packet seen at two points into two
 * packets, one of them "lost", and a wrong merge joins two flows, so the verdict blames a hop
 * that did nothing.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/prng';
import { grow, hashStr, mix, PairTable, UnionFind } from './tables';

const rand = mulberry32(20240611);
const int32 = () => (rand() * 0x1_0000_0000) | 0;

describe('mix and hashStr', () => {
  it('hashStr is 32-bit FNV-1a, unsigned, as its published test vectors give it', () => {
    expect(hashStr('')).toBe(0x811c9dc5);
    expect(hashStr('a')).toBe(0xe40c292c);
    expect(hashStr('foobar')).toBe(0xbf9cf968);
  });

  it('mix changes the hash whenever the value mixed in changes, and depends on the order of values', () => {
    for (let k = 0; k < 500; k++) {
      const h = int32();
      const a = int32();
      const b = a ^ (1 << k % 32);
      // One field of an identity differing (an IP id one apart) must give another key.
      expect(mix(h, a)).not.toBe(mix(h, b));
      expect(mix(mix(h, a), b)).not.toBe(mix(mix(h, b), a));
    }
  });
});

describe('PairTable', () => {
  it('reads -1 for a key never set, and the latest value set for a key', () => {
    const t = new PairTable(0);
    expect(t.get(0, 0)).toBe(-1);
    t.set(0x0af40105, 4, 7);
    expect(t.get(0x0af40105, 4)).toBe(7);
    t.set(0x0af40105, 4, 9);
    expect(t.get(0x0af40105, 4)).toBe(9);
  });

  it('getOrSet stores its value only when the key is absent, and returns what the key then holds', () => {
    const t = new PairTable(0);
    expect(t.getOrSet(-5, 12, 0)).toBe(0);
    expect(t.getOrSet(-5, 12, 1)).toBe(0);
    expect(t.get(-5, 12)).toBe(0);
  });

  it('tells apart keys that share a half, swap halves, or sit at the ends of the int32 range', () => {
    const halves = [0, 1, -1, 4, 0x7fffffff, -0x80000000];
    const t = new PairTable(0);
    const keys = halves.flatMap((hi) => halves.map((lo) => [hi, lo] as const));
    keys.forEach(([hi, lo], v) => t.set(hi, lo, v));
    keys.forEach(([hi, lo], v) => expect(t.get(hi, lo), `${hi}, ${lo}`).toBe(v));
  });

  it('keeps every entry as it grows far past its initial size, with dense keys that crowd the same slots', () => {
    const t = new PairTable(16);
    const want = new Map<string, number>();
    // IPv4 addresses as the address table holds them: consecutive numbers, one low half (4) for all.
    for (let a = 0; a < 6000; a++) want.set(`${0x0af40000 + a}|4`, t.getOrSet(0x0af40000 + a, 4, want.size));
    // And random identities, half of them set, half getOrSet.
    for (let k = 0; k < 20000; k++) {
      const hi = int32();
      const lo = int32();
      const key = `${hi}|${lo}`;
      if (want.has(key)) continue;
      if (k % 2 === 0) t.set(hi, lo, want.size);
      else expect(t.getOrSet(hi, lo, want.size)).toBe(want.size);
      want.set(key, want.size);
    }
    const wrong = [...want].filter(([key, v]) => {
      const [hi, lo] = key.split('|').map(Number) as [number, number];
      return t.get(hi, lo) !== v;
    });
    expect(want.size).toBeGreaterThan(25000);
    expect(wrong).toEqual([]);
    expect(t.get(0x0af40000 + 6000, 4)).toBe(-1);
  });
});

describe('UnionFind', () => {
  it('numbers elements from 0 and starts each in a set of its own', () => {
    const uf = new UnionFind();
    for (let i = 0; i < 3000; i++) expect(uf.add()).toBe(i);
    expect(uf.size).toBe(3000);
    for (const i of [0, 1023, 1024, 2999]) expect(uf.find(i)).toBe(i);
  });

  it('puts two elements in one set exactly when a chain of unions joins them', () => {
    const n = 3000;
    const uf = new UnionFind();
    for (let i = 0; i < n; i++) uf.add();
    // A plain labelling to judge by: relabel one side of every union.
    const label = Array.from({ length: n }, (_, i) => i);
    for (let k = 0; k < 2500; k++) {
      const a = Math.floor(rand() * n);
      const b = Math.floor(rand() * n);
      uf.union(a, b);
      const from = label[b]!;
      const to = label[a]!;
      for (let i = 0; i < n; i++) if (label[i] === from) label[i] = to;
    }
    for (let k = 0; k < 5000; k++) {
      const a = Math.floor(rand() * n);
      const b = Math.floor(rand() * n);
      expect(uf.find(a) === uf.find(b), `${a} ${b}`).toBe(label[a] === label[b]);
    }
  });
});

describe('grow', () => {
  it('returns a longer column of the same type with the contents kept and zeros after them', () => {
    const ints = grow(Int32Array.of(-1, 5, 0x7fffffff), 6);
    expect(ints).toBeInstanceOf(Int32Array);
    expect(Array.from(ints)).toEqual([-1, 5, 0x7fffffff, 0, 0, 0]);
    const times = grow(Float64Array.of(Infinity, 1.5e18), 4);
    expect(times).toBeInstanceOf(Float64Array);
    expect(Array.from(times)).toEqual([Infinity, 1.5e18, 0, 0]);
    const flags = grow(Uint8Array.of(0x12, 0xff), 3);
    expect(flags).toBeInstanceOf(Uint8Array);
    expect(Array.from(flags)).toEqual([0x12, 0xff, 0]);
  });
});

/**
 * Interning layer stacks (summarize.ts's ShapeTable). Every packet's row names its shape by
 * number, and the correlator, the stats and the anatomy read a packet's layers, interface and
 * tunnel from it: a packet given another stack's number is decoded as something it is not. The
 * table answers most packets from a small cache of recent shapes, in front of a map by hash;
 * these check that neither can hand back a shape that only shares a slot or a hash.
 */
import { describe, expect, it } from 'vitest';
import { LAYER_KINDS } from '../protocols/layers';
import { mulberry32 } from '../util/prng';
import { ShapeTable } from './summarize';

/** A stack as the walker leaves it: interface, layer codes, SLL fields, the outer overlay. */
interface Stack {
  iface: number;
  codes: number[];
  sll: [number, number];
  enc: [number, number, number, number, number] | null;
}

function intern(t: ShapeTable, s: Stack): number {
  t.reset();
  for (const c of s.codes) t.push(c);
  [t.sllPacketType, t.sllIfindex] = s.sll;
  if (s.enc) t.encapsulate(...s.enc, false);
  return t.intern(s.iface);
}

const key = (s: Stack) => JSON.stringify(s);
const code = (k: string) => LAYER_KINDS.indexOf(k as (typeof LAYER_KINDS)[number]);

describe('ShapeTable.intern', () => {
  it('gives each distinct stack its own number and the same stack the same number, over thousands of interleaved stacks', () => {
    const rand = mulberry32(0x5a17);
    const pick = (n: number) => Math.floor(rand() * n);
    const layers = ['ethernet', 'ipv4', 'ipv6', 'udp', 'tcp', 'icmp', 'vxlan', 'payload'].map(code);
    expect(layers.every((c) => c >= 0)).toBe(true);
    // 1,500 stacks (far more than the cache's 256 slots), varied in every field the identity holds.
    const stacks: Stack[] = [];
    const seen = new Set<string>();
    while (stacks.length < 1500) {
      const s: Stack = {
        iface: pick(6),
        codes: Array.from({ length: 1 + pick(6) }, () => layers[pick(layers.length)]!),
        sll: pick(3) === 0 ? [pick(5), pick(40)] : [-1, -1],
        enc: pick(2) === 0 ? [1, pick(4), 8472, 0x0a000001 + pick(3), 0x0a000002] : null,
      };
      if (seen.has(key(s))) continue;
      seen.add(key(s));
      stacks.push(s);
    }
    const t = new ShapeTable(() => '');
    const first = new Map<string, number>();
    for (let k = 0; k < 30_000; k++) {
      const s = stacks[pick(stacks.length)]!;
      const id = intern(t, s);
      const had = first.get(key(s));
      if (had === undefined) first.set(key(s), id);
      else expect(id).toBe(had);
    }
    // Distinct stacks, distinct numbers; and each number's shape is the stack it was given for.
    expect(new Set(first.values()).size).toBe(first.size);
    for (const [k, id] of first) {
      const s = JSON.parse(k) as Stack;
      const shape = t.shapes[id]!;
      expect([shape.interfaceId, [...shape.codes], shape.sllPacketType, shape.sllIfindex, shape.encapsulation?.vni ?? null]).toEqual([s.iface, s.codes, ...s.sll, s.enc ? s.enc[1] : null]);
    }
  });

  it('tells apart two stacks that differ only after the cache has just answered for the other', () => {
    // The same layers on two interfaces, then the same interface with and without a tunnel
    // and with another VNI, asked in alternation: each answer must be the stack's own.
    const t = new ShapeTable(() => '');
    const base = { codes: ['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp'].map(code), sll: [-1, -1] as [number, number] };
    const variants: Stack[] = [
      { ...base, iface: 0, enc: null },
      { ...base, iface: 1, enc: null },
      { ...base, iface: 0, enc: [1, 1, 8472, 1, 2] },
      { ...base, iface: 0, enc: [1, 2, 8472, 1, 2] },
      { ...base, iface: 0, enc: null, codes: base.codes.slice(0, 6) },
    ];
    const ids = variants.map((v) => intern(t, v));
    expect(new Set(ids).size).toBe(variants.length);
    for (let k = 0; k < 50; k++) for (const [n, v] of variants.entries()) expect(intern(t, v)).toBe(ids[n]);
  });
});

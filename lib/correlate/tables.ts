/**
 * The correlator's data structures: integer hashing, an open-addressing table from a 64-bit key
 * to an int, and union-find. The identity lookup runs once per packet, and a Map keyed by a
 * 53-bit double would allocate a heap number on every lookup.
 */

/** Mixes one 32-bit value into a running hash (FNV-like multiply with a murmur-style fold). */
export function mix(h: number, v: number): number {
  return Math.imul(h ^ v, 0x01000193) ^ (Math.imul(h, 0x5bd1e995) >>> 15);
}

/** FNV-1a over a string's UTF-16 code units. */
export function hashStr(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 64-bit key (two int32 halves) → a non-negative int32; -1 for absent. */
export class PairTable {
  /** Slots of three int32s: key high, key low, value (-1 = empty); one cache line per probe. */
  private slots: Int32Array;
  private mask: number;
  private shift: number;
  private size = 0;

  constructor(expected: number) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.shift = 32 - Math.log2(cap);
    this.mask = cap - 1;
    this.slots = new Int32Array(cap * 3).fill(-1);
  }

  private slot(hi: number, lo: number): number {
    // Fibonacci hashing: the high bits of the product are the well-mixed ones.
    let x = Math.imul(hi ^ Math.imul(lo ^ (lo >>> 16), 0x9e3779b1), 0x85ebca6b);
    x ^= x >>> 13;
    let i = Math.imul(x, 0x9e3779b1) >>> this.shift;
    const s = this.slots;
    while (s[i * 3 + 2] !== -1 && (s[i * 3] !== hi || s[i * 3 + 1] !== lo)) i = (i + 1) & this.mask;
    return i;
  }

  get(hi: number, lo: number): number {
    return this.slots[this.slot(hi, lo) * 3 + 2]!;
  }

  /** The value at the key, or `v` stored there when absent: one probe either way. */
  getOrSet(hi: number, lo: number, v: number): number {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const i = this.slot(hi, lo) * 3;
    const s = this.slots;
    if (s[i + 2] !== -1) return s[i + 2]!;
    this.size++;
    s[i] = hi;
    s[i + 1] = lo;
    s[i + 2] = v;
    return v;
  }

  set(hi: number, lo: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const i = this.slot(hi, lo) * 3;
    if (this.slots[i + 2] === -1) this.size++;
    this.slots[i] = hi;
    this.slots[i + 1] = lo;
    this.slots[i + 2] = v;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.shift--;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap * 3).fill(-1);
    this.size = 0;
    for (let i = 0; i < old.length; i += 3) if (old[i + 2] !== -1) this.set(old[i]!, old[i + 1]!, old[i + 2]!);
  }
}

export class UnionFind {
  private parent = new Int32Array(1024);
  size = 0;

  add(): number {
    if (this.size === this.parent.length) {
      const p = new Int32Array(this.size * 2);
      p.set(this.parent);
      this.parent = p;
    }
    this.parent[this.size] = this.size;
    return this.size++;
  }

  find(x: number): number {
    const p = this.parent;
    let r = x;
    while (p[r] !== r) r = p[r]!;
    while (p[x] !== r) {
      const n = p[x]!;
      p[x] = r;
      x = n;
    }
    return r;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** A growable column of one typed-array type. */
export function grow<T extends Int8Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

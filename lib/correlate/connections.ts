/**
 * Connections: the endpoints a packet carried at one point, as an unordered pair (ICMP echo:
 * both addresses and the identifier). A packet seen with two tuples (before and after DNAT or
 * SNAT) joins both connections into one flow, so the legs of a NATed connection are one flow.
 */
import { mix, PairTable, UnionFind } from './tables';

/** The connection of an ICMP echo: both addresses, unordered, and the identifier. */
export function icmpConnKey(proto: number, aHash: number, aText: string, bHash: number, bText: string, id: number): number {
  const aFirst = aHash < bHash || (aHash === bHash && aText < bText);
  return aFirst ? mix(mix(mix(proto, aHash), bHash), id) : mix(mix(mix(proto, bHash), aHash), id);
}

/** A TCP/UDP connection: both endpoints, unordered. */
export function portConnKey(proto: number, aHash: number, aText: string, ap: number, bHash: number, bText: string, bp: number): number {
  const aFirst = aHash < bHash || (aHash === bHash && (aText < bText || (aText === bText && ap <= bp)));
  return aFirst ? mix(mix(mix(mix(proto, aHash), ap), bHash), bp) : mix(mix(mix(mix(proto, bHash), bp), aHash), ap);
}

/** Connection keys joined by the packets they share. */
export class Connections {
  private readonly nodes = new PairTable(1024);
  /** The latest connection made for a tuple (TCP tuples can carry several over time). */
  private readonly latest = new PairTable(1024);
  private readonly uf = new UnionFind();

  /** The union-find node of a connection, made on first sight; `tuple` is its key without incarnation. */
  nodeOf(key: number, tuple = key): number {
    const n = this.nodes.getOrSet(key | 0, 0, this.uf.size);
    if (n !== this.uf.size) return n;
    this.latest.set(tuple | 0, 0, n);
    return this.uf.add();
  }

  /** The latest connection seen for a tuple, or undefined (ICMP errors quote the tuple only). */
  known(tuple: number): number | undefined {
    const n = this.latest.get(tuple | 0, 0);
    return n < 0 ? undefined : n;
  }

  union(a: number, b: number): void {
    this.uf.union(a, b);
  }

  root(node: number): number {
    return this.uf.find(node);
  }

  /** Connections made: their nodes are 0 .. size - 1. */
  get size(): number {
    return this.uf.size;
  }
}

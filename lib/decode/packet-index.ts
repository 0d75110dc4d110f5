/**
 * The compact per-packet index the correlator works on: one row per packet in columns of typed
 * arrays (48 bytes a packet), allocated in fixed blocks so growth never copies and memory stays
 * at the rows actually used. Full layer stacks are decoded lazily from `dataOffset` when a
 * screen or a verdict needs them.
 */

export const INDEX_BLOCK = 1 << 16;
const BLOCK_SHIFT = 16;
const BLOCK_MASK = INDEX_BLOCK - 1;

/** Bits of the `meta` column. */
export const META_INNER_IPV6 = 1 << 0;
export const META_TRUNCATED = 1 << 1;
/** The decode stopped at an impossible value (the rest of the packet is `undecoded`). */
export const META_ERROR = 1 << 2;
export const META_FRAGMENT = 1 << 3;
export const META_ICMP_ERROR = 1 << 4;
export const META_NO_TIMESTAMP = 1 << 5;
export const META_HAS_IP = 1 << 6;
export const META_ENCAPSULATED = 1 << 7;

class Block {
  readonly dataOffset = new Float64Array(INDEX_BLOCK);
  readonly tsNs = new Float64Array(INDEX_BLOCK);
  readonly src = new Uint32Array(INDEX_BLOCK);
  readonly dst = new Uint32Array(INDEX_BLOCK);
  readonly seq = new Uint32Array(INDEX_BLOCK);
  readonly ack = new Uint32Array(INDEX_BLOCK);
  readonly sport = new Uint16Array(INDEX_BLOCK);
  readonly dport = new Uint16Array(INDEX_BLOCK);
  readonly ipId = new Uint16Array(INDEX_BLOCK);
  readonly ipLen = new Uint16Array(INDEX_BLOCK);
  readonly digest = new Uint16Array(INDEX_BLOCK);
  readonly shape = new Uint16Array(INDEX_BLOCK);
  readonly proto = new Uint8Array(INDEX_BLOCK);
  readonly tcpFlags = new Uint8Array(INDEX_BLOCK);
  readonly ttl = new Uint8Array(INDEX_BLOCK);
  readonly meta = new Uint8Array(INDEX_BLOCK);
}

/** Bytes one row takes across all columns. */
export const INDEX_BYTES_PER_PACKET = 8 + 8 + 4 * 4 + 2 * 6 + 4;

/** The innermost-packet summary one row holds; the walker fills a reused instance. */
export interface PacketRow {
  dataOffset: number;
  tsNs: number;
  /** Innermost IPv4 address, or the id of an interned IPv6 address (META_INNER_IPV6). */
  src: number;
  dst: number;
  /** TCP/UDP ports; for ICMP echo: sport = identifier, dport = type<<8 | code. */
  sport: number;
  dport: number;
  /** TCP sequence number; ICMP echo sequence number. */
  seq: number;
  ack: number;
  ipId: number;
  /** Innermost IP total length (IPv6: payload length + 40), clamped to 65535. */
  ipLen: number;
  digest: number;
  shape: number;
  proto: number;
  tcpFlags: number;
  ttl: number;
  meta: number;
}

export function emptyRow(): PacketRow {
  return {
    dataOffset: 0, tsNs: 0, src: 0, dst: 0, sport: 0, dport: 0, seq: 0, ack: 0,
    ipId: 0, ipLen: 0, digest: 0, shape: 0, proto: 0, tcpFlags: 0, ttl: 0, meta: 0,
  };
}

export class PacketIndex {
  private blocks: Block[] = [];
  count = 0;

  append(r: PacketRow): void {
    const i = this.count & BLOCK_MASK;
    if (i === 0) this.blocks.push(new Block());
    const b = this.blocks[this.blocks.length - 1]!;
    b.dataOffset[i] = r.dataOffset;
    b.tsNs[i] = r.tsNs;
    b.src[i] = r.src;
    b.dst[i] = r.dst;
    b.seq[i] = r.seq;
    b.ack[i] = r.ack;
    b.sport[i] = r.sport;
    b.dport[i] = r.dport;
    b.ipId[i] = r.ipId;
    b.ipLen[i] = r.ipLen;
    b.digest[i] = r.digest;
    b.shape[i] = r.shape;
    b.proto[i] = r.proto;
    b.tcpFlags[i] = r.tcpFlags;
    b.ttl[i] = r.ttl;
    b.meta[i] = r.meta;
    this.count++;
  }

  /** Copy row `n` into `out` (reused by callers that scan). */
  read(n: number, out: PacketRow = emptyRow()): PacketRow {
    if (n < 0 || n >= this.count) throw new RangeError(`row ${n} of ${this.count}`);
    const b = this.blocks[n >>> BLOCK_SHIFT]!;
    const i = n & BLOCK_MASK;
    out.dataOffset = b.dataOffset[i]!;
    out.tsNs = b.tsNs[i]!;
    out.src = b.src[i]!;
    out.dst = b.dst[i]!;
    out.seq = b.seq[i]!;
    out.ack = b.ack[i]!;
    out.sport = b.sport[i]!;
    out.dport = b.dport[i]!;
    out.ipId = b.ipId[i]!;
    out.ipLen = b.ipLen[i]!;
    out.digest = b.digest[i]!;
    out.shape = b.shape[i]!;
    out.proto = b.proto[i]!;
    out.tcpFlags = b.tcpFlags[i]!;
    out.ttl = b.ttl[i]!;
    out.meta = b.meta[i]!;
    return out;
  }

  /** Row `n`'s shape id, without copying the row. */
  shapeAt(n: number): number {
    return this.blocks[n >>> BLOCK_SHIFT]!.shape[n & BLOCK_MASK]!;
  }

  /** Row `n`'s timestamp (ns since the capture's first), without copying the row. */
  tsNsAt(n: number): number {
    return this.blocks[n >>> BLOCK_SHIFT]!.tsNs[n & BLOCK_MASK]!;
  }

  /** Bytes held by the columns (allocated blocks, including the unused tail of the last). */
  get allocatedBytes(): number {
    return this.blocks.length * INDEX_BLOCK * INDEX_BYTES_PER_PACKET;
  }
}

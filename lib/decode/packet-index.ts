/**
 * The compact per-packet index the correlator works on: one row per packet in columns of typed
 * arrays (48 bytes a packet), allocated in blocks of INDEX_BLOCK rows so growth copies at most
 * the first block (which starts small) and memory stays at the rows actually used. Full layer
 * stacks are decoded lazily from `dataOffset` when a screen or a verdict needs them.
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

/** Shape.cut (summarize.ts): the TCP header ends before its flags. */
export const CUT_TCP_FLAGS = 1;
/** Shape.cut: the payload ends before the digest's 16 bytes and before its declared end: the row's digest is not a whole copy's. */
export const CUT_DIGEST = 2;

/** One block's columns, as they cross a worker boundary (the arrays' buffers are transferred). */
export interface BlockColumns {
  dataOffset: Float64Array;
  tsNs: Float64Array;
  src: Uint32Array;
  dst: Uint32Array;
  seq: Uint32Array;
  ack: Uint32Array;
  sport: Uint16Array;
  dport: Uint16Array;
  ipId: Uint16Array;
  ipLen: Uint16Array;
  digest: Uint16Array;
  shape: Uint16Array;
  proto: Uint8Array;
  tcpFlags: Uint8Array;
  ttl: Uint8Array;
  meta: Uint8Array;
}

/**
 * A capture's first block starts this small and doubles up to INDEX_BLOCK as rows come: a small
 * incident's files hold a few hundred packets each, and a full block (3 MB) a file was most of
 * the memory, and much of the time, their indexing took.
 */
export const FIRST_BLOCK_ROWS = 1 << 10;

const COLUMNS = ['dataOffset', 'tsNs', 'src', 'dst', 'seq', 'ack', 'sport', 'dport', 'ipId', 'ipLen', 'digest', 'shape', 'proto', 'tcpFlags', 'ttl', 'meta'] as const;

class Block implements BlockColumns {
  dataOffset: Float64Array;
  tsNs: Float64Array;
  src: Uint32Array;
  dst: Uint32Array;
  seq: Uint32Array;
  ack: Uint32Array;
  sport: Uint16Array;
  dport: Uint16Array;
  ipId: Uint16Array;
  ipLen: Uint16Array;
  digest: Uint16Array;
  shape: Uint16Array;
  proto: Uint8Array;
  tcpFlags: Uint8Array;
  ttl: Uint8Array;
  meta: Uint8Array;

  constructor(from?: BlockColumns, rows = INDEX_BLOCK) {
    this.dataOffset = from?.dataOffset ?? new Float64Array(rows);
    this.tsNs = from?.tsNs ?? new Float64Array(rows);
    this.src = from?.src ?? new Uint32Array(rows);
    this.dst = from?.dst ?? new Uint32Array(rows);
    this.seq = from?.seq ?? new Uint32Array(rows);
    this.ack = from?.ack ?? new Uint32Array(rows);
    this.sport = from?.sport ?? new Uint16Array(rows);
    this.dport = from?.dport ?? new Uint16Array(rows);
    this.ipId = from?.ipId ?? new Uint16Array(rows);
    this.ipLen = from?.ipLen ?? new Uint16Array(rows);
    this.digest = from?.digest ?? new Uint16Array(rows);
    this.shape = from?.shape ?? new Uint16Array(rows);
    this.proto = from?.proto ?? new Uint8Array(rows);
    this.tcpFlags = from?.tcpFlags ?? new Uint8Array(rows);
    this.ttl = from?.ttl ?? new Uint8Array(rows);
    this.meta = from?.meta ?? new Uint8Array(rows);
  }

  /** Rows the columns hold room for. */
  get rows(): number {
    return this.meta.length;
  }

  /** Every column copied into one twice as long (at most INDEX_BLOCK rows). */
  grow(): void {
    const rows = Math.min(INDEX_BLOCK, 2 * this.rows);
    for (const k of COLUMNS) {
      const old = this[k];
      const next = new (old.constructor as new (n: number) => typeof old)(rows);
      next.set(old as never);
      (this as Record<(typeof COLUMNS)[number], typeof old>)[k] = next;
    }
  }
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

/**
 * A neighbour solicitation's or advertisement's target as an interned IPv6 id (the capture's
 * `ipv6` list), or -1 for any other row: summarize.ts keeps it in `ack`, plus one (0: none),
 * whether the ICMPv6 rides on IPv6 or, oddly, on IPv4.
 */
export function neighbourTarget(r: PacketRow): number {
  const type = r.dport >>> 8;
  return r.proto === 58 && (type === 135 || type === 136) && r.ack !== 0 ? r.ack - 1 : -1;
}

/** An index as it crosses to another thread: its count and its columns, block by block. */
export interface IndexColumns {
  count: number;
  blocks: BlockColumns[];
  keepsRows: boolean;
}

export class PacketIndex {
  private blocks: Block[] = [];
  count = 0;

  /**
   * @param keepsRows false: an index that only counts its packets and holds no row, for what
   * needs no row (`hopscope stats` prints per-shape counts): 48 bytes a packet never written,
   * nor the memory for them mapped. read() of it throws and says why; shapeAt and tsNsAt, on
   * the correlator's hot path, do not check and must not be asked.
   */
  constructor(readonly keepsRows = true) {}

  /** The rows as columns, to send to another thread: the index is unusable here afterwards when they are transferred. */
  toColumns(): IndexColumns {
    return { count: this.count, blocks: this.blocks, keepsRows: this.keepsRows };
  }

  /** The array buffers behind the columns, for postMessage's transfer list. */
  buffers(): ArrayBuffer[] {
    return this.blocks.flatMap((b) => Object.values(b as BlockColumns).map((a: { buffer: ArrayBufferLike }) => a.buffer as ArrayBuffer));
  }

  /** An index from columns another thread made (toColumns). */
  static fromColumns(c: IndexColumns): PacketIndex {
    const index = new PacketIndex(c.keepsRows);
    index.blocks = c.blocks.map((b) => new Block(b));
    index.count = c.count;
    return index;
  }

  append(r: PacketRow): void {
    if (!this.keepsRows) {
      this.count++;
      return;
    }
    const i = this.count & BLOCK_MASK;
    if (i === 0) this.blocks.push(new Block(undefined, this.count === 0 ? FIRST_BLOCK_ROWS : INDEX_BLOCK));
    const b = this.blocks[this.blocks.length - 1]!;
    if (i === b.rows) b.grow();
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
    if (!this.keepsRows) throw new RangeError(`row ${n}: this index counts its ${this.count} packets and keeps no rows`);
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
    let rows = 0;
    for (const b of this.blocks) rows += b.rows;
    return rows * INDEX_BYTES_PER_PACKET;
  }
}

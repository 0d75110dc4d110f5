/**
 * Where a capture file can be cut so that its parts are read on several threads (the CLI's read
 * pool, the browser's index pool): how many parts each file gets, and a fast scan of a window of
 * bytes near each even cut for a record (pcap) or block (pcapng) boundary. The scan only
 * proposes; the part before the cut confirms it by ending there, whole, when it is read from the
 * file's start (joinParts, merge-parts.ts), and the file is read whole when it does not. So a
 * scan fooled by payload bytes that look like a header costs time, never a wrong result.
 */
import { BT_EPB, BT_IDB, BT_PB_OBSOLETE, BT_SHB, BT_SPB, MAX_RECORD_BYTES, PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN, PCAPNG_BOM, PCAPNG_BOM_SWAPPED, pcapMagic, pcapMaxCapLen, u32 } from './formats';

/** Records or blocks that must follow one another, each plausible, from a proposed cut. */
const CHAIN = 8;
/** A record more than this far in time from the file's first is no record (pcap timestamps). */
const MAX_SPAN_SEC = 400 * 86400;

/** What the file's first bytes say, enough to recognise a record or block anywhere in it. */
export interface FileHead {
  format: 'pcap' | 'pcapng';
  le: boolean;
  /** pcap: nanosecond timestamps. */
  nanos: boolean;
  /** pcap: the largest captured length a record may have. */
  maxCap: number;
  /** The file's leading units (pcap header; pcapng section header and interface descriptions) end here. */
  headerEnd: number;
  /** pcapng: interfaces the leading units declare. */
  interfaces: number;
  /** pcap: the first record's seconds, when the head holds one. */
  firstSec: number | null;
}

/**
 * The head of a plain capture file from its first bytes, or null: not pcap or pcapng (gzip
 * included: it is read whole), or its leading pcapng blocks do not end within `buf`.
 */
export function fileHead(buf: Uint8Array): FileHead | null {
  if (buf.length < 12) return null;
  const magic = u32(buf, 0, true);
  const pcap = pcapMagic(magic);
  if (pcap) {
    if (buf.length < PCAP_FILE_HEADER_LEN) return null;
    const { le, nanos } = pcap;
    const firstSec = buf.length >= PCAP_FILE_HEADER_LEN + 4 ? u32(buf, PCAP_FILE_HEADER_LEN, le) : null;
    return { format: 'pcap', le, nanos, maxCap: pcapMaxCapLen(u32(buf, 16, le)), headerEnd: PCAP_FILE_HEADER_LEN, interfaces: 1, firstSec };
  }
  if (magic !== BT_SHB) return null;
  const bom = u32(buf, 8, true);
  if (bom !== PCAPNG_BOM && bom !== PCAPNG_BOM_SWAPPED) return null;
  const le = bom === PCAPNG_BOM;
  let o = 0;
  let interfaces = 0;
  let sections = 0;
  while (o + 12 <= buf.length) {
    const type = u32(buf, o, le);
    if (type !== BT_SHB && type !== BT_IDB) break;
    if (type === BT_SHB && ++sections > 1) break;
    const len = u32(buf, o + 4, le);
    if (len < 12 || len % 4 !== 0 || o + len > buf.length) return null;
    if (type === BT_IDB) interfaces++;
    o += len;
  }
  if (o + 12 > buf.length) return null;
  return { format: 'pcapng', le, nanos: false, maxCap: 0, headerEnd: o, interfaces, firstSec: null };
}

/**
 * The length of the record or block at `o` when it looks like one, else -1. With `first`, it
 * must carry a packet (a part starts at a packet, never at a block that sets state).
 */
function unitAt(b: Uint8Array, o: number, head: FileHead, first: boolean): number {
  if (head.format === 'pcap') {
    if (o + PCAP_RECORD_HEADER_LEN > b.length) return -1;
    const sec = u32(b, o, head.le);
    const frac = u32(b, o + 4, head.le);
    const capLen = u32(b, o + 8, head.le);
    const origLen = u32(b, o + 12, head.le);
    if (frac >= (head.nanos ? 1e9 : 1e6) || capLen > head.maxCap || capLen > origLen || origLen > MAX_RECORD_BYTES) return -1;
    if (head.firstSec !== null && Math.abs(sec - head.firstSec) > MAX_SPAN_SEC) return -1;
    return PCAP_RECORD_HEADER_LEN + capLen;
  }
  if (o + 12 > b.length) return -1;
  const type = u32(b, o, head.le);
  if (type === BT_SHB || type === BT_IDB) return -1;
  if (first && type !== BT_EPB && type !== BT_SPB && type !== BT_PB_OBSOLETE) return -1;
  const len = u32(b, o + 4, head.le);
  if (len < 12 || len % 4 !== 0 || len > MAX_RECORD_BYTES || o + len > b.length) return -1;
  if (u32(b, o + len - 4, head.le) !== len) return -1;
  if (type === BT_EPB && (len < 32 || u32(b, o + 8, head.le) >= head.interfaces)) return -1;
  return len;
}

/**
 * The first offset in `window` (which starts at file offset `at`) where CHAIN records or blocks
 * follow one another, each plausible, or where they run exactly to the file's end; -1 if none.
 * Returned as a file offset.
 */
export function boundaryIn(window: Uint8Array, at: number, fileSize: number, head: FileHead): number {
  // pcapng blocks are 4-byte aligned from the file's start; pcap records can start anywhere.
  const step = head.format === 'pcapng' ? 4 : 1;
  for (let o = head.format === 'pcapng' ? (4 - (at & 3)) & 3 : 0; o + 12 <= window.length; o += step) {
    let p = o;
    let ok = true;
    for (let k = 0; k < CHAIN && at + p < fileSize; k++) {
      const len = unitAt(window, p, head, k === 0);
      if (len < 0) {
        ok = false;
        break;
      }
      p += len;
    }
    if (ok && at + p <= fileSize) return at + o;
  }
  return -1;
}

/** A file's part: bytes [start, end), the last one up to wherever the file ends. */
export interface FilePart {
  start: number;
  end: number;
  /** Parts after the first: the file's leading units, read before the part's own bytes (ResumeAt). */
  header: Uint8Array | null;
  last: boolean;
}

export interface SplitPlan {
  parts: FilePart[];
  /** The leading units each part must have read and no more (ReaderPosition.stateUnits): a part that met another declared something the parts after it did not know. */
  stateUnits: number;
}

/** The smallest part a file is cut into: below it a worker's start-up and the join eat the gain. */
export const MIN_PART_BYTES = 64 * 1024 * 1024;

/** The head of a file read to find its format and leading units; pcapng's must end within it. */
const HEAD_BYTES = 1 << 20;
/** Bytes scanned for a boundary after each even cut. */
const WINDOW_BYTES = 1 << 20;

/**
 * Parts for each file: one each, unless there are more threads than files; then large files get
 * threads in proportion to their size, each part at least `partBytes`.
 */
export function partsWanted(sizes: readonly number[], threads: number, partBytes: number): number[] {
  if (threads <= sizes.length) return sizes.map(() => 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  return sizes.map((s) => Math.max(1, Math.min(Math.floor(s / partBytes), Math.round((threads * s) / Math.max(1, total)))));
}

/**
 * Where to cut a plain pcap or pcapng file of `size` bytes into about `parts` parts, reading what
 * it needs through `readAt` (the head, and a window after each even cut); null when it is not cut
 * (gzip, an unknown format, or no boundary found near any cut).
 */
export async function planSplit(size: number, parts: number, readAt: (position: number, length: number) => Promise<Uint8Array>): Promise<SplitPlan | null> {
  if (parts < 2) return null;
  const headBuf = await readAt(0, Math.min(size, HEAD_BYTES));
  const head = fileHead(headBuf);
  if (!head) return null;
  const cuts: number[] = [];
  for (let k = 1; k < parts; k++) {
    const nominal = Math.floor((k * size) / parts);
    const after = cuts[cuts.length - 1] ?? head.headerEnd;
    if (nominal <= after) continue;
    const cut = boundaryIn(await readAt(nominal, Math.min(WINDOW_BYTES, size - nominal)), nominal, size, head);
    if (cut > after && cut < size) cuts.push(cut);
  }
  if (cuts.length === 0) return null;
  const header = headBuf.slice(0, head.headerEnd);
  return {
    parts: [0, ...cuts].map((start, k) => ({ start, end: cuts[k] ?? Infinity, header: k === 0 ? null : header, last: k === cuts.length })),
    stateUnits: head.format === 'pcap' ? 1 : 1 + head.interfaces,
  };
}

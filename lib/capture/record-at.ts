/**
 * A packet's bytes again, from the file it was first read from: the index keeps only the offset
 * of each packet's first byte (`PacketRow.dataOffset`), so exports and packet details go back
 * to the file and read the record header just before that offset.
 *
 * Both formats put the captured and original lengths in the 8 bytes before the data:
 *
 *   pcap record:  ts_sec ts_frac caplen origlen | data        (caplen at data − 8)
 *   pcapng EPB:   type len ifid ts_hi ts_lo caplen origlen | data   (block + 20 = data − 8)
 *   pcapng SPB:   type len origlen | data      (no caplen: min(origlen, len − 16), §4.4)
 *
 * Plain files are read by slices through a window that serves neighbouring records from one
 * read; gzip files are decompressed again by streaming, forward only (the slow path).
 */
import { CaptureFormatError } from './errors';
import type { CaptureFormat } from './types';
import { BT_EPB, BT_PB_OBSOLETE, BT_SPB, EPB_HEADER_LEN, MAX_RECORD_BYTES, PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN, pcapMagic, SPB_HEADER_LEN, u32 } from './formats';

/** Bytes read around a record at once: neighbouring packets of a flow come from one slice. */
export const RECORD_WINDOW = 1 << 20;

/** Reads byte ranges of a (decompressed) capture file. `start` never decreases between calls. */
export interface ByteReader {
  read(start: number, end: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A Blob read through a window: one slice serves every record that falls inside it. */
export function blobByteReader(blob: Blob, window = RECORD_WINDOW): ByteReader {
  let cacheStart = 0;
  let cache = new Uint8Array(0);
  return {
    async read(start, end) {
      end = Math.min(end, blob.size);
      if (start >= end) return new Uint8Array(0);
      if (start < cacheStart || end > cacheStart + cache.length) {
        cacheStart = start;
        cache = new Uint8Array(await blob.slice(start, Math.min(blob.size, Math.max(end, start + window))).arrayBuffer());
      }
      return cache.subarray(start - cacheStart, end - cacheStart);
    },
    async close() {},
  };
}

/** A gzip-compressed Blob, decompressed again as it is read, forward only. */
export function gzipByteReader(blob: Blob): ByteReader {
  const reader = blob.stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  // `buf` holds the decompressed bytes [bufStart, bufStart + buf.length).
  let buf = new Uint8Array(0);
  let bufStart = 0;
  let done = false;
  return {
    async read(start, end) {
      if (start < bufStart) throw new RangeError(`gzip reader: byte ${start} was already passed (at ${bufStart})`);
      while (bufStart + buf.length < end && !done) {
        const r = await reader.read();
        if (r.done) {
          done = true;
          break;
        }
        const bufEnd = bufStart + buf.length;
        if (start >= bufEnd) {
          // Nothing kept is still wanted: drop it and start over from this chunk.
          bufStart = bufEnd;
          buf = r.value;
        } else {
          const kept = buf.subarray(start - bufStart);
          const next = new Uint8Array(kept.length + r.value.length);
          next.set(kept);
          next.set(r.value, kept.length);
          buf = next;
          bufStart = start;
        }
      }
      const from = Math.max(0, start - bufStart);
      const to = Math.max(from, Math.min(buf.length, end - bufStart));
      return buf.subarray(from, to);
    },
    async close() {
      await reader.cancel().catch(() => {});
    },
  };
}

export interface RecordRequest {
  /** `PacketRow.dataOffset`: the packet's first byte in the (decompressed) file. */
  dataOffset: number;
  /** The packet came from a pcapng Simple Packet Block (its row has no timestamp). */
  simple?: boolean;
}

export interface RecordBytes {
  /** Position of the request in the list given to `readRecordsAt`. */
  index: number;
  dataOffset: number;
  capLen: number;
  origLen: number;
  /** A copy: it stays valid after the next record is read. */
  data: Uint8Array;
}

/** The byte order of a classic pcap file, from its magic; null for anything else. */
export function pcapByteOrder(first4: Uint8Array): 'le' | 'be' | null {
  if (first4.length < 4) return null;
  const m = pcapMagic(u32(first4, 0, true));
  return m === null ? null : m.le ? 'le' : 'be';
}

interface Header {
  /** Bytes before the data that the header takes. */
  before: number;
  capLen: number;
  origLen: number;
}

/**
 * The lengths of the record whose data starts at `dataOffset`, from the bytes `head` that end
 * there (up to 28 of them). Throws when no record header is found: the file changed since it
 * was indexed, or the offset is wrong.
 */
export function parseRecordHeader(
  fileName: string,
  format: CaptureFormat,
  pcapOrder: 'le' | 'be' | null,
  head: Uint8Array,
  dataOffset: number,
  simple = false,
): Header {
  const n = head.length;
  const fail = (detail: string): never => {
    throw new CaptureFormatError('BAD_HEADER', fileName, Math.max(0, dataOffset - n), `${detail} (has the file changed since it was read?)`);
  };
  if (format === 'pcap') {
    if (n < PCAP_RECORD_HEADER_LEN || !pcapOrder) return fail(`no pcap record header before byte ${dataOffset}`);
    const le = pcapOrder === 'le';
    return { before: PCAP_RECORD_HEADER_LEN, capLen: u32(head, n - 8, le), origLen: u32(head, n - 4, le) };
  }
  const isBlock = (at: number, type: number): 'le' | 'be' | null => {
    if (at < 0) return null;
    if (u32(head, at, true) === type) return 'le';
    if (u32(head, at, false) === type) return 'be';
    return null;
  };
  if (!simple && n >= EPB_HEADER_LEN) {
    const order = isBlock(n - EPB_HEADER_LEN, BT_EPB) ?? isBlock(n - EPB_HEADER_LEN, BT_PB_OBSOLETE);
    if (order) {
      const le = order === 'le';
      return { before: EPB_HEADER_LEN, capLen: u32(head, n - 8, le), origLen: u32(head, n - 4, le) };
    }
  }
  if (n >= SPB_HEADER_LEN) {
    const order = isBlock(n - SPB_HEADER_LEN, BT_SPB);
    if (order) {
      const le = order === 'le';
      const blockLen = u32(head, n - 8, le);
      const origLen = u32(head, n - 4, le);
      return { before: SPB_HEADER_LEN, capLen: Math.max(0, Math.min(origLen, blockLen - 16)), origLen };
    }
  }
  return fail(`no pcapng packet block before byte ${dataOffset}`);
}

/**
 * The bytes of the packets at `requests`, in file order (each carries its request's index).
 * One pass over the file: plain files by windowed slices, gzip files by one decompression.
 */
export async function* readRecordsAt(
  file: Blob & { name: string },
  format: CaptureFormat,
  requests: readonly RecordRequest[],
  opts: { signal?: AbortSignal } = {},
): AsyncGenerator<RecordBytes> {
  if (requests.length === 0) return;
  const head2 = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  const gzip = head2[0] === 0x1f && head2[1] === 0x8b;
  const reader = gzip ? gzipByteReader(file) : blobByteReader(file);
  try {
    const pcapOrder = format === 'pcap' ? pcapByteOrder(await reader.read(0, 4)) : null;
    if (format === 'pcap' && !pcapOrder) {
      throw new CaptureFormatError('NOT_A_CAPTURE', file.name, 0, 'no pcap magic at the start any more (has the file changed since it was read?)');
    }
    const order = requests.map((r, i) => ({ r, i })).sort((a, b) => a.r.dataOffset - b.r.dataOffset);
    const headLen = format === 'pcap' ? PCAP_RECORD_HEADER_LEN : EPB_HEADER_LEN;
    const minAt = format === 'pcap' ? PCAP_FILE_HEADER_LEN + PCAP_RECORD_HEADER_LEN : SPB_HEADER_LEN;
    for (const { r, i } of order) {
      opts.signal?.throwIfAborted();
      const at = r.dataOffset;
      if (!Number.isSafeInteger(at) || at < minAt) {
        throw new CaptureFormatError('BAD_HEADER', file.name, Math.max(0, at), `byte ${at} cannot start a packet`);
      }
      const head = (await reader.read(Math.max(0, at - headLen), at)).slice();
      const h = parseRecordHeader(file.name, format, pcapOrder, head, at, r.simple);
      if (h.capLen > MAX_RECORD_BYTES) {
        throw new CaptureFormatError('RECORD_TOO_LONG', file.name, at - 8, `captured length ${h.capLen} exceeds ${MAX_RECORD_BYTES}`);
      }
      const data = await reader.read(at, at + h.capLen);
      if (data.length < h.capLen) {
        throw new CaptureFormatError('BLOCK_OVERRUN', file.name, at, `packet of ${h.capLen} bytes runs past the end of the file`);
      }
      yield { index: i, dataOffset: at, capLen: h.capLen, origLen: Math.max(h.origLen, h.capLen), data: data.slice() };
    }
  } finally {
    await reader.close();
  }
}

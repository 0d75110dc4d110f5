/** Node-only sources: read a capture file from disk in fixed-size chunks, the next read while this one is decoded. */
import { open } from 'node:fs/promises';
import { readCapture, readCapturePart, type ReaderPosition } from './read';
import { planSplit, type FilePart, type SplitPlan } from './boundary';
import type { CaptureSink, CaptureSummary } from './types';
import { basename } from 'node:path';

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

/**
 * Chunk buffers of files read to the end, kept for the next file: a fresh buffer is memory the
 * kernel must map page by page as it is first written, and on the bench's VM that cost about
 * 10 µs a page, a third of a second over the incident's eight files. Readers on one thread at
 * once (a file read whole again beside the next) each take their own.
 */
const SPARE_BUFFERS: Buffer[] = [];
/** At most this many kept: two readers' worth. */
const SPARES_KEPT = 4;

function takeBuffer(size: number): Buffer {
  const i = SPARE_BUFFERS.findIndex((b) => b.length === size);
  return i >= 0 ? SPARE_BUFFERS.splice(i, 1)[0]! : Buffer.allocUnsafe(size);
}

function giveBack(bufs: Buffer[]): void {
  for (const b of bufs) if (SPARE_BUFFERS.length < SPARES_KEPT) SPARE_BUFFERS.push(b);
}

/**
 * The file in chunks, the next one read while the caller works on this one: the disk (or the
 * page cache's copy) and the decoder overlap instead of taking turns. Two buffers take turns, so
 * the caller must be done with a chunk before it asks for the next (readCapture copies what it
 * keeps, gzip input included).
 */
async function* fileChunks(path: string, chunkSize: number, range?: { start: number; end: number }): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  const spare = [takeBuffer(chunkSize), takeBuffer(chunkSize)];
  let turn = 0;
  const buffer = () => spare[turn++ & 1]!;
  // A range is read from its start up to its end, not past it; without one, from where the file stands.
  let at = range?.start ?? -1;
  const readInto = (buf: Buffer) => {
    const length = range ? Math.max(0, Math.min(chunkSize, range.end - at)) : chunkSize;
    const position = range ? at : null;
    if (range) at += length;
    return length === 0 ? Promise.resolve(buf.subarray(0, 0)) : fh.read(buf, 0, length, position).then(({ bytesRead }) => buf.subarray(0, bytesRead));
  };
  let pending: Promise<Buffer> | null = null;
  try {
    pending = readInto(buffer());
    for (;;) {
      const chunk = await pending;
      pending = null;
      if (chunk.length === 0) return;
      pending = readInto(buffer());
      // A plain Uint8Array over the same bytes: the reader's own arrays (its carry of a record cut
      // between chunks) are plain ones, and a Buffer beside them made every function that takes
      // the bytes see two maps, be deoptimised and compiled again.
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    }
  } finally {
    // A read still in flight finishes before the file closes (its error, if any, no longer matters).
    if (pending) await pending.catch(() => undefined);
    await fh.close();
    // The caller is done with the last chunk once it asks past it or stops.
    giveBack(spare);
  }
}

/**
 * Read a capture file (pcap, pcapng, or either gzip-compressed) into two reused buffers, so
 * memory stays at two chunks: the reader copies what it must keep.
 */
export async function readCaptureFile(
  path: string,
  sink: CaptureSink,
  opts: { chunkSize?: number; name?: string } = {},
): Promise<CaptureSummary> {
  return readCapture(opts.name ?? basename(path), fileChunks(path, opts.chunkSize ?? DEFAULT_CHUNK_SIZE), sink);
}

/** One part of a plain capture file: bytes [start, end), read as readCapturePart says. */
export function readCaptureRange(
  path: string,
  sink: CaptureSink,
  part: FilePart,
  opts: { chunkSize?: number; name?: string } = {},
): Promise<{ summary: CaptureSummary | null; position: ReaderPosition }> {
  return readCapturePart(opts.name ?? basename(path), fileChunks(path, opts.chunkSize ?? DEFAULT_CHUNK_SIZE, part), sink, part);
}

/** Where to cut a capture file into about `parts` parts (boundary.ts's planSplit, reading the file). */
export async function planFileSplit(path: string, size: number, parts: number): Promise<SplitPlan | null> {
  if (parts < 2) return null;
  const fh = await open(path, 'r');
  try {
    return await planSplit(size, parts, async (position, length) => {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    });
  } finally {
    await fh.close();
  }
}

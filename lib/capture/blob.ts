/** Browser sources: read a File/Blob by slices, never all at once. */
import { readCapture, readCapturePart, type ReaderPosition } from './read';
import type { FilePart } from './boundary';
import type { CaptureSink, CaptureSummary } from './types';

export const BLOB_CHUNK_SIZE = 16 * 1024 * 1024;

/**
 * The blob in slices, the next one asked for while the caller works on this one: each slice is a
 * round trip to the browser's file reader, and without it the decoder sat idle through each.
 */
export async function* blobChunks(
  blob: Blob,
  chunkSize = BLOB_CHUNK_SIZE,
  onProgress?: (bytesRead: number, total: number) => void,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const slice = (off: number) => (off < blob.size ? blob.slice(off, off + chunkSize).arrayBuffer() : null);
  let next = slice(0);
  try {
    for (let off = 0; next; off += chunkSize) {
      signal?.throwIfAborted();
      const buf = new Uint8Array(await next);
      next = slice(off + chunkSize);
      onProgress?.(Math.min(off + chunkSize, blob.size), blob.size);
      yield buf;
    }
  } finally {
    // A slice still being read is left to finish: its error, if any, no longer matters.
    next?.catch(() => undefined);
  }
}

/**
 * The blob as the browser streams it, in the pieces it hands over (about 1 MB each in Chromium),
 * each piece the caller's to keep: the stream reads ahead by itself. Chromium read the 2 GB bench
 * incident in 2.35 s this way on one worker against 3.69 s by 16 MB slices; byobChunks, below,
 * reads faster still where it can.
 */
export async function* streamChunks(blob: Blob, onProgress?: (bytesRead: number, total: number) => void, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const reader = blob.stream().getReader();
  let read = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { value, done } = await reader.read();
      if (done) return;
      read += value.byteLength;
      onProgress?.(read, blob.size);
      yield value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** Each of the two buffers byobChunks reads into. */
export const BYOB_CHUNK_SIZE = 4 * 1024 * 1024;
/** The smallest buffer byobChunks takes for a blob smaller than a chunk. */
const MIN_SMALL_BUFFER = 64 * 1024;

/**
 * How long one read may first wait for the browser before the blob is opened again where the
 * chunk began (each further wait in the same chunk is twice as long: a slow source, a network
 * share or a file a sync client fetches on first open, gets its time), and how many such waits
 * in one chunk end the read with an error (3 + 6 + 12 + 24 s without an answer). Chromium 156's blob
 * byte stream sometimes never answers a read: the 2 GB bench incident, dropped on a page whose
 * one index worker read its files one after another, stopped for good at one file in 8 of 27
 * drops (the worker idle, its read pending for minutes, the page waiting for ever). With each
 * read's wait bounded, 20 drops of 20 came to their verdict, and none had to give a read up: why
 * a pending timer beside the read keeps the stream answering is not known.
 */
export const STALL_MS = 3_000;
export const STALLS_A_CHUNK = 4;

const STALLED = Symbol('stalled');

/** The read's result, STALLED when `ms` pass first, or the signal's reason when it is aborted first. */
function within<T>(read: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | typeof STALLED> {
  return new Promise((resolve, reject) => {
    const onAbort = () => finish(() => reject(signal!.reason));
    const timer = setTimeout(() => finish(() => resolve(STALLED)), ms);
    const finish = (then: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      then();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    read.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}

/**
 * The blob read into two buffers that take turns (a BYOB reader), the next one filled while the
 * caller works on this one, so the caller must be done with a chunk before it asks for the next.
 * The stream's own pieces are fresh memory each, and in Chromium taking them cost more than the
 * decoding: one 356 MB file read in 1.26-1.38 s as pieces against 0.53-0.78 s into reused
 * buffers, and an index worker spent 1.5 of its 2.1 s in the reads. Where the browser's blob
 * stream is not a byte stream, its pieces as streamChunks gives them. A read that waits longer
 * than `stallMs` (STALL_MS, doubled at each wait in the chunk) is given up: the chunk is read
 * again from its first byte, into a fresh buffer (the stalled read holds the old one), from the
 * blob opened again there.
 */
export async function* byobChunks(
  blob: Blob,
  chunkSize = BYOB_CHUNK_SIZE,
  onProgress?: (bytesRead: number, total: number) => void,
  signal?: AbortSignal,
  stallMs = STALL_MS,
): AsyncGenerator<Uint8Array> {
  const open = (at: number) => (at === 0 ? blob : blob.slice(at)).stream().getReader({ mode: 'byob' });
  // A file smaller than a chunk gets buffers its own size (one byte more, so that the first read
  // fills it and the next finds the end), 64 KB at the least (a blob that says it holds less than
  // it gives is still read in chunks a reader can tell a format by): two 4 MB buffers a file were
  // most of the time a small incident's files took to read (10 files of a few kilobytes: 2 ms a
  // file in Node, in calloc).
  const size = Math.min(chunkSize, Math.max(blob.size + 1, MIN_SMALL_BUFFER));
  let reader: ReadableStreamBYOBReader;
  try {
    reader = open(0);
  } catch {
    yield* streamChunks(blob, onProgress, signal);
    return;
  }
  // The chunk that starts at byte `start`. Each read hands the buffer to the stream and back
  // (transferred): the view it returns is the one to go on with.
  const fill = async (buf: ArrayBuffer, start: number): Promise<Uint8Array> => {
    let filled = 0;
    let stalls = 0;
    while (filled < buf.byteLength) {
      signal?.throwIfAborted();
      const got = await within(reader.read(new Uint8Array(buf, filled)), stallMs * 2 ** stalls, signal);
      if (got === STALLED) {
        if (++stalls >= STALLS_A_CHUNK) {
          const waited = (stallMs * (2 ** stalls - 1)) / 1000;
          throw new Error(`reading stopped at byte ${start + filled}: the browser gave no more of the file in ${waited} s (${stalls} tries); read it again (retry), or add the file again`);
        }
        reader.cancel().catch(() => undefined);
        reader = open(start);
        buf = new ArrayBuffer(size); // the stalled read holds (detached) the old one
        filled = 0;
        continue;
      }
      const { value, done } = got;
      if (!value) break;
      buf = value.buffer as ArrayBuffer;
      filled += value.byteLength;
      if (done) break;
    }
    return new Uint8Array(buf, 0, filled);
  };
  // The next chunk is read while the caller holds this one: a failure meanwhile is the caller's
  // when it asks for that chunk, not an unhandled rejection before (hence the no-op catch).
  const next = (buf: ArrayBuffer, start: number) => {
    const p = fill(buf, start);
    p.catch(() => undefined);
    return p;
  };
  let pending = next(new ArrayBuffer(size), 0);
  let idle = new ArrayBuffer(size);
  let read = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const chunk = await pending;
      if (chunk.byteLength === 0) return;
      read += chunk.byteLength;
      pending = next(idle, read);
      // The caller's until it asks for the next: then it is filled again.
      idle = chunk.buffer as ArrayBuffer;
      onProgress?.(read, blob.size);
      yield chunk;
    }
  } finally {
    // A read still in flight ends with the cancel; its error, if any, no longer matters.
    reader.cancel().catch(() => undefined);
  }
}

/** The blob's chunks for a reader: into reused buffers (byobChunks), or by slices of `chunkSize` when asked for one. */
function chunksOf(blob: Blob, opts: { onProgress?: (bytesRead: number, total: number) => void; signal?: AbortSignal; chunkSize?: number }): AsyncGenerator<Uint8Array> {
  return opts.chunkSize === undefined ? byobChunks(blob, BYOB_CHUNK_SIZE, opts.onProgress, opts.signal) : blobChunks(blob, opts.chunkSize, opts.onProgress, opts.signal);
}

/**
 * A capture read from a blob into reused buffers (byobChunks; the reader copies what it must
 * keep, gzip input included, as the CLI's reading does), or by slices of `chunkSize` when asked
 * for one (tests cut records across chunks that way).
 */
export function readCaptureBlob(
  file: Blob & { name: string },
  sink: CaptureSink,
  opts: { onProgress?: (bytesRead: number, total: number) => void; signal?: AbortSignal; chunkSize?: number } = {},
): Promise<CaptureSummary> {
  return readCapture(file.name, chunksOf(file, opts), sink, opts.signal);
}

/** One part of a capture blob (boundary.ts's FilePart), read as readCapturePart says: into reused buffers (byobChunks), or by slices of `chunkSize`. */
export function readCaptureBlobPart(
  file: Blob,
  name: string,
  sink: CaptureSink,
  part: FilePart,
  opts: { onProgress?: (bytesRead: number, total: number) => void; signal?: AbortSignal; chunkSize?: number } = {},
): Promise<{ summary: CaptureSummary | null; position: ReaderPosition }> {
  const slice = file.slice(part.start, Number.isFinite(part.end) ? part.end : file.size);
  return readCapturePart(name, chunksOf(slice, opts), sink, part);
}

/** Reads bytes [position, position + length) of a blob, for boundary.ts's planSplit. */
export const blobReadAt = (blob: Blob) => async (position: number, length: number) => new Uint8Array(await blob.slice(position, position + length).arrayBuffer());

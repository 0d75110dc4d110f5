/** Browser sources: read a File/Blob by slices, never all at once. */
import { readCapture } from './read';
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

export function readCaptureBlob(
  file: Blob & { name: string },
  sink: CaptureSink,
  opts: { onProgress?: (bytesRead: number, total: number) => void; signal?: AbortSignal; chunkSize?: number } = {},
): Promise<CaptureSummary> {
  return readCapture(file.name, blobChunks(file, opts.chunkSize, opts.onProgress, opts.signal), sink);
}

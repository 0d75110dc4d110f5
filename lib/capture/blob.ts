/** Browser sources: read a File/Blob by slices, never all at once. */
import { readCapture } from './read';
import type { CaptureSink, CaptureSummary } from './types';

export const BLOB_CHUNK_SIZE = 4 * 1024 * 1024;

export async function* blobChunks(
  blob: Blob,
  chunkSize = BLOB_CHUNK_SIZE,
  onProgress?: (bytesRead: number, total: number) => void,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < blob.size; off += chunkSize) {
    signal?.throwIfAborted();
    const buf = new Uint8Array(await blob.slice(off, off + chunkSize).arrayBuffer());
    onProgress?.(Math.min(off + chunkSize, blob.size), blob.size);
    yield buf;
  }
}

export function readCaptureBlob(
  file: Blob & { name: string },
  sink: CaptureSink,
  opts: { onProgress?: (bytesRead: number, total: number) => void; signal?: AbortSignal; chunkSize?: number } = {},
): Promise<CaptureSummary> {
  return readCapture(file.name, blobChunks(file, opts.chunkSize, opts.onProgress, opts.signal), sink);
}

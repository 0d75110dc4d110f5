/** Node-only sources: read a capture file from disk in fixed-size chunks into one reused buffer. */
import { open } from 'node:fs/promises';
import { createCaptureReader, readCapture } from './read';
import type { CaptureSink, CaptureSummary } from './types';
import { basename } from 'node:path';

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

async function* fileChunks(path: string, chunkSize: number, reuse: boolean): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(chunkSize);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
      if (!reuse) buf = Buffer.allocUnsafe(chunkSize);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Read a capture file (pcap, pcapng, or either gzip-compressed). Plain files are read into one
 * reused buffer — the reader copies what it must keep — so memory stays at one chunk.
 */
export async function readCaptureFile(
  path: string,
  sink: CaptureSink,
  opts: { chunkSize?: number; name?: string } = {},
): Promise<CaptureSummary> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const name = opts.name ?? basename(path);
  const fh = await open(path, 'r');
  const head = Buffer.alloc(2);
  let gz = false;
  try {
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    gz = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
  if (gz) return readCapture(name, fileChunks(path, chunkSize, false), sink);
  const reader = createCaptureReader(name, sink);
  for await (const chunk of fileChunks(path, chunkSize, true)) reader.push(chunk);
  return reader.end();
}

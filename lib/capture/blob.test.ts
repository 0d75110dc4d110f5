/** Reading a blob as the browser streams it, and by slices. */
import { describe, expect, it } from 'vitest';
import { blobChunks, streamChunks } from './blob';

const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<{ joined: Uint8Array; pieces: number }> {
  const parts: Uint8Array[] = [];
  // Copied: blobChunks' and the stream's buffers are the caller's only until the next piece.
  for await (const c of chunks) parts.push(c.slice());
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) joined.set(p, (off += p.byteLength) - p.byteLength);
  return { joined, pieces: parts.length };
}

describe('streamChunks', () => {
  it('gives the blob’s bytes in order, and its progress up to the size', async () => {
    const progress: number[] = [];
    const { joined } = await collect(streamChunks(new Blob([bytes]), (read, total) => progress.push(read / total)));
    expect(joined).toEqual(bytes);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('gives what 4 KB slices give', async () => {
    const sliced = await collect(blobChunks(new Blob([bytes]), 4096));
    expect(sliced.pieces).toBe(Math.ceil(bytes.length / 4096));
    expect((await collect(streamChunks(new Blob([bytes])))).joined).toEqual(sliced.joined);
  });

  it('stops when its signal is aborted', async () => {
    const abort = new AbortController();
    abort.abort(new Error('cancelled by the user'));
    await expect(collect(streamChunks(new Blob([bytes]), undefined, abort.signal))).rejects.toThrow('cancelled by the user');
  });

  it('gives nothing for an empty blob', async () => {
    expect((await collect(streamChunks(new Blob([])))).pieces).toBe(0);
  });
});

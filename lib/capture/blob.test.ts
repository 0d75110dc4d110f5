/** Reading a blob as the browser streams it, and by slices. */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { blobChunks, byobChunks, readCaptureBlob, STALLS_A_CHUNK, streamChunks } from './blob';
import { readCapture } from './read';

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

describe('byobChunks', () => {
  it('gives the blob’s bytes in order, in full chunks but the last, and its progress up to the size', async () => {
    const progress: number[] = [];
    const sizes: number[] = [];
    const parts: Uint8Array[] = [];
    for await (const c of byobChunks(new Blob([bytes]), 4096, (read) => progress.push(read))) {
      sizes.push(c.byteLength);
      parts.push(c.slice());
    }
    expect(sizes.length).toBe(Math.ceil(bytes.length / 4096));
    expect(sizes.slice(0, -1).every((n) => n === 4096)).toBe(true);
    expect(sizes.at(-1)).toBe(bytes.length % 4096);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(bytes));
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it('reads a blob smaller than a chunk into buffers of its own size (64 KB at the least), whole in one chunk', async () => {
    const small = bytes.subarray(0, 1000);
    const got: Uint8Array[] = [];
    for await (const c of byobChunks(new Blob([small]), 4096)) got.push(c);
    expect(got).toHaveLength(1);
    expect(got[0]!.buffer.byteLength).toBe(4096);
    expect(Buffer.from(got[0]!)).toEqual(Buffer.from(small));
    const larger = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const big: Uint8Array[] = [];
    for await (const c of byobChunks(new Blob([larger]))) big.push(c.slice());
    expect(big).toHaveLength(1);
    expect(Buffer.from(big[0]!)).toEqual(Buffer.from(larger));
    const tiny: ArrayBufferLike[] = [];
    for await (const c of byobChunks(new Blob([small]))) tiny.push(c.buffer);
    expect(tiny.map((b) => b.byteLength)).toEqual([64 * 1024]);
  });

  it('reads into the same two buffers: a chunk is handed back to the stream once the next is asked for', async () => {
    const kept: Uint8Array[] = [];
    const detachedWhenGiven: number[] = [];
    for await (const c of byobChunks(new Blob([bytes]), 4096)) {
      kept.push(c);
      // Every chunk before this one is being filled again (transferred to the stream): no fresh memory a chunk.
      detachedWhenGiven.push(kept.slice(0, -1).filter((k) => k.byteLength === 0).length);
    }
    expect(kept.length).toBeGreaterThan(3);
    expect(detachedWhenGiven).toEqual(kept.map((_, i) => i));
  });

  it('takes the stream’s own pieces where the blob’s stream is not a byte stream', async () => {
    const pieces = [bytes.subarray(0, 1000), bytes.subarray(1000, 5000), bytes.subarray(5000)];
    const notBytes = {
      size: bytes.length,
      stream: () => new ReadableStream<Uint8Array>({ start: (c) => (pieces.forEach((p) => c.enqueue(p.slice())), c.close()) }),
    } as unknown as Blob;
    const got: number[] = [];
    for await (const c of byobChunks(notBytes, 4096)) got.push(c.byteLength);
    expect(got).toEqual(pieces.map((p) => p.length));
  });

  it('stops when its signal is aborted, and gives nothing for an empty blob', async () => {
    const abort = new AbortController();
    abort.abort(new Error('cancelled by the user'));
    await expect(collect(byobChunks(new Blob([bytes]), 4096, undefined, abort.signal))).rejects.toThrow('cancelled by the user');
    expect((await collect(byobChunks(new Blob([])))).pieces).toBe(0);
  });
});

/**
 * A blob whose streams serve `data` from where they were opened, 1000 bytes a read (each after
 * `readMs`), and whose first `stalling` streams never answer a read once they reach byte
 * `stallAt` (as Chromium's blob stream sometimes does): `opened` counts the streams.
 */
function stallingBlob(data: Uint8Array, stallAt: number, stalling: number, readMs = 0): { blob: Blob; opened: () => number } {
  let opened = 0;
  const make = (at: number): Blob =>
    ({
      size: data.length - at,
      slice: (from: number) => make(at + from),
      stream: () => {
        const stalls = opened++ < stalling;
        let pos = at;
        return new ReadableStream({
          type: 'bytes',
          async pull(c) {
            const req = c.byobRequest!;
            if (stalls && pos >= stallAt) return new Promise<void>(() => undefined);
            if (readMs > 0) await new Promise((r) => setTimeout(r, readMs));
            if (pos >= data.length) {
              c.close();
              req.respond(0);
              return;
            }
            const view = req.view as Uint8Array;
            const n = Math.min(view.byteLength, 1000, data.length - pos, stalls ? stallAt - pos : Infinity);
            view.set(data.subarray(pos, pos + n));
            pos += n;
            req.respond(n);
          },
        });
      },
    }) as unknown as Blob;
  return { blob: make(0), opened: () => opened };
}

describe('byobChunks when the browser stops answering', () => {
  it('opens the blob again where the stalled chunk began, and gives every byte once, in order', async () => {
    // Stalls inside the third 4 KB chunk, twice in a row, then reads on.
    const { blob, opened } = stallingBlob(bytes, 10_000, 2);
    const progress: number[] = [];
    const parts: Uint8Array[] = [];
    for await (const c of byobChunks(blob, 4096, (read) => progress.push(read), undefined, 20)) parts.push(c.slice());
    expect(Buffer.concat(parts)).toEqual(Buffer.from(bytes));
    expect(opened()).toBe(3);
    expect(parts.slice(0, -1).every((p) => p.byteLength === 4096)).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('ends with an error naming the byte it waited at when the stream stops there each time, not a wait for ever', async () => {
    const { blob, opened } = stallingBlob(bytes, 10_000, Infinity);
    const got: number[] = [];
    const read = (async () => {
      for await (const c of byobChunks(blob, 4096, undefined, undefined, 20)) got.push(c.byteLength);
    })();
    await expect(read).rejects.toThrow(/^reading stopped at byte 10000: /);
    expect(got).toEqual([4096, 4096]);
    expect(opened()).toBe(STALLS_A_CHUNK);
  });

  it('gives a slow source more time at each wait, and reads it whole', async () => {
    // Each read answers after 50 ms: the first wait (20 ms) and the second (40 ms) give up, the third (80 ms) does not.
    const data = bytes.subarray(0, 12_000);
    const { blob, opened } = stallingBlob(data, Infinity, 0, 50);
    const parts: Uint8Array[] = [];
    for await (const c of byobChunks(blob, 4096, undefined, undefined, 20)) parts.push(c.slice());
    expect(Buffer.concat(parts)).toEqual(Buffer.from(data));
    expect(opened()).toBeGreaterThan(1);
  });

  it('ends a gzip capture’s read with the stall’s error, and hears a cancel there, instead of waiting for ever', async () => {
    const pcap = readFileSync(new URL('../../sample-captures/calico-healthy/node1-any.pcap', import.meta.url));
    // Its records five times over, stored (level 0): the stall at byte 10,000 comes mid-file.
    const gz = gzipSync(Buffer.concat([pcap, ...Array.from({ length: 4 }, () => pcap.subarray(24))]), { level: 0 });
    expect(gz.length).toBeGreaterThan(40_000);
    const stalled = stallingBlob(gz, 10_000, Infinity).blob;
    await expect(readCapture('a.pcap.gz', byobChunks(stalled, 4096, undefined, undefined, 20), { onPacket: () => undefined })).rejects.toThrow(/^reading stopped at byte \d+: /);
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('cancelled by the user')), 50);
    const waiting = stallingBlob(gz, 10_000, Infinity).blob;
    await expect(readCapture('a.pcap.gz', byobChunks(waiting, 4096, undefined, abort.signal, 60_000), { onPacket: () => undefined }, abort.signal)).rejects.toThrow('cancelled by the user');
  });

  it('hears a cancel while a read waits', async () => {
    const { blob } = stallingBlob(bytes, 10_000, Infinity);
    const abort = new AbortController();
    const started = Date.now();
    const read = (async () => {
      for await (const c of byobChunks(blob, 4096, undefined, abort.signal, 60_000)) if (c.byteLength) setTimeout(() => abort.abort(new Error('cancelled by the user')), 10);
    })();
    await expect(read).rejects.toThrow('cancelled by the user');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('readCaptureBlob', () => {
  const pcap = readFileSync(new URL('../../sample-captures/calico-healthy/node1-any.pcap', import.meta.url));
  const frames = async (data: Uint8Array, name: string, chunkSize?: number) => {
    const out: string[] = [];
    const file = Object.assign(new Blob([data as Uint8Array<ArrayBuffer>]), { name });
    const summary = await readCaptureBlob(file, { onPacket: (r) => out.push(Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)).toString('hex')) }, chunkSize === undefined ? {} : { chunkSize });
    return { out, packets: summary.packets, gzip: summary.gzip };
  };

  it('reads a plain capture and a gzip one into reused buffers: the packets that small slices give', async () => {
    const sliced = await frames(pcap, 'a.pcap', 1000);
    expect(sliced.packets).toBeGreaterThan(10);
    expect(await frames(pcap, 'a.pcap')).toEqual(sliced);
    expect(await frames(gzipSync(pcap), 'a.pcap.gz')).toEqual({ ...sliced, gzip: true });
  });

  it('hears a cancel that comes as a message while one chunk of a gzip inflates to far more than it', async () => {
    // 40 MB of identical records from a gzip of some kilobytes: one read chunk holds it all.
    const rec = Buffer.alloc(16 + 1500, 7);
    rec.writeUInt32LE(1_700_000_000, 0);
    rec.writeUInt32LE(1500, 8);
    rec.writeUInt32LE(1500, 12);
    const records = 26_000;
    const gz = gzipSync(Buffer.concat([pcap.subarray(0, 24), ...Array.from({ length: records }, () => rec)]), { level: 1 });
    expect(gz.length).toBeLessThan(1 << 20);
    // As a browser's inflater does: every piece of a written chunk queued at once, so reading
    // them takes microtasks only (Node's zlib answers asynchronously, and would hide the problem).
    class EagerInflater {
      readonly readable: ReadableStream<Uint8Array>;
      readonly writable: WritableStream<Uint8Array>;
      constructor() {
        let out!: ReadableStreamDefaultController<Uint8Array>;
        const input: Uint8Array[] = [];
        this.readable = new ReadableStream({ start: (c) => void (out = c) });
        this.writable = new WritableStream({
          write: (chunk) => void input.push(chunk),
          close: () => {
            const all = gunzipSync(Buffer.concat(input));
            for (let at = 0; at < all.length; at += 64 << 10) out.enqueue(new Uint8Array(all.subarray(at, at + (64 << 10))));
            out.close();
          },
        });
      }
    }
    const native = globalThis.DecompressionStream;
    globalThis.DecompressionStream = EagerInflater as unknown as typeof DecompressionStream;
    try {
      const abort = new AbortController();
      let seen = 0;
      const file = Object.assign(new Blob([gz]), { name: 'big.pcap.gz' });
      // The cancel comes from outside, as the page's message to the index worker does.
      const onPacket = () => void (++seen === 1 && setTimeout(() => abort.abort(), 0));
      await expect(readCaptureBlob(file, { onPacket }, { signal: abort.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThan(records / 2);
    } finally {
      globalThis.DecompressionStream = native;
    }
  });
});

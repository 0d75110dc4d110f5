/** The index pool, with in-process stand-ins for its workers that run what index-worker.ts runs. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureBlob } from '../capture/blob';
import { CaptureFormatError } from '../capture/errors';
import { CaptureIndexer, type IndexedCapture } from '../decode/capture-index';
import { emptyRow } from '../decode/packet-index';
import { SAMPLES } from '../testing/scenarios';
import type { FromIndexer, ToIndexer } from './index-protocol';
import { IndexPool, PoolUnavailable, poolSize, runIndexJob, type IndexerPort } from './index-pool';

/** A worker stand-in: runs what index-worker.ts runs (runIndexJob), in this thread, answering asynchronously with a structured clone as postMessage does. */
function port(log: number[], me: number): IndexerPort {
  const aborts = new Map<number, AbortController>();
  const p: IndexerPort = {
    onmessage: null,
    onerror: null,
    postMessage(msg: ToIndexer) {
      if (msg.type === 'abort') return aborts.get(msg.id)?.abort();
      log.push(me);
      const abort = new AbortController();
      aborts.set(msg.id, abort);
      const reply = (m: FromIndexer, transfer: Transferable[] = []) => setTimeout(() => p.onmessage?.({ data: structuredClone(m, { transfer }) } as MessageEvent<FromIndexer>));
      void runIndexJob(msg, abort.signal, reply);
    },
  };
  return p;
}

/** Every sample capture, by its path under sample-captures/. */
const CAPTURE = /\.(pcapng|pcap|cap)(\.gz)?$/i;
const names = readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' }).filter((f) => CAPTURE.test(f)).sort();
const blob = (name: string) => new Blob([readFileSync(join(SAMPLES, name))]);

async function here(name: string): Promise<IndexedCapture> {
  const indexer = new CaptureIndexer();
  return indexer.finish(await readCaptureBlob(Object.assign(blob(name), { name }), indexer));
}

const rows = (c: IndexedCapture) => Array.from({ length: c.index.count }, (_, r) => ({ ...c.index.read(r, emptyRow()) }));

describe('IndexPool', () => {
  it('indexes every sample on a free worker as this thread would, more files than workers', async () => {
    expect(names.length).toBeGreaterThan(100);
    const log: number[] = [];
    const pool = new IndexPool([port(log, 0), port(log, 1)]);
    const progress: number[] = [];
    const got = await Promise.all(names.map((n) => pool.index(blob(n), n, { chunkSize: 65536, onProgress: (b) => progress.push(b) })));
    for (let i = 0; i < names.length; i++) {
      const want = await here(names[i]!);
      expect(rows(got[i]!)).toEqual(rows(want));
      expect({ ...got[i]!, index: null }).toEqual({ ...want, index: null });
    }
    expect(new Set(log)).toEqual(new Set([0, 1]));
    expect(log).toHaveLength(names.length);
    expect(progress.length).toBeGreaterThan(names.length);
    expect(pool.size).toBe(2);
  });

  it('cuts a large file into parts on free workers and joins them into what this thread reads', async () => {
    const log: number[] = [];
    const pool = new IndexPool([port(log, 0), port(log, 1), port(log, 2)], { partBytes: 1024 });
    let cut = 0;
    for (const n of names) {
      const before = log.length;
      const progress: number[] = [];
      const got = await pool.index(blob(n), n, { chunkSize: 4096, onProgress: (b) => progress.push(b) });
      const want = await here(n);
      expect(rows(got), n).toEqual(rows(want));
      expect({ ...got, index: null }, n).toEqual({ ...want, index: null });
      if (log.length - before > 1) cut++;
      // Progress is the file's, summed over its parts.
      expect(Math.max(...progress), n).toBeLessThanOrEqual(blob(n).size);
    }
    // Every plain sample over 2 KB went to more than one worker.
    expect(cut).toBeGreaterThan(names.filter((n) => !n.endsWith('.gz') && blob(n).size >= 2048).length * 0.9);
    expect(new Set(log)).toEqual(new Set([0, 1, 2]));
  });

  it('passes on a capture error with its class and offset, and a cancelled read as an AbortError', async () => {
    const pool = new IndexPool([port([], 0)]);
    const bad = pool.index(new Blob([new Uint8Array(64).fill(7)]), 'bad.pcap');
    await expect(bad).rejects.toBeInstanceOf(CaptureFormatError);
    await expect(bad).rejects.toMatchObject({ byteOffset: 0, message: expect.stringMatching(/^NOT_A_CAPTURE at byte 0 of bad\.pcap/) });
    const abort = new AbortController();
    abort.abort();
    await expect(pool.index(blob(names[0]!), names[0]!, { signal: abort.signal })).rejects.toMatchObject({ name: 'AbortError' });
    // The worker is free again afterwards.
    expect((await pool.index(blob(names[1]!), names[1]!)).index.count).toBeGreaterThan(0);
  });

  it('reads across chunk boundaries through the pool as here', async () => {
    const pool = new IndexPool([port([], 0)]);
    for (const n of names.slice(0, 12)) expect(rows(await pool.index(blob(n), n, { chunkSize: 256 })), n).toEqual(rows(await here(n)));
  });

  it('sends a failed worker no more work and says so, and takes a cancelled read out of the line at once', async () => {
    // A worker that never answers, then fails.
    const stuck: IndexerPort = { onmessage: null, onerror: null, postMessage: () => undefined };
    const pool = new IndexPool([stuck]);
    const first = pool.index(blob(names[0]!), names[0]!);
    const abort = new AbortController();
    const queued = pool.index(blob(names[1]!), names[1]!, { signal: abort.signal });
    const third = pool.index(blob(names[2]!), names[2]!);
    abort.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    stuck.onerror!(new Event('error'));
    await expect(first).rejects.toBeInstanceOf(PoolUnavailable);
    await expect(third).rejects.toBeInstanceOf(PoolUnavailable);
    expect(pool.size).toBe(0);
    await expect(pool.index(blob(names[0]!), names[0]!)).rejects.toBeInstanceOf(PoolUnavailable);
    // With a working worker beside it, the work goes there.
    const log: number[] = [];
    const broken: IndexerPort = { onmessage: null, onerror: null, postMessage: () => broken.onerror!(new Event('error')) };
    const mixed = new IndexPool([port(log, 1), broken]);
    await expect(mixed.index(blob(names[0]!), names[0]!)).rejects.toBeInstanceOf(PoolUnavailable);
    expect((await mixed.index(blob(names[1]!), names[1]!)).index.count).toBeGreaterThan(0);
    expect(mixed.size).toBe(1);
  });

  it('gives up a worker whose answer, or whose request, was lost in the passing, and reads elsewhere', async () => {
    const log: number[] = [];
    // Its answer cannot be read here (the browser fires messageerror instead of message).
    const stopped: IndexerPort[] = [];
    const garbled: IndexerPort = {
      onmessage: null,
      onerror: null,
      onmessageerror: null,
      postMessage: () => setTimeout(() => garbled.onmessageerror!(new MessageEvent('messageerror'))),
      terminate: () => stopped.push(garbled),
    };
    // It could not read the request, and says so without knowing which (index-worker.ts).
    const deaf: IndexerPort = {
      onmessage: null,
      onerror: null,
      postMessage: () => setTimeout(() => deaf.onmessage!({ data: { type: 'unreadable' } } as MessageEvent<FromIndexer>)),
      terminate: () => stopped.push(deaf),
    };
    for (const bad of [garbled, deaf]) {
      const pool = new IndexPool([bad, port(log, 1)]);
      // Two files at once: one goes to each worker.
      const first = pool.index(blob(names[0]!), names[0]!);
      const second = pool.index(blob(names[1]!), names[1]!);
      const results = await Promise.allSettled([first, second]);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.any(PoolUnavailable)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(pool.size).toBe(1);
      expect(stopped.at(-1)).toBe(bad);
      // What comes after goes to the worker left.
      expect((await pool.index(blob(names[2]!), names[2]!)).index.count).toBeGreaterThan(0);
    }
  });

  it('sizes itself by cores and, where the browser says, memory', () => {
    expect(poolSize(2, undefined)).toBe(2);
    expect(poolSize(16, 8)).toBe(8);
    expect(poolSize(16, 1)).toBe(2);
    expect(poolSize(4, 0.25)).toBe(1);
    expect(poolSize(undefined, undefined)).toBe(2);
  });
});

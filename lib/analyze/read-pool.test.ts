/** Reading on several threads gives the captures reading one after another gives. */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../capture/errors';
import { emptyRow } from '../decode/packet-index';
import type { IndexedCapture } from '../decode/capture-index';
import { SAMPLE_CAPTURES_DIR } from '../lab/samples';
import { indexFiles, readWorkers } from './read-pool';

const CAPTURE = /\.(pcapng|pcap|cap)(\.gz)?$/i;
const files = readdirSync(SAMPLE_CAPTURES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => CAPTURE.test(f))
  .sort()
  .map((f) => join(SAMPLE_CAPTURES_DIR, f));

/** Everything a capture holds, its index rows included, as plain data. */
function plain(c: IndexedCapture) {
  const rows = [];
  for (let r = 0; r < c.index.count; r++) rows.push({ ...c.index.read(r, emptyRow()) });
  return { ...c, index: { count: c.index.count, allocatedBytes: c.index.allocatedBytes, rows } };
}

const withWorkers = async <T>(n: string, f: () => Promise<T>): Promise<T> => {
  process.env.HOPSCOPE_READ_WORKERS = n;
  try {
    return await f();
  } finally {
    delete process.env.HOPSCOPE_READ_WORKERS;
  }
};

describe('indexFiles', () => {
  let dir = '';
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('reads every sample on two threads as on one, in the order given', async () => {
    expect(files.length).toBeGreaterThan(100);
    const one = await withWorkers('1', () => indexFiles(files));
    const order: number[] = [];
    const two: Awaited<ReturnType<typeof indexFiles>> = [];
    const kept = await withWorkers('2', () =>
      indexFiles(files, (r, i) => {
        order.push(i);
        two.push(r);
      }),
    );
    expect(order).toEqual(files.map((_, i) => i));
    expect(two.map((r) => r.file)).toEqual(files);
    // Handed over, not kept as well.
    expect(kept.every((r) => r.capture === undefined && r.error === undefined)).toBe(true);
    for (let i = 0; i < files.length; i++) {
      expect(two[i]!.error, files[i]).toBeUndefined();
      expect(plain(two[i]!.capture!), files[i]).toEqual(plain(one[i]!.capture!));
    }
  });

  it('gives each bad file its own error, the same on a worker as here', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hopscope-pool-'));
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, Buffer.from('not a capture at all'));
    // Largest first: this thread takes the sample, the worker the bad file (the missing one is empty).
    const biggest = files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
    const list = [biggest, bad, join(dir, 'missing.pcap')];
    for (const n of ['1', '2']) {
      const r = await withWorkers(n, () => indexFiles(list));
      expect(r[0]!.capture?.index.count).toBeGreaterThan(0);
      expect(r[1]!.error).toBeInstanceOf(CaptureFormatError);
      expect(r[1]!.error!.message).toMatch(/^NOT_A_CAPTURE at byte 0 of bad\.pcap: /);
      expect((r[1]!.error as CaptureFormatError).byteOffset).toBe(0);
      expect((r[2]!.error as NodeJS.ErrnoException).code).toBe('ENOENT');
    }
  });

  it('loses no file when a worker dies: the file it had is read here', async () => {
    const biggest = files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
    const second = files.filter((f) => f !== biggest).reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
    process.env.HOPSCOPE_TEST_READ_WORKER_CRASH_ON = second;
    try {
      const r = await withWorkers('2', () => indexFiles([biggest, second]));
      const alone = await withWorkers('1', () => indexFiles([second]));
      expect(r[1]!.error).toBeUndefined();
      expect(plain(r[1]!.capture!)).toEqual(plain(alone[0]!.capture!));
      expect(r[0]!.capture!.index.count).toBeGreaterThan(0);
    } finally {
      delete process.env.HOPSCOPE_TEST_READ_WORKER_CRASH_ON;
    }
  });

  it('uses a thread per core and a half and per file unless told', () => {
    process.env.HOPSCOPE_READ_WORKERS = '3';
    expect(readWorkers(10)).toBe(3);
    expect(readWorkers(2)).toBe(2);
    delete process.env.HOPSCOPE_READ_WORKERS;
    expect(readWorkers(1)).toBe(1);
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    expect(readWorkers(1000)).toBeGreaterThanOrEqual(1);
    expect(readWorkers(1000)).toBeLessThanOrEqual(Math.max(1, Math.floor(cores / 1.5)));
  });
});

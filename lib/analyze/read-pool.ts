/**
 * Capture files read and indexed on several cores: worker threads (read-worker.ts), one file
 * each at a time, a reader per CORES_PER_READER cores and fewer when memory is short. Each index
 * comes back with its columns transferred, not copied, and the results keep the order the files
 * were given: the same captures as reading them one after another (read-pool.test.ts compares
 * them on every sample). This thread reads too; with one file, fewer than three cores or
 * HOPSCOPE_READ_WORKERS=1 it reads alone.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { readCaptureFile } from '../capture/node';
import { fromPlainError, type PlainError } from '../capture/errors';
import { CaptureIndexer, fromTransfer, type IndexedCapture, type TransferredCapture } from '../decode/capture-index';

/** Memory a worker may want while it reads (its own heap, the chunks in flight, a big file's index). */
const WORKER_BUDGET_BYTES = 512 * 1024 * 1024;

export interface ReadRequest {
  id: number;
  file: string;
}

export type ReadReply = { id: number; capture: TransferredCapture } | { id: number; error: PlainError };

/** One file read and indexed on this thread. */
export async function indexFile(file: string): Promise<IndexedCapture> {
  const indexer = new CaptureIndexer();
  return indexer.finish(await readCaptureFile(file, indexer));
}

/**
 * Cores one reading thread keeps busy: besides its own, the thread pool reading the next chunk
 * from the file and V8's collector and compiler. Measured on 2 cores: `stats` of the bench
 * incident used 1.05 s of CPU in 0.74 s, `analyze` 2.9 s in 2.0 s; a second reader there made
 * both about 12% slower, and cost more CPU and memory.
 */
const CORES_PER_READER = 1.5;

/** How many threads read (this one and workers): HOPSCOPE_READ_WORKERS when set, else one per CORES_PER_READER cores, per file and per WORKER_BUDGET_BYTES of free memory. */
export function readWorkers(files: number): number {
  const asked = Number(process.env.HOPSCOPE_READ_WORKERS);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, files);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(files, Math.floor(cores / CORES_PER_READER), Math.floor(os.freemem() / WORKER_BUDGET_BYTES)));
}

/** The worker's script: the compiled one beside this module's chunk, or the TypeScript through tsx. */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./read-worker.js', here));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./read-worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}

/**
 * Every file read and indexed, in the order given: a capture, or the error that stopped it (a
 * CaptureFormatError, or an Error with the system's code such as ENOENT). `onResult` hears each
 * in that order as soon as it and those before it are done, and then it is not kept: with
 * `onResult` the list returned names the files only.
 */
export async function indexFiles(files: string[], onResult?: (r: { file: string; capture?: IndexedCapture; error?: Error }, i: number) => void): Promise<{ file: string; capture?: IndexedCapture; error?: Error }[]> {
  const results: { file: string; capture?: IndexedCapture; error?: Error }[] = new Array(files.length);
  let reported = 0;
  // What onResult throws is thrown from here once the workers are stopped, not inside a worker's message handler.
  let thrown: { e: unknown } | null = null;
  const settle = (i: number, r: { file: string; capture?: IndexedCapture; error?: Error }) => {
    results[i] = r;
    while (reported < files.length && results[reported] !== undefined) {
      try {
        if (!thrown) onResult?.(results[reported]!, reported);
      } catch (e) {
        thrown = { e };
      }
      // Handed over: not kept here too (stats prints each and lets it go).
      if (onResult) results[reported] = { file: files[reported]! };
      reported++;
    }
  };
  // Largest first, so that no core is left with a big file at the end; each taken by whichever thread is free.
  const size = (f: string) => statSync(f, { throwIfNoEntry: false })?.size ?? 0;
  const queue = files.map((f, i) => ({ i, bytes: size(f) })).sort((a, b) => b.bytes - a.bytes || a.i - b.i).map((j) => j.i);
  let next = 0;
  /** File i read on this thread, its result settled. */
  const readHere = (i: number) =>
    indexFile(files[i]!).then(
      (capture) => settle(i, { file: files[i]!, capture }),
      (e: unknown) => settle(i, { file: files[i]!, error: e instanceof Error ? e : new Error(String(e)) }),
    );
  const here = async () => {
    while (next < queue.length && !thrown) await readHere(queue[next++]!);
  };
  const run = (worker: Worker) =>
    new Promise<void>((resolve) => {
      let busy = -1;
      let done = false;
      const send = () => {
        if (next >= queue.length || thrown) return stop();
        busy = queue[next++]!;
        worker.postMessage({ id: busy, file: files[busy]! } satisfies ReadRequest);
      };
      // Done, or the worker died (out of memory, a crash): the file it had is read here, none is lost.
      const stop = () => {
        if (done) return;
        done = true;
        if (busy < 0) return resolve();
        void readHere(busy).finally(resolve);
      };
      worker.on('message', (m: ReadReply) => {
        busy = -1;
        settle(m.id, 'capture' in m ? { file: files[m.id]!, capture: fromTransfer(m.capture) } : { file: files[m.id]!, error: fromPlainError(m.error) });
        send();
      });
      worker.on('error', stop);
      worker.on('exit', stop);
      send();
    });
  // This thread reads too: one worker fewer than the threads wanted.
  const workers = Array.from({ length: readWorkers(files.length) - 1 }, startWorker);
  try {
    await Promise.all([here(), ...workers.map(run)]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (thrown) throw (thrown as { e: unknown }).e;
  return results;
}

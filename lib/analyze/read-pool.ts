/**
 * Capture files read and indexed on several cores: worker threads (read-worker.ts), one file or
 * part of a file each at a time, a reader per CORES_PER_READER cores and fewer when memory is
 * short. With more readers than files, a large file is cut into parts (capture/boundary.ts)
 * read at once and joined (decode/merge-parts.ts). Each index comes back with its columns
 * transferred, not copied, and the results keep the order the files were given: the same
 * captures as reading them one after another (read-pool.test.ts compares them on every sample,
 * whole and cut). This thread reads too; with fewer than three cores or HOPSCOPE_READ_WORKERS=1
 * it reads alone.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { planFileSplit, readCaptureFile, readCaptureRange } from '../capture/node';
import type { ReaderPosition } from '../capture/read';
import { fromPlainError, type PlainError } from '../capture/errors';
import { CaptureIndexer, fromTransfer, type IndexedCapture, type TransferredCapture } from '../decode/capture-index';
import { joinParts, type PartResult } from '../decode/merge-parts';
import { MIN_PART_BYTES, partsWanted, type FilePart, type SplitPlan } from '../capture/boundary';

/** Memory a worker may want while it reads (its own heap, the chunks in flight, a big file's index). */
const WORKER_BUDGET_BYTES = 512 * 1024 * 1024;


export interface ReadRequest {
  id: number;
  file: string;
  /** Only this part of the file (capture/boundary.ts); absent: the whole file. */
  part?: FilePart;
  /** False: packets counted, no row kept (CaptureIndexer's `rows`). */
  rows?: boolean;
}

export type ReadReply =
  | { id: number; capture: TransferredCapture; position?: ReaderPosition }
  | { id: number; capture: null; position: ReaderPosition }
  | { id: number; error: PlainError };

/** One file read and indexed on this thread; with `rows` false, counted only (CaptureIndexer). */
export async function indexFile(file: string, rows = true): Promise<IndexedCapture> {
  const indexer = new CaptureIndexer({ rows });
  return indexer.finish(await readCaptureFile(file, indexer));
}

/** One part of a file read and indexed on this thread; no capture when it did not end on a boundary. */
export async function indexPart(file: string, part: FilePart, rows = true): Promise<{ capture: IndexedCapture | null; position: ReaderPosition }> {
  const indexer = new CaptureIndexer({ rows });
  const { summary, position } = await readCaptureRange(file, indexer, part);
  return { capture: summary ? indexer.finish(summary) : null, position };
}

/**
 * Cores one reading thread keeps busy: besides its own, the thread pool reading the next chunk
 * from the file and V8's collector and compiler. Measured on 2 cores: `stats` of the bench
 * incident used 1.05 s of CPU in 0.74 s, `analyze` 2.9 s in 2.0 s; a second reader there made
 * both about 12% slower, and cost more CPU and memory.
 */
const CORES_PER_READER = 1.5;

/**
 * How many threads read (this one and workers): HOPSCOPE_READ_WORKERS when set, else one per
 * CORES_PER_READER cores and per WORKER_BUDGET_BYTES of free memory; never more than `jobs`,
 * the files and the parts they could be cut into.
 */
export function readWorkers(jobs: number): number {
  const asked = Number(process.env.HOPSCOPE_READ_WORKERS);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, jobs);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(jobs, Math.floor(cores / CORES_PER_READER), Math.floor(os.freemem() / WORKER_BUDGET_BYTES)));
}

/** The worker's script: the compiled one beside this module's chunk, or the TypeScript through tsx. */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./read-worker.js', here));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./read-worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}

type Result = { file: string; capture?: IndexedCapture; error?: Error };
/** A file, or part k of a cut file, for a reading thread. */
interface Job {
  i: number;
  k: number;
  part: FilePart | null;
  bytes: number;
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/**
 * The files cut into jobs: a file is cut only when there are more readers than files and it is
 * large enough (MIN_PART_BYTES a part, or `partBytes`); the plans of the cut ones by file.
 */
async function planJobs(files: string[], partBytes: number): Promise<{ jobs: Job[]; plans: (SplitPlan | null)[]; threads: number }> {
  const sizes = files.map((f) => statSync(f, { throwIfNoEntry: false })?.size ?? 0);
  const threads = readWorkers(sizes.reduce((n, s) => n + Math.max(1, Math.floor(s / partBytes)), 0));
  const wanted = partsWanted(sizes, threads, partBytes);
  // Unreadable here: read whole, which reports why.
  const plans = await Promise.all(files.map((f, i) => (wanted[i]! > 1 ? planFileSplit(f, sizes[i]!, wanted[i]!).catch(() => null) : null)));
  const jobs = files.flatMap((_, i): Job[] => {
    const plan = plans[i];
    if (!plan) return [{ i, k: 0, part: null, bytes: sizes[i]! }];
    return plan.parts.map((part, k) => ({ i, k, part, bytes: (Number.isFinite(part.end) ? part.end : sizes[i]!) - part.start }));
  });
  // Largest first, so that no core is left with a big one at the end; each taken by whichever thread is free.
  jobs.sort((a, b) => b.bytes - a.bytes || a.i - b.i || a.k - b.k);
  return { jobs, plans, threads };
}

/**
 * Every file read and indexed, in the order given: a capture, or the error that stopped it (a
 * CaptureFormatError, or an Error with the system's code such as ENOENT). `onResult` hears each
 * in that order as soon as it and those before it are done, and then it is not kept: with
 * `onResult` the list returned names the files only. `partBytes` sets the smallest part a file
 * is cut into (tests cut small files); `rows: false` counts the packets without keeping their
 * rows (CaptureIndexer).
 */
export async function indexFiles(files: string[], onResult?: (r: Result, i: number) => void, opts: { partBytes?: number; rows?: boolean } = {}): Promise<Result[]> {
  const rows = opts.rows ?? true;
  const results: Result[] = new Array(files.length);
  let reported = 0;
  // What onResult throws is thrown from here once the workers are stopped, not inside a worker's message handler.
  let thrown: { e: unknown } | null = null;
  const settle = (i: number, r: Result) => {
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
  const { jobs, plans, threads } = await planJobs(files, opts.partBytes ?? MIN_PART_BYTES);
  const parts: PartResult[][] = plans.map((p) => (p ? new Array<PartResult>(p.parts.length) : []));
  const partsLeft = plans.map((p) => p?.parts.length ?? 0);
  /** Files read whole on this thread after their parts could not be joined. */
  const again: Promise<void>[] = [];
  const readWhole = (i: number) =>
    indexFile(files[i]!, rows).then(
      (capture) => settle(i, { file: files[i]!, capture }),
      (e: unknown) => settle(i, { file: files[i]!, error: asError(e) }),
    );
  const done = (job: Job, r: PartResult) => {
    const { i, k } = job;
    if (!job.part) return settle(i, 'error' in r ? { file: files[i]!, error: r.error } : { file: files[i]!, capture: r.capture! });
    parts[i]![k] = r;
    if (--partsLeft[i]! > 0) return;
    const joined = joinParts(parts[i]!, plans[i]!);
    parts[i] = [];
    if (joined) settle(i, { file: files[i]!, ...joined });
    else again.push(readWhole(i));
  };
  let next = 0;
  /** A job read on this thread, its result recorded. */
  const readHere = (job: Job) =>
    (job.part ? indexPart(files[job.i]!, job.part, rows) : indexFile(files[job.i]!, rows).then((capture): PartResult => ({ capture }))).then(
      (r) => done(job, r),
      (e: unknown) => done(job, { error: asError(e) }),
    );
  const here = async () => {
    while (next < jobs.length && !thrown) await readHere(jobs[next++]!);
  };
  const run = (worker: Worker) =>
    new Promise<void>((resolve) => {
      let busy: Job | null = null;
      let stopped = false;
      const send = () => {
        if (next >= jobs.length || thrown) return stop();
        const job = (busy = jobs[next]!);
        next++;
        worker.postMessage({ id: next - 1, file: files[job.i]!, ...(job.part ? { part: job.part } : {}), ...(rows ? {} : { rows }) } satisfies ReadRequest);
      };
      // Done, or the worker died (out of memory, a crash) or its answer could not be read: the
      // job it had is read here, none is lost.
      const stop = () => {
        if (stopped) return;
        stopped = true;
        if (!busy) return resolve();
        void readHere(busy).finally(resolve);
      };
      worker.on('message', (m: ReadReply) => {
        // After a failure its job is read here: a late answer would count it twice.
        if (stopped) return;
        const job = busy!;
        busy = null;
        if ('error' in m) done(job, { error: fromPlainError(m.error) });
        else done(job, { capture: m.capture ? fromTransfer(m.capture) : null, position: m.position });
        send();
      });
      worker.on('error', stop);
      worker.on('messageerror', stop);
      worker.on('exit', stop);
      send();
    });
  // This thread reads too: one worker fewer than the threads wanted.
  const workers = Array.from({ length: threads - 1 }, startWorker);
  try {
    await Promise.all([here(), ...workers.map(run)]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  await Promise.all(again);
  if (thrown) throw (thrown as { e: unknown }).e;
  return results;
}

/**
 * The analysis worker's pool of index workers: files are read and indexed on as many cores as
 * the machine has (capped by its memory), each index sent back with its columns transferred.
 * A large file that finds more than one worker free is cut into parts read at once and joined
 * (capture/boundary.ts, decode/merge-parts.ts), as the CLI's read pool does. The engine asks
 * through `index()` exactly as it would read a file itself (engine.ts).
 */
import { blobReadAt, readCaptureBlob, readCaptureBlobPart } from '../capture/blob';
import { MIN_PART_BYTES, partsWanted, planSplit, type FilePart, type SplitPlan } from '../capture/boundary';
import { fromPlainError, toPlainError } from '../capture/errors';
import type { ReaderPosition } from '../capture/read';
import { CaptureIndexer, fromTransfer, toTransfer, type IndexedCapture } from '../decode/capture-index';
import { joinParts, type PartResult } from '../decode/merge-parts';
import type { FromIndexer, ToIndexer } from './index-protocol';

export interface IndexerPort {
  postMessage(msg: ToIndexer): void;
  onmessage: ((e: MessageEvent<FromIndexer>) => void) | null;
  /** A worker that failed to load or died. */
  onerror: ((e: Event) => void) | null;
  /** An answer that could not be read here (structured clone failed): its job would never end. */
  onmessageerror?: ((e: MessageEvent) => void) | null;
  /** Stops the worker (a Worker's own): one given up must not read on for nobody. */
  terminate?(): void;
}

/** The pool could not read the file (its worker failed, or it has none left): read it elsewhere. */
export class PoolUnavailable extends Error {}

export interface IndexRequest {
  signal?: AbortSignal;
  chunkSize?: number;
  onProgress?: (bytesRead: number, total: number) => void;
}

/** One file read and indexed on the calling thread: what each index worker runs, and what the engine runs without them. */
export async function indexBlob(file: Blob, name: string, req: IndexRequest = {}): Promise<IndexedCapture> {
  const indexer = new CaptureIndexer();
  const named = Object.assign(file.slice(0, file.size, file.type), { name });
  const summary = await readCaptureBlob(named, indexer, req);
  req.signal?.throwIfAborted();
  return indexer.finish(summary);
}

/** One part of a file read and indexed on the calling thread; no capture when it did not end on a boundary. */
export async function indexBlobPart(file: Blob, name: string, part: FilePart, req: IndexRequest = {}): Promise<{ capture: IndexedCapture | null; position: ReaderPosition }> {
  const indexer = new CaptureIndexer();
  const { summary, position } = await readCaptureBlobPart(file, name, indexer, part, req);
  req.signal?.throwIfAborted();
  return { capture: summary ? indexer.finish(summary) : null, position };
}

/**
 * What an index worker does with one request (index-worker.ts, and the tests' stand-ins): the
 * file or part read and indexed, its progress and its result posted through `reply`.
 */
export async function runIndexJob(msg: Extract<ToIndexer, { type: 'index' }>, signal: AbortSignal, reply: (m: FromIndexer, transfer?: Transferable[]) => void, onProgress?: (bytesRead: number, total: number) => void): Promise<void> {
  const { id, file, name, chunkSize, part } = msg;
  const req = { signal, chunkSize, onProgress: onProgress ?? ((bytesRead: number, total: number) => reply({ type: 'progress', id, bytesRead, total })) };
  try {
    if (part) {
      const { capture, position } = await indexBlobPart(file, name, part, req);
      const sent = capture ? toTransfer(capture) : null;
      reply({ type: 'done', id, capture: sent?.capture ?? null, position }, sent?.transfer ?? []);
    } else {
      const sent = toTransfer(await indexBlob(file, name, req));
      reply({ type: 'done', id, capture: sent.capture }, sent.transfer);
    }
  } catch (err) {
    reply(signal.aborted ? { type: 'aborted', id } : { type: 'error', id, error: toPlainError(err) });
  }
}

/** Workers for a machine: one per core, at most one per 512 MB of device memory where the browser says, and at most 8. */
export function poolSize(cores: number | undefined, deviceMemoryGb: number | undefined): number {
  const byCores = Math.max(1, Math.floor(cores ?? 2));
  const byMemory = deviceMemoryGb && deviceMemoryGb > 0 ? Math.max(1, Math.floor(deviceMemoryGb * 2)) : byCores;
  return Math.min(byCores, byMemory, 8);
}

/** What a worker read: a capture, and for a part where its reading stopped (null capture: not at a boundary). */
interface Read {
  capture: IndexedCapture | null;
  position?: ReaderPosition;
}

interface Job {
  id: number;
  resolve(r: Read): void;
  reject(e: unknown): void;
  onProgress?: (bytesRead: number, total: number) => void;
  /** Stops listening to the request's signal. */
  done(): void;
}

export class IndexPool {
  private readonly idle: IndexerPort[] = [];
  private readonly waiting: { start(port: IndexerPort): void; cancel(): void }[] = [];
  /** The job each busy worker runs. */
  private readonly busy = new Map<IndexerPort, Job>();
  private alive = 0;
  private nextId = 0;

  /** The smallest part a file is cut into (tests cut small files). */
  private readonly partBytes: number;

  constructor(ports: IndexerPort[], opts: { partBytes?: number } = {}) {
    this.partBytes = opts.partBytes ?? MIN_PART_BYTES;
    for (const port of ports) {
      port.onmessage = (e) => this.receive(port, e.data);
      port.onerror = () => this.fail(port);
      port.onmessageerror = () => this.fail(port);
      this.idle.push(port);
      this.alive++;
    }
  }

  /** Workers still working. */
  get size(): number {
    return this.alive;
  }

  /**
   * One file read and indexed on a free worker (waiting for one when all are busy), or in parts
   * on several when it is large and they are free. Rejects with PoolUnavailable when a worker
   * fails or none is left: the caller reads it another way.
   */
  async index(file: Blob, name: string, req: IndexRequest = {}): Promise<IndexedCapture> {
    // The workers free now are the threads this file may take (the CLI's rule, one file at a time).
    const [parts] = partsWanted([file.size], this.idle.length, this.partBytes);
    const plan = parts! >= 2 ? await planSplit(file.size, parts!, blobReadAt(file)).catch(() => null) : null;
    if (plan) {
      const joined = await this.indexParts(file, name, plan, req);
      if (joined && 'error' in joined) throw joined.error;
      if (joined) return joined.capture;
    }
    return (await this.submit(file, name, req)).capture!;
  }

  /** The parts of a cut file, each on a worker, joined; null when they do not join (the file is then read whole). */
  private async indexParts(file: Blob, name: string, plan: SplitPlan, req: IndexRequest): Promise<ReturnType<typeof joinParts>> {
    const read = plan.parts.map(() => 0);
    const progress = (k: number) => (bytesRead: number) => {
      read[k] = bytesRead;
      req.onProgress?.(read.reduce((a, b) => a + b, 0), file.size);
    };
    const results = await Promise.all(
      plan.parts.map((part, k) =>
        this.submit(file, name, { ...req, onProgress: progress(k) }, part).then(
          (r): PartResult => r,
          // A capture error is the part's result; a failed worker or a cancel is the file's.
          (e: unknown): PartResult => {
            if (e instanceof PoolUnavailable || (e instanceof DOMException && e.name === 'AbortError')) throw e;
            return { error: e instanceof Error ? e : new Error(String(e)) };
          },
        ),
      ),
    );
    return joinParts(results, plan);
  }

  /** One file, or part of one, on a free worker (waiting for one when all are busy). */
  private submit(file: Blob, name: string, req: IndexRequest, part?: FilePart): Promise<Read> {
    return new Promise<Read>((resolve, reject) => {
      if (this.alive === 0) return reject(new PoolUnavailable('no index worker is running'));
      const cancelled = () => new DOMException('The read was cancelled', 'AbortError');
      if (req.signal?.aborted) return reject(cancelled());
      let onAbort = () => {};
      const done = () => req.signal?.removeEventListener('abort', onAbort);
      const start = (port: IndexerPort) => {
        const id = this.nextId++;
        this.busy.set(port, { id, resolve, reject, onProgress: req.onProgress, done });
        onAbort = () => port.postMessage({ type: 'abort', id });
        req.signal?.addEventListener('abort', onAbort, { once: true });
        port.postMessage({ type: 'index', id, file, name, chunkSize: req.chunkSize, ...(part ? { part } : {}) });
      };
      const port = this.idle.pop();
      if (port) return start(port);
      // Waiting for a worker: a cancel takes it out of the line at once.
      const entry = {
        start: (p: IndexerPort) => {
          req.signal?.removeEventListener('abort', onAbort);
          start(p);
        },
        cancel: () => reject(new PoolUnavailable('no index worker is running')),
      };
      onAbort = () => {
        const k = this.waiting.indexOf(entry);
        if (k >= 0) this.waiting.splice(k, 1);
        reject(cancelled());
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private release(port: IndexerPort): void {
    const next = this.waiting.shift();
    if (next) next.start(port);
    else this.idle.push(port);
  }

  private receive(port: IndexerPort, m: FromIndexer): void {
    // The worker could not read a request: which one it cannot say, so it is given up as failed.
    if (m.type === 'unreadable') return this.fail(port);
    const job = this.busy.get(port);
    if (!job || job.id !== m.id) return;
    if (m.type === 'progress') {
      job.onProgress?.(m.bytesRead, m.total);
      return;
    }
    this.busy.delete(port);
    job.done();
    this.release(port);
    if (m.type === 'done') job.resolve({ capture: m.capture ? fromTransfer(m.capture) : null, position: m.position });
    else if (m.type === 'aborted') job.reject(new DOMException('The read was cancelled', 'AbortError'));
    else job.reject(fromPlainError(m.error));
  }

  /** A worker that failed, or lost a message either way (once: its handlers go here): its job goes elsewhere, and it gets no more. */
  private fail(port: IndexerPort): void {
    this.alive--;
    const k = this.idle.indexOf(port);
    if (k >= 0) this.idle.splice(k, 1);
    port.onmessage = null;
    port.onerror = null;
    port.onmessageerror = null;
    port.terminate?.();
    const job = this.busy.get(port);
    this.busy.delete(port);
    if (job) {
      job.done();
      job.reject(new PoolUnavailable('its index worker failed'));
    }
    if (this.alive === 0) for (const w of this.waiting.splice(0)) w.cancel();
  }
}

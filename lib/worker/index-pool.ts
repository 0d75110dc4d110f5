/**
 * The analysis worker's pool of index workers: files are read and indexed on as many cores as
 * the machine has (capped by its memory), each index sent back with its columns transferred.
 * The engine asks through `index()` exactly as it would read a file itself (engine.ts).
 */
import { readCaptureBlob } from '../capture/blob';
import { fromPlainError } from '../capture/errors';
import { CaptureIndexer, fromTransfer, type IndexedCapture } from '../decode/capture-index';
import type { FromIndexer, ToIndexer } from './index-protocol';

export interface IndexerPort {
  postMessage(msg: ToIndexer): void;
  onmessage: ((e: MessageEvent<FromIndexer>) => void) | null;
  /** A worker that failed to load or died. */
  onerror: ((e: Event) => void) | null;
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

/** Workers for a machine: one per core, at most one per 512 MB of device memory where the browser says, and at most 8. */
export function poolSize(cores: number | undefined, deviceMemoryGb: number | undefined): number {
  const byCores = Math.max(1, Math.floor(cores ?? 2));
  const byMemory = deviceMemoryGb && deviceMemoryGb > 0 ? Math.max(1, Math.floor(deviceMemoryGb * 2)) : byCores;
  return Math.min(byCores, byMemory, 8);
}

interface Job {
  id: number;
  resolve(c: IndexedCapture): void;
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

  constructor(ports: IndexerPort[]) {
    for (const port of ports) {
      port.onmessage = (e) => this.receive(port, e.data);
      port.onerror = () => this.fail(port);
      this.idle.push(port);
      this.alive++;
    }
  }

  /** Workers still working. */
  get size(): number {
    return this.alive;
  }

  /**
   * One file read and indexed on a free worker (waiting for one when all are busy). Rejects with
   * PoolUnavailable when the worker fails or none is left: the caller reads it another way.
   */
  index(file: Blob, name: string, req: IndexRequest = {}): Promise<IndexedCapture> {
    return new Promise<IndexedCapture>((resolve, reject) => {
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
        port.postMessage({ type: 'index', id, file, name, chunkSize: req.chunkSize });
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
    const job = this.busy.get(port);
    if (!job || job.id !== m.id) return;
    if (m.type === 'progress') {
      job.onProgress?.(m.bytesRead, m.total);
      return;
    }
    this.busy.delete(port);
    job.done();
    this.release(port);
    if (m.type === 'done') job.resolve(fromTransfer(m.capture));
    else if (m.type === 'aborted') job.reject(new DOMException('The read was cancelled', 'AbortError'));
    else job.reject(fromPlainError(m.error));
  }

  /** A worker that failed (once: its handlers go here): its job goes elsewhere, and it gets no more. */
  private fail(port: IndexerPort): void {
    this.alive--;
    const k = this.idle.indexOf(port);
    if (k >= 0) this.idle.splice(k, 1);
    port.onmessage = null;
    port.onerror = null;
    const job = this.busy.get(port);
    this.busy.delete(port);
    if (job) {
      job.done();
      job.reject(new PoolUnavailable('its index worker failed'));
    }
    if (this.alive === 0) for (const w of this.waiting.splice(0)) w.cancel();
  }
}

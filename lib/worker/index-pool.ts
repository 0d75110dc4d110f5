/**
 * The analysis worker's pool of index workers: files are read and indexed on as many cores as
 * the machine has (capped by its memory), each index sent back with its columns transferred.
 * The engine asks through `index()` exactly as it would read a file itself (engine.ts).
 */
import { CaptureFormatError } from '../capture/errors';
import { fromTransfer, type IndexedCapture } from '../decode/capture-index';
import type { FromIndexer, ToIndexer } from './index-protocol';

export interface IndexerPort {
  postMessage(msg: ToIndexer): void;
  onmessage: ((e: MessageEvent<FromIndexer>) => void) | null;
}

export interface IndexRequest {
  signal?: AbortSignal;
  chunkSize?: number;
  onProgress?: (bytesRead: number, total: number) => void;
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
}

export class IndexPool {
  private readonly idle: IndexerPort[] = [];
  private readonly waiting: { start(port: IndexerPort): void }[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;

  constructor(ports: IndexerPort[]) {
    for (const port of ports) {
      port.onmessage = (e) => this.receive(port, e.data);
      this.idle.push(port);
    }
  }

  get size(): number {
    return this.idle.length + this.jobs.size;
  }

  /** One file read and indexed on a free worker (waiting for one when all are busy). */
  index(file: Blob, name: string, req: IndexRequest = {}): Promise<IndexedCapture> {
    return new Promise<IndexedCapture>((resolve, reject) => {
      const start = (port: IndexerPort) => {
        if (req.signal?.aborted) {
          this.release(port);
          return reject(new DOMException('The read was cancelled', 'AbortError'));
        }
        const id = this.nextId++;
        this.jobs.set(id, { id, resolve, reject, onProgress: req.onProgress });
        req.signal?.addEventListener('abort', () => port.postMessage({ type: 'abort', id }), { once: true });
        port.postMessage({ type: 'index', id, file, name, chunkSize: req.chunkSize });
      };
      const port = this.idle.pop();
      if (port) start(port);
      else this.waiting.push({ start });
    });
  }

  private release(port: IndexerPort): void {
    const next = this.waiting.shift();
    if (next) next.start(port);
    else this.idle.push(port);
  }

  private receive(port: IndexerPort, m: FromIndexer): void {
    const job = this.jobs.get(m.id);
    if (!job) return;
    if (m.type === 'progress') {
      job.onProgress?.(m.bytesRead, m.total);
      return;
    }
    this.jobs.delete(m.id);
    this.release(port);
    if (m.type === 'done') job.resolve(fromTransfer(m.capture));
    else if (m.type === 'aborted') job.reject(new DOMException('The read was cancelled', 'AbortError'));
    else if (m.capture) job.reject(CaptureFormatError.revive({ ...m.capture, message: m.message }));
    else job.reject(new Error(m.message));
  }
}

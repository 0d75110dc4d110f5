/**
 * The analysis worker: reads, indexes and analyses the captures off the main thread, so the page
 * stays responsive on a 2 GB file. All the work is in engine.ts; this only wires it to messages,
 * and to a pool of index workers (index-pool.ts) so that files are read on every core.
 */
import { AnalysisEngine, isSmallFile } from './engine';
import { indexBlob, IndexPool, PoolUnavailable, poolSize, type IndexerPort } from './index-pool';
import type { FromWorker, ToWorker } from './protocol';

// The project compiles against the DOM lib; a dedicated worker's global has the same two calls.
const scope = self as unknown as {
  postMessage(msg: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  onmessageerror: ((e: MessageEvent) => void) | null;
  Worker?: typeof Worker;
  navigator: { hardwareConcurrency?: number; deviceMemory?: number };
};

/** The index workers, or null where a worker cannot start one (then this thread reads). */
function startPool(): IndexPool | null {
  if (typeof scope.Worker !== 'function') return null;
  try {
    const n = poolSize(scope.navigator.hardwareConcurrency, scope.navigator.deviceMemory);
    const ports = Array.from({ length: n }, () => new Worker(new URL('./index-worker.ts', import.meta.url), { type: 'module' }) as unknown as IndexerPort);
    return new IndexPool(ports);
  } catch {
    return null;
  }
}

const pool = startPool();
const engine = new AnalysisEngine({
  post: (msg) => scope.postMessage(msg),
  ...(pool
    ? {
        // A worker that fails (a browser without nested module workers, one that runs out of memory): this thread reads.
        // A small file is read here: sending it to a worker and its index back cost more than reading it.
        indexFile: (file, name, req) =>
          isSmallFile(file, name) ? indexBlob(file, name, req) : pool.index(file, name, req).catch((e: unknown) => (e instanceof PoolUnavailable ? indexBlob(file, name, req) : Promise.reject(e))),
        concurrency: Math.max(2, pool.size),
      }
    : {}),
});
scope.onmessage = (e) => engine.handle(e.data);
// A request that could not be read here (structured clone failed) would never be answered: say so.
scope.onmessageerror = () => scope.postMessage({ type: 'worker-lost', message: 'The analysis worker could not read a request sent to it' } satisfies FromWorker);

/**
 * One worker of the analysis worker's index pool (index-pool.ts): reads and indexes the files, or
 * parts of files, it is sent, one at a time (runIndexJob), and sends each index back with its
 * columns transferred, not copied.
 */
import { runIndexJob } from './index-pool';
import type { FromIndexer, ToIndexer } from './index-protocol';

/** Progress messages at most this often per file. */
const PROGRESS_MS = 100;

const scope = self as unknown as {
  postMessage(msg: FromIndexer, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToIndexer>) => void) | null;
  onmessageerror: ((e: MessageEvent) => void) | null;
};
const aborts = new Map<number, AbortController>();

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'abort') {
    aborts.get(msg.id)?.abort();
    return;
  }
  const abort = new AbortController();
  aborts.set(msg.id, abort);
  let last = -Infinity;
  const reply = (m: FromIndexer, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  void runIndexJob(msg, abort.signal, reply, (bytesRead, total) => {
    const t = performance.now();
    if (t - last < PROGRESS_MS && bytesRead < total) return;
    last = t;
    reply({ type: 'progress', id: msg.id, bytesRead, total });
  }).finally(() => aborts.delete(msg.id));
};
// A request that could not be read here would leave the pool waiting for its answer.
scope.onmessageerror = () => scope.postMessage({ type: 'unreadable' });

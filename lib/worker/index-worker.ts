/**
 * One worker of the analysis worker's index pool (index-pool.ts): reads and indexes the files it
 * is sent, one at a time, and sends each index back with its columns transferred, not copied.
 */
import { toPlainError } from '../capture/errors';
import { toTransfer } from '../decode/capture-index';
import { indexBlob } from './index-pool';
import type { FromIndexer, ToIndexer } from './index-protocol';

/** Progress messages at most this often per file. */
const PROGRESS_MS = 100;

const scope = self as unknown as {
  postMessage(msg: FromIndexer, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToIndexer>) => void) | null;
};
const aborts = new Map<number, AbortController>();

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'abort') {
    aborts.get(msg.id)?.abort();
    return;
  }
  void index(msg);
};

async function index({ id, file, name, chunkSize }: Extract<ToIndexer, { type: 'index' }>): Promise<void> {
  const abort = new AbortController();
  aborts.set(id, abort);
  let last = -Infinity;
  try {
    const capture = await indexBlob(file, name, {
      signal: abort.signal,
      chunkSize,
      onProgress: (bytesRead, total) => {
        const t = performance.now();
        if (t - last < PROGRESS_MS && bytesRead < total) return;
        last = t;
        scope.postMessage({ type: 'progress', id, bytesRead, total });
      },
    });
    const sent = toTransfer(capture);
    scope.postMessage({ type: 'done', id, capture: sent.capture }, sent.transfer);
  } catch (err) {
    scope.postMessage(abort.signal.aborted ? { type: 'aborted', id } : { type: 'error', id, error: toPlainError(err) });
  } finally {
    aborts.delete(id);
  }
}

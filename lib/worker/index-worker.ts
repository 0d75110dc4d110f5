/**
 * One worker of the analysis worker's index pool (index-pool.ts): reads and indexes the files it
 * is sent, one at a time, and sends each index back with its columns transferred, not copied.
 */
import { readCaptureBlob } from '../capture/blob';
import { CaptureFormatError } from '../capture/errors';
import { CaptureIndexer, toTransfer } from '../decode/capture-index';
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
    const indexer = new CaptureIndexer();
    const named = Object.assign(file.slice(0, file.size, file.type), { name });
    const summary = await readCaptureBlob(named, indexer, {
      signal: abort.signal,
      chunkSize,
      onProgress: (bytesRead, total) => {
        const t = performance.now();
        if (t - last < PROGRESS_MS && bytesRead < total) return;
        last = t;
        scope.postMessage({ type: 'progress', id, bytesRead, total });
      },
    });
    abort.signal.throwIfAborted();
    const sent = toTransfer(indexer.finish(summary));
    scope.postMessage({ type: 'done', id, capture: sent.capture }, sent.transfer);
  } catch (err) {
    if (abort.signal.aborted) scope.postMessage({ type: 'aborted', id });
    else if (err instanceof CaptureFormatError) scope.postMessage({ type: 'error', id, message: err.message, capture: { code: err.code, fileName: err.fileName, byteOffset: err.byteOffset } });
    else scope.postMessage({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  } finally {
    aborts.delete(id);
  }
}

/** Messages between the analysis worker and the workers of its index pool (index-pool.ts). */
import type { PlainError } from '../capture/errors';
import type { TransferredCapture } from '../decode/capture-index';

export type ToIndexer =
  | { type: 'index'; id: number; file: Blob; name: string; chunkSize?: number }
  | { type: 'abort'; id: number };

export type FromIndexer =
  | { type: 'progress'; id: number; bytesRead: number; total: number }
  | { type: 'done'; id: number; capture: TransferredCapture }
  | { type: 'aborted'; id: number }
  | { type: 'error'; id: number; error: PlainError };

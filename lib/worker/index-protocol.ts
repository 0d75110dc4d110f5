/** Messages between the analysis worker and the workers of its index pool (index-pool.ts). */
import type { FilePart } from '../capture/boundary';
import type { PlainError } from '../capture/errors';
import type { ReaderPosition } from '../capture/read';
import type { TransferredCapture } from '../decode/capture-index';

export type ToIndexer =
  /** With `part`, only that part of the file (boundary.ts). */
  | { type: 'index'; id: number; file: Blob; name: string; chunkSize?: number; part?: FilePart }
  | { type: 'abort'; id: number };

export type FromIndexer =
  | { type: 'progress'; id: number; bytesRead: number; total: number }
  /** A part's capture comes with where its reading stopped, and is null when it did not end on a boundary. */
  | { type: 'done'; id: number; capture: TransferredCapture | null; position?: ReaderPosition }
  | { type: 'aborted'; id: number }
  | { type: 'error'; id: number; error: PlainError }
  /** A request the worker could not read (structured clone failed): it cannot say which. */
  | { type: 'unreadable' };

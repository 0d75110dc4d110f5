/**
 * A worker thread of the read pool (read-pool.ts): reads and indexes the capture files, or parts
 * of files, it is sent, one at a time, and sends each index back with its columns transferred,
 * not copied (a part's with where its reading stopped).
 */
import { parentPort } from 'node:worker_threads';
import { toPlainError } from '../capture/errors';
import { toTransfer } from '../decode/capture-index';
import { indexFile, indexPart, type ReadReply, type ReadRequest } from './read-pool';

const port = parentPort;
if (!port) throw new Error('read-worker.ts runs as a worker thread of read-pool.ts');

/** Tests only: a worker that dies on this file, to show the pool loses nothing when one does. */
const CRASH_ON = process.env.HOPSCOPE_TEST_READ_WORKER_CRASH_ON;

// A request it could not read would leave the pool waiting for its answer: end, and the pool
// reads that job itself (read-pool.ts).
port.on('messageerror', () => process.exit(4));

port.on('message', async ({ id, file, part, rows = true }: ReadRequest) => {
  if (CRASH_ON && file.endsWith(CRASH_ON)) process.exit(3);
  let reply: ReadReply;
  let transfer: ArrayBuffer[] = [];
  try {
    if (part) {
      const { capture, position } = await indexPart(file, part, rows);
      const sent = capture ? toTransfer(capture) : null;
      transfer = sent?.transfer ?? [];
      reply = sent ? { id, capture: sent.capture, position } : { id, capture: null, position };
    } else {
      const sent = toTransfer(await indexFile(file, rows));
      transfer = sent.transfer;
      reply = { id, capture: sent.capture };
    }
  } catch (e) {
    reply = { id, error: toPlainError(e) };
  }
  port.postMessage(reply, transfer);
});

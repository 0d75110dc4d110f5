/**
 * The analysis worker: reads, indexes and analyses the captures off the main thread, so the page
 * stays responsive on a 2 GB file. All the work is in engine.ts; this only wires it to messages.
 */
import { AnalysisEngine } from './engine';
import type { FromWorker, ToWorker } from './protocol';

// The project compiles against the DOM lib; a dedicated worker's global has the same two calls.
const scope = self as unknown as {
  postMessage(msg: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
};
const engine = new AnalysisEngine({ post: (msg) => scope.postMessage(msg) });
scope.onmessage = (e) => engine.handle(e.data);

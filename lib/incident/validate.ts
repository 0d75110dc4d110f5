/**
 * Check an upload is a capture while its bytes stream to the store: the same reader the
 * analysis uses (gzip included) runs over the same chunks, one chunk behind at most, so a PNG
 * or a corrupt pcapng is refused with the reader's own message (file, byte offset, first bytes)
 * and a capture cut short is accepted with the reader's warning.
 */
import { readCapture } from '../capture/read';
import type { CaptureSummary } from '../capture/types';

export interface CaptureCheck {
  /** Hand over one chunk; resolves once the reader took it. Rejects with the reader's error. */
  push(chunk: Uint8Array): Promise<void>;
  /** End of input: the reader's summary, or its CaptureFormatError. */
  end(): Promise<CaptureSummary>;
}

/** `onInflated`: a gzip file decompressed this far in all; throw to refuse it. */
export function checkCapture(fileName: string, opts: { onInflated?(totalBytes: number): void } = {}): CaptureCheck {
  let handoff: { chunk: Uint8Array; taken: () => void } | null = null;
  let wake: (() => void) | null = null;
  let ended = false;

  async function* source(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (!handoff && !ended) await new Promise<void>((r) => (wake = r));
      if (handoff) {
        const h: { chunk: Uint8Array; taken: () => void } = handoff;
        handoff = null;
        yield h.chunk;
        h.taken();
        continue;
      }
      if (ended) return;
    }
  }

  const run = readCapture(fileName, source(), { onPacket() {}, ...(opts.onInflated ? { onInflated: opts.onInflated } : {}) });
  // The reader may fail while nobody waits on it; the failure is reported by push/end. One
  // promise for every push: a `run.then` made per push would keep its chunk alive until the
  // file ends, holding the whole upload in memory.
  const failed = run.then(() => undefined);
  failed.catch(() => {});

  return {
    async push(chunk) {
      const taken = new Promise<void>((resolve) => {
        handoff = { chunk, taken: resolve };
      });
      const w = wake as (() => void) | null;
      wake = null;
      w?.();
      await Promise.race([taken, failed]);
    },
    async end() {
      ended = true;
      const w = wake as (() => void) | null;
      wake = null;
      w?.();
      return run;
    },
  };
}

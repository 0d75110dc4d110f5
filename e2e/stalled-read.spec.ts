import { expect, test, type Worker } from '@playwright/test';
import { poolSize } from '../lib/worker/index-pool';
import { expectedKind, expectVerdict, scenarios } from './fixtures';

const all = scenarios();

/**
 * Chromium's blob stream sometimes never answers a read (lib/capture/blob.ts, STALL_MS). Here
 * every worker's first blob stream is made to do that, in the page's own workers: the files must
 * still be read (the stalled chunk again, from a stream opened anew) and the verdict come.
 */
test.describe('a read the browser never answers', () => {
  test.skip(all.length === 0, 'sample-captures/ is absent');

  test('is given up after a wait: the files are read and the verdict comes', async ({ page }) => {
    const s = all.find((x) => x.fault !== null && x.files.length >= 2)!;
    const workers: Worker[] = [];
    page.on('worker', (w) => workers.push(w));
    await page.goto('/');
    await page.locator('[data-testid="dashboard"][data-hydrated]').waitFor();
    // The analysis worker and its index workers load once the page is idle after its first paint.
    const [cores, memory] = await page.evaluate(() => [navigator.hardwareConcurrency, (navigator as { deviceMemory?: number }).deviceMemory]);
    await expect.poll(() => workers.length, { timeout: 20_000 }).toBe(1 + poolSize(cores, memory));
    for (const w of workers) {
      await w.evaluate(() => {
        const g = self as unknown as { __stalls: number };
        g.__stalls = 0;
        const stream = Blob.prototype.stream;
        Blob.prototype.stream = function (this: Blob) {
          if (g.__stalls > 0) return stream.call(this);
          g.__stalls++;
          return new ReadableStream({ type: 'bytes', pull: () => new Promise<void>(() => undefined) }) as ReturnType<typeof stream>;
        };
      });
    }
    await page.getByTestId('file-input').setInputFiles(s.files);
    await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(s.files.length, { timeout: 30_000 });
    await expectVerdict(page, /.+/, { timeout: 30_000 });
    // The card shows the worst flow: one of the faults the ground truth calls for.
    const faults = new Set(s.flows.map((f) => expectedKind(s, f)).filter((k) => k !== 'delivered'));
    expect(faults.has((await page.getByTestId('verdict-card').getAttribute('data-kind'))!)).toBe(true);
    // At least one worker read a file, met the stalled stream and went on past it.
    const stalls = await Promise.all(workers.map((w) => w.evaluate(() => (self as unknown as { __stalls: number }).__stalls)));
    expect(stalls.some((n) => n > 0)).toBe(true);
    await expect(page.locator('[data-testid="file-row"][data-status="error"]')).toHaveCount(0);
  });
});

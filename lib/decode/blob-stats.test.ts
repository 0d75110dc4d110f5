/** The capture inspector's statistics, read from a Blob without keeping rows, are the full index's. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { indexFile } from '../analyze/read-pool';
import { SAMPLE_CAPTURES_DIR } from '../lab/samples';
import { summarizeCaptureBlob } from './blob-stats';
import { CaptureIndexer } from './capture-index';
import { captureStats } from './stats';

const files = readdirSync(SAMPLE_CAPTURES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(pcapng|pcap)(\.gz)?$/i.test(f))
  .sort()
  .map((f) => join(SAMPLE_CAPTURES_DIR, f));

describe('summarizeCaptureBlob', () => {
  it('gives every sample the statistics its full index gives, keeping no row', async () => {
    expect(files.length).toBeGreaterThan(100);
    const finish = vi.spyOn(CaptureIndexer.prototype, 'finish');
    try {
      for (const file of files) {
        const name = file.split('/').pop()!;
        const blob = Object.assign(new Blob([readFileSync(file)]), { name });
        finish.mockClear();
        const stats = await summarizeCaptureBlob(blob);
        const read = finish.mock.results[0]!.value as ReturnType<CaptureIndexer['finish']>;
        expect(read.index.keepsRows, file).toBe(false);
        expect(read.index.count, file).toBe(stats.packets);
        expect(stats, file).toEqual(captureStats(await indexFile(file)));
      }
    } finally {
      finish.mockRestore();
    }
  });
});

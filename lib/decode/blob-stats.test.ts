/** The capture inspector's statistics, read from a Blob without keeping rows, are the full index's. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexFile } from '../analyze/read-pool';
import { SAMPLE_CAPTURES_DIR } from '../lab/samples';
import { summarizeCaptureBlob } from './blob-stats';
import { captureStats } from './stats';

const files = readdirSync(SAMPLE_CAPTURES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(pcapng|pcap)(\.gz)?$/i.test(f))
  .sort()
  .map((f) => join(SAMPLE_CAPTURES_DIR, f));

describe('summarizeCaptureBlob', () => {
  it('gives every sample the statistics its full index gives', async () => {
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const name = file.split('/').pop()!;
      const blob = Object.assign(new Blob([readFileSync(file)]), { name });
      expect(await summarizeCaptureBlob(blob), file).toEqual(captureStats(await indexFile(file)));
    }
  });
});

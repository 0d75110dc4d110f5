/**
 * readCaptureFile keeps its chunk buffers for the next file (node.ts). Files read one after
 * another and files read at once on one thread must index as each read alone in a fresh state:
 * a buffer handed to two readers at once, or a view kept past its chunk, would show here.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureIndexer, type IndexedCapture } from '../decode/capture-index';
import { readCaptureFile } from './node';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

/** Every row of an index, as text: what the analysis reads of it. */
function rows(c: IndexedCapture): string[] {
  const out: string[] = [];
  for (let r = 0; r < c.index.count; r++) out.push(JSON.stringify(c.index.read(r)));
  return out;
}

/** A small chunk size: many chunks a file, so buffers take turns often. */
const CHUNK = 4096;

async function indexOf(file: string): Promise<IndexedCapture> {
  const indexer = new CaptureIndexer();
  return indexer.finish(await readCaptureFile(file, indexer, { chunkSize: CHUNK }));
}

describe('chunk buffers kept from one file to the next', () => {
  const dir = join(SAMPLES, 'busy-node-broken-port');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.pcap'))
    .map((f) => join(dir, f));

  it('give the same index read one after another, at once, and interleaved', async () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    const alone: string[][] = [];
    for (const f of files) alone.push(rows(await indexOf(f)));
    expect(alone.every((r) => r.length > 50)).toBe(true);
    // All at once on this thread: each reader's chunks arrive between the others'.
    const together = await Promise.all(files.map(indexOf));
    together.forEach((c, i) => expect(rows(c), files[i]).toEqual(alone[i]));
    // And again one after another, now that buffers were given back by several readers.
    for (let i = 0; i < files.length; i++) expect(rows(await indexOf(files[i]!)), files[i]).toEqual(alone[i]);
  });

  it('gzip files too: the inflater is given copies, so the buffers can take turns under it', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hopscope-gz-'));
    try {
      for (const f of files) {
        const gz = join(tmp, `${f.split('/').pop()!}.gz`);
        // Level 0: stored blocks, so the inflater's input is as large as its output and chunks queue up.
        writeFileSync(gz, gzipSync(readFileSync(f), { level: 0 }));
        const c = await indexOf(gz);
        expect(c.summary.gzip, gz).toBe(true);
        expect(rows(c), gz).toEqual(rows(await indexOf(f)));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

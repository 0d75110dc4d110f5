/** The order of layer stacks in `stats`: localeCompare's, without its collator. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexFile } from '../analyze/read-pool';
import { SAMPLE_CAPTURES_DIR } from '../lab/samples';
import { LAYERS } from '../protocols/layers';
import { comparePaths } from './stats';

describe('comparePaths', () => {
  it("orders every sample's layer stacks, and every two kinds stacked, as localeCompare does", async () => {
    const files = readdirSync(SAMPLE_CAPTURES_DIR, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(pcapng|pcap)$/i.test(f))
      .map((f) => join(SAMPLE_CAPTURES_DIR, f));
    const paths = new Set<string>();
    for (const f of files) for (const s of (await indexFile(f)).shapes) paths.add(s.path);
    const shorts = [...new Set(Object.values(LAYERS).map((l) => l.short))];
    for (const a of shorts) {
      paths.add(a);
      for (const b of shorts) paths.add(`${a}:${b}`);
    }
    expect(paths.has('sll:ipv4') && paths.has('sll2:ipv4')).toBe(true);
    const list = [...paths];
    let pairs = 0;
    for (const a of list)
      for (const b of list) {
        expect(Math.sign(comparePaths(a, b)), `${a} vs ${b}`).toBe(Math.sign(a.localeCompare(b)));
        pairs++;
      }
    expect(pairs).toBeGreaterThan(10_000);
  });
});

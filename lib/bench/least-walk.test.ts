import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { identityHi, identityLo } from '../correlate/identity';
import { emptyRow } from '../decode/packet-index';
import { leastWalk } from './least-walk';

const SAMPLE = path.join(import.meta.dirname, '..', '..', 'sample-captures', 'vxlan-forward-drop');

async function sampleCaptures() {
  const files = readdirSync(SAMPLE)
    .filter((f) => /\.pcap(ng)?$/.test(f) && f !== 'all-interfaces.pcapng')
    .map((f) => path.join(SAMPLE, f));
  const { inputs } = await loadInputs(files, new Map());
  return inputs.map((i) => i.capture);
}

describe('leastWalk', () => {
  it("walks every row of every capture once and meets each distinct identity once", async () => {
    const captures = await sampleCaptures();
    expect(captures.length).toBeGreaterThan(4);
    // Counted here row by row, capture by capture: the walk takes them in time order instead.
    const row = emptyRow();
    const seen = new Set<string>();
    let rows = 0;
    for (const c of captures) {
      for (let r = 0; r < c.index.count; r++, rows++) {
        c.index.read(r, row);
        seen.add(`${identityHi(row) | 0},${identityLo(row) | 0}`);
      }
    }
    const w = leastWalk(captures, 2);
    expect(w.rows).toBe(rows);
    expect(w.identities).toBe(seen.size);
    // The same packet at several points is one identity: fewer identities than rows.
    expect(w.identities).toBeLessThan(rows);
    expect(w.seconds).toBeGreaterThan(0);
  });

  it('finds the same identities whatever order the captures come in', async () => {
    const captures = await sampleCaptures();
    const forward = leastWalk(captures, 1);
    const backward = leastWalk([...captures].reverse(), 1);
    expect(backward.identities).toBe(forward.identities);
    expect(backward.rows).toBe(forward.rows);
  });

  it('walks nothing when there is nothing', () => {
    expect(leastWalk([], 1)).toMatchObject({ rows: 0, identities: 0 });
  });
});

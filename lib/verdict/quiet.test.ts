/**
 * Evidence.quiet says from the point masks alone that a step loses nothing, so the rules skip
 * working the step out (missedNote on every healthy flow). It must never say so of a step
 * where something is missing: on every sample incident, each step it calls quiet is empty
 * when worked out in full.
 */
import { describe, expect, it } from 'vitest';
import { correlateSample, scenarios } from '../testing/scenarios';
import { gatherEvidence } from './evidence';

describe('Evidence.quiet', () => {
  it('is true only of steps that lose, miss and leave out nothing, on every sample incident', async () => {
    let quiet = 0;
    let loud = 0;
    for (const { dir: folder } of scenarios()) {
      const c = await correlateSample(folder);
      const offsets = c.points.map((p) => c.clocks.get(p.host)?.offsetNs ?? 0);
      for (const f of c.flows) {
        const ev = gatherEvidence(f, c, (p) => offsets[p.id]!);
        for (const dir of ['requests', 'replies'] as const) {
          const order = dir === 'requests' ? ev.stations : ev.repStations;
          const groups = dir === 'requests' ? f.requests : f.replies;
          for (let k = 0; k + 1 < order.length; k++) {
            // Worked out apart from the masks' shortcut: packets seen at this station, not the next.
            const missing = Array.from(groups).filter((g) => c.groups.seenAt(g, order[k]!) && !c.groups.seenAt(g, order[k + 1]!));
            if (ev.quiet(dir, k)) {
              quiet++;
              expect(missing, `${dir} step ${k} of flow ${f.id} in ${folder}`).toEqual([]);
              const s = ev.step(dir, k);
              expect(s.lost.length + s.missed.length + s.outside.length).toBe(0);
            } else if (missing.length > 0) loud++;
          }
        }
      }
    }
    // Both kinds were met: the samples hold healthy steps and lossy ones.
    expect(quiet).toBeGreaterThan(100);
    expect(loud).toBeGreaterThan(10);
  });
});

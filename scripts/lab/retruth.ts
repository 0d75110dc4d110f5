/**
 * Recompute every sample's `flows[]` and `healthy[]` requests/replies/icmpErrors from its committed captures
 * with the lab's matcher (lib/lab/ground-truth.ts), after the matcher learned something new.
 * The captures are not touched; `samples.test.ts` checks the result the same way.
 *   npx tsx scripts/lab/retruth.ts [SCENARIO...]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listScenarios, observeAll, observeScenario, SAMPLE_CAPTURES_DIR } from '../../lib/lab/samples';
import type { ScenarioFile } from '../../lib/lab/scenario';

const only = process.argv.slice(2);
for (const name of await listScenarios()) {
  if (only.length > 0 && !only.includes(name)) continue;
  const path = join(SAMPLE_CAPTURES_DIR, name, 'scenario.json');
  const s = JSON.parse(await readFile(path, 'utf8')) as ScenarioFile;
  const observed = await observeScenario(s);
  let changed = false;
  s.flows.forEach((f, i) => {
    const o = observed[i]!;
    for (const k of ['requests', 'replies', 'icmpErrors'] as const) {
      if (JSON.stringify(f[k]) !== JSON.stringify(o[k])) {
        (f as unknown as Record<string, unknown>)[k] = o[k];
        changed = true;
      }
    }
  });
  if (s.healthy) {
    const all = await observeAll(s);
    s.healthy.forEach((f, i) => {
      const o = all.healthy[i]!;
      for (const k of ['requests', 'replies', 'icmpErrors'] as const) {
        if (JSON.stringify(f[k]) !== JSON.stringify(o[k])) {
          (f as unknown as Record<string, unknown>)[k] = o[k];
          changed = true;
        }
      }
    });
  }
  if (changed) await writeFile(path, `${JSON.stringify(s, null, 2)}\n`);
  console.log(`${name}: ${changed ? 'rewritten' : 'unchanged'}`);
}

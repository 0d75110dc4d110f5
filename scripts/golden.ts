/** Rewrites lib/testing/golden/: `npx tsx scripts/golden.ts [--only NAME-SUBSTRING]`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_DIR, goldenCases, goldenReport } from '../lib/testing/golden';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
let n = 0;
for (const c of goldenCases()) {
  if (only && !c.name.includes(only)) continue;
  const out = await goldenReport(c);
  writeFileSync(join(GOLDEN_DIR, `${c.name}.json`), JSON.stringify({ files: c.files, ...out }, null, 1) + '\n');
  n++;
}
console.log(`wrote ${n} golden reports to ${GOLDEN_DIR}`);

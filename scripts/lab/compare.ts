/**
 * Compare freshly recorded scenarios with the committed ones: for every flow, the client's
 * outcome, the last capture point each direction reached, the set of points that saw it and the
 * ICMP errors must be the same (packet counts and ISNs may differ between runs). The fresh
 * scenario.json is also checked against its own captures.
 *
 *   npx tsx scripts/lab/compare.ts COMMITTED_DIR FRESH_DIR name…
 */
import { compareStories, listScenarios, loadScenario, observeScenario } from '../../lib/lab/samples';

async function main(): Promise<number> {
  const [committedDir, freshDir, ...rest] = process.argv.slice(2);
  if (!committedDir || !freshDir) {
    console.error('usage: compare.ts COMMITTED_DIR FRESH_DIR [name…]');
    return 2;
  }
  const names = rest.length ? rest : await listScenarios(freshDir);
  let failures = 0;
  for (const name of names) {
    const committed = await loadScenario(name, committedDir);
    const fresh = await loadScenario(name, freshDir);
    const diffs = compareStories(committed, fresh);
    const observed = await observeScenario(fresh, freshDir);
    for (const [i, f] of fresh.flows.entries()) {
      const o = observed[i]!;
      if (JSON.stringify([o.requests, o.replies, o.icmpErrors]) !== JSON.stringify([f.requests, f.replies, f.icmpErrors])) {
        diffs.push(`${name}/${f.id}: the fresh scenario.json does not match its own captures`);
      }
    }
    if (diffs.length) {
      failures++;
      console.log(`FAIL ${name}\n${diffs.join('\n')}`);
    } else {
      console.log(`ok   ${name}: ${fresh.flows.map((f) => `${f.id} → ${f.requests.lastReached ?? '-'} / ${f.replies.lastReached ?? '-'}`).join(', ')}`);
    }
  }
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);

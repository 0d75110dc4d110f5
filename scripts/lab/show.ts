/**
 * Print what each recorded scenario shows: per flow, how many requests and replies every
 * capture point saw, in path order, and the ICMP errors.
 *
 *   npx tsx scripts/lab/show.ts [--dir sample-captures] [--sizes] [name…]
 */
import { listScenarios, loadScenario, SAMPLE_CAPTURES_DIR } from '../../lib/lab/samples';

async function main(): Promise<void> {
  const sizes = process.argv.includes('--sizes');
  const args = process.argv.slice(2).filter((a) => a !== '--sizes');
  const di = args.indexOf('--dir');
  const dir = di >= 0 ? args[di + 1]! : SAMPLE_CAPTURES_DIR;
  const wanted = args.filter((_, i) => di < 0 || (i !== di && i !== di + 1));
  const names = wanted.length ? wanted : await listScenarios(dir);
  for (const name of names) {
    const s = await loadScenario(name, dir);
    console.log(`\n${s.name} — ${s.title}`);
    if (s.fault) console.log(`  fault on ${s.fault.node}: ${s.fault.commands.map((c) => `[${c.host}] ${c.command}`).join('; ')}`);
    for (const f of s.flows) {
      const col = (r: Record<string, number>): string => f.path.map((p) => String(r[p] ?? 0)).join(' ');
      console.log(`  ${f.id} (${f.clientResult.outcome}${f.clientResult.detail ? `: ${f.clientResult.detail}` : ''})`);
      console.log(`    path      ${f.path.join(' → ')}`);
      console.log(`    requests  ${col(f.requests.seenAt)}   last: ${f.requests.lastReached ?? '-'}`);
      console.log(`    replies   ${col(f.replies.seenAt)}   last: ${f.replies.lastReached ?? '-'}`);
      if (sizes) {
        console.log(`    largest → ${col(f.requests.largestAt)}`);
        console.log(`    largest ← ${col(f.replies.largestAt)}`);
      }
      const off = [...Object.keys(f.requests.seenAt), ...Object.keys(f.replies.seenAt)].filter((p) => !f.path.includes(p));
      if (off.length) console.log(`    off path  ${[...new Set(off)].join(', ')}`);
      for (const e of f.icmpErrors) {
        console.log(`    icmp ${e.type}/${e.code}${e.mtu !== undefined ? ` mtu ${e.mtu}` : ''} ${e.from} → ${e.to} about the ${e.about}: ${col(e.seenAt)}${Object.keys(e.seenAt).some((p) => !f.path.includes(p)) ? ` (+ ${JSON.stringify(e.seenAt)})` : ''}`);
      }
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

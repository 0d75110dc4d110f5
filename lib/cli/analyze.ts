/** `hopscope analyze PATH... [--json] [--label FILE=NODE/INTERFACE]` */
import { analyze, type AnalysisReport } from '../analyze';
import { baseName } from '../util/names';
import { expand, loadInputs } from '../analyze/files';
import { openBundles } from './bundles';
import { parseLabelArg, parseRoleArg } from '../correlate/labels';
import type { InterfaceRole } from '../protocols/devices';
import { reportJson } from '../report/report-json';
import { checksInOrder } from '../report/markdown';
import { quoteCutNote } from '../verdict/evidence';
import { noEvidenceAt } from '../verdict/verdict';

const ms = (ns: number) => `${(ns / 1e6).toFixed(3)} ms`;

export function formatReport(r: AnalysisReport): string {
  const out: string[] = [];
  out.push('Captures');
  for (const c of r.captures) {
    out.push(`  ${`${c.node}/${c.interface}`.padEnd(28)} ${String(c.packets).padStart(7)} packets  ${c.file}${c.parts ? ` and ${c.parts.length - 1} more of its files (${c.parts.slice(1).map(baseName).join(', ')})` : ''}`);
  }
  out.push('Clocks');
  for (const c of r.clocks) {
    out.push(`  ${c.node.padEnd(16)} ${c.method === 'reference' ? 'reference' : `${c.offsetNs >= 0 ? '+' : ''}${ms(c.offsetNs)} (${c.method}, ${c.samples} packets${c.base ? `; against ${c.base}'s clock` : ''})`}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  r.flows.forEach((f, i) => {
    const endpoint = (a: string, p: number | null) => (p === null ? a : `${a}:${p}`);
    out.push('');
    out.push(
      `Flow ${i + 1}: ${f.protocol.toUpperCase()} ${endpoint(f.client, f.clientPort)} → ${endpoint(f.server, f.serverPort)}${f.icmpId !== null ? ` (echo id ${f.icmpId})` : ''} — ${f.verdict.kind.toUpperCase()}`,
    );
    out.push(`  ${f.verdict.summary}`);
    for (const t of f.translations) out.push(`  ${t.kind} at ${t.at}: ${t.from}  ⇒  ${t.to}`);
    const wire = [...new Set(f.encapsulation.map((e) => `${e.text} between ${e.outerSrc} and ${e.outerDst}`))];
    for (const w of wire) out.push(`  on the underlay: ${w}`);
    out.push(`  ${'capture point'.padEnd(28)} ${'requests'.padStart(8)} ${'replies'.padStart(8)}`);
    for (const h of f.hops) out.push(`  ${`${h.node}/${h.interface}`.padEnd(28)} ${noEvidenceAt(h) ? `(${noEvidenceAt(h)})`.padStart(17) : `${String(h.requests).padStart(8)} ${String(h.replies).padStart(8)}`}`);
    for (const u of f.notCaptured) out.push(`  ${`${u.node}/${u.interface}`.padEnd(28)} ${'(not captured)'.padStart(17)}`);
    if (f.offPath.length > 0) out.push(`  not on its path: ${f.offPath.map((o) => `${o.node}/${o.interface} (${o.why})`).join(', ')}`);
    if (f.checks.length > 0) {
      out.push("  checked on the nodes' recorded state:");
      for (const c of checksInOrder(f.checks)) out.push(`    ${c.status.toUpperCase().padEnd(13)} ${c.node}: ${c.cause} — ${c.evidence}`);
    }
    for (const e of f.icmpErrors) out.push(`  ICMP ${e.meaning} from ${e.from} seen at ${e.at}${e.mtu ? ` (MTU ${e.mtu})` : ''} ×${e.count}${quoteCutNote(e)}`);
    out.push(`  why: rule ${f.verdict.rule.name}; ${f.verdict.rule.evidence.join('; ')}`);
    if (f.verdict.causes.length > 0) {
      out.push('  likely causes, and what to check:');
      for (const c of f.verdict.causes) {
        out.push(`    - ${c.text}`);
        out.push(`        $ ${c.check}`);
      }
    }
  });
  return out.join('\n') + '\n';
}


export async function analyzeCommand(args: string[]): Promise<number> {
  const labels = new Map<string, { node: string; interface: string }>();
  const roles = new Map<string, InterfaceRole>();
  const paths: string[] = [];
  let json = false;
  let bench = false;
  let least = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--bench') bench = true;
    else if (a === '--least-walk') least = true;
    else if (a === '--label') {
      const l = parseLabelArg(args[++i] ?? '');
      labels.set(l.file, { node: l.node, interface: l.interface });
    } else if (a.startsWith('--label=')) {
      const l = parseLabelArg(a.slice('--label='.length));
      labels.set(l.file, { node: l.node, interface: l.interface });
    } else if (a === '--role' || a.startsWith('--role=')) {
      const r = parseRoleArg(a === '--role' ? (args[++i] ?? '') : a.slice('--role='.length));
      roles.set(r.point, r.role);
    } else if (a.startsWith('--')) throw new Error(`analyze: unknown option ${a}`);
    else paths.push(a);
  }
  if (paths.length === 0) throw new Error('analyze needs capture files or folders');
  const t0 = process.hrtime.bigint();
  const bundles = openBundles(paths);
  const { inputs, errors, links } = await loadInputs(expand(bundles.paths, { links: true }), labels);
  const t1 = process.hrtime.bigint();
  const readRssBytes = bench ? process.memoryUsage.rss() : 0;
  for (const e of errors) process.stderr.write(`hopscope: ${e}\n`);
  if (inputs.length === 0) {
    process.stderr.write('hopscope: no readable capture among the inputs\n');
    return 1;
  }
  const { report } = analyze(inputs, { links, roles, nodeStates: bundles.states });
  const t2 = process.hrtime.bigint();
  if (bench) {
    const packets = inputs.reduce((n, i) => n + i.capture.index.count, 0);
    const bytes = inputs.reduce((n, i) => n + i.capture.summary.bytes, 0);
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    // After the analysis, and after its peak memory is read: the least walk (bench/least-walk.ts).
    const leastWalkSeconds = least ? (await import('../bench/least-walk')).leastWalk(inputs.map((i) => i.capture)).seconds : undefined;
    process.stdout.write(
      JSON.stringify({
        files: inputs.length,
        packets,
        bytes,
        flows: report.flows.length,
        readSeconds: Number(t1 - t0) / 1e9,
        analyzeSeconds: Number(t2 - t1) / 1e9,
        seconds: Number(t2 - t0) / 1e9,
        peakRssBytes,
        // Resident once every file is read and indexed, and the indexes' own size: what the
        // analysis adds is at most the peak less the first, set against the second.
        readRssBytes,
        indexBytes: inputs.reduce((n, i) => n + i.capture.index.allocatedBytes, 0),
        leastWalkSeconds,
      }) + '\n',
    );
    return 0;
  }
  process.stdout.write(json ? JSON.stringify(reportJson(report), null, 2) + '\n' : formatReport(report));
  // The analysis ran: exit 0 even when a file was skipped (stderr names it and why).
  return 0;
}

/**
 * `npx hopscope <command>`: the terminal face of lib/. Each command is a thin shell over the
 * same modules the app runs in the browser.
 */
import { readCaptureFile } from '../capture/node';
import { CaptureFormatError } from '../capture/errors';
import { CaptureIndexer } from '../decode/capture-index';
import { INDEX_BYTES_PER_PACKET } from '../decode/packet-index';
import { captureStats, hierarchyTree, type CaptureStats } from '../decode/stats';

const USAGE = `usage: hopscope <command> [options] FILE...

commands:
  stats FILE...     packets, bytes, time range, link types, interfaces and the protocol
                    hierarchy of each capture (pcap, pcapng, .gz)
                    --json   one JSON document instead of text
                    --bench  also print one JSON line of throughput figures (for npm run bench)
  analyze PATH...   follow every packet across the captures of one incident (files or
                    folders) and say where requests or replies stop, and why
                    --json   the report as one JSON document (schema in the README)
                    --label FILE=NODE/INTERFACE   name a capture point explicitly
  share PATH...     upload one incident's captures (files or folders) to a Hopscope server
                    and print the link, then the delete token and command
                    --server URL     the server (default $HOPSCOPE_SERVER, else http://localhost:3000)
                    --headers-only   cut every packet after its innermost transport header first
                    --title T        --notes FILE (Markdown; - reads stdin)
                    --label FILE=NODE/INTERFACE   name a capture point explicitly
  kit --pod IP...   write hopscope-kit.sh: run as root on each node, it captures every hop of
                    the pods' traffic at once and records the node's network state
                    --port N  --seconds N (60)  --ring-mb N (100)  -o FILE (- for stdout)
                    --kubectl  a --pod that is [namespace/]name is looked up with kubectl
                               (its addresses and node; --context NAME picks the cluster)
  fields FILE...    one tab-separated row per frame with tshark's columns (see README)
  bench             the benchmark: generate (once) and read a 1,000,000-packet capture
  help              this text
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'stats':
        return await statsCommand(rest);
      case 'analyze':
        return await (await import('./analyze')).analyzeCommand(rest);
      case 'share':
        return await (await import('./share')).shareCommand(rest);
      case 'kit':
        return await (await import('./kit')).kitCommand(rest);
      case 'fields':
        return await (await import('./fields')).fieldsCommand(rest);
      case 'bench': {
        const { main: bench } = await import('../bench/run');
        return (await bench(rest)) ?? 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        process.stderr.write(`hopscope: unknown command '${cmd}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    process.stderr.write(`hopscope: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function splitArgs(args: string[]): { flags: Set<string>; files: string[] } {
  const flags = new Set<string>();
  const files: string[] = [];
  for (const a of args) {
    if (a.startsWith('--')) flags.add(a);
    else files.push(a);
  }
  return { flags, files };
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function printStats(s: CaptureStats): void {
  const out: string[] = [];
  out.push(`${s.fileName}: ${s.format}${s.gzip ? ' (gzip)' : ''}, ${fmtInt(s.packets)} packet${s.packets === 1 ? "" : "s"}, ${fmtInt(s.bytes)} bytes`);
  out.push(`  time        ${s.firstTs ?? '-'} → ${s.lastTs ?? '-'}`);
  out.push(`  link types  ${s.linkTypes.map((l) => `${l.name} [${l.linkType}]: ${fmtInt(l.packets)}`).join(', ') || '-'}`);
  if (s.interfaces.some((i) => i.name)) {
    out.push(`  interfaces  ${s.interfaces.map((i) => `${i.id}: ${i.name ?? '?'}${i.description ? ` (${i.description})` : ''}`).join(', ')}`);
  }
  out.push('  protocol hierarchy (packets, bytes)');
  for (const n of hierarchyTree(s.hierarchy)) {
    out.push(`    ${'  '.repeat(n.depth)}${n.name.padEnd(Math.max(1, 28 - 2 * n.depth))} ${String(n.packets).padStart(10)} ${String(n.bytes).padStart(14)}`);
  }
  out.push('  layer stacks');
  for (const h of s.hierarchy) out.push(`    ${h.path} ${h.packets}`);
  for (const w of s.warnings) out.push(`  warning: ${w}`);
  process.stdout.write(out.join('\n') + '\n');
}

async function statsCommand(args: string[]): Promise<number> {
  const { flags, files } = splitArgs(args);
  if (files.length === 0) throw new Error('stats needs at least one capture file');
  const all: CaptureStats[] = [];
  let failed = 0;
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let packets = 0;
  let indexBytes = 0;
  for (const file of files) {
    try {
      const indexer = new CaptureIndexer();
      const summary = await readCaptureFile(file, indexer);
      const captured = indexer.finish(summary);
      bytes += summary.bytes;
      packets += captured.index.count;
      indexBytes += captured.index.allocatedBytes;
      const stats = captureStats(captured);
      all.push(stats);
      if (!flags.has('--json')) printStats(stats);
    } catch (e) {
      if (!(e instanceof CaptureFormatError) && !(e instanceof Error && 'code' in e && (e as NodeJS.ErrnoException).code === 'ENOENT')) throw e;
      failed++;
      process.stderr.write(`hopscope: ${(e as Error).message}\n`);
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (flags.has('--json')) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
  if (flags.has('--bench')) {
    const peakRssBytes = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(
      JSON.stringify({
        bytes,
        packets,
        seconds,
        peakRssBytes,
        indexBytesPerPacket: INDEX_BYTES_PER_PACKET,
        indexAllocatedBytes: indexBytes,
      }) + '\n',
    );
  }
  return failed > 0 ? 1 : 0;
}

/** `hopscope stats FILE...`: what each capture holds, and with --bench the reading speed. */
import { CaptureFormatError } from '../capture/errors';
import { indexFiles } from '../analyze/read-pool';
import { captureArgs } from './capture-args';
import { INDEX_BYTES_PER_PACKET } from '../decode/packet-index';
import { captureStats, hierarchyTree, type CaptureStats } from '../decode/stats';
// Not toLocaleString: its first call builds ICU's number formatter, 19 ms of a stats run.
import { formatCount } from '../util/count-format';

function splitArgs(args: string[]): { flags: Set<string>; files: string[] } {
  const flags = new Set<string>();
  const files: string[] = [];
  for (const a of args) {
    if (a.startsWith('--')) flags.add(a);
    else files.push(a);
  }
  return { flags, files };
}

function printStats(s: CaptureStats): void {
  const out: string[] = [];
  out.push(`${s.fileName}: ${s.format}${s.gzip ? ' (gzip)' : ''}, ${formatCount(s.packets)} packet${s.packets === 1 ? "" : "s"}, ${formatCount(s.bytes)} bytes`);
  out.push(`  time        ${s.firstTs ?? '-'} → ${s.lastTs ?? '-'}`);
  out.push(`  link types  ${s.linkTypes.map((l) => `${l.name} [${l.linkType}]: ${formatCount(l.packets)}`).join(', ') || '-'}`);
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

export async function statsCommand(args: string[]): Promise<number> {
  const { flags, files: paths } = splitArgs(args);
  const { files, failed: unread } = captureArgs('stats', paths);
  const indexed = flags.has('--index');
  const all: CaptureStats[] = [];
  let failed = unread;
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let packets = 0;
  let indexBytes = 0;
  // Read by the read pool (read-pool.ts); printed in the order given, each as soon as it and those before are done.
  // The counts printed need no packet's row: none is kept (0.75× the wall time on the bench's
  // 852 MB capture, 63 against 108 MiB), unless --index asks for the index analyze builds,
  // which `npm run bench` times as reading and indexing alone.
  await indexFiles(files, ({ capture, error }) => {
    if (error) {
      if (!(error instanceof CaptureFormatError) && !('code' in error && (error as NodeJS.ErrnoException).code === 'ENOENT')) throw error;
      failed++;
      process.stderr.write(`hopscope: ${error.message}\n`);
      return;
    }
    bytes += capture!.summary.bytes;
    packets += capture!.index.count;
    indexBytes += capture!.index.allocatedBytes;
    const stats = captureStats(capture!);
    all.push(stats);
    if (!flags.has('--json')) printStats(stats);
  }, { rows: indexed });
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
        // Counted only, there is no index: none of its bytes.
        indexBytesPerPacket: indexed ? INDEX_BYTES_PER_PACKET : 0,
        indexAllocatedBytes: indexBytes,
      }) + '\n',
    );
  }
  return failed > 0 ? 1 : 0;
}

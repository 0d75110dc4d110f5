/**
 * `hopscope bench`: read the generated benchmark capture with `hopscope stats --bench` in a
 * fresh process (so its peak RSS is its own), hold its figures against the targets, and time
 * tcpdump and tshark on the same bytes for scale. Then analyse the generated incident (eight
 * capture points of a two-node flannel cluster, about as many packets in all) against decoding
 * the same eight files alone, and say whether the analysis found what was generated.
 *
 *   --packets N    capture and incident size (default 1,000,000; HOPSCOPE_BENCH_PACKETS also sets it)
 *   --skip-tools   do not time tcpdump and tshark
 *   --browser-packets N   the browser's incident (default 3,800,000 packets, ~2 GB; generated once)
 *   --skip-browser do not run the browser (it needs `npm run build` and a Chromium)
 *
 * Returns 0 when every target passes, 1 when one fails, 2 when the run itself failed.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../analyze';
import { browserBench } from './browser';
import { expand, loadInputs } from '../analyze/files';
import { BENCH_DATA_DIR, BENCH_GENERATOR_VERSION, DEFAULT_BENCH_PACKETS, ensureBenchCapture, type BenchCapture } from './generate';
import { ensureBenchIncident, INCIDENT_GENERATOR_VERSION, type BenchIncident } from './incident';
import { BROKEN_STOP, judge, type Judgement } from './incident/judge';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'hopscope.js');
/** tshark dissects every layer and keeps per-frame state: minutes for the full file, so time a prefix. */
const TSHARK_PREFIX_PACKETS = 100_000;
const MB = 1e6;
const MIB = 1024 * 1024;

export const TARGETS = {
  /** ≥ 1 GB/s streaming. */
  minMegabytesPerSecond: 1000,
  maxPeakRssMiB: 200,
  maxIndexBytesPerPacket: 48,
  /** Analysing the realistic incident (8 captures, 1M packets in all), and the single capture, takes at most 1.5× decoding them alone. */
  maxAnalyzeOverDecode: 1.5,
  /** `hopscope stats` from process start to exit: one large capture, and the incident's files together. */
  minEndToEndMegabytesPerSecond: 1500,
  minEndToEndMultiFileMegabytesPerSecond: 3000,
  /** What analysing adds to reading (analyze's peak RSS less its RSS once the files are read) against the index it reads. */
  maxAnalysisMemoryOverIndex: 2,
  /** `hopscope --help`, process start to exit (the compiled CLI: no TypeScript compiler at start). */
  maxStartupMs: 150,
  /** The browser, from the files handed to the page to the verdict, against `hopscope analyze` on the same incident. */
  maxBrowserOverCli: 1.5,
  maxBrowserMemoryMiB: 2048,
  /** The page's main thread is never held longer than this. */
  maxLongTaskMs: 100,
} as const;

/** The small incident the browser is also timed on: a sample's ten files, a few kilobytes each. */
const SMALL_SAMPLE = 'vxlan-forward-drop';

/** The browser's incident: about 2 GB. */
const BROWSER_PACKETS = 3_800_000;

/** Runs of `hopscope --help` timed for the start-up figure (one more first, not counted: it may compile). */
const STARTUP_RUNS = 11;

/**
 * A program that only reads the files it is given, one after another into one reused 4 MB buffer,
 * and decodes nothing: from its start to its exit, the floor under `stats`' time on this machine.
 */
const READ_ONLY_PROGRAM =
  "const fs=require('fs');const b=Buffer.allocUnsafe(4<<20);for(const f of process.argv.slice(1)){const d=fs.openSync(f,'r');while(fs.readSync(d,b,0,b.length,null)>0);fs.closeSync(d);}";

/** The median wall time of `node ARGS` over `runs` runs, in seconds, process start to exit, after `warm` runs not counted. */
async function nodeSeconds(args: string[], runs: number, warm = 0): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warm + runs; i++) {
    const r = await run(process.execPath, args, false);
    if (r.code !== 0) throw new Error(`node ${args.slice(0, 2).join(' ')} exited with ${r.code ?? r.signal}: ${r.stderr}`);
    if (i >= warm) times.push(r.seconds);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The median wall time, in seconds, of READ_ONLY_PROGRAM on `files`, process start to exit. */
const readOnlySeconds = (files: string[]) => nodeSeconds(['-e', READ_ONLY_PROGRAM, ...files], RUNS);

/** The median wall time of `node ARGS`, in milliseconds (the first run, which may compile, not counted). */
const startupMs = async (args: string[]) => (await nodeSeconds(args, STARTUP_RUNS, 1)) * 1000;

export function startupCheck(ms: number): Check {
  return { name: 'start-up', value: ms, unit: 'ms', target: `≤ ${TARGETS.maxStartupMs} ms`, pass: ms <= TARGETS.maxStartupMs };
}

/** The JSON line `hopscope stats --bench` prints last. */
export interface StatsBenchFigures {
  bytes: number;
  packets: number;
  seconds: number;
  peakRssBytes: number;
  indexBytesPerPacket: number;
  [extra: string]: unknown;
}

export interface Check {
  name: string;
  value: number;
  unit: string;
  target: string;
  pass: boolean;
}

export interface ToolTiming {
  name: string;
  command: string;
  /** Bytes of the file the tool actually read. */
  bytes: number;
  packets: number;
  seconds: number;
  megabytesPerSecond: number;
  /** True when timed on a prefix and scaled to the full file. */
  extrapolated: boolean;
  /** Estimated seconds for the full benchmark file. */
  fullFileSeconds: number;
}

const REQUIRED_FIELDS = ['bytes', 'packets', 'seconds', 'peakRssBytes', 'indexBytesPerPacket'] as const;

/** Parses the last non-empty line of the stats command's stdout. */
export function parseStatsOutput(stdout: string): StatsBenchFigures {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error('hopscope stats --bench printed nothing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`the last line of hopscope stats --bench is not JSON: ${last.slice(0, 200)}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`expected a JSON object, got ${last.slice(0, 200)}`);
  const record = parsed as Record<string, unknown>;
  for (const field of REQUIRED_FIELDS) {
    if (typeof record[field] !== 'number' || !Number.isFinite(record[field])) {
      throw new Error(`hopscope stats --bench: field "${field}" missing or not a number in ${last.slice(0, 200)}`);
    }
  }
  return record as StatsBenchFigures;
}

export function evaluate(f: StatsBenchFigures): Check[] {
  const mbps = f.seconds > 0 ? f.bytes / MB / f.seconds : Infinity;
  const rss = f.peakRssBytes / MIB;
  return [
    { name: 'throughput', value: mbps, unit: 'MB/s', target: `≥ ${TARGETS.minMegabytesPerSecond} MB/s`, pass: mbps >= TARGETS.minMegabytesPerSecond },
    { name: 'peak RSS', value: rss, unit: 'MiB', target: `< ${TARGETS.maxPeakRssMiB} MiB`, pass: rss < TARGETS.maxPeakRssMiB },
    {
      name: 'index',
      value: f.indexBytesPerPacket,
      unit: 'B/packet',
      target: `≤ ${TARGETS.maxIndexBytesPerPacket} B/packet`,
      pass: f.indexBytesPerPacket <= TARGETS.maxIndexBytesPerPacket,
    },
  ];
}

/** `hopscope stats` from process start to exit, in MB/s: `name` is 'with start' (one file) or 'multi-file'. */
export function endToEndCheck(name: 'with start' | 'multi-file', bytes: number, wallSeconds: number): Check {
  const mbps = wallSeconds > 0 ? bytes / MB / wallSeconds : Infinity;
  const min = name === 'multi-file' ? TARGETS.minEndToEndMultiFileMegabytesPerSecond : TARGETS.minEndToEndMegabytesPerSecond;
  return { name, value: mbps, unit: 'MB/s', target: `≥ ${min} MB/s`, pass: mbps >= min };
}

/**
 * The memory analysing adds to reading, against the size of the index it reads: `analyze`'s peak
 * RSS less its RSS once every file was read (an upper bound: a peak while reading counts too).
 */
export function analysisMemoryCheck(name: string, peakRssBytes: number, readRssBytes: number, indexBytes: number): Check {
  const ratio = Math.max(0, peakRssBytes - readRssBytes) / indexBytes;
  return { name, value: ratio, unit: '× index', target: `≤ ${TARGETS.maxAnalysisMemoryOverIndex} × index`, pass: ratio <= TARGETS.maxAnalysisMemoryOverIndex };
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command; stdout is kept only when asked (tcpdump's goes to /dev/null, as in the shell). */
function run(command: string, args: string[], keepStdout: boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'], cwd: REPO_ROOT });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      }),
    );
  });
}

async function timeTool(name: string, file: BenchCapture, full: BenchCapture): Promise<ToolTiming | string> {
  const args = ['-r', file.path, '-n'];
  let result: RunResult;
  try {
    result = await run(name, args, false);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `${name} not installed`;
    throw e;
  }
  if (result.code !== 0) return `${name} failed (${result.code ?? result.signal}): ${result.stderr.trim().split('\n').pop() ?? ''}`;
  const megabytesPerSecond = file.bytes / MB / result.seconds;
  return {
    name,
    command: `${name} ${args.join(' ')} > /dev/null`,
    bytes: file.bytes,
    packets: file.packets,
    seconds: result.seconds,
    megabytesPerSecond,
    extrapolated: file.path !== full.path,
    fullFileSeconds: full.bytes / MB / megabytesPerSecond,
  };
}

function packetCount(args: string[]): number {
  const i = args.indexOf('--packets');
  const raw = i >= 0 ? args[i + 1] : process.env.HOPSCOPE_BENCH_PACKETS;
  if (raw === undefined || raw === '') return DEFAULT_BENCH_PACKETS;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench: packet count must be a positive integer, got "${raw}"`);
  return n;
}

const RUNS = 3;

/** Runs of one command, the median one and all of them, each with its wall time from process start to exit. */
interface MedianRun<T> {
  median: T & { wallSeconds: number };
  all: (T & { wallSeconds: number })[];
}

/** The figures a `--bench` run prints on its last line. */
function lastJsonLine(stdout: string): Record<string, number> & { seconds: number } {
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number> & { seconds: number };
}

/**
 * `hopscope CMD` RUNS times, each in a fresh process (one run on a 2-core machine is at the
 * mercy of whatever else is running; hyperfine does the same): the run with the median of `by`,
 * its in-process seconds or its wall time, as the check that reads it needs.
 */
async function medianRun<T extends { seconds: number }>(cmd: string[], parse: (stdout: string) => T, by: 'seconds' | 'wallSeconds' = 'seconds'): Promise<MedianRun<T>> {
  const all: (T & { wallSeconds: number })[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await run(process.execPath, [CLI, ...cmd], true);
    if (r.code !== 0) throw new Error(`hopscope ${cmd.join(' ')} exited with ${r.code ?? r.signal}: ${r.stderr}`);
    try {
      all.push({ ...parse(r.stdout), wallSeconds: r.seconds });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${r.stderr}`);
    }
  }
  const sorted = [...all].sort((a, b) => a[by] - b[by]);
  return { median: sorted[Math.floor(sorted.length / 2)]!, all };
}

/** Analyses the incident once more, in this process, and holds the verdicts against the truth. */
async function judgeIncident(incident: BenchIncident): Promise<Judgement> {
  const { inputs } = await loadInputs(expand([incident.dir]), new Map());
  return judge(analyze(inputs).report, incident.manifest.brokenFlow.clientPort);
}

export function verdictLines(j: Judgement): string[] {
  const lines = [
    `verdicts     broken flow ${j.broken ? j.broken.text : 'not found'}: ${j.brokenOk ? `found, stops after ${BROKEN_STOP} as generated` : `WRONG (generated: request-dropped after ${BROKEN_STOP})`}`,
    `             pod to pod across nodes: ${j.podToPod.delivered} of ${j.podToPod.total} delivered; other flows: ${j.other.delivered} of ${j.other.total} delivered (all are healthy)`,
  ];
  for (const w of [...j.podToPod.wrong, ...j.other.wrong].slice(0, 8)) lines.push(`             misjudged: ${w.text}`);
  const more = j.podToPod.wrong.length + j.other.wrong.length - 8;
  if (more > 0) lines.push(`             … and ${more} more misjudged (results.json lists them)`);
  return lines;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
/** One check as the bench prints it: name, value, target, PASS or FAIL. */
const checkLine = (c: Check, digits = 1) => `    ${c.name.padEnd(12)} ${`${fmt(c.value, digits)} ${c.unit}`.padStart(16)}   target ${c.target.padEnd(16)} ${c.pass ? 'PASS' : 'FAIL'}`;

export async function main(args: string[]): Promise<number> {
  const log = (line: string) => process.stdout.write(line + '\n');
  const packets = packetCount(args);
  const rel = (p: string) => path.relative(process.cwd(), p) || p;

  log(`hopscope bench: ${fmtInt(packets)} packets (generator v${BENCH_GENERATOR_VERSION})`);
  const capture = await ensureBenchCapture(packets);
  log(
    capture.generated
      ? `  generated ${rel(capture.path)}: ${fmt(capture.bytes / MB)} MB in ${fmt(capture.seconds, 2)} s`
      : `  using cached ${rel(capture.path)}: ${fmt(capture.bytes / MB)} MB`,
  );

  // With --index stats builds the index analyze works from (reading and indexing: the
  // throughput, memory and index targets, and what the single capture's analysis is set
  // against); without, it is the command a user runs, which only counts (its end-to-end target).
  let indexed: MedianRun<StatsBenchFigures>;
  let counted: MedianRun<StatsBenchFigures>;
  try {
    indexed = await medianRun(['stats', '--bench', '--index', capture.path], parseStatsOutput);
    counted = await medianRun(['stats', '--bench', capture.path], parseStatsOutput, 'wallSeconds');
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return 2;
  }
  const figures = indexed.median;
  log(`  ${RUNS} runs: ${indexed.all.map((f) => `${fmt(f.bytes / MB / f.seconds, 0)} MB/s`).join(', ')} reading and indexing (median below)`);
  if (figures.bytes !== capture.bytes || figures.packets !== packets) {
    log(`  warning: stats read ${fmtInt(figures.bytes)} bytes / ${fmtInt(figures.packets)} packets, the file has ${fmtInt(capture.bytes)} / ${fmtInt(packets)}`);
  }

  const checks = evaluate(figures);
  const withStart = endToEndCheck('with start', counted.median.bytes, counted.median.wallSeconds);
  checks.push(withStart);
  const mbps = figures.bytes / MB / figures.seconds;
  const startup = startupCheck(await startupMs([CLI, '--help']));
  const bareNodeMs = await startupMs(['-e', '0']);
  log('');
  log(`  hopscope --help  ${fmt(startup.value, 0).padStart(6)} ms from process start to exit, median of ${STARTUP_RUNS} (node -e 0: ${fmt(bareNodeMs, 0)} ms)`);
  log(checkLine(startup, 0));
  log('');
  log(`  hopscope stats --index  ${fmt(mbps).padStart(9)} MB/s  ${fmtInt(figures.packets / figures.seconds).padStart(11)} packets/s  (${fmt(figures.seconds, 2)} s reading and indexing, ${fmt(figures.peakRssBytes / MIB, 0)} MiB)`);
  log(`  hopscope stats   ${fmt(counted.median.seconds, 2)} s reading, ${fmt(counted.median.wallSeconds, 2)} s with process start, ${fmt(counted.median.peakRssBytes / MIB, 0)} MiB (counts only, no index)`);
  for (const c of checks) log(checkLine(c));

  // The incident benchmark: a realistic incident of about the same number of packets over eight
  // capture points (two nodes × pod veth, cni0, flannel.1, eth0; see incident/). Analysis (read
  // + correlate + verdicts) against reading and indexing the same eight files alone.
  log('');
  const incident = await ensureBenchIncident(packets, BENCH_DATA_DIR);
  log(
    incident.generated
      ? `  generated ${rel(incident.dir)} (incident v${INCIDENT_GENERATOR_VERSION}): ${fmtInt(incident.packets)} packets, ${fmt(incident.bytes / MB)} MB in ${fmt(incident.seconds, 2)} s`
      : `  using cached ${rel(incident.dir)} (incident v${INCIDENT_GENERATOR_VERSION}): ${fmtInt(incident.packets)} packets, ${fmt(incident.bytes / MB)} MB`,
  );
  const median = async (cmd: string[], by: 'seconds' | 'wallSeconds' = 'seconds') => (await medianRun(cmd, lastJsonLine, by)).median;
  const showCheck = (c: Check, digits = 2) => log(checkLine(c, digits));
  const decodeOnly = await median(['stats', '--bench', '--index', ...incident.files]);
  const statsFiles = await median(['stats', '--bench', ...incident.files], 'wallSeconds');
  const analysis = await median(['analyze', '--bench', '--least-walk', incident.dir]);
  const ratio = analysis.seconds! / decodeOnly.seconds!;
  const incidentCheck: Check = {
    name: 'analyze/decode',
    value: ratio,
    unit: '×',
    target: `≤ ${TARGETS.maxAnalyzeOverDecode} ×`,
    pass: ratio <= TARGETS.maxAnalyzeOverDecode,
  };
  const multiFile = endToEndCheck('multi-file', statsFiles.bytes!, statsFiles.wallSeconds!);
  const incidentMemory = analysisMemoryCheck('analysis mem', analysis.peakRssBytes!, analysis.readRssBytes!, analysis.indexBytes!);
  checks.push(startup, incidentCheck, incidentMemory, multiFile);
  log(`  hopscope analyze  8 captures, ${fmtInt(analysis.packets!)} packets: ${fmt(analysis.seconds!, 2)} s (${fmt(analysis.readSeconds!, 2)} s reading, ${fmt(analysis.analyzeSeconds!, 2)} s correlating and verdicts); decoding alone ${fmt(decodeOnly.seconds!, 2)} s`);
  showCheck(incidentCheck);
  log(leastWalkLine(decodeOnly.seconds!, analysis.leastWalkSeconds!));
  log(`    ${fmt(analysis.readRssBytes! / MIB, 0)} MiB resident once read, ${fmt(analysis.peakRssBytes! / MIB, 0)} MiB at the peak; the indexes ${fmt(analysis.indexBytes! / MIB, 0)} MiB`);
  showCheck(incidentMemory);
  log(`  hopscope stats   the same 8 files, ${fmt(statsFiles.bytes! / MB, 0)} MB: ${fmt(statsFiles.wallSeconds!, 2)} s with process start`);
  showCheck(multiFile, 0);
  const readOnly = await readOnlySeconds(incident.files);
  log(`    reading them alone (node, one reused 4 MB buffer, nothing decoded): ${fmt(readOnly, 2)} s with process start, ${fmt(statsFiles.bytes! / MB / readOnly, 0)} MB/s: the floor here`);

  // The single large capture analysed too: one capture point, its packets each a group of one.
  const single = await median(['analyze', '--bench', capture.path]);
  const singleRatio = single.seconds! / figures.seconds;
  const singleCheck: Check = { name: 'single/decode', value: singleRatio, unit: '×', target: `≤ ${TARGETS.maxAnalyzeOverDecode} ×`, pass: singleRatio <= TARGETS.maxAnalyzeOverDecode };
  const singleMemory = analysisMemoryCheck('single mem', single.peakRssBytes!, single.readRssBytes!, single.indexBytes!);
  checks.push(singleCheck, singleMemory);
  log(`  hopscope analyze  the single capture: ${fmt(single.seconds!, 2)} s (${fmt(single.readSeconds!, 2)} s reading, ${fmt(single.analyzeSeconds!, 2)} s correlating and verdicts); decoding alone ${fmt(figures.seconds, 2)} s`);
  showCheck(singleCheck);
  log(`    ${fmt(single.readRssBytes! / MIB, 0)} MiB resident once read, ${fmt(single.peakRssBytes! / MIB, 0)} MiB at the peak; the index ${fmt(single.indexBytes! / MIB, 0)} MiB`);
  showCheck(singleMemory);
  // What the analysis said, against what was generated: reported, not a target.
  const verdicts = await judgeIncident(incident);
  for (const line of verdictLines(verdicts)) log(`    ${line}`);

  const browser = args.includes('--skip-browser') ? null : await browserSection(args, log, rel);
  if (browser && typeof browser !== 'string') checks.push(...browser.checks);

  const tools: ToolTiming[] = [];
  if (!args.includes('--skip-tools')) {
    log('');
    const prefix = packets > TSHARK_PREFIX_PACKETS ? await ensureBenchCapture(TSHARK_PREFIX_PACKETS) : capture;
    for (const [name, file] of [['tcpdump', capture], ['tshark', prefix]] as const) {
      const t = await timeTool(name, file, capture);
      if (typeof t === 'string') {
        log(`  ${t}`);
        continue;
      }
      tools.push(t);
      const note = t.extrapolated
        ? `extrapolated: ${fmt(t.seconds, 2)} s on a ${fmtInt(t.packets)}-packet prefix → ~${fmt(t.fullFileSeconds, 0)} s for the full file`
        : `${fmt(t.seconds, 2)} s`;
      log(`  ${`${name} -r -n`.padEnd(16)} ${fmt(t.megabytesPerSecond).padStart(9)} MB/s  (${note})`);
    }
  }

  const pass = checks.every((c) => c.pass);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    generatorVersion: BENCH_GENERATOR_VERSION,
    capture: { file: path.basename(capture.path), packets, bytes: capture.bytes, analysis: single, ratio: singleRatio },
    hopscope: {
      ...figures,
      counted: counted.median,
      megabytesPerSecond: mbps,
      packetsPerSecond: figures.packets / figures.seconds,
      peakRssMiB: figures.peakRssBytes / MIB,
    },
    incident: {
      dir: path.basename(incident.dir),
      generatorVersion: INCIDENT_GENERATOR_VERSION,
      packets: incident.packets,
      bytes: incident.bytes,
      decodeOnly,
      stats: statsFiles,
      /** READ_ONLY_PROGRAM on the same files: the floor under `stats`' wall time. */
      readOnlySeconds: readOnly,
      analysis,
      ratio,
      verdicts: {
        brokenFlow: verdicts.broken?.text ?? null,
        brokenFlowFound: verdicts.brokenOk,
        podToPod: { total: verdicts.podToPod.total, delivered: verdicts.podToPod.delivered, wrong: verdicts.podToPod.wrong.map((w) => w.text) },
        other: { total: verdicts.other.total, delivered: verdicts.other.delivered, wrong: verdicts.other.wrong.map((w) => w.text) },
      },
    },
    browser: browser === null ? 'skipped (--skip-browser)' : typeof browser === 'string' ? `not run: ${browser}` : browser.results,
    startupMs: startup.value,
    bareNodeStartupMs: bareNodeMs,
    targets: TARGETS,
    checks,
    tools,
    pass,
  };
  const resultsPath = path.join(BENCH_DATA_DIR, 'results.json');
  await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
  log('');
  log(`  ${pass ? 'PASS' : 'FAIL'}; results in ${rel(resultsPath)}`);
  return pass ? 0 : 1;
}

/**
 * What the analysis target leaves the correlation once the files are read (the decoding time ×
 * (maxAnalyzeOverDecode − 1)), against the least walk (least-walk.ts) over the same captures.
 */
export function leastWalkLine(decodeSeconds: number, leastWalkSeconds: number): string {
  const budget = decodeSeconds * (TARGETS.maxAnalyzeOverDecode - 1);
  return `    the target leaves correlation and verdicts ${fmt(budget, 2)} s; the least walk (each packet's identity looked up once, in time order, nothing else) takes ${fmt(leastWalkSeconds, 2)} s of it (${fmt((100 * leastWalkSeconds) / budget, 0)}%)`;
}

/** The browser against the CLI on one ~2 GB incident: time, memory and the page's longest task. */
async function browserSection(args: string[], log: (line: string) => void, rel: (p: string) => string): Promise<string | { checks: Check[]; results: Record<string, unknown> }> {
  const i = args.indexOf('--browser-packets');
  const packets = i >= 0 ? Number(args[i + 1]?.replace(/_/g, '')) : BROWSER_PACKETS;
  if (!Number.isInteger(packets) || packets < 1) throw new Error(`bench: --browser-packets must be a positive integer, got "${args[i + 1]}"`);
  log('');
  const incident = await ensureBenchIncident(packets, BENCH_DATA_DIR);
  log(`  ${incident.generated ? 'generated' : 'using cached'} ${rel(incident.dir)} for the browser: ${fmtInt(incident.packets)} packets, ${fmt(incident.bytes / MB)} MB`);
  const cli = await run(process.execPath, [CLI, 'analyze', '--bench', incident.dir], true);
  if (cli.code !== 0) throw new Error(`hopscope analyze exited with ${cli.code ?? cli.signal}: ${cli.stderr}`);
  const cliFigures = JSON.parse(cli.stdout.trim().split('\n').pop()!) as { seconds: number; peakRssBytes: number };
  const smallDir = path.join(REPO_ROOT, 'sample-captures', SMALL_SAMPLE);
  const smallFiles = readdirSync(smallDir).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => path.join(smallDir, f));
  const b = await browserBench(REPO_ROOT, incident.files, { smallFiles });
  if (typeof b === 'string') {
    log(`  browser: not run: ${b}`);
    return b;
  }
  const ratio = b.seconds / cli.seconds;
  const peakMiB = b.peakBytes / MIB;
  const checks: Check[] = [
    { name: 'browser/CLI', value: ratio, unit: '×', target: `≤ ${TARGETS.maxBrowserOverCli} ×`, pass: ratio <= TARGETS.maxBrowserOverCli },
    { name: 'browser mem', value: peakMiB, unit: 'MiB', target: `< ${TARGETS.maxBrowserMemoryMiB} MiB`, pass: peakMiB < TARGETS.maxBrowserMemoryMiB },
    { name: 'long task', value: b.longestTaskMs, unit: 'ms', target: `≤ ${TARGETS.maxLongTaskMs} ms`, pass: b.longestTaskMs <= TARGETS.maxLongTaskMs },
  ];
  log(`  browser (Chromium): ${fmt(b.seconds, 1)} s from the files handed to the page to the verdict; hopscope analyze ${fmt(cli.seconds, 1)} s with process start (${fmt(cliFigures.peakRssBytes / MIB, 0)} MiB)`);
  log(
    Number.isFinite(b.rawReadSeconds)
      ? `    the page only reading the same files (all at once, each into one reused buffer by a BYOB reader, nothing decoded): ${fmt(b.rawReadSeconds, 1)} s, the floor under the browser's time`
      : `    the page only reading the same files: not measured (a read failed, or went unanswered for 10 s)`,
  );
  log(`    Chromium's processes at most ${fmt(peakMiB, 0)} MiB (RSS summed over them, ${b.samples} samples); ${b.longTasks} main-thread tasks over 50 ms, the longest ${fmt(b.longestTaskMs, 0)} ms at ${fmt(b.longestTaskAt, 1)} s (from the files handed over until 3 s after the verdict; the page's own load before it: ${fmt(b.loadTaskMs, 0)} ms); verdict card: ${b.verdict.kind} at ${b.verdict.stop ?? '-'}`);
  if (typeof b.small === 'string') log(`    a small incident: not measured (${b.small})`);
  else if (b.small) {
    const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    log(`    a small incident (the ${SMALL_SAMPLE} sample: ${b.small.files} files, ${fmt(b.small.bytes / 1024, 0)} KB), each drop on a fresh page, to the verdict card in its DOM: ${fmt(mid(b.small.workersLoadedMs), 0)} ms once its workers have loaded, ${fmt(mid(b.small.atOnceMs), 0)} ms dropped as soon as it has hydrated (medians of ${b.small.atOnceMs.length})`);
  }
  for (const c of checks) log(checkLine(c, c.unit === '×' ? 2 : 0));
  return { checks, results: { incident: path.basename(incident.dir), packets: incident.packets, bytes: incident.bytes, cliSeconds: cli.seconds, cliPeakRssBytes: cliFigures.peakRssBytes, ...b, ratio } };
}

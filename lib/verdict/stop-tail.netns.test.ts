/**
 * Captures stopped as engineers stop them, on a real kernel. Two plain `tcpdump -w` (no
 * --immediate-mode) on the two veths of a router namespace, stopped by one SIGINT while a ping
 * crosses them: each loses the packets the kernel still held in its buffer block, so each file
 * ends a little earlier than the other, at random. The ground truth is ping's own count (every
 * echo answered) and tcpdump's own words (more received by its filter than it wrote). A healthy
 * ping must stay healthy. Needs root and `ip netns`; skips with a printed line otherwise.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whyNoNetns } from '../testing/netns';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { parseTcpdumpCounts } from '../nodestate/state';

const tag = `ht${process.pid % 100000}`;
const NS = { a: `${tag}-a`, n: `${tag}-n`, b: `${tag}-b` };

const why = whyNoNetns(tag);
if (why) console.log(`[stop-tail] skipping the real-kernel capture-stop test: ${why}`);

const sh = (ns: string, cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { stdio: 'pipe' }).toString();
const teardown = () => {
  for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'delete', ns]);
};

function build(): void {
  for (const ns of Object.values(NS)) execFileSync('ip', ['netns', 'add', ns]);
  // pod-a 10.9.1.2 — vetha [router] vethb — pod-b 10.9.2.2
  for (const [side, pod, net] of [['a', NS.a, '10.9.1'], ['b', NS.b, '10.9.2']] as const) {
    execFileSync('ip', ['link', 'add', `${tag}${side}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
    execFileSync('ip', ['link', 'set', `${tag}${side}`, 'netns', NS.n]);
    sh(NS.n, `ip link set ${tag}${side} name veth${side} && ip addr add ${net}.1/24 dev veth${side} && ip link set veth${side} up`);
    sh(pod, `ip addr add ${net}.2/24 dev eth0 && ip link set eth0 up && ip link set lo up && ip route add default via ${net}.1`);
  }
  sh(NS.n, 'sysctl -qw net.ipv4.ip_forward=1');
  sh(NS.a, 'ping -c 1 -W 2 10.9.2.2');
}

/** One run: both captures started, a ping of 0.05 s intervals, both stopped by one SIGINT mid-ping. */
async function run(dir: string) {
  const dumps = ['vetha', 'vethb'].map((i) => {
    const p = spawn('ip', ['netns', 'exec', NS.n, 'tcpdump', '-i', i, '-w', path.join(dir, `node1-${i}.pcap`), 'icmp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    return { p, log: () => err, done: new Promise<void>((r) => p.on('close', () => r())) };
  });
  for (let i = 0; i < 100 && !dumps.every((d) => d.log().includes('listening on')); i++) await new Promise((r) => setTimeout(r, 50));
  const ping = spawn('ip', ['netns', 'exec', NS.a, 'ping', '-n', '-i', '0.05', '-c', '120', '10.9.2.2'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let said = '';
  ping.stdout.on('data', (d) => (said += d));
  const pinged = new Promise<void>((r) => ping.on('close', () => r()));
  await new Promise((r) => setTimeout(r, 3000));
  // ip netns exec execs tcpdump: the child is tcpdump itself.
  for (const d of dumps) d.p.kill('SIGINT');
  await Promise.all(dumps.map((d) => d.done));
  await pinged;
  return { said, counts: dumps.map((d) => parseTcpdumpCounts(d.log())) };
}

describe.skipIf(why !== null)('two plain tcpdumps stopped by one Ctrl-C, on a real kernel', () => {
  beforeAll(() => {
    teardown();
    build();
  }, 30_000);
  afterAll(teardown);

  it('each loses its last buffered packets, and the healthy ping across them is still delivered, three runs in three', async () => {
    // Which file loses more is chance: three runs, so that a regression rarely slips through.
    const tails: boolean[] = [];
    for (let k = 0; k < 3; k++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-tail-'));
      try {
        const { said, counts } = await run(dir);
        // The ground truth: every echo answered.
        expect(said).toMatch(/120 packets transmitted, 120 received/);
        expect(counts.every((c) => c !== null)).toBe(true);
        // The situation: tcpdump says it wrote fewer than its filter passed.
        tails.push(counts.some((c) => c!.received > c!.captured + c!.droppedByKernel));
        const files = ['vetha', 'vethb'].map((i) => path.join(dir, `node1-${i}.pcap`));
        expect(files.every((f) => readFileSync(f).length > 24)).toBe(true);
        const { inputs } = await loadInputs(files, new Map());
        const { report } = analyze(inputs, {});
        const ping = report.flows.find((f) => f.protocol === 'icmp' && f.server === '10.9.2.2')!;
        expect(ping.verdict.kind, ping.verdict.rule.evidence.join('; ')).toBe('delivered');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(tails).toContain(true);
  }, 60_000);
});

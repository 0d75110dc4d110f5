/**
 * Captures stopped as engineers stop them, on a real kernel. Two plain `tcpdump -w` (no
 * --immediate-mode) on the two veths of a router namespace, stopped by one SIGINT while a ping
 * crosses them: each loses the packets the kernel still held in its buffer block, so each file
 * ends a little earlier than the other, at random. The ground truth is ping's own count (every
 * echo answered) and tcpdump's own words (more received by its filter than it wrote). A healthy
 * ping must stay healthy. A second case starts the two tcpdumps half a second apart, so that their
 * buffer blocks retire at different moments, and runs a short ping the other way in the last
 * 0.3 s before the stop: one file holds it, the other ends before it. Needs root and `ip netns`;
 * skips with a printed line otherwise.
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

/**
 * One run: both captures started (vethb's `stagger` seconds after vetha's), a ping of 0.05 s
 * intervals, both stopped by one SIGINT mid-ping. With `late`, a second, short ping (three
 * echoes, pod-b to pod-a) starts `late` ms before the stop.
 */
async function run(dir: string, late = 0, stagger = 0) {
  const dumps = ['vetha', 'vethb'].map((i, k) => {
    const p = spawn('ip', ['netns', 'exec', NS.n, 'sh', '-c', `sleep ${k * stagger}; exec tcpdump -i ${i} -w ${path.join(dir, `node1-${i}.pcap`)} icmp`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    return { p, log: () => err, done: new Promise<void>((r) => p.on('close', () => r())) };
  });
  for (let i = 0; i < 100 && !dumps.every((d) => d.log().includes('listening on')); i++) await new Promise((r) => setTimeout(r, 50));
  const ping = spawn('ip', ['netns', 'exec', NS.a, 'ping', '-n', '-i', '0.05', '-c', '120', '10.9.2.2'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let said = '';
  ping.stdout.on('data', (d) => (said += d));
  const pinged = new Promise<void>((r) => ping.on('close', () => r()));
  let lateSaid = '';
  let lateDone: Promise<void> = Promise.resolve();
  if (late > 0) {
    await new Promise((r) => setTimeout(r, 3000 - late));
    const p = spawn('ip', ['netns', 'exec', NS.b, 'ping', '-n', '-i', '0.05', '-c', '3', '10.9.1.2'], { stdio: ['ignore', 'pipe', 'ignore'] });
    p.stdout.on('data', (d) => (lateSaid += d));
    lateDone = new Promise<void>((r) => p.on('close', () => r()));
    await new Promise((r) => setTimeout(r, late));
  } else await new Promise((r) => setTimeout(r, 3000));
  // ip netns exec execs tcpdump: the child is tcpdump itself.
  for (const d of dumps) d.p.kill('SIGINT');
  await Promise.all(dumps.map((d) => d.done));
  await pinged;
  await lateDone;
  return { said, lateSaid, counts: dumps.map((d) => parseTcpdumpCounts(d.log())) };
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

  it('a short healthy flow in the last moments before the stop, kept by one file and not the other, is never called lost', async () => {
    const verdicts: string[] = [];
    const oneSided: string[] = [];
    let uneven = false;
    for (let k = 0; k < 3; k++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-tail-'));
      try {
        const { lateSaid, counts } = await run(dir, 300, 0.5);
        // The ground truth: every echo of the short ping answered.
        expect(lateSaid).toMatch(/3 packets transmitted, 3 received/);
        expect(counts.every((c) => c !== null)).toBe(true);
        // The situation: the two files lost different numbers of packets at the stop.
        if (counts[0]!.captured !== counts[1]!.captured) uneven = true;
        const files = ['vetha', 'vethb'].map((i) => path.join(dir, `node1-${i}.pcap`));
        const { inputs } = await loadInputs(files, new Map());
        const { report } = analyze(inputs, {});
        const short = report.flows.find((f) => f.protocol === 'icmp' && f.server === '10.9.1.2');
        // Both files may hold none of it (nothing to judge), but where one does, it is no loss.
        if (short) verdicts.push(`${short.verdict.kind}: ${short.verdict.rule.evidence.join('; ')}`);
        // The case at stake: one file holds the short ping's requests, the other none of them.
        if (short && short.hops.filter((h) => h.requests > 0).length === 1) oneSided.push(short.verdict.rule.evidence.join('; '));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(uneven).toBe(true);
    for (const v of verdicts) expect(v).toMatch(/^(delivered|not-observed):/);
    // Seen in every run while this test was written (8 of 8): the situation did arise, and the
    // verdict says why the file that lacks it proves nothing.
    expect(oneSided.length).toBeGreaterThan(0);
    for (const e of oneSided) expect(e).toMatch(/node1\/veth[ab] was no longer writing/);
  }, 90_000);
});

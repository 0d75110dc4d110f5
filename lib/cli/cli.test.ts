/** The CLI as a user runs it: `node bin/hopscope.js <command>` in a child process. */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPcap, concatBytes, ngEnhancedPacket, ngInterface, ngSection } from '../capture/build';
import { CORPUS_DIR, haveCorpus } from '../testing/corpus';
import { VXLAN_ICMP_FRAME } from '../testing/hex';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'hopscope.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

const VXLAN_ICMP = VXLAN_ICMP_FRAME;

const dir = mkdtempSync(join(tmpdir(), 'hopscope-cli-'));
const pcap = join(dir, 'node1-eth0.pcap');
writeFileSync(pcap, buildPcap({ records: [{ sec: 1700000000, frac: 5, data: VXLAN_ICMP }, { sec: 1700000001, frac: 6, data: VXLAN_ICMP }] }));

describe('hopscope stats', () => {
  it('reads the captures of a folder given for a file, and says so of a folder with none', () => {
    const folder = mkdtempSync(join(tmpdir(), 'hopscope-cli-folder-'));
    writeFileSync(join(folder, 'node1-eth0.pcap'), readFileSync(pcap));
    writeFileSync(join(folder, 'node1-cni0.pcap'), readFileSync(pcap));
    writeFileSync(join(folder, 'notes.txt'), 'not a capture');
    const r = run('stats', folder);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/^node1-\S+\.pcap: pcap, 2 packets/gm)).toEqual(['node1-cni0.pcap: pcap, 2 packets', 'node1-eth0.pcap: pcap, 2 packets']);
    const fields = run('fields', folder);
    expect(fields.status, fields.stderr).toBe(0);
    expect(fields.stdout.trim().split('\n')).toHaveLength(1 + 4);
    // A folder with no capture is reported, and the files beside it are still read.
    const none = mkdtempSync(join(tmpdir(), 'hopscope-cli-none-'));
    const e = run('stats', none, pcap);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain(`${none}: no capture files`);
    expect(e.stdout).toContain('node1-eth0.pcap: pcap, 2 packets');
  });

  it('prints packets, time range and the protocol hierarchy', () => {
    const r = run('stats', pcap);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('node1-eth0.pcap: pcap, 2 packets, 192 bytes');
    expect(r.stdout).toContain('2023-11-14T22:13:20.000005000Z → 2023-11-14T22:13:21.000006000Z');
    expect(r.stdout).toMatch(/eth:ipv4:udp:vxlan:eth:ipv4:icmp:data 2\n/);
  });

  it('gives JSON with --json, reads gzip and pcapng with interface names', () => {
    const gz = join(dir, 'node1-eth0.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(pcap)));
    const ng = join(dir, 'node2.pcapng');
    writeFileSync(ng, concatBytes(ngSection(true), ngInterface(true, 1, 262144, [{ code: 2, value: 'flannel.1' }]), ngEnhancedPacket(true, 0, 1_700_000_000_000_000n, VXLAN_ICMP.subarray(50))));
    const r = run('stats', '--json', gz, ng);
    expect(r.status).toBe(0);
    const stats = JSON.parse(r.stdout) as { fileName: string; gzip: boolean; packets: number; interfaces: { name?: string }[]; hierarchy: { path: string }[] }[];
    expect(stats.map((s) => [s.fileName, s.gzip, s.packets])).toEqual([
      ['node1-eth0.pcap.gz', true, 2],
      ['node2.pcapng', false, 1],
    ]);
    expect(stats[1]!.interfaces[0]!.name).toBe('flannel.1');
    expect(stats[1]!.hierarchy[0]!.path).toBe('eth:ipv4:icmp:data');
  });

  it('names the file and its first bytes for a non-capture, and exits non-zero', () => {
    const png = join(dir, 'diagram.png');
    writeFileSync(png, Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a));
    const r = run('stats', png, pcap);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('NOT_A_CAPTURE at byte 0 of diagram.png: not a pcap or pcapng file: starts with 89 50 4e 47');
    expect(r.stdout).toContain('node1-eth0.pcap: pcap, 2 packets'); // the good file still reported
  });

  it('warns about a truncated capture and keeps its whole packets', () => {
    const cut = join(dir, 'killed.pcap');
    writeFileSync(cut, readFileSync(pcap).subarray(0, 24 + 16 + VXLAN_ICMP.length + 30));
    const r = run('stats', cut);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('killed.pcap: pcap, 1 packet,');
    expect(r.stdout).toContain('warning: killed.pcap is cut short at byte 136');
  });

  it('prints a bench line with --bench; builds the index only with --index, and prints the same', () => {
    const benchLine = (r: ReturnType<typeof run>) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    const counted = run('stats', '--bench', pcap);
    const indexed = run('stats', '--bench', '--index', pcap);
    for (const r of [counted, indexed]) {
      expect(r.status, r.stderr).toBe(0);
      expect(benchLine(r).packets).toBe(2);
      expect(benchLine(r).peakRssBytes).toBeGreaterThan(0);
    }
    // Counted, no row is kept; indexed, a block of rows is.
    expect(benchLine(indexed).indexBytesPerPacket).toBe(48);
    expect(benchLine(counted).indexBytesPerPacket).toBe(0);
    expect(benchLine(counted).indexAllocatedBytes).toBe(0);
    expect(benchLine(indexed).indexAllocatedBytes).toBeGreaterThan(0);
    const text = (r: ReturnType<typeof run>) => r.stdout.trim().split('\n').slice(0, -1).join('\n');
    expect(text(counted)).toBe(text(indexed));
  });
});

describe('hopscope fields', () => {
  it('prints tshark columns for every frame', () => {
    const out = execFileSync(process.execPath, [BIN, 'fields', pcap], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    const head = out[0]!.split('\t');
    expect(head.slice(0, 4)).toEqual(['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len']);
    const row = out[1]!.split('\t');
    const col = (name: string) => row[head.indexOf(name)];
    expect(col('frame.time_epoch')).toBe('1700000000.000005000');
    expect(col('ip.src')).toBe('192.168.56.11,10.244.1.8');
    expect(col('ip.id')).toBe('0x0001,0xabcd');
    expect(col('vxlan.vni')).toBe('1');
    expect(col('icmp.ident')).toBe('4660');
    expect(out).toHaveLength(3);
  });

  const CORPUS = join(CORPUS_DIR, 'zeek', 'tunnels-vxlan.pcap');
  it.skipIf(!haveCorpus('the CLI-vs-tshark test on a corpus capture'))('matches tshark on a corpus capture, every column but frame.protocols', () => {
    const ours = execFileSync(process.execPath, [BIN, 'fields', CORPUS], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    const theirs = readFileSync(CORPUS + '.tshark.tsv', 'utf8').trim().split('\n');
    const drop = (l: string) => l.split('\t').filter((_, i) => i !== 4).join('\t');
    expect(ours.map(drop)).toEqual(theirs.map(drop));
  });

  it('exits 2 with usage for an unknown command', () => {
    const r = run('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('the young generation', () => {
  it('stays at its first size in a process the CLI runs in (bin/hopscope.js sets it), where by default it grows', () => {
    // The CLI runs `help` in the child, which then makes 2M objects and keeps a third, as the
    // analysis does; V8's new space is then measured. Without the setting it grows (to 32 MB here).
    const churn = (withCli: boolean) =>
      `${withCli ? `process.argv = [process.argv[0], ${JSON.stringify(BIN)}, 'help']; await import(${JSON.stringify(new URL(`file://${BIN}`).href)});` : ''}
       const keep = []; for (let i = 0; i < 2e6; i++) { const o = { a: i, b: [i] }; if (i % 3 === 0) keep.push(o); }
       const v8 = await import('node:v8');
       console.error('NEW_SPACE', v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size, keep.length);`;
    const newSpace = (withCli: boolean) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', churn(withCli)], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return Number(/NEW_SPACE (\d+)/.exec(r.stderr)![1]);
    };
    expect(newSpace(true)).toBeLessThanOrEqual(4 * 2 ** 20);
    expect(newSpace(false)).toBeGreaterThanOrEqual(8 * 2 ** 20);
  });
});

/**
 * `hopscope share` against the incident API on a bare node:http server and a temporary SQLite
 * store: what is printed, what the server keeps, and that the bytes it keeps are the bytes sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildPcap, concatBytes } from '../capture/build';
import { VXLAN_ICMP_FRAME } from '../testing/hex';
import { loadIncidentConfig } from '../incident/config';
import { cutToHeaders } from '../decode/headers-only';
import { SqliteIncidentStore } from '../incident/sqlite-store';
import { startTestApiServer, type TestApiServer } from '../incident/testing/api-server';
import type { IncidentMeta, IncidentStore } from '../incident/types';
import { HEAD_CHECK_BYTES, shareCommand, uploadNames } from './share';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'hopscope.js');
const SAMPLE = join(ROOT, 'sample-captures', 'vxlan-forward-drop');
const SAMPLE_PCAPS = readdirSync(SAMPLE)
  .filter((n) => n.endsWith('.pcap'))
  .sort()
  .map((n) => join(SAMPLE, n));

const work = mkdtempSync(join(tmpdir(), 'hopscope-share-test-'));
const stores: IncidentStore[] = [];
const servers: TestApiServer[] = [];

async function startServer(env: Record<string, string> = {}): Promise<TestApiServer> {
  const dataDir = mkdtempSync(join(work, 'data-'));
  const store = await SqliteIncidentStore.open(dataDir);
  const server = await startTestApiServer(store, loadIncidentConfig({ NODE_ENV: 'test', HOPSCOPE_DATA_DIR: dataDir, ...env }));
  stores.push(store);
  servers.push(server);
  return server;
}

let api: TestApiServer;
beforeAll(async () => {
  api = await startServer();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const s of stores) await s.close();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function share(args: string[], opts: { env?: Record<string, string>; stdin?: string; tty?: boolean } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await shareCommand(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    stderrIsTTY: opts.tty ?? false,
    env: opts.env ?? {},
    stdin: [new TextEncoder().encode(opts.stdin ?? '')],
  });
  return { code, stdout, stderr };
}

/** The printed link, and the id, token and delete command as printed. */
function printed(out: string): { url: string; id: string; token: string; curl: { token: string; url: string }; expires: string; warnings: string[] } {
  const lines = out.trimEnd().split('\n');
  const url = lines[0]!;
  const id = /\/i\/([A-Za-z0-9_-]{22})$/.exec(url)?.[1];
  const token = /^delete token: (\S+)$/m.exec(out)?.[1];
  const curl = /^delete with: +curl -X DELETE -H 'Authorization: Bearer (\S+)' (\S+)$/m.exec(out);
  const expires = /^expires: +(\S+)$/m.exec(out)?.[1];
  if (!id || !token || !curl || !expires) throw new Error(`unexpected output:\n${out}`);
  return { url, id, token, curl: { token: curl[1]!, url: curl[2]! }, expires, warnings: [...out.matchAll(/^warning: +(.*)$/gm)].map((m) => m[1]!) };
}

async function meta(server: TestApiServer, id: string): Promise<IncidentMeta> {
  const r = await fetch(`${server.url}/api/incidents/${id}`);
  expect(r.status).toBe(200);
  return (await r.json()) as IncidentMeta;
}

async function storedBytes(server: TestApiServer, id: string, index: number): Promise<Buffer> {
  const r = await fetch(`${server.url}/api/incidents/${id}/files/${index}`);
  expect(r.status).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function cutLocally(path: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await cutToHeaders(basename(path), [readFileSync(path)], (b) => parts.push(b));
  return concatBytes(...parts);
}

const shareTempDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('hopscope-share-') && !n.startsWith('hopscope-share-test-'));

describe('hopscope share', () => {
  it('uploads every file byte for byte and prints the link first, then a delete command that works', async () => {
    const labelled = SAMPLE_PCAPS.find((p) => basename(p) === 'node2-any.pcap')!;
    const r = await share(['--server', api.url, '--title', 'forward drop on node2', '--label', `${labelled}=node2/any-capture`, ...SAMPLE_PCAPS]);
    expect(r.stderr).not.toMatch(/error|NOT_A/i);
    expect(r.code).toBe(0);
    const out = printed(r.stdout);
    expect(out.url).toBe(`${api.url}/i/${out.id}`);
    expect(out.curl).toEqual({ token: out.token, url: `${api.url}/api/incidents/${out.id}` });
    expect(r.stderr).toContain(`uploaded ${SAMPLE_PCAPS.length} files`);

    const m = await meta(api, out.id);
    expect(m.title).toBe('forward drop on node2');
    expect(m.headersOnly).toBe(false);
    expect(m.expiresAt).toBe(out.expires);
    expect(m.files.map((f) => f.name)).toEqual(SAMPLE_PCAPS.map((p) => basename(p)));
    for (const [i, path] of SAMPLE_PCAPS.entries()) {
      const local = readFileSync(path);
      const file = m.files[i]!;
      expect([file.node, file.interface]).toEqual(path === labelled ? ['node2', 'any-capture'] : [null, null]);
      expect(file.size).toBe(local.length);
      expect(file.sha256).toBe(sha256(local));
      expect(sha256(await storedBytes(api, out.id, i))).toBe(sha256(local));
    }

    // The printed command, as curl would send it.
    const del = await fetch(out.curl.url, { method: 'DELETE', headers: { Authorization: `Bearer ${out.curl.token}` } });
    expect(del.status).toBe(204);
    expect((await fetch(`${api.url}/api/incidents/${out.id}`)).status).toBe(404);
  });

  it('with --headers-only stores what cutToHeaders makes locally, smaller, and leaves no temporary files', async () => {
    const gz = join(work, 'node1-eth0.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(SAMPLE, 'node1-eth0.pcap'))));
    const files = [join(SAMPLE, 'all-interfaces.pcapng'), join(SAMPLE, 'node2-eth0.pcap'), gz];
    const before = shareTempDirs();
    const r = await share(['--headers-only', '--server', api.url, ...files]);
    expect(r.code).toBe(0);
    expect(shareTempDirs()).toEqual(before);
    const m = await meta(api, printed(r.stdout).id);
    expect(m.headersOnly).toBe(true);
    // The cut of a .gz comes out uncompressed, and is named so.
    expect(m.files.map((f) => f.name)).toEqual(['all-interfaces.pcapng', 'node2-eth0.pcap', 'node1-eth0.pcap']);
    let sentTotal = 0;
    let localTotal = 0;
    for (const [i, path] of files.entries()) {
      const expected = await cutLocally(path);
      const stored = await storedBytes(api, m.id, i);
      expect(sha256(stored)).toBe(sha256(expected));
      sentTotal += stored.length;
      localTotal += path.endsWith('.gz') ? readFileSync(join(SAMPLE, 'node1-eth0.pcap')).length : readFileSync(path).length;
    }
    expect(sentTotal).toBeLessThan(localTotal);
    expect(r.stderr).toMatch(/node2-eth0\.pcap: \d+ packets cut to headers/);
  });

  it('takes folders, renames two files of one name after their folders, and reads notes from a file or stdin', async () => {
    const dir = mkdtempSync(join(work, 'incident-'));
    for (const node of ['node1', 'node2']) {
      mkdirSync(join(dir, node));
      copyFileSync(join(SAMPLE, `${node}-eth0.pcap`), join(dir, node, 'eth0.pcap'));
      copyFileSync(join(SAMPLE, `${node}-flannel.1.pcap`), join(dir, node, 'flannel.1.pcap'));
    }
    writeFileSync(join(dir, 'node1', 'notes.txt'), 'not a capture, and not picked up from a folder');
    const notes = join(dir, 'notes.md');
    writeFileSync(notes, '# Forward drop\n\nnode2 drops the *requests*.\n');

    const r = await share(['--server', api.url, '--notes', notes, '--label', `${join(dir, 'node1', 'eth0.pcap')}=k8s-1/ens3`, join(dir, 'node1'), join(dir, 'node2')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${join(dir, 'node1', 'eth0.pcap')} is uploaded as node1-eth0.pcap`);
    const m = await meta(api, printed(r.stdout).id);
    expect(m.files.map((f) => [f.name, f.node])).toEqual([
      ['node1-eth0.pcap', 'k8s-1'],
      ['node1-flannel.1.pcap', null],
      ['node2-eth0.pcap', null],
      ['node2-flannel.1.pcap', null],
    ]);
    expect(m.files[2]!.sha256).toBe(sha256(readFileSync(join(SAMPLE, 'node2-eth0.pcap'))));
    expect(m.notes).toBe(readFileSync(notes, 'utf8'));

    const piped = await share(['--server', api.url, '--notes', '-', join(SAMPLE, 'node1-eth0.pcap')], { stdin: 'from stdin — ünïcode\n' });
    expect(piped.code).toBe(0);
    expect((await meta(api, printed(piped.stdout).id)).notes).toBe('from stdin — ünïcode\n');
  });

  it('refuses two files that would still share a name, and a label that names no file or two', async () => {
    expect(uploadNames(['a/x/eth0.pcap', 'b/x/eth0.pcap'], false)).toEqual({ names: ['x-eth0.pcap', 'x-eth0 (2).pcap'], renamed: ['a/x/eth0.pcap is uploaded as x-eth0.pcap', 'b/x/eth0.pcap is uploaded as x-eth0 (2).pcap'] });
    expect(uploadNames(['a/eth0.pcap.gz', 'b/eth0.pcap'], true).names).toEqual(['a-eth0.pcap', 'b-eth0.pcap']);

    const none = await share(['--server', api.url, '--label', 'node9-eth0.pcap=n/i', join(SAMPLE, 'node1-eth0.pcap')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('node9-eth0.pcap is none of the files to share');
  });

  it('names a file that is not a capture, with NOT_A_CAPTURE and the byte offset, before sending anything', async () => {
    const png = join(work, 'topology.png');
    writeFileSync(png, Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13));
    for (const extra of [[], ['--headers-only']]) {
      const r = await share(['--server', api.url, ...extra, join(SAMPLE, 'node1-eth0.pcap'), png]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`NOT_A_CAPTURE at byte 0 of ${png}`);
      expect(r.stderr).not.toContain('uploaded');
    }
    const missing = await share(['--server', api.url, join(work, 'nope.pcap')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(work, 'nope.pcap')}: no such file or folder`);
  });

  it("prints the server's status and error: damage past the local head check, and an oversized upload", async () => {
    // Whole records beyond the bytes checked locally, then a record claiming 2 GiB.
    const records = Array.from({ length: Math.ceil(HEAD_CHECK_BYTES / VXLAN_ICMP_FRAME.length) + 10 }, (_, i) => ({ sec: 1_700_000_000 + i, frac: 0, data: VXLAN_ICMP_FRAME }));
    const good = buildPcap({ records });
    const bad = join(work, 'node1-eth0-damaged.pcap');
    writeFileSync(bad, concatBytes(good, buildPcap({ records: [{ sec: 0, frac: 0, data: VXLAN_ICMP_FRAME, capLen: 0x7fffffff }] }).subarray(24)));
    const r = await share(['--server', api.url, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^hopscope share: 400 RECORD_TOO_LONG at byte ${good.length} of node1-eth0-damaged\\.pcap`, 'm'));

    const small = await startServer({ HOPSCOPE_MAX_INCIDENT_BYTES: '1000' });
    const big = await share(['--server', small.url, ...SAMPLE_PCAPS]);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/^hopscope share: 413 .*HOPSCOPE_MAX_INCIDENT_BYTES/m);
  });

  it('streams: memory stays far below the size of the upload', async () => {
    // A 64 MiB capture of empty records (sparse on disk). fetch keeping what it sent, as it
    // does when it tees the body to follow redirects, would hold all of it until the answer.
    // The client runs in its own process, so the server's buffers do not count.
    const size = 64 * 1024 * 1024;
    const big = join(work, 'node1-eth0-big.pcap');
    writeFileSync(big, buildPcap({ records: [] }));
    truncateSync(big, size);
    const client = `
      import { shareCommand } from ${JSON.stringify(join(__dirname, 'share.ts'))};
      const held = () => { gc(); return process.memoryUsage().arrayBuffers; };
      const base = held();
      let peak = 0;
      const sample = setInterval(() => (peak = Math.max(peak, held())), 20);
      let out = '';
      const code = await shareCommand(process.argv.slice(2), { stdout: (t) => (out += t), stderr: () => {}, stderrIsTTY: false, env: {}, stdin: [] });
      clearInterval(sample);
      console.log(JSON.stringify({ code, out, held: peak - base }));`;
    const script = join(work, 'client.mts');
    writeFileSync(script, client);
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script, '--server', api.url, big], { cwd: ROOT, encoding: 'utf8' });
    const r = JSON.parse(stdout) as { code: number; out: string; held: number };
    expect(r.code).toBe(0);
    expect((await meta(api, printed(r.out).id)).files[0]!.size).toBe(size);
    expect(r.held).toBeLessThan(size / 4);
  });

  it('names the URL when the server cannot be reached', async () => {
    const gone = await startServer();
    await gone.close();
    const r = await share(['--server', gone.url, join(SAMPLE, 'node1-eth0.pcap')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`cannot reach ${gone.url}`);
    expect(r.stderr).toContain('ECONNREFUSED');
  });

  it('uses HOPSCOPE_SERVER without --server, and draws progress on a terminal', async () => {
    const r = await share([join(SAMPLE, 'node1-eth0.pcap')], { env: { HOPSCOPE_SERVER: `${api.url}/` }, tty: true });
    expect(r.code).toBe(0);
    expect(printed(r.stdout).curl.url).toMatch(new RegExp(`^${api.url}/api/incidents/`));
    expect(r.stderr).toMatch(/\r\x1b\[Kuploading 1 file: .* \(100%\)/);
    expect(r.stderr).toMatch(/\r\x1b\[Khopscope share: uploaded 1 file, /);
  });

  it('answers usage mistakes with status 2', async () => {
    expect((await share([])).code).toBe(2);
    const r = await share(['--servr', api.url, join(SAMPLE, 'node1-eth0.pcap')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --servr');
    expect((await share(['--server', 'ftp://example.com', join(SAMPLE, 'node1-eth0.pcap')])).stderr).toContain('only http:// and https://');
  });

  it('runs as `hopscope share` from bin/hopscope.js', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'share', '--server', api.url, '--title', 'from the CLI', join(SAMPLE, 'node1-eth0.pcap')], { cwd: ROOT, encoding: 'utf8' });
    const m = await meta(api, printed(stdout).id);
    expect(m.title).toBe('from the CLI');
    expect(m.files.map((f) => f.name)).toEqual(['node1-eth0.pcap']);
  });
});

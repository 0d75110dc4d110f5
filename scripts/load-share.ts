/**
 * A bounded load run against a real share server on localhost (SQLite, and PostgreSQL when
 * HOPSCOPE_TEST_DATABASE_URL is set): honest uploads, downloads and page views, first alone,
 * then beside an attack of aborted uploads, stalled clients and gzip bombs. Prints requests per
 * second and p50/p99 latency per kind for both phases, what the attackers got, and the staged
 * bytes left in the data directory's tmp/ after the run (there must be none).
 *
 *   npm run load:share                       10 s a phase
 *   npm run load:share -- --seconds 30
 *
 * Needs a production build (`npx next build`). Only 127.0.0.1 is ever contacted.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { AppServer, freshDatabase, missingBuild, sleep, stopAllAppServers } from '../e2e/support/app-server';
import { generateBenchCapture } from '../lib/bench/generate';

const MIB = 1024 * 1024;
const LIMIT = 16 * MIB;
const SETTINGS = {
  HOPSCOPE_MAX_INCIDENT_BYTES: String(LIMIT),
  HOPSCOPE_MAX_DECOMPRESSED_FACTOR: '4',
  HOPSCOPE_UPLOAD_IDLE_SECONDS: '5',
  HOPSCOPE_UPLOAD_DEADLINE_SECONDS: '60',
  HOPSCOPE_MAX_INCIDENTS_PER_HOUR: '1000000',
  HOPSCOPE_MAX_INCIDENTS_PER_HOUR_TOTAL: '1000000',
};

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 10;
const capture = new Uint8Array(Buffer.concat([...generateBenchCapture(1200, { seed: 0x10ad })]));
const bombBytes = gzipSync(Buffer.concat([...generateBenchCapture(1, { seed: 1 })].slice(0, 1).concat(Buffer.alloc(LIMIT * 5))), { level: 9 });

type Kind = 'upload' | 'download' | 'page' | 'aborted' | 'stalled' | 'bomb';
interface Tally {
  ms: number[];
  statuses: Map<number, number>;
  bytes: number;
}

const tally = () => new Map<Kind, Tally>();
function note(t: Map<Kind, Tally>, kind: Kind, ms: number, status: number, bytes = 0): void {
  let x = t.get(kind);
  if (!x) t.set(kind, (x = { ms: [], statuses: new Map(), bytes: 0 }));
  x.ms.push(ms);
  x.statuses.set(status, (x.statuses.get(status) ?? 0) + 1);
  x.bytes += bytes;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function upload(url: string, body: Uint8Array, name: string): Promise<Response> {
  const f = new FormData();
  f.append('file', new Blob([new Uint8Array(body)]), name);
  return fetch(`${url}/api/incidents`, { method: 'POST', body: f });
}

/** A client that sends half an upload and hangs up. */
async function aborted(url: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      const b = 'load-abort';
      s.write(`POST /api/incidents HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: multipart/form-data; boundary=${b}\r\nContent-Length: ${capture.length + 300}\r\n\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.pcap"\r\n\r\n`);
      s.write(capture.subarray(0, capture.length >> 1), () => setTimeout(() => (s.destroy(), resolve(0)), 20));
    });
    s.on('error', () => resolve(0));
  });
}

/** A client that sends its headers and nothing else; the server cuts it off. */
async function stalled(url: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve) => {
    let text = '';
    const s = net.connect(Number(u.port), u.hostname, () => s.write(`POST /api/incidents HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n`));
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 20_000);
  });
}

async function phase(url: string, attack: boolean, ids: string[]): Promise<Map<Kind, Tally>> {
  const t = tally();
  const until = Date.now() + seconds * 1000;
  const loop = async (kind: Kind, once: () => Promise<{ status: number; bytes?: number }>) => {
    while (Date.now() < until) {
      const t0 = performance.now();
      const r: { status: number; bytes?: number } = await once().catch(() => ({ status: 0 }));
      note(t, kind, performance.now() - t0, r.status, r.bytes ?? 0);
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < 3; i++)
    workers.push(
      loop('upload', async () => {
        const r = await upload(url, capture, `load-${i}.pcap`);
        if (r.status === 201) ids.push(((await r.json()) as { id: string }).id);
        else await r.text();
        return { status: r.status, bytes: capture.length };
      }),
    );
  const pick = () => ids[Math.floor(Math.random() * ids.length)];
  for (let i = 0; i < 2; i++)
    workers.push(
      loop('download', async () => {
        const r = await fetch(`${url}/api/incidents/${pick()}/files/0`);
        const n = (await r.arrayBuffer()).byteLength;
        return { status: r.status, bytes: n };
      }),
    );
  workers.push(
    loop('page', async () => {
      const r = await fetch(`${url}/i/${pick()}`);
      await r.text();
      return { status: r.status };
    }),
  );
  if (attack) {
    for (let i = 0; i < 2; i++) workers.push(loop('aborted', async () => ({ status: await aborted(url) })));
    for (let i = 0; i < 4; i++) workers.push(loop('stalled', async () => ({ status: await stalled(url) })));
    workers.push(
      loop('bomb', async () => {
        const r = await upload(url, bombBytes, 'bomb.pcap.gz');
        await r.text();
        return { status: r.status };
      }),
    );
  }
  await Promise.all(workers);
  return t;
}

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) n += e.isDirectory() ? await dirBytes(path.join(dir, e.name)) : (await stat(path.join(dir, e.name))).size;
  return n;
}

function print(name: string, base: Map<Kind, Tally>, attack: Map<Kind, Tally>): void {
  console.log(`\n${name}: ${seconds} s a phase; p50 / p99 latency in ms`);
  console.log(`${'kind'.padEnd(10)} ${'alone: req/s'.padStart(13)} ${'p50'.padStart(7)} ${'p99'.padStart(7)}   ${'attacked: req/s'.padStart(16)} ${'p50'.padStart(7)} ${'p99'.padStart(7)}   statuses under attack`);
  for (const kind of ['upload', 'download', 'page', 'aborted', 'stalled', 'bomb'] as Kind[]) {
    const a = base.get(kind);
    const b = attack.get(kind);
    const col = (x: Tally | undefined) => (x ? [`${(x.ms.length / seconds).toFixed(1)}`.padStart(x === a ? 13 : 16), pct(x.ms, 50).toFixed(0).padStart(7), pct(x.ms, 99).toFixed(0).padStart(7)].join(' ') : '-'.padStart(29));
    const st = b ? [...b.statuses].map(([s, n]) => `${s || 'closed'}×${n}`).join(' ') : '';
    console.log(`${kind.padEnd(10)} ${col(a)}   ${col(b)}   ${st}`);
  }
}

async function main(): Promise<number> {
  const missing = missingBuild();
  if (missing) {
    console.error(missing);
    return 2;
  }
  const stores: { name: string; env: Record<string, string>; dir: string | null; dispose: () => Promise<void> }[] = [];
  const dir = await mkdtemp(path.join(tmpdir(), 'hopscope-load-'));
  stores.push({ name: 'sqlite', env: { HOPSCOPE_DATA_DIR: dir }, dir, dispose: () => rm(dir, { recursive: true, force: true }) });
  const pg = process.env.HOPSCOPE_TEST_DATABASE_URL?.trim();
  if (pg) {
    const db = await freshDatabase(pg);
    stores.push({ name: 'postgres', env: { HOPSCOPE_DATABASE_URL: db.url }, dir: null, dispose: () => db.drop() });
  }
  try {
    for (const s of stores) {
      const server = await AppServer.start({ name: `load ${s.name}`, env: { ...s.env, ...SETTINGS } });
      const ids: string[] = [];
      // Something to download and view from the first moment.
      for (let i = 0; i < 3; i++) ids.push(((await (await upload(server.url, capture, `seed-${i}.pcap`)).json()) as { id: string }).id);
      const base = await phase(server.url, false, ids);
      const attack = await phase(server.url, true, ids);
      await sleep(6_000); // the stalled clients' idle timeout, and a margin
      print(`${s.name} (capture ${(capture.length / MIB).toFixed(1)} MiB, bomb ${(bombBytes.length / 1024).toFixed(0)} KiB → ${(LIMIT * 5) / MIB} MiB)`, base, attack);
      if (s.dir) console.log(`staged bytes left in tmp/ after the run: ${await dirBytes(path.join(s.dir, 'tmp'))}; server peak RSS ${((server.peakRssBytes() ?? 0) / MIB).toFixed(0)} MiB`);
      else console.log(`server peak RSS ${((server.peakRssBytes() ?? 0) / MIB).toFixed(0)} MiB`);
      await server.stop();
    }
  } finally {
    await stopAllAppServers();
    for (const s of stores) await s.dispose().catch(() => {});
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

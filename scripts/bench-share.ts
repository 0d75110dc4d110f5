/**
 * Share throughput against real servers: a 200 MB capture uploaded to `POST /api/incidents`
 * (streamed from disk, never whole in memory) and downloaded back, sha256-checked, per store.
 * Prints MB/s each way (MB = 10^6 bytes) and the server's resident memory after start and at its
 * peak (VmHWM of /proc/<pid>/status).
 *
 *   npm run bench:share                      SQLite (temporary data directory)
 *   HOPSCOPE_TEST_DATABASE_URL=postgres://…  also PostgreSQL, in a fresh database dropped after
 *   HOPSCOPE_DATABASE_URL=postgres://…       also PostgreSQL, that database as it is (the
 *                                            incident is deleted after)
 *   npm run bench:share -- --mb 100 --runs 3
 *
 * Needs a production build (`npx next build`; HOPSCOPE_NEXT_DIST_DIR picks another directory);
 * exits 2 without one. Client and server share the machine, so the figures are end to end on
 * one host, loopback network.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppServer, digestBody, distDir, freshDatabase, missingBuild, postIncidentStream, stopAllAppServers, type FreshDatabase } from '../e2e/support/app-server';
import { ensureBenchCapture } from '../lib/bench/generate';

/** Bytes a packet of the bench generator takes on average (bench-v1-100000.pcap: 85,167,668 bytes). */
const BYTES_PER_PACKET = 851.7;
const MIB = 1024 * 1024;

interface Args {
  mb: number;
  runs: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mb: 200, runs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) usage(`${a} needs a positive number`);
      return v;
    };
    if (a === '--mb') args.mb = value();
    else if (a === '--runs') args.runs = Math.round(value());
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  return args;
}

function usage(problem?: string): never {
  if (problem) console.error(`bench-share: ${problem}`);
  console.error('usage: npm run bench:share [-- --mb <size of the capture, default 200> --runs <uploads per store, default 1>]');
  process.exit(problem ? 2 : 0);
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MIB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Store {
  name: 'sqlite' | 'postgres';
  env: Record<string, string>;
  note: string;
  dispose(): Promise<void>;
}

async function stores(): Promise<Store[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hopscope-bench-share-'));
  const list: Store[] = [{ name: 'sqlite', env: { HOPSCOPE_DATA_DIR: dir }, note: dir, dispose: () => rm(dir, { recursive: true, force: true }) }];
  const testUrl = process.env.HOPSCOPE_TEST_DATABASE_URL?.trim();
  const url = process.env.HOPSCOPE_DATABASE_URL?.trim();
  if (testUrl) {
    const db: FreshDatabase = await freshDatabase(testUrl);
    list.push({ name: 'postgres', env: { HOPSCOPE_DATABASE_URL: db.url }, note: `fresh database ${db.name}`, dispose: () => db.drop() });
  } else if (url) {
    list.push({ name: 'postgres', env: { HOPSCOPE_DATABASE_URL: url }, note: 'HOPSCOPE_DATABASE_URL', dispose: async () => {} });
  } else {
    console.log('PostgreSQL: skipped (set HOPSCOPE_TEST_DATABASE_URL or HOPSCOPE_DATABASE_URL to include it)');
  }
  return list;
}

interface Run {
  store: string;
  uploadS: number;
  downloadS: number;
  /** VmHWM once the upload was answered, and once the download ended. */
  peakAfterUpload: number | null;
  peakAfterDownload: number | null;
}

const mb = (bytes: number) => bytes / 1e6;
const rate = (bytes: number, s: number) => (mb(bytes) / s).toFixed(1).padStart(8);
const mem = (bytes: number | null) => (bytes === null ? '     n/a' : `${(bytes / MIB).toFixed(0).padStart(5)} MiB`);

async function benchStore(store: Store, file: string, bytes: number, sha: string, runs: number): Promise<{ runs: Run[]; rssStart: number | null; rssPeak: number | null }> {
  const server = await AppServer.start({
    name: `bench ${store.name}`,
    env: { ...store.env, HOPSCOPE_MAX_INCIDENT_BYTES: String(Math.max(256 * MIB, bytes + MIB)), HOPSCOPE_MAX_INCIDENTS_PER_HOUR: '10000' },
  });
  const out: Run[] = [];
  try {
    const rssStart = server.rssBytes();
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const res = await postIncidentStream(server.url, [
        { field: 'title', value: `bench-share ${store.name}` },
        { filename: path.basename(file), data: createReadStream(file, { highWaterMark: MIB }) as AsyncIterable<Uint8Array> },
      ]);
      const text = await res.text();
      const uploadS = (performance.now() - t0) / 1000;
      const peakAfterUpload = server.peakRssBytes();
      if (res.status !== 201) throw new Error(`${store.name}: upload answered ${res.status}: ${text}`);
      const made = JSON.parse(text) as { id: string; deleteToken: string };

      const t1 = performance.now();
      const got = await fetch(`${server.url}/api/incidents/${made.id}/files/0`);
      if (got.status !== 200) throw new Error(`${store.name}: download answered ${got.status}: ${await got.text()}`);
      const back = await digestBody(got);
      const downloadS = (performance.now() - t1) / 1000;
      const peakAfterDownload = server.peakRssBytes();
      if (back.sha256 !== sha || back.bytes !== bytes) {
        throw new Error(`${store.name}: the download differs from the upload: ${back.bytes} bytes, sha256 ${back.sha256}; sent ${bytes} bytes, sha256 ${sha}`);
      }
      const m = (await (await fetch(`${server.url}/api/incidents/${made.id}`)).json()) as { files: { sha256: string }[] };
      if (m.files[0]?.sha256 !== sha) throw new Error(`${store.name}: metadata sha256 ${m.files[0]?.sha256} is not the file's ${sha}`);
      const del = await fetch(`${server.url}/api/incidents/${made.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${made.deleteToken}` } });
      if (del.status !== 204) throw new Error(`${store.name}: delete answered ${del.status}`);
      out.push({ store: store.name, uploadS, downloadS, peakAfterUpload, peakAfterDownload });
      console.log(
        `  ${store.name.padEnd(8)} run ${r + 1}: upload ${rate(bytes, uploadS)} MB/s (${uploadS.toFixed(2)} s), download ${rate(bytes, downloadS)} MB/s (${downloadS.toFixed(2)} s), ` +
          `sha256 ok; server peak RSS so far ${mem(peakAfterUpload).trim()} after the upload, ${mem(peakAfterDownload).trim()} after the download`,
      );
    }
    return { runs: out, rssStart, rssPeak: server.peakRssBytes() };
  } catch (err) {
    const log = server.recentOutput();
    if (log) console.error(`server output (${store.name}):\n${log}`);
    throw err;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const missing = missingBuild();
  if (missing) {
    console.error(`bench-share: ${missing}`);
    process.exit(2);
  }
  const packets = Math.round((args.mb * 1e6) / BYTES_PER_PACKET);
  const capture = await ensureBenchCapture(packets);
  console.log(`capture: ${capture.path}, ${capture.bytes} bytes (${mb(capture.bytes).toFixed(1)} MB, ${packets} packets)${capture.generated ? `, generated in ${capture.seconds.toFixed(1)} s` : ', cached'}`);
  const sha = await fileSha256(capture.path);
  console.log(`build: ${distDir()}; node ${process.version}; ${args.runs} run(s) per store\n`);

  const results: { store: Store; runs: Run[]; rssStart: number | null; rssPeak: number | null }[] = [];
  const list = await stores();
  try {
    for (const store of list) {
      const r = await benchStore(store, capture.path, capture.bytes, sha, args.runs);
      results.push({ store, ...r });
    }
  } finally {
    for (const s of list) await s.dispose().catch((err) => console.error(`cleanup of ${s.name} (${s.note}): ${(err as Error).message}`));
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n${mb(capture.bytes).toFixed(1)} MB capture, MB = 10^6 bytes, median of ${args.runs} run(s)`);
  console.log('store       upload MB/s  download MB/s   server RSS after start   peak (VmHWM)');
  for (const r of results) {
    const up = median(r.runs.map((x) => x.uploadS));
    const down = median(r.runs.map((x) => x.downloadS));
    console.log(`${r.store.name.padEnd(10)} ${rate(capture.bytes, up)}     ${rate(capture.bytes, down)}         ${mem(r.rssStart)}             ${mem(r.rssPeak)}`);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAllAppServers().finally(() => process.exit(130));
  });
}

main().catch(async (err) => {
  console.error(`bench-share: ${(err as Error).stack ?? err}`);
  await stopAllAppServers();
  process.exit(1);
});

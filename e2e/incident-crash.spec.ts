import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateBenchCapture } from '../lib/bench/generate';
import { AppServer, digestBody, freshDatabase, postIncidentStream, queryOnce, sha256, sleep, sqliteEnv, waitFor, type FreshDatabase, type Part } from './support/app-server';

/**
 * A server killed (SIGKILL) in the middle of a large upload leaves nothing visible and, once
 * restarted, nothing behind: for SQLite no staged file in tmp/ and no blob no incident uses
 * (instrumentation.ts opens the store at start, and opening sweeps); for PostgreSQL no row of
 * the upload, which the database rolled back when the connection died.
 */

const PG_URL = process.env.HOPSCOPE_TEST_DATABASE_URL?.trim() || null;
const PG_HOW = 'run `eval "$(scripts/test-postgres.sh --print-env)"` first (as root on Debian it installs and starts PostgreSQL), or set HOPSCOPE_TEST_DATABASE_URL to a database whose role may CREATE DATABASE';

/** About 170 MB of capture if it were all sent; generated lazily, so only what is sent exists. */
const LARGE_PACKETS = 200_000;
const CHUNK_BYTES = 256 * 1024;
const PAUSE_MS = 3;
/** Kill once this much of the large file has reached the store. */
const KILL_AFTER_BYTES = 16 * 1024 * 1024;

const bytesOf = (chunks: Iterable<Uint8Array>) => new Uint8Array(Buffer.concat([...chunks]));

interface Doomed {
  /** Settles with the client's view once the server is gone: a status, or the network error. */
  outcome: Promise<string>;
  /** Bytes of the large file handed to fetch so far. */
  sent(): number;
  /** True once the whole large file was handed over (the kill came too late). */
  finished(): boolean;
  abort(): void;
  small: Uint8Array;
}

/**
 * An upload of a small capture (staged completely before the kill: for SQLite it is in blobs/,
 * an orphan once the upload dies) and a large one, sent in paced chunks so the kill lands in
 * the middle of it.
 */
function startDoomedUpload(url: string, seed: number): Doomed {
  const small = bytesOf(generateBenchCapture(300, { seed }));
  let sent = 0;
  let finished = false;
  const ctrl = new AbortController();
  async function* large(): AsyncGenerator<Uint8Array> {
    for (const chunk of generateBenchCapture(LARGE_PACKETS, { seed: seed + 1, chunkSize: CHUNK_BYTES })) {
      if (ctrl.signal.aborted) return;
      sent += chunk.length;
      yield chunk;
      await sleep(PAUSE_MS);
    }
    finished = true;
  }
  const parts: Part[] = [
    { field: 'title', value: 'never committed' },
    { filename: 'small-first.pcap', data: small },
    { filename: 'large-second.pcap', data: large() },
  ];
  const outcome = postIncidentStream(url, parts, { signal: ctrl.signal }).then(
    async (r) => `HTTP ${r.status}: ${await r.text()}`,
    (err: Error) => `failed: ${err.message}`,
  );
  return { outcome, sent: () => sent, finished: () => finished, abort: () => ctrl.abort(), small };
}

async function normalUpload(server: AppServer, seed: number): Promise<{ id: string; data: Uint8Array }> {
  const data = bytesOf(generateBenchCapture(1_500, { seed }));
  const res = await postIncidentStream(server.url, [{ filename: 'after-restart.pcap', data }]);
  const text = await res.text();
  expect(res.status, text).toBe(201);
  const { id } = JSON.parse(text) as { id: string };
  expect(await digestBody(await fetch(`${server.url}/api/incidents/${id}/files/0`))).toEqual({ sha256: sha256(data), bytes: data.length });
  return { id, data };
}

function filesUnder(dir: string): { path: string; size: number }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [{ path: p, size: statSync(p, { throwIfNoEntry: false })?.size ?? 0 }];
  });
}

test.describe('a server killed mid-upload', () => {
  test.describe.configure({ timeout: 90_000 });
  let server: AppServer | null = null;
  let dataDir: string | null = null;
  let db: FreshDatabase | null = null;

  test.afterEach(async ({}, testInfo) => {
    if (server && testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach(`${server.name} output`, { body: server.recentOutput(), contentType: 'text/plain' });
    }
    await server?.stop('SIGKILL');
    server = null;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = null;
    await db?.drop().catch((err) => console.warn(`cleanup: ${(err as Error).message}`));
    db = null;
  });

  test('SQLite: nothing visible, and after a restart no staged file and no orphan blob', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'hopscope-e2e-crash-'));
    const dir = dataDir;
    const tmp = path.join(dir, 'tmp');
    const blobs = path.join(dir, 'blobs');
    server = await AppServer.start({ name: 'sqlite crash', env: sqliteEnv(dir) });

    const upload = startDoomedUpload(server.url, 0xc0a5);
    // The small file is a blob by now, and the large one is being written to tmp/.
    await waitFor('the large file to reach tmp/', () => filesUnder(tmp).some((f) => f.size >= KILL_AFTER_BYTES), 30_000, 20);
    await server.kill();
    upload.abort();
    expect(await upload.outcome).toMatch(/^failed/);

    const staged = filesUnder(tmp);
    expect(staged, 'the killed upload left its staged file').toHaveLength(1);
    expect(staged[0]!.size).toBeGreaterThanOrEqual(KILL_AFTER_BYTES);
    expect(staged[0]!.size).toBeLessThanOrEqual(upload.sent());
    expect(upload.finished(), 'killed before the large file was all sent').toBe(false);
    expect(filesUnder(blobs).map((f) => path.basename(f.path)), 'the small file was stored before the kill').toEqual([sha256(upload.small)]);

    await server.restart();
    // No API request yet: the store must have swept at start (instrumentation.ts).
    expect(filesUnder(tmp), 'tmp/ after restart').toEqual([]);
    expect(filesUnder(blobs), 'blobs/ after restart: no incident uses any').toEqual([]);
    const sql = new Database(path.join(dir, 'hopscope.db'), { readonly: true, fileMustExist: true });
    try {
      expect(sql.prepare('SELECT count(*) AS n FROM incidents').get()).toEqual({ n: 0 });
      expect(sql.prepare('SELECT count(*) AS n FROM incident_files').get()).toEqual({ n: 0 });
    } finally {
      sql.close();
    }

    const { data } = await normalUpload(server, 0xa11e);
    expect(filesUnder(blobs).map((f) => path.basename(f.path))).toEqual([sha256(data)]);
    expect(filesUnder(tmp)).toEqual([]);
  });

  test('PostgreSQL: nothing visible, and after the rollback no row of the upload', async () => {
    if (!PG_URL) {
      if (process.env.CI) throw new Error(`CI must run the PostgreSQL crash test, but HOPSCOPE_TEST_DATABASE_URL is not set: ${PG_HOW}`);
      test.skip(true, `HOPSCOPE_TEST_DATABASE_URL is not set; ${PG_HOW}`);
      return;
    }
    db = await freshDatabase(PG_URL);
    const url = db.url;
    const counts = async () =>
      (
        await queryOnce<{ incidents: number; files: number; chunks: number }>(
          url,
          `SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM incident_files)::int AS files,
                  (SELECT count(*) FROM blob_chunks)::int AS chunks`,
        )
      )[0]!;
    // Uncommitted rows are invisible to count(*), but they take room in the table: that is how
    // far the upload got.
    const stagedBytes = async () => Number((await queryOnce<{ n: string }>(url, `SELECT pg_total_relation_size('blob_chunks') AS n`))[0]!.n);
    const storeSessions = async () =>
      (await queryOnce<{ n: number }>(url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'hopscope'`))[0]!.n;

    server = await AppServer.start({ name: 'postgres crash', env: { HOPSCOPE_DATABASE_URL: url } });
    // instrumentation.ts opened the store, which made the tables.
    await waitFor('the store to create its tables', async () => (await queryOnce(url, `SELECT to_regclass('blob_chunks') AS t`))[0]!.t !== null, 10_000);
    const before = await stagedBytes();

    const upload = startDoomedUpload(server.url, 0xc0a7);
    await waitFor('the upload to write chunk rows', async () => (await stagedBytes()) - before >= KILL_AFTER_BYTES / 2, 30_000, 50);
    expect(await counts(), 'rows of an upload in flight are invisible').toEqual({ incidents: 0, files: 0, chunks: 0 });
    await server.kill();
    upload.abort();
    expect(await upload.outcome).toMatch(/^failed/);
    expect(upload.finished(), 'killed before the large file was all sent').toBe(false);

    // PostgreSQL notices the dead connection and rolls its transaction back.
    await waitFor('the killed server’s sessions to end', async () => (await storeSessions()) === 0, 15_000, 100);
    expect(await counts()).toEqual({ incidents: 0, files: 0, chunks: 0 });

    await server.restart();
    const { id, data } = await normalUpload(server, 0xa11f);
    const after = await counts();
    expect(after).toEqual({ incidents: 1, files: 1, chunks: Math.ceil(data.length / (1024 * 1024)) });
    const [row] = await queryOnce<{ id: string }>(url, 'SELECT id FROM incidents');
    expect(row!.id).toBe(id);
  });
});

import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateBenchCapture } from '../lib/bench/generate';
import { shareForm } from '../lib/incident/client';
import type { IncidentCreated } from '../lib/incident/types';
import { SAMPLE_CAPTURES, tinyPcap, tinyPng } from './fixtures';
import {
  AppServer,
  digestBody,
  freshDatabase,
  postIncidentStream,
  queryOnce,
  sha256,
  sleep,
  sqliteEnv,
  startAppServers,
  type FreshDatabase,
} from './support/app-server';

/**
 * The incident API over HTTP, against real `next start` servers: the same tests for the SQLite
 * store (a temporary data directory per server) and the PostgreSQL store (a fresh database per
 * server, made through HOPSCOPE_TEST_DATABASE_URL). Each server gets the limits its tests need.
 */

const PG_URL = process.env.HOPSCOPE_TEST_DATABASE_URL?.trim() || null;
const PG_HOW = 'run `eval "$(scripts/test-postgres.sh --print-env)"` first (as root on Debian it installs and starts PostgreSQL), or set HOPSCOPE_TEST_DATABASE_URL to a database whose role may CREATE DATABASE';

const TTL_MS = 2_500;
const SMALL_LIMIT_BYTES = 64 * 1024;
const SMALL_MAX_FILES = 3;

interface Capture {
  name: string;
  data: Uint8Array<ArrayBuffer>;
}

/** A copy in an ArrayBuffer of its own (what Blob and fetch bodies take). */
const own = (b: Uint8Array) => new Uint8Array(b);
const bytesOf = (chunks: Iterable<Uint8Array>) => own(Buffer.concat([...chunks]));
const tiny = () => own(tinyPcap());

/** A generated capture of `packets` packets; distinct seeds give distinct bytes. */
function generated(name: string, packets: number, seed: number): Capture {
  return { name, data: bytesOf(generateBenchCapture(packets, { seed })) };
}

/** Every `.pcap` of the recorded vxlan-forward-drop incident, labelled from its file name. */
function realIncident(): (Capture & { node: string; iface: string })[] {
  const dir = path.join(SAMPLE_CAPTURES, 'vxlan-forward-drop');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((name) => {
      const m = /^(node\d+)-(.+)\.pcap$/.exec(name)!;
      return { name, data: own(readFileSync(path.join(dir, name))), node: m[1]!, iface: m[2]! };
    });
}

function form(files: Capture[], fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  for (const c of files) f.append('file', new Blob([c.data]), c.name);
  return f;
}

async function post(server: AppServer, body: FormData): Promise<Response> {
  return fetch(`${server.url}/api/incidents`, { method: 'POST', body });
}

type Created = IncidentCreated;

async function created(res: Response): Promise<Created> {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as Created;
}

/** A refusal: the status, JSON `{error}`, and the message. */
async function refusal(res: Response, status: number): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error?: unknown };
  expect(typeof body.error).toBe('string');
  return body.error as string;
}

const meta = (server: AppServer, id: string) => fetch(`${server.url}/api/incidents/${id}`);
const file = (server: AppServer, id: string, index: number | string) => fetch(`${server.url}/api/incidents/${id}/files/${index}`);
const del = (server: AppServer, id: string, token: string | null) =>
  fetch(`${server.url}/api/incidents/${id}`, { method: 'DELETE', headers: token === null ? {} : { Authorization: `Bearer ${token}` } });

/** Where a store keeps one server's data, and what is at rest there. */
interface Storage {
  env: Record<string, string>;
  /** Incidents, their file rows, and stored blobs (blob files, or chunk rows). */
  counts(): Promise<{ incidents: number; files: number; blobs: number; staged: number }>;
  dispose(): Promise<void>;
}

function sqliteStorage(): Storage {
  const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-e2e-api-'));
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return {
    env: sqliteEnv(dir),
    async counts() {
      const db = new Database(path.join(dir, 'hopscope.db'), { readonly: true, fileMustExist: true });
      try {
        const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
        return {
          incidents: n('SELECT count(*) AS n FROM incidents'),
          files: n('SELECT count(*) AS n FROM incident_files'),
          blobs: walk(path.join(dir, 'blobs')).length,
          staged: walk(path.join(dir, 'tmp')).length,
        };
      } finally {
        db.close();
      }
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresStorage(db: FreshDatabase): Storage {
  return {
    env: { HOPSCOPE_DATABASE_URL: db.url },
    async counts() {
      const [r] = await queryOnce<{ incidents: number; files: number; blobs: number }>(
        db.url,
        `SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM incident_files)::int AS files,
                (SELECT count(*) FROM blob_chunks)::int AS blobs`,
      );
      return { ...r!, staged: 0 };
    },
    async dispose() {
      await db.drop();
    },
  };
}

/** The 20 captures of the concurrency test, generated once for both stores. */
let concurrentSet: Capture[] | null = null;
function concurrentCaptures(): Capture[] {
  // 400 to 4,200 packets: about 0.3 to 3.6 MB each.
  concurrentSet ??= Array.from({ length: 20 }, (_, i) => generated(`concurrent-${i}.pcap`, 400 + i * 200, 0x5eed_0000 + i));
  return concurrentSet;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  test.describe(`incident API on ${kind}`, () => {
    test.describe.configure({ timeout: 60_000 });
    if (kind === 'postgres') test.skip(!PG_URL && !process.env.CI, `HOPSCOPE_TEST_DATABASE_URL is not set; ${PG_HOW}`);

    /** Default limits, except a rate limit no test reaches. */
    let main: AppServer;
    /** HOPSCOPE_MAX_INCIDENT_BYTES 64 KiB, HOPSCOPE_MAX_FILES 3. */
    let limits: AppServer;
    /** Incidents expire after TTL_MS. */
    let expiry: AppServer;
    /** Two creations an hour. */
    let rated: AppServer;
    /** PostgreSQL only: a second server on main's database. */
    let second: AppServer | null = null;
    const storages: Storage[] = [];
    let limitsStorage: Storage;

    test.beforeAll(async () => {
      const storage = async (): Promise<Storage> => {
        let s: Storage;
        if (kind === 'sqlite') s = sqliteStorage();
        else {
          if (!PG_URL) throw new Error(`CI must run the PostgreSQL end-to-end tests, but HOPSCOPE_TEST_DATABASE_URL is not set: ${PG_HOW}`);
          s = postgresStorage(await freshDatabase(PG_URL));
        }
        storages.push(s);
        return s;
      };
      const [mainS, limitsS, expiryS, ratedS] = await Promise.all([storage(), storage(), storage(), storage()]);
      limitsStorage = limitsS!;
      const servers = await startAppServers([
        { name: `${kind} main`, env: { ...mainS!.env, HOPSCOPE_MAX_INCIDENTS_PER_HOUR: '10000' } },
        { name: `${kind} limits`, env: { ...limitsS!.env, HOPSCOPE_MAX_INCIDENT_BYTES: String(SMALL_LIMIT_BYTES), HOPSCOPE_MAX_FILES: String(SMALL_MAX_FILES) } },
        { name: `${kind} expiry`, env: { ...expiryS!.env, HOPSCOPE_INCIDENT_TTL_DAYS: String(TTL_MS / 86_400_000) } },
        { name: `${kind} rate`, env: { ...ratedS!.env, HOPSCOPE_MAX_INCIDENTS_PER_HOUR: '2' } },
        // Scale-out: a second instance on the same database, as behind a load balancer.
        ...(kind === 'postgres' ? [{ name: 'postgres second', env: { ...mainS!.env, HOPSCOPE_MAX_INCIDENTS_PER_HOUR: '10000' } }] : []),
      ]);
      [main, limits, expiry, rated] = servers as [AppServer, AppServer, AppServer, AppServer];
      second = servers[4] ?? null;
    });

    test.afterEach(async ({}, testInfo) => {
      if (testInfo.status === testInfo.expectedStatus) return;
      for (const s of [main, limits, expiry, rated, second]) {
        if (s) await testInfo.attach(`${s.name} output`, { body: s.recentOutput(), contentType: 'text/plain' });
      }
    });

    test.afterAll(async () => {
      await Promise.all([main, limits, expiry, rated, second].map((s) => s?.stop()));
      for (const s of storages.splice(0)) await s.dispose().catch((err) => console.warn(`cleanup: ${(err as Error).message}`));
    });

    test('a real incident comes back as sent: metadata, and every file byte for byte', async () => {
      const captures = realIncident();
      const comments = [
        { flow: 'ICMP 10.244.1.2 → 10.244.2.3 id 4242', text: 'requests leave node1 eth0 and never reach **node2 flannel.1**' },
        { flow: 'TCP 10.244.1.2:40000 → 10.244.2.3:80', text: 'same path: <b>not HTML</b>, ünïcødé ✓' },
      ];
      const title = 'pod-to-pod ping drops between node1 and node2';
      const notes = '# Findings\n\n- VXLAN leaves node1\n- nothing on node2 flannel.1\n\nCaptured with `tcpdump -i any`.';
      const body = shareForm({
        files: captures.map((c) => ({ name: c.name, blob: new Blob([c.data]), label: { node: c.node, interface: c.iface } })),
        title,
        notes,
        comments,
        headersOnly: false,
      });
      const res = await post(main, body);
      expect(res.headers.get('location')).toMatch(/^\/api\/incidents\/[A-Za-z0-9_-]{22}$/);
      const made = await created(res);
      expect(made.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(made.deleteToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(made.url).toBe(`${main.url}/i/${made.id}`);
      expect(made.warnings).toEqual([]);

      const got = await meta(main, made.id);
      expect(got.status).toBe(200);
      expect(got.headers.get('cache-control')).toBe('no-store');
      const m = (await got.json()) as Record<string, unknown> & { files: { name: string; size: number; sha256: string; node: string | null; interface: string | null }[] };
      // multipart/form-data sends every line break of a text field as CRLF (HTML's form encoding
      // algorithm; browsers and undici alike): what was typed had LF, and LF must come back.
      expect(m.notes, 'notes as typed (LF line breaks), not as multipart framed them (CRLF)').toBe(notes);
      expect(m).toMatchObject({ id: made.id, title, comments, headersOnly: false, warnings: [], expiresAt: made.expiresAt });
      const createdAt = Date.parse(m.createdAt as string);
      expect(Math.abs(createdAt - Date.now())).toBeLessThan(60_000);
      expect(Date.parse(made.expiresAt) - createdAt).toBe(30 * 86_400_000);
      expect(m.files).toEqual(captures.map((c) => ({ name: c.name, size: c.data.length, sha256: sha256(c.data), node: c.node, interface: c.iface })));

      for (const [i, c] of captures.entries()) {
        const r = await file(main, made.id, i);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/octet-stream');
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${c.name}"; filename*=UTF-8''${encodeURIComponent(c.name)}`);
        // No Content-Length check: Next.js 16 drops it from route handler responses
        // (send-response.js, FORBIDDEN_HEADERS) and sends the body chunked; the size is in the metadata.
        expect(r.headers.get('x-checksum-sha256')).toBe(m.files[i]!.sha256);
        const d = await digestBody(r);
        expect(d, c.name).toEqual({ sha256: sha256(c.data), bytes: c.data.length });
        expect(d.sha256).toBe(m.files[i]!.sha256);
      }
    });

    test('an empty file is refused with 400, naming the file', async () => {
      const error = await refusal(await post(main, form([{ name: 'node1-eth0.pcap', data: tiny() }, { name: 'empty-capture.pcap', data: new Uint8Array(0) }])), 400);
      expect(error).toContain('empty-capture.pcap');
      expect(error).toMatch(/empty/i);
    });

    test('a PNG is refused with 400, naming the file and its first bytes', async () => {
      const error = await refusal(await post(main, form([{ name: 'screenshot.pcap', data: own(tinyPng()) }])), 400);
      expect(error).toContain('screenshot.pcap');
      expect(error).toContain('89 50 4e 47');
    });

    test('a truncated capture is accepted, with a warning naming the byte offset', async () => {
      const whole = tiny();
      // The second record starts at 24 + 16 + 42 = 82; cut it after 10 of its bytes.
      const secondRecord = 24 + 16 + 42;
      const cut = new Uint8Array(whole.subarray(0, secondRecord + 10));
      const made = await created(await post(main, form([{ name: 'cut-short.pcap', data: cut }], { headersOnly: 'true' })));
      expect(made.warnings).toHaveLength(1);
      expect(made.warnings[0]).toContain('cut-short.pcap');
      expect(made.warnings[0]).toContain(`byte ${secondRecord}`);
      const m = (await (await meta(main, made.id)).json()) as { warnings: string[]; headersOnly: boolean; files: { size: number }[] };
      expect(m.warnings).toEqual(made.warnings);
      expect(m.headersOnly).toBe(true);
      expect(m.files[0]!.size).toBe(cut.length);
      expect((await digestBody(await file(main, made.id, 0))).sha256).toBe(sha256(cut));
    });

    test('a body that is not multipart is refused with 400', async () => {
      const json = await fetch(`${main.url}/api/incidents`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ file: 'x' }) });
      expect(await refusal(json, 400)).toMatch(/multipart/);
      const raw = await fetch(`${main.url}/api/incidents`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.tcpdump.pcap' }, body: tiny() });
      await refusal(raw, 400);
      const none = await fetch(`${main.url}/api/incidents`, { method: 'POST' });
      await refusal(none, 400);
    });

    test('an incident over HOPSCOPE_MAX_INCIDENT_BYTES is refused with 413 and leaves nothing', async () => {
      // Declared far over the limit: refused from Content-Length before a byte is stored.
      const big = generated('big.pcap', 2_500, 0xb16);
      expect(big.data.length).toBeGreaterThan(4 * SMALL_LIMIT_BYTES);
      expect(await refusal(await post(limits, form([big])), 413)).toMatch(/HOPSCOPE_MAX_INCIDENT_BYTES/);
      // Within the framing allowance of Content-Length, but over the limit once counted.
      const over = generated('slightly-over.pcap', 110, 0x0e7);
      expect(over.data.length).toBeGreaterThan(SMALL_LIMIT_BYTES);
      expect(over.data.length).toBeLessThan(2 * SMALL_LIMIT_BYTES);
      expect(await refusal(await post(limits, form([over])), 413)).toContain('slightly-over.pcap');
      // Streamed (chunked, no Content-Length): counted as it arrives; two files summing over.
      const half = generated('half-a.pcap', 50, 0x4a1f);
      expect(half.data.length).toBeLessThan(SMALL_LIMIT_BYTES);
      const res = await postIncidentStream(limits.url, [
        { filename: 'half-a.pcap', data: half.data },
        { filename: 'half-b.pcap', data: generated('half-b.pcap', 50, 0x4a20).data },
      ]);
      expect(await refusal(res, 413)).toContain('half-b.pcap');
      expect(await limitsStorage.counts()).toEqual({ incidents: 0, files: 0, blobs: 0, staged: 0 });
      // Under the limit the same server takes it.
      await created(await post(limits, form([half])));
    });

    test(`more than HOPSCOPE_MAX_FILES files is refused with 413`, async () => {
      const files = Array.from({ length: SMALL_MAX_FILES + 1 }, (_, i) => ({ name: `point-${i}.pcap`, data: tiny() }));
      expect(await refusal(await post(limits, form(files)), 413)).toContain(`${SMALL_MAX_FILES} files`);
    });

    test('unknown and malformed ids and file indexes are 404', async () => {
      const made = await created(await post(main, form([{ name: 'one.pcap', data: tiny() }])));
      expect(await refusal(await meta(main, 'AAAAAAAAAAAAAAAAAAAAAA'), 404)).toContain('AAAAAAAAAAAAAAAAAAAAAA');
      await refusal(await file(main, 'AAAAAAAAAAAAAAAAAAAAAA', 0), 404);
      const malformed = [
        encodeURIComponent('../../etc/passwd'),
        encodeURIComponent('..\\..\\hopscope.db'),
        made.id.slice(0, 21),
        `${made.id}A`,
        encodeURIComponent(`' OR '1'='1' --`),
        encodeURIComponent(`${made.id.slice(0, 10)}';DROP TABLE incidents;--`),
        encodeURIComponent('ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ'),
      ];
      for (const id of malformed) {
        for (const r of [await meta(main, id), await file(main, id, 0)]) {
          const text = await r.text();
          expect(r.status, `${r.url}: ${text.slice(0, 200)}`).toBe(404);
          expect(text).not.toContain('root:');
        }
      }
      for (const index of ['1', '-1', '01', 'abc', '1e3', '99999999999999999999', encodeURIComponent('0; DROP TABLE incident_files')]) {
        const r = await file(main, made.id, index);
        expect(r.status, `file index ${index}: ${await r.clone().text()}`).toBe(404);
        await r.body?.cancel();
      }
      // The store survived all that.
      expect((await meta(main, made.id)).status).toBe(200);
      expect((await digestBody(await file(main, made.id, 0))).sha256).toBe(sha256(tiny()));
    });

    test('delete: a wrong token is 403; the right one 204, then the incident is 404', async () => {
      const made = await created(await post(main, form([{ name: 'a.pcap', data: tiny() }, { name: 'b.pcap', data: generated('b', 100, 0xde1).data }])));
      const otherToken = made.deleteToken.startsWith('A') ? `B${made.deleteToken.slice(1)}` : `A${made.deleteToken.slice(1)}`;
      await refusal(await del(main, made.id, otherToken), 403);
      await refusal(await del(main, made.id, 'not-a-token'), 403);
      expect((await del(main, made.id, null)).status).toBe(403);
      await refusal(await del(main, 'AAAAAAAAAAAAAAAAAAAAAA', made.deleteToken), 404);
      expect((await meta(main, made.id)).status).toBe(200);

      const gone = await del(main, made.id, made.deleteToken);
      expect(gone.status).toBe(204);
      expect(await gone.text()).toBe('');
      await refusal(await meta(main, made.id), 404);
      await refusal(await file(main, made.id, 0), 404);
      await refusal(await file(main, made.id, 1), 404);
      await refusal(await del(main, made.id, made.deleteToken), 404);
    });

    test('an incident expires: metadata and files answer 410 once its time passed', async () => {
      const data = generated('expiring.pcap', 200, 0xe1).data;
      const made = await created(await post(expiry, form([{ name: 'expiring.pcap', data }])));
      const expiresAt = Date.parse(made.expiresAt);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(TTL_MS);
      expect((await meta(expiry, made.id)).status).toBe(200);
      await sleep(Math.max(0, expiresAt - Date.now()) + 250);
      expect(await refusal(await meta(expiry, made.id), 410)).toMatch(/expired/);
      expect(await refusal(await file(expiry, made.id, 0), 410)).toMatch(/expired/);
    });

    test('rate limit: the third creation in an hour from one address is 429 with Retry-After', async () => {
      for (let i = 0; i < 2; i++) await created(await post(rated, form([{ name: `r${i}.pcap`, data: tiny() }])));
      const res = await post(rated, form([{ name: 'r2.pcap', data: tiny() }]));
      const retry = res.headers.get('retry-after');
      expect(await refusal(res, 429)).toMatch(/HOPSCOPE_MAX_INCIDENTS_PER_HOUR/);
      expect(Number(retry)).toBeGreaterThan(0);
    });

    test('20 concurrent uploads all come back intact', async () => {
      const captures = concurrentCaptures();
      // Half as FormData (with Content-Length), half streamed chunked, as they come.
      const results = await Promise.all(
        captures.map(async (c, i) => {
          const res =
            i % 2 === 0
              ? await post(main, form([c], { title: c.name }))
              : await postIncidentStream(main.url, [{ field: 'title', value: c.name }, { filename: c.name, data: c.data }]);
          return created(res);
        }),
      );
      expect(new Set(results.map((r) => r.id)).size).toBe(captures.length);
      await Promise.all(
        results.map(async (made, i) => {
          const c = captures[i]!;
          const m = (await (await meta(main, made.id)).json()) as { title: string; files: { name: string; size: number; sha256: string }[] };
          expect(m.title).toBe(c.name);
          expect(m.files).toHaveLength(1);
          expect(m.files[0]).toMatchObject({ name: c.name, size: c.data.length, sha256: sha256(c.data) });
          expect(await digestBody(await file(main, made.id, 0)), c.name).toEqual({ sha256: sha256(c.data), bytes: c.data.length });
        }),
      );
    });

    if (kind === 'postgres') {
      test('scale-out: two servers on one database serve the same incidents', async () => {
        const a = main;
        const b = second!;
        const captures = [generated('node1-eth0.pcap', 800, 0x5ca1e), generated('node2-eth0.pcap', 900, 0x5ca1f)];
        const made = await created(await post(a, form(captures, { title: 'made on A' })));
        const m = (await (await meta(b, made.id)).json()) as { title: string; files: { sha256: string }[] };
        expect(m.title).toBe('made on A');
        expect(m.files.map((f) => f.sha256)).toEqual(captures.map((c) => sha256(c.data)));
        for (const [i, c] of captures.entries()) {
          expect(await digestBody(await file(b, made.id, i))).toEqual({ sha256: sha256(c.data), bytes: c.data.length });
        }
        expect((await del(b, made.id, made.deleteToken)).status).toBe(204);
        await refusal(await meta(a, made.id), 404);
        await refusal(await file(a, made.id, 0), 404);
        await refusal(await del(a, made.id, made.deleteToken), 404);
      });
    }
  });
}

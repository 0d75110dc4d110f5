/**
 * The share server against hostile and unlucky clients (`npm run test:hostile`, part of
 * `npm test`): real servers (bin/hopscope-server.mjs) on SQLite and on PostgreSQL, driven over
 * HTTP — raw sockets where fetch cannot (a body cut off, a client that goes quiet, a header no
 * browser would send). Each case checks the status and the body's code, that no staged file is
 * left in tmp/ and no transaction left open (pg_stat_activity), and that honest uploads go on.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { tinyPcap } from './fixtures';
import { AppServer, freshDatabase, queryOnce, sleep, sqliteEnv, startAppServers, waitFor, type FreshDatabase } from './support/app-server';

const PG_URL = process.env.HOPSCOPE_TEST_DATABASE_URL?.trim() || null;
const IDLE_S = 2;
const DEADLINE_S = 8;
const LIMIT_BYTES = 4 * 1024 * 1024;
const RATE = 5;

/** A raw HTTP/1.1 exchange: what was answered, if anything, before the socket closed. */
interface Raw {
  socket: net.Socket;
  /** Resolves with the response text once the server closes or `ms` pass (then null). */
  response(ms: number): Promise<{ status: number; body: string; text: string } | null>;
}

function raw(url: string, head: string, body: Buffer | string = ''): Raw {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  let text = '';
  let closed = false;
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.on('error', () => {});
  const done = new Promise<void>((r) => socket.on('close', () => ((closed = true), r())));
  socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
  if (body.length) socket.write(body);
  return {
    socket,
    async response(ms) {
      await Promise.race([done, sleep(ms)]);
      // A response may be complete while keep-alive holds the socket open.
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m) return null;
      const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4);
      return { status: Number(m[1]), body: bodyText, text };
    },
  };
}

/** The JSON object inside a (possibly chunked) response body. */
function json(body: string): { error?: string; code?: string; [k: string]: unknown } {
  const m = /\{[\s\S]*\}/.exec(body);
  return m ? JSON.parse(m[0]) : {};
}

const BOUNDARY = 'hostile-boundary-7c1f';
const partHead = (name: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
const multipartHead = (url: string, length: number | null) =>
  `POST /api/incidents HTTP/1.1\nHost: ${new URL(url).host}\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\n${length === null ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`}\n`;

/** A capture that is big enough to stream for a while: pcap header, then 1 KiB records. */
function pcapOf(records: number): Buffer {
  const head = tinyPcap().subarray(0, 24);
  const rec = Buffer.alloc(16 + 1024);
  rec.writeUInt32LE(1024, 8);
  rec.writeUInt32LE(1024, 12);
  return Buffer.concat([head, ...Array.from({ length: records }, () => rec)]);
}

/** What a compression bomb looks like: a small gzip of a capture that inflates `factor` times the server's limit. */
function bomb(inflatedBytes: number): Buffer {
  return gzipSync(pcapOf(Math.ceil(inflatedBytes / 1040)), { level: 9 });
}

async function honest(s: AppServer, name: string, extra: Record<string, string> = {}): Promise<Response> {
  const f = new FormData();
  f.append('file', new Blob([new Uint8Array(tinyPcap())]), name);
  for (const [k, v] of Object.entries(extra)) f.append(k, v);
  return fetch(`${s.url}/api/incidents`, { method: 'POST', body: f });
}

interface Storage {
  env: Record<string, string>;
  /** Files left in tmp/ (SQLite) or transactions left open (PostgreSQL). */
  leftovers(): Promise<string[]>;
  /** Bytes of incident files stored: blob files (SQLite) or chunk rows (PostgreSQL). */
  blobs(): Promise<number>;
  dispose(): Promise<void>;
  dataDir?: string;
}

function sqliteStorage(): Storage {
  const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-hostile-'));
  const walk = (d: string): string[] => {
    try {
      return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    } catch {
      return [];
    }
  };
  return {
    env: sqliteEnv(dir),
    dataDir: dir,
    leftovers: async () => walk(path.join(dir, 'tmp')),
    blobs: async () => walk(path.join(dir, 'blobs')).length,
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresStorage(db: FreshDatabase): Storage {
  return {
    env: { HOPSCOPE_DATABASE_URL: db.url },
    async leftovers() {
      const rows = await queryOnce<{ state: string; query: string }>(
        db.url,
        `SELECT state, query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND (state LIKE 'idle in transaction%' OR xact_start IS NOT NULL AND state <> 'idle')`,
        [db.name],
      );
      return rows.map((r) => `${r.state}: ${r.query.slice(0, 80)}`);
    },
    async blobs() {
      const [r] = await queryOnce<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM blob_chunks');
      return r!.n;
    },
    dispose: () => db.drop(),
  };
}

const LIMITS = {
  HOPSCOPE_UPLOAD_IDLE_SECONDS: String(IDLE_S),
  HOPSCOPE_UPLOAD_DEADLINE_SECONDS: String(DEADLINE_S),
  HOPSCOPE_MAX_INCIDENT_BYTES: String(LIMIT_BYTES),
  HOPSCOPE_MAX_DECOMPRESSED_FACTOR: '4',
};

for (const kind of ['sqlite', 'postgres'] as const) {
  test.describe(`hostile clients, ${kind}`, () => {
    test.describe.configure({ timeout: 60_000 });
    if (kind === 'postgres') test.skip(!PG_URL && !process.env.CI, 'HOPSCOPE_TEST_DATABASE_URL is not set (scripts/test-postgres.sh sets one up)');

    let main: AppServer;
    let rated: AppServer;
    let mainS: Storage;
    let ratedS: Storage;

    test.beforeAll(async () => {
      const storage = async () => (kind === 'sqlite' ? sqliteStorage() : postgresStorage(await freshDatabase(PG_URL!)));
      [mainS, ratedS] = await Promise.all([storage(), storage()]);
      [main, rated] = (await startAppServers([
        { name: `${kind} hostile main`, env: { ...mainS.env, ...LIMITS, HOPSCOPE_MAX_INCIDENTS_PER_HOUR: '100000' } },
        { name: `${kind} hostile rated`, env: { ...ratedS.env, ...LIMITS, HOPSCOPE_MAX_INCIDENTS_PER_HOUR: String(RATE) } },
      ])) as [AppServer, AppServer];
    });

    test.afterEach(async ({}, info) => {
      if (info.status !== info.expectedStatus) for (const s of [main, rated]) await info.attach(`${s.name} output`, { body: s.recentOutput(), contentType: 'text/plain' });
    });

    test.afterAll(async () => {
      await Promise.all([main, rated].map((s) => s?.stop()));
      for (const s of [mainS, ratedS]) await s?.dispose().catch(() => {});
    });

    const clean = async (s: Storage) => expect(await waitFor('nothing staged or open', async () => ((await s.leftovers()).length === 0 ? true : undefined), 5_000).catch(async () => s.leftovers())).toBe(true);

    test('a client that disconnects mid-body leaves no staged file and no open transaction, and honest uploads go on', async () => {
      const data = pcapOf(2000);
      const head = partHead('cut.pcap');
      const c = raw(main.url, multipartHead(main.url, head.length + data.length + 64), Buffer.concat([Buffer.from(head), data.subarray(0, 600_000)]));
      // The upload is under way: a staged file, or an open transaction.
      await waitFor('the upload to be staged', async () => ((await mainS.leftovers()).length > 0 ? true : undefined), 5_000);
      c.socket.destroy();
      await clean(mainS);
      expect((await honest(main, 'after-cut.pcap')).status).toBe(201);
    });

    test(`a client that goes quiet gets 408 UPLOAD_STALLED after ${IDLE_S} s, and nothing of it is kept`, async () => {
      const head = partHead('stall.pcap');
      const started = Date.now();
      // Headers and part of the body, then nothing.
      const c = raw(main.url, multipartHead(main.url, 1_000_000), Buffer.concat([Buffer.from(head), pcapOf(50)]));
      // And one that sends its headers and never a byte of body.
      const d = raw(main.url, multipartHead(main.url, 1_000_000));
      const [r, q] = await Promise.all([c.response(IDLE_S * 1000 + 5000), d.response(IDLE_S * 1000 + 5000)]);
      for (const x of [r, q]) {
        expect(x?.status).toBe(408);
        expect(json(x!.body).code).toBe('UPLOAD_STALLED');
      }
      expect(Date.now() - started).toBeLessThan(IDLE_S * 1000 + 4000);
      c.socket.destroy();
      d.socket.destroy();
      await clean(mainS);
      expect((await honest(main, 'after-stall.pcap')).status).toBe(201);
    });

    test('a body still trickling in at the deadline is cut off with 408 UPLOAD_TOO_SLOW', async () => {
      test.setTimeout(DEADLINE_S * 1000 + 30_000);
      const head = partHead('slow.pcap');
      const c = raw(main.url, multipartHead(main.url, 3_000_000), Buffer.from(head));
      const rec = pcapOf(1);
      c.socket.write(rec.subarray(0, 24));
      // One record a second: never idle, never done.
      const drip = setInterval(() => c.socket.writable && c.socket.write(rec.subarray(24)), 1000);
      const r = await c.response(DEADLINE_S * 1000 + 8000);
      clearInterval(drip);
      c.socket.destroy();
      expect(r?.status).toBe(408);
      expect(json(r!.body).code).toBe('UPLOAD_TOO_SLOW');
      await clean(mainS);
    });

    test('multipart without a boundary is 400 BAD_MULTIPART and takes no upload slot or transaction, fifty times over', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${main.url}/api/incidents`, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x'.repeat(100) })),
      );
      for (const r of results) {
        expect(r.status).toBe(400);
        expect(((await r.json()) as { code: string }).code).toBe('BAD_MULTIPART');
      }
      await clean(mainS);
      expect((await honest(main, 'after-malformed.pcap')).status).toBe(201);
    });

    test(`the rate limit holds under concurrency: 20 parallel uploads, ${RATE} created`, async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => honest(rated, `par-${i}.pcap`)));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(RATE);
      expect(statuses.filter((s) => s === 429)).toHaveLength(20 - RATE);
      const refused = results.find((r) => r.status === 429)!;
      expect(((await refused.json()) as { code: string }).code).toBe('RATE_LIMITED');
      // Another X-Forwarded-For is the client's own claim: still this client.
      const forged = new FormData();
      forged.append('file', new Blob([new Uint8Array(tinyPcap())]), 'forged.pcap');
      const r = await fetch(`${rated.url}/api/incidents`, { method: 'POST', body: forged, headers: { 'x-forwarded-for': '203.0.113.9', 'x-hopscope-peer': '198.51.100.1' } });
      expect(r.status).toBe(429);
    });

    test('X-Forwarded-Host and -Proto from the client are never in the returned link', async () => {
      const f = new FormData();
      f.append('file', new Blob([new Uint8Array(tinyPcap())]), 'link.pcap');
      const r = await fetch(`${main.url}/api/incidents`, { method: 'POST', body: f, headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
      expect(r.status).toBe(201);
      const made = (await r.json()) as { url: string };
      expect(made.url.startsWith(`${main.url}/i/`)).toBe(true);
    });

    test('UTF-8 file names and labels round-trip byte for byte', async () => {
      const name = 'узел-1 节点 ü.pcap';
      const r = await honest(main, name, { labels: JSON.stringify({ [name]: { node: 'узел-1', interface: 'eth0' } }) });
      expect(r.status, await r.clone().text()).toBe(201);
      const made = (await r.json()) as { id: string };
      const meta = (await (await fetch(`${main.url}/api/incidents/${made.id}`)).json()) as { files: { name: string; node: string }[] };
      expect(meta.files[0]).toMatchObject({ name, node: 'узел-1' });
      const file = await fetch(`${main.url}/api/incidents/${made.id}/files/0`);
      expect(file.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(name)}`);
    });

    test('control characters and bidi overrides in names, titles and labels are 400; a NUL is never a 500', async () => {
      // A C0 control in a part's header breaks the header itself (RFC 9110 allows none there).
      const cases: [string, Record<string, string>, string][] = [
        ['gpj\u202Ecap.pcap', {}, 'CONTROL_CHARACTER'],
        ['ok-title.pcap', { title: 'pod A \u202E cannot reach B' }, 'CONTROL_CHARACTER'],
        ['ok-title2.pcap', { title: 'bell\u0007' }, 'CONTROL_CHARACTER'],
        ['ok-label.pcap', { labels: JSON.stringify({ 'ok-label.pcap': { node: 'node\u202E1', interface: 'eth0' } }) }, 'CONTROL_CHARACTER'],
        ['a\u0007b.pcap', {}, 'BAD_MULTIPART'],
        ['nul\u0000.pcap', {}, 'BAD_MULTIPART'],
      ];
      for (const [name, extra, code] of cases) {
        const r = await honest(main, name, extra);
        expect(r.status, `${JSON.stringify(name)} ${JSON.stringify(extra)}`).toBe(400);
        expect(((await r.json()) as { code: string }).code, JSON.stringify(name)).toBe(code);
      }
      // A NUL inside the title is dropped (PostgreSQL text refuses it), never a 500.
      const r = await honest(main, 'nul-title.pcap', { title: 'pod\u0000 A' });
      expect(r.status).toBe(201);
      await clean(mainS);
    });

    test('a compression bomb is 413 DECOMPRESSED_TOO_LARGE naming the file and both sizes, at once', async () => {
      const b = bomb(LIMIT_BYTES * 4 + 8 * 1024 * 1024);
      expect(b.length).toBeLessThan(LIMIT_BYTES / 8);
      const f = new FormData();
      f.append('file', new Blob([new Uint8Array(b)]), 'bomb.pcap.gz');
      const started = Date.now();
      const r = await fetch(`${main.url}/api/incidents`, { method: 'POST', body: f });
      expect(r.status).toBe(413);
      const body = (await r.json()) as { code: string; error: string };
      expect(body.code).toBe('DECOMPRESSED_TOO_LARGE');
      expect(body.error).toContain('bomb.pcap.gz');
      expect(body.error).toMatch(/\d+ bytes so far, from \d+ bytes uploaded/);
      expect(Date.now() - started).toBeLessThan(10_000);
      await clean(mainS);
    });

    test('honest uploads succeed while stalled clients, cut-offs and bombs hammer the server', async () => {
      const stalled = Array.from({ length: 8 }, () => raw(main.url, multipartHead(main.url, 1_000_000), partHead('x.pcap')));
      const bombs = Array.from({ length: 3 }, (_, i) => {
        const f = new FormData();
        f.append('file', new Blob([new Uint8Array(bomb(LIMIT_BYTES * 5))]), `bomb-${i}.pcap.gz`);
        return fetch(`${main.url}/api/incidents`, { method: 'POST', body: f });
      });
      const good = await Promise.all(Array.from({ length: 10 }, (_, i) => honest(main, `during-${i}.pcap`)));
      expect(good.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect((await Promise.all(bombs)).map((r) => r.status)).toEqual([413, 413, 413]);
      for (const s of stalled) s.socket.destroy();
      await clean(mainS);
    });

    test('an expired incident answers 410 and its bytes go at once, not at the next sweep', async () => {
      // A server of its own whose incidents live two seconds.
      const s = kind === 'sqlite' ? sqliteStorage() : postgresStorage(await freshDatabase(PG_URL!));
      const [srv] = (await startAppServers([{ name: `${kind} expiry`, env: { ...s.env, HOPSCOPE_INCIDENT_TTL_DAYS: String(2 / 86_400) } }])) as [AppServer];
      try {
        const r = await honest(srv, 'soon.pcap');
        expect(r.status).toBe(201);
        const made = (await r.json()) as { id: string };
        expect(await s.blobs()).toBeGreaterThan(0);
        await sleep(2_500);
        const meta = await fetch(`${srv.url}/api/incidents/${made.id}`);
        expect(meta.status).toBe(410);
        expect(((await meta.json()) as { code: string }).code).toBe('EXPIRED');
        expect(await s.blobs()).toBe(0);
        expect((await fetch(`${srv.url}/api/incidents/${made.id}/files/0`)).status).toBe(410);
        expect((await fetch(`${srv.url}/i/${made.id}`)).status).toBe(410);
      } finally {
        await srv.stop();
        await s.dispose();
      }
    });

    if (kind === 'sqlite') {
      test('a data directory removed under a running server: uploads are 503 STORE_UNAVAILABLE, never 500', async () => {
        const s = sqliteStorage();
        const [srv] = (await startAppServers([{ name: 'sqlite removed', env: s.env }])) as [AppServer];
        try {
          expect((await honest(srv, 'before.pcap')).status).toBe(201);
          rmSync(s.dataDir!, { recursive: true, force: true });
          const r = await honest(srv, 'after.pcap');
          expect(r.status).toBe(503);
          expect(r.headers.get('retry-after')).toBeTruthy();
          expect(((await r.json()) as { code: string }).code).toBe('STORE_UNAVAILABLE');
        } finally {
          await srv.stop();
          await s.dispose();
        }
      });
    } else {
      test('the database down is 503 with Retry-After; an unexpected failure is 500 with a request id and no internals', async () => {
        const [down] = (await startAppServers([{ name: 'postgres down', env: { HOPSCOPE_DATABASE_URL: 'postgresql://hopscope@127.0.0.1:9/nowhere' } }])) as [AppServer];
        try {
          const r = await honest(down, 'down.pcap');
          expect(r.status).toBe(503);
          expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(((await r.json()) as { code: string }).code).toBe('DATABASE_UNAVAILABLE');
        } finally {
          await down.stop();
        }
        // A table renamed away under the server: an error nobody planned for.
        const url = (mainS.env.HOPSCOPE_DATABASE_URL)!;
        await queryOnce(url, 'ALTER TABLE incident_files RENAME TO incident_files_gone');
        try {
          const r = await honest(main, 'unexpected.pcap');
          expect(r.status).toBe(500);
          const body = (await r.json()) as { code: string; error: string; requestId: string };
          expect(body.code).toBe('INTERNAL');
          expect(body.requestId).toMatch(/^[0-9a-f]{16}$/);
          expect(body.error).not.toMatch(/incident_files|relation|SQL|pg/i);
          expect(main.recentOutput()).toContain(body.requestId);
        } finally {
          await queryOnce(url, 'ALTER TABLE incident_files_gone RENAME TO incident_files');
        }
        await clean(mainS);
      });
    }
  });
}

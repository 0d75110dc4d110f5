/**
 * Real Next.js servers for the incident end-to-end tests and the share benchmark: `next start`
 * from a finished build, on a free port, with an environment of its own (data directory,
 * database URL, limits). Tests stop them gently (SIGTERM) or kill them mid-upload (SIGKILL),
 * restart them on the same data, and run two on one database. Every server started here is
 * killed when the process exits, even when a test or hook failed before its afterAll.
 *
 * Also here: a streamed multipart body (never the whole capture in memory), as the share upload
 * sends it, and a fresh PostgreSQL database per run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Hopscope's server (Next.js behind node:http, which records each client's socket address). */
const SERVER_BIN = path.join(REPO_ROOT, 'bin', 'hopscope-server.mjs');
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** Lines of server output kept for the error message when something goes wrong. */
const OUTPUT_LINES = 200;

/** The build `next start` serves: HOPSCOPE_NEXT_DIST_DIR (see next.config.ts), else `.next`. */
export function distDir(): string {
  return process.env.HOPSCOPE_NEXT_DIST_DIR || '.next';
}

/** Null when a production build is there to start, else what to run to make one. */
export function missingBuild(dir: string = distDir()): string | null {
  if (existsSync(path.join(REPO_ROOT, dir, 'BUILD_ID'))) return null;
  const prefix = dir === '.next' ? '' : `HOPSCOPE_NEXT_DIST_DIR=${dir} `;
  return `no Next.js production build in ${path.join(REPO_ROOT, dir)}; build one first: ${prefix}npx next build`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until `check` returns a value other than undefined/false, or fail naming `what`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as Exclude<T, false | undefined>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    await sleep(everyMs);
  }
}

export interface AppServerOptions {
  /**
   * HOPSCOPE_* settings and anything else the server needs. The caller's own HOPSCOPE_*
   * variables are not passed on (a developer's HOPSCOPE_DATABASE_URL must not leak into a test),
   * except HOPSCOPE_NEXT_DIST_DIR.
   */
  env?: Record<string, string | undefined>;
  port?: number;
  /** Build directory; default `distDir()`. */
  distDir?: string;
  /** Label for error messages. */
  name?: string;
}

const live = new Set<AppServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a run ends without its afterAll: kill whatever is still running.
  process.on('exit', () => {
    for (const s of live) s.killNow();
  });
}

/** One `next start`, in a process group of its own so a kill reaches every process it forked. */
export class AppServer {
  readonly url: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output: string[] = [];

  private constructor(
    readonly port: number,
    private readonly opts: AppServerOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Spawn `next start` and wait until it answers. */
  static async start(opts: AppServerOptions = {}): Promise<AppServer> {
    const dir = opts.distDir ?? distDir();
    const missing = missingBuild(dir);
    if (missing) throw new Error(missing);
    const server = new AppServer(opts.port ?? (await freePort()), { ...opts, distDir: dir });
    await server.launch();
    return server;
  }

  get name(): string {
    return this.opts.name ?? `next start :${this.port}`;
  }

  /** The server's process id (the group leader), null when stopped. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** What the server printed lately, for failure messages. */
  recentOutput(): string {
    return this.output.join('\n');
  }

  private async launch(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith('HOPSCOPE_')) env[k] = v;
    }
    Object.assign(env, {
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      HOPSCOPE_NEXT_DIST_DIR: this.opts.distDir!,
      PORT: String(this.port),
    });
    for (const [k, v] of Object.entries(this.opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    this.output.push(`[next start -p ${this.port}]`);
    const child = spawn(process.execPath, [SERVER_BIN, '-p', String(this.port), '-H', '127.0.0.1'], {
      cwd: REPO_ROOT,
      env: env as NodeJS.ProcessEnv,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this);
    installExitHook();
    const keep = (buf: Buffer) => {
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line) continue;
        this.output.push(line);
        if (this.output.length > OUTPUT_LINES) this.output.shift();
      }
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        live.delete(this);
        this.output.push(`[exited: ${signal ?? `code ${code}`}]`);
        resolve();
      });
    });

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (this.child !== child) throw new Error(`${this.name} exited while starting:\n${this.recentOutput()}`);
      // A static file: the probe must not open the incident store (instrumentation.ts does that
      // at start; the crash test checks it).
      const ok = await fetch(`${this.url}/icon.svg`, { signal: AbortSignal.timeout(5_000) }).then(
        async (r) => {
          await r.body?.cancel();
          return r.status < 500;
        },
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) {
        this.killNow();
        throw new Error(`${this.name} did not answer within ${START_TIMEOUT_MS} ms:\n${this.recentOutput()}`);
      }
      await sleep(100);
    }
  }

  /**
   * Stop the server: SIGTERM (then SIGKILL if it lingers), or SIGKILL at once, as a crash
   * would. Resolves once every process of the group is gone.
   */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const pgid = child.pid;
    signalGroup(pgid, signal);
    const lingering = setTimeout(() => signalGroup(pgid, 'SIGKILL'), signal === 'SIGKILL' ? 0 : STOP_GRACE_MS);
    await this.exited;
    clearTimeout(lingering);
    // The leader may exit before a forked worker; wait for the whole group.
    await waitFor(`process group ${pgid} to exit`, () => !groupAlive(pgid), 5_000).catch(() => signalGroup(pgid, 'SIGKILL'));
  }

  /** SIGKILL, the way a crash or the OOM killer ends a server. */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  /** Start again on the same port with the same environment (same data directory, database). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Synchronous SIGKILL for exit hooks. */
  killNow(): void {
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL');
  }

  /** Peak resident memory (VmHWM) of the server's processes, summed, in bytes; null if unknown. */
  peakRssBytes(): number | null {
    return this.sumStatus('VmHWM');
  }

  /** Current resident memory (VmRSS) of the server's processes, summed, in bytes. */
  rssBytes(): number | null {
    return this.sumStatus('VmRSS');
  }

  private sumStatus(field: 'VmHWM' | 'VmRSS'): number | null {
    const pid = this.pid;
    if (!pid) return null;
    let total = 0;
    let found = false;
    for (const p of groupPids(pid)) {
      try {
        const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${p}/status`, 'utf8'));
        if (m) {
          total += Number(m[1]) * 1024;
          found = true;
        }
      } catch {
        // Gone meanwhile, or no /proc (not Linux).
      }
    }
    return found ? total : null;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes of the group `pgid`, from /proc (empty where there is none). */
function groupPids(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pgid];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(e));
    } catch {
      // Exited meanwhile.
    }
  }
  return out;
}

/** Start several servers at once; if one fails, the others are stopped and the error thrown. */
export async function startAppServers(list: AppServerOptions[]): Promise<AppServer[]> {
  const settled = await Promise.allSettled(list.map((o) => AppServer.start(o)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop('SIGKILL') : undefined)));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<AppServer>).value);
}

/** Stop every server this process started and has not stopped. */
export async function stopAllAppServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

/** SQLite store settings for a server. */
export function sqliteEnv(dataDir: string, limits: Record<string, string> = {}): Record<string, string> {
  return { HOPSCOPE_DATA_DIR: dataDir, ...limits };
}

// ---------------------------------------------------------------------------------------------
// Uploads

export type Part =
  | { field: string; value: string }
  | {
      field?: string;
      filename: string;
      /** The bytes, whole or as chunks pulled one at a time (a large capture is never whole). */
      data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
      contentType?: string;
    };

/**
 * A multipart/form-data body as a stream, generated as it is sent. fetch sends it chunked, with
 * no Content-Length, which is what a browser's streamed upload looks like to the server.
 */
export function multipartStream(parts: Part[]): { body: ReadableStream<Uint8Array>; contentType: string } {
  const boundary = `----hopscope-e2e-${randomBytes(12).toString('hex')}`;
  const enc = new TextEncoder();
  const quote = (s: string) => s.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c));
  async function* generate(): AsyncGenerator<Uint8Array> {
    for (const p of parts) {
      if ('value' in p) {
        yield enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(p.field)}"\r\n\r\n${p.value}\r\n`);
        continue;
      }
      yield enc.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quote(p.field ?? 'file')}"; filename="${quote(p.filename)}"\r\n` +
          `Content-Type: ${p.contentType ?? 'application/vnd.tcpdump.pcap'}\r\n\r\n`,
      );
      if (p.data instanceof Uint8Array) yield p.data;
      else for await (const chunk of p.data) yield chunk;
      yield enc.encode('\r\n');
    }
    yield enc.encode(`--${boundary}--\r\n`);
  }
  const it = generate();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await it.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST a streamed multipart body to `/api/incidents`. */
export function postIncidentStream(baseUrl: string, parts: Part[], init: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<Response> {
  const { body, contentType } = multipartStream(parts);
  return fetch(`${baseUrl}/api/incidents`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': contentType, ...init.headers },
    signal: init.signal,
    duplex: 'half',
  } as RequestInit);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Read a response body through sha256 without keeping it: digest and byte count. */
export async function digestBody(res: Response): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  }
  return { sha256: hash.digest('hex'), bytes };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const E2E_DB_PREFIX = 'hopscope_e2e_';
/** Databases of runs that died before dropping theirs are dropped once this old. */
const STALE_DB_MS = 6 * 3_600_000;

export interface FreshDatabase {
  name: string;
  url: string;
  /** A connection of the test's own, to look at the tables directly. */
  admin(): pg.Client;
  drop(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * A new, empty database for one run, made through `baseUrl` (its role needs CREATEDB, as the
 * role scripts/test-postgres.sh makes has). The store creates its tables in it on first open.
 */
export async function freshDatabase(baseUrl: string): Promise<FreshDatabase> {
  const name = `${E2E_DB_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${E2E_DB_PREFIX}%`]);
    for (const { datname } of rows) {
      const born = parseInt(datname.slice(E2E_DB_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(born) && Date.now() - born > STALE_DB_MS) await dropDatabase(baseUrl, datname).catch(() => {});
    }
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      throw new Error(`cannot create a database for the end-to-end tests through HOPSCOPE_TEST_DATABASE_URL (the role needs CREATEDB; scripts/test-postgres.sh makes such a role): ${(err as Error).message}`);
    }
  } finally {
    await client.end();
  }
  const url = withDatabase(baseUrl, name);
  return {
    name,
    url,
    admin: () => new pg.Client({ connectionString: url }),
    drop: () => dropDatabase(baseUrl, name),
  };
}

/**
 * Drop a database of ours. A killed server's sessions may linger until PostgreSQL notices the
 * dead socket, so they are terminated first. Not WITH (FORCE): that refuses (without
 * pg_signal_backend) when an autovacuum worker is in the database, which a plain DROP cancels
 * by itself.
 */
async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()`, [name]);
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}"`);
        return;
      } catch (err) {
        if (attempt >= 5) throw new Error(`cannot drop database ${name}: ${(err as Error).message}`);
        await sleep(500);
      }
    }
  } finally {
    await c.end();
  }
}

/** Run one query on a short-lived connection. */
export async function queryOnce<R extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

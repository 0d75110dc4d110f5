/**
 * The shared store: PostgreSQL holds the metadata and the capture bytes, so any number of app
 * instances behind a load balancer serve the same incidents.
 *
 * Tables, in one schema (`public` unless told):
 *   incidents       one row a link; `purged` once expired and its bytes dropped (a tombstone)
 *   incident_files  the files of an incident, each owning one blob (`blob_id`, from a sequence)
 *   blob_chunks     the bytes of a blob, CHUNK_BYTES a row: (blob_id, seq, data bytea)
 *   creations       (client, at) for the per-address rate limit
 *
 * An upload session holds one pooled connection with a transaction open from `beginUpload` to
 * `commit` or `abort`. `addFile` inserts chunk rows as the bytes arrive; `commit` inserts the
 * incident, its files and the creation record and commits. Until then no other connection sees a
 * row, and a killed server drops its connection, so PostgreSQL rolls the upload back.
 * blob_chunks.blob_id is a deferred foreign key to incident_files: a transaction cannot commit
 * chunks no file names, and deleting a file (with its incident, or at expiry) cascades to its
 * chunks, so orphan bytes cannot exist. Bytes are not content-addressed here: two incidents with
 * the same bytes keep two copies, which spares concurrent uploads from contending for one row.
 */
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import type { PoolClient } from 'pg';
import { HOUR_MS } from './config';
import { sameDigest } from './ids';
import type { CreationReservation, DeleteResult, FlowComment, IncidentFile, IncidentId, IncidentMeta, IncidentStore, LookupResult, NewIncident, ReserveResult, Sha256Hex, StagedFile, UploadSession } from './types';

/** One chunk row. TOAST stores it out of line; 1 MiB keeps a row far below bytea's 1 GB cap. */
export const CHUNK_BYTES = 1024 * 1024;
export const DEFAULT_POOL_SIZE = 20;
/** An upload whose bytes stop arriving for this long is rolled back by the server. */
const UPLOAD_IDLE_TIMEOUT_MS = 10 * 60_000;
/** Unquoted lower-case identifiers only: the name is spliced into SQL, never bound. */
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const TABLES = ['incidents', 'incident_files', 'blob_chunks', 'creations'] as const;

export interface PgStoreOptions {
  connectionString: string;
  /** Where the tables live; created when missing. Default `public`. */
  schema?: string;
  /**
   * Connections this instance may open (default 20, at least 2). Upload sessions hold one each
   * for their whole upload, so they may take all but a quarter of them: lookups, file reads and
   * rate-limit counts always find a connection, even while a session is waiting on one.
   */
  poolSize?: number;
}

function ddl(s: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${s}.incidents (
  id text PRIMARY KEY,
  delete_token_hash text NOT NULL,
  title text NOT NULL,
  notes text NOT NULL,
  comments text NOT NULL,
  headers_only boolean NOT NULL,
  warnings text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  purged boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS incidents_live_expiry ON ${s}.incidents (expires_at) WHERE NOT purged;
CREATE INDEX IF NOT EXISTS incidents_purged_expiry ON ${s}.incidents (expires_at) WHERE purged;
CREATE SEQUENCE IF NOT EXISTS ${s}.blob_ids;
CREATE TABLE IF NOT EXISTS ${s}.incident_files (
  incident_id text NOT NULL REFERENCES ${s}.incidents (id) ON DELETE CASCADE,
  idx integer NOT NULL,
  name text NOT NULL,
  size bigint NOT NULL,
  sha256 text NOT NULL,
  node text,
  interface text,
  blob_id bigint NOT NULL UNIQUE,
  PRIMARY KEY (incident_id, idx)
);
CREATE TABLE IF NOT EXISTS ${s}.blob_chunks (
  blob_id bigint NOT NULL REFERENCES ${s}.incident_files (blob_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (blob_id, seq)
);
CREATE TABLE IF NOT EXISTS ${s}.creations (client text NOT NULL, at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS creations_client_at ON ${s}.creations (client, at);
CREATE INDEX IF NOT EXISTS creations_at ON ${s}.creations (at);
`;
}

interface IncidentRow {
  id: string;
  title: string;
  notes: string;
  comments: string;
  headers_only: boolean;
  warnings: string;
  /** int8 arrives as a string. */
  created_at: string;
  expires_at: string;
  purged: boolean;
}

interface FileRow {
  name: string;
  size: string;
  sha256: string;
  node: string | null;
  interface: string | null;
}

/** The files of `get`'s LEFT JOIN: all null for an incident without files. */
interface IncidentFileColumns {
  f_idx: number | null;
  f_name: string | null;
  f_size: string | null;
  f_sha256: string | null;
  f_node: string | null;
  f_interface: string | null;
}

const iso = (ms: string | number) => new Date(Number(ms)).toISOString();

function toFile(f: FileRow): IncidentFile {
  return { name: f.name, size: Number(f.size), sha256: f.sha256 as Sha256Hex, node: f.node, interface: f.interface };
}

/**
 * Timestamps are integer ms in bigint columns; a fractional bound would be refused by PostgreSQL,
 * so round it the way that keeps the comparison's meaning for integer column values.
 */
const atMost = (ms: number) => Math.floor(ms);
const atLeast = (ms: number) => Math.ceil(ms);

/** Counts upload sessions so they never take the connections lookups need. */
class Slots {
  private free: number;
  private readonly waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private closed: Error | null = null;

  constructor(n: number) {
    this.free = n;
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.resolve();
    else this.free++;
  }

  close(err: Error): void {
    this.closed = err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}

interface SessionHooks {
  /** Blobs staged and not yet committed or rolled back, for `uncommittedBlobs`. */
  staged(delta: number): void;
  finished(s: PgUploadSession): void;
}

class PgUploadSession implements UploadSession {
  private client: PoolClient | null;
  private failure: Error | null = null;
  private done = false;
  private busy = false;
  private readonly staged: { blobId: string; file: StagedFile }[] = [];
  private counted = 0;
  private readonly onError = (err: Error) => {
    // The connection dropped (server restart, pg_terminate_backend, the idle timeout below):
    // PostgreSQL has rolled the transaction back. Free the slot now; the next call reports it.
    this.kill(err);
  };

  constructor(
    private readonly t: Tables,
    client: PoolClient,
    private readonly hooks: SessionHooks,
  ) {
    this.client = client;
    client.on('error', this.onError);
  }

  private live(): PoolClient {
    if (this.done || !this.client) throw this.failure ?? new Error('upload session already finished');
    if (this.failure) throw this.failure;
    if (this.busy) throw new Error('upload session: one call at a time');
    return this.client;
  }

  /** A query on the session's connection, refused once abort or close has taken it away. */
  private q(client: PoolClient, text: string, values?: unknown[]) {
    if (this.client !== client) return Promise.reject(this.failure ?? new Error('upload session already finished'));
    return client.query(text, values);
  }

  private count(delta: number): void {
    this.counted += delta;
    this.hooks.staged(delta);
  }

  async addFile(chunks: AsyncIterable<Uint8Array>): Promise<StagedFile> {
    const client = this.live();
    this.busy = true;
    let wrote = false;
    try {
      const { rows } = await this.q(client, `SELECT nextval('${this.t.blobIds}') AS id`);
      const blobId = String((rows[0] as { id: string }).id);
      // A savepoint a file: a failed file takes back only its own rows, as SQLite's staging does.
      await this.q(client, 'SAVEPOINT staged_file');
      try {
        const hash = createHash('sha256');
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        let fill = 0;
        let seq = 0;
        let size = 0;
        const flush = async (data: Buffer) => {
          await this.q(client, `INSERT INTO ${this.t.chunks} (blob_id, seq, data) VALUES ($1, $2, $3)`, [blobId, seq++, data]);
          if (!wrote) {
            wrote = true;
            this.count(1);
          }
        };
        for await (const piece of chunks) {
          hash.update(piece);
          size += piece.length;
          for (let o = 0; o < piece.length; ) {
            const n = Math.min(CHUNK_BYTES - fill, piece.length - o);
            buf.set(piece.subarray(o, o + n), fill);
            fill += n;
            o += n;
            if (fill === CHUNK_BYTES) {
              await flush(buf);
              fill = 0;
            }
          }
        }
        if (fill > 0) await flush(buf.subarray(0, fill));
        await this.q(client, 'RELEASE SAVEPOINT staged_file');
        const file: StagedFile = { size, sha256: hash.digest('hex') as Sha256Hex };
        this.staged.push({ blobId, file });
        return file;
      } catch (err) {
        if (wrote && this.client === client) this.count(-1);
        await this.q(client, 'ROLLBACK TO SAVEPOINT staged_file').catch((e: Error) => {
          this.failure ??= e;
        });
        throw err;
      }
    } finally {
      this.busy = false;
    }
  }

  async commit(inc: NewIncident): Promise<void> {
    const client = this.live();
    if (inc.files.length !== this.staged.length) throw new Error(`commit with ${inc.files.length} files, ${this.staged.length} staged`);
    inc.files.forEach((f, i) => {
      if (f.sha256 !== this.staged[i]!.file.sha256) throw new Error(`file ${i} is not the staged bytes`);
    });
    this.busy = true;
    try {
      await this.q(
        client,
        `INSERT INTO ${this.t.incidents} (id, delete_token_hash, title, notes, comments, headers_only, warnings, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [inc.id, inc.deleteTokenHash, inc.title, inc.notes, JSON.stringify(inc.comments), inc.headersOnly, JSON.stringify(inc.warnings), Math.trunc(inc.createdAtMs), Math.trunc(inc.expiresAtMs)],
      );
      if (inc.files.length > 0) {
        await this.q(
          client,
          `INSERT INTO ${this.t.files} (incident_id, idx, name, size, sha256, node, interface, blob_id)
           SELECT $1, f.idx - 1, f.name, f.size, f.sha256, f.node, f.interface, f.blob_id
           FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])
             WITH ORDINALITY AS f(name, size, sha256, node, interface, blob_id, idx)`,
          [
            inc.id,
            inc.files.map((f) => f.name),
            inc.files.map((f) => f.size),
            inc.files.map((f) => f.sha256),
            inc.files.map((f) => f.node),
            inc.files.map((f) => f.interface),
            this.staged.map((s) => s.blobId),
          ],
        );
      }
      if (!inc.reserved) await this.q(client, `INSERT INTO ${this.t.creations} (client, at) VALUES ($1, $2)`, [inc.client, Math.trunc(inc.createdAtMs)]);
      await this.q(client, 'COMMIT');
    } catch (err) {
      this.busy = false;
      await this.end(true);
      throw err;
    }
    this.busy = false;
    await this.end(false);
  }

  async abort(): Promise<void> {
    if (this.done) return;
    // A call still running has a query in flight: drop the connection rather than queue ROLLBACK
    // behind it.
    if (this.busy) this.kill(new Error('upload session aborted'));
    else await this.end(true);
  }

  /** Give the connection back, rolled back when asked; destroy it when that cannot be done. */
  private async end(rollback: boolean): Promise<void> {
    const client = this.client;
    if (this.done || !client) return;
    let destroy = this.failure !== null;
    if (rollback && !destroy) {
      try {
        await client.query('ROLLBACK');
      } catch {
        destroy = true;
      }
    }
    if (this.done) return;
    this.finish();
    client.removeListener('error', this.onError);
    client.release(destroy ? true : undefined);
  }

  /** Drop the connection mid-transaction, as a killed server would; PostgreSQL rolls back. */
  kill(reason: Error): void {
    const client = this.client;
    if (this.done || !client) return;
    this.failure ??= reason;
    this.finish();
    client.removeListener('error', this.onError);
    // The dying socket may still report an error; it must not go unhandled.
    client.on('error', () => {});
    client.release(true);
  }

  private finish(): void {
    this.done = true;
    this.client = null;
    this.count(-this.counted);
    this.hooks.finished(this);
  }
}

interface Tables {
  incidents: string;
  files: string;
  chunks: string;
  creations: string;
  blobIds: string;
}

export class PgIncidentStore implements IncidentStore {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  private readonly pool: Pool;
  private readonly t: Tables;
  private readonly slots: Slots;
  private readonly reserving: Slots;
  private readonly sessions = new Set<PgUploadSession>();
  private inFlightBlobs = 0;
  private closed = false;

  private constructor(opts: PgStoreOptions) {
    const schema = opts.schema ?? 'public';
    if (!SCHEMA_RE.test(schema)) throw new Error(`schema ${JSON.stringify(schema)} is not a lower-case SQL identifier (${SCHEMA_RE})`);
    const poolSize = opts.poolSize ?? DEFAULT_POOL_SIZE;
    if (!Number.isInteger(poolSize) || poolSize < 2) throw new Error(`poolSize ${poolSize}: need an integer of at least 2 (uploads and lookups each need one)`);
    this.schema = schema;
    const s = `"${schema}"`;
    this.t = { incidents: `${s}.incidents`, files: `${s}.incident_files`, chunks: `${s}.blob_chunks`, creations: `${s}.creations`, blobIds: `${s}.blob_ids` };
    this.pool = new Pool({ connectionString: opts.connectionString, max: poolSize, idleTimeoutMillis: 30_000, fallback_application_name: 'hopscope' });
    // An idle connection that drops (server restart, failover) is discarded by the pool and
    // replaced on the next query; without a listener the event would crash the process.
    this.pool.on('error', (err) => console.warn(`hopscope: PostgreSQL connection lost while idle: ${err.message}`));
    this.slots = new Slots(poolSize - Math.max(1, Math.floor(poolSize / 4)));
    this.reserving = new Slots(Math.min(2, Math.max(1, Math.floor(poolSize / 4))));
  }

  /** Connect, create the tables when missing, and sweep, as SQLite's `open` does. */
  static async open(opts: PgStoreOptions, nowMs = Date.now(), forgetBeforeMs = 0): Promise<PgIncidentStore> {
    const store = new PgIncidentStore(opts);
    try {
      await store.migrate();
      await store.sweep(nowMs, forgetBeforeMs);
    } catch (err) {
      await store.pool.end().catch(() => {});
      throw err;
    }
    return store;
  }

  /**
   * Create the schema and tables when missing. Concurrent CREATE … IF NOT EXISTS can still
   * collide in the catalogs (a unique violation on pg_type), so instances starting together
   * serialise on an advisory lock. When the tables exist no DDL runs, so a role with only
   * SELECT/INSERT/UPDATE/DELETE grants can run the app against a schema made by its owner.
   */
  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`hopscope schema ${this.schema}`]);
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(to_regclass(format('%I.%I', $1::text, t)))::int AS n FROM unnest($2::text[]) AS t`,
        [this.schema, TABLES],
      );
      if (rows[0]!.n < TABLES.length) {
        const ns = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
        if (ns.rowCount === 0) await client.query(`CREATE SCHEMA "${this.schema}"`);
        await client.query(ddl(`"${this.schema}"`));
        // Captures are often half compressible (headers) and half not (payloads). pglz gave up on
        // a real 200 MB capture and still halved the upload rate; lz4 (PostgreSQL 14+, when built
        // with it) halved its size at full speed. Without lz4, skip compression altogether.
        const lz4 = await client.query(`SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)`);
        await client.query(`ALTER TABLE ${this.t.chunks} ALTER COLUMN data ${lz4.rowCount ? 'SET COMPRESSION lz4' : 'SET STORAGE EXTERNAL'}`);
      }
      else {
        // Schemas made before the all-addresses count needed it: add the index on \`at\` (only its owner can).
        const idx = await client.query(`SELECT to_regclass(format('%I.%I', $1::text, 'creations_at')) AS i`, [this.schema]);
        if (idx.rows[0]?.i === null) {
          await client.query('SAVEPOINT idx');
          await client.query(`CREATE INDEX IF NOT EXISTS creations_at ON ${this.t.creations} (at)`).catch(async (e: Error) => {
            await client.query('ROLLBACK TO SAVEPOINT idx');
            console.warn(`hopscope: cannot add the index creations_at (${e.message}); the hourly count scans the table`);
          });
        }
      }
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      client.release(true);
      throw err;
    }
  }

  /** Blobs with bytes staged by uploads in flight on this instance; no other connection sees them before commit. */
  get uncommittedBlobs(): number {
    return this.inFlightBlobs;
  }

  async beginUpload(): Promise<UploadSession> {
    if (this.closed) throw new Error('store closed');
    await this.slots.acquire();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.slots.release();
      throw err;
    }
    if (this.closed) {
      client.release(true);
      this.slots.release();
      throw new Error('store closed');
    }
    // Registered before BEGIN so close() can reach the connection from here on.
    const session = new PgUploadSession(this.t, client, {
      staged: (delta) => {
        this.inFlightBlobs += delta;
      },
      finished: (s) => {
        if (this.sessions.delete(s)) this.slots.release();
      },
    });
    this.sessions.add(session);
    try {
      // A session its handler forgot (neither committed nor aborted) would hold a connection and
      // PostgreSQL's xmin horizon, so VACUUM could reclaim nothing; the server ends it instead.
      await client.query(`BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${UPLOAD_IDLE_TIMEOUT_MS}`);
    } catch (err) {
      session.kill(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    return session;
  }

  async get(id: IncidentId, nowMs: number): Promise<LookupResult> {
    // One statement, one snapshot: a concurrent delete cannot leave an incident without files.
    const { rows } = await this.pool.query<IncidentRow & IncidentFileColumns>(
      `SELECT i.id, i.title, i.notes, i.comments, i.headers_only, i.warnings, i.created_at, i.expires_at, i.purged,
              f.idx AS f_idx, f.name AS f_name, f.size AS f_size, f.sha256 AS f_sha256, f.node AS f_node, f.interface AS f_interface
       FROM ${this.t.incidents} i LEFT JOIN ${this.t.files} f ON f.incident_id = i.id
       WHERE i.id = $1 ORDER BY f.idx`,
      [id],
    );
    const row = rows[0];
    if (!row) return { state: 'missing' };
    if (row.purged || Number(row.expires_at) <= nowMs) {
      // Expired: its bytes go now, not at the next hourly sweep.
      if (!row.purged) await this.purge(id, nowMs);
      return { state: 'expired', id, expiresAt: iso(row.expires_at) };
    }
    const files = rows.filter((r) => r.f_idx !== null).map((r) => toFile({ name: r.f_name!, size: r.f_size!, sha256: r.f_sha256!, node: r.f_node, interface: r.f_interface }));
    const incident: IncidentMeta = {
      id: row.id as IncidentId,
      title: row.title,
      notes: row.notes,
      comments: JSON.parse(row.comments) as FlowComment[],
      headersOnly: row.headers_only,
      createdAt: iso(row.created_at),
      expiresAt: iso(row.expires_at),
      files,
      warnings: JSON.parse(row.warnings) as string[],
    };
    return { state: 'found', incident };
  }

  async openFile(id: IncidentId, index: number, nowMs: number) {
    if (!Number.isSafeInteger(index) || index < 0 || index > 0x7fffffff) return null;
    const { rows } = await this.pool.query<FileRow & { expires_at: string; purged: boolean; blob_id: string }>(
      `SELECT i.expires_at, i.purged, f.name, f.size, f.sha256, f.node, f.interface, f.blob_id
       FROM ${this.t.incidents} i JOIN ${this.t.files} f ON f.incident_id = i.id
       WHERE i.id = $1 AND f.idx = $2`,
      [id, index],
    );
    const row = rows[0];
    if (!row || row.purged || Number(row.expires_at) <= nowMs) {
      if (row && !row.purged) await this.purge(id, nowMs);
      return null;
    }
    const file = toFile(row);
    const pool = this.pool;
    // Text format: pg-protocol decodes every DataRow field as UTF-8 text, so binary results
    // would mangle bytea; the hex text costs twice the bytes on the wire and is exact.
    const readChunk = `SELECT data FROM ${this.t.chunks} WHERE blob_id = $1 AND seq = $2`;
    let seq = 0;
    let sent = 0;
    // One chunk row a pull, each its own pooled query: a slow reader holds no connection.
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (sent >= file.size) return controller.close();
          const r = await pool.query<{ data: Buffer }>(readChunk, [row.blob_id, seq]);
          const data = r.rows[0]?.data;
          if (!data || data.length === 0) {
            controller.error(new Error(`incident ${id} file ${index}: chunk ${seq} is gone (deleted or expired while being read)`));
            return;
          }
          seq++;
          sent += data.length;
          controller.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          if (sent >= file.size) controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    return { file, body };
  }

  async delete(id: IncidentId, tokenHash: Sha256Hex): Promise<DeleteResult> {
    const { rows } = await this.pool.query<{ delete_token_hash: string }>(`SELECT delete_token_hash FROM ${this.t.incidents} WHERE id = $1`, [id]);
    const row = rows[0];
    if (!row) return 'missing';
    if (!sameDigest(row.delete_token_hash, tokenHash)) return 'forbidden';
    // Cascades to incident_files and from there to blob_chunks.
    const d = await this.pool.query(`DELETE FROM ${this.t.incidents} WHERE id = $1 AND delete_token_hash = $2`, [id, row.delete_token_hash]);
    return d.rowCount ? 'deleted' : 'missing';
  }

  async countCreations(client: string | null, sinceMs: number): Promise<number> {
    const { rows } =
      client === null
        ? await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.t.creations} WHERE at >= $1`, [atLeast(sinceMs)])
        : await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.t.creations} WHERE client = $1 AND at >= $2`, [client, atLeast(sinceMs)]);
    return rows[0]!.n;
  }

  async reserveCreation(client: string, nowMs: number, perClient: number, total: number): Promise<ReserveResult> {
    // Two at a time: they queue on one lock anyway, and the pool's other connections stay free
    // for lookups while a flood of uploads waits here.
    await this.reserving.acquire();
    try {
      return await this.reserve(client, nowMs, perClient, total);
    } finally {
      this.reserving.release();
    }
  }

  private async reserve(client: string, nowMs: number, perClient: number, total: number): Promise<ReserveResult> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // Instances on one database take turns: the counts and the insert are one step for all.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`hopscope creations ${this.schema}`]);
      const since = atLeast(nowMs - HOUR_MS);
      const { rows } = await c.query<{ recent: number; everyone: number }>(
        `SELECT count(*) FILTER (WHERE client = $1)::int AS recent, count(*)::int AS everyone FROM ${this.t.creations} WHERE at >= $2`,
        [client, since],
      );
      const { recent, everyone } = rows[0]!;
      if (recent >= perClient || everyone >= total) {
        await c.query('ROLLBACK');
        c.release();
        return { ok: false, recent, everyone };
      }
      const at = Math.trunc(nowMs);
      await c.query(`INSERT INTO ${this.t.creations} (client, at) VALUES ($1, $2)`, [client, at]);
      await c.query('COMMIT');
      c.release();
      return { ok: true, reservation: { client, atMs: at } };
    } catch (err) {
      c.release(true);
      throw err;
    }
  }

  async releaseCreation(r: CreationReservation): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.t.creations} WHERE ctid = (SELECT ctid FROM ${this.t.creations} WHERE client = $1 AND at = $2 LIMIT 1)`, [r.client, Math.trunc(r.atMs)]);
  }

  /** Drop one expired incident's files now (the chunks go with them); its id keeps answering "expired". */
  private async purge(id: IncidentId, nowMs: number): Promise<void> {
    await this.pool.query(
      `WITH expired AS (
         UPDATE ${this.t.incidents} SET purged = true WHERE id = $1 AND NOT purged AND expires_at <= $2 RETURNING id
       )
       DELETE FROM ${this.t.files} f USING expired e WHERE f.incident_id = e.id`,
      [id, atMost(nowMs)],
    );
  }

  /**
   * `orphans` is always 0: the deferred foreign key lets no chunk outlive its file, and bytes of
   * an upload that never committed were never visible; PostgreSQL rolled them back.
   */
  async sweep(nowMs: number, forgetBeforeMs: number): Promise<{ expired: number; orphans: number }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ n: number }>(
        `WITH expired AS (
           UPDATE ${this.t.incidents} SET purged = true WHERE NOT purged AND expires_at <= $1 RETURNING id
         ), dropped AS (
           DELETE FROM ${this.t.files} f USING expired e WHERE f.incident_id = e.id
         )
         SELECT count(*)::int AS n FROM expired`,
        [atMost(nowMs)],
      );
      await client.query(`DELETE FROM ${this.t.incidents} WHERE purged AND expires_at < $1`, [atLeast(forgetBeforeMs)]);
      // The rate limit looks back one hour: older records only slow its count.
      await client.query(`DELETE FROM ${this.t.creations} WHERE at < $1`, [atLeast(nowMs - HOUR_MS)]);
      await client.query('COMMIT');
      client.release();
      return { expired: rows[0]!.n, orphans: 0 };
    } catch (err) {
      client.release(true);
      throw err;
    }
  }

  /**
   * Sessions never committed or aborted (a handler that died) still hold a connection in an
   * open transaction; pool.end() would wait for them forever. Destroy those connections, which
   * makes PostgreSQL roll their uploads back, then end the pool.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const reason = new Error('store closed');
    this.slots.close(reason);
    this.reserving.close(reason);
    for (const s of [...this.sessions]) s.kill(reason);
    await this.pool.end();
  }
}

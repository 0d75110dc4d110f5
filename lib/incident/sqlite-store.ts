/**
 * The embedded store: SQLite (better-sqlite3) for metadata, capture bytes as content-addressed
 * files `blobs/<aa>/<sha256>` under the data directory.
 *
 * Durability order, so a crash (SIGKILL, power) never leaves a partial incident: each file is
 * written to `tmp/`, fsynced, renamed to its sha256 name and the directory fsynced; only then
 * does one transaction (synchronous=FULL) insert the incident and its files. Bytes that made it
 * to `blobs/` without a committed incident are orphans, removed when the store next opens.
 * One process owns a data directory; run PostgreSQL to scale out.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HOUR_MS } from './config';
import { StoreUnavailableError } from './http-error';
import { isSha256Hex, sameDigest } from './ids';
import type { CreationReservation, DeleteResult, FlowComment, IncidentFile, IncidentId, IncidentMeta, IncidentStore, LookupResult, NewIncident, ReserveResult, Sha256Hex, StagedFile, UploadSession } from './types';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  delete_token_hash TEXT NOT NULL,
  title TEXT NOT NULL,
  notes TEXT NOT NULL,
  comments TEXT NOT NULL,
  headers_only INTEGER NOT NULL,
  warnings TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  purged INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS incident_files (
  incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  node TEXT,
  interface TEXT,
  PRIMARY KEY (incident_id, idx)
);
CREATE INDEX IF NOT EXISTS incident_files_sha256 ON incident_files(sha256);
CREATE TABLE IF NOT EXISTS creations (client TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS creations_client_at ON creations(client, at);
CREATE INDEX IF NOT EXISTS creations_at ON creations(at);
`;

interface IncidentRow {
  id: string;
  delete_token_hash: string;
  title: string;
  notes: string;
  comments: string;
  headers_only: number;
  warnings: string;
  created_at: number;
  expires_at: number;
  purged: number;
}

interface FileRow {
  idx: number;
  name: string;
  size: number;
  sha256: string;
  node: string | null;
  interface: string | null;
}

export function toMeta(row: IncidentRow, files: FileRow[]): IncidentMeta {
  return {
    id: row.id as IncidentId,
    title: row.title,
    notes: row.notes,
    comments: JSON.parse(row.comments) as FlowComment[],
    headersOnly: row.headers_only === 1,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    files: files.map((f): IncidentFile => ({ name: f.name, size: f.size, sha256: f.sha256 as Sha256Hex, node: f.node, interface: f.interface })),
    warnings: JSON.parse(row.warnings) as string[],
  };
}

/** Remove a blob folder its last file left (ENOTEMPTY, ENOENT: someone else's business). */
async function removeIfEmpty(dir: string): Promise<void> {
  await fs.rmdir(dir).catch(() => {});
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class SqliteIncidentStore implements IncidentStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly blobDir: string;
  private readonly tmpDir: string;
  /** Bytes staged by uploads in flight: neither a delete nor the orphan sweep may remove them. */
  private readonly pinned = new Map<string, number>();
  private readonly activeTmp = new Set<string>();
  private readonly dbPath: string;
  /** The database file's inode when opened: a data directory removed under us is noticed. */
  private dbIno = 0;

  private constructor(readonly dataDir: string) {
    this.blobDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
    this.dbPath = path.join(dataDir, 'hopscope.db');
    this.db = new Database(this.dbPath);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed incident survives power loss, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Open (creating) the store and clean up after a crash: temporary files and orphan bytes. */
  static async open(dataDir: string, nowMs = Date.now(), forgetBeforeMs = 0): Promise<SqliteIncidentStore> {
    await fs.mkdir(path.join(dataDir, 'blobs'), { recursive: true });
    await fs.mkdir(path.join(dataDir, 'tmp'), { recursive: true });
    const store = new SqliteIncidentStore(dataDir);
    store.dbIno = (await fs.stat(store.dbPath)).ino;
    await store.sweep(nowMs, forgetBeforeMs);
    return store;
  }

  private blobPath(sha: string): string {
    if (!isSha256Hex(sha)) throw new Error(`not a sha256: ${sha}`);
    return path.join(this.blobDir, sha.slice(0, 2), sha);
  }

  private pin(sha: string, delta: 1 | -1): void {
    const n = (this.pinned.get(sha) ?? 0) + delta;
    if (n > 0) this.pinned.set(sha, n);
    else this.pinned.delete(sha);
  }

  private isReferenced(sha: string): boolean {
    return this.db.prepare('SELECT 1 FROM incident_files WHERE sha256 = ? LIMIT 1').get(sha) !== undefined;
  }

  /** Remove the bytes no incident and no upload in flight uses. */
  private async dropUnused(shas: Iterable<string>): Promise<number> {
    let n = 0;
    for (const sha of new Set(shas)) {
      if (this.pinned.has(sha) || this.isReferenced(sha)) continue;
      await fs.rm(this.blobPath(sha), { force: true });
      await removeIfEmpty(path.dirname(this.blobPath(sha)));
      n++;
    }
    return n;
  }

  /**
   * The data directory as opened: its folders are made again if someone removed them, and a
   * database file that is gone (or another one) makes the store unavailable rather than write
   * into an unlinked file.
   */
  private async present(): Promise<void> {
    const st = await fs.stat(this.dbPath).catch(() => null);
    if (!st || st.ino !== this.dbIno) throw new StoreUnavailableError(`the database ${this.dbPath} was removed or replaced while the server ran; restart it`);
    await fs.mkdir(this.tmpDir, { recursive: true });
    await fs.mkdir(this.blobDir, { recursive: true });
  }

  async beginUpload(): Promise<UploadSession> {
    await this.present();
    const staged: string[] = [];
    let done = false;
    const store = this;
    return {
      async addFile(chunks) {
        if (done) throw new Error('upload session already finished');
        const tmp = path.join(store.tmpDir, `${randomBytes(12).toString('hex')}.part`);
        store.activeTmp.add(tmp);
        const hash = createHash('sha256');
        let size = 0;
        const fh = await fs.open(tmp, 'wx', 0o600);
        try {
          try {
            for await (const chunk of chunks) {
              hash.update(chunk);
              size += chunk.length;
              await fh.write(chunk);
            }
            await fh.sync();
          } finally {
            await fh.close();
          }
          const sha = hash.digest('hex') as Sha256Hex;
          store.pin(sha, 1);
          staged.push(sha);
          const dest = store.blobPath(sha);
          await fs.mkdir(path.dirname(dest), { recursive: true });
          // Same bytes already stored: content addressing makes the copy unnecessary.
          const exists = await fs.stat(dest).then(() => true, () => false);
          if (exists) await fs.rm(tmp, { force: true });
          else {
            await fs.rename(tmp, dest);
            await fsyncDir(path.dirname(dest));
          }
          const result: StagedFile = { size, sha256: sha };
          return result;
        } catch (err) {
          await fs.rm(tmp, { force: true });
          throw err;
        } finally {
          store.activeTmp.delete(tmp);
        }
      },

      async commit(inc: NewIncident) {
        if (done) throw new Error('upload session already finished');
        if (inc.files.length !== staged.length) throw new Error(`commit with ${inc.files.length} files, ${staged.length} staged`);
        inc.files.forEach((f, i) => {
          if (f.sha256 !== staged[i]) throw new Error(`file ${i} is not the staged bytes`);
        });
        const insert = store.db.transaction(() => {
          store.db
            .prepare(
              `INSERT INTO incidents (id, delete_token_hash, title, notes, comments, headers_only, warnings, created_at, expires_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(inc.id, inc.deleteTokenHash, inc.title, inc.notes, JSON.stringify(inc.comments), inc.headersOnly ? 1 : 0, JSON.stringify(inc.warnings), inc.createdAtMs, inc.expiresAtMs);
          const file = store.db.prepare('INSERT INTO incident_files (incident_id, idx, name, size, sha256, node, interface) VALUES (?, ?, ?, ?, ?, ?, ?)');
          inc.files.forEach((f, i) => file.run(inc.id, i, f.name, f.size, f.sha256, f.node, f.interface));
          if (!inc.reserved) store.db.prepare('INSERT INTO creations (client, at) VALUES (?, ?)').run(inc.client, inc.createdAtMs);
        });
        try {
          insert();
        } finally {
          done = true;
          for (const sha of staged) store.pin(sha, -1);
        }
      },

      async abort() {
        if (done) return;
        done = true;
        for (const sha of staged) store.pin(sha, -1);
        await store.dropUnused(staged);
      },
    };
  }

  private files(id: string): FileRow[] {
    return this.db.prepare('SELECT idx, name, size, sha256, node, interface FROM incident_files WHERE incident_id = ? ORDER BY idx').all(id) as FileRow[];
  }

  async get(id: IncidentId, nowMs: number): Promise<LookupResult> {
    const row = this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
    if (!row) return { state: 'missing' };
    if (row.purged || row.expires_at <= nowMs) {
      // Expired: its bytes go now, not at the next hourly sweep.
      if (!row.purged) await this.purge([row.id]);
      return { state: 'expired', id, expiresAt: new Date(row.expires_at).toISOString() };
    }
    return { state: 'found', incident: toMeta(row, this.files(id)) };
  }

  async openFile(id: IncidentId, index: number, nowMs: number) {
    const row = this.db.prepare('SELECT expires_at, purged FROM incidents WHERE id = ?').get(id) as Pick<IncidentRow, 'expires_at' | 'purged'> | undefined;
    if (!row || row.purged || row.expires_at <= nowMs) {
      if (row && !row.purged) await this.purge([id]);
      return null;
    }
    const f = this.db.prepare('SELECT idx, name, size, sha256, node, interface FROM incident_files WHERE incident_id = ? AND idx = ?').get(id, index) as FileRow | undefined;
    if (!f) return null;
    const body = Readable.toWeb(createReadStream(this.blobPath(f.sha256), { highWaterMark: 1024 * 1024 })) as ReadableStream<Uint8Array>;
    const file: IncidentFile = { name: f.name, size: f.size, sha256: f.sha256 as Sha256Hex, node: f.node, interface: f.interface };
    return { file, body };
  }

  async delete(id: IncidentId, tokenHash: Sha256Hex): Promise<DeleteResult> {
    const row = this.db.prepare('SELECT delete_token_hash FROM incidents WHERE id = ?').get(id) as Pick<IncidentRow, 'delete_token_hash'> | undefined;
    if (!row) return 'missing';
    if (!sameDigest(row.delete_token_hash, tokenHash)) return 'forbidden';
    const shas = this.files(id).map((f) => f.sha256);
    this.db.prepare('DELETE FROM incidents WHERE id = ?').run(id);
    await this.dropUnused(shas);
    return 'deleted';
  }

  async countCreations(client: string | null, sinceMs: number): Promise<number> {
    const r = (
      client === null
        ? this.db.prepare('SELECT count(*) AS n FROM creations WHERE at >= ?').get(sinceMs)
        : this.db.prepare('SELECT count(*) AS n FROM creations WHERE client = ? AND at >= ?').get(client, sinceMs)
    ) as { n: number };
    return r.n;
  }

  async reserveCreation(client: string, nowMs: number, perClient: number, total: number): Promise<ReserveResult> {
    await this.present();
    // One synchronous transaction: nothing runs between the counts and the insert.
    return this.db.transaction((): ReserveResult => {
      const since = nowMs - HOUR_MS;
      const recent = (this.db.prepare('SELECT count(*) AS n FROM creations WHERE client = ? AND at >= ?').get(client, since) as { n: number }).n;
      const everyone = (this.db.prepare('SELECT count(*) AS n FROM creations WHERE at >= ?').get(since) as { n: number }).n;
      if (recent >= perClient || everyone >= total) return { ok: false, recent, everyone };
      this.db.prepare('INSERT INTO creations (client, at) VALUES (?, ?)').run(client, nowMs);
      return { ok: true, reservation: { client, atMs: nowMs } };
    })();
  }

  async releaseCreation(r: CreationReservation): Promise<void> {
    this.db.prepare('DELETE FROM creations WHERE rowid = (SELECT rowid FROM creations WHERE client = ? AND at = ? LIMIT 1)').run(r.client, r.atMs);
  }

  /** Drop the files and bytes of expired incidents; their ids keep answering "expired". */
  private async purge(ids: string[]): Promise<void> {
    const freed: string[] = [];
    this.db.transaction(() => {
      for (const id of ids) {
        for (const f of this.files(id)) freed.push(f.sha256);
        this.db.prepare('DELETE FROM incident_files WHERE incident_id = ?').run(id);
        this.db.prepare('UPDATE incidents SET purged = 1 WHERE id = ?').run(id);
      }
    })();
    await this.dropUnused(freed);
  }

  async sweep(nowMs: number, forgetBeforeMs: number): Promise<{ expired: number; orphans: number }> {
    await this.present();
    const expiredIds = (this.db.prepare('SELECT id FROM incidents WHERE purged = 0 AND expires_at <= ?').all(nowMs) as { id: string }[]).map((r) => r.id);
    await this.purge(expiredIds);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM incidents WHERE purged = 1 AND expires_at < ?').run(forgetBeforeMs);
      // The rate limit looks back one hour: older records only slow its count.
      this.db.prepare('DELETE FROM creations WHERE at < ?').run(nowMs - HOUR_MS);
    })();

    // Orphans: temporary files of uploads no longer running, and bytes no incident references.
    let orphans = 0;
    for (const name of await fs.readdir(this.tmpDir)) {
      const p = path.join(this.tmpDir, name);
      if (this.activeTmp.has(p)) continue;
      await fs.rm(p, { force: true, recursive: true });
      orphans++;
    }
    for (const prefix of await fs.readdir(this.blobDir)) {
      const dir = path.join(this.blobDir, prefix);
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
        if (!isSha256Hex(name) || this.pinned.has(name) || this.isReferenced(name)) continue;
        await fs.rm(path.join(dir, name), { force: true });
        orphans++;
      }
      await removeIfEmpty(dir);
    }
    return { expired: expiredIds.length, orphans };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

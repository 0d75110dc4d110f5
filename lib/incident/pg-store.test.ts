/**
 * The PostgreSQL store against a real server: HOPSCOPE_TEST_DATABASE_URL, each run in a fresh
 * schema dropped afterwards. `eval "$(scripts/test-postgres.sh --print-env)"` sets one up (as root
 * on Debian it installs and starts PostgreSQL); `npm test` does that itself. Without the variable
 * the tests skip, except under CI, where they fail.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDeleteToken, sha256Hex } from './ids';
import { CHUNK_BYTES, PgIncidentStore } from './pg-store';
import { describeStoreContract, pieces, randomBytes, readAll, upload } from './store-contract';
import type { IncidentFile, IncidentId } from './types';

const URL = process.env.HOPSCOPE_TEST_DATABASE_URL?.trim() || null;
const HOW = 'run `eval "$(scripts/test-postgres.sh --print-env)"` first (as root on Debian it installs and starts PostgreSQL), or set HOPSCOPE_TEST_DATABASE_URL to a database where the tests may create schemas';
const SKIP_REASON = `HOPSCOPE_TEST_DATABASE_URL is not set; ${HOW}`;

/** The database URL, or null to skip; under CI a missing URL is a failure, not a skip. */
function databaseUrl(): string | null {
  if (URL) return URL;
  if (process.env.CI) throw new Error(`CI must run the PostgreSQL store tests, but HOPSCOPE_TEST_DATABASE_URL is not set: ${HOW}`);
  return null;
}

const freshSchema = () => `hs_test_${cryptoRandomBytes(6).toString('hex')}`;

/** A connection of the test's own, outside any store, to look at the tables directly. */
function adminPool(url: string): Pool {
  return new Pool({ connectionString: url, max: 2 });
}

async function dropSchema(admin: Pool, schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Distinct blobs with chunk rows that other connections see, i.e. committed. */
async function committedBlobs(admin: Pool, schema: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(`SELECT count(DISTINCT blob_id)::int AS n FROM "${schema}".blob_chunks`);
  return rows[0]!.n;
}

describeStoreContract(
  'postgres',
  async () => {
    const url = databaseUrl();
    if (!url) return null;
    const schema = freshSchema();
    const admin = adminPool(url);
    const h = {
      store: await PgIncidentStore.open({ connectionString: url, schema }),
      // Rows of an upload in flight are invisible outside its transaction; the store counts them.
      storedBlobs: async () => (await committedBlobs(admin, schema)) + h.store.uncommittedBlobs,
      async reopen() {
        await h.store.close();
        h.store = await PgIncidentStore.open({ connectionString: url, schema });
        return h.store;
      },
      async cleanup() {
        await h.store.close();
        await dropSchema(admin, schema);
        await admin.end();
      },
    };
    return h;
  },
  () => SKIP_REASON,
);

describe('postgres store', () => {
  let url: string | null = null;
  let admin: Pool | null = null;
  const schemas: string[] = [];
  const stores: PgIncidentStore[] = [];

  beforeAll(() => {
    url = databaseUrl();
    if (!url) console.log(`skipped the postgres store tests: ${SKIP_REASON}`);
    else admin = adminPool(url);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const s of schemas) await dropSchema(admin!, s);
    await admin?.end();
  });

  async function openStore(schema: string, opts: { poolSize?: number; applicationName?: string } = {}): Promise<PgIncidentStore> {
    if (!schemas.includes(schema)) schemas.push(schema);
    let connectionString = url!;
    if (opts.applicationName) connectionString += `${connectionString.includes('?') ? '&' : '?'}application_name=${opts.applicationName}`;
    const store = await PgIncidentStore.open({ connectionString, schema, poolSize: opts.poolSize });
    stores.push(store);
    return store;
  }

  const t = (title: string, fn: () => Promise<void>) =>
    it(title, async (ctx) => {
      if (!url) return ctx.skip();
      await fn();
    });

  t('stores bytes in chunk rows of at most 1 MiB', async () => {
    const schema = freshSchema();
    const store = await openStore(schema);
    const bytes = randomBytes(3 * CHUNK_BYTES + 5, 31);
    const inc = await upload(store, [bytes]);
    const { rows } = await admin!.query<{ seq: number; len: number }>(
      `SELECT c.seq, length(c.data) AS len FROM "${schema}".blob_chunks c
       JOIN "${schema}".incident_files f USING (blob_id) WHERE f.incident_id = $1 ORDER BY c.seq`,
      [inc.id],
    );
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(rows.map((r) => r.len)).toEqual([CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 5]);
    const opened = await store.openFile(inc.id, 0, Date.now());
    expect(sha256Hex(await readAll(opened!.body))).toBe(inc.files[0]!.sha256);
  });

  t('several instances opening one fresh schema at once all start', async () => {
    const schema = freshSchema();
    const opened = await Promise.all(Array.from({ length: 5 }, () => openStore(schema, { poolSize: 2 })));
    expect(opened).toHaveLength(5);
  });

  t('two instances on one database see each other’s incidents, reads and deletes', async () => {
    const schema = freshSchema();
    const a = await openStore(schema);
    const b = await openStore(schema);
    const bytes = randomBytes(1_500_000, 32);
    const inc = await upload(a, [bytes]);
    const got = await b.get(inc.id, Date.now());
    expect(got.state).toBe('found');
    const opened = await b.openFile(inc.id, 0, Date.now());
    expect(sha256Hex(await readAll(opened!.body))).toBe(inc.files[0]!.sha256);
    expect(await b.countCreations(inc.client, inc.createdAtMs)).toBe(1);
    expect(await b.delete(inc.id, sha256Hex(inc.token))).toBe('deleted');
    expect(await a.get(inc.id, Date.now())).toEqual({ state: 'missing' });
    expect(await a.delete(inc.id, sha256Hex(inc.token))).toBe('missing');
    expect(await committedBlobs(admin!, schema)).toBe(0);
  });

  t('a session whose connection is killed mid-upload leaves no rows, and the store carries on', async () => {
    const schema = freshSchema();
    const applicationName = `${schema}_kill`;
    const store = await openStore(schema, { applicationName });
    const killSession = async () => {
      const { rows } = await admin!.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'`,
        [applicationName],
      );
      expect(rows).toEqual([{ ok: true }]);
      // Wait for the backend to be gone, so its rollback has happened.
      for (let i = 0; i < 100; i++) {
        const left = await admin!.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'`, [applicationName]);
        if (left.rowCount === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the killed backend did not go away');
    };

    // Killed while the source is between pieces, in the middle of a file.
    const s1 = await store.beginUpload();
    const first = await s1.addFile(pieces(randomBytes(40_000, 33), 4096));
    async function* slowSource() {
      yield randomBytes(2 * CHUNK_BYTES + 10, 34);
      await killSession();
      yield randomBytes(1000, 35);
    }
    await expect(s1.addFile(slowSource())).rejects.toThrow();
    await s1.abort();
    await s1.abort();
    expect(await committedBlobs(admin!, schema)).toBe(0);
    expect(store.uncommittedBlobs).toBe(0);

    // Killed between files: the connection's error event arrives with no query running.
    const s2 = await store.beginUpload();
    const staged = await s2.addFile(pieces(randomBytes(3 * CHUNK_BYTES, 36), 65_536));
    await killSession();
    await new Promise((r) => setTimeout(r, 100));
    const files: IncidentFile[] = [{ name: 'a.pcap', size: staged.size, sha256: staged.sha256, node: null, interface: null }];
    const id = 'AAAAAAAAAAAAAAAAAAAAAA' as IncidentId;
    await expect(
      s2.commit({ id, deleteTokenHash: sha256Hex(newDeleteToken()), title: '', notes: '', comments: [], headersOnly: false, createdAtMs: Date.now(), expiresAtMs: Date.now() + 1e6, files, warnings: [], client: 'x' }),
    ).rejects.toThrow();
    await s2.abort();
    expect(await store.get(id, Date.now())).toEqual({ state: 'missing' });
    const counts = await admin!.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM "${schema}".blob_chunks) + (SELECT count(*) FROM "${schema}".incident_files)
            + (SELECT count(*) FROM "${schema}".incidents) + (SELECT count(*) FROM "${schema}".creations) AS n`,
    );
    expect(Number(counts.rows[0]!.n)).toBe(0);
    expect(first.size).toBe(40_000);

    const inc = await upload(store, [randomBytes(10_000, 37)]);
    expect((await store.get(inc.id, Date.now())).state).toBe('found');
  });

  t('uploads beyond the pool wait their turn and never starve lookups', async () => {
    const schema = freshSchema();
    const store = await openStore(schema, { poolSize: 2 });
    // Each upload asks the store something mid-session, as the API's rate limit does; with every
    // upload connection taken that must still be answered, or uploads would deadlock.
    const incs = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const s = await store.beginUpload();
        const staged = await s.addFile(pieces(randomBytes(20_000 + i, 40 + i), 5000));
        await store.countCreations('client-a', 0);
        const token = newDeleteToken();
        const now = Date.now();
        const id = `${'B'.repeat(21)}${i}` as IncidentId;
        await s.commit({
          id,
          deleteTokenHash: sha256Hex(token),
          title: `t${i}`,
          notes: '',
          comments: [],
          headersOnly: true,
          createdAtMs: now,
          expiresAtMs: now + 60_000,
          files: [{ name: 'f.pcap', size: staged.size, sha256: staged.sha256, node: null, interface: null }],
          warnings: ['w'],
          client: 'client-a',
        });
        return id;
      }),
    );
    for (const id of incs) expect((await store.get(id, Date.now())).state).toBe('found');
    expect(await store.countCreations('client-a', 0)).toBe(6);
  });

  t('refuses a schema name that is not a plain identifier', async () => {
    await expect(PgIncidentStore.open({ connectionString: url!, schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(/schema/);
  });
});

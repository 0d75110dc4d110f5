import { describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeStoreContract, randomBytes, upload } from './store-contract';
import { SqliteIncidentStore } from './sqlite-store';

async function countBlobs(dataDir: string): Promise<number> {
  let n = 0;
  for (const d of ['blobs', 'tmp']) {
    const root = path.join(dataDir, d);
    for (const e of await fs.readdir(root, { recursive: true, withFileTypes: true })) if (e.isFile()) n++;
  }
  return n;
}

describeStoreContract('sqlite', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hopscope-store-'));
  const h = {
    store: (await SqliteIncidentStore.open(dataDir)) as SqliteIncidentStore,
    storedBlobs: () => countBlobs(dataDir),
    async reopen() {
      await h.store.close();
      h.store = await SqliteIncidentStore.open(dataDir);
      return h.store;
    },
    async cleanup() {
      await h.store.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  return h;
});

describe('sqlite store: content addressing', () => {
  it('stores identical bytes once, under their sha256', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hopscope-store-'));
    const store = await SqliteIncidentStore.open(dataDir);
    try {
      const shared = randomBytes(123_457, 5);
      const a = await upload(store, [shared]);
      const b = await upload(store, [shared, randomBytes(99, 6)]);
      expect(await countBlobs(dataDir)).toBe(2);
      const sha = a.files[0]!.sha256;
      expect(b.files[0]!.sha256).toBe(sha);
      await expect(fs.stat(path.join(dataDir, 'blobs', sha.slice(0, 2), sha))).resolves.toMatchObject({ size: shared.length });
    } finally {
      await store.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sqlite store: nothing left behind', () => {
  it('removes a blob folder its last file leaves, on delete and on expiry', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hopscope-store-'));
    const store = await SqliteIncidentStore.open(dataDir);
    try {
      const now = Date.now();
      const a = await upload(store, [randomBytes(5000, 21)]);
      const b = await upload(store, [randomBytes(5001, 22)], { createdAtMs: now - 2000, expiresAtMs: now - 1000 });
      const folders = async () => (await fs.readdir(path.join(dataDir, 'blobs'))).sort();
      const shaA = a.files[0]!.sha256;
      const shaB = b.files[0]!.sha256;
      expect(await folders()).toEqual([...new Set([shaA.slice(0, 2), shaB.slice(0, 2)])].sort());
      expect(await store.delete(a.id, (await import('./ids')).sha256Hex(a.token))).toBe('deleted');
      // The expired one goes when first asked for.
      expect((await store.get(b.id, now)).state).toBe('expired');
      expect(await folders()).toEqual([]);
    } finally {
      await store.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('makes its folders again when they are removed, and refuses uploads once the database itself is gone', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hopscope-store-'));
    const store = await SqliteIncidentStore.open(dataDir);
    try {
      await fs.rm(path.join(dataDir, 'tmp'), { recursive: true });
      await fs.rm(path.join(dataDir, 'blobs'), { recursive: true });
      await upload(store, [randomBytes(100, 23)]);
      await fs.rm(path.join(dataDir, 'hopscope.db'));
      await expect(store.beginUpload()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      await store.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

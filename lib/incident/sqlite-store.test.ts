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

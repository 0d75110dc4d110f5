/**
 * One contract, every store: the same tests run against SQLite and PostgreSQL, so a link
 * behaves the same whichever store the server was started with.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDeleteToken, newIncidentId, sha256Hex } from './ids';
import type { IncidentFile, IncidentStore, NewIncident, Sha256Hex, StagedFile } from './types';

export interface StoreHarness {
  store: IncidentStore;
  /** How many distinct byte objects (blobs) the store holds, committed or not. */
  storedBlobs(): Promise<number>;
  /** Close and open the store again, as a server restart does. */
  reopen(): Promise<IncidentStore>;
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;

export function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Yield `bytes` in pieces of `size` (the last one shorter), as a network stream would. */
export async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.subarray(o, Math.min(bytes.length, o + size));
}

export async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of body as unknown as AsyncIterable<Uint8Array>) {
    parts.push(c);
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function incident(staged: StagedFile[], over: Partial<NewIncident> = {}, names?: string[]): NewIncident & { token: string } {
  const token = newDeleteToken();
  const now = Date.now();
  const files: IncidentFile[] = staged.map((s, i) => ({ name: names?.[i] ?? `node${i}-eth0.pcap`, size: s.size, sha256: s.sha256, node: `node${i}`, interface: 'eth0' }));
  return {
    id: newIncidentId(),
    deleteTokenHash: sha256Hex(token),
    title: 'pod A cannot reach pod B',
    notes: '# seen\n<script>alert(1)</script>',
    comments: [{ flow: 'ICMP 10.244.1.2 → 10.244.2.3', text: 'this one' }],
    headersOnly: false,
    createdAtMs: now,
    expiresAtMs: now + 30 * DAY,
    files,
    warnings: [],
    client: 'client-a',
    ...over,
    token,
  };
}

export async function upload(store: IncidentStore, files: Uint8Array[], over: Partial<NewIncident> = {}) {
  const s = await store.beginUpload();
  const staged: StagedFile[] = [];
  for (const [i, f] of files.entries()) staged.push(await s.addFile(pieces(f, 1000 + i * 777)));
  const inc = incident(staged, over);
  await s.commit(inc);
  return inc;
}

export function describeStoreContract(name: string, make: () => Promise<StoreHarness | null>, skipReason?: () => string): void {
  describe(`incident store contract: ${name}`, () => {
    let h: StoreHarness | null = null;
    beforeAll(async () => {
      h = await make();
      if (!h) console.log(`skipped the ${name} store contract: ${skipReason?.() ?? 'store unavailable'}`);
    }, 60_000);
    afterAll(async () => {
      await h?.cleanup();
    });
    const t = (title: string, fn: (h: StoreHarness) => Promise<void>) =>
      it(title, async (ctx) => {
        if (!h) return ctx.skip();
        await fn(h);
      });

    t('round trip: metadata back as written, every file byte-identical by sha256', async ({ store }) => {
      const files = [randomBytes(3 * 1024 * 1024 + 17, 1), randomBytes(10, 2), new Uint8Array(0)];
      const inc = await upload(store, files);
      const got = await store.get(inc.id, Date.now());
      expect(got.state).toBe('found');
      if (got.state !== 'found') return;
      expect(got.incident).toMatchObject({
        id: inc.id,
        title: inc.title,
        notes: inc.notes,
        comments: inc.comments,
        headersOnly: false,
        createdAt: new Date(inc.createdAtMs).toISOString(),
        expiresAt: new Date(inc.expiresAtMs).toISOString(),
        warnings: [],
      });
      expect(got.incident.files).toEqual(inc.files);
      for (const [i, f] of files.entries()) {
        expect(inc.files[i]!.sha256).toBe(hex(f));
        const opened = await store.openFile(inc.id, i, Date.now());
        expect(opened?.file).toEqual(inc.files[i]);
        expect(hex(await readAll(opened!.body))).toBe(hex(f));
      }
      expect(await store.openFile(inc.id, files.length, Date.now())).toBeNull();
      expect(await store.openFile(inc.id, -1, Date.now())).toBeNull();
    });

    t('nothing is visible before commit, and abort leaves no bytes behind', async (h) => {
      const before = await h.storedBlobs();
      const s = await h.store.beginUpload();
      const staged = await s.addFile(pieces(randomBytes(200_000, 3), 4096));
      const inc = incident([staged]);
      expect(await h.store.get(inc.id, Date.now())).toEqual({ state: 'missing' });
      await s.abort();
      await s.abort();
      expect(await h.store.get(inc.id, Date.now())).toEqual({ state: 'missing' });
      expect(await h.storedBlobs()).toBe(before);
    });

    t('a source that fails mid-file leaves nothing behind', async (h) => {
      const before = await h.storedBlobs();
      const s = await h.store.beginUpload();
      async function* failing() {
        yield randomBytes(50_000, 4);
        throw new Error('client went away');
      }
      await expect(s.addFile(failing())).rejects.toThrow('client went away');
      await s.abort();
      expect(await h.storedBlobs()).toBe(before);
    });

    t('the same bytes in two incidents survive the deletion of one of them', async (h) => {
      const shared = randomBytes(123_457, 5);
      const before = await h.storedBlobs();
      const a = await upload(h.store, [shared]);
      const b = await upload(h.store, [shared, randomBytes(99, 6)]);
      expect(await h.store.delete(a.id, sha256Hex(a.token))).toBe('deleted');
      const opened = await h.store.openFile(b.id, 0, Date.now());
      expect(hex(await readAll(opened!.body))).toBe(hex(shared));
      expect(await h.store.delete(b.id, sha256Hex(b.token))).toBe('deleted');
      expect(await h.storedBlobs()).toBe(before);
    });

    t('delete: a wrong token is refused; the right one removes the incident and its bytes', async (h) => {
      const before = await h.storedBlobs();
      const inc = await upload(h.store, [randomBytes(5000, 7)]);
      expect(await h.store.delete(inc.id, sha256Hex(newDeleteToken()))).toBe('forbidden');
      expect((await h.store.get(inc.id, Date.now())).state).toBe('found');
      expect(await h.store.delete(inc.id, sha256Hex(inc.token))).toBe('deleted');
      expect(await h.store.get(inc.id, Date.now())).toEqual({ state: 'missing' });
      expect(await h.store.openFile(inc.id, 0, Date.now())).toBeNull();
      expect(await h.store.delete(inc.id, sha256Hex(inc.token))).toBe('missing');
      expect(await h.storedBlobs()).toBe(before);
    });

    t('expiry: expired incidents answer "expired" and lose their bytes when first asked for, or on sweep; forgotten later', async (h) => {
      const now = Date.now();
      const before = await h.storedBlobs();
      const inc = await upload(h.store, [randomBytes(7000, 8)], { createdAtMs: now - 2 * DAY, expiresAtMs: now - DAY });
      const unasked = await upload(h.store, [randomBytes(7002, 13)], { createdAtMs: now - 2 * DAY, expiresAtMs: now - DAY });
      const live = await upload(h.store, [randomBytes(7001, 9)]);
      expect(await h.storedBlobs()).toBe(before + 3);
      expect(await h.store.get(inc.id, now)).toEqual({ state: 'expired', id: inc.id, expiresAt: new Date(now - DAY).toISOString() });
      // Its bytes went at once, not at the next sweep.
      expect(await h.storedBlobs()).toBe(before + 2);
      expect(await h.store.openFile(inc.id, 0, now)).toBeNull();
      const swept = await h.store.sweep(now, now - 30 * DAY);
      expect(swept.expired).toBeGreaterThanOrEqual(1);
      expect((await h.store.get(unasked.id, now)).state).toBe('expired');
      expect(await h.storedBlobs()).toBe(before + 1);
      expect((await h.store.get(inc.id, now)).state).toBe('expired');
      expect((await h.store.get(live.id, now)).state).toBe('found');
      await h.store.sweep(now, now);
      expect(await h.store.get(inc.id, now)).toEqual({ state: 'missing' });
      expect(await h.store.delete(live.id, sha256Hex(live.token))).toBe('deleted');
    });

    t('creations are reserved atomically: of 20 at once with room for 5, exactly 5 pass; a released one frees its place', async (h) => {
      const client = `reserve-${Math.random()}`;
      const now = Date.now();
      const all = await Promise.all(Array.from({ length: 20 }, () => h.store.reserveCreation(client, now, 5, 1_000_000)));
      const ok = all.filter((r) => r.ok);
      expect(ok).toHaveLength(5);
      expect(all.filter((r) => !r.ok).every((r) => !r.ok && r.recent === 5)).toBe(true);
      expect(await h.store.countCreations(client, now - 1000)).toBe(5);
      await h.store.releaseCreation(ok[0]!.ok ? ok[0]!.reservation : { client, atMs: now });
      expect(await h.store.countCreations(client, now - 1000)).toBe(4);
      expect((await h.store.reserveCreation(client, now, 5, 1_000_000)).ok).toBe(true);
      // The total over every address is a limit too.
      expect((await h.store.reserveCreation(`${client}-other`, now, 5, 1)).ok).toBe(false);
    });

    t('creations are counted per client address and window, deleted incidents included', async (h) => {
      const client = `client-${Math.random()}`;
      const t0 = Date.now();
      const a = await upload(h.store, [randomBytes(10, 10)], { client });
      await upload(h.store, [randomBytes(10, 11)], { client });
      await upload(h.store, [randomBytes(10, 12)], { client: `${client}-other` });
      expect(await h.store.delete(a.id, sha256Hex(a.token))).toBe('deleted');
      expect(await h.store.countCreations(client, t0 - 1000)).toBe(2);
      expect(await h.store.countCreations(client, Date.now() + 1000)).toBe(0);
      // Everyone's creations: at least these three, whatever else the suite made.
      expect(await h.store.countCreations(null, t0 - 1000)).toBeGreaterThanOrEqual(3);
      expect(await h.store.countCreations(null, Date.now() + 1000)).toBe(0);
    });

    t('20 concurrent uploads all come back intact', async (h) => {
      const sets = Array.from({ length: 20 }, (_, i) => [randomBytes(100_000 + i * 1013, 100 + i), randomBytes(3000 + i, 200 + i)]);
      const incs = await Promise.all(sets.map((files) => upload(h.store, files)));
      expect(new Set(incs.map((i) => i.id)).size).toBe(20);
      for (const [k, inc] of incs.entries()) {
        for (const [i, f] of sets[k]!.entries()) {
          const opened = await h.store.openFile(inc.id, i, Date.now());
          expect(hex(await readAll(opened!.body))).toBe(hex(f));
        }
      }
      for (const inc of incs) expect(await h.store.delete(inc.id, sha256Hex(inc.token))).toBe('deleted');
    });

    t('a committed incident survives a restart; an uncommitted upload does not', async (h) => {
      const inc = await upload(h.store, [randomBytes(64_000, 13)]);
      const s = await h.store.beginUpload();
      await s.addFile(pieces(randomBytes(80_000, 14), 8192));
      const before = await h.storedBlobs();
      // The session is abandoned without commit or abort, as a killed server leaves it.
      h.store = await h.reopen();
      expect(await h.storedBlobs()).toBe(before - 1);
      const got = await h.store.get(inc.id, Date.now());
      expect(got.state).toBe('found');
      const opened = await h.store.openFile(inc.id, 0, Date.now());
      expect(hex(await readAll(opened!.body))).toBe(inc.files[0]!.sha256 as Sha256Hex);
    });
  });
}

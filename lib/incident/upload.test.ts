/**
 * receiveUpload against a real SQLite store, with the faults the HTTP suite cannot time finely:
 * storage that is slow for a moment (the client is then waiting on us, not idle), and a body that
 * breaks off right after a part was refused (its drained stream must not throw uncaught).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadIncidentConfig } from './config';
import { SqliteIncidentStore } from './sqlite-store';
import type { IncidentStore, UploadSession } from './types';
import { multipartParser, receiveUpload } from './upload';

const BOUNDARY = 'unit-boundary';
const enc = new TextEncoder();
const part = (name: string) => enc.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n`);

/** A pcap of `n` 1 KiB records. */
function pcap(n: number): Uint8Array<ArrayBuffer> {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const rec = Buffer.alloc(16 + 1024);
  rec.writeUInt32LE(1024, 8);
  rec.writeUInt32LE(1024, 12);
  return new Uint8Array(Buffer.concat([head, ...Array.from({ length: n }, () => rec)]));
}

const config = loadIncidentConfig({ NODE_ENV: 'test', HOPSCOPE_UPLOAD_IDLE_SECONDS: '0.5', HOPSCOPE_DATA_DIR: '/nonexistent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function store(): Promise<SqliteIncidentStore> {
  const d = mkdtempSync(join(tmpdir(), 'hopscope-upload-'));
  dirs.push(d);
  return SqliteIncidentStore.open(d);
}

describe('receiveUpload', () => {
  it('does not call a client idle while the store is slow: the body waits on us', async () => {
    const real = await store();
    // The first file's bytes take 1.2 s to become durable (a slow fsync), twice the idle timeout.
    let first = true;
    const slow: IncidentStore = Object.assign(Object.create(real) as IncidentStore, {
      async beginUpload(): Promise<UploadSession> {
        const s = await real.beginUpload();
        return {
          ...s,
          addFile: async (chunks: AsyncIterable<Uint8Array>) => {
            const r = await s.addFile(chunks);
            if (first) await new Promise((ok) => setTimeout(ok, 1200));
            first = false;
            return r;
          },
          commit: (i) => s.commit(i),
          abort: () => s.abort(),
        };
      },
    });
    const a = pcap(2048);
    const b = pcap(2049);
    const body = new Blob([part('a.pcap'), a, enc.encode('\r\n'), part('b.pcap'), b, enc.encode(`\r\n--${BOUNDARY}--\r\n`)]).stream();
    const ct = `multipart/form-data; boundary=${BOUNDARY}`;
    const made = await receiveUpload(body, multipartParser(ct, config), { store: slow, config, client: 'c', nowMs: Date.now() });
    expect(made.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await real.close();
  });

  it('takes a node\'s recorded state beside the captures, and refuses one that is not (400 NOT_NODE_STATE)', async () => {
    const s = await store();
    const ct = `multipart/form-data; boundary=${BOUNDARY}`;
    const send = (state: string) =>
      receiveUpload(new Blob([part('a.pcap'), pcap(2), enc.encode('\r\n'), part('node2.hopscope-state.json'), enc.encode(state), enc.encode(`\r\n--${BOUNDARY}--\r\n`)]).stream(), multipartParser(ct, config), {
        store: s,
        config,
        client: 'c',
        nowMs: Date.now(),
      });
    const made = await send(JSON.stringify({ 'manifest.json': '{"node":"node2"}', 'sysctl.txt': 'net.ipv4.ip_forward = 1' }));
    const got = await s.get(made.id, Date.now());
    expect(got.state === 'found' && got.incident.files.map((f) => f.name)).toEqual(['a.pcap', 'node2.hopscope-state.json']);
    await expect(send('{"manifest.json": 3}')).rejects.toMatchObject({ status: 400, code: 'NOT_NODE_STATE' });
    await expect(send('<html>')).rejects.toMatchObject({ status: 400, code: 'NOT_NODE_STATE' });
    await s.close();
  });

  it('a body that breaks off after a refused part: UPLOAD_ABORTED, nothing uncaught, nothing kept', async () => {
    const s = await store();
    let pull = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pull++ === 0) c.enqueue(new Uint8Array([...part('x.png'), ...enc.encode('A'.repeat(4096))]));
        else c.error(new Error('aborted'));
      },
    });
    const ct = `multipart/form-data; boundary=${BOUNDARY}`;
    await expect(receiveUpload(body, multipartParser(ct, config), { store: s, config, client: 'c', nowMs: Date.now() })).rejects.toMatchObject({ status: 400 });
    await new Promise((ok) => setTimeout(ok, 50));
    await s.close();
  });
});

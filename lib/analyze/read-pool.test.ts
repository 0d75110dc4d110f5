/** Reading on several threads, whole files or files cut into parts, gives the captures reading one after another gives. */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { boundaryIn, fileHead, partsWanted } from '../capture/boundary';
import { buildPcap, concatBytes, ngEnhancedPacket, ngInterface, ngSection } from '../capture/build';
import { CaptureFormatError } from '../capture/errors';
import { planFileSplit } from '../capture/node';
import { emptyRow } from '../decode/packet-index';
import type { IndexedCapture } from '../decode/capture-index';
import { joinParts } from '../decode/merge-parts';
import { captureStats } from '../decode/stats';
import { SAMPLE_CAPTURES_DIR } from '../lab/samples';
import { mulberry32 } from '../util/prng';
import { indexFile, indexFiles, indexPart, readWorkers } from './read-pool';

const CAPTURE = /\.(pcapng|pcap|cap)(\.gz)?$/i;
const files = readdirSync(SAMPLE_CAPTURES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => CAPTURE.test(f))
  .sort()
  .map((f) => join(SAMPLE_CAPTURES_DIR, f));

/** Everything a capture holds, its index rows included, as plain data. */
function plain(c: IndexedCapture) {
  const rows = [];
  for (let r = 0; r < c.index.count; r++) rows.push({ ...c.index.read(r, emptyRow()) });
  return { ...c, index: { count: c.index.count, allocatedBytes: c.index.allocatedBytes, rows } };
}

/** Everything a capture holds but its rows and the ICMP errors kept by row: what an index that only counts must agree on. */
function counted(c: IndexedCapture) {
  return { ...c, index: { count: c.index.count }, icmpErrors: null };
}

const withWorkers = async <T>(n: string, f: () => Promise<T>): Promise<T> => {
  process.env.HOPSCOPE_READ_WORKERS = n;
  try {
    return await f();
  } finally {
    delete process.env.HOPSCOPE_READ_WORKERS;
  }
};

describe('indexFiles', () => {
  let dir = '';
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('reads every sample on two threads as on one, in the order given', async () => {
    expect(files.length).toBeGreaterThan(100);
    const one = await withWorkers('1', () => indexFiles(files));
    const order: number[] = [];
    const two: Awaited<ReturnType<typeof indexFiles>> = [];
    const kept = await withWorkers('2', () =>
      indexFiles(files, (r, i) => {
        order.push(i);
        two.push(r);
      }),
    );
    expect(order).toEqual(files.map((_, i) => i));
    expect(two.map((r) => r.file)).toEqual(files);
    // Handed over, not kept as well.
    expect(kept.every((r) => r.capture === undefined && r.error === undefined)).toBe(true);
    for (let i = 0; i < files.length; i++) {
      expect(two[i]!.error, files[i]).toBeUndefined();
      expect(plain(two[i]!.capture!), files[i]).toEqual(plain(one[i]!.capture!));
    }
  });

  it('counts every sample without its rows as the full index counts it, on one thread and two', async () => {
    const full = await withWorkers('1', () => indexFiles(files));
    for (const n of ['1', '2']) {
      const rowless = await withWorkers(n, () => indexFiles(files, undefined, { rows: false }));
      for (let i = 0; i < files.length; i++) {
        const c = rowless[i]!.capture!;
        expect(rowless[i]!.error, files[i]).toBeUndefined();
        expect(c.index.keepsRows).toBe(false);
        expect(c.index.allocatedBytes).toBe(0);
        expect(c.icmpErrors.size).toBe(0);
        expect(counted(c), files[i]).toEqual(counted(full[i]!.capture!));
        expect(captureStats(c), files[i]).toEqual(captureStats(full[i]!.capture!));
        if (c.index.count > 0) expect(() => c.index.read(0), files[i]).toThrow(/keeps no rows/);
      }
    }
  });

  it('gives each bad file its own error, the same on a worker as here', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hopscope-pool-'));
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, Buffer.from('not a capture at all'));
    // Largest first: this thread takes the sample, the worker the bad file (the missing one is empty).
    const biggest = files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
    const list = [biggest, bad, join(dir, 'missing.pcap')];
    for (const n of ['1', '2']) {
      const r = await withWorkers(n, () => indexFiles(list));
      expect(r[0]!.capture?.index.count).toBeGreaterThan(0);
      expect(r[1]!.error).toBeInstanceOf(CaptureFormatError);
      expect(r[1]!.error!.message).toMatch(/^NOT_A_CAPTURE at byte 0 of bad\.pcap: /);
      expect((r[1]!.error as CaptureFormatError).byteOffset).toBe(0);
      expect((r[2]!.error as NodeJS.ErrnoException).code).toBe('ENOENT');
    }
  });

  it('loses no file when a worker dies: the file it had is read here', async () => {
    const biggest = files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
    const second = files.filter((f) => f !== biggest).reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
    process.env.HOPSCOPE_TEST_READ_WORKER_CRASH_ON = second;
    try {
      const r = await withWorkers('2', () => indexFiles([biggest, second]));
      const alone = await withWorkers('1', () => indexFiles([second]));
      expect(r[1]!.error).toBeUndefined();
      expect(plain(r[1]!.capture!)).toEqual(plain(alone[0]!.capture!));
      expect(r[0]!.capture!.index.count).toBeGreaterThan(0);
    } finally {
      delete process.env.HOPSCOPE_TEST_READ_WORKER_CRASH_ON;
    }
  });

  it('uses a thread per core and a half and per file unless told', () => {
    process.env.HOPSCOPE_READ_WORKERS = '3';
    expect(readWorkers(10)).toBe(3);
    expect(readWorkers(2)).toBe(2);
    delete process.env.HOPSCOPE_READ_WORKERS;
    expect(readWorkers(1)).toBe(1);
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    expect(readWorkers(1000)).toBeGreaterThanOrEqual(1);
    expect(readWorkers(1000)).toBeLessThanOrEqual(Math.max(1, Math.floor(cores / 1.5)));
  });
});

/** A file cut into `parts` and read part by part on this thread: the joined capture, or why there is none. */
async function cutAndJoin(file: string, parts: number) {
  const plan = await planFileSplit(file, statSync(file).size, parts);
  if (!plan) return { plan, joined: null, results: [] };
  const results = await Promise.all(plan.parts.map((p) => indexPart(file, p).catch((e: Error) => ({ error: e }))));
  return { plan, joined: joinParts(results, plan), results };
}

describe('cutting a capture into parts', () => {
  let dir = '';
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('cuts every plain sample into three parts and joins them into what one reader reads', async () => {
    expect(files.length).toBeGreaterThan(100);
    let cut = 0;
    const plainFiles = files.filter((f) => !f.endsWith('.gz'));
    for (const file of plainFiles) {
      const { plan, joined, results } = await cutAndJoin(file, 3);
      if (!plan) continue;
      cut++;
      // Only a part that met a declaration the next parts lacked keeps the parts apart.
      if (!joined) {
        expect(results.some((r) => 'position' in r && r.position.stateUnits !== plan.stateUnits), file).toBe(true);
        continue;
      }
      expect('error' in joined, file).toBe(false);
      const whole = await indexFile(file);
      expect(plain((joined as { capture: IndexedCapture }).capture), file).toEqual(plain(whole));
    }
    // Not a vacuous pass: nearly every plain sample was cut.
    expect(cut).toBeGreaterThan(plainFiles.length * 0.9);
  });

  it('reads a cut file on worker threads as one reader does', async () => {
    const biggest = files.filter((f) => !f.endsWith('.gz')).reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
    process.env.HOPSCOPE_READ_WORKERS = '3';
    try {
      const [cutRead] = await indexFiles([biggest], undefined, { partBytes: 1024 });
      expect(await planFileSplit(biggest, statSync(biggest).size, 3)).not.toBeNull();
      expect(plain(cutRead!.capture!)).toEqual(plain(await indexFile(biggest)));
      // Counted only, the parts are joined by their counts.
      const [cutCount] = await indexFiles([biggest], undefined, { partBytes: 1024, rows: false });
      expect(cutCount!.capture!.index.keepsRows).toBe(false);
      expect(counted(cutCount!.capture!)).toEqual(counted(await indexFile(biggest)));
    } finally {
      delete process.env.HOPSCOPE_READ_WORKERS;
    }
  });

  it('reads a pcapng whole when an interface is declared after its first packets', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hopscope-split-'));
    const file = join(dir, 'late-interface.pcapng');
    const rnd = mulberry32(7);
    const frame = () => Uint8Array.from({ length: 60 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
    const packets = (iface: number, from: number) => Array.from({ length: 40 }, (_, n) => ngEnhancedPacket(true, iface, BigInt(1_700_000_000_000_000 + (from + n) * 1000), frame()));
    writeFileSync(file, concatBytes(ngSection(true), ngInterface(true, 1), ...packets(0, 0), ngInterface(true, 1), ...packets(1, 40), ...packets(0, 80)));
    const { plan, joined } = await cutAndJoin(file, 3);
    expect(plan).not.toBeNull();
    expect(joined).toBeNull();
    process.env.HOPSCOPE_READ_WORKERS = '3';
    try {
      const [r] = await indexFiles([file], undefined, { partBytes: 1024 });
      const whole = await indexFile(file);
      expect(whole.interfaces).toHaveLength(2);
      expect(plain(r!.capture!)).toEqual(plain(whole));
    } finally {
      delete process.env.HOPSCOPE_READ_WORKERS;
    }
  });

  it("gives the file's first error whichever part met it, as one reader does", async () => {
    dir = mkdtempSync(join(tmpdir(), 'hopscope-split-'));
    const rnd = mulberry32(11);
    const records = Array.from({ length: 300 }, (_, n) => ({ sec: 1_700_000_000 + n, frac: 0, data: Uint8Array.from({ length: 100 }, () => Math.floor(rnd() * 256)) }));
    // A captured length above the original length at record 50 (the first part's) or 250 (the second's).
    for (const bad of [50, 250]) {
      const bytes = buildPcap({ records });
      new DataView(bytes.buffer).setUint32(24 + (bad - 1) * 116 + 8, 200, true);
      const file = join(dir, `bad-${bad}.pcap`);
      writeFileSync(file, bytes);
      const whole = await indexFile(file).catch((e: Error) => e);
      expect(whole).toBeInstanceOf(Error);
      expect((whole as Error).message).toContain(`record ${bad} `);
      const { plan, joined } = await cutAndJoin(file, 2);
      expect(plan).not.toBeNull();
      // The first part's error is the file's; a later part's numbers its records from the cut, so the file is read whole.
      if (bad === 50) expect(joined).toEqual({ error: whole });
      else expect(joined).toBeNull();
      process.env.HOPSCOPE_READ_WORKERS = '2';
      try {
        const [r] = await indexFiles([file], undefined, { partBytes: 1024 });
        expect(r!.error?.message).toBe((whole as Error).message);
      } finally {
        delete process.env.HOPSCOPE_READ_WORKERS;
      }
    }
  });

  it('joins or reads whole, never differs: a cut-short end, neighbour discovery over IPv4, times past 2^53 ns, in all or in the last part only', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hopscope-split-'));
    const rnd = mulberry32(5);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    const eth = (type: number) => Uint8Array.of(0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, type >> 8, type & 255);
    const ipv4 = (proto: number, body: Uint8Array) => concatBytes(Uint8Array.of(0x45, 0, 0, 20 + body.length, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2), body);
    const ipv6Udp = (src: number) => {
      const h = new Uint8Array(40);
      h.set([0x60, 0, 0, 0, 0, 48, 17, 64, 0x20, 0x01]);
      h[23] = src;
      h.set([0x20, 0x01], 24);
      h[39] = 200;
      return concatBytes(h, Uint8Array.of(0x30, 0, 0x30, 1, 0, 48, 0, 0), bytes(40));
    };
    // A neighbour solicitation (type 135) for fe80::N, carried over IPv4: its target is an IPv6 id all the same.
    const solicit = (n: number) => Uint8Array.from({ length: 24 }, (_, i) => (i === 0 ? 135 : i === 8 ? 0xfe : i === 9 ? 0x80 : i === 23 ? n : 0));
    const records = (n: number, data: (k: number) => Uint8Array, sec = (k: number) => 1_700_000_000 + k) => Array.from({ length: n }, (_, k) => ({ sec: sec(k), frac: k * 1013, data: data(k) }));
    const cases: [string, Uint8Array][] = [
      ['cut-short.pcap', buildPcap({ records: records(300, () => bytes(100)) }).subarray(0, -30)],
      ['nd-over-ipv4.pcap', buildPcap({ records: records(300, (k) => (k < 150 ? concatBytes(eth(0x86dd), ipv6Udp(k & 0x7f)) : concatBytes(eth(0x0800), ipv4(58, solicit(k & 0x3f))))) })],
      // Nanoseconds over 395 days: past 2^53 ns from the first packet.
      ['long-span.pcap', buildPcap({ nanos: true, records: records(395, () => bytes(80), (k) => 1_700_000_000 + k * 86_300).map((r, k) => ({ ...r, frac: (k * 999_983_017) % 1e9 })) })],
      // The same span inside the last part only: its start is close to the first part's, its last packet is not.
      ['far-last.pcap', buildPcap({ nanos: true, records: records(300, () => bytes(80), (k) => 1_700_000_000 + (k === 299 ? 200 * 86_400 : k)).map((r, k) => ({ ...r, frac: (k * 999_983_017) % 1e9 })) })],
    ];
    for (const [name, data] of cases) {
      const file = join(dir, name);
      writeFileSync(file, data);
      const whole = await indexFile(file);
      const { plan, joined } = await cutAndJoin(file, 2);
      expect(plan, name).not.toBeNull();
      if (joined) expect(plain((joined as { capture: IndexedCapture }).capture), name).toEqual(plain(whole));
      // Counted only, the parts join exactly when their rows would have.
      const countedParts = await Promise.all(plan!.parts.map((p) => indexPart(file, p, false)));
      const countedJoin = joinParts(countedParts, plan!);
      expect(countedJoin === null, name).toBe(joined === null);
      if (countedJoin) expect(counted((countedJoin as { capture: IndexedCapture }).capture), name).toEqual(counted(whole));
      process.env.HOPSCOPE_READ_WORKERS = '2';
      try {
        const [r] = await indexFiles([file], undefined, { partBytes: 1024 });
        expect(plain(r!.capture!), name).toEqual(plain(whole));
        const [c] = await indexFiles([file], undefined, { partBytes: 1024, rows: false });
        expect(counted(c!.capture!), name).toEqual(counted(whole));
      } finally {
        delete process.env.HOPSCOPE_READ_WORKERS;
      }
    }
  });

  it('finds the next record from anywhere inside a pcap, payload bytes being no record', () => {
    const rnd = mulberry32(3);
    const records = Array.from({ length: 60 }, (_, n) => ({ sec: 1_700_000_000 + n, frac: Math.floor(rnd() * 1e6), data: Uint8Array.from({ length: 40 + Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256)) }));
    const bytes = buildPcap({ records });
    const head = fileHead(bytes)!;
    const starts: number[] = [];
    for (let o = 24, n = 0; n < records.length; n++) {
      starts.push(o);
      o += 16 + records[n]!.data.length;
    }
    for (let at = 24; at < starts[50]!; at += 7) {
      const expected = starts.find((s) => s >= at)!;
      expect(boundaryIn(bytes.subarray(at), at, bytes.length, head), `from ${at}`).toBe(expected);
    }
  });

  it('cuts only when there are more readers than files, in proportion to size', () => {
    expect(partsWanted([100, 100], 2, 10)).toEqual([1, 1]);
    expect(partsWanted([1000], 4, 100)).toEqual([4]);
    expect(partsWanted([1000], 4, 400)).toEqual([2]);
    expect(partsWanted([3000, 1000], 4, 100)).toEqual([3, 1]);
  });
});

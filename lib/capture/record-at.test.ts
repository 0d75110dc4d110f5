import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPcap, concatBytes, ngEnhancedPacket, ngInterface, ngSection, ngSimplePacket } from './build';
import { readCaptureBlob } from './blob';
import { CaptureFormatError } from './errors';
import { blobByteReader, gzipByteReader, parseRecordHeader, readRecordsAt } from './record-at';
import type { CaptureSink, PacketRecord } from './types';
import { SAMPLES } from '../testing/scenarios';

const data = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** Reads a capture and keeps every packet's data offset and bytes, as the indexer sees them. */
async function recordsOf(file: File): Promise<{ dataOffset: number; bytes: Uint8Array; origLen: number; hasTs: boolean }[]> {
  const out: { dataOffset: number; bytes: Uint8Array; origLen: number; hasTs: boolean }[] = [];
  const sink: CaptureSink = {
    onPacket(r: PacketRecord) {
      out.push({ dataOffset: r.dataFileOffset, bytes: r.buf.slice(r.offset, r.offset + r.capLen), origLen: r.origLen, hasTs: r.hasTimestamp });
    },
  };
  await readCaptureBlob(file, sink, { chunkSize: 64 });
  return out;
}

async function collect(file: File, format: 'pcap' | 'pcapng', reqs: { dataOffset: number; simple?: boolean }[]) {
  const got = [];
  for await (const r of readRecordsAt(file, format, reqs)) got.push(r);
  return got;
}

const asFile = (bytes: Uint8Array, name: string) => new File([bytes as Uint8Array<ArrayBuffer>], name);

describe('readRecordsAt', () => {
  for (const littleEndian of [true, false]) {
    it(`pcap (${littleEndian ? 'little' : 'big'}-endian): the bytes and lengths of every record, by data offset`, async () => {
      const records = [
        { sec: 1, frac: 0, data: data(60, 1) },
        { sec: 2, frac: 5, data: data(1514, 2), origLen: 9000 },
        { sec: 3, frac: 9, data: data(1, 3) },
      ];
      const file = asFile(buildPcap({ littleEndian, records }), 'a.pcap');
      const seen = await recordsOf(file);
      // Ask out of order: the answer comes in file order, each tagged with its request.
      const reqs = [seen[2]!, seen[0]!, seen[1]!].map((s) => ({ dataOffset: s.dataOffset }));
      const got = await collect(file, 'pcap', reqs);
      expect(got.map((g) => g.index)).toEqual([1, 2, 0]);
      for (const g of got) {
        const s = seen.find((x) => x.dataOffset === g.dataOffset)!;
        expect(g.data).toEqual(s.bytes);
        expect(g.capLen).toBe(s.bytes.length);
        expect(g.origLen).toBe(s.origLen);
      }
      expect(got.find((g) => g.index === 2)!.origLen).toBe(9000);
    });
  }

  for (const le of [true, false]) {
    it(`pcapng (${le ? 'little' : 'big'}-endian): enhanced and simple packet blocks`, async () => {
      const bytes = concatBytes(
        ngSection(le),
        ngInterface(le, 1, 128),
        ngEnhancedPacket(le, 0, 1_000_000n, data(61, 4), { options: [{ code: 1, value: 'a comment' }] }),
        ngSimplePacket(le, data(128, 5), 300),
        ngEnhancedPacket(le, 0, 2_000_000n, data(3, 6)),
      );
      const file = asFile(bytes, 'b.pcapng');
      const seen = await recordsOf(file);
      expect(seen).toHaveLength(3);
      const got = await collect(file, 'pcapng', seen.map((s) => ({ dataOffset: s.dataOffset, simple: !s.hasTs })));
      got.forEach((g, i) => {
        expect(g.data).toEqual(seen[i]!.bytes);
        expect(g.origLen).toBe(seen[i]!.origLen);
      });
      expect(got[1]!.capLen).toBe(128);
      expect(got[1]!.origLen).toBe(300);
    });
  }

  it('gzip: decompresses again, forward only, and still finds every record', async () => {
    const records = Array.from({ length: 400 }, (_, i) => ({ sec: i, frac: 0, data: data(100 + (i % 50) * 20, i) }));
    const plain = buildPcap({ records });
    const file = asFile(gzipSync(plain, { level: 1 }), 'c.pcap.gz');
    const seen = await recordsOf(file);
    const pick = [seen[399]!, seen[3]!, seen[200]!, seen[201]!];
    const got = await collect(file, 'pcap', pick.map((s) => ({ dataOffset: s.dataOffset })));
    expect(got.map((g) => g.index)).toEqual([1, 2, 3, 0]);
    for (const g of got) expect(g.data).toEqual(seen.find((s) => s.dataOffset === g.dataOffset)!.bytes);
  });

  it('a real lab capture: every packet of a pcapng sample', async () => {
    const path = join(SAMPLES, 'vxlan-forward-drop', 'all-interfaces.pcapng');
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch {
      return;
    }
    const file = asFile(bytes, 'all-interfaces.pcapng');
    const seen = await recordsOf(file);
    const got = await collect(file, 'pcapng', seen.map((s) => ({ dataOffset: s.dataOffset })));
    expect(got).toHaveLength(seen.length);
    got.forEach((g, i) => expect(g.data).toEqual(seen[i]!.bytes));
  });

  it('an offset that is not a record, or a record past the end, is a CaptureFormatError naming the file', async () => {
    const file = asFile(buildPcap({ records: [{ sec: 1, frac: 0, data: data(60, 1) }] }), 'x.pcap');
    const ng = asFile(concatBytes(ngSection(true), ngInterface(true, 1), ngEnhancedPacket(true, 0, 1n, data(60, 1))), 'y.pcapng');
    await expect(collect(ng, 'pcapng', [{ dataOffset: 40 }])).rejects.toThrow(/BAD_HEADER at byte \d+ of y\.pcapng/);
    await expect(collect(file, 'pcap', [{ dataOffset: 3 }])).rejects.toBeInstanceOf(CaptureFormatError);
    // A caplen field that claims more than the file holds.
    const cut = asFile(buildPcap({ records: [{ sec: 1, frac: 0, data: data(60, 1), capLen: 200 }] }), 'cut.pcap');
    await expect(collect(cut, 'pcap', [{ dataOffset: 40 }])).rejects.toThrow(/BLOCK_OVERRUN at byte 40 of cut\.pcap/);
  });

  it('a file whose magic changed since it was read is refused', async () => {
    const file = asFile(new Uint8Array(64), 'gone.pcap');
    await expect(collect(file, 'pcap', [{ dataOffset: 40 }])).rejects.toThrow(/NOT_A_CAPTURE at byte 0 of gone\.pcap/);
  });
});

describe('byte readers', () => {
  it('the blob reader serves neighbouring ranges from one window', async () => {
    let slices = 0;
    const blob = new Blob([data(10_000, 0) as Uint8Array<ArrayBuffer>]);
    const counting = new Proxy(blob, {
      get(t, p) {
        if (p === 'slice') return (...a: Parameters<Blob['slice']>) => (slices++, t.slice(...a));
        const v = Reflect.get(t, p, t);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    const r = blobByteReader(counting, 4096);
    expect(await r.read(10, 20)).toEqual(data(10_000, 0).subarray(10, 20));
    expect(await r.read(100, 4000)).toEqual(data(10_000, 0).subarray(100, 4000));
    expect(slices).toBe(1);
    expect(await r.read(9990, 20_000)).toEqual(data(10_000, 0).subarray(9990));
    expect(slices).toBe(2);
  });

  it('the gzip reader refuses to go backwards', async () => {
    const bytes = data(200_000, 3);
    const r = gzipByteReader(new Blob([gzipSync(bytes) as Uint8Array<ArrayBuffer>]));
    expect(await r.read(150_000, 150_010)).toEqual(bytes.subarray(150_000, 150_010));
    expect(await r.read(150_005, 199_999)).toEqual(bytes.subarray(150_005, 199_999));
    await expect(r.read(0, 10)).rejects.toThrow(/already passed/);
    await r.close();
  });

  it('parseRecordHeader: pcap lengths in the file byte order', () => {
    const head = new Uint8Array(16);
    new DataView(head.buffer).setUint32(8, 70, false);
    new DataView(head.buffer).setUint32(12, 90, false);
    expect(parseRecordHeader('f', 'pcap', 'be', head, 56)).toEqual({ before: 16, capLen: 70, origLen: 90 });
  });
});

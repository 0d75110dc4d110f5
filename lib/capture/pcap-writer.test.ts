import { createRequire } from 'node:module';
import { concatBytes } from './build';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../bench/generate';
import {
  PCAP_DEFAULT_SNAPLEN,
  PCAP_FILE_HEADER_LENGTH,
  PCAP_RECORD_HEADER_LENGTH,
  PcapWriter,
} from './pcap-writer';
import { createCaptureReader } from './read';
import type { CaptureInterface } from './types';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Written {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  origLen: number;
}

function randomPackets(seed: number, count: number): Written[] {
  const rand = mulberry32(seed);
  const out: Written[] = [];
  let sec = 1_700_000_000;
  for (let i = 0; i < count; i++) {
    sec += Math.floor(rand() * 3);
    // Lengths around the interesting edges: empty, tiny, Ethernet sizes, jumbo.
    const length = [0, 1, 14, 60, 1514, 9000][i % 6]! + Math.floor(rand() * 40);
    const data = Uint8Array.from({ length }, () => Math.floor(rand() * 256));
    const origLen = rand() < 0.2 ? length + Math.floor(rand() * 5000) : length;
    out.push({ tsSec: sec, tsNsec: Math.floor(rand() * 1e9), data, origLen });
  }
  return out;
}

function writeFile(packets: Written[], linkType: number, snaplen: number, nanosecond: boolean): Uint8Array[] {
  const w = new PcapWriter();
  return [w.header(linkType, snaplen, { nanosecond }), ...packets.map((p) => w.record(p.tsSec, p.tsNsec, p.data, p.origLen))];
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return concatBytes(...chunks);
}

interface ReadBack {
  iface: CaptureInterface | undefined;
  records: { tsSec: number; tsNsec: number; capLen: number; origLen: number; data: string }[];
}

function readBack(bytes: Uint8Array, splitSeed: number): ReadBack {
  const out: ReadBack = { iface: undefined, records: [] };
  const reader = createCaptureReader('written.pcap', {
    onInterface: (i) => (out.iface = { ...i }),
    onPacket: (r) =>
      out.records.push({
        tsSec: r.tsSec,
        tsNsec: r.tsNsec,
        capLen: r.capLen,
        origLen: r.origLen,
        data: hex(r.buf.subarray(r.offset, r.offset + r.capLen)),
      }),
  });
  const rand = mulberry32(splitSeed);
  for (let o = 0; o < bytes.length; ) {
    const n = 1 + Math.floor(rand() * 3000);
    reader.push(bytes.slice(o, o + n));
    o += n;
  }
  const summary = reader.end();
  expect(summary.format).toBe('pcap');
  expect(summary.warnings).toEqual([]);
  expect(summary.packets).toBe(out.records.length);
  return out;
}

interface PcapParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}
interface PcapParserHeader {
  magicNumber: number;
  snapshotLength: number;
  linkLayerType: number;
}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as {
  parse(input: Readable | string): NodeJS.EventEmitter;
};

function parseWithPcapParser(chunks: Uint8Array[]): Promise<{ header: PcapParserHeader; packets: PcapParserPacket[] }> {
  return new Promise((resolve, reject) => {
    const packets: PcapParserPacket[] = [];
    let header: PcapParserHeader | undefined;
    const parser = pcapParser.parse(Readable.from(chunks.map((c) => Buffer.from(c))));
    parser.on('globalHeader', (h: PcapParserHeader) => (header = h));
    parser.on('packet', (p: PcapParserPacket) => packets.push(p));
    parser.on('error', reject);
    parser.on('end', () => (header ? resolve({ header, packets }) : reject(new Error('pcap-parser saw no header'))));
  });
}

describe('PcapWriter', () => {
  it('writes the little-endian microsecond header', () => {
    const w = new PcapWriter();
    // magic a1b2c3d4, version 2.4, reserved 0, 0, snaplen 262144, link type 1 (Ethernet)
    expect(hex(w.header(1))).toBe('d4c3b2a1' + '02000400' + '00000000' + '00000000' + '00000400' + '01000000');
    expect(w.linkType).toBe(1);
    expect(w.snaplen).toBe(PCAP_DEFAULT_SNAPLEN);
    expect(w.nanosecond).toBe(false);
  });

  it('writes the nanosecond magic and other link types', () => {
    const w = new PcapWriter();
    // magic a1b23c4d, snaplen 65535, link type 276 (LINUX_SLL2)
    expect(hex(w.header(276, 65535, { nanosecond: true }))).toBe('4d3cb2a1' + '02000400' + '00000000' + '00000000' + 'ffff0000' + '14010000');
    expect(w.nanosecond).toBe(true);
  });

  it('writes a record header and the packet bytes', () => {
    const w = new PcapWriter();
    w.header(1);
    const rec = w.record(0x65432100, 123_456_789, Uint8Array.of(0xde, 0xad, 0xbe, 0xef), 60);
    // ts_sec, ts_usec 123456 (nanoseconds truncated, as libpcap does), caplen 4, origlen 60
    expect(hex(rec)).toBe('00214365' + '40e20100' + '04000000' + '3c000000' + 'deadbeef');
    expect(w.recordLength(4)).toBe(PCAP_RECORD_HEADER_LENGTH + 4);
  });

  it('keeps nanoseconds in a nanosecond file', () => {
    const w = new PcapWriter();
    w.header(101, 262144, { nanosecond: true });
    expect(hex(w.record(1, 999_999_999, new Uint8Array(0)).subarray(4, 8))).toBe('ffc99a3b');
  });

  it('cuts packets at the snaplen and keeps their length as the original length', () => {
    const w = new PcapWriter();
    w.header(1, 64);
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    const rec = w.record(1, 0, data);
    expect(rec.length).toBe(PCAP_RECORD_HEADER_LENGTH + 64);
    const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    expect(dv.getUint32(8, true)).toBe(64);
    expect(dv.getUint32(12, true)).toBe(100);
    expect(rec.subarray(16)).toEqual(data.subarray(0, 64));
    expect(w.recordLength(100)).toBe(PCAP_RECORD_HEADER_LENGTH + 64);
  });

  it('batches records into a caller buffer without allocating', () => {
    const w = new PcapWriter();
    const target = new Uint8Array(PCAP_FILE_HEADER_LENGTH + 2 * (PCAP_RECORD_HEADER_LENGTH + 3));
    target.set(w.header(1));
    let off = PCAP_FILE_HEADER_LENGTH;
    off += w.recordInto(target, off, 10, 1000, Uint8Array.of(1, 2, 3));
    off += w.recordInto(target, off, 11, 2000, Uint8Array.of(4, 5, 6));
    expect(off).toBe(target.length);
    expect(hex(target.subarray(PCAP_FILE_HEADER_LENGTH))).toBe(
      '0a000000' + '01000000' + '03000000' + '03000000' + '010203' + '0b000000' + '02000000' + '03000000' + '03000000' + '040506',
    );
  });

  it('refuses what no pcap file can hold', () => {
    const w = new PcapWriter();
    expect(() => w.record(0, 0, new Uint8Array(1))).toThrow(/header\(\) must be written/);
    expect(() => w.header(0x10000)).toThrow(RangeError);
    expect(() => w.header(1, 0)).toThrow(RangeError);
    expect(() => w.header(1, 2 ** 32)).toThrow(RangeError);
    w.header(1, 1500);
    const one = new Uint8Array(10);
    expect(() => w.record(-1, 0, one)).toThrow(RangeError);
    expect(() => w.record(2 ** 32, 0, one)).toThrow(RangeError);
    expect(() => w.record(1.5, 0, one)).toThrow(RangeError);
    expect(() => w.record(0, 1e9, one)).toThrow(RangeError);
    expect(() => w.record(0, -1, one)).toThrow(RangeError);
    expect(() => w.record(0, 0, one, 9)).toThrow(/less than the captured length/);
    expect(() => w.record(0, 0, one, 2 ** 32)).toThrow(RangeError);
    expect(() => w.recordInto(new Uint8Array(25), 0, 0, 0, one)).toThrow(/does not fit/);
    expect(() => w.recordInto(new Uint8Array(26), 1, 0, 0, one)).toThrow(/does not fit/);
    // A snaplen-cut packet may be shorter than its original length, never longer.
    expect(w.record(0, 0, new Uint8Array(2000), 2000).length).toBe(PCAP_RECORD_HEADER_LENGTH + 1500);
  });

  for (const nanosecond of [false, true]) {
    it(`round-trips through our reader (${nanosecond ? 'nanosecond' : 'microsecond'}, random chunk splits)`, () => {
      const packets = randomPackets(nanosecond ? 2 : 1, 600);
      const snaplen = 4096;
      const bytes = concat(writeFile(packets, 113, snaplen, nanosecond));
      for (const splitSeed of [1, 2, 3]) {
        const back = readBack(bytes, splitSeed);
        expect(back.iface).toMatchObject({ linkType: 113, snaplen, tsUnitsPerSecond: nanosecond ? 1e9 : 1e6, fcsLen: 0 });
        expect(back.records.length).toBe(packets.length);
        packets.forEach((p, i) => {
          const capLen = Math.min(p.data.length, snaplen);
          expect(back.records[i]).toEqual({
            tsSec: p.tsSec,
            tsNsec: nanosecond ? p.tsNsec : Math.floor(p.tsNsec / 1000) * 1000,
            capLen,
            origLen: Math.max(p.origLen, p.data.length),
            data: hex(p.data.subarray(0, capLen)),
          });
        });
      }
    });
  }

  it('round-trips through pcap-parser (microsecond files; it knows no nanosecond magic)', async () => {
    const packets = randomPackets(3, 400);
    const chunks = writeFile(packets, 1, PCAP_DEFAULT_SNAPLEN, false);
    const parsed = await parseWithPcapParser(chunks);
    expect(parsed.header).toMatchObject({ magicNumber: 0xa1b2c3d4, snapshotLength: PCAP_DEFAULT_SNAPLEN, linkLayerType: 1 });
    expect(parsed.packets.length).toBe(packets.length);
    packets.forEach((p, i) => {
      const got = parsed.packets[i]!;
      expect(got.header).toEqual({
        timestampSeconds: p.tsSec,
        timestampMicroseconds: Math.floor(p.tsNsec / 1000),
        capturedLength: p.data.length,
        originalLength: p.origLen,
      });
      expect(hex(got.data)).toBe(hex(p.data));
    });
  });
});

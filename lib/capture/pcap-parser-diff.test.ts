/**
 * Differential test: our classic-pcap reader against the npm package pcap-parser, an
 * independent implementation, on the corpus and on files our writer makes.
 *
 * pcap-parser 0.2.1 reads the microsecond magic in either byte order and nothing else: the
 * nanosecond magic (a1b23c4d) is an "unknown magic number", and it drops a cut-short last
 * record silently. It also leaves a microsecond field ≥ 10^6 as it is, where our reader carries
 * it into the seconds as libpcap does; the comparison normalises that.
 */
import { CORPUS_DIR, corpusCaptures, haveCorpus as corpusPresent } from '../testing/corpus';
import { concatBytes } from './build';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBenchCapture, mulberry32 } from '../bench/generate';
import { CaptureFormatError } from './errors';
import { readCaptureFile } from './node';
import { PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH, PcapWriter } from './pcap-writer';
import type { CaptureSummary } from './types';

const CORPUS = CORPUS_DIR;

interface Rec {
  tsSec: number;
  tsUsec: number;
  capLen: number;
  origLen: number;
  data: string;
}

interface Side {
  records: Rec[];
  /** Why the file was refused, or null when it was read. */
  error: string | null;
  warnings: string[];
}

interface PcapParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

const pcapParser = createRequire(import.meta.url)('pcap-parser') as {
  parse(input: Readable | string): NodeJS.EventEmitter;
};

function theirs(input: string | Uint8Array[]): Promise<Side> {
  return new Promise((resolve) => {
    const side: Side = { records: [], error: null, warnings: [] };
    let sawHeader = false;
    const source = typeof input === 'string' ? input : Readable.from(input.map((c) => Buffer.from(c)));
    const parser = pcapParser.parse(source);
    parser.on('globalHeader', () => (sawHeader = true));
    parser.on('packet', (p: PcapParserPacket) => {
      const h = p.header;
      side.records.push({
        tsSec: h.timestampSeconds + Math.floor(h.timestampMicroseconds / 1e6),
        tsUsec: h.timestampMicroseconds % 1e6,
        capLen: h.capturedLength,
        origLen: h.originalLength,
        data: p.data.toString('hex'),
      });
    });
    parser.on('error', (e: Error) => (side.error = e.message));
    parser.on('end', () => {
      if (!sawHeader && side.error === null) side.error = 'no pcap header';
      resolve(side);
    });
  });
}

async function ours(file: string, chunkSize: number): Promise<Side & { summary?: CaptureSummary }> {
  const side: Side & { summary?: CaptureSummary } = { records: [], error: null, warnings: [] };
  try {
    side.summary = await readCaptureFile(
      file,
      {
        onPacket: (r) =>
          side.records.push({
            tsSec: r.tsSec,
            tsUsec: Math.floor(r.tsNsec / 1000),
            capLen: r.capLen,
            origLen: r.origLen,
            data: Buffer.from(r.buf.buffer, r.buf.byteOffset + r.offset, r.capLen).toString('hex'),
          }),
      },
      { chunkSize },
    );
    side.warnings = side.summary.warnings.map((w) => w.code);
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    side.error = e.code;
  }
  return side;
}

/** The first few differing records, described compactly: one expect per file, not per field. */
function differences(a: Rec[], b: Rec[]): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`record count ${a.length} (ours) vs ${b.length} (pcap-parser)`);
  for (let i = 0; i < Math.min(a.length, b.length) && out.length < 5; i++) {
    const x = a[i]!;
    const y = b[i]!;
    for (const k of ['tsSec', 'tsUsec', 'capLen', 'origLen', 'data'] as const) {
      if (x[k] !== y[k]) out.push(`record ${i + 1} ${k}: ${String(x[k]).slice(0, 40)} vs ${String(y[k]).slice(0, 40)}`);
    }
  }
  return out;
}

/** Rewrites a little-endian pcap from our writer in big-endian byte order (headers only). */
function toBigEndian(le: Uint8Array): Uint8Array {
  const out = le.slice();
  const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
  const dst = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const swap32 = (o: number) => dst.setUint32(o, src.getUint32(o, true), false);
  const swap16 = (o: number) => dst.setUint16(o, src.getUint16(o, true), false);
  swap32(0);
  swap16(4);
  swap16(6);
  for (const o of [8, 12, 16, 20]) swap32(o);
  for (let o = PCAP_FILE_HEADER_LENGTH; o + PCAP_RECORD_HEADER_LENGTH <= le.length; ) {
    const capLen = src.getUint32(o + 8, true);
    for (const f of [0, 4, 8, 12]) swap32(o + f);
    o += PCAP_RECORD_HEADER_LENGTH + capLen;
  }
  return out;
}

interface Made {
  name: string;
  chunks: Uint8Array[];
  /** What the file must read as (checked against our reader even where pcap-parser cannot). */
  expected: Rec[];
  nanosecond?: boolean;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return concatBytes(...chunks);
}

function makeFile(name: string, seed: number, count: number, opts: { linkType: number; snaplen: number; nanosecond?: boolean }): Made {
  const rand = mulberry32(seed);
  const w = new PcapWriter();
  const chunks = [w.header(opts.linkType, opts.snaplen, { nanosecond: opts.nanosecond })];
  const expected: Rec[] = [];
  let sec = 1_600_000_000 + Math.floor(rand() * 1e8);
  for (let i = 0; i < count; i++) {
    sec += rand() < 0.1 ? 1 : 0;
    const length = Math.floor(rand() * (rand() < 0.1 ? 9000 : 1600));
    const data = Uint8Array.from({ length }, () => Math.floor(rand() * 256));
    const origLen = length + (rand() < 0.2 ? Math.floor(rand() * 3000) : 0);
    const tsNsec = Math.floor(rand() * 1e9);
    chunks.push(w.record(sec, tsNsec, data, origLen));
    const capLen = Math.min(length, opts.snaplen);
    expected.push({
      tsSec: sec,
      tsUsec: Math.floor(tsNsec / 1000),
      capLen,
      origLen: Math.max(origLen, length),
      data: Buffer.from(data.subarray(0, capLen)).toString('hex'),
    });
  }
  return { name, chunks, expected, nanosecond: opts.nanosecond };
}

function corpusPcaps(): string[] {
  return corpusCaptures({ withTsv: false }).filter((p) => p.endsWith('.pcap'));
}

const haveCorpus = corpusPresent('the pcap-parser comparison on corpus files');

describe.skipIf(!haveCorpus)('pcap-parser agrees with our reader on the corpus', () => {
  const files = haveCorpus ? corpusPcaps() : [];

  it('finds the corpus pcaps', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const file of files) {
    const name = path.relative(CORPUS, file);
    it(name, async () => {
      const them = await theirs(file);
      // Small odd chunks put record boundaries everywhere; 1 MiB reads each file in one go.
      for (const chunkSize of [61, 1 << 20]) {
        const us = await ours(file, chunkSize);
        if (readFileSync(file).length === 0) {
          // An empty file: pcap-parser reports nothing at all, we refuse it.
          expect(us.error).toBe('EMPTY_FILE');
          expect(them.error).toBe('no pcap header');
          continue;
        }
        expect(us.error, `our reader refused ${name}`).toBeNull();
        expect(them.error, `pcap-parser refused ${name}`).toBeNull();
        expect(differences(us.records, them.records)).toEqual([]);
      }
    });
  }
});

describe('pcap-parser agrees with our reader on files our writer makes', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hopscope-diff-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const benchChunks = [...generateBenchCapture(3000, { chunkSize: 100_000 })];
  const made: Made[] = [
    makeFile('ethernet', 1, 500, { linkType: 1, snaplen: 262144 }),
    makeFile('sll2-snaplen-1000', 2, 500, { linkType: 276, snaplen: 1000 }),
    makeFile('raw-ip-snaplen-96', 3, 300, { linkType: 101, snaplen: 96 }),
    makeFile('empty', 4, 0, { linkType: 1, snaplen: 65535 }),
  ];

  const check = async (name: string, chunks: Uint8Array[], expected: Rec[] | null, opts: { bigEndian?: boolean } = {}) => {
    let bytes = concat(chunks);
    if (opts.bigEndian) bytes = toBigEndian(bytes);
    const file = path.join(dir, `${name}${opts.bigEndian ? '-be' : ''}.pcap`);
    await writeFile(file, bytes);
    const them = await theirs(file);
    const us = await ours(file, 4093);
    expect(us.error).toBeNull();
    expect(them.error).toBeNull();
    expect(us.warnings).toEqual([]);
    expect(differences(us.records, them.records)).toEqual([]);
    if (expected) expect(differences(us.records, expected)).toEqual([]);
    return us;
  };

  for (const m of made) {
    for (const bigEndian of [false, true]) {
      it(`${m.name}, ${bigEndian ? 'big' : 'little'}-endian`, async () => {
        await check(m.name, m.chunks, m.expected, { bigEndian });
      });
    }
  }

  it('the benchmark capture, fed as a stream with records split across chunks', async () => {
    const us = await check('bench', benchChunks, null);
    expect(us.records.length).toBe(3000);
    const streamed = await theirs(benchChunks);
    expect(differences(us.records, streamed.records)).toEqual([]);
  });

  it('a file cut inside its last record: both keep the whole records before it', async () => {
    const m = makeFile('cut', 5, 50, { linkType: 1, snaplen: 262144 });
    const bytes = concat(m.chunks);
    const lastLength = m.chunks[m.chunks.length - 1]!.length;
    for (const cut of [1, 10, PCAP_RECORD_HEADER_LENGTH, lastLength - 1]) {
      if (cut > lastLength - 1) continue;
      const file = path.join(dir, `cut-${cut}.pcap`);
      await writeFile(file, bytes.subarray(0, bytes.length - lastLength + cut));
      const them = await theirs(file);
      const us = await ours(file, 777);
      expect(us.error).toBeNull();
      expect(us.warnings).toEqual(['TRUNCATED_FILE']);
      expect(differences(us.records, them.records)).toEqual([]);
      expect(differences(us.records, m.expected.slice(0, -1))).toEqual([]);
    }
  });

  it('nanosecond files: pcap-parser cannot read them, ours matches what was written', async () => {
    const m = makeFile('nanosecond', 6, 200, { linkType: 1, snaplen: 262144, nanosecond: true });
    const file = path.join(dir, 'nanosecond.pcap');
    await writeFile(file, concat(m.chunks));
    const them = await theirs(file);
    expect(them.error).toMatch(/unknown magic number: 4d3cb2a1/);
    const us = await ours(file, 1000);
    expect(us.error).toBeNull();
    expect(differences(us.records, m.expected)).toEqual([]);
  });
});

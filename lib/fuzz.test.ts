/**
 * Fuzz test of the capture reader and the decoders on random and mutated input.
 *
 * Inputs: valid pcap and pcapng files (our writer, the lead's byte builders, a hand-written
 * pcapng, and the corpus when ../shared is present), mutated with bit flips, byte overwrites,
 * "interesting" values in length fields, truncation, insertions, deletions and splices; plus
 * random bytes behind real magics, and mutated single packets for the decoders alone.
 *
 * Properties:
 *  - createCaptureReader, fed the bytes in random chunk splits, throws nothing but
 *    CaptureFormatError, finishes every case, emits no more records than the bytes can hold,
 *    and emits records whose offsets, lengths and timestamps are in range;
 *  - the outcome (records, their bytes, the error code and offset, warnings) does not depend on
 *    how the input was split into chunks, nor on the caller scribbling over a chunk after push;
 *  - decodePacket never throws, never reaches its "decoder fault" safety net, and returns
 *    layers that are views into the packet and tile it exactly (types.ts, LayerBase.trailer);
 *  - Summarizer.summarize never throws and fills the index row with finite integers.
 *
 * A reader stuck in a loop cannot be interrupted from its own thread, so the cases run in worker
 * threads (TypeScript through tsx) that report progress through shared memory; one that stops
 * progressing is terminated and its case reported.
 *
 * Reproduce one case: HOPSCOPE_FUZZ_SEED=<seed> HOPSCOPE_FUZZ_CASE=<n> npx vitest run lib/fuzz.test.ts
 * More cases: HOPSCOPE_FUZZ_CASES=1000000.
 */
import { CORPUS_DIR, corpusCaptures, haveCorpus } from './testing/corpus';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { generateBenchCapture, mulberry32 } from './bench/generate';
import { buildPcap, concatBytes, ngBlock, ngEnhancedPacket, ngInterface, ngSection, ngSimplePacket } from './capture/build';
import { CaptureFormatError } from './capture/errors';
import { PcapWriter } from './capture/pcap-writer';
import { createCaptureReader } from './capture/read';
import type { PacketRecord } from './capture/types';
import { decodePacket, type DecodedPacket } from './decode/decode-packet';
import { emptyRow, type PacketRow } from './decode/packet-index';
import { Summarizer } from './decode/summarize';
import { TUNNEL_FIXTURES } from './decode/layers/tunnel-fixtures';
import { hex } from './testing/decode';
import { sll2Header } from './testing/packets';
import type { DecodeOptions } from './decode/types';

const DEFAULT_SEED = 0x5eed_f022;
const DEFAULT_CASES = 100_000;
/** With ../shared present, this share of the cases mutates the corpus instead of the built-in seeds. */
const CORPUS_SHARE = 0.2;
const WORKERS = 2;
/** A worker that finishes no case for this long is stuck. */
const STALL_MS = 15_000;
const MAX_FAILURES = 20;
const WORKER_ROLE = 'hopscope-fuzz-worker';
const CORPUS = CORPUS_DIR;

// ---------------------------------------------------------------------------------------------
// Seeds

interface SeedFile {
  name: string;
  bytes: Uint8Array;
  /** Offsets of 32-bit length fields (snaplen, caplen, origlen, block lengths) and their order. */
  lengthFields: number[];
  littleEndian: boolean;
}

interface SeedPacket {
  data: Uint8Array;
  linkType: number;
}

const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_LINUX_SLL2 = 276;
/** Link types tried on records besides their own: the decoders' whole first-layer table and a few unknowns. */
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 65535, 2 ** 31];

/**
 * A minimal pcapng, by hand: SHB (little-endian, version 1.0, section length -1), IDB
 * (Ethernet, snaplen 262144), EPB (interface 0, 60 bytes of Ethernet[IPv4[ICMP echo]]).
 */
const HAND_BUILT_PCAPNG = Uint8Array.from(
  Buffer.from(
    '0a0d0d0a' + '1c000000' + '4d3c2b1a' + '0100' + '0000' + 'ffffffffffffffff' + '1c000000' +
      '01000000' + '14000000' + '0100' + '0000' + '00000400' + '14000000' +
      '06000000' + '5c000000' + '00000000' + '1a0b0600' + '8054b7d2' + '3c000000' + '3c000000' +
      // Ethernet 08:00:27:8e:21:f4 → ce:6f:1a:b3:40:5e, IPv4 10.244.1.5 → 10.244.2.7, ICMP echo id 0x1c2d seq 1
      'ce6f1ab3405e' + '0800278e21f4' + '0800' +
      '4500002e' + '12344000' + '4001' + '0fa8' + '0af40105' + '0af40207' +
      '0800' + '9380' + '1c2d' + '0001' + '000102030405060708090a0b0c0d0e0f1011' +
      '5c000000',
    'hex',
  ),
);

/** Offsets of the length fields of a valid pcap or pcapng (best effort; stops at anything odd). */
function lengthFields(bytes: Uint8Array): { fields: number[]; littleEndian: boolean } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: number[] = [];
  if (bytes.length < 12) return { fields, littleEndian: true };
  const magic = dv.getUint32(0, true);
  if (magic === 0x0a0d0d0a) {
    let le = true;
    for (let o = 0; o + 12 <= bytes.length; ) {
      if (dv.getUint32(o, true) === 0x0a0d0d0a) le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
      const type = dv.getUint32(o, le);
      const total = dv.getUint32(o + 4, le);
      if (total < 12 || o + total > bytes.length) break;
      fields.push(o + 4, o + total - 4);
      if (type === 1) fields.push(o + 12);
      if (type === 6) fields.push(o + 20, o + 24);
      if (type === 3) fields.push(o + 8);
      o += total;
    }
    return { fields, littleEndian: true };
  }
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  fields.push(16);
  for (let o = 24; o + 16 <= bytes.length; ) {
    fields.push(o + 8, o + 12);
    o += 16 + dv.getUint32(o + 8, le);
  }
  return { fields, littleEndian: le };
}

function seedFile(name: string, bytes: Uint8Array): SeedFile {
  const { fields, littleEndian } = lengthFields(bytes);
  return { name, bytes, lengthFields: fields, littleEndian };
}

/** Ethernet frames from the benchmark generator: VXLAN/ICMP, VXLAN/TCP and plain TCP. */
function benchFrames(count: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const reader = createCaptureReader('bench.pcap', {
    onPacket: (r) => frames.push(r.buf.slice(r.offset, r.offset + r.capLen)),
  });
  for (const chunk of generateBenchCapture(count)) reader.push(chunk);
  reader.end();
  return frames;
}

function sllHeader(protocol: number): Uint8Array {
  // LINUX_SLL: packet type 0 (to us), ARPHRD_ETHER, address length 6, address, protocol.
  return Uint8Array.from(Buffer.from(`0000` + `0001` + `0006` + `0800278e21f40000` + protocol.toString(16).padStart(4, '0'), 'hex'));
}

function builtInSeeds(): { files: SeedFile[]; packets: SeedPacket[] } {
  const frames = benchFrames(64);
  const ip = frames.map((f) => f.subarray(14));
  const at = (list: Uint8Array[], i: number) => list[i % list.length] ?? new Uint8Array(0);
  const packets: SeedPacket[] = [
    ...frames.map((data) => ({ data, linkType: LINKTYPE_ETHERNET })),
    ...ip.slice(0, 16).map((data) => ({ data, linkType: LINKTYPE_RAW })),
    ...ip.slice(16, 24).map((data) => ({ data: concatBytes(sll2Header(0x0800), data), linkType: LINKTYPE_LINUX_SLL2 })),
    ...ip.slice(24, 32).map((data) => ({ data: concatBytes(sllHeader(0x0800), data), linkType: LINKTYPE_LINUX_SLL })),
    ...ip.slice(32, 36).map((data) => ({ data: concatBytes(Uint8Array.of(2, 0, 0, 0), data), linkType: LINKTYPE_NULL })),
    // 802.1Q tag 100 in front of the EtherType.
    ...frames.slice(36, 40).map((f) => ({ data: concatBytes(f.subarray(0, 12), Uint8Array.of(0x81, 0, 0, 100), f.subarray(12)), linkType: LINKTYPE_ETHERNET })),
    // FOU, GUE, NSH, ERSPAN and VXLAN-GBP frames, which the bench frames above seldom mutate into.
    ...Object.values(TUNNEL_FIXTURES).map((s) => ({ data: hex(s), linkType: LINKTYPE_ETHERNET })),
  ];

  const files: SeedFile[] = [];
  const write = (linkType: number, snaplen: number, nanosecond: boolean, data: Uint8Array[]) => {
    const w = new PcapWriter();
    const chunks = [w.header(linkType, snaplen, { nanosecond })];
    data.forEach((d, i) => chunks.push(w.record(1_700_000_000 + i, 999_999_000 - i * 1000, d)));
    return concatBytes(...chunks);
  };
  files.push(seedFile('bench-ethernet.pcap', concatBytes(...generateBenchCapture(6))));
  files.push(seedFile('raw-ip-ns-snaplen-200.pcap', write(LINKTYPE_RAW, 200, true, [at(ip, 0), at(ip, 1), at(ip, 2), at(ip, 3)])));
  files.push(seedFile('sll.pcap', write(LINKTYPE_LINUX_SLL, 262144, false, [24, 25, 26].map((i) => concatBytes(sllHeader(0x0800), at(ip, i))))));
  files.push(seedFile('null.pcap', write(LINKTYPE_NULL, 65535, false, [32, 33].map((i) => concatBytes(Uint8Array.of(2, 0, 0, 0), at(ip, i))))));
  files.push(
    seedFile(
      'sll2-be.pcap',
      buildPcap({
        littleEndian: false,
        linkType: LINKTYPE_LINUX_SLL2,
        snaplen: 65535,
        records: [16, 17, 18].map((i) => ({ sec: 1_700_000_100 + i, frac: 500_000, data: concatBytes(sll2Header(0x0800), at(ip, i)) })),
      }),
    ),
  );
  files.push(
    seedFile(
      'ipv4-be-ns.pcap',
      buildPcap({ littleEndian: false, nanos: true, linkType: LINKTYPE_IPV4, records: [4, 5].map((i) => ({ sec: 1_700_000_200, frac: 123_456_789, data: at(ip, i) })) }),
    ),
  );
  files.push(seedFile('hand-built.pcapng', HAND_BUILT_PCAPNG));
  for (const le of [true, false]) {
    const bytes = concatBytes(
      ngSection(le, [{ code: 1, value: 'node1 eth0 during the incident' }]),
      ngInterface(le, LINKTYPE_ETHERNET, 262144, [
        { code: 2, value: 'eth0' },
        { code: 9, value: Uint8Array.of(9) },
      ]),
      ngEnhancedPacket(le, 0, 1_700_000_000_123_456_789n, at(frames, 0), { options: [{ code: 1, value: 'first' }, { code: 2, value: Uint8Array.of(1, 0, 0, 0) }] }),
      ngEnhancedPacket(le, 0, 1_700_000_000_223_456_789n, at(frames, 1).subarray(0, 100), { origLen: at(frames, 1).length }),
      ngSimplePacket(le, at(frames, 2)),
      // Name resolution (4), interface statistics (5) and a custom block: skipped, length-checked.
      ngBlock(le, 4, Uint8Array.of(1, 0, 8, 0, 10, 244, 1, 5, 0x70, 0x6f, 0x64, 0, 0, 0, 0, 0)),
      ngBlock(le, 5, new Uint8Array(16)),
      ngBlock(le, 0x00000bad, Uint8Array.of(0, 0, 0x7e, 0x9d, 1, 2, 3)),
      ngInterface(le, LINKTYPE_LINUX_SLL2, 128, [{ code: 9, value: Uint8Array.of(0x80 | 20) }]),
      ngEnhancedPacket(le, 1, 0x1234_5678_9abcn, concatBytes(sll2Header(0x0800), at(ip, 20))),
      // A second section in the other byte order, with its own interface.
      ngSection(!le),
      ngInterface(!le, LINKTYPE_RAW, 0),
      ngEnhancedPacket(!le, 0, 1_700_000_300_000_000n, at(ip, 21)),
    );
    files.push(seedFile(`rich-${le ? 'le' : 'be'}.pcapng`, bytes));
  }
  return { files, packets };
}

function corpusSeeds(): { files: SeedFile[]; packets: SeedPacket[] } {
  const files: SeedFile[] = [];
  const packets: SeedPacket[] = [];
  if (!existsSync(CORPUS)) return { files, packets };
  for (const p of corpusCaptures({ withTsv: false, nonEmpty: true })) {
    if (/\.pcap(ng)?$/.test(p) && statSync(p).size <= 8 * 1024) files.push(seedFile(path.relative(CORPUS, p), new Uint8Array(readFileSync(p))));
  }
  for (const f of files) {
    const linkTypes: number[] = [];
    try {
      const reader = createCaptureReader(f.name, {
        onInterface: (i) => (linkTypes[i.id] = i.linkType),
        onPacket: (r) => packets.push({ data: r.buf.slice(r.offset, r.offset + r.capLen), linkType: linkTypes[r.interfaceId] ?? 1 }),
      });
      reader.push(f.bytes);
      reader.end();
    } catch {
      // A corpus file the reader refuses still makes a fine seed for mutation.
    }
  }
  return { files, packets };
}

// ---------------------------------------------------------------------------------------------
// Mutations

const INTERESTING_32 = [
  0, 1, 3, 4, 11, 12, 15, 16, 20, 24, 27, 28, 31, 32, 0x7f, 0xff, 0x100, 0xfff, 0xffff, 0x10000, 0x3ffff, 0x40000,
  0x40001, 0xffffff, 0x1000000, 0x1000004, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff,
];
const INTERESTING_16 = [0, 1, 4, 5, 8, 0x45, 0x60, 0x7f, 0x80, 0xff, 0x0800, 0x0806, 0x86dd, 0x8100, 0x88a8, 0x6558, 4789, 8472, 8285, 6081, 0x8000, 0xfffe, 0xffff];

type Rand = () => number;

const int = (rand: Rand, n: number) => Math.floor(rand() * n);

function mutateFile(rand: Rand, seed: SeedFile, others: SeedFile[], ops: string[]): Uint8Array {
  let b: Uint8Array = seed.bytes.slice();
  const count = 1 + Math.floor(rand() * rand() * 6);
  for (let k = 0; k < count; k++) {
    const op = int(rand, 11);
    const pos = int(rand, b.length + 1);
    switch (op) {
      case 0:
      case 1: {
        if (b.length === 0) break;
        const p = Math.min(pos, b.length - 1);
        const bit = int(rand, 8);
        b[p] = (b[p] ?? 0) ^ (1 << bit);
        ops.push(`flip ${p}.${bit}`);
        break;
      }
      case 2: {
        if (b.length === 0) break;
        const p = Math.min(pos, b.length - 1);
        const v = [0x00, 0xff, int(rand, 256)][int(rand, 3)] ?? 0;
        b[p] = v;
        ops.push(`set ${p}=${v}`);
        break;
      }
      case 3:
      case 4:
      case 5: {
        // A length field, or any 4-aligned word, set to an interesting or file-relative value.
        const fieldPos = seed.lengthFields.length > 0 && rand() < 0.75 ? seed.lengthFields[int(rand, seed.lengthFields.length)] : undefined;
        const p = fieldPos ?? pos & ~3;
        if (p + 4 > b.length) break;
        const pick = int(rand, INTERESTING_32.length + 3);
        const v = (INTERESTING_32[pick] ?? [b.length, b.length + 4, Math.max(0, b.length - p - 4)][pick - INTERESTING_32.length] ?? 0) >>> 0;
        const le = rand() < 0.85 ? seed.littleEndian : !seed.littleEndian;
        new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(p, v, le);
        ops.push(`u32 ${p}=${v}${le ? '' : ' BE'}`);
        break;
      }
      case 6: {
        if (b.length < 2) break;
        const p = Math.min(pos, b.length - 2);
        const v = INTERESTING_16[int(rand, INTERESTING_16.length)] ?? 0;
        new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(p, v, rand() < 0.5);
        ops.push(`u16 ${p}=${v}`);
        break;
      }
      case 7: {
        const cut = int(rand, b.length + 1);
        b = b.slice(0, cut);
        ops.push(`truncate ${cut}`);
        break;
      }
      case 8: {
        // Insert bytes copied from this or another seed (a record or block boundary, often).
        const from = rand() < 0.5 ? b : (others[int(rand, others.length)]?.bytes ?? b);
        const start = int(rand, from.length + 1);
        const len = Math.min(1 + int(rand, rand() < 0.8 ? 64 : 2048), from.length - start);
        b = concatBytes(b.subarray(0, pos), from.slice(start, start + len), b.subarray(pos));
        ops.push(`insert ${len}@${pos}`);
        break;
      }
      case 9: {
        const len = Math.min(1 + int(rand, 64), b.length - pos);
        b = concatBytes(b.subarray(0, pos), b.subarray(pos + len));
        ops.push(`delete ${len}@${pos}`);
        break;
      }
      default: {
        // Splice: our head, another file's tail.
        const other = others[int(rand, others.length)] ?? seed;
        const from = int(rand, other.bytes.length + 1);
        b = concatBytes(b.subarray(0, pos), other.bytes.subarray(from));
        ops.push(`splice ${pos}+${other.name}@${from}`);
        break;
      }
    }
  }
  return b;
}

function mutatePacket(rand: Rand, data: Uint8Array, ops: string[]): Uint8Array {
  let b: Uint8Array = data.slice();
  const count = 1 + int(rand, 4);
  for (let k = 0; k < count; k++) {
    const pos = int(rand, b.length + 1);
    switch (int(rand, 7)) {
      case 0:
      case 1:
        if (b.length > 0) {
          const p = Math.min(pos, b.length - 1);
          b[p] = (b[p] ?? 0) ^ (1 << int(rand, 8));
          ops.push(`flip ${p}`);
        }
        break;
      case 2:
      case 3:
        if (b.length >= 2) {
          const p = Math.min(pos, b.length - 2);
          const v = INTERESTING_16[int(rand, INTERESTING_16.length)] ?? 0;
          new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(p, v);
          ops.push(`u16 ${p}=${v}`);
        }
        break;
      case 4:
        b = b.slice(0, int(rand, b.length + 1));
        ops.push(`truncate ${b.length}`);
        break;
      case 5: {
        const len = 1 + int(rand, 32);
        b = concatBytes(b.subarray(0, pos), Uint8Array.from({ length: len }, () => int(rand, 256)), b.subarray(pos));
        ops.push(`insert ${len}@${pos}`);
        break;
      }
      default: {
        const len = Math.min(1 + int(rand, 32), b.length - pos);
        b = concatBytes(b.subarray(0, pos), b.subarray(pos + len));
        ops.push(`delete ${len}@${pos}`);
      }
    }
  }
  return b;
}

function randomBytes(rand: Rand, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(rand, 256));
}

/** Random bytes, alone or behind a real pcap header or section header block. */
function randomFile(rand: Rand, ops: string[]): Uint8Array {
  const kind = int(rand, 3);
  const tail = randomBytes(rand, int(rand, 600));
  if (kind === 0) {
    ops.push(`random ${tail.length}`);
    return tail;
  }
  if (kind === 1) {
    const magic = [0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1][int(rand, 4)] ?? 0;
    const head = buildPcap({ snaplen: INTERESTING_32[int(rand, INTERESTING_32.length)] ?? 0, linkType: LINK_TYPES[int(rand, LINK_TYPES.length)] ?? 1, records: [] });
    new DataView(head.buffer).setUint32(0, magic, true);
    ops.push(`pcap header ${magic.toString(16)} + random ${tail.length}`);
    return concatBytes(head, tail);
  }
  // A section header, then blocks of random types whose lengths are sometimes right.
  const le = rand() < 0.5;
  const parts = [ngSection(le)];
  for (let i = int(rand, 6); i > 0; i--) {
    const type = [1, 2, 3, 4, 5, 6, 0x0a0d0d0a, 0xbad, 0x80000001, int(rand, 2 ** 32)][int(rand, 10)] ?? 6;
    const block = ngBlock(le, type, randomBytes(rand, int(rand, 80)));
    if (rand() < 0.3) new DataView(block.buffer).setUint32(4, INTERESTING_32[int(rand, INTERESTING_32.length)] ?? 0, le);
    parts.push(block);
  }
  ops.push(`pcapng ${le ? 'LE' : 'BE'} random blocks`);
  return concatBytes(...parts, tail.subarray(0, int(rand, 16)));
}

// ---------------------------------------------------------------------------------------------
// Running one case

interface Stats {
  cases: number;
  fileCases: number;
  packetCases: number;
  records: number;
  decodes: number;
  summaries: number;
  errors: Record<string, number>;
  warnings: Record<string, number>;
}

interface Failure {
  caseIndex: number;
  what: string;
  message: string;
  ops: string[];
  inputBase64?: string;
}

class CaseFailure extends Error {}

const FNV_PRIME = 0x01000193;

function fnv(h: number, v: number): number {
  return Math.imul(h ^ (v & 0xffffffff), FNV_PRIME) >>> 0;
}

const DECODE_OPTIONS: DecodeOptions[] = [{}, { heuristics: false }, { udpPorts: { 9999: 'vxlan', 8472: 'geneve', 4789: 'flannel-udp' }, maxLayers: 4 }];

class Fuzzer {
  readonly stats: Stats = { cases: 0, fileCases: 0, packetCases: 0, records: 0, decodes: 0, summaries: 0, errors: {}, warnings: {} };
  private readonly summarizers = DECODE_OPTIONS.map((o) => new Summarizer(o));
  private readonly row: PacketRow = emptyRow();

  constructor(
    private readonly seed: number,
    private readonly builtIn: { files: SeedFile[]; packets: SeedPacket[] },
    private readonly corpus: { files: SeedFile[]; packets: SeedPacket[] },
    private readonly builtInCases: number,
  ) {}

  /** Runs case `index`; returns a failure description, or null. */
  run(index: number): Failure | null {
    const rand = mulberry32((this.seed + Math.imul(index, 0x9e3779b9)) >>> 0);
    const pool = index < this.builtInCases || this.corpus.files.length === 0 ? this.builtIn : this.corpus;
    const ops: string[] = [];
    let input: Uint8Array = new Uint8Array(0);
    this.stats.cases++;
    try {
      const kind = rand();
      if (kind < 0.15 && pool.packets.length > 0) {
        this.stats.packetCases++;
        const p = pool.packets[int(rand, pool.packets.length)]!;
        input = mutatePacket(rand, p.data, ops);
        this.decode(rand, input, rand() < 0.8 ? p.linkType : (LINK_TYPES[int(rand, LINK_TYPES.length)] ?? 1), true);
        return null;
      }
      this.stats.fileCases++;
      if (kind < 0.25) input = randomFile(rand, ops);
      else {
        const s = pool.files[int(rand, pool.files.length)]!;
        ops.push(s.name);
        input = mutateFile(rand, s, pool.files, ops);
      }
      const split = this.read(rand, input, true, ops);
      // Half the cases read again in one piece: the outcome must not depend on the split.
      if (rand() < 0.5) {
        const whole = this.read(rand, input, false, ops);
        if (split !== whole) throw new CaseFailure(`outcome depends on the chunk split: ${split} vs ${whole} (whole)`);
      }
      return null;
    } catch (e) {
      const what = e instanceof CaseFailure ? 'invariant' : 'threw';
      return {
        caseIndex: index,
        what,
        message: e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e),
        ops,
        inputBase64: input.length <= 8192 ? Buffer.from(input).toString('base64') : undefined,
      };
    }
  }

  /** Reads `input`; returns a fingerprint of the outcome. With `split`, random chunks and decoding. */
  private read(rand: Rand, input: Uint8Array, split: boolean, ops: string[]): string {
    const linkTypes: number[] = [];
    let records = 0;
    let digest = 0x811c9dc5;
    // Every record takes at least 12 bytes of file; more records than that means a loop.
    const maxRecords = Math.floor(input.length / 12) + 1;
    const sink = {
      onInterface: (i: { id: number; linkType: number }) => {
        if (i.id !== linkTypes.length) throw new CaseFailure(`interface id ${i.id}, expected ${linkTypes.length}`);
        linkTypes.push(i.linkType);
      },
      onPacket: (r: PacketRecord) => {
        records++;
        if (records > maxRecords) throw new CaseFailure(`more than ${maxRecords} records from ${input.length} bytes: a loop?`);
        checkRecord(r, records, linkTypes.length);
        for (const v of [r.capLen, r.origLen, r.tsSec, r.tsNsec, r.interfaceId, r.hasTimestamp ? 1 : 0, r.recordFileOffset, r.dataFileOffset, r.epbFlags]) {
          digest = fnv(digest, v);
        }
        const data = r.buf.subarray(r.offset, r.offset + r.capLen);
        for (let i = 0; i < data.length; i++) digest = fnv(digest, data[i]!);
        if (split) {
          this.stats.records++;
          const own = linkTypes[r.interfaceId] ?? 1;
          this.decode(rand, data, own, false);
          if (rand() < 0.25) this.decode(rand, data, LINK_TYPES[int(rand, LINK_TYPES.length)] ?? 1, false);
        }
      },
    };
    const reader = createCaptureReader('fuzz.pcap', sink);
    let error = 'none';
    let warnings = '';
    try {
      if (split) {
        // Byte-at-a-time splits are slow, and the state they reach is reached by 1..16 too.
        const r = rand();
        const cap = r < 0.05 && input.length <= 1024 ? 1 : r < 0.15 ? 16 : r < 0.4 ? 512 : r < 0.7 ? 8192 : input.length + 1;
        ops.push(`chunks ≤ ${cap}`);
        for (let o = 0; o < input.length; ) {
          if (rand() < 0.02) reader.push(new Uint8Array(0));
          const n = cap === 1 ? 1 : 1 + int(rand, cap);
          // A fresh copy per chunk, scribbled over after push: the reader may not keep it.
          const chunk = input.slice(o, o + n);
          reader.push(chunk);
          chunk.fill(0xa5);
          o += n;
        }
      } else {
        reader.push(input);
      }
      const summary = reader.end();
      if (summary.packets !== records) throw new CaseFailure(`summary says ${summary.packets} packets, the sink saw ${records}`);
      if (summary.bytes !== input.length) throw new CaseFailure(`summary says ${summary.bytes} bytes of ${input.length}`);
      warnings = summary.warnings.map((w) => `${w.code}@${w.byteOffset}`).join(',');
      if (split) for (const w of summary.warnings) this.stats.warnings[w.code] = (this.stats.warnings[w.code] ?? 0) + 1;
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw e;
      if (typeof e.byteOffset !== 'number' || e.byteOffset < 0 || e.byteOffset > input.length) {
        throw new CaseFailure(`${e.code} at byte ${e.byteOffset} of a ${input.length}-byte input`);
      }
      error = `${e.code}@${e.byteOffset}`;
      if (split) this.stats.errors[e.code] = (this.stats.errors[e.code] ?? 0) + 1;
    }
    return `${records} records, digest ${digest.toString(16)}, error ${error}, warnings [${warnings}]`;
  }

  private decode(rand: Rand, data: Uint8Array, linkType: number, exactCopy: boolean): void {
    const which = int(rand, DECODE_OPTIONS.length * 4);
    const optIndex = which < DECODE_OPTIONS.length ? which : 0;
    this.stats.decodes++;
    const packet = decodePacket(data, linkType, DECODE_OPTIONS[optIndex]);
    checkDecoded(packet, data, linkType);
    // An exact-size copy: a summarizer read past the packet then yields undefined, and NaN shows.
    const bytes = exactCopy ? data : data.slice();
    this.stats.summaries++;
    this.summarizers[optIndex]!.summarize(bytes, 0, bytes.length, linkType, 0, this.row);
    checkRow(this.row);
  }
}

function checkRecord(r: PacketRecord, expectedFrame: number, interfaces: number): void {
  if (r.frameNumber !== expectedFrame) throw new CaseFailure(`frame number ${r.frameNumber}, expected ${expectedFrame}`);
  const ints = [r.offset, r.capLen, r.origLen, r.recordFileOffset, r.dataFileOffset, r.interfaceId, r.epbFlags];
  if (!ints.every((v) => Number.isSafeInteger(v) && v >= 0)) throw new CaseFailure(`record ${expectedFrame} has a non-integer or negative field: ${ints.join(',')}`);
  if (r.offset + r.capLen > r.buf.length) throw new CaseFailure(`record ${expectedFrame}: bytes [${r.offset}, ${r.offset + r.capLen}) outside a ${r.buf.length}-byte buffer`);
  if (r.capLen > r.origLen) throw new CaseFailure(`record ${expectedFrame}: captured length ${r.capLen} > original length ${r.origLen}`);
  if (r.interfaceId >= interfaces) throw new CaseFailure(`record ${expectedFrame} on interface ${r.interfaceId} of ${interfaces}`);
  if (r.dataFileOffset < r.recordFileOffset) throw new CaseFailure(`record ${expectedFrame}: data before its record header`);
  // Seconds past 2^53 (a 2^0 if_tsresol with a huge count) are integers but not exact ones; allowed.
  if (r.hasTimestamp && !(Number.isInteger(r.tsSec) && Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec < 1e9)) {
    throw new CaseFailure(`record ${expectedFrame}: timestamp ${r.tsSec} s + ${r.tsNsec} ns`);
  }
}

function checkDecoded(p: DecodedPacket, data: Uint8Array, linkType: number): void {
  if (p.linkType !== linkType) throw new CaseFailure(`decoded as link type ${p.linkType}, asked ${linkType}`);
  for (const e of p.errors) {
    if (e.message.startsWith('decoder fault')) throw new CaseFailure(`decodePacket's safety net caught: ${e.message}`);
  }
  const lo = data.byteOffset;
  const hi = data.byteOffset + data.length;
  const inside = (v: Uint8Array) => v.buffer === data.buffer && v.byteOffset >= lo && v.byteOffset + v.length <= hi;
  let expectOffset = 0;
  let expectSpan = data.length;
  for (const [i, l] of p.layers.entries()) {
    if (!inside(l.header) || !inside(l.payload) || !inside(l.trailer)) throw new CaseFailure(`layer ${i} (${l.kind}) is not a view into the packet`);
    if (l.header.length !== l.headerLength) throw new CaseFailure(`layer ${i} (${l.kind}): header.length ${l.header.length} != headerLength ${l.headerLength}`);
    if (l.offset !== expectOffset || l.header.byteOffset - lo !== l.offset) {
      throw new CaseFailure(`layer ${i} (${l.kind}) at ${l.offset}, its parent's payload starts at ${expectOffset}`);
    }
    const span = l.headerLength + l.payload.length + l.trailer.length;
    if (span !== expectSpan) throw new CaseFailure(`layer ${i} (${l.kind}) spans ${span} bytes, its parent's payload has ${expectSpan}`);
    expectOffset = l.offset + l.headerLength;
    expectSpan = l.payload.length;
  }
}

function checkRow(row: PacketRow): void {
  for (const [k, v] of Object.entries(row)) {
    if (k === 'dataOffset' || k === 'tsNs') continue;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CaseFailure(`summarize: row.${k} = ${v}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Workers and the test

interface WorkerInput {
  role: typeof WORKER_ROLE;
  seed: number;
  builtInCases: number;
  totalCases: number;
  worker: number;
  workers: number;
  /** Int32Array over it: [cases done, case running] per worker; -1 until the first case. */
  progress: SharedArrayBuffer;
}

interface WorkerOutput {
  stats: Stats;
  failures: Failure[];
  seconds: number;
}

function makeFuzzer(seed: number, builtInCases: number): Fuzzer {
  return new Fuzzer(seed, builtInSeeds(), corpusSeeds(), builtInCases);
}

function runWorker(input: WorkerInput): void {
  const progress = new Int32Array(input.progress);
  const started = performance.now();
  const fuzzer = makeFuzzer(input.seed, input.builtInCases);
  const failures: Failure[] = [];
  Atomics.store(progress, 2 * input.worker, 0);
  for (let i = input.worker; i < input.totalCases; i += input.workers) {
    Atomics.store(progress, 2 * input.worker + 1, i);
    const f = fuzzer.run(i);
    if (f && failures.length < MAX_FAILURES) failures.push(f);
    Atomics.add(progress, 2 * input.worker, 1);
  }
  const out: WorkerOutput = { stats: fuzzer.stats, failures, seconds: (performance.now() - started) / 1000 };
  parentPort?.postMessage(out);
}

function parseSeed(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`HOPSCOPE_FUZZ_SEED must be an integer, got ${raw}`);
  return n >>> 0;
}

/** Starts a worker that runs this very file under tsx, in the worker role. */
function startWorker(input: WorkerInput): Worker {
  const tsxApi = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs');
  const self = pathToFileURL(fileURLToPath(import.meta.url)).href;
  const bootstrap = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(pathToFileURL(tsxApi).href)})
      .then((tsx) => { tsx.register(); return import(${JSON.stringify(self)}); })
      .catch((e) => parentPort.postMessage({ crash: String((e && e.stack) || e) }));`;
  return new Worker(bootstrap, { eval: true, workerData: input });
}

/**
 * Runs the cases on WORKERS threads. A worker whose case counter stops moving for STALL_MS is
 * stuck in a loop: all are terminated and the stuck case is named. (Until a worker runs its
 * first case — startup, building seeds — the test's own timeout is the guard.)
 */
async function runWorkers(seed: number, builtInCases: number, totalCases: number): Promise<WorkerOutput[]> {
  const progress = new SharedArrayBuffer(4 * 2 * WORKERS);
  const counters = new Int32Array(progress).fill(-1);
  const workers: Worker[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];
  try {
    return await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => {
        const worker = startWorker({ role: WORKER_ROLE, seed, builtInCases, totalCases, worker: w, workers: WORKERS, progress });
        workers.push(worker);
        return new Promise<WorkerOutput>((resolve, reject) => {
          let lastDone = -1;
          let lastChange = performance.now();
          timers.push(
            setInterval(() => {
              const done = Atomics.load(counters, 2 * w);
              const running = Atomics.load(counters, 2 * w + 1);
              if (done !== lastDone || running < 0) {
                lastDone = done;
                lastChange = performance.now();
              } else if (performance.now() - lastChange > STALL_MS) {
                reject(
                  new Error(
                    `fuzz worker ${w} made no progress for ${STALL_MS / 1000} s: case ${running} hangs ` +
                      `(replay in-process, under a debugger: HOPSCOPE_FUZZ_SEED=${seed} HOPSCOPE_FUZZ_CASE=${running})`,
                  ),
                );
              }
            }, 250),
          );
          worker.on('message', (m: WorkerOutput | { crash: string }) => {
            if ('crash' in m) reject(new Error(`fuzz worker ${w} failed to start: ${m.crash}`));
            else resolve(m);
          });
          worker.on('error', reject);
          worker.on('exit', (code) => reject(new Error(`fuzz worker ${w} exited (${code}) before reporting`)));
        });
      }),
    );
  } finally {
    for (const t of timers) clearInterval(t);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function formatFailure(f: Failure): string {
  return [
    `case ${f.caseIndex} (${f.what}): ${f.message}`,
    `  mutations: ${f.ops.join('; ') || '-'}`,
    f.inputBase64 !== undefined ? `  input (base64): ${f.inputBase64.slice(0, 400)}${f.inputBase64.length > 400 ? '…' : ''}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

const role = (workerData as Partial<WorkerInput> | null)?.role;
if (role === WORKER_ROLE) {
  runWorker(workerData as WorkerInput);
} else {
  const { describe, expect, it } = await import('vitest');
  const seed = parseSeed(process.env.HOPSCOPE_FUZZ_SEED);
  const totalCases = Number(process.env.HOPSCOPE_FUZZ_CASES ?? DEFAULT_CASES);
  const corpusPresent = haveCorpus('the corpus share of the fuzz cases (built-in seeds only)');
  const builtInCases = corpusPresent ? Math.ceil(totalCases * (1 - CORPUS_SHARE)) : totalCases;
  const only = process.env.HOPSCOPE_FUZZ_CASE;

  describe('fuzz: capture reader and decoders', () => {
    it.runIf(only !== undefined)(`replays case ${only ?? ''}`, () => {
      const fuzzer = makeFuzzer(seed, builtInCases);
      const failure = fuzzer.run(Number(only));
      console.log(`fuzz seed ${seed}, case ${only}: ${failure ? formatFailure(failure) : 'passes'}`, fuzzer.stats);
      expect(failure).toBeNull();
    });

    it.runIf(only === undefined)(
      `${totalCases} random and mutated cases, seed ${seed}`,
      async () => {
        const started = performance.now();
        const results = await runWorkers(seed, builtInCases, totalCases);
        const total: Stats = { cases: 0, fileCases: 0, packetCases: 0, records: 0, decodes: 0, summaries: 0, errors: {}, warnings: {} };
        for (const r of results) {
          for (const k of ['cases', 'fileCases', 'packetCases', 'records', 'decodes', 'summaries'] as const) total[k] += r.stats[k];
          for (const [c, n] of Object.entries(r.stats.errors)) total.errors[c] = (total.errors[c] ?? 0) + n;
          for (const [c, n] of Object.entries(r.stats.warnings)) total.warnings[c] = (total.warnings[c] ?? 0) + n;
        }
        const failures = results.flatMap((r) => r.failures).sort((a, b) => a.caseIndex - b.caseIndex);
        console.log(
          `fuzz seed ${seed}: ${total.cases} cases (${total.fileCases} files, ${total.packetCases} packets), ` +
            `${total.records} records, ${total.decodes} decodes in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
            `reader errors ${JSON.stringify(total.errors)}, warnings ${JSON.stringify(total.warnings)}`,
        );
        for (const f of failures) console.log(formatFailure(f));

        expect(failures.map((f) => `case ${f.caseIndex}: ${f.message.split('\n')[0]}`)).toEqual([]);
        expect(total.cases).toBe(totalCases);
        // The fuzzer must get past the magic: records read, and the reader's checks all reached.
        expect(total.records).toBeGreaterThan(totalCases);
        for (const code of ['NOT_A_CAPTURE', 'BAD_HEADER', 'RECORD_TOO_LONG', 'BAD_BLOCK_LENGTH', 'BLOCK_OVERRUN', 'UNKNOWN_INTERFACE', 'UNSUPPORTED_VERSION']) {
          expect(total.errors[code] ?? 0, `no case reached ${code}`).toBeGreaterThan(0);
        }
        expect(total.warnings.TRUNCATED_FILE ?? 0).toBeGreaterThan(0);
      },
      180_000,
    );
  });
}

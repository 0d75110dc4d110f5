import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { CORPUS_DIR, corpusCaptures, corpusName, haveCorpus, walkFiles } from '../testing/corpus';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createCaptureReader, readCapture } from './read';
import { CaptureFormatError } from './errors';
import type { CaptureInterface, CaptureSummary, PacketRecord } from './types';
import {
  ByteBuilder,
  buildPcap,
  concatBytes,
  ngEnhancedPacket,
  ngInterface,
  ngSection,
  ngSimplePacket,
  ngBlock,
  u8,
} from './build';

interface Frame {
  n: number;
  ts: string;
  capLen: number;
  origLen: number;
  iface: number;
  data: string;
  comments?: string[];
  flags: number;
}

function collect(fileName: string, bytes: Uint8Array, chunkSize = bytes.length || 1) {
  const frames: Frame[] = [];
  const ifaces: CaptureInterface[] = [];
  const skipped: number[] = [];
  const reader = createCaptureReader(fileName, {
    onInterface: (i) => ifaces.push({ ...i }),
    onPacket: (r: PacketRecord) =>
      frames.push({
        n: r.frameNumber,
        ts: r.hasTimestamp ? `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}` : '',
        capLen: r.capLen,
        origLen: r.origLen,
        iface: r.interfaceId,
        data: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)).toString('hex'),
        comments: r.comments ? [...r.comments] : undefined,
        flags: r.epbFlags,
      }),
    onSkippedBlock: (t) => skipped.push(t),
  });
  for (let o = 0; o < bytes.length; o += chunkSize) {
    // Copy each chunk into a fresh, then clobbered, buffer: the reader must not keep views.
    const chunk = Uint8Array.from(bytes.subarray(o, o + chunkSize));
    reader.push(chunk);
    chunk.fill(0xee);
  }
  const summary = reader.end();
  return { frames, ifaces, summary, skipped };
}

function errorOf(fn: () => unknown): CaptureFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureFormatError);
    return e as CaptureFormatError;
  }
  throw new Error('expected a CaptureFormatError');
}

const PKT_A = Uint8Array.from({ length: 60 }, (_, i) => i);
const PKT_B = Uint8Array.from({ length: 98 }, (_, i) => 255 - i);

describe('classic pcap', () => {
  for (const littleEndian of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads the ${nanos ? 'nanosecond' : 'microsecond'} magic, ${littleEndian ? 'little' : 'big'}-endian`, () => {
        const bytes = buildPcap({
          littleEndian,
          nanos,
          snaplen: 65535,
          records: [
            { sec: 1700000000, frac: nanos ? 123456789 : 123456, data: PKT_A },
            { sec: 1700000001, frac: nanos ? 999999999 : 999999, data: PKT_B, origLen: 1514 },
          ],
        });
        const { frames, ifaces, summary } = collect('t.pcap', bytes);
        expect(summary.format).toBe('pcap');
        expect(ifaces).toHaveLength(1);
        expect(ifaces[0]!.linkType).toBe(1);
        expect(ifaces[0]!.snaplen).toBe(65535);
        expect(ifaces[0]!.tsUnitsPerSecond).toBe(nanos ? 1e9 : 1e6);
        expect(frames.map((f) => f.ts)).toEqual(
          nanos ? ['1700000000.123456789', '1700000001.999999999'] : ['1700000000.123456000', '1700000001.999999000'],
        );
        expect(frames[1]!.origLen).toBe(1514);
        expect(frames[1]!.capLen).toBe(98);
        expect(frames[0]!.data).toBe(Buffer.from(PKT_A).toString('hex'));
        expect(summary.warnings).toEqual([]);
      });
    }
  }

  it('takes the FCS length from the upper bits of the link-type field', () => {
    // bit 26 = FCS length known, bits 28-31 = 2 (16-bit words) → 4-byte FCS, link type 1.
    const bytes = buildPcap({ linkType: 0x24000001, records: [{ sec: 1, frac: 0, data: PKT_A }] });
    const { ifaces } = collect('fcs.pcap', bytes);
    expect(ifaces[0]!.linkType).toBe(1);
    expect(ifaces[0]!.fcsLen).toBe(4);
    const noFcs = collect('nofcs.pcap', buildPcap({ linkType: 0x20000001, records: [] }));
    expect(noFcs.ifaces[0]!.fcsLen).toBe(0);
  });

  it('rejects a record longer than the snaplen, naming file and offset', () => {
    const bytes = buildPcap({ snaplen: 64, records: [{ sec: 1, frac: 0, data: PKT_A }, { sec: 2, frac: 0, data: PKT_B }] });
    const e = errorOf(() => collect('node2-eth0.pcap', bytes));
    expect(e.code).toBe('RECORD_TOO_LONG');
    expect(e.byteOffset).toBe(24 + 16 + 60);
    expect(e.message).toBe(
      'RECORD_TOO_LONG at byte 100 of node2-eth0.pcap: record 2 has captured length 98, more than the file\'s snaplen 64',
    );
  });

  it('rejects a record whose captured length exceeds its original length', () => {
    const bytes = buildPcap({ records: [{ sec: 1, frac: 0, data: PKT_A, origLen: 59 }] });
    const e = errorOf(() => collect('x.pcap', bytes));
    expect(e.code).toBe('RECORD_TOO_LONG');
    expect(e.message).toContain('more than its original length 59');
  });

  it('yields every whole packet of a truncated file plus a warning with the offset', () => {
    const bytes = buildPcap({ records: [{ sec: 1, frac: 0, data: PKT_A }, { sec: 2, frac: 0, data: PKT_B }] });
    for (const cut of [24 + 16 + 60 + 5, 24 + 16 + 60 + 16 + 50]) {
      const { frames, summary } = collect('killed.pcap', bytes.subarray(0, cut), 7);
      expect(frames).toHaveLength(1);
      expect(summary.warnings).toHaveLength(1);
      expect(summary.warnings[0]!.code).toBe('TRUNCATED_FILE');
      expect(summary.warnings[0]!.byteOffset).toBe(100);
      expect(summary.warnings[0]!.message).toContain('killed.pcap is cut short at byte 100');
    }
  });

  it('reports a file header cut short as an error, not as zero packets', () => {
    const bytes = buildPcap({ records: [] }).subarray(0, 10);
    expect(errorOf(() => collect('short.pcap', bytes)).code).toBe('BAD_HEADER');
  });
});

describe('not a capture', () => {
  it('names the first bytes of a PNG', () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
    const e = errorOf(() => collect('diagram.png', png));
    expect(e.code).toBe('NOT_A_CAPTURE');
    expect(e.message).toBe('NOT_A_CAPTURE at byte 0 of diagram.png: not a pcap or pcapng file: starts with 89 50 4e 47');
  });
  it('says an empty file is empty', () => {
    expect(errorOf(() => collect('empty.pcap', new Uint8Array(0))).code).toBe('EMPTY_FILE');
  });
  it('rejects a pcap of an unknown version', () => {
    const bytes = buildPcap({ records: [] });
    bytes[4] = 3;
    expect(errorOf(() => collect('v3.pcap', bytes)).code).toBe('UNSUPPORTED_VERSION');
  });
});

describe('pcapng', () => {
  const le = true;
  it('keeps link type, name, description, tsresol, tsoffset and fcslen per interface', () => {
    const tsoff = new ByteBuilder(le).u64(100n).build();
    const bytes = concatBytes(
      ngSection(le, [{ code: 1, value: 'section comment' }]),
      ngInterface(le, 1, 65535, [
        { code: 2, value: 'flannel.1' },
        { code: 3, value: 'VXLAN device' },
        { code: 9, value: u8(9) }, // 10^-9
        { code: 13, value: u8(4) },
      ]),
      ngInterface(le, 101, 262144, [
        { code: 2, value: 'flannel0' },
        { code: 9, value: u8(0x80 | 20) }, // 2^-20
        { code: 14, value: tsoff },
      ]),
      ngEnhancedPacket(le, 0, 1700000000123456789n, PKT_A, { options: [{ code: 1, value: 'first' }, { code: 2, value: new ByteBuilder(le).u32(2).build() }] }),
      ngEnhancedPacket(le, 1, (1700000000n << 20n) + (1n << 19n), PKT_B),
    );
    const { frames, ifaces, summary } = collect('node1.pcapng', bytes, 13);
    expect(summary.format).toBe('pcapng');
    expect(summary.sectionComments).toEqual(['section comment']);
    expect(ifaces.map((i) => [i.linkType, i.name, i.description, i.tsUnitsPerSecond, i.tsOffsetSeconds, i.fcsLen])).toEqual([
      [1, 'flannel.1', 'VXLAN device', 1e9, 0, 4],
      [101, 'flannel0', undefined, 2 ** 20, 100, 0],
    ]);
    expect(frames.map((f) => [f.ts, f.iface])).toEqual([
      ['1700000000.123456789', 0],
      ['1700000100.500000000', 1],
    ]);
    expect(frames[0]!.comments).toEqual(['first']);
    expect(frames[0]!.flags).toBe(2);
  });

  it('reads several sections of different byte order, renumbering interfaces', () => {
    const bytes = concatBytes(
      ngSection(true),
      ngInterface(true, 1),
      ngEnhancedPacket(true, 0, 1_000_000n, PKT_A),
      ngSection(false),
      ngInterface(false, 113),
      ngInterface(false, 276),
      ngEnhancedPacket(false, 1, 2_000_000n, PKT_B),
      ngEnhancedPacket(false, 0, 3_000_000n, PKT_A),
    );
    const { frames, ifaces } = collect('mixed.pcapng', bytes, 5);
    expect(ifaces.map((i) => [i.id, i.section, i.linkType])).toEqual([
      [0, 0, 1],
      [1, 1, 113],
      [2, 1, 276],
    ]);
    expect(frames.map((f) => [f.iface, f.ts])).toEqual([
      [0, '1.000000000'],
      [2, '2.000000000'],
      [1, '3.000000000'],
    ]);
  });

  it('reads simple and obsolete packet blocks and skips other blocks safely', () => {
    const le2 = true;
    const obsolete = ngBlock(
      le2,
      2,
      new ByteBuilder(le2).u16(0).u16(0).u32(0).u32(5_000_000).u32(PKT_A.length).u32(PKT_A.length).bytes(PKT_A).pad4().build(),
    );
    const custom = ngBlock(le2, 0x00000bad, new ByteBuilder(le2).u32(32473).bytes([1, 2, 3]).build());
    const nrb = ngBlock(le2, 4, new ByteBuilder(le2).u16(0).u16(0).build());
    const isb = ngBlock(le2, 5, new ByteBuilder(le2).u32(0).u32(0).u32(0).build());
    const unknown = ngBlock(le2, 0x12345678, new Uint8Array(8));
    const bytes = concatBytes(
      ngSection(le2),
      ngInterface(le2, 1, 64),
      custom,
      ngSimplePacket(le2, PKT_B.subarray(0, 64), PKT_B.length),
      nrb,
      obsolete,
      isb,
      unknown,
    );
    const { frames, skipped } = collect('misc.pcapng', bytes, 3);
    expect(frames.map((f) => [f.ts, f.capLen, f.origLen])).toEqual([
      ['', 64, 98],
      ['5.000000000', 60, 60],
    ]);
    expect(skipped).toEqual([0x00000bad, 4, 5, 0x12345678]);
  });

  it('errors on a block length beyond the limit without buffering it', () => {
    const bytes = concatBytes(ngSection(true), ngInterface(true, 1));
    const bad = new ByteBuilder(true).u32(6).u32(0xfffffffc).u32(0).build();
    const e = errorOf(() => collect('node2-eth0.pcapng', concatBytes(bytes, bad)));
    expect(e.code).toBe('BLOCK_OVERRUN');
    expect(e.message).toBe(
      `BLOCK_OVERRUN at byte ${bytes.length} of node2-eth0.pcapng: block length 4294967292 exceeds the 16777216-byte limit for one block`,
    );
  });

  it('errors on a packet naming an interface that was never declared', () => {
    const bytes = concatBytes(ngSection(true), ngInterface(true, 1), ngEnhancedPacket(true, 3, 0n, PKT_A));
    expect(errorOf(() => collect('x.pcapng', bytes)).code).toBe('UNKNOWN_INTERFACE');
  });

  it('errors when the trailing block length disagrees with the leading one', () => {
    const bytes = concatBytes(ngSection(true), ngInterface(true, 1));
    bytes[bytes.length - 4] = 0x40;
    expect(errorOf(() => collect('x.pcapng', bytes)).code).toBe('BAD_BLOCK_LENGTH');
  });

  it('warns on a truncated last block and keeps the packets before it', () => {
    const bytes = concatBytes(ngSection(true), ngInterface(true, 1), ngEnhancedPacket(true, 0, 1n, PKT_A), ngEnhancedPacket(true, 0, 2n, PKT_B));
    const { frames, summary } = collect('killed.pcapng', bytes.subarray(0, bytes.length - 20), 64);
    expect(frames).toHaveLength(1);
    expect(summary.warnings[0]?.code).toBe('TRUNCATED_FILE');
  });
});

describe('streaming', () => {
  it('gives the same records for every chunk size, including 1 byte', () => {
    const bytes = concatBytes(
      ngSection(true),
      ngInterface(true, 1),
      ngEnhancedPacket(true, 0, 10n, PKT_A),
      ngSection(false),
      ngInterface(false, 101),
      ngEnhancedPacket(false, 0, 20n, PKT_B),
      ngSimplePacket(false, PKT_A),
    );
    const whole = JSON.stringify(collect('s.pcapng', bytes).frames);
    for (const size of [1, 2, 3, 4, 5, 7, 11, 12, 13, 16, 28, 64, 100, 1000]) {
      expect(JSON.stringify(collect('s.pcapng', bytes, size).frames), `chunk size ${size}`).toBe(whole);
    }
    const pcap = buildPcap({ records: [{ sec: 1, frac: 2, data: PKT_A }, { sec: 3, frac: 4, data: PKT_B }] });
    const pwhole = JSON.stringify(collect('s.pcap', pcap).frames);
    for (const size of [1, 3, 16, 17, 24, 40, 41]) {
      expect(JSON.stringify(collect('s.pcap', pcap, size).frames), `chunk size ${size}`).toBe(pwhole);
    }
  });

  it('decompresses gzip captures, as Wireshark reads .pcap.gz', async () => {
    const pcap = buildPcap({ records: [{ sec: 1, frac: 2, data: PKT_A }, { sec: 3, frac: 4, data: PKT_B }] });
    const gz = new Uint8Array(gzipSync(pcap));
    const chunks = Array.from({ length: Math.ceil(gz.length / 10) }, (_, i) => gz.subarray(i * 10, i * 10 + 10));
    let n = 0;
    const summary = await readCapture('a.pcap.gz', chunks, { onPacket: () => n++ });
    expect(summary.gzip).toBe(true);
    expect(n).toBe(2);
    // A gzip stream cut short reads like a truncated capture: whole packets plus a warning.
    let m = 0;
    const cut = await readCapture('b.pcap.gz', [gz.subarray(0, gz.length - 30)], { onPacket: () => m++ });
    expect(m).toBeGreaterThanOrEqual(1);
    expect(cut.warnings.map((w) => w.code)).toContain("TRUNCATED_FILE");
  });

  it('reports corrupt gzip as a CaptureFormatError', async () => {
    const gz = new Uint8Array(gzipSync(buildPcap({ records: [{ sec: 1, frac: 2, data: PKT_A }] })));
    gz.fill(0x55, 12, 40);
    await expect(readCapture('bad.pcap.gz', [gz], { onPacket: () => {} })).rejects.toBeInstanceOf(CaptureFormatError);
  });
});

// ---------------------------------------------------------------------------------------------
// The pcapng conformance suite and the Zeek traces in ../shared/corpus, when present.

const corpusPresent = haveCorpus('the corpus reader tests');

// Custom Blocks: tshark 4.0 lists them as frames of their own, Hopscope skips them (see types.ts).
const CUSTOM_BLOCKS = new Set([0x00000bad, 0x40000bad]);

describe.skipIf(!corpusPresent)('corpus: pcapng conformance descriptions', () => {
  const txts = corpusPresent ? walkFiles(join(CORPUS_DIR, 'pcapng-test-generator')).filter((p) => p.endsWith('.txt') && existsSync(p.replace(/\.txt$/, '.pcapng'))) : [];
  it('covers both byte orders', () => {
    expect(txts.some((p) => p.includes('output_be'))).toBe(true);
    expect(txts.some((p) => p.includes('output_le'))).toBe(true);
  });
  for (const txt of txts) {
    it(corpusName(txt), () => {
      const desc = readFileSync(txt, 'utf8');
      const count = (k: string) => Number(new RegExp(`^\\s*${k}: (\\d+)`, 'm').exec(desc)?.[1] ?? 0);
      const { frames, ifaces, skipped } = collect(txt, new Uint8Array(readFileSync(txt.replace(/\.txt$/, '.pcapng'))), 4096);
      expect(frames.length).toBe(count('EPB') + count('SPB') + count('PB'));
      expect(ifaces.length).toBe(count('IDB'));
      expect(skipped.filter((t) => CUSTOM_BLOCKS.has(t)).length).toBe(count('CB') + count('DCB'));
    });
  }
});

describe.skipIf(!corpusPresent)('corpus: timestamps and lengths agree with tshark', () => {
  const caps = corpusCaptures();
  for (const cap of caps) {
    it(corpusName(cap), () => {
      const rows = readFileSync(cap + '.tshark.tsv', 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
      const bytes = new Uint8Array(readFileSync(cap));
      if (rows.length === 0 && bytes.length === 0) {
        // tshark prints nothing for an empty file; we say why.
        expect(errorOf(() => collect(cap, bytes)).code).toBe('EMPTY_FILE');
        return;
      }
      // Line our frames up with tshark's: drop the rows tshark made of Custom Blocks.
      const order: ('packet' | 'custom')[] = [];
      const res = collect(cap, bytes, 1000);
      const reader = createCaptureReader(cap, {
        onPacket: () => order.push('packet'),
        onSkippedBlock: (t) => CUSTOM_BLOCKS.has(t) && order.push('custom'),
      });
      reader.push(bytes);
      reader.end();
      expect(order.length).toBe(rows.length);
      const packetRows = rows.filter((_, i) => order[i] === 'packet');
      expect(res.frames.map((f) => [f.ts, String(f.origLen), String(f.capLen)])).toEqual(packetRows.map((r) => [r[1], r[2], r[3]]));
    });
  }
});

export type { CaptureSummary };

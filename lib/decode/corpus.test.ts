/**
 * Agree with Wireshark: for every capture under ../shared/corpus with a FILE.tshark.tsv beside
 * it, fieldsRow(decodePacket(...)) must reproduce tshark's row, column for column.
 *
 * frame.protocols is Wireshark's naming, including application protocols Hopscope does not
 * decode (dns, http, dhcp, igmp …); it is compared after normalizeTsharkProtocols cuts tshark's
 * chain at the first such name, in a test of its own.
 *
 * tshark 4.0 lists pcapng Custom Blocks as frames ("data", no timestamp); the capture reader
 * skips them and reports them through onSkippedBlock, so the rows are lined up the way
 * lib/capture/read.test.ts does it, and frame.number is tshark's count including them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../capture/errors';
import { createCaptureReader } from '../capture/read';
import type { CaptureSummary, PacketRecord } from '../capture/types';
import { decodePacket } from './decode-packet';
import { TSHARK_FIELDS, fieldsRow, normalizeTsharkProtocols, protocolChain } from './fields';
import { haveCorpus } from '../testing/corpus';
import { CORPUS_DIR, corpusCaptures, readTsv, tilingProblems } from '../testing/decode';

const corpusPresent = haveCorpus('the decoder-vs-tshark tests');

const CUSTOM_BLOCKS = new Set([0x00000bad, 0x40000bad]);
const PROTOCOLS_COL = TSHARK_FIELDS.indexOf('frame.protocols');

interface OurFrame {
  /** Position among tshark's frames (custom blocks counted), 1-based. */
  tsharkNumber: number;
  row: string[];
  chain: string;
  tilingProblems: string[];
}

interface CorpusRun {
  frames: OurFrame[];
  /** tshark frame numbers that are Custom Blocks. */
  customBlockNumbers: number[];
  error: unknown;
  summary: CaptureSummary | undefined;
}

function run(path: string): CorpusRun {
  const bytes = new Uint8Array(readFileSync(path));
  const linkTypes: number[] = [];
  const frames: OurFrame[] = [];
  const customBlockNumbers: number[] = [];
  let seen = 0;
  const onPacket = (r: PacketRecord): void => {
    seen++;
    const data = r.buf.subarray(r.offset, r.offset + r.capLen);
    const decoded = decodePacket(data, linkTypes[r.interfaceId] ?? -1);
    frames.push({
      tsharkNumber: seen,
      row: fieldsRow({ ...r, frameNumber: seen }, decoded),
      chain: protocolChain(decoded),
      tilingProblems: tilingProblems(decoded, r.capLen),
    });
  };
  const reader = createCaptureReader(path, {
    onInterface: (i) => (linkTypes[i.id] = i.linkType),
    onPacket,
    onSkippedBlock: (t) => {
      if (CUSTOM_BLOCKS.has(t)) customBlockNumbers.push(++seen);
    },
  });
  try {
    // Odd-sized chunks, so records straddle chunk boundaries as they do in the browser.
    for (let i = 0; i < bytes.length; i += 333) reader.push(bytes.subarray(i, i + 333));
    return { frames, customBlockNumbers, error: undefined, summary: reader.end() };
  } catch (error) {
    return { frames, customBlockNumbers, error, summary: undefined };
  }
}

const captures = corpusPresent ? corpusCaptures() : [];

describe.skipIf(!corpusPresent)('corpus: fieldsRow agrees with tshark', () => {
  it('finds captures with tshark views', () => {
    expect(captures.length).toBeGreaterThan(40);
  });

  for (const cap of captures) {
    const name = cap.slice(CORPUS_DIR.length + 1);
    it(name, () => {
      const tsv = readTsv(cap + '.tshark.tsv');
      expect(tsv.header).toEqual([...TSHARK_FIELDS]);
      const res = run(cap);
      if (tsv.rows.length === 0 && readFileSync(cap).length === 0) {
        // tshark cannot read an empty file and prints only the header; our reader says why.
        expect(res.error).toBeInstanceOf(CaptureFormatError);
        expect((res.error as CaptureFormatError).code).toBe('EMPTY_FILE');
        return;
      }
      expect(res.error).toBeUndefined();
      expect(res.frames.length + res.customBlockNumbers.length).toBe(tsv.rows.length);
      for (const n of res.customBlockNumbers) {
        // A Custom Block as tshark shows it: frame number, lengths, "data", nothing decoded.
        const row = tsv.rows[n - 1] ?? [];
        expect(row[PROTOCOLS_COL]).toBe('data');
      }
      for (const f of res.frames) {
        const want = tsv.rows[f.tsharkNumber - 1] ?? [];
        const got = f.row.map((v, i) => (i === PROTOCOLS_COL ? (want[i] ?? '') : v));
        const diffs = TSHARK_FIELDS.flatMap((field, i) =>
          got[i] === (want[i] ?? '') ? [] : [`${field}: ours ${JSON.stringify(got[i])} tshark ${JSON.stringify(want[i] ?? '')}`],
        );
        expect(diffs, `frame ${f.tsharkNumber}`).toEqual([]);
        expect(f.tilingProblems, `frame ${f.tsharkNumber} tiling`).toEqual([]);
      }
    });
  }
});

describe.skipIf(!corpusPresent)('corpus: frame.protocols, normalised', () => {
  for (const cap of captures) {
    const name = cap.slice(CORPUS_DIR.length + 1);
    it(name, () => {
      const tsv = readTsv(cap + '.tshark.tsv');
      const res = run(cap);
      for (const f of res.frames) {
        const want = normalizeTsharkProtocols(tsv.rows[f.tsharkNumber - 1]?.[PROTOCOLS_COL] ?? '');
        // Wireshark's TCP reassembly hands a multi-segment PDU to the last segment, so the
        // segments before it end at "tcp"; we show every segment's bytes as data.
        const reassembled = want.endsWith(':tcp') && f.chain === `${want}:data`;
        if (!reassembled) expect(f.chain, `frame ${f.tsharkNumber}`).toBe(want);
      }
    });
  }
});

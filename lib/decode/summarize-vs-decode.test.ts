/**
 * The summarizer's fast path (no allocation) must produce exactly the row that reading the
 * full decodePacket layer stack produces, field for field, on every packet: real traffic,
 * every corpus frame, and mutated packets. (Packets the fast path declines go through the
 * decoder anyway; this test is what keeps the two walks from drifting apart.)
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { corpusCaptures, corpusName, haveCorpus } from '../testing/corpus';
import { createCaptureReader } from '../capture/read';
import { generateBenchCapture } from '../bench/generate';
import { decodePacket } from './decode-packet';
import { emptyRow, type PacketRow } from './packet-index';
import { Summarizer } from './summarize';

function rowsAgree(s: Summarizer, buf: Uint8Array, offset: number, capLen: number, linkType: number, where: string): void {
  const fast = emptyRow();
  s.summarize(buf, offset, capLen, linkType, 0, fast);
  const data = buf.subarray(offset, offset + capLen);
  const ref = emptyRow();
  s.summarizeDecoded(decodePacket(data, linkType), data, 0, ref);
  const show = (r: PacketRow) => ({ ...r, shape: s.shapes.shapes[r.shape]!.path });
  if (JSON.stringify(fast) !== JSON.stringify(ref)) expect(show(fast), where).toEqual(show(ref));
}

const corpusPresent = haveCorpus('the summarizer-vs-decoder corpus comparison');

function benchPackets(n: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  const reader = createCaptureReader('bench.pcap', { onPacket: (r) => packets.push(r.buf.slice(r.offset, r.offset + r.capLen)) });
  for (const chunk of generateBenchCapture(n)) reader.push(chunk);
  reader.end();
  return packets;
}

describe('summarizer fast path and decodePacket agree', () => {
  it('on 20,000 packets of the benchmark traffic, all on the fast path', () => {
    const s = new Summarizer();
    const packets = benchPackets(20_000);
    packets.forEach((p, i) => rowsAgree(s, p, 0, p.length, 1, `bench frame ${i + 1}`));
    expect(packets).toHaveLength(20_000);
    // summarize() ran once per packet here, summarizeDecoded() never counts as slow.
    expect(s.slowPackets).toBe(0);
  });

  it('on 30,000 mutated packets (bit flips and cuts in the headers)', () => {
    let x = 0x5eed;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const s = new Summarizer();
    const packets = benchPackets(2_000);
    for (let i = 0; i < 30_000; i++) {
      const p = packets[i % packets.length]!.slice();
      for (let k = rnd(4); k >= 0; k--) p[rnd(Math.min(p.length, 120))]! ^= 1 << rnd(8);
      const cut = rnd(3) === 0 ? rnd(p.length + 1) : p.length;
      rowsAgree(s, p, 0, cut, [1, 1, 1, 101, 113][rnd(5)]!, `mutated packet ${i}`);
    }
    expect(s.slowPackets).toBeGreaterThan(1000);
  });

  it.skipIf(!corpusPresent)('on every frame of every corpus capture', () => {
    const caps = corpusCaptures({ withTsv: false, nonEmpty: true });
    let frames = 0;
    for (const cap of caps) {
      const s = new Summarizer();
      const linkTypes: number[] = [];
      const reader = createCaptureReader(cap, {
        onInterface: (i) => (linkTypes[i.id] = i.linkType),
        onPacket: (r) => {
          frames++;
          rowsAgree(s, r.buf, r.offset, r.capLen, linkTypes[r.interfaceId] ?? -1, `${corpusName(cap)} frame ${r.frameNumber}`);
        },
      });
      reader.push(new Uint8Array(readFileSync(cap)));
      reader.end();
    }
    expect(frames).toBeGreaterThan(200);
  });
});

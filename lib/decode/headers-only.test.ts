import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { analyze, type AnalysisReport } from '../analyze';
import { buildPcap, concatBytes, ngEnhancedPacket, ngInterface, ngSection, ngSimplePacket } from '../capture/build';
import { CaptureFormatError } from '../capture/errors';
import { readCapture, type ChunkSource } from '../capture/read';
import type { CaptureInterface, CaptureSummary } from '../capture/types';
import { CaptureIndexer } from './capture-index';
import { decodePacket, type Layer } from './decode-packet';
import { reportJson } from '../report/report-json';
import { hex } from '../testing/hex';
import { SAMPLES, scenarios } from '../testing/scenarios';
import { cutToHeaders, headerBytes, HEADERS_ONLY_COMMENT, type HeadersOnlyResult } from './headers-only';

interface Rec {
  capLen: number;
  origLen: number;
  hasTimestamp: boolean;
  tsSec: number;
  tsNsec: number;
  interfaceId: number;
  epbFlags: number;
  comments: string[] | undefined;
  data: Uint8Array;
}

/** Every record of a capture, copied out of the reader's buffers. */
async function records(name: string, input: ChunkSource): Promise<{ summary: CaptureSummary; ifaces: CaptureInterface[]; recs: Rec[] }> {
  const ifaces: CaptureInterface[] = [];
  const recs: Rec[] = [];
  const summary = await readCapture(name, input, {
    onInterface: (i) => ifaces.push({ ...i }),
    onPacket: (r) =>
      recs.push({
        capLen: r.capLen,
        origLen: r.origLen,
        hasTimestamp: r.hasTimestamp,
        tsSec: r.tsSec,
        tsNsec: r.tsNsec,
        interfaceId: r.interfaceId,
        epbFlags: r.epbFlags,
        comments: r.comments ? [...r.comments] : undefined,
        data: r.buf.slice(r.offset, r.offset + r.capLen),
      }),
  });
  return { summary, ifaces, recs };
}

async function cut(name: string, input: ChunkSource): Promise<{ bytes: Uint8Array; result: HeadersOnlyResult; parts: number }> {
  const parts: Uint8Array[] = [];
  const result = await cutToHeaders(name, input, (b) => parts.push(b));
  return { bytes: concatBytes(...parts), result, parts: parts.length };
}

async function indexed(name: string, bytes: Uint8Array) {
  const indexer = new CaptureIndexer();
  const summary = await readCapture(name, [bytes], indexer);
  return indexer.finish(summary);
}

/**
 * What a verdict is made of: the `analyze --json` document an engineer reads, plus what it
 * leaves out (clock estimates, per-direction totals, station roles, first-packet times).
 */
function essentials(r: AnalysisReport) {
  // A headers-only copy cuts every packet on purpose: how many are cut short differs, and is said.
  const doc = reportJson(r) as { captures: { truncated?: number }[]; notes: string[] };
  for (const c of doc.captures) delete c.truncated;
  doc.notes = doc.notes.filter((n) => !n.includes('cut short in the file'));
  return {
    report: doc,
    clocks: r.clocks,
    flows: r.flows.map((f) => ({
      requests: f.requests,
      replies: f.replies,
      roles: f.hops.map((h) => h.role),
      encapsulation: f.encapsulation,
      firstNs: f.firstNs,
    })),
  };
}

/** Layer kinds, quoted ones marked, without the payload the cut removes. */
function stack(layers: Layer[]): string[] {
  return layers.filter((l) => l.kind !== 'payload').map((l) => `${l.quoted ? 'quoted ' : ''}${l.kind}`);
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}

const all = scenarios();
const sampleFiles = all.flatMap(({ dir }) =>
  readdirSync(dir)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort()
    .map((f) => join(dir, f)),
);
const VXLAN_HEALTHY = join(SAMPLES, 'vxlan-healthy');
if (all.length === 0) console.log(`[headers-only] no scenario in ${SAMPLES}: skipping the sample tests`);

describe.skipIf(all.length === 0)('headers-only copies of the lab scenarios analyse as the originals do', () => {
  for (const { dir, truth } of all) {
    const perInterface = [...truth.capturePoints, ...(truth.extraCaptures ?? [])].map((c) => c.file);
    // The lab writes all-interfaces.pcapng unless a scenario is too big for one (pcapng: null).
    const merged = (truth as unknown as { pcapng?: unknown }).pcapng === null ? [] : [['all-interfaces.pcapng']];
    for (const files of [perInterface, ...merged]) {
      it(`${truth.name}: ${files.length === 1 ? files[0] : `${files.length} per-interface files`}`, async () => {
        const original = [];
        const headersOnly = [];
        let bytesIn = 0;
        let bytesOut = 0;
        for (const file of files) {
          const bytes = readFileSync(join(dir, file));
          const { bytes: cutBytes, result } = await cut(file, [bytes]);
          bytesIn += result.bytesIn;
          bytesOut += result.bytesOut;
          original.push({ file, capture: await indexed(file, bytes) });
          headersOnly.push({ file, capture: await indexed(file, cutBytes) });
        }
        // Payloads went: every scenario has pings, an HTTP exchange and a DNS-like query.
        expect(bytesOut).toBeLessThan(bytesIn);
        const before = analyze(original).report;
        const after = analyze(headersOnly).report;
        expect(before.flows.length).toBeGreaterThan(0);
        expect(essentials(after)).toEqual(essentials(before));
      });
    }
  }
});

describe.skipIf(sampleFiles.length === 0)('every packet of every sample file', () => {
  for (const path of sampleFiles) {
    const name = path.slice(SAMPLES.length + 1);
    it(`${name}: a prefix of the packet, ending after its innermost transport header`, async () => {
      const bytes = readFileSync(path);
      const { bytes: out, result } = await cut(name, [bytes]);
      const a = await records(name, [bytes]);
      const b = await records(name, [out]);
      expect(result.format).toBe(a.summary.format);
      expect(b.summary.format).toBe(a.summary.format);
      expect(b.summary.warnings).toEqual([]);
      expect(result.packets).toBe(a.recs.length);
      expect(result.bytesIn).toBe(bytes.length);
      expect(result.bytesOut).toBe(out.length);
      expect(b.recs.length).toBe(a.recs.length);
      expect(b.ifaces.map((i) => [i.linkType, i.snaplen, i.name, i.description, i.fcsLen])).toEqual(
        a.ifaces.map((i) => [i.linkType, i.snaplen, i.name, i.description, i.fcsLen]),
      );
      let cutShort = 0;
      let withPayload = 0;
      a.recs.forEach((x, i) => {
        const y = b.recs[i]!;
        const iface = a.ifaces[x.interfaceId]!;
        const keep = headerBytes(iface.linkType, x.data, iface.fcsLen, x.origLen);
        expect(y.capLen, `frame ${i + 1}`).toBe(keep);
        expect(keep).toBeLessThanOrEqual(x.capLen);
        expect(y.origLen).toBe(x.origLen);
        expect([y.tsSec, y.tsNsec, y.interfaceId]).toEqual([x.tsSec, x.tsNsec, x.interfaceId]);
        expect(Buffer.from(y.data).equals(Buffer.from(x.data.subarray(0, y.capLen))), `frame ${i + 1} is a prefix`).toBe(true);
        // The analysis re-decodes what is left: it must find the same headers, quoted ones too.
        expect(stack(decodePacket(y.data, iface.linkType).layers), `frame ${i + 1} layers`).toEqual(stack(decodePacket(x.data, iface.linkType).layers));
        // Cutting twice changes nothing.
        expect(headerBytes(iface.linkType, y.data, iface.fcsLen, y.origLen)).toBe(y.capLen);
        if (y.capLen < x.capLen) cutShort++;
        // Payload beyond what stays: an echo keeps 16 bytes of its data.
        const layers = decodePacket(x.data, iface.linkType).layers;
        const echo = layers.some((l) => (l.kind === 'icmp' && (l.type === 0 || l.type === 8)) || (l.kind === 'icmpv6' && (l.type === 128 || l.type === 129)));
        if (layers.some((l) => l.kind === 'payload' && l.payload.length > (echo ? 16 : 0))) withPayload++;
      });
      // Some capture points of a broken path saw only payload-free packets (a SYN, ARP), or none.
      expect(cutShort).toBeGreaterThanOrEqual(withPayload);
      if (withPayload > 0) expect(cutShort).toBeGreaterThan(0);
    });
  }
});

describe.skipIf(all.length === 0)('payloads are gone', () => {
  it('of the 56 bytes of ping data only the first 16 (the send time) stay; the ICMP header stays', async () => {
    const bytes = readFileSync(join(VXLAN_HEALTHY, 'node1-veth3a1b2c4d.pcap'));
    const { bytes: out } = await cut('node1-veth3a1b2c4d.pcap', [bytes]);
    const a = await records('a', [bytes]);
    const b = await records('b', [out]);
    let echoes = 0;
    a.recs.forEach((x, i) => {
      const icmp = decodePacket(x.data, 1).layers.find((l) => l.kind === 'icmp');
      if (!icmp || (icmp.type !== 0 && icmp.type !== 8)) return;
      echoes++;
      const data = icmp.payload;
      expect(data.length).toBe(56); // ping's default -s 56
      const y = b.recs[i]!;
      expect(y.capLen).toBe(icmp.offset + 8 + 16);
      expect(y.origLen).toBe(14 + 20 + 8 + 56);
      expect(indexOfBytes(out, data.subarray(16)), 'the rest of the ping data in the output file').toBe(-1);
      const kept = decodePacket(y.data, 1).layers.find((l) => l.kind === 'icmp');
      expect(kept?.kind === 'icmp' && [kept.type, kept.identifier, kept.sequence, kept.payload.length]).toEqual([icmp.type, icmp.identifier, icmp.sequence, 16]);
    });
    expect(echoes).toBe(6); // 3 requests, 3 replies
  });

  it('a VXLAN packet on eth0 keeps outer headers, VXLAN, inner Ethernet, inner IP, inner ICMP header and the echo\'s first 16 data bytes, nothing after', async () => {
    const bytes = readFileSync(join(VXLAN_HEALTHY, 'node1-eth0.pcap'));
    const { bytes: out } = await cut('node1-eth0.pcap', [bytes]);
    const a = await records('a', [bytes]);
    const b = await records('b', [out]);
    let seen = 0;
    a.recs.forEach((x, i) => {
      const layers = decodePacket(x.data, 1).layers;
      if (!layers.some((l) => l.kind === 'vxlan')) return;
      const inner = layers.find((l) => l.kind === 'icmp');
      if (!inner) return;
      seen++;
      const y = b.recs[i]!;
      // Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 + Ethernet 14 + IPv4 20 + ICMP 8
      expect(y.capLen).toBe(14 + 20 + 8 + 8 + 14 + 20 + 8 + 16);
      expect(y.capLen).toBe(inner.offset + inner.headerLength + 16);
      expect(y.origLen).toBe(x.origLen);
      expect(indexOfBytes(out, inner.payload.subarray(16))).toBe(-1);
      const kept = decodePacket(y.data, 1).layers;
      expect(kept.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'payload']);
      expect(kept[kept.length - 1]!.payload.length).toBe(16);
    });
    expect(seen).toBe(6);
  });

  it('an ICMP error keeps the datagram it quotes through the quoted transport header', async () => {
    let errors = 0;
    for (const [scenario, file] of [['vxlan-mtu-frag-needed', 'all-interfaces.pcapng'], ['vxlan-flannel-down', 'all-interfaces.pcapng']] as const) {
      const bytes = readFileSync(join(SAMPLES, scenario, file));
      const a = await records(file, [bytes]);
      const b = await records(file, [(await cut(file, [bytes])).bytes]);
      a.recs.forEach((x, i) => {
        const layers = decodePacket(x.data, 1).layers;
        const err = layers.find((l) => (l.kind === 'icmp' || l.kind === 'icmpv6') && !l.quoted && l.isError);
        if (!err) return;
        errors++;
        const quotedTransport = layers.filter((l) => l.quoted && (l.kind === 'tcp' || l.kind === 'udp' || l.kind === 'icmp'));
        expect(quotedTransport.length).toBeGreaterThan(0);
        const last = quotedTransport[quotedTransport.length - 1]!;
        const y = b.recs[i]!;
        expect(y.capLen).toBe(last.offset + last.headerLength);
      });
    }
    expect(errors).toBeGreaterThan(0);
  });
});

describe('the cut rule on packets the lab does not make', () => {
  // Ethernet[IPv4 MF=0 offset 185*8[UDP data…]]: a later fragment carries no transport header.
  const LATER_FRAGMENT = hex(`
    02 00 00 00 00 02  02 00 00 00 00 01  08 00
    45 00 00 24 12 34 00 b9 40 11 00 00  0a 00 00 01  0a 00 00 02   # IPv4, fragment offset 185
    de ad be ef de ad be ef de ad be ef de ad be ef                  # data of the middle of a datagram`);

  // Ethernet[IPv4[ICMP 3/3[quoted IPv4[quoted TCP, first 8 bytes only]]]] + 4-byte FCS: RFC 792's
  // minimum quote. The 8 bytes hold the ports and the sequence number.
  const SHORT_QUOTE = hex(`
    02 00 00 00 00 02  02 00 00 00 00 01  08 00
    45 00 00 38 00 01 00 00 40 01 00 00  0a 00 00 fe  0a 00 00 01   # IPv4, total 56
    03 03 00 00 00 00 00 00                                          # ICMP port unreachable
    45 00 00 3c ab cd 40 00 3f 06 00 00  0a 00 00 01  0a 00 00 02   # quoted IPv4 (60 bytes long)
    c0 01 00 50 00 00 10 00                                          # quoted TCP: ports, seq
    aa bb cc dd                                                      # FCS`);

  // Ethernet[ARP request] + 18 bytes of padding + FCS.
  const ARP_PADDED = hex(`
    ff ff ff ff ff ff  02 00 00 00 00 01  08 06
    00 01 08 00 06 04 00 01  02 00 00 00 00 01  0a 00 00 01  00 00 00 00 00 00  0a 00 00 02
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    11 22 33 44`);

  // Ethernet[IPv6[ICMPv6 echo request id 7 seq 1 + 4 bytes]].
  const ICMPV6_ECHO = hex(`
    02 00 00 00 00 02  02 00 00 00 00 01  86 dd
    60 00 00 00 00 0c 3a 40  fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01
                             fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02
    80 00 00 00 00 07 00 01  01 02 03 04`);

  it('keeps a later fragment through its IP header', () => {
    expect(headerBytes(1, LATER_FRAGMENT)).toBe(14 + 20);
  });

  it('keeps a short quote whole, and never the FCS', () => {
    expect(headerBytes(1, SHORT_QUOTE, 4)).toBe(SHORT_QUOTE.length - 4);
    // Without the FCS length the 4 bytes are Ethernet trailer after IPv4's total length: dropped too.
    expect(headerBytes(1, SHORT_QUOTE)).toBe(SHORT_QUOTE.length - 4);
    // A snaplen that stopped inside the FCS keeps no FCS byte either.
    expect(headerBytes(1, SHORT_QUOTE.subarray(0, SHORT_QUOTE.length - 2), 4, SHORT_QUOTE.length)).toBe(SHORT_QUOTE.length - 4);
  });

  it('keeps ARP without its padding and FCS, ICMPv6 echo through its 8-byte header and the data it has (up to 16 bytes)', () => {
    expect(headerBytes(1, ARP_PADDED, 4)).toBe(14 + 28);
    expect(headerBytes(1, ICMPV6_ECHO)).toBe(14 + 40 + 8 + 4);
  });

  it('writes the FCS bits of a classic pcap link type back', async () => {
    // Link type 1 with bit 26 "FCS length known" and 2 × 16-bit words of FCS (libpcap LT_FCS_LENGTH).
    const pcap = buildPcap({ linkType: 0x24000001, nanos: true, snaplen: 65535, records: [{ sec: 1_700_000_000, frac: 123_456_789, data: ARP_PADDED }] });
    const { bytes } = await cut('fcs.pcap', [pcap]);
    const { ifaces, recs } = await records('fcs.pcap', [bytes]);
    expect(ifaces.map((i) => [i.linkType, i.fcsLen, i.snaplen, i.tsUnitsPerSecond])).toEqual([[1, 4, 65535, 1e9]]);
    expect(recs.map((r) => [r.capLen, r.origLen, r.tsSec, r.tsNsec])).toEqual([[42, ARP_PADDED.length, 1_700_000_000, 123_456_789]]);
  });
});

describe('pcapng', () => {
  const le32 = (v: number) => Uint8Array.of(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24);
  // Ethernet[IPv4[UDP 53[12 bytes]]] and its payload.
  const DNS = hex(`
    02 00 00 00 00 02  02 00 00 00 00 01  08 00
    45 00 00 28 00 07 00 00 40 11 00 00  0a 00 00 01  0a 00 00 02
    c0 00 00 35 00 14 00 00
    73 65 63 72 65 74 20 6e 61 6d 65 73`);

  it('keeps sections, interfaces, flags, comments, original lengths and timestamps; SPBs stay timestamp-free', async () => {
    const file = concatBytes(
      ngSection(true),
      ngInterface(true, 1, 65535, [
        { code: 2, value: 'node1/eth0' },
        { code: 3, value: 'the NIC' },
        { code: 9, value: Uint8Array.of(6) },
      ]),
      ngEnhancedPacket(true, 0, 1_700_000_000_123_456n, DNS, {
        origLen: 1000,
        options: [
          { code: 1, value: 'first' },
          { code: 1, value: 'second' },
          { code: 2, value: le32(0x2) }, // outbound
        ],
      }),
      ngSimplePacket(true, DNS),
      ngSection(false),
      ngInterface(false, 276, 0, [{ code: 2, value: 'any' }, { code: 13, value: Uint8Array.of(4) }]),
      ngInterface(false, 1, 262144, [{ code: 2, value: 'second' }, { code: 9, value: Uint8Array.of(0x80 | 20) }]),
      ngEnhancedPacket(false, 1, 3n << 20n, DNS),
    );
    const { bytes, result } = await cut('multi.pcapng', [file]);
    expect(result.format).toBe('pcapng');
    const a = await records('a', [file]);
    const b = await records('b', [bytes]);
    expect(b.summary.sectionComments).toEqual([HEADERS_ONLY_COMMENT, HEADERS_ONLY_COMMENT]);
    const meta = (i: CaptureInterface) => [i.section, i.linkType, i.snaplen, i.name, i.description, i.fcsLen];
    expect(b.ifaces.map(meta)).toEqual(a.ifaces.map(meta));
    expect(b.ifaces.every((i) => i.tsUnitsPerSecond === 1e9)).toBe(true);
    const headers = 14 + 20 + 8;
    const [epb, spb, epb2] = b.recs;
    expect(epb).toMatchObject({ capLen: headers, origLen: 1000, tsSec: 1_700_000_000, tsNsec: 123_456_000, epbFlags: 2, comments: ['first', 'second'] });
    // 2^-20 s units: 3 × 2^20 of them is exactly 3 s.
    expect(epb2).toMatchObject({ capLen: headers, origLen: DNS.length, tsSec: 3, tsNsec: 0, interfaceId: 2 });
    // An SPB's captured length is its padded block body: the headers and zero padding only.
    expect(spb!.hasTimestamp).toBe(false);
    expect(spb!.origLen).toBe(DNS.length);
    expect(spb!.capLen).toBe((headers + 3) & ~3);
    expect([...spb!.data.subarray(0, headers)]).toEqual([...DNS.subarray(0, headers)]);
    expect([...spb!.data.subarray(headers)].every((x) => x === 0)).toBe(true);
    expect(indexOfBytes(bytes, DNS.subarray(headers))).toBe(-1);
  });

  it.skipIf(all.length === 0)('all-interfaces.pcapng keeps one named interface per capture point', async () => {
    const bytes = readFileSync(join(VXLAN_HEALTHY, 'all-interfaces.pcapng'));
    const truth = all.find((s) => s.truth.name === 'vxlan-healthy')!.truth as unknown as { pcapng: { interfaces: string[]; packets: number } };
    const a = await records('a', [bytes]);
    const b = await records('b', [(await cut('all-interfaces.pcapng', [bytes])).bytes]);
    expect(b.ifaces.map((i) => i.name)).toEqual(truth.pcapng.interfaces);
    expect(b.ifaces.map((i) => [i.name, i.description, i.linkType, i.snaplen])).toEqual(a.ifaces.map((i) => [i.name, i.description, i.linkType, i.snaplen]));
    expect(b.ifaces.every((i) => i.description !== undefined && i.description.length > 0)).toBe(true);
    expect(b.recs.length).toBe(truth.pcapng.packets);
  });

  it('writes nothing but a section header for a file with no interface', async () => {
    const { bytes, result } = await cut('empty.pcapng', [ngSection(true)]);
    const b = await records('b', [bytes]);
    expect([result.packets, result.format, b.summary.format, b.summary.packets, b.ifaces.length]).toEqual([0, 'pcapng', 'pcapng', 0, 0]);
  });

  it('writes the file header of a classic pcap with no packet', async () => {
    const { bytes, result } = await cut('empty.pcap', [buildPcap({ linkType: 276, snaplen: 9000, records: [] })]);
    const b = await records('b', [bytes]);
    expect([result.format, bytes.length, b.summary.format, b.ifaces[0]?.linkType, b.ifaces[0]?.snaplen]).toEqual(['pcap', 24, 'pcap', 276, 9000]);
  });
});

describe.skipIf(all.length === 0)('inputs', () => {
  const PCAP = join(VXLAN_HEALTHY, 'node1-eth0.pcap');
  const PCAPNG = join(VXLAN_HEALTHY, 'all-interfaces.pcapng');

  it('streams: tiny chunks give the same bytes as one chunk', async () => {
    for (const path of [PCAP, PCAPNG]) {
      const bytes = readFileSync(path);
      const whole = await cut('x', [bytes]);
      function* tiny() {
        for (let o = 0; o < bytes.length; o += 7) {
          // A fresh chunk each time, clobbered after use: the cut must not keep views into it.
          const c = Uint8Array.from(bytes.subarray(o, o + 7));
          yield c;
          c.fill(0xee);
        }
      }
      const small = await cut('x', tiny());
      expect(Buffer.from(small.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
      expect(small.result).toEqual(whole.result);
    }
  });

  it('reads gzip and writes it uncompressed', async () => {
    for (const path of [PCAP, PCAPNG]) {
      const bytes = readFileSync(path);
      const gz = gzipSync(bytes);
      const plain = await cut('x', [bytes]);
      const fromGz = await cut('x.gz', [gz]);
      expect(fromGz.result.bytesIn).toBe(gz.length);
      expect(fromGz.result.format).toBe(plain.result.format);
      expect(Buffer.from(fromGz.bytes).equals(Buffer.from(plain.bytes))).toBe(true);
    }
  });

  it('cuts every whole packet of a truncated file and passes on the warning', async () => {
    for (const path of [PCAP, PCAPNG]) {
      const bytes = readFileSync(path);
      const full = await cut('x', [bytes]);
      const short = await cut('x', [bytes.subarray(0, bytes.length - 10)]);
      expect(short.result.warnings.map((w) => w.code)).toEqual(['TRUNCATED_FILE']);
      expect(short.result.packets).toBe(full.result.packets - 1);
      // The same file minus its last record.
      expect(Buffer.from(full.bytes.subarray(0, short.bytes.length)).equals(Buffer.from(short.bytes))).toBe(true);
      const b = await records('b', [short.bytes]);
      expect(b.summary.warnings).toEqual([]);
      expect(b.recs.length).toBe(short.result.packets);
    }
  });

  it('rejects a PNG as readCapture does', async () => {
    const png = hex('89 50 4e 47 0d 0a 1a 0a 00 00 00 0d 49 48 44 52 00 00 00 01 00 00 00 01 08 02 00 00 00');
    const emitted: Uint8Array[] = [];
    const err = await cutToHeaders('photo.png', [png], (b) => emitted.push(b)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect((err as CaptureFormatError).code).toBe('NOT_A_CAPTURE');
    expect(emitted).toEqual([]);
  });
});

const tshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
const haveTshark = tshark.status === 0;
if (!haveTshark) console.log('[headers-only] tshark not found: skipping the tshark check');

describe.skipIf(!haveTshark || all.length === 0)('tshark reads the output', () => {
  for (const file of ['node1-eth0.pcap', 'all-interfaces.pcapng']) {
    it(`${file}: no error, the same frames and lengths`, async () => {
      const bytes = readFileSync(join(VXLAN_HEALTHY, file));
      const { bytes: out, result } = await cut(file, [bytes]);
      const dir = mkdtempSync(join(tmpdir(), 'hopscope-headers-only-'));
      try {
        const path = join(dir, file);
        writeFileSync(path, out);
        const r = spawnSync(
          'tshark',
          ['-n', '-r', path, '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_name', '-e', '_ws.malformed'],
          { encoding: 'utf8' },
        );
        expect(r.status).toBe(0);
        // tshark says it runs as root on stderr in containers; anything else is a complaint.
        expect(r.stderr.split('\n').filter((l) => l.trim() !== '' && !/Running as user/.test(l))).toEqual([]);
        const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
        expect(rows.length).toBe(result.packets);
        const ours = await records(file, [out]);
        expect(rows.map((x) => [Number(x[0]), Number(x[1])])).toEqual(ours.recs.map((x) => [x.origLen, x.capLen]));
        expect(rows.every((x) => (x[3] ?? '') === '')).toBe(true);
        if (file.endsWith('.pcapng')) expect(rows.map((x) => x[2])).toEqual(ours.recs.map((x) => ours.ifaces[x.interfaceId]!.name));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

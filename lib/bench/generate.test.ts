import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCaptureReader } from '../capture/read';
import { BENCH_GENERATOR_VERSION, benchFileName, ensureBenchCapture, generateBenchCapture, mulberry32 } from './generate';

/** Byte equality through Buffer.equals: vitest's deep equality walks megabytes one element at a time. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function concat(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  const out = new Uint8Array(list.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of list) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** RFC 1071 checksum over the given byte runs (each even-aligned except possibly the last). */
function internetChecksum(...runs: Uint8Array[]): number {
  let sum = 0;
  for (const r of runs) {
    for (let i = 0; i < r.length; i += 2) sum += ((r[i] ?? 0) << 8) | (r[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

interface Frame {
  tsUs: number;
  data: Uint8Array;
}

function frames(bytes: Uint8Array): Frame[] {
  const out: Frame[] = [];
  const reader = createCaptureReader('bench.pcap', {
    onPacket: (r) => out.push({ tsUs: r.tsSec * 1e6 + r.tsNsec / 1000, data: r.buf.slice(r.offset, r.offset + r.capLen) }),
  });
  reader.push(bytes);
  const summary = reader.end();
  expect(summary.warnings).toEqual([]);
  expect(summary.interfaces[0]).toMatchObject({ linkType: 1, tsUnitsPerSecond: 1e6 });
  return out;
}

type Kind = 'vxlan-icmp' | 'vxlan-tcp' | 'tcp';

interface Checked {
  kind: Kind;
  flow: string;
  seq: number;
  payload: number;
  /** What is wrong with the frame; plain comparisons, since expect() per field is slow here. */
  problems: string[];
}

/** Checks every length and checksum of one frame; returns its kind and flow facts. */
function check(data: Uint8Array): Checked {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const problems: string[] = [];
  const want = (what: string, got: unknown, expected: unknown) => {
    if (got !== expected) problems.push(`${what}: ${String(got)} != ${String(expected)}`);
  };
  const ipv4 = (off: number, dontFragment: boolean) => {
    want('ethertype', dv.getUint16(off - 2), 0x0800);
    want('version/IHL', data[off], 0x45);
    want('IPv4 total length', dv.getUint16(off + 2), data.length - off);
    want('IPv4 flags', dv.getUint16(off + 6), dontFragment ? 0x4000 : 0);
    want('IPv4 header checksum', internetChecksum(data.subarray(off, off + 20)), 0);
    return { proto: data[off + 9], src: dv.getUint32(off + 12), dst: dv.getUint32(off + 16) };
  };
  const pseudo = (ip: { src: number; dst: number }, proto: number, length: number) => {
    const p = new Uint8Array(12);
    const pv = new DataView(p.buffer);
    pv.setUint32(0, ip.src);
    pv.setUint32(4, ip.dst);
    pv.setUint16(8, proto);
    pv.setUint16(10, length);
    return p;
  };
  const isUnderlay = (a: number) => a >>> 8 === 0xc0a838; // 192.168.56.0/24
  const isPod = (a: number) => a >>> 16 === 0x0af4; // 10.244.0.0/16

  let off = 14;
  let kind: Kind = 'tcp';
  const outerUdp = data[off + 9] === 17;
  let ip = ipv4(off, !outerUdp);
  want('underlay addresses', isUnderlay(ip.src) && isUnderlay(ip.dst), true);
  if (outerUdp) {
    // Outer DF clear; UDP to 8472 with checksum 0; VXLAN I flag and VNI 1; inner Ethernet.
    want('UDP port', dv.getUint16(off + 22), 8472);
    want('UDP length', dv.getUint16(off + 24), data.length - off - 20);
    want('UDP checksum', dv.getUint16(off + 26), 0);
    want('VXLAN flags', dv.getUint32(off + 28), 0x08000000);
    want('VXLAN VNI', dv.getUint32(off + 32), 0x00000100);
    off += 20 + 8 + 8 + 14;
    ip = ipv4(off, true);
    want('pod addresses', isPod(ip.src) && isPod(ip.dst), true);
    kind = ip.proto === 1 ? 'vxlan-icmp' : 'vxlan-tcp';
  }
  const l4 = off + 20;
  const seg = data.subarray(l4);
  if (ip.proto === 1) {
    want('ICMP echo type', data[l4] === 0 || data[l4] === 8, true);
    want('ICMP checksum', internetChecksum(seg), 0);
    const id = dv.getUint16(l4 + 4);
    return { kind, flow: `${ip.src}>${ip.dst}:${id}:${data[l4]}`, seq: dv.getUint16(l4 + 6), payload: seg.length - 8, problems };
  }
  want('IP protocol', ip.proto, 6);
  want('TCP data offset', data[l4 + 12], 0x80); // 8 words: 20 bytes + NOP NOP timestamps
  want('TCP options', dv.getUint32(l4 + 20), 0x0101080a);
  want('TCP checksum', internetChecksum(pseudo(ip, 6, seg.length), seg), 0);
  const flow = `${ip.src}:${dv.getUint16(l4)}>${ip.dst}:${dv.getUint16(l4 + 2)}`;
  return { kind, flow, seq: dv.getUint32(l4 + 4), payload: seg.length - 32, problems };
}

describe('generateBenchCapture', () => {
  const N = 3000;
  const bytes = concat(generateBenchCapture(N, { chunkSize: 64 * 1024 }));
  const all = frames(bytes);

  it('is deterministic, and shorter captures are prefixes of longer ones', () => {
    expect(same(concat(generateBenchCapture(N)), bytes)).toBe(true);
    const short = concat(generateBenchCapture(100));
    expect(same(bytes.subarray(0, short.length), short)).toBe(true);
    expect(concat(generateBenchCapture(0)).length).toBe(24);
    expect(same(concat(generateBenchCapture(50, { seed: 7 })), concat(generateBenchCapture(50)))).toBe(false);
  });

  it('yields independent chunks no larger than asked', () => {
    const chunks = [...generateBenchCapture(500, { chunkSize: 16 * 1024 })];
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(16 * 1024);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
  });

  it('writes correct lengths and checksums on every layer', () => {
    expect(all.length).toBe(N);
    const problems = all.flatMap((f, i) => check(f.data).problems.map((p) => `frame ${i + 1}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('mixes 30% VXLAN/ICMP, 30% VXLAN/TCP, 40% TCP with frames of 64–1514 bytes, ~800 on average', () => {
    const counts: Record<Kind, number> = { 'vxlan-icmp': 0, 'vxlan-tcp': 0, tcp: 0 };
    let total = 0;
    let small = 0;
    let full = 0;
    const sizes = all.map((f) => f.data.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(64);
    expect(Math.max(...sizes)).toBe(1514);
    for (const f of all) {
      counts[check(f.data).kind]++;
      total += f.data.length;
      if (f.data.length < 200) small++;
      if (f.data.length === 1514) full++;
    }
    expect(counts['vxlan-icmp'] / N).toBeCloseTo(0.3, 1);
    expect(counts['vxlan-tcp'] / N).toBeCloseTo(0.3, 1);
    expect(counts.tcp / N).toBeCloseTo(0.4, 1);
    expect(total / N).toBeGreaterThan(700);
    expect(total / N).toBeLessThan(950);
    expect(small / N).toBeGreaterThan(0.1);
    expect(full / N).toBeGreaterThan(0.1);
  });

  it('advances timestamps by microseconds, TCP sequence numbers by payload, pings by one', () => {
    expect(all[0]?.tsUs).toBeGreaterThan(1_700_000_000_123_456);
    expect(all[0]?.tsUs).toBeLessThanOrEqual(1_700_000_000_123_476);
    const problems: string[] = [];
    const tcpNext = new Map<string, number>();
    const pingSeq = new Map<string, number>();
    all.forEach((f, i) => {
      const gap = f.tsUs - (all[i - 1]?.tsUs ?? f.tsUs - 1);
      if (gap < 1 || gap > 20) problems.push(`frame ${i + 1}: timestamp step ${gap} µs`);
      const c = check(f.data);
      if (c.kind === 'vxlan-icmp') {
        const prev = pingSeq.get(c.flow);
        if (prev !== undefined && c.seq !== ((prev + 1) & 0xffff)) problems.push(`frame ${i + 1}: ping seq ${c.seq} after ${prev}`);
        pingSeq.set(c.flow, c.seq);
      } else {
        const expected = tcpNext.get(c.flow);
        if (expected !== undefined && c.seq !== expected) problems.push(`frame ${i + 1}: TCP seq ${c.seq}, expected ${expected}`);
        tcpNext.set(c.flow, (c.seq + c.payload) >>> 0);
      }
    });
    expect(problems).toEqual([]);
    expect(pingSeq.size).toBeGreaterThan(20);
    expect(tcpNext.size).toBeGreaterThan(100);
  });
});

describe('ensureBenchCapture', () => {
  it('generates once into the cache directory, then reuses the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hopscope-bench-'));
    try {
      const first = await ensureBenchCapture(200, dir);
      expect(first.generated).toBe(true);
      expect(path.basename(first.path)).toBe(benchFileName(200));
      expect(benchFileName(200)).toBe(`bench-v${BENCH_GENERATOR_VERSION}-200.pcap`);
      expect((await stat(first.path)).size).toBe(first.bytes);
      expect(same(await readFile(first.path), concat(generateBenchCapture(200)))).toBe(true);
      const again = await ensureBenchCapture(200, dir);
      expect(again).toMatchObject({ path: first.path, bytes: first.bytes, generated: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects impossible counts', () => {
    expect(() => [...generateBenchCapture(-1)]).toThrow(RangeError);
    expect(() => [...generateBenchCapture(1.5)]).toThrow(RangeError);
    expect(mulberry32(1)()).toBe(mulberry32(1)());
  });
});

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureFile } from '../capture/node';
import { SAMPLES } from '../testing/truth';
import { corpusCaptures, corpusName, haveCorpus } from '../testing/corpus';
import { hex, VXLAN_ICMP_FRAME } from '../testing/hex';
import { createCaptureReader } from '../capture/read';
import { CaptureIndexer } from './capture-index';
import {
  CUT_DIGEST,
  CUT_TCP_FLAGS,
  emptyRow,
  FIRST_BLOCK_ROWS, INDEX_BYTES_PER_PACKET,
  META_ENCAPSULATED,
  META_FRAGMENT,
  META_ICMP_ERROR,
  META_INNER_IPV6,
  META_TRUNCATED,
  PacketIndex,
} from './packet-index';
import { formatIpv4, Summarizer } from './summarize';
import { formatIpv6 } from './layers/base';

const VXLAN_ICMP = VXLAN_ICMP_FRAME;

describe('Summarizer', () => {
  it('walks through VXLAN to the innermost ICMP echo', () => {
    const s = new Summarizer();
    const row = emptyRow();
    s.summarize(VXLAN_ICMP, 0, VXLAN_ICMP.length, 1, 0, row);
    expect(formatIpv4(row.src)).toBe('10.244.1.8');
    expect(formatIpv4(row.dst)).toBe('10.244.2.4');
    expect(row.proto).toBe(1);
    expect(row.ipId).toBe(0xabcd);
    expect(row.ttl).toBe(63);
    expect(row.ipLen).toBe(32);
    expect(row.sport).toBe(0x1234);
    expect(row.dport).toBe(0x0800);
    expect(row.seq).toBe(7);
    expect(row.meta & META_ENCAPSULATED).toBeTruthy();
    expect(s.shapes.shapes[row.shape]!.path).toBe('eth:ipv4:udp:vxlan:eth:ipv4:icmp:data');
  });

  it('takes no payload digest when told rows are only counted, and reads every other field the same', () => {
    const full = new Summarizer();
    const counted = new Summarizer({}, false);
    const a = emptyRow();
    const b = emptyRow();
    full.summarize(VXLAN_ICMP, 0, VXLAN_ICMP.length, 1, 0, a);
    counted.summarize(VXLAN_ICMP, 0, VXLAN_ICMP.length, 1, 0, b);
    expect(a.digest).not.toBe(b.digest);
    expect({ ...b, digest: a.digest }).toEqual(a);
    expect(counted.shapes.shapes[b.shape]!.path).toBe(full.shapes.shapes[a.shape]!.path);
  });

  it('stops at the outer UDP when the user turns heuristics off and the port is unknown', () => {
    const moved = VXLAN_ICMP.slice();
    moved[36] = 0x27; // dst port 8472 → 10008
    const row = emptyRow();
    const off = new Summarizer({ heuristics: false });
    off.summarize(moved, 0, moved.length, 1, 0, row);
    expect(off.shapes.shapes[row.shape]!.path).toBe('eth:ipv4:udp:data');
    expect(formatIpv4(row.src)).toBe('192.168.56.11');
    // ... while the byte heuristic recognises VXLAN on the odd port, and a mapping forces it.
    const on = new Summarizer();
    on.summarize(moved, 0, moved.length, 1, 0, row);
    expect(formatIpv4(row.src)).toBe('10.244.1.8');
    const mapped = new Summarizer({ heuristics: false, udpPorts: { 10008: 'vxlan' } });
    mapped.summarize(moved, 0, moved.length, 1, 0, row);
    expect(formatIpv4(row.src)).toBe('10.244.1.8');
  });

  it('marks a short capture truncated and keeps what it read', () => {
    const s = new Summarizer();
    const row = emptyRow();
    s.summarize(VXLAN_ICMP, 0, 60, 1, 0, row);
    expect(row.meta & META_TRUNCATED).toBeTruthy();
    expect(formatIpv4(row.src)).toBe('192.168.56.11');
  });

  it('says what the snap length cut off that a whole copy has: the payload digest, the TCP flags', async () => {
    const s = new Summarizer();
    const row = emptyRow();
    s.summarize(VXLAN_ICMP, 0, VXLAN_ICMP.length, 1, 0, row);
    expect(s.shapes.shapes[row.shape]!.cut).toBe(0);
    // Cut inside the echo's payload: its digest is over fewer bytes than a whole copy's.
    s.summarize(VXLAN_ICMP, 0, VXLAN_ICMP.length - 2, 1, 0, row);
    expect(row.meta & META_TRUNCATED).toBeTruthy();
    expect(s.shapes.shapes[row.shape]!.cut).toBe(CUT_DIGEST);
    expect(s.shapes.shapes[row.shape]!.path).toBe('eth:ipv4:udp:vxlan:eth:ipv4:icmp:data');
    // The lab's -s 96 capture of a VXLAN NIC: every inner TCP header ends after its ack number.
    const file = join(SAMPLES, 'mixed-snaplen-udp-drop', 'node1-eth0.pcap');
    if (!existsSync(file)) return console.log(`[samples] no ${file}: skipping its part of the cut test`);
    const indexer = new CaptureIndexer();
    const cap = indexer.finish(await readCaptureFile(file, indexer));
    const tcp = cap.shapes.filter((sh) => sh.kinds.at(-1) === 'tcp' && (cap.shapePackets[sh.id] ?? 0) > 0);
    expect(tcp.length).toBeGreaterThan(0);
    for (const sh of tcp) expect(sh.cut).toBe(CUT_TCP_FLAGS | CUT_DIGEST);
  });

  it('never throws on random bytes for any link type', () => {
    let x = 12345;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    const s = new Summarizer();
    const row = emptyRow();
    for (let i = 0; i < 20000; i++) {
      const b = Uint8Array.from({ length: rnd() }, rnd);
      if (i % 3 === 0 && b.length > 20) b.set(VXLAN_ICMP.subarray(0, 20));
      for (const lt of [0, 1, 101, 108, 113, 228, 229, 276, 999]) s.summarize(b, 0, b.length, lt, 0, row);
    }
    expect(s.shapes.shapes.length).toBeGreaterThan(5);
  });

  it('formats IPv6 as RFC 5952 says', () => {
    expect(formatIpv6(hex('20010db8000000000000000000000001'), 0)).toBe('2001:db8::1');
    expect(formatIpv6(hex('20010db8000100000001000000000001'), 0)).toBe('2001:db8:1:0:1::1');
    expect(formatIpv6(hex('00000000000000000000000000000000'), 0)).toBe('::');
    expect(formatIpv6(hex('fe800000000000000000000000000001'), 0)).toBe('fe80::1');
    // RFC 5952 §5: IPv4-mapped addresses end in dotted quad, as the decoder and tshark write them.
    expect(formatIpv6(hex('00000000000000000000ffff0af40102'), 0)).toBe('::ffff:10.244.1.2');
  });

  it('interns IPv6 addresses in the decoder\'s text form, so an ICMPv6 error finds its flow', () => {
    const s = new Summarizer();
    const row = emptyRow();
    // Raw IPv6 (link type 101): ::ffff:10.244.1.2 → ::ffff:10.244.2.2, ICMPv6 echo request.
    const pkt = hex('6000000000083a40' + '00000000000000000000ffff0af40102' + '00000000000000000000ffff0af40202' + '8000000000010001');
    s.summarize(pkt, 0, pkt.length, 101, 0, row);
    expect(s.ipv6[row.src]).toBe('::ffff:10.244.1.2');
    expect(s.ipv6[row.dst]).toBe('::ffff:10.244.2.2');
  });
});

describe('PacketIndex', () => {
  it('stores 48 bytes a packet and reads rows back exactly across block boundaries', () => {
    expect(INDEX_BYTES_PER_PACKET).toBe(48);
    const idx = new PacketIndex();
    const row = emptyRow();
    for (let i = 0; i < 70000; i++) {
      // A capture's first block starts small and grows: every row written so far stays.
      if (i === 3) expect(idx.allocatedBytes).toBe(FIRST_BLOCK_ROWS * 48);
      if (i === FIRST_BLOCK_ROWS + 1) {
        expect(idx.allocatedBytes).toBe(2 * FIRST_BLOCK_ROWS * 48);
        expect(idx.read(FIRST_BLOCK_ROWS - 1).dataOffset).toBe((FIRST_BLOCK_ROWS - 1) * 100 + 24);
      }
      row.dataOffset = i * 100 + 24;
      row.tsNs = i * 1000.5;
      row.seq = (i * 2654435761) >>> 0;
      row.sport = i & 0xffff;
      row.meta = i & 0xff;
      idx.append(row);
    }
    expect(idx.count).toBe(70000);
    for (const n of [0, 65535, 65536, 69999]) {
      const r = idx.read(n);
      expect([r.dataOffset, r.tsNs, r.seq, r.sport, r.meta]).toEqual([n * 100 + 24, n * 1000.5, (n * 2654435761) >>> 0, n & 0xffff, n & 0xff]);
    }
    expect(idx.allocatedBytes).toBe(2 * 65536 * 48);
  });
});

// ---------------------------------------------------------------------------------------------
// Against tshark: the innermost header fields of every corpus frame.

const corpusPresent = haveCorpus('the index-vs-tshark tests');

const last = (v: string | undefined) => (v ? v.split(',').at(-1) ?? '' : '');

describe.skipIf(!corpusPresent)('corpus: the index holds the innermost fields tshark shows', () => {
  const caps = corpusCaptures({ sub: 'zeek', nonEmpty: true });
  for (const cap of caps) {
    it(corpusName(cap), () => {
      const lines = readFileSync(cap + '.tshark.tsv', 'utf8').split('\n').filter(Boolean);
      const head = lines[0]!.split('\t');
      const col = (r: string[], name: string) => r[head.indexOf(name)];
      const indexer = new CaptureIndexer();
      const reader = createCaptureReader(cap, indexer);
      reader.push(new Uint8Array(readFileSync(cap)));
      const c = indexer.finish(reader.end());
      const rows = lines.slice(1).map((l) => l.split('\t'));
      expect(c.index.count).toBe(rows.length);
      let compared = 0;
      rows.forEach((r, n) => {
        const row = c.index.read(n);
        const protos = col(r, 'frame.protocols')!;
        const shape = c.shapes[row.shape]!;
        if (col(r, 'sll.pkttype')) expect(String(shape.sllPacketType), `frame ${n + 1} sll.pkttype`).toBe(col(r, 'sll.pkttype'));
        if (col(r, 'sll.ifindex')) expect(String(shape.sllIfindex), `frame ${n + 1} sll.ifindex`).toBe(col(r, 'sll.ifindex'));
        if (row.meta & META_FRAGMENT) return;
        if (row.meta & META_ICMP_ERROR) {
          // tshark's innermost IP inside an ICMP error is the quoted one; ours is the error's own.
          const before = protos.split(/:icmp(v6)?(:|$)/)[0]!.split(':');
          const fam = before.filter((p) => p === 'ip' || p === 'ipv6');
          const v6err = fam.at(-1) === 'ipv6';
          const k = fam.filter((p) => p === fam.at(-1)).length;
          const srcs = (col(r, v6err ? 'ipv6.src' : 'ip.src') ?? '').split(',');
          expect(v6err ? c.ipv6[row.src] : formatIpv4(row.src), `frame ${n + 1} ICMP error src`).toBe(srcs[k - 1]);
          compared++;
          return;
        }
        if (!/(^|:)(ip|ipv6)(:|$)/.test(protos)) return;
        const v6 = (row.meta & META_INNER_IPV6) !== 0;
        const protoList = protos.split(':').filter((p) => p === 'ip' || p === 'ipv6');
        const innerIsV6 = protoList.at(-1) === 'ipv6';
        expect(v6, `frame ${n + 1} inner family`).toBe(innerIsV6);
        const src = v6 ? c.ipv6[row.src] : formatIpv4(row.src);
        expect(src, `frame ${n + 1} src`).toBe(last(col(r, v6 ? 'ipv6.src' : 'ip.src')));
        if (!v6) expect('0x' + row.ipId.toString(16).padStart(4, '0'), `frame ${n + 1} ip.id`).toBe(last(col(r, 'ip.id')));
        if (row.proto === 6 && col(r, 'tcp.seq_raw')) {
          expect(String(row.seq), `frame ${n + 1} tcp.seq`).toBe(last(col(r, 'tcp.seq_raw')));
          expect(String(row.dport), `frame ${n + 1} tcp.dstport`).toBe(last(col(r, 'tcp.dstport')));
        }
        if (row.proto === 17 && col(r, 'udp.dstport')) expect(String(row.dport), `frame ${n + 1} udp.dstport`).toBe(last(col(r, 'udp.dstport')));
        if (row.proto === 1 && col(r, 'icmp.ident')) {
          expect(String(row.sport), `frame ${n + 1} icmp.ident`).toBe(last(col(r, 'icmp.ident')));
          expect(String(row.seq), `frame ${n + 1} icmp.seq`).toBe(last(col(r, 'icmp.seq')));
        }
        compared++;
      });
      if (rows.some((r) => /:(ip|ipv6):/.test(col(r, 'frame.protocols') ?? ''))) expect(compared).toBeGreaterThan(0);
    });
  }
});

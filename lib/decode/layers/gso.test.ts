/**
 * GSO/TSO and BIG TCP super-packets as tcpdump writes them on the sending host: an IP header
 * whose length field cannot hold the packet's length. IPv4 says 0 (Wireshark: "presumed to be
 * because of TCP segmentation offload"); IPv6 says 0 with a hop-by-hop Jumbo Payload option
 * (RFC 2675) or, on kernels that leave the option out, with none. The decoders take the length
 * from the option or the frame, call nothing malformed, and the index keeps an ipLen clamped
 * to its 16 bits.
 */
import { describe, expect, it } from 'vitest';
import { packetAnatomy } from '../../anatomy';
import { fieldsRow, protocolChain, TSHARK_FIELDS } from '../fields';
import { emptyRow, META_ERROR, META_TRUNCATED } from '../packet-index';
import { Summarizer } from '../summarize';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4 total length 0[TCP[n bytes]]]
const V4_HEADERS = `
  020000000002 020000000001 0800                   # Ethernet
  45000000 00014000 400626f5 0a000001 0a000002     # IPv4 10.0.0.1 > 10.0.0.2, total length 0, DF, TCP
  9c40 9c41 00000001 00000000 5010 faf0 0000 0000  # TCP 40000 > 40001, ACK, seq 1
`;

// Ethernet[IPv6 payload length 0, no jumbo option[TCP[n bytes]]]: BIG TCP on a newer kernel
const V6_BIG_TCP_HEADERS = `
  020000000002 020000000001 86dd                   # Ethernet
  60000000 0000 06 40                              # IPv6, payload length 0, TCP
  20010db8000000000000000000000001                 #   2001:db8::1
  20010db8000000000000000000000002                 #   2001:db8::2
  9c40 9c41 00011d29 00000000 5010 faf0 0000 0000  # TCP 40000 > 40001, ACK, seq 73001
`;

// Ethernet[IPv6 payload length 0 + hop-by-hop Jumbo Payload 70028[TCP[70000 bytes]]]: a jumbogram
const V6_JUMBO_HEADERS = `
  020000000002 020000000001 86dd                   # Ethernet
  60000000 0000 00 40                              # IPv6, payload length 0, hop-by-hop
  20010db8000000000000000000000001                 #   2001:db8::1
  20010db8000000000000000000000002                 #   2001:db8::2
  06 00 c2 04 0001118c                             # hop-by-hop: next TCP, Jumbo Payload 70028
  9c40 9c41 00022e99 00000000 5010 faf0 0000 0000  # TCP 40000 > 40001, ACK, seq 143001
`;

/** Headers followed by `n` bytes of data ('a'). */
function packet(headers: string, n: number): Uint8Array {
  const h = hex(headers);
  const b = new Uint8Array(h.length + n).fill(0x61);
  b.set(h);
  return b;
}

function row(b: Uint8Array, capLen = b.length, origLen = capLen) {
  const s = new Summarizer();
  const r = emptyRow();
  s.summarize(b, 0, capLen, 1, 0, r, origLen);
  return { row: r, slow: s.slowPackets, path: s.shapes.shapes[r.shape]!.path };
}

function tsharkColumns(b: Uint8Array, capLen = b.length, origLen = capLen): string[] {
  const data = b.subarray(0, capLen);
  const p = decode(data, 1);
  const r = fieldsRow({ frameNumber: 1, hasTimestamp: false, tsSec: 0, tsNsec: 0, origLen, capLen }, p);
  return [protocolChain(p), r[TSHARK_FIELDS.indexOf('ip.len')]!];
}

describe('GSO and BIG TCP super-packets', () => {
  it('IPv4 total length 0: the payload runs to the end of the frame, nothing malformed', () => {
    for (const n of [3000, 70000]) {
      const p = decode(packet(V4_HEADERS, n), 1);
      expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'tcp', 'payload']);
      expect([p.errors, p.truncated]).toEqual([[], false]);
      expect(layerAt(p, 'ipv4').payload.length).toBe(20 + n);
      expect(layerAt(p, 'payload').payload.length).toBe(n);
    }
  });

  it('IPv6 payload length 0 without a jumbo option (BIG TCP): the same', () => {
    const p = decode(packet(V6_BIG_TCP_HEADERS, 70000), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'tcp', 'payload']);
    expect([p.errors, p.truncated]).toEqual([[], false]);
    expect(layerAt(p, 'ipv6').jumboPayloadLength).toBeUndefined();
    expect(layerAt(p, 'payload').payload.length).toBe(70000);
    expect(p.notes).toEqual(['IPv6 payload length 0 at byte 14: GSO (BIG TCP) packet, length taken from the capture']);
  });

  it('IPv6 jumbogram: the length comes from the Jumbo Payload option', () => {
    const p = decode(packet(V6_JUMBO_HEADERS, 70000), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'tcp', 'payload']);
    expect([p.errors, p.truncated, p.notes]).toEqual([[], false, []]);
    const ip = layerAt(p, 'ipv6');
    expect([ip.payloadLength, ip.jumboPayloadLength, ip.headerLength, ip.payload.length]).toEqual([0, 70028, 48, 70020]);
    // Cut by the capture's snaplen, the option still says how long it was.
    const cut = decode(packet(V6_JUMBO_HEADERS, 70000).subarray(0, 200), 1);
    expect([cut.errors, cut.truncated, layerAt(cut, 'ipv6').truncated]).toEqual([[], true, true]);
    // Bytes after the jumbo length are not the packet's.
    const padded = decode(packet(V6_JUMBO_HEADERS, 70004), 1);
    expect(layerAt(padded, 'ipv6').trailer.length).toBe(4);
  });

  it('finds the option among others, and ignores a jumbo option of the wrong length', () => {
    const withPad = hex('020000000002 020000000001 86dd 60000000 0000 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002 06 01 00 01 00 c2 04 00011194 00000000');
    const b = new Uint8Array(withPad.length + 20 + 70000);
    b.set(withPad);
    b.set(hex('9c40 9c41 00000001 00000000 5010 faf0 0000 0000'), withPad.length);
    expect(layerAt(decode(b, 1), 'ipv6').jumboPayloadLength).toBe(0x11194);
    const wrong = packet(V6_JUMBO_HEADERS, 100);
    wrong[14 + 40 + 3] = 0x02; // option length 2: not a Jumbo Payload option
    expect(layerAt(decode(wrong, 1), 'ipv6').jumboPayloadLength).toBeUndefined();
  });

  it('agrees with tshark, except on BIG TCP without a jumbo option, which tshark 4.0 calls malformed', () => {
    // tshark 4.0.17: tshark -r gso.pcap -T fields -e frame.protocols -e ip.len -e ipv6.plen
    //   -e ipv6.opt.jumbo -e tcp.len -e _ws.malformed
    //  3054 bytes:                 eth:ethertype:ip:tcp:data                3040   -  -      3000
    //  70054 bytes:                eth:ethertype:ip:tcp:data                70040  -  -      70000
    //  70074 bytes (BIG TCP):      eth:ethertype:ipv6:tcp                   -      0  -      -      [Malformed Packet: TCP]
    //  70082 bytes (jumbogram):    eth:ethertype:ipv6:ipv6.hopopts:tcp:data -      0  70028  70000
    //  70054 bytes, 200 captured:  eth:ethertype:ip:tcp:data                70040  -  -      70000
    // tshark takes BIG TCP's payload as 0 bytes and the 70020 after it as an Ethernet trailer
    // ("IPv6 payload length equals 0 (maybe because of TSO)", then "Malformed Packet: TCP");
    // tcpdump gained the same reading as ours in its PR #1329.
    expect(tsharkColumns(packet(V4_HEADERS, 3000))).toEqual(['eth:ethertype:ip:tcp:data', '3040']);
    expect(tsharkColumns(packet(V4_HEADERS, 70000))).toEqual(['eth:ethertype:ip:tcp:data', '70040']);
    expect(tsharkColumns(packet(V4_HEADERS, 70000), 200, 70054)).toEqual(['eth:ethertype:ip:tcp:data', '70040']);
    expect(tsharkColumns(packet(V6_JUMBO_HEADERS, 70000))).toEqual(['eth:ethertype:ipv6:ipv6.hopopts:tcp:data', '']);
    expect(layerAt(decode(packet(V6_JUMBO_HEADERS, 70000), 1), 'tcp').payload.length).toBe(70000);
    // Where tshark says malformed, the decoder reads the TCP segment.
    expect(tsharkColumns(packet(V6_BIG_TCP_HEADERS, 70000))).toEqual(['eth:ethertype:ipv6:tcp:data', '']);
  });

  it('indexes them on the fast path where it can, with ipLen clamped to 65535', () => {
    expect(row(packet(V4_HEADERS, 3000))).toMatchObject({ slow: 0, path: 'eth:ipv4:tcp:data', row: { ipLen: 3040, sport: 40000, dport: 40001, seq: 1 } });
    expect(row(packet(V4_HEADERS, 70000))).toMatchObject({ slow: 0, row: { ipLen: 65535, seq: 1 } });
    expect(row(packet(V6_BIG_TCP_HEADERS, 3000))).toMatchObject({ slow: 0, path: 'eth:ipv6:tcp:data', row: { ipLen: 3060, seq: 73001 } });
    expect(row(packet(V6_BIG_TCP_HEADERS, 70000))).toMatchObject({ slow: 0, row: { ipLen: 65535 } });
    // Jumbograms carry an extension header: the decoder's path.
    expect(row(packet(V6_JUMBO_HEADERS, 70000))).toMatchObject({ slow: 1, path: 'eth:ipv6:tcp:data', row: { ipLen: 65535, seq: 143001 } });
    for (const headers of [V4_HEADERS, V6_BIG_TCP_HEADERS, V6_JUMBO_HEADERS]) {
      expect(row(packet(headers, 70000)).row.meta & (META_ERROR | META_TRUNCATED)).toBe(0);
    }
  });

  it('takes the wire length from the record when the snaplen cut the frame', () => {
    const b = packet(V4_HEADERS, 70000);
    // As tshark's ip.len, the original length counts; without it, only the captured bytes can.
    expect(row(b, 200, 70054).row.ipLen).toBe(65535);
    expect(row(b, 200).row.ipLen).toBe(186);
    expect(row(packet(V4_HEADERS, 3000), 200, 3054).row.ipLen).toBe(3040);
    const v6 = packet(V6_BIG_TCP_HEADERS, 3000);
    expect(row(v6, 200, 3074).row.ipLen).toBe(3060);
    // A jumbogram's option says its length whatever was captured.
    expect(row(packet(V6_JUMBO_HEADERS, 70000), 200).row.ipLen).toBe(65535);
  });

  it('says so in the anatomy', () => {
    const ip4 = packetAnatomy(1, packet(V4_HEADERS, 3000)).layers.find((l) => l.kind === 'ipv4')!;
    expect(ip4.fields.find((f) => f.key === 'totalLength')!.value).toBe('0 (TSO/GSO: taken from the capture)');
    const big = packetAnatomy(1, packet(V6_BIG_TCP_HEADERS, 3000)).layers.find((l) => l.kind === 'ipv6')!;
    expect(big.fields.find((f) => f.key === 'payloadLength')!.value).toBe('0 (GSO/BIG TCP: taken from the capture)');
    const jumbo = packetAnatomy(1, packet(V6_JUMBO_HEADERS, 70000)).layers.find((l) => l.kind === 'ipv6')!;
    expect(jumbo.fields.find((f) => f.key === 'payloadLength')!.value).toBe('0 (jumbogram: see the Jumbo Payload option)');
    expect(jumbo.fields.find((f) => f.key === 'ext.0')!.value).toBe('0 (Jumbo Payload Length 70028; next header 6 (TCP), 8 bytes)');
  });
});

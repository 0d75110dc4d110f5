import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[TCP SYN with options]]
const TCP_SYN = `
  020000000002 020000000001 0800
  4500003c 00064000 400626b4 0a000001 0a000002       # IPv4, TCP
  c738 0050                                          # 51000 > 80
  11223344 00000000                                  # seq, ack
  a0 02 faf0 abcd 0000                               # data offset 10, SYN, window 64240
  020405b4                                           # MSS 1460
  0402                                               # SACK permitted
  080a 0001e240 00000000                             # timestamps 123456, 0
  01                                                 # NOP
  030307                                             # window scale 7
`;

// Ethernet[IPv4[TCP ACK with SACK, AE/CWR/ECE]]
const TCP_SACK = `
  020000000002 020000000001 0800
  45000034 00074000 400626bb 0a000002 0a000001
  0050 c738 fffffffe 11223345                        # 80 > 51000, seq 2^32-2
  81 d0 01f6 0000 0000                               # data offset 8, AE CWR ECE ACK
  0101 050a 00000064 000000c8                        # NOP NOP SACK [100, 200)
`;

describe('TCP (RFC 9293)', () => {
  it('decodes the header and its options', () => {
    const p = decode(hex(TCP_SYN), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'tcp']);
    const t = layerAt(p, 'tcp');
    expect(t.headerLength).toBe(40);
    expect(t.srcPort).toBe(51000);
    expect(t.dstPort).toBe(80);
    expect(t.seq).toBe(0x11223344);
    expect(t.ack).toBe(0);
    expect(t.dataOffset).toBe(10);
    expect(t.flags).toBe(0x002);
    expect(t.window).toBe(64240);
    expect(t.checksum).toBe(0xabcd);
    expect(t.urgent).toBe(0);
    expect(t.mss).toBe(1460);
    expect(t.sackPermitted).toBe(true);
    expect(t.timestamps).toEqual({ value: 123456, echoReply: 0 });
    expect(t.windowScale).toBe(7);
    expect(t.sack).toBeUndefined();
    expect(t.options.map((o) => o.kind)).toEqual([2, 4, 8, 1, 3]);
    expect(t.payload.length).toBe(0);
  });

  it('reads each flag bit on its own', () => {
    const names = ['flagFin', 'flagSyn', 'flagRst', 'flagPsh', 'flagAck', 'flagUrg', 'flagEce', 'flagCwr', 'flagAe'] as const;
    names.forEach((name, bit) => {
      const b = hex(TCP_SYN);
      const word = (0xa0 << 8) | (1 << bit);
      b[46] = word >> 8;
      b[47] = word & 0xff;
      const t = layerAt(decode(b, 1), 'tcp');
      expect(t.flags).toBe(1 << bit);
      for (const other of names) expect(t[other], `${name} set, ${other}`).toBe(other === name);
    });
  });

  it('keeps the three reserved bits in flags (as tshark\'s tcp.flags does)', () => {
    const b = hex(TCP_SYN);
    b[46] = 0xae; // data offset 10, reserved 0b111
    expect(layerAt(decode(b, 1), 'tcp').flags).toBe(0xe02);
  });

  it('decodes SACK blocks, the AE bit and a sequence number near 2^32', () => {
    const t = layerAt(decode(hex(TCP_SACK), 1), 'tcp');
    expect(t.seq).toBe(0xfffffffe);
    expect(t.flags).toBe(0x1d0);
    expect([t.flagAe, t.flagCwr, t.flagEce, t.flagAck, t.flagSyn]).toEqual([true, true, true, true, false]);
    expect(t.sack).toEqual([{ left: 100, right: 200 }]);
  });

  it('records data offset < 5 as an error', () => {
    const b = hex(TCP_SYN);
    b[46] = 0x40;
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'tcp', offset: 46, message: 'TCP data offset 4 (< 5, header length 16 bytes)' }]);
  });

  it('records an option with an impossible length but keeps the layer', () => {
    const b = hex(TCP_SYN);
    b.set(hex('0201'), 54); // MSS with length 1
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'tcp']);
    expect(p.errors).toEqual([{ layer: 'tcp', offset: 55, message: 'TCP option 2 with length 1 overruns the header' }]);
  });

  it('records a known option of the wrong size', () => {
    const b = hex(TCP_SYN);
    b.set(hex('0203'), 54); // MSS with length 3, then the rest re-aligns oddly
    const p = decode(b, 1);
    expect(p.errors[0]).toEqual({ layer: 'tcp', offset: 55, message: 'TCP option 2 with length 3' });
    expect(layerAt(p, 'tcp').mss).toBeUndefined();
  });

  it('keeps the ports of a header cut short by the capture, and says so', () => {
    const p = decode(hex(TCP_SYN).subarray(0, 46), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'tcp']);
    const t = layerAt(p, 'tcp');
    expect(t.truncated).toBe(true);
    expect(t.header.length).toBe(12);
    expect([t.srcPort, t.dstPort, t.seq, t.ack]).toEqual([51000, 80, 0x11223344, 0]);
    expect(t.flags).toBe(0);
    expect(p.truncated).toBe(true);
  });

  it('cuts the option list where the capture ends', () => {
    const p = decode(hex(TCP_SYN).subarray(0, 60), 1);
    const t = layerAt(p, 'tcp');
    expect(t.truncated).toBe(true);
    expect(t.mss).toBe(1460);
    expect(t.sackPermitted).toBe(true);
    expect(t.timestamps).toBeUndefined();
    expect(p.errors).toEqual([]);
  });
});

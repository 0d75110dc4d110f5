import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[ICMP echo[payload]]]
const ECHO = `
  020000000002 020000000001 0800
  45000020 00014000 4001b988 c0a80001 c0a80002
  08 00 2104 1234 0001                               # echo request, id 0x1234, seq 1
  61626364                                           # data
`;

// Ethernet[IPv4[ICMP frag-needed[IPv4[UDP]]]]: "fragmentation needed", next-hop MTU 1450
const FRAG_NEEDED = `
  020000000002 020000000001 0800
  45000038 00080000 ff01a6be 0a0000fe 0a000001       # router 10.0.0.254 > 10.0.0.1
  03 04 5514 0000 05aa                               # type 3 code 4, MTU 1450
  450005dc 42424000 4011ddcd 0a000001 0a000101       # quoted: 10.0.0.1 > 10.0.1.1, len 1500, DF, UDP
  9c40 0035 05c8 0000                                # quoted UDP 40000 > 53, length 1480
`;

// Ethernet[IPv4[ICMP time exceeded[IPv4[TCP (8 bytes)]]]]: RFC 792's minimum quote
const TIME_EXCEEDED_TCP = `
  020000000002 020000000001 0800
  45000038 00090000 ff01a6bd 0a0000fe 0a000001
  0b 00 2806 00000000                                # time exceeded in transit
  4500003c 43434000 01062178 0a000001 0a000101       # quoted IPv4, TTL 1, TCP
  c738 01bb 01020304                                 # quoted TCP 51000 > 443, seq 0x01020304
`;

// Ethernet[IPv4[ICMP time exceeded, RFC 4884 length 7[IPv4[UDP]] + extension]]
const TIME_EXCEEDED_RFC4884 = `
  020000000002 020000000001 0800
  45000040 000a0000 ff01a6b4 0a0000fe 0a000001
  0b 00 b4b0 00 07 0000                              # length 7 words = 28 bytes of datagram
  45000078 44444000 01112030 0a000001 0a000101       # quoted IPv4
  9c40 829a 0064 0000                                # quoted UDP 40000 > 33434
  20000000 0008 0101                                 # ICMP extension structure (RFC 4884 §7)
`;

describe('ICMP (RFC 792)', () => {
  it('decodes echo identifier and sequence number', () => {
    const p = decode(hex(ECHO), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'payload']);
    const i = layerAt(p, 'icmp');
    expect(i.headerLength).toBe(8);
    expect([i.type, i.code, i.checksum]).toEqual([8, 0, 0x2104]);
    expect(i.identifier).toBe(0x1234);
    expect(i.sequence).toBe(1);
    expect(i.isError).toBe(false);
    expect(i.nextHopMtu).toBeUndefined();
    expect(layerAt(p, 'payload').payload.length).toBe(4);
  });

  it('decodes frag-needed: the next-hop MTU, then the quoted datagram as nested layers', () => {
    const p = decode(hex(FRAG_NEEDED), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'ipv4', 'udp']);
    const i = layerAt(p, 'icmp');
    expect([i.type, i.code]).toEqual([3, 4]);
    expect(i.nextHopMtu).toBe(1450);
    expect(i.isError).toBe(true);
    expect(i.identifier).toBeUndefined();
    const q = layerAt(p, 'ipv4', 1);
    expect(q.quoted).toBe(true);
    expect(q.src).toBe('10.0.0.1');
    expect(q.dst).toBe('10.0.1.1');
    expect(q.totalLength).toBe(1500);
    expect(q.dontFragment).toBe(true);
    // Quoted datagrams are short by design: their layers say so, the packet is not truncated.
    expect(q.truncated).toBe(true);
    expect(layerAt(p, 'udp').quoted).toBe(true);
    expect(layerAt(p, 'udp').truncated).toBe(true);
    expect(layerAt(p, 'ipv4', 0).quoted).toBe(false);
    expect(p.truncated).toBe(false);
    expect(p.errors).toEqual([]);
  });

  it('keeps the ports and sequence number of a quoted 8-byte TCP header', () => {
    const p = decode(hex(TIME_EXCEEDED_TCP), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'ipv4', 'tcp']);
    expect([layerAt(p, 'icmp').type, layerAt(p, 'icmp').code]).toEqual([11, 0]);
    const t = layerAt(p, 'tcp');
    expect([t.srcPort, t.dstPort, t.seq]).toEqual([51000, 443, 0x01020304]);
    expect(t.header.length).toBe(8);
    expect(t.quoted).toBe(true);
    expect(p.truncated).toBe(false);
  });

  it('bounds the quoted datagram by the RFC 4884 length; the extension is its trailer', () => {
    const p = decode(hex(TIME_EXCEEDED_RFC4884), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'ipv4', 'udp']);
    expect(layerAt(p, 'icmp').originalDatagramLength).toBe(28);
    const q = layerAt(p, 'ipv4', 1);
    expect(q.payload.length).toBe(8);
    expect(Array.from(q.trailer)).toEqual([0x20, 0, 0, 0, 0, 0x08, 0x01, 0x01]);
    expect(layerAt(p, 'udp').dstPort).toBe(33434);
  });

  it('reads the redirect gateway and the parameter-problem pointer', () => {
    const redirect = hex(FRAG_NEEDED);
    redirect.set(hex('0501 0000 0a0000fd'), 34);
    expect(layerAt(decode(redirect, 1), 'icmp').gateway).toBe('10.0.0.253');
    const param = hex(FRAG_NEEDED);
    param.set(hex('0c00 0000 14000000'), 34);
    const i = layerAt(decode(param, 1), 'icmp');
    expect(i.pointer).toBe(20);
    expect(kinds(decode(param, 1))).toEqual(['ethernet', 'ipv4', 'icmp', 'ipv4', 'udp']);
  });

  it('does not call a cut quoted datagram a truncated capture', () => {
    const p = decode(hex(FRAG_NEEDED).subarray(0, 34 + 8 + 10), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'undecoded']);
    // The outer IPv4 total length says 56 bytes and 38 are here: that is the capture's doing.
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').quoted).toBe(true);
  });

  it('is truncated inside the 8-byte header', () => {
    const p = decode(hex(ECHO).subarray(0, 40), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'undecoded']);
    expect(layerAt(p, 'undecoded').wanted).toBe('icmp');
  });
});

import { describe, expect, it } from 'vitest';
import { hex, VXLAN_ICMP_FRAME } from '../testing/hex';
import { decodePacket } from '../decode/decode-packet';
import { fieldOf, packetAnatomy } from './anatomy';
import { diffStations } from './diff';
import { mtuArithmetic } from './mtu';
import type { Anatomy, AnatomyField } from './types';

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL2 = 276;

/**
 * Ethernet[IPv4[UDP 8472[VXLAN VNI 1[Ethernet[IPv4[ICMP echo request id 18433 seq 1]]]]]]:
 * vxlan-healthy node1-eth0 frame 3 as tcpdump -xx prints it. The outer UDP checksum is left
 * partial for the NIC (checksum offload); the ICMP and both IPv4 checksums are complete.
 */
const REAL_VXLAN_ICMP = hex(`
  5254 00a8 000c 5254 00a8 000b 0800                          # Ethernet
  4500 0086 eb67 0000 4011 0d98 c0a8 000b c0a8 000c           # IPv4 192.168.0.11 → .12, total 134
  cdc6 2118 0072 81eb                                         # UDP 52678 → 8472, checksum 0x81eb
  0800 0000 0000 0100                                         # VXLAN I, VNI 1
  0a72 bf3f cd40 0e61 06ff 7a73 0800                          # inner Ethernet
  4500 0054 e445 4000 3f01 3e78 0af4 0102 0af4 0202           # inner IPv4 DF, TTL 63
  0800 5f13 4801 0001                                         # ICMP echo request
  4859 026b 0000 0000 4653 0100 0000 0000 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f
  2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637`);

/**
 * Ethernet[IPv4[UDP 8472[VXLAN[Ethernet[IPv4[TCP SYN]]]]]]: vxlan-healthy node1-eth0 frame 9.
 * The inner TCP checksum is partial (the NIC finishes it); the outer UDP checksum was computed
 * as if it were finished already (local checksum offload).
 */
const REAL_VXLAN_TCP_SYN = hex(`
  5254 00a8 000c 5254 00a8 000b 0800
  4500 006e ebc2 0000 4011 0d55 c0a8 000b c0a8 000c
  9625 2118 005a a7e8
  0800 0000 0000 0100
  0a72 bf3f cd40 0e61 06ff 7a73 0800
  4500 003c a6e1 4000 3f06 7bef 0af4 0102 0af4 0202
  9c90 0050 7f2e db8a 0000 0000 a002 fd5c 191a 0000
  0204 0582 0402 080a 52d8 77bf 0000 0000 0103 030a`);

/** Ethernet[IPv4[TCP SYN to a ClusterIP]]: vxlan-service-forward-drop node1 pod veth, frame 1. */
const SYN_TO_SERVICE = hex(`
  624c f19b 4101 5a9c 01f4 0102 0800
  4500 003c 8ae9 4000 4006 3ad1 0af4 0102 0a6c 5ea0           # 10.244.1.2 → 10.108.94.160
  9c90 0050 ee58 5930 0000 0000 a002 fd5c 7530 0000           # 40080 → 80, SYN, checksum partial
  0204 0582 0402 080a 77c4 d282 0000 0000 0103 030a           # MSS, SACK-perm, TS, NOP, WS`);

function field(a: Anatomy, layer: number, key: string): AnatomyField {
  const f = fieldOf(a.layers[layer], key);
  if (f === undefined) throw new Error(`no ${key} in layer ${layer} (${a.layers[layer]?.title})`);
  return f;
}

function segs(a: Anatomy): string[] {
  return a.segments.map((s) => `${s.role} ${s.offset}+${s.length} L${s.layer} ${s.label}`);
}

describe('packetAnatomy layers and fields', () => {
  it('lays out a VXLAN packet: titles, depths, offsets', () => {
    // Ethernet[IPv4[UDP[VXLAN[Ethernet[IPv4[ICMP]]]]]]
    const a = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_ICMP);
    expect(a.layers.map((l) => `${l.title}@${l.offset}+${l.length}/d${l.depth}`)).toEqual([
      'Ethernet II@0+14/d0',
      'IPv4@14+20/d0',
      'UDP@34+8/d0',
      'VXLAN@42+8/d0',
      'Ethernet II@50+14/d1',
      'IPv4@64+20/d1',
      'ICMP@84+8/d1',
    ]);
    expect(segs(a)).toEqual([
      'header 0+14 L0 Ethernet II',
      'header 14+20 L1 IPv4',
      'header 34+8 L2 UDP',
      'header 42+8 L3 VXLAN',
      'header 50+14 L4 Ethernet II (inner)',
      'header 64+20 L5 IPv4 (inner)',
      'header 84+8 L6 ICMP (inner)',
      'data 92+56 L6 ICMP data',
    ]);
    expect(a.capLen).toBe(148);
    expect(a.origLen).toBe(148);
    expect(a.notes).toBeUndefined();
    expect(field(a, 0, 'type')).toMatchObject({ offset: 12, length: 2, value: '0x0800 (IPv4)' });
    expect(field(a, 1, 'ttl')).toMatchObject({ offset: 22, length: 1, value: '64', name: 'Time to Live' });
    expect(field(a, 1, 'protocol').value).toBe('17 (UDP)');
    expect(field(a, 1, 'id').value).toBe('0xeb67 (60263)');
    expect(field(a, 1, 'src')).toMatchObject({ offset: 26, length: 4, value: '192.168.0.11' });
    expect(field(a, 2, 'dstPort').value).toBe('8472 (VXLAN, Linux/flannel)');
    expect(field(a, 3, 'vni')).toMatchObject({ offset: 46, length: 3, value: '1', name: 'VXLAN Network Identifier' });
    expect(field(a, 5, 'ttl').value).toBe('63');
    expect(field(a, 6, 'type').value).toBe('8 (echo request)');
    expect(field(a, 6, 'identifier')).toMatchObject({ offset: 88, length: 2, value: '18433 (0x4801)' });
    expect(field(a, 6, 'sequence')).toMatchObject({ offset: 90, length: 2, value: '1' });
  });

  it('VXLAN flags: the I bit is bit 4 of the first octet, the other seven are reserved', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_ICMP);
    expect(field(a, 3, 'flags')).toMatchObject({ offset: 42, length: 1, value: '0x08 (I)' });
    expect(field(a, 3, 'flags.i')).toMatchObject({ offset: 42, length: 1, bits: { first: 4, count: 1 }, value: '1 (set)' });
    expect(field(a, 3, 'reserved1')).toMatchObject({ offset: 43, length: 3, value: '0x000000' });
    expect(field(a, 3, 'reserved2')).toMatchObject({ offset: 49, length: 1, value: '0x00' });

    // I clear: the decoder still decodes the frame; the anatomy says the VNI is not valid.
    const cleared = REAL_VXLAN_ICMP.slice();
    cleared[42] = 0x00;
    const c = packetAnatomy(LINKTYPE_ETHERNET, cleared);
    expect(field(c, 3, 'flags.i').value).toBe('0 (not set)');
    expect(field(c, 3, 'flags').value).toBe('0x00 (I not set)');

    // Every R bit set, I still set: only bit 4 is I (Wireshark once gave three flags one mask).
    const reserved = REAL_VXLAN_ICMP.slice();
    reserved[42] = 0xf7 | 0x08;
    expect(field(packetAnatomy(LINKTYPE_ETHERNET, reserved), 3, 'flags.i').value).toBe('1 (set)');
    reserved[42] = 0xf7;
    expect(field(packetAnatomy(LINKTYPE_ETHERNET, reserved), 3, 'flags.i').value).toBe('0 (not set)');
  });

  it('IPv4 flags: DF is bit 1 and MF bit 2 of byte 6; the fragment offset is the 13 bits after', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_ICMP);
    // Outer: 0x0000, nothing set (Linux VXLAN leaves DF clear by default).
    expect(field(a, 1, 'flags')).toMatchObject({ offset: 20, length: 1, bits: { first: 0, count: 3 }, value: '0x0 (none)' });
    expect(field(a, 1, 'flags.df')).toMatchObject({ offset: 20, length: 1, bits: { first: 1, count: 1 }, value: '0 (not set)' });
    // Inner: 0x4000, DF.
    expect(field(a, 5, 'flags').value).toBe('0x2 (DF)');
    expect(field(a, 5, 'flags.reserved')).toMatchObject({ offset: 70, bits: { first: 0, count: 1 }, value: '0 (not set)' });
    expect(field(a, 5, 'flags.df')).toMatchObject({ offset: 70, bits: { first: 1, count: 1 }, value: '1 (set)' });
    expect(field(a, 5, 'flags.mf')).toMatchObject({ offset: 70, bits: { first: 2, count: 1 }, value: '0 (not set)' });
    expect(field(a, 5, 'fragmentOffset')).toMatchObject({ offset: 70, length: 2, bits: { first: 3, count: 13 }, value: '0' });

    // Ethernet[IPv4 fragment: MF set, offset 185 × 8 = 1480]
    const frag = packetAnatomy(
      LINKTYPE_ETHERNET,
      hex(`02 00 00 00 00 02  02 00 00 00 00 01  08 00
           45 00 00 1c 00 02 20 b9 40 11 00 00 0a 00 00 01 0a 00 00 02
           de ad be ef de ad be ef`),
    );
    expect(field(frag, 1, 'flags').value).toBe('0x1 (MF)');
    expect(field(frag, 1, 'flags.df').value).toBe('0 (not set)');
    expect(field(frag, 1, 'flags.mf').value).toBe('1 (set)');
    expect(field(frag, 1, 'fragmentOffset').value).toBe('185 (1480 bytes)');
    expect(frag.segments.at(-1)).toMatchObject({ role: 'data', label: 'IPv4 fragment data', length: 8 });
  });

  it('TCP flags bit by bit: AE is the last bit of byte 12, CWR … FIN are byte 13', () => {
    // Ethernet[IPv4[TCP 12345 → 80, flags 0x1d2: AE, CWR, ECE, ACK, SYN]]
    const bytes = hex(`
      02 00 00 00 00 02  02 00 00 00 00 01  08 00
      45 00 00 28 00 01 40 00 40 06 00 00  0a 00 00 01  0a 00 00 02
      30 39 00 50  00 00 00 01  00 00 00 02  51 d2 ff ff  00 00 00 00`);
    const a = packetAnatomy(LINKTYPE_ETHERNET, bytes);
    const t = 2;
    expect(field(a, t, 'dataOffset')).toMatchObject({ offset: 46, length: 1, bits: { first: 0, count: 4 }, value: '5 (20 bytes)' });
    expect(field(a, t, 'reserved')).toMatchObject({ offset: 46, bits: { first: 4, count: 3 }, value: '0' });
    expect(field(a, t, 'flags')).toMatchObject({ offset: 46, length: 2, bits: { first: 4, count: 12 }, value: '0x1d2 (AE, CWR, ECE, ACK, SYN)' });
    const bits = Object.fromEntries(
      ['ae', 'cwr', 'ece', 'urg', 'ack', 'psh', 'rst', 'syn', 'fin'].map((k) => {
        const f = field(a, t, `flags.${k}`);
        return [k, `${f.offset}:${f.bits?.first}/${f.bits?.count} ${f.value}`];
      }),
    );
    expect(bits).toEqual({
      ae: '46:7/1 1 (set)',
      cwr: '47:0/1 1 (set)',
      ece: '47:1/1 1 (set)',
      urg: '47:2/1 0 (not set)',
      ack: '47:3/1 1 (set)',
      psh: '47:4/1 0 (not set)',
      rst: '47:5/1 0 (not set)',
      syn: '47:6/1 1 (set)',
      fin: '47:7/1 0 (not set)',
    });
    expect(field(a, t, 'window').value).toBe('65535');

    // FIN alone: the last bit.
    bytes[46] = 0x50;
    bytes[47] = 0x01;
    const fin = packetAnatomy(LINKTYPE_ETHERNET, bytes);
    expect(field(fin, t, 'flags').value).toBe('0x001 (FIN)');
    expect(fin.layers[t]!.fields.filter((f) => f.key.startsWith('flags.') && f.value === '1 (set)').map((f) => f.key)).toEqual(['flags.fin']);
  });

  it('TCP options, each with its bytes', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, SYN_TO_SERVICE);
    const opts = a.layers[2]!.fields.filter((f) => f.key.startsWith('options.')).map((f) => `${f.offset}+${f.length} ${f.name}: ${f.value}`);
    expect(opts).toEqual([
      '54+4 Maximum Segment Size: 1410',
      '58+2 SACK Permitted: permitted',
      '60+10 Timestamps: TSval 2009387650, TSecr 0',
      '70+1 No-Operation: 1 byte',
      '71+3 Window Scale: 10 (×1024)',
    ]);
    expect(field(a, 2, 'dataOffset').value).toBe('10 (40 bytes)');
  });

  it('Linux cooked v2: interface index, direction and address', () => {
    // SLL2[IPv4[ICMP]]: sent by us (4) on ifindex 3, an Ethernet interface.
    const a = packetAnatomy(
      LINKTYPE_LINUX_SLL2,
      hex(`08 00 00 00 00 00 00 03 00 01 04 06 0e 61 06 ff 7a 73 00 00
           45 00 00 1c 00 07 40 00 40 01 00 00 0a f4 01 02 0a f4 02 02
           08 00 00 00 48 01 00 01`),
    );
    expect(a.layers.map((l) => l.title)).toEqual(['Linux cooked v2 (SLL2)', 'IPv4', 'ICMP']);
    expect(field(a, 0, 'protocol')).toMatchObject({ offset: 0, length: 2, value: '0x0800 (IPv4)' });
    expect(field(a, 0, 'interfaceIndex')).toMatchObject({ offset: 4, length: 4, value: '3' });
    expect(field(a, 0, 'arphrdType')).toMatchObject({ offset: 8, length: 2, value: '1 (Ethernet)' });
    expect(field(a, 0, 'packetType')).toMatchObject({ offset: 10, length: 1, value: '4 (sent by us)' });
    expect(field(a, 0, 'address')).toMatchObject({ offset: 12, length: 8, value: '0e:61:06:ff:7a:73' });
  });

  it("flannel UDP has no header of its own: a zero-length layer, and the IP packet after it is one level deeper", () => {
    // Ethernet[IPv4[UDP 8285[flannel-udp[IPv4[ICMP]]]]]
    const a = packetAnatomy(
      LINKTYPE_ETHERNET,
      hex(`02 00 00 00 00 02  02 00 00 00 00 01  08 00
           45 00 00 38 00 01 40 00 40 11 00 00  c0 a8 2c 6c  c0 a8 2c 6d
           20 5d 20 5d 00 24 00 00
           45 00 00 1c ab cd 40 00 3f 01 00 00  0a 01 13 02  0a 01 1c 03
           08 00 00 00 48 01 00 01`),
    );
    expect(a.layers.map((l) => `${l.title}@${l.offset}+${l.length}/d${l.depth}`)).toEqual([
      'Ethernet II@0+14/d0',
      'IPv4@14+20/d0',
      'UDP@34+8/d0',
      'flannel UDP@42+0/d0',
      'IPv4@42+20/d1',
      'ICMP@62+8/d1',
    ]);
    expect(a.layers[3]!.fields).toEqual([]);
    expect(a.segments.map((s) => s.label)).toEqual(['Ethernet II', 'IPv4', 'UDP', 'IPv4 (inner)', 'ICMP (inner)']);
  });

  it('IP-in-IP: the inner IPv4 is one level deeper', () => {
    // Ethernet[IPv4 proto 4[IPv4[ICMP]]]
    const a = packetAnatomy(
      LINKTYPE_ETHERNET,
      hex(`02 00 00 00 00 02  02 00 00 00 00 01  08 00
           45 00 00 30 00 01 00 00 40 04 00 00  0a 27 00 6e  0a 27 00 6b
           45 00 00 1c ab cd 40 00 3f 01 00 00  c0 a8 04 19  c0 a8 36 32
           08 00 00 00 48 01 00 01`),
    );
    expect(a.layers.map((l) => `${l.title}/d${l.depth}`)).toEqual(['Ethernet II/d0', 'IPv4/d0', 'IPv4/d1', 'ICMP/d1']);
    expect(field(a, 1, 'protocol').value).toBe('4 (IPv4, IP-in-IP)');
  });

  it('ICMP frag-needed: the next-hop MTU field, and the quoted datagram cut short by design', () => {
    // Ethernet[IPv4[ICMP 3/4 mtu 1450[IPv4 total 1500[ICMP echo, 8 bytes quoted]]]]
    const a = packetAnatomy(
      LINKTYPE_ETHERNET,
      hex(`02 00 00 00 00 02  02 00 00 00 00 01  08 00
           45 c0 00 38 00 03 00 00 40 01 00 00 0a f4 01 01 0a f4 01 02
           03 04 00 00 00 00 05 aa
           45 00 05 dc 12 34 40 00 40 01 00 00 0a f4 01 02 0a f4 02 02
           08 00 00 00 48 01 00 05`),
    );
    expect(a.layers.map((l) => `${l.title}/d${l.depth}${l.quoted ? ' quoted' : ''}`)).toEqual(['Ethernet II/d0', 'IPv4/d0', 'ICMP/d0', 'IPv4/d0 quoted', 'ICMP/d0 quoted']);
    expect(field(a, 2, 'type').value).toBe('3 (destination unreachable)');
    expect(field(a, 2, 'code').value).toBe('4 (fragmentation needed and DF set)');
    expect(field(a, 2, 'nextHopMtu')).toMatchObject({ offset: 40, length: 2, value: '1450', name: 'Next-Hop MTU' });
    expect(field(a, 2, 'unused')).toMatchObject({ offset: 38, length: 1 });
    expect(field(a, 2, 'length')).toMatchObject({ offset: 39, length: 1, value: '0' });
    expect(field(a, 1, 'dscp').value).toBe('48 (CS6)');
    expect(field(a, 3, 'totalLength').value).toBe('1500');
    // The quoted echo's checksum covers bytes that were never quoted: not verified.
    expect(field(a, 4, 'checksum').value).toBe('0x0000');
    expect(a.segments.map((s) => s.label)).toEqual(['Ethernet II', 'IPv4', 'ICMP', 'IPv4 (quoted)', 'ICMP (quoted)']);
  });

  it('a TCP header an ICMP error quotes only 8 bytes of: only the fields it holds', () => {
    // Ethernet[IPv4[ICMP 3/3[IPv4[TCP, first 8 bytes]]]]
    const a = packetAnatomy(
      LINKTYPE_ETHERNET,
      hex(`02 00 00 00 00 02  02 00 00 00 00 01  08 00
           45 00 00 38 00 03 00 00 40 01 00 00 0a f4 02 02 0a f4 01 02
           03 03 00 00 00 00 00 00
           45 00 00 3c 8a e9 40 00 40 06 00 00 0a f4 01 02 0a f4 02 02
           9c 90 00 50 ee 58 59 30`),
    );
    const tcp = a.layers[4]!;
    expect(tcp).toMatchObject({ kind: 'tcp', quoted: true, truncated: true, length: 8 });
    expect(tcp.fields.map((f) => `${f.key} ${f.value}`)).toEqual(['srcPort 40080', 'dstPort 80 (HTTP)', 'seq 3998767408']);
  });
});

describe('packetAnatomy segments: every captured byte once', () => {
  // Ethernet[ARP request] padded to Ethernet's 60-byte minimum, then a 4-byte FCS.
  const arp = hex(`
    ff ff ff ff ff ff  52 54 00 a8 00 0b  08 06
    00 01 08 00 06 04 00 01  52 54 00 a8 00 0b  c0 a8 00 0b  00 00 00 00 00 00  c0 a8 00 0c
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00     # padding
    de ad be ef                                                # FCS`);

  it('Ethernet padding is a trailer of the Ethernet layer', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, arp.subarray(0, 60));
    expect(segs(a)).toEqual(['header 0+14 L0 Ethernet II', 'header 14+28 L1 ARP', 'trailer 42+18 L0 Ethernet padding']);
    expect(field(a, 1, 'opcode').value).toBe('1 (request)');
    expect(field(a, 1, 'spa')).toMatchObject({ offset: 28, length: 4, value: '192.168.0.11' });
    expect(field(a, 1, 'tpa')).toMatchObject({ offset: 38, length: 4, value: '192.168.0.12' });
  });

  it('an FCS the capture kept is its own segment, not padding', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, arp, { fcsLen: 4 });
    expect(segs(a)).toEqual(['header 0+14 L0 Ethernet II', 'header 14+28 L1 ARP', 'trailer 42+18 L0 Ethernet padding', 'fcs 60+4 L0 Frame Check Sequence']);
    // Without fcsLen the decoder cannot know: the FCS reads as more padding.
    expect(segs(packetAnatomy(LINKTYPE_ETHERNET, arp)).at(-1)).toBe('trailer 42+22 L0 Ethernet padding');
  });

  it('a snaplen that cuts the FCS keeps what was captured of it, and one that cuts before it none', () => {
    const partly = packetAnatomy(LINKTYPE_ETHERNET, arp.subarray(0, 62), { origLen: 64, fcsLen: 4 });
    expect(partly.segments.at(-1)).toMatchObject({ role: 'fcs', offset: 60, length: 2, label: 'Frame Check Sequence (cut short)' });
    const none = packetAnatomy(LINKTYPE_ETHERNET, arp.subarray(0, 50), { origLen: 64, fcsLen: 4 });
    expect(segs(none)).toEqual(['header 0+14 L0 Ethernet II', 'header 14+28 L1 ARP', 'trailer 42+8 L0 Ethernet padding']);
    expect(none).toMatchObject({ capLen: 50, origLen: 64 });
  });

  it('padding after an IPv4 total length belongs to Ethernet; bytes past a UDP length to IPv4', () => {
    // Ethernet[IPv4 total 32[UDP length 10, 2 bytes data, then 2 bytes past the UDP length]] + 14 bytes padding
    const a = packetAnatomy(
      LINKTYPE_ETHERNET,
      hex(`02 00 00 00 00 02  02 00 00 00 00 01  08 00
           45 00 00 20 00 01 00 00 40 11 00 00  0a 00 00 01  0a 00 00 02
           30 39 00 35 00 0a 00 00  ab cd  ee ee
           00 00 00 00 00 00 00 00 00 00 00 00 00 00`),
    );
    expect(segs(a)).toEqual([
      'header 0+14 L0 Ethernet II',
      'header 14+20 L1 IPv4',
      'header 34+8 L2 UDP',
      'data 42+2 L2 UDP payload',
      'trailer 44+2 L1 bytes past the UDP length',
      'trailer 46+14 L0 Ethernet padding',
    ]);
  });

  it('a capture cut inside a header ends in an undecoded segment', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_ICMP.subarray(0, 70), { origLen: 148 });
    expect(a.layers.map((l) => l.title)).toEqual(['Ethernet II', 'IPv4', 'UDP', 'VXLAN', 'Ethernet II']);
    expect(a.segments.at(-1)).toMatchObject({ role: 'undecoded', offset: 64, length: 6, layer: 4, label: 'undecoded: IPv4 header cut short by the capture' });
    expect(a.layers[1]!.truncated).toBe(true);
  });

  it('an unknown link type is one undecoded segment owned by no layer', () => {
    const a = packetAnatomy(147, REAL_VXLAN_ICMP);
    expect(a.layers).toEqual([]);
    expect(a.segments).toEqual([{ role: 'undecoded', offset: 0, length: 148, layer: -1, label: 'undecoded: not a protocol Hopscope decodes' }]);
    expect(a.notes).toEqual(['link type 147 is not decoded']);
  });

  it('raw IP (a TUN device such as flannel0): no link layer', () => {
    const a = packetAnatomy(LINKTYPE_RAW, REAL_VXLAN_ICMP.subarray(64));
    expect(a.layers.map((l) => `${l.title}@${l.offset}/d${l.depth}`)).toEqual(['IPv4@0/d0', 'ICMP@20/d0']);
  });
});

describe('checksums as tcpdump on a Linux host sees them', () => {
  it('complete IPv4 and ICMP checksums are correct; an offloaded outer UDP checksum is partial', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_ICMP);
    expect(field(a, 1, 'checksum').value).toBe('0x0d98 (correct)');
    expect(field(a, 2, 'checksum').value).toBe('0x81eb (partial, offloaded)');
    expect(field(a, 5, 'checksum').value).toBe('0x3e78 (correct)');
    expect(field(a, 6, 'checksum').value).toBe('0x5f13 (correct)');
  });

  it("a pod's TCP checksum is the pseudo-header sum the NIC will finish", () => {
    // 0x0af4 + 0x0102 + 0x0a6c + 0x5ea0 + 6 + 40 = 0x7530: addresses, protocol, TCP length.
    const a = packetAnatomy(LINKTYPE_ETHERNET, SYN_TO_SERVICE);
    expect(field(a, 2, 'checksum').value).toBe('0x7530 (partial, offloaded)');
  });

  it('an outer VXLAN UDP checksum computed for the inner checksum still to come (LCO)', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_TCP_SYN);
    expect(field(a, 6, 'checksum').value).toBe('0x191a (partial, offloaded)');
    expect(field(a, 2, 'checksum').value).toBe('0xa7e8 (correct once the NIC fills in the inner checksum, LCO)');
    // The completed inner checksum absorbs any change to the TCP bytes; a change outside them
    // (the VXLAN reserved octet) makes the outer checksum just wrong.
    const bent = REAL_VXLAN_TCP_SYN.slice();
    bent[49] = 0x01;
    expect(field(packetAnatomy(LINKTYPE_ETHERNET, bent), 2, 'checksum').value).toMatch(/^0xa7e8 \(incorrect, should be 0x[0-9a-f]{4}\)$/);
  });

  it('a wrong checksum names the right one, and writing that in makes it correct', () => {
    const bytes = VXLAN_ICMP_FRAME.slice();
    const a = packetAnatomy(LINKTYPE_ETHERNET, bytes);
    const m = /^0x0000 \(incorrect, should be 0x([0-9a-f]{4})\)$/.exec(field(a, 1, 'checksum').value);
    expect(m).not.toBeNull();
    const right = parseInt(m![1]!, 16);
    bytes[24] = right >> 8;
    bytes[25] = right & 0xff;
    expect(field(packetAnatomy(LINKTYPE_ETHERNET, bytes), 1, 'checksum').value).toBe(`0x${m![1]} (correct)`);
    // UDP over IPv4 may carry no checksum at all (RFC 768).
    expect(field(a, 2, 'checksum').value).toBe('0x0000 (none)');
  });

  it('a checksum over bytes the capture did not keep is shown without a verdict', () => {
    const a = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_ICMP.subarray(0, 100), { origLen: 148 });
    expect(field(a, 6, 'checksum').value).toBe('0x5f13');
  });
});

describe('packetAnatomy and the decoder agree', () => {
  it('the same layers at the same offsets', () => {
    for (const bytes of [REAL_VXLAN_ICMP, REAL_VXLAN_TCP_SYN, SYN_TO_SERVICE, VXLAN_ICMP_FRAME]) {
      const d = decodePacket(bytes, LINKTYPE_ETHERNET);
      const a = packetAnatomy(LINKTYPE_ETHERNET, bytes);
      const headers = d.layers.filter((l) => l.kind !== 'payload' && l.kind !== 'undecoded');
      expect(a.layers.map((l) => [l.kind, l.offset, l.length])).toEqual(headers.map((l) => [l.kind, l.offset, l.headerLength]));
    }
  });
});

describe('packetAnatomy on mutated and cut packets', () => {
  it('never throws, always tiles the captured bytes, keeps every field inside its layer', () => {
    let prev = packetAnatomy(LINKTYPE_ETHERNET, REAL_VXLAN_ICMP);
    let x = 0x9e3779b9;
    const rand = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const seeds = [REAL_VXLAN_ICMP, REAL_VXLAN_TCP_SYN, SYN_TO_SERVICE, VXLAN_ICMP_FRAME];
    for (let round = 0; round < 3000; round++) {
      const seed = seeds[round % seeds.length]!;
      const bytes = seed.slice(0, rand(seed.length + 1));
      for (let k = rand(6); k > 0 && bytes.length > 0; k--) bytes[rand(bytes.length)] = rand(256);
      const linkType = [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL2][rand(3)]!;
      const a = packetAnatomy(linkType, bytes, { fcsLen: rand(3) === 0 ? 4 : 0, origLen: bytes.length + rand(3) });
      let pos = 0;
      for (const s of a.segments) {
        expect(s.offset).toBe(pos);
        expect(s.length).toBeGreaterThan(0);
        pos += s.length;
      }
      expect(pos).toBe(bytes.length);
      for (const l of a.layers) {
        for (const f of l.fields) {
          expect(f.offset).toBeGreaterThanOrEqual(l.offset);
          expect(f.offset + f.length).toBeLessThanOrEqual(l.offset + l.length);
        }
      }
      expect(diffStations(prev, a).summary.length).toBeGreaterThan(0);
      expect(mtuArithmetic(a, 1500, 'vxlan').lines.length).toBeGreaterThan(0);
      prev = a;
    }
  });
});

import { describe, expect, it } from 'vitest';
import { mtuArithmetic, packetAnatomy } from '../../anatomy';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { overlay } from '../../protocols/overlays';
import { looksLikeVxlan, looksLikeVxlanGpe } from '../../protocols/recognise';
import { encapsulationIn } from '../encapsulation';
import { fieldsRow, protocolChain, TSHARK_FIELDS } from '../fields';
import { emptyRow } from '../packet-index';
import { Summarizer } from '../summarize';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[UDP[VXLAN-GPE[Ethernet[IPv4[ICMP]]]]]]
const GPE_ETH = `
  020000000002 020000000001 0800                     # Ethernet, IPv4
  45000052 abcd0000 40114d7a c0a80001 c0a80002       # IPv4 192.168.0.1 > .2, UDP
  9c40 12b6 003e 0000                                # UDP 40000 > 4790, length 62
  0c 0000 03 000001 00                               # VXLAN-GPE I+P, next Ethernet, VNI 1
  0a580af40203 0a580af40102 0800                     # inner Ethernet
  45000020 00014000 400121f0 0af40102 0af40203       # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2104 1234 0001 61626364                       # ICMP echo request id 0x1234 seq 1
`;

// Ethernet[IPv4[UDP[VXLAN-GPE[IPv4[ICMP]]]]]
const GPE_IPV4 = `
  020000000002 020000000001 0800
  45000044 abce0000 40114d87 c0a80001 c0a80002       # IPv4, UDP
  9c41 12b6 0030 0000                                # UDP 40001 > 4790, length 48
  0c 0000 01 123456 00                               # VXLAN-GPE I+P, next IPv4, VNI 0x123456
  45000020 00024000 400121ef 0af40102 0af40203       # inner IPv4
  0800 2103 1234 0002 61626364                       # ICMP echo request seq 2
`;

/** A fixture with bytes replaced at `at`. */
function patched(fixture: string, at: number, bytes: string): Uint8Array {
  const b = hex(fixture);
  b.set(hex(bytes), at);
  return b;
}

describe('VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe)', () => {
  it('decodes the whole stack on port 4790, Next Protocol Ethernet', () => {
    const p = decode(hex(GPE_ETH), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    expect(p.truncated).toBe(false);
    const g = layerAt(p, 'vxlan-gpe');
    expect(g.offset).toBe(42);
    expect(g.headerLength).toBe(8);
    expect(g.payload.length).toBe(14 + 20 + 12);
    expect(g.flags).toBe(0x0c);
    expect(g.version).toBe(0);
    expect([g.validVni, g.nextProtocolPresent, g.bum, g.oam]).toEqual([true, true, false, false]);
    expect(g.reservedFlags).toBe(0);
    expect(g.reserved1).toBe(0);
    expect(g.nextProtocol).toBe(3);
    expect(g.vni).toBe(1);
    expect(g.reserved2).toBe(0);
    expect(layerAt(p, 'ethernet', 1).src).toBe('0a:58:0a:f4:01:02');
    expect(layerAt(p, 'ipv4', 1).src).toBe('10.244.1.2');
  });

  it('follows Next Protocol IPv4 straight to the inner IP header', () => {
    const p = decode(hex(GPE_IPV4), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    const g = layerAt(p, 'vxlan-gpe');
    expect(g.nextProtocol).toBe(1);
    expect(g.vni).toBe(0x123456);
    expect(layerAt(p, 'ipv4', 1).dst).toBe('10.244.2.3');
  });

  it('leaves MPLS and unknown next protocols as payload', () => {
    for (const next of ['05', '00', '99']) {
      const p = decode(patched(GPE_IPV4, 45, next), 1);
      expect(kinds(p), next).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'payload']);
      expect(p.errors).toEqual([]);
    }
  });

  it('hands Next Protocol 4 to the NSH decoder (nsh.test.ts), which finds no NSH in an IPv4 header', () => {
    const p = decode(patched(GPE_IPV4, 45, '04'), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'undecoded']);
    expect(layerAt(p, 'undecoded').wanted).toBe('nsh');
    expect(p.errors).toEqual([{ layer: 'nsh', offset: 50, message: 'NSH version 1' }]);
  });

  it('reads I, P, B and O apart, the two R bits and the version, bit by bit', () => {
    const cases: Array<[string, boolean, boolean, boolean, boolean, number]> = [
      ['08', true, false, false, false, 0],
      ['04', false, true, false, false, 0],
      ['02', false, false, true, false, 0],
      ['01', false, false, false, true, 0],
      ['0f', true, true, true, true, 0],
      ['80', false, false, false, false, 0x80],
      ['40', false, false, false, false, 0x40],
    ];
    for (const [byte, i, pBit, b, o, r] of cases) {
      const g = layerAt(decode(patched(GPE_IPV4, 42, byte), 1), 'vxlan-gpe');
      expect([g.validVni, g.nextProtocolPresent, g.bum, g.oam, g.reservedFlags, g.version], byte).toEqual([i, pBit, b, o, r, 0]);
    }
  });

  it('follows Next Protocol with P clear, as Wireshark does', () => {
    expect(kinds(decode(patched(GPE_IPV4, 42, '08'), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'ipv4', 'icmp', 'payload']);
  });

  it('records a version other than 0 as an error (the draft: drop it)', () => {
    for (const [byte, version] of [['1c', 1], ['2c', 2], ['3c', 3]] as const) {
      const p = decode(patched(GPE_IPV4, 42, byte), 1);
      expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'undecoded']);
      expect(p.errors).toEqual([{ layer: 'vxlan-gpe', offset: 42, message: `VXLAN-GPE version ${version}` }]);
    }
  });

  it('reports the reserved fields and reads the 24-bit VNI alone', () => {
    const g = layerAt(decode(patched(GPE_IPV4, 42, '0cabcd01 ffffffee'), 1), 'vxlan-gpe');
    expect([g.reserved1, g.nextProtocol, g.vni, g.reserved2]).toEqual([0xabcd, 1, 0xffffff, 0xee]);
  });

  it('keeps what was decoded when the capture ends inside the header', () => {
    const p = decode(hex(GPE_ETH).subarray(0, 46), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('vxlan-gpe');
  });

  it('recognises VXLAN-GPE on another port from its bytes, strictly', () => {
    for (const fixture of [GPE_ETH, GPE_IPV4]) {
      const b = patched(fixture, 36, '270f'); // UDP destination 9999
      expect(looksLikeVxlanGpe(b, 42, b.length - 42)).toBe(true);
      expect(kinds(decode(b, 1))).toContain('vxlan-gpe');
    }
    const no = (at: number, bytes: string, fixture = GPE_IPV4) => {
      const b = patched(fixture, at, bytes);
      return looksLikeVxlanGpe(b, 42, b.length - 42);
    };
    expect(no(42, '08')).toBe(false); // P clear: plain VXLAN's flags
    expect(no(42, '04')).toBe(false); // I clear
    expect(no(42, '1c')).toBe(false); // version 1
    expect(no(42, '4c')).toBe(false); // an R bit
    expect(no(43, '01')).toBe(false); // reserved
    expect(no(49, '01')).toBe(false); // last reserved octet
    expect(no(45, '04')).toBe(false); // says NSH, carries IPv4
    expect(no(45, '05')).toBe(false); // MPLS: not checkable
    expect(no(45, '02')).toBe(false); // says IPv6, carries IPv4
    expect(no(45, '01', GPE_ETH)).toBe(false); // says IPv4, carries Ethernet
    expect(no(60, '00')).toBe(false); // inner IPv4 checksum broken
  });

  it('is never taken for VXLAN, nor VXLAN for it', () => {
    for (const flags of ['0c', '0d', '0e', '0f']) {
      const b = patched(GPE_ETH, 42, `${flags}000000`);
      expect(looksLikeVxlan(b, 42, b.length - 42), flags).toBe(false);
    }
    const vxlan = patched(GPE_ETH, 42, '08000000');
    expect(looksLikeVxlanGpe(vxlan, 42, vxlan.length - 42)).toBe(false);
    expect(looksLikeVxlan(vxlan, 42, vxlan.length - 42)).toBe(true);
    vxlan.set(hex('270f'), 36);
    expect(kinds(decode(vxlan, 1))).toContain('vxlan');
  });

  it('agrees with tshark', () => {
    // tshark 4.0.17: tshark -r gpe.pcap -T fields -e frame.protocols -e vxlan.vni -e vxlan.next_proto
    const tshark = [
      ['eth:ethertype:ip:udp:eth:ethertype:ip:icmp:data', '1', '3'],
      ['eth:ethertype:ip:udp:ip:icmp:data', '1193046', '1'],
    ];
    [GPE_ETH, GPE_IPV4].forEach((fixture, n) => {
      const bytes = hex(fixture);
      const p = decode(bytes, 1);
      const row = fieldsRow({ frameNumber: n + 1, hasTimestamp: false, tsSec: 0, tsNsec: 0, origLen: bytes.length, capLen: bytes.length }, p);
      const ours = [protocolChain(p), row[TSHARK_FIELDS.indexOf('vxlan.vni')], String(layerAt(p, 'vxlan-gpe').nextProtocol)];
      expect(ours).toEqual(tshark[n]);
    });
  });

  it('is read by the registry consumers: encapsulation, summarizer, anatomy and MTU', () => {
    const eth = hex(GPE_ETH);
    const ip = hex(GPE_IPV4);
    expect(encapsulationIn(decode(eth, 1).layers)).toEqual({ kind: 'vxlan-gpe', vni: 1, port: 4790, outerSrc: '192.168.0.1', outerDst: '192.168.0.2' });
    expect(encapsulationIn(decode(ip, 1).layers)).toMatchObject({ kind: 'vxlan-gpe', vni: 0x123456, port: 4790 });

    // The fast indexer has no case for it: it falls back to the decoder and still finds the overlay.
    const s = new Summarizer();
    const row = emptyRow();
    s.summarize(eth, 0, eth.length, 1, 0, row);
    expect(s.slowPackets).toBe(1);
    const shape = s.shapes.shapes[row.shape]!;
    expect(shape.kinds).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(shape.encapsulation).toMatchObject({ kind: 'vxlan-gpe', vni: 1, port: 4790 });

    const a = packetAnatomy(1, eth);
    const g = a.layers.find((l) => l.kind === 'vxlan-gpe')!;
    expect(g.title).toBe('VXLAN-GPE');
    expect(g.fields.map((f) => `${f.key} ${f.value}`)).toEqual([
      'flags 0x0c (I, P)',
      'reservedFlags 0',
      'version 0',
      'flags.i 1 (set)',
      'flags.p 1 (set)',
      'flags.b 0 (not set)',
      'flags.o 0 (not set)',
      'reserved1 0x0000',
      'nextProtocol 3 (Ethernet)',
      'vni 1',
      'reserved2 0x00',
    ]);

    const m = mtuArithmetic(a);
    expect(m).toMatchObject({ overlay: 'vxlan-gpe', measured: true, overhead: 50, innerMtu: 1450, innerLength: 32, fits: true });
    expect(m.parts?.map((p) => `${p.title} ${p.length}`)).toEqual(['outer IPv4 20', 'UDP 8', 'VXLAN-GPE 8', 'inner Ethernet II 14']);
    // Next Protocol IPv4: no inner Ethernet header, so 14 bytes less than the registry's nominal 50.
    const m4 = mtuArithmetic(packetAnatomy(1, ip));
    expect(m4).toMatchObject({ overlay: 'vxlan-gpe', measured: true, overhead: 36, innerMtu: 1464 });
    expect(m4.parts?.map((p) => `${p.title} ${p.length}`)).toEqual(['outer IPv4 20', 'UDP 8', 'VXLAN-GPE 8']);
    expect(mtuArithmetic(packetAnatomy(1, eth.subarray(50)), 1500, 'vxlan-gpe')).toMatchObject({ measured: false, overhead: 50 });
    expect(overlay('vxlan-gpe').label(1, '4790')).toBe('VXLAN-GPE VNI 1, UDP 4790');
  });
});

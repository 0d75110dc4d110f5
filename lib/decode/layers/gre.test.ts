import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { protocolChain } from '../fields';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[GRE with key and sequence[IPv4[ICMP]]]]
const GRE_KS = `
  020000000002 020000000001 0800
  4500003c 03014000 402fb63e c0a80001 c0a80002       # IPv4, GRE
  3000 0800 00000064 00000001                        # K S; IPv4; key 100; seq 1
  4500001c 01014000 400125dc 0a010001 0a010002
  0800f7b6 00420007
`;

// Ethernet[IPv4[GRE with checksum, 0x6558[Ethernet[IPv4[ICMP]]]]]
const GRE_ETH = `
  020000000002 020000000001 0800
  45000046 03024000 402fb633 c0a80001 c0a80002
  8000 6558 0000 0000                                # C; transparent Ethernet bridging
  0a0000000002 0a0000000001 0800
  4500001c 01014000 400125dc 0a010001 0a010002
  0800f7b6 00420007
`;

// Ethernet[IPv4[GRE version 1 (PPTP)[PPP]]]
const GRE_PPTP = `
  020000000002 020000000001 0800
  45000028 03034000 402fb650 c0a80001 c0a80002
  3081 880b 0004 0001 00000002 00000001              # K S A ver 1; PPP; length 4, call 1; seq 2; ack 1
  ff03c021                                           # PPP LCP
`;

describe('GRE (RFC 2784, RFC 2890)', () => {
  it('decodes C/K/S bits, key and sequence number', () => {
    const p = decode(hex(GRE_KS), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'ipv4', 'icmp']);
    const g = layerAt(p, 'gre');
    expect(g.headerLength).toBe(12);
    expect([g.checksumPresent, g.routingPresent, g.keyPresent, g.sequencePresent]).toEqual([false, false, true, true]);
    expect(g.version).toBe(0);
    expect(g.protocolType).toBe(0x0800);
    expect(g.key).toBe(100);
    expect(g.sequence).toBe(1);
    expect(g.checksum).toBeUndefined();
  });

  it('carries Ethernet for protocol type 0x6558, after the checksum word', () => {
    const p = decode(hex(GRE_ETH), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'ethernet', 'ipv4', 'icmp']);
    const g = layerAt(p, 'gre');
    expect(g.checksumPresent).toBe(true);
    expect(g.headerLength).toBe(8);
    expect([g.checksum, g.reserved1]).toEqual([0, 0]);
  });

  it('decodes PPTP\'s enhanced GRE (version 1) up to its PPP payload', () => {
    const p = decode(hex(GRE_PPTP), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'payload']);
    const g = layerAt(p, 'gre');
    expect([g.version, g.ackPresent, g.key, g.sequence, g.ack]).toEqual([1, true, 0x00040001, 2, 1]);
    expect(g.headerLength).toBe(16);
  });

  it('records versions above 1 as errors', () => {
    const b = hex(GRE_KS);
    b[35] = 0x02; // flags word 0x3002
    const p = decode(b, 1);
    expect(p.errors).toEqual([{ layer: 'gre', offset: 34, message: 'GRE version 2' }]);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'undecoded']);
  });

  it('stops, with a note, at RFC 1701 source routing', () => {
    const b = hex(GRE_KS);
    b[34] = 0x70; // R K S
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'undecoded']);
    expect(layerAt(p, 'undecoded').reason).toBe('unsupported');
    expect(p.notes[0]).toMatch(/source routing/);
  });

  it('agrees with tshark on the key, sequence number and checksum (RFC 2890)', () => {
    // tshark 4.0.17: tshark -r gre.pcap -T fields -e frame.protocols -e gre.flags_and_version
    //   -e gre.key -e gre.sequence_number -e gre.checksum -e gre.proto
    const tshark = [
      ['eth:ethertype:ip:gre:ip:icmp', '0x3000', '0x00000064', '1', '', '0x0800'],
      ['eth:ethertype:ip:gre:eth:ethertype:ip:icmp', '0x8000', '', '', '0x0000', '0x6558'],
    ];
    const hx = (n: number | undefined, d: number) => (n === undefined ? '' : '0x' + n.toString(16).padStart(d, '0'));
    [GRE_KS, GRE_ETH].forEach((fixture, i) => {
      const b = hex(fixture);
      const p = decode(b, 1);
      const g = layerAt(p, 'gre');
      expect([protocolChain(p), hx((b[34]! << 8) | b[35]!, 4), hx(g.key, 8), g.sequence === undefined ? '' : String(g.sequence), hx(g.checksum, 4), hx(g.protocolType, 4)]).toEqual(tshark[i]);
    });
  });
});

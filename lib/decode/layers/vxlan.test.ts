import { describe, expect, it } from 'vitest';
import { packetAnatomy } from '../../anatomy';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { looksLikeVxlan, looksLikeVxlanGpe } from '../../protocols/recognise';
import { protocolChain } from '../fields';
import { decode, hex, kinds, layerAt } from '../../testing/decode';
import { VXLAN_GBP } from './tunnel-fixtures';

// Ethernet[IPv4[UDP[VXLAN[Ethernet[IPv4[ICMP]]]]]]
const VXLAN_4789 = `
  020000000002 020000000001 0800                     # Ethernet, IPv4
  45000052 abcd0000 40114d7a c0a80001 c0a80002       # IPv4 192.168.0.1 > .2, UDP
  9c40 12b5 003e 0000                                # UDP 40000 > 4789, length 62
  08 000000 000001 00                                # VXLAN flags=I, VNI 1
  0a580af40203 0a580af40102 0800                     # inner Ethernet
  45000020 00014000 400121f0 0af40102 0af40203       # inner IPv4 10.244.1.2 > 10.244.2.3
  0800 2104 1234 0001 61626364                       # ICMP echo request id 0x1234 seq 1
`;

/** The fixture with the 8 VXLAN header bytes (at offset 42) replaced. */
function withVxlanHeader(header: string): Uint8Array {
  const b = hex(VXLAN_4789);
  b.set(hex(header), 42);
  return b;
}

describe('VXLAN (RFC 7348)', () => {
  it('decodes the whole stack on port 4789', () => {
    const p = decode(hex(VXLAN_4789), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    expect(p.truncated).toBe(false);
    const v = layerAt(p, 'vxlan');
    expect(v.offset).toBe(42);
    expect(v.headerLength).toBe(8);
    expect(v.payload.length).toBe(14 + 20 + 12);
    expect(v.flags).toBe(0x08);
    expect(v.validVni).toBe(true);
    expect(v.reservedFlags).toBe(0);
    expect(v.reserved1).toBe(0);
    expect(v.vni).toBe(1);
    expect(v.reserved2).toBe(0);
    expect(layerAt(p, 'ipv4', 1).src).toBe('10.244.1.2');
    expect(layerAt(p, 'ethernet', 1).src).toBe('0a:58:0a:f4:01:02');
  });

  it('views are subarrays of the packet, not copies', () => {
    const bytes = hex(VXLAN_4789);
    const v = layerAt(decode(bytes, LINKTYPE_ETHERNET), 'vxlan');
    expect(v.header.buffer).toBe(bytes.buffer);
    expect(v.header.byteOffset).toBe(bytes.byteOffset + 42);
    expect(v.payload.byteOffset).toBe(bytes.byteOffset + 50);
  });

  it('reads the I flag alone, bit by bit', () => {
    // Flags 0x08 is the I bit (bit 4 of the octet, counting from 0 at the left).
    expect(layerAt(decode(withVxlanHeader('08000000 00000100'), 1), 'vxlan').validVni).toBe(true);
    const cleared = layerAt(decode(withVxlanHeader('00000000 00000100'), 1), 'vxlan');
    expect(cleared.validVni).toBe(false);
    expect(cleared.reservedFlags).toBe(0);
    // Every R bit on, I and G off: R bits reported, I still clear (one mask per bit, not a shared one).
    const rOnly = layerAt(decode(withVxlanHeader('77000000 00000100'), 1), 'vxlan');
    expect(rOnly.validVni).toBe(false);
    expect(rOnly.groupPolicy).toBe(false);
    expect(rOnly.reservedFlags).toBe(0x77);
    for (const bit of [0x40, 0x20, 0x10, 0x04, 0x02, 0x01]) {
      const flags = (0x08 | bit).toString(16).padStart(2, '0');
      const v = layerAt(decode(withVxlanHeader(`${flags}000000 00000100`), 1), 'vxlan');
      expect(v.validVni).toBe(true);
      expect(v.groupPolicy).toBe(false);
      expect(v.reservedFlags).toBe(bit);
    }
    // The top bit is the Group Based Policy extension's G, not a reserved one.
    const g = layerAt(decode(withVxlanHeader('88000000 00000100'), 1), 'vxlan');
    expect([g.groupPolicy, g.validVni, g.reservedFlags]).toEqual([true, true, 0]);
  });

  it('reports the reserved fields without rejecting the packet (ignored on receipt)', () => {
    const p = decode(withVxlanHeader('08abcdef 000001ff'), 1);
    const v = layerAt(p, 'vxlan');
    expect(v.reserved1).toBe(0xabcdef);
    expect(v.reserved2).toBe(0xff);
    expect(v.vni).toBe(1);
    expect(p.errors).toEqual([]);
    expect(kinds(p)).toContain('icmp');
  });

  it('reads the 24-bit VNI at its boundaries', () => {
    expect(layerAt(decode(withVxlanHeader('08000000 00000000'), 1), 'vxlan').vni).toBe(0);
    expect(layerAt(decode(withVxlanHeader('08000000 00000100'), 1), 'vxlan').vni).toBe(1);
    expect(layerAt(decode(withVxlanHeader('08000000 80000000'), 1), 'vxlan').vni).toBe(0x800000);
    expect(layerAt(decode(withVxlanHeader('08000000 ffffff00'), 1), 'vxlan').vni).toBe(0xffffff);
    // The reserved octet after the VNI does not leak into it.
    expect(layerAt(decode(withVxlanHeader('08000000 123456ff'), 1), 'vxlan').vni).toBe(0x123456);
  });

  it('decodes flannel\'s port 8472 as VXLAN', () => {
    const b = hex(VXLAN_4789);
    b.set(hex('2118'), 36); // UDP destination port 8472
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'payload']);
  });

  it('keeps what was decoded when the capture ends inside the VXLAN header', () => {
    const b = hex(VXLAN_4789).subarray(0, 46);
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(p.errors).toEqual([]);
    const u = layerAt(p, 'undecoded');
    expect(u.reason).toBe('truncated');
    expect(u.wanted).toBe('vxlan');
    expect(u.payload.length).toBe(4);
    expect(layerAt(p, 'udp').truncated).toBe(true);
  });

  it('records an inner IPv4 longer than the outer UDP allows, without calling it truncated', () => {
    const b = hex(VXLAN_4789);
    b.set(hex('0040'), 66); // inner total length 64; VXLAN's UDP leaves 32
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([{ layer: 'ipv4', offset: 66, message: 'IPv4 total length 64 exceeds the 32 bytes its enclosing layer declares' }]);
    expect(p.truncated).toBe(false);
  });

  it('keeps the VXLAN layer when the capture ends inside the inner Ethernet header', () => {
    const p = decode(hex(VXLAN_4789).subarray(0, 56), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'undecoded']);
    expect(layerAt(p, 'vxlan').vni).toBe(1);
    expect(layerAt(p, 'undecoded').wanted).toBe('ethernet');
    expect(p.truncated).toBe(true);
  });
});

describe('VXLAN Group Based Policy (draft-smith-vxlan-group-policy-05)', () => {
  it('decodes G, D, A and the Group Policy ID', () => {
    const p = decode(hex(VXLAN_GBP), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    const v = layerAt(p, 'vxlan');
    expect([v.flags, v.groupPolicy, v.validVni, v.dontLearn, v.policyApplied, v.groupPolicyId, v.vni]).toEqual([0x88, true, true, true, true, 0xabcd, 1]);
    expect([v.reservedFlags, v.reserved1, v.reserved2]).toEqual([0, 0x48abcd, 0]);
  });

  it('reads D and A apart, bit by bit, and the rest of their octet as reserved', () => {
    const gbp = (h: string) => layerAt(decode(withVxlanHeader(h), 1), 'vxlan');
    expect([gbp('88400000 00000100').dontLearn, gbp('88400000 00000100').policyApplied]).toEqual([true, false]);
    expect([gbp('88080000 00000100').dontLearn, gbp('88080000 00000100').policyApplied]).toEqual([false, true]);
    // Every other bit of the octet set: neither D nor A.
    expect([gbp('88b70000 00000100').dontLearn, gbp('88b70000 00000100').policyApplied]).toEqual([false, false]);
    expect(gbp('88000001 00000100').groupPolicyId).toBe(1);
    expect(gbp('8800ffff 00000100').groupPolicyId).toBe(0xffff);
    expect(gbp('8800ffff 00000100').vni).toBe(1);
  });

  it('is recognised on another port with flags 0x88, never with GPE flags', () => {
    const moved = (h: string) => {
      const b = withVxlanHeader(h);
      b.set(hex('270f'), 36); // UDP 9999
      return b;
    };
    for (const h of ['88000000', '88480000', '8840abcd', '8808ffff', '08000000']) {
      const b = moved(`${h} 00000100`);
      expect(looksLikeVxlan(b, 42, b.length - 42), h).toBe(true);
      expect(kinds(decode(b, 1)), h).toContain('vxlan');
    }
    // Reserved bits beside D and A, G without I, and every VXLAN-GPE flags octet: not VXLAN.
    for (const h of ['88010000', '88800000', '80000000', '0c000003', '0d000003', '8c000003', '48000000']) {
      const b = moved(`${h} 00000100`);
      expect(looksLikeVxlan(b, 42, b.length - 42), h).toBe(false);
    }
    // And a GBP header is never VXLAN-GPE.
    const g = moved('88480000 00000100');
    expect(looksLikeVxlanGpe(g, 42, g.length - 42)).toBe(false);
  });

  it('agrees with tshark', () => {
    // tshark 4.0.17: tshark -r gbp.pcap -T fields -e frame.protocols -e vxlan.flags -e vxlan.flag_g
    //   -e vxlan.flag_i -e vxlan.flag_d -e vxlan.flag_a -e vxlan.gbp -e vxlan.vni
    // (tshark shows vxlan.gbp, D and A for plain VXLAN too, as the bytes read.)
    const cases: Array<[string, string[]]> = [
      ['88001234 00000100', ['0x8800', '1', '1', '0', '0', '4660', '1']],
      ['8848abcd 00000100', ['0x8848', '1', '1', '1', '1', '43981', '1']],
      ['88400000 00000100', ['0x8840', '1', '1', '1', '0', '0', '1']],
      ['8808ffff 00000100', ['0x8808', '1', '1', '0', '1', '65535', '1']],
      ['08000000 00000100', ['0x0800', '0', '1', '0', '0', '0', '1']],
      ['80001234 00000100', ['0x8000', '1', '0', '0', '0', '4660', '1']],
    ];
    for (const [h, want] of cases) {
      const p = decode(withVxlanHeader(h), 1);
      const v = layerAt(p, 'vxlan');
      const bit = (x: boolean) => (x ? '1' : '0');
      const flags16 = '0x' + ((v.flags << 8) | (v.reserved1 >> 16)).toString(16).padStart(4, '0');
      expect(protocolChain(p)).toBe('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data');
      expect([flags16, bit(v.groupPolicy), bit(v.validVni), bit(v.dontLearn), bit(v.policyApplied), String(v.groupPolicyId), String(v.vni)], h).toEqual(want);
    }
  });

  it('shows the GBP fields in the anatomy, and plain VXLAN as before', () => {
    const vx = (b: Uint8Array) => packetAnatomy(1, b).layers.find((l) => l.kind === 'vxlan')!;
    const g = vx(hex(VXLAN_GBP));
    expect(g.title).toBe('VXLAN (Group Policy)');
    expect(g.fields.map((f) => `${f.key} ${f.value}`)).toEqual([
      'flags 0x8848 (G, I, D, A)',
      'flags.g 1 (set)',
      'flags.i 1 (set)',
      'flags.d 1 (set)',
      'flags.a 1 (set)',
      'groupPolicyId 43981 (0xabcd)',
      'vni 1',
      'reserved2 0x00',
    ]);
    expect(g.fields.find((f) => f.key === 'flags.d')).toMatchObject({ offset: 43, length: 1, bits: { first: 1, count: 1 } });
    expect(g.fields.find((f) => f.key === 'flags.a')).toMatchObject({ offset: 43, length: 1, bits: { first: 4, count: 1 } });
    expect(vx(hex(VXLAN_4789)).fields.map((f) => f.key)).toEqual(['flags', 'flags.i', 'reserved1', 'vni', 'reserved2']);
  });
});

import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../test-util';

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
    // Every R bit on, I off: R bits reported, I still clear (one mask per bit, not a shared one).
    const rOnly = layerAt(decode(withVxlanHeader('f7000000 00000100'), 1), 'vxlan');
    expect(rOnly.validVni).toBe(false);
    expect(rOnly.reservedFlags).toBe(0xf7);
    for (const bit of [0x80, 0x40, 0x20, 0x10, 0x04, 0x02, 0x01]) {
      const flags = (0x08 | bit).toString(16).padStart(2, '0');
      const v = layerAt(decode(withVxlanHeader(`${flags}000000 00000100`), 1), 'vxlan');
      expect(v.validVni).toBe(true);
      expect(v.reservedFlags).toBe(bit);
    }
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

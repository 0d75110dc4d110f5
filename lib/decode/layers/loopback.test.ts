import { describe, expect, it } from 'vitest';
import { LINKTYPE_LOOP, LINKTYPE_NULL } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

const IPV4_ICMP = `
  45000020 00014000 4001b988 c0a80001 c0a80002       # IPv4, ICMP
  0800 2104 1234 0001 61626364                       # echo
`;
const IPV6_ICMPV6 = `
  60000000 0008 3a 40 20010db8000000000000000000000001 20010db8000000000000000000000002
  8000 0000 abcd 0007
`;

describe('BSD loopback (NULL, LOOP)', () => {
  it('reads AF_INET written little-endian (NULL from an x86 host)', () => {
    // Loopback[IPv4[ICMP]]
    const p = decode(hex(`02000000 ${IPV4_ICMP}`), LINKTYPE_NULL);
    expect(kinds(p)).toEqual(['loopback', 'ipv4', 'icmp', 'payload']);
    const l = layerAt(p, 'loopback');
    expect(l.headerLength).toBe(4);
    expect(l.family).toBe(2);
    expect(l.byteOrder).toBe('little');
  });

  it('reads AF_INET written big-endian (NULL from a big-endian host)', () => {
    const p = decode(hex(`00000002 ${IPV4_ICMP}`), LINKTYPE_NULL);
    expect(kinds(p)).toEqual(['loopback', 'ipv4', 'icmp', 'payload']);
    expect(layerAt(p, 'loopback').byteOrder).toBe('big');
  });

  it('knows each OS\'s AF_INET6', () => {
    // Loopback[IPv6[ICMPv6]]
    for (const fam of ['0a000000', '18000000', '1c000000', '1e000000']) {
      expect(kinds(decode(hex(`${fam} ${IPV6_ICMPV6}`), LINKTYPE_NULL)), fam).toEqual(['loopback', 'ipv6', 'icmpv6']);
    }
  });

  it('reads LOOP in network byte order', () => {
    const p = decode(hex(`0000001e ${IPV6_ICMPV6}`), LINKTYPE_LOOP);
    expect(kinds(p)).toEqual(['loopback', 'ipv6', 'icmpv6']);
    expect(layerAt(p, 'loopback').family).toBe(30);
    expect(layerAt(p, 'loopback').byteOrder).toBe('big');
  });

  it('leaves an unknown family as payload', () => {
    expect(kinds(decode(hex(`07000000 ${IPV4_ICMP}`), LINKTYPE_NULL))).toEqual(['loopback', 'payload']);
  });

  it('is truncated inside the 4-byte header', () => {
    const p = decode(hex('0200'), LINKTYPE_NULL);
    expect(kinds(p)).toEqual(['undecoded']);
    expect(p.truncated).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { hex } from '../../testing/decode';
import { formatIpv4, formatIpv6, formatMac, u16, u24, u32, u32le } from './base';

function v6(h: string): string {
  return formatIpv6(hex(h), 0);
}

describe('byte readers', () => {
  it('read big-endian without sign trouble', () => {
    const b = hex('ff fe fd fc');
    expect(u16(b, 0)).toBe(0xfffe);
    expect(u24(b, 1)).toBe(0xfefdfc);
    expect(u32(b, 0)).toBe(0xfffefdfc);
    expect(u32le(b, 0)).toBe(0xfcfdfeff);
  });

  it('read 0 past the end instead of throwing', () => {
    expect(u32(hex('01'), 0)).toBe(0x01000000);
  });
});

describe('address text', () => {
  it('formats MAC and IPv4 addresses', () => {
    expect(formatMac(hex('0a1b2c3d4e5f'), 0)).toBe('0a:1b:2c:3d:4e:5f');
    expect(formatIpv4(hex('c0a80001'), 0)).toBe('192.168.0.1');
  });

  it('compresses IPv6 as RFC 5952 §4 says', () => {
    expect(v6('20010db8000000000000000000000001')).toBe('2001:db8::1');
    expect(v6('00000000000000000000000000000000')).toBe('::');
    expect(v6('00000000000000000000000000000001')).toBe('::1');
    expect(v6('fe800000000000000000000000000000')).toBe('fe80::');
    // §4.2.2: a single zero group is not compressed.
    expect(v6('20010db8000000010001000100010001')).toBe('2001:db8:0:1:1:1:1:1');
    // §4.2.3: the longest run wins; on a tie, the first.
    expect(v6('20010db8000000000001000000000001')).toBe('2001:db8::1:0:0:1');
    expect(v6('20010000000000010000000000000001')).toBe('2001:0:0:1::1');
    // §4.3: lower case, no leading zeros.
    expect(v6('20010DB8000A000B00C00D000E000F00')).toBe('2001:db8:a:b:c0:d00:e00:f00');
    expect(v6('20010db80abc01650000000000010012')).toBe('2001:db8:abc:165::1:12');
  });

  it('ends IPv4-mapped and -compatible addresses in dotted quad, like inet_ntop', () => {
    expect(v6('00000000000000000000ffffc0000201')).toBe('::ffff:192.0.2.1');
    expect(v6('000000000000000000000000c0000201')).toBe('::192.0.2.1');
  });
});

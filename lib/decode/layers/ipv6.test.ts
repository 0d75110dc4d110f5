import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV6 } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv6 + hop-by-hop + fragment[UDP[payload]]]
const IPV6_EXT = `
  020000000002 020000000001 86dd
  6 b8 12345 001c 00 ff                              # TC 0xb8, flow 0x12345, len 28, hop-by-hop, HL 255
  fe800000000000000000000000000001                   # fe80::1
  ff0200000000000000000001ff000002                   # ff02::1:ff00:2
  2c 00 0104 00000000                                # hop-by-hop: next fragment, PadN
  11 00 0001 0000abcd                                # fragment: next UDP, offset 0, M, id 0xabcd
  1388 1770 000c 0000 deadbeef                       # UDP 5000 > 6000
`;

// Ethernet[IPv6 + fragment (offset 185)[payload]]: a later fragment
const IPV6_LATER_FRAGMENT = `
  020000000002 020000000001 86dd
  60000000 0010 2c 40 20010db8000000000000000000000001 20010db8000000000000000000000002
  11 00 05c8 0000abcd                                # fragment: offset 185, no M
  0102030405060708
`;

// Ethernet[IPv6[IPv6[UDP[payload]]]]: 6in6 (next header 41)
const SIX_IN_SIX = `
  020000000002 020000000001 86dd
  60000000 0034 29 40 20010db8000000000000000000000001 20010db8000000000000000000000002
  60000000 000c 11 40 00000000000000000000ffff0a000001 00000000000000000000000000000001
  1388 1770 000c 0000 deadbeef
`;

describe('IPv6 (RFC 8200)', () => {
  it('decodes the fixed header and walks the extension headers', () => {
    const p = decode(hex(IPV6_EXT), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'udp', 'payload']);
    const ip = layerAt(p, 'ipv6');
    expect(ip.version).toBe(6);
    expect(ip.trafficClass).toBe(0xb8);
    expect(ip.flowLabel).toBe(0x12345);
    expect(ip.payloadLength).toBe(28);
    expect(ip.nextHeader).toBe(0);
    expect(ip.hopLimit).toBe(255);
    expect(ip.src).toBe('fe80::1');
    expect(ip.dst).toBe('ff02::1:ff00:2');
    expect(ip.headerLength).toBe(56);
    expect(ip.extensionHeaders.map((e) => [e.type, e.nextHeader, e.offset, e.length])).toEqual([
      [0, 44, 54, 8],
      [44, 17, 62, 8],
    ]);
    expect(ip.finalNextHeader).toBe(17);
    expect(ip.fragment).toEqual({ offset: 0, moreFragments: true, identification: 0xabcd });
    expect(ip.isLaterFragment).toBe(false);
    expect(layerAt(p, 'udp').dstPort).toBe(6000);
  });

  it('does not decode a later fragment\'s payload as a transport header', () => {
    const p = decode(hex(IPV6_LATER_FRAGMENT), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'payload']);
    const ip = layerAt(p, 'ipv6');
    expect(ip.fragment).toEqual({ offset: 185, moreFragments: false, identification: 0xabcd });
    expect(ip.isLaterFragment).toBe(true);
    expect(ip.finalNextHeader).toBe(17);
  });

  it('decodes IPv6-in-IPv6 and prints mapped addresses in dotted form', () => {
    const p = decode(hex(SIX_IN_SIX), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'ipv6', 'udp', 'payload']);
    expect(layerAt(p, 'ipv6', 0).nextHeader).toBe(41);
    expect(layerAt(p, 'ipv6', 1).src).toBe('::ffff:10.0.0.1');
    expect(layerAt(p, 'ipv6', 1).dst).toBe('::1');
  });

  it('records an extension header that overruns the payload length', () => {
    const b = hex(IPV6_EXT);
    b.set(hex('0010'), 18); // payload length 16: hop-by-hop and fragment fit, UDP does not
    const ok = decode(b, 1);
    expect(ok.errors[0]?.layer).toBe('udp');
    b.set(hex('000c'), 18); // 12: the fragment header does not fit
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'ipv6', offset: 62, message: 'IPv6 extension header 44 of 8 bytes overruns the payload length' }]);
    expect(layerAt(p, 'undecoded').reason).toBe('malformed');
  });

  it('is truncated, not malformed, when the capture ends inside an extension header', () => {
    const p = decode(hex(IPV6_EXT).subarray(0, 66), 1);
    expect(p.errors).toEqual([]);
    expect(p.truncated).toBe(true);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'undecoded']);
    expect(layerAt(p, 'ipv6').extensionHeaders.length).toBe(1);
  });

  it('is truncated when the capture ends inside the fixed header', () => {
    const p = decode(hex(IPV6_EXT).subarray(0, 40), 1);
    expect(kinds(p)).toEqual(['ethernet', 'undecoded']);
    expect(p.truncated).toBe(true);
  });

  it('records a wrong version', () => {
    const b = hex(IPV6_EXT).subarray(14);
    b[0] = 0x4b;
    const p = decode(b, LINKTYPE_IPV6);
    expect(p.errors[0]?.message).toBe('IPv6 header with version 4');
  });
});

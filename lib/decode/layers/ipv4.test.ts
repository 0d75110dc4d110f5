import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_RAW } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[ICMP]]
const IPV4_ICMP = `
  020000000002 020000000001 0800
  45 00 0020 0001 4000 40 01 b988 c0a80001 c0a80002  # v4 IHL 5, len 32, id 1, DF, TTL 64, ICMP
  0800 2104 1234 0001 61626364                       # ICMP echo
`;

// Ethernet[IPv4 with Router Alert option[IGMP]]
const IPV4_OPTIONS = `
  020000000002 020000000001 0800
  46 c0 0020 0005 0000 01 02 39fc 0a000001 e0000016  # IHL 6, DSCP 48 (CS6), TTL 1, IGMP
  94040000                                           # Router Alert (RFC 2113)
  1600fa0a e0000016                                  # IGMPv2 report
`;

// Ethernet[IPv4[IPv4[ICMP]]]: IP-in-IP (protocol 4)
const IPIP = `
  020000000002 020000000001 0800
  45000034 00090000 4004 0000 01020304 05060708      # outer, protocol 4
  45000020 00014000 4001b988 c0a80001 c0a80002       # inner
  0800 2104 1234 0001 61626364
`;

function withBytes(fixture: string, at: number, bytes: string): Uint8Array {
  const b = hex(fixture);
  b.set(hex(bytes), at);
  return b;
}

describe('IPv4 (RFC 791)', () => {
  it('decodes the fixed header', () => {
    const p = decode(hex(IPV4_ICMP), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'payload']);
    const ip = layerAt(p, 'ipv4');
    expect(ip.offset).toBe(14);
    expect(ip.headerLength).toBe(20);
    expect(ip.version).toBe(4);
    expect(ip.ihl).toBe(5);
    expect(ip.totalLength).toBe(32);
    expect(ip.id).toBe(1);
    expect(ip.ttl).toBe(64);
    expect(ip.protocol).toBe(1);
    expect(ip.checksum).toBe(0xb988);
    expect(ip.src).toBe('192.168.0.1');
    expect(ip.dst).toBe('192.168.0.2');
    expect(ip.options).toEqual([]);
    expect(ip.payload.length).toBe(12);
  });

  it('reads the three flag bits and the 13-bit fragment offset separately', () => {
    const cases: Array<[string, boolean, boolean, boolean, number]> = [
      ['0000', false, false, false, 0],
      ['4000', false, true, false, 0],
      ['2000', false, false, true, 0],
      ['8000', true, false, false, 0],
      ['1fff', false, false, false, 0x1fff],
      ['20b9', false, false, true, 185],
    ];
    for (const [word, rsv, df, mf, off] of cases) {
      const ip = layerAt(decode(withBytes(IPV4_ICMP, 20, word), 1), 'ipv4');
      expect([ip.reservedFlag, ip.dontFragment, ip.moreFragments, ip.fragmentOffset], word).toEqual([rsv, df, mf, off]);
      expect(ip.flags).toBe(parseInt(word, 16) >> 13);
    }
  });

  it('decodes a first fragment\'s transport header but not a later fragment\'s', () => {
    expect(kinds(decode(withBytes(IPV4_ICMP, 20, '2000'), 1))).toEqual(['ethernet', 'ipv4', 'icmp', 'payload']);
    const later = decode(withBytes(IPV4_ICMP, 20, '00b9'), 1);
    expect(kinds(later)).toEqual(['ethernet', 'ipv4', 'payload']);
    expect(layerAt(later, 'ipv4').isLaterFragment).toBe(true);
  });

  it('splits TOS into DSCP and ECN and parses options', () => {
    const p = decode(hex(IPV4_OPTIONS), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'payload']);
    const ip = layerAt(p, 'ipv4');
    expect(ip.headerLength).toBe(24);
    expect(ip.tos).toBe(0xc0);
    expect(ip.dscp).toBe(48);
    expect(ip.ecn).toBe(0);
    expect(ip.options.map((o) => [o.type, o.length, Array.from(o.data)])).toEqual([[0x94, 4, [0, 0]]]);
  });

  it('parses NOP and EOL options and records an option that overruns the header', () => {
    const ok = layerAt(decode(withBytes(IPV4_OPTIONS, 34, '01010000'), 1), 'ipv4');
    expect(ok.options.map((o) => o.type)).toEqual([1, 1, 0]);
    const p = decode(withBytes(IPV4_OPTIONS, 34, '01940800'), 1);
    expect(p.errors).toEqual([{ layer: 'ipv4', offset: 35, message: 'IPv4 option 148 with length 8 overruns the header' }]);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'payload']);
  });

  it('records IHL < 5 as an error and leaves the rest undecoded', () => {
    const p = decode(withBytes(IPV4_ICMP, 14, '44'), 1);
    expect(kinds(p)).toEqual(['ethernet', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'ipv4', offset: 14, message: 'IPv4 IHL 4 (< 5, header length 16 bytes)' }]);
    expect(layerAt(p, 'undecoded').reason).toBe('malformed');
    expect(p.truncated).toBe(false);
  });

  it('records a total length below the header length as an error', () => {
    const p = decode(withBytes(IPV4_ICMP, 16, '0013'), 1);
    expect(p.errors[0]?.message).toBe('IPv4 total length 19 < header length 20');
    expect(kinds(p)).toEqual(['ethernet', 'undecoded']);
  });

  it('records a wrong version as an error', () => {
    const p = decode(withBytes(IPV4_ICMP, 14, '65'), 1);
    expect(p.errors[0]?.message).toBe('IPv4 header with version 6');
  });

  it('clamps a total length past the capture and marks it truncated (a short snaplen)', () => {
    const p = decode(hex(IPV4_ICMP).subarray(0, 44), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.truncated).toBe(true);
    expect(p.errors).toEqual([]);
    const ip = layerAt(p, 'ipv4');
    expect(ip.truncated).toBe(true);
    expect(ip.totalLength).toBe(32);
    expect(ip.payload.length).toBe(10);
    expect(layerAt(p, 'payload').payload.length).toBe(2);
  });

  it('is truncated when the capture ends inside the header', () => {
    const p = decode(hex(IPV4_ICMP).subarray(0, 30), 1);
    expect(kinds(p)).toEqual(['ethernet', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('ipv4');
  });

  it('leaves Ethernet padding after the total length as the IPv4 trailer', () => {
    const padded = `${IPV4_ICMP} 0000000000000000000000000000`;
    const p = decode(hex(padded), 1);
    const ip = layerAt(p, 'ipv4');
    expect(ip.payload.length).toBe(12);
    expect(ip.trailer.length).toBe(14);
    expect(layerAt(p, 'payload').payload.length).toBe(4);
  });

  it('takes the captured length for a TSO packet with total length 0, with a note', () => {
    const p = decode(withBytes(IPV4_ICMP, 16, '0000'), 1);
    expect(layerAt(p, 'ipv4').payload.length).toBe(12);
    expect(p.notes[0]).toMatch(/total length 0/);
    expect(p.errors).toEqual([]);
  });

  it('decodes IP-in-IP with no special code (protocol 4 → IPv4)', () => {
    const p = decode(hex(IPIP), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'ipv4', 'icmp', 'payload']);
    expect(layerAt(p, 'ipv4', 0).src).toBe('1.2.3.4');
    expect(layerAt(p, 'ipv4', 1).src).toBe('192.168.0.1');
  });

  it('starts at IPv4 for LINKTYPE_IPV4 and by the version nibble for LINKTYPE_RAW', () => {
    const raw = hex(IPV4_ICMP).subarray(14);
    expect(kinds(decode(raw, LINKTYPE_IPV4))).toEqual(['ipv4', 'icmp', 'payload']);
    expect(kinds(decode(raw, LINKTYPE_RAW))).toEqual(['ipv4', 'icmp', 'payload']);
    const bogus = decode(withBytes(IPV4_ICMP, 14, '55').subarray(14), LINKTYPE_RAW);
    expect(kinds(bogus)).toEqual(['undecoded']);
    expect(bogus.errors[0]?.message).toBe('not an IP packet: version 5');
  });
});

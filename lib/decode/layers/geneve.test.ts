import { describe, expect, it } from 'vitest';
import { looksLikeGeneve } from '../../protocols/recognise';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[UDP[Geneve + 1 option[Ethernet[IPv4[ICMP]]]]]]
const GENEVE_ETH = `
  020000000002 020000000001 0800
  45000056 02010000 4011f742 c0a80001 c0a80002       # IPv4, UDP
  c350 17c1 0042 0000                                # UDP 50000 > 6081
  02 40 6558 123456 00                               # Ver 0, Opt Len 2, C; Ethernet; VNI 0x123456
  0102 80 01 deadbeef                                # option class 0x0102, type 0x80 (critical), 4 bytes
  0a0000000002 0a0000000001 0800                     # inner Ethernet
  4500001c 01014000 400125dc 0a010001 0a010002       # inner IPv4
  0800f7b6 00420007                                  # ICMP echo
`;

// Ethernet[IPv4[UDP[Geneve (OAM, IPv4)[IPv4[ICMP]]]]]
const GENEVE_IPV4 = `
  020000000002 020000000001 0800
  45000040 02020000 4011f757 c0a80001 c0a80002
  c350 17c1 002c 0000
  00 80 0800 ffffff 00                               # Ver 0, Opt Len 0, O; IPv4; VNI 0xffffff
  4500001c 01014000 400125dc 0a010001 0a010002
  0800f7b6 00420007
`;

describe('Geneve (RFC 8926)', () => {
  it('decodes the header, its options and the inner Ethernet frame', () => {
    const p = decode(hex(GENEVE_ETH), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'geneve', 'ethernet', 'ipv4', 'icmp']);
    const g = layerAt(p, 'geneve');
    expect(g.offset).toBe(42);
    expect(g.headerLength).toBe(16);
    expect(g.version).toBe(0);
    expect(g.optLen).toBe(2);
    expect(g.oam).toBe(false);
    expect(g.critical).toBe(true);
    expect(g.reservedFlags).toBe(0);
    expect(g.protocolType).toBe(0x6558);
    expect(g.vni).toBe(0x123456);
    expect(g.reserved).toBe(0);
    expect(g.options).toHaveLength(1);
    const o = g.options[0]!;
    expect([o.optionClass, o.type, o.critical, o.reservedFlags, o.length]).toEqual([0x0102, 0x80, true, 0, 4]);
    expect(Array.from(o.data)).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(layerAt(p, 'ethernet', 1).dst).toBe('0a:00:00:00:00:02');
  });

  it('reads O and C apart, and the six reserved bits', () => {
    const cases: Array<[string, boolean, boolean, number]> = [
      ['80', true, false, 0],
      ['40', false, true, 0],
      ['3f', false, false, 0x3f],
      ['c1', true, true, 1],
    ];
    for (const [byte, o, c, rsv] of cases) {
      const b = hex(GENEVE_IPV4);
      b.set(hex(byte), 43);
      const g = layerAt(decode(b, 1), 'geneve');
      expect([g.oam, g.critical, g.reservedFlags], byte).toEqual([o, c, rsv]);
    }
  });

  it('follows the protocol type: 0x0800 to IPv4, with the top VNI', () => {
    const p = decode(hex(GENEVE_IPV4), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'geneve', 'ipv4', 'icmp']);
    const g = layerAt(p, 'geneve');
    expect(g.oam).toBe(true);
    expect(g.vni).toBe(0xffffff);
    expect(g.options).toEqual([]);
  });

  it('leaves an unknown protocol type as payload', () => {
    const b = hex(GENEVE_IPV4);
    b.set(hex('88cc'), 44);
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'geneve', 'payload']);
  });

  it('records an unknown version as an error', () => {
    const b = hex(GENEVE_IPV4);
    b[42] = 0x40;
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'geneve', offset: 42, message: 'Geneve version 1' }]);
  });

  it('records an option that overruns Opt Len, keeping the layer', () => {
    const b = hex(GENEVE_ETH);
    b[53] = 0x02; // option claims 8 bytes of data, Opt Len leaves room for 4
    const p = decode(b, 1);
    expect(kinds(p)).toContain('geneve');
    expect(p.errors).toEqual([{ layer: 'geneve', offset: 53, message: 'Geneve option of 8 bytes overruns Opt Len' }]);
  });

  it('records options that overrun the UDP payload', () => {
    const b = hex(GENEVE_IPV4);
    b[42] = 0x3f; // Opt Len 63 words = 252 bytes
    const p = decode(b, 1);
    expect(p.errors[0]?.message).toBe('Geneve options of 252 bytes overrun the UDP payload');
    // The same header cut by the capture is only truncated.
    const q = decode(b.subarray(0, 60), 1);
    expect(q.errors).toEqual([]);
    expect(q.truncated).toBe(true);
  });

  it('recognises Geneve on an odd port from its bytes', () => {
    const b = hex(GENEVE_ETH);
    b.set(hex('1f90'), 36); // UDP destination 8080
    expect(looksLikeGeneve(b, 42, b.length - 42)).toBe(true);
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'geneve', 'ethernet', 'ipv4', 'icmp']);
    b[45] = 0x00; // protocol type 0x6500: not one we know, so not Geneve
    expect(looksLikeGeneve(b, 42, b.length - 42)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv6[ICMPv6 packet too big[IPv6[UDP]]]]
const PACKET_TOO_BIG = `
  020000000002 020000000001 86dd
  60000000 0038 3a 40 20010db80000000000000000000000fe 20010db8000000000000000000000001
  02 00 0000 000005dc                                # packet too big, MTU 1500
  60000000 05ac 11 40 20010db8000000000000000000000001 20010db8000100000000000000000001
  9c40 12b5 05ac 0000                                # quoted UDP 40000 > 4789
`;

// Ethernet[IPv6[ICMPv6 neighbour solicitation]]
const NEIGHBOR_SOLICITATION = `
  333300000002 020000000001 86dd
  60000000 0020 3a ff fe800000000000000000000000000001 ff0200000000000000000001ff000002
  87 00 0000 00000000                                # NS
  fe800000000000000000000000000002                   # target fe80::2
  01 01 020000000001                                 # source link-layer address
`;

// Ethernet[IPv6[ICMPv6 neighbour advertisement]]
const NEIGHBOR_ADVERTISEMENT = `
  020000000002 020000000001 86dd
  60000000 0020 3a ff fe800000000000000000000000000002 fe800000000000000000000000000001
  88 00 0000 60000000                                # NA, S and O set
  fe800000000000000000000000000002
  02 01 020000000002                                 # target link-layer address
`;

// Ethernet[IPv6[ICMPv6 router advertisement]]
const ROUTER_ADVERTISEMENT = `
  333300000001 020000000001 86dd
  60000000 0040 3a ff fe800000000000000000000000000001 ff020000000000000000000000000001
  86 00 0000 40 80 0708 00000000 00000000            # RA: hop limit 64, M, lifetime 1800
  01 01 020000000001                                 # source link-layer address
  05 01 0000 000005dc                                # MTU 1500
  03 04 40 c0 00278d00 00093a80 00000000             # prefix /64, L A, valid 30d, preferred 7d
  20010db8000100000000000000000000                   # 2001:db8:1::
`;

// Ethernet[IPv6[ICMPv6 router solicitation with a zero-length option]]
const RS_ZERO_OPTION = `
  020000000002 020000000001 86dd
  60000000 0010 3a ff fe800000000000000000000000000001 ff020000000000000000000000000002
  85 00 0000 00000000
  01 00 020000000001                                 # option length 0
`;

describe('ICMPv6 (RFC 4443, RFC 4861)', () => {
  it('decodes echo', () => {
    const b = hex(`
      020000000002 020000000001 86dd
      60000000 000c 3a 40 20010db8000000000000000000000001 20010db8000000000000000000000002
      81 00 0000 abcd 0007 01020304                  # echo reply, id 0xabcd, seq 7
    `);
    const p = decode(b, LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'icmpv6', 'payload']);
    const i = layerAt(p, 'icmpv6');
    expect([i.type, i.code, i.identifier, i.sequence]).toEqual([129, 0, 0xabcd, 7]);
    expect(i.headerLength).toBe(8);
  });

  it('decodes packet too big: MTU, then the quoted packet as nested layers', () => {
    const p = decode(hex(PACKET_TOO_BIG), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'icmpv6', 'ipv6', 'udp']);
    const i = layerAt(p, 'icmpv6');
    expect(i.type).toBe(2);
    expect(i.mtu).toBe(1500);
    expect(i.isError).toBe(true);
    const q = layerAt(p, 'ipv6', 1);
    expect(q.quoted).toBe(true);
    expect(q.dst).toBe('2001:db8:1::1');
    expect(layerAt(p, 'udp').dstPort).toBe(4789);
    expect(p.truncated).toBe(false);
  });

  it('decodes destination unreachable and time exceeded as errors too', () => {
    for (const type of ['01', '03', '04']) {
      const b = hex(PACKET_TOO_BIG);
      b.set(hex(type), 54);
      b.set(hex('00000000'), 58);
      const p = decode(b, 1);
      expect(kinds(p), type).toEqual(['ethernet', 'ipv6', 'icmpv6', 'ipv6', 'udp']);
    }
  });

  it('decodes a neighbour solicitation with its target and link-layer address option', () => {
    const p = decode(hex(NEIGHBOR_SOLICITATION), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'icmpv6']);
    const i = layerAt(p, 'icmpv6');
    expect(i.type).toBe(135);
    expect(i.headerLength).toBe(32);
    expect(i.targetAddress).toBe('fe80::2');
    expect(i.options.map((o) => [o.type, o.length, o.linkLayerAddress])).toEqual([[1, 8, '02:00:00:00:00:01']]);
  });

  it('reads the R, S and O bits of a neighbour advertisement one by one', () => {
    const p = decode(hex(NEIGHBOR_ADVERTISEMENT), 1);
    const i = layerAt(p, 'icmpv6');
    expect([i.router, i.solicited, i.override]).toEqual([false, true, true]);
    expect(i.options[0]?.linkLayerAddress).toBe('02:00:00:00:00:02');
    for (const [byte, r, s, o] of [['80', true, false, false], ['40', false, true, false], ['20', false, false, true]] as const) {
      const b = hex(NEIGHBOR_ADVERTISEMENT);
      b.set(hex(byte), 58);
      const na = layerAt(decode(b, 1), 'icmpv6');
      expect([na.router, na.solicited, na.override], byte).toEqual([r, s, o]);
    }
  });

  it('decodes a router advertisement and its options', () => {
    const i = layerAt(decode(hex(ROUTER_ADVERTISEMENT), 1), 'icmpv6');
    expect(i.type).toBe(134);
    expect([i.curHopLimit, i.managed, i.otherConfig, i.routerLifetime, i.reachableTime, i.retransTimer]).toEqual([64, true, false, 1800, 0, 0]);
    expect(i.options.map((o) => o.type)).toEqual([1, 5, 3]);
    expect(i.options[1]?.mtu).toBe(1500);
    expect(i.options[2]?.prefixInfo).toEqual({
      prefixLength: 64,
      onLink: true,
      autonomous: true,
      validLifetime: 2592000,
      preferredLifetime: 604800,
      prefix: '2001:db8:1::',
    });
  });

  it('records a zero-length option (RFC 4861 §4.6) and keeps the layer', () => {
    const p = decode(hex(RS_ZERO_OPTION), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'icmpv6']);
    expect(layerAt(p, 'icmpv6').type).toBe(133);
    expect(p.errors).toEqual([{ layer: 'icmpv6', offset: 63, message: 'Neighbor Discovery option 1 with length 0' }]);
  });

  it('is truncated inside a neighbour solicitation\'s fixed part', () => {
    const p = decode(hex(NEIGHBOR_SOLICITATION).subarray(0, 70), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv6', 'undecoded']);
    expect(p.truncated).toBe(true);
  });
});

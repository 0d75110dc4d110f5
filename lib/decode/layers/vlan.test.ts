import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[VLAN[IPv4[UDP[payload]]]]
const DOT1Q = `
  020000000002 020000000001 8100                     # Ethernet, TPID 802.1Q
  b123 0800                                          # PCP 5, DEI 1, VID 0x123; IPv4
  45000020 00024000 401126c9 0a000001 0a000002       # IPv4, UDP
  04d2 0035 000c 0000 deadbeef                       # UDP 1234 > 53
`;

// Ethernet[VLAN (S-tag)[VLAN (C-tag)[IPv4[UDP[payload]]]]]: 802.1ad QinQ
const QINQ = `
  020000000002 020000000001 88a8                     # Ethernet, TPID 802.1ad
  0064 8100                                          # S-tag VID 100, then 802.1Q
  00c8 0800                                          # C-tag VID 200, then IPv4
  45000020 00034000 401126c8 0a000001 0a000002
  04d2 0035 000c 0000 deadbeef
`;

describe('VLAN tags (802.1Q, 802.1ad)', () => {
  it('splits the TCI bit by bit', () => {
    const p = decode(hex(DOT1Q), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'vlan', 'ipv4', 'udp', 'payload']);
    const v = layerAt(p, 'vlan');
    expect(v.offset).toBe(14);
    expect(v.headerLength).toBe(4);
    expect(v.tpid).toBe(0x8100);
    expect(v.priority).toBe(5);
    expect(v.dropEligible).toBe(true);
    expect(v.id).toBe(0x123);
    expect(v.etherType).toBe(0x0800);
    expect(layerAt(p, 'ethernet').etherType).toBe(0x8100);
  });

  it('keeps PCP, DEI and VID apart at their boundaries', () => {
    const cases: Array<[string, number, boolean, number]> = [
      ['0000', 0, false, 0],
      ['0fff', 0, false, 4095],
      ['1000', 0, true, 0],
      ['e000', 7, false, 0],
      ['2001', 1, false, 1],
      ['ffff', 7, true, 4095],
    ];
    for (const [tci, pcp, dei, vid] of cases) {
      const b = hex(DOT1Q);
      b.set(hex(tci), 14);
      const v = layerAt(decode(b, 1), 'vlan');
      expect([v.priority, v.dropEligible, v.id], tci).toEqual([pcp, dei, vid]);
    }
  });

  it('decodes QinQ as two VLAN layers, outer first', () => {
    const p = decode(hex(QINQ), 1);
    expect(kinds(p)).toEqual(['ethernet', 'vlan', 'vlan', 'ipv4', 'udp', 'payload']);
    const s = layerAt(p, 'vlan', 0);
    const c = layerAt(p, 'vlan', 1);
    expect([s.tpid, s.id, s.etherType]).toEqual([0x88a8, 100, 0x8100]);
    expect([c.tpid, c.id, c.etherType]).toEqual([0x8100, 200, 0x0800]);
    expect(c.offset).toBe(18);
  });

  it('is truncated when the capture ends inside the tag', () => {
    const p = decode(hex(DOT1Q).subarray(0, 16), 1);
    expect(kinds(p)).toEqual(['ethernet', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('vlan');
  });
});

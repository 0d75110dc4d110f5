import { describe, expect, it } from 'vitest';
import { LINKTYPE_LINUX_SLL2 } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// SLL2[IPv6[ICMPv6]]: cooked v2, with the interface index
const SLL2_IPV6 = `
  86dd 0000 00000007 0001 00 06 020000000001 0000    # IPv6, ifindex 7, ARPHRD_ETHER, to us, 6-byte address
  60000000 0008 3a 40                                # IPv6, payload 8, ICMPv6, hop limit 64
  20010db8000000000000000000000001                   # 2001:db8::1
  20010db8000000000000000000000002                   # 2001:db8::2
  8000 0000 abcd 0007                                # ICMPv6 echo request id 0xabcd seq 7
`;

describe('Linux cooked capture v2 (SLL2)', () => {
  it('decodes protocol, interface index, ARPHRD type, packet type and address', () => {
    const p = decode(hex(SLL2_IPV6), LINKTYPE_LINUX_SLL2);
    expect(kinds(p)).toEqual(['sll2', 'ipv6', 'icmpv6']);
    const s = layerAt(p, 'sll2');
    expect(s.headerLength).toBe(20);
    expect(s.protocol).toBe(0x86dd);
    expect(s.reserved).toBe(0);
    expect(s.interfaceIndex).toBe(7);
    expect(s.arphrdType).toBe(1);
    expect(s.packetType).toBe(0);
    expect(s.addressLength).toBe(6);
    expect(s.address).toBe('02:00:00:00:00:01');
  });

  it('reads the interface index as an unsigned 32-bit number', () => {
    const b = hex(SLL2_IPV6);
    b.set(hex('ffffffff'), 4);
    expect(layerAt(decode(b, LINKTYPE_LINUX_SLL2), 'sll2').interfaceIndex).toBe(0xffffffff);
  });

  it('is truncated inside the 20-byte header', () => {
    const p = decode(hex(SLL2_IPV6).subarray(0, 19), LINKTYPE_LINUX_SLL2);
    expect(kinds(p)).toEqual(['undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('sll2');
  });
});

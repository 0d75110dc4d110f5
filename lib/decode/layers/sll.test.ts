import { describe, expect, it } from 'vitest';
import { LINKTYPE_LINUX_SLL } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';
import { SLL_PKTTYPE_OUTGOING } from './sll';

// SLL[IPv4[UDP[payload]]]: what `tcpdump -i any` writes (cooked v1)
const SLL_IPV4 = `
  0004 0001 0006 020000000001 0000 0800              # outgoing, ARPHRD_ETHER, 6-byte address, IPv4
  45000020 00044000 401126c7 0a000001 0a000002       # IPv4, UDP
  04d2 0035 000c 0000 deadbeef
`;

describe('Linux cooked capture v1 (SLL)', () => {
  it('decodes packet type, ARPHRD type, address and protocol', () => {
    const p = decode(hex(SLL_IPV4), LINKTYPE_LINUX_SLL);
    expect(kinds(p)).toEqual(['sll', 'ipv4', 'udp', 'payload']);
    const s = layerAt(p, 'sll');
    expect(s.headerLength).toBe(16);
    expect(s.packetType).toBe(SLL_PKTTYPE_OUTGOING);
    expect(s.arphrdType).toBe(1);
    expect(s.addressLength).toBe(6);
    expect(s.address).toBe('02:00:00:00:00:01');
    expect(s.protocol).toBe(0x0800);
  });

  it('shows at most the 8 address bytes there is room for', () => {
    const b = hex(SLL_IPV4);
    b.set(hex('0010'), 4); // claims 16
    const s = layerAt(decode(b, LINKTYPE_LINUX_SLL), 'sll');
    expect(s.addressLength).toBe(16);
    expect(s.address).toBe('02:00:00:00:00:01:00:00');
  });

  it('does not read a netlink family as an EtherType', () => {
    const b = hex(SLL_IPV4);
    b.set(hex('0338'), 2); // ARPHRD_NETLINK
    expect(kinds(decode(b, LINKTYPE_LINUX_SLL))).toEqual(['sll', 'payload']);
  });

  it('is truncated inside the 16-byte header', () => {
    const p = decode(hex(SLL_IPV4).subarray(0, 15), LINKTYPE_LINUX_SLL);
    expect(kinds(p)).toEqual(['undecoded']);
    expect(p.truncated).toBe(true);
  });
});

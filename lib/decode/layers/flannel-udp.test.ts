import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { FLANNEL_UDP } from '../../protocols/overlays';

const UDP_PORT_FLANNEL_UDP = FLANNEL_UDP.udpPorts[0];
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[UDP 8285>8285[flannel-udp[IPv4[ICMP[payload]]]]]]: a 64-byte ping is "UDP, length 84"
const FLANNEL_8285 = `
  020000000002 020000000001 0800
  45000070 04010000 4011f460 c0a80065 c0a80066       # node 192.168.0.101 > .102
  205d 205d 005c 0000                                # UDP 8285 > 8285, length 92
  45000054 7d2c4000 3f010e56 ac111202 ac114602       # pod 172.17.18.2 > 172.17.70.2, DF, TTL 63
  0800ecf1 0b0b0003                                  # ICMP echo
  0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
`;

describe('flannel UDP backend (port 8285)', () => {
  it('decodes a zero-length flannel layer, then the raw IPv4 packet', () => {
    const p = decode(hex(FLANNEL_8285), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'flannel-udp', 'ipv4', 'icmp', 'payload']);
    expect(layerAt(p, 'udp').dstPort).toBe(UDP_PORT_FLANNEL_UDP);
    const f = layerAt(p, 'flannel-udp');
    expect(f.offset).toBe(42);
    expect(f.headerLength).toBe(0);
    expect(f.header.length).toBe(0);
    expect(f.payload.length).toBe(84);
    const inner = layerAt(p, 'ipv4', 1);
    expect(inner.offset).toBe(42);
    expect([inner.src, inner.dst, inner.ttl, inner.dontFragment]).toEqual(['172.17.18.2', '172.17.70.2', 63, true]);
  });

  it('picks IPv6 by the version nibble', () => {
    const b = hex(`
      020000000002 020000000001 0800
      45000048 04010000 4011f488 c0a80065 c0a80066
      205d 205d 0034 0000
      60000000 0004 3b 40 fd000000000000000000000000000001 fd000000000000000000000000000002
      01020304                                       # no next header: 4 bytes of nothing
    `);
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'flannel-udp', 'ipv6', 'payload']);
  });

  it('records non-IP bytes on port 8285 as an error', () => {
    const b = hex(FLANNEL_8285);
    b[42] = 0x25;
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'flannel-udp', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'ipv4', offset: 42, message: 'not an IP packet: version 2' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { decodePacket } from '../decode/decode-packet';
import { hex } from '../testing/hex';
import { layerLines, packetInfo, tcpFlagsText } from './packet-text';

describe('packet texts', () => {
  it('the info column from the index fields', () => {
    expect(packetInfo({ proto: 1, sport: 18433, dport: 8 << 8, seq: 2, ack: 0, tcpFlags: 0, ipLen: 84 })).toBe('echo request id=18433 seq=2');
    expect(packetInfo({ proto: 1, sport: 0, dport: (3 << 8) | 4, seq: 0, ack: 0, tcpFlags: 0, ipLen: 576 })).toBe('destination unreachable (code 4)');
    expect(packetInfo({ proto: 6, sport: 1, dport: 2, seq: 3998767408, ack: 0, tcpFlags: 0x02, ipLen: 60 })).toBe('[SYN] seq=3998767408');
    expect(packetInfo({ proto: 6, sport: 1, dport: 2, seq: 1, ack: 9, tcpFlags: 0x14, ipLen: 40 })).toBe('[ACK, RST] seq=1 ack=9');
    expect(packetInfo({ proto: 17, sport: 40053, dport: 53, seq: 0, ack: 0, tcpFlags: 0, ipLen: 60 })).toBe('40053 → 53');
    expect(packetInfo({ proto: 58, sport: 7, dport: 128 << 8, seq: 1, ack: 0, tcpFlags: 0, ipLen: 104 })).toBe('echo request id=7 seq=1');
    expect(tcpFlagsText(0)).toBe('none');
  });

  it('one line per layer, outer to inner', () => {
    // Ethernet[IPv4[UDP 4789[VXLAN vni 42[Ethernet[IPv4[ICMP echo request]]]]]]
    const icmp = '020000000002 020000000001 0800 4500001c00010000400 1f98d0a0000010a000002 0800f7fe00010000'.replace(/\s/g, '');
    const bytes = hex(`020000000012 020000000011 0800
      4500004e000200004011 0000 c0a80101 c0a80102
      c00012b5003a0000
      0800000000002a00 ${icmp}`);
    const lines = layerLines(decodePacket(bytes, 1).layers);
    expect(lines[0]).toBe('Ethernet 02:00:00:00:00:11 → 02:00:00:00:00:12');
    expect(lines[1]).toMatch(/^IPv4 192\.168\.1\.1 → 192\.168\.1\.2, ttl 64, id 0x0002, len 78$/);
    expect(lines[2]).toBe('UDP 49152 → 4789, len 58');
    expect(lines[3]).toBe('VXLAN VNI 42');
    expect(lines[6]).toBe('ICMP echo request id=1 seq=0');
  });
});

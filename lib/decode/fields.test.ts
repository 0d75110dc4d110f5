import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket } from './decode-packet';
import { TSHARK_FIELDS, fieldsRow, formatEpoch, normalizeTsharkProtocols, protocolChain, type FrameInfo, type TsharkField } from './fields';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from '../protocols/numbers';
import { haveCorpus } from '../testing/corpus';
import { CORPUS_DIR, hex } from '../testing/decode';

function frame(len: number, over: Partial<FrameInfo> = {}): FrameInfo {
  return { frameNumber: 1, hasTimestamp: true, tsSec: 1700000000, tsNsec: 5, origLen: len, capLen: len, ...over };
}

/** fieldsRow as a field → value map, for readable assertions. */
function row(bytes: Uint8Array, linkType: number, over: Partial<FrameInfo> = {}): Record<TsharkField, string> {
  const values = fieldsRow(frame(bytes.length, over), decodePacket(bytes, linkType));
  return Object.fromEntries(TSHARK_FIELDS.map((f, i) => [f, values[i] ?? ''])) as Record<TsharkField, string>;
}

// Ethernet[IPv4[UDP[VXLAN[Ethernet[IPv4[ICMP]]]]]]
const VXLAN = hex(`
  020000000002 020000000001 0800
  45000052 abcd0000 40114d7a c0a80001 c0a80002
  9c40 12b5 003e 0000 08000000 00000100
  0a580af40203 0a580af40102 0800
  45000020 00014000 400121f0 0af40102 0af40203
  0800 2104 1234 0001 61626364
`);

// Ethernet[IPv4[ICMP frag-needed[IPv4[UDP]]]]
const FRAG_NEEDED = hex(`
  020000000002 020000000001 0800
  45000038 00080000 ff01a6be 0a0000fe 0a000001
  0304 5514 0000 05aa
  450005dc 42424000 4011ddcd 0a000001 0a000101
  9c40 0035 05c8 0000
`);

// Ethernet[IPv4[UDP 8285[flannel-udp[IPv4[ICMP]]]]]
const FLANNEL = hex(`
  020000000002 020000000001 0800
  45000038 04020000 4011f497 c0a80066 c0a80065
  205d 205d 0024 0000
  4500001c 11110000 3f01baa9 ac114602 ac111202
  0000f4f1 0b0b0003
`);

// Ethernet[IPv4[UDP[Geneve[Ethernet[IPv4[ICMP]]]]]]
const GENEVE = hex(`
  020000000002 020000000001 0800
  45000056 02010000 4011f742 c0a80001 c0a80002
  c350 17c1 0042 0000
  02406558 12345600 01028001 deadbeef
  0a0000000002 0a0000000001 0800
  4500001c 01014000 400125dc 0a010001 0a010002
  0800f7b6 00420007
`);

// Raw[IPv4[TCP SYN-ACK]]
const TCP_RAW = hex(`
  45000028 00014000 4006 0000 c0a80002 c0a80001
  0050 0050 00000032 0000006f 5012 2000 0000 0000
`);

// SLL2[IPv6[ICMPv6]]
const SLL2 = hex(`
  86dd 0000 00000003 0001 04 06 020000000001 0000
  60000000 0008 3a 40 fe80000000000000123456fffe789abc fe80000000000000123456fffe789abd
  8100 0000 0008 0001
`);

describe('fieldsRow: tshark\'s formats', () => {
  it('has 35 columns, frame.number first', () => {
    expect(TSHARK_FIELDS[0]).toBe('frame.number');
    expect(TSHARK_FIELDS).toHaveLength(35);
  });

  it.skipIf(!haveCorpus('the TSHARK_FIELDS-vs-make-oracle.sh test'))('has the columns of make-oracle.sh, in order', () => {
    const body = /fields=\(([^)]*)\)/.exec(readFileSync(join(CORPUS_DIR, 'make-oracle.sh'), 'utf8'))?.[1] ?? '';
    expect(body.split(/\s+/).filter(Boolean)).toEqual([...TSHARK_FIELDS]);
  });

  it('joins outer and inner values with commas, outermost first', () => {
    const r = row(VXLAN, LINKTYPE_ETHERNET);
    expect(r['eth.src']).toBe('02:00:00:00:00:01,0a:58:0a:f4:01:02');
    expect(r['eth.type']).toBe('0x0800,0x0800');
    expect(r['ip.src']).toBe('192.168.0.1,10.244.1.2');
    expect(r['ip.id']).toBe('0xabcd,0x0001');
    expect(r['ip.flags.df']).toBe('0,1');
    expect(r['ip.len']).toBe('82,32');
    expect(r['ip.proto']).toBe('17,1');
    expect(r['udp.srcport']).toBe('40000');
    expect(r['vxlan.vni']).toBe('1');
    expect(r['geneve.vni']).toBe('');
    expect(r['icmp.type']).toBe('8');
    expect(r['icmp.ident']).toBe('4660');
    expect(r['icmp.seq']).toBe('1');
    expect(r['frame.protocols']).toBe('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data');
  });

  it('counts the datagram quoted in an ICMP error as inner', () => {
    const r = row(FRAG_NEEDED, LINKTYPE_ETHERNET);
    expect(r['ip.src']).toBe('10.0.0.254,10.0.0.1');
    expect(r['ip.len']).toBe('56,1500');
    expect(r['ip.flags.df']).toBe('0,1');
    expect(r['udp.dstport']).toBe('53');
    expect(r['icmp.type']).toBe('3');
    expect(r['icmp.code']).toBe('4');
    expect(r['icmp.ident']).toBe('');
    expect(r['frame.protocols']).toBe('eth:ethertype:ip:icmp:ip:udp');
  });

  it('puts values tshark cannot see (flannel\'s UDP backend) after tshark\'s own', () => {
    const b = FLANNEL.slice();
    b.set(hex('205d 205d'), 34);
    const r = row(b, LINKTYPE_ETHERNET);
    expect(r['ip.src']).toBe('192.168.0.102,172.17.70.2');
    expect(r['icmp.type']).toBe('0');
    expect(r['frame.protocols']).toBe('eth:ethertype:ip:udp:flannel-udp:ip:icmp');
  });

  it('prints geneve.vni as 0x%06x, tcp.flags and ip.id as 0x%04x', () => {
    expect(row(GENEVE, LINKTYPE_ETHERNET)['geneve.vni']).toBe('0x123456');
    const r = row(TCP_RAW, LINKTYPE_RAW);
    expect(r['tcp.flags']).toBe('0x0012');
    expect(r['tcp.seq_raw']).toBe('50');
    expect(r['tcp.ack_raw']).toBe('111');
    expect(r['ip.id']).toBe('0x0001');
    expect(r['eth.src']).toBe('');
    expect(r['frame.protocols']).toBe('raw:ip:tcp');
  });

  it('prints IPv6 compressed and the SLL2 packet type and interface index', () => {
    const r = row(SLL2, LINKTYPE_LINUX_SLL2);
    expect(r['ipv6.src']).toBe('fe80::1234:56ff:fe78:9abc');
    expect(r['ipv6.nxt']).toBe('58');
    expect(r['sll.pkttype']).toBe('4');
    expect(r['sll.ifindex']).toBe('3');
    expect(r['icmpv6.type']).toBe('129');
    expect(r['frame.protocols']).toBe('sll:ethertype:ipv6:icmpv6');
  });

  it('prints frame columns: number, epoch with nine decimals, lengths', () => {
    const r = row(VXLAN, LINKTYPE_ETHERNET, { frameNumber: 7, tsSec: 1467818432, tsNsec: 675392000, origLen: 200 });
    expect(r['frame.number']).toBe('7');
    expect(r['frame.time_epoch']).toBe('1467818432.675392000');
    expect(r['frame.len']).toBe('200');
    expect(r['frame.cap_len']).toBe(String(VXLAN.length));
  });

  it('leaves frame.time_epoch empty for a packet without a timestamp (pcapng SPB)', () => {
    expect(row(VXLAN, LINKTYPE_ETHERNET, { hasTimestamp: false })['frame.time_epoch']).toBe('');
  });

  it('formats epochs before 1970 and at zero', () => {
    expect(formatEpoch(0, 0)).toBe('0.000000000');
    expect(formatEpoch(1340954, 905298858)).toBe('1340954.905298858');
    expect(formatEpoch(-2, 300000000)).toBe('-1.700000000');
    expect(formatEpoch(-1, 500000000)).toBe('-0.500000000');
    expect(formatEpoch(-1, 0)).toBe('-1.000000000');
  });

  it('shows only the fields a cut TCP header holds', () => {
    const b = TCP_RAW.subarray(0, 30); // 10 bytes of TCP: ports, seq, half the ack
    const r = row(b, LINKTYPE_RAW);
    expect([r['tcp.srcport'], r['tcp.seq_raw'], r['tcp.ack_raw'], r['tcp.flags']]).toEqual(['80', '50', '', '']);
  });

  it('shows no Ethernet fields for a header cut short, but names it, as tshark does', () => {
    const r = row(VXLAN.subarray(0, 56), LINKTYPE_ETHERNET);
    expect(r['eth.src']).toBe('02:00:00:00:00:01');
    expect(r['vxlan.vni']).toBe('1');
    expect(r['frame.protocols']).toBe('eth:ethertype:ip:udp:vxlan:eth');
  });
});

describe('frame.protocols normalisation', () => {
  it('cuts tshark\'s chain at the first protocol Hopscope does not decode', () => {
    expect(normalizeTsharkProtocols('eth:ethertype:ip:udp:dhcp')).toBe('eth:ethertype:ip:udp:data');
    expect(normalizeTsharkProtocols('eth:ethertype:ip:icmp:ip:udp:dns')).toBe('eth:ethertype:ip:icmp:ip:udp:data');
    expect(normalizeTsharkProtocols('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:igmp:igmp')).toBe('eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:data');
    expect(normalizeTsharkProtocols('raw:ip:tcp')).toBe('raw:ip:tcp');
    // NSH and ERSPAN are decoded; tshark 4.0 names them so (lib/decode/layers/nsh.test.ts, erspan.test.ts).
    expect(normalizeTsharkProtocols('eth:ethertype:ip:udp:nsh:ip:icmp:data')).toBe('eth:ethertype:ip:udp:nsh:ip:icmp:data');
    expect(normalizeTsharkProtocols('eth:ethertype:ip:gre:erspan:eth:ethertype:ip:tcp')).toBe('eth:ethertype:ip:gre:erspan:eth:ethertype:ip:tcp');
    expect(normalizeTsharkProtocols('eth:ethertype:ip:udp:wg')).toBe('eth:ethertype:ip:udp:data');
  });

  it('gives an IPv4 total length of 0 as tshark does: the length on the wire', () => {
    // TSO: total length 0, 12 bytes of ICMP; tshark 4.0 says ip.len 32 ("reported as 0, presumed
    // to be because of TCP segmentation offload"), and counts what a snaplen cut off.
    const b = hex('45000000 00010000 40010000 0a000001 0a000002 0800f7fe 00010000 61626364');
    const row = (capLen: number, origLen: number) =>
      fieldsRow({ frameNumber: 1, hasTimestamp: false, tsSec: 0, tsNsec: 0, origLen, capLen }, decodePacket(b.subarray(0, capLen), LINKTYPE_RAW));
    const col = TSHARK_FIELDS.indexOf('ip.len');
    expect(row(32, 32)[col]).toBe('32');
    expect(row(24, 32)[col]).toBe('32');
    expect(row(24, 1500)[col]).toBe('1500');
  });

  it('names IPv6 extension headers as Wireshark does', () => {
    const b = hex(`
      60000000 001c 00 ff fe800000000000000000000000000001 ff0200000000000000000001ff000002
      2c00 0104 00000000 1100 0001 0000abcd
      1388 1770 000c 0000 deadbeef
    `);
    expect(protocolChain(decodePacket(b, LINKTYPE_RAW))).toBe('raw:ipv6:ipv6.hopopts:ipv6.fraghdr:udp:data');
  });
});

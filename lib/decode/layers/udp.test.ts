import { describe, expect, it } from 'vitest';
import { looksLikeFlannelUdp, looksLikeGeneve, looksLikeVxlan } from '../../protocols/recognise';
import { udpPayloadLayer } from '../heuristics';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[VLAN[IPv4[UDP[payload]]]]
const UDP_DNS_PORT = `
  020000000002 020000000001 8100                     # Ethernet, 802.1Q
  b123 0800                                          # VLAN 0x123, IPv4
  45000020 00024000 401126c9 0a000001 0a000002       # IPv4 10.0.0.1 > 10.0.0.2, UDP
  04d2 0035 000c 0000                                # UDP 1234 > 53, length 12
  deadbeef                                           # payload
`;

// Ethernet[IPv4[UDP 40000>9999[VXLAN[Ethernet[IPv4[ICMP]]]]]]: VXLAN on a port no table names
const VXLAN_9999 = `
  020000000002 020000000001 0800
  4500004e 05010000 4011f44a c0a80001 c0a80002       # IPv4, UDP
  9c40 270f 003a 0000                                # UDP 40000 > 9999
  08000000 00000100                                  # VXLAN VNI 1
  0a0000000002 0a0000000001 0800                     # inner Ethernet
  4500001c 01014000 400125dc 0a010001 0a010002       # inner IPv4 10.1.0.1 > 10.1.0.2
  0800f7b6 00420007                                  # ICMP echo id 0x42 seq 7
`;

// Ethernet[IPv4[UDP 9000>9000[flannel-udp[IPv4[ICMP]]]]]: flannel's UDP backend on another port
const FLANNEL_9000 = `
  020000000002 020000000001 0800
  45000038 04020000 4011f497 c0a80066 c0a80065       # IPv4 192.168.0.102 > .101, UDP
  2328 2328 0024 0000                                # UDP 9000 > 9000, length 36
  4500001c 11110000 3f01baa9 ac114602 ac111202       # raw IPv4 172.17.70.2 > 172.17.18.2
  0000f4f1 0b0b0003                                  # ICMP echo reply
`;

// Ethernet[IPv4[UDP 40000>53[DNS]]]: a query whose ID 0x0800 starts like VXLAN flags
const DNS_QUERY = `
  020000000002 020000000001 0800
  4500003d 05020000 4011f45a c0a80001 c0a80002
  9c40 0035 0029 0000                                # UDP 40000 > 53
  0800 0100 0001 0000 0000 0000                      # DNS id 0x0800, RD, 1 question
  03777777 076578616d706c65 03636f6d 00 0001 0001    # www.example.com A IN
`;

describe('UDP (RFC 768)', () => {
  it('decodes ports, length and checksum', () => {
    const p = decode(hex(UDP_DNS_PORT), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'vlan', 'ipv4', 'udp', 'payload']);
    const u = layerAt(p, 'udp');
    expect(u.offset).toBe(38);
    expect(u.headerLength).toBe(8);
    expect(u.srcPort).toBe(1234);
    expect(u.dstPort).toBe(53);
    expect(u.length).toBe(12);
    expect(u.checksum).toBe(0);
    expect(u.truncated).toBe(false);
    expect(Array.from(layerAt(p, 'payload').payload)).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('bounds the payload by its length; the rest is its trailer', () => {
    const b = hex(UDP_DNS_PORT);
    b.set(hex('000a'), 42); // UDP length 10: two payload bytes, two left over
    const p = decode(b, 1);
    const u = layerAt(p, 'udp');
    expect(u.payload.length).toBe(2);
    expect(u.trailer.length).toBe(2);
    expect(p.errors).toEqual([]);
  });

  it('records a length below 8 as an error and keeps the layers before it', () => {
    const b = hex(UDP_DNS_PORT);
    b.set(hex('0004'), 42);
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'vlan', 'ipv4', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'udp', offset: 42, message: 'UDP length 4 < 8' }]);
    expect(layerAt(p, 'undecoded').reason).toBe('malformed');
    expect(p.truncated).toBe(false);
  });

  it('marks a length past the capture as truncated, not malformed', () => {
    const b = hex(UDP_DNS_PORT);
    b.set(hex('0114'), 20); // IPv4 total length 276: the capture holds 32
    b.set(hex('0100'), 42); // UDP length 256
    const p = decode(b, 1);
    expect(p.errors).toEqual([]);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'udp').truncated).toBe(true);
    expect(layerAt(p, 'udp').payload.length).toBe(4);
  });

  it('records a length past what IPv4 declares as an error, keeping the layer', () => {
    const b = hex(UDP_DNS_PORT);
    b.set(hex('0100'), 42); // UDP length 256 inside an IPv4 total length of 32
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'vlan', 'ipv4', 'udp', 'payload']);
    expect(p.errors).toEqual([{ layer: 'udp', offset: 42, message: 'UDP length 256 exceeds the 12 bytes its enclosing layer declares' }]);
    expect(p.truncated).toBe(false);
    expect(layerAt(p, 'udp').payload.length).toBe(4);
  });

  it('is "truncated" when the capture ends inside the UDP header', () => {
    const p = decode(hex(UDP_DNS_PORT).subarray(0, 42), 1);
    expect(kinds(p)).toEqual(['ethernet', 'vlan', 'ipv4', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('udp');
  });
});

describe('UDP payload: ports are hints', () => {
  it('recognises VXLAN on an odd port from its bytes', () => {
    const p = decode(hex(VXLAN_9999), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp']);
    expect(layerAt(p, 'vxlan').vni).toBe(1);
  });

  it('recognises flannel-in-UDP on an odd port from its bytes', () => {
    const p = decode(hex(FLANNEL_9000), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'flannel-udp', 'ipv4', 'icmp']);
    expect(layerAt(p, 'ipv4', 1).src).toBe('172.17.70.2');
  });

  it('does not take a DNS query for an overlay, even one whose first byte is 0x08', () => {
    const b = hex(DNS_QUERY);
    expect(looksLikeVxlan(b, 42, b.length - 42)).toBe(false);
    expect(looksLikeGeneve(b, 42, b.length - 42)).toBe(false);
    expect(looksLikeFlannelUdp(b, 42, b.length - 42)).toBe(false);
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'payload']);
  });

  it('does not take flannel-like bytes whose IPv4 checksum is wrong', () => {
    const b = hex(FLANNEL_9000);
    b[52] = 0x00; // inner header checksum 0xbaa9 → 0x00a9
    expect(looksLikeFlannelUdp(b, 42, 28)).toBe(false);
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'payload']);
  });

  it('does not take flannel-like bytes whose total length is not the UDP payload length', () => {
    const b = hex(FLANNEL_9000);
    expect(looksLikeFlannelUdp(b, 42, 27)).toBe(false);
    expect(looksLikeFlannelUdp(b, 42, 28)).toBe(true);
  });

  it('does not take VXLAN-like bytes whose inner frame carries an unknown EtherType', () => {
    const b = hex(VXLAN_9999);
    b.set(hex('1234'), 62);
    expect(looksLikeVxlan(b, 42, b.length - 42)).toBe(false);
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'payload']);
  });

  it('honours the user\'s port mapping first ("Decode As")', () => {
    // The DNS bytes are not VXLAN, but the user said port 53 is: decode them as such.
    const p = decode(hex(DNS_QUERY), 1, { udpPorts: { 53: 'vxlan' } });
    expect(kinds(p).slice(0, 4)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan']);
    // A mapping beats the built-in table: 4789 as Geneve.
    expect(udpPayloadLayer(new Uint8Array(0), 0, 0, 40000, 4789, { udpPorts: { 4789: 'geneve' } })).toBe('geneve');
    // And 9999 → flannel-udp, though its bytes are VXLAN.
    const q = decode(hex(VXLAN_9999), 1, { udpPorts: { 9999: 'flannel-udp' } });
    expect(kinds(q)).toEqual(['ethernet', 'ipv4', 'udp', 'flannel-udp', 'undecoded']);
    expect(q.errors[0]?.message).toBe('not an IP packet: version 0');
  });

  it('tries the lower port first, as Wireshark does', () => {
    expect(udpPayloadLayer(new Uint8Array(0), 0, 0, 6081, 4789)).toBe('vxlan');
    expect(udpPayloadLayer(new Uint8Array(0), 0, 0, 8285, 6081)).toBe('geneve');
    expect(udpPayloadLayer(new Uint8Array(0), 0, 0, 8472, 33000)).toBe('vxlan');
  });

  it('leaves the bytes alone when heuristics are off', () => {
    expect(kinds(decode(hex(VXLAN_9999), 1, { heuristics: false }))).toEqual(['ethernet', 'ipv4', 'udp', 'payload']);
    expect(kinds(decode(hex(FLANNEL_9000), 1, { heuristics: false }))).toEqual(['ethernet', 'ipv4', 'udp', 'payload']);
  });
});

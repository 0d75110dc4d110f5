import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';

// Ethernet[IPv4[ICMP]]
const ETH_IPV4_ICMP = `
  020000000002 020000000001 0800                     # dst, src, IPv4
  45000020 00014000 4001b988 c0a80001 c0a80002       # IPv4 192.168.0.1 > .2, ICMP
  0800 2104 1234 0001 61626364                       # ICMP echo
`;

// Ethernet (802.3 length 7)[LLC]: an IEEE 802.3 frame with 5 bytes of padding
const ETH_8023 = `
  0180c2000000 020000000001 0007                     # STP multicast, length 7
  424203 00000000                                    # LLC DSAP/SSAP 0x42, UI; BPDU start
  0000000000                                         # padding
`;

describe('Ethernet', () => {
  it('decodes addresses and the EtherType', () => {
    const p = decode(hex(ETH_IPV4_ICMP), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'icmp', 'payload']);
    const e = layerAt(p, 'ethernet');
    expect(e.offset).toBe(0);
    expect(e.headerLength).toBe(14);
    expect(e.dst).toBe('02:00:00:00:00:02');
    expect(e.src).toBe('02:00:00:00:00:01');
    expect(e.typeOrLength).toBe(0x0800);
    expect(e.etherType).toBe(0x0800);
    expect(e.length).toBeUndefined();
    expect(e.payload.length).toBe(32);
  });

  it('treats a type field ≤ 1500 as an 802.3 length and stops at LLC', () => {
    const p = decode(hex(ETH_8023), 1);
    expect(kinds(p)).toEqual(['ethernet', 'payload']);
    const e = layerAt(p, 'ethernet');
    expect(e.etherType).toBeUndefined();
    expect(e.length).toBe(7);
    expect(e.payload.length).toBe(7);
    expect(e.trailer.length).toBe(5);
  });

  it('treats 1536 (0x0600) as the first EtherType and 1500 as the last length', () => {
    const b = hex(ETH_8023);
    b.set(hex('0600'), 12);
    expect(layerAt(decode(b, 1), 'ethernet').etherType).toBe(0x0600);
    b.set(hex('05dc'), 12);
    const p = decode(b, 1);
    expect(layerAt(p, 'ethernet').length).toBe(1500);
    expect(layerAt(p, 'ethernet').truncated).toBe(true);
    expect(p.truncated).toBe(true);
  });

  it('leaves an unknown EtherType as payload', () => {
    const b = hex(ETH_IPV4_ICMP);
    b.set(hex('88cc'), 12); // LLDP
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'payload']);
  });

  it('is truncated, not malformed, when the capture ends inside the header', () => {
    const p = decode(hex(ETH_IPV4_ICMP).subarray(0, 13), 1);
    expect(kinds(p)).toEqual(['undecoded']);
    expect(p.truncated).toBe(true);
    expect(p.errors).toEqual([]);
    expect(layerAt(p, 'undecoded').wanted).toBe('ethernet');
    expect(layerAt(p, 'undecoded').payload.length).toBe(13);
  });

  it('calls a zero-byte capture truncated: one empty undecoded layer, no error', () => {
    const p = decode(new Uint8Array(0), 1);
    expect(kinds(p)).toEqual(['undecoded']);
    expect(layerAt(p, 'undecoded').payload.length).toBe(0);
    expect(p.truncated).toBe(true);
    expect(p.errors).toEqual([]);
  });
});

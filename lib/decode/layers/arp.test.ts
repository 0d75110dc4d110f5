import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { decode, hex, kinds, layerAt } from '../../testing/decode';
import { ARP_OP_REQUEST } from './arp';

// Ethernet[ARP], padded to the 60-byte minimum frame
const ARP_REQUEST = `
  ffffffffffff 020000000001 0806                     # broadcast, ARP
  0001 0800 06 04 0001                               # Ethernet, IPv4, 6, 4, request
  020000000001 c0a80001                              # sender 02:00:00:00:00:01 192.168.0.1
  000000000000 c0a80002                              # target ? 192.168.0.2
  000000000000000000000000000000000000               # padding
`;

describe('ARP (RFC 826)', () => {
  it('decodes a request and leaves the padding as its trailer', () => {
    const p = decode(hex(ARP_REQUEST), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'arp']);
    const a = layerAt(p, 'arp');
    expect(a.headerLength).toBe(28);
    expect(a.payload.length).toBe(0);
    expect(a.trailer.length).toBe(18);
    expect(a.hardwareType).toBe(1);
    expect(a.protocolType).toBe(0x0800);
    expect(a.hardwareLength).toBe(6);
    expect(a.protocolLength).toBe(4);
    expect(a.opcode).toBe(ARP_OP_REQUEST);
    expect(a.senderHardwareAddress).toBe('02:00:00:00:00:01');
    expect(a.senderProtocolAddress).toBe('192.168.0.1');
    expect(a.targetHardwareAddress).toBe('00:00:00:00:00:00');
    expect(a.targetProtocolAddress).toBe('192.168.0.2');
  });

  it('decodes RARP (EtherType 0x8035) with the same layout', () => {
    const b = hex(ARP_REQUEST);
    b.set(hex('8035'), 12);
    b.set(hex('0003'), 20);
    const a = layerAt(decode(b, 1), 'arp');
    expect(a.opcode).toBe(3);
  });

  it('sizes the addresses from HLN and PLN', () => {
    const b = hex(ARP_REQUEST);
    b.set(hex('0806 0000'), 16); // protocol 0x0806, HLN 0, PLN 0: only the fixed 8 bytes
    const a = layerAt(decode(b, 1), 'arp');
    expect(a.headerLength).toBe(8);
    expect(a.senderHardwareAddress).toBe('');
  });

  it('is truncated when the addresses are cut off', () => {
    const p = decode(hex(ARP_REQUEST).subarray(0, 30), 1);
    expect(kinds(p)).toEqual(['ethernet', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('arp');
  });
});

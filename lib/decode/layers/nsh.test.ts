import { describe, expect, it } from 'vitest';
import { packetAnatomy } from '../../anatomy';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { looksLikeNsh, looksLikeVxlanGpe } from '../../protocols/recognise';
import { encapsulationIn } from '../encapsulation';
import { protocolChain } from '../fields';
import { emptyRow } from '../packet-index';
import { Summarizer } from '../summarize';
import { decode, hex, kinds, layerAt } from '../../testing/decode';
import { ETH_NSH, GPE_NSH_MD1, GPE_NSH_MD2 } from './tunnel-fixtures';

const NSH_AT = 50;

/** A fixture with bytes replaced at `at`. */
function patched(fixture: string, at: number, bytes: string): Uint8Array {
  const b = hex(fixture);
  b.set(hex(bytes), at);
  return b;
}

describe('NSH (RFC 8300)', () => {
  it('decodes MD type 1 after VXLAN-GPE Next Protocol 4, then the inner IPv4 packet', () => {
    const p = decode(hex(GPE_NSH_MD1), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'nsh', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    const n = layerAt(p, 'nsh');
    expect([n.offset, n.headerLength, n.payload.length]).toEqual([NSH_AT, 24, 32]);
    expect([n.version, n.oam, n.unassignedBit, n.ttl, n.length, n.unassigned, n.mdType, n.nextProtocol]).toEqual([0, false, false, 63, 6, 0, 1, 1]);
    expect([n.spi, n.si]).toEqual([42, 255]);
    expect(n.fixedContext).toEqual([0x11111111, 0x22222222, 0x33333333, 0x44444444]);
    expect(n.tlvs).toEqual([]);
    expect(n.context.length).toBe(16);
    expect(layerAt(p, 'ipv4', 1).src).toBe('10.244.1.2');
  });

  it('walks MD type 2 context headers, padding included, to an inner Ethernet frame', () => {
    const p = decode(hex(GPE_NSH_MD2), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'nsh', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    const n = layerAt(p, 'nsh');
    expect([n.mdType, n.nextProtocol, n.spi, n.si, n.headerLength]).toEqual([2, 3, 256, 254, 24]);
    expect(n.fixedContext).toEqual([]);
    expect(n.tlvs.map((t) => [t.metadataClass, t.type, t.unassigned, t.length, t.offset, Buffer.from(t.data).toString('hex')])).toEqual([
      [0x0101, 2, false, 5, NSH_AT + 8, 'aabbccddee'],
      [0xffff, 0x80, false, 0, NSH_AT + 20, ''],
    ]);
    expect(layerAt(p, 'ethernet', 1).src).toBe('0a:58:0a:f4:01:02');
  });

  it('decodes NSH straight on Ethernet (EtherType 0x894F)', () => {
    const p = decode(hex(ETH_NSH), 1);
    expect(kinds(p)).toEqual(['ethernet', 'nsh', 'ipv4', 'icmp', 'payload']);
    expect(layerAt(p, 'nsh').spi).toBe(42);
  });

  it('reads the base header bit by bit', () => {
    const base = (w: string) => layerAt(decode(patched(ETH_NSH, 14, w), 1), 'nsh');
    // Ver|O|U|TTL(6)|Length(6), then U U U U | MD type.
    expect([base('2fc6').oam, base('2fc6').unassignedBit]).toEqual([true, false]);
    expect([base('1fc6').oam, base('1fc6').unassignedBit]).toEqual([false, true]);
    expect(base('0006').ttl).toBe(0);
    expect(base('0046').ttl).toBe(1);
    expect(base('0fc6').ttl).toBe(63);
    const u = layerAt(decode(patched(ETH_NSH, 16, 'f1'), 1), 'nsh');
    expect([u.unassigned, u.mdType]).toEqual([0xf, 1]);
  });

  it('records a version other than 0 and a length under 2 words as errors', () => {
    for (const [w, version] of [['4fc6', 1], ['8fc6', 2], ['cfc6', 3]] as const) {
      const p = decode(patched(ETH_NSH, 14, w), 1);
      expect(kinds(p)).toEqual(['ethernet', 'undecoded']);
      expect(p.errors).toEqual([{ layer: 'nsh', offset: 14, message: `NSH version ${version}` }]);
    }
    const p = decode(patched(ETH_NSH, 14, '0fc1'), 1);
    expect(p.errors[0]?.message).toBe('NSH length 1 words (< 2: base and service path headers)');
  });

  it('follows Length, and says so, when MD type 1 does not have length 6', () => {
    // Length 7 on MD type 1: the inner packet starts 4 bytes later than it does.
    const p = decode(patched(ETH_NSH, 14, '0fc7'), 1);
    expect(layerAt(p, 'nsh').headerLength).toBe(28);
    expect(p.errors[0]).toEqual({ layer: 'nsh', offset: 15, message: 'NSH MD type 1 with length 7 words (not 6)' });
  });

  it('keeps the TLVs that fit when one overruns the length', () => {
    const b = hex(GPE_NSH_MD2);
    b[NSH_AT + 23] = 0x05; // second TLV claims 5 bytes, only the NSH's end follows
    const p = decode(b, 1);
    expect(layerAt(p, 'nsh').tlvs).toHaveLength(1);
    expect(p.errors).toEqual([{ layer: 'nsh', offset: NSH_AT + 23, message: 'NSH context header of 5 bytes overruns the NSH length' }]);
  });

  it('leaves MPLS and unknown next protocols as payload, and nests NSH in NSH', () => {
    for (const next of ['05', 'fe', '00']) expect(kinds(decode(patched(ETH_NSH, 17, next), 1)), next).toEqual(['ethernet', 'nsh', 'payload']);
    const inner = hex(ETH_NSH);
    const twice = new Uint8Array([...inner.subarray(0, 14), ...hex('0fc6 01 04 00002a fe 11111111 22222222 33333333 44444444'), ...inner.subarray(14)]);
    expect(kinds(decode(twice, 1))).toEqual(['ethernet', 'nsh', 'nsh', 'ipv4', 'icmp', 'payload']);
  });

  it('lets VXLAN-GPE carrying NSH be recognised on another port, strictly', () => {
    for (const fixture of [GPE_NSH_MD1, GPE_NSH_MD2]) {
      const b = patched(fixture, 36, '270f'); // UDP 9999
      expect(looksLikeVxlanGpe(b, 42, b.length - 42)).toBe(true);
      expect(kinds(decode(b, 1))).toContain('nsh');
    }
    const nsh = (fixture: string, at: number, bytes: string) => {
      const b = patched(fixture, at, bytes);
      return looksLikeNsh(b, NSH_AT, b.length - NSH_AT);
    };
    expect(nsh(GPE_NSH_MD1, NSH_AT, '0fc6')).toBe(true);
    expect(nsh(GPE_NSH_MD1, NSH_AT, '4fc6')).toBe(false); // version 1
    expect(nsh(GPE_NSH_MD1, NSH_AT, '0fc7')).toBe(false); // MD type 1 with length 7
    expect(nsh(GPE_NSH_MD1, NSH_AT + 2, '00')).toBe(false); // MD type 0
    expect(nsh(GPE_NSH_MD1, NSH_AT + 3, '02')).toBe(false); // says IPv6, carries IPv4
    expect(nsh(GPE_NSH_MD1, NSH_AT + 3, '05')).toBe(false); // MPLS: not checkable
    expect(nsh(GPE_NSH_MD1, NSH_AT + 34, '0000')).toBe(false); // inner IPv4 checksum broken
    expect(nsh(GPE_NSH_MD2, NSH_AT + 3, '01')).toBe(false); // says IPv4, carries Ethernet
  });

  it('is cut short, not malformed, when the capture ends inside it', () => {
    const p = decode(hex(GPE_NSH_MD1).subarray(0, NSH_AT + 12), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('nsh');
  });

  it('agrees with tshark', () => {
    // tshark 4.0.17: tshark -r nsh.pcap -T fields -e frame.protocols -e nsh.ttl -e nsh.length
    //   -e nsh.mdtype -e nsh.nextproto -e nsh.spi -e nsh.si -e nsh.contextheader
    //   -e nsh.metadataclass -e nsh.metadatatype -e nsh.metadatalen
    const tshark = [
      ['eth:ethertype:ip:udp:nsh:ip:icmp:data', '0x003f', '6', '1', '1', '42', '255', '11111111,22222222,33333333,44444444', '', '', ''],
      ['eth:ethertype:ip:udp:nsh:eth:ethertype:ip:icmp:data', '0x003f', '6', '2', '3', '256', '254', '', '257,65535', '2,128', '0x05,0x00'],
      ['eth:ethertype:nsh:ip:icmp:data', '0x003f', '6', '1', '1', '42', '255', '11111111,22222222,33333333,44444444', '', '', ''],
    ];
    const hx = (n: number, d: number) => '0x' + n.toString(16).padStart(d, '0');
    [GPE_NSH_MD1, GPE_NSH_MD2, ETH_NSH].forEach((fixture, i) => {
      const p = decode(hex(fixture), 1);
      const n = layerAt(p, 'nsh');
      const ours = [
        protocolChain(p),
        hx(n.ttl, 4),
        String(n.length),
        String(n.mdType),
        String(n.nextProtocol),
        String(n.spi),
        String(n.si),
        n.fixedContext.map((w) => w.toString(16).padStart(8, '0')).join(','),
        n.tlvs.map((t) => t.metadataClass).join(','),
        n.tlvs.map((t) => t.type).join(','),
        n.tlvs.map((t) => hx(t.length, 2)).join(','),
      ];
      expect(ours, `frame ${i + 1}`).toEqual(tshark[i]);
    });
  });

  it('keeps the VXLAN-GPE encapsulation for the index and shows its fields in the anatomy', () => {
    const b = hex(GPE_NSH_MD1);
    expect(encapsulationIn(decode(b, 1).layers)).toMatchObject({ kind: 'vxlan-gpe', vni: 1, port: 4790 });
    const s = new Summarizer();
    const row = emptyRow();
    s.summarize(b, 0, b.length, 1, 0, row);
    expect(s.shapes.shapes[row.shape]!.kinds).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'nsh', 'ipv4', 'icmp', 'payload']);
    expect(row.proto).toBe(1);
    const a = packetAnatomy(1, hex(GPE_NSH_MD2));
    const n = a.layers.find((l) => l.kind === 'nsh')!;
    expect(n.title).toBe('Network Service Header');
    expect(n.fields.map((f) => `${f.key} ${f.value}`)).toEqual([
      'version 0',
      'flags.o 0 (not set)',
      'flags.u 0 (not set)',
      'ttl 63',
      'length 6 (24 bytes)',
      'unassigned 0',
      'mdType 2 (variable-length context)',
      'nextProtocol 3 (Ethernet)',
      'spi 256',
      'si 254',
      'tlvs.0 class 0x0101, type 0x02, 5 bytes of metadata',
      'tlvs.1 class 0xffff, type 0x80, 0 bytes of metadata',
    ]);
  });
});

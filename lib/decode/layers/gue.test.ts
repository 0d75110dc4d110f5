import { describe, expect, it } from 'vitest';
import { mtuArithmetic, packetAnatomy } from '../../anatomy';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { overlay, overlaysOnUdpPort } from '../../protocols/overlays';
import { gueClaims, looksLikeGue } from '../../protocols/recognise';
import { encapsulationIn } from '../encapsulation';
import { protocolChain } from '../fields';
import { emptyRow } from '../packet-index';
import { Summarizer } from '../summarize';
import { decode, hex, kinds, layerAt } from '../../testing/decode';
import { GUE_5555_SIT, GUE_CONTROL, GUE_DIRECT, GUE_IPIP, GUE_REMCSUM } from './tunnel-fixtures';

const GUE_AT = 42;

function patched(fixture: string, at: number, bytes: string): Uint8Array {
  const b = hex(fixture);
  b.set(hex(bytes), at);
  return b;
}

describe('GUE, Generic UDP Encapsulation (draft-ietf-intarea-gue-09)', () => {
  it('decodes variant 0 on port 6080, then the inner packet by its IP protocol', () => {
    const p = decode(hex(GUE_IPIP), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'gue', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    const g = layerAt(p, 'gue');
    expect([g.offset, g.headerLength, g.variant, g.control, g.hlen, g.protoCtype, g.flags, g.privateData, g.extensions.length]).toEqual([GUE_AT, 4, 0, false, 0, 4, 0, false, 0]);
  });

  it('skips Hlen words of extension fields', () => {
    const p = decode(hex(GUE_REMCSUM), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'gue', 'ipv4', 'icmp', 'payload']);
    const g = layerAt(p, 'gue');
    expect([g.headerLength, g.hlen, g.flags, g.privateData, Buffer.from(g.extensions).toString('hex')]).toEqual([12, 2, 1, true, '8000000000140006']);
    expect(layerAt(p, 'ipv4', 1).offset).toBe(GUE_AT + 12);
  });

  it('decodes variant 1, direct IP, as a zero-length GUE layer', () => {
    const p = decode(hex(GUE_DIRECT), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'gue', 'ipv4', 'icmp', 'payload']);
    const g = layerAt(p, 'gue');
    expect([g.variant, g.headerLength, g.payload.length]).toEqual([1, 0, 32]);
  });

  it('leaves a control message\'s body alone', () => {
    const p = decode(hex(GUE_CONTROL), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'gue', 'payload']);
    expect([layerAt(p, 'gue').control, layerAt(p, 'gue').protoCtype]).toEqual([true, 1]);
  });

  it('reads the first octet bit by bit', () => {
    const g = (b0: string) => layerAt(decode(patched(GUE_CONTROL, GUE_AT, b0), 1), 'gue');
    expect([g('20').control, g('20').hlen]).toEqual([true, 0]);
    expect([g('00').control, g('00').hlen]).toEqual([false, 0]);
    expect([g('01').control, g('01').hlen, g('01').headerLength]).toEqual([false, 1, 8]);
    const p = decode(patched(GUE_CONTROL, GUE_AT + 2, '8000'), 1);
    expect([layerAt(p, 'gue').flags, layerAt(p, 'gue').privateData]).toEqual([0x8000, false]);
  });

  it('records reserved variants as errors, and extension fields past the datagram as such', () => {
    for (const [b0, v] of [['80', 2], ['c0', 3]] as const) {
      const p = decode(patched(GUE_IPIP, GUE_AT, b0), 1);
      expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'undecoded']);
      expect(p.errors).toEqual([{ layer: 'gue', offset: GUE_AT, message: `GUE variant ${v}` }]);
    }
    const p = decode(patched(GUE_CONTROL, GUE_AT, '22'), 1); // Hlen 2: 8 bytes, 4 left
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'undecoded']);
    expect(p.errors[0]?.layer).toBe('gue');
  });

  it('shares port 5555 with FOU: a GUE header is GUE, bare IP or GRE is FOU', () => {
    expect(overlaysOnUdpPort(5555).map((o) => o.kind)).toEqual(['fou', 'gue']);
    expect(overlaysOnUdpPort(6080).map((o) => o.kind)).toEqual(['gue']);
    expect(kinds(decode(hex(GUE_5555_SIT), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'gue', 'ipv6', 'icmpv6']);
    expect(kinds(decode(patched(GUE_IPIP, 36, '15b3'), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'gue', 'ipv4', 'icmp', 'payload']);
    expect(kinds(decode(patched(GUE_DIRECT, 36, '15b3'), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'fou', 'ipv4', 'icmp', 'payload']);
    // A GRE header's second octet is 0, never a GUE protocol: GRE-in-FOU stays FOU.
    const gre = hex('20000800 00000064');
    expect(gueClaims(gre, 0, gre.length)).toBe(false);
    // Neither claims it: the port's first overlay (FOU) takes it and says what it is not.
    expect(kinds(decode(patched(GUE_CONTROL, 36, '15b3'), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'gue', 'payload']);
    const neither = decode(patched(GUE_IPIP, 36, '15b3 002c 0000 8000'), 1);
    expect(kinds(neither)).toEqual(['ethernet', 'ipv4', 'udp', 'fou', 'undecoded']);
  });

  it('is recognised by its bytes on another port, strictly', () => {
    for (const fixture of [GUE_IPIP, GUE_REMCSUM, GUE_5555_SIT]) {
      const b = patched(fixture, 36, '270f'); // UDP 9999
      expect(looksLikeGue(b, GUE_AT, b.length - GUE_AT)).toBe(true);
      expect(kinds(decode(b, 1))).toContain('gue');
    }
    const no = (fixture: string, at: number, bytes: string) => {
      const b = patched(fixture, at, bytes);
      return looksLikeGue(b, GUE_AT, b.length - GUE_AT);
    };
    expect(no(GUE_IPIP, GUE_AT, '20')).toBe(false); // a control message
    expect(no(GUE_IPIP, GUE_AT, '40')).toBe(false); // variant 1 is flannel's bare IP
    expect(no(GUE_IPIP, GUE_AT + 1, '29')).toBe(false); // says IPv6, carries IPv4
    expect(no(GUE_IPIP, GUE_AT + 1, '2f')).toBe(false); // GRE: not checked here
    expect(no(GUE_IPIP, GUE_AT + 14, '0000')).toBe(false); // inner IPv4 checksum broken
    // The UDP length one byte short: what it carries is not exactly the inner packet.
    expect(kinds(decode(patched(GUE_IPIP, 36, '270f 002b'), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'payload']);
    expect(kinds(decode(patched(GUE_CONTROL, 36, '270f'), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'payload']);
  });

  it('agrees with tshark up to the UDP payload, where tshark, with no GUE dissector, stops', () => {
    // tshark 4.0.17: tshark -r gue.pcap -T fields -e frame.protocols -e ip.src, every frame:
    const tshark = ['eth:ethertype:ip:udp:data', '192.168.0.1'];
    const ours = [
      'eth:ethertype:ip:udp:gue:ip:icmp:data',
      'eth:ethertype:ip:udp:gue:ip:icmp:data',
      'eth:ethertype:ip:udp:gue:ip:icmp:data',
      'eth:ethertype:ip:udp:gue:data',
    ];
    [GUE_IPIP, GUE_REMCSUM, GUE_DIRECT, GUE_CONTROL].forEach((fixture, i) => {
      const p = decode(hex(fixture), 1);
      expect(protocolChain(p)).toBe(ours[i]);
      expect(protocolChain(p).startsWith(tshark[0]!.replace(':data', ':'))).toBe(true);
      expect(layerAt(p, 'ipv4').src).toBe(tshark[1]);
    });
  });

  it('is read by the registry consumers: encapsulation, summarizer, anatomy, MTU and label', () => {
    const b = hex(GUE_REMCSUM);
    expect(encapsulationIn(decode(b, 1).layers)).toEqual({ kind: 'gue', vni: null, port: 6080, outerSrc: '192.168.0.1', outerDst: '192.168.0.2' });
    const s = new Summarizer();
    const row = emptyRow();
    s.summarize(b, 0, b.length, 1, 0, row);
    expect(s.shapes.shapes[row.shape]!.path).toBe('eth:ipv4:udp:gue:ipv4:icmp:data');
    expect(row.seq).toBe(4);
    const a = packetAnatomy(1, b);
    expect(a.layers.find((l) => l.kind === 'gue')!.fields.map((f) => `${f.key} ${f.value}`)).toEqual([
      'variant 0',
      'flags.c 0 (not set)',
      'hlen 2 (8 bytes)',
      'protoCtype 4 (IPv4, IP-in-IP)',
      'flags 0x0001',
      'flags.p 1 (set)',
      'extensions 8 bytes',
    ]);
    expect(mtuArithmetic(a)).toMatchObject({ overlay: 'gue', measured: true, overhead: 40 });
    expect(mtuArithmetic(packetAnatomy(1, hex(GUE_IPIP)))).toMatchObject({ overlay: 'gue', overhead: 32, innerMtu: 1468 });
    expect(overlay('gue').label(undefined, '6080')).toBe('GUE, UDP 6080');
  });
});

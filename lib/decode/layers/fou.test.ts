import { describe, expect, it } from 'vitest';
import { mtuArithmetic, packetAnatomy } from '../../anatomy';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { FOU, overlay, overlayLayerForUdpPayload } from '../../protocols/overlays';
import { fouClaims, looksLikeGreHeader } from '../../protocols/recognise';
import { encapsulationIn } from '../encapsulation';
import { fieldsRow, protocolChain, TSHARK_FIELDS } from '../fields';
import { emptyRow } from '../packet-index';
import { Summarizer } from '../summarize';
import { decode, hex, kinds, layerAt } from '../../testing/decode';
import { FOU_GRE, FOU_IPIP, FOU_SIT } from './tunnel-fixtures';

describe('FOU, Foo-over-UDP (Linux fou)', () => {
  it('decodes a zero-length FOU layer on port 5555, then the bare IPv4 packet', () => {
    const p = decode(hex(FOU_IPIP), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'fou', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    const f = layerAt(p, 'fou');
    expect([f.offset, f.headerLength, f.header.length, f.payload.length]).toEqual([42, 0, 0, 32]);
    expect(layerAt(p, 'ipv4', 1).offset).toBe(42);
    expect(layerAt(p, 'ipv4', 1).src).toBe('10.244.1.2');
  });

  it('picks IPv6 by the version nibble, and GRE by its header (ipproto 47)', () => {
    expect(kinds(decode(hex(FOU_SIT), 1))).toEqual(['ethernet', 'ipv4', 'udp', 'fou', 'ipv6', 'icmpv6']);
    const p = decode(hex(FOU_GRE), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'fou', 'gre', 'ipv4', 'icmp', 'payload']);
    expect(layerAt(p, 'gre').key).toBe(100);
  });

  it('records bytes that are neither IP nor GRE as an error, as flannel-udp does', () => {
    const b = hex(FOU_GRE);
    b[42] = 0xd0; // version 13; as GRE, C and R (routing), which Linux never sends; as GUE, variant 3
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'fou', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'ipv4', offset: 42, message: 'not an IP packet: version 13' }]);
  });

  it('takes GRE headers as Linux sends them, and nothing with routing, recursion or a version', () => {
    const gre = (h: string) => {
      const b = hex(`${h} 00000000 00000000 00000000`);
      return looksLikeGreHeader(b, 0, b.length);
    };
    for (const h of ['00000800', '20000800', '10000800', '30006558', 'b00086dd', '800088be', '200022eb', '2000894f']) expect(gre(h), h).toBe(true);
    for (const h of ['40000800', '08000800', '01000800', '00010800', '00800800', '20008847', '2000ffff']) expect(gre(h), h).toBe(false);
    // The optional fields the flags announce must fit.
    const short = hex('b0000800 00000000 00000000');
    expect(looksLikeGreHeader(short, 0, short.length)).toBe(false);
  });

  it('is not recognised by its bytes on other ports: bare IP there is flannel\'s', () => {
    const b = hex(FOU_IPIP);
    b.set(hex('270f'), 36); // UDP 9999
    expect(kinds(decode(b, 1))).toEqual(['ethernet', 'ipv4', 'udp', 'flannel-udp', 'ipv4', 'icmp', 'payload']);
    expect(FOU.recognise).toBeUndefined();
  });

  it('agrees with tshark decoding the port as IP', () => {
    // tshark 4.0.17 has no FOU dissector: `tshark -r fou.pcap -T fields -e frame.protocols` says
    // eth:ethertype:ip:udp:data. With the port decoded as IP, as `ip fou` does:
    // tshark -r fou.pcap -d udp.port==5555,ip -T fields -e frame.protocols -e ip.src -e ip.dst -e ip.proto -e icmp.seq
    const tshark = ['eth:ethertype:ip:udp:ip:icmp:data', '192.168.0.1,10.244.1.2', '192.168.0.2,10.244.2.3', '17,1', '1'];
    const bytes = hex(FOU_IPIP);
    const p = decode(bytes, 1);
    const row = fieldsRow({ frameNumber: 1, hasTimestamp: false, tsSec: 0, tsNsec: 0, origLen: bytes.length, capLen: bytes.length }, p);
    const col = (f: (typeof TSHARK_FIELDS)[number]) => row[TSHARK_FIELDS.indexOf(f)];
    // Our chain names the FOU layer where tshark's (decoding the port as IP) has none.
    expect(protocolChain(p)).toBe('eth:ethertype:ip:udp:fou:ip:icmp:data');
    expect([protocolChain(p).replace(':fou', ''), col('ip.src'), col('ip.dst'), col('ip.proto'), col('icmp.seq')]).toEqual(tshark);
  });

  it('is read by the registry consumers: encapsulation, summarizer, anatomy, MTU and label', () => {
    const b = hex(FOU_IPIP);
    expect(encapsulationIn(decode(b, 1).layers)).toEqual({ kind: 'fou', vni: null, port: 5555, outerSrc: '192.168.0.1', outerDst: '192.168.0.2' });
    const s = new Summarizer();
    const row = emptyRow();
    s.summarize(b, 0, b.length, 1, 0, row);
    expect(s.shapes.shapes[row.shape]!.path).toBe('eth:ipv4:udp:fou:ipv4:icmp:data');
    expect(s.shapes.shapes[row.shape]!.encapsulation).toMatchObject({ kind: 'fou', port: 5555 });
    expect(row.src).toBe(0x0af40102);
    const a = packetAnatomy(1, b);
    expect(a.layers.find((l) => l.kind === 'fou')).toMatchObject({ title: 'FOU', fields: [] });
    expect(mtuArithmetic(a)).toMatchObject({ overlay: 'fou', measured: true, overhead: 28, innerMtu: 1472 });
    expect(overlay('fou').label(undefined, '5555')).toBe('FOU, UDP 5555');
    expect(overlayLayerForUdpPayload(5555, b, 42, b.length - 42)).toBe('fou');
    expect(fouClaims(b, 42, b.length - 42)).toBe(true);
  });
});

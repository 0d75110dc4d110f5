import { describe, expect, it } from 'vitest';
import { mtuArithmetic, packetAnatomy } from '../../anatomy';
import { LINKTYPE_ETHERNET } from '../../protocols/numbers';
import { overlay } from '../../protocols/overlays';
import { encapsulationIn } from '../encapsulation';
import { protocolChain } from '../fields';
import { emptyRow, META_ERROR, META_TRUNCATED } from '../packet-index';
import { Summarizer } from '../summarize';
import { decode, hex, kinds, layerAt } from '../../testing/decode';
import { ERSPAN_I, ERSPAN_II, ERSPAN_III, ERSPAN_III_IP, ERSPAN_III_PLATFORM, ERSPAN_II_CUT, ERSPAN_II_KEY } from './tunnel-fixtures';

const ERSPAN_AT = 34 + 8;

describe('ERSPAN (draft-foschiano-erspan-03)', () => {
  it('decodes type I: GRE 0x88BE without a sequence number, no ERSPAN header, the mirrored frame', () => {
    const p = decode(hex(ERSPAN_I), LINKTYPE_ETHERNET);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'erspan', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    const e = layerAt(p, 'erspan');
    expect([e.type, e.offset, e.headerLength, e.version, e.sessionId]).toEqual([1, 38, 0, undefined, undefined]);
    expect(layerAt(p, 'ethernet', 1).src).toBe('0a:58:0a:f4:01:02');
  });

  it('decodes type II field by field', () => {
    const p = decode(hex(ERSPAN_II), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'erspan', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect(p.errors).toEqual([]);
    expect(layerAt(p, 'gre').sequence).toBe(7);
    const e = layerAt(p, 'erspan');
    expect([e.type, e.offset, e.headerLength, e.version, e.vlan, e.cos, e.encapsulation, e.frameTruncated, e.sessionId, e.reserved, e.index]).toEqual([
      2, ERSPAN_AT, 8, 1, 100, 5, 0, false, 291, 0, 0xabcd,
    ]);
    expect([e.timestamp, e.sgt, e.frameType, e.bso]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('decodes type II behind a GRE key (a Linux erspan device)', () => {
    const p = decode(hex(ERSPAN_II_KEY), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'erspan', 'ethernet', 'ipv4', 'icmp', 'payload']);
    expect([layerAt(p, 'gre').key, layerAt(p, 'gre').sequence, layerAt(p, 'erspan').type]).toEqual([100, 10, 2]);
  });

  it('decodes type III field by field, and its platform sub-header', () => {
    const e = layerAt(decode(hex(ERSPAN_III), 1), 'erspan');
    expect([e.type, e.headerLength, e.version, e.vlan, e.cos, e.bso, e.frameTruncated, e.sessionId]).toEqual([3, 12, 2, 100, 5, 0, false, 291]);
    expect([e.timestamp, e.sgt, e.pduEthernet, e.frameType, e.hardwareId, e.direction, e.granularity, e.subHeader]).toEqual([
      0x01020304, 16, true, 0, 3, 'egress', 3, false,
    ]);
    expect([e.platformId, e.platformSpecific]).toEqual([undefined, undefined]);
    expect(e.encapsulation).toBeUndefined();
    const p = decode(hex(ERSPAN_III_PLATFORM), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'erspan', 'ethernet', 'ipv4', 'icmp', 'payload']);
    const o = layerAt(p, 'erspan');
    expect([o.headerLength, o.subHeader, o.platformId, Buffer.from(o.platformSpecific!).toString('hex')]).toEqual([20, true, 3, '0c00000100000002']);
  });

  it('reads the type III flags word bit by bit', () => {
    const w3 = (word: string) => {
      const b = hex(ERSPAN_III);
      b.set(hex(word), ERSPAN_AT + 10);
      return layerAt(decode(b, 1), 'erspan');
    };
    expect(w3('8000').pduEthernet).toBe(true);
    expect(w3('0000').pduEthernet).toBe(false);
    expect(w3('7c00').frameType).toBe(0x1f);
    expect(w3('03f0').hardwareId).toBe(0x3f);
    expect([w3('0008').direction, w3('0000').direction]).toEqual(['egress', 'ingress']);
    expect([w3('0002').granularity, w3('0004').granularity]).toEqual([1, 2]);
    const none = w3('0000');
    expect([none.frameType, none.hardwareId, none.granularity, none.subHeader]).toEqual([0, 0, 0, false]);
  });

  it('follows frame type 2 to an IP packet, where tshark stops at data', () => {
    const p = decode(hex(ERSPAN_III_IP), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'erspan', 'ipv4', 'icmp', 'payload']);
    expect(layerAt(p, 'erspan').frameType).toBe(2);
    for (const ft of ['8c3e', 'fc3e']) {
      const b = hex(ERSPAN_III_IP);
      b.set(hex(ft), ERSPAN_AT + 10); // FT 3, FT 31: not frame types it names
      expect(kinds(decode(b, 1)), ft).toEqual(['ethernet', 'ipv4', 'gre', 'erspan', 'payload']);
    }
  });

  it('records a version other than 1 or 2 as an error', () => {
    const b = hex(ERSPAN_II);
    b[ERSPAN_AT] = 0x30;
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'undecoded']);
    expect(p.errors).toEqual([{ layer: 'erspan', offset: ERSPAN_AT, message: 'ERSPAN version 3' }]);
  });

  it('takes a frame the session cut short (T) for a truncated one, not a malformed one', () => {
    const p = decode(hex(ERSPAN_II_CUT), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'erspan', 'ethernet', 'ipv4', 'tcp']);
    expect(layerAt(p, 'erspan').frameTruncated).toBe(true);
    expect(p.errors).toEqual([]);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'ipv4', 1).truncated).toBe(true);
    const s = new Summarizer();
    const row = emptyRow();
    const b = hex(ERSPAN_II_CUT);
    s.summarize(b, 0, b.length, 1, 0, row);
    expect(row.meta & META_TRUNCATED).toBeTruthy();
    expect(row.meta & META_ERROR).toBe(0);
    expect([row.ipLen, row.sport, row.dport]).toEqual([1500, 40000, 80]);
    // Without T the same bytes are an IPv4 length the outer headers leave no room for.
    const noT = hex(ERSPAN_II_CUT);
    noT[ERSPAN_AT + 2] = 0xa1;
    expect(decode(noT, 1).errors[0]?.message).toBe('IPv4 total length 1500 exceeds the 36 bytes its enclosing layer declares');
  });

  it('is cut short, not malformed, when the capture ends inside its header', () => {
    const p = decode(hex(ERSPAN_III).subarray(0, ERSPAN_AT + 6), 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'gre', 'undecoded']);
    expect(p.truncated).toBe(true);
    expect(layerAt(p, 'undecoded').wanted).toBe('erspan');
  });

  it('agrees with tshark', () => {
    // tshark 4.0.17: tshark -r erspan.pcap -T fields -e frame.protocols -e gre.key -e gre.sequence_number
    //   -e erspan.version -e erspan.vlan -e erspan.cos -e erspan.encap -e erspan.bso -e erspan.truncated
    //   -e erspan.spanid -e erspan.index -e erspan.timestamp -e erspan.sgt -e erspan.p -e erspan.ft
    //   -e erspan.hw -e erspan.direction -e erspan.gra -e erspan.o -e erspan.platid
    const tshark = [
      ['eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', ''],
      ['eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data', '', '7', '1', '100', '5', '0', '', '0', '291', '43981', '', '', '', '', '', '', '', '', ''],
      ['eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data', '', '8', '2', '100', '5', '', '0', '0', '291', '', '16909060', '16', '1', '0', '3', '1', '3', '0', ''],
      ['eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data', '', '9', '2', '100', '5', '', '0', '0', '291', '', '16909060', '16', '1', '0', '3', '1', '3', '1', '3'],
      ['eth:ethertype:ip:gre:erspan:eth:ethertype:ip:icmp:data', '0x00000064', '10', '1', '100', '5', '0', '', '0', '291', '43981', '', '', '', '', '', '', '', '', ''],
      // tshark stops at frame type 2 (an IP packet); the decoder follows it.
      ['eth:ethertype:ip:gre:erspan:data', '', '11', '2', '100', '5', '', '0', '0', '291', '', '16909060', '16', '1', '2', '3', '1', '3', '0', ''],
    ];
    // Where the decoder goes deeper than tshark: frame type 2 is an IP packet.
    const ourChain: Record<number, string> = { 5: 'eth:ethertype:ip:gre:erspan:ip:icmp:data' };
    const str = (v: number | boolean | string | undefined) => (v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    [ERSPAN_I, ERSPAN_II, ERSPAN_III, ERSPAN_III_PLATFORM, ERSPAN_II_KEY, ERSPAN_III_IP].forEach((fixture, i) => {
      const p = decode(hex(fixture), 1);
      const g = layerAt(p, 'gre');
      const e = layerAt(p, 'erspan');
      expect(protocolChain(p), `frame ${i + 1}`).toBe(ourChain[i] ?? tshark[i]![0]);
      const ours = [
        g.key === undefined ? '' : '0x' + g.key.toString(16).padStart(8, '0'),
        str(g.sequence),
        str(e.version),
        str(e.vlan),
        str(e.cos),
        str(e.encapsulation),
        str(e.bso),
        str(e.frameTruncated),
        str(e.sessionId),
        str(e.index),
        str(e.timestamp),
        str(e.sgt),
        str(e.pduEthernet),
        str(e.frameType),
        str(e.hardwareId),
        e.direction === undefined ? '' : e.direction === 'egress' ? '1' : '0',
        str(e.granularity),
        str(e.subHeader),
        str(e.platformId),
      ];
      expect(ours, `frame ${i + 1}`).toEqual(tshark[i]!.slice(1));
    });
  });

  it('is read by the registry consumers: encapsulation, anatomy, MTU and label', () => {
    const b = hex(ERSPAN_II);
    // GRE is the outermost overlay header; ERSPAN rides in it.
    expect(encapsulationIn(decode(b, 1).layers)).toMatchObject({ kind: 'gre', outerSrc: '192.168.0.1', outerDst: '192.168.0.2' });
    const a = packetAnatomy(1, b);
    const e = a.layers.find((l) => l.kind === 'erspan')!;
    expect(e.title).toBe('ERSPAN type II');
    expect(e.fields.map((f) => `${f.key} ${f.value}`)).toEqual([
      'version 1 (type II)',
      'vlan 100',
      'cos 5',
      'encapsulation 0 (originally without VLAN tag)',
      'frameTruncated 0 (not set)',
      'sessionId 291',
      'reserved 0',
      'index 43981',
    ]);
    expect(a.layers.find((l) => l.kind === 'gre')!.fields.find((f) => f.key === 'protocol')!.value).toBe('0x88be (ERSPAN type I or II)');
    const t3 = packetAnatomy(1, hex(ERSPAN_III_PLATFORM)).layers.find((l) => l.kind === 'erspan')!;
    expect(t3.title).toBe('ERSPAN type III');
    expect(t3.fields.map((f) => f.key)).toEqual([
      'version', 'vlan', 'cos', 'bso', 'frameTruncated', 'sessionId', 'timestamp', 'sgt', 'flags.p', 'frameType', 'hardwareId', 'direction', 'granularity', 'flags.o', 'platformId', 'platformSpecific',
    ]);
    expect(packetAnatomy(1, hex(ERSPAN_I)).layers.find((l) => l.kind === 'erspan')!.fields).toEqual([]);
    const m = mtuArithmetic(a);
    expect(m).toMatchObject({ overlay: 'gre', measured: true, overhead: 50 });
    expect(m.parts?.map((p) => p.length)).toEqual([20, 8, 8, 14]);
    expect(overlay('erspan').label(291, null)).toBe('ERSPAN session 291');
  });
});

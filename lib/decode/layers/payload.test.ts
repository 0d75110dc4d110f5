/**
 * The layers decoding ends with — `payload` for data no decoder claims, `undecoded` for the rest
 * after an error, an unknown link type, a short capture or the layer limit — and the driver
 * rules that produce them, including a fuzz run: decodePacket never throws, and its layers
 * always tile the packet.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket, MAX_LAYERS } from '../decode-packet';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4 } from '../../protocols/numbers';
import { LINKTYPE_LAYERS } from '../tables';
import { decode, hex, kinds, layerAt, tilingProblems } from '../../testing/decode';
import { mulberry32 } from '../../util/prng';

// Ethernet[IPv4[UDP[payload]]]
const UDP_PAYLOAD = `
  020000000002 020000000001 0800
  45000020 00024000 401126c9 0a000001 0a000002
  04d2 0035 000c 0000 deadbeef
`;

// Ethernet[IPv4[UDP[VXLAN[Ethernet[IPv4[ICMP]]]]]]
const VXLAN = `
  020000000002 020000000001 0800
  45000052 abcd0000 40114d7a c0a80001 c0a80002
  9c40 12b5 003e 0000 08000000 00000100
  0a580af40203 0a580af40102 0800
  45000020 00014000 400121f0 0af40102 0af40203
  0800 2104 1234 0001 61626364
`;


describe('payload and undecoded layers', () => {
  it('ends a stack with a zero-header payload layer holding the application bytes', () => {
    const p = decode(hex(UDP_PAYLOAD), LINKTYPE_ETHERNET);
    const last = layerAt(p, 'payload');
    expect(last.offset).toBe(42);
    expect(last.headerLength).toBe(0);
    expect(Array.from(last.payload)).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('adds no payload layer when nothing is left', () => {
    const b = hex(UDP_PAYLOAD).subarray(0, 42);
    b.set(hex('001c'), 16);
    b.set(hex('0008'), 38);
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp']);
    expect(p.truncated).toBe(false);
  });

  it('gives an unknown link type one undecoded layer and a note', () => {
    const p = decode(hex(UDP_PAYLOAD), 147);
    expect(kinds(p)).toEqual(['undecoded']);
    const u = layerAt(p, 'undecoded');
    expect(u.reason).toBe('unsupported');
    expect(u.payload.length).toBe(46);
    expect(p.notes).toEqual(['link type 147 is not decoded']);
    expect(p.errors).toEqual([]);
  });

  it('bounds the nesting depth: 40 nested IPv4 headers stop at MAX_LAYERS', () => {
    // Built, not written out: 40 IP-in-IP headers, each 20 bytes, total lengths consistent.
    const n = 40;
    const b = new Uint8Array(n * 20);
    for (let i = 0; i < n; i++) {
      b.set(hex(`4500 ${(20 * (n - i)).toString(16).padStart(4, '0')} 00000000 40 04 0000 0a000001 0a000002`), 20 * i);
    }
    const p = decode(b, LINKTYPE_IPV4);
    expect(p.layers.length).toBe(MAX_LAYERS);
    const u = layerAt(p, 'undecoded');
    expect(u.reason).toBe('depth');
    expect(u.wanted).toBe('ipv4');
    expect(p.notes).toEqual([`stopped after ${MAX_LAYERS - 1} layers at byte ${(MAX_LAYERS - 1) * 20}`]);
    expect(decode(b, LINKTYPE_IPV4, { maxLayers: 5 }).layers.length).toBe(5);
  });

  it('keeps the layers before an impossible value and leaves the rest undecoded', () => {
    const b = hex(VXLAN);
    b[64] = 0x43; // inner IPv4 IHL 3
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'undecoded']);
    expect(layerAt(p, 'undecoded').reason).toBe('malformed');
    expect(layerAt(p, 'undecoded').offset).toBe(64);
    expect(p.errors).toHaveLength(1);
  });

  it('calls a header that does not fit its enclosing length malformed, not truncated', () => {
    const b = hex(UDP_PAYLOAD);
    b.set(hex('001a'), 16); // IPv4 total length 26: 6 bytes for an 8-byte UDP header
    const p = decode(b, 1);
    expect(kinds(p)).toEqual(['ethernet', 'ipv4', 'undecoded']);
    expect(p.truncated).toBe(false);
    expect(p.errors).toEqual([{ layer: 'udp', offset: 34, message: 'udp header does not fit in the 6 bytes its enclosing layer declares' }]);
  });
});

describe('decodePacket under fuzzing', () => {
  const linkTypes = [...LINKTYPE_LAYERS.keys(), 147, 0xffff];

  it('never throws on random bytes, and its layers tile the packet', () => {
    const rand = mulberry32(0x5eed);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rand() * 200);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rand() * 256);
      // Bias towards plausible starts so deeper decoders are reached.
      if (len > 14 && rand() < 0.5) b.set(hex('0800'), 12);
      if (len > 20 && rand() < 0.5) b[14] = 0x45;
      const lt = linkTypes[i % linkTypes.length]!;
      const p = decodePacket(b, lt, { udpPorts: { 9999: 'geneve' } });
      expect(tilingProblems(p, len), `seed case ${i}`).toEqual([]);
    }
  });

  it('never throws on mutated real packets, and its layers tile the packet', () => {
    const rand = mulberry32(42);
    const seeds = [hex(VXLAN), hex(UDP_PAYLOAD)];
    for (let i = 0; i < 5000; i++) {
      const src = seeds[i % seeds.length]!;
      const b = src.slice(0, Math.max(0, src.length - Math.floor(rand() * 20)));
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips && b.length > 0; k++) {
        const at = Math.floor(rand() * b.length);
        b[at] = rand() < 0.5 ? (b[at]! ^ (1 << Math.floor(rand() * 8))) : Math.floor(rand() * 256);
      }
      const p = decodePacket(b, LINKTYPE_ETHERNET);
      expect(tilingProblems(p, b.length), `mutation ${i}`).toEqual([]);
    }
  });
});

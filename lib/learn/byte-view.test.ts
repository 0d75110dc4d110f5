/**
 * The lesson's byte view is the packet anatomy under newcomer names: the same segments, tiling
 * every captured byte, labelled outer/inner by tunnel depth and "quoted" inside ICMP errors.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packetAnatomy } from '../anatomy';
import { SAMPLES } from '../testing/scenarios';
import { byteSegments, type ByteSegment } from './byte-view';
import { loadSample, type LoadedSample } from './sample';

const have = existsSync(join(SAMPLES, 'vxlan-healthy', 'all-interfaces.pcapng'));

async function load(name: string): Promise<LoadedSample> {
  return loadSample(name, [new Uint8Array(readFileSync(join(SAMPLES, name, 'all-interfaces.pcapng')))]);
}

async function segmentsOf(sample: string, frame: number): Promise<ByteSegment[]> {
  const p = (await load(sample)).packets.find((x) => x.frame === frame)!;
  return byteSegments(packetAnatomy(p.linkType, p.bytes));
}

/** One packet per kind of nesting: its layer stack, and the segments the lesson draws. */
const CASES: { what: string; sample: string; frame: number; segments: string[] }[] = [
  {
    // node1/eth0: Ethernet[IPv4[UDP[VXLAN[Ethernet[IPv4[ICMP[data]]]]]]]
    what: 'VXLAN: outer headers, the tunnel header, then the inner frame',
    sample: 'vxlan-healthy',
    frame: 12,
    segments: [
      '0+14 link 0 outer Ethernet',
      '14+20 ip 0 outer IPv4',
      '34+8 udp 0 outer UDP',
      '42+8 tunnel 0 VXLAN',
      '50+14 link 1 inner Ethernet',
      '64+20 ip 1 inner IPv4',
      '84+8 icmp 1 inner ICMP echo request',
      '92+56 data 1 data',
    ],
  },
  {
    // node1/eth0: Ethernet[IPv4[IPv4[ICMP[data]]]]
    what: 'IP-in-IP: an IPv4 header right after another is inner',
    sample: 'calico-healthy',
    frame: 9,
    segments: ['0+14 link 0 outer Ethernet', '14+20 ip 0 outer IPv4', '34+20 ip 1 inner IPv4', '54+8 icmp 1 inner ICMP echo request', '62+56 data 1 data'],
  },
  {
    // node2/cni0: Ethernet[IPv4[ICMP 3/4[IPv4[TCP[data]]]]], the last three quoted
    what: 'an ICMP error: what it quotes is "quoted", at the outer depth',
    sample: 'vxlan-mtu-frag-needed',
    frame: 103,
    segments: [
      '0+14 link 0 Ethernet',
      '14+20 ip 0 IPv4',
      '34+8 icmp 0 ICMP destination unreachable',
      '42+20 quoted 0 quoted IPv4',
      '62+32 quoted 0 quoted TCP',
      '94+496 data 0 quoted data',
    ],
  },
];

describe.skipIf(!have)('byte view of the sample packets', () => {
  for (const c of CASES) {
    it(c.what, async () => {
      const segs = await segmentsOf(c.sample, c.frame);
      expect(segs.map((s) => `${s.offset}+${s.length} ${s.role} ${s.depth} ${s.label}`)).toEqual(c.segments);
    });
  }

  it('key fields come from the anatomy, under short names', async () => {
    const vxlan = await segmentsOf('vxlan-healthy', 12);
    expect(vxlan[3]!.fields).toEqual([
      { name: 'flags', value: '0x08 (I)' },
      { name: 'VNI', value: '1' },
    ]);
    expect(vxlan[5]!.fields.map((f) => f.name)).toEqual(['src', 'dst', 'ttl', 'id', 'length', 'proto', 'DF']);
    const fragNeeded = await segmentsOf('vxlan-mtu-frag-needed', 103);
    expect(fragNeeded[2]!.fields.at(-1)).toEqual({ name: 'next-hop MTU', value: '1450' });
  });

  it('every packet of every sample: the segments tile the captured bytes', async () => {
    const names = readdirSync(SAMPLES).filter((n) => existsSync(join(SAMPLES, n, 'all-interfaces.pcapng')));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      for (const p of (await load(name)).packets) {
        let pos = 0;
        for (const s of byteSegments(packetAnatomy(p.linkType, p.bytes))) {
          expect(s.offset, `${name} frame ${p.frame}`).toBe(pos);
          pos += s.length;
        }
        expect(pos, `${name} frame ${p.frame}`).toBe(p.bytes.length);
      }
    }
  });
});

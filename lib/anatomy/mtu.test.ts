/**
 * MTU arithmetic on the sample captures: the overhead read from real encapsulated packets, and
 * the too-big packets of the MTU scenarios.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hex } from '../testing/hex';
import { fieldNumber, fieldOf, packetAnatomy } from './anatomy';
import { mtuArithmetic } from './mtu';
import { anatomyOf, captureFiles, innermostIp, readPackets, SAMPLES, sampleScenarios } from './test-util';
import type { Anatomy } from './types';

const have = new Set(sampleScenarios());

async function anatomies(scenario: string, file: string): Promise<Anatomy[]> {
  return (await readPackets(join(SAMPLES, scenario, file))).map(anatomyOf);
}

/** The overlay device's MTU as the lab configured it. */
function deviceMtu(scenario: string, node: string, device: string): number | undefined {
  const truth = JSON.parse(readFileSync(join(SAMPLES, scenario, 'scenario.json'), 'utf8')) as {
    topology: { nodes: { name: string; interfaces: { name: string; mtu: number }[] }[] };
  };
  return truth.topology.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === device)?.mtu;
}

/** Outer and inner IPv4 total lengths of an encapsulated packet. */
function lengths(a: Anatomy): { outer: number; inner: number } {
  const ips = a.layers.filter((l) => (l.kind === 'ipv4' || l.kind === 'ipv6') && !l.quoted);
  return { outer: fieldNumber(ips[0], 'totalLength')!, inner: fieldNumber(ips[1], 'totalLength')! };
}

describe.runIf(have.size > 0)('overhead measured on the wire', () => {
  for (const [scenario, kind, overhead, parts] of [
    ['vxlan-healthy', 'vxlan', 50, ['outer IPv4 20', 'UDP 8', 'VXLAN 8', 'inner Ethernet II 14']],
    ['udp-healthy', 'flannel-udp', 28, ['outer IPv4 20', 'UDP 8']],
    ['calico-healthy', 'ipip', 20, ['outer IPv4 20']],
  ] as const) {
    it(`${scenario}: ${kind} adds ${overhead} bytes in front of the inner IP packet`, async () => {
      let seen = 0;
      for (const a of await anatomies(scenario, 'node1-eth0.pcap')) {
        const m = mtuArithmetic(a);
        if (m.overlay === 'none') continue;
        seen++;
        expect(m.overlay).toBe(kind);
        expect(m.measured).toBe(true);
        // From the real lengths: outer IPv4 total length − inner IPv4 total length.
        const { outer, inner } = lengths(a);
        expect(outer - inner).toBe(m.overhead);
        expect(m.overhead).toBe(overhead);
        expect(m.parts?.map((p) => `${p.title} ${p.length}`)).toEqual(parts);
        expect(m).toMatchObject({ underlayMtu: 1500, innerMtu: 1500 - overhead, innerLength: inner, fits: true });
      }
      expect(seen).toBeGreaterThan(5);
    });
  }

  it('the inner MTU is the overlay device MTU the lab configured', () => {
    expect(deviceMtu('vxlan-healthy', 'node1', 'flannel.1')).toBe(1450);
    expect(mtuArithmetic(packetAnatomy(1, new Uint8Array(0)), 1500, 'vxlan').innerMtu).toBe(1450);
    expect(mtuArithmetic(packetAnatomy(1, new Uint8Array(0)), 1500, 'flannel-udp').innerMtu).toBe(deviceMtu('udp-healthy', 'node1', 'flannel0'));
    // Calico leaves more room than IP-in-IP needs (its default MTU was 1440): the arithmetic is a ceiling.
    const ipip = mtuArithmetic(packetAnatomy(1, new Uint8Array(0)), 1500, 'ipip').innerMtu;
    expect(ipip).toBe(1480);
    expect(deviceMtu('calico-healthy', 'node1', 'tunl0')).toBeLessThanOrEqual(ipip);
  });

  it('an inner packet seen on the overlay device, with the overlay named: the nominal overhead', async () => {
    const a = (await anatomies('vxlan-healthy', 'node1-flannel.1.pcap')).find((x) => x.layers.some((l) => l.kind === 'icmp'))!;
    expect(mtuArithmetic(a).overlay).toBe('none');
    const m = mtuArithmetic(a, 1500, 'vxlan');
    expect(m).toMatchObject({ overlay: 'vxlan', overhead: 50, innerMtu: 1450, innerLength: 84, fits: true, measured: false });
    expect(m.lines).toContain('this packet: inner IPv4 84 + 50 = 134 ≤ 1500: fits');
  });
});

describe.runIf(have.has('flannel-dualstack-v6-drop'))('flannel-dualstack-v6-drop: VXLAN over an IPv6 underlay', () => {
  it('a decapsulated copy takes the overhead measured on its encapsulated copy: 70 bytes, not the nominal 50', async () => {
    const isV6Ping = (a: Anatomy) => a.layers.some((l) => l.kind === 'icmpv6');
    const wire = (await anatomies('flannel-dualstack-v6-drop', 'node1-eth0.pcap')).find((a) => isV6Ping(a) && a.layers.some((l) => l.kind === 'vxlan'))!;
    const measured = mtuArithmetic(wire);
    expect(measured).toMatchObject({ overlay: 'vxlan', overhead: 70, innerMtu: 1430, measured: true });
    expect(measured.parts!.map((p) => `${p.title} ${p.length}`)[0]).toBe('outer IPv6 40');
    const inner = (await anatomies('flannel-dualstack-v6-drop', 'node1-cni0.pcap')).find(isV6Ping)!;
    expect(mtuArithmetic(inner, 1500, 'vxlan')).toMatchObject({ overhead: 50, innerMtu: 1450 });
    const m = mtuArithmetic(inner, 1500, 'vxlan', measured.parts!);
    expect(m).toMatchObject({ overlay: 'vxlan', overhead: 70, innerMtu: 1430, measured: false, measuredElsewhere: true });
    expect(m.lines).toContain('(as measured where this packet was captured encapsulated: this capture point sees it without its VXLAN headers)');
    expect(m.lines.some((l) => l.includes('nominal'))).toBe(false);
  });
});

describe.runIf(have.has('vxlan-mtu-frag-needed'))('vxlan-mtu-frag-needed: a 1500-byte DF ping on a 1450 overlay', () => {
  it('does not fit: node1 answers frag-needed with the inner MTU', async () => {
    const cni0 = await anatomies('vxlan-mtu-frag-needed', 'node1-cni0.pcap');
    const big = cni0.find((a) => {
      const k = innermostIp(a.layers);
      return a.layers[k + 1]?.kind === 'icmp' && fieldNumber(a.layers[k + 1], 'type') === 8 && fieldNumber(a.layers[k], 'totalLength')! > 1450;
    })!;
    expect(big).toBeDefined();
    const ip = big.layers[innermostIp(big.layers)]!;
    const m = mtuArithmetic(big, 1500, 'vxlan');
    expect(m).toMatchObject({ overlay: 'vxlan', overhead: 50, innerMtu: 1450, innerLength: fieldNumber(ip, 'totalLength'), fits: false });
    expect(fieldOf(ip, 'flags.df')?.value).toBe('1 (set)');
    expect(m.lines).toEqual([
      'VXLAN overhead: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet II 14 = 50 bytes in front of the inner IP packet',
      "an MTU counts IP bytes: the outer Ethernet header is outside it, the inner frame's Ethernet header rides inside the UDP payload and counts",
      '(nominal, over an IPv4 underlay: this capture point sees the packet without its VXLAN headers)',
      'inner MTU: 1500 − 50 = 1450, the largest inner IP packet that fits: the most the VXLAN device (flannel.1) can have as its MTU',
      'this packet: inner IPv4 1500 + 50 = 1550 > 1500: 50 bytes too big for the underlay',
      'it does not fit where it enters the tunnel: the VXLAN device (flannel.1), MTU 1450, on the node that encapsulates it',
      `DF is set, so that node drops it and answers ICMP frag-needed (type 3, code 4, next-hop MTU 1450) to ${fieldOf(ip, 'src')!.value}; if that ICMP is filtered, the packet just vanishes (a PMTU black hole)`,
    ]);

    // The node's answer, in the same capture: frag-needed with next-hop MTU = the inner MTU,
    // quoting the packet that did not fit.
    const answer = cni0.find((a) => a.layers.some((l) => l.kind === 'icmp' && !l.quoted && fieldNumber(l, 'type') === 3 && fieldNumber(l, 'code') === 4))!;
    const icmp = answer.layers.find((l) => l.kind === 'icmp' && !l.quoted)!;
    expect(fieldNumber(icmp, 'nextHopMtu')).toBe(m.innerMtu);
    const quoted = answer.layers.find((l) => l.kind === 'ipv4' && l.quoted)!;
    expect(fieldNumber(quoted, 'totalLength')).toBe(m.innerLength);
    expect(fieldOf(quoted, 'id')?.value).toBe(fieldOf(ip, 'id')?.value);
    expect(m.innerMtu).toBe(deviceMtu('vxlan-mtu-frag-needed', 'node1', 'flannel.1'));
    // The error itself is small and goes back unencapsulated: nothing to fit.
    expect(mtuArithmetic(answer).overlay).toBe('none');
    expect(mtuArithmetic(answer).fits).toBe(true);
  });

  it('a GSO super-packet on a host capture is said to be one', async () => {
    const gso = (await anatomies('vxlan-mtu-frag-needed', 'node1-cni0.pcap')).find((a) => {
      const k = innermostIp(a.layers);
      return a.layers[k + 1]?.kind === 'tcp' && fieldNumber(a.layers[k], 'totalLength')! > 1500;
    })!;
    expect(gso).toBeDefined();
    const m = mtuArithmetic(gso, 1500, 'vxlan');
    expect(m.fits).toBe(false);
    expect(m.lines.some((l) => l.includes('GSO/TSO super-packet'))).toBe(true);
  });
});

describe.runIf(have.has('vxlan-mtu-blackhole'))('vxlan-mtu-blackhole: full-size segments vanish after node2 cni0', () => {
  it('too big for the tunnel, and no frag-needed anywhere', async () => {
    const cni0 = await anatomies('vxlan-mtu-blackhole', 'node2-cni0.pcap');
    const largest = cni0.reduce((best, a) => {
      const len = fieldNumber(a.layers[innermostIp(a.layers)], 'totalLength') ?? 0;
      return len > (fieldNumber(best.layers[innermostIp(best.layers)], 'totalLength') ?? 0) ? a : best;
    });
    const m = mtuArithmetic(largest, 1500, 'vxlan');
    expect(m.fits).toBe(false);
    expect(m.innerLength).toBeGreaterThan(m.innerMtu);
    expect(m.lines.some((l) => l.includes('a PMTU black hole'))).toBe(true);

    // Every segment that did not fit stops at cni0: what entered the tunnel fits.
    const full = cni0.filter((a) => !mtuArithmetic(a, 1500, 'vxlan').fits);
    expect(full.length).toBeGreaterThan(3);
    for (const file of ['node2-flannel.1.pcap', 'node2-eth0.pcap', 'node1-eth0.pcap', 'node1-flannel.1.pcap']) {
      for (const a of await anatomies('vxlan-mtu-blackhole', file)) expect(mtuArithmetic(a, 1500, 'vxlan').fits, file).toBe(true);
    }
    // The black hole: the nodes drop the frag-needed they generate.
    for (const file of captureFiles('vxlan-mtu-blackhole')) {
      for (const a of await anatomies('vxlan-mtu-blackhole', file)) {
        expect(a.layers.some((l) => l.kind === 'icmp' && fieldNumber(l, 'type') === 3 && fieldNumber(l, 'code') === 4), file).toBe(false);
      }
    }
  });
});

describe('mtuArithmetic on hand-made packets', () => {
  // Ethernet[IPv4 total 1500, DF clear[UDP]]: seen before a VXLAN tunnel, it is fragmented.
  const big = new Uint8Array(14 + 1500);
  big.set(hex('02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 05 dc 00 09 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 30 39 00 35 05 c8 00 00'));

  it('DF clear: fragmented before encapsulation', () => {
    const m = mtuArithmetic(packetAnatomy(1, big), 1500, 'vxlan');
    expect(m.fits).toBe(false);
    // 1480 bytes of payload in fragments of at most 1424 (1450 − 20, a multiple of 8): 2.
    expect(m.lines.at(-1)).toBe('DF is clear, so that node fragments it into 2 fragments of at most 1450 bytes and encapsulates each');
  });

  it('no overlay: just the underlay MTU', () => {
    expect(mtuArithmetic(packetAnatomy(1, big)).lines).toEqual(['no overlay: IPv4 1500 ≤ MTU 1500: fits']);
    const m = mtuArithmetic(packetAnatomy(1, big), 1400);
    expect(m).toMatchObject({ overlay: 'none', overhead: 0, innerMtu: 1400, innerLength: 1500, fits: false });
  });

  it('Geneve with options: 50 plus the options', () => {
    // Ethernet[IPv4[UDP 6081[Geneve, 8 bytes of options[Ethernet[IPv4[ICMP]]]]]]
    const a = packetAnatomy(
      1,
      hex(`02 00 00 00 00 02  02 00 00 00 00 01  08 00
           45 00 00 5e 00 01 00 00 40 11 00 00  c0 a8 00 0b  c0 a8 00 0c
           c0 00 17 c1 00 4a 00 00
           02 00 65 58 00 00 07 00  01 02 80 01 aa bb cc dd
           0a 00 00 00 00 02  0a 00 00 00 00 01  08 00
           45 00 00 1c ab cd 40 00 3f 01 00 00  0a f4 01 08  0a f4 02 04
           08 00 00 00 12 34 00 07`),
    );
    const m = mtuArithmetic(a);
    expect(m).toMatchObject({ overlay: 'geneve', overhead: 58, innerMtu: 1442, innerLength: 28, fits: true });
    expect(m.parts?.map((p) => `${p.title} ${p.length}`)).toEqual(['outer IPv4 20', 'UDP 8', 'Geneve 16', 'inner Ethernet II 14']);
  });
});

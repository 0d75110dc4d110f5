/**
 * The same packet at consecutive stations of the sample captures: what the diff reports is what
 * the decoder decoded at the two stations, and nothing that changed is left out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket, type Layer } from '../decode/decode-packet';
import { hex } from '../testing/hex';
import { fieldNumber, fieldOf, packetAnatomy } from './anatomy';
import { ABSENT, diffStations } from './diff';
import { anatomyOf, decodedValue, FIELD_PROPERTIES, innermostIp, leadingNumber, readPackets, SAMPLES, sampleScenarios, type SamplePacket } from './test-util';
import type { Anatomy, AnatomyLayer, StationDiff } from './types';

interface Scenario {
  capturePoints: { file: string; node: string; interface: string }[];
  extraCaptures?: { file: string; node: string; interface: string; ifindex?: Record<string, string> }[];
  topology: {
    nodes: { name: string; interfaces: { name: string; addresses?: string[]; mtu: number }[] }[];
    services?: { clusterIp: string; port: number; endpoints: string[] }[];
  };
}

interface Station {
  node: string;
  interface: string;
  pkt: SamplePacket;
  a: Anatomy;
  decoded: Layer[];
}

function scenario(name: string): Scenario {
  return JSON.parse(readFileSync(join(SAMPLES, name, 'scenario.json'), 'utf8')) as Scenario;
}

/** The innermost IP layer and the layer after it. */
function inner(a: Anatomy): { ip: AnatomyLayer | undefined; next: AnatomyLayer | undefined } {
  const k = innermostIp(a.layers);
  return { ip: a.layers[k], next: a.layers[k + 1] };
}

/**
 * One packet followed along the capture points (in path order, or reversed for a reply):
 * `pick` chooses it at the first point that has it, and every later point contributes the
 * packet with the same innermost IP identification and protocol.
 */
async function follow(name: string, pick: (a: Anatomy) => boolean, dir: 'request' | 'reply' = 'request'): Promise<Station[]> {
  const points = [...scenario(name).capturePoints];
  if (dir === 'reply') points.reverse();
  const out: Station[] = [];
  let id: number | undefined;
  let proto: string | undefined;
  for (const p of points) {
    const pkts = await readPackets(join(SAMPLES, name, p.file));
    for (const pkt of pkts) {
      const a = anatomyOf(pkt);
      const { ip, next } = inner(a);
      const ok = id === undefined ? pick(a) : fieldNumber(ip, 'id') === id && next?.kind === proto;
      if (!ok) continue;
      id ??= fieldNumber(ip, 'id');
      proto ??= next?.kind;
      out.push({ node: p.node, interface: p.interface, pkt, a, decoded: decodePacket(pkt.data, pkt.linkType).layers });
      break;
    }
  }
  return out;
}

const echo =
  (type: number, seq: number) =>
  (a: Anatomy): boolean => {
    const { next } = inner(a);
    return next?.kind === 'icmp' && fieldNumber(next, 'type') === type && fieldNumber(next, 'sequence') === seq;
  };

function diff(f: Station, t: Station): StationDiff {
  return diffStations(f.a, t.a, { from: { node: f.node, interface: f.interface }, to: { node: t.node, interface: t.interface } });
}

/**
 * Every reported change shows the two stations' field values, which are the decoder's; and on
 * the innermost IP header, its transport header and the link header in front, every decoded
 * property that differs is reported and none that agrees is.
 */
function expectChangesMatchDecoder(f: Station, t: Station, d: StationDiff): void {
  const where = `${f.node} ${f.interface} → ${t.node} ${t.interface}`;
  for (const c of d.changed) {
    const what = `${where}: ${c.layerTitle}.${c.key}`;
    expect(c.why, what).toMatch(/^[^\n]{10,}$/);
    expect(c.from, what).not.toBe(c.to);
    for (const [side, st, layer, value, list] of [
      ['from', f, c.fromLayer, c.from, d.removed],
      ['to', t, c.toLayer, c.to, d.added],
    ] as const) {
      if (layer === undefined) {
        expect(value, `${what} ${side}`).toBe(ABSENT);
        continue;
      }
      expect(value, `${what} ${side}`).toBe(fieldOf(st.a.layers[layer], c.key)?.value ?? ABSENT);
      const dl = st.decoded[layer]!;
      const v = decodedValue(dl, c.key);
      if (v !== undefined) expect(typeof v === 'number' ? leadingNumber(value) : value, `${what} ${side} vs decoder`).toBe(v);
      // A paired layer is neither added nor removed.
      if (c.fromLayer !== undefined && c.toLayer !== undefined) expect(list.some((x) => x.layer === layer), `${what}: paired, yet ${side === 'from' ? 'removed' : 'added'}`).toBe(false);
    }
    if (c.fromLayer === undefined) expect(d.added.some((x) => x.layer === c.toLayer), `${what}: introduced by an added layer`).toBe(true);
    const at = c.toLayer !== undefined ? t.a.layers[c.toLayer] : f.a.layers[c.fromLayer!];
    expect(c.layerTitle).toBe(at?.title);
    expect(c.depth).toBe(at?.depth);
  }

  const kf = innermostIp(f.a.layers);
  const kt = innermostIp(t.a.layers);
  const pairs: [number, number][] = [
    [kf, kt],
    [kf + 1, kt + 1],
  ];
  if (f.a.layers[kf - 1]?.kind === 'ethernet' && t.a.layers[kt - 1]?.kind === 'ethernet') pairs.push([kf - 1, kt - 1]);
  for (const [i, j] of pairs) {
    const fl = f.decoded[i];
    const tl = t.decoded[j];
    if (fl === undefined || tl === undefined || fl.kind !== tl.kind) continue;
    for (const key of Object.keys(FIELD_PROPERTIES[fl.kind] ?? {})) {
      const fv = decodedValue(fl, key);
      const tv = decodedValue(tl, key);
      const reported = d.changed.filter((c) => c.fromLayer === i && c.toLayer === j && (c.key === key || c.key.startsWith(`${key}.`)));
      if (fv === tv) expect(reported.filter((c) => c.key === key), `${where}: ${fl.kind}.${key} unchanged (${fv})`).toEqual([]);
      else expect(reported.length, `${where}: ${fl.kind}.${key} ${fv} → ${tv} not reported`).toBeGreaterThan(0);
    }
  }
}

function ttlChanges(d: StationDiff): string[] {
  return d.changed.filter((c) => c.key === 'ttl' && c.from !== ABSENT).map((c) => `${c.from} → ${c.to}`);
}

const have = new Set(sampleScenarios());

describe.runIf(have.has('vxlan-healthy'))('one ping across flannel VXLAN (vxlan-healthy)', () => {
  it('request: encapsulated on node1, decapsulated on node2, routed twice', async () => {
    const st = await follow('vxlan-healthy', echo(8, 1));
    expect(st.map((s) => `${s.node} ${s.interface}`)).toEqual([
      'node1 veth3a1b2c4d',
      'node1 cni0',
      'node1 flannel.1',
      'node1 eth0',
      'node2 eth0',
      'node2 flannel.1',
      'node2 cni0',
      'node2 veth7e9d0f12',
    ]);
    const diffs = st.slice(1).map((t, i) => diff(st[i]!, t));
    diffs.forEach((d, i) => expectChangesMatchDecoder(st[i]!, st[i + 1]!, d));
    const [vethCni, cniFlannel, flannelEth, ethEth, ethFlannel, flannelCni, cniVeth] = diffs as [StationDiff, StationDiff, StationDiff, StationDiff, StationDiff, StationDiff, StationDiff];

    // The bridge forwards the frame as it is; so does the underlay between the two nodes.
    for (const d of [vethCni, ethEth, cniVeth]) {
      expect(d).toMatchObject({ added: [], removed: [], changed: [], samePacket: true, summary: 'unchanged: the same headers at both stations' });
    }

    // node1 routes cni0 → flannel.1: TTL, MACs, header checksum.
    expect(cniFlannel.added).toEqual([]);
    expect(cniFlannel.removed).toEqual([]);
    expect(cniFlannel.changed.map((c) => `${c.layerTitle}.${c.key}`)).toEqual(['Ethernet II.dst', 'Ethernet II.src', 'IPv4.ttl', 'IPv4.checksum']);
    const ttl = cniFlannel.changed.find((c) => c.key === 'ttl')!;
    expect(ttl).toMatchObject({ from: '64', to: '63', why: 'decremented once per routing hop: node1 routed it from cni0 to flannel.1' });
    expect(cniFlannel.changed.find((c) => c.key === 'src')!.why).toBe('a new link: each hop rewrites source and destination MAC');
    expect(cniFlannel.changed.find((c) => c.key === 'checksum')!.why).toBe('recomputed because the TTL changed');
    expect(cniFlannel.summary).toBe('routed: TTL 64 → 63; new MAC addresses');

    // flannel.1 → eth0: the VXLAN headers appear in front of the unchanged inner frame.
    expect(flannelEth.added).toEqual([
      { title: 'Ethernet II', depth: 0, length: 14, layer: 0 },
      { title: 'IPv4', depth: 0, length: 20, layer: 1 },
      { title: 'UDP', depth: 0, length: 8, layer: 2 },
      { title: 'VXLAN', depth: 0, length: 8, layer: 3 },
    ]);
    expect(flannelEth.removed).toEqual([]);
    expect(flannelEth.changed.every((c) => c.from === ABSENT)).toBe(true);
    expect(flannelEth.summary).toBe('encapsulated: +50 bytes of VXLAN headers (outer Ethernet II, IPv4, UDP, VXLAN)');
    expect(st[3]!.pkt.data.length - st[2]!.pkt.data.length).toBe(50);

    // node2 eth0 → flannel.1: the same four headers go.
    expect(ethFlannel.removed).toEqual(flannelEth.added);
    expect(ethFlannel.added).toEqual([]);
    expect(ethFlannel.changed).toEqual([]);
    expect(ethFlannel.summary).toBe('decapsulated: −50 bytes of VXLAN headers (outer Ethernet II, IPv4, UDP, VXLAN)');

    // TTL changes exactly where a node routes: cni0 → flannel.1 on node1, flannel.1 → cni0 on node2.
    expect(diffs.map(ttlChanges)).toEqual([[], ['64 → 63'], [], [], [], ['63 → 62'], []]);
    expect(flannelCni.changed.find((c) => c.key === 'ttl')!.why).toBe('decremented once per routing hop: node2 routed it from flannel.1 to cni0');
  });

  it('the outer UDP source port: new with the VXLAN header, a hash of the inner flow', async () => {
    const st = await follow('vxlan-healthy', echo(8, 1));
    const d = diff(st[2]!, st[3]!);
    const sport = d.changed.find((c) => c.layerTitle === 'UDP' && c.key === 'srcPort')!;
    const udp = st[3]!.decoded[2]!;
    expect(udp.kind).toBe('udp');
    expect(sport).toMatchObject({ from: ABSENT, to: String(udp.kind === 'udp' ? udp.srcPort : -1), toLayer: 2, why: 'a hash of the inner flow, for ECMP entropy (RFC 7348 §5)' });
    expect(d.changed.find((c) => c.layerTitle === 'UDP' && c.key === 'dstPort')).toMatchObject({ to: '8472 (VXLAN, Linux/flannel)', why: "the Linux kernel's pre-IANA VXLAN port, flannel's default" });
    expect(d.changed.find((c) => c.key === 'vni')).toMatchObject({ to: '1' });
    // Linux VXLAN leaves the outer DF clear while the pod set it.
    expect(d.changed.find((c) => c.key === 'flags.df')).toMatchObject({ layerTitle: 'IPv4', depth: 0, to: '0 (not set)' });

    // On the wire: one source port per inner flow, and different flows get different ones.
    const byFlow = new Map<string, Set<number>>();
    for (const p of await readPackets(join(SAMPLES, 'vxlan-healthy', 'node1-eth0.pcap'))) {
      const a = anatomyOf(p);
      const vx = a.layers.findIndex((l) => l.kind === 'vxlan');
      if (vx < 0) continue;
      const { ip, next } = inner(a);
      const flow = [fieldOf(ip, 'src')?.value, fieldOf(ip, 'dst')?.value, next?.kind, fieldOf(next, 'srcPort')?.value, fieldOf(next, 'dstPort')?.value, fieldOf(next, 'identifier')?.value].join(' ');
      const set = byFlow.get(flow) ?? new Set<number>();
      set.add(fieldNumber(a.layers[vx - 1], 'srcPort')!);
      byFlow.set(flow, set);
    }
    expect(byFlow.size).toBeGreaterThanOrEqual(4);
    for (const [flow, ports] of byFlow) expect(ports.size, flow).toBe(1);
    expect(new Set([...byFlow.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });

  it('reply: the mirror image, routed on node2 first', async () => {
    const st = await follow('vxlan-healthy', echo(0, 1), 'reply');
    expect(st.map((s) => `${s.node} ${s.interface}`)).toEqual([
      'node2 veth7e9d0f12',
      'node2 cni0',
      'node2 flannel.1',
      'node2 eth0',
      'node1 eth0',
      'node1 flannel.1',
      'node1 cni0',
      'node1 veth3a1b2c4d',
    ]);
    const diffs = st.slice(1).map((t, i) => diff(st[i]!, t));
    diffs.forEach((d, i) => expectChangesMatchDecoder(st[i]!, st[i + 1]!, d));
    expect(diffs.map(ttlChanges)).toEqual([[], ['64 → 63'], [], [], [], ['63 → 62'], []]);
    expect(diffs.map((d) => d.added.length - d.removed.length)).toEqual([0, 0, 4, 0, -4, 0, 0]);
  });

  it('a TCP segment: partial checksums travel unchanged when nothing is translated', async () => {
    const st = await follow('vxlan-healthy', (a) => {
      const { next } = inner(a);
      return next?.kind === 'tcp' && fieldNumber(next, 'flags.syn') === 1 && fieldNumber(next, 'flags.ack') === 0;
    });
    expect(st).toHaveLength(8);
    expect(fieldOf(inner(st[0]!.a).next, 'checksum')?.value).toMatch(/\(partial, offloaded\)$/);
    st.slice(1).forEach((t, i) => {
      const d = diff(st[i]!, t);
      expectChangesMatchDecoder(st[i]!, t, d);
      expect(d.changed.filter((c) => c.layerTitle === 'TCP')).toEqual([]);
    });
  });

  it('tcpdump -i any on node2: one packet, once per interface', async () => {
    const first = await follow('vxlan-healthy', echo(8, 1));
    const id = fieldNumber(inner(first[0]!.a).ip, 'id');
    const copies = (await readPackets(join(SAMPLES, 'vxlan-healthy', 'node2-any.pcap')))
      .map((pkt) => ({ pkt, a: anatomyOf(pkt) }))
      .filter(({ a }) => fieldNumber(inner(a).ip, 'id') === id && inner(a).next?.kind === 'icmp');
    expect(copies.map(({ a }) => fieldNumber(a.layers[0], 'interfaceIndex'))).toEqual([2, 3, 4, 5]);
    const st = copies.map(({ pkt, a }) => ({ node: 'node2', interface: 'any', pkt, a, decoded: decodePacket(pkt.data, pkt.linkType).layers }));
    const d = diffStations(st[0]!.a, st[1]!.a);
    expectChangesMatchDecoder(st[0]!, st[1]!, d);
    // The cooked headers pair up; what goes is the VXLAN encapsulation with the inner Ethernet.
    expect(d.removed.map((l) => `${l.title}/${l.length}`)).toEqual(['IPv4/20', 'UDP/8', 'VXLAN/8', 'Ethernet II/14']);
    expect(d.summary).toBe('decapsulated: −50 bytes of VXLAN headers (outer IPv4, UDP, VXLAN, inner Ethernet II); seen on another interface (ifindex 2 → 3)');
    const routed = diffStations(st[1]!.a, st[2]!.a);
    expectChangesMatchDecoder(st[1]!, st[2]!, routed);
    expect(routed.summary).toBe('routed: TTL 63 → 62; seen on another interface (ifindex 3 → 4)');
    expect(routed.changed.find((c) => c.key === 'packetType')).toMatchObject({ from: '0 (to us)', to: '4 (sent by us)' });
  });
});

describe.runIf(have.has('vxlan-service-forward-drop'))('kube-proxy NAT (vxlan-service-forward-drop)', () => {
  const truth = have.has('vxlan-service-forward-drop') ? scenario('vxlan-service-forward-drop') : undefined;
  const flannelAddress = truth?.topology.nodes.find((n) => n.name === 'node1')?.interfaces.find((i) => i.name === 'flannel.1')?.addresses?.[0]?.split('/')[0];

  for (const [proto, port] of [
    ['tcp', 80],
    ['udp', 53],
  ] as const) {
    it(`${proto}: DNAT to the endpoint at node1 cni0, MASQUERADE to flannel.1's address at node1 flannel.1`, async () => {
      const svc = truth!.topology.services!.find((s) => s.port === port)!;
      const [endpointIp, endpointPort] = svc.endpoints[0]!.split(':') as [string, string];
      const st = await follow('vxlan-service-forward-drop', (a) => {
        const { ip, next } = inner(a);
        return next?.kind === proto && fieldOf(ip, 'dst')?.value === svc.clusterIp && fieldNumber(next, 'dstPort') === port;
      });
      expect(st.map((s) => `${s.node} ${s.interface}`).slice(0, 4)).toEqual(['node1 veth3a1b2c4d', 'node1 cni0', 'node1 flannel.1', 'node1 eth0']);
      const diffs = st.slice(1).map((t, i) => diff(st[i]!, t));
      diffs.forEach((d, i) => expectChangesMatchDecoder(st[i]!, st[i + 1]!, d));

      // br_netfilter: DNAT as the frame enters cni0, so only the pod's veth shows the ClusterIP.
      const dnat = diffs[0]!;
      const client = fieldOf(inner(st[0]!.a).ip, 'src')!.value;
      const sport = fieldNumber(inner(st[0]!.a).next, 'srcPort');
      expect(dnat.summary).toBe(`DNAT ${svc.clusterIp}:${port} → ${endpointIp}:${endpointPort}`);
      expect(dnat.changed.find((c) => c.layerTitle === 'IPv4' && c.key === 'dst')).toMatchObject({
        from: svc.clusterIp,
        to: endpointIp,
        why: 'DNAT (kube-proxy: Service VIP → pod); on a reply, conntrack undoing an SNAT looks the same',
      });
      expect(dnat.changed.find((c) => c.layerTitle === 'IPv4' && c.key === 'checksum')!.why).toBe('recomputed because the destination address changed');
      const l4sum = dnat.changed.find((c) => c.layerTitle === proto.toUpperCase() && c.key === 'checksum')!;
      expect(l4sum.why).toBe('recomputed after NAT: it covers the destination address (still partial: the NIC finishes it)');
      expect(ttlChanges(dnat)).toEqual([]);

      // MASQUERADE out of flannel.1: source address and port, with the routing hop.
      const snat = diffs[1]!;
      const masq = fieldNumber(inner(st[2]!.a).next, 'srcPort');
      expect(snat.summary).toBe(`SNAT ${client}:${sport} → ${flannelAddress}:${masq}; routed: TTL 64 → 63; new MAC addresses`);
      expect(snat.changed.find((c) => c.layerTitle === 'IPv4' && c.key === 'src')).toMatchObject({ from: client, to: flannelAddress });
      expect(snat.changed.find((c) => c.key === 'srcPort')!.why).toBe('SNAT/MASQUERADE rewrote the source port (--random-fully picks a new one)');
      expect(snat.changed.find((c) => c.layerTitle === 'IPv4' && c.key === 'checksum')!.why).toBe('recomputed because the TTL and source address changed');
      expect(snat.changed.find((c) => c.layerTitle === proto.toUpperCase() && c.key === 'checksum')!.why).toBe(
        'recomputed after NAT: it covers the source address and source port (still partial: the NIC finishes it)',
      );
    });
  }
});

describe.runIf(have.has('udp-healthy') && have.has('calico-healthy'))('other overlays', () => {
  it('flannel UDP: flannel0 captures bare IP; eth0 adds IPv4 and UDP 8285 around it', async () => {
    const st = await follow('udp-healthy', echo(8, 1));
    expect(st.map((s) => s.interface)).toEqual(['veth5d2c8a1', 'docker0', 'flannel0', 'eth0', 'eth0', 'flannel0', 'docker0', 'veth91be4f7']);
    const diffs = st.slice(1).map((t, i) => diff(st[i]!, t));
    diffs.forEach((d, i) => expectChangesMatchDecoder(st[i]!, st[i + 1]!, d));
    expect(diffs[1]!.summary).toBe(
      'link header removed: Ethernet II (14 bytes) (the later station captures bare IP: a TUN or IP tunnel device); routed: TTL 64 → 63',
    );
    expect(diffs[2]!.added.map((l) => `${l.title}/${l.length}`)).toEqual(['Ethernet II/14', 'IPv4/20', 'UDP/8', 'flannel UDP/0']);
    expect(diffs[2]!.summary).toBe('encapsulated: +42 bytes of flannel UDP headers (outer Ethernet II, IPv4, UDP)');
    expect(diffs[2]!.changed.find((c) => c.key === 'srcPort')).toMatchObject({ to: '8285 (flannel UDP)', why: "flanneld's own socket: one port for every flow, so no ECMP entropy" });
    expect(diffs.map(ttlChanges)).toEqual([[], ['64 → 63'], [], [], [], ['63 → 62'], []]);
  });

  it('Calico IP-in-IP: tunl0 captures bare IP; eth0 adds one IPv4 header', async () => {
    const st = await follow('calico-healthy', echo(8, 1));
    expect(st.map((s) => `${s.node} ${s.interface}`)).toEqual(['node1 calidc7f3a1b60c', 'node1 tunl0', 'node1 eth0', 'node2 eth0', 'node2 tunl0', 'node2 cali91dded39638']);
    const diffs = st.slice(1).map((t, i) => diff(st[i]!, t));
    diffs.forEach((d, i) => expectChangesMatchDecoder(st[i]!, st[i + 1]!, d));
    expect(diffs[1]!.summary).toBe('encapsulated: +34 bytes of IP-in-IP headers (outer Ethernet II, IPv4)');
    expect(diffs[1]!.changed.map((c) => c.key)).toEqual(['src', 'dst', 'flags.df']);
    expect(diffs[3]!.summary).toBe('decapsulated: −34 bytes of IP-in-IP headers (outer Ethernet II, IPv4)');
    expect(diffs.map(ttlChanges)).toEqual([['64 → 63'], [], [], [], ['63 → 62']]);
  });
});

describe.runIf(have.has('calico-healthy'))('MASQUERADE to the internet (calico-healthy)', () => {
  it('a ping out of the cluster: source address and ICMP identifier rewritten at node1 eth0', async () => {
    const points = scenario('calico-healthy').capturePoints;
    const stations: Station[] = [];
    let id: number | undefined;
    for (const file of ['node1-calidc7f3a1b60c.pcap', 'node1-eth0.pcap', 'outside-eth0.pcap']) {
      const p = points.find((x) => x.file === file)!;
      for (const pkt of await readPackets(join(SAMPLES, 'calico-healthy', file))) {
        const a = anatomyOf(pkt);
        const { ip, next } = inner(a);
        if (next?.kind !== 'icmp' || fieldNumber(next, 'type') !== 8 || fieldOf(ip, 'dst')?.value !== '203.0.113.10') continue;
        if (id !== undefined && fieldNumber(ip, 'id') !== id) continue;
        id = fieldNumber(ip, 'id');
        stations.push({ node: p.node, interface: p.interface, pkt, a, decoded: decodePacket(pkt.data, pkt.linkType).layers });
        break;
      }
    }
    expect(stations).toHaveLength(3);
    const [pod, nic, outside] = stations as [Station, Station, Station];
    const d = diff(pod, nic);
    expectChangesMatchDecoder(pod, nic, d);
    const before = fieldNumber(inner(pod.a).next, 'identifier');
    const after = fieldNumber(inner(nic.a).next, 'identifier');
    expect(after).not.toBe(before);
    expect(d.summary).toBe(
      `SNAT ${fieldOf(inner(pod.a).ip, 'src')!.value} → ${fieldOf(inner(nic.a).ip, 'src')!.value} (ICMP identifier ${before} → ${after}); routed: TTL 64 → 63; new MAC addresses`,
    );
    expect(d.changed.find((c) => c.key === 'identifier')!.why).toBe('MASQUERADE rewrites the ICMP identifier as it would a source port');
    expect(d.changed.find((c) => c.layerTitle === 'ICMP' && c.key === 'checksum')!.why).toBe('recomputed after NAT: it covers the ICMP identifier');
    // One more router between node1 and the outside host.
    const far = diff(pod, outside);
    expectChangesMatchDecoder(pod, outside, far);
    expect(far.changed.find((c) => c.key === 'ttl')).toMatchObject({ from: '64', to: '62', why: 'TTL decremented by 2, once per routing hop: 2 routers between node1 calidc7f3a1b60c and outside eth0' });
  });
});

describe('diffStations on hand-made packets', () => {
  // Ethernet[IPv4[ICMP echo]], id 0x0001
  const ping = Uint8Array.from([
    2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0x12, 0x34, 0, 1,
  ]);

  it('a packet against itself: unchanged', () => {
    const a = packetAnatomy(1, ping);
    expect(diffStations(a, a)).toEqual({ added: [], removed: [], changed: [], summary: 'unchanged: the same headers at both stations', samePacket: true });
  });

  it('another IP identification: not the same packet, and it says so', () => {
    const other = ping.slice();
    other[19] = 2;
    const d = diffStations(packetAnatomy(1, ping), packetAnatomy(1, other));
    expect(d.samePacket).toBe(false);
    expect(d.summary).toMatch(/^not the same packet\? Identification 0x0001 \(1\) ≠ 0x0002 \(2\)/);
    expect(d.changed.find((c) => c.key === 'id')!.why).toBe('the IP identification never changes in forwarding: probably not the same packet');
  });

  it("checksum offload: partial on the sender's capture, complete on the wire", () => {
    // Ethernet[IPv4[TCP SYN]] from a pod's veth: the TCP checksum is the pseudo-header sum.
    const sent = hex(`
      624c f19b 4101 5a9c 01f4 0102 0800
      4500 003c 8ae9 4000 4006 3ad1 0af4 0102 0a6c 5ea0
      9c90 0050 ee58 5930 0000 0000 a002 fd5c 7530 0000
      0204 0582 0402 080a 77c4 d282 0000 0000 0103 030a`);
    const wire = sent.slice();
    wire[50] = 0;
    wire[51] = 0;
    const done = /should be 0x([0-9a-f]{4})/.exec(fieldOf(packetAnatomy(1, wire).layers[2], 'checksum')!.value)![1]!;
    wire[50] = parseInt(done.slice(0, 2), 16);
    wire[51] = parseInt(done.slice(2), 16);
    const d = diffStations(packetAnatomy(1, sent), packetAnatomy(1, wire));
    expect(d.changed).toEqual([
      {
        layerTitle: 'TCP',
        depth: 0,
        key: 'checksum',
        name: 'Checksum',
        from: '0x7530 (partial, offloaded)',
        to: `0x${done} (correct)`,
        why: "offloaded: the sender's checksum is filled in by the NIC, so tcpdump on the sending host sees a partial one",
        fromLayer: 2,
        toLayer: 2,
      },
    ]);
    expect(d.summary).toBe('TCP checksum completed by the NIC (checksum offload)');
  });

  it('a TTL two lower: two routers between the stations', () => {
    const later = ping.slice();
    later[22] = 62;
    const d = diffStations(packetAnatomy(1, ping), packetAnatomy(1, later), { from: { node: 'node1', interface: 'eth0' }, to: { node: 'node3', interface: 'eth0' } });
    expect(d.changed.find((c) => c.key === 'ttl')!.why).toBe('TTL decremented by 2, once per routing hop: 2 routers between node1 eth0 and node3 eth0');
  });
});

/**
 * The hop diagram's layout on real reports: each lab scenario in sample-captures/ is analysed
 * as the CLI would (some with capture files left out), and the picture must say what the
 * verdict says: where the break is, what was not captured, where addresses change.
 */
import { ns } from '../util/units';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze, type AnalysisReport } from '../analyze';
import type { FlowReport } from '../verdict/verdict';
import { clockLabel, clockTitle, encapsulationText, layoutHopDiagram, type HopLayout, type HopLayoutOptions } from './hop-layout';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');
const CAPTURE = /\.(pcapng|pcap)$/;
const cache = new Map<string, Promise<AnalysisReport>>();

/** The scenario's report, with `without` files left out (and the pcapng that repeats them). */
function report(scenario: string, without: string[] = []): Promise<AnalysisReport> {
  const key = `${scenario}|${without.join(',')}`;
  let r = cache.get(key);
  if (!r) {
    const skip = without.length > 0 ? [...without, 'all-interfaces.pcapng'] : [];
    const dir = join(SAMPLES, scenario);
    const files = readdirSync(dir)
      .filter((n) => CAPTURE.test(n) && !skip.includes(n))
      .sort()
      .map((n) => join(dir, n));
    r = loadInputs(files, new Map()).then(({ inputs }) => analyze(inputs).report);
    cache.set(key, r);
  }
  return r;
}

/** The flow of a protocol (ICMP unless told), and its layout. */
async function scene(scenario: string, opts: Partial<HopLayoutOptions> & { without?: string[]; protocol?: FlowReport['protocol']; server?: string } = {}) {
  const r = await report(scenario, opts.without);
  const flow = r.flows.find((f) => f.protocol === (opts.protocol ?? 'icmp') && (!opts.server || f.server === opts.server));
  if (!flow) throw new Error(`${scenario}: no ${opts.protocol ?? 'icmp'} flow`);
  const layout = layoutHopDiagram(flow, r.clocks, { width: opts.width ?? 1200, direction: opts.direction });
  return { r, flow, layout };
}

const station = (l: HopLayout, name: string) => {
  const s = l.stations.find((x) => x.name === name && x.state !== 'any');
  if (!s) throw new Error(`no station ${name}`);
  return s;
};
const segmentBetween = (l: HopLayout, a: string, b: string) => {
  const i = station(l, a).index;
  const j = station(l, b).index;
  const s = l.segments.find((x) => (x.from === i && x.to === j) || (x.from === j && x.to === i));
  if (!s) throw new Error(`no segment ${a} — ${b}`);
  return s;
};
const pathNames = (l: HopLayout) => l.stations.filter((s) => s.pathIndex !== null).map((s) => s.name);

const hasSamples = existsSync(join(SAMPLES, 'vxlan-forward-drop'));
if (!hasSamples) console.log(`[samples] no sample captures in ${SAMPLES}: skipping the hop layout tests`);

describe.skipIf(!hasSamples)('hop layout on the lab scenarios', () => {
  describe('vxlan-forward-drop: requests die between node2 flannel.1 and cni0', () => {
    for (const protocol of ['icmp', 'tcp', 'udp'] as const) {
      it(`${protocol}: one break, on the flannel.1 → cni0 segment of node2, for requests`, async () => {
        const { layout } = await scene('vxlan-forward-drop', { protocol });
        const seg = segmentBetween(layout, 'node2/flannel.1', 'node2/cni0');
        expect(seg.stop).toBe('requests');
        expect(layout.segments.filter((s) => s.stop !== null)).toEqual([seg]);
        expect(layout.breaks).toHaveLength(1);
        const b = layout.breaks[0]!;
        expect(b).toMatchObject({ direction: 'requests', kind: 'stop', label: 'requests stop here', segments: [seg.index], uncaptured: [] });
        expect(layout.stations[b.from]!.name).toBe('node2/flannel.1');
        expect(layout.stations[b.to]!.name).toBe('node2/cni0');
        expect(b.marks).toEqual([(seg.x1 + seg.x2) / 2].map((x) => Math.round(x * 10) / 10));
        expect(b.title).toContain('never node2/cni0');
      });
    }

    it('draws the hosts client-first with every station in kernel order, and the zero stations after the break', async () => {
      const { layout } = await scene('vxlan-forward-drop');
      expect(layout.hosts.map((h) => h.node)).toEqual(['node1', 'node2']);
      expect(pathNames(layout)).toEqual([
        'node1/veth3a1b2c4d',
        'node1/cni0',
        'node1/flannel.1',
        'node1/eth0',
        'node2/eth0',
        'node2/flannel.1',
        'node2/cni0',
        'node2/veth7e9d0f12',
      ]);
      expect(layout.stations.filter((s) => s.pathIndex !== null).map((s) => s.role)).toEqual(['pod', 'bridge', 'overlay', 'nic', 'nic', 'overlay', 'bridge', 'pod']);
      expect(station(layout, 'node2/flannel.1')).toMatchObject({ state: 'seen', requests: 3, replies: 0, counts: '→3 ←0' });
      expect(station(layout, 'node2/cni0')).toMatchObject({ state: 'zero', counts: '→0 ←0' });
      expect(station(layout, 'node2/veth7e9d0f12').state).toBe('zero');
      // Requests crossed up to node2 flannel.1; replies crossed nothing.
      expect(layout.segments.map((s) => s.crossed.requests)).toEqual([true, true, true, true, true, false, false]);
      expect(layout.segments.every((s) => !s.crossed.replies)).toBe(true);
    });

    it('labels the underlay segment with the VXLAN port and each host with its clock', async () => {
      const { layout } = await scene('vxlan-forward-drop');
      const under = layout.segments.filter((s) => s.kind === 'underlay');
      expect(under).toHaveLength(1);
      expect(layout.stations[under[0]!.from]!.name).toBe('node1/eth0');
      expect(layout.stations[under[0]!.to]!.name).toBe('node2/eth0');
      expect(under[0]!.encapsulation?.text).toBe('VXLAN VNI 1, UDP 8472');
      expect(layout.segments.filter((s) => s.kind === 'host').every((s) => s.encapsulation === null)).toBe(true);
      expect(layout.hosts.map((h) => h.clockLabel)).toEqual(['clock reference', 'clock −0.004 ms (one-way)']);
      expect(layout.hosts[1]!.clockTitle).toContain('7 packets');
    });

    it('summarises the flow, the path and the break for the accessible name', async () => {
      const { layout } = await scene('vxlan-forward-drop');
      expect(layout.summary).toContain('ICMP 10.244.1.2 → 10.244.2.2');
      expect(layout.summary).toContain('VXLAN VNI 1, UDP 8472');
      expect(layout.summary).toContain('requests stop between node2/flannel.1 and node2/cni0');
    });
  });

  it('vxlan-return-path-drop: replies break between node1 flannel.1 and cni0, requests cross everything', async () => {
    const { layout } = await scene('vxlan-return-path-drop');
    const seg = segmentBetween(layout, 'node1/cni0', 'node1/flannel.1');
    expect(seg.stop).toBe('replies');
    expect(layout.segments.filter((s) => s.stop !== null)).toEqual([seg]);
    expect(layout.breaks).toHaveLength(1);
    const b = layout.breaks[0]!;
    expect(b).toMatchObject({ direction: 'replies', kind: 'stop', label: 'replies stop here' });
    // Replies travel right to left: from flannel.1 they never reach cni0, on its left.
    expect(layout.stations[b.from]!.name).toBe('node1/flannel.1');
    expect(layout.stations[b.to]!.name).toBe('node1/cni0');
    expect(layout.stations[b.to]!.x).toBeLessThan(layout.stations[b.from]!.x);
    expect(layout.segments.every((s) => s.crossed.requests)).toBe(true);
    expect(layout.segments.map((s) => s.crossed.replies)).toEqual([false, false, true, true, true, true, true]);
    // The reply lane of the stop segment carries the ✕, not an arrow; the request lane keeps its arrow.
    expect(seg.lanes.find((l) => l.direction === 'replies')!.arrowX).toBeNull();
    expect(seg.lanes.find((l) => l.direction === 'requests')!.arrowX).not.toBeNull();
    expect(layout.hosts[1]!.clockLabel).toBe('clock −0.002 ms (two-way)');
  });

  describe('vxlan-service-forward-drop: a Service address translated on node1', () => {
    for (const protocol of ['tcp', 'udp'] as const) {
      it(`${protocol}: DNAT at node1/cni0, SNAT at node1/flannel.1, with the addresses in the tooltip`, async () => {
        const { flow, layout } = await scene('vxlan-service-forward-drop', { protocol });
        expect(layout.nat.map((m) => [m.at, m.kind])).toEqual([
          ['node1/cni0', 'DNAT'],
          ['node1/flannel.1', 'SNAT'],
        ]);
        for (const m of layout.nat) {
          const s = layout.stations[m.station]!;
          expect(s.name).toBe(m.at);
          expect(m.x).toBe(s.x);
          expect(m.y).toBeLessThan(s.y - s.r);
          const t = flow.translations.find((x) => x.at === m.at)!;
          expect(m.title).toContain(t.from);
          expect(m.title).toContain(t.to);
        }
        expect(layout.nat[0]!.title).toMatch(/10\.(108\.94\.160:80|96\.0\.10:53)/);
        expect(segmentBetween(layout, 'node2/flannel.1', 'node2/cni0').stop).toBe('requests');
      });
    }

    it('icmp to the pod address: no translation, no marker', async () => {
      const { layout } = await scene('vxlan-service-forward-drop', { protocol: 'icmp' });
      expect(layout.nat).toEqual([]);
    });
  });

  describe('calico-snat-forward-off: a pod reaching an outside host through SNAT on node1', () => {
    it('node1 then the outside host, SNAT at node1/eth0, replies stop before the pod', async () => {
      const { layout } = await scene('calico-snat-forward-off', { server: '203.0.113.10' });
      expect(layout.hosts.map((h) => [h.node, h.outside])).toEqual([
        ['node1', false],
        ['outside', true],
      ]);
      expect(pathNames(layout)).toEqual(['node1/calidc7f3a1b60c', 'node1/eth0', 'outside/eth0']);
      expect(layout.nat).toHaveLength(1);
      expect(layout.nat[0]).toMatchObject({ at: 'node1/eth0', kind: 'SNAT' });
      expect(layout.nat[0]!.title).toContain('10.39.0.110');
      const under = layout.segments.find((s) => s.kind === 'underlay')!;
      expect(under.encapsulation?.text).toBe('SNAT to the outside');
      expect(segmentBetween(layout, 'node1/calidc7f3a1b60c', 'node1/eth0').stop).toBe('replies');
      expect(layout.hosts.map((h) => h.clockLabel)).toEqual(['clock reference', 'clock −0.016 ms (two-way)']);
    });

    it('the same pod to a pod on node2 goes IP-in-IP', async () => {
      const { layout } = await scene('calico-snat-forward-off', { server: '192.168.54.50' });
      expect(layout.hosts.map((h) => h.node)).toEqual(['node1', 'node2']);
      expect(layout.segments.find((s) => s.kind === 'underlay')!.encapsulation?.text).toBe('IP-in-IP (proto 4)');
    });
  });

  describe('vxlan-route-missing-default-gw: node2 routes pod-a\'s address past flannel.1', () => {
    it('the replies that left node2/eth0 as plain IP are said not encapsulated on the link where they stop; the requests\' VXLAN stays named', async () => {
      const { flow, layout } = await scene('vxlan-route-missing-default-gw');
      expect(flow.stopLeftPlain).toBe(true);
      const under = layout.segments.find((s) => s.kind === 'underlay')!;
      expect(under.encapsulation?.text).toBe('replies not encapsulated');
      expect(under.encapsulation?.title).toBe('node1 → node2: the replies left node2/eth0 as plain IP, not encapsulated: they never entered flannel.1; the requests crossed as VXLAN VNI 1, UDP 8472');
    });

    it('requests that never crossed encapsulated name no tunnel at all', async () => {
      const { layout } = await scene('vxlan-route-missing-default-gw', { protocol: 'udp' });
      expect(layout.segments.find((s) => s.kind === 'underlay')!.encapsulation?.text).toBe('requests not encapsulated');
    });

    it('a pod reaching the other node\'s own address is masqueraded, not tunnelled: no overlay device on its path, and node1 is no outside host', async () => {
      const { layout } = await scene('vxlan-route-missing-default-gw', { protocol: 'tcp', server: '192.168.0.11' });
      expect(pathNames(layout)).toEqual(['node2/veth7e9d0f12', 'node2/cni0', 'node2/eth0', 'node1/eth0']);
      expect(layout.hosts.map((h) => [h.node, h.outside])).toEqual([
        ['node2', false],
        ['node1', false],
      ]);
      expect(layout.segments.find((s) => s.kind === 'underlay')!.encapsulation?.text).toBe('SNAT, routed');
    });
  });

  it('udp-forward-drop: the flannel UDP backend is named with its port', async () => {
    const { layout } = await scene('udp-forward-drop');
    expect(layout.segments.find((s) => s.kind === 'underlay')!.encapsulation?.text).toBe('flannel UDP 8285');
    expect(segmentBetween(layout, 'node2/flannel0', 'node2/docker0').stop).toBe('requests');
  });

  it('vxlan-healthy: no break, every segment crossed both ways, every station seen', async () => {
    for (const protocol of ['icmp', 'tcp', 'udp'] as const) {
      const { layout } = await scene('vxlan-healthy', { protocol });
      expect(layout.breaks).toEqual([]);
      expect(layout.segments.every((s) => s.stop === null && s.crossed.requests && s.crossed.replies)).toBe(true);
      expect(layout.stations.filter((s) => s.pathIndex !== null).every((s) => s.state === 'seen')).toBe(true);
      expect(layout.segments.flatMap((s) => s.lanes).every((l) => l.arrowX !== null)).toBe(true);
    }
  });

  describe('points on the path that were not captured', () => {
    it('node2 flannel.1 left out: placed between eth0 and cni0 as not-captured, never as the drop', async () => {
      const { flow, layout } = await scene('vxlan-forward-drop', { without: ['node2-flannel.1.pcap'] });
      expect(flow.notCaptured).toEqual([{ node: 'node2', interface: 'flannel.1', role: 'overlay' }]);
      const nc = station(layout, 'node2/flannel.1');
      expect(nc).toMatchObject({ state: 'not-captured', point: null, requests: null, replies: null, counts: 'not captured' });
      expect(nc.title).toContain('not captured');
      expect(pathNames(layout).slice(4)).toEqual(['node2/eth0', 'node2/flannel.1', 'node2/cni0', 'node2/veth7e9d0f12']);
      // The break spans eth0 → cni0, with flannel.1 named as the gap; its ✕ marks sit on the
      // segments, never on the uncaptured station.
      expect(layout.breaks).toHaveLength(1);
      const b = layout.breaks[0]!;
      expect(layout.stations[b.from]!.name).toBe('node2/eth0');
      expect(layout.stations[b.to]!.name).toBe('node2/cni0');
      expect(b.uncaptured).toEqual([nc.index]);
      expect(b.label).toBe('requests stop in here');
      expect(b.title).toContain('node2/flannel.1 not captured');
      expect(b.marks).toHaveLength(2);
      for (const x of b.marks) expect(Math.abs(x - nc.x)).toBeGreaterThan(nc.r * 2);
      const before = segmentBetween(layout, 'node2/eth0', 'node2/flannel.1');
      const after = segmentBetween(layout, 'node2/flannel.1', 'node2/cni0');
      expect([before.inferred, after.inferred]).toEqual([true, true]);
      expect([before.stop, after.stop]).toEqual(['requests', 'requests']);
      // The overlay device is still known from node1: the underlay keeps its label.
      expect(layout.segments.find((s) => s.kind === 'underlay')!.encapsulation?.text).toBe('VXLAN VNI 1, UDP 8472');
    });

    it('node1 cni0 left out: placed between the pod veth and flannel.1 on the client node', async () => {
      const { layout } = await scene('vxlan-return-path-drop', { without: ['node1-cni0.pcap'] });
      expect(pathNames(layout).slice(0, 4)).toEqual(['node1/veth3a1b2c4d', 'node1/cni0', 'node1/flannel.1', 'node1/eth0']);
      expect(station(layout, 'node1/cni0').state).toBe('not-captured');
      // Requests crossed both sides of the uncaptured bridge: crossing is inferred, not denied.
      const s = segmentBetween(layout, 'node1/veth3a1b2c4d', 'node1/cni0');
      expect(s).toMatchObject({ inferred: true, crossed: { requests: true, replies: false } });
      expect(layout.breaks[0]).toMatchObject({ direction: 'replies', uncaptured: [station(layout, 'node1/cni0').index] });
    });
  });

  it('-i any captures sit below their host, off the path line, and no segment touches them', async () => {
    for (const [scenario, node] of [
      ['vxlan-forward-drop', 'node2'],
      ['vxlan-return-path-drop', 'node1'],
      ['calico-snat-forward-off', 'node1'],
    ] as const) {
      const { layout } = await scene(scenario);
      const any = layout.stations.filter((s) => s.state === 'any');
      expect(any.map((s) => s.name)).toEqual([`${node}/any`]);
      const a = any[0]!;
      const host = layout.hosts[a.hostIndex]!;
      expect(host.node).toBe(node);
      expect(a.pathIndex).toBeNull();
      expect(a.y).toBeGreaterThan(layout.pathY + 40);
      expect(a.y + a.r).toBeLessThanOrEqual(host.y + host.height);
      expect(a.x - a.halfWidth).toBeGreaterThanOrEqual(host.x);
      expect(a.x + a.halfWidth).toBeLessThanOrEqual(host.x + host.width);
      expect(layout.segments.some((s) => s.from === a.index || s.to === a.index)).toBe(false);
      expect(a.title).toContain('does not decide where packets stop');
    }
  });

  describe('the direction option', () => {
    it('requests only: one lane, request counts, the reply break left out', async () => {
      const { layout } = await scene('vxlan-return-path-drop', { direction: 'requests' });
      expect(layout.direction).toBe('requests');
      expect(layout.breaks).toEqual([]);
      expect(layout.segments.every((s) => s.stop === null && s.lanes.length === 1 && s.lanes[0]!.y === layout.pathY)).toBe(true);
      expect(station(layout, 'node1/cni0')).toMatchObject({ counts: '→3', state: 'seen' });
    });

    it('replies only: states follow the replies, the break stays', async () => {
      const { layout } = await scene('vxlan-return-path-drop', { direction: 'replies' });
      expect(station(layout, 'node1/cni0')).toMatchObject({ counts: '←0', state: 'zero' });
      expect(station(layout, 'node1/flannel.1')).toMatchObject({ counts: '←3', state: 'seen' });
      expect(layout.breaks.map((b) => b.direction)).toEqual(['replies']);
      expect(layout.segments[0]!.lanes.map((l) => [l.direction, l.arrowDir])).toEqual([['replies', -1]]);
    });
  });

  it('one node: a flow captured on node1 only is one host, with no underlay segment', async () => {
    const node2 = ['node2-eth0.pcap', 'node2-flannel.1.pcap', 'node2-cni0.pcap', 'node2-veth7e9d0f12.pcap', 'node2-any.pcap'];
    const { layout } = await scene('vxlan-healthy', { without: node2 });
    expect(layout.hosts.map((h) => h.node)).toEqual(['node1']);
    expect(layout.segments).toHaveLength(3);
    expect(layout.segments.every((s) => s.kind === 'host' && s.encapsulation === null)).toBe(true);
    expect(layout.hosts[0]!.outside).toBe(false);
  });

  it('three hosts: a chain through a middle host keeps the hosts apart and labels both underlay segments', async () => {
    const { r, flow } = await scene('vxlan-forward-drop');
    // The real flow with a third host behind node2 (a router, captured at its NIC).
    const far = { ...flow.hops.find((h) => h.node === 'node2' && h.role === 'nic')!, node: 'edge', host: 'edge', point: 99 };
    const chain: FlowReport = { ...flow, hops: [...flow.hops, far] };
    const layout = layoutHopDiagram(chain, r.clocks, { width: 900 });
    expect(layout.hosts.map((h) => [h.node, h.outside, h.clockLabel])).toEqual([
      ['node1', false, 'clock reference'],
      ['node2', false, 'clock −0.004 ms (one-way)'],
      ['edge', true, 'clock unknown'],
    ]);
    const under = layout.segments.filter((s) => s.kind === 'underlay');
    // node1→node2 carries what the captured headers said; the made-up hop has no capture of them.
    expect(under.map((s) => s.encapsulation?.text)).toEqual(['VXLAN VNI 1, UDP 8472', 'VXLAN, UDP 8472']);
    expectInvariants(layout, 900);
  });

  it('a step whose capture does not cover the time is "not observed", never a stop', async () => {
    const { r, flow } = await scene('vxlan-forward-drop');
    const unobserved: FlowReport = { ...flow, verdict: { ...flow.verdict, kind: 'not-observed', transition: null } };
    const layout = layoutHopDiagram(unobserved, r.clocks, { width: 1200 });
    expect(layout.segments.every((s) => s.stop === null)).toBe(true);
    expect(layout.breaks).toHaveLength(1);
    expect(layout.breaks[0]).toMatchObject({ kind: 'unobserved', label: 'requests not observed past here' });
  });

  it('a point whose capture was not recording while the flow passed: no evidence either way, as a point not captured', async () => {
    const { r, flow } = await scene('vxlan-healthy');
    // The flow's last point on the path (the server's pod veth) saw nothing: its capture had stopped.
    const onPath = flow.hops.map((h, i) => (h.role === 'any' ? -1 : i)).filter((i) => i >= 0);
    const last = onPath[onPath.length - 1]!;
    const idle: FlowReport = { ...flow, hops: flow.hops.map((h, i) => (i === last ? { ...h, requests: 0, replies: 0, notRecording: true } : h)) };
    const layout = layoutHopDiagram(idle, r.clocks, { width: 1200 });
    const name = `${flow.hops[last]!.node}/${flow.hops[last]!.interface}`;
    expect(station(layout, name)).toMatchObject({ state: 'idle', counts: 'not recording' });
    expect(station(layout, name).title).toContain('not recording while this flow passed');
    const before = `${flow.hops[onPath[onPath.length - 2]!]!.node}/${flow.hops[onPath[onPath.length - 2]!]!.interface}`;
    expect(segmentBetween(layout, before, name).inferred).toBe(true);
    expect(layout.breaks).toEqual([]);
    // In the middle of the path: the crossing is read from the points either side of it.
    const mid = onPath[2]!;
    const gap: FlowReport = { ...flow, hops: flow.hops.map((h, i) => (i === mid ? { ...h, requests: 0, replies: 0, notRecording: true } : h)) };
    const l2 = layoutHopDiagram(gap, r.clocks, { width: 1200 });
    const m = `${flow.hops[mid]!.node}/${flow.hops[mid]!.interface}`;
    const prev = `${flow.hops[onPath[1]!]!.node}/${flow.hops[onPath[1]!]!.interface}`;
    expect(station(l2, m).state).toBe('idle');
    expect(segmentBetween(l2, prev, m)).toMatchObject({ inferred: true, crossed: { requests: true, replies: true } });
  });

  it('narrow widths shorten the labels to the room between stations', async () => {
    const { layout } = await scene('vxlan-forward-drop', { width: 360 });
    const veth = station(layout, 'node1/veth3a1b2c4d');
    expect(veth.label.endsWith('…')).toBe(true);
    expect(veth.label.length).toBeLessThan('veth3a1b2c4d'.length);
    const path = layout.stations.filter((s) => s.pathIndex !== null);
    const host = layout.hosts[0]!;
    const spacing = (host.width - 20) / host.stations.filter((i) => layout.stations[i]!.pathIndex !== null).length;
    for (const s of path.filter((x) => x.hostIndex === 0)) expect(s.label.length * 6.7).toBeLessThanOrEqual(spacing);
    expect(layout.segments.find((s) => s.kind === 'underlay')!.encapsulation!.lines.length).toBeGreaterThan(1);
  });

  describe('invariants on every scenario, flow, width and direction', () => {
    const scenarios = hasSamples ? readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'scenario.json'))).sort() : [];
    it('covers all the sample scenarios', () => expect(scenarios.length).toBeGreaterThanOrEqual(15));
    for (const name of scenarios) {
      it(name, async () => {
        const r = await report(name);
        expect(r.flows.length).toBeGreaterThan(0);
        for (const flow of r.flows) {
          for (const width of [320, 640, 1280]) {
            for (const direction of [undefined, 'requests', 'replies'] as const) {
              const layout = layoutHopDiagram(flow, r.clocks, { width, direction });
              expectInvariants(layout, width);
              // Deterministic: the same input lays out the same picture.
              expect(layoutHopDiagram(flow, r.clocks, { width, direction })).toEqual(layout);
              // Every hop and every uncaptured point is drawn exactly once.
              expect(layout.stations.filter((s) => s.point !== null).map((s) => s.point).sort()).toEqual(flow.hops.map((h) => h.point).sort());
              expect(layout.stations.filter((s) => s.state === 'not-captured')).toHaveLength(flow.notCaptured.length);
            }
          }
        }
      });
    }
  });
});

function expectInvariants(l: HopLayout, width: number) {
  expect(l.width).toBe(width);
  // Hosts left to right, apart, inside the width.
  l.hosts.forEach((h, i) => {
    expect(h.x).toBeGreaterThanOrEqual(0);
    expect(h.x + h.width).toBeLessThanOrEqual(width);
    expect(h.y + h.height).toBeLessThanOrEqual(l.height);
    const next = l.hosts[i + 1];
    if (next) expect(h.x + h.width).toBeLessThan(next.x);
  });
  // Stations inside their host, strictly left to right along the path.
  const path = l.stations.filter((s) => s.pathIndex !== null);
  path.forEach((s, i) => {
    expect(s.pathIndex).toBe(i);
    expect(s.y).toBe(l.pathY);
    const h = l.hosts[s.hostIndex]!;
    expect(s.x - s.r).toBeGreaterThanOrEqual(h.x);
    expect(s.x + s.r).toBeLessThanOrEqual(h.x + h.width);
    if (i > 0) {
      expect(s.x).toBeGreaterThan(path[i - 1]!.x);
      expect(s.hostIndex).toBeGreaterThanOrEqual(path[i - 1]!.hostIndex);
    }
  });
  for (const s of l.stations) expect(l.hosts[s.hostIndex]!.stations).toContain(s.index);
  // Segments join consecutive path stations; breaks and labels stay inside the width.
  expect(l.segments).toHaveLength(Math.max(0, path.length - 1));
  l.segments.forEach((s, i) => {
    expect([l.stations[s.from]!.pathIndex, l.stations[s.to]!.pathIndex]).toEqual([i, i + 1]);
    expect(s.kind === 'underlay').toBe(l.stations[s.from]!.hostIndex !== l.stations[s.to]!.hostIndex);
    expect(s.kind === 'underlay').toBe(s.encapsulation !== null);
  });
  for (const b of l.breaks) {
    expect(b.labelX - (b.label.length * 6.7) / 2).toBeGreaterThanOrEqual(0);
    expect(b.labelX + (b.label.length * 6.7) / 2).toBeLessThanOrEqual(width);
    for (const x of b.marks) expect(x > b.x1 && x < b.x2).toBe(true);
    expect(l.stations[b.from]!.state).toBe('seen');
    expect(l.stations[b.to]!.state).not.toBe('not-captured');
  }
  for (const m of l.nat) expect(m.x).toBeGreaterThan(0);
}

describe('labels', () => {
  it('clock labels', () => {
    expect(clockLabel({ node: 'n', offsetNs: ns(12_345_000), method: 'two-way', samples: 4 })).toBe('clock +12.345 ms (two-way)');
    expect(clockLabel({ node: 'n', offsetNs: ns(-98_000), method: 'one-way', samples: 7 })).toBe('clock −0.098 ms (one-way)');
    expect(clockLabel({ node: 'n', offsetNs: ns(0), method: 'reference', samples: 0 })).toBe('clock reference');
    expect(clockLabel({ node: 'n', offsetNs: ns(0), method: 'unknown', samples: 0 })).toBe('clock unknown');
    expect(clockLabel(undefined)).toBe('clock unknown');
  });

  it('clock titles say against whose clock an unknown one was measured', () => {
    const node1 = { node: 'node1', offsetNs: ns(1_000), method: 'unknown', samples: 12, base: 'outside' };
    const outside = { node: 'outside', offsetNs: ns(0), method: 'unknown', samples: 0 };
    const clocks = [{ node: 'node2', offsetNs: ns(0), method: 'reference', samples: 0 }, node1, outside];
    expect(clockTitle('node1', node1, clocks)).toBe("node1 shares packets only with outside: its clock is measured against outside's (+0.001 ms); the offset from the reference is unknown");
    expect(clockTitle('outside', outside, clocks)).toBe('outside shares packets only with node1: theirs are measured against its clock; the offset from the reference is unknown');
    expect(clockTitle('outside', outside, [clocks[0]!, outside])).toBe('outside shares no packet with the other nodes: its clock offset is unknown');
  });

  it('encapsulation labels from the overlay device', () => {
    expect(encapsulationText('flannel.1')).toBe('VXLAN, UDP 8472');
    expect(encapsulationText('vxlan.calico')).toBe('VXLAN, UDP 4789');
    expect(encapsulationText('flannel0')).toBe('flannel UDP 8285');
    expect(encapsulationText('tunl0')).toBe('IP-in-IP (proto 4)');
    expect(encapsulationText('genev_sys_6081')).toBe('Geneve, UDP 6081');
  });
});

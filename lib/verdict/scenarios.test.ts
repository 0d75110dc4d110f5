/**
 * Every lab scenario in sample-captures/ gets the verdict its scenario.json records: the lab
 * measured, from the same captures with its own matcher (lib/lab/ground-truth.ts), how many
 * requests and replies each capture point saw and where each direction stopped. The expected
 * verdict kind follows from that ground truth and the fault the lab injected.
 */
import { describe, expect, it } from 'vitest';
import { analyzeScenario, directionPaths, expectedKind, findFlow, packetsAt, SAMPLES, scenarios, type TruthFlow } from '../testing/scenarios';
import type { FlowReport } from './verdict';

const all = scenarios();

/** Points on our path that the lab's is without: another pod, the NIC of a same-node flow… (`-i any` points stay beside every path). */
function offTheirPath(f: FlowReport, gt: TruthFlow): string[] {
  const name = (h: FlowReport['hops'][number]) => `${h.node}/${h.interface}`;
  // SLL v1: the lab's <node>/any is our <node>/any:underlay and <node>/any:inner.
  const theirs = (h: FlowReport['hops'][number]) => gt.path.some((p) => p === name(h) || name(h).startsWith(`${p}:`));
  return f.hops.filter((h) => h.role !== 'any' && !theirs(h)).map(name);
}

/** The points both paths hold, in our order and in the lab's (an SLL v1 part, any:inner, stands for the lab's <node>/any). */
function sharedOrder(f: FlowReport, gt: TruthFlow): { ours: string[]; theirs: string[] } {
  const base = (h: FlowReport['hops'][number]) => `${h.node}/${h.interface}`.replace(/^([^/]+\/any):.*$/, '$1');
  const ours = [...new Set(f.hops.filter((h) => h.role !== 'any').map(base))].filter((p) => gt.path.includes(p));
  return { ours, theirs: gt.path.filter((p) => ours.includes(p)) };
}
if (all.length === 0) console.log(`[samples] no scenario in ${SAMPLES}: skipping the verdict tests`);

describe.skipIf(all.length === 0)('verdicts on the lab scenarios', () => {
  it('covers at least ten scenarios, healthy and broken, of all three CNIs', () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
    const kinds = new Set(all.flatMap(({ truth }) => truth.flows.map((f) => expectedKind(truth, f))));
    for (const k of ['delivered', 'request-dropped', 'reply-dropped', 'rejected', 'size-dependent'] as const) expect(kinds).toContain(k);
  });

  for (const { dir, truth } of all) {
    describe(truth.name, () => {
      // The check users feel first: a healthy flow shown as broken costs every other verdict.
      it('calls no flow broken but the ones the lab broke, and every healthy flow delivered', async () => {
        const report = await analyzeScenario(dir, truth);
        const broken = new Set(truth.flows.filter((gt) => expectedKind(truth, gt) !== 'delivered').map((gt) => findFlow(report.flows, gt)));
        const falseAlarms = report.flows
          .filter((f) => f.verdict.kind !== 'delivered' && f.verdict.kind !== 'not-observed' && !broken.has(f))
          .map((f) => `${f.protocol} ${f.client}:${f.clientPort ?? f.icmpId} → ${f.server}:${f.serverPort ?? ''} ${f.verdict.kind}: ${f.verdict.summary}`);
        expect(falseAlarms).toEqual([]);
        for (const h of truth.healthy ?? []) {
          const f = findFlow(report.flows, h);
          expect(f, `healthy ${h.id} is a flow`).toBeDefined();
          expect(f!.verdict.kind, `healthy ${h.id}: ${f!.verdict.summary}`).toBe('delivered');
          expect(offTheirPath(f!, h), `healthy ${h.id}: points off its path`).toEqual([]);
          const order = sharedOrder(f!, h);
          expect(order.ours, `healthy ${h.id}: the order its packets cross the points`).toEqual(order.theirs);
        }
      });
      for (const gt of truth.flows) {
        it(`${gt.id}: ${expectedKind(truth, gt)}, with the captured counts at every point`, async () => {
          const report = await analyzeScenario(dir, truth);
          const flow = findFlow(report.flows, gt);
          expect(flow, `a ${gt.protocol} flow from ${gt.client.ip}`).toBeDefined();
          const f = flow!;
          // Counts at every capture point of the path, both directions.
          const ours: Record<string, [number, number]> = Object.fromEntries(f.hops.map((h) => [`${h.node}/${h.interface}`, [h.requests, h.replies]]));
          // SLL v1 names no interface: the lab counts <node>/any, we split it by form (any:underlay, any:inner).
          const at = (p: string): [number, number] => {
            const parts = f.hops.filter((h) => `${h.node}/${h.interface}`.startsWith(`${p}:`));
            return ours[p] ?? (parts.length > 0 ? [Math.max(...parts.map((h) => h.requests)), Math.max(...parts.map((h) => h.replies))] : [0, 0]);
          };
          const theirs = Object.fromEntries(gt.path.map((p) => [p, [packetsAt(gt, 'requests')[p] ?? 0, packetsAt(gt, 'replies')[p] ?? 0]]));
          for (const p of gt.path) expect(at(p), `counts at ${p}`).toEqual(theirs[p]);
          expect(offTheirPath(f, gt), 'points off the path').toEqual([]);
          // The order the requests cross them: the same node's pod veths on either side of its bridge.
          const order = sharedOrder(f, gt);
          expect(order.ours, 'the order the requests cross the points').toEqual(order.theirs);
          // An -i any capture sees each packet once per interface it crosses on its node; it
          // must count each packet once: as many as the busiest capture point of that node.
          for (const h of f.hops.filter((x) => x.interface === 'any')) {
            const same = f.hops.filter((x) => x.node === h.node && x.interface !== 'any');
            if (same.length === 0) continue;
            expect(h.requests, `${h.node}/any requests`).toBeLessThanOrEqual(Math.max(...same.map((x) => x.requests)));
            expect(h.replies, `${h.node}/any replies`).toBeLessThanOrEqual(Math.max(...same.map((x) => x.replies)));
            if (gt.clientResult.outcome === 'response') expect(h.requests, `${h.node}/any saw the requests`).toBeGreaterThan(0);
          }
          // What the overlay headers said on the NICs the flow crossed encapsulated.
          const cni = (truth as unknown as { cni: string }).cni;
          for (const e of f.encapsulation) {
            if (cni === 'flannel-vxlan') expect([e.kind, e.vni, e.port]).toEqual(['vxlan', 1, 8472]);
            if (cni === 'flannel-udp') expect([e.kind, e.port]).toEqual(['flannel-udp', 8285]);
            if (cni === 'calico-ipip') expect(e.kind).toBe('ipip');
          }
          if (cni === 'flannel-vxlan' && gt.requests.seenAt['node1/flannel.1'] && gt.requests.seenAt['node1/eth0']) expect(f.encapsulation.map((e) => e.text)).toContain('VXLAN VNI 1, UDP 8472');
          // Where each direction stopped.
          const ways = directionPaths(gt);
          const last = ways.requests[ways.requests.length - 1];
          // Where a stop is named by an SLL v1 `-i any` point, ours names the part of it (any:inner).
          const named = (p: string | null) => (p !== null && p.endsWith('/any') ? f.hops.find((h) => `${h.node}/${h.interface}`.startsWith(`${p}:`)) && p : p);
          const stop = (p: string | null) => (p !== null && /\/any:/.test(p) ? p.replace(/:.*$/, '') : p);
          expect(stop(f.requestsStopAfter), 'requestsStopAfter').toBe(gt.requests.lastReached === last ? null : named(gt.requests.lastReached));
          if (gt.replies.lastReached !== null) {
            expect(stop(f.repliesStopAfter), 'repliesStopAfter').toBe(gt.replies.lastReached === ways.replies[ways.replies.length - 1] ? null : named(gt.replies.lastReached));
          }
          expect(f.verdict.kind, f.verdict.summary).toBe(expectedKind(truth, gt));
          // DOMAIN.md: a FORWARD drop and ip_forward=0 look identical in captures, so a verdict on
          // either must offer both; a VXLAN device that is down answers with port unreachable.
          const text = f.verdict.causes.map((c) => `${c.text} ${c.check}`).join('\n');
          if (truth.fault && /forward-policy-drop|ip-?forward/.test(truth.fault.kind) && f.verdict.kind !== 'delivered') {
            const v6 = gt.client.ip.includes(':');
            expect(text).toContain(v6 ? 'ip6tables -S FORWARD' : 'iptables -S FORWARD');
            expect(text).toContain(v6 ? 'sysctl net.ipv6.conf.all.forwarding' : 'sysctl net.ipv4.ip_forward');
          }
          if (truth.fault?.kind === 'vxlan-device-down') {
            expect(text).toMatch(/port unreachable/);
            expect(text).toContain('ip -d link show flannel.1');
          }
          if (f.verdict.kind !== 'delivered') {
            expect(f.verdict.summary.length).toBeGreaterThan(20);
            if (f.verdict.kind !== 'not-observed') expect(f.verdict.causes.length).toBeGreaterThan(0);
          }
        });
      }
    });
  }
});

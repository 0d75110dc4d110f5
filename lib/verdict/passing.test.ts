/**
 * "Other traffic to it crosses this step": a claim checked against the lab's own measurements.
 * Where the verdict says a rule drops one port because other traffic to the same destination
 * took the same step, the lab broke exactly that flow with a rule, and each traffic named was
 * seen by the lab's matcher on both sides of the step. Where the lab dropped a port while the
 * rest got through at the same time, the verdict says so first.
 */
import { describe, expect, it } from 'vitest';
import { analyzeScenario, expectedKind, findFlow, scenarios, type TruthFlow } from '../testing/scenarios';
import type { FlowReport } from './verdict';

const all = scenarios();
if (all.length === 0) console.log('[samples] no lab scenario found: skipping the passing-traffic tests');

const RULE = /^a rule on (\S+) drops (.+?) (?:from \S+ )?to (\S+): (?:other traffic to it \((.+?)\)|other clients' (.+?) to it)/;

/** How the lab's flow is named in a verdict: "TCP 8080", "UDP 53", "ping". */
function named(gt: TruthFlow): string {
  const port = (gt as unknown as { server: { port?: number } }).server.port;
  return gt.protocol === 'icmp' ? 'ping' : `${gt.protocol.toUpperCase()} ${port}`;
}

/** The station after `stop` on the requests' way. */
function nextAfter(f: FlowReport, stop: string): string | undefined {
  const stations = f.hops.filter((h) => h.role !== 'any').map((h) => `${h.node}/${h.interface}`);
  return stations[stations.indexOf(stop) + 1];
}

describe.skipIf(all.length === 0)('a rule named from the traffic that got through', () => {
  for (const { dir, truth } of all) {
    it(`${truth.name}: claimed only where the lab dropped that traffic with a rule, on what the lab saw pass`, async () => {
      const report = await analyzeScenario(dir, truth);
      const lab = [...truth.flows, ...(truth.healthy ?? [])];
      const serverOf = (gt: TruthFlow) => (gt as unknown as { server: { ip: string } }).server.ip;
      for (const f of report.flows) {
        const claim = f.verdict.causes.map((c) => RULE.exec(c.text)).find((m) => m !== null);
        if (!claim) continue;
        const gt = truth.flows.find((x) => findFlow(report.flows, x) === f);
        expect(gt, `${f.client} → ${f.server}: a flow the lab broke`).toBeDefined();
        expect(expectedKind(truth, gt!)).not.toBe('delivered');
        expect(['port-drop', 'port-reject']).toContain(truth.fault?.kind);
        const from = f.requestsStopAfter!;
        const to = nextAfter(f, from)!;
        const passed = (claim[4] ?? claim[5]!).split(', ');
        for (const p of passed) {
          const seen = lab.filter((x) => x !== gt && serverOf(x) === serverOf(gt!) && named(x) === p && (x.requests.seenAt[from] ?? 0) > 0 && (x.requests.seenAt[to] ?? 0) > 0);
          expect(seen.length, `${p} to ${serverOf(gt!)} crossed ${from} → ${to} in the lab's captures`).toBeGreaterThan(0);
        }
      }
    });
  }

  it.each([
    ['same-node-pods-policy-drop', 'http-8080', /^a rule on node1 drops TCP 8080 from 10\.244\.1\.2 to 10\.244\.1\.3: other clients' TCP 8080/],
    ['capture-windows-port-drop', null, /^a rule on node2 drops TCP 8080 to 10\.244\.2\.2: other traffic to it \(TCP 80, UDP 53, ping\)/],
    ['busy-node-broken-port', null, /^a rule on node2 drops TCP 9090 to 10\.244\.2\.3/],
  ])('%s: the dropped port is the first cause', async (name, id, first) => {
    const s = all.find((x) => x.truth.name === name)!;
    const report = await analyzeScenario(s.dir, s.truth);
    const gt = s.truth.flows.find((x) => (id === null ? expectedKind(s.truth, x) !== 'delivered' : x.id === id))!;
    const f = findFlow(report.flows, gt)!;
    expect(f.verdict.kind).toBe('request-dropped');
    expect(f.verdict.causes[0]?.text).toMatch(first);
    // Nothing the traffic that got through rules out: forwarding, the FORWARD policy, the route, the pod.
    expect(f.verdict.causes.map((c) => c.text).join('\n')).not.toMatch(/forwarding is off|policy DROP|no route|pod is gone/);
  });
});

/**
 * "Other traffic to it crosses this step": a claim checked against the lab's own measurements.
 * Where the verdict says a rule drops one port because other traffic to the same destination
 * took the same step (or other replies to the same client, for lost replies), the lab broke
 * exactly that flow with a rule, and each traffic named was seen by the lab's matcher on both
 * sides of the step. Where the lab dropped a port while the
 * rest got through at the same time, the verdict says so first.
 */
import { describe, expect, it } from 'vitest';
import { analyzeScenario, expectedKind, findFlow, scenarios, type TruthFlow } from '../testing/scenarios';
import type { FlowReport } from './verdict';

const all = scenarios();
if (all.length === 0) console.log('[samples] no lab scenario found: skipping the passing-traffic tests');

const RULE = /^a rule on (\S+) drops (.+?) (?:from \S+ )?to (\S+): (?:other traffic to it \((.+?)\)|other clients' (.+?) to it(?: \(and (.+?)\))?) (?:crosses|crossed)/;
const REPLY_RULE = /^a rule on (\S+) drops the (.+?) replies to (\S+)(?: from this server)?: (?:other replies to it \((.+?)\)|other servers' (.+?) replies to it(?: \(and (.+?)\))?) (?:cross|crossed)/;

/** How the lab's flow is named in a verdict: "TCP 8080", "UDP 53", "ping". */
function named(gt: TruthFlow): string {
  const port = (gt as unknown as { server: { port?: number } }).server.port;
  return gt.protocol === 'icmp' ? 'ping' : `${gt.protocol.toUpperCase()} ${port}`;
}

/** The station after `stop` on the requests' (replies') way. */
function nextAfter(f: FlowReport, stop: string, replies = false): string | undefined {
  const stations = f.hops.filter((h) => h.role !== 'any').map((h) => `${h.node}/${h.interface}`);
  if (replies) stations.reverse();
  return stations[stations.indexOf(stop) + 1];
}

describe.skipIf(all.length === 0)('a rule named from the traffic that got through', () => {
  for (const { dir, truth } of all) {
    it(`${truth.name}: claimed only where the lab dropped that traffic with a rule, on what the lab saw pass`, async () => {
      const report = await analyzeScenario(dir, truth);
      const lab = [...truth.flows, ...(truth.healthy ?? [])];
      const serverOf = (gt: TruthFlow) => (gt as unknown as { server: { ip: string } }).server.ip;
      for (const f of report.flows) {
        const texts = f.verdict.causes.map((c) => c.text);
        const claim = texts.map((t) => RULE.exec(t)).find((m) => m !== null);
        const replyClaim = texts.map((t) => REPLY_RULE.exec(t)).find((m) => m !== null);
        if (!claim && !replyClaim) continue;
        const gt = truth.flows.find((x) => findFlow(report.flows, x) === f);
        expect(gt, `${f.client} → ${f.server}: a flow the lab broke`).toBeDefined();
        expect(expectedKind(truth, gt!)).not.toBe('delivered');
        expect(replyClaim ? ['reply-drop'] : ['port-drop', 'port-reject']).toContain(truth.fault?.kind);
        const replies = replyClaim !== undefined;
        const from = (replies ? f.repliesStopAfter : f.requestsStopAfter)!;
        const to = nextAfter(f, from, replies)!;
        const m = (claim ?? replyClaim)!;
        for (const p of [...(m[4] ?? m[5]!).split(', '), ...(m[6]?.split(', ') ?? [])]) {
          // Requests to the same server, or replies to the same client, seen by the lab on both sides of the step.
          const seen = lab.filter((x) => {
            if (x === gt || named(x) !== p) return false;
            const way = replies ? x.replies : x.requests;
            const sameEnd = replies ? x.client.ip === gt!.client.ip : serverOf(x) === serverOf(gt!);
            return sameEnd && (way.seenAt[from] ?? 0) > 0 && (way.seenAt[to] ?? 0) > 0;
          });
          expect(seen.length, `${p} ${replies ? `replies to ${gt!.client.ip}` : `to ${serverOf(gt!)}`} crossed ${from} → ${to} in the lab's captures`).toBeGreaterThan(0);
        }
      }
    });
  }

  it.each([
    ['capture-windows-port-drop', null, /^a rule on node2 drops TCP 8080 to 10\.244\.2\.2: other traffic to it \(TCP 80, UDP 53, ping\) crosses this step meanwhile/],
    ['busy-node-broken-port', null, /^a rule on node2 drops TCP 9090 to 10\.244\.2\.3: .* crosses this step meanwhile/],
    ['tcp-synack-dropped', null, /^a rule on node1 drops the TCP 80 replies to 10\.244\.1\.2: other replies to it \(UDP 53, ping\) cross this step meanwhile/],
  ])('%s: the dropped port is the first cause, and what the traffic that got through rules out is gone', async (name, id, first) => {
    const s = all.find((x) => x.truth.name === name)!;
    const report = await analyzeScenario(s.dir, s.truth);
    const gt = s.truth.flows.find((x) => (id === null ? expectedKind(s.truth, x) !== 'delivered' : x.id === id))!;
    const f = findFlow(report.flows, gt)!;
    expect(f.verdict.kind).toBe(name === 'tcp-synack-dropped' ? 'reply-dropped' : 'request-dropped');
    expect(f.verdict.causes[0]?.text).toMatch(first);
    // Forwarding, the FORWARD policy, the route, the pod: all worked while these were lost.
    expect(f.verdict.causes.map((c) => c.text).join('\n')).not.toMatch(/forwarding is off|policy DROP|no route|pod is gone/);
  });

  it('same-node-pods-policy-drop: only pod-a\'s other traffic, sent before, counts (node1\'s own probe leaves by OUTPUT): the rule first, the step\'s causes kept', async () => {
    const s = all.find((x) => x.truth.name === 'same-node-pods-policy-drop')!;
    const report = await analyzeScenario(s.dir, s.truth);
    const f = findFlow(report.flows, s.truth.flows.find((x) => x.id === 'http-8080')!)!;
    const texts = f.verdict.causes.map((c) => c.text);
    expect(texts[0]).toMatch(/^a rule on node1 drops TCP 8080 to 10\.244\.1\.3: other traffic to it \(TCP 80, UDP 53, ping\) crossed this step earlier in the captures/);
    expect(texts.slice(1)).toEqual(['the destination pod is gone or has another address (stale endpoint)', 'bridge netfilter on node1 drops it in FORWARD']);
  });
});

/**
 * The capture kit's bundles in sample-captures/: the lab ran the kit on its real-kernel nodes
 * beside its own captures, for every fault scenario and the healthy baselines. Analysed alone, as
 * `hopscope analyze node1-hopscope.tar.gz node2-hopscope.tar.gz` does, each bundle set must
 * confirm the fault the lab injected — at the node it injected it on — and confirm nothing else;
 * a healthy scenario confirms nothing. What "the fault" is comes from the lab's own record
 * (scenario.json's `fault.kind`), never from the code under test.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBundles } from '../cli/bundles';
import { expand, loadInputs } from './files';
import { analyze } from '.';
import { directionPaths, expectedKind, findFlow, scenarios, type GroundTruth } from '../testing/scenarios';
import type { NodeCheck } from '../verdict/types';

interface KitTruth extends GroundTruth {
  fault: { kind: string; node: string; commands: { host: string }[] } | null;
  kit?: { bundles: string[]; pods: string[] };
  topology: { pods: { name: string; node: string }[] };
}

/**
 * The nodes a fault is on: each host its commands ran on (an MTU set on both nodes), a pod's
 * (a firewall inside pod-b) counting as the pod's node.
 */
const faultNodes = (t: KitTruth) => new Set([t.fault!.node, ...t.fault!.commands.map((c) => c.host)].map((h) => t.topology.pods.find((p) => p.name === h)?.node ?? h));

/**
 * Which check names each kind of fault the lab injects. `status` is what an honest check can say
 * from the node's recorded state: some faults are out of its reach (a rule that drops a share of
 * packets at random, a native nftables table, a server that listens on another port inside its
 * pod); for those nothing may be confirmed.
 */
const EXPECTED: Record<string, { cause: RegExp; status: NodeCheck['status'] } | null> = {
  'forward-policy-drop': { cause: /FORWARD drops it/, status: 'confirmed' },
  'port-drop': { cause: /FORWARD drops it/, status: 'confirmed' },
  'port-reject': { cause: /FORWARD drops it/, status: 'confirmed' },
  'reply-drop': { cause: /FORWARD drops it/, status: 'confirmed' },
  'return-path-drop': { cause: /FORWARD drops it/, status: 'confirmed' },
  'ip-forward-off': { cause: /^forwarding is off$/, status: 'confirmed' },
  'vxlan-device-down': { cause: /^flannel\.1 is down$/, status: 'confirmed' },
  'overlay-port-blocked': { cause: /INPUT drops the .* packets/, status: 'confirmed' },
  'route-missing': { cause: /^the route to .* does not lead to/, status: 'confirmed' },
  'mtu-mismatch': { cause: /MTU is too small/, status: 'confirmed' },
  'mtu-blackhole': { cause: /MTU is too small/, status: 'confirmed' },
  'neighbour-unanswered': { cause: /does not answer (ARP|neighbour solicitation)/, status: 'confirmed' },
  // A native nftables table drops the fragments before INPUT: not evaluated, and said so.
  'fragment-drop': { cause: /INPUT drops the .* packets/, status: 'not checkable' },
  // A share of the packets lost (iptables -m statistic): a partial loss has no one stop to check at.
  'random-loss': null,
  'transient-segment-drop': null,
  'encapsulation-mismatch': null,
  'wrong-port': null,
  // An OUTPUT rule on the sending node: no check reads OUTPUT, so nothing may be confirmed.
  'overlay-port-blocked-outbound': null,
};

const withKit = scenarios().filter((s) => (s.truth as KitTruth).kit) as { dir: string; truth: KitTruth }[];
if (withKit.length === 0) console.log('[kit] no scenario in sample-captures/ carries kit bundles: skipping');

async function analyseBundles(dir: string, truth: KitTruth) {
  const b = openBundles(truth.kit!.bundles.map((f) => join(dir, f)));
  const { inputs } = await loadInputs(expand(b.paths), new Map());
  return analyze(inputs, { nodeStates: b.states }).report;
}

describe.skipIf(withKit.length === 0)('the kit bundles the lab recorded', () => {
  it('cover every kind of fault the lab injects, and a healthy baseline', () => {
    const kinds = new Set(withKit.map((s) => s.truth.fault?.kind ?? 'none'));
    for (const s of scenarios()) if (s.truth.fault) expect(withKit.map((k) => k.truth.name), s.truth.name).toContain(s.truth.name);
    expect(kinds).toContain('none');
    for (const k of kinds) if (k !== 'none') expect(Object.keys(EXPECTED), `a check for ${k}`).toContain(k);
  });

  for (const { dir, truth } of withKit) {
    it(`${truth.name}: ${truth.fault ? `${truth.fault.kind} on ${truth.fault.node}` : 'healthy'}`, async () => {
      const report = await analyseBundles(dir, truth);
      const expected = truth.fault ? EXPECTED[truth.fault.kind] : null;
      const confirmed = report.flows.flatMap((f) => (f.checks ?? []).filter((c) => c.status === 'confirmed').map((c) => `${f.protocol} ${f.client} → ${f.server}:${f.serverPort ?? ''}: ${c.node}: ${c.cause} — ${c.evidence}`));
      // Nothing but the injected fault is ever confirmed, and only on the node it was injected on.
      const wrong = report.flows.flatMap((f) =>
        (f.checks ?? [])
          .filter((c) => c.status === 'confirmed' && !(expected?.status === 'confirmed' && expected.cause.test(c.cause) && faultNodes(truth).has(c.node)))
          .map((c) => `${f.protocol} ${f.client} → ${f.server}: ${c.node}: ${c.cause} — ${c.evidence}`),
      );
      expect(wrong).toEqual([]);
      // The kit's captures alone call no flow broken that worked: those of the lab's flows that
      // worked, with an end the kit was given, are delivered (or not seen at all).
      const pods = new Set(truth.kit!.pods);
      const serverIp = (gt: unknown) => (gt as { server: { ip: string } }).server.ip;
      for (const gt of [...truth.flows.filter((x) => expectedKind(truth, x) === 'delivered'), ...(truth.healthy ?? [])]) {
        if (!pods.has(gt.client.ip) && !pods.has(serverIp(gt))) continue;
        const f = findFlow(report.flows, gt);
        if (f) expect(['delivered', 'not-observed'], `${gt.id}: ${f.verdict.summary}`).toContain(f.verdict.kind);
      }
      if (!truth.fault || !expected) return;
      // Every flow the lab broke, between pods the kit was given, is checked as expected.
      // Not those the network carried both ways (a server that answers "port unreachable" itself).
      const carried = (gt: (typeof truth.flows)[number]) => {
        const ways = directionPaths(gt);
        const answered = gt.replies.lastReached === ways.replies.at(-1) || (gt.icmpErrors ?? []).some((e) => e.from === serverIp(gt));
        return gt.requests.lastReached === ways.requests.at(-1) && answered;
      };
      const broken = truth.flows.filter((gt) => expectedKind(truth, gt) !== 'delivered' && !carried(gt) && pods.has(gt.client.ip) && pods.has(serverIp(gt)));
      // A fault that left no flow broken for good (path MTU discovery recovered) has nothing to name.
      if (broken.length === 0) return;
      let named = 0;
      for (const gt of broken) {
        const f = findFlow(report.flows, gt);
        expect(f, `${gt.id} in the kit's captures`).toBeDefined();
        if (f!.verdict.kind === 'delivered') continue;
        const hits = (f!.checks ?? []).filter((c) => expected.cause.test(c.cause) && faultNodes(truth).has(c.node));
        if (expected.status === 'confirmed') expect(hits.map((c) => c.status), `${gt.id}: ${f!.verdict.summary}; ${confirmed.join('; ')}`).toContain('confirmed');
        else expect(hits.map((c) => c.status), `${gt.id}`).toContain(expected.status);
        named++;
      }
      expect(named, 'broken flows whose check names the fault').toBeGreaterThan(0);
    });
  }
});

/**
 * Each pod veth learns its own pod's addresses and never another's, on every lab scenario:
 * the lab gave each pod its addresses (scenario.json's flows name the pod behind each one) and
 * the host end of its eth0. The bridged same-node flows and node probes, where both addresses
 * cross a veth with an initial TTL, are the cases a count alone cannot settle.
 */
import { describe, expect, it } from 'vitest';
import { correlateSample, scenarios } from '../testing/scenarios';

const all = scenarios();
if (all.length === 0) console.log('[samples] no lab scenario found: skipping the pod address tests');

interface End {
  host?: string;
  ip: string;
}

/** Each pod's addresses, by `<node>/<host interface>`, as the lab assigned and used them. */
function podAddresses(truth: unknown): Map<string, Set<string>> {
  const t = truth as { topology?: { pods?: { name: string; node: string; hostInterface?: string }[] }; flows: { client: End; server?: End }[]; healthy?: { client: End; server?: End }[] };
  const byPod = new Map<string, Set<string>>();
  for (const f of [...t.flows, ...(t.healthy ?? [])]) {
    for (const end of [f.client, f.server]) {
      if (!end?.host) continue;
      if (!byPod.has(end.host)) byPod.set(end.host, new Set());
      byPod.get(end.host)!.add(end.ip);
    }
  }
  const out = new Map<string, Set<string>>();
  for (const p of t.topology?.pods ?? []) if (p.hostInterface && byPod.has(p.name)) out.set(`${p.node}/${p.hostInterface}`, byPod.get(p.name)!);
  return out;
}

describe.skipIf(all.length === 0)('pod veths learn their own pods addresses', () => {
  for (const { dir, truth } of all) {
    const pods = podAddresses(truth);
    if (pods.size === 0) continue;
    it(truth.name, async () => {
      const c = await correlateSample(dir);
      let captured = 0;
      let learned = 0;
      for (const p of c.points.filter((q) => q.role === 'pod' && q.host === q.node)) {
        const own = pods.get(`${p.node}/${p.interface}`);
        if (!own) continue;
        if (p.packets > 0) captured++;
        if (p.podIps.length > 0) learned++;
        for (const ip of p.podIps) expect(own, `${p.node}/${p.interface} learned ${ip}`).toContain(ip);
      }
      // Not by learning nothing: every pod veth that holds packets learns its pod's address.
      expect(learned).toBe(captured);
    });
  }

  // Both families, where the pod's only IPv6 traffic is bridged (pod-a ↔ pod-c on cni0) or a
  // probe from its node's bridge address: neither TTL nor counts tell the two addresses apart.
  it.each([
    ['gso-big-tcp-super-packets', 'node1/veth5c1d2e3f', ['10.244.1.3', 'fd00:10:244:1::3']],
    ['ipv6-pods-ip6tables-forward-drop', 'node2/veth7e9d0f12', ['10.244.2.2', 'fd00:10:244:2::2']],
    // Bridged only, and pod-c (offloads off) sends twice the packets pod-a does: counted, both
    // veths would take pod-c's address; the order node1's captures saw each packet in says whose.
    ['same-node-pods-policy-drop', 'node1/veth3a1b2c4d', ['10.244.1.2']],
    ['same-node-pods-policy-drop', 'node1/veth5c1d2e3f', ['10.244.1.3']],
  ])('%s: %s learns %j', async (name, point, ips) => {
    const s = all.find((x) => x.truth.name === name);
    expect(s, `the lab scenario ${name}`).toBeDefined();
    const c = await correlateSample(s!.dir);
    const p = c.points.find((q) => `${q.node}/${q.interface}` === point);
    expect(p?.podIps.slice().sort()).toEqual(ips);
  });
});

/**
 * Captures inside a pod are placed on the pod's node. Judged on the lab's captures: in
 * pods-captured-inside-port-drop the lab ran tcpdump inside pod-a, pod-b and pod-c, and its
 * scenario.json says which node each pod ran on; every other sample has no such capture, so no
 * point there may move.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../analyze';
import { loadInputs } from '../analyze/files';
import type { InterfaceRole } from '../protocols/devices';
import { linksFileNode } from './links';
import { SAMPLES, scenarios } from '../testing/truth';

const NAME = 'pods-captured-inside-port-drop';
const all = scenarios();
const inside = all.find((s) => s.truth.name === NAME);
if (!inside) console.log(`[samples] no ${NAME} in ${SAMPLES}: skipping the pod-capture tests`);

async function correlationOf(dir: string, roles = new Map<string, InterfaceRole>()) {
  const files = readdirSync(dir).filter((f) => /\.pcap$/.test(f) || linksFileNode(f) !== null);
  const loaded = await loadInputs(files.map((f) => join(dir, f)), new Map());
  return analyze(loaded.inputs, { links: loaded.links, roles }).correlation;
}

describe.skipIf(!inside)('captures inside a pod', () => {
  const topology = (inside?.truth as unknown as { topology: { pods: { name: string; node: string; ip: string }[] } } | undefined)?.topology;

  it("are placed on the pod's node as pod points with the pod's address, where that node's pod side was captured", async () => {
    const c = await correlationOf(inside!.dir);
    for (const pod of topology!.pods) {
      const p = c.points.find((x) => x.node === pod.name && x.interface === 'eth0');
      expect(p, `${pod.name}/eth0`).toBeDefined();
      // node2's pod side (its bridge, pod-b's veth) was not captured: nothing to tell pod-b's node by.
      const nodeSideCaptured = c.points.some((x) => x.node === pod.node && x.role === 'bridge');
      if (nodeSideCaptured) {
        expect([p!.host, p!.role, p!.roleSource, p!.podIps], pod.name).toEqual([pod.node, 'pod', 'inferred', [pod.ip]]);
      } else {
        expect(p!.host, `${pod.name} stays apart`).toBe(pod.name);
      }
    }
  });

  it('stay where the user says they are', async () => {
    const c = await correlationOf(inside!.dir, new Map([['pod-a/eth0', 'nic' as const]]));
    const p = c.points.find((x) => x.node === 'pod-a')!;
    expect([p.host, p.role, p.roleSource]).toEqual(['pod-a', 'nic', 'user']);
  });

  it('are not invented: no point of any other sample moves to another node', async () => {
    const others = all.filter((s) => s !== inside && existsSync(s.dir));
    expect(others.length).toBeGreaterThan(10);
    for (const s of others) {
      const c = await correlationOf(s.dir);
      expect(c.points.filter((p) => p.host !== p.node).map((p) => `${s.truth.name}: ${p.node}/${p.interface} → ${p.host}`)).toEqual([]);
    }
  });
});

/**
 * crossedAfterEnd proves that a file ends before its capture did from packets seen further on
 * after its last one. A proof where the capture did not stop early would turn a real drop in a
 * capture's last second into "not observed". On every sample incident, drops and healthy ones,
 * it proves only points of the two incidents whose captures the lab stopped early, each of them
 * ending (by the lab's own measured windows, scenario.json `windows`) well before another point
 * of the incident went on capturing.
 */
import { describe, expect, it } from 'vitest';
import { correlateSample, scenarios } from '../testing/scenarios';
import { crossedAfterEnd } from './evidence';

/** Seconds from the epoch, as the lab writes them ("1796380846.219967000"). */
const sec = (s: string) => Number(s);

describe('crossedAfterEnd', () => {
  it('proves an early end only of captures the lab measured stopping before the others', async () => {
    const proved: string[] = [];
    for (const { dir, truth } of scenarios()) {
      const c = await correlateSample(dir);
      const offsets = c.points.map((p) => c.clocks.get(p.host)?.offsetNs ?? 0);
      const lastOfAll = Math.max(...Object.values(truth.windows ?? {}).map((w) => sec(w.last)));
      for (const p of c.points) {
        if (crossedAfterEnd(c, p, (q) => offsets[q.id]!) < 2) continue;
        const name = `${p.node}/${p.interface}`;
        proved.push(`${truth.name}:${name}`);
        const w = truth.windows?.[name];
        expect(w, `${truth.name}: ${name} proved to end early, and the lab says all its captures ran to the end`).toBeDefined();
        // Another capture went on for longer than the margin the proof allows.
        expect(lastOfAll - sec(w!.last), `${truth.name}: ${name}`).toBeGreaterThan(0.01);
      }
    }
    // Exactly where the lab stopped captures before the traffic through them did: node1's four
    // stop early in capture-windows-port-drop, and one after another in sequential-captures-healthy.
    // In the first, the pod's packets that no capture of node1 holds, seen on node2, prove all
    // four (the pod sent them through each on its way out); in the second node1's later points
    // ran after the veth, and hold them.
    expect(proved).toEqual([
      'capture-windows-port-drop:node1/cni0',
      'capture-windows-port-drop:node1/eth0',
      'capture-windows-port-drop:node1/flannel.1',
      'capture-windows-port-drop:node1/veth3a1b2c4d',
      'sequential-captures-healthy:node1/veth3a1b2c4d',
    ]);
  });
});

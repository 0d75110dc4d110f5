/**
 * "Left the NIC not encapsulated, outside the tunnel": a claim checked against the lab. It is
 * made only where the lab removed the overlay's route on the node the packets left, and where the
 * lab's own matcher saw them at that node's NIC and never at its overlay device (a packet the
 * overlay carried would have crossed it). Where pods are routed natively, with no packet
 * encapsulated anywhere, the same loss stays a loss on the underlay; and a NodePort's request,
 * plain on its ingress NIC before it is encapsulated there, is never said to have left plain.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { keptWhere } from '../testing/pcap-records';
import type { PacketRow } from '../decode/packet-index';
import { analyzeFiles, analyzeScenario, directionPaths, expectedStop, findFlow, scenarios } from '../testing/scenarios';

/** What these tests read of a scenario.json beyond GroundTruth's fields: the fault's node, each point's id and role. */
interface LabTruth {
  fault: { kind: string; node: string } | null;
  capturePoints: { id: string; role: string }[];
}

const all = scenarios();
if (all.length === 0) console.log('[samples] no lab scenario found: skipping the outside-the-tunnel tests');
const ROUTE_LOST = all.find((s) => s.truth.name === 'vxlan-route-missing-default-gw');
const NODEPORT = all.find((s) => s.truth.name === 'nodeport-hostport-healthy');
const NODEPORT_DROP = all.find((s) => s.truth.name === 'nodeport-forward-drop');

/** A scenario's `node*.pcap` files that `take` accepts, each cut to the rows `keep` accepts, written to a fresh folder. */
async function rewritten(dir: string, take: (name: string) => boolean, keep: (name: string, row: PacketRow, encapsulated: boolean) => boolean): Promise<string[]> {
  const out = mkdtempSync(join(tmpdir(), 'hopscope-cut-'));
  const files: string[] = [];
  for (const name of readdirSync(dir).filter((n) => /^node\d-.*\.pcap$/.test(n) && take(n))) {
    const cap = (await loadInputs([join(dir, name)], new Map())).inputs[0]!.capture;
    const path = join(out, name);
    writeFileSync(path, await keptWhere(join(dir, name), (row) => keep(name, row, cap.shapes[row.shape]?.encapsulation != null)));
    files.push(path);
  }
  return files;
}

/** TCP to or from port 80, inside a tunnel or not: the NodePort's leg to pod-a, its hostPort and hairpin neighbours. */
const port80 = (row: PacketRow) => row.proto === 6 && (row.sport === 80 || row.dport === 80);

describe.skipIf(all.length === 0)('packets routed past the tunnel', () => {
  for (const { dir, truth } of all) {
    it(`${truth.name}: claimed only where the lab removed the overlay's route on the node they left, and its captures saw them skip the overlay device`, async () => {
      const report = await analyzeScenario(dir, truth);
      const lab = truth as unknown as LabTruth;
      for (const f of report.flows) {
        const text = [f.verdict.transition ?? '', ...f.verdict.causes.map((c) => c.text)].join('\n');
        if (!f.stopLeftPlain) {
          expect(text, `${f.client} → ${f.server}`).not.toMatch(/outside the tunnel/);
          continue;
        }
        expect(truth.fault?.kind).toBe('route-missing');
        const gt = truth.flows.find((x) => findFlow(report.flows, x) === f);
        expect(gt, `${f.client} → ${f.server}: a flow of interest`).toBeDefined();
        const stop = expectedStop(gt!)!;
        expect(stop.at).toBe(f.requestsStopAfter ?? f.repliesStopAfter);
        const node = stop.at.split('/')[0]!;
        expect(node).toBe(lab.fault!.node);
        expect(lab.capturePoints.find((c) => c.id === stop.at)?.role).toBe('nic');
        // The lab saw them at the NIC and at none of the node's overlay devices on the way.
        const way = stop.direction === 'requests' ? gt!.requests : gt!.replies;
        const overlays = lab.capturePoints.filter((c) => c.role === 'overlay' && c.id.startsWith(`${node}/`)).map((c) => c.id);
        expect(overlays.length).toBeGreaterThan(0);
        for (const o of overlays) expect(way.seenAt[o] ?? 0, o).toBe(0);
        expect(f.verdict.transition).toMatch(new RegExp(`^left ${stop.at} not encapsulated`));
        expect(f.verdict.causes[0]!.text).toMatch(new RegExp(`^${node} has no route to \\S+ through`));
      }
    });
  }

  it.skipIf(!ROUTE_LOST)('vxlan-route-missing-default-gw: every flow the lab broke is said to leave node2 outside the tunnel; the flows to the nodes\' own addresses cross no overlay device', async () => {
    const { dir, truth } = ROUTE_LOST!;
    const report = await analyzeScenario(dir, truth);
    for (const gt of truth.flows) expect(findFlow(report.flows, gt)?.stopLeftPlain, gt.id).toBe(true);
    for (const gt of truth.healthy ?? []) {
      const f = findFlow(report.flows, gt)!;
      expect(f.verdict.kind, gt.id).toBe('delivered');
      // Plain on both NICs: to the other node's own address, masqueraded, never through flannel.1.
      expect(f.hops.filter((h) => h.role !== 'any').map((h) => `${h.node}/${h.interface}`), gt.id).toEqual(directionPaths(gt).requests);
    }
  });

  it.skipIf(!ROUTE_LOST)('from one `tcpdump -i any` per node alone, the same: each broken flow left node2/eth0 outside the tunnel', async () => {
    const { dir, truth } = ROUTE_LOST!;
    const report = await analyzeFiles(['node1-any.pcap', 'node2-any.pcap', 'node1-links.txt', 'node2-links.txt'].map((n) => join(dir, n)));
    for (const gt of truth.flows) {
      const f = findFlow(report.flows, gt)!;
      expect(f.stopLeftPlain, gt.id).toBe(true);
      expect(f.requestsStopAfter ?? f.repliesStopAfter, gt.id).toBe(expectedStop(gt)!.at);
    }
    for (const gt of truth.healthy ?? []) expect(findFlow(report.flows, gt)?.verdict.kind, gt.id).toBe('delivered');
  });

  it.skipIf(!ROUTE_LOST)('with no packet encapsulated anywhere (pods routed natively, as flannel host-gw does), the same loss stays a loss on the underlay', async () => {
    const { dir, truth } = ROUTE_LOST!;
    const files = await rewritten(dir, (n) => !n.includes('flannel'), (_, _row, encapsulated) => !encapsulated);
    const report = await analyzeFiles(files);
    const f = findFlow(report.flows, truth.flows.find((x) => x.id === 'dns-b-a')!)!;
    expect(f.requestsStopAfter).toBe('node2/eth0');
    expect(f.stopLeftPlain).toBeUndefined();
    expect(f.verdict.transition).toMatch(/lost on the underlay between node2 and node1/);
  });

  it.skipIf(!NODEPORT)('a NodePort request crosses its ingress NIC plain, then encapsulated: lost on the underlay after it (no flannel.1 captured), it is never said to be routed past the tunnel', async () => {
    const { dir, truth } = NODEPORT!;
    // node1 never gets the encapsulated leg: everything of port 80 taken out of its captures, and
    // out of node2's what came back (pod-a's encapsulated replies, node2's to the client from 30080).
    const files = await rewritten(dir, (n) => !n.includes('flannel'), (name, row) =>
      name.startsWith('node2') ? !(row.proto === 6 && (row.sport === 80 || row.sport === 30080)) : !port80(row),
    );
    const report = await analyzeFiles(files);
    const f = findFlow(report.flows, [...truth.flows, ...(truth.healthy ?? [])].find((x) => x.id === 'nodeport-http')!)!;
    expect(f.requestsStopAfter).toBe('node2/eth0');
    expect(f.stopLeftPlain).toBeUndefined();
    expect(f.verdict.transition).not.toMatch(/outside the tunnel/);
    // node1's NIC asking for node2's own address (for its own VXLAN traffic) is no pod gone missing.
    expect(f.verdict.transition).toMatch(/lost on the underlay between node2 and node1/);
  });

  it.skipIf(!NODEPORT_DROP)('nodeport-forward-drop: a NodePort request its ingress node never forwarded stops before that node\'s flannel.1, plain: never "decapsulated", never sent on to node1', async () => {
    const { dir, truth } = NODEPORT_DROP!;
    const report = await analyzeScenario(dir, truth);
    const gt = truth.flows.find((x) => x.id === 'nodeport-http')!;
    const f = findFlow(report.flows, gt)!;
    // The lab's own measurement: the SYNs were seen at node2/eth0 and nowhere after it.
    expect(expectedStop(gt)).toEqual({ direction: 'requests', at: 'node2/eth0' });
    expect(f.requestsStopAfter).toBe('node2/eth0');
    expect(f.hops.map((h) => `${h.node}/${h.interface}`)).toEqual(['node2/eth0', 'node2/flannel.1']);
    expect(f.verdict.transition).toBe('reached node2/eth0 as plain IP to 192.168.0.12, never forwarded into flannel.1: node2 does not send them on through the tunnel');
    expect(f.verdict.causes[0]!.text).toMatch(/^the FORWARD chain on node2 drops them after kube-proxy's DNAT/);
    expect(f.verdict.causes.map((c) => c.text).join('\n')).not.toMatch(/decapsulat|INPUT rule/);
  });
});

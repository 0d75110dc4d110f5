/**
 * What the report says of the capture points off a flow's path (offPathOf): that the flow does
 * not go through a node only where its path is known to the end; of a flow that stopped short of
 * an address no captured pod has (a NodePort's request its node never forwarded), only that
 * none of its packets got there.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

async function report(name: string) {
  const dir = join(SAMPLES, name);
  const files = readdirSync(dir)
    .filter((n) => /\.pcap$/.test(n))
    .map((n) => join(dir, n));
  const { inputs, links } = await loadInputs(files, new Map());
  return analyze(inputs, { links }).report;
}

describe('points off a flow path', () => {
  it('says only that no packet reached a node the stopped NodePort request might have been sent on to', async () => {
    const r = await report('nodeport-forward-drop');
    const dropped = r.flows.find((f) => f.protocol === 'tcp' && f.serverPort === 30080)!;
    expect(dropped.verdict.kind).toBe('request-dropped');
    const node1 = dropped.offPath.filter((o) => o.node === 'node1' && o.interface !== 'veth3a1b2c4d');
    expect(node1.map((o) => o.interface).sort()).toEqual(['cni0', 'eth0', 'flannel.1']);
    for (const o of node1) expect(o.why).toBe('no packet of the flow reached node1');
    // The NodePort that node2 did forward went to node1: its path is known to the end.
    const forwarded = r.flows.find((f) => f.protocol === 'udp' && f.serverPort === 30053)!;
    expect(forwarded.verdict.kind).toBe('delivered');
    expect(forwarded.hops.map((h) => h.node)).toContain('node1');
  });

  it('claims nothing from the requests having reached the path\'s last point: a -i any capture is last on its node', async () => {
    // node2's `tcpdump -i any` alone: the DNS query node2 routed past its tunnel never came back.
    const dir = join(SAMPLES, 'vxlan-route-missing-default-gw');
    const { inputs, links } = await loadInputs([join(dir, 'node2-any.pcap')], new Map());
    const r = analyze(inputs, { links }).report;
    const dns = r.flows.find((f) => f.protocol === 'udp' && f.serverPort === 53)!;
    expect(dns.replies.sent).toBe(0);
    expect(dns.offPath.length).toBeGreaterThan(0);
    for (const o of dns.offPath.filter((x) => !x.why.startsWith('another pod'))) expect(o.why).toBe('no packet of the flow crossed it');
  });

  it('says a flow does not go through a node when its server is a captured pod, even when it stopped', async () => {
    const r = await report('same-node-pods-policy-drop');
    const dropped = r.flows.find((f) => f.verdict.kind === 'request-dropped')!;
    expect(dropped.offPath.find((o) => o.node === 'node2')?.why).toBe('the flow does not go through node2');
  });
});

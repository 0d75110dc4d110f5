/**
 * The ground-truth checker on the committed lab captures: it follows a flow through VXLAN,
 * through SNAT that rewrites ICMP identifiers and ports, ties ICMP errors to the flow they quote,
 * and moves `lastReached` when a hop's capture is missing.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCapture, observeFlows } from './ground-truth';
import { loadCapturePoints, loadScenario, SAMPLE_CAPTURES_DIR } from './samples';

const file = (scenario: string, name: string): string => join(SAMPLE_CAPTURES_DIR, scenario, name);

describe('ground truth', () => {
  it('sees the inner echo request inside VXLAN on the underlay NIC', async () => {
    const cap = await loadCapture(file('vxlan-healthy', 'node1-eth0.pcap'));
    const echoes = cap.frames.filter((f) => f.inner?.proto === 1 && f.inner.icmpType === 8);
    expect(echoes).toHaveLength(3);
    for (const e of echoes) {
      expect(e.inner).toMatchObject({ src: '10.244.1.2', dst: '10.244.2.2', echoId: 0x4801 });
    }
  });

  it('ties a port unreachable from the node to the request inside the VXLAN packet it quotes', async () => {
    const cap = await loadCapture(file('vxlan-flannel-down', 'node1-eth0.pcap'));
    const errors = cap.frames.filter((f) => f.icmpError?.type === 3 && f.icmpError.code === 3);
    expect(errors.length).toBeGreaterThan(0);
    const pingErrors = errors.filter((f) => f.icmpError?.quoted?.icmpType === 8);
    expect(pingErrors).toHaveLength(3);
    expect(pingErrors[0]!.icmpError).toMatchObject({ src: '192.168.0.12', dst: '192.168.0.11' });
    expect(pingErrors[0]!.icmpError!.quoted).toMatchObject({ src: '10.244.1.2', dst: '10.244.2.2', echoId: 0x4801 });
  });

  it('follows an echo whose identifier the SNAT rewrote, by its payload', async () => {
    const s = await loadScenario('calico-healthy');
    const flow = s.flows.find((f) => f.id === 'ping-outside')!;
    const outside = await loadCapture(file('calico-healthy', 'outside-eth0.pcap'));
    const ids = new Set(outside.frames.filter((f) => f.inner?.icmpType === 8).map((f) => f.inner!.echoId));
    expect(ids.has(flow.match.icmpId!)).toBe(false);
    expect(flow.requests.seenAt['outside/eth0']).toBe(3);
  });

  it('follows a TCP flow whose source port the MASQUERADE rewrote, by its sequence numbers', async () => {
    const s = await loadScenario('vxlan-service-forward-drop');
    const flow = s.flows.find((f) => f.id === 'http')!;
    const fl = await loadCapture(file('vxlan-service-forward-drop', 'node1-flannel.1.pcap'));
    const syns = fl.frames.filter((f) => f.inner?.proto === 6 && (f.inner.tcpFlags & 0x12) === 0x02);
    expect(syns.length).toBeGreaterThan(0);
    for (const syn of syns) {
      expect(syn.inner!.sport).not.toBe(flow.match.clientPort);
      expect(syn.inner!.src).toBe('10.244.1.0');
      expect(syn.inner!.dst).toBe('10.244.2.2');
    }
    expect(flow.requests.seenAt['node1/flannel.1']).toBe(syns.length);
  });

  it('moves lastReached back when the last hops were not captured', async () => {
    const s = await loadScenario('vxlan-healthy');
    const caps = await loadCapturePoints(s);
    caps.delete('node2/cni0');
    caps.delete('node2/veth7e9d0f12');
    const flows = s.flows.map((f) => ({ id: f.id, protocol: f.protocol, match: f.match, path: f.path }));
    for (const o of observeFlows(caps, flows)) {
      expect(o.requests.lastReached, o.id).toBe('node2/flannel.1');
      expect(o.replies.lastReached, o.id).toBe('node1/veth3a1b2c4d');
      expect(o.replies.sent, o.id).toBe(0);
    }
  });
});

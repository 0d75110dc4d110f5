/**
 * Verdicts on part of a lab scenario's captures, as engineers often bring them: the server's
 * node only. The ground truth is the scenario's own (sample-captures/<name>/scenario.json).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN } from '../capture/formats';
import type { IndexedCapture } from '../decode/capture-index';
import { expectedKind, findFlow, SAMPLES, scenarios } from '../testing/scenarios';
import { doubledWhere, keptWhere, packetNs, shifted, snapped, swappedPairs } from '../testing/pcap-records';
import { crossedAfterEnd } from './evidence';

const synack = scenarios().find((s) => s.truth.name === 'tcp-synack-dropped');
if (!synack) console.log(`[samples] no tcp-synack-dropped in ${SAMPLES}: skipping the server-side verdict test`);
const nics = scenarios().find((s) => s.truth.name === 'odd-nic-names-port-drop');
if (!nics) console.log(`[samples] no odd-nic-names-port-drop in ${SAMPLES}: skipping the NIC-names test`);

describe.skipIf(!synack)('server-side captures only', () => {
  it("a server whose SYN-ACKs never reach the client: the handshake is broken, not delivered, and the stop is the server side's last point", async () => {
    const { dir, truth } = synack!;
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('node2-') && f.endsWith('.pcap'))
      .map((f) => join(dir, f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.every(existsSync)).toBe(true);
    const { inputs } = await loadInputs(files, new Map());
    const { report } = analyze(inputs);
    const gt = truth.flows.find((f) => f.id === 'http')!;
    // The truth: every SYN-ACK left pod-b and crossed node2, none reached pod-a.
    expect(gt.clientResult.outcome).toBe('timeout');
    expect(gt.replies.seenAt['node2/eth0']).toBeGreaterThan(0);
    expect(gt.replies.seenAt['node1/veth3a1b2c4d'] ?? 0).toBe(0);
    const f = findFlow(report.flows, gt)!;
    expect(f.verdict.kind).toBe('reply-dropped');
    expect(f.verdict.rule.name).toBe('handshake-unfinished');
    expect(f.repliesStopAfter).toBe('node2/eth0');
    // The pings and DNS of the same pods, seen on node2 only, stay delivered.
    const others = truth.flows.filter((x) => x.id !== 'http').map((x) => findFlow(report.flows, x)!);
    for (const o of others) expect(o.verdict.kind, o.verdict.summary).toBe('delivered');
  });
});

describe.skipIf(!nics)('the two NIC captures only, named after interfaces Hopscope has never heard of', () => {
  it('split into node and interface (node2-net0.pcap is node2/net0), get the NIC role from what crosses them, and name the last point reached', async () => {
    const { dir, truth } = nics!;
    const files = ['node1-ens160.pcap', 'node2-net0.pcap'].map((f) => join(dir, f));
    const { inputs } = await loadInputs(files, new Map());
    const { report } = analyze(inputs);
    expect(report.captures.map((c) => `${c.node}/${c.interface} ${c.role}`).sort()).toEqual(['node1/ens160 nic', 'node2/net0 nic']);
    const gt = truth.flows.find((f) => f.id === 'http-8080')!;
    expect(gt.requests.seenAt['node2/net0']).toBeGreaterThan(0);
    const f = findFlow(report.flows, gt)!;
    // Without node2's inner captures the requests are last seen on its NIC, and nothing answers.
    expect(f.verdict.kind).toBe('no-reply');
    expect(f.verdict.summary).toContain('reach node2/net0');
    for (const h of truth.healthy ?? []) expect(findFlow(report.flows, h)!.verdict.kind).toBe('delivered');
  });
});

/** Verdicts that say a flow is broken: shown for a flow that worked, each is a false alarm. */
const BROKEN = new Set(['request-dropped', 'reply-dropped', 'no-reply', 'partial-loss', 'size-dependent', 'rejected']);

async function analyzeFiles(files: string[]) {
  const { inputs } = await loadInputs(files, new Map());
  return analyze(inputs).report;
}

const blindVeth = scenarios().find((s) => s.truth.name === 'blind-veth-healthy');
if (!blindVeth) console.log(`[samples] no blind-veth-healthy in ${SAMPLES}: skipping the one-direction capture tests`);

describe.skipIf(!blindVeth)("a pod veth captured one way only (tcpdump -Q in), without the rest of its node's captures", () => {
  it('alone, and beside each capture of the other node, calls no flow broken: a TCP client that acknowledges the answers was answered, and replies no capture could show are not observed', async () => {
    const { dir, truth } = blindVeth!;
    const veth = join(dir, 'node1-veth3a1b2c4d.pcap');
    // The truth: every flow worked, and the veth never shows what its pod receives.
    for (const f of truth.flows) expect(f.clientResult.outcome, f.id).toBe('response');
    for (const f of truth.flows) expect(f.path.includes('node1/veth3a1b2c4d') ? (f.client.ip === '10.244.1.2' ? f.replies : f.requests).seenAt['node1/veth3a1b2c4d'] ?? 0 : 0, f.id).toBe(0);
    const others = readdirSync(dir).filter((f) => f.startsWith('node2-') && f.endsWith('.pcap'));
    expect(others.length).toBeGreaterThanOrEqual(4);
    for (const set of [[veth], ...others.map((o) => [veth, join(dir, o)])]) {
      const report = await analyzeFiles(set);
      const label = set.map((f) => f.slice(dir.length + 1)).join(' + ');
      for (const gt of truth.flows) {
        const f = findFlow(report.flows, gt);
        if (!f) continue; // a flow none of these files holds
        expect(BROKEN.has(f.verdict.kind), `${label}: ${gt.id}: ${f.verdict.kind} (${f.verdict.rule.name}): ${f.verdict.summary}`).toBe(false);
      }
      if (set.length === 1) {
        const http = findFlow(report.flows, truth.flows.find((x) => x.id === 'http-a-b')!)!;
        expect(http.verdict.rule.name).toBe('replies-acknowledged-unseen');
        const ping = findFlow(report.flows, truth.flows.find((x) => x.id === 'ping-a-b')!)!;
        expect(ping.verdict.kind).toBe('not-observed');
        expect(ping.verdict.rule.name).toBe('replies-unseeable');
        expect(report.notes.some((n) => n.includes('node1/veth3a1b2c4d never shows packets towards its pod'))).toBe(true);
      }
    }
  });
});

const wrongPort = scenarios().find((s) => s.truth.name === 'vxlan-wrong-port');
if (!wrongPort) console.log(`[samples] no vxlan-wrong-port in ${SAMPLES}: skipping the answered-echo test`);

describe.skipIf(!wrongPort)("node1's captures with node2's -i any capture, which lost copies of a request", () => {
  it('an echo request missing from a capture whose echo reply is in the others was answered: missed by the capture, not lost', async () => {
    const { dir, truth } = wrongPort!;
    const gt = truth.flows.find((f) => f.id === 'ping')!;
    expect(gt.clientResult.outcome).toBe('response');
    const node1 = readdirSync(dir).filter((f) => f.startsWith('node1-') && f.endsWith('.pcap'));
    const report = await analyzeFiles([...node1, 'node2-any.pcap'].map((f) => join(dir, f)));
    const f = findFlow(report.flows, gt)!;
    expect(f.verdict.kind, f.verdict.summary).toBe('delivered');
    expect(f.verdict.rule.evidence.some((e) => e.includes('1 echo request seen at') && e.includes('was answered (its echo reply is in the captures): the capture missed it'))).toBe(true);
  });
});

const snaplen = scenarios().find((s) => s.truth.name === 'mixed-snaplen-udp-drop');
if (!snaplen) console.log(`[samples] no mixed-snaplen-udp-drop in ${SAMPLES}: skipping the cut-capture pairs test`);

describe.skipIf(!snaplen)("node1's eth0 captured with -s 96 (the inner TCP header cut before its flags), beside each whole capture of node2", () => {
  it('matches each packet on what both kept: the HTTP exchanges and pings that worked are delivered, seen whole at both points, and the dropped DNS query stops on node2', async () => {
    const { dir, truth } = snaplen!;
    const node2 = readdirSync(dir).filter((f) => f.startsWith('node2-') && f.endsWith('.pcap'));
    expect(node2.length).toBe(4);
    const worked = [...truth.flows, ...(truth.healthy ?? [])].filter((f) => f.clientResult.outcome === 'response');
    expect(worked.map((f) => f.id).sort()).toEqual(['http', 'http-8080', 'ping-1000']);
    const dns = truth.flows.find((f) => f.id === 'dns')!;
    for (const other of node2) {
      const report = await analyzeFiles(['node1-eth0.pcap', other].map((f) => join(dir, f)));
      const at = `node2/${other.slice('node2-'.length, -'.pcap'.length)}`;
      for (const gt of worked) {
        const f = findFlow(report.flows, gt)!;
        expect(f.verdict.kind, `${other} ${gt.id}: ${f.verdict.summary}`).toBe('delivered');
        // Every packet the lab counted at both points is matched, none is left apart as lost.
        const hop = (name: string) => f.hops.find((h) => `${h.node}/${h.interface}` === name)!;
        for (const side of ['requests', 'replies'] as const) {
          expect(hop('node1/eth0')[side], `${other} ${gt.id} ${side} at node1/eth0`).toBe(gt[side].seenAt['node1/eth0']);
          expect(hop(at)[side], `${other} ${gt.id} ${side} at ${at}`).toBe(gt[side].seenAt[at]);
        }
      }
      // The DNS query crossed node2/eth0 and node2/flannel.1 and was dropped before cni0.
      const f = findFlow(report.flows, dns)!;
      if (dns.requests.seenAt[at]) expect(f.verdict.kind, `${other} dns: ${f.verdict.summary}`).not.toBe('request-dropped');
      else expect(f.verdict.kind, `${other} dns: ${f.verdict.summary}`).toBe('request-dropped');
    }
  });
});

const bigTcp = scenarios().find((s) => s.truth.name === 'gso-big-tcp-super-packets');
if (!bigTcp) console.log(`[samples] no gso-big-tcp-super-packets in ${SAMPLES}: skipping the refused-super-packet pairs test`);

describe.skipIf(!bigTcp)("one capture of each node, where node2's pod side holds a BIG TCP reply refused as too big and its data sent again smaller", () => {
  it('pairs the resent segment with its own copy on node1, not with the refused super-packet: delivered after path MTU discovery, never a loss', async () => {
    const { dir, truth } = bigTcp!;
    const gt = truth.flows.find((f) => f.id === 'http6-200k-cross-node')!;
    // The truth: one reply crossed node2/cni0 and never node2/flannel.1, refused with packet too big.
    expect(gt.clientResult.outcome).toBe('response');
    expect(gt.replies.seenAt['node2/cni0']! - gt.replies.seenAt['node2/flannel.1']!).toBe(1);
    expect(gt.icmpErrors?.some((e) => e.type === 2 && e.seenAt?.['node2/cni0'])).toBe(true);
    // node1's four points on the flow's path (pod-c's veth is not on it).
    const node1 = readdirSync(dir).filter((f) => f.startsWith('node1-') && f.endsWith('.pcap') && gt.replies.seenAt[`node1/${f.slice(6, -5)}`]);
    expect(node1.length).toBe(4);
    for (const a of node1) {
      for (const b of ['node2-cni0.pcap', 'node2-veth7e9d0f12.pcap']) {
        const report = await analyzeFiles([a, b].map((f) => join(dir, f)));
        const f = findFlow(report.flows, gt)!;
        expect(f.verdict.kind, `${a} + ${b}: ${f.verdict.summary}`).toBe('delivered');
        expect(f.verdict.rule.name, `${a} + ${b}`).toBe('replies-lost-above-pmtu');
        for (const h of f.hops) expect(h.replies, `${a} + ${b}: replies at ${h.node}/${h.interface}`).toBe(gt.replies.seenAt[`${h.node}/${h.interface}`]);
      }
    }
  });
});

describe.skipIf(!bigTcp)('every capture written with neighbouring packets out of order, as tcpdump on several CPUs writes them', () => {
  it('walks each capture in time order: the refused BIG TCP reply and its smaller resend pair as in order, delivered after path MTU discovery', async () => {
    const { dir, truth } = bigTcp!;
    const gt = truth.flows.find((f) => f.id === 'http6-200k-cross-node')!;
    const files = truth.capturePoints.map((c) => c.file).filter((f) => f.endsWith('.pcap'));
    const out = mkdtempSync(join(tmpdir(), 'hopscope-reordered-'));
    let swapped = 0;
    for (const f of files) {
      const r = await swappedPairs(join(dir, f), 200_000n);
      swapped += r.swapped;
      writeFileSync(join(out, f), r.bytes);
    }
    expect(swapped).toBeGreaterThan(100);
    const report = await analyzeFiles(files.map((f) => join(out, f)));
    const f = findFlow(report.flows, gt)!;
    expect([f.verdict.kind, f.verdict.rule.name], f.verdict.summary).toEqual(['delivered', 'replies-lost-above-pmtu']);
    expectNoneBroken(truth, report, 'every capture out of order');
  });
});

const randomLoss = scenarios().find((s) => s.truth.name === 'underlay-random-loss');
if (!randomLoss) console.log(`[samples] no underlay-random-loss in ${SAMPLES}: skipping the unanswered-echoes test`);

describe.skipIf(!randomLoss)('captures that every echo request crosses, of a ping that lost some of them further on', () => {
  it('counts the requests never answered as lost beyond the captures, as many as the lab measured, never "delivered"', async () => {
    const { dir, truth } = randomLoss!;
    const gt = truth.flows.find((f) => f.id === 'ping-40')!;
    // The truth: 40 sent, 28 answered; every request crossed node1 and node2/eth0.
    expect(gt.clientResult.detail).toBe('40 transmitted, 28 received');
    const lost = gt.requests.seenAt['node1/veth3a1b2c4d']! - gt.replies.seenAt['node1/veth3a1b2c4d']!;
    expect(lost).toBe(12);
    for (const set of [['node1-veth3a1b2c4d.pcap'], ['node1-veth3a1b2c4d.pcap', 'node1-eth0.pcap'], ['node1-eth0.pcap', 'node2-eth0.pcap']]) {
      for (const p of set) expect(gt.requests.seenAt[`${p.slice(0, 5)}/${p.slice(6, -5)}`]).toBe(40);
      const report = await analyzeFiles(set.map((f) => join(dir, f)));
      const f = findFlow(report.flows, gt)!;
      expect(f.verdict.kind, `${set.join(' + ')}: ${f.verdict.summary}`).toBe('partial-loss');
      expect(f.verdict.rule.name).toBe('echoes-unanswered-beyond');
      expect(f.verdict.summary).toMatch(new RegExp(`^${lost} echo requests of 40 never answered`));
    }
  });
});

const tooBig6 = scenarios().find((s) => s.truth.name === 'ipv6-pods-packet-too-big');
if (!tooBig6) console.log(`[samples] no ipv6-pods-packet-too-big in ${SAMPLES}: skipping the refused-beyond-the-captures test`);

describe.skipIf(!tooBig6)("the client pod's side only, of a ping6 whose first 1500-byte request its node refused with packet too big", () => {
  it('names the refused request, its size and the MTU, past the last capture: delivered after path MTU discovery, not "every request crosses every point"', async () => {
    const { dir, truth } = tooBig6!;
    const gt = truth.flows.find((f) => f.id === 'ping6-1452')!;
    // The truth: one request crossed node1/cni0 and never flannel.1, answered with packet too big;
    // the ping got the other two answered.
    expect(gt.clientResult.detail).toMatch(/^3 transmitted, 2 received/);
    const refused = gt.requests.seenAt['node1/cni0']! - gt.requests.seenAt['node1/flannel.1']!;
    expect(refused).toBe(1);
    const error = gt.icmpErrors!.find((e) => e.type === 2)!;
    for (const set of [['node1-veth3a1b2c4d.pcap'], ['node1-veth3a1b2c4d.pcap', 'node1-cni0.pcap']]) {
      const last = set[set.length - 1]!.slice(0, -'.pcap'.length).replace('-', '/');
      expect(error.seenAt?.[last], last).toBe(1);
      const report = await analyzeFiles(set.map((f) => join(dir, f)));
      const f = findFlow(report.flows, gt)!;
      expect(f.verdict.kind, `${set.join(' + ')}: ${f.verdict.summary}`).toBe('delivered');
      expect(f.verdict.rule.name).toBe('echoes-refused-above-pmtu');
      expect(f.verdict.summary).toContain(`${error.from} refused ${refused} echo request of ${gt.requests.largestAt![last]} bytes with packet too big (MTU ${error.mtu}) after ${last}`);
      for (const h of f.hops) expect(h.requests, `${set.join(' + ')}: requests at ${h.node}/${h.interface}`).toBe(gt.requests.seenAt[`${h.node}/${h.interface}`]);
      for (const x of [...truth.flows.filter((x) => x !== gt), ...(truth.healthy ?? [])]) expect(findFlow(report.flows, x)!.verdict.kind, `${set.join(' + ')}: ${x.id}`).toBe('delivered');
    }
  });
});

const blackhole = scenarios().find((s) => s.truth.name === 'vxlan-mtu-blackhole');
if (!blackhole) console.log(`[samples] no vxlan-mtu-blackhole in ${SAMPLES}: skipping the unacknowledged-data test`);

describe.skipIf(!blackhole)("one node's captures of an HTTP response lost to an MTU black hole", () => {
  it("says the server's data never reached the client, from the client's side alone and from the server's, and where", async () => {
    const { dir, truth } = blackhole!;
    const gt = truth.flows.find((f) => f.id === 'http')!;
    // The truth: the client timed out; node2/cni0 saw 11 replies, node1 only 4 (the small ones).
    expect(gt.clientResult.outcome).toBe('response-timeout');
    expect(gt.replies.seenAt['node2/cni0']).toBe(11);
    expect(gt.replies.seenAt['node1/veth3a1b2c4d']).toBe(4);
    const client = findFlow((await analyzeFiles([join(dir, 'node1-veth3a1b2c4d.pcap')])).flows, gt)!;
    expect(client.verdict.kind, client.verdict.summary).toBe('reply-dropped');
    expect(client.verdict.rule.name).toBe('reply-data-unacknowledged');
    expect(client.verdict.summary).toContain('lost before node1/veth3a1b2c4d, where no capture saw them');
    const server = findFlow((await analyzeFiles([join(dir, 'node2-cni0.pcap')])).flows, gt)!;
    expect(server.verdict.kind, server.verdict.summary).toBe('reply-dropped');
    expect(server.verdict.rule.name).toBe('reply-data-unacknowledged');
    expect(server.verdict.summary).toContain('captured up to node2/cni0 and lost after it');
    expect(server.repliesStopAfter).toBe('node2/cni0');
  });
});

const returnPath = scenarios().find((s) => s.truth.name === 'vxlan-return-path-drop');
if (!returnPath) console.log(`[samples] no vxlan-return-path-drop in ${SAMPLES}: skipping the short-of-the-client test`);

describe.skipIf(!returnPath)("the two NICs' captures of a ping whose replies node1 drops after its eth0", () => {
  it("says the echo replies were last captured at node1/eth0, short of the client, and says no such thing once the client's veth is in", async () => {
    const { dir, truth } = returnPath!;
    const gt = truth.flows.find((f) => f.id === 'ping')!;
    // The truth: the replies crossed node1/eth0 and never reached pod-a.
    expect(gt.clientResult.outcome).toBe('timeout');
    expect(gt.replies.seenAt['node1/eth0']).toBe(3);
    expect(gt.replies.seenAt['node1/veth3a1b2c4d'] ?? 0).toBe(0);
    const nics = findFlow((await analyzeFiles(['node1-eth0.pcap', 'node2-eth0.pcap'].map((f) => join(dir, f)))).flows, gt)!;
    expect(nics.verdict.summary).toContain(`they were last captured at node1/eth0, short of ${nics.client}: whether they reach it is not captured`);
    const withVeth = findFlow((await analyzeFiles(['node1-veth3a1b2c4d.pcap', 'node1-eth0.pcap', 'node2-eth0.pcap'].map((f) => join(dir, f)))).flows, gt)!;
    expect(withVeth.verdict.kind).not.toBe('delivered');
    expect(withVeth.verdict.summary).not.toContain('short of');
  });
});

if (!tooBig6 || !bigTcp) console.log(`[samples] no ipv6-pods-packet-too-big or gso-big-tcp-super-packets in ${SAMPLES}: skipping the snap length tests`);

/** Every capture point's file of a scenario as tcpdump -s `len` writes it, in a fresh temporary folder: their paths. */
async function allSnapped(dir: string, files: string[], len: number): Promise<string[]> {
  const out = mkdtempSync(join(tmpdir(), 'hopscope-snapped-'));
  for (const f of files) writeFileSync(join(out, f), await snapped(join(dir, f), len));
  return files.map((f) => join(out, f));
}

describe.skipIf(!tooBig6 || !bigTcp)('every capture taken with tcpdump -s 96, which cuts the quote of an IPv6 packet too big before its destination', () => {
  it('still matches the packet too big to the ping it refused, by the address it was sent to, its MTU and the time: delivered after path MTU discovery, never an MTU black hole', async () => {
    const { dir, truth } = tooBig6!;
    const gt = truth.flows.find((f) => f.id === 'ping6-1452')!;
    // The truth: a packet too big came back, and the ping got through smaller.
    expect(gt.icmpErrors?.some((e) => e.type === 2)).toBe(true);
    expect(expectedKind(truth, gt)).toBe('delivered');
    const f = findFlow((await analyzeFiles(await allSnapped(dir, truth.capturePoints.map((c) => c.file), 96))).flows, gt)!;
    expect([f.verdict.kind, f.verdict.rule.name]).toEqual(['delivered', 'requests-lost-above-pmtu']);
    expect(f.icmpErrors).toEqual([expect.objectContaining({ type: 2, mtu: 1450, quoteCut: true })]);
    expect(f.verdict.rule.evidence.join('\n')).toContain('its quote cut by the snap length');
  });

  it('calls no flow of BIG TCP super-packets broken: the packets too big that came back are matched to them', async () => {
    const { dir, truth } = bigTcp!;
    const report = await analyzeFiles(await allSnapped(dir, truth.capturePoints.map((c) => c.file), 96));
    const delivered = truth.flows.filter((gt) => expectedKind(truth, gt) === 'delivered');
    expect(delivered.length).toBeGreaterThan(0);
    for (const gt of delivered) {
      const f = findFlow(report.flows, gt);
      expect(f, gt.id).toBeDefined();
      expect(BROKEN.has(f!.verdict.kind), `${gt.id}: ${f!.verdict.summary}`).toBe(false);
    }
  });
});

describe.skipIf(!bigTcp)('a capture merged with itself (mergecap -w out.pcap f.pcap f.pcap), beside the others whole', () => {
  it('counts each packet written twice once, and says so: every flow that worked is still delivered', async () => {
    const { dir, truth } = bigTcp!;
    const files = truth.capturePoints.map((c) => c.file);
    for (const doubled of [files[0]!, files[3]!]) {
      const { inputs } = await loadInputs(replacing(dir, files, doubled, await doubledWhere(join(dir, doubled), () => true)), new Map());
      const { report } = analyze(inputs);
      for (const gt of truth.flows) {
        const f = findFlow(report.flows, gt);
        expect(f, gt.id).toBeDefined();
        if (expectedKind(truth, gt) === 'delivered') expect(f!.verdict.kind, `${doubled}, ${gt.id}: ${f!.verdict.summary}`).toBe('delivered');
      }
      // Each packet the flows are made of; ARP and the like are counted apart, as background.
      const records = inputs.find((i) => i.file.endsWith(doubled))!.capture.index.count;
      const note = report.notes.find((n) => n.startsWith(`${doubled.replace('.pcap', '').replace('-', '/')}: `) && n.includes('written twice'));
      const twice = Number(/: (\d+) of (\d+) packets are written twice in the file/.exec(note ?? '')?.[1]);
      expect(twice, note).toBeGreaterThan(0.8 * (records / 2));
      expect(twice).toBeLessThanOrEqual(records / 2);
    }
  });
});

const noisy = scenarios().find((s) => s.truth.name === 'background-noise-unanswered-arp');
if (!noisy) console.log(`[samples] no background-noise-unanswered-arp in ${SAMPLES}: skipping the skewed node-to-node ping test`);

describe.skipIf(!noisy)("every capture, node1's clock 3 s ahead", () => {
  it('holds a capture window against the flow on its own node: a node-to-node ping over the underlay crosses the two NICs only, delivered', async () => {
    const { dir, truth } = noisy!;
    // The truth: one of the scenario's other flows, each of which worked.
    const gt = (truth.healthy ?? []).find((f) => f.id === 'ping-l2')!;
    expect(gt.clientResult.outcome).toBe('response');
    const out = mkdtempSync(join(tmpdir(), 'hopscope-skewed-'));
    const files = truth.capturePoints.map((c) => {
      writeFileSync(join(out, c.file), c.node === 'node1' ? shifted(join(dir, c.file), 3_000_000) : readFileSync(join(dir, c.file)));
      return join(out, c.file);
    });
    const f = findFlow((await analyzeFiles(files)).flows, gt)!;
    expect(f.hops.map((h) => `${h.node}/${h.interface}`)).toEqual(['node1/eth0', 'node2/eth0']);
    expect(f.verdict.kind, f.verdict.summary).toBe('delivered');
  });
});

const udpHealthy = scenarios().find((s) => s.truth.name === 'udp-healthy');
if (!udpHealthy) console.log(`[samples] no udp-healthy in ${SAMPLES}: skipping the NIC and -i any pair test`);

describe.skipIf(!udpHealthy)("node1's eth0 and node2's tcpdump -i any, without node2's links file, of flows through flannel's UDP tunnel", () => {
  it("starts each flow on node1, whose NIC the packets leave by, not on node2's tunnel device, where they come out with the same TTL, whichever clock is ahead: nothing broken", async () => {
    const { dir, truth } = udpHealthy!;
    // node1's clock as it was (one clock in the lab), and 5 ms ahead and behind: more than the
    // way from one node to the other takes, so the earlier sighting alone would pick wrong.
    for (const us of [0, 5000, -5000]) {
      const files = replacing(dir, ['node1-eth0.pcap', 'node2-any.pcap'], 'node1-eth0.pcap', shifted(join(dir, 'node1-eth0.pcap'), us));
      const report = await analyzeFiles(files);
      for (const gt of truth.flows) {
        // The truth: every flow of the scenario worked.
        expect(expectedKind(truth, gt)).toBe('delivered');
        const f = findFlow(report.flows, gt)!;
        expect(f.hops[0], `${gt.id}, node1 ${us} µs ahead`).toMatchObject({ node: 'node1', interface: 'eth0' });
        expect(BROKEN.has(f.verdict.kind), `${gt.id}, node1 ${us} µs ahead: ${f.verdict.summary}`).toBe(false);
      }
    }
  });
});

const snatOff = scenarios().find((s) => s.truth.name === 'calico-snat-forward-off');
if (!snatOff) console.log(`[samples] no calico-snat-forward-off in ${SAMPLES}: skipping the missed-query test`);

describe.skipIf(!snatOff)("every capture of a DNS query to the outside whose answer node1 never forwards, the client's cali veth missing the query", () => {
  it("keeps the pod's veth where the flow began and leaves tunl0 off its path: the answer is not observed there, never delivered", async () => {
    const { dir, truth } = snatOff!;
    const gt = truth.flows.find((f) => f.id === 'dns-outside')!;
    // The truth: the answer came back to node1/eth0 and never reached the pod.
    expect(gt.clientResult.outcome).toBe('timeout');
    expect(gt.replies.seenAt['node1/calidc7f3a1b60c'] ?? 0).toBe(0);
    const veth = 'node1-calidc7f3a1b60c.pcap';
    // As a tcpdump that dropped the query from its buffer writes the veth.
    const lossy = await keptWhere(join(dir, veth), (row) => !(row.proto === 17 && row.sport === gt.match.clientPort));
    const files = [...truth.capturePoints, ...(truth.extraCaptures ?? [])].map((c) => c.file);
    const f = findFlow((await analyzeFiles(replacing(dir, files, veth, lossy))).flows, gt)!;
    const hops = f.hops.map((h) => `${h.node}/${h.interface}`);
    expect(hops[0]).toBe('node1/calidc7f3a1b60c');
    expect(hops).not.toContain('node1/tunl0');
    expect(f.hops[0]!.requests).toBe(0);
    expect([f.verdict.kind, f.verdict.rule.name]).toEqual(['not-observed', 'replies-stop-where-requests-unseen']);
  });
});

/** A pcap cut before its first record later than `untilNs`, found by the project's own reader: as if tcpdump had been stopped then. */
async function cutPcap(file: string, untilNs: bigint): Promise<Uint8Array> {
  const bytes = new Uint8Array(readFileSync(file));
  const cap = (await loadInputs([file], new Map())).inputs[0]!.capture;
  for (let i = 0; i < cap.index.count; i++) if (packetNs(cap, i) > untilNs) return bytes.slice(0, cap.index.read(i).dataOffset - PCAP_RECORD_HEADER_LEN);
  return bytes;
}

/** `file` of `dir` as if its tcpdump had stopped just before the record at `fraction` of its packets. */
async function stoppedAt(dir: string, file: string, fraction: number): Promise<Uint8Array> {
  const cap = (await loadInputs([join(dir, file)], new Map())).inputs[0]!.capture;
  return cutPcap(join(dir, file), packetNs(cap, Math.floor(cap.index.count * fraction) - 1));
}

/** `file` of `dir` as if its tcpdump had started just before the record at `fraction` of its packets: its header, then its records from there. */
async function startedAt(dir: string, file: string, fraction: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(readFileSync(join(dir, file)));
  const cap = (await loadInputs([join(dir, file)], new Map())).inputs[0]!.capture;
  const from = cap.index.read(Math.floor(cap.index.count * fraction)).dataOffset - PCAP_RECORD_HEADER_LEN;
  return new Uint8Array([...bytes.subarray(0, PCAP_FILE_HEADER_LEN), ...bytes.subarray(from)]);
}

/** The paths of `files` in `dir`, with `file` replaced by `bytes` (written to a fresh temporary folder). */
function replacing(dir: string, files: string[], file: string, bytes: Uint8Array): string[] {
  const out = mkdtempSync(join(tmpdir(), 'hopscope-replaced-'));
  writeFileSync(join(out, file), bytes);
  return files.map((f) => (f === file ? join(out, f) : join(dir, f)));
}

describe.skipIf(!blindVeth)("pod-a's one-direction veth capture stopped or started part way, beside its node's other captures and node2's, whole", () => {
  const vethFile = 'node1-veth3a1b2c4d.pcap';
  const cut = async (how: 'stop' | 'start', fraction: number) => {
    const { dir, truth } = blindVeth!;
    const files = truth.capturePoints.map((c) => c.file).filter((f) => f.endsWith('.pcap'));
    const bytes = how === 'stop' ? await stoppedAt(dir, vethFile, fraction) : await startedAt(dir, vethFile, fraction);
    const { inputs } = await loadInputs(replacing(dir, files, vethFile, bytes), new Map());
    return analyze(inputs);
  };

  it('stopped a quarter in, holding two echo requests and nothing the pod received: the ping is not observed, neither delivered nor dropped', async () => {
    const { truth } = blindVeth!;
    const { report, correlation } = await cut('stop', 1 / 4);
    expectNoneBroken(truth, report, 'veth stopped a quarter in');
    const ping = findFlow(report.flows, truthFlow(truth, 'ping-a-b'))!;
    expect(ping.verdict.kind, ping.verdict.summary).toBe('not-observed');
    expect(ping.verdict.rule.name).toBe('replies-stop-at-silent-pod');
    const veth = correlation.points.find((p) => p.file.endsWith(vethFile))!;
    expect(correlation.blind).toEqual([expect.objectContaining({ point: veth.id, towardsPod: true, proven: false })]);
    expect(report.notes.some((n) => n.startsWith('node1/veth3a1b2c4d never shows packets towards its pod') && n.includes('not observed'))).toBe(true);
  });

  // Cut where the pod's own packets still prove it received: blind, and every flow delivered.
  for (const { how, fraction, proof, flow } of [
    { how: 'stop', fraction: 1 / 2, proof: "after the pod's ACK to its own SYN: blind, proven by the handshake", flow: 'ping-a-b' },
    { how: 'start', fraction: 3 / 4, proof: "holding the pod's echo replies to pod-b: blind, proven by them", flow: 'dns-a-b' },
  ] as const) {
    it(`${how === 'stop' ? 'stopped' : 'started'} ${fraction * 100} % in, ${proof}, and ${flow} delivered`, async () => {
      const { truth } = blindVeth!;
      const { report, correlation } = await cut(how, fraction);
      expect(correlation.blind).toEqual([expect.objectContaining({ towardsPod: true, proven: true })]);
      expectNoneBroken(truth, report, `veth ${how} at ${fraction}`);
      expect(findFlow(report.flows, truthFlow(truth, flow))!.verdict.kind).toBe('delivered');
    });
  }
});

const healthy = scenarios().find((s) => s.truth.name === 'vxlan-healthy');
if (!healthy) console.log(`[samples] no vxlan-healthy in ${SAMPLES}: skipping the stopped-right-after test`);

describe.skipIf(!healthy)('every capture stopped the moment the last request reached the server', () => {
  it('the flow whose request came last is not observed, never "no reply": its reply could not have been captured yet', async () => {
    const { dir, truth } = healthy!;
    const files = readdirSync(dir).filter((f) => f.endsWith('.pcap'));
    // The moment: the first DNS query (the last flow the lab ran) on the server pod's veth.
    const veth = await loadInputs([join(dir, 'node2-veth7e9d0f12.pcap')], new Map());
    const cap = veth.inputs[0]!.capture;
    let t: bigint | null = null;
    for (let i = 0; i < cap.index.count && t === null; i++) {
      const r = cap.index.read(i);
      if (r.proto === 17 && r.dport === 53) t = packetNs(cap, i);
    }
    expect(t).not.toBeNull();
    const out = mkdtempSync(join(tmpdir(), 'hopscope-stopped-'));
    for (const f of files) writeFileSync(join(out, f), await cutPcap(join(dir, f), t!));
    const report = await analyzeFiles(files.map((f) => join(out, f)));
    const dns = truth.flows.find((f) => f.id === 'dns')!;
    expect(dns.clientResult.outcome).toBe('response');
    const f = findFlow(report.flows, dns)!;
    expect(f.verdict.kind, f.verdict.summary).toBe('not-observed');
    expect(f.verdict.rule.name).toBe('captures-end-after-requests');
    // What had finished before the stop is judged as before.
    for (const id of ['ping', 'http']) expect(findFlow(report.flows, truth.flows.find((x) => x.id === id)!)!.verdict.kind, id).toBe('delivered');
  });
});

describe.skipIf(!healthy)("the client pod's veth stopped right after its second echo request, the other captures whole", () => {
  it("is proven stopped by the pod's next request, seen on cni0 only: the echo replies after its end are not lost", async () => {
    const { dir, truth } = healthy!;
    const files = readdirSync(dir).filter((f) => f.endsWith('.pcap'));
    const vethFile = 'node1-veth3a1b2c4d.pcap';
    const cap = (await loadInputs([join(dir, vethFile)], new Map())).inputs[0]!.capture;
    let second: bigint | null = null;
    for (let i = 0, echoes = 0; i < cap.index.count && second === null; i++) {
      const r = cap.index.read(i);
      if (r.proto === 1 && r.dport >>> 8 === 8 && ++echoes === 2) second = packetNs(cap, i);
    }
    expect(second).not.toBeNull();
    const report = await analyzeFiles(replacing(dir, files, vethFile, await cutPcap(join(dir, vethFile), second!)));
    const ping = truth.flows.find((f) => f.id === 'ping')!;
    expect(ping.clientResult.outcome).toBe('response');
    const f = findFlow(report.flows, ping)!;
    expect(f.verdict.kind, f.verdict.summary).toBe('delivered');
    expect(f.hops.find((h) => h.interface === 'veth3a1b2c4d')!.replies).toBe(1);
  });
});

const calicoVxlan = scenarios().find((s) => s.truth.name === 'calico-vxlan-healthy');
if (!calicoVxlan) console.log(`[samples] no calico-vxlan-healthy in ${SAMPLES}: skipping the server-veth-stopped test`);

describe.skipIf(!calicoVxlan)("the server pod's veth stopped a quarter of the way in, before the HTTP and DNS exchanges, the other captures whole", () => {
  it('calls them delivered: the server acknowledged the segments and answered the query, so they reached it; bare ACKs missing there prove nothing', async () => {
    const { dir, truth } = calicoVxlan!;
    const files = truth.capturePoints.map((c) => c.file);
    const vethFile = 'node2-calib6b47f611ba.pcap';
    expect(files).toContain(vethFile);
    const report = await analyzeFiles(replacing(dir, files, vethFile, await stoppedAt(dir, vethFile, 1 / 4)));
    for (const id of ['http-a-b', 'dns-a-b']) {
      const gt = [...truth.flows, ...(truth.healthy ?? [])].find((f) => f.id === id)!;
      expect(gt.clientResult.outcome).toBe('response');
      const f = findFlow(report.flows, gt)!;
      expect(f.verdict.kind, `${id}: ${f.verdict.summary}`).toBe('delivered');
      expect(f.hops.find((h) => h.interface === 'calib6b47f611ba')!.requests, id).toBe(0);
    }
  });
});

/** A pcap with every record's time moved by `sec` seconds, its records found by the project's reader. */
async function shiftedPcap(file: string, sec: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(readFileSync(file));
  const cap = (await loadInputs([file], new Map())).inputs[0]!.capture;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  for (let i = 0; i < cap.index.count; i++) {
    const at = cap.index.read(i).dataOffset - PCAP_RECORD_HEADER_LEN;
    dv.setUint32(at, dv.getUint32(at, le) + sec, le);
  }
  return bytes;
}

const fragNeeded = scenarios().find((s) => s.truth.name === 'vxlan-mtu-frag-needed');
if (!fragNeeded) console.log(`[samples] no vxlan-mtu-frag-needed in ${SAMPLES}: skipping the skewed-clock test`);

describe.skipIf(!fragNeeded)("node2's clock 2 s ahead of node1's (its captures' times moved on)", () => {
  it('reads every verdict as with the clocks together: a refused big reply is compared in time with what got through after it on corrected clocks', async () => {
    const { dir, truth } = fragNeeded!;
    const files = truth.capturePoints.map((c) => c.file);
    const out = mkdtempSync(join(tmpdir(), 'hopscope-skewed-'));
    for (const f of files.filter((x) => x.startsWith('node2-'))) writeFileSync(join(out, f), await shiftedPcap(join(dir, f), 2));
    const together = await analyzeFiles(files.map((f) => join(dir, f)));
    const skewed = await analyzeFiles(files.map((f) => (f.startsWith('node2-') ? join(out, f) : join(dir, f))));
    expect(skewed.clocks.find((c) => c.node === 'node2')!.offsetNs).toBeCloseTo(together.clocks.find((c) => c.node === 'node2')!.offsetNs - 2e9, -7);
    const http = truth.flows.find((f) => f.id === 'http')!;
    expect(findFlow(together.flows, http)!.verdict.rule.name).toBe('replies-lost-above-pmtu');
    for (const gt of truth.flows) expect(findFlow(skewed.flows, gt)!.verdict.kind, gt.id).toBe(findFlow(together.flows, gt)!.verdict.kind);
    expect(findFlow(skewed.flows, http)!.verdict.rule.name).toBe('replies-lost-above-pmtu');
  });
});

const unknownClock = ['calico-healthy', 'sequential-captures-healthy'].map((name) => scenarios().find((s) => s.truth.name === name));
if (unknownClock.some((s) => !s)) console.log(`[samples] no calico-healthy or sequential-captures-healthy in ${SAMPLES}: skipping the unknown-clock test`);

describe.skipIf(unknownClock.some((s) => !s))('two captures of which one shares no packet with the other (its clock offset unknown)', () => {
  it("calls no healthy flow broken: the echo requests the other capture's window missed were answered", async () => {
    const pairs: [number, string[]][] = [
      [0, ['node2-eth0.pcap', 'outside-eth0.pcap']],
      [1, ['node1-cni0.pcap', 'node2-eth0.pcap']],
    ];
    for (const [k, files] of pairs) {
      const { dir, truth } = unknownClock[k]!;
      const report = await analyzeFiles(files.map((f) => join(dir, f)));
      expect(report.clocks.some((c) => c.method === 'unknown'), `${truth.name}: a clock is unknown`).toBe(true);
      for (const gt of [...truth.flows, ...(truth.healthy ?? [])]) {
        expect(gt.clientResult.outcome, `${truth.name} ${gt.id}`).toBe('response');
        const f = findFlow(report.flows, gt);
        if (f) expect(BROKEN.has(f.verdict.kind), `${truth.name} ${files.join(' + ')}: ${gt.id}: ${f.verdict.kind}: ${f.verdict.summary}`).toBe(false);
      }
    }
  });
});

describe.skipIf(scenarios().length === 0)('every capture of every lab scenario, analysed alone', () => {
  it('calls no flow that worked broken: a -i any capture that lost copies of a packet on one interface proves no loss', async () => {
    let files = 0;
    let judged = 0;
    for (const { dir, truth } of scenarios()) {
      const worked = [...truth.flows, ...(truth.healthy ?? [])].filter((f) => f.clientResult.outcome === 'response' && expectedKind(truth, f) === 'delivered');
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.pcap'))) {
        const report = await analyzeFiles([join(dir, file)]);
        files++;
        for (const gt of worked) {
          const f = findFlow(report.flows, gt);
          if (!f) continue;
          judged++;
          expect(BROKEN.has(f.verdict.kind), `${truth.name}/${file}: ${gt.id}: ${f.verdict.kind} (${f.verdict.rule.name}): ${f.verdict.summary}`).toBe(false);
        }
      }
    }
    expect(files).toBeGreaterThan(100);
    expect(judged).toBeGreaterThan(300);
  });
});

/** The report of a scenario's captures with `file` stopped right after its `nth` packet that `match` picks (1-based), the others whole. */
async function stoppedAfter(dir: string, files: string[], file: string, match: (r: ReturnType<IndexedCapture['index']['read']>) => boolean, nth = 1) {
  const cap = (await loadInputs([join(dir, file)], new Map())).inputs[0]!.capture;
  let at: bigint | null = null;
  for (let i = 0, seen = 0; i < cap.index.count && at === null; i++) if (match(cap.index.read(i)) && ++seen === nth) at = packetNs(cap, i);
  expect(at, `${file}: the packet to stop after`).not.toBeNull();
  return analyzeFiles(replacing(dir, files, file, await cutPcap(join(dir, file), at!)));
}

/** A scenario's flow by its id, failing or healthy. */
const truthFlow = (truth: ReturnType<typeof scenarios>[number]['truth'], id: string) => [...truth.flows, ...(truth.healthy ?? [])].find((f) => f.id === id)!;

/** Every flow the lab's client saw answered: none may be called broken. */
function expectNoneBroken(truth: ReturnType<typeof scenarios>[number]['truth'], report: Awaited<ReturnType<typeof analyzeFiles>>, what: string) {
  let judged = 0;
  for (const gt of [...truth.flows, ...(truth.healthy ?? [])]) {
    if (gt.clientResult.outcome !== 'response' || expectedKind(truth, gt) !== 'delivered') continue;
    const f = findFlow(report.flows, gt);
    if (!f) continue;
    judged++;
    expect(BROKEN.has(f.verdict.kind), `${what}: ${gt.id}: ${f.verdict.kind} (${f.verdict.rule.name}): ${f.verdict.summary}`).toBe(false);
  }
  return judged;
}

const busy = scenarios().find((s) => s.truth.name === 'busy-node-broken-port');
if (!busy) console.log(`[samples] no busy-node-broken-port in ${SAMPLES}: skipping the busy node's stopped-capture tests`);
const echoRequest = (r: { proto: number; dport: number }) => r.proto === 1 && r.dport >>> 8 === 8;

describe.skipIf(!busy)('a busy node (dozens of healthy flows, one broken port) with one capture stopped early, the others whole', () => {
  it("node2/eth0 stopped a quarter of the way in: an echo reply it missed was seen further on, on node2's bridge and pod veth, so it crossed eth0; only the broken port is broken", async () => {
    const { dir, truth } = busy!;
    const files = truth.capturePoints.map((c) => c.file);
    const report = await analyzeFiles(replacing(dir, files, 'node2-eth0.pcap', await stoppedAt(dir, 'node2-eth0.pcap', 1 / 4)));
    expect(expectNoneBroken(truth, report, 'node2/eth0 stopped')).toBeGreaterThan(30);
    const broken = findFlow(report.flows, truthFlow(truth, 'http-a-d-9090'))!;
    expect(broken.verdict.kind, broken.verdict.summary).toBe('request-dropped');
    const ping = findFlow(report.flows, truthFlow(truth, 'ping-d-c'))!;
    expect(ping.verdict.kind, ping.verdict.summary).toBe('delivered');
    expect(ping.verdict.rule.evidence.some((l) => /missing from node2\/eth0's capture was seen further on the way/.test(l)), ping.verdict.rule.evidence.join('\n')).toBe(true);
  });

  it("pod a's veth stopped right after its echo request to pod c on the same node: the reply came to cni0 microseconds later, after the veth's last packet, and is not lost", async () => {
    const { dir, truth } = busy!;
    const files = truth.capturePoints.map((c) => c.file);
    const c = truthFlow(truth, 'ping-a-c');
    // An ICMP row's source port is the echo identifier.
    const report = await stoppedAfter(dir, files, 'node1-veth3a1b2c4d.pcap', (r) => echoRequest(r) && r.sport === c.match.icmpId, 2);
    expectNoneBroken(truth, report, "pod a's veth stopped");
    const ping = findFlow(report.flows, c)!;
    expect(ping.verdict.kind, ping.verdict.summary).toBe('delivered');
    expect(ping.hops.find((h) => h.interface === 'veth3a1b2c4d')!.replies).toBe(1);
  });
});

const nodeAnswers = scenarios().find((s) => s.truth.name === 'node-answers-healthy');
if (!nodeAnswers) console.log(`[samples] no node-answers-healthy in ${SAMPLES}: skipping the outside host's stopped-capture test`);

describe.skipIf(!nodeAnswers)("the outside host's capture stopped half way, node1's and node2's whole", () => {
  it('the echo reply it lacks came back after its last packet, the request that drew it, whatever the two clocks say: not lost', async () => {
    const { dir, truth } = nodeAnswers!;
    const files = truth.capturePoints.map((c) => c.file);
    const cap = (await loadInputs([join(dir, 'outside-eth0.pcap')], new Map())).inputs[0]!.capture;
    // The capture ends on an echo request to node1: its reply is the packet in question.
    expect(echoRequest(cap.index.read(Math.floor(cap.index.count / 2) - 1))).toBe(true);
    const report = await analyzeFiles(replacing(dir, files, 'outside-eth0.pcap', await stoppedAt(dir, 'outside-eth0.pcap', 1 / 2)));
    expectNoneBroken(truth, report, 'outside/eth0 stopped');
    const ping = findFlow(report.flows, truthFlow(truth, 'outside-ping-node'))!;
    expect(ping.verdict.kind, ping.verdict.summary).toBe('delivered');
    expect(ping.verdict.rule.evidence.some((l) => /outside outside\/eth0's capture: not counted as lost/.test(l)), ping.verdict.rule.evidence.join('\n')).toBe(true);
  });
});

const ptb = scenarios().find((s) => s.truth.name === 'flannel-ipv6-healthy-ptb');
if (!ptb) console.log(`[samples] no flannel-ipv6-healthy-ptb in ${SAMPLES}: skipping the client veth stopped mid-exchange test`);

describe.skipIf(!ptb)("an IPv6 client pod's veth stopped a quarter of the way in, a millisecond before the answers to its HTTP request came", () => {
  it("is proven stopped by the client's own acknowledgments, seen on cni0 just after: the answers it lacks are not lost", async () => {
    const { dir, truth } = ptb!;
    const files = truth.capturePoints.map((c) => c.file);
    const vethFile = 'node1-veth3a1b2c4d.pcap';
    const report = await analyzeFiles(replacing(dir, files, vethFile, await stoppedAt(dir, vethFile, 1 / 4)));
    expectNoneBroken(truth, report, 'client veth stopped');
    const http = findFlow(report.flows, truthFlow(truth, 'http6-large'))!;
    expect(http.verdict.kind, http.verdict.summary).toBe('delivered');
    expect(http.verdict.rule.evidence.some((l) => /veth3a1b2c4d was no longer writing/.test(l)), http.verdict.rule.evidence.join('\n')).toBe(true);
  });
});

const calico = scenarios().find((s) => s.truth.name === 'calico-healthy');
if (!calico) console.log(`[samples] no calico-healthy in ${SAMPLES}: skipping the stopped -i any test`);

describe.skipIf(!calico)("node1's one tcpdump -i any stopped three quarters of the way in, node2's and the outside host's captures whole", () => {
  it("is proven stopped by the pod's next echo request to the outside, seen there and never in the file: every interface of the file stopped with it, and no echo reply is lost", async () => {
    const { dir, truth } = calico!;
    const anyFile = 'node1-any.pcap';
    const files = [...truth.capturePoints.map((c) => c.file).filter((f) => !f.startsWith('node1-')), anyFile];
    const { inputs } = await loadInputs(replacing(dir, files, anyFile, await stoppedAt(dir, anyFile, 3 / 4)), new Map());
    const { report, correlation: c } = analyze(inputs);
    expectNoneBroken(truth, report, 'node1 -i any stopped');
    const ping = findFlow(report.flows, truthFlow(truth, 'ping-outside'))!;
    expect(ping.verdict.kind, ping.verdict.summary).not.toBe('partial-loss');
    // The NIC's own packets say nothing of the end; the pod's veth, split from the same file, does.
    const offsets = c.points.map((p) => c.clocks.get(p.host)?.offsetNs ?? 0);
    const nic = c.points.find((p) => p.file.endsWith(anyFile) && p.role === 'nic')!;
    expect(crossedAfterEnd(c, nic, (q) => offsets[q.id]!), `${nic.node}/${nic.interface}`).toBeGreaterThanOrEqual(2);
  });
});

describe.skipIf(!calico)("node1's -i any started late, beside node2's captures and the outside host's: node1 and the outside host share packets only with each other", () => {
  it('measures their clocks against each other, so the outside ping reply that passed before node1 started capturing is outside its window, not lost', async () => {
    const { dir, truth } = calico!;
    const anyFile = 'node1-any.pcap';
    const files = [...truth.capturePoints.map((c) => c.file).filter((f) => !f.startsWith('node1-')), anyFile];
    const report = await analyzeFiles(replacing(dir, files, anyFile, await startedAt(dir, anyFile, 3 / 4)));
    const node1 = report.clocks.find((c) => c.node === 'node1')!;
    expect(node1.method).toBe('unknown');
    expect(node1.base).toBe('outside');
    expect(report.notes.some((n) => /share packets only with each other/.test(n)), report.notes.join('\n')).toBe(true);
    expectNoneBroken(truth, report, 'node1 -i any started late');
  });
});

/** A pcap holding only its records from `fromNs` to `untilNs` (ns since the epoch, either open): its tcpdump ran then. */
const keptBetween = (file: string, fromNs: bigint | null, untilNs: bigint | null) =>
  keptWhere(file, (_, t) => (fromNs === null || t >= fromNs) && (untilNs === null || t <= untilNs));

/** `at(x)`: the moment `x` of the way (0 to 1) from the first to the last packet of `files`. */
async function spanOf(dir: string, files: string[]): Promise<(x: number) => bigint> {
  const times: bigint[] = [];
  for (const f of files) {
    const cap = (await loadInputs([join(dir, f)], new Map())).inputs[0]!.capture;
    for (let i = 0; i < cap.index.count; i++) times.push(packetNs(cap, i));
  }
  const lo = times.reduce((a, b) => (b < a ? b : a));
  const hi = times.reduce((a, b) => (b > a ? b : a));
  return (x: number) => lo + ((hi - lo) * BigInt(Math.round(x * 1000))) / 1000n;
}

/**
 * The scenario's captures with every one of `node`'s pcaps stopped at one moment, `fraction` of
 * the way through the node's packets' time (a script that stops the node's tcpdumps together),
 * or, with `window`, run only through its middle half: the others whole.
 */
async function nodeCut(s: NonNullable<ReturnType<typeof scenarios>[number]>, node: string, how: { stop: number } | { start: number } | 'window') {
  const { dir, truth } = s;
  const files = truth.capturePoints.map((c) => c.file).filter((f) => f.endsWith('.pcap'));
  const mine = truth.capturePoints.filter((c) => c.node === node && c.file.endsWith('.pcap')).map((c) => c.file);
  const at = await spanOf(dir, mine);
  const [from, until] = how === 'window' ? [at(1 / 4), at(3 / 4)] : 'start' in how ? [at(how.start), null] : [null, at(how.stop)];
  const out = mkdtempSync(join(tmpdir(), 'hopscope-node-cut-'));
  for (const f of mine) writeFileSync(join(out, f), await keptBetween(join(dir, f), from, until));
  const { inputs } = await loadInputs(files.map((f) => join(mine.includes(f) ? out : dir, f)), new Map());
  return analyze(inputs);
}

const routeMissing = scenarios().find((s) => s.truth.name === 'calico-vxlan-route-missing');
const cilium = scenarios().find((s) => s.truth.name === 'cilium-geneve-healthy');
for (const [name, s] of Object.entries({ 'vxlan-healthy': healthy, 'cilium-geneve-healthy': cilium, 'calico-vxlan-route-missing': routeMissing, 'tcp-synack-dropped': synack })) {
  if (!s) console.log(`[samples] no ${name} in ${SAMPLES}: skipping its node-stopped-together tests`);
}

describe("a node's captures all stopped together (one script stops its tcpdumps), the other node's whole", () => {
  it.skipIf(!healthy)("node1's four, a quarter in: the pod's next echo request, seen on node2 and on none of node1's, proves each stopped, so the echo reply that came back later is not lost", async () => {
    const { truth } = healthy!;
    const { report, correlation: c } = await nodeCut(healthy!, 'node1', { stop: 1 / 4 });
    const offsets = c.points.map((p) => c.clocks.get(p.host)?.offsetNs ?? 0);
    for (const p of c.points.filter((q) => q.node === 'node1')) expect(crossedAfterEnd(c, p, (q) => offsets[q.id]!), `${p.node}/${p.interface}`).toBe(2);
    expect(expectNoneBroken(truth, report, 'node1 stopped a quarter in')).toBeGreaterThan(0);
    expect(findFlow(report.flows, truthFlow(truth, 'ping'))!.verdict.kind).toBe('delivered');
  });

  it.skipIf(!cilium)("node2's, three quarters in, where the client pod's own device was not captured: the way starts at node2's overlay device, inside the node, and what the pod sent later proves the stop", async () => {
    const { truth } = cilium!;
    for (const how of [{ stop: 3 / 4 }, 'window'] as const) expectNoneBroken(truth, (await nodeCut(cilium!, 'node2', how)).report, `node2 ${JSON.stringify(how)}`);
  });

  it.skipIf(!routeMissing)('node1\'s, three quarters in, before a ping none of its captures holds: the pod sent it through them all, so no reply to it is lost; the failing flows still fail', async () => {
    const { truth } = routeMissing!;
    const { report } = await nodeCut(routeMissing!, 'node1', { stop: 3 / 4 });
    expectNoneBroken(truth, report, 'node1 stopped three quarters in');
    for (const gt of truth.flows.filter((f) => f.clientResult.outcome !== 'response')) {
      const f = findFlow(report.flows, gt);
      if (f) expect(f.verdict.kind, `${gt.id}: ${f.verdict.summary}`).not.toBe('delivered');
    }
  });

  it.skipIf(!synack)("node1's, a quarter in, right after the client's first SYN: the SYN-ACKs it never got are lost, though they came after the captures' last packets (the client sent its SYN again)", async () => {
    const { truth } = synack!;
    const { report } = await nodeCut(synack!, 'node1', { stop: 1 / 4 });
    const http = findFlow(report.flows, truth.flows.find((f) => f.clientResult.outcome !== 'response')!)!;
    expect(http.verdict.kind, http.verdict.summary).toBe('reply-dropped');
    expect(http.verdict.rule.name).toBe('handshake-unfinished');
  });
});

describe.skipIf(!synack)("node1's captures started three quarters in, after the client had sent its SYN twice: its copies pair with the wrong ones elsewhere", () => {
  // Every node1 capture started at one moment, three quarters of the way through node1's traffic.
  const late = () => nodeCut(synack!, 'node1', { start: 3 / 4 });

  it("leaves those resent SYNs out of the clocks: node2's offset stays within a millisecond of the lab's one clock, not the 2 s between two SYNs", async () => {
    const { correlation: c } = await late();
    // The lab's nodes are namespaces of one machine: one clock, offset 0.
    const node2 = c.clocks.get('node2')!;
    expect(node2.method).not.toBe('unknown');
    expect(Math.abs(node2.offsetNs)).toBeLessThan(1e6);
    expect(c.groups.unevenCopies.size).toBeGreaterThan(0);
  });

  it("still calls the handshake broken, node1 holding only the last SYN-ACK: the client pod's node comes first on the way, and the SYN-ACKs are last seen where the lab last saw them", async () => {
    const gt = synack!.truth.flows.find((f) => f.id === 'http')!;
    // The truth: the client timed out; every SYN-ACK reached node1/flannel.1 and went no further.
    expect(gt.clientResult.outcome).toBe('timeout');
    expect(gt.replies.lastReached).toBe('node1/flannel.1');
    const f = findFlow((await late()).report.flows, gt)!;
    expect(f.hops[0]!.node).toBe('node1');
    expect([f.verdict.kind, f.verdict.rule.name, f.repliesStopAfter], f.verdict.summary).toEqual(['reply-dropped', 'handshake-unfinished', gt.replies.lastReached]);
  });
});

const rstClose = scenarios().find((s) => s.truth.name === 'tcp-rst-close-healthy');
if (!rstClose) console.log(`[samples] no tcp-rst-close-healthy in ${SAMPLES}: skipping its late captures test`);

describe.skipIf(!rstClose)("both nodes' captures started after a connection's exchange and before the RST that closed it", () => {
  it('calls the lone RST no refusal: its sequence number is not 0, so it answers no SYN; the connection is not observed', async () => {
    const { dir, truth } = rstClose!;
    const files = truth.capturePoints.map((c) => c.file).filter((f) => f.endsWith('.pcap'));
    const at = await spanOf(dir, files);
    // node1's tcpdumps started 30 % of the way in, node2's at 40 %.
    const out = mkdtempSync(join(tmpdir(), 'hopscope-late-both-'));
    for (const f of files) writeFileSync(join(out, f), await keptBetween(join(dir, f), at(f.startsWith('node1-') ? 0.3 : 0.4), null));
    const report = await analyzeFiles(files.map((f) => join(out, f)));
    expectNoneBroken(truth, report, 'both started late');
    const f = findFlow(report.flows, truthFlow(truth, 'http-rst-close'))!;
    expect(f.verdict.kind, f.verdict.summary).toBe('not-observed');
    expect(f.verdict.summary).toMatch(/answers no SYN/);
  });
});

const udpOutbound = scenarios().find((s) => s.truth.name === 'udp-8285-blocked-outbound');
if (!udpOutbound) console.log(`[samples] no udp-8285-blocked-outbound in ${SAMPLES}: skipping the unnamed -i any interfaces' order test`);

describe.skipIf(!udpOutbound)("node1's tcpdump -i any alone, without its links file, where nothing leaves node1 encapsulated to show its NIC", () => {
  it('orders its unnamed interfaces as the requests crossed them: the pod veth, docker0, flannel0, as the lab numbered them', async () => {
    const { dir, truth } = udpOutbound!;
    const any = truth.extraCaptures!.find((c) => c.file === 'node1-any.pcap')!;
    const name = (iface: string) => any.ifindex![iface.replace(/^if/, '')] ?? iface;
    const report = await analyzeFiles([join(dir, 'node1-any.pcap')]);
    let judged = 0;
    for (const gt of truth.flows) {
      const f = findFlow(report.flows, gt);
      if (!f) continue;
      judged++;
      // The lab's path for the flow, on node1, where the -i any file holds it.
      const crossed = f.hops.filter((h) => h.node === 'node1').map((h) => `node1/${name(h.interface)}`);
      expect(crossed, gt.id).toEqual(gt.path.filter((p) => crossed.includes(p)));
      expect(crossed.length, gt.id).toBeGreaterThanOrEqual(3);
    }
    expect(judged).toBeGreaterThan(0);
  });
});

const ciliumGeneve = scenarios().find((s) => s.truth.name === 'cilium-geneve-healthy');
if (!ciliumGeneve) console.log(`[samples] no cilium-geneve-healthy in ${SAMPLES}: skipping the lost SYN-ACK test`);

describe.skipIf(!ciliumGeneve)("pod a's lxc capture lacking the SYN-ACK of its connection to pod c on the same node, as a capture that dropped it would", () => {
  it("tells the server's segments from the client's by what they acknowledge: the connection is delivered, not the server's data taken for requests that stop", async () => {
    const { dir, truth } = ciliumGeneve!;
    const gt = truthFlow(truth, 'http-a-c');
    const lxc = 'node1-lxc895747542690.pcap';
    // The truth: five segments each way, all on pod a's lxc, the only point on the way.
    expect(gt.clientResult.outcome).toBe('response');
    expect(gt.path).toEqual(['node1/lxc895747542690']);
    expect([gt.requests.seenAt['node1/lxc895747542690'], gt.replies.seenAt['node1/lxc895747542690']]).toEqual([5, 5]);
    const synAck = (r: { proto: number; tcpFlags: number; dport: number }) => r.proto === 6 && (r.tcpFlags & 0x12) === 0x12 && r.dport === gt.match.clientPort;
    const files = truth.capturePoints.map((c) => c.file).filter((f) => f.endsWith('.pcap'));
    const report = await analyzeFiles(replacing(dir, files, lxc, await keptWhere(join(dir, lxc), (r) => !synAck(r))));
    const f = findFlow(report.flows, gt)!;
    expect(f.verdict.kind, f.verdict.summary).toBe('delivered');
    expect([f.client, f.clientPort, f.requests.sent, f.replies.sent]).toEqual([gt.client.ip, gt.match.clientPort, 5, 4]);
    expectNoneBroken(truth, report, 'lxc without one SYN-ACK');
  });
});

const vxlanHealthy = scenarios().find((s) => s.truth.name === 'vxlan-healthy');
if (!vxlanHealthy) console.log(`[samples] no vxlan-healthy in ${SAMPLES}: skipping the lossy-capture tests`);

describe.skipIf(!vxlanHealthy)("pod a's veth capture missing packets of its own, as tcpdump's buffer drops them on a busy node", () => {
  const setUp = async (replies: number[], ownPacketMissing: boolean) => {
    const { dir, truth } = vxlanHealthy!;
    const ping = truthFlow(truth, 'ping');
    const dns = truthFlow(truth, 'dns');
    const veth = 'node1-veth3a1b2c4d.pcap';
    const echoReply = (r: { proto: number; dport: number; sport: number; seq: number }) => r.proto === 1 && r.dport >>> 8 === 0 && r.sport === ping.match.icmpId && replies.includes(r.seq);
    const query = (r: { proto: number; sport: number }) => ownPacketMissing && r.proto === 17 && r.sport === dns.match.clientPort;
    const files = truth.capturePoints.map((c) => c.file).filter((f) => f.endsWith('.pcap'));
    const report = await analyzeFiles(replacing(dir, files, veth, await keptWhere(join(dir, veth), (r) => !echoReply(r) && !query(r))));
    return { truth, ping, report, f: findFlow(report.flows, ping)! };
  };

  it("does not call an echo reply missing there lost when the capture also lacks a query its pod sent, seen from cni0 on: whether it arrived is not observed", async () => {
    const { truth, ping, report, f } = await setUp([2], true);
    // The truth: every echo reply reached the veth, and the query left through it.
    expect(ping.replies.seenAt['node1/veth3a1b2c4d']).toBe(3);
    expect(truthFlow(truth, 'dns').requests.seenAt['node1/cni0']).toBe(1);
    expect(f.verdict.kind, f.verdict.summary).toBe('not-observed');
    expect(f.verdict.rule.name).toBe('replies-missed-by-capture');
    expect(f.verdict.summary).toBe('1 echo reply seen at node1/cni0 is missing from node1/veth3a1b2c4d (it holds 2 of the 3), whose capture misses packets of its own: whether it went on is not observed');
    // Pod a sent 9 packets through its veth (3 echo requests, 5 TCP segments, 1 query): the file lacks one.
    const sent = ['ping', 'http', 'dns'].reduce((n, id) => n + truthFlow(truth, id).requests.seenAt['node1/veth3a1b2c4d']!, 0);
    expect(f.verdict.rule.evidence.join('\n')).toContain(`its file lacks 1 of the ${sent} packets proven to have crossed it`);
    expectNoneBroken(truth, report, 'veth lacking a reply and a query');
  });

  it('still calls the echo reply lost where nothing shows the capture misses packets: a capture is trusted until proven lossy', async () => {
    const { f } = await setUp([2], false);
    expect(f.verdict.kind).toBe('partial-loss');
    expect(f.verdict.rule.name).toBe('replies-partial-loss');
  });

  it('still calls all three echo replies lost: a capture missing one packet in nine does not explain three in a row', async () => {
    const { f } = await setUp([1, 2, 3], true);
    expect(f.verdict.kind).toBe('reply-dropped');
    expect(f.verdict.rule.name).toBe('replies-stop');
  });
});

const greReject = scenarios().find((s) => s.truth.name === 'gre-key-seq-erspan-mirror');
if (!greReject) console.log(`[samples] no gre-key-seq-erspan-mirror in ${SAMPLES}: skipping the forged-RST test`);

describe.skipIf(!greReject)("a SYN that node2's FORWARD chain answers with a RST in the pod's name (REJECT --reject-with tcp-reset)", () => {
  it('is refused before it reaches the pod, where the SYN stopped: the forged RST acknowledges the SYN, and that is no proof the pod received it', async () => {
    const { dir, truth } = greReject!;
    const gt = truthFlow(truth, 'http-8080');
    // The truth: refused; the SYN got to node2/gre1 and no further.
    expect(gt.clientResult.outcome).toBe('refused');
    expect(gt.requests.lastReached).toBe('node2/gre1');
    const files = truth.capturePoints.map((c) => c.file).filter((f) => f.endsWith('.pcap'));
    const f = findFlow((await analyzeFiles(files.map((x) => join(dir, x)))).flows, gt)!;
    expect([f.verdict.kind, f.verdict.rule.name, f.requestsStopAfter]).toEqual(['rejected', 'tcp-reset', gt.requests.lastReached]);
    expect(f.verdict.summary).toMatch(/^the connection is refused before it reaches 10\.244\.2\.2: the SYNs stop after node2\/gre1/);
  });
});

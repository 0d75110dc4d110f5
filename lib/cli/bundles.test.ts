/**
 * Capture-kit bundles given to `analyze`: lib/kit/testdata/forward-8080-drop holds two the kit
 * wrote on a real kernel (its README says how), node2 dropping TCP 8080 in FORWARD.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyze } from '../analyze';
import { expand, loadInputs } from '../analyze/files';
import { checkFlow } from '../analyze/node-checks';
import { capturedSpan, parseNodeState } from '../nodestate/state';
import { PcapWriter } from '../capture/pcap-writer';
import { openBundles } from './bundles';
import { keptWhere } from '../testing/pcap-records';
import { main } from './main';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'kit', 'testdata', 'forward-8080-drop');
const BUNDLES = ['node1-hopscope.tar.gz', 'node2-hopscope.tar.gz'].map((f) => join(DIR, f));

describe('analyze with capture-kit bundles', () => {
  it('reads the captures and the state, and confirms the FORWARD rule that drops TCP 8080, quoting it', async () => {
    const b = openBundles(BUNDLES);
    expect([...b.states.keys()].sort()).toEqual(['node1', 'node2']);
    const { inputs, errors } = await loadInputs(expand(b.paths), new Map());
    expect(errors).toEqual([]);
    expect(inputs.map((i) => i.file.split('/').pop()).sort()).toEqual([
      'node1-cni0.pcap', 'node1-eth0.pcap', 'node1-flannel.1.pcap', 'node1-veth1pod.pcap',
      'node2-cni0.pcap', 'node2-eth0.pcap', 'node2-flannel.1.pcap', 'node2-veth2pod.pcap',
    ]);
    const { report, correlation } = analyze(inputs, { nodeStates: b.states });
    // Every point's role from its node's own ip -d link and routes, not from its name.
    expect(correlation.points.map((p) => `${p.node}/${p.interface} ${p.role} ${p.roleSource}`).sort()).toEqual([
      'node1/cni0 bridge state', 'node1/eth0 nic state', 'node1/flannel.1 overlay state', 'node1/veth1pod pod state',
      'node2/cni0 bridge state', 'node2/eth0 nic state', 'node2/flannel.1 overlay state', 'node2/veth2pod pod state',
    ]);
    const tcp = report.flows.find((f) => f.protocol === 'tcp' && f.serverPort === 8080)!;
    expect([tcp.verdict.kind, tcp.requestsStopAfter]).toEqual(['request-dropped', 'node2/flannel.1']);
    const fwd = tcp.checks.find((c) => c.cause === 'iptables FORWARD drops it')!;
    expect([fwd.node, fwd.status]).toEqual(['node2', 'confirmed']);
    expect(fwd.evidence).toMatch(/^line \d+: -A FORWARD -p tcp -m tcp --dport 8080 -j DROP$/);
    // Healthy flows carry no checks.
    for (const f of report.flows.filter((x) => x.verdict.kind === 'delivered')) expect(f.checks).toEqual([]);
  });

  it('a translated flow is checked with its address after DNAT; rules outside iptables-save make FORWARD not checkable', async () => {
    const b = openBundles(BUNDLES);
    const { inputs } = await loadInputs(expand(b.paths), new Map());
    const { report } = analyze(inputs, { nodeStates: b.states });
    const tcp = report.flows.find((f) => f.protocol === 'tcp' && f.serverPort === 8080)!;
    // As if the client had dialled a ClusterIP that kube-proxy translated to the pod on node1.
    const viaService = { ...tcp, server: '10.96.0.80', serverPort: 80, translations: [{ at: 'node1/cni0', kind: 'DNAT' as const, from: '10.244.1.2:45808 → 10.96.0.80:80', to: '10.244.1.2:45808 → 10.244.2.2:8080' }] };
    const fwd = checkFlow(viaService, b.states).find((c) => c.cause === 'iptables FORWARD drops it')!;
    expect(fwd.status).toBe('confirmed');
    expect(fwd.evidence).toContain('--dport 8080 -j DROP');
    // A native nftables table with a forward hook on node2: its rules are not evaluated, so FORWARD cannot be ruled either way.
    const node2 = b.states.get('node2')!;
    const nft = parseNodeState(new Map([['manifest.json', JSON.stringify(node2.manifest)], ['nft-ruleset.txt', 'table inet firewalld {\n\tchain filter_FORWARD {\n\t\ttype filter hook forward priority filter + 10; policy accept;\n\t}\n}'], ['iptables-save.txt', '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n']]));
    const withNft = checkFlow(tcp, new Map([...b.states, ['node2', { ...node2, firewallsElsewhere: nft.firewallsElsewhere }]])).find((c) => c.cause === 'iptables FORWARD drops it')!;
    expect(withNft).toMatchObject({ status: 'not checkable' });
    expect(withNft.evidence).toContain('inet firewalld');
  });

  it('prints the checks in the CLI report', async () => {
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      expect(await main(['analyze', ...BUNDLES])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain("checked on the nodes' recorded state:");
    expect(out).toMatch(/CONFIRMED\s+node2: iptables FORWARD drops it — line \d+: -A FORWARD -p tcp -m tcp --dport 8080 -j DROP/);
    expect(out).toMatch(/RULED OUT\s+node2: forwarding is off — net\.ipv4\.ip_forward = 1, net\.ipv4\.conf\.flannel\.1\.forwarding = 1/);
  });

  it('refuses a bundle that is not a tar archive, naming it and the byte offset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-bundle-test-'));
    try {
      const f = join(dir, 'node9-hopscope.tar.gz');
      writeFileSync(f, gzipSync(Buffer.alloc(2048, 0x41)));
      expect(() => openBundles([f])).toThrow(/node9-hopscope\.tar\.gz: not a tar archive, or corrupt: bad header checksum at byte 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a kit 3 manifest that names interfaces whose start is not proven', () => {
  /** The bundles' captures with node2's flannel.1 emptied, as a tcpdump that listened too late leaves it; the manifests made kit 3 ones saying so. */
  async function withLateFlannel(late: boolean) {
    const b = openBundles(BUNDLES);
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-late-'));
    try {
      const empty = join(dir, 'node2-flannel.1.pcap');
      // A pcap header alone (Ethernet): what a tcpdump that wrote no packet leaves.
      writeFileSync(empty, new PcapWriter().header(1));
      const paths = expand(b.paths).map((p) => (p.endsWith('/node2-flannel.1.pcap') ? empty : p));
      expect(paths).toContain(empty);
      const { inputs } = await loadInputs(paths, new Map());
      for (const st of b.states.values()) {
        const m = { ...st.manifest, kit: '3', late: late && st.node === 'node2' ? 'flannel.1' : '' };
        b.states.set(st.node, { ...st, manifest: m, captured: capturedSpan(m) });
      }
      return analyze(inputs, { nodeStates: b.states }).report;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('an empty capture of a late tcpdump proves nothing: the TCP 8080 requests are not called lost on their way into flannel.1', async () => {
    const late = (await withLateFlannel(true)).flows.find((f) => f.protocol === 'tcp' && f.serverPort === 8080)!;
    // Not a drop between eth0 and flannel.1, where the kernel did pass them: not observed, and why.
    expect(late.verdict.kind).toBe('not-observed');
    // Nor do the node's drop counters speak of them as lost.
    const counters = late.checks.filter((c) => / drops what it (received|sent)$/.test(c.cause)).map((c) => c.evidence);
    expect(counters.length).toBeGreaterThan(0);
    for (const e of counters) expect(e).toMatch(/2 of this flow's not seen past here \(the next capture did not cover them\)/);
    expect(late.verdict.rule.evidence.join(' ')).toContain('when it ran is unknown');
    // The same empty capture from a tcpdump that did listen: it ran, and saw nothing.
    const ran = (await withLateFlannel(false)).flows.find((f) => f.protocol === 'tcp' && f.serverPort === 8080)!;
    expect([ran.verdict.kind, ran.requestsStopAfter]).toEqual(['request-dropped', 'node2/eth0']);
  });

  it('a wrapped ring keeps its own start: the run\'s start is not claimed for it', async () => {
    const b = openBundles(BUNDLES);
    const { inputs } = await loadInputs(expand(b.paths), new Map());
    const firstOf = (wrapped: string) => {
      for (const st of b.states.values()) {
        const m = { ...st.manifest, kit: '3', started: '2000-01-01T00:00:00Z', wrapped: st.node === 'node1' ? wrapped : '' };
        b.states.set(st.node, { ...st, manifest: m, captured: capturedSpan(m) });
      }
      const { correlation } = analyze(inputs, { nodeStates: b.states });
      return correlation.points.find((p) => p.node === 'node1' && p.interface === 'cni0')!.firstNs;
    };
    // With a start long before the captures, a point that keeps the run's start begins far earlier.
    expect(firstOf('')).toBeLessThan(0);
    expect(firstOf('cni0')).toBeGreaterThanOrEqual(0);
  });
});

describe('a kit bundle whose tcpdump dropped packets', () => {
  it('says so in the notes, naming the capture point, as a pcapng\'s own statistics do', async () => {
    const b = openBundles(BUNDLES);
    const { inputs } = await loadInputs(expand(b.paths), new Map());
    const st = b.states.get('node2')!;
    expect(st.captured.counts.get('cni0')).toMatchObject({ droppedByKernel: 0 });
    expect(analyze(inputs, { nodeStates: b.states }).report.notes.filter((n) => n.includes('dropped before being recorded'))).toEqual([]);
    const files = new Map([['tcpdump-cni0.log', 'tcpdump: listening on cni0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n40 packets captured\n52 packets received by filter\n12 packets dropped by kernel\n']]);
    b.states.set('node2', { ...st, captured: capturedSpan(st.manifest, files) });
    expect(analyze(inputs, { nodeStates: b.states }).report.notes.filter((n) => n.includes('dropped before being recorded'))).toEqual([
      'node2/cni0: its tcpdump said when it stopped that 12 packets were dropped before being recorded (the buffer or the interface was full): a packet missing there may have crossed it',
    ]);
  });

  const dropLog = (n: number) => `tcpdump: listening, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n40 packets captured\n${40 + n} packets received by filter\n${n} packets dropped by kernel\n`;

  it("calls an echo reply missing from the pod's veth not observed when its tcpdump counted drops there, lost when it counted none; a TCP connection's unanswered SYNs stay dropped", async () => {
    const b = openBundles(BUNDLES);
    const paths = expand(b.paths);
    const veth = paths.find((p) => p.endsWith('node1-veth1pod.pcap'))!;
    // The pod's veth without the second echo reply, as a capture whose buffer overflowed.
    writeFileSync(veth, await keptWhere(veth, (r) => !(r.proto === 1 && r.dport >>> 8 === 0 && r.seq === 2)));
    const { inputs } = await loadInputs(paths, new Map());
    const verdicts = (veth1pod: number, cni0: number) => {
      for (const [node, log] of [['node1', `tcpdump-veth1pod.log`], ['node2', 'tcpdump-cni0.log']] as const) {
        const st = b.states.get(node)!;
        b.states.set(node, { ...st, captured: capturedSpan(st.manifest, new Map([[log, dropLog(node === 'node1' ? veth1pod : cni0)]])) });
      }
      const { report } = analyze(inputs, { nodeStates: b.states });
      const of = (protocol: string) => report.flows.find((f) => f.protocol === protocol)!;
      return { ping: of('icmp'), tcp: of('tcp') };
    };
    const counted = verdicts(3, 12);
    expect([counted.ping.verdict.kind, counted.ping.verdict.rule.name]).toEqual(['not-observed', 'replies-missed-by-capture']);
    expect(counted.ping.verdict.rule.evidence.join('\n')).toContain('node1/veth1pod: its capture said 3 packets were dropped before being recorded');
    // Two SYNs sent again and never answered: a capture's drops do not explain a connection that never opened.
    expect([counted.tcp.verdict.kind, counted.tcp.requestsStopAfter]).toEqual(['request-dropped', 'node2/flannel.1']);
    const none = verdicts(0, 0);
    expect([none.ping.verdict.kind, none.ping.verdict.rule.name]).toEqual(['partial-loss', 'replies-partial-loss']);
  });
});

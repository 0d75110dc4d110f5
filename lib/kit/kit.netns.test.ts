/**
 * The capture kit on a real kernel: two "nodes" in network namespaces wired as flannel's VXLAN
 * backend wires them (cni0, a pod veth, flannel.1 over eth0), the kit run inside node1 under dash
 * and under busybox sh while pod-a pings pod-b. What it must have found and captured is what the
 * kernel was set up with here, not what the kit reports of itself. Needs root and `ip netns`;
 * skips with a printed line otherwise.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whyNoNetns } from '../testing/netns';
import { readCapture } from '../capture/read';
import { innerFilter, kitScript, nicFilter } from './script';
import { OPAQUE_TUNNELS } from '../protocols/opaque';
import { OVERLAYS } from '../protocols/overlays';

const tag = `hk${process.pid % 100000}`;
const NS = { n1: `${tag}-n1`, n2: `${tag}-n2`, a: `${tag}-a`, b: `${tag}-b` };
const POD_A = '10.244.1.2';
const POD_B = '10.244.2.2';

const why = whyNoNetns(tag);
if (why) console.log(`[kit] skipping the real-kernel kit test: ${why}`);

/** The check a flow's report gives for a cause (by its start, for causes that name an address). */
const checkOf = <C extends { cause: string }>(f: { checks: C[] }, cause: string): C | undefined => f.checks.find((c) => c.cause === cause || (cause.endsWith('…') && c.cause.startsWith(cause.slice(0, -1))));
const sh = (ns: string, cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { stdio: 'pipe' }).toString();

function build(): void {
  for (const ns of Object.values(NS)) execFileSync('ip', ['netns', 'add', ns]);
  const nodes = [
    { ns: NS.n1, pod: NS.a, me: '192.168.77.1', peer: '192.168.77.2', sub: '10.244.1', peerSub: '10.244.2', mac: '0e:61:06:ff:7a:01', peerMac: '0e:61:06:ff:7a:02', podIp: POD_A },
    { ns: NS.n2, pod: NS.b, me: '192.168.77.2', peer: '192.168.77.1', sub: '10.244.2', peerSub: '10.244.1', mac: '0e:61:06:ff:7a:02', peerMac: '0e:61:06:ff:7a:01', podIp: POD_B },
  ];
  execFileSync('ip', ['link', 'add', `${tag}x1`, 'netns', NS.n1, 'type', 'veth', 'peer', 'name', `${tag}x2`, 'netns', NS.n2]);
  sh(NS.n1, `ip link set ${tag}x1 name eth0`);
  sh(NS.n2, `ip link set ${tag}x2 name eth0`);
  for (const n of nodes) {
    execFileSync('ip', ['link', 'add', `${tag}v`, 'netns', n.ns, 'type', 'veth', 'peer', 'name', `${tag}p`, 'netns', n.pod]);
    sh(n.ns, [
      'ip link set lo up',
      `ip addr add ${n.me}/24 dev eth0`,
      'ip link set eth0 up',
      'sysctl -qw net.ipv4.ip_forward=1',
      'ip link add cni0 type bridge',
      `ip addr add ${n.sub}.1/24 dev cni0`,
      'ip link set cni0 up',
      `ip link set ${tag}v name veth${n.sub.split('.')[2]}pod`,
      `ip link set veth${n.sub.split('.')[2]}pod master cni0 up`,
      `ip link add flannel.1 address ${n.mac} type vxlan id 1 local ${n.me} dev eth0 dstport 8472 nolearning`,
      'ip link set flannel.1 mtu 1450 up',
      `ip addr add ${n.sub}.0/32 dev flannel.1`,
      `ip route add ${n.peerSub}.0/24 via ${n.peerSub}.0 dev flannel.1 onlink`,
      `ip neigh add ${n.peerSub}.0 lladdr ${n.peerMac} dev flannel.1 nud permanent`,
      `bridge fdb append ${n.peerMac} dev flannel.1 dst ${n.peer} self permanent`,
    ].join(' && '));
    sh(n.pod, [`ip link set ${tag}p name eth0`, 'ip link set lo up', `ip addr add ${n.podIp}/24 dev eth0`, 'ip link set eth0 mtu 1450 up', `ip route add default via ${n.sub}.1`].join(' && '));
  }
  // One exchange first: node1 learns pod-a's MAC, and the bridge the port it sits behind.
  sh(NS.a, `ping -c 1 -W 2 ${POD_B}`);
}

function teardown(): void {
  for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'delete', ns]);
}

/**
 * Start the kit in a node namespace under its own hostname. `ready` resolves once it says it is
 * capturing: tcpdump can take seconds to listen on a loaded machine, and traffic sent before that
 * would be missing from the first captures, which is a different incident.
 */
function startKit(ns: string, host: string, dir: string, shell: string[], opts: { seconds: number; port?: number; env?: NodeJS.ProcessEnv }) {
  const script = path.join(dir, 'hopscope-kit.sh');
  writeFileSync(script, kitScript({ pods: [POD_A, POD_B], ...(opts.port !== undefined ? { port: opts.port } : {}), seconds: opts.seconds, ringMb: 1 }));
  // ip netns exec, unshare and sh -c all exec: the child is the shell running the kit.
  const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--uts', 'sh', '-c', `hostname ${host} && cd ${dir} && exec ${shell.join(' ')} ${script}`], { stdio: ['ignore', 'ignore', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
  let stderr = '';
  const done = new Promise<{ code: number; stderr: string }>((r) => child.on('close', (c) => r({ code: c ?? -1, stderr })));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the kit on ${host} did not start capturing within 15 s: ${stderr}`)), 15_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('hopscope-kit: capturing on')) { clearTimeout(timer); resolve(); }
    });
    void done.then(({ code }) => { clearTimeout(timer); reject(new Error(`the kit on ${host} ended (${code}) before capturing: ${stderr}`)); });
  });
  ready.catch(() => {});
  return { child, ready, done };
}

/** Both nodes' kits at once while pod-a pings pod-b and tries TCP 8080; the bundles analysed as the CLI does. */
async function faultRun(opts: { pingSize?: number } = {}) {
  const dirs = [mkdtempSync(path.join(tmpdir(), 'hopscope-kit-')), mkdtempSync(path.join(tmpdir(), 'hopscope-kit-'))] as const;
  try {
    const kits = [startKit(NS.n1, 'node1', dirs[0], ['dash'], { seconds: 4 }), startKit(NS.n2, 'node2', dirs[1], ['dash'], { seconds: 4 })];
    await Promise.all(kits.map((k) => k.ready)).catch((e: unknown) => {
      for (const k of kits) k.child.kill('SIGINT');
      throw e;
    });
    const size = opts.pingSize !== undefined ? ['-M', 'do', '-s', String(opts.pingSize)] : [];
    const ping = spawn('ip', ['netns', 'exec', NS.a, 'ping', '-c', '3', '-i', '0.2', ...size, POD_B], { stdio: 'ignore' });
    const syn = spawn('ip', ['netns', 'exec', NS.a, process.execPath, '-e', `const s=require('net').connect({host:'${POD_B}',port:8080,localPort:45808});s.on('error',()=>{});setTimeout(()=>process.exit(0),2000)`], { stdio: 'ignore' });
    expect((await Promise.all(kits.map((k) => k.done))).map((d) => d.code)).toEqual([0, 0]);
    ping.kill();
    syn.kill();
    const { openBundles } = await import('../cli/bundles');
    const { expand, loadInputs } = await import('../analyze/files');
    const { analyze } = await import('../analyze');
    const bundles = [path.join(dirs[0], 'node1-hopscope.tar.gz'), path.join(dirs[1], 'node2-hopscope.tar.gz')];
    // How lib/kit/testdata/forward-8080-drop/ was made: HOPSCOPE_KEEP_BUNDLES=<dir> on this run.
    const keep = process.env.HOPSCOPE_KEEP_BUNDLES;
    if (keep) for (const b of bundles) copyFileSync(b, path.join(keep, path.basename(b)));
    const b = openBundles(bundles);
    const { inputs } = await loadInputs(expand(b.paths), new Map());
    return { states: b.states, report: analyze(inputs, { nodeStates: b.states }).report };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Break the cluster with `apply`, run both kits while pod-a pings pod-b, undo: the ping's flow as the bundles tell it. */
async function pingUnder(apply: [string, string][], undo: [string, string][], opts: { pingSize?: number } = {}) {
  for (const [ns, cmd] of apply) sh(ns, cmd);
  try {
    const { report } = await faultRun(opts);
    return report.flows.find((f) => f.protocol === 'icmp' && f.server === POD_B)!;
  } finally {
    for (const [ns, cmd] of undo) sh(ns, cmd);
  }
}

/** Run the kit inside node1 (its own hostname), with pings from pod-a to pod-b meanwhile; Ctrl-C `interruptMs` after it starts capturing. */
async function runKit(shell: string[], dir: string, seconds = 3, interruptMs?: number): Promise<{ code: number; stderr: string }> {
  const kit = startKit(NS.n1, 'node1', dir, shell, { seconds, port: 80 });
  await kit.ready;
  const ping = spawn('ip', ['netns', 'exec', NS.a, 'ping', '-c', '4', '-i', '0.2', POD_B]);
  if (interruptMs !== undefined) setTimeout(() => kit.child.kill('SIGINT'), interruptMs);
  const out = await kit.done;
  ping.kill();
  return out;
}

async function packetsIn(file: string): Promise<{ packets: number; vxlan: number }> {
  let vxlan = 0;
  const bytes = new Uint8Array(readFileSync(file));
  const s = await readCapture(path.basename(file), [bytes], {
    onPacket(r) {
      // Ethernet, IPv4, UDP to 8472: bytes 36–37 are the UDP destination port.
      const d = r.buf.subarray(r.offset, r.offset + r.capLen);
      if (d.length > 37 && d[23] === 17 && ((d[36]! << 8) | d[37]!) === 8472) vxlan++;
    },
  });
  return { packets: s.packets, vxlan };
}

// One topology for every real-kernel test: each fault is undone in its own test.
describe.skipIf(why !== null)('on a real kernel', () => {
  beforeAll(() => {
    teardown();
    build();
  }, 30_000);
  afterAll(teardown);

describe('the capture kit', () => {

  const shells: [string, string[]][] = [['dash', ['dash']], ['busybox sh', ['busybox', 'sh']]];
  for (const [name, shell] of shells) {
    const present = spawnSync(shell[0]!, [...shell.slice(1), '-c', 'true']).status === 0;
    it.skipIf(!present)(`finds and captures every hop of the pods on node1, and records its state (${name})`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-kit-'));
      try {
        const { code, stderr } = await runKit(shell, dir);
        expect(code, stderr).toBe(0);
        expect(readdirSync(dir)).toContain('node1-hopscope.tar.gz');
        const out = path.join(dir, 'x');
        execFileSync('mkdir', ['-p', out]);
        execFileSync('tar', ['-xzf', path.join(dir, 'node1-hopscope.tar.gz'), '-C', out]);
        // The hops the kernel was given: the pod's veth, the bridge, the VXLAN device, the NIC.
        const captures = readdirSync(path.join(out, 'captures')).sort();
        expect(captures).toEqual(['node1-cni0.pcap', 'node1-eth0.pcap', 'node1-flannel.1.pcap', 'node1-veth1pod.pcap']);
        for (const c of captures) expect((await packetsIn(path.join(out, 'captures', c))).packets, c).toBeGreaterThanOrEqual(4);
        // The NIC holds the encapsulated copies.
        expect((await packetsIn(path.join(out, 'captures', 'node1-eth0.pcap'))).vxlan).toBeGreaterThanOrEqual(4);
        const state = readdirSync(path.join(out, 'state'));
        for (const f of ['ip-d-link.txt', 'ip-route.txt', 'ip-neigh.txt', 'bridge-fdb.txt', 'sysctl.txt', 'net-dev-before.txt', 'net-dev-after.txt']) expect(state).toContain(f);
        expect(readFileSync(path.join(out, 'state', 'sysctl.txt'), 'utf8')).toContain('net.ipv4.ip_forward = 1');
        expect(readFileSync(path.join(out, 'state', 'ip-d-link.txt'), 'utf8')).toMatch(/flannel\.1.*vxlan id 1/);
        const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Record<string, string>;
        expect(manifest.node).toBe('node1');
        expect(manifest.interfaces!.split(' ').sort()).toEqual(['cni0', 'eth0', 'flannel.1', 'veth1pod']);
        expect(Date.parse(manifest.stopped!)).toBeGreaterThanOrEqual(Date.parse(manifest.started!));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);
  }

  it('finds the veth of a bridged pod node1 has no neighbour entry for (one that only talks to pods of its bridge)', async () => {
    sh(NS.n1, 'ip neigh flush dev cni0');
    expect(sh(NS.n1, `ip neigh show ${POD_A}`)).not.toMatch(/lladdr/);
    const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-kit-'));
    try {
      const { code, stderr } = await runKit(['dash'], dir, 1);
      expect(code, stderr).toBe(0);
      expect(stderr).toContain(`no neighbour entry for ${POD_A} on cni0: one ping to learn its MAC`);
      const out = path.join(dir, 'x');
      execFileSync('mkdir', ['-p', out]);
      execFileSync('tar', ['-xzf', path.join(dir, 'node1-hopscope.tar.gz'), '-C', out]);
      const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Record<string, string>;
      expect(manifest.interfaces!.split(' ')).toContain('veth1pod');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('the capture kit interrupted', () => {

  it('stops the captures together on Ctrl-C, still packs what it took, and leaves nothing else', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-kit-'));
    try {
      const started = Date.now();
      const { code, stderr } = await runKit(['dash'], dir, 60, 1500);
      expect(code, stderr).toBe(130);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(stderr).toContain('stopping early');
      // Only the bundle and the script: the working folder is gone.
      expect(readdirSync(dir).sort()).toEqual(['hopscope-kit.sh', 'node1-hopscope.tar.gz']);
      const list = execFileSync('tar', ['-tzf', path.join(dir, 'node1-hopscope.tar.gz')]).toString();
      expect(list).toContain('./captures/node1-eth0.pcap');
      expect(list).toContain('./manifest.json');
      // No tcpdump of the kit is left running.
      expect(spawnSync('pgrep', ['-f', `${dir}/node1-hopscope/ring`]).status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('bundles of a real fault, analysed: causes checked on the nodes\' state', () => {

  it('FORWARD drops TCP 8080 on node2: confirmed, quoting the rule; forwarding and the bridge ruled out; the ping delivered, nothing checked', async () => {
    sh(NS.n2, 'iptables -I FORWARD -p tcp --dport 8080 -j DROP');
    try {
      const { states, report } = await faultRun();
      expect([...states.keys()].sort()).toEqual(['node1', 'node2']);
      const tcp = report.flows.find((f) => f.protocol === 'tcp' && f.serverPort === 8080)!;
      expect([tcp.verdict.kind, tcp.requestsStopAfter]).toEqual(['request-dropped', 'node2/flannel.1']);
      expect(checkOf(tcp, 'iptables FORWARD drops it')).toMatchObject({ node: 'node2', status: 'confirmed', evidence: expect.stringContaining('--dport 8080 -j DROP') });
      expect(checkOf(tcp, 'forwarding is off')).toMatchObject({ status: 'ruled out', evidence: 'net.ipv4.ip_forward = 1, net.ipv4.conf.flannel.1.forwarding = 1' });
      expect(checkOf(tcp, 'cni0 is down')).toMatchObject({ status: 'ruled out' });
      const ping = report.flows.find((f) => f.protocol === 'icmp' && f.server === POD_B)!;
      expect(ping.verdict.kind).toBe('delivered');
      expect(ping.checks).toEqual([]);
    } finally {
      sh(NS.n2, 'iptables -D FORWARD -p tcp --dport 8080 -j DROP');
    }
  }, 40_000);

  it('node1 lost its FDB entry for node2\'s VTEP: confirmed at node1/flannel.1, the route and the neighbour entry ruled out', async () => {
    const ping = await pingUnder([[NS.n1, 'bridge fdb del 0e:61:06:ff:7a:02 dev flannel.1 dst 192.168.77.2 self']], [[NS.n1, 'bridge fdb append 0e:61:06:ff:7a:02 dev flannel.1 dst 192.168.77.2 self permanent']]);
    expect([ping.verdict.kind, ping.requestsStopAfter]).toEqual(['request-dropped', 'node1/flannel.1']);
    expect(checkOf(ping, 'no FDB entry for 0e:61:06:ff:7a:02 on flannel.1…')).toMatchObject({ node: 'node1', status: 'confirmed' });
    expect(checkOf(ping, 'no route to 10.244.2.2 through flannel.1…')).toMatchObject({ status: 'ruled out', evidence: '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink' });
    expect(checkOf(ping, 'no neighbour entry (VTEP MAC) for 10.244.2.0 on flannel.1…')).toMatchObject({ status: 'ruled out' });
  }, 40_000);

  it('flannel.1 down on node2: the stop at node2/eth0, the device confirmed down', async () => {
    const ping = await pingUnder([[NS.n2, 'ip link set flannel.1 down']], [[NS.n2, 'ip link set flannel.1 up && ip route replace 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink && ip neigh replace 10.244.1.0 lladdr 0e:61:06:ff:7a:01 dev flannel.1 nud permanent']]);
    expect([ping.verdict.kind, ping.requestsStopAfter]).toEqual(['request-dropped', 'node2/eth0']);
    expect(checkOf(ping, 'flannel.1 is down')).toMatchObject({ node: 'node2', status: 'confirmed', evidence: expect.stringMatching(/^flannel\.1: <[^>]*> mtu 1450 state DOWN$/) });
  }, 40_000);

  it('pod MTU 1500 over a 1450 VXLAN with frag-needed filtered on node1: the full-size packets stop before flannel.1, its MTU confirmed', async () => {
    const ping = await pingUnder([[NS.a, 'ip link set eth0 mtu 1500'], [NS.n1, 'ip link set veth1pod mtu 1500 && ip link set cni0 mtu 1500 && iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP']], [[NS.n1, 'iptables -D OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP && ip link set veth1pod mtu 1450 && ip link set cni0 mtu 1450'], [NS.a, 'ip link set eth0 mtu 1450']], { pingSize: 1472 });
    expect(ping.requestsStopAfter).toBe('node1/cni0');
    expect(ping.verdict.kind).toBe('size-dependent');
    expect(checkOf(ping, "flannel.1's MTU is too small for them")).toMatchObject({ node: 'node1', status: 'confirmed', evidence: '1500-byte packets lost here; flannel.1 mtu 1450, cni0 mtu 1500' });
  }, 40_000);

  it('forwarding off on node2: confirmed; the FORWARD chain (policy ACCEPT) ruled out', async () => {
    const ping = await pingUnder([[NS.n2, 'sysctl -qw net.ipv4.ip_forward=0']], [[NS.n2, 'sysctl -qw net.ipv4.ip_forward=1']]);
    expect([ping.verdict.kind, ping.requestsStopAfter]).toEqual(['request-dropped', 'node2/flannel.1']);
    // Writing ip_forward sets every device's own switch, which is the one the kernel reads.
    expect(checkOf(ping, 'forwarding is off')).toMatchObject({ node: 'node2', status: 'confirmed', evidence: 'net.ipv4.ip_forward = 0, net.ipv4.conf.flannel.1.forwarding = 0' });
    expect(checkOf(ping, 'iptables FORWARD drops it')).toMatchObject({ status: 'ruled out', evidence: expect.stringMatching(/^line \d+: :FORWARD ACCEPT \(the chain's policy\)$/) });
  }, 40_000);

  it('strict rp_filter on node2 with the route back to pod-a over eth0: the requests stop at node2/flannel.1, rp_filter confirmed quoting that route', async () => {
    const ping = await pingUnder([[NS.n2, 'sysctl -qw net.ipv4.conf.all.rp_filter=1 && ip route replace 10.244.1.0/24 via 192.168.77.1 dev eth0']], [[NS.n2, 'sysctl -qw net.ipv4.conf.all.rp_filter=0 && ip route replace 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink']]);
    expect([ping.verdict.kind, ping.requestsStopAfter]).toEqual(['request-dropped', 'node2/flannel.1']);
    expect(checkOf(ping, 'rp_filter drops it on flannel.1')).toMatchObject({ node: 'node2', status: 'confirmed', evidence: 'net.ipv4.conf.all.rp_filter = 1, net.ipv4.conf.flannel.1.rp_filter = 0 (strict); the route back to 10.244.1.2: 10.244.1.0/24 via 192.168.77.1 dev eth0' });
    for (const cause of ['forwarding is off', 'iptables FORWARD drops it', 'the route to 10.244.2.2 does not lead to cni0']) expect(checkOf(ping, cause)?.status, cause).toBe('ruled out');
  }, 40_000);
});

describe('a tcpdump slow to start, with the reproduction already running', () => {

  it('packets that crossed node1 before its flannel.1 capture listened are not lost there: the healthy ping is delivered', async () => {
    // node1's tcpdump on flannel.1 listens 3 s late (a busy node; a slow BPF compile), and pod-a
    // pings pod-b throughout, from before the kits start: an engineer who did not wait.
    const wrap = mkdtempSync(path.join(tmpdir(), 'hopscope-slow-'));
    const real = execFileSync('sh', ['-c', 'command -v tcpdump']).toString().trim();
    writeFileSync(path.join(wrap, 'tcpdump'), `#!/bin/sh\ncase " $* " in *" -i flannel.1 "*) sleep 3 ;; esac\nexec ${real} "$@"\n`, { mode: 0o755 });
    const dirs = [mkdtempSync(path.join(tmpdir(), 'hopscope-kit-')), mkdtempSync(path.join(tmpdir(), 'hopscope-kit-'))] as const;
    try {
      const pinger = spawn('ip', ['netns', 'exec', NS.a, 'ping', '-n', '-c', '45', '-i', '0.2', POD_B], { stdio: ['ignore', 'pipe', 'ignore'] });
      let said = '';
      pinger.stdout.on('data', (d) => (said += d));
      const pinged = new Promise<void>((r) => pinger.on('close', () => r()));
      await new Promise((r) => setTimeout(r, 300));
      const kits = [
        startKit(NS.n1, 'node1', dirs[0], ['dash'], { seconds: 3, env: { ...process.env, PATH: `${wrap}:${process.env.PATH ?? ''}` } }),
        startKit(NS.n2, 'node2', dirs[1], ['dash'], { seconds: 3 }),
      ];
      expect((await Promise.all(kits.map((k) => k.done))).map((d) => d.code)).toEqual([0, 0]);
      await pinged;
      // The ground truth, from ping itself: every echo was answered.
      expect(said).toMatch(/45 packets transmitted, 45 received/);
      const { openBundles } = await import('../cli/bundles');
      const { expand, loadInputs } = await import('../analyze/files');
      const { analyze } = await import('../analyze');
      const bundles = dirs.map((d, i) => path.join(d, `node${i + 1}-hopscope.tar.gz`));
      const keep = process.env.HOPSCOPE_KEEP_BUNDLES;
      if (keep) for (const f of bundles) copyFileSync(f, path.join(keep, path.basename(f)));
      const b = openBundles(bundles);
      const { inputs } = await loadInputs(expand(b.paths), new Map());
      // The situation happened: flannel.1's capture began seconds after the veth's.
      const first = (iface: string) => inputs.find((x) => x.file.endsWith(`/node1-${iface}.pcap`))!.capture.baseSec;
      expect(first('flannel.1') - first('veth1pod')).toBeGreaterThanOrEqual(2);
      const { report } = analyze(inputs, { nodeStates: b.states });
      const ping = report.flows.find((f) => f.protocol === 'icmp' && f.server === POD_B)!;
      expect(ping.verdict.kind, ping.verdict.summary).toBe('delivered');
      expect(report.flows.filter((f) => f.verdict.kind !== 'delivered' && f.verdict.kind !== 'not-observed').map((f) => `${f.protocol} ${f.client} → ${f.server}: ${f.verdict.kind}`)).toEqual([]);
    } finally {
      for (const d of [...dirs, wrap]) rmSync(d, { recursive: true, force: true });
    }
  }, 40_000);
});
});

describe('the capture kit script', () => {
  const script = kitScript({ pods: [POD_A, 'fd00:10:244:2::2'], port: 80 });
  const check = (cmd: string, args: string[]) => spawnSync(cmd, args, { input: script, encoding: 'utf8' });

  it('passes shellcheck as POSIX sh', () => {
    const r = spawnSync('shellcheck', ['--version']);
    if (r.status !== 0) {
      console.log('[kit] shellcheck is not installed: skipping its check');
      return;
    }
    const c = check('shellcheck', ['-s', 'sh', '-']);
    expect(c.stdout + c.stderr).toBe('');
    expect(c.status).toBe(0);
  });

  it('parses under dash and busybox sh', () => {
    for (const sh of [['dash', '-n'], ['busybox', 'sh', '-n']]) {
      if (spawnSync(sh[0]!, [...sh.slice(1, -1), '-c', 'true']).status !== 0) {
        console.log(`[kit] ${sh[0]} is not installed: skipping its check`);
        continue;
      }
      const c = check(sh[0]!, sh.slice(1));
      expect(c.stderr, sh.join(' ')).toBe('');
      expect(c.status).toBe(0);
    }
  });

  it('filters for the pods, and on the NIC for their VXLAN copies by the inner addresses', () => {
    expect(innerFilter([POD_A])).toBe('host 10.244.1.2 or arp or icmp6');
    // 10.244.1.2 = 0x0af40102, at the inner IPv4 source (UDP offset 42) or destination (46).
    expect(nicFilter([POD_A])).toContain('udp[42:4] = 0x0af40102 or udp[46:4] = 0x0af40102');
    // Every UDP port an encapsulation the analysis knows uses, opened or only named: a flow in
    // Calico's IPv6 WireGuard (51821) or in VXLAN-GPE is not missing from the NIC's capture.
    for (const port of [...OVERLAYS, ...OPAQUE_TUNNELS].flatMap((t) => t.udpPorts)) expect(nicFilter([POD_A])).toMatch(new RegExp(`udp port ${port}\\b`));
    expect(() => kitScript({ pods: ['10.244.1.2; rm -rf /'] })).toThrow(/not an IP address/);
    expect(() => kitScript({ pods: [] })).toThrow(/at least one pod/);
  });
});

/**
 * The Hopscope lab: builds each scenario's cluster from network namespaces, breaks it, records
 * tcpdump at every point of the path, and writes sample-captures/<scenario>/ with a
 * scenario.json whose flow observations are computed from the captures.
 *
 *   npx tsx scripts/lab/run.ts [--out DIR] [--only a,b] [--ci] [--list] [--cleanup] [--verbose]
 *
 * Run it through scripts/lab/lab.sh (npm run lab), which checks for root and the tools first.
 */
import { rmSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteNamespace, Lab, LabError, staleNamespaces } from './exec';
import { jsonResult, pingResult } from './clients';
import { CNI_SCENARIOS } from './cni';
import { FIELD_SCENARIOS as FIELD_BASE } from './field';
import { runFieldScenario } from './field-run';
import { WILD_SCENARIOS } from './wild';
import { KIT_HEALTHY, startKits } from './kit-run';

/** Every field scenario (scripts/lab/field.ts and the modules that add their own). */
const FIELD_SCENARIOS = [...FIELD_BASE, ...CNI_SCENARIOS, ...WILD_SCENARIOS];
import { LABNET, SCENARIOS, type FlowDef, type ScenarioDef } from './scenarios';
import { calicoIpip, flannelUdp, flannelVxlan, pointFile, pointId, type Built, type BuildOptions } from './topologies';
import { loadCapture, observeFlows, type LoadedCapture } from '../../lib/lab/ground-truth';
import { mergeToPcapng } from '../../lib/lab/pcapng-copy';
import {
  type CapturePoint,
  type ClientResult,
  type ExtraCapture,
  type Flow,
  type PointId,
  type ScenarioFile,
} from '../../lib/lab/scenario';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const LABNET_PATH = join(HERE, 'labnet.py');
const SNAPLEN = 262144;
const PING_COUNT = 3;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function realPython(): string {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (r.status !== 0) throw new LabError('python3 is needed for the lab\'s forwarders and test clients');
  return r.stdout.trim();
}

/** Replace the documented `python3 scripts/lab/labnet.py` with the real interpreter and path. */
function expand(command: string, python: string): string {
  return command.split(LABNET).join(`${python} ${LABNET_PATH}`);
}

let current: Lab | null = null;
let currentTmpDir: string | null = null;
function onSignal(sig: NodeJS.Signals): void {
  console.error(`\nlab: ${sig}, cleaning up`);
  current?.cleanupSync();
  if (currentTmpDir) rmSync(currentTmpDir, { recursive: true, force: true });
  process.exit(sig === 'SIGINT' ? 130 : 143);
}

function clientArgv(flow: FlowDef, targetIp: string, python: string): string[] {
  if (flow.protocol === 'icmp') {
    const argv = ['ping', '-n', '-c', String(PING_COUNT), '-i', '0.2', '-W', '1', '-e', String(flow.icmpId)];
    if (flow.size !== undefined) argv.push('-s', String(flow.size));
    if (flow.df) argv.push('-M', 'do');
    return [...argv, targetIp];
  }
  const port = typeof flow.to === 'object' && flow.to.port !== undefined ? flow.to.port : flow.port!;
  if (flow.protocol === 'tcp') return [python, LABNET_PATH, 'tcp', '--dst', targetIp, '--port', String(port), '--sport', String(flow.clientPort)];
  return [python, LABNET_PATH, 'udp', '--dst', targetIp, '--port', String(port), '--sport', String(flow.clientPort), '--txid', String(flow.dnsId)];
}

function documented(argv: string[], python: string): string {
  return argv.join(' ').split(`${python} ${LABNET_PATH}`).join(LABNET);
}

async function build(lab: Lab, def: ScenarioDef, opts: BuildOptions, python: string): Promise<Built> {
  const start = async (host: string, name: string, command: string): Promise<void> => {
    lab.commands.push({ host, command: `${command.split(`${python} ${LABNET_PATH}`).join(LABNET)} &` });
    await lab.start(host, name, ['sh', '-c', `exec ${command}`], /^ready$/m);
  };
  if (def.cni === 'flannel-vxlan') return flannelVxlan(lab, opts);
  if (def.cni === 'flannel-udp') return flannelUdp(lab, opts, start);
  return calicoIpip(lab, opts, start);
}

async function runScenario(def: ScenarioDef, outRoot: string, verbose: boolean): Promise<ScenarioFile> {
  const python = realPython();
  const lab = new Lab(def.name, verbose);
  current = lab;
  const finalDir = join(outRoot, def.name);
  const dir = `${finalDir}.tmp`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  currentTmpDir = dir;
  const t0 = Date.now();
  try {
    const built = await build(lab, def, { python, labnet: LABNET_PATH, ...(def.podMtu ? { podMtu: def.podMtu } : {}) }, python);
    for (const c of def.setup ?? []) lab.sh(c.host, c.command);

    // The pods' applications: an HTTP-like server on 80 and a DNS-like server on 53.
    const serverPorts = def.serverTcpPorts ?? [80];
    const servers: Array<{ host: string; ip: string }> = [built.podB, ...(built.outside ? [built.outside] : [])];
    for (const s of servers) {
      if (serverPorts.length === 0 && s.host === built.podB.host) continue;
      const cmd = `${LABNET} serve ${serverPorts.map((p) => `--tcp ${p}`).join(' ')} --udp 53 --answer ${s.ip} --response-bytes ${def.responseBytes ?? 64}`;
      lab.commands.push({ host: s.host, command: `${cmd} &` });
      await lab.start(s.host, 'server', ['sh', '-c', `exec ${expand(cmd, python)}`], /^ready$/m);
    }

    // Let the IGMP joins of freshly configured bridges (224.0.0.106, multicast snooping) pass.
    await sleep(1200);

    // Captures: every point, plus one -i any (Linux cooked v2) on one node.
    const captures = [...built.points.map((p) => ({ ...p, file: pointFile(p) })), { node: def.anyNode, iface: 'any', role: 'host' as const, file: `${def.anyNode}-any.pcap` }];
    const dumps = [];
    for (const c of captures) {
      lab.commands.push({ host: c.node, command: `tcpdump -i ${c.iface} -U --immediate-mode -s ${SNAPLEN} -w ${c.file} &` });
      dumps.push(
        await lab.start(c.node, `tcpdump ${c.iface}`, ['tcpdump', '-i', c.iface, '-Z', 'root', '-U', '--immediate-mode', '-s', String(SNAPLEN), '-w', join(dir, c.file)], /listening on/),
      );
    }
    await sleep(300);

    // The fault, after the captures started: they show the broken state from its first packet.
    if (def.fault) {
      for (const c of def.fault.commands) {
        if (def.fault.background) {
          lab.commands.push({ host: c.host, command: `${c.command} &` });
          await lab.start(c.host, 'fault', ['sh', '-c', `exec ${expand(c.command, python)}`], /^ready$/m);
        } else {
          lab.sh(c.host, expand(c.command, python));
        }
      }
    }

    // The capture kit on every node, as the engineer would run it once the problem is there.
    const kitPods = [built.podA.ip, built.podB.ip, ...(def.flows.some((f) => f.to === 'outside') && built.outside ? [built.outside.ip] : [])];
    const kit = def.fault || KIT_HEALTHY.has(def.name) ? await startKits(lab, built.topology.nodes.map((n) => n.name), kitPods, dir) : null;

    const flowRuns: Array<{ def: FlowDef; target: { ip: string; port?: number }; server: { host: string; ip: string; port?: number }; path: PointId[]; command: string; result: ClientResult }> = [];
    for (const f of def.flows) {
      const toOutside = f.to === 'outside';
      if (toOutside && !built.outside) throw new LabError(`${def.name}/${f.id}: no outside host in ${def.cni}`);
      const serverEp = toOutside ? built.outside! : built.podB;
      const target = typeof f.to === 'object' ? { ip: f.to.ip, ...(f.to.port !== undefined ? { port: f.to.port } : {}) } : { ip: serverEp.ip, ...(f.port !== undefined ? { port: f.port } : {}) };
      const serverPort = typeof f.to === 'object' ? f.to.serverPort : f.port;
      const argv = clientArgv(f, target.ip, python);
      lab.commands.push({ host: built.podA.host, command: documented(argv, python) });
      const r = await lab.run(built.podA.host, argv, 20_000);
      const result = f.protocol === 'icmp' ? pingResult(r.stdout, r.stderr) : jsonResult(r.stdout);
      if (verbose) console.log(`  ${f.id}: ${result.outcome} ${result.detail ?? ''}`);
      flowRuns.push({
        def: f,
        target,
        server: { host: serverEp.host, ip: serverEp.ip, ...(serverPort !== undefined ? { port: serverPort } : {}) },
        path: toOutside ? built.toOutside! : built.podToPod,
        command: documented(argv, python),
        result,
      });
      await sleep(300);
    }
    await sleep(1000);
    const kitRun = await kit?.stop();
    await lab.stopAll((bg) => bg.name.startsWith('tcpdump'));
    // SLL2 records carry the interface index; the names belong to the node's namespace, not to
    // the machine that reads the file (tcpdump -r resolves them locally and gets them wrong).
    const ifindex: Record<string, string> = {};
    for (const l of lab.sh(def.anyNode, 'ip -o link show', { record: false }).split('\n')) {
      const m = /^(\d+): ([^:@]+)[:@]/.exec(l);
      if (m) ifindex[m[1]!] = m[2]!;
    }
    const tcpdumpNotes = dumps.filter((d) => /went down|error/i.test(d.stderr)).map((d) => `${d.host}/${d.name}: ${d.stderr.trim()}`);
    lab.cleanupSync();

    // Ground truth from the files just written.
    const loaded = new Map<PointId, LoadedCapture>();
    const capturePoints: CapturePoint[] = [];
    for (const p of built.points) {
      const cap = await loadCapture(join(dir, pointFile(p)));
      loaded.set(pointId(p), cap);
      capturePoints.push({ id: pointId(p), file: pointFile(p), node: p.node, interface: p.iface, role: p.role, linkType: cap.linkTypes[0] ?? -1, packets: cap.summary.packets });
    }
    const anyFile = `${def.anyNode}-any.pcap`;
    const anyCap = await loadCapture(join(dir, anyFile));
    const extraCaptures: ExtraCapture[] = [
      {
        file: anyFile, node: def.anyNode, interface: 'any', linkType: anyCap.linkTypes[0] ?? -1, packets: anyCap.summary.packets, ifindex,
        note: `tcpdump -i any on ${def.anyNode}: Linux cooked headers with the interface index and direction; each packet appears once per interface it crossed`,
      },
    ];
    const pcapngFile = 'all-interfaces.pcapng';
    const merged = await mergeToPcapng(
      built.points.map((p) => ({ path: join(dir, pointFile(p)), name: pointId(p), description: `${p.iface} on ${p.node} (${p.role})` })),
      `hopscope lab: ${def.name}`,
    );
    await writeFile(join(dir, pcapngFile), merged.bytes);

    const observations = observeFlows(
      loaded,
      flowRuns.map((r) => ({ id: r.def.id, protocol: r.def.protocol, match: matchOf(r.def, r.target.port, r.server.port), path: r.path })),
    );
    const flows: Flow[] = flowRuns.map((r, i) => {
      const o = observations[i]!;
      return {
        id: r.def.id,
        protocol: r.def.protocol,
        description: r.def.description,
        client: { host: built.podA.host, ip: built.podA.ip },
        target: r.target,
        server: r.server,
        command: r.command,
        match: { ...matchOf(r.def, r.target.port, r.server.port), ...o.learned },
        path: r.path,
        clientResult: r.result,
        requests: o.requests,
        replies: o.replies,
        icmpErrors: o.icmpErrors,
        expectedVerdict: r.def.expectedVerdict,
      };
    });

    const scenario: ScenarioFile = {
      // Schema 1: the classic scenarios list their flows of interest only (no healthy flows, windows).
      schema: 1,
      name: def.name,
      title: def.title,
      summary: def.summary,
      reportedAs: def.reportedAs,
      cni: built.cni,
      fault: def.fault ? { kind: def.fault.kind, description: def.fault.description, node: def.fault.node, commands: def.fault.commands.map((c) => ({ ...c })) } : null,
      topology: { ...built.topology, services: def.services ?? [] },
      capturePoints,
      extraCaptures,
      pcapng: { file: pcapngFile, interfaces: built.points.map(pointId), packets: merged.packets },
      flows,
      notes: [...def.notes, ...tcpdumpNotes],
      ...(kitRun ? { kit: kitRun } : {}),
    };
    await writeFile(join(dir, 'scenario.json'), `${JSON.stringify(scenario, null, 2)}\n`);
    await writeFile(
      join(dir, 'commands.txt'),
      `# Every command the lab ran for "${def.name}", as typed on each host: the cluster, its\n# applications, the captures, the fault (after the captures started) and the clients.\n` +
        lab.commands.map((c) => `[${c.host}] ${c.command}`).join('\n') +
        '\n',
    );
    await rm(finalDir, { recursive: true, force: true });
    await rename(dir, finalDir);
    console.log(`${def.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${await dirSize(finalDir)} bytes`);
    for (const f of flows) {
      console.log(`  ${f.id.padEnd(13)} client ${f.clientResult.outcome.padEnd(16)} requests → ${f.requests.lastReached ?? '-'}   replies → ${f.replies.lastReached ?? '-'}${f.icmpErrors.length ? `   icmp: ${f.icmpErrors.map((e) => `${e.type}/${e.code} from ${e.from}`).join(', ')}` : ''}`);
    }
    return scenario;
  } finally {
    lab.cleanupSync();
    current = null;
    currentTmpDir = null;
    await rm(dir, { recursive: true, force: true });
  }
}

function matchOf(f: FlowDef, targetPort: number | undefined, serverPort: number | undefined): Flow['match'] {
  if (f.protocol === 'icmp') return { icmpId: f.icmpId! };
  const ports = [...new Set([targetPort, serverPort].filter((p): p is number => p !== undefined))];
  if (f.protocol === 'tcp') return { clientPort: f.clientPort!, serverPorts: ports };
  return { clientPort: f.clientPort!, serverPorts: ports, dnsId: f.dnsId! };
}

async function dirSize(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) n += (await stat(join(dir, f))).size;
  return n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): boolean => args.includes(name);
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (flag('--help') || flag('-h')) {
    console.log('usage: run.ts [--out DIR] [--only name,name] [--ci] [--list] [--cleanup] [--verbose]');
    return;
  }
  const all: Array<{ name: string; title: string; ci?: boolean }> = [...SCENARIOS, ...FIELD_SCENARIOS];
  if (flag('--list')) {
    for (const s of all) console.log(`${s.name.padEnd(28)} ${s.ci ? 'ci ' : '   '}${s.title}`);
    return;
  }
  const stale = staleNamespaces();
  if (stale.length) {
    console.log(`removing ${stale.length} namespaces left by an earlier run: ${stale.join(' ')}`);
    for (const ns of stale) deleteNamespace(ns);
  }
  if (flag('--cleanup')) return;

  const out = resolve(value('--out') ?? join(REPO, 'sample-captures'));
  const only = value('--only')?.split(',').filter(Boolean);
  const pick = <T extends { name: string; ci?: boolean }>(list: T[]): T[] => list.filter((s) => (only ? only.includes(s.name) : flag('--ci') ? s.ci : true));
  if (only) {
    const unknown = only.filter((n) => !all.some((s) => s.name === n));
    if (unknown.length) throw new LabError(`unknown scenario(s): ${unknown.join(', ')} (see --list)`);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  await mkdir(out, { recursive: true });
  for (const def of pick(SCENARIOS)) await runScenario(def, out, flag('--verbose'));
  const python = pick(FIELD_SCENARIOS).length ? realPython() : '';
  for (const def of pick(FIELD_SCENARIOS)) {
    await runFieldScenario(def, out, {
      python,
      labnet: LABNET_PATH,
      verbose: flag('--verbose'),
      track(lab, dir) {
        current = lab;
        currentTmpDir = dir;
      },
    });
  }
}

main().catch((e: unknown) => {
  current?.cleanupSync();
  console.error(`lab: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

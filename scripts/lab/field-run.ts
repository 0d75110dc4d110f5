/**
 * The runner for the scenarios of scripts/lab/field.ts: captures as engineers really bring them
 * (`-i any` per node, short snap lengths, windows that do not line up, busy nodes). Each
 * scenario's `run` drives the lab through a FieldCtx: it starts servers, captures and clients in
 * whatever order its story needs, and the context remembers every client it ran. Afterwards the
 * ground truth — flows of interest, every other flow that worked, background frames, capture
 * windows — is measured from the files alone (lib/lab/ground-truth.ts, lib/lab/background.ts).
 */
import { KIT_HEALTHY, startKits, type KitHandle } from './kit-run';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonResult, pingResult } from './clients';
import { Lab, LabError } from './exec';
import { LABNET } from './scenarios';
import { flannelVxlan, pointFile, pointId, type Built } from './topologies';
import type { FieldCtx, FieldFlowSpec, FieldScenarioDef, CaptureSpec } from './field';
import { countBackground } from '../../lib/lab/background';
import { loadCapture, observeFlows, parseIpLink, splitByInterface, type LoadedCapture } from '../../lib/lab/ground-truth';
import { mergeToPcapng } from '../../lib/lab/pcapng-copy';
import {
  SCENARIO_SCHEMA,
  type BackgroundCounts,
  type CapturePoint,
  type ExtraCapture,
  type CaptureWindow,
  type ClientResult,
  type Fault,
  type Flow,
  type FlowMatch,
  type HealthyFlow,
  type PointId,
  type ScenarioFile,
} from '../../lib/lab/scenario';

const FULL_SNAPLEN = 262144;
const LINKTYPE_LINUX_SLL2 = 276;
/**
 * tcpdump -B: with --immediate-mode libpcap uses a TPACKET_V2 ring of snaplen-sized frames, and
 * its default 2 MiB holds only eight 256 KiB frames: a burst on `-i any` (every packet once per
 * device) overflows it ("N packets dropped by kernel").
 */
const CAPTURE_BUFFER_KIB = 65536;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface FlowRun {
  spec: FieldFlowSpec;
  command: string;
  result: ClientResult;
}

interface CaptureRun {
  spec: CaptureSpec;
  /** For a rotating capture (CaptureSpec.rotate), the strftime name its files are written as, under rotated/. */
  file: string;
  name: string;
  /** `ip -o link` on the node, for `-i any`. */
  links?: string;
  stopped?: boolean;
  /** tcpdump's own account when it stopped ("N packets dropped by kernel"). */
  stderr?: () => string;
}

/** A client's outcome that means it got what it asked for. */
function worked(r: ClientResult): boolean {
  return r.outcome === 'response';
}

function matchOf(s: FieldFlowSpec): FlowMatch {
  if (s.protocol === 'icmp') return { icmpId: s.icmpId! };
  const ports = [...new Set([s.target.port, s.server.port].filter((p): p is number => p !== undefined))];
  if (s.protocol === 'tcp') return { clientPort: s.clientPort!, serverPorts: ports };
  return { clientPort: s.clientPort!, serverPorts: ports, dnsId: s.dnsId! };
}

/** The client command as the lab documents it (python3 scripts/lab/labnet.py …). */
function clientCommand(s: FieldFlowSpec): string {
  if (s.command) return s.command;
  if (s.protocol === 'icmp') {
    const a = ['ping', '-n', '-c', String(s.count ?? 3), '-i', String(s.interval ?? 0.2), '-W', '1', '-e', String(s.icmpId)];
    if (s.size !== undefined) a.push('-s', String(s.size));
    return [...a, s.target.ip].join(' ');
  }
  const port = s.target.port!;
  if (s.protocol === 'tcp') return `${LABNET} tcp --dst ${s.target.ip} --port ${port} --sport ${s.clientPort}`;
  return `${LABNET} udp --dst ${s.target.ip} --port ${port} --sport ${s.clientPort} --txid ${s.dnsId}`;
}

class Recorder implements FieldCtx {
  readonly flows: FlowRun[] = [];
  readonly captures: CaptureRun[] = [];
  /** Second captures of points, each written as a file a second (CaptureSpec.rotate): not capture points of the scenario. */
  readonly rotations: CaptureRun[] = [];
  readonly faults: Fault[] = [];
  private readonly pending: Array<Promise<unknown>> = [];

  constructor(
    readonly lab: Lab,
    readonly built: Built,
    private readonly python: string,
    private readonly labnet: string,
    private readonly dir: string,
  ) {}

  expand(command: string): string {
    return command.split(LABNET).join(`${this.python} ${this.labnet}`);
  }

  sh(host: string, command: string): string {
    this.lab.commands.push({ host, command });
    return this.lab.sh(host, this.expand(command), { record: false });
  }

  async start(host: string, name: string, command: string, ready = /^ready$/m): Promise<void> {
    this.lab.commands.push({ host, command: `${command} &` });
    await this.lab.start(host, name, ['sh', '-c', `exec ${this.expand(command)}`], ready);
  }

  async once(host: string, command: string): Promise<string> {
    this.lab.commands.push({ host, command });
    const r = await this.lab.run(host, ['sh', '-c', this.expand(command)], 30_000);
    if (r.status !== 0) throw new LabError(`[${host}] ${command} failed (exit ${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  async serve(host: string, opts: { tcp?: number[]; udp?: number[]; resetTcp?: number[]; answer?: string; responseBytes?: number }): Promise<void> {
    const cmd = `${LABNET} serve ${(opts.tcp ?? []).map((p) => `--tcp ${p}`).join(' ')} ${(opts.udp ?? []).map((p) => `--udp ${p}`).join(' ')} ${(opts.resetTcp ?? []).map((p) => `--reset-tcp ${p}`).join(' ')} --answer ${opts.answer ?? '0.0.0.0'} --response-bytes ${opts.responseBytes ?? 64}`.replace(/ +/g, ' ');
    await this.start(host, 'server', cmd);
  }

  /**
   * tcpdump on a point. A rotating one (CaptureSpec.rotate) is a second capture of the point,
   * writing a new file each second under rotated/, named by strftime: not a capture point itself.
   */
  async capture(spec: CaptureSpec): Promise<void> {
    const rotating = spec.rotate !== undefined;
    const stem = `${spec.node}-${spec.iface}`;
    const file = !rotating ? pointFile(spec) : `rotated/${spec.rotate === 'date' ? `${stem}-%Y%m%d-%H%M%S.pcap` : `${stem}.%s.pcap`}`;
    const name = `tcpdump ${rotating ? '-G ' : ''}${spec.node}/${spec.iface}`;
    const argv = [
      'tcpdump', '-i', spec.iface,
      ...(spec.sll1 ? ['-y', 'LINUX_SLL'] : []),
      ...(spec.direction ? ['-Q', spec.direction] : []),
      '-U', ...(rotating ? [] : ['--immediate-mode']),
      '-B', String(CAPTURE_BUFFER_KIB), '-s', String(spec.snaplen ?? FULL_SNAPLEN),
      ...(rotating ? ['-G', '1', ...(spec.rotate === 'epoch-gzip' ? ['-z', 'gzip'] : [])] : []),
    ];
    if (rotating) await mkdir(join(this.dir, 'rotated'), { recursive: true });
    this.lab.commands.push({ host: spec.node, command: `${argv.join(' ')} -w ${rotating ? `'${file}'` : file} &` });
    const run: CaptureRun = { spec, file, name };
    (rotating ? this.rotations : this.captures).push(run);
    const bg = await this.lab.start(spec.node, name, [...argv, '-Z', 'root', '-w', join(this.dir, file)], /listening on/);
    run.stderr = () => bg.stderr;
  }

  async stopCaptures(filter: (c: CaptureSpec) => boolean = () => true): Promise<void> {
    const runs = [...this.captures, ...this.rotations].filter((c) => !c.stopped && filter(c.spec));
    for (const c of runs) c.stopped = true;
    // The node's interface table as it was while the capture ran (the SLL2 indexes refer to it).
    for (const c of runs) if (c.spec.iface === 'any' && c.links === undefined) c.links = this.lab.sh(c.spec.node, 'ip -o link', { record: false });
    for (const c of runs) this.lab.commands.push({ host: c.spec.node, command: `kill -INT $TCPDUMP_PID  # stops the capture writing ${c.file}` });
    const names = new Set(runs.map((c) => c.name));
    await this.lab.stopAll((bg) => names.has(bg.name));
  }

  fault(f: Fault): void {
    this.faults.push(f);
    for (const c of f.commands) this.sh(c.host, c.command);
  }

  /** Starts the capture kit on every node, once, before the first client: set by the runner. */
  kitLauncher: (() => Promise<void>) | null = null;
  private kitStarted: Promise<void> | null = null;
  private kitReady(): Promise<void> {
    if (this.kitLauncher && !this.kitStarted) this.kitStarted = this.kitLauncher();
    return this.kitStarted ?? Promise.resolve();
  }

  async flow(spec: FieldFlowSpec): Promise<ClientResult> {
    await this.kitReady();
    const command = clientCommand(spec);
    this.lab.commands.push({ host: spec.client.host, command });
    const r = await this.lab.run(spec.client.host, ['sh', '-c', this.expand(command)], 60_000);
    const result = spec.protocol === 'icmp' && !spec.command ? pingResult(r.stdout, r.stderr) : jsonResult(r.stdout);
    if (this.lab.verbose) console.log(`  ${spec.id}: ${result.outcome} ${result.detail ?? ''}`);
    this.flows.push({ spec, command, result });
    return result;
  }

  flowInBackground(spec: FieldFlowSpec): Promise<ClientResult> {
    const p = this.flow(spec);
    this.pending.push(p);
    return p;
  }

  /**
   * A client that connects first and is told to go on later: `command` must print "ready" once
   * connected and one JSON result line when done. Resolves when it is ready; `done` when it ends.
   */
  async session(spec: FieldFlowSpec): Promise<{ done: Promise<ClientResult> }> {
    await this.kitReady();
    const command = spec.command!;
    this.lab.commands.push({ host: spec.client.host, command: `${command} &` });
    const bg = await this.lab.start(spec.client.host, `session ${spec.id}`, ['sh', '-c', `exec ${this.expand(command)}`], /^ready$/m);
    const done = bg.exited.then(() => {
      const result = jsonResult(bg.stdout.replace(/^ready$/m, ''));
      this.flows.push({ spec, command, result });
      return result;
    });
    this.pending.push(done);
    return { done };
  }

  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }

  sleep(ms: number): Promise<void> {
    return sleep(ms);
  }
}

async function dirSize(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) n += (await stat(join(dir, f))).size;
  return n;
}

export interface FieldRunHooks {
  python: string;
  labnet: string;
  verbose: boolean;
  /** Told the lab and temporary folder in use, so a signal handler can clean them up. */
  track(lab: Lab | null, dir: string | null): void;
}

export async function runFieldScenario(def: FieldScenarioDef, outRoot: string, hooks: FieldRunHooks): Promise<ScenarioFile> {
  const lab = new Lab(def.id ?? def.name, hooks.verbose);
  const finalDir = join(outRoot, def.name);
  const dir = `${finalDir}.tmp`;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  hooks.track(lab, dir);
  const t0 = Date.now();
  try {
    const opts = {
      python: hooks.python,
      labnet: hooks.labnet,
      ...(def.extraPods ? { extraPods: def.extraPods } : {}),
      ...(def.outside ? { outside: true } : {}),
    };
    const start = async (host: string, name: string, command: string): Promise<void> => {
      lab.commands.push({ host, command: `${command.split(`${hooks.python} ${hooks.labnet}`).join(LABNET)} &` });
      await lab.start(host, name, ['sh', '-c', `exec ${command}`], /^ready$/m);
    };
    const built = def.build ? await def.build(lab, opts, start) : flannelVxlan(lab, opts);
    const ctx = new Recorder(lab, built, hooks.python, hooks.labnet, dir);
    let kit: KitHandle | null = null;
    const kitHosts = def.kitPods ?? [built.podA.host, built.podB.host];
    if (def.kit !== false) {
      // The pods' addresses, both families, as kubectl would list them (status.podIPs).
      const addresses = (host: string) =>
        [...lab.sh(host, 'ip -o addr show scope global', { record: false }).matchAll(/\binet6? ([0-9a-f.:]+)\//g)].map((m) => m[1]!);
      ctx.kitLauncher = async () => {
        const pods = [...new Set(kitHosts.flatMap(addresses))];
        kit = await startKits(lab, built.topology.nodes.map((n) => n.name), pods, dir);
      };
      // Each node has talked to its pods, as a kubelet's probes make it in a cluster: the kit
      // then finds a bridged pod's veth by its neighbour entry, without the ping it sends where
      // there is none, which the lab's captures (started before the kit) would hold.
      if (!def.coldNeighbours) {
        for (const host of kitHosts) {
          const node = built.topology.pods.find((p) => p.name === host)?.node;
          if (node) for (const ip of addresses(host)) lab.sh(node, `ping -c 1 -W 1 ${ip} >/dev/null || true`);
        }
      }
    }
    await def.run(ctx);
    await ctx.settle();
    const kitRun = await (kit as KitHandle | null)?.stop();
    await ctx.stopCaptures();
    lab.cleanupSync();

    const failedHealthy = ctx.flows.filter((f) => !f.spec.interest && !worked(f.result));
    if (failedHealthy.length) {
      throw new LabError(`${def.name}: flows meant to work did not: ${failedHealthy.map((f) => `${f.spec.id} (${f.result.outcome} ${f.result.detail ?? ''})`).join(', ')}`);
    }
    const scenario = await measure(def, built, ctx, dir);
    // Bundles are kept where there is a fault to check, and for the healthy baseline.
    if (kitRun && (scenario.fault || KIT_HEALTHY.has(def.name))) scenario.kit = kitRun;
    else for (const b of kitRun?.bundles ?? []) await rm(join(dir, b), { force: true });
    await writeFile(join(dir, 'scenario.json'), `${JSON.stringify(scenario, null, 2)}\n`);
    await writeFile(
      join(dir, 'commands.txt'),
      `# Every command the lab ran for "${def.name}", as typed on each host: the cluster, its\n# applications, the captures, the fault and the clients, in order.\n` +
        lab.commands.map((c) => `[${c.host}] ${c.command}`).join('\n') +
        '\n',
    );
    await rm(finalDir, { recursive: true, force: true });
    await rename(dir, finalDir);
    console.log(`${def.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${await dirSize(finalDir)} bytes, ${scenario.flows.length} flows of interest, ${scenario.healthy?.length ?? 0} healthy`);
    for (const f of scenario.flows) {
      console.log(`  ${f.id.padEnd(18)} client ${f.clientResult.outcome.padEnd(16)} requests → ${f.requests.lastReached ?? '-'}   replies → ${f.replies.lastReached ?? '-'}${f.icmpErrors.length ? `   icmp: ${f.icmpErrors.map((e) => `${e.type}/${e.code} from ${e.from}`).join(', ')}` : ''}`);
    }
    return scenario;
  } finally {
    lab.cleanupSync();
    hooks.track(null, null);
    await rm(dir, { recursive: true, force: true });
  }
}

/** tcpdump's closing lines where it lost packets or a device went away. */
function tcpdumpNotes(ctx: Recorder): string[] {
  const out: string[] = [];
  for (const c of ctx.captures) {
    const err = c.stderr?.() ?? '';
    const dropped = /(\d+) packets? dropped by kernel/.exec(err);
    if ((dropped && dropped[1] !== '0') || /went down|error/i.test(err)) out.push(`${c.file}: tcpdump said: ${err.trim().split('\n').slice(-3).join('; ')}`);
  }
  return out;
}

/**
 * Points a flow's packets cannot show in one direction: a pod's host-side veth captured with
 * `-Q in` holds only what came from the pod, never what went into it.
 */
function blindPoints(spec: FieldFlowSpec, points: CapturePoint[], built: Built): { requests: PointId[]; replies: PointId[] } {
  const into = (ip: string) =>
    points.filter((p) => p.direction === 'in' && Object.values(built.pods ?? {}).some((pod) => pod.node === p.node && pod.hostIf === p.interface && pod.ip === ip)).map((p) => p.id);
  return { requests: into(spec.server.ip), replies: into(spec.client.ip) };
}

async function measure(def: FieldScenarioDef, built: Built, ctx: Recorder, dir: string): Promise<ScenarioFile> {
  const loaded = new Map<PointId, LoadedCapture>();
  const capturePoints: CapturePoint[] = [];
  const background: Record<PointId, BackgroundCounts> = {};
  const windows: Record<PointId, CaptureWindow> = {};
  const extraCaptures: ExtraCapture[] = [];
  for (const c of ctx.captures) {
    const id = pointId(c.spec);
    const cap = await loadCapture(join(dir, c.file));
    const linkType = cap.linkTypes[0] ?? -1;
    if (c.spec.extra) {
      const links = `${c.spec.node}-links.txt`;
      await writeFile(join(dir, links), c.links ?? '');
      extraCaptures.push({
        file: c.file, node: c.spec.node, interface: c.spec.iface, linkType, packets: cap.summary.packets, ifindex: parseIpLink(c.links ?? ''),
        note: `tcpdump -i any on ${c.spec.node} (${links}: its \`ip -o link\`), taken beside its per-interface captures: each packet appears once per interface it crossed`,
      });
      continue;
    }
    const point: CapturePoint = {
      id, file: c.file, node: c.spec.node, interface: c.spec.iface, role: c.spec.role, linkType, packets: cap.summary.packets, snaplen: cap.snaplen,
      ...(c.spec.direction ? { direction: c.spec.direction } : {}),
    };
    if (c.spec.iface === 'any') {
      const links = `${c.spec.node}-links.txt`;
      await writeFile(join(dir, links), c.links ?? '');
      point.links = links;
      point.ifindex = parseIpLink(c.links ?? '');
      if (linkType === LINKTYPE_LINUX_SLL2) splitByInterface(cap, c.spec.node, point.ifindex);
    }
    loaded.set(id, cap);
    capturePoints.push(point);
    background[id] = countBackground(cap.frames.map((f) => f.background));
    if (cap.window) windows[id] = cap.window;
  }
  let pcapng: ScenarioFile['pcapng'] = null;
  if (def.pcapng !== false) {
    const points = ctx.captures.filter((c) => !c.spec.extra);
    const merged = await mergeToPcapng(
      points.map((c) => ({ path: join(dir, c.file), name: pointId(c.spec), description: `${c.spec.iface} on ${c.spec.node} (${c.spec.role})` })),
      `hopscope lab: ${def.name}`,
    );
    await writeFile(join(dir, 'all-interfaces.pcapng'), merged.bytes);
    pcapng = { file: 'all-interfaces.pcapng', interfaces: points.map((c) => pointId(c.spec)), packets: merged.packets };
  }

  // A flow's path keeps the points that were captured: a device, or a device behind `-i any` (SLL2).
  const observable = new Set<PointId>(capturePoints.map((p) => p.id));
  for (const p of capturePoints) if (p.ifindex && p.linkType === LINKTYPE_LINUX_SLL2) for (const name of Object.values(p.ifindex)) observable.add(`${p.node}/${name}`);
  const runs = ctx.flows
    .filter((f) => f.spec.interest || worked(f.result))
    .map((f) => ({ ...f, spec: { ...f.spec, path: f.spec.path.filter((p) => observable.has(p)) } }));
  for (const r of runs) if (r.spec.path.length === 0) throw new LabError(`${def.name}/${r.spec.id}: no capture point on its path`);
  const claims = new Map<string, string[]>();
  const observed = observeFlows(
    loaded,
    runs.map((r) => ({ id: r.spec.id, protocol: r.spec.protocol, match: matchOf(r.spec), path: r.spec.path, blind: blindPoints(r.spec, capturePoints, built) })),
    claims,
  );
  const shared = [...claims].filter(([, ids]) => ids.length > 1);
  if (shared.length) throw new LabError(`${def.name}: frames claimed by more than one flow (make their ids or ports unique): ${shared.slice(0, 5).map(([k, ids]) => `${k} ${ids.join('+')}`).join(', ')}`);
  const ids = new Set<string>();
  for (const r of runs) {
    if (ids.has(r.spec.id)) throw new LabError(`${def.name}: two flows named ${r.spec.id}`);
    ids.add(r.spec.id);
  }
  const flows: Flow[] = [];
  const healthy: HealthyFlow[] = [];
  runs.forEach((r, i) => {
    const o = observed[i]!;
    const s = r.spec;
    const base: HealthyFlow = {
      id: s.id,
      protocol: s.protocol,
      description: s.description,
      client: { host: s.client.host, ip: s.client.ip },
      target: s.target,
      server: s.server,
      command: r.command,
      match: { ...matchOf(s), ...o.learned },
      path: s.path,
      clientResult: r.result,
      requests: o.requests,
      replies: o.replies,
      icmpErrors: o.icmpErrors,
      ...(o.blind ? { blind: o.blind } : {}),
    };
    if (s.interest) flows.push({ ...base, expectedVerdict: s.interest.expectedVerdict });
    else healthy.push(base);
  });
  if (flows.length === 0) throw new LabError(`${def.name}: no flow of interest`);

  // The rotating captures' files, each point's in time order (their names hold the time); a
  // finished file is still being gzipped for a moment after tcpdump stops.
  let rotated: Record<PointId, string[]> | undefined;
  if (ctx.rotations.length > 0) {
    rotated = {};
    for (let wait = 0; wait < 50 && (await readdir(join(dir, 'rotated'))).some((f) => f.endsWith('.pcap') && existsSync(join(dir, 'rotated', `${f}.gz`))); wait++) await sleep(100);
    const files = (await readdir(join(dir, 'rotated'))).sort();
    for (const c of ctx.rotations) {
      const stem = c.spec.rotate === 'date' ? `${c.spec.node}-${c.spec.iface}-` : `${c.spec.node}-${c.spec.iface}.`;
      const mine = files.filter((f) => f.startsWith(stem) && /^\d/.test(f.slice(stem.length)));
      if (mine.length < 2) throw new LabError(`${def.name}: the rotating capture of ${pointId(c.spec)} wrote ${mine.length} file(s); it must write several`);
      rotated[pointId(c.spec)] = mine.map((f) => `rotated/${f}`);
    }
  }
  const fault = ctx.faults.length === 0 ? null : ctx.faults.length === 1 ? ctx.faults[0]! : { ...ctx.faults[0]!, commands: ctx.faults.flatMap((f) => f.commands) };
  return {
    schema: SCENARIO_SCHEMA,
    name: def.name,
    title: def.title,
    summary: def.summary,
    reportedAs: def.reportedAs,
    cni: built.cni,
    fault,
    topology: { ...built.topology, services: def.services ?? [] },
    capturePoints,
    extraCaptures,
    pcapng,
    flows,
    healthy,
    background,
    windows,
    notes: [...def.notes, ...tcpdumpNotes(ctx)],
    ...(rotated ? { rotated } : {}),
  };
}

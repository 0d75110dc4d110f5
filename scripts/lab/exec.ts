/**
 * Runs commands inside the lab's network namespaces and remembers everything it made, so one
 * call (also from a signal handler) removes it again. Every namespace the lab creates starts
 * with NETNS_PREFIX; nothing outside those namespaces is touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const NETNS_PREFIX = 'hslab-';

export interface CommandRecord {
  /** The lab's name for the machine: node1, node2, pod-a, outside, … */
  host: string;
  command: string;
}

export class LabError extends Error {}

/** Namespaces left from an earlier run that was killed hard (SIGKILL, power loss). */
export function staleNamespaces(prefix = NETNS_PREFIX): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

/** Stop the processes still running in a namespace (all of them were started by the lab), then delete it. */
export function deleteNamespace(ns: string): void {
  if (!ns.startsWith(NETNS_PREFIX)) throw new LabError(`refusing to delete namespace ${ns}: not a lab namespace`);
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  for (const p of (pids.stdout ?? '').split('\n').map(Number).filter((n) => n > 0)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'delete', ns]);
}

interface Background {
  host: string;
  name: string;
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

export class Lab {
  readonly namespaces = new Map<string, string>();
  /** Every command that shaped the lab, in order, as it would be typed on that host. */
  readonly commands: CommandRecord[] = [];
  private readonly background: Background[] = [];
  private cleaned = false;

  /** `id` is short and unique per scenario: namespaces are `hslab-<id>-<host>`. */
  constructor(readonly id: string, readonly verbose = false) {}

  nsName(host: string): string {
    return `${NETNS_PREFIX}${this.id}-${host}`;
  }

  addHost(host: string): string {
    const ns = this.nsName(host);
    deleteNamespace(ns);
    this.namespaces.set(host, ns);
    this.must(spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' }), `ip netns add ${ns}`);
    // Quiet, reviewable captures: no IPv6 router solicitations, MLD reports or DAD on any link.
    this.sh(host, 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1', { record: false });
    this.sh(host, 'ip link set lo up', { record: false });
    return ns;
  }

  ns(host: string): string {
    const ns = this.namespaces.get(host);
    if (!ns) throw new LabError(`no host ${host} in lab ${this.id}`);
    return ns;
  }

  /** Run one shell command on `host`; throws with its stderr when it fails (unless allowed). */
  sh(host: string, command: string, opts: { record?: boolean; allowFail?: boolean } = {}): string {
    if (opts.record !== false) this.commands.push({ host, command });
    if (this.verbose) console.log(`  [${host}] ${command}`);
    const r = spawnSync('ip', ['netns', 'exec', this.ns(host), 'sh', '-c', command], { encoding: 'utf8' });
    if (!opts.allowFail) this.must(r, `[${host}] ${command}`);
    return r.stdout ?? '';
  }

  /** Several commands on one host, in order. */
  script(host: string, lines: string[]): void {
    for (const l of lines) this.sh(host, l);
  }

  /**
   * Run a command on `host` and return its output, whatever its exit status. Asynchronous, so
   * a SIGINT during a slow client (a TCP connect that times out) cleans up at once.
   */
  async run(host: string, argv: string[], timeoutMs = 30_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
    if (this.verbose) console.log(`  [${host}] ${argv.join(' ')}`);
    const child = spawn('ip', ['netns', 'exec', this.ns(host), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    return { status, stdout, stderr };
  }

  /**
   * Start a long-running process on `host` and wait until `ready` matches its stdout or stderr
   * (tcpdump says "listening on" on stderr; the lab's Python tools print "ready").
   */
  async start(host: string, name: string, argv: string[], ready: RegExp, timeoutMs = 10_000): Promise<Background> {
    if (this.verbose) console.log(`  [${host}] ${argv.join(' ')} &`);
    const child = spawn('ip', ['netns', 'exec', this.ns(host), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const bg: Background = {
      host,
      name,
      child,
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    };
    this.background.push(bg);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LabError(`${name} on ${host} did not start in ${timeoutMs} ms: ${bg.stderr.trim()}`)), timeoutMs);
      const check = (): void => {
        if (ready.test(bg.stdout) || ready.test(bg.stderr)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', (d: Buffer) => {
        bg.stdout += d.toString();
        check();
      });
      child.stderr!.on('data', (d: Buffer) => {
        bg.stderr += d.toString();
        check();
      });
      void bg.exited.then((code) => {
        clearTimeout(timer);
        if (!(ready.test(bg.stdout) || ready.test(bg.stderr))) {
          reject(new LabError(`${name} on ${host} exited with ${code} before it was ready: ${bg.stderr.trim()}`));
        }
      });
    });
    return bg;
  }

  /** SIGINT (tcpdump flushes and exits), then SIGKILL after `graceMs`. */
  async stop(bg: Background, graceMs = 3000): Promise<void> {
    if (bg.child.exitCode !== null || bg.child.signalCode !== null) return;
    bg.child.kill('SIGINT');
    const t = setTimeout(() => bg.child.kill('SIGKILL'), graceMs);
    await bg.exited;
    clearTimeout(t);
  }

  async stopAll(filter: (bg: Background) => boolean = () => true): Promise<void> {
    await Promise.all(this.background.filter(filter).map((bg) => this.stop(bg)));
  }

  /** Synchronous, so it can run from a signal handler: kill what we started, delete the namespaces. */
  cleanupSync(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const bg of this.background) {
      if (bg.child.exitCode === null && bg.child.signalCode === null && bg.child.pid) {
        try {
          process.kill(bg.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of this.namespaces.values()) deleteNamespace(ns);
    this.namespaces.clear();
  }

  private must(r: ReturnType<typeof spawnSync>, what: string): void {
    if (r.error) throw new LabError(`${what}: ${r.error.message}`);
    if (r.status !== 0) throw new LabError(`${what} failed (exit ${r.status}): ${String(r.stderr).trim()}`);
  }
}

/**
 * A node's network state as the capture kit recorded it (`state/` of `<node>-hopscope.tar.gz`):
 * parsed from the files' text, so the CLI and the browser read it the same way. A file the kit
 * could not write (a tool missing on the node) is simply absent: what it would have told is then
 * "not checkable".
 */
import { parseIptablesSave, type Ruleset } from './iptables';
import { joinNexthops } from './forwarding';
import { defaultRouteDevices } from './roles';
import type { CapturedSpan, Counters, LinkState, NodeState, TcpdumpCounts } from './types';

export type { Counters, CapturedSpan, LinkState, NodeState, TcpdumpCounts } from './types';

/** The counts a tcpdump's standard error ends with, or null where it has none (killed, or still starting). */
export function parseTcpdumpCounts(log: string): TcpdumpCounts | null {
  const n = (what: string) => {
    const m = new RegExp(`^(\\d+) packets? ${what}$`, 'm').exec(log);
    return m ? Number(m[1]) : null;
  };
  const [captured, received, droppedByKernel] = [n('captured'), n('received by filter'), n('dropped by kernel')];
  return captured === null || received === null || droppedByKernel === null ? null : { captured, received, droppedByKernel };
}

export function capturedSpan(manifest: Record<string, string>, files: StateFiles = new Map()): CapturedSpan {
  const counts = new Map<string, TcpdumpCounts>();
  for (const [name, text] of files) {
    const m = /^tcpdump-(.+)\.log$/.exec(name);
    const c = m ? parseTcpdumpCounts(text) : null;
    if (m && c) counts.set(m[1]!, c);
  }
  const at = (t: string | undefined) => {
    const ms = Date.parse(t ?? '');
    return Number.isFinite(ms) ? ms : null;
  };
  const start = at(manifest.started);
  const stop = at(manifest.stopped);
  const list = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
  if (Number(manifest.kit) >= 3) return { fromMs: start === null ? null : start + 1000, untilMs: stop === null ? null : stop - 2000, late: list(manifest.late), wrapped: list(manifest.wrapped), counts };
  return { fromMs: start, untilMs: stop === null ? null : stop + 1000, late: [], wrapped: [], counts };
}

/** The kit's files, by their name under state/ (and manifest.json). */
export type StateFiles = Map<string, string>;

export function parseNodeState(files: StateFiles): NodeState {
  let manifest: Record<string, string> = {};
  try {
    manifest = JSON.parse(files.get('manifest.json') ?? '{}') as Record<string, string>;
  } catch {
    manifest = {};
  }
  // The tables as they were when the captures stopped (the kit records them before and after):
  // the problem was reproduced meanwhile, and a fault that arrived mid-run is in the later copy.
  const text = (name: string) => files.get(afterName(name)) ?? files.get(name) ?? null;
  const sysctl = new Map<string, string>();
  for (const line of (text('sysctl.txt') ?? '').split('\n')) {
    const m = /^(\S+)\s*=\s*(.*)$/.exec(line.trim());
    if (m) sysctl.set(m[1]!, m[2]!.trim());
  }
  const ipt = text('iptables-save.txt');
  const ip6t = text('ip6tables-save.txt');
  return {
    node: manifest.node ?? 'unknown',
    manifest,
    sysctl,
    links: parseLinks(text('ip-d-link.txt') ?? ''),
    // An empty iptables-save is no rule only when nft could be asked whether native tables hold some.
    iptables: savedRules(ipt, text('nft-ruleset.txt') !== null),
    ip6tables: savedRules(ip6t, text('nft-ruleset.txt') !== null),
    before: parseNetDev(text('net-dev-before.txt') ?? ''),
    after: parseNetDev(text('net-dev-after.txt') ?? ''),
    missing: (manifest.missing ?? '').split(/\s+/).filter(Boolean),
    routes: routesOf(lines(text('ip-route.txt'), text('ip-6-route.txt'))),
    policyRules: policyRules(text('ip-rule.txt'), text('ip-6-rule.txt')),
    addresses: globalAddresses(files.get('ip-j-addr.json') ?? null),
    changed: changedFiles(files),
    captured: capturedSpan(manifest, files),
    neighbours: lines(text('ip-neigh.txt')),
    fdb: lines(text('bridge-fdb.txt')),
    firewallsElsewhere: {
      v4: otherFirewalls(ipt ?? '', text('nft-ruleset.txt') ?? '', false),
      v6: otherFirewalls(ip6t ?? '', text('nft-ruleset.txt') ?? '', true),
    },
    defaultRoutes: defaultRouteDevices(`${text('ip-route.txt') ?? ''}\n${text('ip-6-route.txt') ?? ''}`),
  };
}

/**
 * iptables-save prints one backend's rules: a warning says the other holds some too (legacy beside
 * nft, common with kube-proxy's iptables-wrapper). Native nftables tables (kube-proxy's nftables
 * mode, firewalld, Docker's newer releases, a hand-made one) whose base chains hook where a packet
 * on its way through or into the node passes filter it as well, and are not evaluated here.
 */
function otherFirewalls(ipt: string, nft: string, v6: boolean): string | null {
  const warning = /^# Warning: iptables-legacy tables present.*$/m.exec(ipt)?.[0];
  if (warning) return `${warning.replace(/^# /, '')}: the rules of the other iptables backend are not in the bundle`;
  // The tables iptables-nft itself keeps (their rules are in iptables-save's output).
  const compat = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
  let table: string | null = null;
  for (const line of nft.split('\n')) {
    const t = /^table (\S+) (\S+)/.exec(line.trim());
    if (t) table = `${t[1]} ${t[2]}`;
    const hook = /\bhook (ingress|prerouting|input|forward)\b/.exec(line)?.[1];
    if (!table || !hook) continue;
    const [family, name] = table.split(' ') as [string, string];
    const ours = (family === 'ip' || family === 'ip6') && compat.has(name);
    if (!ours && (family === 'inet' || family === (v6 ? 'ip6' : 'ip') || family === 'bridge' || family === 'netdev')) return `nftables table ${table} has a ${hook} hook: its rules are not evaluated here`;
  }
  return null;
}

/**
 * iptables-save's output: tables, or nothing at all where no rule was ever added (iptables-nft
 * creates a table with its first rule), which is an empty ruleset. Anything else (an error the
 * kit captured with the output) is no ruleset.
 */
function savedRules(text: string | null, nftRecorded: boolean): Ruleset | null {
  if (text === null) return null;
  const body = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  return (body.length === 0 && nftRecorded) || body.some((l) => /^\*\w+/.test(l)) ? parseIptablesSave(text) : null;
}

/** `ip -j addr`: device → its addresses of global scope. Anything unreadable is no address. */
function globalAddresses(json: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let list: unknown;
  try {
    list = JSON.parse(json ?? '[]');
  } catch {
    return out;
  }
  if (!Array.isArray(list)) return out;
  for (const dev of list as { ifname?: unknown; addr_info?: { local?: unknown; scope?: unknown }[] }[]) {
    if (typeof dev?.ifname !== 'string' || !Array.isArray(dev.addr_info)) continue;
    const a = dev.addr_info.filter((x) => x?.scope === 'global' && typeof x.local === 'string').map((x) => x.local as string);
    if (a.length) out.set(dev.ifname, a);
  }
  return out;
}

const afterName = (name: string) => name.replace(/\.(txt|json)$/, '.after.$1');

/** Files that tell a packet's fate and changed during the run; neighbours and counters always move. */
const TRACKED = ['iptables-save.txt', 'ip6tables-save.txt', 'nft-ruleset.txt', 'sysctl.txt', 'ip-d-link.txt', 'ip-route.txt', 'ip-6-route.txt', 'ip-rule.txt', 'ip-6-rule.txt', 'bridge-fdb.txt'];
function changedFiles(files: StateFiles): string[] {
  // Comments (iptables-save's dates), counters, route lifetimes and learned FDB entries aside (only
  // the VXLAN ones with a dst are read); of the links, what a check reads (a bridge's timers and
  // tcpdump's PROMISC flag move all the time).
  const strip = (name: string, t: string) =>
    name === 'ip-d-link.txt'
      ? [...parseLinks(t).values()].map((l) => `${l.name} ${l.up} ${l.mtu} ${l.kind} ${l.master}`).join('\n')
      : t
          .split('\n')
          .filter((l) => !l.startsWith('#') && !(name === 'bridge-fdb.txt' && !/\bdst\b/.test(l)))
          .map((l) => l.replace(/\[\d+:\d+\]$/, '').replace(/\bexpires \d+sec\b/, '').replace(/\bcounter packets \d+ bytes \d+/g, ''))
          .join('\n');
  return TRACKED.filter((n) => {
    const [a, b] = [files.get(n), files.get(afterName(n))];
    return a !== undefined && b !== undefined && strip(n, a) !== strip(n, b);
  });
}

/** Rules beyond `0: from all lookup local`, `32766: from all lookup main`, `32767: from all lookup default`. */
function policyRules(...texts: (string | null)[]): string[] | null {
  const defaults = /^(0|32766|32767):\s+from all lookup (local|main|default)\s*$/;
  // The IPv4 table is always there; an answer without rule lines is an error, not "no rules".
  const v4 = (texts[0] ?? '').split('\n').map((l) => l.trim());
  if (!v4.some((l) => /^\d+:/.test(l))) return null;
  return texts.flatMap((t) => (t ?? '').split('\n').map((l) => l.trim())).filter((l) => /^\d+:/.test(l) && !defaults.test(l));
}

const routesOf = (l: string[] | null) => (l === null ? null : joinNexthops(l));

function lines(...texts: (string | null)[]): string[] | null {
  if (texts.every((t) => t === null)) return null;
  return texts.flatMap((t) => (t ?? '').split('\n').map((l) => l.trim()).filter(Boolean));
}

/** `ip -d -o link show`: one line per device, `N: name[@peer]: <FLAGS> mtu M … state S …`. */
export function parseLinks(text: string): Map<string, LinkState> {
  const out = new Map<string, LinkState>();
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>/.exec(line);
    if (!m) continue;
    const flags = m[2]!.split(',');
    const state = /\bstate (\S+)/.exec(line)?.[1] ?? 'UNKNOWN';
    // The kind opens one of the backslash-separated parts `ip -d -o` prints ("\    vxlan id 1 …"),
    // never matched inside another word ("master br-vxlan").
    const kind = line.split('\\').slice(1).map((s) => /^\s*(vxlan|geneve|ipip|gre|ip6tnl|sit|wireguard|bridge|veth|tun|dummy)\b/.exec(s)?.[1]).find(Boolean) ?? null;
    out.set(m[1]!, {
      name: m[1]!,
      up: flags.includes('UP') && state !== 'DOWN' && !flags.includes('NO-CARRIER'),
      line: line.trim(),
      mtu: Number(/\bmtu (\d+)/.exec(line)?.[1] ?? NaN) || null,
      kind,
      master: /\bmaster (\S+)/.exec(line)?.[1] ?? null,
    });
  }
  return out;
}

/** /proc/net/dev: `iface: rx_bytes rx_packets rx_errs rx_drop … tx_bytes tx_packets tx_errs tx_drop …`. */
export function parseNetDev(text: string): Map<string, Counters> {
  const out = new Map<string, Counters>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    if (f.length < 16) continue;
    out.set(m[1]!, { rxPackets: f[1]!, rxDropped: f[3]!, txPackets: f[9]!, txDropped: f[11]! });
  }
  return out;
}

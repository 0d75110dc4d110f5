/**
 * Where a node sends a packet, from its recorded routes, neighbours and FDB: the route the
 * kernel picks for the destination (longest prefix of the main table), and for a route into a
 * VXLAN device the two entries flanneld and Calico program for every peer: the next hop's MAC
 * (a permanent neighbour entry) and that MAC's VTEP (an FDB entry with `dst`). A missing one is
 * a packet the device cannot send.
 */
import { inCidr } from './iptables';
import type { NodeState } from './types';

export interface RouteFinding {
  /** What was looked for, as a cause. */
  cause: string;
  found: boolean;
  /** The line that answers it, or why nothing does. */
  evidence: string;
}

export interface Route {
  line: string;
  via: string | null;
  /** Every device it may leave by: its own, or each next hop's of a multipath (ECMP) route. */
  devs: string[];
  /** A route that discards: `blackhole`, `unreachable`, `prohibit` (Calico's blackhole for its own block). */
  discards: string | null;
}

/** The main table's route for `dst`: `[TYPE] PREFIX [via GW] dev DEV …`, longest prefix first. */
export function routeFor(routes: string[], dst: string): Route | null {
  const v6 = dst.includes(':');
  let best: (Route & { bits: number }) | null = null;
  for (const line of routes) {
    const m = /^(?:(unreachable|prohibit|blackhole|throw)\s+)?(\S+)/.exec(line);
    if (!m || /\btable (?!main\b)/.test(line) || /^(local|broadcast|anycast|multicast)\b/.test(line)) continue;
    const prefix = m[2] === 'default' ? (v6 ? '::/0' : '0.0.0.0/0') : m[2]!;
    if (prefix.includes(':') !== v6 || !inCidr(dst, prefix)) continue;
    const bits = Number(prefix.split('/')[1] ?? (v6 ? 128 : 32));
    const devs = [...new Set([...line.matchAll(/\bdev (\S+)/g)].map((x) => x[1]!))];
    if (!best || bits > best.bits) best = { line, via: /\bvia (\S+)/.exec(line)?.[1] ?? null, devs, discards: m[1] && m[1] !== 'throw' ? m[1] : null, bits };
  }
  return best ? { line: best.line, via: best.via, devs: best.devs, discards: best.discards } : null;
}

/** `ip route` prints a multipath route's next hops on lines of their own, after it: one line again. */
export function joinNexthops(routes: string[]): string[] {
  const out: string[] = [];
  for (const l of routes) {
    if (/^nexthop\b/.test(l) && out.length > 0) out[out.length - 1] += ` ${l}`;
    else out.push(l);
  }
  return out;
}

/** For a packet to `dst` leaving by VXLAN device `dev`: the route, the next hop's MAC, that MAC's VTEP. */
export function vxlanPath(st: NodeState, dst: string, dev: string): RouteFinding[] {
  if (!st.routes) return [];
  const out: RouteFinding[] = [];
  const r = routeFor(st.routes, dst);
  const through = r !== null && r.devs.includes(dev);
  out.push({ cause: `no route to ${dst} through ${dev}`, found: through, evidence: r ? r.line : `no route in the main table covers ${dst}` });
  if (!r || !through || !st.neighbours || !st.fdb) return out;
  const hop = r.via ?? dst;
  const n = neighbourEntry(st.neighbours, hop, dev);
  const mac = n && !/\b(FAILED|INCOMPLETE)\b/.test(n) ? /\blladdr (\S+)/.exec(n)?.[1] : undefined;
  out.push({ cause: `no neighbour entry (VTEP MAC) for ${hop} on ${dev}`, found: mac !== undefined, evidence: n ?? `ip neigh has no entry for ${hop} on ${dev}` });
  if (!mac) return out;
  const f = st.fdb.find((l) => l.toLowerCase().startsWith(`${mac.toLowerCase()} dev ${dev} `) && /\bdst \S+/.test(l));
  out.push({ cause: `no FDB entry for ${mac} on ${dev} (the VTEP to send to)`, found: f !== undefined, evidence: f ?? `bridge fdb has no entry for ${mac} on ${dev}: the device has no VTEP to send ${dst} to` });
  return out;
}

/** `ip neigh`'s line for `hop` on `dev`: `10.244.2.0 dev flannel.1 lladdr … PERMANENT`. */
export function neighbourEntry(neighbours: readonly string[], hop: string, dev: string): string | undefined {
  return neighbours.find((l) => l.startsWith(`${hop} `) && (l.includes(` dev ${dev} `) || l.endsWith(` dev ${dev}`)));
}

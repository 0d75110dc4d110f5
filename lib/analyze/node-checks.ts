/**
 * Causes checked against the nodes' own state (the capture kit's bundles, lib/nodestate): where
 * a flow's packets stop between two points of one node, what that node's kernel was told to do
 * with them decides. Each check is **confirmed**, **ruled out** or **not checkable**, quoting the
 * line that decides it:
 *
 *   - the device the packets never reached is down (`ip -d link`);
 *   - forwarding is off (`net.ipv4.ip_forward`, `net.ipv6.conf.all.forwarding`) on a routed step;
 *   - the filter table's FORWARD chain, evaluated for the flow's own packet (addresses after
 *     DNAT, ports, the step's in and out devices, conntrack state), drops or rejects it;
 *   - the devices' drop counters rose while the captures ran.
 */
import { evaluate, type PacketTuple, type Ruleset } from '../nodestate/iptables';
import { vxlanPath } from '../nodestate/forwarding';
import type { NodeState } from '../nodestate/state';
import type { FlowReport, HopReport, NodeCheck } from '../verdict/types';

/** Roles on the pod side of a node's routing step, and on the overlay/underlay side. */
const POD_SIDE = new Set(['pod', 'bridge']);
const WIRE_SIDE = new Set(['overlay', 'nic']);
const TUNNEL_KINDS = new Set(['vxlan', 'geneve', 'ipip', 'gre', 'ip6tnl', 'sit', 'wireguard']);

export function checkFlow(f: FlowReport, states: ReadonlyMap<string, NodeState>): NodeCheck[] {
  const stop = f.requestsStopAfter ?? f.repliesStopAfter;
  if (stop === null || f.verdict.kind === 'delivered') return [];
  const replies = f.requestsStopAfter === null;
  const path = (replies ? [...f.hops].reverse() : f.hops).filter((h) => h.role !== 'any');
  const i = path.findIndex((h) => `${h.node}/${h.interface}` === stop);
  const from = path[i];
  const to = path[i + 1];
  if (!from || !to || from.host !== to.host) return [];
  const st = states.get(from.host);
  if (!st) return [];
  const out: NodeCheck[] = [];
  const node = from.host;
  // The device the packets never reached, and those between the two points that were not
  // captured: a tunnel device between the NIC and the pod side (tcpdump cannot open one that is down).
  const between = new Set([to.interface, ...f.notCaptured.filter((u) => u.node === node).map((u) => u.interface)]);
  const crossesTunnel = (WIRE_SIDE.has(from.role) && POD_SIDE.has(to.role)) || (POD_SIDE.has(from.role) && WIRE_SIDE.has(to.role));
  if (crossesTunnel && from.role !== 'overlay' && to.role !== 'overlay') for (const l of st.links.values()) if (l.kind && TUNNEL_KINDS.has(l.kind)) between.add(l.name);
  for (const dev of between) {
    const link = st.links.get(dev);
    if (st.links.size === 0) out.push({ node, cause: `${dev} is down`, status: 'not checkable', evidence: 'no `ip -d link` in the bundle' });
    else if (!link) out.push({ node, cause: `${dev} is down`, status: 'not checkable', evidence: `${dev} is not in ${node}'s \`ip -d link\`` });
    else out.push({ node, cause: `${dev} is down`, status: link.up ? 'ruled out' : 'confirmed', evidence: briefLink(link.line) });
  }

  const routed = (POD_SIDE.has(from.role) && WIRE_SIDE.has(to.role)) || (WIRE_SIDE.has(from.role) && POD_SIDE.has(to.role)) || (from.role === 'pod' && to.role === 'pod');
  const v6 = f.client.includes(':');
  if (routed) {
    const key = v6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward';
    const v = st.sysctl.get(key);
    out.push({ node, cause: 'forwarding is off', status: v === undefined ? 'not checkable' : v === '0' ? 'confirmed' : 'ruled out', evidence: v === undefined ? `no ${key} in the bundle` : `${key} = ${v}` });
  }
  // Bridged steps reach iptables only with bridge-nf-call-iptables on.
  const bridged = !routed && (st.sysctl.get(v6 ? 'net.bridge.bridge-nf-call-ip6tables' : 'net.bridge.bridge-nf-call-iptables') ?? '0') !== '0';
  if (routed || bridged) out.push(forwardCheck(f, replies, from, to, v6 ? st.ip6tables : st.iptables, node, v6));
  // Leaving by a VXLAN device: the route, the next hop's MAC and that MAC's VTEP.
  const dev = st.links.get(from.interface);
  if (from.role === 'overlay' && to.role === 'nic' && dev?.kind === 'vxlan') {
    const dst = packetOf(f, replies, st.iptables ?? new Map()).dst;
    for (const r of vxlanPath(st, dst, from.interface)) out.push({ node, cause: r.cause, status: r.found ? 'ruled out' : 'confirmed', evidence: r.evidence });
  }
  out.push(...dropCounters(st, from, to, node, replies));
  return out;
}

/** `3: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 … state UP …` → `cni0: <…> mtu 1450 state UP`. */
function briefLink(line: string): string {
  const m = /^\d+:\s+(\S+?):\s+(<[^>]*>)/.exec(line);
  if (!m) return line.slice(0, 160);
  const mtu = /\bmtu (\d+)/.exec(line)?.[1];
  const state = /\bstate (\S+)/.exec(line)?.[1];
  return `${m[1]}: ${m[2]}${mtu ? ` mtu ${mtu}` : ''}${state ? ` state ${state}` : ''}`;
}

function forwardCheck(f: FlowReport, replies: boolean, from: HopReport, to: HopReport, rules: Ruleset | null, node: string, v6: boolean): NodeCheck {
  const cause = `${v6 ? 'ip6tables' : 'iptables'} FORWARD drops it`;
  if (!rules) return { node, cause, status: 'not checkable', evidence: `no ${v6 ? 'ip6tables-save' : 'iptables-save'} in the bundle` };
  const p = packetOf(f, replies, rules);
  p.in = from.interface;
  p.out = to.interface;
  const d = evaluate(rules, 'filter', 'FORWARD', p);
  const at = d.line > 0 ? `line ${d.line}: ${d.text}` : d.text;
  if (d.verdict === 'unknown') return { node, cause, status: 'not checkable', evidence: `${at} — ${d.why}` };
  return { node, cause, status: d.verdict === 'ACCEPT' ? 'ruled out' : 'confirmed', evidence: at };
}

/** The flow's packet in the direction that stopped, as the node's firewall saw it (after DNAT). */
function packetOf(f: FlowReport, replies: boolean, rules: Ruleset): PacketTuple {
  const dnat = f.translations.find((t) => t.kind !== 'SNAT');
  const [dst, dport] = dnat ? splitHostPort(dnat.to) : [f.server, f.serverPort ?? undefined];
  const icmp = f.protocol === 'icmp' || f.protocol === 'icmpv6';
  const req: PacketTuple = {
    src: f.client,
    dst,
    proto: f.protocol === 'icmpv6' ? 'ipv6-icmp' : f.protocol,
    ...(f.clientPort !== null ? { sport: f.clientPort } : {}),
    ...(dport !== undefined && !icmp ? { dport } : {}),
    ...(icmp ? { icmpType: f.protocol === 'icmpv6' ? 128 : 8 } : {}),
    ctstate: 'NEW',
  };
  // Nothing marks the packet unless a rule sets a mark: kube-proxy's KUBE-MARK-MASQ only for
  // service traffic, which a flow without DNAT is not.
  if (!setsMark(rules, dnat !== undefined)) req.mark = 0;
  if (!replies) return req;
  const rep: PacketTuple = { ...req, src: req.dst, dst: req.src, ctstate: 'ESTABLISHED' };
  delete rep.sport;
  delete rep.dport;
  if (req.dport !== undefined) rep.sport = req.dport;
  if (req.sport !== undefined) rep.dport = req.sport;
  if (icmp) rep.icmpType = f.protocol === 'icmpv6' ? 129 : 0;
  return rep;
}

function setsMark(rules: Ruleset, translated: boolean): boolean {
  for (const table of rules.values()) {
    for (const chain of table.values()) {
      for (const r of chain.rules) {
        if (!/--set-x?mark|-j (MARK|CONNMARK)\b/.test(r.text)) continue;
        if (/^KUBE-MARK-/.test(chain.name) && !translated) continue;
        return true;
      }
    }
  }
  return false;
}

function splitHostPort(s: string): [string, number | undefined] {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s.trim());
  return m && (m[1]!.includes(':') ? s.trim().startsWith('[') : true) ? [m[1]!, Number(m[2])] : [s.trim(), undefined];
}

/**
 * The counters that can hold this step's losses: what `from` dropped of what it received, what
 * `to` dropped of what it was to send. As many as were lost (or more) is consistent; fewer may
 * be other traffic's, and none rules the devices out.
 */
function dropCounters(st: NodeState, from: HopReport, to: HopReport, node: string, replies: boolean): NodeCheck[] {
  const lost = Math.max(0, replies ? from.replies - to.replies : from.requests - to.requests);
  const out: NodeCheck[] = [];
  for (const [i, dir, key] of [
    [from.interface, 'received', 'rxDropped'],
    [to.interface, 'sent', 'txDropped'],
  ] as const) {
    const a = st.before.get(i);
    const b = st.after.get(i);
    if (!a || !b) continue;
    const n = b[key] - a[key];
    const status = n === 0 ? 'ruled out' : n >= lost && lost > 0 ? 'confirmed' : 'not checkable';
    out.push({ node, cause: `${i} drops what it ${dir}`, status, evidence: `${i}: ${n} ${dir} packets dropped while the captures ran, ${lost} of this flow's lost here (/proc/net/dev)` });
  }
  return out;
}

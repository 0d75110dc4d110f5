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
import { overheadBytes, overlay, type OverlayKind } from '../protocols/overlays';
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

  // Where the kernel routes: a bridge port's layer 3 is its bridge. Encapsulating and
  // decapsulating (overlay ↔ NIC) are the node's own traffic (OUTPUT, INPUT), not FORWARD.
  const l3 = (dev: string) => st.links.get(dev)?.master ?? dev;
  const [inDev, outDev] = [l3(from.interface), l3(to.interface)];
  const podSideToWire = (POD_SIDE.has(from.role) && WIRE_SIDE.has(to.role)) || (WIRE_SIDE.has(from.role) && POD_SIDE.has(to.role));
  const routed = podSideToWire || (POD_SIDE.has(from.role) && POD_SIDE.has(to.role) && inDev !== outDev);
  const v6 = f.client.includes(':');
  if (routed) out.push(forwardingCheck(st, node, v6, inDev));
  // Bridged between two ports of one bridge: iptables sees it only with bridge-nf-call-iptables on, as bridge → bridge.
  const bridged = !routed && POD_SIDE.has(from.role) && POD_SIDE.has(to.role) && (st.sysctl.get(v6 ? 'net.bridge.bridge-nf-call-ip6tables' : 'net.bridge.bridge-nf-call-iptables') ?? '0') !== '0';
  if (routed || bridged) out.push(forwardCheck(f, replies, inDev, outDev, st, node, v6));
  // Packets too big for the device they never got into (the overlay's MTU, or the NIC's once the
  // overlay's headers are added): the sizes lost here against the recorded MTUs.
  const toLink = st.links.get(to.interface);
  if (f.stopLostSize !== null && toLink?.mtu && (to.role === 'overlay' || to.role === 'nic')) {
    const fromLink = st.links.get(from.interface);
    const tunnel = from.role === 'overlay' && fromLink?.kind && TUNNEL_KINDS.has(fromLink.kind) ? fromLink.kind : null;
    const overhead = tunnel ? tunnelOverhead(tunnel) : 0;
    const size = f.stopLostSize + overhead;
    out.push({
      node,
      cause: `${to.interface}'s MTU is too small for them`,
      status: size > toLink.mtu ? 'confirmed' : 'ruled out',
      evidence: `${f.stopLostSize}-byte packets lost here${overhead ? ` (+${overhead} bytes of ${tunnel} headers)` : ''}; ${to.interface} mtu ${toLink.mtu}${fromLink?.mtu ? `, ${from.interface} mtu ${fromLink.mtu}` : ''}`,
    });
  }
  // Leaving by a VXLAN device: the route, the next hop's MAC and that MAC's VTEP.
  const dev = st.links.get(from.interface);
  if (from.role === 'overlay' && to.role === 'nic' && dev?.kind === 'vxlan') {
    const dst = addressesOf(f, replies).dst;
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

/** IPv4 forwards only with both the global switch and the in-device's own on; IPv6 by its global one. */
function forwardingCheck(st: NodeState, node: string, v6: boolean, inDev: string): NodeCheck {
  const keys = v6 ? ['net.ipv6.conf.all.forwarding'] : ['net.ipv4.ip_forward', `net.ipv4.conf.${inDev}.forwarding`];
  const known = keys.filter((k) => st.sysctl.has(k));
  const off = known.find((k) => st.sysctl.get(k) === '0');
  if (off) return { node, cause: 'forwarding is off', status: 'confirmed', evidence: `${off} = 0` };
  if (known.length < keys.length) return { node, cause: 'forwarding is off', status: 'not checkable', evidence: `${keys.filter((k) => !known.includes(k)).join(', ')} not in the bundle${known.length ? `; ${known.map((k) => `${k} = ${st.sysctl.get(k)}`).join(', ')}` : ''}` };
  return { node, cause: 'forwarding is off', status: 'ruled out', evidence: known.map((k) => `${k} = ${st.sysctl.get(k)}`).join(', ') };
}

function forwardCheck(f: FlowReport, replies: boolean, inDev: string, outDev: string, st: NodeState, node: string, v6: boolean): NodeCheck {
  const cause = `${v6 ? 'ip6tables' : 'iptables'} FORWARD drops it`;
  const rules = v6 ? st.ip6tables : st.iptables;
  if (!rules) return { node, cause, status: 'not checkable', evidence: `no ${v6 ? 'ip6tables-save' : 'iptables-save'} output in the bundle` };
  // Rules that live elsewhere can drop it too: iptables-legacy beside iptables-nft, native nftables.
  const other = st.firewallsElsewhere[v6 ? 'v6' : 'v4'];
  if (other) return { node, cause, status: 'not checkable', evidence: other };
  const p = packetOf(f, replies, rules);
  p.in = inDev;
  p.out = outDev;
  const d = evaluate(rules, 'filter', 'FORWARD', p);
  const at = d.line > 0 ? `line ${d.line}: ${d.text}` : d.text;
  if (d.verdict === 'unknown') return { node, cause, status: 'not checkable', evidence: `${at} — ${d.why}` };
  return { node, cause, status: d.verdict === 'ACCEPT' ? 'ruled out' : 'confirmed', evidence: at };
}

/** The destination of the flow's packet in a direction, after DNAT ("10.244.1.2:45808 → 10.244.2.2:8080"). */
function addressesOf(f: FlowReport, replies: boolean): { dnat: boolean; dst: string; dport: number | undefined } {
  const t = f.translations.find((x) => x.kind !== 'SNAT');
  const [dst, dport] = t ? splitHostPort(t.to.split(' → ')[1] ?? '') : [f.server, f.serverPort ?? undefined];
  return replies ? { dnat: t !== undefined, dst: f.client, dport: f.clientPort ?? undefined } : { dnat: t !== undefined, dst, dport };
}

/** The flow's packet in the direction that stopped, as the node's firewall saw it (after DNAT). */
function packetOf(f: FlowReport, replies: boolean, rules: Ruleset): PacketTuple {
  const { dnat, dst, dport } = addressesOf(f, false);
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
  if (!setsMark(rules, dnat)) req.mark = 0;
  if (!replies) return req;
  const rep: PacketTuple = { ...req, src: req.dst, dst: req.src, ctstate: 'ESTABLISHED' };
  delete rep.sport;
  delete rep.dport;
  if (req.dport !== undefined) rep.sport = req.dport;
  if (req.sport !== undefined) rep.dport = req.sport;
  if (icmp) rep.icmpType = f.protocol === 'icmpv6' ? 129 : 0;
  return rep;
}

/**
 * Whether a rule may have marked the packet before filter FORWARD: raw and mangle run first;
 * nat's chains only for translated (service) traffic — kube-proxy's KUBE-MARK-MASQ — and its
 * POSTROUTING runs after FORWARD.
 */
/** Bytes a tunnel device's encapsulation adds, from the protocol registry (VXLAN's when unknown). */
function tunnelOverhead(kind: string): number {
  const k = (kind === 'ipip' || kind === 'gre' || kind === 'geneve' || kind === 'vxlan' ? kind : 'vxlan') as OverlayKind;
  return overheadBytes(overlay(k));
}

function setsMark(rules: Ruleset, translated: boolean): boolean {
  for (const [name, table] of rules) {
    if (name === 'filter' || (name === 'nat' && !translated)) continue;
    for (const chain of table.values()) {
      if (name === 'nat' && /POSTROUTING/.test(chain.name)) continue;
      if (chain.rules.some((r) => /--set-x?mark|-j (MARK|CONNMARK)\b/.test(r.text))) return true;
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
    // A counter that rose may hold this flow's losses or other traffic's (router solicitations a
    // VXLAN device has no VTEP for): never a confirmation on its own.
    const status = n === 0 ? 'ruled out' : 'not checkable';
    out.push({ node, cause: `${i} drops what it ${dir}`, status, evidence: `${i}: ${n} ${dir} packets dropped while the captures ran, ${lost} of this flow's lost here${n > 0 ? ": they may be this flow's or other traffic's" : ''} (/proc/net/dev)` });
  }
  return out;
}

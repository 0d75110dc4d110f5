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
 *   - the route the node picks for the destination discards it, sends it elsewhere or is missing,
 *     and a directly connected destination's neighbour entry failed (`ip route`, `ip neigh`);
 *   - strict or loose reverse-path filtering (rp_filter) drops it: the route back to its source
 *     does not leave by the device it came in by;
 *   - the encapsulated packet a NIC received was dropped by the filter table's INPUT chain
 *     before the node could decapsulate it (a VXLAN, Geneve or flannel port blocked);
 *   - the devices' drop counters rose while the captures ran.
 * A state file that changed while the kit ran is read as it was at the end, and the evidence says so.
 */
import { evaluate, type Decision, type PacketTuple, type Ruleset } from '../nodestate/iptables';
import { neighbourEntry, routeFor, vxlanPath, type Route } from '../nodestate/forwarding';
import { isTunnelLink, tunnelLinkKind, tunnelLinkOverhead } from '../protocols/devices';
import { overlay } from '../protocols/overlays';
import type { NodeState } from '../nodestate/state';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../protocols/numbers';
import type { FlowReport, HopReport, NodeCheck } from '../verdict/types';

/** Roles on the pod side of a node's routing step, and on the overlay/underlay side. */
const POD_SIDE = new Set(['pod', 'bridge']);
const WIRE_SIDE = new Set(['overlay', 'nic']);

/**
 * A check and the state file it read, to say when that file changed while the kit ran. `weak`:
 * not checkable only for want of a record (no neighbour entry), left out when another cause at
 * the same step is confirmed.
 */
type Sourced = NodeCheck & { source?: string; weak?: boolean };

export function checkFlow(f: FlowReport, states: ReadonlyMap<string, NodeState>): NodeCheck[] {
  let all: Sourced[];
  try {
    all = sourcedChecks(f, states);
  } catch (e) {
    // A recorded file this module reads wrong must not take the analysis down with it.
    const node = f.hops[0]?.host ?? 'unknown';
    return [{ node, cause: 'the recorded state', status: 'not checkable', evidence: `could not be read: ${e instanceof Error ? e.message : String(e)}` }];
  }
  const st = all[0] ? states.get(all[0].node) : undefined;
  const out = all.some((c) => c.status === 'confirmed') ? all.filter((c) => !c.weak) : all;
  return out.map(({ source, weak: _weak, ...c }) =>
    source && st?.changed.includes(source) ? { ...c, evidence: `${c.evidence} (${source.replace(/\.txt$/, '')} changed while the kit ran: this is its state at the end)` } : c,
  );
}

function sourcedChecks(f: FlowReport, states: ReadonlyMap<string, NodeState>): Sourced[] {
  const stop = f.requestsStopAfter ?? f.repliesStopAfter;
  if (stop === null || f.verdict.kind === 'delivered') return [];
  const replies = f.requestsStopAfter === null;
  const path = (replies ? [...f.hops].reverse() : f.hops).filter((h) => h.role !== 'any');
  const i = path.findIndex((h) => `${h.node}/${h.interface}` === stop);
  const from = path[i];
  const to = path[i + 1];
  if (!from || !to) return [];
  const st = states.get(from.host);
  if (!st) return [];
  if (from.host !== to.host) return f.stopLeftPlain ? plainRouteChecks(f, replies, st, from, to) : [];
  const out: Sourced[] = [];
  const node = from.host;
  // The device the packets never reached, and those between the two points that were not
  // captured: a tunnel device between the NIC and the pod side (tcpdump cannot open one that is down).
  const between = new Set([to.interface, ...f.notCaptured.filter((u) => u.node === node).map((u) => u.interface)]);
  // Between the pod side and the overlay or NIC: routed, and across a tunnel device when encapsulated.
  const podSideWire = (WIRE_SIDE.has(from.role) && POD_SIDE.has(to.role)) || (POD_SIDE.has(from.role) && WIRE_SIDE.has(to.role));
  // Only tunnels of the kind the NIC carried the flow in: the kernel's fallback devices (sit0,
  // gre0, ip6tnl0) are always down and carry nothing.
  const nicEnd = from.role === 'nic' ? from : to.role === 'nic' ? to : null;
  // Plain on the NIC (a pod reaching the outside, SNATed): no tunnel between it and the pod side.
  const encapsulated = nicEnd !== null && f.encapsulation.some((e) => e.at === `${nicEnd.node}/${nicEnd.interface}`);
  const tunnels = podSideWire && encapsulated ? uncapturedTunnels(f, st, nicEnd) : [];
  for (const t of tunnels) between.add(t);
  for (const dev of between) {
    const link = st.links.get(dev);
    if (st.links.size === 0) out.push({ node, cause: `${dev} is down`, status: 'not checkable', evidence: 'no `ip -d link` in the bundle' });
    else if (!link) out.push({ node, cause: `${dev} is down`, status: 'not checkable', evidence: `${dev} is not in ${node}'s \`ip -d link\`` });
    else out.push({ node, cause: `${dev} is down`, status: link.up ? 'ruled out' : 'confirmed', evidence: briefLink(link.line), source: 'ip-d-link.txt' });
  }
  // Arriving encapsulated at the NIC and never decapsulated: the node's own INPUT chain.
  if (from.role === 'nic' && (to.role === 'overlay' || POD_SIDE.has(to.role))) {
    const c = inputCheck(f, replies, from, st, node);
    if (c) out.push(c);
  }

  // Where the kernel routes: a bridge port's layer 3 is its bridge. Encapsulating and
  // decapsulating (overlay ↔ NIC) are the node's own traffic (OUTPUT, INPUT), not FORWARD.
  const l3 = (dev: string) => st.links.get(dev)?.master ?? dev;
  // Between the NIC and the pod side with the overlay device not captured, the kernel routes
  // from (or to) that device: the one tunnel of the kind the NIC carried, when there is one.
  // Two candidates (flannel's IPv4 and IPv6 VXLAN devices), or none: that side's device is not known.
  const tunnel = tunnels.length === 1 ? tunnels[0]! : null;
  const side = (h: HopReport) => (podSideWire && encapsulated && h.role === 'nic' ? tunnel : l3(h.interface));
  const [inDev, outDev] = [side(from), side(to)];
  const routed = podSideWire || (POD_SIDE.has(from.role) && POD_SIDE.has(to.role) && inDev !== outDev);
  const v6 = f.client.includes(':');
  if (routed) out.push(forwardingCheck(st, node, v6, inDev));
  const { dst } = addressesOf(f, replies);
  // A reply of a flow masqueraded on another node is addressed here to the SNAT address (the node
  // that translated undoes it before routing).
  const dstKnown = !(replies && f.translations.some((t) => t.kind !== 'DNAT' && !t.at.startsWith(`${from.node}/`)));
  if (routed && !(from.role === 'overlay' && to.role === 'nic')) {
    if (outDev === null) out.push({ node, cause: `the route to ${dst}`, status: 'not checkable', evidence: `which of ${node}'s tunnel devices the flow takes is not known` });
    else if (!dstKnown) out.push({ node, cause: `the route to ${dst} does not lead to ${outDev}`, status: 'not checkable', evidence: 'the flow is masqueraded: its replies here are addressed to the SNAT address' });
    else out.push(...routeChecks(st, node, dst, outDev, to));
  }
  if (routed) {
    const c = rpFilterCheck(f, replies, st, node, inDev);
    if (c) out.push(c);
  }
  // Bridged between two ports of one bridge: iptables sees it only with bridge-nf-call-iptables on, as bridge → bridge.
  const bridged = !routed && POD_SIDE.has(from.role) && POD_SIDE.has(to.role) && (st.sysctl.get(v6 ? 'net.bridge.bridge-nf-call-ip6tables' : 'net.bridge.bridge-nf-call-iptables') ?? '0') !== '0';
  if (routed || bridged) out.push(forwardCheck(f, replies, inDev, outDev, st, node, v6));
  // Packets too big for the device they never got into (the overlay's MTU, or the NIC's once the
  // overlay's headers are added): the sizes lost here against the recorded MTUs.
  const toLink = st.links.get(to.interface);
  if (f.stopLostSize !== null && toLink?.mtu && (to.role === 'overlay' || to.role === 'nic')) {
    const fromLink = st.links.get(from.interface);
    const tunnel = from.role === 'overlay' && fromLink?.kind && isTunnelLink(fromLink.kind) ? fromLink.kind : null;
    const overhead = tunnel ? tunnelLinkOverhead(tunnel) : 0;
    const size = f.stopLostSize + overhead;
    out.push({
      node,
      cause: `${to.interface}'s MTU is too small for them`,
      status: size > toLink.mtu ? 'confirmed' : 'ruled out',
      evidence: `${f.stopLostSize}-byte packets lost here${overhead ? ` (+${overhead} bytes of ${tunnel} headers)` : ''}; ${to.interface} mtu ${toLink.mtu}${fromLink?.mtu ? `, ${from.interface} mtu ${fromLink.mtu}` : ''}`,
      source: 'ip-d-link.txt',
    });
  }
  // Leaving by a VXLAN device: the route, the next hop's MAC and that MAC's VTEP.
  const dev = st.links.get(from.interface);
  if (from.role === 'overlay' && to.role === 'nic' && dev?.kind === 'vxlan') {
    for (const r of vxlanPath(st, dst, from.interface)) out.push({ node, cause: r.cause, status: r.found ? 'ruled out' : 'confirmed', evidence: r.evidence, source: /FDB/.test(r.cause) ? 'bridge-fdb.txt' : 'ip-route.txt' });
  }
  out.push(...dropCounters(st, from, to, node, replies, f.verdict.kind === 'not-observed'));
  return out;
}

/**
 * Packets that left `from`'s NIC for another node as plain IP where the overlay carries their
 * destination: the route the node picks for it against the node's overlay device. No other check
 * applies: nothing was forwarded wrongly on the node, only routed past the tunnel.
 */
function plainRouteChecks(f: FlowReport, replies: boolean, st: NodeState, from: HopReport, to: HopReport): Sourced[] {
  const node = from.host;
  const { dst } = addressesOf(f, replies);
  const dev = overlayOf(f, st, node, dst.includes(':'));
  if (typeof dev !== 'string') return [{ node, cause: `the route to ${dst}`, status: 'not checkable', evidence: dev.why }];
  return routeChecks(st, node, dst, dev, to);
}

/**
 * The overlay device a node routes pod addresses of one family into: the one on the flow's path
 * on that node, else one of the path's overlay devices the node has too (flannel.1 on every
 * node), else its one tunnel device up of that family (an IPv6 twin's name says "v6": flannel's
 * flannel-v6.1, Calico's vxlan-v6.calico).
 */
function overlayOf(f: FlowReport, st: NodeState, node: string, v6: boolean): string | { why: string } {
  if (st.links.size === 0) return { why: 'no `ip -d link` in the bundle' };
  const onPath = f.hops.filter((h) => h.role === 'overlay' && st.links.has(h.interface));
  const mine = onPath.find((h) => h.host === node) ?? onPath[0];
  if (mine) return mine.interface;
  const tunnels = [...st.links.values()].filter((l) => isTunnelLink(l.kind) && l.up && /v6/.test(l.name) === v6).map((l) => l.name);
  if (tunnels.length === 1) return tunnels[0]!;
  return { why: `${node} has ${tunnels.length === 0 ? `no ${v6 ? 'IPv6 ' : ''}tunnel device up` : `tunnel devices ${tunnels.join(', ')}`}: which one the overlay uses is not known` };
}

/** The node's tunnel devices of the kind the flow crossed `nic` in, that were not captured. */
function uncapturedTunnels(f: FlowReport, st: NodeState, nic: HopReport): string[] {
  const e = f.encapsulation.find((x) => x.at === `${nic.node}/${nic.interface}`);
  const kind = e ? tunnelLinkKind(e.kind) : undefined;
  if (!kind) return [];
  return [...st.links.values()].filter((l) => l.kind === kind && !f.hops.some((h) => h.host === nic.host && h.interface === l.name)).map((l) => l.name);
}

/** `3: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 … state UP …` → `cni0: <…> mtu 1450 state UP`. */
function briefLink(line: string): string {
  const m = /^\d+:\s+(\S+?):\s+(<[^>]*>)/.exec(line);
  if (!m) return line.slice(0, 160);
  const mtu = /\bmtu (\d+)/.exec(line)?.[1];
  const state = /\bstate (\S+)/.exec(line)?.[1];
  return `${m[1]}: ${m[2]}${mtu ? ` mtu ${mtu}` : ''}${state ? ` state ${state}` : ''}`;
}

/**
 * IPv4 forwards what arrives on a device whose own `conf.<dev>.forwarding` is on: writing
 * `net.ipv4.ip_forward` sets every device's, and Calico turns its cali* back on after. IPv6 by its
 * global switch.
 */
function forwardingCheck(st: NodeState, node: string, v6: boolean, inDev: string | null): Sourced {
  const cause = 'forwarding is off';
  if (!v6 && inDev === null) return { node, cause, status: 'not checkable', evidence: `which of ${node}'s tunnel devices the packets come in by is not known, and IPv4 forwards by that device's own switch` };
  const show = (keys: string[]) => keys.filter((k) => st.sysctl.has(k)).map((k) => `${k} = ${st.sysctl.get(k)}`).join(', ');
  const deciding = v6 ? 'net.ipv6.conf.all.forwarding' : st.sysctl.has(`net.ipv4.conf.${inDev}.forwarding`) ? `net.ipv4.conf.${inDev}.forwarding` : 'net.ipv4.ip_forward';
  const value = st.sysctl.get(deciding);
  if (value === undefined) return { node, cause, status: 'not checkable', evidence: `${deciding} not in the bundle` };
  const evidence = v6 ? show([deciding]) : show(['net.ipv4.ip_forward', `net.ipv4.conf.${inDev}.forwarding`]);
  return { node, cause, status: value === '0' ? 'confirmed' : 'ruled out', evidence, source: 'sysctl.txt' };
}

function forwardCheck(f: FlowReport, replies: boolean, inDev: string | null, outDev: string | null, st: NodeState, node: string, v6: boolean): Sourced {
  return chainCheck(st, node, v6, `${v6 ? 'ip6tables' : 'iptables'} FORWARD drops it`, (rules) => {
    const p = packetOf(f, replies, rules);
    // A device not known leaves -i/-o rules undecided (the evaluator says so).
    if (inDev !== null) p.in = inDev;
    if (outDev !== null) p.out = outDev;
    return decideForLost(f, p, rules, (q) => evaluate(rules, 'filter', 'FORWARD', q));
  });
}

/**
 * One chain's answer as a check: not checkable without the node's rules, or where rules living
 * elsewhere (iptables-legacy beside iptables-nft, native nftables) can drop the packet too; else
 * what `decide` makes of the rules, with the line that decided.
 */
function chainCheck(st: NodeState, node: string, v6: boolean, cause: string, decide: (rules: Ruleset) => Decision): Sourced {
  const rules = v6 ? st.ip6tables : st.iptables;
  if (!rules) return { node, cause, status: 'not checkable', evidence: `no ${v6 ? 'ip6tables-save' : 'iptables-save'} output in the bundle` };
  const other = st.firewallsElsewhere[v6 ? 'v6' : 'v4'];
  if (other) return { node, cause, status: 'not checkable', evidence: other };
  const d = decide(rules);
  const at = d.line > 0 ? `line ${d.line}: ${d.text}` : d.text;
  const source = v6 ? 'ip6tables-save.txt' : 'iptables-save.txt';
  if (d.verdict === 'unknown') return { node, cause, status: 'not checkable', evidence: `${at} — ${d.why}`, source };
  return { node, cause, status: d.verdict === 'ACCEPT' ? 'ruled out' : 'confirmed', evidence: at, source };
}

/**
 * The route the kernel picks for `dst` against the device the packet was to leave by, and for a
 * destination on the link, its neighbour entry (a pod that never answers ARP or neighbour
 * solicitation leaves it FAILED). Other routing tables (`ip rule`) make both not checkable.
 */
function routeChecks(st: NodeState, node: string, dst: string, outDev: string, to: HopReport): Sourced[] {
  const cause = `the route to ${dst} does not lead to ${outDev}`;
  if (!st.routes) return [{ node, cause, status: 'not checkable', evidence: 'no `ip route` in the bundle' }];
  const policy = policyNote(st);
  if (policy) return [{ node, cause, status: 'not checkable', evidence: policy, source: 'ip-rule.txt' }];
  const r = routeFor(st.routes, dst);
  if (!r) return [{ node, cause, status: 'confirmed', evidence: `no route in the main table covers ${dst}`, source: 'ip-route.txt' }];
  if (r.discards) return [{ node, cause, status: 'confirmed', evidence: `${r.line} (a ${r.discards} route)`, source: 'ip-route.txt' }];
  if (r.devs.length === 0) return [{ node, cause, status: 'not checkable', evidence: `${r.line}: names no device` }];
  // An overlay device that was not captured between the pod side and the NIC: the route leads into it.
  const intoTunnel = to.role === 'nic' && r.devs.some((d) => isTunnelLink(st.links.get(d)?.kind));
  const leads = r.devs.includes(outDev) || intoTunnel;
  const out: Sourced[] = [{ node, cause, status: leads ? 'ruled out' : 'confirmed', evidence: leads ? r.line : `${r.line}: it leaves by ${r.devs.join(' or ')}`, source: 'ip-route.txt' }];
  if (leads && POD_SIDE.has(to.role)) out.push(neighbourCheck(st, node, dst, outDev, r));
  return out;
}

/** Why the main table alone may not decide: other routing tables, or no record of `ip rule`. */
function policyNote(st: NodeState): string | null {
  if (st.policyRules === null) return 'no `ip rule` in the bundle: other routing tables may apply';
  return st.policyRules.length > 0 ? `ip rule: ${st.policyRules.join('; ')}: tables besides main may route it` : null;
}

function neighbourCheck(st: NodeState, node: string, dst: string, dev: string, r: Route): Sourced {
  const hop = r.via ?? dst;
  const cause = `${hop} does not answer ${hop.includes(':') ? 'neighbour solicitation' : 'ARP'} on ${dev}`;
  if (!st.neighbours) return { node, cause, status: 'not checkable', evidence: 'no `ip neigh` in the bundle' };
  const n = neighbourEntry(st.neighbours, hop, dev);
  if (!n) return { node, cause, status: 'not checkable', evidence: `ip neigh has no entry for ${hop} on ${dev} (the kernel forgets failed entries after a while)`, weak: true };
  return { node, cause, status: /\b(FAILED|INCOMPLETE)\b/.test(n) ? 'confirmed' : 'ruled out', evidence: n };
}

/**
 * Reverse-path filtering: the kernel takes the larger of `conf.all.rp_filter` and the in-device's
 * own; strict (1) drops a packet whose source's route leaves by another device, loose (2) one
 * whose source has no route at all. Translated flows are not checked: their source here may not
 * be the one the report names.
 */
function rpFilterCheck(f: FlowReport, replies: boolean, st: NodeState, node: string, inDev: string | null): Sourced | null {
  if (f.client.includes(':')) return null; // IPv6 has no rp_filter sysctl (its rpfilter is an ip6tables match).
  if (inDev === null) return { node, cause: 'rp_filter drops it', status: 'not checkable', evidence: `which of ${node}'s tunnel devices the packets come in by is not known` };
  const cause = `rp_filter drops it on ${inDev}`;
  const keys = ['net.ipv4.conf.all.rp_filter', `net.ipv4.conf.${inDev}.rp_filter`];
  if (!keys.every((k) => st.sysctl.has(k))) return { node, cause, status: 'not checkable', evidence: `${keys.filter((k) => !st.sysctl.has(k)).join(', ')} not in the bundle` };
  const mode = Math.max(...keys.map((k) => Number(st.sysctl.get(k)) || 0));
  const setting = keys.map((k) => `${k} = ${st.sysctl.get(k)}`).join(', ');
  if (mode === 0) return { node, cause, status: 'ruled out', evidence: setting, source: 'sysctl.txt' };
  if (f.translations.length > 0) return { node, cause, status: 'not checkable', evidence: `${setting}; the flow is translated, so its source here is not known` };
  if (!st.routes) return { node, cause, status: 'not checkable', evidence: `${setting}; no \`ip route\` in the bundle` };
  const policy = policyNote(st);
  if (policy) return { node, cause, status: 'not checkable', evidence: `${setting}; ${policy}` };
  const src = replies ? addressesOf(f, false).dst : f.client;
  const back = routeFor(st.routes, src);
  if (back && !back.discards && back.devs.length === 0) return { node, cause, status: 'not checkable', evidence: `${setting}; the route back to ${src}, ${back.line}, names no device` };
  // Strict mode accepts any next hop of a multipath route that leaves by the in-device.
  const fails = back === null || back.discards !== null || (mode === 1 && !back.devs.includes(inDev));
  return {
    node,
    cause,
    status: fails ? 'confirmed' : 'ruled out',
    evidence: `${setting} (${mode === 1 ? 'strict' : 'loose'}); the route back to ${src}: ${back ? back.line : 'none'}`,
    source: 'sysctl.txt',
  };
}

/**
 * The encapsulated packet as the receiving node's INPUT chain sees it: from the peer's underlay
 * address to this node's, to the overlay's UDP port or IP protocol. Its source port (hashed from
 * the inner flow by VXLAN and Geneve) is not known; rules that test it are not decided.
 */
function inputCheck(f: FlowReport, replies: boolean, from: HopReport, st: NodeState, node: string): Sourced | null {
  const e = f.encapsulation.find((x) => x.at === `${from.node}/${from.interface}`);
  if (!e) return null;
  const v6 = e.outerSrc.includes(':');
  const spec = overlay(e.kind);
  return chainCheck(st, node, v6, `${v6 ? 'ip6tables' : 'iptables'} INPUT drops the ${spec.name} packets`, (rules) => {
    // The recorded headers are the requests' where requests crossed this NIC: a reply goes the other way.
    const swap = replies && from.requests > 0;
    const p: PacketTuple = {
      src: swap ? e.outerDst : e.outerSrc,
      dst: swap ? e.outerSrc : e.outerDst,
      proto: e.port !== null ? 'udp' : String(spec.ipProtocols[0] ?? 0),
      ...(e.port !== null ? { dport: e.port } : {}),
      in: from.interface,
      ctstate: 'NEW',
    };
    // Conntrack tracks IP-in-IP and GRE by addresses and flannel's 8285↔8285 both ways: the outer
    // packets may belong to an established "connection" as well as be new.
    return agree(rules, p, (q) => evaluate(rules, 'filter', 'INPUT', q), ['NEW', 'ESTABLISHED']);
  });
}

/**
 * A TCP flow's lost segments differ in their flags (the SYN-ACK, data…): each kind is evaluated
 * with the state conntrack gives it (a SYN is NEW, anything else belongs to a connection), and
 * only a chain that drops every kind explains the loss. Without them a rule on the flags stays
 * undecided. Where the raw table can leave packets untracked, the state is not assumed.
 */
function decideForLost(f: FlowReport, p: PacketTuple, rules: Ruleset, run: (p: PacketTuple) => Decision): Decision {
  const lost = f.stopLostTcpFlags ?? [];
  const kinds: PacketTuple[] =
    f.protocol === 'tcp' && lost.length > 0 ? lost.map((flags) => ({ ...p, tcpFlags: flags, ctstate: (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN ? 'NEW' : 'ESTABLISHED' })) : [p];
  const all = kinds.map((q) => ({ flags: q.tcpFlags, d: agree(rules, q, run) }));
  const drops = all.filter((x) => x.d.verdict === 'DROP' || x.d.verdict === 'REJECT');
  const named = (x: (typeof all)[number]) => (x.flags !== undefined && (all.length > 1 || /--tcp-flags|--syn\b/.test(x.d.text)) ? { ...x.d, text: `${x.d.text} (for the ${tcpFlagNames(x.flags)} segments)` } : x.d);
  if (drops.length === all.length) return named(drops[0]!);
  const unknown = all.find((x) => x.d.verdict === 'unknown');
  if (unknown) return named(unknown);
  if (drops.length > 0) {
    const kept = all.find((x) => x.d.verdict === 'ACCEPT')!;
    return { verdict: 'unknown', line: drops[0]!.d.line, text: named(drops[0]!).text, why: `the ${tcpFlagNames(kept.flags ?? 0)} segments lost here too are accepted: something else drops those`, trace: [] };
  }
  return all[0]!.d;
}

/**
 * The chain's answer for a packet whose connection state is assumed: the same for every state
 * it could be in (untracked too, where the raw table has NOTRACK/CT rules), else undecided.
 */
function agree(rules: Ruleset, p: PacketTuple, run: (p: PacketTuple) => Decision, states: PacketTuple['ctstate'][] = [p.ctstate]): Decision {
  const all = [...new Set([...states, ...(untracks(rules) ? (['UNTRACKED'] as const) : [])])].map((ctstate) => run({ ...p, ctstate }));
  const first = all[0]!;
  if (all.every((d) => d.verdict === first.verdict && d.line === first.line)) return first;
  const differs = all.find((d) => d.verdict !== first.verdict || d.line !== first.line)!;
  return { verdict: 'unknown', line: differs.line, text: differs.text, why: "the packet's conntrack state decides, and it is not known", trace: [] };
}

/** Whether the raw table exempts anything from conntrack: once per rule set, not per flow and state. */
const UNTRACKS = new WeakMap<Ruleset, boolean>();
function untracks(rules: Ruleset): boolean {
  let u = UNTRACKS.get(rules);
  if (u === undefined) UNTRACKS.set(rules, (u = [...(rules.get('raw')?.values() ?? [])].some((chain) => chain.rules.some((r) => /-j (NOTRACK|CT --notrack)\b/.test(r.text)))));
  return u;
}

function tcpFlagNames(flags: number): string {
  const bits = { SYN: TCP_SYN, ACK: TCP_ACK, FIN: TCP_FIN, RST: TCP_RST, PSH: TCP_PSH } as const;
  const names = (Object.keys(bits) as (keyof typeof bits)[]).filter((n) => flags & bits[n]);
  return names.length === 2 && names[0] === 'SYN' && names[1] === 'ACK' ? 'SYN-ACK' : names.join('/') || 'flagless';
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
 * be other traffic's, and none rules the devices out. `unobserved`: `to`'s capture did not cover
 * them, so they are not known to be lost.
 */
function dropCounters(st: NodeState, from: HopReport, to: HopReport, node: string, replies: boolean, unobserved: boolean): Sourced[] {
  const lost = Math.max(0, replies ? from.replies - to.replies : from.requests - to.requests);
  const missing = unobserved ? `${lost} of this flow's not seen past here (the next capture did not cover them)` : `${lost} of this flow's lost here`;
  const out: Sourced[] = [];
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
    out.push({ node, cause: `${i} drops what it ${dir}`, status, evidence: `${i}: ${n} ${dir} packets dropped while the captures ran, ${missing}${n > 0 ? ": they may be this flow's or other traffic's" : ''} (/proc/net/dev)` });
  }
  return out;
}

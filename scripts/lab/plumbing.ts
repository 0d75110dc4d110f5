/**
 * The lab's plumbing, shared by every topology: an underlay switch, machines plugged into it,
 * pod veths, and the routes a node records in its scenario.json.
 */
import type { Lab } from './exec';

const LAN_BRIDGE = 'br0';

/** An underlay switch: a bridge in its own namespace, with one port per machine. */
export function lanSwitch(lab: Lab): void {
  lab.addHost('lan');
  lab.script('lan', [`ip link add ${LAN_BRIDGE} type bridge`, `ip link set ${LAN_BRIDGE} up`]);
}

/** Plug `host`'s `ifname` into the switch, with its addresses (IPv6 ones without DAD delays). */
export function plugIntoLan(lab: Lab, host: string, ifname: string, mac: string, cidrs: string | string[], mtu = 1500): void {
  const port = `p-${host}`.slice(0, 15);
  lab.sh('lan', `ip link add ${port} type veth peer name ${ifname} address ${mac} netns ${lab.ns(host)}`);
  lab.sh('lan', `ip link set ${port} master ${LAN_BRIDGE} mtu ${mtu} up`);
  const all = typeof cidrs === 'string' ? [cidrs] : cidrs;
  lab.script(host, [`ip link set ${ifname} mtu ${mtu} up`, ...all.map((c) => `ip addr add ${c} dev ${ifname}${c.includes(':') ? ' nodad' : ''}`)]);
}

/** A pod's veth: the host end stays on the node, `eth0` goes into the pod's namespace. */
export function podVeth(lab: Lab, p: { node: string; name: string; hostIf: string; hostMac: string; podMac: string }, mtu: number): void {
  lab.sh(p.node, `ip link add ${p.hostIf} address ${p.hostMac} type veth peer name eth0 address ${p.podMac} netns ${lab.ns(p.name)}`);
  lab.sh(p.node, `ip link set ${p.hostIf} mtu ${mtu} up`);
  lab.sh(p.name, `ip link set eth0 mtu ${mtu} up`);
}

/** Lab.addHost turns IPv6 off everywhere; the IPv6 clusters turn it back on (without DAD delays). */
export function enableIpv6(lab: Lab, host: string): void {
  lab.sh(host, 'sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0', { record: false });
}

/** A node's routes as `ip route` prints them: IPv4, policy tables by number and their rules, and IPv6 when asked. */
export function routesOf(lab: Lab, host: string, v6 = false): string[] {
  const show = (cmd: string): string[] =>
    lab
      .sh(host, cmd, { record: false })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  const tables = lab.sh(host, 'ip rule show', { record: false }).match(/lookup (\d+)/g)?.map((m) => m.slice(7)) ?? [];
  return [
    ...show('ip -4 route show'),
    ...[...new Set(tables)].flatMap((t) => show(`ip -4 route show table ${t}`).map((r) => `${r} table ${t}`)),
    ...(v6 ? show('ip -6 route show').filter((r) => !r.startsWith('fe80') && !r.startsWith('multicast')) : []),
    ...show('ip rule show').filter((r) => /lookup \d+/.test(r)).map((r) => `rule ${r}`),
  ];
}

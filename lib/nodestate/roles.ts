/**
 * Interface roles from a node's own `ip -d link` and routes (a capture-kit bundle), instead of
 * guessing from names or traffic: a tunnel device is the overlay, a bridge is the bridge, a veth
 * (enslaved to a bridge or routed, as Calico's) is a pod's, and the device a tunnel sends over,
 * the default route's, or one with a global address that is no bridge, tunnel or dummy is the NIC.
 */
import { isTunnelLink, type InterfaceRole } from '../protocols/devices';
import type { NodeState } from './types';

/** interface → role, for the interfaces the state describes. */
export function rolesFromState(st: NodeState, defaultRouteDevs: readonly string[]): Map<string, InterfaceRole> {
  const out = new Map<string, InterfaceRole>();
  for (const l of st.links.values()) {
    if (isTunnelLink(l.kind)) out.set(l.name, 'overlay');
    else if (l.kind === 'bridge') out.set(l.name, 'bridge');
    else if (l.kind === 'veth') out.set(l.name, 'pod');
    // The underlay a tunnel is bound to: "vxlan id 1 local … dev eth0".
    const under = isTunnelLink(l.kind) ? / dev (\S+)/.exec(l.line.replace(/^[^>]*>/, ''))?.[1] : undefined;
    if (under) out.set(under, 'nic');
  }
  for (const d of defaultRouteDevs) if (!out.has(d) || out.get(d) === 'pod') out.set(d, 'nic');
  // Only where neither named one (no default route, tunnels bound to no device): a device with a global
  // address that is no bridge, tunnel or dummy is the underlay. A pod's host-side veth has none
  // (flannel, Calico, Cilium); a node that is itself a container (kind) has a veth for its NIC.
  if ([...out.values()].includes('nic')) return out;
  for (const [dev, addrs] of st.addresses) {
    const l = st.links.get(dev);
    if (!l || dev === 'lo' || addrs.length === 0 || l.master || isTunnelLink(l.kind) || l.kind === 'bridge' || l.kind === 'dummy') continue;
    if (!out.has(dev) || out.get(dev) === 'pod') out.set(dev, 'nic');
  }
  return out;
}

/** Devices of the default routes in `ip route show table all` / `ip -6 route …` output. */
export function defaultRouteDevices(routes: string): string[] {
  const out: string[] = [];
  for (const line of routes.split('\n')) {
    const m = /^default\b.* dev (\S+)/.exec(line.trim());
    if (m && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

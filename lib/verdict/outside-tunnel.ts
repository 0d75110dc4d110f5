/**
 * Packets that left a node's NIC as themselves where the overlay should have carried them. A
 * node routes a pod address into its overlay device only by the overlay's route for that pod's
 * subnet (flannel's `10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink`, Calico's route for a
 * block); without it the default route takes the packet out the NIC unencapsulated, to the
 * underlay's router, which has no route to pod addresses and drops it. The captures then show
 * the packet leave the node and arrive nowhere, which is no loss on the underlay: the overlay's
 * route is missing, or the address is in no node's pod subnet (flannel's first write-up, DOMAIN.md).
 *
 * Said only where the overlay is proven to carry that address between nodes: the flow's own
 * packets crossed a NIC encapsulated, or other packets to or from the address crossed a NIC of
 * the sending node encapsulated. Where pods are routed natively (flannel host-gw, Calico
 * CrossSubnet between nodes of one subnet) their packets cross the NICs as themselves, and a
 * loss there stays a loss on the underlay.
 */
import type { CapturePoint, Correlation, Flow } from '../correlate/correlate';
import { nicForms } from '../correlate/path';

/** Whether a sighting (a store index) carried its packet encapsulated. */
function encapsulated(c: Correlation, i: number): boolean {
  const st = c.groups.store;
  return c.encapsulationOf(st.point[i]!, st.row[i]!) !== null;
}

/** Per correlation, by "host|address": whether packets from or to the address crossed a NIC of the host encapsulated. */
const carried = new WeakMap<Correlation, Map<string, boolean>>();

/** Whether packets from or to `addr` crossed a NIC of `host` encapsulated (one pass over the sightings, remembered). */
function tunnelCarries(c: Correlation, host: string, addr: string): boolean {
  let memo = carried.get(c);
  if (!memo) carried.set(c, (memo = new Map()));
  const key = `${host}|${addr}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const st = c.groups.store;
  const id = st.addrs.idOf(addr);
  let found = false;
  if (id >= 0) {
    const nics = new Uint8Array(c.points.length);
    for (const p of c.points) if (p.host === host && p.role === 'nic') nics[p.id] = 1;
    for (let i = 0; i < st.n && !found; i++) if (nics[st.point[i]!] === 1 && (st.src[i] === id || st.dst[i] === id) && encapsulated(c, i)) found = true;
  }
  memo.set(key, found);
  return found;
}

/**
 * Whether the packets `lost` after `from`, a NIC, on their way to another node, left it as
 * themselves (not one of them encapsulated) though the overlay carries their destination `dst`.
 */
export function leftOutsideTunnel(c: Correlation, f: Flow, from: CapturePoint, to: CapturePoint, lost: readonly number[], dst: string): boolean {
  if (lost.length === 0 || from.role !== 'nic' || from.host === to.host) return false;
  const G = c.groups;
  for (const g of lost) {
    const i = G.sightingAt(g, from.id);
    if (i < 0 || encapsulated(c, i)) return false;
  }
  return nicForms(f, G, c.points, (i) => encapsulated(c, i), null).encapsulated || tunnelCarries(c, from.host, dst);
}

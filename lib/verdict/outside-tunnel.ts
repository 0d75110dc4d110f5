/**
 * Packets that left a node's NIC as themselves where the overlay should have carried them. A
 * node routes a pod address into its overlay device only by the overlay's route for that pod's
 * subnet (flannel's `10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink`, Calico's route for a
 * block); without it the default route takes the packet out the NIC unencapsulated, to the
 * underlay's router, which has no route to pod addresses and drops it. The captures then show
 * the packet leave the node and arrive nowhere, which is no loss on the underlay: the overlay's
 * route is missing, or the address is in no node's pod subnet (flannel's first write-up, DOMAIN.md).
 *
 * Said only where all of it is proven: every copy of the lost packets at the NIC was plain (a
 * NodePort's request crosses its ingress NIC twice, plain and then encapsulated); they were
 * heading to an address that lives on the next node's pod side (no node's own address, no
 * outside client, which are routed plain); and the overlay carries that address at this node's
 * NIC: other packets from or to it crossed there encapsulated. Where pods are routed natively
 * (flannel host-gw, Calico CrossSubnet between nodes of one subnet) none of theirs is
 * encapsulated, and a loss there stays a loss on the underlay.
 */
import type { CapturePoint, Correlation } from '../correlate/correlate';

/** Whether a sighting (a store index) carried its packet encapsulated. */
function encapsulated(c: Correlation, i: number): boolean {
  const st = c.groups.store;
  return c.encapsulationOf(st.point[i]!, st.row[i]!) !== null;
}

/** Whether every copy at `from` of the packets `lost` after it was plain, none encapsulated (and there are some). */
export function lostPlainAt(c: Correlation, from: CapturePoint, lost: readonly number[]): boolean {
  if (lost.length === 0) return false;
  const G = c.groups;
  const st = G.store;
  for (const g of lost) {
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      if (st.point[i] === from.id && encapsulated(c, i)) return false;
    }
  }
  return true;
}

/**
 * Whether the packets `lost` after `from`, a NIC, on their way to the next node `to`, left it as
 * themselves though the overlay carries their destination `dst`, a pod address of `to`.
 */
export function leftOutsideTunnel(c: Correlation, from: CapturePoint, to: CapturePoint, lost: readonly number[], dst: string): boolean {
  if (from.role !== 'nic' || from.host === to.host || c.podSide(dst) !== to.host) return false;
  return lostPlainAt(c, from, lost) && c.tunnelCarries(from.host, dst);
}

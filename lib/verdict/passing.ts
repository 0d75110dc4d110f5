/**
 * Other traffic to the same destination that took a step while a flow's requests were lost
 * there. Where a ping and HTTP on port 80 cross a node's bridge into a pod and the SYNs to port
 * 8080 never do, neither forwarding, nor a route, nor the pod is the cause: something matching
 * the port (or the client) is. Engineers reason so at once; the captures prove it.
 */
import type { CapturePoint, Correlation, Flow } from '../correlate/correlate';

export interface Passing {
  /** What of the others crossed, distinct, as said: "ping", "TCP 80", "UDP 53". */
  what: string[];
  /** Traffic of this flow's own kind (protocol and port) from other clients crossed too. */
  samePort: boolean;
}

/** "TCP 8080", "UDP 53", "ping". */
export function trafficName(f: Pick<Flow, 'protocol' | 'serverPort'>): string {
  return f.protocol === 'icmp' || f.protocol === 'icmpv6' ? 'ping' : f.serverPort === null ? f.protocol.toUpperCase() : `${f.protocol.toUpperCase()} ${f.serverPort}`;
}

const byEnd = new WeakMap<Flow[], { server: Map<string, Flow[]>; client: Map<string, Flow[]> }>();

/** The correlation's flows by their server (their requests' destination) or by their client (their replies'). */
function flowsBy(c: Correlation, end: 'server' | 'client', addr: string): Flow[] {
  let m = byEnd.get(c.flows);
  if (!m) {
    m = { server: new Map(), client: new Map() };
    for (const g of c.flows) {
      for (const k of ['server', 'client'] as const) {
        const list = m[k].get(g[k]);
        if (list) list.push(g);
        else m[k].set(g[k], [g]);
      }
    }
    byEnd.set(c.flows, m);
  }
  return m[end].get(addr) ?? [];
}

/**
 * The other flows whose packets of the same direction to the same address (the server for
 * requests, the client for replies) crossed both `from` and `to` (some packet seen at both)
 * where none of this flow's did, and were still being sent when the flow began: traffic that
 * got through before a fault came proves nothing of it. Steps of one node only (across the
 * underlay the outer packets are what a filter sees), and only where point masks say where
 * each packet was seen (up to 30 points); else null, as when nothing else crossed.
 */
export function passingAt(f: Flow, c: Correlation, from: CapturePoint, to: CapturePoint, dir: 'requests' | 'replies'): Passing | null {
  if (from.host !== to.host || f.summary.seenMask === -1) return null;
  const both = (1 << from.id) | (1 << to.id);
  const masks = (g: Flow) => (dir === 'requests' ? g.summary.requestMasks : g.summary.replyMasks);
  // Some of its own packets took the step: they are lost at random, or sometimes, not by a rule.
  if (masks(f).some((m) => (m.mask & both) === both)) return null;
  const own = trafficName(f);
  // The other end: another client of the server (requests), another server of the client (replies).
  const other = (g: Flow) => (dir === 'requests' ? g.client !== f.client : g.server !== f.server);
  const what = new Set<string>();
  let samePort = false;
  for (const g of flowsBy(c, dir === 'requests' ? 'server' : 'client', dir === 'requests' ? f.server : f.client)) {
    if (g === f || g.summary.lastNs < f.summary.firstNs) continue;
    if (!masks(g).some((m) => (m.mask & both) === both)) continue;
    const name = trafficName(g);
    // Its own kind of traffic between the same two ends got through meanwhile: no rule stops it every time.
    if (name === own && !other(g)) return null;
    what.add(name);
    if (name === own) samePort = true;
  }
  return what.size > 0 ? { what: [...what].sort(), samePort } : null;
}

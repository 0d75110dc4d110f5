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

const byServer = new WeakMap<Flow[], Map<string, Flow[]>>();

function flowsTo(c: Correlation, server: string): Flow[] {
  let m = byServer.get(c.flows);
  if (!m) {
    m = new Map();
    for (const g of c.flows) m.set(g.server, [...(m.get(g.server) ?? []), g]);
    byServer.set(c.flows, m);
  }
  return m.get(server) ?? [];
}

/**
 * The other flows to the flow's server whose requests crossed both `from` and `to` (some
 * request seen at both) where none of this flow's did, and were still being sent when the flow began: traffic that got
 * through before a fault came proves nothing of it. Steps of one node only (across the
 * underlay the outer packets are what a filter sees), and only where point masks say where
 * each request was seen (up to 30 points); else null, as when nothing else crossed.
 */
export function passingAt(f: Flow, c: Correlation, from: CapturePoint, to: CapturePoint): Passing | null {
  if (from.host !== to.host || f.summary.seenMask === -1) return null;
  const both = (1 << from.id) | (1 << to.id);
  // Some of its own requests took the step: it is lost at random, or sometimes, not by a rule.
  if (f.summary.requestMasks.some((m) => (m.mask & both) === both)) return null;
  const own = trafficName(f);
  const what = new Set<string>();
  let samePort = false;
  for (const g of flowsTo(c, f.server)) {
    if (g === f || g.summary.lastNs < f.summary.firstNs) continue;
    if (!g.summary.requestMasks.some((m) => (m.mask & both) === both)) continue;
    const name = trafficName(g);
    // The same client's own kind of traffic got through meanwhile: no rule stops it every time.
    if (name === own && g.client === f.client) return null;
    what.add(name);
    if (name === own) samePort = true;
  }
  return what.size > 0 ? { what: [...what].sort(), samePort } : null;
}

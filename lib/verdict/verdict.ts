/**
 * Verdicts: per flow and direction, how many packets each capture point saw, where requests or
 * replies stop, and the likely causes with the commands to check them.
 *
 * "Stops after X" means seen at X and never at the next point that was captured and whose
 * capture covers the time; a next point whose capture does not cover the time gives "not
 * observed", never a drop. `-i any` captures are counted but do not decide where packets stop:
 * they see every interface of their node at once. The verdict itself comes from the ordered
 * rule table in rules.ts, over the evidence gathered in evidence.ts.
 */
import type { CapturePoint, Correlation, Encapsulation, Flow, GroupIds, PacketGroups } from '../correlate/correlate';
import { overlay as overlaySpec } from '../protocols/overlays';
import { ns } from '../util/units';
import { pointName } from './causes';
import { cutBeforeInner, gatherEvidence, recordingWhile, type Step } from './evidence';
import { decide } from './rules';
import type { FlowReport, HopReport, Translation, VerdictKind } from './types';

export type * from './types';

const SEVERITY: Record<VerdictKind, number> = {
  'request-dropped': 0,
  'reply-dropped': 1,
  'size-dependent': 2,
  'no-reply': 3,
  'partial-loss': 4,
  rejected: 5,
  'not-observed': 6,
  delivered: 7,
};

export function verdictSeverity(kind: VerdictKind): number {
  return SEVERITY[kind];
}

/**
 * Why a hop that saw nothing of the flow is no evidence either way, as a column of counts says it
 * in their place: its capture was not recording while the flow passed, or its snap length cut the
 * tunnel packets before their inner packet (the first where both hold, as the hop diagram draws
 * it); null for a hop whose counts say what it saw.
 */
export function noEvidenceAt(h: Pick<HopReport, 'notRecording' | 'innerCut'>): 'not recording' | 'inner cut off' | null {
  return h.notRecording ? 'not recording' : h.innerCut ? 'inner cut off' : null;
}

/**
 * Flows, those with a problem, and those whose fate the captures cannot tell (not observed):
 * apart, since a flow the data cannot judge is no broken one. The flow list's title and the
 * Markdown report's first line say these.
 */
export function verdictCounts(flows: readonly { verdict: { kind: VerdictKind } }[]): { total: number; problems: number; unobserved: number } {
  let problems = 0;
  let unobserved = 0;
  for (const f of flows) {
    if (f.verdict.kind === 'not-observed') unobserved++;
    else if (f.verdict.kind !== 'delivered') problems++;
  }
  return { total: flows.length, problems, unobserved };
}

export function analyzeFlows(c: Correlation): FlowReport[] {
  const offsets = c.points.map((p) => c.clocks.get(p.host)?.offsetNs ?? 0);
  const offset = (p: CapturePoint) => offsets[p.id]!;
  const shared = new SharedParts();
  const reports = c.flows.map((f) => report(f, c, offset, shared));
  return reports.sort((a, b) => SEVERITY[a.verdict.kind] - SEVERITY[b.verdict.kind] || a.firstNs - b.firstNs);
}

/** The corrected time of the flow's earliest packets (a packet's first sighting is on its first node's clock). */
function firstTime(f: Flow, G: PacketGroups, offset: (p: CapturePoint) => number, pts: CapturePoint[]): number {
  let first = Infinity;
  const st = G.store;
  for (let n = 0; n < f.groups.length && n < 64; n++) {
    const g = f.groups[n]!;
    for (let k = G.from(g), e = G.to(g); k < e; k++) {
      const i = st.order[k]!;
      const t = st.tNs[i]! + offset(pts[st.point[i]!]!);
      if (t < first) first = t;
    }
  }
  return first;
}

/**
 * The corrected times of the flow's first and last sightings: over the nodes whose clock is
 * known (`known`), and per node (`byHost`), for a point on a node whose clock is not, which can
 * only be compared with its own node's times.
 */
function flowSpans(f: Flow, c: Correlation, offset: (p: CapturePoint) => number): { known: [number, number]; byHost: Map<string, [number, number]> } {
  const G = c.groups;
  const st = G.store;
  const known: [number, number] = [Infinity, -Infinity];
  const byHost = new Map<string, [number, number]>();
  const widen = (s: [number, number], t: number) => {
    if (t < s[0]) s[0] = t;
    if (t > s[1]) s[1] = t;
  };
  for (const list of [f.requests, f.replies]) {
    for (const g of list) {
      for (let k = G.from(g), e = G.to(g); k < e; k++) {
        const i = st.order[k]!;
        const q = c.points[st.point[i]!]!;
        const t = st.tNs[i]! + offset(q);
        let own = byHost.get(q.host);
        if (!own) byHost.set(q.host, (own = [Infinity, -Infinity]));
        widen(own, t);
        if (c.clocks.get(q.host)?.method !== 'unknown') widen(known, t);
      }
    }
  }
  return { known, byHost };
}

/**
 * Marks the hops that saw nothing of a flow that passed them while their capture was not
 * recording (recordingWhile). A flow passed a point when its requests were seen beyond it, or
 * its replies before it, unless the verdict is a refusal: a reset or an unreachable made on the
 * way is a reply that never crossed the points past where it was made. Past where a flow stops
 * nothing says it came by, and the verdict speaks for those points.
 */
function markNotRecording(hops: HopReport[], f: Flow, c: Correlation, offset: (p: CapturePoint) => number, kind: VerdictKind): void {
  let spans: ReturnType<typeof flowSpans> | null = null;
  hops.forEach((h, i) => {
    if (h.requests !== 0 || h.replies !== 0 || h.role === 'any') return;
    const beyond = hops.slice(i + 1).some((x) => x.role !== 'any' && x.requests > 0);
    const before = kind !== 'rejected' && hops.slice(0, i).some((x) => x.role !== 'any' && x.replies > 0);
    if (!beyond && !before) return;
    const p = c.points[h.point]!;
    spans ??= flowSpans(f, c, offset);
    const span = c.clocks.get(p.host)?.method === 'unknown' ? spans.byHost.get(p.host) : spans.known;
    if (span && !recordingWhile(c, p, offset, span[0], span[1])) h.notRecording = true;
  });
}

/** The first of `ids` seen at point p, or -1. */
function firstSeenAt(ids: GroupIds, G: PacketGroups, p: number): number {
  for (let n = 0; n < ids.length; n++) if (G.seenAt(ids[n]!, p)) return ids[n]!;
  return -1;
}

/**
 * Where the addresses a request carries change along the path: DNAT, SNAT, both. Sightings are
 * compared by their address ids and ports (an id is one address's text), and text is made only
 * for a change: most flows have none, and their text was a tenth of the verdicts' allocations.
 */
function translationsOf(f: Flow, G: PacketGroups, pts: CapturePoint[]): Translation[] {
  const out: Translation[] = [];
  const st = G.store;
  const isIcmp = f.proto === 1 || f.proto === 58;
  const end = (addr: number, port: number) => {
    const a = st.addrs.text[addr]!;
    return isIcmp ? a : `${a.includes(':') ? `[${a}]` : a}:${port}`;
  };
  const tuple = (i: number) => `${end(st.src[i]!, st.sport[i]!)} → ${end(st.dst[i]!, st.dport[i]!)}`;
  let prev = -1;
  for (const p of f.path) {
    if (pts[p]!.role === 'any') continue; // an any capture mixes the interfaces of its node
    const g = firstSeenAt(f.requests, G, p);
    const i = g < 0 ? -1 : G.sightingAt(g, p);
    if (i < 0) continue;
    if (prev >= 0) {
      const sn = st.src[prev] !== st.src[i] || (!isIcmp && st.sport[prev] !== st.sport[i]);
      const dn = st.dst[prev] !== st.dst[i] || (!isIcmp && st.dport[prev] !== st.dport[i]);
      if (sn || dn) out.push({ at: pointName(pts[p]!), kind: dn && sn ? 'DNAT+SNAT' : dn ? 'DNAT' : 'SNAT', from: tuple(prev), to: tuple(i) });
    }
    prev = i;
  }
  return out;
}

/**
 * Parts of a report that many flows have alike, made once and shared between their reports
 * (nothing changes a report once made): thousands of flows cross the same points with the same
 * encapsulation. Each flow's own copies were 3.2 MB of the bench incident's 24 MB of reports,
 * all of it copied again by the garbage collector as it survived.
 */
class SharedParts {
  /** By point, then by the index's encapsulation object: the report's entry for it. */
  readonly encapsulations = new Map<number, Map<Encapsulation, FlowReport['encapsulation'][number]>>();
  /** By the flow's path and the points that are its own pods' interfaces. */
  readonly offPaths = new Map<string, FlowReport['offPath']>();
}

/** The encapsulation the flow's packets carried on each NIC (one packet each is enough). */
export function encapsulationsOf(f: Flow, c: Correlation, shared = new SharedParts()): FlowReport['encapsulation'] {
  const out: FlowReport['encapsulation'] = [];
  for (const p of f.path) {
    if (c.points[p]!.role !== 'nic') continue;
    const G = c.groups;
    const req = firstSeenAt(f.requests, G, p);
    const g = req >= 0 ? req : firstSeenAt(f.replies, G, p);
    const i = g < 0 ? -1 : G.sightingAt(g, p);
    const e = i >= 0 ? c.encapsulationOf(p, G.store.row[i]!) : null;
    if (!e) continue;
    let atPoint = shared.encapsulations.get(p);
    if (!atPoint) shared.encapsulations.set(p, (atPoint = new Map()));
    let entry = atPoint.get(e);
    if (!entry) atPoint.set(e, (entry = { at: pointName(c.points[p]!), text: encapsulationLabel(e), ...e }));
    out.push(entry);
  }
  return out;
}

function report(f: Flow, c: Correlation, offset: (p: CapturePoint) => number, shared: SharedParts): FlowReport {
  const pts = c.points;
  const ev = gatherEvidence(f, c, offset);
  // The stations' counts; -i any points are not stations: counted directly.
  const count = (p: number, groups: GroupIds) => groups.reduce((k, g) => k + (c.groups.seenAt(g, p) ? 1 : 0), 0);
  const at = (p: number, stations: number[], counts: number[], groups: GroupIds) => {
    const k = stations.indexOf(p);
    return k >= 0 ? counts[k]! : count(p, groups);
  };
  const hops: HopReport[] = f.path.map((p) => ({
    node: pts[p]!.node,
    host: pts[p]!.host,
    interface: pts[p]!.interface,
    role: pts[p]!.role,
    point: p,
    file: pts[p]!.file,
    requests: at(p, ev.stations, ev.reqAt, f.requests),
    replies: at(p, ev.repStations, ev.repAt, f.replies),
  }));
  const { stations, repStations, reqLast, repLast } = ev;
  const verdict = decide(ev);
  markNotRecording(hops, f, c, offset, verdict.kind);
  for (const h of hops) if (h.role !== 'any' && cutBeforeInner(f, c, h.point)) h.innerCut = true;
  const stop = stopStep(ev, verdict.kind, reqLast, repLast, stations.length, repStations.length);
  return {
    encapsulation: encapsulationsOf(f, c, shared),
    id: f.id,
    protocol: f.protocol,
    client: f.client,
    clientPort: f.clientPort,
    server: f.server,
    serverPort: f.serverPort,
    icmpId: f.icmpId,
    translations: translationsOf(f, c.groups, pts),
    hops,
    notCaptured: ev.notCaptured,
    offPath: offPathOf(f, c, shared.offPaths),
    checks: [],
    stopLostSize: stop ? stop.lostSize || null : null,
    stopLostTcpFlags: stop && f.protocol === 'tcp' ? [...new Set(stop.lost.map((g) => ev.groups.tcpFlags[g]!))].sort((a, b) => a - b) : [],
    ...(stop?.leftPlain ? { stopLeftPlain: true as const } : {}),
    // Sent = the most any station saw (the first station may not be the client's own veth).
    requests: { sent: ev.n, delivered: ev.reqAt[ev.reqAt.length - 1] ?? 0 },
    replies: { sent: ev.nReplies, delivered: ev.repAt[ev.repAt.length - 1] ?? 0 },
    // Delivered with its requests or replies last seen before a capture that was not running
    // (the answer came back, or the captures did not cover the rest): no stop, in either direction.
    requestsStopAfter: verdict.kind !== 'delivered' && reqLast >= 0 && reqLast < stations.length - 1 ? pointName(pts[stations[reqLast]!]!) : null,
    repliesStopAfter: verdict.repliesStopAfter ?? (verdict.kind !== 'delivered' && repLast >= 0 && repLast < repStations.length - 1 ? pointName(pts[repStations[repLast]!]!) : null),
    icmpErrors: ev.icmpErrors,
    firstNs: ns(firstTime(f, c.groups, offset, pts)),
    verdict: {
      kind: verdict.kind,
      summary: verdict.summary,
      transition: verdict.transition,
      causes: verdict.causes,
      rule: { name: verdict.rule.name, description: verdict.rule.description, evidence: verdict.evidence },
    },
  };
}

/**
 * The capture points this flow could not cross, each with the reason: another pod's interface,
 * a node the flow never goes to, or a device of its node it has no reason to cross (the NIC of
 * a flow between two pods of one node). Points on the path that saw nothing are evidence and
 * are not here.
 */
export function offPathOf(f: Flow, c: Correlation, memo?: Map<string, FlowReport['offPath']>): FlowReport['offPath'] {
  const points = c.points;
  // The flow's own pods' interfaces: with the path, what decides the answer.
  const own = points.filter((p) => p.podIps.length > 0 && (p.podIps.includes(f.client) || p.podIps.includes(f.server)));
  // Whether the path is known to its end: the server is a captured pod's own address, or it
  // answered (a reply came back; not a RST refusing the SYN, which any node on the way, or a
  // REJECT rule, sends as well). A flow to another address that got no answer (a NodePort's
  // request its node never forwarded: where the DNAT would have sent it is not captured) is said
  // only to have reached no other point, not to avoid them: that its requests were seen as far as
  // its path's last point proves nothing there, the last point being where they were last seen.
  const pathKnown = own.some((p) => p.podIps.includes(f.server)) || f.replies.some((g) => !c.groups.refusesSyn(g));
  let key = '';
  if (memo) {
    key = `${pathKnown ? 1 : 0}:` + f.path.join(',') + own.map((p) => `|${p.id}`).join('');
    const known = memo.get(key);
    if (known) return known;
  }
  const on = new Set([...f.path, ...own.map((p) => p.id)]);
  const hosts = new Set(f.path.map((p) => points[p]!.host));
  const tunnels = (p: CapturePoint) => c.undecoded.filter((u) => u.seenAt[`${p.node}/${p.interface}`] !== undefined).map((u) => u.tunnel).filter((t, i, all) => all.indexOf(t) === i);
  const out: FlowReport['offPath'] = [];
  for (const p of points) {
    // On the path, or one of the flow's own pods: never "not on its path", whatever left it off.
    if (on.has(p.id)) continue;
    const encrypted = p.role === 'nic' && hosts.has(p.host) ? tunnels(p) : [];
    const why =
      p.role === 'pod' && p.podIps.length > 0
        ? `another pod's interface (${p.podIps.join(', ')})`
        : encrypted.length > 0
          ? `the flow crosses it inside ${encrypted.join(', ')}, never as itself`
          : !pathKnown
            ? hosts.has(p.host)
              ? 'no packet of the flow crossed it'
              : `no packet of the flow reached ${p.host}`
            : hosts.has(p.host)
              ? `the flow does not cross it on ${p.host}`
              : `the flow does not go through ${p.host}`;
    out.push({ node: p.node, interface: p.interface, why });
  }
  memo?.set(key, out);
  return out;
}

/** The step where requests (else replies) stop: what was lost there, its size and its TCP flags. */
function stopStep(ev: ReturnType<typeof gatherEvidence>, kind: string, reqLast: number, repLast: number, nReq: number, nRep: number): Step | null {
  if (kind === 'delivered') return null;
  if (reqLast >= 0 && reqLast < nReq - 1) return ev.step('requests', reqLast);
  if (repLast >= 0 && repLast < nRep - 1) return ev.step('replies', repLast);
  return null;
}

/** "VXLAN VNI 1, UDP 8472", "flannel UDP 8285", "IP-in-IP (proto 4)", "Geneve VNI 100, UDP 6081". */
export function encapsulationLabel(e: Encapsulation): string {
  return overlaySpec(e.kind).label(e.vni, e.port === null ? null : String(e.port));
}

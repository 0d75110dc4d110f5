/**
 * Verdicts: per flow and direction, how many packets each capture point saw, where requests or
 * replies stop, and the likely causes with the commands to check them.
 *
 * "Stops after X" means seen at X and never at the next point that was captured and whose
 * capture covers the time; a next point whose capture does not cover the time gives "not
 * observed", never a drop. `-i any` captures are counted but do not decide where packets stop:
 * they see every interface of their node at once.
 */
import type { Cause } from './causes';
import { describeStep, pointName } from './causes';
import { overlayDevice } from '../protocols/devices';
import { overlay as overlaySpec } from '../protocols/overlays';
import type { CapturePoint, Correlation, Encapsulation, Flow, PacketGroup, Protocol } from '../correlate/correlate';
import type { InterfaceRole } from '../protocols/devices';

export type VerdictKind =
  | 'delivered'
  | 'request-dropped'
  | 'reply-dropped'
  | 'no-reply'
  | 'partial-loss'
  | 'size-dependent'
  | 'rejected'
  | 'not-observed';

export interface Verdict {
  kind: VerdictKind;
  summary: string;
  /** The step the packets failed to take, in words. */
  transition: string | null;
  causes: Cause[];
}

export interface HopReport {
  node: string;
  interface: string;
  /** pod | bridge | overlay | nic | any | other: what the interface is on the path. */
  role: InterfaceRole;
  /** Index into Correlation.points. */
  point: number;
  file: string;
  requests: number;
  replies: number;
}

export interface Translation {
  /** Where the new addresses are first seen. */
  at: string;
  kind: 'DNAT' | 'SNAT' | 'DNAT+SNAT';
  from: string;
  to: string;
}

export interface IcmpErrorReport {
  at: string;
  from: string;
  type: number;
  code: number;
  meaning: string;
  mtu: number | null;
  count: number;
}

export interface FlowReport {
  /** Index into Correlation.flows, to fetch the flow's packets. */
  id: number;
  protocol: Protocol;
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  icmpId: number | null;
  translations: Translation[];
  hops: HopReport[];
  /** Points on the path that were not captured (inferred from the other nodes' captures). */
  notCaptured: { node: string; interface: string; role: InterfaceRole }[];
  requests: { sent: number; delivered: number };
  replies: { sent: number; delivered: number };
  requestsStopAfter: string | null;
  repliesStopAfter: string | null;
  icmpErrors: IcmpErrorReport[];
  /** What the overlay headers said where the flow crossed a NIC encapsulated (VNI, port, VTEPs). */
  encapsulation: ({ at: string; text: string } & Encapsulation)[];
  /** Corrected time of the flow's first packet, ns since the incident epoch. */
  firstNs: number;
  verdict: Verdict;
}

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

function icmpMeaning(type: number, code: number, v6: boolean): string {
  if (v6) {
    if (type === 1) return code === 4 ? 'port unreachable' : code === 1 ? 'administratively prohibited' : 'destination unreachable';
    if (type === 2) return 'packet too big';
    if (type === 3) return 'hop limit exceeded';
    return `ICMPv6 type ${type} code ${code}`;
  }
  if (type === 3) {
    const codes: Record<number, string> = {
      0: 'network unreachable',
      1: 'host unreachable',
      3: 'port unreachable',
      4: 'fragmentation needed (DF set)',
      9: 'network administratively prohibited',
      10: 'host administratively prohibited',
      13: 'communication administratively prohibited',
    };
    return codes[code] ?? `destination unreachable (code ${code})`;
  }
  if (type === 11) return 'TTL exceeded';
  return `ICMP type ${type} code ${code}`;
}

export function analyzeFlows(c: Correlation): FlowReport[] {
  const offset = (p: CapturePoint) => c.clocks.get(p.node)?.offsetNs ?? 0;
  const reports = c.flows.map((f) => report(f, c, offset));
  return reports.sort((a, b) => SEVERITY[a.verdict.kind] - SEVERITY[b.verdict.kind] || a.firstNs - b.firstNs);
}

function seenAt(g: PacketGroup, point: number): boolean {
  return g.seenAt(point);
}

function report(f: Flow, c: Correlation, offset: (p: CapturePoint) => number): FlowReport {
  const pts = c.points;
  const path = f.path;
  // Packets of each direction seen at each point: one pass over the sightings.
  const tally = (groups: PacketGroup[]) => {
    const counts = new Uint32Array(pts.length);
    const last = new Int32Array(pts.length).fill(-1);
    groups.forEach((g, gi) => {
      if (g.pointMask !== -1) {
        for (let m = g.pointMask, p = 0; m !== 0; m >>>= 1, p++) if (m & 1) counts[p]!++;
        return;
      }
      const st = g.store;
      for (let k = g.from, e = g.to; k < e; k++) {
        const pnt = st.point[st.order[k]!]!;
        if (last[pnt] === gi) continue;
        last[pnt] = gi;
        counts[pnt]!++;
      }
    });
    return counts;
  };
  const reqCounts = tally(f.requests);
  const repCounts = tally(f.replies);
  const count = (groups: PacketGroup[], p: number) => (groups === f.requests ? reqCounts : repCounts)[p]!;
  const hops: HopReport[] = path.map((p) => ({
    node: pts[p]!.node,
    interface: pts[p]!.interface,
    role: pts[p]!.role,
    point: p,
    file: pts[p]!.file,
    requests: count(f.requests, p),
    replies: count(f.replies, p),
  }));
  // Stations decide where packets stop: every captured point but `-i any`.
  const stations = path.filter((p) => pts[p]!.role !== 'any');
  const reqAt = stations.map((p) => count(f.requests, p));
  const repStations = [...stations].reverse();
  const repAt = repStations.map((p) => count(f.replies, p));
  const last = (xs: number[]) => xs.reduce((k, n, i) => (n > 0 ? i : k), -1);
  const reqLast = last(reqAt);
  const repLast = last(repAt);
  const requestsStopAfter = reqLast >= 0 && reqLast < stations.length - 1 ? pointName(pts[stations[reqLast]!]!) : null;
  const repliesStopAfter = repLast >= 0 && repLast < repStations.length - 1 ? pointName(pts[repStations[repLast]!]!) : null;

  let firstNs = Infinity;
  // The earliest packets, corrected: a packet's first sighting is on its first node's clock.
  const pointOffset = pts.map((p) => offset(p));
  for (const g of f.groups.slice(0, 64)) {
    const st = g.store;
    for (let k = g.from, e = g.to; k < e; k++) {
      const i = st.order[k]!;
      const t = st.tNs[i]! + pointOffset[st.point[i]!]!;
      if (t < firstNs) firstNs = t;
    }
  }

  // Translations along the request path: where the addresses a request carries change.
  const translations: Translation[] = [];
  let prev: { src: string; dst: string; at: string } | null = null;
  const fmt = (a: string, port: number | null) => (port === null ? a : `${a.includes(':') ? `[${a}]` : a}:${port}`);
  const isIcmp = f.proto === 1 || f.proto === 58;
  for (const p of path) {
    if (pts[p]!.role === 'any') continue; // an any capture mixes the interfaces of its node
    const g = f.requests.find((x) => seenAt(x, p));
    const s = g?.sightings.find((x) => x.point === p);
    if (!s) continue;
    const cur = { src: fmt(s.src, isIcmp ? null : s.sport), dst: fmt(s.dst, isIcmp ? null : s.dport), at: pointName(pts[p]!) };
    if (prev && (prev.src !== cur.src || prev.dst !== cur.dst)) {
      const dn = prev.dst !== cur.dst;
      const sn = prev.src !== cur.src;
      translations.push({
        at: cur.at,
        kind: dn && sn ? 'DNAT+SNAT' : dn ? 'DNAT' : 'SNAT',
        from: `${prev.src} → ${prev.dst}`,
        to: `${cur.src} → ${cur.dst}`,
      });
    }
    prev = cur;
  }

  // ICMP errors attached to the flow, folded by sender and kind.
  const errs = new Map<string, IcmpErrorReport>();
  for (const e of f.icmpErrors) {
    const k = `${e.from}|${e.type}|${e.code}`;
    const r = errs.get(k);
    if (r) r.count++;
    else {
      errs.set(k, {
        at: pointName(pts[e.point]!),
        from: e.from,
        type: e.type,
        code: e.code,
        meaning: icmpMeaning(e.type, e.code, f.proto === 58),
        mtu: e.mtu,
        count: 1,
      });
    }
  }
  const icmpErrors = [...errs.values()];

  // Which kinds of point did this flow cross on one node that another of its nodes lacks?
  const notCaptured = inferUncaptured(path, pts, f);

  // The encapsulation the flow's packets carried on each NIC (one packet each is enough).
  const encapsulation: FlowReport['encapsulation'] = [];
  for (const p of path) {
    if (pts[p]!.role !== 'nic') continue;
    const g = f.requests.find((x) => seenAt(x, p)) ?? f.replies.find((x) => seenAt(x, p));
    const sgt = g?.sightings.find((x) => x.point === p);
    const e = sgt ? c.encapsulationOf(p, sgt.row) : null;
    if (e) encapsulation.push({ at: pointName(pts[p]!), text: encapsulationLabel(e), ...e });
  }

  const base = {
    encapsulation,
    id: f.id,
    protocol: f.protocol,
    client: f.client,
    clientPort: f.clientPort,
    server: f.server,
    serverPort: f.serverPort,
    icmpId: f.icmpId,
    translations,
    hops,
    notCaptured,
    requests: { sent: reqAt[0] ?? 0, delivered: reqAt[reqAt.length - 1] ?? 0 },
    replies: { sent: repAt[0] ?? 0, delivered: repAt[repAt.length - 1] ?? 0 },
    requestsStopAfter,
    repliesStopAfter,
    icmpErrors,
    firstNs,
  };
  // Sent = the most any station saw (the first station may not be the client's own veth).
  base.requests.sent = Math.max(0, ...reqAt);
  base.replies.sent = Math.max(0, ...repAt);

  const verdict = decide(f, c, stations, reqAt, repStations, repAt, reqLast, repLast, icmpErrors, offset, notCaptured);
  return { ...base, verdict };
}

/** "VXLAN VNI 1, UDP 8472", "flannel UDP 8285", "IP-in-IP", "Geneve VNI 100, UDP 6081". */
export function encapsulationLabel(e: Encapsulation): string {
  return overlaySpec(e.kind).label(e.vni, e.port === null ? null : String(e.port));
}

function inferUncaptured(path: number[], pts: CapturePoint[], f: Flow): { node: string; interface: string; role: InterfaceRole }[] {
  const nodes = [...new Set(path.map((p) => pts[p]!.node))];
  // Roles the flow was seen crossing (not pod veths: pods differ per node; not any).
  const crossed = path
    .map((p) => pts[p]!)
    .filter((p) => (p.role === 'bridge' || p.role === 'overlay' || p.role === 'nic') && f.groups.some((g) => seenAt(g, p.id)));
  const out: { node: string; interface: string; role: InterfaceRole }[] = [];
  for (const node of nodes) {
    const mine = new Set(pts.filter((p) => p.node === node).map((p) => p.role));
    // A node with no bridge or overlay capture of its own is an outside host: nothing to infer.
    if (!mine.has('bridge') && !mine.has('overlay') && !mine.has('pod')) continue;
    for (const other of crossed) {
      if (other.node === node || mine.has(other.role)) continue;
      if (!out.some((o) => o.node === node && o.interface === other.interface)) out.push({ node, interface: other.interface, role: other.role });
    }
  }
  return out;
}

function decide(
  f: Flow,
  c: Correlation,
  stations: number[],
  reqAt: number[],
  repStations: number[],
  repAt: number[],
  reqLast: number,
  repLast: number,
  icmpErrors: IcmpErrorReport[],
  offset: (p: CapturePoint) => number,
  notCaptured: { node: string; interface: string; role: InterfaceRole }[],
): Verdict {
  const pts = c.points;
  const n = Math.max(0, ...reqAt);
  const nReplies = Math.max(0, ...repAt);
  const what = f.protocol === 'icmp' || f.protocol === 'icmpv6' ? 'echo requests' : f.protocol === 'tcp' ? 'TCP segments' : 'UDP datagrams';
  const replyWhat = f.protocol === 'icmp' || f.protocol === 'icmpv6' ? 'echo replies' : 'replies';
  const plural = (k: number, noun: string) => `${k} ${k === 1 ? noun.replace(/s$/, '').replace(/ie$/, 'y') : noun}`;
  // ICMPv6 errors for IPv6 flows, ICMP errors for IPv4 flows, whatever the flow's protocol.
  const v6 = f.client.includes(':');
  const fragNeeded = icmpErrors.find((e) => (v6 ? e.type === 2 : e.type === 3 && e.code === 4));
  const portUnreach = icmpErrors.find((e) => (v6 ? e.type === 1 && e.code === 4 : e.type === 3 && e.code === 3));
  const adminProhibited = icmpErrors.find((e) => e.type === 3 && (e.code === 9 || e.code === 10 || e.code === 13));
  const overlayIn = (a: CapturePoint, b: CapturePoint) =>
    a.role === 'overlay' ? overlayDevice(a.interface) : b.role === 'overlay' ? overlayDevice(b.interface) : overlayOnPath(stations, pts);
  const underlayUnreach = f.icmpErrors.find((e) => e.quotedUnderlay && e.type === 3 && e.code === 3);

  const step = (groups: PacketGroup[], order: number[], k: number, dirWord: string) => {
    const from = pts[order[k]!]!;
    const to = pts[order[k + 1]!]!;
    const lost = groups.filter((g) => g.sightings.some((s) => s.point === from.id) && !g.sightings.some((s) => s.point === to.id));
    const lostSize = lost.reduce((m, g) => Math.max(m, g.ipLen), 0);
    const dstAt = lost[0]?.sightings.find((s) => s.point === from.id)?.dst ?? f.server;
    // Did `to`'s capture run while the lost packets passed `from`?
    const times = lost.flatMap((g) => g.sightings.filter((s) => s.point === from.id).map((s) => s.tNs + offset(from)));
    const toFirst = to.firstNs + offset(to);
    const toLast = to.lastNs + offset(to);
    const margin = 1e9;
    // An empty capture ran and saw nothing: that is evidence, not a gap (a pcap header has no
    // time range to doubt). A capture with packets must span the lost packets' time.
    const covered = to.packets === 0 || Number.isNaN(toFirst) || times.some((t) => t >= toFirst - margin && t <= toLast + margin);
    const coverKnown = c.clocks.get(to.node)?.method !== 'unknown' || to.node === from.node;
    const between = notCaptured.filter((u) => u.node === to.node || u.node === from.node);
    const d = describeStep({
      from,
      to,
      dst: dstAt,
      lostSize,
      overlay: overlayIn(from, to),
      overlayPortUnreachableFrom: underlayUnreach?.from ?? null,
    });
    return { from, to, lost, lostSize, covered: covered || !coverKnown, d, between, dirWord };
  };

  const uncapturedNote = (s: ReturnType<typeof step>) => {
    const gap = s.between.filter((u) => u.node === s.to.node && s.from.node === s.to.node);
    return gap.length > 0 ? ` (${gap.map((u) => `${u.node}/${u.interface}`).join(', ')} not captured: the step is somewhere in between)` : '';
  };

  // 1. Requests stop before the last station.
  if (reqLast >= 0 && reqLast < stations.length - 1) {
    const s = step(f.requests, stations, reqLast, 'requests');
    if (!s.covered) {
      return {
        kind: 'not-observed',
        summary: `${plural(n, what)} seen up to ${pointName(s.from)}; ${pointName(s.to)}'s capture does not cover that time, so whether they went on is not observed`,
        transition: null,
        causes: [{ text: `capture ${pointName(s.to)} again while reproducing, for the whole time`, check: `tcpdump -i ${s.to.interface} -w ${s.to.node}-${s.to.interface}.pcap` }],
      };
    }
    const ov = overlayIn(s.from, s.to);
    if (fragNeeded || (ov && s.lostSize > ov.mtu)) {
      const causes: Cause[] = [];
      if (fragNeeded) {
        causes.push({
          text: `${fragNeeded.from} answered "fragmentation needed" with next-hop MTU ${fragNeeded.mtu ?? '?'}: ${s.lostSize}-byte packets with DF set do not fit${ov ? ` ${ov.device}'s MTU ${ov.mtu} (1500 − ${ov.overhead})` : ''}`,
          check: `ip link show ${ov?.device ?? s.from.interface} | grep mtu  # pods must use an MTU ≤ ${ov?.mtu ?? fragNeeded.mtu}; check the CNI's MTU setting`,
        });
      }
      causes.push(...s.d.causes.filter((x) => !fragNeeded || !x.text.startsWith('the packets (')));
      return {
        kind: 'size-dependent',
        summary: `${s.lost.length} of ${n} ${what} (${s.lostSize} bytes) stop after ${pointName(s.from)}: larger than the path MTU${fragNeeded ? `; ${fragNeeded.from} sent frag-needed (MTU ${fragNeeded.mtu ?? '?'})` : ', and no frag-needed came back (black hole)'}`,
        transition: s.d.transition,
        causes,
      };
    }
    const partial = reqAt[reqLast + 1] !== undefined && s.lost.length < n && reqAt.slice(reqLast + 1).some((x) => x > 0);
    void partial;
    return {
      kind: 'request-dropped',
      summary: `${what} reach ${pointName(s.from)}, never ${pointName(s.to)}${uncapturedNote(s)}: ${s.d.transition}`,
      transition: s.d.transition,
      causes: s.d.causes,
    };
  }

  // Loss part way: some packets pass a step, some do not. Larger lost than passed: the MTU.
  const partialLoss = (groups: PacketGroup[], order: number[], at: number[], noun: string, dirWord: string): Verdict | null => {
    for (let k = 0; k + 1 < order.length; k++) {
      if (!(at[k + 1]! < at[k]! && at[k + 1]! > 0)) continue;
      const s = step(groups, order, k, dirWord);
      if (s.lost.length === 0) continue;
      const delivered = groups.filter((g) => g.sightings.some((x) => x.point === s.to.id));
      const maxDelivered = delivered.reduce((m, g) => Math.max(m, g.ipLen), 0);
      const minLost = s.lost.reduce((m, g) => Math.min(m, g.ipLen), Infinity);
      if (fragNeeded && fragNeeded.mtu !== null && minLost > fragNeeded.mtu) {
        return {
          kind: 'size-dependent',
          summary: `${plural(s.lost.length, noun)} of ${minLost === s.lostSize ? minLost : `${minLost}–${s.lostSize}`} bytes ${s.lost.length === 1 ? "stops" : "stop"} after ${pointName(s.from)}; ${fragNeeded.from} answered frag-needed (MTU ${fragNeeded.mtu}) and the rest got through: path MTU discovery works, at the cost of retransmissions`,
          transition: s.d.transition,
          causes: [
            {
              text: `the pods' MTU is larger than ${overlayIn(s.from, s.to)?.device ?? 'the overlay'}'s ${fragNeeded.mtu}: every new connection pays a frag-needed round trip, and any path that filters ICMP becomes a black hole`,
              check: `ip link show ${overlayIn(s.from, s.to)?.device ?? 'flannel.1'} | grep mtu; nsenter -t <pod pid> -n ip link show eth0 | grep mtu  # pod MTU must be ≤ ${fragNeeded.mtu}`,
            },
          ],
        };
      }
      if (minLost > maxDelivered) {
        const ov = overlayIn(s.from, s.to);
        return {
          kind: 'size-dependent',
          summary: `large ${noun} (${minLost === s.lostSize ? `${minLost}` : `${minLost}–${s.lostSize}`} bytes) stop after ${pointName(s.from)} while small ones (≤ ${maxDelivered} bytes) pass${fragNeeded ? `; ${fragNeeded.from} sent frag-needed (MTU ${fragNeeded.mtu ?? '?'})` : '; no frag-needed came back (MTU black hole)'}${ov ? `: ${ov.device} carries at most ${ov.mtu} bytes` : ''}`,
          transition: s.d.transition,
          causes: s.d.causes,
        };
      }
      return {
        kind: 'partial-loss',
        summary: `${at[k + 1]} of ${at[k]} ${noun} pass from ${pointName(s.from)} to ${pointName(s.to)}`,
        transition: s.d.transition,
        causes: s.d.causes,
      };
    }
    return null;
  };

  // 2. Requests delivered to the last station, maybe with loss in between.
  const reqPartial = partialLoss(f.requests, stations, reqAt, what, 'requests');
  if (reqPartial) return reqPartial;

  // 3. Rejections.
  const rst = f.replies.find((g) => (g.tcpFlags & 0x04) !== 0);
  if (f.protocol === 'tcp' && rst) {
    const s = rst.sightings[rst.sightings.length - 1]!;
    return {
      kind: 'rejected',
      summary: `the connection is refused: ${s.src}:${s.sport} answers the SYN with a RST`,
      transition: null,
      causes: [
        { text: `nothing listens on port ${f.serverPort ?? '?'} at ${f.server} (the application listens on another port, or is down)`, check: `ss -ltnp  # in the pod; kubectl get pod -o wide; compare containerPort/targetPort` },
        { text: 'a REJECT --reject-with tcp-reset rule answers for it', check: 'iptables -S | grep -i reject' },
      ],
    };
  }
  if (portUnreach && !portUnreach.from.startsWith('0.') && !(f.icmpErrors.find((e) => e.quotedUnderlay))) {
    return {
      kind: 'rejected',
      summary: `${portUnreach.from} answers ICMP port unreachable: nothing listens on ${f.protocol}/${f.serverPort ?? '?'}`,
      transition: null,
      causes: [{ text: `nothing listens on ${f.protocol}/${f.serverPort ?? '?'} at ${f.server}`, check: 'ss -lunp  # in the pod' }],
    };
  }
  if (adminProhibited) {
    return {
      kind: 'rejected',
      summary: `${adminProhibited.from} rejects it: ICMP ${adminProhibited.meaning}`,
      transition: null,
      causes: [{ text: `a REJECT rule on ${adminProhibited.from}`, check: 'iptables -S | grep -i reject' }],
    };
  }

  // 4. Replies.
  const lastStation = pts[stations[stations.length - 1]!]!;
  if (f.replies.length === 0) {
    if (n === 0) {
      return { kind: 'not-observed', summary: 'no request of this flow was captured', transition: null, causes: [] };
    }
    const podReached = lastStation.role === 'pod';
    return {
      kind: 'no-reply',
      summary: `${plural(n, what)} reach ${pointName(lastStation)}${podReached ? '' : ' (the last capture point; the pod\'s veth was not captured)'}; no reply is seen at any capture point`,
      transition: podReached ? `delivered to the pod on ${lastStation.node}, which does not answer` : null,
      causes: [
        f.protocol === 'tcp'
          ? { text: 'a firewall in the pod or on the node drops the SYN silently (DROP, not REJECT)', check: `iptables -S INPUT  # in the pod's netns: nsenter -t <pid> -n iptables -S` }
          : { text: 'the destination does not answer (firewall DROP in the pod, or the application ignores it)', check: 'nsenter -t <pid> -n iptables -S INPUT; ss -lunp' },
        { text: `the pod's replies leave by another interface or are dropped by reverse-path filtering on ${lastStation.node}`, check: `ip route get ${f.client}  # in the pod; sysctl net.ipv4.conf.all.rp_filter` },
        ...(podReached ? [] : [IP_FORWARD_OR_FWD(lastStation.node)]),
      ],
    };
  }
  if (repLast >= 0 && repLast < repStations.length - 1) {
    const s = step(f.replies, repStations, repLast, 'replies');
    if (!s.covered) {
      return {
        kind: 'not-observed',
        summary: `${replyWhat} seen up to ${pointName(s.from)}; ${pointName(s.to)}'s capture does not cover that time`,
        transition: null,
        causes: [],
      };
    }
    return {
      kind: 'reply-dropped',
      summary: `requests arrive; ${replyWhat} reach ${pointName(s.from)}, never ${pointName(s.to)}${uncapturedNote(s)}: ${s.d.transition}`,
      transition: s.d.transition,
      causes: s.d.causes,
    };
  }
  const repPartial = partialLoss(f.replies, repStations, repAt, replyWhat, 'replies');
  if (repPartial) return repPartial;
  return {
    kind: 'delivered',
    summary: `${plural(n, what)} and ${plural(nReplies, replyWhat)} cross every capture point`,
    transition: null,
    causes: [],
  };
}

function IP_FORWARD_OR_FWD(node: string): Cause {
  return { text: `${node} does not forward to the pod (FORWARD policy DROP or ip_forward=0)`, check: 'iptables -S FORWARD; sysctl net.ipv4.ip_forward' };
}

function overlayOnPath(stations: number[], pts: CapturePoint[]) {
  const p = stations.map((s) => pts[s]!).find((x) => x.role === 'overlay');
  return p ? overlayDevice(p.interface) : null;
}

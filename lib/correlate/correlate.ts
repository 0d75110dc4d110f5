/**
 * The correlator: recognise the same packet at every capture point, group packets into flows,
 * order each flow's capture points from client to server, and estimate each node's clock.
 * Each stage is a module of its own:
 *
 *   parts       a capture written as several files (tcpdump -C/-G, dumpcap -b), joined
 *   points      capture points and their roles, and which point each packet shape is
 *   roles       roles from what crossed an interface; pod-captures: captures inside a pod
 *   sightings   the same packet at every point (its identity: identity.ts), in columns (groups.ts)
 *   flows       packets joined into flows by the connections they carried (connections.ts)
 *   pod-addresses  each pod veth's own addresses
 *   direction   client, server and each packet's direction
 *   summary     what each flow's packets add up to: where and when seen, how many where
 *   icmp-errors the ICMP errors that answer a flow
 *   path        each flow's capture points in path order
 *   clocks      each node's clock offset
 *
 * It works on the compact index (typed arrays): no packet is decoded again here.
 */
import { pathContext, pathOf } from './path';
import { attachIcmpErrors } from './icmp-errors';
import { buildFlows, fillBackground } from './flows';
import { blindSides } from './blind';
import { capturePoints, fillWindows, incidentEpoch, type PointOptions } from './points';
import { collectSightings } from './sightings';
import { learnPodAddresses } from './pod-addresses';
import { joinRotations } from './parts';
import { inferRoles } from './roles';
import { placePodCaptures } from './pod-captures';
import { estimateClocks } from './clocks';
import { summarizeFlows } from './summary';
import { egressRanks, listeningSides, settleFlows } from './direction';
import type { CaptureInput, CapturePoint, Correlation, Encapsulation } from './types';

export type * from './types';
export { PacketGroups, SightingStore } from './groups';
export { encapsulationIn } from '../decode/encapsulation';

export function correlate(files: CaptureInput[], opts: PointOptions = {}): Correlation {
  const joinNotes: string[] = [];
  const inputs = joinRotations(files, joinNotes);
  const epochSec = incidentEpoch(inputs);
  const layout = capturePoints(inputs, opts);
  layout.notes.unshift(...joinNotes);
  const points = layout.points;
  fillWindows(inputs, layout, epochSec, opts.runWindows);
  const inputOfPoint = new Int32Array(points.length);
  layout.inputPoints.forEach((ps, n) => ps.forEach((p) => (inputOfPoint[p] = n)));
  const captureOf = (point: number) => inputs[inputOfPoint[point]!]?.capture;
  const walk = collectSightings(inputs, layout, epochSec);
  const { flows, flowOfConnection, flowOf } = buildFlows(walk);
  inferRoles(points, layout, inputs, walk);
  placePodCaptures(points, layout, inputs, walk);
  const sequentialNodes = takenOneAfterAnother(points);
  for (const node of sequentialNodes) {
    const names = points
      .filter((p) => p.host === node && p.packets > 0 && p.role !== 'any')
      .sort((a, b) => a.firstNs - b.firstNs)
      .map((p) => (p.host === p.node ? p.interface : `${p.node}/${p.interface}`));
    layout.notes.push(
      `${node}'s captures were taken one after another (${names.join(', ')}; no two ran at the same time): each point is judged for the time it ran, a flow seen with its replies at each point is delivered there, and no packet can be followed from one of these points to the next`,
    );
  }
  learnPodAddresses(points, walk.groups, (i) => {
    // Linux packet types: 4 is sent by this host (out towards the pod on a host veth), 0–3
    // received. Inside a pod the roles turn round: what the pod sends is "outgoing" there.
    const p = points[walk.store.point[i]!]!;
    const c = captureOf(p.id)!;
    const t = c.shapes[c.index.shapeAt(walk.store.row[i]!)]?.sllPacketType ?? -1;
    return t < 0 ? null : (t === 4) !== (p.host !== p.node) ? 'out' : 'in';
  });
  fillBackground(points, walk);
  listeningSides(flows, walk.groups, flowOf);
  settleFlows(flows, walk.groups, points, egressRanks(points), flowOf);
  summarizeFlows(flows, walk.groups, flowOf);
  attachIcmpErrors(inputs, walk.errorRows, walk.conns, flowOfConnection, flows, walk.groups);
  const encapsulationOf = (point: number, row: number): Encapsulation | null => {
    const c = captureOf(point);
    return c && row < c.index.count ? (c.shapes[c.index.shapeAt(row)]?.encapsulation ?? null) : null;
  };
  const encapsulationAt = (i: number) => encapsulationOf(walk.store.point[i]!, walk.store.row[i]!);
  const paths = pathContext(points, walk.groups, walk.opaque.flatMap((o) => [...o.perPoint.keys()]), encapsulationAt);
  for (const f of flows) f.path = pathOf(f, paths);
  const clocks = estimateClocks(flows, walk.groups, points);
  const referenceNode = [...clocks.values()].find((c) => c.method === 'reference')?.node ?? points[0]?.node ?? '';
  const kept = flows.filter((f) => f.requests.length > 0 || f.replies.length > 0);
  kept.forEach((f, i) => (f.id = i)); // Correlation.flows[f.id] === f
  points.forEach((p) => {
    p.truncated = walk.truncated[p.id]!;
    p.innerCut = walk.innerCut[p.id]!;
  });
  for (const p of points) {
    const n = walk.doubled[p.id]!;
    if (n > 0) layout.notes.push(`${p.node}/${p.interface}: ${n} of ${p.packets} packets are written twice in the file, the same packet at the same instant (overlapping captures merged into one?): each is counted once`);
  }
  for (const p of points) {
    if (p.truncated === 0) continue;
    const snap = p.snaplen > 0 && p.snaplen < 65535 ? ` (snap length ${p.snaplen})` : '';
    const matched = 'they are matched on the headers left, and a cut packet is not a lost one';
    const how =
      p.innerCut === 0
        ? matched
        : `${p.innerCut === p.truncated ? 'all of them' : `${p.innerCut} of them`} tunnel packets cut before their inner packet: which flows those carried cannot be told, so no flow inside the tunnel is judged at this point${p.innerCut < p.truncated ? `; the others: ${matched}` : ''}`;
    layout.notes.push(`${p.node}/${p.interface}: ${p.truncated} of ${p.packets} packets are cut short in the file${snap}; ${how}`);
  }
  const undecoded = walk.opaque.map((o) => ({
    tunnel: o.name,
    wire: o.wire,
    src: o.src,
    dst: o.dst,
    // By name: the order the files came in is no order of the tunnel's.
    seenAt: Object.fromEntries([...o.perPoint].map(([p, n]) => [`${points[p]!.node}/${points[p]!.interface}`, n] as const).sort((a, b) => a[0].localeCompare(b[0]))),
  }));
  for (const u of undecoded) {
    const at = Object.entries(u.seenAt).map(([p, n]) => `${p} ${n}`).join(', ');
    layout.notes.push(`${u.src} → ${u.dst}: ${u.tunnel} (${u.wire}), not decoded (${at}); the flows inside cannot be followed, and these packets are no flow of their own`);
  }
  const blind = blindSides(points, walk.store, walk.groups);
  for (const b of blind) {
    const p = points[b.point]!;
    layout.notes.push(
      b.proven
        ? `${p.node}/${p.interface} never shows packets ${b.towardsPod ? 'towards' : 'from'} its pod (${b.seen} the other way), though ${b.elsewhere > 0 ? `${p.host}'s other points do${b.towardsPod ? ' and the pod acknowledges what it receives' : ''}` : 'the pod acknowledges what it receives'}: it is blind in that direction (an eBPF datapath, as Cilium's host routing, passes it by, and tcpdump -Q keeps one direction only), and that direction is not judged there`
        : `${p.node}/${p.interface} never shows packets towards its pod (${b.seen} from it), though ${p.host}'s other points do, and the pod sent nothing there that could show whether it received them (no TCP, no echo reply): a capture of one direction (tcpdump -Q in; Cilium's host routing passes the pod's device by) looks the same as everything towards the pod lost on the way, so packets that stop right before it are not observed, neither delivered nor dropped`,
    );
  }
  const podSide = (addr: string) => paths.sentFrom().get(addr);
  return { epochSec, groups: walk.groups, points, flows: kept, clocks, referenceNode, encapsulationOf, captureOf, podSide, tunnelCarries: paths.tunnelCarries, notes: layout.notes, undecoded, neighbours: walk.neighbours, blind, sequentialNodes };
}

/** Nodes (hosts) with two or more captures of which no two ran at the same time: taken one after another. */
function takenOneAfterAnother(points: readonly CapturePoint[]): string[] {
  const out: string[] = [];
  for (const node of new Set(points.map((p) => p.host))) {
    const mine = points.filter((p) => p.host === node && p.packets > 0 && p.role !== 'any' && Number.isFinite(p.firstNs)).sort((a, b) => a.firstNs - b.firstNs);
    if (mine.length >= 2 && mine.every((p, i) => i === 0 || p.firstNs > mine[i - 1]!.lastNs)) out.push(node);
  }
  return out;
}

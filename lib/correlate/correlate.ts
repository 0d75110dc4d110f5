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
 *   notes       what the report says of the captures themselves (notes.ts)
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
import { blindNote, recordingNotes, sequentialNote, takenOneAfterAnother, undecodedNote, undecodedTunnels } from './notes';
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
  for (const node of sequentialNodes) layout.notes.push(sequentialNote(points, node));
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
  layout.notes.push(...recordingNotes(points, walk));
  const undecoded = undecodedTunnels(walk.opaque, points);
  layout.notes.push(...undecoded.map(undecodedNote));
  const blind = blindSides(points, walk.store, walk.groups);
  layout.notes.push(...blind.map((b) => blindNote(points[b.point]!, b)));
  const podSide = (addr: string) => paths.sentFrom().get(addr);
  return { epochSec, groups: walk.groups, points, flows: kept, clocks, referenceNode, encapsulationOf, captureOf, podSide, tunnelCarries: paths.tunnelCarries, notes: layout.notes, undecoded, neighbours: walk.neighbours, blind, sequentialNodes };
}

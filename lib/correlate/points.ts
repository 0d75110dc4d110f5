/**
 * Capture points: one per named pcapng interface, else one per file, each with its node,
 * interface and role; and, per file, which point each packet shape belongs to.
 */
import { interfaceRole } from '../protocols/devices';
import { ns } from '../util/units';
import { emptyBackground } from './background';
import type { Label } from './labels';
import type { CaptureInput, CapturePoint } from './types';

interface PointSpec {
  interfaceId: number;
  node: string;
  iface: string;
  source: Label['source'];
}

/** Capture points of one input: one per named pcapng interface, else one for the file. */
function pointsOf(input: CaptureInput): PointSpec[] {
  const named = input.capture.interfaces.filter((i) => i.name);
  const distinct = new Set(named.map((i) => i.name));
  if (input.label.source !== 'explicit' && distinct.size > 1) {
    return input.capture.interfaces.map((i) => {
      const name = i.name ?? `if${i.id}`;
      // "node2/eth0" or "node2:eth0" names carry their node.
      const m = /^([^/:]+)[/:](.+)$/.exec(name);
      return { interfaceId: i.id, node: m ? m[1]! : input.label.node, iface: m ? m[2]! : name, source: 'pcapng' as const };
    });
  }
  return [{ interfaceId: -1, node: input.label.node, iface: input.label.interface, source: input.label.source }];
}

export interface PointLayout {
  points: CapturePoint[];
  /** Per input: capture point by packet shape id. */
  shapePoint: Int32Array[];
  /** Per input: the points it holds. */
  inputPoints: number[][];
}

export function capturePoints(inputs: readonly CaptureInput[]): PointLayout {
  const points: CapturePoint[] = [];
  const shapePoint: Int32Array[] = [];
  const inputPoints: number[][] = [];
  for (const input of inputs) {
    const specs = pointsOf(input);
    const byIface = new Map<number, number>();
    const mine: number[] = [];
    for (const p of specs) {
      const id = points.length;
      points.push({
        id,
        file: input.file,
        node: p.node,
        interface: p.iface,
        role: interfaceRole(p.iface),
        labelSource: p.source,
        interfaceId: p.interfaceId,
        packets: 0,
        firstNs: ns(NaN),
        lastNs: ns(NaN),
        podIp: null,
        background: emptyBackground(),
      });
      byIface.set(p.interfaceId, id);
      mine.push(id);
    }
    // A file that is one point maps every shape there; otherwise by the shape's interface,
    // and an interface the file never described goes to its first point.
    const shapes = input.capture.shapes;
    const map = new Int32Array(shapes.length).fill(mine[0]!);
    if (mine.length > 1) shapes.forEach((s, i) => (map[i] = byIface.get(s.interfaceId) ?? mine[0]!));
    shapePoint.push(map);
    inputPoints.push(mine);
  }
  return { points, shapePoint, inputPoints };
}

/**
 * Each point's packets and capture window (first and last timestamp, on the raw incident
 * clock), from the index's per-shape figures: no pass over the packets.
 */
export function fillWindows(inputs: readonly CaptureInput[], layout: PointLayout, epochSec: number): void {
  inputs.forEach((input, n) => {
    const c = input.capture;
    const baseNs = (c.baseSec - epochSec) * 1e9 + c.baseNsec;
    const map = layout.shapePoint[n]!;
    for (let s = 0; s < c.shapes.length; s++) {
      const pt = layout.points[map[s]!]!;
      pt.packets += c.shapePackets[s] ?? 0;
      const first = c.shapeFirstNs[s];
      const last = c.shapeLastNs[s];
      if (first !== undefined && !(baseNs + first >= pt.firstNs)) pt.firstNs = ns(baseNs + first);
      if (last !== undefined && !(baseNs + last <= pt.lastNs)) pt.lastNs = ns(baseNs + last);
    }
  });
}

/** The incident's time origin: the earliest first timestamp, so ns offsets stay below 2^53. */
export function incidentEpoch(inputs: readonly CaptureInput[]): number {
  let epochSec = Infinity;
  for (const i of inputs) if (!Number.isNaN(i.capture.lastNs)) epochSec = Math.min(epochSec, i.capture.baseSec);
  return Number.isFinite(epochSec) ? epochSec : 0;
}

/**
 * The time sequence of one packet: a lane per capture point of the flow's path (client at the
 * top, `-i any` lanes last), time running left to right on corrected clocks, a mark where each
 * point saw the packet and a line through them in time order. Pure: d3 computes, React draws.
 */
import { line, scaleLinear } from 'd3';
import type { InterfaceRole } from '../protocols/devices';
import { formatDelta } from './time-format';

/** One sighting of the packet the ladder draws, on corrected clocks. */
export interface LadderSighting {
  point: number;
  node: string;
  interface: string;
  role: InterfaceRole;
  /** Position of the point on the flow's path (client to server). */
  pathIndex: number;
  tNs: number;
  /** Raw capture time: before the node's clock correction. */
  rawNs: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  ttl: number;
  ipLen: number;
}

export interface PacketDetail {
  flow: number;
  group: number;
  dir: 'request' | 'reply';
  /** The stations of the path, in order; the packet's sightings on them. */
  path: { point: number; node: string; interface: string; role: InterfaceRole }[];
  sightings: LadderSighting[];
  /** The packet as `point` captured it: its layer stack, outer to inner, one line each. */
  layers: string[];
  /** Its frame number in its file, and that file where the point's capture was written as several (a rotation). */
  frame: number;
  file?: string;
}

export interface LadderLane {
  point: number;
  label: string;
  role: string;
  y: number;
  seen: boolean;
}

export interface LadderMark {
  point: number;
  x: number;
  y: number;
  /** Corrected time, ns since the incident epoch. */
  tNs: number;
  /** Time after the packet's first sighting. */
  delta: string;
  title: string;
}

export interface LadderLayout {
  width: number;
  height: number;
  labelWidth: number;
  lanes: LadderLane[];
  marks: LadderMark[];
  /** SVG path through the sightings on the path, in time order. */
  path: string;
  ticks: { x: number; label: string }[];
  axisY: number;
  spanNs: number;
}

export interface LadderOptions {
  width: number;
  lane?: number;
  labelWidth?: number;
}

const TOP = 10;
const AXIS = 26;
const RIGHT = 56;

export function ladderLayout(d: PacketDetail, opts: LadderOptions): LadderLayout {
  const laneH = opts.lane ?? 28;
  const labelWidth = opts.labelWidth ?? 150;
  const width = Math.max(labelWidth + RIGHT + 120, opts.width);
  const ordered = [...d.path.filter((p) => p.role !== 'any'), ...d.path.filter((p) => p.role === 'any')];
  const seenAt = new Set(d.sightings.map((s) => s.point));
  const lanes: LadderLane[] = ordered.map((p, i) => ({
    point: p.point,
    label: `${p.node}/${p.interface}`,
    role: p.role,
    y: TOP + laneH / 2 + i * laneH,
    seen: seenAt.has(p.point),
  }));
  const yOf = new Map(lanes.map((l) => [l.point, l.y]));
  const times = d.sightings.map((s) => s.tNs);
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times) : 0;
  const spanNs = t1 - t0;
  const x = scaleLinear()
    .domain([0, spanNs > 0 ? spanNs : 1])
    .range([labelWidth + 12, width - RIGHT]);
  const marks: LadderMark[] = d.sightings
    .filter((s) => yOf.has(s.point))
    .map((s) => ({
      point: s.point,
      x: x(s.tNs - t0),
      y: yOf.get(s.point)!,
      tNs: s.tNs,
      delta: s.tNs === t0 ? '0' : formatDelta(s.tNs - t0),
      title: `${s.node}/${s.interface}: ${s.src}${s.sport ? `:${s.sport}` : ''} → ${s.dst}${s.dport ? `:${s.dport}` : ''}, ttl ${s.ttl}, ${s.ipLen} bytes; raw clock ${formatDelta(s.rawNs - s.tNs)} from the corrected time`,
    }))
    .sort((a, b) => a.tNs - b.tNs || a.y - b.y);
  // Joined station to station along the path (replies travel it backwards), not in time order:
  // a clock estimated one way only can put a later station a little earlier, and the line
  // should show that rather than zigzag between lanes.
  const laneIndex = new Map(lanes.map((l, i) => [l.point, i]));
  const onPath = marks
    .filter((m) => lanes[laneIndex.get(m.point)!]!.role !== 'any')
    .sort((a, b) => (laneIndex.get(a.point)! - laneIndex.get(b.point)!) * (d.dir === 'reply' ? -1 : 1) || a.tNs - b.tNs);
  const path =
    line<LadderMark>()
      .x((m) => m.x)
      .y((m) => m.y)(onPath) ?? '';
  const axisY = TOP + lanes.length * laneH + 6;
  const ticks = x.ticks(Math.max(2, Math.floor((width - RIGHT - labelWidth) / 90))).map((t) => ({ x: x(t), label: t === 0 ? '0' : formatDelta(t) }));
  return { width, height: axisY + AXIS, labelWidth, lanes, marks, path, ticks, axisY, spanNs };
}

/** A capture point's window, first to last packet, in ns since the incident's epoch on its node's clock. */
export interface LaneWindow {
  firstNs: number;
  lastNs: number;
  /** The node's clock offset to the reference clock (what corrected times add). */
  offsetNs: number;
}

/**
 * Whether a lane's capture ran when the packet passed: 'seen' there; 'not-seen' while its
 * capture ran; 'before' or 'after' its capture (first or last packet), where not being seen
 * says nothing. The packet's time is its nearest sighting, corrected.
 */
export function laneCapture(d: PacketDetail, point: number, w: LaneWindow | undefined): 'seen' | 'not-seen' | 'before' | 'after' {
  if (d.sightings.some((s) => s.point === point)) return 'seen';
  if (!w || !Number.isFinite(w.firstNs) || d.sightings.length === 0) return 'not-seen';
  const first = w.firstNs + w.offsetNs;
  const last = w.lastNs + w.offsetNs;
  const t = Math.min(...d.sightings.map((s) => s.tNs));
  const u = Math.max(...d.sightings.map((s) => s.tNs));
  if (u < first) return 'before';
  if (t > last) return 'after';
  return 'not-seen';
}

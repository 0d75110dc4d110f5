/**
 * The hop diagram's layout: where each host, capture point, path segment, stop mark and NAT
 * marker goes, in pixels, for one flow. Pure (d3 scales, no DOM), so the same picture can be
 * tested here and drawn by any renderer; components/hop-diagram draws it as SVG.
 *
 * The path runs left to right from the client's node to the server's, whichever direction is
 * shown: replies travel right to left along the same stations.
 */
import { scalePoint } from 'd3';
import type { AnalysisReport } from '../analyze';
import { clockSide } from '../correlate/clocks';
import type { InterfaceRole } from '../protocols/devices';
import { deviceEncapsulationText, EGRESS_ORDER, interfaceRole, overlayDevice as overlayOfDevice, ROLE_NOUNS } from '../protocols/devices';
import { noEvidenceAt, type FlowReport, type Translation } from '../verdict/verdict';

/** The roles only a cluster node has: a host with one of them is no outside host. */
const POD_SIDE_ROLES: ReadonlySet<InterfaceRole> = new Set(['pod', 'bridge', 'overlay']);

export type HopDirection = 'requests' | 'replies';

/**
 * seen: captured and saw packets of the flow; zero: captured, saw nothing of it (evidence);
 * not-captured: on the path but no capture was given (no evidence either way);
 * idle: captured, but not recording while the flow passed (HopReport.notRecording; no evidence
 * either way, as not-captured);
 * any: a `-i any` capture, which sees every interface of its node at once and so has no place
 * on the path.
 */
export type StationState = 'seen' | 'zero' | 'not-captured' | 'idle' | 'cut' | 'any';

/** What a station that neither shows nor hides packets is, in the words titles and summaries use. */
const NO_EVIDENCE: Partial<Record<StationState, string>> = { 'not-captured': 'not captured', idle: 'not recording then', cut: 'cut before the inner packet' };

/** A captured hop that saw nothing of the flow, drawn by why (noEvidenceAt). */
const STATE_WITHOUT_EVIDENCE = { 'not recording': 'idle', 'inner cut off': 'cut', 'nothing seen': 'zero' } as const satisfies Record<string, StationState>;

/** A point that neither shows nor hides packets: not captured, not recording at the time, or cut before the tunnel's inner packet. */
export const noEvidence = (state: StationState): boolean => NO_EVIDENCE[state] !== undefined;

export interface StationLayout {
  /** Stable id: `p<point>` for a capture, `nc:<node>/<interface>` for a point not captured. */
  key: string;
  /** Position in HopLayout.stations. */
  index: number;
  /** Position along the path line; null for `any` stations, which are off it. */
  pathIndex: number | null;
  hostIndex: number;
  node: string;
  interface: string;
  /** `node/interface`, as the verdict names points. */
  name: string;
  role: InterfaceRole;
  state: StationState;
  /** HopReport.point; null when not captured. */
  point: number | null;
  file: string | null;
  requests: number | null;
  replies: number | null;
  x: number;
  y: number;
  /** Circle radius, or half the height of an `any` station's box. */
  r: number;
  /** Half the width of an `any` station's box; equal to r for path stations. */
  halfWidth: number;
  /** The interface name, shortened with … to fit between its neighbours. */
  label: string;
  labelY: number;
  /** "→3 ←0", "→3", "←0", or "not captured" ("no capture", then cut with …, when narrow). */
  counts: string;
  countsY: number;
  /** Tooltip and accessible name. */
  title: string;
}

export interface HostLayout {
  node: string;
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** No pod, bridge or overlay point on the path, nor any capture off it: an outside host (or a node captured only at its NIC). */
  outside: boolean;
  titleY: number;
  /** "clock +0.098 ms (one-way)", "clock reference", "clock unknown". */
  clockLabel: string;
  clockY: number;
  clockTitle: string;
  /** Where the row of `-i any` stations starts (a divider under the path); null without one. */
  offPathY: number | null;
  /** Indexes into HopLayout.stations: the path stations in order, then any `-i any` ones. */
  stations: number[];
}

export interface LaneLayout {
  direction: HopDirection;
  y: number;
  /** Some packets of this direction crossed the segment (seen on both sides of it). */
  crossed: boolean;
  /** Where the direction arrow goes; null when the segment carries a stop mark instead. */
  arrowX: number | null;
  /** +1 points right (requests), -1 left (replies). */
  arrowDir: 1 | -1;
}

export interface EncapsulationLabel {
  text: string;
  /** The text broken to fit the gap between the two host boxes. */
  lines: string[];
  x: number;
  y: number;
  title: string;
}

export interface SegmentLayout {
  index: number;
  /** Station indexes at either end, in path order (from is nearer the client). */
  from: number;
  to: number;
  x1: number;
  x2: number;
  y: number;
  /** within a host, or across the underlay between two hosts. */
  kind: 'host' | 'underlay';
  crossed: { requests: boolean; replies: boolean };
  /** One end was not captured: crossing is inferred from the captured points either side. */
  inferred: boolean;
  /** The packets of this direction stop on this segment (after requestsStopAfter / repliesStopAfter). */
  stop: HopDirection | null;
  /** Underlay segments only: how the packets cross between the hosts. */
  encapsulation: EncapsulationLabel | null;
  lanes: LaneLayout[];
}

export interface StopBreak {
  direction: HopDirection;
  /**
   * stop: seen at `from`, never at `to`, the next captured point;
   * unobserved: `to`'s capture does not cover the time, so nothing is known (not a drop).
   */
  kind: 'stop' | 'unobserved';
  from: number;
  to: number;
  /** Segments between `from` and `to`: more than one when points in between were not captured. */
  segments: number[];
  /** Points in between that were not captured: the stop is somewhere among these steps. */
  uncaptured: number[];
  x1: number;
  x2: number;
  y: number;
  /** Where to draw ✕ (or ?) on the line: one per segment of the span. */
  marks: number[];
  label: string;
  labelX: number;
  labelY: number;
  title: string;
}

export interface NatMarker {
  at: string;
  kind: Translation['kind'];
  from: string;
  to: string;
  station: number;
  x: number;
  y: number;
  label: string;
  title: string;
}

export interface HopLayout {
  width: number;
  height: number;
  direction: HopDirection | null;
  pathY: number;
  hosts: HostLayout[];
  stations: StationLayout[];
  segments: SegmentLayout[];
  breaks: StopBreak[];
  nat: NatMarker[];
  /** One or two sentences for the diagram's accessible name. */
  summary: string;
}

export interface HopLayoutOptions {
  width: number;
  direction?: HopDirection;
}

type Clock = AnalysisReport['clocks'][number];

/** Below this the labels cannot be placed at all; narrower widths are laid out at this one. */
export const MIN_WIDTH = 240;
const MARGIN_X = 8;
const TOP = 8;
const HOST_PAD_X = 10;
/** From the host box's top to the path line: name, clock, stop label and NAT rows. */
const PATH_OFFSET = 92;
const STATION_R = 9;
const LANE_GAP = 3.5;
/** Approximate advance of the 11px monospace labels. */
const CHAR_W = 6.7;
const ANY_ROW = 46;
const BELOW_PATH = 52;

/** Kernel order from a pod out to the wire; the server's node is crossed in reverse. */
const ROLE_RANK = Object.fromEntries(EGRESS_ORDER.map((r, i) => [r, i])) as Record<InterfaceRole, number>;

/** "VXLAN, UDP 8472", "flannel UDP 8285", "IP-in-IP (proto 4)", from the overlay device's name. */
export const encapsulationText = deviceEncapsulationText;

/** Whole microseconds first: toFixed alone rounds 0.0375 down (binary float). */
const ms = (ns: number) => `${ns < 0 ? '−' : '+'}${(Math.round(Math.abs(ns) / 1e3) / 1e3).toFixed(3)} ms`;

/** "clock +12.345 ms (two-way)", "clock reference", "clock unknown". */
export function clockLabel(clock: Clock | undefined): string {
  if (!clock || clock.method === 'unknown') return 'clock unknown';
  if (clock.method === 'reference') return 'clock reference';
  return `clock ${ms(clock.offsetNs)} (${clock.method})`;
}

export function clockTitle(node: string, clock: Clock | undefined, clocks: readonly Clock[] = []): string {
  const side = clockSide(clocks, node);
  if (clock && side.length > 0) {
    const base = clock.base ?? node;
    const against = base === node ? 'theirs are measured against its clock' : `its clock is measured against ${base}'s (${ms(clock.offsetNs)})`;
    return `${node} shares packets only with ${side.join(' and ')}: ${against}; the offset from the reference is unknown`;
  }
  if (!clock || clock.method === 'unknown') return `${node} shares no packet with the other nodes: its clock offset is unknown`;
  if (clock.method === 'reference') return `${node} is the reference clock`;
  const how = clock.method === 'one-way' ? 'one direction only, delay taken as zero' : clock.method;
  return `${node}'s timestamps are shifted by ${ms(clock.offsetNs)} onto the reference clock (${how}; ${clock.samples} packets)`;
}

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return '…';
  return `${s.slice(0, max - 1)}…`;
}

/** Break a label into lines no wider than `px`: at ", " first, then at spaces. */
function fitLines(text: string, px: number): string[] {
  const max = Math.max(4, Math.floor(px / CHAR_W));
  if (text.length <= max) return [text];
  const parts = text.includes(', ') ? text.split(', ').map((p, i, a) => (i < a.length - 1 ? `${p},` : p)) : text.split(' ');
  const lines: string[] = [];
  for (const p of parts) {
    const last = lines[lines.length - 1];
    if (last !== undefined && `${last} ${p}`.length <= max) lines[lines.length - 1] = `${last} ${p}`;
    else lines.push(p);
  }
  return lines.map((l) => truncate(l, max));
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** Tenths of a pixel: enough for SVG, and the output stays byte-stable across platforms. */
const px = (v: number) => Math.round(v * 10) / 10;

interface Draft {
  key: string;
  node: string;
  interface: string;
  role: InterfaceRole;
  state: StationState;
  point: number | null;
  file: string | null;
  requests: number | null;
  replies: number | null;
}

/**
 * Put the points that were not captured among a node's captured ones by role: outward
 * (pod → bridge → overlay → NIC) when the captured ones run that way or the node is the first,
 * inward otherwise.
 */
function withUncaptured(captured: Draft[], missing: Draft[], first: boolean): Draft[] {
  if (missing.length === 0) return captured;
  const ranks = captured.map((d) => ROLE_RANK[d.role]);
  const up = ranks.every((r, i) => i === 0 || r >= ranks[i - 1]!);
  const down = ranks.every((r, i) => i === 0 || r <= ranks[i - 1]!);
  const outward = up && !down ? true : down && !up ? false : first;
  const out = [...captured];
  const sorted = [...missing].sort((a, b) => (outward ? 1 : -1) * (ROLE_RANK[a.role] - ROLE_RANK[b.role]));
  for (const m of sorted) {
    const r = ROLE_RANK[m.role];
    const at = out.findIndex((d) => (outward ? ROLE_RANK[d.role] > r : ROLE_RANK[d.role] < r));
    out.splice(at < 0 ? out.length : at, 0, m);
  }
  return out;
}

/** What every stage of the layout shares. */
interface LayoutContext {
  flow: FlowReport;
  width: number;
  direction: HopDirection | null;
  pathY: number;
  hostHeight: number;
  lanesDirs: HopDirection[];
}

interface HostDraft {
  node: string;
  path: Draft[];
  any: Draft[];
}

/** Each host's stations in path order (points not captured placed by role) and its `-i any` ones. */
function hostDrafts(flow: FlowReport, direction: HopDirection | null): HostDraft[] {
  // Hosts in path order; a node with only an -i any capture still gets its box. A capture
  // inside a pod sits in its node's box.
  const nodes: string[] = [];
  for (const h of flow.hops) if (!nodes.includes(h.host)) nodes.push(h.host);
  for (const u of flow.notCaptured) if (!nodes.includes(u.node)) nodes.push(u.node);
  const relevant = (req: number, rep: number) => (direction === 'requests' ? req : direction === 'replies' ? rep : req + rep);
  const draft = (h: FlowReport['hops'][number], state: StationState): Draft => ({
    key: `p${h.point}`,
    node: h.node,
    interface: h.interface,
    role: h.role,
    state,
    point: h.point,
    file: h.file,
    requests: h.requests,
    replies: h.replies,
  });
  const captured = (node: string) =>
    flow.hops.filter((h) => h.host === node && h.role !== 'any').map((h) => draft(h, relevant(h.requests, h.replies) > 0 ? 'seen' : STATE_WITHOUT_EVIDENCE[noEvidenceAt(h) ?? 'nothing seen']));
  const anyOf = (node: string) => flow.hops.filter((h) => h.host === node && h.role === 'any').map((h) => draft(h, 'any'));
  const missing = (node: string): Draft[] =>
    flow.notCaptured
      .filter((u) => u.node === node)
      .map((u) => ({ key: `nc:${u.node}/${u.interface}`, node, interface: u.interface, role: u.role, state: 'not-captured', point: null, file: null, requests: null, replies: null }));
  return nodes.map((node, i) => ({ node, path: withUncaptured(captured(node), missing(node), i === 0 || nodes.length === 1), any: anyOf(node) }));
}

/** A station's counts, e.g. "→3 ←0", and its tooltip. */
function stationTexts(d: Draft, direction: HopDirection | null, chars: number): { counts: string; title: string } {
  const counts =
    d.state === 'not-captured'
      ? chars >= 12
        ? 'not captured'
        : 'no capture'
      : d.state === 'idle'
        ? chars >= 13
          ? 'not recording'
          : 'off then'
        : d.state === 'cut'
          ? 'cut short'
          : direction === 'requests'
        ? `→${d.requests}`
        : direction === 'replies'
          ? `←${d.replies}`
          : `→${d.requests} ←${d.replies}`;
  const name = `${d.node}/${d.interface}`;
  const what = ROLE_NOUNS[d.role];
  const title =
    d.state === 'not-captured'
      ? `${name} (${what}): on the path but not captured — no evidence either way`
      : d.state === 'idle'
        ? `${name} (${what}): captured, but its capture was not recording while this flow passed — no evidence either way (${d.file})`
        : d.state === 'cut'
          ? `${name} (${what}): captured, but its snap length cut the tunnel packets before their inner packet, so which flows they carried cannot be told — no evidence either way (${d.file})`
        : d.state === 'any'
        ? `${name}: -i any capture of ${d.node}, ${d.requests} requests, ${d.replies} replies — it sees every interface of the node at once, so it is counted but does not decide where packets stop (${d.file})`
        : `${name} (${what}): ${d.requests} requests, ${d.replies} replies${d.state === 'zero' ? ' — captured, saw nothing of this flow' : ''} (${d.file})`;
  return { counts, title };
}

/**
 * Hosts side by side: the gaps between them hold the encapsulation label; hosts share the
 * rest by their number of stations, at least two each so a one-NIC outside host keeps room
 * for its labels. Stations on the path line, `-i any` ones in a row under it.
 */
function placeHosts(ctx: LayoutContext, perHost: HostDraft[], clocks: AnalysisReport['clocks']): { hosts: HostLayout[]; stations: StationLayout[] } {
  const { width, direction, pathY } = ctx;
  const inner = width - 2 * MARGIN_X;
  const n = perHost.length;
  let gap = n > 1 ? clamp(inner * 0.1, 64, 150) : 0;
  if (n > 1 && gap * (n - 1) > inner * 0.35) gap = (inner * 0.35) / (n - 1);
  const weights = perHost.map((h) => Math.max(2, h.path.length, h.any.length));
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const hostSpace = inner - gap * (n - 1);
  const stations: StationLayout[] = [];
  const hosts: HostLayout[] = [];
  let x = MARGIN_X;
  let pathIndex = 0;
  perHost.forEach((h, hi) => {
    const w = (hostSpace * weights[hi]!) / total;
    const clock = clocks.find((c) => c.node === h.node);
    const host: HostLayout = {
      node: h.node,
      index: hi,
      x: px(x),
      y: TOP,
      width: px(w),
      height: ctx.hostHeight,
      // A host with a pod's, a bridge's or an overlay's capture off the flow's path is one of the cluster's nodes.
      outside: n > 1 && !h.path.some((d) => POD_SIDE_ROLES.has(d.role)) && !ctx.flow.offPath.some((o) => o.node === h.node && POD_SIDE_ROLES.has(interfaceRole(o.interface))),
      titleY: TOP + 18,
      clockLabel: clockLabel(clock),
      clockY: TOP + 34,
      clockTitle: clockTitle(h.node, clock, clocks),
      offPathY: h.any.length > 0 ? pathY + BELOW_PATH - 4 : null,
      stations: [],
    };
    const place = (d: Draft, sxv: number, y: number, r: number, halfWidth: number, onPath: boolean, chars: number) => {
      const { counts, title } = stationTexts(d, direction, chars);
      const s: StationLayout = {
        ...d,
        name: `${d.node}/${d.interface}`,
        index: stations.length,
        pathIndex: onPath ? pathIndex++ : null,
        hostIndex: hi,
        x: px(sxv),
        y,
        r,
        halfWidth: px(halfWidth),
        // A capture inside a pod, in its node's box: "pod-a eth0".
        label: truncate(d.state === 'any' ? '-i any' : d.node === h.node ? d.interface : `${d.node} ${d.interface}`, chars),
        labelY: d.state === 'any' ? y + 4 : y + 26,
        // Numbers are never cut: a wide count may crowd its neighbour, a cut one would mislead.
        counts: noEvidence(d.state) ? truncate(counts, Math.max(chars, 5)) : counts,
        countsY: d.state === 'any' ? y + 4 : y + 41,
        title,
      };
      stations.push(s);
      host.stations.push(s.index);
    };
    const keys = h.path.map((d) => d.key);
    const sx = scalePoint<string>().domain(keys).range([x + HOST_PAD_X, x + w - HOST_PAD_X]).padding(0.5);
    const spacing = keys.length > 0 ? (w - 2 * HOST_PAD_X) / keys.length : w;
    const maxChars = Math.max(3, Math.floor((spacing - 6) / CHAR_W));
    for (const d of h.path) place(d, sx(d.key)!, pathY, STATION_R, STATION_R, true, maxChars);
    if (h.any.length > 0) {
      const ax = scalePoint<string>().domain(h.any.map((d) => d.key)).range([x + HOST_PAD_X, x + w - HOST_PAD_X]).padding(0.5);
      const half = Math.max(10, Math.min(80, (w - 2 * HOST_PAD_X) / h.any.length / 2 - 4));
      // "-i any  →3 ←0" inside the box: the label gets what the counts leave.
      const countChars = direction === null ? 9 : 4;
      for (const d of h.any) place(d, ax(d.key)!, pathY + BELOW_PATH + ANY_ROW / 2 - 6, 10, half, false, Math.max(3, Math.floor((2 * half - 12) / CHAR_W) - countChars));
    }
    hosts.push(host);
    x += w + gap;
  });
  return { hosts, stations };
}

const laneY = (ctx: LayoutContext, d: HopDirection) => (ctx.lanesDirs.length === 1 ? ctx.pathY : d === 'requests' ? ctx.pathY - LANE_GAP : ctx.pathY + LANE_GAP);

/** How the packets cross between two hosts: what the captured headers said beats what the device name suggests. */
function underlayLabel(ctx: LayoutContext, a: StationLayout, b: StationLayout, hosts: HostLayout[], stations: StationLayout[]): EncapsulationLabel {
  const flow = ctx.flow;
  const ha = hosts[a.hostIndex]!;
  const hb = hosts[b.hostIndex]!;
  const overlayDevice = (hostIndex: number) => stations.find((s) => s.hostIndex === hostIndex && s.role === 'overlay')?.interface ?? null;
  const snatOn = (hostIndex: number) =>
    flow.translations.some((t) => t.kind !== 'DNAT' && stations.some((s) => s.hostIndex === hostIndex && s.pathIndex !== null && s.name === t.at));
  const device = overlayDevice(a.hostIndex) ?? overlayDevice(b.hostIndex);
  const seen = flow.encapsulation?.find((e) => e.at === `${a.node}/${a.interface}` || e.at === `${b.node}/${b.interface}`);
  // The packets lost here left as plain IP where the overlay carries their destination: say so
  // on this link, not the tunnel they never entered.
  const stop = flow.requestsStopAfter ?? flow.repliesStopAfter;
  const plain = flow.stopLeftPlain === true && (stop === `${a.node}/${a.interface}` || stop === `${b.node}/${b.interface}`) ? (flow.requestsStopAfter ? 'requests' : 'replies') : null;
  const snat = snatOn(a.hostIndex);
  const encapsulated = seen ? seen.text : device ? encapsulationText(device) : snat ? (hb.outside ? 'SNAT to the outside' : 'SNAT, routed') : 'routed';
  const text = plain ? `${plain} not encapsulated` : encapsulated;
  const left = ha.x + ha.width;
  const room = Math.max(hb.x - left, 40);
  return {
    text,
    lines: fitLines(text, room - 6),
    x: px((left + hb.x) / 2),
    y: ctx.pathY + 20,
    title: plain
      ? `${ha.node} → ${hb.node}: the ${plain} left ${stop} as plain IP, not encapsulated${device ? `: they never entered ${device}` : ''}${seen ? `; the ${plain === 'requests' ? 'replies' : 'requests'} crossed as ${seen.text}` : ''}`
      : seen
      ? `${ha.node} → ${hb.node} over the underlay: ${seen.text}, between ${seen.outerSrc} and ${seen.outerDst}${device ? ` (${device})` : ''}`
      : device
        ? `${ha.node} → ${hb.node} over the underlay, encapsulated by ${device}: ${overlayOfDevice(device).wire}`
        : text === 'routed'
          ? `${ha.node} → ${hb.node}: routed on the underlay without encapsulation`
          : text === 'SNAT, routed'
            ? `${ha.node} → ${hb.node}: routed on the underlay without encapsulation, its source address translated (SNAT) on ${ha.node}`
            : `${ha.node} → ${hb.node}: leaves ${ha.node} with its source address translated (SNAT) to reach the outside`,
  };
}

/**
 * Segments between consecutive path stations. Crossing is read from the nearest captured
 * station on each side: a point not captured neither shows nor hides packets.
 */
function layoutSegments(ctx: LayoutContext, path: StationLayout[], hosts: HostLayout[], stations: StationLayout[]): SegmentLayout[] {
  const capturedBefore = (i: number) => {
    for (let k = i; k >= 0; k--) if (!noEvidence(path[k]!.state)) return path[k]!;
    return null;
  };
  const capturedAfter = (i: number) => {
    for (let k = i; k < path.length; k++) if (!noEvidence(path[k]!.state)) return path[k]!;
    return null;
  };
  // Two lanes: the chevrons sit apart so → and ← do not merge into one glyph.
  const arrowAt = (x1: number, x2: number, d: HopDirection) =>
    (x1 + x2) / 2 + (ctx.lanesDirs.length === 1 ? 0 : (d === 'requests' ? -1 : 1) * Math.min(9, (x2 - x1) / 6));
  const segments: SegmentLayout[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i]!;
    const b = path[i + 1]!;
    const before = capturedBefore(i);
    const after = capturedAfter(i + 1);
    const crossed = {
      requests: !!before && !!after && before.requests! > 0 && after.requests! > 0,
      replies: !!before && !!after && before.replies! > 0 && after.replies! > 0,
    };
    const underlay = a.hostIndex !== b.hostIndex;
    segments.push({
      index: segments.length,
      from: a.index,
      to: b.index,
      x1: a.x,
      x2: b.x,
      y: ctx.pathY,
      kind: underlay ? 'underlay' : 'host',
      crossed,
      inferred: noEvidence(a.state) || noEvidence(b.state),
      stop: null,
      encapsulation: underlay ? underlayLabel(ctx, a, b, hosts, stations) : null,
      lanes: ctx.lanesDirs.map((d) => ({ direction: d, y: laneY(ctx, d), crossed: crossed[d], arrowX: px(arrowAt(a.x, b.x, d)), arrowDir: d === 'requests' ? 1 : -1 })),
    });
  }
  return segments;
}

/** The stop mark of one direction: from the last point it was seen to the next captured point it never reached. */
function stopBreak(ctx: LayoutContext, path: StationLayout[], segments: SegmentLayout[], breaks: StopBreak[], d: HopDirection, after: string, kind: StopBreak['kind']): StopBreak | null {
  const at = d === 'requests' ? path.findIndex((s) => s.name === after) : path.map((s) => s.name).lastIndexOf(after);
  if (at < 0) return null;
  const step = d === 'requests' ? 1 : -1;
  let k = at + step;
  while (k >= 0 && k < path.length && noEvidence(path[k]!.state)) k += step;
  k = clamp(k, 0, path.length - 1);
  if (k === at) return null;
  const lo = Math.min(at, k);
  const hi = Math.max(at, k);
  const segs = segments.filter((s) => s.index >= lo && s.index < hi);
  const uncaptured = path.slice(lo + 1, hi).filter((s) => noEvidence(s.state));
  for (const s of segs) {
    if (kind === 'stop' && s.stop === null) s.stop = d;
    // The mark takes the middle: this direction loses its arrow, the other moves aside.
    for (const l of s.lanes) l.arrowX = l.direction === d ? null : l.arrowX === null ? null : px(s.x1 + (s.x2 - s.x1) * 0.22);
  }
  const from = path[at]!;
  const to = path[k]!;
  const x1 = path[lo]!.x;
  const x2 = path[hi]!.x;
  const Dir = d === 'requests' ? 'Requests' : 'Replies';
  const label = kind === 'unobserved' ? `${d} not observed past here` : uncaptured.length > 0 ? `${d} stop in here` : `${d} stop here`;
  // Not observed: the first point past `from` is the capture that does not cover the time.
  const next = path[at + step];
  const uncovered = kind === 'unobserved' && next?.state === 'idle' ? next : to;
  const gapNote =
    uncaptured.length === 0
      ? ''
      : uncaptured.some((u) => u.state === 'cut')
        ? `; ${uncaptured.map((u) => `${u.name} ${NO_EVIDENCE[u.state]}`).join(', ')}, so the step is somewhere in between`
        : `; ${uncaptured.map((u) => u.name).join(', ')} ${uncaptured.some((u) => u.state === 'idle') ? 'not captured or not recording then' : 'not captured'}, so the step is somewhere in between`;
  const transition = ctx.flow.verdict.transition;
  const title =
    kind === 'unobserved'
      ? `${Dir} seen up to ${from.name}; ${uncovered.name}'s capture does not cover that time, so whether they went on is not observed`
      : `${Dir} reach ${from.name}, never ${to.name}${gapNote}${transition ? `: ${transition}` : ''}`;
  const mid = (x1 + x2) / 2;
  const half = (label.length * CHAR_W) / 2;
  const stacked = breaks.filter((b) => b.x1 < x2 && b.x2 > x1).length;
  return {
    direction: d,
    kind,
    from: from.index,
    to: to.index,
    segments: segs.map((s) => s.index),
    uncaptured: uncaptured.map((u) => u.index),
    x1,
    x2,
    y: laneY(ctx, d),
    marks: segs.map((s) => px((s.x1 + s.x2) / 2)),
    label,
    labelX: px(clamp(mid, half + 2, ctx.width - half - 2)),
    labelY: ctx.pathY - 36 - stacked * 14,
    title,
  };
}

function layoutBreaks(ctx: LayoutContext, path: StationLayout[], segments: SegmentLayout[]): StopBreak[] {
  const flow = ctx.flow;
  const breaks: StopBreak[] = [];
  const unobserved = flow.verdict.kind === 'not-observed';
  const add = (d: HopDirection, after: string | null, kind: StopBreak['kind']) => {
    if (!after || (ctx.direction !== null && ctx.direction !== d)) return;
    const b = stopBreak(ctx, path, segments, breaks, d, after, kind);
    if (b) breaks.push(b);
  };
  add('requests', flow.requestsStopAfter, unobserved ? 'unobserved' : 'stop');
  // The verdict calls a direction not observed for the first uncovered step only: requests first.
  add('replies', flow.repliesStopAfter, unobserved && !flow.requestsStopAfter ? 'unobserved' : 'stop');
  return breaks;
}

/** NAT markers at the first point that sees the new addresses, stacked when several meet there. */
function layoutNat(ctx: LayoutContext, path: StationLayout[]): NatMarker[] {
  const nat: NatMarker[] = [];
  for (const t of ctx.flow.translations) {
    const s = path.find((p) => p.name === t.at);
    if (!s) continue;
    const stack = nat.filter((m) => m.station === s.index).length;
    nat.push({ at: t.at, kind: t.kind, from: t.from, to: t.to, station: s.index, x: s.x, y: ctx.pathY - 20 - stack * 16, label: t.kind, title: `${t.kind} at ${t.at}: ${t.from}  ⇒  ${t.to}` });
    s.title += `; ${t.kind} here: ${t.from}  ⇒  ${t.to}`;
  }
  return nat;
}

export function layoutHopDiagram(flow: FlowReport, clocks: AnalysisReport['clocks'], opts: HopLayoutOptions): HopLayout {
  const width = Math.max(MIN_WIDTH, Math.floor(opts.width));
  const direction = opts.direction ?? null;
  const perHost = hostDrafts(flow, direction);
  const hostHeight = PATH_OFFSET + BELOW_PATH + (perHost.some((h) => h.any.length > 0) ? ANY_ROW : 0);
  const ctx: LayoutContext = { flow, width, direction, pathY: TOP + PATH_OFFSET, hostHeight, lanesDirs: direction ? [direction] : ['requests', 'replies'] };
  const { hosts, stations } = placeHosts(ctx, perHost, clocks);
  const path = stations.filter((s) => s.pathIndex !== null);
  const segments = layoutSegments(ctx, path, hosts, stations);
  const breaks = layoutBreaks(ctx, path, segments);
  const nat = layoutNat(ctx, path);
  const height = TOP + hostHeight + TOP;
  return { width, height, direction, pathY: ctx.pathY, hosts, stations, segments, breaks, nat, summary: summarize(flow, hosts, stations, segments, breaks) };
}

function summarize(flow: FlowReport, hosts: HostLayout[], stations: StationLayout[], segments: SegmentLayout[], breaks: StopBreak[]): string {
  const ep = (a: string, p: number | null) => (p === null ? a : `${a}:${p}`);
  const head = `${flow.protocol.toUpperCase()} ${ep(flow.client, flow.clientPort)} → ${ep(flow.server, flow.serverPort)}: ${flow.verdict.summary}.`;
  const route = hosts
    .map((h) => {
      const on = h.stations.map((i) => stations[i]!).filter((s) => s.pathIndex !== null);
      const names = on.map((s) => {
        const why = s.state === 'zero' ? 'nothing seen' : NO_EVIDENCE[s.state];
        return why ? `${s.interface} (${why})` : s.interface;
      });
      return `${h.node}${names.length ? ` (${names.join(', ')})` : ''}`;
    })
    .join(' → ');
  const encaps = [...new Set(segments.flatMap((s) => (s.encapsulation ? [s.encapsulation.text] : [])))];
  const stops = breaks.map((b) =>
    b.kind === 'unobserved'
      ? `${b.direction} not observed past ${stations[b.from]!.name}`
      : `${b.direction} stop between ${stations[b.from]!.name} and ${stations[b.to]!.name}${b.uncaptured.length ? ` (${b.uncaptured.map((i) => `${stations[i]!.name} ${NO_EVIDENCE[stations[i]!.state]}`).join(', ')})` : ''}`,
  );
  return `${head} Path: ${route}${encaps.length ? `; between hosts: ${encaps.join(', ')}` : ''}.${stops.length ? ` ${stops.join('; ')}.` : ''}`;
}

/**
 * Capture points: one per named pcapng interface, else one per file, each with its node,
 * interface and role; and, per file, which point each packet shape belongs to.
 *
 * A `tcpdump -i any` capture that is all there is of its node is split: with SLL2, one point
 * per interface index (named from the node's `ip -o link` when given, else `if<N>` with its
 * role inferred from what crossed it, roles.ts); with SLL v1, which has no index, one point for
 * the encapsulated packets (the underlay NIC) and one for the rest (the node's inner devices
 * together). So is each `any` interface of a pcapng holding several nodes' `-i any` captures.
 * Beside other captures of its node, an `-i any` capture stays one point that is counted but
 * does not decide where packets stop.
 */
import { interfaceRole, type InterfaceRole } from '../protocols/devices';
import { ns } from '../util/units';
import type { CapturedSpan } from '../nodestate/state';
import { emptyBackground } from './background';
import type { Label, RoleHints } from './labels';
import type { CaptureInput, CapturePoint } from './types';

/** What the user and the files beside the captures say of the interfaces. */
export interface PointOptions {
  /** node → ifindex → interface name (`<node>-links.txt`). */
  links?: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /** `node/interface` → role, as the user corrected it. */
  roles?: ReadonlyMap<string, InterfaceRole>;
  /** `node/interface` → role, from the node's own `ip -d link` (a capture-kit bundle). */
  stateRoles?: ReadonlyMap<string, InterfaceRole>;
  /**
   * node → the span, in Unix ms, that a capture-kit bundle's manifest proves all its tcpdumps ran
   * through (null: not known); its `late` interfaces' runs are unknown, its `wrapped` ones'
   * starts. A capture that went quiet ran on: its window is at least this.
   */
  runWindows?: ReadonlyMap<string, CapturedSpan>;
  /** How the notes tell the user to correct a role (default: the CLI's `--role`). */
  roleHints?: RoleHints;
}

interface PointSpec {
  /** The pcapng interface, or -1 for the whole file. */
  interfaceId: number;
  node: string;
  iface: string;
  source: Label['source'];
  /** Role from the name; null to infer from what crossed it. */
  role: InterfaceRole | null;
  /** One point standing for several interfaces (an `-i any` capture): copies are one packet. */
  merged: boolean;
  /** The shapes this point takes, when a file is split (else by interface). */
  takes?: (s: CaptureInput['capture']['shapes'][number]) => boolean;
  /** One interface of a `tcpdump -i any` capture split by interface (CapturePoint.fromAny). */
  fromAny?: true;
}

/** The SLL v1 split's two points. */
export const SLL1_UNDERLAY = 'any:underlay';
export const SLL1_INNER = 'any:inner';

/** Capture points of one input: one per named pcapng interface, else one for the file. */
function pointsOf(input: CaptureInput): PointSpec[] {
  const named = input.capture.interfaces.filter((i) => i.name);
  const distinct = new Set(named.map((i) => i.name));
  if (input.label.source !== 'explicit' && distinct.size > 1) {
    return input.capture.interfaces.map((i) => {
      const name = i.name ?? `if${i.id}`;
      // "node2/eth0" or "node2:eth0" names carry their node.
      const m = /^([^/:]+)[/:](.+)$/.exec(name);
      const iface = m ? m[2]! : name;
      return { interfaceId: i.id, node: m ? m[1]! : input.label.node, iface, source: 'pcapng' as const, role: interfaceRole(iface), merged: iface === 'any' };
    });
  }
  const iface = input.label.interface;
  return [{ interfaceId: -1, node: input.label.node, iface, source: input.label.source, role: interfaceRole(iface), merged: iface === 'any' }];
}

/**
 * An `-i any` capture split into one point per interface (SLL2) or per form (SLL v1): a whole
 * file (`interfaceId` -1), or one interface of a pcapng that holds several nodes' `-i any`.
 */
function splitAny(input: CaptureInput, node: string, interfaceId: number, opts: PointOptions): PointSpec[] | null {
  const mine = (s: Shape) => interfaceId < 0 || s.interfaceId === interfaceId;
  const shapes = input.capture.shapes.filter(mine);
  const indexes = [...new Set(shapes.map((s) => s.sllIfindex).filter((x) => x >= 0))].sort((a, b) => a - b);
  const base = { interfaceId, node, source: interfaceId < 0 ? input.label.source : ('pcapng' as const), fromAny: true as const };
  if (indexes.length > 0) {
    const names = opts.links?.get(node);
    return indexes.map((ix, k) => {
      const name = names?.get(ix);
      return {
        ...base,
        iface: name ?? `if${ix}`,
        role: name !== undefined ? interfaceRole(name) : null,
        merged: false,
        // Shapes without an index (not SLL2) go with the first interface.
        takes: (s) => mine(s) && (s.sllIfindex === ix || (k === 0 && s.sllIfindex < 0)),
      };
    });
  }
  if (!shapes.some((s) => s.sllPacketType >= 0)) return null;
  return [
    { ...base, iface: SLL1_UNDERLAY, role: 'nic', merged: true, takes: (s) => mine(s) && s.encapsulation !== null },
    { ...base, iface: SLL1_INNER, role: 'other', merged: true, takes: (s) => mine(s) && s.encapsulation === null },
  ];
}

type Shape = CaptureInput['capture']['shapes'][number];

/** Why an `-i any` capture was split, for the report's notes. */
function splitNote(what: string, node: string, split: PointSpec[], opts: PointOptions): string {
  const sll2 = split[0]!.iface !== SLL1_UNDERLAY;
  const named = opts.links?.has(node);
  return sll2
    ? `${what}: tcpdump -i any, split into ${split.length} capture points by interface index${named ? ` (names from ${node}'s links file)` : `; no ${node}-links.txt (ip -o link from the node), so they are named if<N> and their roles are inferred from what crossed them`}`
    : `${what}: tcpdump -i any in SLL v1, which records no interface: split only into the encapsulated packets (${node}/${SLL1_UNDERLAY}) and the rest (${node}/${SLL1_INNER}); where packets stop inside ${node} cannot be told more precisely`;
}

export interface PointLayout {
  points: CapturePoint[];
  /** Per input: capture point by packet shape id. */
  shapePoint: Int32Array[];
  /** Per input: the points it holds. */
  inputPoints: number[][];
  /** Per input: an `-i any` capture split into points, which all ran as long as the file did. */
  split: boolean[];
  /** Why points were split or roles inferred, for the report's notes. */
  notes: string[];
  /** How those notes tell the user to correct a role. */
  roleHints: RoleHints;
}

function specsOf(inputs: readonly CaptureInput[], opts: PointOptions, notes: string[]): PointSpec[][] {
  const perNode = new Map<string, number>();
  const all = inputs.map(pointsOf);
  for (const specs of all) for (const p of specs) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
  return inputs.map((input, n) => {
    const specs = all[n]!;
    if (specs.length === 1) {
      const split = input.label.interface === 'any' && perNode.get(input.label.node) === 1 ? splitAny(input, input.label.node, -1, opts) : null;
      if (!split) return specs;
      notes.push(splitNote(input.file, input.label.node, split, opts));
      return split;
    }
    // A pcapng of several interfaces: each `any` one that is all there is of its node (the
    // `-i any` captures of several nodes in one file) is split like a file of its own.
    let split = false;
    const out = specs.flatMap((p) => {
      const parts = p.merged && perNode.get(p.node) === 1 ? splitAny(input, p.node, p.interfaceId, opts) : null;
      if (!parts) return [p];
      split = true;
      notes.push(splitNote(`${input.file} (${p.node}'s ${p.iface})`, p.node, parts, opts));
      return parts;
    });
    return split ? out.map((p) => (p.takes ? p : { ...p, takes: (s: Shape) => s.interfaceId === p.interfaceId })) : specs;
  });
}

export function capturePoints(inputs: readonly CaptureInput[], opts: PointOptions = {}): PointLayout {
  const points: CapturePoint[] = [];
  const shapePoint: Int32Array[] = [];
  const inputPoints: number[][] = [];
  const split: boolean[] = [];
  const notes: string[] = [];
  specsOf(inputs, opts, notes).forEach((specs, n) => {
    split.push(specs.some((p) => p.takes !== undefined));
    const input = inputs[n]!;
    const byIface = new Map<number, number>();
    const mine: number[] = [];
    for (const p of specs) {
      const id = points.length;
      const user = opts.roles?.get(`${p.node}/${p.iface}`);
      const recorded = user ? undefined : opts.stateRoles?.get(`${p.node}/${p.iface}`);
      points.push({
        id,
        file: input.file,
        ...(input.parts ? { parts: input.parts } : {}),
        node: p.node,
        host: p.node,
        interface: p.iface,
        role: user ?? recorded ?? p.role ?? 'other',
        // A name that says nothing (Antrea's `<pod>-<hash>` veths, if<N>) gets its role from what crosses it.
        roleSource: user ? 'user' : recorded ? 'state' : p.role === null || p.role === 'other' ? 'inferred' : 'name',
        merged: p.merged,
        ...(p.fromAny ? { fromAny: true as const } : {}),
        labelSource: p.source,
        interfaceId: p.interfaceId,
        packets: 0,
        firstNs: ns(NaN),
        lastNs: ns(NaN),
        stopKnown: false,
        runUnknown: false,
        podIp: null,
        podIps: [],
        truncated: 0,
        innerCut: 0,
        snaplen: input.capture.interfaces[Math.max(0, p.interfaceId)]?.snaplen ?? 0,
        background: emptyBackground(),
      });
      byIface.set(p.interfaceId, id);
      mine.push(id);
    }
    // A file that is one point maps every shape there; a split file by what each point takes;
    // otherwise by the shape's interface, and an interface the file never described goes to
    // its first point.
    const shapes = input.capture.shapes;
    const map = new Int32Array(shapes.length).fill(mine[0]!);
    if (specs.some((p) => p.takes)) shapes.forEach((s, i) => (map[i] = mine[Math.max(0, specs.findIndex((p) => p.takes!(s)))]!));
    else if (mine.length > 1) shapes.forEach((s, i) => (map[i] = byIface.get(s.interfaceId) ?? mine[0]!));
    shapePoint.push(map);
    inputPoints.push(mine);
  });
  return { points, shapePoint, inputPoints, split, notes, roleHints: opts.roleHints ?? 'cli' };
}

/** A capture that lost packets before recording them: what is missing there may have crossed it. */
function droppedNote(pt: CapturePoint, dropped: number, source: string): string {
  return `${pt.node}/${pt.interface}: ${source} ${dropped} packet${dropped === 1 ? ' was' : 's were'} dropped before being recorded (the buffer or the interface was full): a packet missing there may have crossed it`;
}

/** How long before a file's first packet its statistics' start may be (else it is another file's). */
const ISB_START_LEAD_NS = 10e9;

/**
 * Each point's packets and capture window (first and last timestamp, on the raw incident
 * clock), from the index's per-shape figures: no pass over the packets.
 */
export function fillWindows(inputs: readonly CaptureInput[], layout: PointLayout, epochSec: number, runWindows?: PointOptions['runWindows']): void {
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
    // The pcapng's own statistics (dumpcap writes them when it stops): the capture ran from its
    // start to its end, also while nothing crossed the interface.
    for (const id of layout.inputPoints[n]!) {
      const pt = layout.points[id]!;
      const stats = c.interfaces[pt.interfaceId >= 0 ? pt.interfaceId : 0]?.stats;
      if (!stats) continue;
      const at = (t: [number, number]) => (t[0] - epochSec) * 1e9 + t[1];
      // dumpcap's ring-buffer files may all carry the run's start: only a start moments before
      // the file's first packet is this file's.
      if (stats.start && !(at(stats.start) >= pt.firstNs) && !(pt.firstNs - at(stats.start) > ISB_START_LEAD_NS)) pt.firstNs = ns(at(stats.start));
      if (stats.end && !(at(stats.end) <= pt.lastNs)) pt.lastNs = ns(at(stats.end));
      if (stats.end) pt.stopKnown = true;
      const dropped = (stats.osDrop ?? 0) + (stats.ifDrop ?? 0);
      if (dropped > 0) {
        // One interface's statistics, or the file's for its only point: not an -i any file's for each of its interfaces.
        if ((pt.interfaceId >= 0 && !pt.fromAny) || layout.inputPoints[n]!.length === 1) pt.droppedReported = { dropped, of: pt.packets + dropped };
        layout.notes.push(droppedNote(pt, dropped, "the capture's own statistics say"));
      }
    }
    // A capture kit's tcpdumps ran through the span its manifest proves, also while nothing crossed.
    for (const id of layout.inputPoints[n]!) {
      const pt = layout.points[id]!;
      const w = runWindows?.get(pt.node);
      if (!w) continue;
      const counted = w.counts.get(pt.interface);
      const dropped = counted?.droppedByKernel ?? 0;
      if (dropped > 0) {
        // What tcpdump kept and dropped in all: a wrapped ring's files hold fewer than it kept.
        if (!pt.merged) pt.droppedReported = { dropped, of: Math.max(counted!.captured + dropped, counted!.received, pt.packets + dropped) };
        layout.notes.push(droppedNote(pt, dropped, 'its tcpdump said when it stopped that'));
      }
      if (w.late.includes(pt.interface)) pt.runUnknown = true;
      if (pt.packets === 0) continue;
      const at = (ms: number) => (ms / 1000 - epochSec) * 1e9;
      const startUnknown = pt.runUnknown || w.wrapped.includes(pt.interface);
      if (w.fromMs !== null && !startUnknown && !(at(w.fromMs) >= pt.firstNs)) pt.firstNs = ns(at(w.fromMs));
      if (w.untilMs !== null && !(at(w.untilMs) <= pt.lastNs)) pt.lastNs = ns(at(w.untilMs));
      if (w.untilMs !== null) pt.stopKnown = true;
    }
    // One `tcpdump -i any` ran for every interface it was split into: its window is each one's.
    if (layout.split[n]) {
      const points = layout.inputPoints[n]!.map((p) => layout.points[p]!).filter((p) => p.fromAny);
      for (const id of new Set(points.map((p) => p.interfaceId))) {
        const mine = points.filter((p) => p.interfaceId === id);
        const first = Math.min(...mine.map((p) => (Number.isNaN(p.firstNs) ? Infinity : p.firstNs)));
        const last = Math.max(...mine.map((p) => (Number.isNaN(p.lastNs) ? -Infinity : p.lastNs)));
        if (Number.isFinite(first)) for (const p of mine) [p.firstNs, p.lastNs] = [ns(first), ns(last)];
      }
    }
  });
}

/** The incident's time origin: the earliest first timestamp, so ns offsets stay below 2^53. */
export function incidentEpoch(inputs: readonly Pick<CaptureInput, 'capture'>[]): number {
  let epochSec = Infinity;
  for (const i of inputs) if (!Number.isNaN(i.capture.lastNs)) epochSec = Math.min(epochSec, i.capture.baseSec);
  return Number.isFinite(epochSec) ? epochSec : 0;
}

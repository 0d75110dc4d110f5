/**
 * One incident's analysis, from indexed captures to the report: labels → correlation →
 * verdicts. Pure; the CLI, the browser worker and the tests all call this.
 */
import { checkFlow } from './node-checks';
import { rolesFromState } from '../nodestate/roles';
import type { CapturedSpan, NodeState } from '../nodestate/state';
import type { IndexedCapture } from '../decode/capture-index';
import { ns, type Nanoseconds } from '../util/units';
import type { BackgroundCounts } from '../correlate/background';
import { correlate, type CaptureInput, type Correlation, type UndecodedTunnel } from '../correlate/correlate';
import type { PointOptions } from '../correlate/points';
import { interfaceRole, type InterfaceRole } from '../protocols/devices';
import { clockSide } from '../correlate/clocks';
import { resolveLabel } from '../correlate/labels';
import { analyzeFlows, type FlowReport } from '../verdict/verdict';

export interface AnalysisInput {
  file: string;
  capture: IndexedCapture;
  label?: { node: string; interface: string };
}

export interface AnalysisReport {
  captures: {
    file: string;
    /** A capture written as several files (a rotation): every file, in time order, `file` first. */
    parts?: string[];
    node: string;
    /** The node the capture ran on (`node`, or a pod's node for a capture inside the pod): its clock. */
    host: string;
    interface: string;
    labelSource: string;
    packets: number;
    clockOffsetNs: Nanoseconds;
    clockMethod: string;
    /** Packets counted apart as background (ARP, ND, DHCP, multicast…), by kind. */
    background: BackgroundCounts;
    /** What the interface is on a path, and whether its name said so, the packets did, or the user. */
    role: InterfaceRole;
    roleSource: 'name' | 'inferred' | 'user' | 'state';
    /** Packets the snap length cut short. */
    truncated: number;
  }[];
  /** Node clocks against the reference node. */
  /** `base`: for a clock unknown against the reference, the node of its own side it was measured against. */
  clocks: { node: string; offsetNs: Nanoseconds; method: string; samples: number; base?: string }[];
  referenceNode: string;
  flows: FlowReport[];
  /** Tunnels seen but not decoded: their packets are not flows (WireGuard, IPsec, …). */
  undecoded: UndecodedTunnel[];
  notes: string[];
}

/** The full analysis; `correlation` is returned too for screens that draw from it. */
export interface AnalysisOptions extends PointOptions {
  /** The nodes' recorded state (capture-kit bundles), by node name: causes are checked against it. */
  nodeStates?: ReadonlyMap<string, NodeState>;
}

export function analyze(inputs: AnalysisInput[], opts: AnalysisOptions = {}): { report: AnalysisReport; correlation: Correlation } {
  const notes: string[] = [];
  const names = (i: AnalysisInput) => i.capture.interfaces.map((x) => x.name);
  // Nodes the files name clearly help split the names no interface pattern knows.
  const firstPass = inputs.map((i) => resolveLabel(i.file, i.label, names(i)));
  const knownNodes = [...new Set(firstPass.filter((l) => l.source !== 'unknown' && interfaceRole(l.interface) !== 'other').map((l) => l.node))];
  const captureInputs: CaptureInput[] = inputs.map((i) => ({
    file: i.file,
    capture: i.capture,
    label: resolveLabel(i.file, i.label, names(i), knownNodes),
  }));
  // A multi-interface pcapng beside the per-interface files it was made from repeats them.
  const named = (ci: CaptureInput) => {
    const names = ci.capture.interfaces.map((x) => x.name).filter((x): x is string => !!x);
    return names.length > 1 ? names.map((n) => n.replace(':', '/')) : null;
  };
  const single = new Set(captureInputs.filter((ci) => !named(ci)).map((ci) => `${ci.label.node}/${ci.label.interface}`));
  const kept = captureInputs.filter((ci) => {
    const names = named(ci);
    if (names && names.every((n) => single.has(n))) {
      notes.push(`${ci.file} holds ${names.length} interfaces already given as separate files; not counted twice`);
      return false;
    }
    return true;
  });
  // A node's own `ip -d link` says what each of its interfaces is: no guessing where it was recorded.
  const stateRoles = new Map<string, InterfaceRole>();
  for (const st of opts.nodeStates?.values() ?? []) for (const [iface, role] of rolesFromState(st, st.defaultRoutes)) stateRoles.set(`${st.node}/${iface}`, role);
  const runWindows = new Map<string, CapturedSpan>();
  for (const st of opts.nodeStates?.values() ?? []) runWindows.set(st.node, st.captured);
  const correlation = correlate(kept, stateRoles.size > 0 || runWindows.size > 0 ? { ...opts, stateRoles, runWindows } : opts);
  notes.push(...correlation.notes);
  const flows = analyzeFlows(correlation);
  if (opts.nodeStates?.size) for (const f of flows) f.checks = checkFlow(f, opts.nodeStates);
  const clockOf = (node: string) => correlation.clocks.get(node);
  const clocks = [...correlation.clocks.values()];
  for (const c of clocks) {
    if (c.method === 'one-way') notes.push(`${c.node}'s clock offset comes from one direction only (delay taken as zero)`);
    if (c.method !== 'unknown' || c.base !== c.node) continue;
    const side = clockSide(clocks, c.node);
    notes.push(
      side.length === 0
        ? `${c.node} shares no packet with the other nodes: its clock offset is unknown`
        : `${[c.node, ...side].join(' and ')} share packets only with each other: their clocks are measured against ${c.node}'s, not the reference's`,
    );
  }
  return {
    correlation,
    report: {
      captures: correlation.points.map((p) => ({
        file: p.file,
        ...(p.parts ? { parts: p.parts.map((x) => x.file) } : {}),
        node: p.node,
        host: p.host,
        interface: p.interface,
        labelSource: p.labelSource,
        packets: p.packets,
        clockOffsetNs: ns(Math.round(clockOf(p.host)?.offsetNs ?? 0)),
        clockMethod: clockOf(p.host)?.method ?? 'unknown',
        role: p.role,
        roleSource: p.roleSource,
        truncated: p.truncated,
        background: { ...p.background },
      })),
      clocks: clocks.map(({ base, ...c }) => ({ ...c, offsetNs: ns(Math.round(c.offsetNs)), ...(c.method === 'unknown' && base !== c.node ? { base } : {}) })),
      referenceNode: correlation.referenceNode,
      flows,
      undecoded: correlation.undecoded,
      notes,
    },
  };
}

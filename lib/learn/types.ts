/** The lesson model: steps as data, their sentences and claims as functions of the facts. */
import type { LayerRole } from './byte-view';
import type { StationFacts, WalkFacts } from './facts';
import type { ProbeSelector } from './probe';
import type { VerdictFacts } from './verdict-facts';

export type LessonId = 'vxlan' | 'flannel-udp' | 'ipip' | 'break-it';

/** Everything a step's text may quote, all read from the sample packets. */
export interface StepFacts {
  walk: WalkFacts;
  /** The packet the step shows, at its station. */
  shown: StationFacts;
  /** Hopscope's verdict on the flow of the step's packet (Break it). */
  verdict?: VerdictFacts;
  /** A second sample the step compares with ("looks identical to …"). */
  compare?: { sample: string; walk: WalkFacts; verdict?: VerdictFacts };
}

/** A sentence the lesson asserts, and whether the packets bear it out. */
export interface Claim {
  text: string;
  holds: boolean;
}

export interface StepSpec {
  id: string;
  title: string;
  /** `<node>/<interface>`: where the shown packet was captured. */
  station: string;
  /** Overrides of the lesson's sample, path and probe (Break it: one sample per step). */
  sample?: string;
  path?: string[];
  probe?: ProbeSelector;
  /** Show the first packet at the station matching this instead of the probe itself. */
  show?: ProbeSelector;
  compareSample?: string;
  /** The layers the text is about: drawn emphasised. */
  focus?: LayerRole[];
  text: (f: StepFacts) => string[];
  claims: (f: StepFacts) => Claim[];
}

export type StationKind = 'veth' | 'bridge' | 'vtep' | 'tun' | 'nic';

export interface DiagramStation {
  id: string;
  kind: StationKind;
}

export interface Lesson {
  id: LessonId;
  title: string;
  /** One line for the picker. */
  blurb: string;
  sample: string;
  /** Stations in path order, client first. */
  path: string[];
  probe: ProbeSelector;
  /** The two nodes of the diagram, and what sits on each station. */
  stations: DiagramStation[];
  /** What joins the nodes: "UDP 8472 (VXLAN)". */
  underlay: string;
  intro: string[];
  steps: StepSpec[];
}

/**
 * Hopscope's own verdict on a sample, for "Break it": the same analysis the dashboard runs
 * (lib/analyze), on the same one-file pcapng, reduced to the flow the step follows.
 */
import { analyze } from '../analyze';
import type { FlowReport, VerdictKind } from '../verdict/verdict';
import type { StationFacts } from './facts';
import { sampleFile, type LoadedSample } from './sample';

export interface VerdictFacts {
  kind: VerdictKind;
  summary: string;
  transition: string | null;
  causes: { text: string; check: string }[];
  requestsStopAfter: string | null;
  repliesStopAfter: string | null;
  hops: { station: string; requests: number; replies: number }[];
  icmpErrors: { at: string; from: string; meaning: string; mtu: number | null; count: number }[];
  translations: { at: string; kind: string; from: string; to: string }[];
}

/** The analysis of a whole sample: every flow's report (memoised per loaded sample). */
const cache = new WeakMap<LoadedSample, FlowReport[]>();

export function sampleReports(sample: LoadedSample): FlowReport[] {
  let flows = cache.get(sample);
  if (!flows) {
    flows = analyze([{ file: sampleFile(sample.name), capture: sample.capture }]).report.flows;
    cache.set(sample, flows);
  }
  return flows;
}

/**
 * The report of the flow `probe` (the step's packet at the client's station) belongs to:
 * an ICMP echo by its identifier, TCP or UDP by the client's port.
 */
export function verdictFor(sample: LoadedSample, probe: StationFacts): VerdictFacts | undefined {
  const flows = sampleReports(sample);
  const f = flows.find((r) =>
    probe.icmp
      ? r.protocol === 'icmp' && r.icmpId === probe.icmp.id && r.client === probe.ip.src
      : probe.tcp
        ? r.protocol === 'tcp' && r.clientPort === probe.tcp.src && r.client === probe.ip.src
        : false,
  );
  if (!f) return undefined;
  return {
    kind: f.verdict.kind,
    summary: f.verdict.summary,
    transition: f.verdict.transition,
    causes: f.verdict.causes.map((c) => ({ text: c.text, check: c.check })),
    requestsStopAfter: f.requestsStopAfter,
    repliesStopAfter: f.repliesStopAfter,
    hops: f.hops.map((h) => ({ station: `${h.node}/${h.interface}`, requests: h.requests, replies: h.replies })),
    icmpErrors: f.icmpErrors.map((e) => ({ at: e.at, from: e.from, meaning: e.meaning, mtu: e.mtu, count: e.count })),
    translations: f.translations.map((t) => ({ ...t })),
  };
}

/**
 * Holds an analysis of the incident against what the generator knows: the broken flow must be
 * found stopping after node2/flannel.1, and every flow between a pod on node1 and a pod on
 * node2 (directly or through a ClusterIP) must be delivered. Everything else (probes, scrapes,
 * the underlay, same-node traffic) is healthy too, and reported apart.
 */
import type { AnalysisReport } from '../../analyze';
import type { FlowReport } from '../../verdict/verdict';
import { BROKEN_FLOW, CAPTURE_POINTS, ipv4, ipv4Text, NODES, SERVICES, type ClusterNode } from './cluster';

export interface JudgedFlow {
  flow: FlowReport;
  /** One line: protocol, endpoints, verdict, where it stops, the summary. */
  text: string;
}

export interface Judgement {
  broken: JudgedFlow | null;
  /** The broken flow was found, request-dropped after node2/flannel.1. */
  brokenOk: boolean;
  podToPod: { total: number; delivered: number; wrong: JudgedFlow[] };
  other: { total: number; delivered: number; wrong: JudgedFlow[] };
}

export const BROKEN_STOP = `${CAPTURE_POINTS[BROKEN_FLOW.lastPoint]!.node.name}/${CAPTURE_POINTS[BROKEN_FLOW.lastPoint]!.interface}`;

function nodeOf(address: string): ClusterNode | null {
  if (address.includes(':')) return null;
  const ip = ipv4(address);
  for (const s of Object.values(SERVICES)) if (s.clusterIp === ip) return s.endpoint.node;
  return NODES.find((n) => ip >>> 8 === n.podNet >>> 8 && (ip & 0xff) > 1) ?? null;
}

export function describeFlow(f: FlowReport): string {
  const end = (a: string, p: number | null) => (p === null ? a : `${a}:${p}`);
  const stop = f.requestsStopAfter ?? f.repliesStopAfter;
  return `${f.protocol.toUpperCase()} ${end(f.client, f.clientPort)} → ${end(f.server, f.serverPort)}: ${f.verdict.kind}${stop ? ` (stops after ${stop})` : ''} — ${f.verdict.summary}`;
}

export function judge(report: AnalysisReport, brokenClientPort: number): Judgement {
  const out: Judgement = {
    broken: null,
    brokenOk: false,
    podToPod: { total: 0, delivered: 0, wrong: [] },
    other: { total: 0, delivered: 0, wrong: [] },
  };
  const client = ipv4Text(BROKEN_FLOW.client.ip);
  const server = ipv4Text(BROKEN_FLOW.server.ip);
  for (const f of report.flows) {
    const j = { flow: f, text: describeFlow(f) };
    const ends = new Set([`${f.client}:${f.clientPort}`, `${f.server}:${f.serverPort}`]);
    if (f.protocol === 'tcp' && ends.has(`${client}:${brokenClientPort}`) && ends.has(`${server}:${BROKEN_FLOW.serverPort}`)) {
      out.broken = j;
      out.brokenOk = f.verdict.kind === 'request-dropped' && f.requestsStopAfter === BROKEN_STOP && f.client === client;
      continue;
    }
    const a = nodeOf(f.client);
    const b = nodeOf(f.server);
    const bucket = a && b && a !== b ? out.podToPod : out.other;
    bucket.total++;
    if (f.verdict.kind === 'delivered') bucket.delivered++;
    else bucket.wrong.push(j);
  }
  return out;
}

/**
 * The JSON document of `hopscope analyze --json` (the README documents it), from a pure module
 * the browser can load: the dashboard's JSON export is this same document.
 */
import type { AnalysisReport } from '../analyze';

export function reportJson(r: AnalysisReport): unknown {
  return {
    captures: r.captures.map((c) => ({ file: c.file, ...(c.parts ? { parts: c.parts } : {}), node: c.node, interface: c.interface, packets: c.packets, clockOffsetNs: c.clockOffsetNs, labelSource: c.labelSource, clockMethod: c.clockMethod, role: c.role, roleSource: c.roleSource, truncated: c.truncated, background: c.background })),
    referenceNode: r.referenceNode,
    flows: r.flows.map((f) => ({
      protocol: f.protocol,
      client: f.client,
      clientPort: f.clientPort,
      server: f.server,
      serverPort: f.serverPort,
      icmpId: f.icmpId,
      translations: f.translations,
      hops: f.hops.map((h) => ({ node: h.node, interface: h.interface, requests: h.requests, replies: h.replies, ...(h.notRecording ? { notRecording: true } : {}), ...(h.innerCut ? { innerCut: true } : {}) })),
      notCaptured: f.notCaptured,
      offPath: f.offPath,
      ...(f.checks.length > 0 ? { checks: f.checks } : {}),
      requestsStopAfter: f.requestsStopAfter,
      repliesStopAfter: f.repliesStopAfter,
      icmpErrors: f.icmpErrors,
      encapsulation: f.encapsulation.map((e) => ({ at: e.at, kind: e.kind, vni: e.vni, port: e.port, outerSrc: e.outerSrc, outerDst: e.outerDst })),
      verdict: { kind: f.verdict.kind, summary: f.verdict.summary, transition: f.verdict.transition, causes: f.verdict.causes, rule: f.verdict.rule },
    })),
    undecoded: r.undecoded,
    notes: r.notes,
  };
}

/** What the JSON export downloads: the document, pretty-printed as the CLI prints it. */
export function reportJsonText(r: AnalysisReport): string {
  return JSON.stringify(reportJson(r), null, 2) + '\n';
}

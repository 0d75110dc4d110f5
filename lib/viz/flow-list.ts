/**
 * The flow list's pure parts: the status badge of a flow, search and filters, and the station a
 * flow opens on. The report comes worst first (lib/verdict); the list keeps that order.
 */
import type { FlowReport, VerdictKind } from '@/lib/verdict/verdict';
import { verdictSeverity } from '@/lib/verdict/verdict';

export type BadgeTone = 'ok' | 'bad' | 'warn' | 'muted';

export interface FlowBadge {
  tone: BadgeTone;
  text: string;
}

export type StatusFilter = 'all' | 'problems' | 'delivered';
export type ProtocolFilter = 'all' | FlowReport['protocol'];

export interface FlowFilters {
  query: string;
  protocol: ProtocolFilter;
  status: StatusFilter;
}

export const NO_FILTERS: FlowFilters = { query: '', protocol: 'all', status: 'all' };

export function flowBadge(f: FlowReport): FlowBadge {
  const k: VerdictKind = f.verdict.kind;
  switch (k) {
    case 'delivered':
      return { tone: 'ok', text: 'delivered' };
    case 'request-dropped':
      return { tone: 'bad', text: `stops at ${f.requestsStopAfter ?? '?'}` };
    case 'reply-dropped':
      return { tone: 'bad', text: `replies stop at ${f.repliesStopAfter ?? '?'}` };
    case 'size-dependent': {
      const at = f.requestsStopAfter ?? f.repliesStopAfter;
      return { tone: 'bad', text: at ? `large packets stop at ${at}` : 'large packets lost' };
    }
    case 'rejected':
      return { tone: 'warn', text: 'rejected' };
    case 'no-reply':
      return { tone: 'bad', text: 'no reply' };
    case 'partial-loss':
      return { tone: 'warn', text: 'partial' };
    case 'not-observed':
      return { tone: 'muted', text: 'not observed' };
  }
}

export function endpoint(addr: string, port: number | null): string {
  if (port === null) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** What a search matches on: endpoints, ports, protocol, verdict, and the stations named. */
function haystack(f: FlowReport): string {
  return [
    f.protocol,
    endpoint(f.client, f.clientPort),
    endpoint(f.server, f.serverPort),
    f.icmpId !== null ? `id ${f.icmpId}` : '',
    f.verdict.kind,
    flowBadge(f).text,
    f.verdict.summary,
    ...f.translations.flatMap((t) => [t.kind, t.from, t.to]),
  ]
    .join(' \u0000 ')
    .toLowerCase();
}

/** Every whitespace-separated term must occur (in any field). */
export function flowMatches(f: FlowReport, query: string): boolean {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  const h = haystack(f);
  return terms.every((t) => h.includes(t));
}

export function visibleFlows(flows: readonly FlowReport[], filters: FlowFilters): FlowReport[] {
  const out = flows.filter(
    (f) =>
      (filters.protocol === 'all' || f.protocol === filters.protocol) &&
      (filters.status === 'all' || (filters.status === 'delivered') === (f.verdict.kind === 'delivered')) &&
      flowMatches(f, filters.query),
  );
  // The report is worst first already; a stable sort keeps that promise for any input.
  return out.sort((a, b) => verdictSeverity(a.verdict.kind) - verdictSeverity(b.verdict.kind));
}

export function flowCounts(flows: readonly FlowReport[]): { total: number; problems: number } {
  return { total: flows.length, problems: flows.filter((f) => f.verdict.kind !== 'delivered').length };
}

/** The station a flow opens on: where its packets stop, else its first capture point. */
export function defaultStation(f: FlowReport): number | null {
  const at = f.requestsStopAfter ?? f.repliesStopAfter;
  const hop = at ? f.hops.find((h) => `${h.node}/${h.interface}` === at) : undefined;
  return (hop ?? f.hops.find((h) => h.role !== 'any') ?? f.hops[0])?.point ?? null;
}

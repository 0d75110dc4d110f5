/**
 * The flow list's pure parts: the status badge of a flow, search and filters, and the station a
 * flow opens on. The report comes worst first (lib/verdict); the list keeps that order.
 */
import type { FlowReport, VerdictKind } from '@/lib/verdict/verdict';
import { BACKGROUND_KINDS, BACKGROUND_NAMES, type BackgroundCounts, type BackgroundKind } from '@/lib/correlate/background';
import { verdictSeverity } from '@/lib/verdict/verdict';
import { formatCount } from '../util/count-format';

export type BadgeTone = 'ok' | 'bad' | 'warn' | 'muted';

export interface FlowBadge {
  tone: BadgeTone;
  text: string;
}

export type StatusFilter = 'all' | 'problems' | 'delivered';
export type ProtocolFilter = 'all' | FlowReport['protocol'];
export type VerdictFilter = 'all' | VerdictKind;

export interface FlowFilters {
  query: string;
  protocol: ProtocolFilter;
  status: StatusFilter;
  verdict: VerdictFilter;
}

export const NO_FILTERS: FlowFilters = { query: '', protocol: 'all', status: 'all', verdict: 'all' };

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

/** Every port the flow's packets carried, before and after NAT. */
function ports(f: FlowReport): Set<string> {
  const out = new Set<string>();
  if (f.clientPort !== null) out.add(String(f.clientPort));
  if (f.serverPort !== null) out.add(String(f.serverPort));
  for (const t of f.translations) for (const m of `${t.from} ${t.to}`.matchAll(/:(\d+)\b/g)) out.add(m[1]!);
  return out;
}

/** Every address the flow's packets carried, before and after NAT. */
function addresses(f: FlowReport): string[] {
  const out = [f.client, f.server];
  for (const t of f.translations) for (const e of `${t.from} → ${t.to}`.split(/ → /)) out.push(e.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^([^:\[\]]+):\d+$/, '$1'));
  return out.map((a) => a.toLowerCase());
}

/**
 * Every whitespace-separated term must hold. `port:80` matches a port the flow carried (either
 * end, before or after NAT), `addr:10.244.2.` an address that starts so, `verdict:no-reply`
 * the verdict; any other term is looked for in the flow's text (endpoints, protocol, verdict,
 * stations).
 */
export function flowMatches(f: FlowReport, query: string): boolean {
  return queryMatcher(query)(f);
}

/** The query parsed once, as a test of one flow (a list of thousands is filtered with it). */
function queryMatcher(query: string): (f: FlowReport) => boolean {
  const terms = query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => (t.includes(':') && /^(port|addr|host|verdict):/.test(t) ? [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)] : ['', t]) as [string, string]);
  if (terms.length === 0) return () => true;
  return (f) => {
    const h = haystack(f);
    return terms.every(([key, value]) => {
      if (key === 'port') return ports(f).has(value);
      if (key === 'addr' || key === 'host') return addresses(f).some((a) => a.startsWith(value));
      if (key === 'verdict') return f.verdict.kind.startsWith(value);
      return h.includes(value);
    });
  };
}

export function visibleFlows(flows: readonly FlowReport[], filters: FlowFilters): FlowReport[] {
  const matches = queryMatcher(filters.query);
  const out = flows.filter(
    (f) =>
      (filters.protocol === 'all' || f.protocol === filters.protocol) &&
      (filters.status === 'all' || (filters.status === 'delivered') === (f.verdict.kind === 'delivered')) &&
      (filters.verdict === 'all' || f.verdict.kind === filters.verdict) &&
      matches(f),
  );
  // Worst first for any input; the report is already, and a stable sort of sorted input is one pass.
  return out.sort((a, b) => verdictSeverity(a.verdict.kind) - verdictSeverity(b.verdict.kind));
}

/**
 * What an empty flow list says: "no flow" only once an analysis found none, never while the
 * captures are still read or analysed (a list that says "no flow" mid-read is a false alarm).
 */
export function emptyListText(o: { flows: number; reading: boolean; analysing: boolean; analysed: boolean; coming?: number }): string {
  if (o.flows > 0) return o.coming ? `No flow matches yet: ${o.coming} more are on their way.` : 'No flow matches.';
  if (o.reading) return 'The captures are still being read.';
  if (o.analysing) return 'Analysing…';
  return o.analysed ? 'No flow in these captures.' : 'No flow.';
}


/**
 * The incident's background packets (ARP, neighbour discovery, DHCP, multicast…): how many,
 * and by kind in words, "ARP 14, IPv6 neighbour discovery 6".
 */
export function backgroundSummary(captures: readonly { background: BackgroundCounts }[]): { total: number; text: string } {
  const sum = new Map<BackgroundKind, number>();
  for (const c of captures) for (const k of BACKGROUND_KINDS) sum.set(k, (sum.get(k) ?? 0) + c.background[k]);
  const parts = BACKGROUND_KINDS.filter((k) => sum.get(k)! > 0).map((k) => `${BACKGROUND_NAMES[k]} ${formatCount(sum.get(k)!)}`);
  return { total: [...sum.values()].reduce((a, b) => a + b, 0), text: parts.join(', ') };
}

/** The station a flow opens on: where its packets stop, else its first capture point. */
export function defaultStation(f: FlowReport): number | null {
  const at = f.requestsStopAfter ?? f.repliesStopAfter;
  const hop = at ? f.hops.find((h) => `${h.node}/${h.interface}` === at) : undefined;
  return (hop ?? f.hops.find((h) => h.role !== 'any') ?? f.hops[0])?.point ?? null;
}

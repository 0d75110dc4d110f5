import { ns } from '@/lib/util/units';
import { describe, expect, it } from 'vitest';
import type { FlowReport, VerdictKind } from '@/lib/verdict/verdict';
import { defaultStation, emptyListText, flowBadge, flowMatches, visibleFlows, NO_FILTERS } from './flow-list';

let nextId = 0;
function flow(kind: VerdictKind, over: Partial<FlowReport> = {}): FlowReport {
  return {
    id: nextId++,
    protocol: 'tcp',
    client: '10.244.1.2',
    clientPort: 40080,
    server: '10.244.2.2',
    serverPort: 80,
    icmpId: null,
    translations: [],
    hops: [
      { node: 'node1', host: 'node1', interface: 'veth1', role: 'pod', point: 0, file: 'a', requests: 3, replies: 0 },
      { node: 'node1', host: 'node1', interface: 'any', role: 'any', point: 4, file: 'e', requests: 3, replies: 0 },
      { node: 'node2', host: 'node2', interface: 'eth0', role: 'nic', point: 1, file: 'b', requests: 3, replies: 0 },
      { node: 'node2', host: 'node2', interface: 'flannel.1', role: 'overlay', point: 2, file: 'c', requests: 3, replies: 0 },
      { node: 'node2', host: 'node2', interface: 'cni0', role: 'bridge', point: 3, file: 'd', requests: 0, replies: 0 },
    ],
    notCaptured: [],
    offPath: [],
    checks: [],
    stopLostSize: null,
    encapsulation: [],
    requests: { sent: 3, delivered: 0 },
    replies: { sent: 0, delivered: 0 },
    requestsStopAfter: null,
    repliesStopAfter: null,
    icmpErrors: [],
    firstNs: ns(0),
    verdict: { kind, summary: `${kind} summary`, transition: null, causes: [], rule: { name: 'test', description: 'a test flow', evidence: [] } },
    ...over,
  };
}

describe('flowBadge', () => {
  it('names the stop for drops, and says delivered, rejected, partial plainly', () => {
    expect(flowBadge(flow('request-dropped', { requestsStopAfter: 'node2/flannel.1' }))).toEqual({ tone: 'bad', text: 'stops at node2/flannel.1' });
    expect(flowBadge(flow('reply-dropped', { repliesStopAfter: 'node1/flannel.1' }))).toEqual({ tone: 'bad', text: 'replies stop at node1/flannel.1' });
    expect(flowBadge(flow('size-dependent', { requestsStopAfter: 'node1/cni0' })).text).toBe('large packets stop at node1/cni0');
    expect(flowBadge(flow('size-dependent')).text).toBe('large packets lost');
    expect(flowBadge(flow('delivered'))).toEqual({ tone: 'ok', text: 'delivered' });
    expect(flowBadge(flow('rejected'))).toEqual({ tone: 'warn', text: 'rejected' });
    expect(flowBadge(flow('partial-loss'))).toEqual({ tone: 'warn', text: 'partial' });
    expect(flowBadge(flow('no-reply')).text).toBe('no reply');
    expect(flowBadge(flow('not-observed')).tone).toBe('muted');
  });
});

describe('visibleFlows', () => {
  const flows = [
    flow('delivered', { protocol: 'icmp', clientPort: null, serverPort: null, icmpId: 7, server: '10.244.2.9' }),
    flow('rejected', { serverPort: 82 }),
    flow('request-dropped', { requestsStopAfter: 'node2/flannel.1', protocol: 'udp', serverPort: 53 }),
    flow('reply-dropped', { repliesStopAfter: 'node1/flannel.1' }),
  ];

  it('puts the worst flows first, whatever order they come in', () => {
    expect(visibleFlows(flows, NO_FILTERS).map((f) => f.verdict.kind)).toEqual(['request-dropped', 'reply-dropped', 'rejected', 'delivered']);
  });

  it('keeps the order of equally bad flows (the report sorts them by time)', () => {
    const a = flow('request-dropped');
    const b = flow('request-dropped');
    expect(visibleFlows([a, b], NO_FILTERS)).toEqual([a, b]);
    expect(visibleFlows([b, a], NO_FILTERS)).toEqual([b, a]);
  });

  it('filters by status and protocol', () => {
    expect(visibleFlows(flows, { ...NO_FILTERS, status: 'problems' })).toHaveLength(3);
    expect(visibleFlows(flows, { ...NO_FILTERS, status: 'delivered' }).map((f) => f.protocol)).toEqual(['icmp']);
    expect(visibleFlows(flows, { ...NO_FILTERS, protocol: 'udp' }).map((f) => f.serverPort)).toEqual([53]);
  });

  it('searches every term across endpoints, ports, verdicts and stations', () => {
    expect(visibleFlows(flows, { ...NO_FILTERS, query: '10.244.2.2:53' })).toHaveLength(1);
    expect(visibleFlows(flows, { ...NO_FILTERS, query: 'FLANNEL.1' })).toHaveLength(2);
    expect(visibleFlows(flows, { ...NO_FILTERS, query: 'flannel.1 replies' }).map((f) => f.verdict.kind)).toEqual(['reply-dropped']);
    expect(visibleFlows(flows, { ...NO_FILTERS, query: 'id 7' }).map((f) => f.protocol)).toEqual(['icmp']);
    expect(visibleFlows(flows, { ...NO_FILTERS, query: 'nothing-like-this' })).toEqual([]);
  });

  it('matches translations too', () => {
    const f = flow('request-dropped', { translations: [{ at: 'node1/cni0', kind: 'DNAT', from: 'a → 10.108.94.160:80', to: 'a → 10.244.2.2:80' }] });
    expect(flowMatches(f, 'dnat 10.108.94.160')).toBe(true);
  });
});

describe('structured search terms and the verdict filter', () => {
  const svc = flow('delivered', {
    server: '10.96.0.10',
    serverPort: 53,
    protocol: 'udp',
    translations: [{ at: 'node1/cni0', kind: 'DNAT', from: '10.244.1.2:40053 → 10.96.0.10:53', to: '10.244.1.2:40053 → 10.244.2.5:5353' }],
  });
  const dropped = flow('request-dropped', { serverPort: 8080 });
  it('port: matches a port either end, before or after NAT, and only whole ports', () => {
    expect(flowMatches(svc, 'port:53')).toBe(true);
    expect(flowMatches(svc, 'port:5353')).toBe(true);
    expect(flowMatches(svc, 'port:5')).toBe(false);
    expect(flowMatches(dropped, 'port:8080')).toBe(true);
    expect(flowMatches(dropped, 'port:80')).toBe(false);
  });
  it('addr: matches an address that starts so, translated ones included', () => {
    expect(flowMatches(svc, 'addr:10.244.2.5')).toBe(true);
    expect(flowMatches(svc, 'addr:10.96.')).toBe(true);
    expect(flowMatches(svc, 'addr:10.245')).toBe(false);
  });
  it('verdict: in the search, and the verdict filter', () => {
    expect(flowMatches(dropped, 'verdict:request')).toBe(true);
    expect(flowMatches(svc, 'verdict:request')).toBe(false);
    expect(visibleFlows([svc, dropped], { ...NO_FILTERS, verdict: 'delivered' })).toEqual([svc]);
    expect(visibleFlows([svc, dropped], { ...NO_FILTERS, verdict: 'request-dropped', query: 'port:8080' })).toEqual([dropped]);
  });
});

describe('defaultStation', () => {
  it('opens where the packets stop, else on the first station that is not -i any', () => {
    expect(defaultStation(flow('request-dropped', { requestsStopAfter: 'node2/flannel.1' }))).toBe(2);
    expect(defaultStation(flow('reply-dropped', { repliesStopAfter: 'node2/eth0' }))).toBe(1);
    expect(defaultStation(flow('delivered'))).toBe(0);
    const anyFirst = flow('delivered');
    anyFirst.hops = [anyFirst.hops[1]!, anyFirst.hops[2]!];
    expect(defaultStation(anyFirst)).toBe(1);
    expect(defaultStation(flow('delivered', { hops: [] }))).toBeNull();
  });
});

describe('emptyListText', () => {
  it('says "no flow" only once an analysis found none', () => {
    const base = { flows: 0, reading: false, analysing: false, analysed: false };
    expect(emptyListText({ ...base, reading: true })).toBe('The captures are still being read.');
    expect(emptyListText({ ...base, reading: true, analysed: true })).toBe('The captures are still being read.');
    expect(emptyListText({ ...base, analysing: true })).toBe('Analysing…');
    expect(emptyListText({ ...base, analysed: true })).toBe('No flow in these captures.');
    expect(emptyListText(base)).toBe('No flow.');
    // Flows there, none shown: the filters hide them.
    expect(emptyListText({ ...base, flows: 3, reading: true })).toBe('No flow matches.');
    // The worst flows shown, the rest still on their way from the worker: not a final "no".
    expect(emptyListText({ ...base, flows: 250, analysed: true, coming: 16241 })).toBe('No flow matches yet: 16241 more are on their way.');
    expect(emptyListText({ ...base, flows: 250, analysed: true, coming: 0 })).toBe('No flow matches.');
  });
});

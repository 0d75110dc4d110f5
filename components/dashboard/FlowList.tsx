'use client';

import { useEffect, useMemo, useRef, useState } from 'react';
import { useDashboardActions, useFiles, useFilters, usePanelView, useSelection } from '@/components/store/dashboard-store-provider';
import { backgroundSummary, emptyListText, endpoint, flowBadge, visibleFlows, type ProtocolFilter, type StatusFilter, type VerdictFilter } from '@/lib/viz/flow-list';
import { formatCount } from '@/lib/util/count-format';
import { VERDICT_TITLES } from '@/lib/report/markdown';
import { verdictCounts, verdictSeverity, type VerdictKind } from '@/lib/verdict/verdict';
import { scrollToRow, visibleRange } from './virtual-window';
import { Panel, ToneBadge } from './ui';

const ROW = 54;
const PROTOCOLS: ProtocolFilter[] = ['all', 'tcp', 'udp', 'icmp', 'icmpv6', 'other'];
const STATUSES: { value: StatusFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'problems', label: 'Problems' },
  { value: 'delivered', label: 'Delivered' },
];

/** Every flow, worst first: searchable, filterable, windowed, and driven by the arrow keys. */
export function FlowList({ className = '' }: { className?: string }) {
  // The flows as the background render draws them; the selection live, so that arrow keys
  // pressed faster than that render step from the flow last picked, not from the one drawn.
  const { report, status, flowsToCome } = usePanelView().analysis;
  const selection = useSelection();
  const reading = useFiles().some((f) => f.status === 'queued' || f.status === 'reading');
  const filters = useFilters();
  const { setFilters, selectFlow } = useDashboardActions();
  const all = useMemo(() => report?.flows ?? [], [report]);
  const flows = useMemo(() => visibleFlows(all, filters), [all, filters]);
  const counts = verdictCounts(all);
  const background = useMemo(() => backgroundSummary(report?.captures ?? []), [report]);
  // The verdicts this incident has, worst first: the filter offers only those.
  const present = useMemo(() => [...new Set(all.map((f) => f.verdict.kind))].sort((a, b) => verdictSeverity(a) - verdictSeverity(b)) as VerdictKind[], [all]);
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const active = flows.findIndex((f) => f.id === selection.flow);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Keep the selected flow in view when it changes (keyboard, URL, another panel).
  // In the next frame, where the page is laid out anyway: read here, the scroll position made the
  // browser lay out the whole new page inside the task that rendered the verdict (22 ms of the
  // longest task on a 1M-packet capture, measured in Chromium).
  useEffect(() => {
    const el = scroller.current;
    if (!el || active < 0) return;
    const frame = requestAnimationFrame(() => {
      const to = scrollToRow(active, el.scrollTop, el.clientHeight, ROW);
      if (to !== null) el.scrollTop = to;
    });
    return () => cancelAnimationFrame(frame);
  }, [active]);

  const range = visibleRange(view.top, view.height, ROW, flows.length, 6);
  const move = (to: number) => {
    const f = flows[Math.max(0, Math.min(flows.length - 1, to))];
    if (f) selectFlow(f.id);
  };

  return (
    <Panel
      title={
        <span>
          Flows{' '}
          <span className="font-normal text-muted">
            {flowsToCome > 0 ? (
              <span data-testid="flows-coming" title="The worst flows are shown; the rest are on their way from the analysis">
                {counts.total} of {counts.total + flowsToCome}
              </span>
            ) : (
              counts.total
            )}{' '}
            · <span className={counts.problems ? 'text-danger' : ''}>
              {counts.problems} with a problem
              {/* Problems come first: once a delivered flow is here, none is left to come. */}
              {flowsToCome > 0 && counts.problems + counts.unobserved === counts.total ? ' so far' : ''}
            </span>
            {counts.unobserved > 0 && (
              <span data-testid="unobserved-count" title="Flows the captures cannot judge: not seen where the answer would be, or the captures ended too soon">
                {' '}· {counts.unobserved} not observed
              </span>
            )}
            {background.total > 0 && (
              <span data-testid="background-count" title={`Counted apart, never flows: ${background.text}`}>
                {' '}· {formatCount(background.total)} background
              </span>
            )}
          </span>
        </span>
      }
      className={className}
      bodyClassName="flex min-h-0 flex-col"
      wrapTitle
      aria-label="Flows"
    >
      <div className="space-y-2 border-b border-border p-3">
        <input
          type="search"
          aria-label="Search flows"
          placeholder="Search: address, port:80, addr:10.244.2., node/interface…"
          value={filters.query}
          onChange={(e) => setFilters({ query: e.currentTarget.value })}
          className="w-full rounded-md border border-border bg-panel-2 px-2.5 py-1.5 text-sm"
        />
        <div className="flex flex-wrap items-center gap-2">
          <div role="group" aria-label="Status filter" className="flex rounded-md border border-border p-0.5 text-xs">
            {STATUSES.map((s) => (
              <button
                key={s.value}
                type="button"
                aria-pressed={filters.status === s.value}
                onClick={() => setFilters({ status: s.value })}
                className="rounded px-2 py-0.5 text-muted hover:text-fg aria-pressed:bg-accent-soft aria-pressed:font-medium aria-pressed:text-fg"
              >
                {s.label}
              </button>
            ))}
          </div>
          <select
            aria-label="Protocol filter"
            value={filters.protocol}
            onChange={(e) => setFilters({ protocol: e.currentTarget.value as ProtocolFilter })}
            className="rounded-md border border-border bg-panel-2 px-1.5 py-0.5 text-xs"
          >
            {PROTOCOLS.map((p) => (
              <option key={p} value={p}>
                {p === 'all' ? 'All protocols' : p.toUpperCase()}
              </option>
            ))}
          </select>
          <select
            aria-label="Verdict filter"
            value={filters.verdict}
            onChange={(e) => setFilters({ verdict: e.currentTarget.value as VerdictFilter })}
            className="min-w-0 flex-1 rounded-md border border-border bg-panel-2 px-1.5 py-0.5 text-xs"
          >
            <option value="all">All verdicts</option>
            {present.map((k) => (
              <option key={k} value={k}>
                {VERDICT_TITLES[k]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div
        ref={scroller}
        role="listbox"
        aria-label="Flows, worst first"
        aria-activedescendant={active >= 0 ? `flow-option-${flows[active]!.id}` : undefined}
        tabIndex={0}
        data-testid="flow-list"
        onScroll={(e) => setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
        onKeyDown={(e) => {
          const page = Math.max(1, Math.floor(view.height / ROW) - 1);
          const keys: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, Home: 0, End: flows.length - 1, PageDown: active + page, PageUp: active - page };
          const to = keys[e.key];
          if (to === undefined) return;
          e.preventDefault();
          move(active < 0 && e.key === 'ArrowUp' ? 0 : to);
        }}
        className="relative min-h-0 flex-1 overflow-auto"
      >
        {flows.length === 0 && (
          <p className="p-4 text-sm text-muted">{emptyListText({ flows: all.length, reading, analysing: status === 'running', analysed: report !== null, coming: flowsToCome })}</p>
        )}
        <div style={{ height: flows.length * ROW }} className="relative">
          {flows.slice(range.start, range.end).map((f, k) => {
            const i = range.start + k;
            const badge = flowBadge(f);
            const selected = f.id === selection.flow;
            return (
              <div
                key={f.id}
                id={`flow-option-${f.id}`}
                role="option"
                aria-selected={selected}
                data-testid="flow-row"
                data-flow={f.id}
                data-kind={f.verdict.kind}
                data-protocol={f.protocol}
                data-client={f.client}
                data-client-port={f.clientPort ?? undefined}
                data-icmp-id={f.icmpId ?? undefined}
                onClick={() => selectFlow(f.id)}
                style={{ top: i * ROW, height: ROW }}
                className={`absolute inset-x-0 flex cursor-pointer flex-col justify-center gap-1 border-b border-border px-3 ${
                  selected ? 'bg-accent-soft' : 'hover:bg-panel-2'
                }`}
              >
                <div className="truncate font-mono text-xs" title={`${endpoint(f.client, f.clientPort)} → ${endpoint(f.server, f.serverPort)}`}>
                  {endpoint(f.client, f.clientPort)} → {endpoint(f.server, f.serverPort)}
                </div>
                <div className="flex min-w-0 items-center gap-2">
                  <span className="w-11 shrink-0 font-mono text-[11px] font-semibold text-muted uppercase">{f.protocol}</span>
                  <ToneBadge tone={badge.tone}>{badge.text}</ToneBadge>
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </Panel>
  );
}

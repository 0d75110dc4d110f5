'use client';

import { startTransition, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import {
  useAnalysis,
  useDashboardActions,
  useFiles,
  selectedFlow,
  useNotice,
  useSampleName,
  usePanelView,
  useSelectedFlow,
  useSelection,
} from '@/components/store/dashboard-store-provider';
import { AnatomyPanel } from '@/components/anatomy/AnatomyPanel';
import { EmptyState } from './EmptyState';
import { FlowList } from './FlowList';
import { HopPanel } from './HopPanel';
import { Ladder } from './Ladder';
import { LoadPanel } from './LoadPanel';
import { PacketList } from './PacketList';
import { VerdictCard } from './VerdictCard';
import { useWindowDrop } from './FilePickers';
import { parseUrlState, urlSearch } from '@/lib/viz/url-state';

/**
 * The workers load while the page is idle after its first paint, not when the first file comes:
 * on the 2 GB bench files the first read began 0.4-0.7 s after they were handed to the page, time
 * spent loading the analysis worker and its index workers, and 0.15 s once those had loaded.
 */
function usePreparedWorkers() {
  const { prepare } = useDashboardActions();
  useEffect(() => {
    if (typeof window.requestIdleCallback === 'function') {
      const id = window.requestIdleCallback(prepare, { timeout: 2000 });
      return () => window.cancelIdleCallback(id);
    }
    const t = setTimeout(prepare, 500);
    return () => clearTimeout(t);
  }, [prepare]);
}

/**
 * The address bar follows the sample and the selection. history.replaceState rather than
 * router.replace: Next.js folds it into its router (useSearchParams follows), and a click
 * costs no RSC round trip on this static page.
 */
function useUrlSync() {
  const { init } = useDashboardActions();
  const sample = useSampleName();
  const { flow, point } = useSelection();
  const files = useFiles();
  const hadFiles = useRef(false);
  useEffect(() => {
    void init(parseUrlState(window.location.search));
  }, [init]);
  useEffect(() => {
    // Until files arrive, the URL keeps what it asked for (it may be waiting for a drop);
    // once the incident is cleared, it is cleared too.
    if (files.length > 0) hadFiles.current = true;
    if (files.length === 0 && flow === null && !hadFiles.current) return;
    const next = urlSearch({ sample, flow, point }, window.location.search);
    if (next !== window.location.search) window.history.replaceState(window.history.state, '', `${window.location.pathname}${next}`);
  }, [sample, flow, point, files.length]);
}

function Notice() {
  const notice = useNotice();
  const { dismissNotice } = useDashboardActions();
  if (!notice) return null;
  return (
    <div role="status" data-testid="notice" className="flex items-start justify-between gap-4 rounded-lg border border-warn/40 bg-warn-soft px-4 py-2 text-sm text-warn">
      <p>{notice}</p>
      <button type="button" onClick={dismissNotice} className="shrink-0 rounded px-1 text-xs underline">
        Dismiss
      </button>
    </div>
  );
}

export function Dashboard() {
  useUrlSync();
  usePreparedWorkers();
  const dragging = useWindowDrop();
  const files = useFiles();
  const analysis = useAnalysis();
  const flow = useSelectedFlow();
  // The incident's view mounts in renders of its own that React does in slices, not in the
  // task of the drop: first the files, then the panels. Drawn in the drop's own handler, the
  // files' rows took 55-80 ms there and their layout another 49-71 ms in the same frame.
  const shown = useDeferredValue(files.length > 0);
  const [panels, setPanels] = useState(false);
  useEffect(() => {
    if (panels !== shown) startTransition(() => setPanels(shown));
  }, [shown, panels]);
  // The path beside the card draws the selected flow a moment after it, from the panels' view.
  const panelView = usePanelView();
  const panelFlow = useMemo(() => selectedFlow(panelView.analysis, panelView.selection), [panelView]);
  // Until the panels have drawn what the card shows, the page says it is busy (and tests wait).
  const selection = useSelection();
  const busy = files.length > 0 && (!panels || panelView.analysis !== analysis || panelView.selection !== selection);
  // Marked once React has hydrated the page, from which point a drop is its own (the bench hands
  // its files over then: the tasks before are the page's load, Next.js and React starting).
  const main = useRef<HTMLElement>(null);
  useEffect(() => main.current?.setAttribute('data-hydrated', ''), []);

  return (
    <main ref={main} className="flex flex-col gap-4 px-5 py-4" data-testid="dashboard" aria-busy={busy || undefined}>
      <Notice />
      {!shown ? (
        <EmptyState dragging={dragging} />
      ) : (
        <>
          {dragging && (
            <div className="pointer-events-none fixed inset-3 z-50 flex items-center justify-center rounded-xl border-2 border-dashed border-accent bg-accent-soft/80 text-lg font-medium">
              Drop to add these captures to the incident
            </div>
          )}
          <LoadPanel />
          {analysis.report && analysis.report.flows.length === 0 && (
            <p className="rounded-lg border border-border bg-panel px-4 py-3 text-sm text-muted">
              No IP flow in these captures{analysis.report.notes.length ? `: ${analysis.report.notes.join('; ')}` : '.'}
            </p>
          )}
          {/*
            One grid, two arrangements. From 1280 px: flows on the left, the path over the verdict
            in the centre, packets and the time sequence below. From 1536 px the verdict moves
            beside the path and the time sequence under it, and the packets take the full width.
          */}
          {panels && (
            <div
              className="grid grid-cols-[19rem_minmax(0,1fr)_24rem] gap-4 [grid-template-areas:'flows_path_path'_'flows_verdict_verdict'_'packets_packets_ladder'] 2xl:grid-cols-[21rem_minmax(0,1fr)_30rem] 2xl:[grid-template-areas:'flows_path_verdict'_'flows_ladder_verdict'_'packets_packets_packets']"
            >
              {/* Sized by the centre column: contain:size keeps a long list from stretching the rows. */}
              <FlowList className="min-h-[28rem] [contain:size] [grid-area:flows]" />
              <HopPanel flow={panelFlow} className="[grid-area:path]" />
              <VerdictCard flow={flow} className="[grid-area:verdict]" />
              <PacketList flow={flow} className="h-[26rem] [grid-area:packets]" />
              <Ladder flow={flow} className="h-[26rem] [grid-area:ladder] 2xl:h-auto 2xl:min-h-[22rem]" />
            </div>
          )}
          {/* Opens when a packet is picked; a station picked in the path then shows its copy. */}
          {panels && <AnatomyPanel flow={flow} />}
        </>
      )}
    </main>
  );
}

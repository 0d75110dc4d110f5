'use client';

import type { InterfaceRole } from '@/lib/protocols/devices';
import { createContext, use, useDeferredValue, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { FromWorker, ToWorker } from '@/lib/worker/protocol';
import type { FlowReport } from '@/lib/verdict/verdict';
import {
  createDashboardStore,
  overallProgress,
  type AnalysisState,
  type DashboardActions,
  type DashboardState,
  type DashboardStore,
  type FileEntry,
  type Selection,
  type WorkerPort,
} from './dashboard-store';
import type { SamplesState } from './inspector-store';
import type { FlowFilters } from '@/lib/viz/flow-list';

export type { FileEntry, Selection, AnalysisState } from './dashboard-store';

/** The analysis worker, created on first use: a file, a sample, or the page idle after its first paint (Dashboard's `prepare`). */
function connectWorker(): WorkerPort & { terminate(): void } {
  const worker = new Worker(new URL('@/lib/worker/analysis-worker.ts', import.meta.url), { type: 'module' });
  const handlers = new Set<(m: FromWorker) => void>();
  worker.onmessage = (e: MessageEvent<FromWorker>) => handlers.forEach((h) => h(e.data));
  // A worker that cannot start (a blocked script, an old browser) must say so, not spin.
  const failed = (message: string) => {
    const msg: FromWorker = { type: 'worker-lost', message };
    handlers.forEach((h) => h(msg));
  };
  worker.onerror = (e: ErrorEvent) => failed(`The analysis worker stopped: ${e.message || 'it could not be started'}`);
  // An answer that could not be read (structured clone failed, as when memory runs short): the wait for it would never end.
  worker.onmessageerror = () => failed('An answer from the analysis worker could not be read');
  return {
    post: (msg: ToWorker) => worker.postMessage(msg),
    subscribe(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    terminate: () => worker.terminate(),
  };
}

const DashboardStoreContext = createContext<DashboardStore | null>(null);

/** One store (and one worker) per page mount: never a module-level singleton. */
export function DashboardStoreProvider({ children }: { children: ReactNode }) {
  const [state] = useState(() => {
    let port: ReturnType<typeof connectWorker> | null = null;
    const store = createDashboardStore({
      connect: () => (port = connectWorker()),
      fetch: (...a) => fetch(...a),
    });
    return { store, terminate: () => port?.terminate() };
  });
  useEffect(() => state.terminate, [state]);
  return <DashboardStoreContext value={state.store}>{children}</DashboardStoreContext>;
}

function useDashboard<T>(selector: (state: DashboardState) => T): T {
  const store = use(DashboardStoreContext);
  if (!store) throw new Error('useDashboard must be used inside <DashboardStoreProvider>');
  return useStore(store, selector);
}

export const useFiles = (): FileEntry[] => useDashboard((s) => s.files);
export const useAnalysis = (): AnalysisState => useDashboard((s) => s.analysis);
export const useSelection = (): Selection => useDashboard((s) => s.selection);

/**
 * The analysis and the selection as the flow list, the path and the points table draw them: a
 * change reaches them in a second render that React does in the background, in slices it can
 * interrupt. Drawn with the verdict card, in the task of the message that brought the verdict,
 * they made it 60-100 ms long on the 2 GB bench incident. One snapshot of both, so a panel
 * drawing from it never pairs a new selection with an old analysis. The snapshot lags the store
 * until that render is done: not for a selection acted on (the flow list's arrow keys step from
 * the live one), nor for a panel whose effects write the selection (the packet list picks its
 * first packet: seeing the old one after writing, it would write again).
 */
export function usePanelView(): { analysis: AnalysisState; selection: Selection } {
  const analysis = useAnalysis();
  const selection = useSelection();
  return useDeferredValue(useMemo(() => ({ analysis, selection }), [analysis, selection]));
}
export const useFilters = (): FlowFilters => useDashboard((s) => s.filters);
export const useSamples = (): SamplesState => useDashboard((s) => s.samples);
export const useSampleName = (): string | null => useDashboard((s) => s.sample);
export const useNotice = (): string | null => useDashboard((s) => s.notice);
export const useComments = (): Record<string, string> => useDashboard((s) => s.comments);
export const useRoles = (): Record<string, InterfaceRole> => useDashboard((s) => s.roles);
export const useShared = () => useDashboard((s) => s.shared);
export const useSharedDownload = () => useDashboard((s) => s.download);
export const useDashboardActions = (): DashboardActions => useDashboard((s) => s.actions);
export const useOverallProgress = () => useDashboard(useShallow((s) => overallProgress(s.files) ?? { done: 0, total: 0, files: 0 }));

/** The selected flow of an analysis, or null: the store's now (useSelectedFlow), or a panel view's. */
export function selectedFlow(analysis: AnalysisState, selection: Selection): FlowReport | null {
  return analysis.report?.flows.find((f) => f.id === selection.flow) ?? null;
}

export const useSelectedFlow = (): FlowReport | null => useDashboard((s) => selectedFlow(s.analysis, s.selection));

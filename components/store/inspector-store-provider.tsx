'use client';

import { createContext, use, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import {
  createInspectorStore,
  type CaptureEntry,
  type InspectorActions,
  type InspectorState,
  type InspectorStore,
  type SamplesState,
  type Summarize,
} from './inspector-store';

export type { CaptureEntry, EntryId, SampleEntry, SamplesState } from './inspector-store';
export { SAMPLE_NONE, SAMPLES_MANIFEST } from './inspector-store';

// Loaded on first use so the decoders stay out of the first page load.
const summarize: Summarize = async (file, onProgress) => {
  const { summarizeCaptureBlob } = await import('@/lib/decode/blob-stats');
  return summarizeCaptureBlob(file, onProgress);
};

const InspectorStoreContext = createContext<InspectorStore | null>(null);

/** One store per page mount (zustand's Next.js guide): never a module-level singleton. */
export function InspectorStoreProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => createInspectorStore({ summarize, fetch: (...a) => fetch(...a) }));
  return <InspectorStoreContext value={store}>{children}</InspectorStoreContext>;
}

function useInspectorStore<T>(selector: (state: InspectorState) => T): T {
  const store = use(InspectorStoreContext);
  if (!store) throw new Error('useInspectorStore must be used inside <InspectorStoreProvider>');
  return useStore(store, selector);
}

export const useEntries = (): CaptureEntry[] => useInspectorStore((s) => s.entries);
export const useSamples = (): SamplesState => useInspectorStore((s) => s.samples);
export const useInspectorActions = (): InspectorActions => useInspectorStore((s) => s.actions);

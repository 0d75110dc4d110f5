'use client';

import { useEffect } from 'react';
import { useEntries, useInspectorActions } from '@/components/store/inspector-store-provider';
import { CaptureCard } from './CaptureCard';
import { DropZone } from './DropZone';
import { SamplePicker } from './SamplePicker';

export function CaptureInspector() {
  const entries = useEntries();
  const { init, clear } = useInspectorActions();

  useEffect(() => {
    // Read once on mount rather than through useSearchParams: the page stays fully static.
    void init(new URLSearchParams(window.location.search).get('sample'));
  }, [init]);

  return (
    <main className="mx-auto max-w-screen-2xl px-6 py-8">
      <div className="mb-6 flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Capture inspector</h1>
          <p className="mt-1 text-sm text-muted">
            Format, interfaces, time range and protocol hierarchy of each capture, read locally.
          </p>
        </div>
        {entries.length > 0 && (
          <button type="button" onClick={clear} className="text-sm text-muted underline-offset-2 hover:text-fg hover:underline">
            Clear all
          </button>
        )}
      </div>

      <div className="mb-8 flex flex-col gap-4 md:flex-row">
        <DropZone />
        <SamplePicker />
      </div>

      <section aria-label="Captures" className="space-y-5">
        {entries.map((e) => (
          <CaptureCard key={e.id} entry={e} />
        ))}
      </section>
    </main>
  );
}

'use client';

import { useState } from 'react';
import { SAMPLES_MANIFEST, useInspectorActions, useSamples } from '@/components/store/inspector-store-provider';

export function SamplePicker() {
  const samples = useSamples();
  const { loadSample } = useInspectorActions();
  const [picked, setPicked] = useState<string | null>(null);

  const entries = samples.status === 'ready' ? samples.entries : [];
  const selected = entries.find((e) => e.file === picked)?.file ?? entries[0]?.file ?? null;

  let note: string;
  if (samples.status === 'loading') note = 'Looking for samples…';
  else if (samples.status === 'unavailable') note = `No samples available (${SAMPLES_MANIFEST} could not be read).`;
  else if (entries.length === 0) note = `No samples listed in ${SAMPLES_MANIFEST}.`;
  else note = entries.length === 1 ? (entries[0]?.title ?? '') : `${entries.length} sample captures`;

  return (
    <div className="flex flex-col justify-center gap-3 rounded-lg border border-border bg-panel px-5 py-5 md:w-80">
      <p className="text-sm font-medium">No capture at hand?</p>
      {entries.length > 1 && (
        <select
          aria-label="Sample capture"
          value={selected ?? ''}
          onChange={(e) => setPicked(e.currentTarget.value)}
          className="w-full rounded-md border border-border bg-panel-2 px-2 py-1.5 text-sm"
        >
          {entries.map((e) => (
            <option key={e.file} value={e.file}>
              {e.title}
            </option>
          ))}
        </select>
      )}
      <button
        type="button"
        disabled={!selected}
        onClick={() => selected && void loadSample(selected)}
        className="rounded-md border border-accent px-4 py-2 text-sm font-medium text-accent hover:bg-accent-soft disabled:cursor-not-allowed disabled:border-border disabled:text-muted disabled:hover:bg-transparent"
      >
        Load sample
      </button>
      <p data-testid="sample-note" className="text-xs text-muted">
        {note}
      </p>
    </div>
  );
}

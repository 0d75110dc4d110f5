'use client';

import { useEffect, useRef } from 'react';
import { useDashboardActions, useSampleName, useSamples } from '@/components/store/dashboard-store-provider';
import { sampleName } from '@/lib/viz/url-state';

/** Every sample incident, one click away, from the toolbar. */
export function SampleMenu() {
  const samples = useSamples();
  const current = useSampleName();
  const { loadSample } = useDashboardActions();
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    // A menu closes when the click or the focus goes elsewhere, or on Escape.
    const close = (e: Event) => {
      const d = ref.current;
      if (d?.open && !(e.target instanceof Node && d.contains(e.target))) d.open = false;
    };
    const onKey = (e: KeyboardEvent) => {
      const d = ref.current;
      if (e.key === 'Escape' && d?.open) {
        d.open = false;
        d.querySelector('summary')?.focus();
      }
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('focusin', close);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('focusin', close);
      document.removeEventListener('keydown', onKey);
    };
  }, []);
  if (samples.status !== 'ready' || samples.entries.length === 0) return null;
  return (
    <details ref={ref} className="relative" data-testid="sample-menu">
      <summary className="inline-flex cursor-pointer list-none items-center gap-1.5 rounded-md border border-border bg-panel-2 px-3 py-1.5 text-sm font-medium hover:border-accent">
        Samples <span aria-hidden>▾</span>
      </summary>
      <ul className="absolute right-0 z-30 mt-1 max-h-[70vh] w-[26rem] overflow-auto rounded-lg border border-border bg-panel p-1 shadow-lg">
        {samples.entries.map((s) => (
          <li key={s.file}>
            <button
              type="button"
              aria-current={current === sampleName(s.file) || undefined}
              onClick={() => {
                if (ref.current) ref.current.open = false;
                void loadSample(s.file);
              }}
              className="w-full rounded px-2.5 py-1.5 text-left text-sm hover:bg-panel-2 aria-[current]:bg-accent-soft"
            >
              <span className="block font-mono text-xs text-muted">{sampleName(s.file)}</span>
              <span className="block">{s.title}</span>
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}

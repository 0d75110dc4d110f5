'use client';

import { useDashboardActions, useSamples } from '@/components/store/dashboard-store-provider';
import { SAMPLES_MANIFEST } from '@/components/store/inspector-store';
import { FilePickers } from './FilePickers';
import { sampleName } from '@/lib/viz/url-state';
import { Button } from './ui';

/** First visit: drop the captures of an incident, or open a sample in one click. */
export function EmptyState({ dragging }: { dragging: boolean }) {
  const samples = useSamples();
  const { loadSample } = useDashboardActions();
  const entries = samples.status === 'ready' ? samples.entries : [];
  const first = entries[0];
  return (
    <div className="mx-auto grid max-w-6xl gap-6 py-6 lg:grid-cols-[minmax(0,1.1fr)_minmax(0,1fr)]">
      <section
        data-testid="drop-zone"
        data-dragging={dragging || undefined}
        aria-label="Load captures"
        className="flex flex-col justify-center gap-5 rounded-xl border-2 border-dashed border-border bg-panel px-8 py-10 transition-colors data-dragging:border-accent data-dragging:bg-accent-soft"
      >
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Where do the packets stop?</h1>
          <p className="mt-2 text-sm leading-relaxed text-muted">
            Drop the captures of one incident here — one per capture point: the pod&apos;s veth, <code className="font-mono">cni0</code>,{' '}
            <code className="font-mono">flannel.1</code>, the node&apos;s <code className="font-mono">eth0</code>, on each node. pcap, pcapng or
            gzipped, many at once, or a whole folder. They are read and analysed in this browser tab; nothing is uploaded.
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <FilePickers primary />
        </div>
        <p className="text-xs text-muted">
          Node and interface come from pcapng interface names or from file names like <code className="font-mono">node2-flannel.1.pcap</code>;
          you can change them once the files are read.
        </p>
      </section>

      <section aria-label="Sample incidents" className="rounded-xl border border-border bg-panel px-6 py-6">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <div>
            <h2 className="text-base font-semibold">No capture at hand?</h2>
            <p className="text-sm text-muted">Real captures of real overlay faults, recorded in a lab.</p>
          </div>
          <Button variant="primary" disabled={!first} onClick={() => first && void loadSample(first.file)} data-testid="try-sample">
            Try a sample incident
          </Button>
        </div>
        {samples.status === 'loading' && <p className="mt-4 text-sm text-muted">Looking for samples…</p>}
        {samples.status === 'unavailable' && (
          <p className="mt-4 text-sm text-muted">No samples available ({SAMPLES_MANIFEST} could not be read).</p>
        )}
        {entries.length > 0 && (
          <ul className="mt-4 grid max-h-[26rem] gap-1.5 overflow-auto pr-1">
            {entries.map((s) => (
              <li key={s.file}>
                <button
                  type="button"
                  data-sample={sampleName(s.file)}
                  onClick={() => void loadSample(s.file)}
                  className="w-full rounded-md border border-border px-3 py-1.5 text-left hover:border-accent hover:bg-panel-2"
                >
                  <span className="block font-mono text-[11px] text-muted">{sampleName(s.file)}</span>
                  <span className="block text-sm">{s.title}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

'use client';

import type { ReactNode } from 'react';
import type { CaptureStats } from '@/lib/decode/stats';
import { useInspectorActions, type CaptureEntry } from '@/components/store/inspector-store-provider';
import { formatBytes, formatCount, formatDuration, formatPercent, formatTimestamp } from './format';
import { HierarchyTable } from './HierarchyTable';

function Badge({ children, tone = 'plain' }: { children: ReactNode; tone?: 'plain' | 'accent' }) {
  const cls = tone === 'accent' ? 'border-accent/40 bg-accent-soft text-fg' : 'border-border bg-panel-2 text-muted';
  return <span className={`rounded border px-1.5 py-0.5 font-mono text-xs ${cls}`}>{children}</span>;
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs tracking-wide text-muted uppercase">{label}</dt>
      <dd className="mt-0.5 text-sm">{children}</dd>
    </div>
  );
}

function StatsBody({ stats }: { stats: CaptureStats }) {
  const duration = stats.firstTs && stats.lastTs ? formatDuration(stats.firstTs, stats.lastTs) : null;
  const linkName = (lt: number) => stats.linkTypes.find((l) => l.linkType === lt)?.name ?? `link type ${lt}`;

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,24rem)_minmax(0,1fr)]">
      <dl className="grid grid-cols-2 content-start gap-x-6 gap-y-4">
        <Fact label="Packets">
          <span data-testid="packet-count" className="font-mono text-base font-semibold tabular-nums">
            {formatCount(stats.packets)}
          </span>
        </Fact>
        <Fact label="Capture data">
          <span className="font-mono tabular-nums">{formatBytes(stats.bytes)}</span>
        </Fact>
        <div className="col-span-2">
          <Fact label="Time range">
            {stats.firstTs && stats.lastTs ? (
              <div className="font-mono text-[13px] leading-relaxed">
                <div>
                  <time dateTime={stats.firstTs}>{formatTimestamp(stats.firstTs)}</time>
                </div>
                <div>
                  <time dateTime={stats.lastTs}>{formatTimestamp(stats.lastTs)}</time>
                </div>
                {duration && <div className="text-muted">span {duration}</div>}
              </div>
            ) : (
              <span className="text-muted">no timestamps</span>
            )}
          </Fact>
        </div>
        <div className="col-span-2">
          <Fact label="Link types">
            <ul className="space-y-0.5">
              {stats.linkTypes.map((l) => (
                <li key={l.linkType} className="font-mono text-[13px]">
                  {l.name} <span className="text-muted">({l.linkType})</span> ·{' '}
                  <span className="tabular-nums">{formatCount(l.packets)}</span>{' '}
                  <span className="text-muted">pkts, {formatPercent(l.packets, stats.packets)}</span>
                </li>
              ))}
              {stats.linkTypes.length === 0 && <li className="text-muted">none</li>}
            </ul>
          </Fact>
        </div>
        <div className="col-span-2">
          <Fact label={`Interfaces (${stats.interfaces.length})`}>
            <ul className="space-y-0.5">
              {stats.interfaces.map((i) => (
                <li key={i.id} className="font-mono text-[13px]">
                  <span className="text-muted">#{i.id}</span> {i.name ?? <span className="text-muted">unnamed</span>}{' '}
                  <span className="text-muted">
                    · {linkName(i.linkType)}
                    {i.description && i.description !== i.name ? ` · ${i.description}` : ''}
                  </span>
                </li>
              ))}
              {stats.interfaces.length === 0 && <li className="text-muted">none</li>}
            </ul>
          </Fact>
        </div>
      </dl>
      <section aria-label="Protocol hierarchy" className="min-w-0">
        <h3 className="mb-2 text-xs tracking-wide text-muted uppercase">Protocol hierarchy</h3>
        <HierarchyTable stats={stats} />
      </section>
      {stats.warnings.length > 0 && (
        <ul
          aria-label="Warnings"
          className="space-y-1 rounded-md border border-warn/40 bg-warn-soft px-3 py-2 text-sm text-warn lg:col-span-2"
        >
          {stats.warnings.map((w, i) => (
            <li key={i}>⚠ {w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function CaptureCard({ entry }: { entry: CaptureEntry }) {
  const { remove } = useInspectorActions();
  const isError = entry.status === 'error';

  return (
    <article
      data-testid="capture-card"
      data-file={entry.name}
      data-status={entry.status}
      aria-label={entry.name}
      className={`rounded-lg border bg-panel p-5 shadow-sm ${isError ? 'border-danger/50' : 'border-border'}`}
    >
      <header className="mb-4 flex flex-wrap items-center gap-2">
        <h2 className="mr-1 min-w-0 truncate text-base font-semibold" title={entry.name}>
          {entry.name}
        </h2>
        {entry.status === 'done' && (
          <>
            <Badge tone="accent">{entry.stats.format}</Badge>
            {entry.stats.gzip && <Badge tone="accent">gzip</Badge>}
          </>
        )}
        {entry.source === 'sample' && <Badge>sample</Badge>}
        {entry.size > 0 && <span className="text-xs text-muted">{formatBytes(entry.size)} file</span>}
        <button
          type="button"
          onClick={() => remove(entry.id)}
          aria-label={`Remove ${entry.name}`}
          className="ml-auto rounded px-2 py-0.5 text-lg leading-none text-muted hover:bg-panel-2 hover:text-fg"
        >
          ×
        </button>
      </header>

      {entry.status === 'queued' && <p className="text-sm text-muted">Waiting…</p>}

      {entry.status === 'reading' && (
        <div className="space-y-2" role="status">
          <p className="text-sm text-muted">
            Reading… {formatBytes(entry.bytesRead)} of {formatBytes(entry.total)}
          </p>
          <progress
            className="h-1.5 w-full max-w-md accent-accent"
            max={Math.max(1, entry.total)}
            value={entry.bytesRead}
          />
        </div>
      )}

      {entry.status === 'error' && (
        <div role="alert" className="rounded-md bg-danger-soft px-3 py-2.5">
          <p className="text-sm font-medium text-danger">Could not read {entry.name}</p>
          <p data-testid="error-message" className="mt-1 font-mono text-[13px] break-words">
            {entry.message}
          </p>
        </div>
      )}

      {entry.status === 'done' && <StatsBody stats={entry.stats} />}
    </article>
  );
}

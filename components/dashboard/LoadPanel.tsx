'use client';

import { useState } from 'react';
import {
  useAnalysis,
  useDashboardActions,
  useFiles,
  useOverallProgress,
  type FileEntry,
} from '@/components/store/dashboard-store-provider';
import { formatBytes, formatCount, formatDuration, formatTimestamp } from '@/components/capture-inspector/format';
import { FilePickers } from './FilePickers';
import { ExportReportButtons } from './ExportButtons';
import { SampleMenu } from './SampleMenu';
import { ShareButton } from '@/components/share/ShareDialog';
import { Button, ProgressBar, ToneBadge } from './ui';
import { PointsTable } from './PointsTable';

const STATUS_TEXT: Record<FileEntry['status'], string> = {
  queued: 'waiting',
  reading: 'reading',
  loaded: 'read',
  error: 'error',
  cancelled: 'cancelled',
};

/** Errors, then warnings, then the rest (a stable sort keeps the order they came in). */
function attention(f: FileEntry): number {
  return f.status === 'error' ? 2 : (f.summary?.warnings.length ?? 0) > 0 ? 1 : 0;
}

function timeRange(f: FileEntry): string {
  const s = f.summary;
  if (!s?.firstTs || !s.lastTs) return s ? 'no timestamps' : '';
  const first = formatTimestamp(s.firstTs);
  const last = formatTimestamp(s.lastTs);
  const day = first.slice(0, 10);
  const short = (t: string) => t.slice(11, 23);
  const span = formatDuration(s.firstTs, s.lastTs);
  return `${day} ${short(first)} – ${last.slice(0, 10) === day ? short(last) : last.slice(0, 23)}${span ? ` (${span.replace(/(\.\d{3})\d+/, '$1')})` : ''}`;
}

/** Node and interface of a file: edited in place, applied on Enter or when the field is left. */
function LabelCell({ f, field }: { f: FileEntry; field: 'node' | 'interface' }) {
  const { relabel } = useDashboardActions();
  // An `-i any` capture split into one point per interface: the file is still the node's `any`.
  const split = (f.analysis?.points.length ?? 0) > 1;
  const point = split ? undefined : f.analysis?.points[0];
  const fromSplit = split ? (field === 'node' ? f.analysis?.points[0]?.node : 'any') : undefined;
  const current = f.label?.[field] ?? point?.[field] ?? fromSplit ?? f.summary?.detected[field] ?? '';
  const [draft, setDraft] = useState<string | null>(null);
  if (!f.summary) return <span className="text-muted">—</span>;
  if (f.summary.multiInterface && !f.label) {
    return field === 'node' ? (
      <span className="text-muted" title={f.analysis?.points.map((p) => `${p.node}/${p.interface}`).join('\n')}>
        {f.analysis ? `${f.analysis.points.length} points` : 'several'}
      </span>
    ) : (
      <span className="text-muted">from pcapng names</span>
    );
  }
  const commit = () => {
    if (draft === null) return;
    const value = draft.trim();
    setDraft(null);
    if (!value || value === current) return;
    const other = field === 'node' ? 'interface' : 'node';
    const otherValue = f.label?.[other] ?? point?.[other] ?? f.summary?.detected[other] ?? '';
    relabel(f.id, { node: field === 'node' ? value : otherValue, interface: field === 'interface' ? value : otherValue });
  };
  return (
    <input
      aria-label={`${field === 'node' ? 'Node' : 'Interface'} of ${f.name}`}
      data-testid={`label-${field}`}
      value={draft ?? current}
      onChange={(e) => setDraft(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') setDraft(null);
      }}
      spellCheck={false}
      title={split ? `split into ${f.analysis?.points.length} capture points: ${f.analysis?.points.map((p) => p.interface).join(', ')}` : undefined}
      className={`w-full min-w-0 rounded border bg-panel px-1.5 py-0.5 font-mono text-xs ${f.label ? 'border-accent' : 'border-border'}`}
    />
  );
}

function FileRow({ f }: { f: FileEntry }) {
  const { removeFile, retry, relabel } = useDashboardActions();
  const s = f.summary;
  const linkTypes = s?.linkTypes.map((l) => `${l.name.replace(/ \(.*\)$/, '')}${l.decoded ? '' : ' ✕'}`).join(', ');
  return (
    <>
      <tr
        data-testid="file-row"
        data-file={f.name}
        data-status={f.status}
        data-part={f.analysis?.part ? `${f.analysis.part.index}/${f.analysis.part.of}` : undefined}
        className="border-t border-border align-middle"
      >
        <td className="max-w-64 py-1.5 pr-3 pl-4">
          <div
            className="truncate font-mono text-xs"
            title={[f.name, ...(s?.hierarchy.map((h) => `${h.path}: ${formatCount(h.packets)} packets`) ?? [])].join('\n')}
          >
            {f.name}
          </div>
          <div className="text-[11px] text-muted">
            {formatBytes(f.size)}
            {s ? ` · ${s.format}${s.gzip ? '.gz' : ''}` : ''}
            {f.source === 'sample' ? ' · sample' : ''}
            {f.analysis?.part ? ` · file ${f.analysis.part.index} of ${f.analysis.part.of} of one capture` : ''}
          </div>
        </td>
        <td className="w-36 py-1.5 pr-3">
          {f.status === 'reading' || f.status === 'queued' ? (
            <div className="space-y-1">
              <div className="text-[11px] text-muted">
                {STATUS_TEXT[f.status]} {f.size > 0 ? `${Math.floor((f.bytesRead / f.size) * 100)}%` : ''}
              </div>
              <ProgressBar value={f.bytesRead} max={f.size} label={`Reading ${f.name}`} />
            </div>
          ) : (
            <ToneBadge tone={f.status === 'loaded' ? (f.analysis?.unused ? 'muted' : 'ok') : f.status === 'error' ? 'bad' : 'warn'}>
              {f.status === 'loaded' && f.analysis?.unused ? 'not used' : STATUS_TEXT[f.status]}
            </ToneBadge>
          )}
        </td>
        <td className="w-32 py-1.5 pr-2">
          <LabelCell key={`n${f.label?.node ?? ''}${f.analysis?.points[0]?.node ?? ''}`} f={f} field="node" />
        </td>
        <td className="w-36 py-1.5 pr-2">
          <LabelCell key={`i${f.label?.interface ?? ''}${f.analysis?.points[0]?.interface ?? ''}`} f={f} field="interface" />
        </td>
        <td className="max-w-44 truncate py-1.5 pr-3 text-xs" title={linkTypes}>
          {f.links ? `interface names of ${f.links.node} (${f.links.interfaces})` : f.state ? `recorded state of ${f.state.node} (${f.state.files} files)` : linkTypes}
        </td>
        <td data-testid="packet-count" className="py-1.5 pr-3 text-right font-mono text-xs tabular-nums">
          {s ? formatCount(s.packets) : ''}
        </td>
        <td className="py-1.5 pr-3 font-mono text-[11px] whitespace-nowrap text-muted">{timeRange(f)}</td>
        <td className="py-1.5 pr-4 text-right whitespace-nowrap">
          {f.label && (
            <Button variant="ghost" className="px-1.5! py-0.5! text-xs" onClick={() => relabel(f.id, null)} aria-label={`Use the detected label for ${f.name}`}>
              reset
            </Button>
          )}
          {(f.status === 'error' || f.status === 'cancelled') && (
            <Button variant="ghost" className="px-1.5! py-0.5! text-xs" onClick={() => retry(f.id)} aria-label={`Read ${f.name} again`}>
              retry
            </Button>
          )}
          <Button variant="ghost" className="px-1.5! py-0.5! text-xs" onClick={() => removeFile(f.id)} aria-label={`Remove ${f.name}`}>
            ✕
          </Button>
        </td>
      </tr>
      {(f.error || (s && s.warnings.length > 0) || f.analysis?.unused) && (
        <tr data-file={f.name}>
          <td colSpan={8} className="px-4 pb-2">
            {f.error && (
              <p role="alert" data-testid="file-error" className="rounded border border-danger/40 bg-danger-soft px-2 py-1 text-xs text-danger">
                {f.error}
              </p>
            )}
            {s?.warnings.map((w) => (
              <p key={w} className="mt-1 rounded border border-warn/40 bg-warn-soft px-2 py-1 text-xs text-warn">
                {w}
              </p>
            ))}
            {f.analysis?.unused && <p className="mt-1 text-xs text-muted">Not used: {f.analysis.unused}.</p>}
          </td>
        </tr>
      )}
    </>
  );
}

export function LoadPanel() {
  const files = useFiles();
  const analysis = useAnalysis();
  const progress = useOverallProgress();
  const { cancel, clearAll } = useDashboardActions();
  const [open, setOpen] = useState(true);
  const loading = progress.files > 0;
  const errors = files.filter((f) => f.status === 'error').length;
  const packets = files.reduce((n, f) => n + (f.summary?.packets ?? 0), 0);
  const points = analysis.points.length;

  return (
    <section aria-label="Captures" data-testid="load-panel" className="rounded-lg border border-border bg-panel">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-2.5">
        <button
          type="button"
          aria-expanded={open}
          aria-controls="capture-table"
          onClick={() => setOpen(!open)}
          className="flex items-center gap-2 rounded text-sm font-semibold"
        >
          <span aria-hidden className={`inline-block text-muted transition-transform ${open ? 'rotate-90' : ''}`}>
            ▸
          </span>
          Captures
        </button>
        <p data-testid="load-summary" className="text-sm text-muted">
          {files.length} file{files.length === 1 ? '' : 's'} · {formatCount(packets)} packets · {points} capture point{points === 1 ? '' : 's'}
          {errors > 0 && <span className="text-danger"> · {errors} could not be read</span>}
          {analysis.status === 'running' && <span> · analysing…</span>}
          {analysis.status === 'ready' && analysis.report && <span> · analysed in {Math.max(1, Math.round(analysis.ms))} ms</span>}
        </p>
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <FilePickers />
          <SampleMenu />
          <ExportReportButtons />
          <ShareButton />
          <Button variant="ghost" onClick={clearAll}>
            Clear
          </Button>
        </div>
      </header>
      {loading && (
        <div className="flex items-center gap-3 border-t border-border px-4 py-2" data-testid="overall-progress">
          <span className="shrink-0 text-xs text-muted">
            Reading {progress.files} file{progress.files === 1 ? '' : 's'} · {formatBytes(progress.done)} of {formatBytes(progress.total)}
          </span>
          <ProgressBar value={progress.done} max={progress.total} label="Reading the captures" className="flex-1" />
          <Button variant="danger" className="py-0.5! text-xs" onClick={cancel}>
            Cancel
          </Button>
        </div>
      )}
      {!loading && analysis.status === 'running' && (
        <div role="status" data-testid="analysis-progress" className="flex items-center gap-3 border-t border-border px-4 py-2 text-xs text-muted">
          <span aria-hidden className="inline-block size-3 animate-spin rounded-full border-2 border-accent border-t-transparent" />
          Following {formatCount(packets)} packets across the capture points…
        </div>
      )}
      {analysis.status === 'error' && (
        <p role="alert" className="border-t border-border px-4 py-2 text-sm text-danger">
          {analysis.message}
        </p>
      )}
      {open && (
        <div id="capture-table" className="max-h-80 overflow-auto border-t border-border">
          <table className="w-full text-sm">
            <thead className="sticky top-0 z-10 bg-panel text-left text-[11px] tracking-wide text-muted uppercase">
              <tr>
                <th className="py-1.5 pr-3 pl-4 font-medium">File</th>
                <th className="py-1.5 pr-3 font-medium">Status</th>
                <th className="py-1.5 pr-2 font-medium">Node</th>
                <th className="py-1.5 pr-2 font-medium">Interface</th>
                <th className="py-1.5 pr-3 font-medium">Link type</th>
                <th className="py-1.5 pr-3 text-right font-medium">Packets</th>
                <th className="py-1.5 pr-3 font-medium">Time range (UTC)</th>
                <th className="py-1.5 pr-4">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {/* Files that need attention first: a table of forty captures must not hide its one error. */}
              {[...files]
                .sort((a, b) => attention(b) - attention(a))
                .map((f) => (
                  <FileRow key={f.id} f={f} />
                ))}
            </tbody>
          </table>
          <PointsTable />
        </div>
      )}
    </section>
  );
}

'use client';

import { useState } from 'react';
import { HopDiagram, HopDiagramLegend } from '@/components/hop-diagram/HopDiagram';
import { useDashboardActions, usePanelView } from '@/components/store/dashboard-store-provider';
import type { FlowReport } from '@/lib/verdict/verdict';
import { HopTable } from './HopTable';
import { Panel } from './ui';

/** The selected flow's path: the hop diagram, or the same as a table. */
export function HopPanel({ flow, className = '' }: { flow: FlowReport | null; className?: string }) {
  const {
    analysis: { report },
    selection: { point },
  } = usePanelView();
  const { selectStation } = useDashboardActions();
  const [view, setView] = useState<'diagram' | 'table'>('diagram');
  return (
    <Panel
      title="Where the packets go"
      aria-label="Path of the selected flow"
      data-testid="hop-panel"
      className={className}
      actions={
        <div role="group" aria-label="Path view" className="flex rounded-md border border-border p-0.5 text-xs">
          {(['diagram', 'table'] as const).map((v) => (
            <button
              key={v}
              type="button"
              aria-pressed={view === v}
              onClick={() => setView(v)}
              className="rounded px-2 py-0.5 text-muted capitalize hover:text-fg aria-pressed:bg-accent-soft aria-pressed:font-medium aria-pressed:text-fg"
            >
              {v}
            </button>
          ))}
        </div>
      }
      bodyClassName="p-4 overflow-x-auto"
    >
      {!flow || !report ? (
        <p className="text-sm text-muted">No flow selected.</p>
      ) : view === 'diagram' ? (
        <div className="space-y-3">
          <HopDiagram flow={flow} clocks={report.clocks} selectedStation={point ?? undefined} onSelectStation={selectStation} />
          <HopDiagramLegend cut={flow.hops.some((h) => h.innerCut)} />
        </div>
      ) : (
        <HopTable flow={flow} selectedStation={point ?? undefined} onSelectStation={selectStation} />
      )}
    </Panel>
  );
}

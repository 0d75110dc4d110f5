'use client';

import type { DiagramStation, StationKind } from '@/lib/learn/types';

const KIND_LABEL: Record<StationKind, string> = {
  veth: 'pod veth',
  bridge: 'bridge',
  vtep: 'VXLAN device',
  tun: 'tunnel device',
  nic: 'NIC',
};

/**
 * pod A → node1's stations ══ underlay ══ node2's stations → pod B, with the current station
 * outlined and marked "you are here" in words (not by colour alone). With `counts`, each
 * station also says how many of the step's packets its capture holds.
 */
export function TwoNodeDiagram({
  stations,
  current,
  underlay,
  counts,
  onPick,
  testId = 'learn-diagram',
}: {
  stations: DiagramStation[];
  current: string;
  underlay: string;
  counts?: Record<string, number>;
  onPick?: (station: string) => void;
  testId?: string;
}) {
  const nodes = [...new Set(stations.map((s) => s.id.split('/')[0]!))];
  const idx = stations.findIndex((s) => s.id === current);
  return (
    <div data-testid={testId} className="flex items-stretch gap-2 overflow-x-auto pb-1 text-xs" role="group" aria-label="The two nodes and the capture points">
      <Pod label="pod A" />
      {nodes.map((node, ni) => (
        <div key={node} className="contents">
          {ni > 0 && (
            <div className="flex min-w-16 flex-col items-center justify-center px-1 text-center text-[10px] text-muted">
              <span aria-hidden className="block w-full border-t-4 border-double border-muted" />
              <span className="mt-1 leading-tight">underlay</span>
              <span className="leading-tight">{underlay}</span>
            </div>
          )}
          <div className="flex flex-col rounded-lg border border-border bg-panel-2 p-1.5">
            <div className="mb-1 px-0.5 text-[11px] font-semibold">{node}</div>
            <ol className="flex items-stretch gap-1">
              {stations
                .filter((s) => s.id.startsWith(`${node}/`))
                .map((s) => {
                  const i = stations.indexOf(s);
                  const here = s.id === current;
                  const iface = s.id.slice(node.length + 1);
                  return (
                    <li key={s.id} className="flex items-center gap-1">
                      <button
                        type="button"
                        data-station={s.id}
                        aria-current={here ? 'step' : undefined}
                        disabled={!onPick}
                        onClick={() => onPick?.(s.id)}
                        title={`${s.id}: ${KIND_LABEL[s.kind]}`}
                        className={`learn-station flex min-w-[5.5rem] flex-col rounded-md border px-1.5 py-1 text-left disabled:cursor-default ${
                          here ? 'border-accent bg-accent-soft' : i < idx ? 'border-border bg-panel' : 'border-border bg-panel text-muted'
                        }`}
                      >
                        <span className="font-mono text-[11px] font-medium break-all text-fg">{iface}</span>
                        <span className="text-[10px] text-muted">{KIND_LABEL[s.kind]}</span>
                        {counts && (
                          <span className={`text-[10px] font-medium ${(counts[s.id] ?? 0) > 0 ? 'text-fg' : 'text-danger'}`}>
                            {counts[s.id] ?? 0} seen
                          </span>
                        )}
                        {here && <span className="text-[10px] font-semibold text-accent">▲ you are here</span>}
                      </button>
                    </li>
                  );
                })}
            </ol>
          </div>
        </div>
      ))}
      <Pod label="pod B" />
    </div>
  );
}

function Pod({ label }: { label: string }) {
  return (
    <div className="flex items-center">
      <span className="rounded-full border border-border bg-panel px-2 py-1 text-[11px] font-medium whitespace-nowrap">{label}</span>
    </div>
  );
}

'use client';

import { useEffect, useMemo, useState } from 'react';
import { useAnalysis, useDashboardActions, useSelection } from '@/components/store/dashboard-store-provider';
import type { PacketDetail } from '@/lib/worker/protocol';
import type { FlowReport } from '@/lib/verdict/verdict';
import { clockTime, formatOffset } from '@/lib/viz/time-format';
import { laneCapture, ladderLayout, type LaneWindow } from '@/lib/viz/ladder-layout';
import { Panel, useWidth } from './ui';

/** One packet across the stations, on corrected clocks; with its layers as captured. */
export function Ladder({ flow, className = '' }: { flow: FlowReport | null; className?: string }) {
  const { generation, epochSec, report, points } = useAnalysis();
  const { group, point } = useSelection();
  const { fetchPacket } = useDashboardActions();
  const [detail, setDetail] = useState<PacketDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ref, width] = useWidth<HTMLDivElement>();

  useEffect(() => {
    setError(null);
    if (!flow || group === null || point === null) {
      setDetail(null);
      return;
    }
    let live = true;
    fetchPacket(flow.id, group, point).then(
      (d) => live && setDetail(d),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [flow, group, point, generation, fetchPacket]);

  const layout = useMemo(() => (detail && width > 0 ? ladderLayout(detail, { width, lane: 34, labelWidth: 200 }) : null), [detail, width]);
  // Each lane's capture window, corrected like the packet's times: shown under its name, and
  // what "not seen" means there (its capture ran, or had not started, or had stopped).
  const windows = useMemo(() => {
    const offset = new Map((report?.clocks ?? []).map((c) => [c.node, c.offsetNs as number]));
    return new Map<number, LaneWindow>(points.map((p) => [p.id, { firstNs: p.firstNs, lastNs: p.lastNs, offsetNs: offset.get(p.host) ?? 0 }]));
  }, [points, report]);
  const windowText = (w: LaneWindow | undefined) =>
    w && Number.isFinite(w.firstNs) ? `captured ${clockTime(epochSec, w.firstNs + w.offsetNs).slice(0, 12)}–${clockTime(epochSec, w.lastNs + w.offsetNs).slice(0, 12)}` : 'no capture window';
  // Clocks are per node: a capture inside a pod runs on its node's.
  const nodes = [...new Set(detail?.path.map((p) => points.find((x) => x.id === p.point)?.host ?? p.node) ?? [])];
  const clocks = report?.clocks ?? [];
  const first = detail && detail.sightings.length ? Math.min(...detail.sightings.map((s) => s.tNs)) : null;

  return (
    <Panel title="Time sequence of one packet" aria-label="Time sequence of the selected packet" data-testid="ladder" className={className} bodyClassName="p-3 overflow-auto">
      <div ref={ref} className="w-full">
        {!detail && !error && <p className="text-sm text-muted">Pick a packet in the list (click, or the arrow keys) to follow it across the capture points.</p>}
        {error && (
          <p role="alert" className="text-sm text-danger">
            {error}
          </p>
        )}
        {detail && layout && (
          <div className="space-y-2">
            <p className="text-xs text-muted">
              {detail.dir === 'request' ? 'Request' : 'Reply'} first seen {first !== null ? clockTime(epochSec, first) : '—'} UTC, seen at{' '}
              {detail.sightings.length} capture point{detail.sightings.length === 1 ? '' : 's'}
              {layout.spanNs > 0 ? ` over ${layout.marks.at(-1)?.delta}` : ''}.
            </p>
            <svg
              width={layout.width}
              height={layout.height}
              role="img"
              aria-label={`Packet ${detail.group}: ${layout.marks.map((m) => `${detail.path.find((p) => p.point === m.point)?.node}/${detail.path.find((p) => p.point === m.point)?.interface} at ${m.delta}`).join(', ')}`}
              className="block max-w-full overflow-visible"
            >
              {layout.lanes.map((l) => {
                const w = windows.get(l.point);
                const state = laneCapture(detail, l.point, w);
                return (
                <g key={l.point} data-lane={l.label} data-seen={l.seen} data-capture={state}>
                  <title>{`${l.label}: ${windowText(w)}`}</title>
                  {l.point === point && <rect x={0} y={l.y - 14} width={layout.width} height={28} rx={4} className="fill-accent-soft" />}
                  <text
                    x={layout.labelWidth}
                    y={l.y + 1}
                    textAnchor="end"
                    className={`font-mono text-[11px] ${l.seen ? 'fill-fg' : 'fill-muted'} ${l.point === point ? 'font-semibold' : ''}`}
                  >
                    {l.label.length > 22 ? `${l.label.slice(0, 21)}…` : l.label}
                  </text>
                  <text x={layout.labelWidth} y={l.y + 12} textAnchor="end" className="fill-muted font-mono text-[9px]" data-testid="lane-window">
                    {windowText(w)}
                  </text>
                  <line
                    x1={layout.labelWidth + 6}
                    x2={layout.width - 8}
                    y1={l.y}
                    y2={l.y}
                    className="stroke-border"
                    strokeDasharray={l.role === 'any' ? '3 3' : undefined}
                  />
                  {!l.seen && (
                    <text x={layout.width - 10} y={l.y + 4} textAnchor="end" className={`text-[11px] ${state === 'not-seen' ? 'fill-danger' : 'fill-muted'}`}>
                      {state === 'before' ? 'capture not started yet' : state === 'after' ? 'capture had stopped' : 'not seen'}
                    </text>
                  )}
                </g>
                );
              })}
              <path d={layout.path} fill="none" className={detail.dir === 'request' ? 'stroke-accent' : 'stroke-reply'} strokeWidth={1.75} />
              {layout.marks.map((m, i) => (
                <g key={i}>
                  <title>{m.title}</title>
                  <circle cx={m.x} cy={m.y} r={4.5} className={detail.dir === 'request' ? 'fill-accent' : 'fill-reply'} />
                  <text x={m.x + 7} y={m.y - 6} className="fill-muted font-mono text-[10px]">
                    {m.delta}
                  </text>
                </g>
              ))}
              <line x1={layout.labelWidth + 6} x2={layout.width - 8} y1={layout.axisY} y2={layout.axisY} className="stroke-border" />
              {layout.ticks.map((t) => (
                <g key={t.x}>
                  <line x1={t.x} x2={t.x} y1={layout.axisY} y2={layout.axisY + 4} className="stroke-muted" />
                  <text x={t.x} y={layout.axisY + 16} textAnchor="middle" className="fill-muted font-mono text-[10px]">
                    {t.label}
                  </text>
                </g>
              ))}
            </svg>
            <p className="text-[11px] text-muted">
              Corrected clocks:{' '}
              {nodes
                .map((n) => {
                  const c = clocks.find((x) => x.node === n);
                  return `${n} ${c ? formatOffset(c.offsetNs, c.method) : 'clock unknown'}`;
                })
                .join(' · ')}
            </p>
            {detail.layers.length > 0 && (
              <div>
                <h3 className="mb-1 text-[11px] font-semibold tracking-wide text-muted uppercase">
                  As captured at {detail.path.find((p) => p.point === point)?.node}/{detail.path.find((p) => p.point === point)?.interface}, frame {detail.frame}
                  {detail.file ? ` of ${detail.file}` : ''}
                </h3>
                <ol data-testid="packet-layers" className="space-y-0.5 font-mono text-[11px]">
                  {detail.layers.map((l, i) => (
                    <li key={i} style={{ paddingLeft: `${Math.min(i, 8) * 0.6}rem` }} className="truncate" title={l}>
                      {l}
                    </li>
                  ))}
                </ol>
              </div>
            )}
          </div>
        )}
      </div>
    </Panel>
  );
}

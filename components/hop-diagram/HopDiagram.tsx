'use client';

/**
 * Where the packets of one flow stop, drawn: hosts left (client) to right (server), the
 * capture points inside each on the path line, a red break where a direction stops.
 * lib/viz/hop-layout computes every position; this component only turns it into SVG.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { AnalysisReport } from '@/lib/analyze';
import type { FlowReport } from '@/lib/verdict/verdict';
import { layoutHopDiagram, noEvidence, type HopDirection, type HopLayout, type StationLayout } from '@/lib/viz/hop-layout';
import { AnyMark, Arrow, BreakMark, COLOR, FONT, laneStyle, MONO_11, NatTag, StationMark } from './glyphs';
import { stationKeyAction } from './station-keys';

export { HopDiagramLegend } from './HopDiagramLegend';

export interface HopDiagramProps {
  flow: FlowReport;
  clocks: AnalysisReport['clocks'];
  /** Pixels; without it the diagram fills its container's width and follows resizes. */
  width?: number;
  /** HopReport.point of the selected capture point. */
  selectedStation?: number;
  onSelectStation?: (point: number) => void;
  /** One direction only; both when left out. */
  direction?: HopDirection;
  className?: string;
}

/** Before the container is measured (and on the server). */
const DEFAULT_WIDTH = 960;

const CSS = `
.hopscope-hd-station { outline: none; }
.hopscope-hd-station .hopscope-hd-ring { opacity: 0; }
.hopscope-hd-station:focus-visible .hopscope-hd-ring { opacity: 1; }
.hopscope-hd-station[data-selectable="true"] { cursor: pointer; }
.hopscope-hd-station[data-selectable="true"]:hover .hopscope-hd-hover { opacity: 1; }
.hopscope-hd-station .hopscope-hd-hover { opacity: 0; }
`;

function useContainerWidth(fixed: number | undefined) {
  const ref = useRef<HTMLDivElement>(null);
  const [measured, setMeasured] = useState<number | null>(null);
  useEffect(() => {
    if (fixed !== undefined || !ref.current || typeof ResizeObserver === 'undefined') return;
    const el = ref.current;
    const ro = new ResizeObserver(([e]) => {
      const w = Math.floor(e?.contentRect.width ?? 0);
      if (w > 0) setMeasured((old) => (old === w ? old : w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [fixed]);
  return { ref, width: fixed ?? measured ?? DEFAULT_WIDTH };
}

export function HopDiagram({ flow, clocks, width, selectedStation, onSelectStation, direction, className }: HopDiagramProps) {
  const { ref, width: w } = useContainerWidth(width);
  const layout = useMemo(() => layoutHopDiagram(flow, clocks, { width: w, direction }), [flow, clocks, w, direction]);
  const svgRef = useRef<SVGSVGElement>(null);

  const select = (s: StationLayout) => {
    if (s.point !== null) onSelectStation?.(s.point);
  };
  const onKey = (e: KeyboardEvent<SVGGElement>, s: StationLayout) => {
    const action = stationKeyAction(e.key);
    if (action === null) return;
    e.preventDefault();
    if (action === 'select') {
      select(s);
      return;
    }
    // Arrow keys walk the stations in path order (the -i any ones last), like a toolbar.
    const step = action;
    const order = tabOrder(layout);
    const at = order.indexOf(s.index);
    const next = order[Math.min(order.length - 1, Math.max(0, at + step))];
    svgRef.current?.querySelector<SVGGElement>(`[data-station="${next}"]`)?.focus();
  };

  return (
    <div ref={ref} className={className} style={{ width: width === undefined ? '100%' : undefined }}>
      <svg
        ref={svgRef}
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="group"
        aria-roledescription="hop diagram"
        aria-label={`Hop diagram: ${flow.protocol.toUpperCase()} ${flow.client} → ${flow.server}`}
        style={{ display: 'block', maxWidth: '100%', height: 'auto', color: COLOR.fg, fontFamily: FONT.sans, overflow: 'visible' }}
      >
        <style>{CSS}</style>
        <g role="img" aria-label={layout.summary}>
          {layout.hosts.map((h) => (
            <g key={h.node} data-host={h.node}>
              <title>{`${h.node}${h.outside ? ' (outside the cluster, or seen at its NIC only)' : ''} — ${h.clockTitle}`}</title>
              <rect
                x={h.x}
                y={h.y}
                width={h.width}
                height={h.height}
                rx={10}
                style={{ fill: COLOR.panel, stroke: COLOR.border, strokeWidth: 1.5, strokeDasharray: h.outside ? '6 4' : undefined }}
              />
              <text x={h.x + 12} y={h.titleY} style={{ fontSize: 13, fontWeight: 650, fill: COLOR.fg }}>
                {h.node}
                {h.outside && !/outside/i.test(h.node) && <tspan style={{ fontWeight: 400, fill: COLOR.muted }}> · outside</tspan>}
              </text>
              <text x={h.x + 12} y={h.clockY} style={{ ...MONO_11, fill: COLOR.muted }}>
                {h.clockLabel}
              </text>
              {h.offPathY !== null && (
                <line x1={h.x + 8} x2={h.x + h.width - 8} y1={h.offPathY} y2={h.offPathY} style={{ stroke: COLOR.border, strokeDasharray: '2 3' }} />
              )}
            </g>
          ))}

          {layout.segments.map((s) => (
            <g key={`seg${s.index}`}>
              {s.lanes.map((l) => (
                <g key={l.direction}>
                  <line x1={s.x1} x2={s.x2} y1={l.y} y2={l.y} style={laneStyle(l.crossed, s.inferred, s.stop === l.direction)} />
                  {l.crossed && l.arrowX !== null && <Arrow x={l.arrowX} y={l.y} dir={l.arrowDir} color={COLOR.fg} />}
                </g>
              ))}
              {s.encapsulation && (
                <text x={s.encapsulation.x} y={s.encapsulation.y} textAnchor="middle" style={{ ...MONO_11, fontSize: 10.5, fill: COLOR.muted }}>
                  <title>{s.encapsulation.title}</title>
                  {s.encapsulation.lines.map((line, i) => (
                    <tspan key={i} x={s.encapsulation!.x} dy={i === 0 ? 0 : 12.5}>
                      {line}
                    </tspan>
                  ))}
                </text>
              )}
            </g>
          ))}

          {layout.breaks.map((b, i) => {
            const c = b.kind === 'stop' ? COLOR.danger : COLOR.warn;
            const spanned = b.uncaptured.length > 0;
            return (
              <g key={`break${i}`} data-break={b.direction}>
                <title>{b.title}</title>
                {spanned ? (
                  // Somewhere in this span: a bracket over it, since the step in between was not captured.
                  <path
                    d={`M${b.x1 + 12},${b.labelY + 12}v-4H${b.x2 - 12}v4`}
                    style={{ fill: 'none', stroke: c, strokeWidth: 1.5, strokeDasharray: '4 3' }}
                  />
                ) : (
                  <line x1={b.labelX} x2={b.marks[0]} y1={b.labelY + 4} y2={b.y - 11} style={{ stroke: c, strokeWidth: 1 }} />
                )}
                {b.marks.map((x) => (
                  <BreakMark key={x} x={x} y={b.y} kind={b.kind} size={spanned ? 7 : 9} />
                ))}
                <text x={b.labelX} y={b.labelY} textAnchor="middle" style={{ fontSize: 11.5, fontWeight: 700, fill: c }}>
                  {b.label}
                </text>
              </g>
            );
          })}

          {layout.nat.map((m, i) => (
            <g key={`nat${i}`}>
              <title>{m.title}</title>
              <NatTag x={m.x} y={m.y} label={m.label} />
            </g>
          ))}
        </g>

        <g>
          {tabOrder(layout).map((i) => {
            const s = layout.stations[i]!;
            const selected = s.point !== null && s.point === selectedStation;
            const selectable = s.point !== null && !!onSelectStation;
            const ring = s.state === 'any' ? { w: s.halfWidth + 4, h: s.r + 4 } : { w: s.r + 5, h: s.r + 5 };
            return (
              <g
                key={s.key}
                data-station={s.index}
                data-state={s.state}
                className="hopscope-hd-station"
                data-selectable={selectable}
                tabIndex={0}
                role="button"
                aria-label={s.title}
                aria-pressed={s.point === null ? undefined : selected}
                aria-disabled={selectable ? undefined : true}
                onClick={() => select(s)}
                onKeyDown={(e) => onKey(e, s)}
              >
                <title>{s.title}</title>
                {/* A generous hit area, and the hover and focus rings around the mark. */}
                <rect x={s.x - ring.w - 6} y={s.y - ring.h - 4} width={(ring.w + 6) * 2} height={s.state === 'any' ? (ring.h + 4) * 2 : s.countsY - s.y + ring.h + 8} style={{ fill: 'transparent' }} />
                <rect className="hopscope-hd-hover" x={s.x - ring.w} y={s.y - ring.h} width={ring.w * 2} height={ring.h * 2} rx={s.state === 'any' ? 6 : ring.h} style={{ fill: COLOR.accentSoft, opacity: 0 }} />
                {selected && (
                  <rect x={s.x - ring.w} y={s.y - ring.h} width={ring.w * 2} height={ring.h * 2} rx={s.state === 'any' ? 6 : ring.h} style={{ fill: 'none', stroke: COLOR.fg, strokeWidth: 2.5 }} />
                )}
                <rect
                  className="hopscope-hd-ring"
                  x={s.x - ring.w - 3}
                  y={s.y - ring.h - 3}
                  width={(ring.w + 3) * 2}
                  height={(ring.h + 3) * 2}
                  rx={s.state === 'any' ? 8 : ring.h + 3}
                  style={{ fill: 'none', stroke: COLOR.accent, strokeWidth: 2.5 }}
                />
                {s.state === 'any' ? (
                  <>
                    <AnyMark x={s.x} y={s.y} halfWidth={s.halfWidth} r={s.r} />
                    <text x={s.x - s.halfWidth + 7} y={s.labelY} style={{ ...MONO_11, fill: COLOR.fg }}>
                      {s.label}
                    </text>
                    <text x={s.x + s.halfWidth - 7} y={s.countsY} textAnchor="end" style={{ ...MONO_11, fill: COLOR.muted }}>
                      {s.counts}
                    </text>
                  </>
                ) : (
                  <>
                    <StationMark x={s.x} y={s.y} r={s.r} state={s.state} />
                    <text x={s.x} y={s.labelY} textAnchor="middle" style={{ ...MONO_11, fill: noEvidence(s.state) ? COLOR.muted : COLOR.fg, fontWeight: selected ? 700 : 400 }}>
                      {s.label}
                    </text>
                    <text
                      x={s.x}
                      y={s.countsY}
                      textAnchor="middle"
                      style={{ ...MONO_11, fill: COLOR.muted, fontStyle: noEvidence(s.state) ? 'italic' : undefined }}
                    >
                      {s.counts}
                    </text>
                  </>
                )}
              </g>
            );
          })}
        </g>
      </svg>
    </div>
  );
}

/** Stations in reading order: along the path, then the `-i any` ones. */
function tabOrder(l: HopLayout): number[] {
  const on = l.stations.filter((s) => s.pathIndex !== null).map((s) => s.index);
  const off = l.stations.filter((s) => s.pathIndex === null).map((s) => s.index);
  return [...on, ...off];
}

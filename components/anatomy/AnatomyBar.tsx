'use client';

import { useId, type KeyboardEvent, type Ref } from 'react';
import type { Anatomy, ByteRange } from '@/lib/anatomy/types';
import type { AnatomyBox, AnatomyLayout, Fill, LayerFamily } from '@/lib/viz/anatomy-layout';

/** Patterns over the tint: the pattern says "outer header / data / trailer" without colour. */
function PatternDefs({ id, combos }: { id: string; combos: { family: LayerFamily; fill: Fill }[] }) {
  return (
    <defs>
      {combos.map(({ family, fill }) => (
        <pattern key={`${family}-${fill}`} id={`${id}-${family}-${fill}`} patternUnits="userSpaceOnUse" width={6} height={6} patternTransform={fill === 'hatch' || fill === 'dense' ? 'rotate(45)' : undefined}>
          <rect width={6} height={6} className={`anat-fill-${family}`} />
          {fill === 'hatch' && <line x1={0} y1={0} x2={0} y2={6} strokeWidth={1.4} strokeOpacity={0.45} className={`anat-ink-${family}`} />}
          {fill === 'dense' && (
            <>
              <line x1={0} y1={0} x2={0} y2={6} strokeWidth={1.2} className={`anat-ink-${family}`} />
              <line x1={3} y1={0} x2={3} y2={6} strokeWidth={1.2} className={`anat-ink-${family}`} />
            </>
          )}
          {fill === 'dots' && <circle cx={3} cy={3} r={0.9} fillOpacity={0.55} className={`anat-dot-${family}`} />}
          {fill === 'cross' && (
            <>
              <line x1={0} y1={0} x2={6} y2={6} strokeWidth={0.8} strokeOpacity={0.55} className={`anat-ink-${family}`} />
              <line x1={6} y1={0} x2={0} y2={6} strokeWidth={0.8} strokeOpacity={0.55} className={`anat-ink-${family}`} />
            </>
          )}
        </pattern>
      ))}
    </defs>
  );
}

export interface AnatomyBarProps {
  anatomy: Anatomy;
  layout: AnatomyLayout;
  /** A caption over the bar (it travels with the export): "node1/eth0 · frame 14 · 148 bytes". */
  caption: string;
  /** The field (or layer) whose bytes are highlighted. */
  active: ByteRange | null;
  activeSegment: number | null;
  /** Byte ranges of fields that changed since the previous station. */
  changed: ByteRange[];
  onSegment(segment: number | null): void;
  svgRef?: Ref<SVGSVGElement>;
  captionHeight?: number;
}

export const CAPTION_HEIGHT = 22;

/**
 * The packet as a bar to scale: one box per segment, nested by tunnel depth, brackets for what
 * each tunnel carries. One tab stop; ← → move between boxes, each highlighting its bytes.
 */
export function AnatomyBar({ anatomy, layout, caption, active, activeSegment, changed, onSegment, svgRef, captionHeight = CAPTION_HEIGHT }: AnatomyBarProps) {
  const id = useId().replace(/[^A-Za-z0-9_-]/g, '');
  const combos = [...new Map(layout.boxes.filter((b) => b.fill !== 'solid').map((b) => [`${b.family}-${b.fill}`, { family: b.family, fill: b.fill }])).values()];
  const focusBox = (i: number) => {
    const b = layout.boxes[Math.max(0, Math.min(layout.boxes.length - 1, i))];
    if (!b) return;
    onSegment(b.segment);
    document.getElementById(`${id}-box-${b.segment}`)?.focus();
  };
  const onKey = (e: KeyboardEvent<SVGGElement>, b: AnatomyBox) => {
    const i = layout.boxes.indexOf(b);
    const to = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? layout.boxes.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    focusBox(to);
  };
  const tabStop = activeSegment ?? layout.boxes[0]?.segment ?? 0;
  const h = layout.height + captionHeight;
  const hl = active && active.length > 0 ? { x0: layout.x(active.offset), x1: layout.x(active.offset + active.length) } : null;

  return (
    <svg
      ref={svgRef}
      width={layout.width}
      height={h}
      viewBox={`0 0 ${layout.width} ${h}`}
      role="group"
      aria-label={`Packet layers to scale: ${layout.boxes.map((b) => `${b.title} ${b.length}`).join(', ')}`}
      data-testid="anatomy-bar"
      className="block max-w-full overflow-visible font-mono"
      style={{ fontSize: 11 }}
    >
      <PatternDefs id={id} combos={combos} />
      <text x={0} y={14} className="anat-text font-sans" style={{ fontSize: 12, fontWeight: 600 }}>
        {caption}
      </text>
      <g transform={`translate(0 ${captionHeight})`}>
        {layout.boxes.map((b) => {
          const on = activeSegment === b.segment;
          const cy = b.y + b.height / 2;
          return (
            <g
              key={b.segment}
              id={`${id}-box-${b.segment}`}
              role="button"
              tabIndex={b.segment === tabStop ? 0 : -1}
              aria-label={b.description}
              aria-pressed={on}
              data-testid="anatomy-box"
              data-title={b.title}
              data-bytes={b.length}
              data-role={b.role}
              data-depth={b.depth}
              data-family={b.family}
              data-fill={b.fill}
              onMouseEnter={() => onSegment(b.segment)}
              onFocus={() => onSegment(b.segment)}
              onKeyDown={(e) => onKey(e, b)}
              className="cursor-default outline-none"
            >
              <title>{b.description + (b.widened ? ' — drawn wider than its bytes so it can be read' : '')}</title>
              <rect
                x={b.x + 0.5}
                y={b.y + 0.5}
                width={Math.max(0, b.width - 1)}
                height={Math.max(0, b.height - 1)}
                rx={3}
                fill={b.fill === 'solid' ? undefined : `url(#${id}-${b.family}-${b.fill})`}
                className={`${b.fill === 'solid' ? `anat-fill-${b.family}` : ''} ${on ? 'anat-hl' : `anat-ink-${b.family}`}`}
                strokeWidth={on ? 2.5 : 1}
              />
              {b.lines.length === 2 && (
                <>
                  <text x={b.x + b.width / 2} y={cy - 3} textAnchor="middle" className="anat-text" style={{ fontWeight: 600 }}>
                    {b.lines[0]}
                  </text>
                  <text x={b.x + b.width / 2} y={cy + 11} textAnchor="middle" className="anat-text">
                    {b.lines[1]}
                  </text>
                </>
              )}
              {b.lines.length === 1 && (
                <text x={b.x + b.width / 2} y={cy + 4} textAnchor="middle" className="anat-text">
                  {b.lines[0]}
                </text>
              )}
              {b.widened && (
                // A break mark on the box's bottom edge: not to scale.
                <path d={`M${b.x + b.width / 2 - 4} ${b.y + b.height - 4} l3 -4 l2 4 l3 -4`} fill="none" strokeWidth={1} className={`anat-ink-${b.family}`} />
              )}
            </g>
          );
        })}
        {changed.map((r, i) => (
          <line
            key={i}
            x1={layout.x(r.offset) + 2}
            x2={layout.x(r.offset + r.length) - 2}
            y1={layout.barTop + layout.barHeight + 3}
            y2={layout.barTop + layout.barHeight + 3}
            strokeWidth={3}
            strokeLinecap="round"
            className="anat-changed-ink"
            data-testid="anatomy-changed-mark"
          />
        ))}
        {hl && (
          <rect
            x={hl.x0}
            y={layout.barTop - 2}
            width={Math.max(3, hl.x1 - hl.x0)}
            height={layout.barHeight + 4}
            rx={3}
            fill="none"
            strokeWidth={2}
            className="anat-hl pointer-events-none"
            data-export="skip"
            data-testid="anatomy-bar-highlight"
          />
        )}
        {layout.brackets.map((k) => (
          <g key={`${k.depth}-${k.offset}`} data-testid="anatomy-bracket" data-depth={k.depth}>
            <path d={`M${k.x0 + 1} ${k.y - 6} V${k.y} H${k.x1 - 1} V${k.y - 6}`} fill="none" strokeWidth={1} className="anat-rule" />
            <text x={(k.x0 + k.x1) / 2} y={k.y + 13} textAnchor="middle" className="anat-muted font-sans" style={{ fontSize: 11 }}>
              {k.label} ({k.length} bytes)
            </text>
          </g>
        ))}
      </g>
    </svg>
  );
}

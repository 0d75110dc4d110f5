/**
 * The hop diagram's marks, shared by the diagram and its legend. Colours are the app's CSS
 * variables (app/globals.css, switched by data-theme on <html>) with the light values as
 * fallbacks, set as inline styles so the SVG looks right without Tailwind (exports, tests,
 * static HTML). Every state differs by shape or line as well as colour.
 */
import type { CSSProperties } from 'react';
import type { StationState } from '@/lib/viz/hop-layout';

export const COLOR = {
  fg: 'var(--fg, #111827)',
  muted: 'var(--muted, #5b6575)',
  border: 'var(--border, #d9dee6)',
  panel: 'var(--panel, #ffffff)',
  panel2: 'var(--panel-2, #f0f3f7)',
  accent: 'var(--accent, #0e7490)',
  accentSoft: 'var(--accent-soft, #cff1f7)',
  danger: 'var(--danger, #b42318)',
  dangerSoft: 'var(--danger-soft, #fef1f0)',
  warn: 'var(--warn, #9a4a06)',
  warnSoft: 'var(--warn-soft, #fff6e0)',
} as const;

export const FONT = {
  sans: 'var(--font-geist-sans, ui-sans-serif), ui-sans-serif, system-ui, sans-serif',
  mono: 'var(--font-geist-mono, ui-monospace), ui-monospace, SFMono-Regular, Menlo, monospace',
} as const;

export const MONO_11: CSSProperties = { fontFamily: FONT.mono, fontSize: 11 };

/** A path station: filled when packets were seen, hollow when none, dashed with ? when not captured, dashed and barred when not recording then, dashed and struck through when cut before the inner packet. */
export function StationMark({ x, y, r, state }: { x: number; y: number; r: number; state: Exclude<StationState, 'any'> }) {
  if (state === 'not-captured') {
    return (
      <g>
        <circle cx={x} cy={y} r={r} style={{ fill: COLOR.panel, stroke: COLOR.muted, strokeWidth: 1.5, strokeDasharray: '3 2.5' }} />
        <text x={x} y={y + 4} textAnchor="middle" style={{ ...MONO_11, fontWeight: 700, fill: COLOR.muted }}>
          ?
        </text>
      </g>
    );
  }
  if (state === 'idle') {
    // A pause sign: the capture was there, not recording while this flow passed.
    const h = r * 0.45;
    return (
      <g>
        <circle cx={x} cy={y} r={r} style={{ fill: COLOR.panel, stroke: COLOR.muted, strokeWidth: 1.5, strokeDasharray: '3 2.5' }} />
        <path d={`M${x - r * 0.25},${y - h}v${2 * h}M${x + r * 0.25},${y - h}v${2 * h}`} style={{ stroke: COLOR.muted, strokeWidth: 1.6, strokeLinecap: 'round' }} />
      </g>
    );
  }
  if (state === 'cut') {
    // Scissors' cut: the capture was there, its snap length cut the tunnel's inner packets off.
    const a = r * 0.45;
    return (
      <g>
        <circle cx={x} cy={y} r={r} style={{ fill: COLOR.panel, stroke: COLOR.muted, strokeWidth: 1.5, strokeDasharray: '3 2.5' }} />
        <path d={`M${x - a},${y + a}L${x + a},${y - a}`} style={{ stroke: COLOR.muted, strokeWidth: 1.6, strokeLinecap: 'round' }} />
      </g>
    );
  }
  if (state === 'zero') {
    return <circle cx={x} cy={y} r={r - 1} style={{ fill: COLOR.panel, stroke: COLOR.fg, strokeWidth: 2 }} />;
  }
  return <circle cx={x} cy={y} r={r} style={{ fill: COLOR.accent, stroke: COLOR.panel, strokeWidth: 1.5 }} />;
}

/** The box an `-i any` capture is drawn as, off the path line. */
export function AnyMark({ x, y, halfWidth, r }: { x: number; y: number; halfWidth: number; r: number }) {
  return <rect x={x - halfWidth} y={y - r} width={halfWidth * 2} height={r * 2} rx={4} style={{ fill: COLOR.panel2, stroke: COLOR.muted, strokeWidth: 1, strokeDasharray: '4 2' }} />;
}

/** The break: ✕ in a red ring for a stop, ? in an amber dashed ring when the step was not observed. */
export function BreakMark({ x, y, kind, size = 9 }: { x: number; y: number; kind: 'stop' | 'unobserved'; size?: number }) {
  const c = kind === 'stop' ? COLOR.danger : COLOR.warn;
  const a = size * 0.45;
  return (
    <g>
      {/* Two slashes across the line: the path is cut here. */}
      <path
        d={`M${x - size - 5},${y + 6}l4,-12M${x + size + 1},${y + 6}l4,-12`}
        style={{ stroke: c, strokeWidth: 2, strokeLinecap: 'round', fill: 'none' }}
      />
      <circle cx={x} cy={y} r={size} style={{ fill: kind === 'stop' ? COLOR.dangerSoft : COLOR.warnSoft, stroke: c, strokeWidth: 2, strokeDasharray: kind === 'stop' ? undefined : '3 2' }} />
      {kind === 'stop' ? (
        <path d={`M${x - a},${y - a}L${x + a},${y + a}M${x + a},${y - a}L${x - a},${y + a}`} style={{ stroke: c, strokeWidth: 2.5, strokeLinecap: 'round' }} />
      ) : (
        <text x={x} y={y + 4} textAnchor="middle" style={{ ...MONO_11, fontWeight: 700, fill: c }}>
          ?
        </text>
      )}
    </g>
  );
}

/** Address translation tag: a notched label, amber. */
export function NatTag({ x, y, label }: { x: number; y: number; label: string }) {
  const w = label.length * 6.4 + 10;
  const h = 14;
  return (
    <g>
      <path
        d={`M${x - w / 2},${y - h / 2}h${w}v${h}h${-(w / 2 - 4)}l-4,4l-4,-4h${-(w / 2 - 4)}z`}
        style={{ fill: COLOR.warnSoft, stroke: COLOR.warn, strokeWidth: 1 }}
      />
      <text x={x} y={y + 3.5} textAnchor="middle" style={{ fontFamily: FONT.mono, fontSize: 9.5, fontWeight: 700, fill: COLOR.warn, letterSpacing: 0.3 }}>
        {label}
      </text>
    </g>
  );
}

/** A direction chevron on a lane: → for requests, ← for replies. */
export function Arrow({ x, y, dir, color }: { x: number; y: number; dir: 1 | -1; color: string }) {
  return <path d={`M${x - 2.5 * dir},${y - 3}L${x + 2 * dir},${y}L${x - 2.5 * dir},${y + 3}`} style={{ fill: 'none', stroke: color, strokeWidth: 1.6, strokeLinecap: 'round', strokeLinejoin: 'round' }} />;
}

/** How a lane is stroked: solid when packets crossed, dotted when none did, dashed when inferred across an uncaptured point. */
export function laneStyle(crossed: boolean, inferred: boolean, stop: boolean): CSSProperties {
  if (stop) return { stroke: COLOR.danger, strokeWidth: 1.5, strokeDasharray: '2 4', strokeLinecap: 'round', opacity: 0.9 };
  if (!crossed) return { stroke: COLOR.muted, strokeWidth: 1.5, strokeDasharray: '1 5', strokeLinecap: 'round', opacity: 0.8 };
  return { stroke: COLOR.fg, strokeWidth: 2, strokeDasharray: inferred ? '6 4' : undefined, opacity: 0.7 };
}

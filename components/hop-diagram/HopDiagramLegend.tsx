/** What the hop diagram's marks mean, drawn with the same glyphs. */
import type { ReactNode } from 'react';
import { AnyMark, Arrow, BreakMark, COLOR, laneStyle, NatTag, StationMark } from './glyphs';

function Item({ children, label, w = 28 }: { children: ReactNode; label: string; w?: number }) {
  return (
    <li style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}>
      <svg width={w} height={22} viewBox={`0 0 ${w} 22`} aria-hidden="true" style={{ overflow: 'visible', flex: 'none' }}>
        {children}
      </svg>
      <span>{label}</span>
    </li>
  );
}

/** `cut`: the drawn flow has a station whose capture cut the tunnel's inner packets off (a rare mark, shown only then). */
export function HopDiagramLegend({ className, cut = false }: { className?: string; cut?: boolean }) {
  return (
    <ul
      aria-label="Hop diagram legend"
      className={className}
      style={{ display: 'flex', flexWrap: 'wrap', gap: '6px 16px', margin: 0, padding: 0, listStyle: 'none', fontSize: 12, color: COLOR.muted }}
    >
      <Item label="packets seen">
        <StationMark x={14} y={11} r={7} state="seen" />
      </Item>
      <Item label="captured, none seen">
        <StationMark x={14} y={11} r={7} state="zero" />
      </Item>
      <Item label="not captured">
        <StationMark x={14} y={11} r={7} state="not-captured" />
      </Item>
      <Item label="not recording then">
        <StationMark x={14} y={11} r={7} state="idle" />
      </Item>
      {cut && (
        <Item label="cut before the inner packet">
          <StationMark x={14} y={11} r={7} state="cut" />
        </Item>
      )}
      <Item label="-i any capture (off the path)" w={40}>
        <AnyMark x={20} y={11} halfWidth={18} r={7} />
      </Item>
      <Item label="crossed (→ requests, ← replies)" w={36}>
        <line x1={2} x2={34} y1={11} y2={11} style={laneStyle(true, false, false)} />
        <Arrow x={18} y={11} dir={1} color={COLOR.fg} />
      </Item>
      <Item label="not crossed" w={36}>
        <line x1={2} x2={34} y1={11} y2={11} style={laneStyle(false, false, false)} />
      </Item>
      <Item label="packets stop" w={40}>
        <line x1={0} x2={40} y1={11} y2={11} style={laneStyle(false, false, true)} />
        <BreakMark x={20} y={11} kind="stop" size={7} />
      </Item>
      <Item label="address translation" w={40}>
        <NatTag x={20} y={10} label="NAT" />
      </Item>
    </ul>
  );
}

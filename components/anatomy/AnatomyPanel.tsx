'use client';

import './anatomy.css';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useAnalysis, useDashboardActions, useSelection } from '@/components/store/dashboard-store-provider';
import { Button, downloadBlob, Panel, useWidth } from '@/components/dashboard/ui';
import { ABSENT } from '@/lib/anatomy';
import type { FieldChange, MtuArithmetic, StationDiff } from '@/lib/anatomy/types';
import type { FlowReport } from '@/lib/verdict/verdict';
import { overlay } from '@/lib/protocols/overlays';
import type { PacketAnatomyDetail, StationAnatomy } from '@/lib/worker/protocol';
import { AnatomyBar, CAPTION_HEIGHT } from './AnatomyBar';
import {
  anatomyFileName,
  anatomyLayout,
  changedRanges,
  changeMap,
  fieldAt,
  innerDepth,
  overviewBars,
  segmentAt,
  type Fill,
  type LayerFamily,
} from '@/lib/viz/anatomy-layout';
import { FieldList, type FieldRef } from './FieldList';
import { HexDump } from './HexDump';
import { standaloneSvg, svgToPng } from './export-image';

interface Pin {
  generation: number;
  flow: number;
  group: number;
}

interface Hover {
  field: FieldRef | null;
  segment: number | null;
}

const LEGEND: { family: LayerFamily; label: string }[] = [
  { family: 'link', label: 'link (Ethernet, VLAN, SLL)' },
  { family: 'network', label: 'network (IPv4, IPv6)' },
  { family: 'transport', label: 'transport (UDP, TCP)' },
  { family: 'tunnel', label: 'tunnel (VXLAN, Geneve, flannel)' },
  { family: 'icmp', label: 'ICMP' },
  { family: 'data', label: 'data' },
  { family: 'trailer', label: 'padding, trailer, FCS' },
];

const PATTERNS: { fill: Fill; label: string }[] = [
  { fill: 'hatch', label: 'hatched: outer (encapsulation) header' },
  { fill: 'solid', label: 'plain: innermost headers' },
  { fill: 'dots', label: 'dotted: data' },
  { fill: 'cross', label: 'cross-hatched: trailer or FCS' },
];

function stationName(s: Pick<StationAnatomy, 'node' | 'interface'>): string {
  return `${s.node}/${s.interface}`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0';
}

/**
 * The selected packet, opened up: its layers to scale, each field with its bytes, the hex dump,
 * and the same packet at every station that saw it with what changed on the way. Opens when a
 * packet is picked and stays open while the hop diagram steps from station to station.
 */
export function AnatomyPanel({ flow, className = '' }: { flow: FlowReport | null; className?: string }) {
  const { generation } = useAnalysis();
  const { group } = useSelection();
  const [pin, setPin] = useState<Pin | null>(null);

  // Picking a packet pins it; picking a station afterwards (which clears the list's pick) keeps
  // it and shows that station's copy. Another flow or another analysis closes it.
  useEffect(() => {
    if (flow && group !== null) setPin({ generation, flow: flow.id, group });
  }, [flow, group, generation]);
  const live = pin && flow && pin.flow === flow.id && pin.generation === generation ? pin : null;
  if (!live) return null;
  return <AnatomyView key={`${live.generation}:${live.flow}:${live.group}`} pin={live} onClose={() => setPin(null)} className={className} />;
}

function AnatomyView({ pin, onClose, className }: { pin: Pin; onClose(): void; className: string }) {
  const { point } = useSelection();
  const { fetchAnatomy } = useDashboardActions();
  const [detail, setDetail] = useState<PacketAnatomyDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState(0);
  const [hover, setHover] = useState<Hover | null>(null);
  const [focused, setFocused] = useState<Hover | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);
  const [ref, width] = useWidth<HTMLDivElement>();
  const svgRef = useRef<SVGSVGElement | null>(null);
  const hexId = `${useId().replace(/[^A-Za-z0-9_-]/g, '')}-hex`;

  useEffect(() => {
    let current = true;
    fetchAnatomy(pin.flow, pin.group).then(
      (d) => {
        if (!current) return;
        setDetail(d);
        const i = d.stations.findIndex((s) => s.point === point);
        setAt(i >= 0 ? i : 0);
      },
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
    // `point` is read once per packet (not a dependency): afterwards the effect below follows it.
  }, [pin.flow, pin.group, fetchAnatomy]);

  // A station picked in the hop diagram or the station menu: show its copy, if it saw one.
  useEffect(() => {
    if (!detail || point === null) return;
    const i = detail.stations.findIndex((s) => s.point === point);
    if (i >= 0) setAt(i);
  }, [point, detail]);

  const station = detail?.stations[at] ?? null;
  const diff = detail && at > 0 ? (detail.diffs[at] ?? null) : null;
  const notSeenHere = detail && point !== null && station && station.point !== point && !detail.stations.some((s) => s.point === point);

  const barWidth = Math.max(320, width);
  const layout = useMemo(() => (station ? anatomyLayout(station.anatomy, { width: barWidth - 2 }) : null), [station, barWidth]);
  const changes = useMemo(() => (station && diff ? changeMap(station.anatomy, diff.changed) : new Map()), [station, diff]);
  const changed = useMemo(() => (station ? changedRanges(station.anatomy, changes) : []), [station, changes]);

  const shown = hover ?? focused;
  const activeField = shown?.field ? (station?.anatomy.layers[shown.field.layer]?.fields[shown.field.field] ?? null) : null;
  const activeSegment = shown?.segment ?? null;
  const segment = activeSegment !== null ? (station?.anatomy.segments[activeSegment] ?? null) : null;
  const activeRange = activeField ?? segment;
  const aroundLayer = shown?.field ? (station?.anatomy.layers[shown.field.layer] ?? null) : null;

  const step = useCallback(
    (to: number) => {
      if (!detail) return;
      const i = Math.max(0, Math.min(detail.stations.length - 1, to));
      setAt(i);
      setHover(null);
      setFocused(null);
    },
    [detail],
  );

  const segmentOfField = (f: FieldRef) => {
    const l = station?.anatomy.layers[f.layer];
    return l ? segmentAt(station!.anatomy, l.offset) : null;
  };
  const onField = (f: FieldRef | null) => setHover(f ? { field: f, segment: segmentOfField(f) } : null);
  const onFieldFocus = (f: FieldRef | null) => setFocused(f ? { field: f, segment: segmentOfField(f) } : null);
  const onByte = useCallback(
    (o: number | null) => {
      if (o === null || !station) return setHover(null);
      const f = fieldAt(station.anatomy, o);
      setHover({ field: f, segment: segmentAt(station.anatomy, o) });
    },
    [station],
  );
  const onPick = useCallback(
    (o: number) => {
      if (!station) return;
      const f = fieldAt(station.anatomy, o);
      setFocused({ field: f, segment: segmentAt(station.anatomy, o) });
      if (f) document.querySelector<HTMLElement>(`[data-testid="field-list"] [data-field-ref="${f.layer}:${f.field}"]`)?.focus();
    },
    [station],
  );

  const exportAs = async (kind: 'svg' | 'png') => {
    if (!station || !svgRef.current) return;
    setExporting(kind);
    setHover(null);
    setFocused(null);
    try {
      // Two frames: the highlight is gone from the SVG before it is copied.
      await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
      const panel = svgRef.current.closest('section');
      const bg = panel ? getComputedStyle(panel).backgroundColor : null;
      const text = standaloneSvg(svgRef.current, bg);
      const name = anatomyFileName(station.node, station.interface, station.frame, kind);
      downloadBlob(kind === 'svg' ? new Blob([text], { type: 'image/svg+xml' }) : await svgToPng(text), name);
      setError(null);
    } catch (e) {
      setError(`Export failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setExporting(null);
    }
  };

  const caption = station
    ? `${stationName(station)} · frame ${station.frame}${station.file ? ` of ${station.file}` : ''} · ${station.anatomy.capLen} bytes captured${station.anatomy.origLen > station.anatomy.capLen ? ` of ${station.anatomy.origLen}` : ''} · ${detail!.dir}`
    : '';

  return (
    <Panel
      title={`Packet anatomy${station ? ` — ${stationName(station)}, frame ${station.frame}` : ''}`}
      aria-label="Packet anatomy"
      data-testid="anatomy-panel"
      data-station={station ? stationName(station) : undefined}
      className={`anatomy anatomy-panel ${className}`}
      actions={
        <div className="anat-noprint flex items-center gap-2">
          <Button className="px-2 py-0.5 text-xs" disabled={!station || exporting !== null} onClick={() => void exportAs('svg')} data-testid="anatomy-export-svg">
            Export SVG
          </Button>
          <Button className="px-2 py-0.5 text-xs" disabled={!station || exporting !== null} onClick={() => void exportAs('png')} data-testid="anatomy-export-png">
            Export PNG
          </Button>
          <Button variant="ghost" className="px-2 py-0.5 text-xs" aria-label="Close the packet anatomy" onClick={onClose}>
            Close
          </Button>
        </div>
      }
      bodyClassName="p-4"
    >
      <div ref={ref} className="w-full space-y-4">
        {error && (
          <p role="alert" className="text-sm text-danger">
            {error}
          </p>
        )}
        {!detail && !error && <p className="text-sm text-muted">Reading the packet at every station…</p>}
        {detail && detail.stations.length === 0 && <p className="text-sm text-muted">No station kept this packet&apos;s bytes.</p>}
        {detail && station && layout && (
          <>
            <Stations detail={detail} at={at} width={barWidth} onStep={step} />
            {notSeenHere && (
              <p className="text-xs text-warn" data-testid="anatomy-not-seen">
                This packet was not captured at the station picked in the path; showing {stationName(station)}.
              </p>
            )}
            <DiffBox diff={diff} station={station} previous={at > 0 ? detail.stations[at - 1]! : null} />
            <div>
              <AnatomyBar
                anatomy={station.anatomy}
                layout={layout}
                caption={caption}
                active={activeRange}
                activeSegment={activeSegment}
                changed={changed}
                onSegment={(s) => setHover(s === null ? null : { field: null, segment: s })}
                svgRef={svgRef}
                captionHeight={CAPTION_HEIGHT}
              />
              <Legend nested={innerDepth(station.anatomy) > 0} widened={layout.boxes.some((b) => b.widened)} />
            </div>
            <div className="grid gap-4 lg:grid-cols-[minmax(0,1.15fr)_minmax(0,1fr)]" onMouseLeave={() => setHover(null)}>
              <div>
                <h3 className="mb-1 text-[11px] font-semibold tracking-wide text-muted uppercase">Fields</h3>
                <FieldList
                  anatomy={station.anatomy}
                  bytes={station.bytes}
                  active={shown?.field ?? null}
                  changes={changes}
                  onField={onField}
                  onFocusField={onFieldFocus}
                  hexId={hexId}
                />
              </div>
              <div>
                <h3 className="mb-1 text-[11px] font-semibold tracking-wide text-muted uppercase">
                  Bytes{activeRange ? ` — ${activeField ? activeField.name : segment?.label || ''} (${activeRange.length} byte${activeRange.length === 1 ? '' : 's'} at ${activeRange.offset})` : ''}
                </h3>
                <HexDump id={hexId} bytes={station.bytes} active={activeRange} around={aroundLayer} changed={changed} onByte={onByte} onPick={onPick} />
              </div>
            </div>
            <MtuBox detail={detail} at={at} />
          </>
        )}
      </div>
    </Panel>
  );
}

/** Every station's copy on one scale: the packet grows where it is encapsulated. Also the stepper. */
function Stations({ detail, at, width, onStep }: { detail: PacketAnatomyDetail; at: number; width: number; onStep(i: number): void }) {
  const labelW = 190;
  // Label, bar, size and growth columns, with their gaps and the row's padding.
  const barW = Math.max(80, width - labelW - 2 * 48 - 3 * 8 - 16);
  const bars = useMemo(() => overviewBars(detail.stations.map((s) => s.anatomy), barW), [detail, barW]);
  const list = useRef<HTMLDivElement | null>(null);
  const n = detail.stations.length;
  const go = (i: number) => {
    const to = Math.max(0, Math.min(n - 1, i));
    onStep(to);
    list.current?.querySelectorAll<HTMLElement>('[role="tab"]')[to]?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const to =
      e.key === 'ArrowRight' || e.key === 'ArrowDown' ? at + 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? at - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : null;
    if (to === null) return;
    e.preventDefault();
    go(to);
  };
  const cur = detail.stations[at]!;
  return (
    <div className="space-y-1.5">
      <div className="anat-noprint flex items-center gap-2 text-xs">
        <Button className="px-2 py-0.5 text-xs" disabled={at === 0} onClick={() => onStep(at - 1)} aria-label="Previous station" data-testid="anatomy-prev">
          ←
        </Button>
        <span data-testid="anatomy-step" className="tabular-nums">
          Station {at + 1} of {n}: <strong>{stationName(cur)}</strong> ({cur.role})
        </span>
        <Button className="px-2 py-0.5 text-xs" disabled={at === n - 1} onClick={() => onStep(at + 1)} aria-label="Next station" data-testid="anatomy-next">
          →
        </Button>
        <span className="text-muted">
          The {detail.dir} at every station that captured it, in the order it crossed them, on one scale.
        </span>
      </div>
      <div ref={list} role="tablist" aria-label="Stations that captured this packet" aria-orientation="vertical" onKeyDown={onKey} className="space-y-px">
        {detail.stations.map((s, i) => {
          const prev = detail.stations[i - 1];
          const delta = prev ? s.anatomy.capLen - prev.anatomy.capLen : 0;
          const d = detail.diffs[i];
          return (
            <button
              key={`${s.point}-${s.frame}`}
              type="button"
              role="tab"
              aria-selected={i === at}
              tabIndex={i === at ? 0 : -1}
              data-testid="anatomy-station"
              data-station={stationName(s)}
              onClick={() => onStep(i)}
              className="flex w-full items-center gap-2 rounded px-1 py-0.5 text-left font-mono text-[11px] hover:bg-panel-2 aria-selected:bg-accent-soft"
            >
              <span className="shrink-0 truncate" style={{ width: labelW }} title={`${stationName(s)} (${s.role}), frame ${s.frame}`}>
                {stationName(s)}
              </span>
              <svg width={barW} height={12} aria-hidden="true" className="shrink-0">
                {bars[i]!.map((b) => (
                  <rect key={b.segment} x={b.x} y={1} width={Math.max(0.5, b.width - 0.5)} height={10} className={`anat-fill-${b.family} anat-ink-${b.family}`} strokeWidth={0.5} />
                ))}
              </svg>
              <span className="w-12 shrink-0 text-right tabular-nums">{s.anatomy.capLen} B</span>
              <span className={`w-12 shrink-0 text-right tabular-nums ${delta ? 'anat-changed-text' : 'text-muted'}`} title={d?.summary}>
                {prev ? signed(delta) : ''}
              </span>
            </button>
          );
        })}
      </div>
    </div>
  );
}

function DiffBox({ diff, station, previous }: { diff: StationDiff | null; station: StationAnatomy; previous: StationAnatomy | null }) {
  if (!previous) {
    return (
      <p className="text-xs text-muted" data-testid="anatomy-diff" data-kind="first">
        First station to capture it: {stationName(station)}. Step on (→) to see what each hop adds, removes and rewrites.
      </p>
    );
  }
  if (!diff) return null;
  const kind = diff.added.length > 0 ? 'encapsulated' : diff.removed.length > 0 ? 'decapsulated' : diff.changed.length > 0 ? 'changed' : 'same';
  return (
    <div className="space-y-1 rounded-md border border-border bg-panel-2 px-3 py-2 text-xs" data-testid="anatomy-diff" data-kind={kind}>
      <p>
        <span className="text-muted">
          From {stationName(previous)} to {stationName(station)}:
        </span>{' '}
        <strong data-testid="anatomy-diff-summary">{diff.summary}</strong>
      </p>
      {diff.added.length > 0 && (
        <p>
          <span className="text-muted">Added: </span>
          {diff.added.map((l, i) => (
            <span key={i} className="mr-1.5 inline-block rounded border border-ok/40 px-1 text-ok">
              + {l.title} {l.length}
            </span>
          ))}
        </p>
      )}
      {diff.removed.length > 0 && (
        <p>
          <span className="text-muted">Removed: </span>
          {diff.removed.map((l, i) => (
            <span key={i} className="mr-1.5 inline-block rounded border border-danger/40 px-1 text-danger">
              − {l.title} {l.length}
            </span>
          ))}
        </p>
      )}
      {diff.changed.length > 0 && (
        <ul className="space-y-0.5" aria-label="Fields that changed">
          {diff.changed.map((c, i) => (
            <li key={i} data-testid="anatomy-change" data-key={c.key}>
              <span className="font-medium">{changeName(c)}</span> <ChangeValue c={c} /> <span className="text-muted">— {c.why}</span>
            </li>
          ))}
        </ul>
      )}
      {diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0 && <p className="text-muted">Byte for byte the same headers.</p>}
    </div>
  );
}

/** "IPv4 Time to Live"; "VXLAN Network Identifier" when the name already says its layer. */
function changeName(c: FieldChange): string {
  const outer = c.fromLayer === undefined || c.toLayer === undefined ? 'outer ' : '';
  return c.name.startsWith(c.layerTitle) ? `${outer}${c.name}` : `${outer}${c.layerTitle} ${c.name}`;
}

/** "64 → 63"; a field of an added header has only its new value, a removed one only its old. */
function ChangeValue({ c }: { c: FieldChange }) {
  if (c.from === ABSENT) return <span className="anat-changed-text font-mono">{c.to}</span>;
  if (c.to === ABSENT) return <span className="font-mono line-through">{c.from}</span>;
  return (
    <span className="font-mono">
      {c.from} → <span className="anat-changed-text">{c.to}</span>
    </span>
  );
}

/**
 * The overlay's arithmetic on this packet. A station that sees only the inner packet (a pod, a
 * bridge, flannel.1) borrows the arithmetic of the station where the packet was encapsulated.
 */
function MtuBox({ detail, at }: { detail: PacketAnatomyDetail; at: number }) {
  const m: MtuArithmetic | undefined = detail.mtu[at];
  const last = detail.stations.at(-1);
  const name = (o: MtuArithmetic['overlay']) => (o === 'none' ? 'no overlay' : overlay(o).name);
  // Too big, and no station saw it encapsulated: it stopped before the tunnel.
  const stopped = m && !m.fits && detail.stations.every((s) => innerDepth(s.anatomy) === 0) ? last : null;
  return (
    <section
      aria-label="MTU arithmetic"
      data-testid="anatomy-mtu"
      data-fits={m ? String(m.fits) : undefined}
      data-overlay={m?.overlay}
      className={`rounded-md border px-3 py-2 text-xs ${m && !m.fits ? 'border-danger/50 bg-danger-soft' : 'border-border'}`}
    >
      <h3 className="mb-1 text-[11px] font-semibold tracking-wide text-muted uppercase">MTU arithmetic</h3>
      {!m || m.overlay === 'none' ? (
        <p className="text-muted">No overlay on this packet&apos;s path: it travels as it is, within the underlay MTU{m ? ` (${m.innerLength} bytes of IP)` : ''}.</p>
      ) : (
        <>
          <p className="mb-1">
            {name(m.overlay)} adds <strong>{m.overhead} bytes</strong> in front of the inner packet
            {m.parts && m.parts.length > 0 ? ` (${m.parts.map((p) => `${p.title} ${p.length}`).join(' + ')})` : ''}: on an underlay MTU of {m.underlayMtu}, inner
            packets up to <strong>{m.innerMtu}</strong> bytes fit. This one is {m.innerLength}:{' '}
            {m.fits ? <span className="text-ok">it fits.</span> : <strong className="text-danger">it does not fit.</strong>}
            {m.measured === false ? (
              <span className="text-muted">
                {m.measuredElsewhere
                  ? ' (this copy carries no tunnel headers: the overhead is the one measured on this packet where it was captured encapsulated)'
                  : ` (this copy carries no tunnel headers: the overhead is ${name(m.overlay)}'s nominal one)`}
              </span>
            ) : null}
          </p>
          <ul className="font-mono text-[11px]">
            {m.lines.map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ul>
          {stopped && (
            <p className="mt-1 text-danger" data-testid="anatomy-mtu-stop">
              Where it did not fit: last captured at {stationName(stopped)}, it never appears encapsulated. {m.innerLength} bytes of IP plus{' '}
              {m.overhead} of {name(m.overlay)} is {m.innerLength + m.overhead}, over the {m.underlayMtu}-byte underlay: the tunnel device (MTU {m.innerMtu}) cannot take it.
            </p>
          )}
        </>
      )}
    </section>
  );
}

function Legend({ nested, widened }: { nested: boolean; widened: boolean }) {
  return (
    <div className="mt-1 flex flex-wrap gap-x-3 gap-y-1 text-[11px] text-muted" aria-label="Legend">
      {LEGEND.map((l) => (
        <span key={l.family} className="inline-flex items-center gap-1">
          <span aria-hidden="true" className={`inline-block h-2.5 w-4 rounded-sm border anat-swatch-${l.family}`} />
          {l.label}
        </span>
      ))}
      {PATTERNS.filter((p) => nested || p.fill !== 'hatch').map((p) => (
        <span key={p.fill} className="inline-flex items-center gap-1">
          <span
            aria-hidden="true"
            className={`inline-block h-2.5 w-4 rounded-sm border border-muted ${p.fill === 'solid' ? '' : `anat-swatch-${p.fill}`}`}
            style={{ color: 'var(--muted)' }}
          />
          {p.label}
        </span>
      ))}
      {widened && (
        <span className="inline-flex items-center gap-1">
          <svg width={16} height={10} aria-hidden="true">
            <path d="M3 8 l3 -4 l2 4 l3 -4" fill="none" strokeWidth={1} className="anat-rule" />
          </svg>
          zigzag: widened to be read, not to scale (its label has the true bytes)
        </span>
      )}
    </div>
  );
}

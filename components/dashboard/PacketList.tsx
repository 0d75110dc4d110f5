'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useAnalysis, useDashboardActions, useSelection } from '@/components/store/dashboard-store-provider';
import type { PacketListRow } from '@/lib/worker/protocol';
import { noEvidenceAt, type FlowReport } from '@/lib/verdict/verdict';
import { endpoint } from '@/lib/viz/flow-list';
import { clockTime } from '@/lib/viz/time-format';
import { formatCount } from '@/lib/util/count-format';
import { pagesFor, scrollToRow, visibleRange } from './virtual-window';
import { Button, downloadBlob, Panel } from './ui';

export const PACKET_ROW = 26;
const PAGE = 200;
/** What the list says at a point that holds no packet of the flow, by why (noEvidenceAt). */
const EMPTY_AT = {
  'not recording': 'This capture point was not recording while the flow passed: no evidence either way.',
  'inner cut off': "This capture point's snap length cut the tunnel packets before their inner packet: which flows they carried cannot be told, so no evidence either way.",
  'nothing seen': 'This capture point saw no packet of the flow.',
} as const;
const COLS = 'grid grid-cols-[2.75rem_6.25rem_1rem_minmax(8.75rem,1fr)_minmax(8.75rem,1fr)_3rem_2.75rem_2rem_minmax(8rem,2.2fr)_2.75rem] gap-x-1.5';

function isIcmp(protocol: string) {
  return protocol === 'ICMP' || protocol === 'ICMPv6';
}

function Row({ r, epochSec, selected, onPick }: { r: PacketListRow; epochSec: number; selected: boolean; onPick: () => void }) {
  const icmp = isIcmp(r.protocol);
  return (
    <div
      role="row"
      aria-rowindex={r.n + 2}
      aria-selected={selected}
      data-testid="packet-row"
      data-dir={r.dir}
      onClick={onPick}
      title={`frame ${r.frame} of ${r.file ?? 'its file'}`}
      style={{ top: r.n * PACKET_ROW, height: PACKET_ROW }}
      className={`${COLS} absolute inset-x-0 cursor-pointer items-center px-3 font-mono text-[11px] ${
        selected ? 'bg-accent-soft' : r.n % 2 ? 'bg-panel-2/50 hover:bg-panel-2' : 'hover:bg-panel-2'
      }`}
    >
      <span role="cell" className="text-right text-muted tabular-nums">
        {r.n + 1}
      </span>
      <span role="cell" className="tabular-nums">
        {clockTime(epochSec, r.tNs)}
      </span>
      <span role="cell" aria-label={r.dir} className={r.dir === 'request' ? 'text-accent' : 'text-reply'}>
        {r.dir === 'request' ? '→' : '←'}
      </span>
      <span role="cell" className="truncate">
        {icmp ? r.src : endpoint(r.src, r.sport)}
      </span>
      <span role="cell" className="truncate">
        {icmp ? r.dst : endpoint(r.dst, r.dport)}
      </span>
      <span role="cell">{r.protocol}</span>
      <span role="cell" className="text-right tabular-nums">
        {r.ipLen}
      </span>
      <span role="cell" className="text-right tabular-nums">
        {r.ttl}
      </span>
      <span role="cell" className="truncate font-sans" title={r.info}>
        {r.info}
      </span>
      <span role="cell" className={`text-right tabular-nums ${r.seen < r.stations ? 'text-danger' : 'text-muted'}`} title={`seen at ${r.seen} of ${r.stations} capture points`}>
        {r.seen}/{r.stations}
      </span>
    </div>
  );
}

/**
 * The packets of the selected flow at the selected station, fetched from the worker a page at a
 * time and windowed: only the rows in view are in the DOM, so 100,000 rows scroll as 30 do.
 */
export function PacketList({ flow, className = '' }: { flow: FlowReport | null; className?: string }) {
  const { generation, epochSec } = useAnalysis();
  const { point, group } = useSelection();
  const { fetchPackets, selectPacket, selectStation, exportPcap } = useDashboardActions();
  const key = flow && point !== null ? `${generation}:${flow.id}:${point}` : '';
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const pages = useRef(new Map<number, PacketListRow[]>());
  const inflight = useRef(new Set<number>());
  const keyRef = useRef(key);
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 360 });
  const [cursor, setCursor] = useState<number | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);

  const load = useCallback(
    (page: number) => {
      if (!flow || point === null || pages.current.has(page) || inflight.current.has(page)) return;
      const k = keyRef.current;
      inflight.current.add(page);
      fetchPackets(flow.id, point, page * PAGE, PAGE).then(
        (p) => {
          if (keyRef.current !== k) return;
          inflight.current.delete(page);
          pages.current.set(page, p.rows);
          setTotal(p.total);
          setVersion((v) => v + 1);
        },
        (e: Error) => {
          if (keyRef.current !== k) return;
          inflight.current.delete(page);
          setError(e.message);
        },
      );
    },
    [flow, point, fetchPackets],
  );

  useEffect(() => {
    keyRef.current = key;
    pages.current = new Map();
    inflight.current = new Set();
    setTotal(null);
    setError(null);
    setCursor(null);
    setExporting(null);
    setView((v) => ({ ...v, top: 0 }));
    if (key) load(0);
    // Back to the top in the next frame, where the page is laid out anyway: set here, the scroll
    // position made the browser lay out the new page inside the task that rendered it.
    const el = scroller.current;
    const frame = el ? requestAnimationFrame(() => (el.scrollTop = 0)) : 0;
    return () => cancelAnimationFrame(frame);
  }, [key, load]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const range = visibleRange(view.top, view.height, PACKET_ROW, total ?? 0, 10);
  useEffect(() => {
    for (const p of pagesFor(range, PAGE)) load(p);
  }, [range.start, range.end, load]); // eslint-disable-line react-hooks/exhaustive-deps

  const rowAt = (n: number) => pages.current.get(Math.floor(n / PAGE))?.[n % PAGE];

  const pick = (n: number) => {
    if (total === null || total === 0) return;
    const to = Math.max(0, Math.min(total - 1, n));
    setCursor(to);
    const el = scroller.current;
    if (el) {
      const s = scrollToRow(to, el.scrollTop, el.clientHeight, PACKET_ROW);
      if (s !== null) el.scrollTop = s;
    }
    const r = rowAt(to);
    if (r) selectPacket(r.group);
    else load(Math.floor(to / PAGE));
  };

  // A new list opens on its first packet, so the time sequence has something to show.
  useEffect(() => {
    if (cursor !== null || group !== null || !total) return;
    const r = rowAt(0);
    if (!r) return;
    setCursor(0);
    selectPacket(r.group);
  }, [version, total, cursor, group]); // eslint-disable-line react-hooks/exhaustive-deps

  // A row picked before its page arrived is selected once it does.
  useEffect(() => {
    if (cursor === null) return;
    const r = rowAt(cursor);
    if (r && r.group !== group) selectPacket(r.group);
  });

  const visible = useMemo(() => {
    const out: PacketListRow[] = [];
    for (let n = range.start; n < range.end; n++) {
      const r = rowAt(n);
      if (r) out.push(r);
    }
    return out;
  }, [range.start, range.end, version]); // eslint-disable-line react-hooks/exhaustive-deps

  const hop = flow?.hops.find((h) => h.point === point);

  return (
    <Panel
      title={
        <span>
          Packets{hop ? ` at ${hop.node}/${hop.interface}` : ''}{' '}
          <span data-testid="packet-total" className="font-normal text-muted">
            {total === null ? '' : `${formatCount(total)} packet${total === 1 ? '' : 's'}`}
          </span>
        </span>
      }
      aria-label="Packets of the selected flow at the selected capture point"
      className={className}
      bodyClassName="flex min-h-0 flex-col"
      actions={
        flow && (
          <>
            <select
              aria-label="Capture point"
              value={point ?? ''}
              onChange={(e) => selectStation(Number(e.currentTarget.value))}
              className="max-w-56 rounded-md border border-border bg-panel-2 px-1.5 py-1 font-mono text-xs"
            >
              {flow.hops.map((h) => (
                <option key={h.point} value={h.point}>
                  {h.node}/{h.interface} {noEvidenceAt(h) ? `(${noEvidenceAt(h)})` : `(${h.requests}→ ${h.replies}←)`}
                </option>
              ))}
            </select>
            <Button
              disabled={!total || exporting === 'busy'}
              data-testid="export-pcap"
              onClick={async () => {
                if (point === null) return;
                setExporting('busy');
                try {
                  const r = await exportPcap(flow.id, point);
                  downloadBlob(r.blob, r.fileName);
                  setExporting(`${r.packets} packet${r.packets === 1 ? '' : 's'} exported${r.skipped ? `, ${r.skipped} of another link type left out` : ''}`);
                } catch (e) {
                  setExporting(`Export failed: ${(e as Error).message}`);
                }
              }}
            >
              {exporting === 'busy' ? 'Exporting…' : 'Export pcap'}
            </Button>
          </>
        )
      }
    >
      {exporting && exporting !== 'busy' && (
        <p role="status" className="border-b border-border px-3 py-1 text-xs text-muted">
          {exporting}
        </p>
      )}
      <div role="table" aria-label="Packets" aria-rowcount={(total ?? 0) + 1} className="flex min-h-0 flex-1 flex-col overflow-x-auto">
        <div role="row" aria-rowindex={1} className={`${COLS} min-w-[51rem] border-b border-border px-3 py-1 text-[11px] tracking-wide text-muted uppercase`}>
          <span role="columnheader" className="text-right">
            #
          </span>
          <span role="columnheader">Time (UTC)</span>
          <span role="columnheader" aria-label="Direction" />
          <span role="columnheader">Source</span>
          <span role="columnheader">Destination</span>
          <span role="columnheader">Proto</span>
          <span role="columnheader" className="text-right">
            IP len
          </span>
          <span role="columnheader" className="text-right">
            TTL
          </span>
          <span role="columnheader">Info</span>
          <span role="columnheader" className="text-right" title="capture points of the path that saw this packet">
            Seen
          </span>
        </div>
        <div
          ref={scroller}
          tabIndex={0}
          data-testid="packet-scroller"
          aria-label="Packet rows: arrow keys move, the selected packet shows in the time sequence"
          onScroll={(e) => setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
          onKeyDown={(e) => {
            const page = Math.max(1, Math.floor(view.height / PACKET_ROW) - 1);
            const at = cursor ?? -1;
            const keys: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: (total ?? 1) - 1, PageDown: at + page, PageUp: at - page };
            const to = keys[e.key];
            if (to === undefined) return;
            e.preventDefault();
            pick(to);
          }}
          className="relative min-h-0 min-w-[51rem] flex-1 overflow-y-auto"
        >
          {!flow && <p className="p-4 text-sm text-muted">No flow selected.</p>}
          {error && (
            <p role="alert" className="p-4 text-sm text-danger">
              {error}
            </p>
          )}
          {total === 0 && (
            <p className="p-4 text-sm text-muted">
              {EMPTY_AT[(hop && noEvidenceAt(hop)) ?? 'nothing seen']}
            </p>
          )}
          <div style={{ height: (total ?? 0) * PACKET_ROW }} className="relative">
            {visible.map((r) => (
              <Row key={r.n} r={r} epochSec={epochSec} selected={cursor === r.n || (cursor === null && r.group === group)} onPick={() => pick(r.n)} />
            ))}
          </div>
        </div>
      </div>
    </Panel>
  );
}

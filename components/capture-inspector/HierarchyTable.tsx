import { useMemo } from 'react';
import { scaleLinear } from 'd3';
import type { CaptureStats } from '@/lib/decode/stats';
import { formatBytes, formatCount, formatPercent } from './format';
import { buildHierarchyTree, flattenHierarchy } from './hierarchy-tree';

/** Wireshark's "Protocol Hierarchy Statistics": each level with the packets that pass through it. */
export function HierarchyTable({ stats }: { stats: CaptureStats }) {
  const rows = useMemo(() => flattenHierarchy(buildHierarchyTree(stats.hierarchy)), [stats.hierarchy]);
  const total = stats.packets || rows.reduce((m, r) => (r.depth === 0 ? m + r.packets : m), 0);
  const width = scaleLinear().domain([0, Math.max(1, total)]).range([0, 100]).clamp(true);

  if (rows.length === 0) return <p className="text-sm text-muted">No packets to break down.</p>;

  return (
    <div className="overflow-x-auto">
      <table className="w-full max-w-5xl min-w-[36rem] table-fixed border-collapse text-sm" aria-label={`Protocol hierarchy of ${stats.fileName}`}>
        <thead>
          <tr className="border-b border-border text-left text-xs tracking-wide text-muted uppercase">
            <th scope="col" className="w-[38%] py-1.5 pr-3 font-medium">Protocol</th>
            <th scope="col" className="w-[34%] py-1.5 pr-3 font-medium">% packets</th>
            <th scope="col" className="w-[13%] py-1.5 pr-3 text-right font-medium">Packets</th>
            <th scope="col" className="w-[15%] py-1.5 text-right font-medium">Bytes</th>
          </tr>
        </thead>
        <tbody className="font-mono text-[13px]">
          {rows.map((r) => (
            <tr key={r.path} title={r.path} className="border-b border-border/60 last:border-0 hover:bg-panel-2">
              <td className="truncate py-1 pr-3 whitespace-nowrap" style={{ paddingLeft: `${r.depth * 1.1}rem` }}>
                {r.depth > 0 && <span className="mr-1.5 text-muted" aria-hidden>└</span>}
                {r.name}
              </td>
              <td className="py-1 pr-3">
                <div className="flex items-center gap-2">
                  <div className="h-2 min-w-16 flex-1 overflow-hidden rounded-sm bg-panel-2">
                    <div className="h-full bg-accent" style={{ width: `${width(r.packets)}%` }} />
                  </div>
                  <span className="w-14 shrink-0 text-right tabular-nums">{formatPercent(r.packets, total)}</span>
                </div>
              </td>
              <td className="py-1 pr-3 text-right tabular-nums">{formatCount(r.packets)}</td>
              <td className="py-1 text-right whitespace-nowrap tabular-nums">{formatBytes(r.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

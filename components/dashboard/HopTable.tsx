'use client';

import { noEvidenceAt, type FlowReport } from '@/lib/verdict/verdict';

/** Beside a hop whose counts are no evidence either way, why (noEvidenceAt). */
const NO_EVIDENCE_TEXT = {
  'not recording': 'not recording while this flow passed',
  'inner cut off': 'its snap length cut the tunnel packets before their inner packet: no evidence either way',
} as const;

/**
 * The hops of a flow as a table: stations in path order with the requests and replies each
 * saw. The hop diagram shows the same; this stays as its accessible, printable twin.
 */
export function HopTable({
  flow,
  selectedStation,
  onSelectStation,
}: {
  flow: FlowReport;
  selectedStation?: number;
  onSelectStation?: (point: number) => void;
}) {
  const reqStop = flow.requestsStopAfter;
  const repStop = flow.repliesStopAfter;
  return (
    <table className="w-full text-sm" data-testid="hop-table" aria-label={`Hops of the selected flow, client to server`}>
      <thead className="text-left text-[11px] tracking-wide text-muted uppercase">
        <tr>
          <th className="py-1 pr-3 font-medium">Capture point</th>
          <th className="py-1 pr-3 font-medium">Role</th>
          <th className="py-1 pr-3 text-right font-medium">Requests →</th>
          <th className="py-1 pr-3 text-right font-medium">← Replies</th>
          <th className="py-1 font-medium">
            <span className="sr-only">Where it stops</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {flow.hops.map((h) => {
          const name = `${h.node}/${h.interface}`;
          const selected = h.point === selectedStation;
          return (
            <tr
              key={h.point}
              data-point={h.point}
              data-station={name}
              aria-selected={selected}
              className={`border-t border-border ${selected ? 'bg-accent-soft' : ''} ${h.role === 'any' ? 'text-muted' : ''}`}
            >
              <td className="py-1 pr-3">
                <button type="button" onClick={() => onSelectStation?.(h.point)} className="rounded font-mono text-xs hover:underline">
                  {name}
                </button>
              </td>
              <td className="py-1 pr-3 text-xs text-muted">{h.role}</td>
              <td className={`py-1 pr-3 text-right font-mono text-xs tabular-nums ${h.requests === 0 ? 'text-muted' : ''}`}>{h.requests}</td>
              <td className={`py-1 pr-3 text-right font-mono text-xs tabular-nums ${h.replies === 0 ? 'text-muted' : ''}`}>{h.replies}</td>
              <td className="py-1 text-xs text-danger">
                {name === reqStop && <span data-testid="hop-stop">requests stop here</span>}
                {name === repStop && <span data-testid="hop-stop">replies stop here</span>}
                {noEvidenceAt(h) && <span className="italic text-muted">{NO_EVIDENCE_TEXT[noEvidenceAt(h)!]}</span>}
              </td>
            </tr>
          );
        })}
        {flow.notCaptured.map((u) => (
          <tr key={`${u.node}/${u.interface}`} className="border-t border-dashed border-border text-muted">
            <td className="py-1 pr-3 font-mono text-xs">
              {u.node}/{u.interface}
            </td>
            <td className="py-1 pr-3 text-xs">{u.role}</td>
            <td colSpan={3} className="py-1 text-xs italic">
              not captured
            </td>
          </tr>
        ))}
        {flow.offPath.map((o) => (
          <tr key={`off:${o.node}/${o.interface}`} data-testid="hop-off-path" className="border-t border-dotted border-border text-muted opacity-70">
            <td className="py-1 pr-3 font-mono text-xs">
              {o.node}/{o.interface}
            </td>
            <td colSpan={4} className="py-1 text-xs italic">
              not on this flow&apos;s path: {o.why}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

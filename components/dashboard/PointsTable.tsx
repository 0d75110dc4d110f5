'use client';

import { useDashboardActions, usePanelView, useRoles } from '@/components/store/dashboard-store-provider';
import { ROLE_LABELS, type InterfaceRole } from '@/lib/protocols/devices';
import { clockTime } from '@/lib/viz/time-format';
import { formatCount } from '@/lib/util/count-format';
import type { PointInfo } from '@/lib/worker/protocol';

const SOURCE_TEXT: Record<PointInfo['roleSource'], string> = {
  name: 'from its name',
  inferred: 'inferred from the traffic',
  user: 'set by you',
  state: "from the node's ip -d link",
};

function windowText(epochSec: number, p: PointInfo): string {
  if (!Number.isFinite(p.firstNs)) return p.packets === 0 ? 'no packets' : 'no timestamps';
  const a = clockTime(epochSec, p.firstNs);
  const b = clockTime(epochSec, p.lastNs);
  return `${a.slice(0, 12)} – ${b.slice(0, 12)}`;
}

/**
 * Every capture point of the analysis: its role, where the role came from (the name, the
 * traffic, or the user), a way to correct it, and the capture's window (first to last packet,
 * on the node's own clock). Below, what the analysis noticed about the captures.
 */
export function PointsTable() {
  const { points, report, epochSec } = usePanelView().analysis;
  const roles = useRoles();
  const { setRole } = useDashboardActions();
  if (points.length === 0) return null;
  const notes = report?.notes ?? [];
  return (
    <div className="border-t border-border" data-testid="points-table">
      <table className="w-full text-sm">
        <thead className="bg-panel text-left text-[11px] tracking-wide text-muted uppercase">
          <tr>
            <th className="py-1.5 pr-3 pl-4 font-medium">Capture point</th>
            <th className="py-1.5 pr-3 font-medium">Role</th>
            <th className="py-1.5 pr-3 text-right font-medium">Packets</th>
            <th className="py-1.5 pr-4 font-medium">Capture window (UTC, node clock)</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => {
            const key = `${p.node}/${p.interface}`;
            const chosen = roles[key];
            return (
              <tr key={p.id} data-testid="point-row" data-point={key} data-role={p.role} data-role-source={p.roleSource} className="border-t border-border">
                <td className="py-1 pr-3 pl-4 font-mono text-xs" title={p.file}>
                  {key}
                </td>
                <td className="py-1 pr-3 text-xs">
                  <label className="flex items-center gap-2">
                    <span className="sr-only">Role of {key}</span>
                    <select
                      value={p.role}
                      onChange={(e) => setRole(key, e.currentTarget.value as InterfaceRole)}
                      className={`rounded border bg-panel px-1 py-0.5 text-xs ${p.roleSource === 'user' ? 'border-accent' : 'border-border'}`}
                    >
                      {(Object.keys(ROLE_LABELS) as InterfaceRole[]).map((r) => (
                        <option key={r} value={r}>
                          {ROLE_LABELS[r]}
                        </option>
                      ))}
                    </select>
                    <span className={p.roleSource === 'inferred' ? 'text-warn' : 'text-muted'}>{SOURCE_TEXT[p.roleSource]}</span>
                    {chosen && (
                      <button type="button" className="text-accent underline" onClick={() => setRole(key, null)} aria-label={`Forget the role set for ${key}`}>
                        reset
                      </button>
                    )}
                  </label>
                </td>
                <td className="py-1 pr-3 text-right font-mono text-xs tabular-nums">{formatCount(p.packets)}</td>
                <td className="py-1 pr-4 font-mono text-[11px] whitespace-nowrap text-muted" data-testid="point-window">
                  {windowText(epochSec, p)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {notes.length > 0 && (
        <ul data-testid="analysis-notes" className="space-y-0.5 border-t border-border px-4 py-2 text-xs text-muted">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

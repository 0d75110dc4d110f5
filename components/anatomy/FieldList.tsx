'use client';

import { useRef, type KeyboardEvent } from 'react';
import { ABSENT } from '@/lib/anatomy';
import type { Anatomy, FieldChange } from '@/lib/anatomy/types';
import { bitPattern, familyOfKind, innerDepth, rangeText } from '@/lib/viz/anatomy-layout';

export interface FieldRef {
  layer: number;
  field: number;
}

export interface FieldListProps {
  anatomy: Anatomy;
  bytes: Uint8Array;
  active: FieldRef | null;
  /** Changes since the previous station, by `${layer}:${field}` of this anatomy. */
  changes: ReadonlyMap<string, FieldChange>;
  /** Under the pointer. */
  onField(f: FieldRef | null): void;
  /** Under keyboard focus: stays lit when the pointer leaves. */
  onFocusField(f: FieldRef | null): void;
  /** The hex dump the rows point into (aria-controls). */
  hexId?: string;
}

export const fieldKey = (f: FieldRef) => `${f.layer}:${f.field}`;

/**
 * Each layer's fields, as Wireshark's detail pane lists them: name, value, where its bytes are,
 * and the bits of a flag. One tab stop for the list; ↑ ↓ Home End move through the fields, and
 * the field in focus lights its bytes in the hex dump.
 */
export function FieldList({ anatomy, bytes, active, changes, onField, onFocusField, hexId }: FieldListProps) {
  const root = useRef<HTMLDivElement | null>(null);
  const inner = innerDepth(anatomy);
  const order: FieldRef[] = anatomy.layers.flatMap((l, layer) => l.fields.map((_, field) => ({ layer, field })));
  const tabStop = active ?? order[0] ?? null;
  const move = (e: KeyboardEvent, at: FieldRef) => {
    const i = order.findIndex((f) => f.layer === at.layer && f.field === at.field);
    const to =
      e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? order.length - 1 : e.key === 'PageDown' ? i + 10 : e.key === 'PageUp' ? i - 10 : null;
    if (to === null) return;
    e.preventDefault();
    const next = order[Math.max(0, Math.min(order.length - 1, to))];
    if (!next) return;
    onFocusField(next);
    root.current?.querySelector<HTMLElement>(`[data-field-ref="${fieldKey(next)}"]`)?.focus();
  };

  return (
    <div ref={root} role="list" aria-label="Fields of each layer" data-testid="field-list" className="anat-scroll max-h-[22rem] space-y-2 overflow-auto text-xs">
      {anatomy.layers.map((l, li) => {
        const family = familyOfKind(l.kind);
        const outer = inner > 0 && l.depth < inner;
        return (
          <section key={li} role="listitem" aria-label={`${l.title}, ${l.length} bytes`} data-testid="field-layer" data-title={l.title}>
            <h4 className="flex items-center gap-2 py-0.5 font-semibold">
              <span
                aria-hidden="true"
                className={`inline-block h-3 w-5 shrink-0 rounded-sm border anat-swatch-${family} ${outer ? 'anat-swatch-hatch' : ''}`}
                style={{ color: `var(--anat-${family}-ink)` }}
              />
              <span>
                {inner > 0 ? (outer ? 'outer ' : 'inner ') : ''}
                {l.title}
                {l.quoted ? ' (quoted)' : ''}
              </span>
              <span className="font-normal text-muted">
                {l.length} bytes · {rangeText(l)}
                {l.truncated ? ' · cut short by the capture' : ''}
              </span>
            </h4>
            {l.fields.length > 0 && (
              <table className="w-full table-fixed border-collapse font-mono text-[11px]">
                <colgroup>
                  <col className="w-[34%]" />
                  <col />
                  <col className="w-[5.5rem]" />
                </colgroup>
                <tbody>
                  {l.fields.map((f, fi) => {
                    const ref = { layer: li, field: fi };
                    const key = fieldKey(ref);
                    const on = active?.layer === li && active.field === fi;
                    const change = changes.get(key);
                    const bits = bitPattern(bytes, f);
                    return (
                      <tr
                        key={fi}
                        data-field-ref={key}
                        data-testid="field-row"
                        data-key={f.key}
                        data-offset={f.offset}
                        data-length={f.length}
                        data-active={on || undefined}
                        data-changed={change ? true : undefined}
                        tabIndex={tabStop && tabStop.layer === li && tabStop.field === fi ? 0 : -1}
                        aria-controls={hexId}
                        aria-current={on || undefined}
                        aria-label={`${f.name}: ${f.value}, byte${f.length === 1 ? '' : 's'} ${rangeText(f)}${bits ? `, bits ${bits}` : ''}${change ? `; ${change.from === ABSENT ? 'new here' : `changed from ${change.from}`}: ${change.why}` : ''}`}
                        onMouseEnter={() => onField(ref)}
                        onFocus={() => onFocusField(ref)}
                        onKeyDown={(e) => move(e, ref)}
                        className="anat-field cursor-default align-top outline-none focus-visible:outline-2 focus-visible:outline-offset-[-2px] focus-visible:outline-accent"
                      >
                        <td className="truncate py-px pr-2 pl-6 font-sans" title={f.name}>
                          {f.name}
                        </td>
                        <td className="py-px pr-2">
                          {bits && <span className="mr-2 whitespace-pre text-muted">{bits}</span>}
                          <span className="break-all">{f.value}</span>
                          {change && (
                            <span className="anat-changed-text block font-sans" data-testid="field-why">
                              {change.from === ABSENT ? 'new here' : `was ${change.from}`} — {change.why}
                            </span>
                          )}
                        </td>
                        <td className="py-px text-right text-muted tabular-nums">{rangeText(f)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </div>
  );
}

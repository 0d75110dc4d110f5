/**
 * Windowed rendering for long lists with a fixed row height: only the rows in view (plus a few
 * either side) exist in the DOM, and the rows come from the worker page by page.
 */

export interface RowRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 8): RowRange {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, Math.min(total - 1, first - overscan));
  const end = Math.min(total, first + count + overscan);
  return { start, end: Math.max(start, end) };
}

/** Page numbers that hold rows `range` (pages of `pageSize` rows). */
export function pagesFor(range: RowRange, pageSize: number): number[] {
  if (range.end <= range.start) return [];
  const out: number[] = [];
  for (let p = Math.floor(range.start / pageSize); p <= Math.floor((range.end - 1) / pageSize); p++) out.push(p);
  return out;
}

/** scrollTop that brings row `n` into view, or null when it is already visible. */
export function scrollToRow(n: number, scrollTop: number, viewport: number, rowHeight: number): number | null {
  const top = n * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return null;
}

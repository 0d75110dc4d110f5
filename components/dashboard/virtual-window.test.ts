import { describe, expect, it } from 'vitest';
import { pagesFor, scrollToRow, visibleRange } from './virtual-window';

describe('virtual window', () => {
  it('renders the rows in view plus the overscan, clamped to the list', () => {
    expect(visibleRange(0, 260, 26, 100_000, 5)).toEqual({ start: 0, end: 16 });
    expect(visibleRange(26 * 1000, 260, 26, 100_000, 5)).toEqual({ start: 995, end: 1016 });
    expect(visibleRange(26 * 99_999, 260, 26, 100_000, 5)).toEqual({ start: 99_994, end: 100_000 });
    expect(visibleRange(0, 260, 26, 0)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(-40, 260, 26, 3, 0)).toEqual({ start: 0, end: 3 });
  });

  it('keeps the DOM small however long the list: 100,000 rows, about 30 in the DOM', () => {
    for (const top of [0, 1e5, 1.3e6, 26 * 99_990]) {
      const r = visibleRange(top, 420, 26, 100_000, 8);
      expect(r.end - r.start).toBeLessThanOrEqual(Math.ceil(420 / 26) + 1 + 16);
    }
  });

  it('asks for the pages that hold the window', () => {
    expect(pagesFor({ start: 190, end: 230 }, 200)).toEqual([0, 1]);
    expect(pagesFor({ start: 0, end: 0 }, 200)).toEqual([]);
    expect(pagesFor({ start: 400, end: 401 }, 200)).toEqual([2]);
  });

  it('scrolls a row into view only when it is outside', () => {
    expect(scrollToRow(5, 0, 260, 26)).toBeNull();
    expect(scrollToRow(10, 0, 260, 26)).toBe(26);
    expect(scrollToRow(2, 200, 260, 26)).toBe(52);
  });
});

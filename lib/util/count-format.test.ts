import { describe, expect, it } from 'vitest';
import { formatCount } from './count-format';

describe('formatCount', () => {
  it("groups thousands as toLocaleString('en') does, for every size of integer", () => {
    for (const n of [0, 7, 42, 999, 1000, 1001, 65535, 999_999, 1_000_000, 1_234_567, 123_456_789, -5, -1234, -1_000_000, Number.MAX_SAFE_INTEGER]) {
      expect(formatCount(n), String(n)).toBe(n.toLocaleString('en'));
    }
  });

  it('writes what is not a safe integer as JavaScript does', () => {
    expect(formatCount(NaN)).toBe('NaN');
    expect(formatCount(1.5)).toBe('1.5');
  });
});

import { describe, expect, it } from 'vitest';
import { verdictCounts, type VerdictKind } from './verdict';

const flow = (kind: VerdictKind) => ({ verdict: { kind } });

describe('verdictCounts', () => {
  it('counts flows the captures cannot judge apart from those with a problem', () => {
    const flows = [flow('request-dropped'), flow('not-observed'), flow('not-observed'), flow('partial-loss'), flow('delivered')];
    expect(verdictCounts(flows)).toEqual({ total: 5, problems: 2, unobserved: 2 });
    expect(verdictCounts([])).toEqual({ total: 0, problems: 0, unobserved: 0 });
  });
});

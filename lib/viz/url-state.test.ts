import { describe, expect, it } from 'vitest';
import { parseUrlState, sampleName, urlSearch } from './url-state';

describe('url state', () => {
  it('reads sample, flow and point; ignores what is not an id', () => {
    expect(parseUrlState('?sample=vxlan-forward-drop&flow=2&point=5')).toEqual({ sample: 'vxlan-forward-drop', flow: 2, point: 5 });
    expect(parseUrlState('?flow=-1&point=x&sample=')).toEqual({ sample: null, flow: null, point: null });
    expect(parseUrlState('')).toEqual({ sample: null, flow: null, point: null });
  });

  it('writes them back, keeping other parameters, and drops the point without a flow', () => {
    expect(urlSearch({ sample: 'a b', flow: 1, point: 0 })).toBe('?sample=a+b&flow=1&point=0');
    expect(urlSearch({ sample: null, flow: 3, point: 4 }, '?debug=1&sample=old')).toBe('?debug=1&flow=3&point=4');
    expect(urlSearch({ sample: null, flow: null, point: 4 }, '?flow=1&point=2')).toBe('');
  });

  it('round-trips', () => {
    const s = { sample: 'calico-healthy', flow: 12, point: 7 };
    expect(parseUrlState(urlSearch(s))).toEqual(s);
  });

  it('names samples without their extension', () => {
    expect(sampleName('vxlan-healthy.pcapng')).toBe('vxlan-healthy');
    expect(sampleName('dir/x.pcap')).toBe('dir/x.pcap');
  });
});

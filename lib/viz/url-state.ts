/**
 * What the address bar holds: `?sample=<name>&flow=<id>&point=<id>`. Reloading a sample
 * re-runs its analysis and lands on the same flow and station; dropped files cannot come back
 * from a URL, so for them the selection waits until the files are dropped again.
 */

export interface UrlState {
  sample: string | null;
  flow: number | null;
  point: number | null;
}

const id = (v: string | null): number | null => (v !== null && /^\d{1,9}$/.test(v) ? Number(v) : null);

export function parseUrlState(search: string): UrlState {
  const p = new URLSearchParams(search);
  const sample = p.get('sample');
  return { sample: sample && sample.trim() ? sample.trim() : null, flow: id(p.get('flow')), point: id(p.get('point')) };
}

/** The search string for `state`, keeping parameters it does not own. */
export function urlSearch(state: UrlState, current = ''): string {
  const p = new URLSearchParams(current);
  const put = (k: string, v: string | number | null) => (v === null ? p.delete(k) : p.set(k, String(v)));
  put('sample', state.sample);
  put('flow', state.flow);
  put('point', state.flow === null ? null : state.point);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** `vxlan-forward-drop.pcapng` ⇄ `vxlan-forward-drop`: the URL names a sample without extension. */
export function sampleName(file: string): string {
  return file.replace(/\.pcapng$/i, '');
}

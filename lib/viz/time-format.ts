/** Times and counts as the dashboard shows them. */

/** `tNs` after the incident epoch, as a UTC time of day with microseconds: 12:00:01.123456. */
export function clockTime(epochSec: number, tNs: number): string {
  if (!Number.isFinite(tNs)) return '—';
  const totalNs = Math.round(tNs);
  const sec = epochSec + Math.floor(totalNs / 1e9);
  const frac = totalNs - Math.floor(totalNs / 1e9) * 1e9;
  const d = new Date(sec * 1000);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${hh}:${mm}:${ss}.${String(Math.floor(frac / 1000)).padStart(6, '0')}`;
}

/** The date of the incident epoch, for a caption: 2024-05-01. */
export function epochDate(epochSec: number): string {
  return new Date(epochSec * 1000).toISOString().slice(0, 10);
}

/** A signed duration at a precision fit for its size: +12 µs, +0.153 ms, +1.203 s. */
export function formatDelta(ns: number, signed = true): string {
  const sign = signed ? (ns < 0 ? '−' : '+') : ns < 0 ? '−' : '';
  const a = Math.abs(ns);
  if (a < 1e3) return `${sign}${Math.round(a)} ns`;
  if (a < 1e6) return `${sign}${(a / 1e3).toFixed(a < 1e4 ? 1 : 0)} µs`;
  if (a < 1e9) return `${sign}${(a / 1e6).toFixed(3)} ms`;
  return `${sign}${(a / 1e9).toFixed(3)} s`;
}

/** A clock offset as the verdicts and the CLI print it. */
export function formatOffset(ns: number, method: string): string {
  if (method === 'reference') return 'reference clock';
  if (method === 'unknown') return 'clock unknown';
  return `${formatDelta(ns)} (${method})`;
}

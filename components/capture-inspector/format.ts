import { format } from 'd3';
import { formatCount } from '@/lib/util/count-format';

export { formatCount };

const PERCENT = format('.1%');

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '—';
  const p = part / whole;
  // Show that a share exists even when it rounds to 0.0 %.
  if (p > 0 && p < 0.0005) return '<0.1%';
  return PERCENT(p);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${formatCount(v)} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${BYTE_UNITS[i]}`;
}

const ISO = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/;

interface ParsedTs {
  date: string;
  time: string;
  fraction: string;
  zone: string;
  /** Nanoseconds since the epoch: a Date would keep only milliseconds. */
  ns: bigint;
}

export function parseIsoNs(iso: string): ParsedTs | null {
  const m = ISO.exec(iso);
  if (!m) return null;
  const [, date = '', time = '', fraction = '', zone = ''] = m;
  const ms = Date.parse(`${date}T${time}${zone}`);
  if (Number.isNaN(ms)) return null;
  const ns = BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
  return { date, time, fraction, zone, ns };
}

/** `2024-05-01T12:00:00.123456Z` → `2024-05-01 12:00:00.123456 UTC`, keeping every digit given. */
export function formatTimestamp(iso: string): string {
  const p = parseIsoNs(iso);
  if (!p) return iso;
  const zone = p.zone === 'Z' ? 'UTC' : p.zone;
  return `${p.date} ${p.time}${p.fraction ? `.${p.fraction}` : ''} ${zone}`;
}

/** Span between two ISO timestamps at the finer of their two precisions. */
export function formatDuration(firstIso: string, lastIso: string): string | null {
  const a = parseIsoNs(firstIso);
  const b = parseIsoNs(lastIso);
  if (!a || !b) return null;
  const digits = Math.max(a.fraction.length, b.fraction.length);
  let ns = b.ns - a.ns;
  const sign = ns < 0n ? '−' : '';
  if (ns < 0n) ns = -ns;
  const whole = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').slice(0, digits);
  const secs = Number(whole % 60n);
  const mins = Number((whole / 60n) % 60n);
  const hours = whole / 3600n;
  const s = `${hours > 0n || mins > 0 ? String(secs).padStart(2, '0') : secs}${frac ? `.${frac}` : ''} s`;
  if (hours > 0n) return `${sign}${hours} h ${String(mins).padStart(2, '0')} min ${s}`;
  if (mins > 0) return `${sign}${mins} min ${s}`;
  return `${sign}${s}`;
}

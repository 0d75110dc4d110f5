/**
 * Server settings, from the environment. Every limit is configurable; the defaults are the
 * issue's: 256 MiB and 64 files an incident, 30 days, and a per-address creation rate.
 */
import path from 'node:path';

export interface IncidentConfig {
  /** SQLite database and content-addressed files (the embedded store). */
  dataDir: string;
  /** postgres://… selects the PostgreSQL store; null selects SQLite. */
  databaseUrl: string | null;
  maxIncidentBytes: number;
  maxFiles: number;
  /** Milliseconds an incident lives. HOPSCOPE_INCIDENT_TTL_DAYS may be fractional. */
  ttlMs: number;
  /** Creations per client address per rolling hour. */
  maxCreationsPerHour: number;
  /**
   * Creations from all addresses per rolling hour: the backstop when the per-address key can be
   * forged (a server reached without a proxy that sets X-Forwarded-For).
   */
  maxCreationsPerHourTotal: number;
  /** Public origin for the links the API returns, e.g. https://hopscope.example.com. */
  publicUrl: string | null;
  /**
   * X-Forwarded-For/-Host/-Proto come from a proxy we trust (HOPSCOPE_TRUST_PROXY=1); otherwise
   * they are the client's own words: never a rate-limit key, never in a returned link.
   */
  trustProxy: boolean;
  /** An upload that sends no byte for this long is cut off (408) and everything it staged goes. */
  uploadIdleMs: number;
  /** And one that is still sending after this long. */
  uploadDeadlineMs: number;
  /** Bytes the gzip files of one incident may inflate to, in all (a multiple of maxIncidentBytes). */
  maxDecompressedBytes: number;
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MIB = 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

export function loadIncidentConfig(env: NodeJS.ProcessEnv = process.env): IncidentConfig {
  const url = env.HOPSCOPE_DATABASE_URL?.trim() || null;
  if (url && !/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('HOPSCOPE_DATABASE_URL must start with postgres:// or postgresql://');
  const maxIncidentBytes = positive(env, 'HOPSCOPE_MAX_INCIDENT_BYTES', 256 * MIB, true);
  return {
    dataDir: path.resolve(/*turbopackIgnore: true*/ env.HOPSCOPE_DATA_DIR?.trim() || './data'),
    databaseUrl: url,
    maxIncidentBytes,
    maxFiles: positive(env, 'HOPSCOPE_MAX_FILES', 64, true),
    ttlMs: Math.round(positive(env, 'HOPSCOPE_INCIDENT_TTL_DAYS', 30, false) * DAY_MS),
    maxCreationsPerHour: positive(env, 'HOPSCOPE_MAX_INCIDENTS_PER_HOUR', 30, true),
    maxCreationsPerHourTotal: positive(env, 'HOPSCOPE_MAX_INCIDENTS_PER_HOUR_TOTAL', 1000, true),
    publicUrl: env.HOPSCOPE_PUBLIC_URL?.trim().replace(/\/+$/, '') || null,
    trustProxy: /^(1|true|yes)$/i.test(env.HOPSCOPE_TRUST_PROXY?.trim() ?? ''),
    // setTimeout takes at most 2^31−1 ms (24.8 days); a longer setting would fire at once.
    uploadIdleMs: Math.min(MAX_TIMER_MS, Math.round(positive(env, 'HOPSCOPE_UPLOAD_IDLE_SECONDS', 30, false) * 1000)),
    uploadDeadlineMs: Math.min(MAX_TIMER_MS, Math.round(positive(env, 'HOPSCOPE_UPLOAD_DEADLINE_SECONDS', 900, false) * 1000)),
    maxDecompressedBytes: maxIncidentBytes * positive(env, 'HOPSCOPE_MAX_DECOMPRESSED_FACTOR', 4, false),
  };
}

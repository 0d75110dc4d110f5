/**
 * The server's one store, opened on first use (or at start, from instrumentation.ts) and kept
 * on globalThis: Next.js may load this module once per route bundle, and every route must
 * share one SQLite handle and one PostgreSQL pool. Opening sweeps what a crash left behind.
 */
import { HOUR_MS, loadIncidentConfig, type IncidentConfig } from './config';
import { SqliteIncidentStore } from './sqlite-store';
import type { IncidentStore } from './types';

interface ServerState {
  config: IncidentConfig;
  store: Promise<IncidentStore>;
  timer: ReturnType<typeof setInterval> | null;
}

const KEY = Symbol.for('hopscope.incident-server');
type Holder = { [KEY]?: ServerState };

async function openStore(config: IncidentConfig): Promise<IncidentStore> {
  const now = Date.now();
  // Expired ids keep answering 410 for one more lifetime, then are forgotten (404).
  const forgetBefore = now - config.ttlMs;
  if (config.databaseUrl) {
    const { PgIncidentStore } = await import('./pg-store');
    return PgIncidentStore.open({ connectionString: config.databaseUrl }, now, forgetBefore);
  }
  return SqliteIncidentStore.open(config.dataDir, now, forgetBefore);
}

export function incidentServer(): { config: IncidentConfig; store: Promise<IncidentStore> } {
  const holder = globalThis as Holder;
  let state = holder[KEY];
  if (!state) {
    const config = loadIncidentConfig();
    const store = openStore(config);
    state = { config, store, timer: null };
    holder[KEY] = state;
    const s = state;
    store.then(
      (st) => {
        s.timer = setInterval(() => {
          const now = Date.now();
          st.sweep(now, now - config.ttlMs).catch((err) => console.error('hopscope: incident sweep failed:', err));
        }, HOUR_MS);
        s.timer.unref();
      },
      (err) => {
        // Let the next request try again (PostgreSQL may come up after the app).
        console.error('hopscope: cannot open the incident store:', err);
        if (holder[KEY] === s) delete holder[KEY];
      },
    );
  }
  return state;
}

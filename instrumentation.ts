/**
 * Open the incident store when the server starts rather than on the first API request: opening
 * sweeps what a crash left behind (staged files, orphan bytes), and a broken database URL shows
 * in the log at start. A failure here is logged by server.ts; the next request tries again.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { incidentServer } = await import('./lib/incident/server');
    await incidentServer().store.catch(() => {});
  }
}

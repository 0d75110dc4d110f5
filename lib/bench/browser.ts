/**
 * The browser's part of `npm run bench`: Chromium, driven by Playwright, opens the built app,
 * is given the files of a generated incident as a user drops them, and the clock runs until the
 * verdict card shows. Meanwhile the memory of all of Chromium's processes is sampled (resident
 * set sizes summed: an upper bound), and the page records every task that held its main thread
 * over 50 ms (the Long Tasks API) from the files handed over until three seconds after the verdict;
 * the page's own load, before any file, is reported apart. Then a small incident is dropped on
 * fresh pages, timed to the verdict in the page's DOM. Needs `npm run build` and a Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface BrowserFigures {
  /** From handing the files to the page to the verdict card on screen. */
  seconds: number;
  /** The most all of Chromium's processes held at once (VmRSS summed over them). */
  peakBytes: number;
  /** Memory samples taken. */
  samples: number;
  /** Main-thread tasks over 50 ms (the page's own record) from the files handed to the page until three seconds after the verdict, and the longest. */
  longTasks: number;
  longestTaskMs: number;
  /** When the longest began, in seconds from the files handed to the page (the verdict came at `seconds`). */
  longestTaskAt: number;
  /** The longest task while the page loaded, before any file (Next.js starting, React hydrating): not the analysis's. */
  loadTaskMs: number;
  /** What the verdict card said: its kind and where the packets stop. */
  verdict: { kind: string | null; stop: string | null };
  /** The same files only read by the page (all at once, each into one reused buffer by a BYOB reader, nothing decoded): the floor under `seconds`; NaN when a read failed or never came back. */
  rawReadSeconds: number;
  /** A small incident (a sample's few kilobytes) dropped on a fresh page, milliseconds to the verdict: the common case; why not, when a drop failed. */
  small: SmallDrops | string | null;
}

/**
 * Drops of a small incident, each on a page of its own: as soon as it has hydrated, and once its
 * workers have loaded. Each time includes Playwright handing the page the files (20-40 ms here).
 */
export interface SmallDrops {
  files: number;
  bytes: number;
  /** From the files handed to the page to the verdict card in its DOM, each run. */
  atOnceMs: number[];
  workersLoadedMs: number[];
}

/** Runs of each small drop; the median is reported. */
const SMALL_RUNS = 5;
/** How long a page is left before a drop for its workers to have loaded (they load once it is idle, within 2 s). */
const WORKERS_LOADED_MS = 3000;

const SAMPLE_MS = 250;
/** How long the page is watched for long tasks after the verdict shows. */
const SETTLE_MS = 3000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not answer ${url} within ${timeoutMs / 1000} s`);
}

/** Pid → parent pid, for every process. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses; the last ")" ends it.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      out.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return [...parents()].filter(([, parent]) => parent === pid).map(([child]) => child);
}

/**
 * The resident memory of a process and all its descendants, in bytes: summed VmRSS, so pages
 * two processes share count in each (an upper bound). Not PSS: reading smaps_rollup walks the
 * page tables under the process's memory lock, and sampled every 250 ms it slowed the renderer
 * it measured tenfold.
 */
export function treeBytes(root: number): number {
  const ppid = parents();
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of ppid) {
      if (tree.has(parent) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let kb = 0;
  for (const pid of tree) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // Gone meanwhile.
    }
  }
  return kb * 1024;
}

/** Runs the browser on `files`; a string says why it could not run. */
type Browser = Awaited<ReturnType<(typeof import('@playwright/test'))['chromium']['launch']>>;

/**
 * One drop of `files` on a fresh page: the milliseconds from handing them over to the verdict card
 * in the page's DOM, as a MutationObserver in the page sees it (Playwright's own wait notices it
 * later, on a busy page by 0.1-0.3 s).
 */
async function smallDrop(browser: Browser, url: string, files: string[], waitMs: number): Promise<number> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.locator('[data-testid="dashboard"][data-hydrated]').waitFor({ timeout: 60_000 });
    if (waitMs > 0) await page.waitForTimeout(waitMs);
    const t0 = await page.evaluate(() => {
      const w = window as unknown as { __hopscopeVerdictAt: number | null };
      w.__hopscopeVerdictAt = null;
      const seen = new MutationObserver(() => {
        if (w.__hopscopeVerdictAt !== null || !document.querySelector('[data-testid="verdict-card"][data-kind]')) return;
        w.__hopscopeVerdictAt = performance.now();
        seen.disconnect();
      });
      seen.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-kind'] });
      return performance.now();
    });
    await page.getByTestId('file-input').setInputFiles(files);
    await page.waitForFunction(() => (window as unknown as { __hopscopeVerdictAt: number | null }).__hopscopeVerdictAt !== null, null, { timeout: 60_000 });
    return await page.evaluate((start) => (window as unknown as { __hopscopeVerdictAt: number }).__hopscopeVerdictAt - start, t0);
  } finally {
    await page.close();
  }
}

export async function browserBench(root: string, files: string[], opts: { chromium?: string; timeoutMs?: number; smallFiles?: string[] } = {}): Promise<BrowserFigures | string> {
  const chromiumPath = opts.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path.join(root, '.next', 'BUILD_ID'))) return 'the app is not built (npm run build first)';
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (CHROMIUM_PATH)`;
  let playwright: typeof import('@playwright/test');
  try {
    playwright = await import('@playwright/test');
  } catch {
    return '@playwright/test is not installed (npm install)';
  }
  if (!existsSync('/proc/self/status')) return 'no /proc to read the browser\'s memory from (Linux only)';
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hopscope-bench-'));
  const server = spawn(process.execPath, [path.join(root, 'bin', 'hopscope-server.mjs'), '-p', String(port), '-H', '127.0.0.1'], {
    cwd: root,
    env: { ...process.env, HOPSCOPE_DATA_DIR: dataDir, NODE_ENV: 'production' },
    stdio: 'ignore',
  });
  // Launched, not connected to: over a connection Playwright streams the files through its socket
  // (a 540 MB incident then took 37 s instead of 6), where a local browser is given their paths.
  let browser: Browser | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const before = new Set(childrenOf(process.pid));
    browser = await playwright.chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const roots = childrenOf(process.pid).filter((pid) => !before.has(pid) && pid !== server.pid);
    await waitForServer(`http://127.0.0.1:${port}/`, server, 60_000);
    const page = await browser.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __hopscopeLongTasks: [number, number][] };
      w.__hopscopeLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__hopscopeLongTasks.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    // The load event comes before React has hydrated the page: its tasks until then are the
    // page's load (loadTaskMs), not the drop's.
    await page.locator('[data-testid="dashboard"][data-hydrated]').waitFor({ timeout: 60_000 });
    const memory = () => roots.reduce((sum, pid) => sum + treeBytes(pid), 0);
    let peakBytes = memory();
    let samples = 1;
    sampler = setInterval(() => {
      peakBytes = Math.max(peakBytes, memory());
      samples++;
    }, SAMPLE_MS);
    const pageStarted = await page.evaluate(() => performance.now());
    const started = performance.now();
    await page.getByTestId('file-input').setInputFiles(files);
    const card = page.locator('[data-testid="verdict-card"][data-kind]');
    await card.waitFor({ state: 'visible', timeout: timeoutMs });
    const seconds = (performance.now() - started) / 1000;
    const verdict = { kind: await card.getAttribute('data-kind'), stop: await card.getAttribute('data-stop') };
    // "Responsive throughout": what the page does once the verdict shows (the flow list, the
    // hop diagram, the packets of the selected flow) counts too, for its tasks and its memory.
    await page.waitForTimeout(SETTLE_MS);
    clearInterval(sampler);
    peakBytes = Math.max(peakBytes, memory());
    const tasks = await page.evaluate(() => (window as unknown as { __hopscopeLongTasks: [number, number][] }).__hopscopeLongTasks);
    const during = tasks.filter(([start]) => start >= pageStarted);
    const longest = during.reduce<[number, number]>((a, t) => (t[1] > a[1] ? t : a), [pageStarted, 0]);
    const loadTaskMs = Math.max(0, ...tasks.filter(([start]) => start < pageStarted).map(([, ms]) => ms));
    // The floor: how long this browser takes to hand the page the files' bytes, nothing done with
    // them, read into reused memory as the app reads them (capture/blob.ts's byobChunks).
    await page.evaluate(() => {
      const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'hopscope-bench-raw', hidden: true });
      document.body.append(input);
    });
    await page.setInputFiles('#hopscope-bench-raw', files);
    const rawReadSeconds = await page.evaluate(async () => {
      const input = document.getElementById('hopscope-bench-raw') as HTMLInputElement;
      const t0 = performance.now();
      await Promise.all(
        [...(input.files ?? [])].map(async (f) => {
          const reader = f.stream().getReader({ mode: 'byob' });
          let buf = new ArrayBuffer(4 * 1024 * 1024);
          for (;;) {
            // Chromium's blob stream can leave a read unanswered for good (capture/blob.ts's
            // STALL_MS): the floor is then not measured, and the bench does not wait for ever.
            let timer: ReturnType<typeof setTimeout> | undefined;
            const stalled = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('stalled')), 10_000)));
            const { value, done } = await Promise.race([reader.read(new Uint8Array(buf)), stalled]).finally(() => clearTimeout(timer));
            if (done || !value) break;
            buf = value.buffer as ArrayBuffer;
          }
        }),
      );
      return (performance.now() - t0) / 1000;
    }).catch(() => NaN);
    await page.close();
    let small: SmallDrops | string | null = null;
    if (opts.smallFiles?.length) {
      const url = `http://127.0.0.1:${port}/`;
      const drops: SmallDrops = { files: opts.smallFiles.length, bytes: opts.smallFiles.reduce((n, f) => n + statSync(f).size, 0), atOnceMs: [], workersLoadedMs: [] };
      // A failed drop costs the small incident's figures, not the large one's already measured.
      try {
        for (let k = 0; k < SMALL_RUNS; k++) {
          drops.atOnceMs.push(await smallDrop(browser, url, opts.smallFiles, 0));
          drops.workersLoadedMs.push(await smallDrop(browser, url, opts.smallFiles, WORKERS_LOADED_MS));
        }
        small = drops;
      } catch (e) {
        small = `a drop failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      }
    }
    return { seconds, peakBytes, samples, longTasks: during.length, longestTaskMs: longest[1], longestTaskAt: (longest[0] - pageStarted) / 1000, loadTaskMs, verdict, rawReadSeconds, small };
  } finally {
    if (sampler) clearInterval(sampler);
    await browser?.close();
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

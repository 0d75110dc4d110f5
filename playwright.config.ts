import { defineConfig, devices } from '@playwright/test';
import os from 'node:os';
import path from 'node:path';

/** Debian's chromium: Playwright's own browser builds cannot be downloaded here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = Number(process.env.E2E_PORT ?? 3107);
const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: './e2e',
  // Only Playwright's own artifacts: test-results/ also holds the JSON reports and screenshots.
  outputDir: 'test-results/playwright',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [
            '--no-sandbox',
            '--headless',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      },
    },
  ],
  webServer: {
    command: `npm run build && node bin/hopscope-server.mjs -p ${PORT} -H 127.0.0.1`,
    url: BASE_URL,
    reuseExistingServer: !process.env.CI,
    // Shared incidents of this run, apart from a developer's ./data; the tests create many from
    // one address, so the hourly limit is lifted here (its own test starts a server with it).
    env: {
      HOPSCOPE_DATA_DIR: process.env.HOPSCOPE_E2E_DATA_DIR ?? path.join(os.tmpdir(), `hopscope-e2e-${process.pid}`),
      HOPSCOPE_MAX_INCIDENTS_PER_HOUR: '100000',
    },
    timeout: 300_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});

import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { expectVerdict, scenarios, tempDir, tinyPcap, tinyPng, writeTemp } from './fixtures';

const SHOTS = path.join('test-results', 'screenshots');

async function fontsReady(page: Page) {
  // Geist Mono is first used late: wait for it, or the shot shows the fallback font.
  await page.evaluate(async () => {
    await document.fonts.load('13px GeistMono');
    await document.fonts.ready;
  });
}

for (const width of [1280, 1920]) {
  for (const theme of ['light', 'dark'] as const) {
    test.describe(`screenshots ${width}px ${theme}`, () => {
      test.beforeEach(async ({ page }) => {
        await page.setViewportSize({ width, height: 1000 });
        await page.emulateMedia({ colorScheme: theme });
      });

      test('capture inspector', async ({ page }) => {
        await page.goto('/inspect?sample=none');
        await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
        const dir = tempDir();
        await page
          .getByTestId('file-input')
          .setInputFiles([writeTemp(dir, 'node1-eth0.pcap', tinyPcap()), writeTemp(dir, 'notes.png', tinyPng())]);
        await expect(page.locator('[data-status="done"]')).toHaveCount(1);
        await expect(page.locator('[data-status="error"]')).toHaveCount(1);
        await fontsReady(page);
        await page.screenshot({ path: path.join(SHOTS, `inspector-${width}-${theme}.png`), fullPage: true });
      });

      test('dashboard, first visit', async ({ page }) => {
        await page.goto('/');
        await expect(page.locator('[data-sample]').first()).toBeVisible();
        await fontsReady(page);
        await page.screenshot({ path: path.join(SHOTS, `dashboard-empty-${width}-${theme}.png`), fullPage: true });
      });

      test('dashboard, an incident with a packet followed across the stations', async ({ page }) => {
        await page.goto('/?sample=vxlan-service-forward-drop');
        await expectVerdict(page);
        // The TCP flow: DNAT and MASQUERADE on the way, then the drop.
        await page.locator('[data-testid="flow-row"][data-protocol="tcp"]').first().click();
        await page.locator('[data-testid="packet-row"]').first().click();
        await expect(page.getByTestId('packet-layers')).toBeVisible();
        await fontsReady(page);
        await page.screenshot({ path: path.join(SHOTS, `dashboard-incident-${width}-${theme}.png`), fullPage: true });
      });

      test('dashboard, files with problems beside good ones', async ({ page }) => {
        const s = scenarios().find((x) => x.name === 'vxlan-return-path-drop');
        test.skip(!s, 'sample-captures/ is absent');
        const dir = tempDir();
        await page.goto('/');
        await page
          .getByTestId('file-input')
          .setInputFiles([...s!.files, writeTemp(dir, 'notes.png', tinyPng()), writeTemp(dir, 'node3-eth0.pcap', tinyPcap().subarray(0, 90))]);
        await expect(page.locator('[data-testid="file-row"][data-status="error"]')).toHaveCount(1);
        await expectVerdict(page);
        await page.getByRole('group', { name: 'Path view' }).getByRole('button', { name: 'table' }).click();
        await fontsReady(page);
        await page.screenshot({ path: path.join(SHOTS, `dashboard-files-${width}-${theme}.png`), fullPage: true });
      });
    });
  }
}

test('the theme toggle overrides the system and persists', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/inspect?sample=none');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  const group = page.getByRole('group', { name: 'Colour theme' });
  await group.getByRole('button', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(group.getByRole('button', { name: 'Dark' })).toHaveAttribute('aria-pressed', 'true');
  await group.getByRole('button', { name: 'System' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

import { expect, test } from '@playwright/test';
import path from 'node:path';
import { tempDir, tinyPcap, tinyPng, writeTemp } from './fixtures';

const SHOTS = path.join('test-results', 'screenshots');

for (const width of [1280, 1920]) {
  for (const theme of ['light', 'dark'] as const) {
    test(`screenshot ${width}px ${theme}`, async ({ page }) => {
      await page.setViewportSize({ width, height: 1200 });
      await page.emulateMedia({ colorScheme: theme });
      await page.goto('/?sample=none');
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);

      const dir = tempDir();
      await page
        .getByTestId('file-input')
        .setInputFiles([writeTemp(dir, 'node1-eth0.pcap', tinyPcap()), writeTemp(dir, 'notes.png', tinyPng())]);
      await expect(page.locator('[data-status="done"]')).toHaveCount(1);
      await expect(page.locator('[data-status="error"]')).toHaveCount(1);
      // Geist Mono is first used by the cards: wait for it, or the shot shows the fallback font.
      await page.evaluate(async () => {
        await document.fonts.load('13px GeistMono');
        await document.fonts.ready;
      });
      await page.screenshot({ path: path.join(SHOTS, `inspector-${width}-${theme}.png`), fullPage: true });
    });
  }
}

test('the theme toggle overrides the system and persists', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/?sample=none');
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

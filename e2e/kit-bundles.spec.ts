/**
 * Capture-kit bundles dropped on the dashboard: lib/kit/testdata/forward-8080-drop holds two the
 * kit wrote on a real kernel (node2's FORWARD chain drops TCP 8080). The page opens them into
 * their captures and each node's recorded state, and the verdict card shows the causes checked.
 */
import { expect, test } from '@playwright/test';
import path from 'node:path';

const DIR = path.join(process.cwd(), 'lib', 'kit', 'testdata', 'forward-8080-drop');

test('bundles open into captures and state; the dropped port\'s FORWARD rule is confirmed on the card', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(['node1-hopscope.tar.gz', 'node2-hopscope.tar.gz'].map((f) => path.join(DIR, f)));
  // Four captures and one state file per node.
  await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(10, { timeout: 20_000 });
  await expect(page.getByText('recorded state of node2')).toBeVisible();
  const card = page.getByTestId('verdict-card');
  await expect(card).toHaveAttribute('data-kind', 'request-dropped');
  await expect(card).toHaveAttribute('data-stop', 'node2/flannel.1');
  const checks = page.getByTestId('verdict-checks');
  const fwd = checks.locator('li', { hasText: 'iptables FORWARD drops it' });
  await expect(fwd).toHaveAttribute('data-status', 'confirmed');
  await expect(fwd).toContainText('--dport 8080 -j DROP');
  await expect(checks.locator('li[data-status="ruled out"]').first()).toBeVisible();
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'kit-bundles.png'), fullPage: true });
});

test('a shared link carries the recorded state: the colleague sees the same checks', async ({ page, browser }) => {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(['node1-hopscope.tar.gz', 'node2-hopscope.tar.gz'].map((f) => path.join(DIR, f)));
  await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(10, { timeout: 20_000 });
  await expect(page.getByTestId('verdict-checks')).toBeVisible();
  await page.getByTestId('share-open').click();
  const dialog = page.getByTestId('share-dialog');
  await expect(dialog.getByTestId('share-state')).toBeChecked();
  await dialog.getByTestId('share-title').fill('FORWARD drops 8080 on node2');
  await dialog.getByTestId('share-submit').click();
  await expect(dialog.getByTestId('share-result')).toBeVisible({ timeout: 20_000 });
  const link = await dialog.getByTestId('share-link').inputValue();

  const other = await (await browser.newContext()).newPage();
  await other.goto(link);
  const card = other.getByTestId('verdict-card');
  await expect(card).toHaveAttribute('data-kind', 'request-dropped', { timeout: 20_000 });
  const fwd = other.getByTestId('verdict-checks').locator('li', { hasText: 'iptables FORWARD drops it' });
  await expect(fwd).toHaveAttribute('data-status', 'confirmed');
  await expect(fwd).toContainText('--dport 8080 -j DROP');
});

test('the lab\'s own kit bundles (Calico VXLAN, a pod route deleted on node2): the blackhole route is confirmed on the card', async ({ page }) => {
  const dir = path.join(process.cwd(), 'sample-captures', 'calico-vxlan-route-missing');
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(['node1-hopscope.tar.gz', 'node2-hopscope.tar.gz'].map((f) => path.join(dir, f)));
  await expect(page.getByText('recorded state of node2')).toBeVisible({ timeout: 20_000 });
  // The broken flow to pod-b (192.168.84.135), picked from the list.
  await page.locator('[data-testid="flow-row"][data-protocol="tcp"][data-kind="request-dropped"]').filter({ hasText: '192.168.84.135' }).first().click();
  const card = page.getByTestId('verdict-card');
  await expect(card).toHaveAttribute('data-kind', 'request-dropped');
  await expect(card).toHaveAttribute('data-stop', 'node2/vxlan.calico');
  const route = page.getByTestId('verdict-checks').locator('li', { hasText: 'the route to 192.168.84.135' });
  await expect(route).toHaveAttribute('data-status', 'confirmed');
  await expect(route).toContainText('blackhole 192.168.84.128/26');
  await expect(page.getByTestId('verdict-checks').locator('li[data-status="confirmed"]')).toHaveCount(1);
  await page.screenshot({ path: path.join('test-results', 'screenshots', 'kit-lab-route-missing.png'), fullPage: true });
});

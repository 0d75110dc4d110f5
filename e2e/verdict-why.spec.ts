import { expect, test } from '@playwright/test';
import path from 'node:path';

const SHOTS = path.join('test-results', 'screenshots');

test('the verdict card says which rule decided and on what evidence', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.goto('/?sample=vxlan-forward-drop');
  const card = page.getByTestId('verdict-card');
  await expect(card).toHaveAttribute('data-kind', 'request-dropped');
  const why = page.getByTestId('verdict-why');
  await expect(why).toContainText('Why this verdict: rule requests-stop');
  await why.locator('summary').click();
  await expect(why).toContainText('Requests are seen at one capture point and never at the next one');
  const evidence = page.getByTestId('verdict-evidence');
  await expect(evidence).toContainText('node2/flannel.1 3, node2/cni0 0');
  await expect(evidence).toContainText('never at node2/cni0');
  await expect(evidence).toContainText("node2/cni0's capture ran and holds no packet at all");
  // The copied text carries the rule too.
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, 'verdict-why-1280-light.png'), fullPage: true });
});

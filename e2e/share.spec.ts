import { expect, test, type Browser, type Page } from '@playwright/test';
import { statSync } from 'node:fs';
import path from 'node:path';
import { expectVerdict, scenarios } from './fixtures';

/**
 * Sharing end to end: one browser context shares, a fresh one (a colleague: no storage, no
 * files) opens the link and must see the same analysis; the owner's delete link removes it.
 */
const scenario = scenarios().find((s) => s.name === 'vxlan-forward-drop');

interface FlowView {
  key: string;
  kind: string;
  stop: string;
}

/** Every flow's kind and stop, in list order, by clicking through the list. */
async function flowViews(page: Page): Promise<FlowView[]> {
  const rows = page.getByTestId('flow-row');
  const n = await rows.count();
  const out: FlowView[] = [];
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    await row.click();
    await expect(row).toHaveAttribute('aria-selected', 'true');
    const card = page.getByTestId('verdict-card');
    const attr = async (name: string) => (await row.getAttribute(name)) ?? '';
    out.push({
      key: `${await attr('data-protocol')} ${await attr('data-client')} ${await attr('data-client-port')}${await attr('data-icmp-id')}`,
      kind: await attr('data-kind'),
      stop: (await card.getAttribute('data-stop')) ?? '',
    });
  }
  return out;
}

async function share(page: Page, opts: { headersOnly: boolean; title: string; notes: string }): Promise<{ link: string; deleteLink: string }> {
  await page.getByTestId('share-open').click();
  const dialog = page.getByTestId('share-dialog');
  await expect(dialog).toBeVisible();
  if (opts.headersOnly) await dialog.getByTestId('share-headers-only').check();
  await dialog.getByTestId('share-title').fill(opts.title);
  await dialog.getByTestId('share-notes').fill(opts.notes);
  await dialog.getByTestId('share-submit').click();
  await expect(dialog.getByTestId('share-result')).toBeVisible({ timeout: 20_000 });
  return { link: await dialog.getByTestId('share-link').inputValue(), deleteLink: await dialog.getByTestId('share-delete-link').inputValue() };
}

async function freshPage(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext();
  return ctx.newPage();
}

test.describe('sharing an incident', () => {
  test.skip(!scenario, 'sample-captures/vxlan-forward-drop is absent');

  test('share from one browser, open in a fresh one: the same flows, verdicts, labels, notes and comment; delete, and the link says it is gone', async ({ page, browser }) => {
    const s = scenario!;
    await page.goto('/');
    await expect(page.getByTestId('file-input')).toBeAttached();
    await page.getByTestId('file-input').setInputFiles(s.files);
    await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(s.files.length, { timeout: 20_000 });
    await expectVerdict(page);

    // A label set by hand travels with the incident.
    const veth = page.locator('[data-testid="file-row"][data-file^="node1-veth"]');
    await veth.getByTestId('label-interface').fill('veth-pod-a');
    await veth.getByTestId('label-interface').press('Enter');
    await expect(page.getByTestId('hop-panel')).toContainText('veth-pod-a');

    const sharer = await flowViews(page);
    await page.getByTestId('flow-row').first().click();
    await page.getByTestId('flow-comment-add').click();
    await page.getByTestId('flow-comment-input').fill('Pings die **after** flannel.1 on node2.');

    const notes = '## What we saw\n\n<script>window.__pwned = 1</script>\n\n- `ping 10.244.2.2` from pod A';
    const { link, deleteLink } = await share(page, { headersOnly: false, title: 'pod A cannot reach pod B', notes });
    expect(link).toMatch(/\/i\/[A-Za-z0-9_-]{22}$/);
    expect(deleteLink.startsWith(`${link}#delete=`)).toBe(true);

    // The colleague: a new context, nothing shared with the sharer's.
    const colleague = await freshPage(browser);
    const errors: string[] = [];
    colleague.on('pageerror', (e) => errors.push(e.message));
    await colleague.goto(link);
    await expect(colleague.getByTestId('shared-banner')).toContainText('Shared incident');
    await expect(colleague.getByTestId('shared-title')).toHaveText('pod A cannot reach pod B');
    await expect(colleague.getByTestId('shared-expires')).toContainText('expires');
    await expect(colleague.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(s.files.length, { timeout: 20_000 });
    await expectVerdict(colleague);
    expect(await flowViews(colleague)).toEqual(sharer);
    await expect(colleague.getByTestId('hop-panel')).toContainText('veth-pod-a');
    await colleague.getByTestId('flow-row').first().click();
    await expect(colleague.getByTestId('flow-comment')).toContainText('Pings die after flannel.1 on node2.');
    await expect(colleague.getByTestId('flow-comment').locator('strong')).toHaveText('after');
    // Notes are Markdown without raw HTML: the script shows as text and never runs.
    const shownNotes = colleague.getByTestId('shared-notes');
    await expect(shownNotes).toContainText('<script>window.__pwned = 1</script>');
    await expect(shownNotes.locator('script')).toHaveCount(0);
    await expect(shownNotes.locator('h4, h3, h2').first()).toHaveText('What we saw');
    expect(await colleague.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // No delete button for someone without the token.
    await expect(colleague.getByTestId('shared-delete')).toHaveCount(0);
    expect(errors).toEqual([]);

    // The owner, from another machine: the delete link.
    const owner = await freshPage(browser);
    await owner.goto(deleteLink);
    await expect(owner).toHaveURL(link);
    await owner.getByTestId('shared-delete').click();
    await owner.getByTestId('shared-delete-confirm').click();
    await expect(owner.getByTestId('incident-deleted')).toBeVisible();

    const res = await colleague.request.get(link.replace('/i/', '/api/incidents/'));
    expect(res.status()).toBe(404);
    await colleague.reload();
    await expect(colleague.getByTestId('incident-gone')).toContainText('No such incident');
  });

  test('headers only: payloads stay home, the colleague gets the same verdicts from smaller files', async ({ page, browser }) => {
    const s = scenario!;
    const pcapng = path.join(s.dir, 'all-interfaces.pcapng');
    await page.goto('/');
    await page.getByTestId('file-input').setInputFiles([pcapng]);
    await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(1, { timeout: 20_000 });
    await expectVerdict(page);
    const sharer = await flowViews(page);
    await expect(page.getByTestId('share-open')).toBeEnabled();
    await page.getByTestId('share-open').click();
    await expect(page.getByTestId('share-dialog')).toContainText('Payloads never leave this machine.');
    await page.getByTestId('share-dialog').getByRole('button', { name: 'Close' }).click();
    const { link } = await share(page, { headersOnly: true, title: 'headers only', notes: '' });

    const meta = await (await page.request.get(link.replace('/i/', '/api/incidents/'))).json();
    expect(meta.headersOnly).toBe(true);
    expect(meta.files).toHaveLength(1);
    expect(meta.files[0].size).toBeLessThan(statSync(pcapng).size);

    const colleague = await freshPage(browser);
    await colleague.goto(link);
    await expect(colleague.getByTestId('shared-banner')).toContainText('headers only');
    await expect(colleague.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(1, { timeout: 20_000 });
    await expectVerdict(colleague);
    expect(await flowViews(colleague)).toEqual(sharer);
  });

  test('an id that never existed, or cannot be one, shows "No such incident"', async ({ page }) => {
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id', '..%2F..%2Fetc%2Fpasswd']) {
      await page.goto(`/i/${id}`);
      await expect(page.getByTestId('incident-gone')).toContainText('No such incident');
    }
  });
});

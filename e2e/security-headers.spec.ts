import { expect, test, type Page, type Response } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { expectVerdict, scenarios } from './fixtures';

/**
 * Every page carries a nonce CSP from proxy.ts and works under it: Next's scripts, the theme
 * script, the analysis Web Worker, blob downloads. A violation anywhere fails the test.
 */

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

interface Watch {
  problems: string[];
  violations: () => Promise<string[]>;
}

function watch(page: Page): Watch {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // Chromium reports a refused script, style or worker as a console error, from the page and
  // from its workers alike.
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning' || /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`console.${m.type()}: ${m.text()}`);
    }
  });
  // Init scripts run through the DevTools protocol, outside the page's CSP.
  void page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations!.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return { problems, violations: () => page.evaluate(() => window.__cspViolations ?? []) };
}

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/** The page's CSP, checked for shape; returns its nonce. */
async function checkPageCsp(response: Response | null): Promise<string> {
  expect(response?.status()).toBe(200);
  const headers = response!.headers();
  const csp = headers['content-security-policy'];
  expect(csp, 'Content-Security-Policy header').toBeTruthy();
  const d = directives(csp!);
  const scriptSrc = d.get('script-src') ?? [];
  const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(scriptSrc.find((v) => v.startsWith("'nonce-")) ?? '')?.[1];
  expect(nonce, `a nonce in script-src: ${csp}`).toBeTruthy();
  expect(scriptSrc).toContain("'strict-dynamic'");
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  // The suite runs `next start`: the production policy has no eval.
  expect(scriptSrc).not.toContain("'unsafe-eval'");
  expect(d.get('default-src')).toEqual(["'self'"]);
  expect(d.get('object-src')).toEqual(["'none'"]);
  expect(d.get('base-uri')).toEqual(["'self'"]);
  expect(d.get('frame-ancestors')).toEqual(["'none'"]);
  expect(d.get('worker-src')).toEqual(["'self'", 'blob:']);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');

  // Every script the server wrote carries this request's nonce.
  const html = await response!.text();
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag, 'script tag without the nonce').toContain(`nonce="${nonce}"`);
  return nonce!;
}

test.describe('security headers', () => {
  test('the dashboard analyses a sample in its worker under the CSP, with no violation', async ({ page }) => {
    test.skip(!scenarios().some((s) => s.name === 'vxlan-forward-drop'), 'sample-captures/ is absent');
    const w = watch(page);
    const nonce = await checkPageCsp(await page.goto('/?sample=vxlan-forward-drop'));
    await expectVerdict(page, 'request-dropped', { timeout: 20_000 });
    await expect(page.getByTestId('hop-panel').locator('g[role="img"]')).toHaveAttribute('aria-label', /requests stop between/);

    // A blob: download and the theme toggle, both still allowed.
    const [md] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Report .md' }).click()]);
    expect(readFileSync((await md.path())!, 'utf8')).toMatch(/^# Hopscope report/);
    const group = page.getByRole('group', { name: 'Colour theme' });
    await group.getByRole('button', { name: 'Dark' }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

    // A second request gets a different nonce.
    const again = (await page.request.get('/inspect?sample=none')).headers()['content-security-policy'];
    expect(again).not.toContain(nonce);

    expect(await w.violations()).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  test('the inspector loads its sample and works under the CSP, with no violation', async ({ page }) => {
    test.setTimeout(90_000);
    const w = watch(page);
    await checkPageCsp(await page.goto('/inspect'));
    await expect(page.getByRole('heading', { name: 'Capture inspector' })).toBeVisible();
    await expect(page.getByTestId('sample-note')).not.toHaveText(/Looking/);
    const cards = page.getByTestId('capture-card');
    if ((await cards.count()) > 0) await expect(cards.first()).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    expect(await w.violations()).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  test('the nonced theme script runs before any bundle does', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.addInitScript(() => localStorage.setItem('hopscope-theme', 'dark'));
    // No bundle, no React: only the inline <head> script can set the theme now.
    await page.route('**/_next/static/**/*.js', (route) => route.abort());
    const w = watch(page);
    await page.goto('/inspect?sample=none');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    expect(await w.violations()).toEqual([]);
  });

  test('markup injected into the page without the nonce does not run', async ({ page }) => {
    // What a stored XSS in server-rendered HTML would look like: a script and an event handler.
    await page.route('**/inspect?sample=none', async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(
        '</body>',
        '<script>window.__injected = true</script><img alt="" src="data:," onerror="window.__injected = true"></body>',
      );
      await route.fulfill({ response, body });
    });
    const w = watch(page);
    await page.goto('/inspect?sample=none');
    await expect(page.getByRole('heading', { name: 'Capture inspector' })).toBeVisible();
    await expect
      .poll(async () => (await w.violations()).map((v) => v.split(' ')[0]).sort())
      .toEqual(['script-src-attr', 'script-src-elem']);
    expect(await page.evaluate(() => (window as { __injected?: boolean }).__injected)).toBeUndefined();
  });

  test('static samples load past the proxy, with nosniff', async ({ request }) => {
    const r = await request.get('/samples/index.json');
    expect(r.status()).toBe(200);
    expect(Array.isArray(await r.json())).toBe(true);
    expect(r.headers()['x-content-type-options']).toBe('nosniff');
    // Not a page: the proxy leaves it alone.
    expect(r.headers()['content-security-policy'] ?? '').not.toContain('nonce-');
  });

  test('API responses are sandboxed data, untouched by the page proxy', async ({ request }) => {
    const r = await request.get('/api/no-such-route');
    const h = r.headers();
    expect(h['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
  });
});

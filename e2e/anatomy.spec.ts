import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AnalysisEngine } from '../lib/worker/engine';
import type { FileId, FromWorker, PacketAnatomyDetail, StationAnatomy } from '../lib/worker/protocol';
import { expectVerdict, SAMPLES_DIR } from './fixtures';

const SHOTS = path.join('test-results', 'screenshots');
const SAMPLE = 'vxlan-healthy.pcapng';

type Msg<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/**
 * What the page should show, computed in Node by the very engine the worker runs: the ICMP
 * flow's first packet at node1/eth0, at every station.
 */
async function expected(sample = SAMPLE, pick: 'icmp-first-at-eth0' | 'largest-at-pod' = 'icmp-first-at-eth0'): Promise<PacketAnatomyDetail> {
  const messages: FromWorker[] = [];
  const engine = new AnalysisEngine({ post: (m) => messages.push(m) });
  const next = async <T extends FromWorker['type']>(type: T, req?: number): Promise<Msg<T>> => {
    for (let i = 0; i < 1000; i++) {
      const hit = messages.find((m): m is Msg<T> => m.type === type && (req === undefined || (m as { req?: number }).req === req));
      if (hit) return hit;
      const err = messages.find((m): m is Msg<'request-error'> => m.type === 'request-error' && m.req === req);
      if (err) throw new Error(err.message);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type}`);
  };
  const file = new File([readFileSync(path.join(SAMPLES_DIR, sample))], sample);
  engine.handle({ type: 'add', files: [{ id: 'f1' as FileId, file, name: sample }] });
  const a = await next('analysis');
  const flow = a.report!.flows.find((f) => f.protocol === 'icmp')!;
  const at =
    pick === 'largest-at-pod'
      ? a.points.find((p) => p.role === 'pod')!
      : a.points.find((p) => p.node === 'node1' && p.interface === 'eth0')!;
  engine.handle({ type: 'packets', req: 1, generation: a.generation, flow: flow.id, point: at.id, offset: 0, limit: 500 });
  const rows = (await next('packets', 1)).page.rows;
  const row = pick === 'largest-at-pod' ? rows.reduce((b, r) => (r.ipLen > b.ipLen ? r : b)) : rows[0]!;
  engine.handle({ type: 'anatomy', req: 2, generation: a.generation, flow: flow.id, group: row.group });
  return (await next('anatomy', 2)).detail;
}

const name = (s: StationAnatomy) => `${s.node}/${s.interface}`;

/** Box titles as the bar draws them: a header by its layer, anything else by its segment. */
function boxes(s: StationAnatomy) {
  return s.anatomy.segments.map((g) => ({ bytes: String(g.length), title: g.role === 'header' ? s.anatomy.layers[g.layer]!.title : null }));
}

async function fontsReady(page: Page) {
  await page.evaluate(async () => {
    await document.fonts.load('13px GeistMono');
    await document.fonts.ready;
  });
}

async function openPacket(page: Page) {
  await page.goto('/?sample=vxlan-healthy');
  await expectVerdict(page);
  await page.locator('[data-testid="flow-row"][data-protocol="icmp"]').first().click();
  const station = page.getByRole('combobox', { name: 'Capture point' });
  const value = await station.locator('option', { hasText: /^node1\/eth0 / }).getAttribute('value');
  await station.selectOption(value!);
  await expect(page.getByRole('heading', { name: /Packets at node1\/eth0/ })).toBeVisible();
  await page.locator('[data-testid="packet-row"]').first().click();
  const panel = page.getByTestId('anatomy-panel');
  await expect(panel).toHaveAttribute('data-station', 'node1/eth0');
  return panel;
}

test.describe('packet anatomy', () => {
  let want: PacketAnatomyDetail;
  test.beforeAll(async () => {
    want = await expected();
  });

  test('layers to scale, fields and hex lit both ways, stations stepped, exports', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 1440, height: 1000 });
    const panel = await openPacket(page);

    // node1/eth0: the VXLAN frame, outer stack then inner, each box its true byte count.
    const at = want.stations.findIndex((s) => name(s) === 'node1/eth0');
    const eth0 = want.stations[at]!;
    expect(eth0.anatomy.segments.reduce((n, s) => n + s.length, 0)).toBe(eth0.anatomy.capLen);
    const shown = panel.getByTestId('anatomy-box');
    await expect(shown).toHaveCount(eth0.anatomy.segments.length);
    const got = await shown.evaluateAll((els) => els.map((e) => ({ bytes: e.getAttribute('data-bytes'), title: e.getAttribute('data-role') === 'header' ? e.getAttribute('data-title') : null })));
    expect(got).toEqual(boxes(eth0));
    expect(eth0.anatomy.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp']);
    await expect(panel.getByTestId('anatomy-bracket')).toContainText('VXLAN payload');
    // Widths follow bytes: the 20-byte outer IPv4 box is wider than the 8-byte UDP box.
    const w = await shown.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(w[1]!).toBeGreaterThan(w[2]!);

    // A field lights its bytes in the hex dump...
    const ttlLayer = eth0.anatomy.layers.findIndex((l) => l.kind === 'ipv4');
    const ttl = eth0.anatomy.layers[ttlLayer]!.fields.find((f) => f.key === 'ttl')!;
    await panel.locator(`[data-field-ref="${ttlLayer}:${eth0.anatomy.layers[ttlLayer]!.fields.indexOf(ttl)}"]`).hover();
    const lit = () => panel.locator('[data-testid="hex-byte"][data-highlight="field"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-offset'))));
    await expect.poll(lit).toEqual(Array.from({ length: ttl.length }, (_, i) => ttl.offset + i));
    // ...and a byte lights its field: the inner source address.
    const innerIp = eth0.anatomy.layers.map((l) => l.kind).lastIndexOf('ipv4');
    const src = eth0.anatomy.layers[innerIp]!.fields.findIndex((f) => f.key === 'src');
    const srcField = eth0.anatomy.layers[innerIp]!.fields[src]!;
    await panel.locator(`[data-testid="hex-byte"][data-offset="${srcField.offset + 1}"]`).hover();
    await expect(panel.locator(`[data-field-ref="${innerIp}:${src}"]`)).toHaveAttribute('data-active', 'true');
    await expect.poll(lit).toEqual(Array.from({ length: srcField.length }, (_, i) => srcField.offset + i));

    // Keyboard: ↓ moves through the fields, each lighting its bytes.
    const rows = panel.getByTestId('field-row');
    await rows.first().focus();
    await page.mouse.move(0, 0);
    await page.keyboard.press('ArrowDown');
    const second = eth0.anatomy.layers.flatMap((l) => l.fields)[1]!;
    await expect(rows.nth(1)).toBeFocused();
    await expect.poll(lit).toEqual(Array.from({ length: second.length }, (_, i) => second.offset + i));
    // The boxes: ← → from one to the next.
    await shown.first().focus();
    await page.keyboard.press('ArrowRight');
    await expect(shown.nth(1)).toBeFocused();
    await expect(shown.nth(1)).toHaveAttribute('aria-pressed', 'true');
    // The stations: → steps to the next one.
    const tabs = panel.getByTestId('anatomy-station');
    await expect(tabs).toHaveCount(want.stations.length);
    await tabs.nth(at).focus();
    await page.keyboard.press('ArrowRight');
    await expect(panel).toHaveAttribute('data-station', name(want.stations[at + 1]!));
    await expect(tabs.nth(at + 1)).toHaveAttribute('aria-selected', 'true');

    await fontsReady(page);
    await page.mouse.move(0, 0);
    await panel.getByTestId('anatomy-station').nth(at).click();
    await panel.screenshot({ path: path.join(SHOTS, 'anatomy-1440-light.png') });

    // node2/flannel.1: the VXLAN headers are gone.
    const fl = want.stations.findIndex((s) => name(s) === 'node2/flannel.1');
    expect(fl).toBeGreaterThan(0);
    await panel.locator('[data-testid="anatomy-station"][data-station="node2/flannel.1"]').click();
    await expect(panel).toHaveAttribute('data-station', 'node2/flannel.1');
    const diff = want.diffs[fl]!;
    expect(diff.removed.length).toBeGreaterThan(0);
    await expect(panel.getByTestId('anatomy-diff')).toHaveAttribute('data-kind', 'decapsulated');
    await expect(panel.getByTestId('anatomy-diff-summary')).toHaveText(diff.summary);
    expect(diff.summary).toMatch(/decapsulat/i);
    const flannel = want.stations[fl]!;
    await expect(panel.getByTestId('anatomy-box')).toHaveCount(flannel.anatomy.segments.length);

    // The MTU box does the overlay's arithmetic on this packet.
    const mtu = want.mtu.find((m) => m.overlay !== 'none');
    if (mtu) {
      await expect(panel.getByTestId('anatomy-mtu')).toHaveAttribute('data-overlay', mtu.overlay);
      await expect(panel.getByTestId('anatomy-mtu')).toContainText(String(mtu.overhead));
    }

    // Export: a standalone SVG (no CSS variables left) and a real PNG, named by station and frame.
    const [svgDl] = await Promise.all([page.waitForEvent('download'), panel.getByTestId('anatomy-export-svg').click()]);
    expect(svgDl.suggestedFilename()).toBe(`anatomy-node2-flannel.1-frame${flannel.frame}.svg`);
    const svg = readFileSync((await svgDl.path())!, 'utf8');
    expect(svg).toMatch(/^<\?xml[^>]*>\s*<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('</svg>');
    expect(svg).not.toContain('var(--');
    expect(svg).not.toContain('class=');
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, rects: doc.querySelectorAll('rect').length };
    }, svg);
    expect(parsed.error).toBeNull();
    expect(parsed.rects).toBeGreaterThanOrEqual(flannel.anatomy.segments.length);
    const [pngDl] = await Promise.all([page.waitForEvent('download'), panel.getByTestId('anatomy-export-png').click()]);
    expect(pngDl.suggestedFilename()).toBe(`anatomy-node2-flannel.1-frame${flannel.frame}.png`);
    const png = readFileSync((await pngDl.path())!);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(2000);
    // Kept beside the screenshots, to be looked at.
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(path.join(SHOTS, 'anatomy-export.png'), png);
    writeFileSync(path.join(SHOTS, 'anatomy-export.svg'), svg);

    expect(errors).toEqual([]);
  });

  test('a station picked in the hop diagram shows its copy', async ({ page }) => {
    await page.setViewportSize({ width: 1440, height: 1000 });
    const panel = await openPacket(page);
    const stations = page.getByTestId('hop-panel').locator('g[role="button"][data-selectable="true"]');
    const labels = await stations.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    const cni0 = labels.findIndex((l) => /node2/.test(l) && /cni0/.test(l));
    expect(cni0, labels.join(' | ')).toBeGreaterThanOrEqual(0);
    await stations.nth(cni0).click();
    await expect(panel).toHaveAttribute('data-station', 'node2/cni0');
    // Stepping in the anatomy leaves the page's station alone; ← goes back along the path.
    await panel.getByTestId('anatomy-prev').click();
    await expect(panel).toHaveAttribute('data-station', 'node2/flannel.1');
    await panel.getByTestId('anatomy-next').click();
    const copy = want.stations.find((s) => name(s) === 'node2/cni0')!;
    await expect(panel.getByTestId('anatomy-box')).toHaveCount(copy.anatomy.segments.length);
    // flannel.1 → cni0 is a routing hop: the inner TTL goes down, with its reason.
    const i = want.stations.indexOf(copy);
    const ttl = want.diffs[i]!.changed.find((c) => c.key === 'ttl');
    expect(ttl).toBeDefined();
    await expect(panel.locator('[data-testid="anatomy-change"][data-key="ttl"]')).toContainText(ttl!.why);
    await expect(panel.locator('[data-testid="field-row"][data-key="ttl"][data-changed="true"]')).toHaveCount(1);
  });

  test('dark theme, and print', async ({ page }) => {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.emulateMedia({ colorScheme: 'dark' });
    const panel = await openPacket(page);
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await fontsReady(page);
    await page.mouse.move(0, 0);
    await panel.screenshot({ path: path.join(SHOTS, 'anatomy-1440-dark.png') });
    // Printed, the panel takes the light palette and drops its buttons.
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    await expect(panel.getByTestId('anatomy-export-svg')).toBeHidden();
    const bg = await panel.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).toBe('rgb(255, 255, 255)');
    await panel.screenshot({ path: path.join(SHOTS, 'anatomy-1440-print.png') });
  });

  test('a packet too big for the tunnel: where and why it did not fit', async ({ page }) => {
    const big = await expected('vxlan-mtu-blackhole.pcapng', 'largest-at-pod');
    const m = big.mtu[0]!;
    expect(m.fits).toBe(false);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.goto('/?sample=vxlan-mtu-blackhole');
    await expectVerdict(page);
    await page.locator('[data-testid="flow-row"][data-protocol="icmp"]').first().click();
    const station = page.getByRole('combobox', { name: 'Capture point' });
    const first = big.stations[0]!;
    const value = await station.locator('option', { hasText: new RegExp(`^${name(first).replace(/\./g, '\\.')} `) }).getAttribute('value');
    await station.selectOption(value!);
    await page.locator('[data-testid="packet-row"]').filter({ hasText: String(m.innerLength) }).first().click();
    const panel = page.getByTestId('anatomy-panel');
    const box = panel.getByTestId('anatomy-mtu');
    await expect(box).toHaveAttribute('data-fits', 'false');
    await expect(box).toContainText(String(m.innerMtu));
    await expect(box).toContainText(m.lines.at(-1)!);
    await expect(panel.getByTestId('anatomy-mtu-stop')).toContainText(`last captured at ${name(big.stations.at(-1)!)}`);
    await fontsReady(page);
    await page.mouse.move(0, 0);
    await panel.screenshot({ path: path.join(SHOTS, 'anatomy-1440-mtu-light.png') });
  });
});

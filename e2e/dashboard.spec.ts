import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readCaptureFile } from '../lib/capture/node';
import { CaptureIndexer } from '../lib/decode/capture-index';
import { loadInputs } from '../lib/analyze/files';
import { analyze } from '../lib/analyze';
import { reportJson } from '../lib/report/report-json';
import { ensureBenchCapture } from '../lib/bench/generate';
import { summarizeFile } from '../lib/worker/engine';
import { formatTimestamp } from '../components/capture-inspector/format';
import { expectedKind, expectedStop, expectVerdict, longTcpPcap, scenarios, tempDir, tinyPcap, tinyPng, type ScenarioFlow, writeTemp } from './fixtures';

const all = scenarios();
const byName = (name: string) => all.find((s) => s.name === name)!;

const flowRow = (page: Page, f: ScenarioFlow) =>
  page.locator(
    // The lab calls ICMPv6 echoes 'icmp' too; the dashboard says icmpv6.
    `[data-testid="flow-row"][data-protocol${f.protocol === 'icmp' ? '^="icmp"' : `="${f.protocol}"`}][data-client="${f.client.ip}"]${
      f.protocol === 'icmp' ? `[data-icmp-id="${f.match.icmpId}"]` : `[data-client-port="${f.match.clientPort}"]`
    }`,
  );

async function upload(page: Page, files: string[]) {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(files);
  await expect(page.locator('[data-testid="file-row"]')).toHaveCount(files.length);
  await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(files.length, { timeout: 20_000 });
  await expectVerdict(page);
}

/**
 * One page for the whole sweep, as a user clears the incident and drops the next: loading the
 * page, hydrating it and starting its workers took about 2 of the 5 s each scenario cost on the
 * 2-core CI machine. A test that fails makes Playwright start a new worker, and with it a new
 * page, so one scenario's failure does not leak into the next.
 */
const sweep = test.extend<object, { sweepPage: Page }>({
  sweepPage: [
    async ({ browser }, use, workerInfo) => {
      const page = await browser.newPage({ baseURL: workerInfo.project.use.baseURL });
      await page.goto('/');
      await use(page);
      await page.close();
    },
    { scope: 'worker' },
  ],
});

sweep.describe('dashboard: every lab scenario, uploaded file by file', () => {
  sweep.skip(all.length === 0, 'sample-captures/ is absent');
  for (const s of all) {
    sweep(`${s.name}: the diagram and the verdict name where each flow stops`, async ({ sweepPage: page }) => {
      const errors: string[] = [];
      const onError = (e: Error) => errors.push(e.message);
      page.on('pageerror', onError);
      // The previous scenario's incident goes first, verdict and all, so nothing of it is read as this one's.
      if ((await page.locator('[data-testid="file-row"]').count()) > 0) {
        await page.getByTestId('load-panel').getByRole('button', { name: 'Clear', exact: true }).click();
      }
      await expect(page.locator('[data-testid="file-row"]')).toHaveCount(0);
      await expect(page.getByTestId('verdict-card')).toHaveCount(0);
      await page.getByTestId('file-input').setInputFiles(s.files);
      await expect(page.locator('[data-testid="file-row"]')).toHaveCount(s.files.length);
      await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(s.files.length, { timeout: 20_000 });
      await expectVerdict(page);
      await expect(page.getByTestId('load-summary')).toContainText(`${s.files.length} files`);
      // Worst first: a broken scenario opens on a broken flow.
      const broken = s.flows.some((f) => expectedKind(s, f) !== 'delivered');
      await expect(page.locator('[data-testid="flow-row"]').first()).toHaveAttribute('data-kind', broken ? /^(?!delivered)/ : 'delivered');

      for (const f of s.flows) {
        const row = flowRow(page, f);
        await row.click();
        await expect(row).toHaveAttribute('aria-selected', 'true');
        const card = page.getByTestId('verdict-card');
        const kind = expectedKind(s, f);
        await expect(card, `${f.id} verdict`).toHaveAttribute('data-kind', kind);
        const stop = expectedStop(f);
        const diagram = page.getByTestId('hop-panel').locator('g[role="img"]');
        if (stop && kind !== 'size-dependent' && kind !== 'partial-loss') {
          await expect(card).toHaveAttribute('data-stop', stop.at);
          await expect(card.getByTestId(stop.direction === 'requests' ? 'requests-stop' : 'replies-stop')).toHaveText(stop.at);
          await expect(diagram).toHaveAttribute('aria-label', new RegExp(`${stop.direction} stop between ${stop.at.replace(/\./g, '\\.')} and`));
          await expect(page.getByTestId('hop-panel').locator(`[data-break="${stop.direction}"]`)).toHaveCount(1);
        } else if (kind === 'delivered') {
          await expect(card).toHaveAttribute('data-stop', '');
          await expect(diagram).not.toHaveAttribute('aria-label', /stop between/);
        }
      }
      page.off('pageerror', onError);
      expect(errors).toEqual([]);
    });
  }
});

test.describe('dashboard', () => {
  test.skip(all.length === 0, 'sample-captures/ is absent');

  test('first visit: one click opens a sample; the URL keeps the flow and station across a reload', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Where do the packets stop?' })).toBeVisible();
    await page.getByTestId('try-sample').click();
    await expectVerdict(page, 'request-dropped');
    await expect(page).toHaveURL(/\?sample=vxlan-forward-drop&flow=\d+&point=\d+/);

    // Pick the second flow and another station, then reload: the same view comes back.
    await page.locator('[data-testid="flow-row"]').nth(1).click();
    const station = page.getByRole('combobox', { name: 'Capture point' });
    const value = await station.locator('option', { hasText: /^node1\/eth0 / }).getAttribute('value');
    await station.selectOption(value!);
    await expect(page.getByRole('heading', { name: /Packets at node1\/eth0/ })).toBeVisible();
    const url = page.url();
    const flow = new URL(url).searchParams.get('flow');
    await page.reload();
    await expectVerdict(page);
    expect(page.url()).toBe(url);
    await expect(page.locator(`[data-testid="flow-row"][data-flow="${flow}"]`)).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('heading', { name: /Packets at node1\/eth0/ })).toBeVisible();

    // Every other sample is one click away.
    await page.getByTestId('sample-menu').locator('summary').click();
    await page.getByTestId('sample-menu').getByRole('button', { name: /vxlan-return-path-drop/ }).click();
    await expect(page).toHaveURL(/sample=vxlan-return-path-drop/);
    await expectVerdict(page, 'reply-dropped');
  });

  test('a link to dropped files says they must be dropped again, then lands on its flow', async ({ page }) => {
    const s = byName('vxlan-forward-drop');
    await page.goto('/?flow=1&point=2');
    await expect(page.getByTestId('notice')).toContainText('drop the same captures again');
    await page.getByTestId('file-input').setInputFiles(s.files);
    await expect(page.locator('[data-testid="flow-row"][data-flow="1"]')).toHaveAttribute('aria-selected', 'true');
    await expect(page).toHaveURL(/\?flow=1&point=2$/);
    await expect(page.getByTestId('notice')).toHaveCount(0);
  });

  test('a bad file beside good ones gets its own message; the others load and are analysed', async ({ page }) => {
    const s = byName('vxlan-forward-drop');
    const dir = tempDir();
    const png = writeTemp(dir, 'screenshot.png', tinyPng());
    const cut = writeTemp(dir, 'node3-eth0.pcap', tinyPcap().subarray(0, 24 + 16 + 42 + 10));
    const unknown = Buffer.from(tinyPcap());
    unknown.writeUInt32LE(147, 20); // LINKTYPE_USER0
    const odd = writeTemp(dir, 'node4-eth0.pcap', unknown);
    await page.goto('/');
    await page.getByTestId('file-input').setInputFiles([png, ...s.files, cut, odd]);
    const row = (name: string) => page.locator(`[data-testid="file-row"][data-file="${name}"]`);
    await expect(row('screenshot.png')).toHaveAttribute('data-status', 'error');
    await expect(page.locator('tr[data-file="screenshot.png"]').getByRole('alert')).toContainText(/NOT_A_CAPTURE at byte 0 of screenshot\.png/);
    await expect(row('node4-eth0.pcap')).toHaveAttribute('data-status', 'error');
    await expect(page.locator('tr[data-file="node4-eth0.pcap"]').getByRole('alert')).toContainText('link type 147');
    await expect(row('node3-eth0.pcap')).toHaveAttribute('data-status', 'loaded');
    await expect(page.locator('tr[data-file="node3-eth0.pcap"]').last()).toContainText('cut short');
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', 'node2/flannel.1');
    await expect(page.getByTestId('load-summary')).toContainText('2 could not be read');
    // Nothing the user did is lost: removing the bad file keeps the rest.
    await page.getByRole('button', { name: 'Remove screenshot.png' }).click();
    await expect(row('screenshot.png')).toHaveCount(0);
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', 'node2/flannel.1');
  });

  test('editing a node name re-runs the analysis', async ({ page }) => {
    const s = byName('vxlan-forward-drop');
    await upload(page, s.files);
    const input = page.getByRole('textbox', { name: 'Node of node2-flannel.1.pcap' });
    await expect(input).toHaveValue('node2');
    await input.fill('worker-2');
    await input.press('Enter');
    await expect(page.getByRole('textbox', { name: 'Node of node2-flannel.1.pcap' })).toHaveValue('worker-2');
    await page.getByRole('group', { name: 'Path view' }).getByRole('button', { name: 'table' }).click();
    await expect(page.getByTestId('hop-table').locator('[data-station="worker-2/flannel.1"]')).toBeVisible();
    await page.getByRole('button', { name: 'Use the detected label for node2-flannel.1.pcap' }).click();
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', 'node2/flannel.1');
  });

  test('cancel stops a long read; the files already read stay analysed', async ({ page }) => {
    test.setTimeout(60_000);
    const s = byName('vxlan-forward-drop');
    // A gzip that inflates to 1 GB: small to hand over, long to read.
    const dir = tempDir();
    const big = path.join(dir, 'node9-eth0.pcap.gz');
    const rec = Buffer.alloc(16 + 1500, 7);
    rec.writeUInt32LE(1_700_000_000, 0);
    rec.writeUInt32LE(1500, 8);
    rec.writeUInt32LE(1500, 12);
    const block = Buffer.concat(Array.from({ length: 700 }, () => rec));
    const head = Buffer.from(tinyPcap().subarray(0, 24));
    await pipeline(
      Readable.from((function* () {
        yield head;
        for (let i = 0; i < 1000; i++) yield block;
      })()),
      createGzip({ level: 1 }),
      createWriteStream(big),
    );
    await page.goto('/');
    await page.getByTestId('file-input').setInputFiles([...s.files, big]);
    await expect(page.locator('[data-testid="file-row"][data-file="node9-eth0.pcap.gz"]')).toHaveAttribute('data-status', 'reading');
    await expect(page.getByTestId('overall-progress').getByRole('progressbar')).toBeVisible();
    await page.getByTestId('overall-progress').getByRole('button', { name: 'Cancel' }).click();
    await expect(page.locator('[data-testid="file-row"][data-file="node9-eth0.pcap.gz"]')).toHaveAttribute('data-status', 'cancelled');
    await expect(page.getByTestId('overall-progress')).toHaveCount(0);
    await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(s.files.length);
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', 'node2/flannel.1');
  });

  test('export: the packets of a flow at a station as a pcap the project reader opens', async ({ page }) => {
    const s = byName('vxlan-forward-drop');
    await upload(page, s.files);
    const icmp = s.flows.find((f) => f.protocol === 'icmp')!;
    await flowRow(page, icmp).click();
    await expect(page.getByRole('heading', { name: /Packets at node2\/flannel\.1/ })).toBeVisible();
    await expect(page.getByTestId('packet-total')).toHaveText('3 packets');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pcap').click()]);
    expect(download.suggestedFilename()).toBe('icmp_10.244.1.2_18433-10.244.2.2_at_node2-flannel.1.pcap');
    const file = path.join(tempDir(), download.suggestedFilename());
    await download.saveAs(file);
    const indexer = new CaptureIndexer();
    const summary = await readCaptureFile(file, indexer);
    expect(summary.format).toBe('pcap');
    expect(summary.packets).toBe(3);
    const c = indexer.finish(summary);
    const rows = [0, 1, 2].map((i) => c.index.read(i));
    expect(rows.map((r) => r.proto)).toEqual([1, 1, 1]);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows.map((r) => r.sport)).toEqual([18433, 18433, 18433]);
    // The same packets as the original capture at that point, with their capture times.
    const orig = new CaptureIndexer();
    const o = orig.finish(await readCaptureFile(s.files.find((f) => f.endsWith('node2-flannel.1.pcap'))!, orig));
    const at = (x: typeof c, i: number) => {
      const ns = x.baseNsec + x.index.read(i).tsNs;
      return `${x.baseSec + Math.floor(ns / 1e9)}.${String(Math.round(ns % 1e9)).padStart(9, '0')}`;
    };
    const origIcmp = Array.from({ length: o.index.count }, (_, i) => i).filter((i) => o.index.read(i).proto === 1 && o.index.read(i).sport === 18433);
    expect(origIcmp).toHaveLength(3);
    expect([0, 1, 2].map((i) => at(c, i))).toEqual(origIcmp.map((i) => at(o, i)));
    await expect(page.getByRole('status').filter({ hasText: '3 packets exported' })).toBeVisible();
  });

  test('export: the report as Markdown and as the JSON of hopscope analyze --json', async ({ page }) => {
    const s = byName('vxlan-service-forward-drop');
    await upload(page, s.files);
    const [md] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Report .md' }).click()]);
    const mdText = readFileSync((await md.path())!, 'utf8');
    expect(mdText).toMatch(/^# Hopscope report/);
    expect(mdText).toContain('requests stop after `node2/flannel.1`');
    expect(mdText).toContain('DNAT');
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '.json' }).click()]);
    const doc = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { captures: { file: string }[] };
    const { inputs } = await loadInputs(s.files, new Map());
    const cli = reportJson(analyze(inputs.map((i) => ({ ...i, file: path.basename(i.file) })), { roleHints: 'app' }).report);
    expect(doc).toEqual(JSON.parse(JSON.stringify(cli)));
  });

  test('keyboard: the flow list and the packet list follow the arrow keys; the time sequence follows the packet', async ({ page }) => {
    const s = byName('vxlan-return-path-drop');
    await upload(page, s.files);
    const list = page.getByTestId('flow-list');
    await list.focus();
    const first = await page.locator('[data-testid="flow-row"][aria-selected="true"]').getAttribute('data-flow');
    await page.keyboard.press('ArrowDown');
    const second = await page.locator('[data-testid="flow-row"]').nth(1).getAttribute('data-flow');
    await expect(page.locator(`[data-testid="flow-row"][data-flow="${second}"]`)).toHaveAttribute('aria-selected', 'true');
    expect(second).not.toBe(first);
    await expect(page).toHaveURL(new RegExp(`flow=${second}`));

    const rows = page.getByTestId('packet-scroller');
    await rows.focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.locator('[data-testid="packet-row"][aria-selected="true"]')).toHaveCount(1);
    await expect(page.getByTestId('ladder').locator('svg[role="img"]')).toBeVisible();
    await expect(page.getByTestId('packet-layers').locator('li').first()).toHaveText(/^Ethernet /);
  });

  test('keyboard: arrow keys pressed faster than the flow list redraws are none of them lost', async ({ page }) => {
    await upload(page, byName('busy-node-broken-port').files);
    const rows = page.locator('[data-testid="flow-row"]');
    await expect(rows.first()).toHaveAttribute('aria-selected', 'true');
    // The list draws in the background, in tasks of its own; between these keys React has only
    // the microtask in which it renders a store change synchronously. Each key steps from the
    // flow the one before picked, not from the one last drawn.
    await page.getByTestId('flow-list').evaluate(async (el) => {
      for (let i = 0; i < 5; i++) {
        el.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
        await Promise.resolve();
      }
    });
    await expect(rows.nth(5)).toHaveAttribute('aria-selected', 'true');
  });
});

test('a 145 MB capture, cut across the index workers, says what hopscope analyze --json says', async ({ page }) => {
  test.setTimeout(120_000);
  // Two 64 MB parts at least (capture/boundary.ts): the page's index pool cuts it when two workers are free.
  const capture = await ensureBenchCapture(170_000, tempDir());
  expect(capture.bytes).toBeGreaterThan(2 * 64 * 1024 * 1024);
  await page.goto('/');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  test.info().annotations.push({ type: 'index workers', description: `${cores} cores: ${cores >= 2 ? 'the file is cut in parts' : 'one worker, read whole'}` });
  await page.getByTestId('file-input').setInputFiles(capture.path);
  await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(1, { timeout: 60_000 });
  await expectVerdict(page, /.+/, { timeout: 60_000 });
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '.json' }).click()]);
  const doc = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { flows: unknown[] };
  const { inputs } = await loadInputs([capture.path], new Map());
  const cli = reportJson(analyze(inputs.map((i) => ({ ...i, file: path.basename(i.file) })), { roleHints: 'app' }).report);
  expect(doc.flows.length).toBeGreaterThan(100);
  expect(doc).toEqual(JSON.parse(JSON.stringify(cli)));
  // The file's last packet, whose time the last part measured from its own first packet.
  const whole = summarizeFile(path.basename(capture.path), inputs[0]!.capture);
  await expect(page.locator('[data-testid="file-row"]')).toContainText(formatTimestamp(whole.lastTs!).slice(11, 23));
});

test('100,000 packets of one flow: the list stays a few dozen rows in the DOM and reaches the last one', async ({ page }) => {
  test.setTimeout(60_000);
  const file = writeTemp(tempDir(), 'node1-eth0.pcap', longTcpPcap(100_000));
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByTestId('packet-total')).toHaveText('100,000 packets', { timeout: 30_000 });
  const scroller = page.getByTestId('packet-scroller');
  const rows = page.locator('[data-testid="packet-row"]');
  await expect(rows.first()).toBeVisible();
  // Jump around as a scroll wheel would, and time each jump until its rows are drawn.
  const timings: number[] = [];
  for (const frac of [0.25, 0.5, 0.75, 1]) {
    const t = await scroller.evaluate(async (el, f) => {
      const t0 = performance.now();
      el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
      const want = Math.floor(el.scrollTop / 26) + 1;
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        const first = el.querySelector(`[aria-rowindex="${want + 1}"]`);
        if (first || performance.now() - t0 > 5000) return performance.now() - t0;
      }
    }, frac);
    timings.push(t);
    expect(await rows.count()).toBeLessThan(60);
  }
  await expect(page.locator('[data-testid="packet-row"][aria-rowindex="100001"]')).toContainText('100000');
  test.info().annotations.push({ type: 'ms per scroll jump', description: timings.map((t) => t.toFixed(0)).join(', ') });
  expect(Math.max(...timings), `ms per jump: ${timings.map((t) => t.toFixed(0)).join(', ')}`).toBeLessThan(1000);
  // The keyboard walks from the last row too.
  await scroller.focus();
  await page.keyboard.press('End');
  await expect(page.locator('[data-testid="packet-row"][aria-selected="true"]')).toContainText('100000');
});

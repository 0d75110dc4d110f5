/**
 * /learn end to end: every step of every lesson, walked with the keyboard (light theme) and
 * with the buttons (dark theme). At each step the page must name the right capture point and
 * show, byte for byte, the right packet of the right capture. The expected bytes are computed
 * here, in Node, from the lab's per-interface pcap with lib/capture and lib/decode, not from the
 * lesson code the page runs.
 */
import { expect, test, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readCaptureFile } from '../lib/capture/node';
import { decodePacket, type DecodedPacket } from '../lib/decode/decode-packet';
import { LESSONS } from '../lib/learn/lessons';
import type { ProbeSelector } from '../lib/learn/probe';
import type { Lesson, StepSpec } from '../lib/learn/types';

const SAMPLES = path.join(process.cwd(), 'sample-captures');
const SHOTS = path.join('test-results', 'screenshots');

interface Pkt {
  hex: string;
  d: DecodedPacket;
}

const cache = new Map<string, Promise<Pkt[]>>();
/** Every packet of `<sample>/<node>-<iface>.pcap`, as the engineer's tcpdump wrote them. */
function stationPackets(sample: string, station: string): Promise<Pkt[]> {
  const file = path.join(SAMPLES, sample, `${station.replace('/', '-')}.pcap`);
  let p = cache.get(file);
  if (!p) {
    p = (async () => {
      const out: Pkt[] = [];
      let link = 1;
      await readCaptureFile(file, {
        onInterface: (i) => void (link = i.linkType),
        onPacket: (r) => {
          const b = r.buf.slice(r.offset, r.offset + r.capLen);
          out.push({ hex: Buffer.from(b).toString('hex'), d: decodePacket(b, link) });
        },
      });
      return out;
    })();
    cache.set(file, p);
  }
  return p;
}

const own = (d: DecodedPacket) => d.layers.filter((l) => !l.quoted);
const inner = <K extends string>(d: DecodedPacket, kind: K) => own(d).filter((l) => l.kind === kind).pop() as any;

function selects(d: DecodedPacket, sel: ProbeSelector): boolean {
  const ip = inner(d, 'ipv4');
  switch (sel.kind) {
    case 'echo-request':
      return ip?.protocol === 1 && inner(d, 'icmp')?.type === 8 && ip.totalLength >= (sel.minLength ?? 0);
    case 'echo-reply':
      return ip?.protocol === 1 && inner(d, 'icmp')?.type === 0;
    case 'tcp-syn': {
      const tcp = inner(d, 'tcp');
      return ip?.protocol === 6 && !!tcp?.flagSyn && !tcp.flagAck;
    }
    case 'icmp-error': {
      const icmp = d.layers.find((l) => l.kind === 'icmp' && !l.quoted) as any;
      return icmp?.type === 3 && (sel.code === undefined || icmp.code === sel.code);
    }
  }
}

/** The packet a step must show: its selector's first match, or the probe's own IPv4 id. */
async function expectedHex(lesson: Lesson, step: StepSpec): Promise<string> {
  const sample = step.sample ?? lesson.sample;
  const path0 = (step.path ?? lesson.path)[0]!;
  const at = await stationPackets(sample, step.station);
  if (step.show) return at.find((p) => selects(p.d, step.show!))!.hex;
  const probe = (await stationPackets(sample, path0)).find((p) => selects(p.d, step.probe ?? lesson.probe))!;
  const id = inner(probe.d, 'ipv4').id;
  const proto = inner(probe.d, 'ipv4').protocol;
  return at.find((p) => inner(p.d, 'ipv4')?.id === id && inner(p.d, 'ipv4')?.protocol === proto)!.hex;
}

async function shownHex(page: Page): Promise<string> {
  const parts = await page.locator('[data-testid="learn-step"] [data-testid="packet-hex"] .learn-hex-bytes').allTextContents();
  return parts.join('').replace(/\s+/g, '');
}

async function fontsReady(page: Page) {
  await page.evaluate(async () => {
    await document.fonts.load('13px GeistMono');
    await document.fonts.ready;
  });
}

async function checkStep(page: Page, lesson: Lesson, i: number, theme: string) {
  const step = lesson.steps[i]!;
  const el = page.getByTestId('learn-step');
  await expect(el).toHaveAttribute('data-step', String(i + 1));
  await expect(el).toHaveAttribute('data-lesson', lesson.id);
  await expect(page).toHaveURL(new RegExp(`lesson=${lesson.id}&step=${i + 1}$`));
  await expect(el.getByTestId('station-label')).toHaveText(step.station);
  await expect(el).toHaveAttribute('data-sample', step.sample ?? lesson.sample);
  await expect(el.getByTestId('capture-file')).toContainText(`${step.sample ?? lesson.sample}/${step.station.replace('/', '-')}.pcap`);
  // The diagram marks the same station.
  await expect(page.locator('[data-testid="learn-diagram"] [aria-current="step"]')).toHaveAttribute('data-station', step.station);
  expect(await shownHex(page)).toBe(await expectedHex(lesson, step));
  // Every claim the page shows holds.
  await expect(el.locator('[data-holds="false"]')).toHaveCount(0);
  await fontsReady(page);
  await page.screenshot({ path: path.join(SHOTS, `learn-${lesson.id}-${i + 1}-${theme}.png`), fullPage: true });
}

test.describe('/learn', () => {
  test.skip(!existsSync(path.join(SAMPLES, 'vxlan-healthy')), 'sample-captures/ is absent');

  test('walk every lesson with the keyboard, light theme', async ({ page }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.emulateMedia({ colorScheme: 'light' });
    for (const lesson of LESSONS) {
      await page.goto(`/learn?lesson=${lesson.id}&step=1`);
      await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
      for (let i = 0; i < lesson.steps.length; i++) {
        if (i > 0) await page.keyboard.press('ArrowRight');
        await checkStep(page, lesson, i, 'light');
      }
      // At the last step → does nothing; ← goes back one.
      await page.keyboard.press('ArrowRight');
      await expect(page.getByTestId('learn-step')).toHaveAttribute('data-step', String(lesson.steps.length));
      if (lesson.steps.length > 1) {
        await page.keyboard.press('ArrowLeft');
        await expect(page.getByTestId('learn-step')).toHaveAttribute('data-step', String(lesson.steps.length - 1));
      }
    }
  });

  test('walk every lesson with the buttons, dark theme, from the lesson picker', async ({ page }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/learn');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    for (const lesson of LESSONS) {
      await page.getByTestId('lesson-picker').locator(`[data-lesson="${lesson.id}"]`).click();
      await expect(page.getByTestId('step-prev')).toBeDisabled();
      for (let i = 0; i < lesson.steps.length; i++) {
        if (i > 0) await page.getByTestId('step-next').click();
        await checkStep(page, lesson, i, 'dark');
      }
      await expect(page.getByTestId('step-next')).toBeDisabled();
      await page.getByTestId('step-prev').click();
      await expect(page.getByTestId('learn-step')).toHaveAttribute('data-step', String(lesson.steps.length - 1));
    }
  });

  test('Break it links each fault to its sample in the dashboard', async ({ page }) => {
    const lesson = LESSONS.find((l) => l.id === 'break-it')!;
    for (let i = 0; i < lesson.steps.length; i++) {
      await page.goto(`/learn?lesson=break-it&step=${i + 1}`);
      const sample = lesson.steps[i]!.sample!;
      const verdict = page.getByTestId('step-verdict');
      await expect(verdict.locator(`a[href="/?sample=${sample}"]`)).toBeVisible();
      await expect(verdict).not.toBeEmpty();
    }
  });

  test('printing shows every step of the lesson and no controls', async ({ page }) => {
    await page.setViewportSize({ width: 1100, height: 1000 });
    await page.emulateMedia({ colorScheme: 'light', media: 'print' });
    await page.goto('/learn?lesson=vxlan&step=3');
    const lesson = LESSONS.find((l) => l.id === 'vxlan')!;
    await expect(page.locator('[data-testid="print-station-label"]')).toHaveCount(lesson.steps.length);
    await expect(page.locator('[data-testid="print-station-label"]').first()).toBeVisible();
    await expect(page.getByTestId('step-next')).toBeHidden();
    await expect(page.getByTestId('lesson-picker')).toBeHidden();
    await fontsReady(page);
    await page.screenshot({ path: path.join(SHOTS, 'learn-print-vxlan.png'), fullPage: true });
    await page.screenshot({ path: path.join(SHOTS, 'learn-print-vxlan-first-page.png') });
  });
});

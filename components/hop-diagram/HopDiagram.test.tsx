/**
 * The diagram's markup, rendered on the server (no DOM): accessible names, one focusable
 * button per station, the break's label, the selected station. Positions are the layout's
 * business and are tested in lib/viz/hop-layout.test.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '@/lib/analyze/files';
import { analyze } from '@/lib/analyze';
import { layoutHopDiagram } from '@/lib/viz/hop-layout';
import { HopDiagram, HopDiagramLegend } from './HopDiagram';
import { stationKeyAction } from './station-keys';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

async function flowOf(scenario: string, without: string[] = []) {
  const skip = without.length > 0 ? [...without, 'all-interfaces.pcapng'] : [];
  const dir = join(SAMPLES, scenario);
  const files = readdirSync(dir)
    .filter((n) => /\.(pcapng|pcap)$/.test(n) && !skip.includes(n))
    .sort()
    .map((n) => join(dir, n));
  const { inputs } = await loadInputs(files, new Map());
  const r = analyze(inputs).report;
  return { flow: r.flows.find((f) => f.protocol === 'icmp')!, clocks: r.clocks };
}

const count = (html: string, re: RegExp) => html.match(re)?.length ?? 0;
const decode = (s: string) => s.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&');

describe.skipIf(!existsSync(join(SAMPLES, 'vxlan-forward-drop')))('HopDiagram markup', () => {
  it('names the picture with the layout summary and makes every station a focusable button', async () => {
    const { flow, clocks } = await flowOf('vxlan-forward-drop');
    const html = renderToStaticMarkup(<HopDiagram flow={flow} clocks={clocks} width={1100} />);
    const layout = layoutHopDiagram(flow, clocks, { width: 1100 });
    const img = /<g role="img" aria-label="([^"]*)"/.exec(html);
    expect(decode(img?.[1] ?? '')).toBe(layout.summary);
    expect(count(html, /role="button"/g)).toBe(layout.stations.length);
    expect(count(html, /tabindex="0"/g)).toBe(layout.stations.length);
    expect(html).toContain('requests stop here');
    expect(html).toContain('VXLAN VNI 1, UDP 8472');
    expect(html).toContain('clock −0.004 ms (one-way)');
    expect(html).toContain('→3 ←0');
    expect(html).toContain('data-state="any"');
    // Without a handler nothing is selectable: the buttons say so.
    expect(count(html, /aria-disabled="true"/g)).toBe(layout.stations.length);
  });

  it('marks the selected station pressed and the others not', async () => {
    const { flow, clocks } = await flowOf('vxlan-forward-drop');
    const point = flow.hops.find((h) => h.interface === 'flannel.1' && h.node === 'node2')!.point;
    const html = renderToStaticMarkup(<HopDiagram flow={flow} clocks={clocks} width={1100} selectedStation={point} onSelectStation={() => {}} />);
    expect(count(html, /aria-pressed="true"/g)).toBe(1);
    expect(count(html, /aria-pressed="false"/g)).toBe(flow.hops.length - 1);
    expect(html).not.toContain('aria-disabled');
  });

  it('draws a point that was not captured as such, with no pressed state', async () => {
    const { flow, clocks } = await flowOf('vxlan-forward-drop', ['node2-flannel.1.pcap']);
    const html = renderToStaticMarkup(<HopDiagram flow={flow} clocks={clocks} width={1100} onSelectStation={() => {}} />);
    const nc = /<g data-station="\d+" data-state="not-captured"[^>]*>/.exec(html)?.[0] ?? '';
    expect(nc).toContain('aria-disabled="true"');
    expect(nc).not.toContain('aria-pressed');
    expect(html).toContain('not captured');
    expect(html).toContain('requests stop in here');
  });

  it('the legend names every mark', () => {
    const html = renderToStaticMarkup(<HopDiagramLegend />);
    for (const t of ['packets seen', 'captured, none seen', 'not captured', '-i any capture', 'not crossed', 'packets stop', 'address translation']) expect(html).toContain(t);
    // The rare mark only where a station bears it.
    expect(html).not.toContain('cut before the inner packet');
    expect(renderToStaticMarkup(<HopDiagramLegend cut />)).toContain('cut before the inner packet');
  });

  it('Enter and Space select; the arrow keys move', () => {
    expect([' ', 'Enter', 'ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp', 'Tab', 'a'].map(stationKeyAction)).toEqual(['select', 'select', 1, 1, -1, -1, null, null]);
  });
});

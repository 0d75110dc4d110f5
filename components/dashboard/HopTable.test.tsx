/**
 * The hop table's markup, rendered on the server (no DOM): a point that saw nothing of the flow
 * says why when it is no evidence either way, so that its 0 is not read as a loss there.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { analyze } from '@/lib/analyze';
import { loadInputs } from '@/lib/analyze/files';
import { snapped } from '@/lib/testing/pcap-records';
import { HopTable } from './HopTable';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');
const CUT = 'its snap length cut the tunnel packets before their inner packet: no evidence either way';

/** The ping of a sample whose NICs were captured with `tcpdump -s len`. */
async function pingWithNicsSnapped(name: string, len: number) {
  const dir = join(SAMPLES, name);
  const out = mkdtempSync(join(tmpdir(), 'hopscope-hop-table-'));
  const files = readdirSync(dir).filter((f) => /^node\d-[\w.]+\.pcap$/.test(f) && !f.endsWith('-any.pcap'));
  for (const f of files) writeFileSync(join(out, f), f.includes('-eth0') ? await snapped(join(dir, f), len) : readFileSync(join(dir, f)));
  const { inputs } = await loadInputs(files.map((f) => join(out, f)), new Map());
  return analyze(inputs).report.flows.find((f) => f.protocol === 'icmp')!;
}

/** Each row's point and the text of its last cell. */
function rows(html: string): [string, string][] {
  return [...html.matchAll(/<tr[^>]*data-station="([^"]+)"[^>]*>(.*?)<\/tr>/g)].map(([, name, row]) => {
    const cells = [...row!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(([, c]) => c!.replace(/<[^>]+>/g, ''));
    return [name!, cells[cells.length - 1]!];
  });
}

describe('HopTable', () => {
  it('says of each NIC whose snap length cut the inner packets off that it is no evidence, and of no other point', async () => {
    const flow = await pingWithNicsSnapped('vxlan-8472-blocked', 68);
    const html = renderToStaticMarkup(<HopTable flow={flow} />);
    const said = rows(html).filter(([, last]) => last === CUT).map(([name]) => name);
    expect(said).toEqual(['node1/eth0', 'node2/eth0']);
    expect(rows(html).find(([name]) => name === 'node1/flannel.1')![1]).toBe('requests stop here');
  });

  it('says nothing of the kind when the NICs hold whole packets', async () => {
    const flow = await pingWithNicsSnapped('vxlan-8472-blocked', 65535);
    expect(renderToStaticMarkup(<HopTable flow={flow} />)).not.toContain(CUT);
  });
});

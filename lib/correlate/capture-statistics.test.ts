/**
 * A pcapng's Interface Statistics Blocks say when the capture of an interface really started
 * and stopped: dumpcap writes them when it stops. The capture in lib/capture/testdata was made
 * by scripts/lab/dumpcap-window.sh on a real veth: three pings in the middle of about five
 * seconds, and the wall-clock times around dumpcap measured by the script, not by Hopscope.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import { readCapture } from '../capture/read';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '..', 'capture', 'testdata');
const FILE = join(DATA, 'dumpcap-window.pcapng');
const measured = JSON.parse(readFileSync(join(DATA, 'dumpcap-window.json'), 'utf8')) as Record<'launched' | 'pingsDone' | 'stopSignalled' | 'exited', string>;
/** "1796393460.073128511" → ns since the epoch, as a bigint: exact. */
const ns = (s: string) => {
  const [sec, frac = ''] = s.split('.');
  return BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
};
const nsOf = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

describe('pcapng interface statistics', () => {
  it('are read: dumpcap started after it was launched and before the first packet, and ended when it was told to stop', async () => {
    const times: bigint[] = [];
    const s = await readCapture('dumpcap-window.pcapng', [new Uint8Array(readFileSync(FILE))], { onPacket: (r) => void times.push(BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec)) });
    const stats = s.interfaces[0]!.stats!;
    expect(stats.start && stats.end).toBeTruthy();
    const start = nsOf(stats.start!);
    const end = nsOf(stats.end!);
    expect(start >= ns(measured.launched)).toBe(true);
    expect(start <= times[0]!).toBe(true);
    expect(end >= ns(measured.stopSignalled)).toBe(true);
    expect(end <= ns(measured.exited)).toBe(true);
    // The silent tail: the capture ran on for seconds after the last packet.
    expect(end - times[times.length - 1]! > 1_000_000_000n).toBe(true);
    expect(stats.ifDrop).toBe(0);
  });

  it("give the capture point its window: from dumpcap's start to its end, not first to last packet", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-isb-'));
    const file = join(dir, 'node1-veth-isb-a.pcapng');
    copyFileSync(FILE, file);
    const { inputs } = await loadInputs([file], new Map());
    const { correlation } = analyze(inputs);
    const p = correlation.points[0]!;
    const stats = inputs[0]!.capture.interfaces[0]!.stats!;
    const at = (t: [number, number]) => (t[0] - correlation.epochSec) * 1e9 + t[1];
    expect(p.firstNs).toBeCloseTo(at(stats.start!), -3);
    expect(p.lastNs).toBeCloseTo(at(stats.end!), -3);
    const lastPacket = (inputs[0]!.capture.lastNs as number) + (inputs[0]!.capture.baseSec - correlation.epochSec) * 1e9 + inputs[0]!.capture.baseNsec;
    expect(p.lastNs - lastPacket).toBeGreaterThan(1e9);
  });
});

/**
 * A single capture is walked without the table of every packet identity (groupAtOnePoint in
 * sightings.ts): only a packet crossing the point again can join an earlier group there. The
 * same file beside an empty second capture is walked with the table; every sighting must land
 * in the same group either way, on every sample capture that is one point on its own.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PcapWriter } from '../capture/pcap-writer';
import { createCaptureReader } from '../capture/read';
import { concatBytes } from '../capture/build';
import { loadInputs } from '../analyze/files';
import { analyze } from '../analyze';
import type { Correlation } from './correlate';

const SAMPLES = join(__dirname, '..', '..', 'sample-captures');

function sampleFiles(): string[] {
  return readdirSync(SAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(SAMPLES, d.name)).filter((n) => /\.(pcap|pcapng)$/.test(n)).map((n) => join(SAMPLES, d.name, n)));
}

/** Each sighting of the capture's own point as (row, group), in walk order; the group numbers as first met. */
function grouping(c: Correlation, point: number): string[] {
  const st = c.groups.store;
  const renumber = new Map<number, number>();
  const out: string[] = [];
  for (let i = 0; i < st.n; i++) {
    if (st.point[i] !== point) continue;
    const g = st.group[i]!;
    if (!renumber.has(g)) renumber.set(g, renumber.size);
    out.push(`${st.row[i]}:${renumber.get(g)}`);
  }
  return out;
}

/** A pcap's packets: time (ns) and bytes. */
function packetsOf(path: string): { t: bigint; bytes: Uint8Array }[] {
  const out: { t: bigint; bytes: Uint8Array }[] = [];
  const reader = createCaptureReader(basename(path), {
    onPacket: (r) => out.push({ t: BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec), bytes: r.buf.slice(r.offset, r.offset + r.capLen) }),
  });
  reader.push(new Uint8Array(readFileSync(path)));
  reader.end();
  return out;
}

/** Both walks of one file and of it beside an empty capture, and how many sightings joined an earlier group. */
async function bothWalks(file: string, none: Parameters<typeof analyze>[0][number]) {
  const { inputs } = await loadInputs([file], new Map());
  const alone = analyze(inputs).correlation;
  if (alone.points.length !== 1) return null;
  const beside = analyze([inputs[0]!, none]).correlation;
  expect(beside.points.length, file).toBe(2);
  const a = grouping(alone, 0);
  const b = grouping(beside, beside.points.findIndex((p) => p.file === file));
  return { a, b, rejoined: a.length - new Set(a.map((x) => x.split(':')[1])).size };
}

describe('a single capture walked without the identity table', () => {
  it('groups every sighting as the walk with the table does, on every one-point sample file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-one-point-'));
    const empty = join(dir, 'nodez-eth7.pcap');
    writeFileSync(empty, new PcapWriter().header(1, 65535, { nanosecond: true }));
    const { inputs: [none] } = await loadInputs([empty], new Map());
    let files = 0;
    let rejoined = 0;
    for (const file of sampleFiles()) {
      const walks = await bothWalks(file, none!);
      if (!walks) continue;
      expect(walks.a, file).toEqual(walks.b);
      files++;
      // Sightings that joined an earlier group: the path that decides anything was taken.
      rejoined += walks.rejoined;
    }
    expect(files).toBeGreaterThan(100);
    expect(rejoined).toBeGreaterThan(0);
  });

  it('finds a packet crossing again with other packets walked in between', async () => {
    // A NodePort's two legs cross node1's cni0 back to back; three packets of another capture
    // put between each two here make the walk look further back for the first leg.
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-one-point-'));
    const empty = join(dir, 'nodez-eth7.pcap');
    writeFileSync(empty, new PcapWriter().header(1, 65535, { nanosecond: true }));
    const { inputs: [none] } = await loadInputs([empty], new Map());
    const legs = packetsOf(join(SAMPLES, 'nodeport-hostport-healthy', 'node1-cni0.pcap'));
    const filler = packetsOf(join(SAMPLES, 'busy-node-broken-port', 'node1-cni0.pcap'));
    const w = new PcapWriter();
    const out = [w.header(1, 65535, { nanosecond: true })];
    let k = 0;
    for (const p of legs) {
      out.push(w.record(Number(p.t / 1_000_000_000n), Number(p.t % 1_000_000_000n), p.bytes));
      for (let j = 1; j <= 3 && k < filler.length; j++, k++) {
        const t = p.t + BigInt(j);
        out.push(w.record(Number(t / 1_000_000_000n), Number(t % 1_000_000_000n), filler[k]!.bytes));
      }
    }
    const file = join(dir, 'node1-cni0.pcap');
    writeFileSync(file, concatBytes(...out));
    const walks = (await bothWalks(file, none!))!;
    expect(walks.a).toEqual(walks.b);
    expect(walks.rejoined).toBeGreaterThan(0);
  });
});

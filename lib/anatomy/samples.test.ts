/**
 * Every packet of every sample capture: the anatomy tiles the captured bytes exactly, its
 * headers are the decoder's layers, and every field shows what the decoder decoded and sits on
 * the bytes that hold it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket } from '../decode/decode-packet';
import type { LayerKind } from '../decode/types';
import { anatomyOf, captureFiles, FIELD_PROPERTIES, fieldProblems, readPackets, SAMPLES, sampleScenarios, type SamplePacket } from './test-util';
import type { Anatomy } from './types';

function tilingProblems(a: Anatomy): string[] {
  const out: string[] = [];
  let pos = 0;
  for (const s of a.segments) {
    if (s.length <= 0) out.push(`empty ${s.role} segment at ${s.offset}`);
    if (s.offset !== pos) out.push(`${s.role} "${s.label}" at ${s.offset}, expected ${pos} (${s.offset > pos ? 'gap' : 'overlap'})`);
    pos = s.offset + s.length;
    if (s.layer < -1 || s.layer >= a.layers.length) out.push(`segment "${s.label}" names layer ${s.layer} of ${a.layers.length}`);
  }
  if (pos !== a.capLen) out.push(`segments end at ${pos}, captured length ${a.capLen}`);
  return out;
}

/** Everything checked of one packet; the problems, with where they are. */
function packetProblems(p: SamplePacket, seen: Map<LayerKind, number>): string[] {
  const a = anatomyOf(p);
  const where = `${p.file.slice(SAMPLES.length + 1)} frame ${p.frame}`;
  const out = tilingProblems(a).map((m) => `${where}: ${m}`);
  const fcsStart = p.fcsLen > 0 ? Math.min(p.data.length, Math.max(p.origLen, p.data.length) - p.fcsLen) : p.data.length;
  const dec = decodePacket(p.data.subarray(0, fcsStart), p.linkType);
  const headers = dec.layers.filter((l) => l.kind !== 'payload' && l.kind !== 'undecoded');

  // Layer lengths add up: headers + data + trailers + FCS = captured length.
  const sum = a.layers.reduce((s, l) => s + l.length, 0) + a.segments.filter((s) => s.role !== 'header').reduce((s, x) => s + x.length, 0);
  if (sum !== a.capLen) out.push(`${where}: layers ${sum} bytes ≠ captured ${a.capLen}`);

  // The anatomy's layers are the decoder's header layers, at its offsets and lengths.
  if (a.layers.length !== headers.length) out.push(`${where}: ${a.layers.length} layers, decoder has ${headers.length}`);
  const headerSegments = a.segments.filter((s) => s.role === 'header');
  const nonEmpty = headers.map((l, i) => ({ l, i })).filter(({ l }) => l.headerLength > 0);
  if (headerSegments.length !== nonEmpty.length) out.push(`${where}: ${headerSegments.length} header segments for ${nonEmpty.length} headers`);
  nonEmpty.forEach(({ l, i }, k) => {
    const s = headerSegments[k];
    if (s === undefined || s.offset !== l.offset || s.length !== l.headerLength || s.layer !== i) {
      out.push(`${where}: header segment ${k} ${JSON.stringify(s)} ≠ decoder ${l.kind} at ${l.offset}+${l.headerLength}`);
    }
  });

  a.layers.forEach((al, i) => {
    const dl = headers[i];
    if (dl === undefined) return;
    if (al.kind !== dl.kind || al.offset !== dl.offset || al.length !== dl.headerLength || al.quoted !== dl.quoted || al.truncated !== dl.truncated) {
      out.push(`${where}: layer ${i} ${al.kind}@${al.offset}+${al.length} ≠ decoder ${dl.kind}@${dl.offset}+${dl.headerLength}`);
    }
    const prev = a.layers[i - 1];
    if (prev !== undefined && al.depth < prev.depth) out.push(`${where}: depth goes back from ${prev.depth} to ${al.depth}`);
    for (const f of al.fields) {
      if (f.offset < al.offset || f.offset + f.length > al.offset + al.length || f.length <= 0) {
        out.push(`${where}: ${al.kind}.${f.key} [${f.offset}+${f.length}] outside its layer [${al.offset}+${al.length}]`);
      }
      if (f.bits !== undefined && (f.bits.first < 0 || f.bits.count <= 0 || f.bits.first + f.bits.count > f.length * 8)) {
        out.push(`${where}: ${al.kind}.${f.key} bits ${f.bits.first}/${f.bits.count} outside ${f.length} bytes`);
      }
      if (f.value === '') out.push(`${where}: ${al.kind}.${f.key} has no value`);
      out.push(...fieldProblems(p.data, dl, f).map((m) => `${where}: ${m}`));
    }
    // A field the decoder decoded is in the anatomy, unless the capture cut the header short.
    const keys = new Set(al.fields.map((f) => f.key));
    for (const [key, get] of Object.entries(FIELD_PROPERTIES[dl.kind] ?? {})) {
      const v = (get as (l: typeof dl) => unknown)(dl);
      if (v !== undefined && !keys.has(key) && !dl.truncated) out.push(`${where}: ${dl.kind}.${key} decoded but not in the anatomy`);
    }
    seen.set(al.kind, (seen.get(al.kind) ?? 0) + 1);
  });
  return out;
}

const scenarios = sampleScenarios();

describe.runIf(scenarios.length > 0)('anatomy of every sample packet', () => {
  const seen = new Map<LayerKind, number>();
  let packets = 0;

  describe.each(scenarios)('%s', (scenario) => {
    it.each(captureFiles(scenario))('%s', async (file) => {
      const pkts = await readPackets(join(SAMPLES, scenario, file));
      const problems = pkts.flatMap((p) => packetProblems(p, seen));
      packets += pkts.length;
      expect(problems.slice(0, 20)).toEqual([]);
    });
  });

  it('covered every layer the samples hold', () => {
    expect(packets).toBeGreaterThan(3000);
    for (const kind of ['ethernet', 'sll2', 'arp', 'ipv4', 'udp', 'tcp', 'icmp', 'vxlan', 'flannel-udp'] as const) {
      expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
  });
});

/**
 * Every claim of every lesson holds on the sample packets, and every number the text prints is
 * either read from the packets, fixed by a standard, or the result of arithmetic the sentence
 * shows. The facts are cross-checked against the lab's ground truth (scenario.json) and the
 * per-interface pcaps the one-file pcapng was merged from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/node';
import { SAMPLES } from '../testing/scenarios';
import { renderStep, type RenderedStep } from './compute';
import { STANDARD_NUMBERS } from './facts';
import { LESSONS, lessonSamples, net24 } from './lessons';
import { hexOf } from './probe';
import { loadSample, type LoadedSample } from './sample';

const have = existsSync(join(SAMPLES, 'vxlan-healthy', 'all-interfaces.pcapng'));

async function load(name: string): Promise<LoadedSample> {
  return loadSample(name, [new Uint8Array(readFileSync(join(SAMPLES, name, 'all-interfaces.pcapng')))]);
}

interface Scenario {
  topology: {
    nodes: { name: string; underlayIp: string; interfaces: { name: string; mtu: number; mac?: string; addresses?: string[]; note?: string }[]; routes: string[] }[];
    pods: { name: string; ip: string }[];
  };
  flows: { id: string; path: string[] }[];
}
const scenario = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name, 'scenario.json'), 'utf8')) as Scenario;

/** Numbers, addresses and MACs as they appear in running text; RFC and section numbers aside. */
function numberTokens(text: string): string[] {
  const t = text.replace(/RFC \d+(?: §[\d.]+)?/g, '').replace(/§[\d.]+/g, '');
  return t.match(/[0-9a-f]{2}(?::[0-9a-f]{2}){5}|\d+(?:\.\d+){3}|0x[0-9a-f]+|\d+/gi) ?? [];
}

/** Every token the facts hold, in any of their string or number values. */
function factTokens(value: unknown, into = new Set<string>()): Set<string> {
  if (value === null || value === undefined) return into;
  if (typeof value === 'number') into.add(String(value));
  else if (typeof value === 'string') {
    into.add(value);
    for (const t of numberTokens(value)) into.add(t);
  } else if (value instanceof Uint8Array) return into;
  else if (Array.isArray(value)) value.forEach((v) => factTokens(v, into));
  else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) if (k !== 'hex') factTokens(v, into);
  return into;
}

/** "a + b − c = d" in the text: checks the arithmetic and returns the results it may print. */
function arithmetic(text: string): { ok: boolean; expr: string; results: string[] }[] {
  const out: { ok: boolean; expr: string; results: string[] }[] = [];
  for (const m of text.matchAll(/(\d+(?:\s*[+−-]\s*\d+)+)\s*=\s*(\d+(?:\s*[+−-]\s*\d+)*)/g)) {
    const evalSum = (e: string) =>
      e
        .replace(/−/g, '-')
        .split(/(?=[+-])/)
        .reduce((a, p) => a + Number(p.replace(/\s+/g, '').replace('+', '')), 0);
    out.push({ ok: evalSum(m[1]!) === evalSum(m[2]!), expr: m[0], results: numberTokens(m[2]!) });
  }
  return out;
}

describe.skipIf(!have)('lessons on the sample captures', () => {
  const names = [...new Set(LESSONS.flatMap(lessonSamples))];
  const loaded = (async () => new Map(await Promise.all(names.map(async (n) => [n, await load(n)] as const))))();

  for (const lesson of LESSONS) {
    describe(lesson.title, () => {
      lesson.steps.forEach((step, i) => {
        it(`step ${i + 1}, ${step.id}: every claim holds, every number is the packets'`, async () => {
          const samples = await loaded;
          const r = renderStep(lesson, i, samples);
          expect(r.claims.length).toBeGreaterThan(0);
          for (const c of r.claims) expect.soft(c.holds, `${lesson.id}/${step.id}: ${c.text}`).toBe(true);
          expect(r.facts.shown.station).toBe(step.station);

          const allowed = factTokens(r.facts);
          for (const k of Object.keys(STANDARD_NUMBERS)) allowed.add(k);
          // flannel's convention, checked against the lab's routes below: a node's VTEP is the
          // first address of its /24.
          for (const t of [...allowed]) if (/^\d+(\.\d+){3}$/.test(t)) allowed.add(net24(t));
          for (const text of [...r.paragraphs, ...r.claims.map((c) => c.text)]) {
            for (const a of arithmetic(text)) {
              expect.soft(a.ok, `${lesson.id}/${step.id}: ${a.expr}`).toBe(true);
              a.results.forEach((x) => allowed.add(x));
            }
            for (const tok of numberTokens(text)) {
              expect.soft(allowed.has(tok) || allowed.has(tok.toLowerCase()), `${lesson.id}/${step.id}: "${tok}" in “${text}”`).toBe(true);
            }
          }
        });
      });
    });
  }

  it('the pcapng frame each step shows is the same packet as in the per-interface pcap', async () => {
    const samples = await loaded;
    for (const lesson of LESSONS) {
      for (let i = 0; i < lesson.steps.length; i++) {
        const r = renderStep(lesson, i, samples);
        const s = r.facts.shown;
        let hex: string | undefined;
        await readCaptureFile(join(SAMPLES, r.sample, s.file), {
          onPacket(rec) {
            if (rec.frameNumber === s.stationFrame) hex = hexOf(rec.buf.subarray(rec.offset, rec.offset + rec.capLen));
          },
        });
        expect(hex, `${lesson.id}/${r.spec.id}: ${s.file} frame ${s.stationFrame}`).toBe(s.hex);
      }
    }
  });

  it('walks follow the path the lab recorded for the ping', async () => {
    for (const lesson of LESSONS.filter((l) => l.id !== 'break-it')) {
      const ping = scenario(lesson.sample).flows.find((f) => f.id === 'ping');
      expect(lesson.path).toEqual(ping?.path);
      expect(lesson.stations.map((s) => s.id)).toEqual(lesson.path);
    }
  });

  /** The facts the VXLAN text leans on, against the lab's configuration. */
  it('VXLAN facts agree with the lab configuration', async () => {
    const samples = await loaded;
    const lesson = LESSONS.find((l) => l.id === 'vxlan')!;
    const truth = scenario(lesson.sample);
    const [n1, n2] = truth.topology.nodes;
    const iface = (n: typeof n1, name: string) => n!.interfaces.find((i) => i.name === name)!;
    const enc = renderStep(lesson, lesson.steps.findIndex((s) => s.id === 'encapsulate'), samples).facts;
    const e = enc.walk.at['node1/eth0']!;
    const over = e.outer!.totalLength - e.ip.totalLength;
    // flannel.1's MTU is the underlay's minus what the packets show VXLAN adds.
    expect(iface(n1, 'flannel.1').mtu).toBe(iface(n1, 'eth0').mtu - over);
    expect(iface(n1, 'flannel.1').note).toContain(`vxlan id ${e.vxlan!.vni} `);
    expect(iface(n1, 'flannel.1').note).toContain(`dstport ${e.udp!.dst}`);
    // MACs: the inner header carries the two VTEPs', the outer the NICs'.
    expect(e.innerEth).toEqual({ src: iface(n1, 'flannel.1').mac, dst: iface(n2, 'flannel.1').mac });
    expect(e.eth).toEqual({ src: iface(n1, 'eth0').mac, dst: iface(n2, 'eth0').mac });
    expect([e.outer!.src, e.outer!.dst]).toEqual([n1!.underlayIp, n2!.underlayIp]);
    // The route and neighbour the text derives: node2's VTEP is the first address of its /24.
    expect(iface(n2, 'flannel.1').addresses).toEqual([`${net24(e.ip.dst)}/32`]);
    expect(n1!.routes).toContain(`${net24(e.ip.dst)}/24 via ${net24(e.ip.dst)} dev flannel.1 onlink`);
    // The gateway MAC pod A sends to is cni0's.
    expect(enc.walk.at['node1/veth3a1b2c4d']!.eth!.dst).toBe(iface(n1, 'cni0').mac);
  });

  it('flannel UDP and IP-in-IP MTUs agree with the overhead the packets show', async () => {
    const samples = await loaded;
    for (const [id, dev] of [
      ['flannel-udp', 'flannel0'],
      ['ipip', 'tunl0'],
    ] as const) {
      const lesson = LESSONS.find((l) => l.id === id)!;
      const f = renderStep(lesson, lesson.steps.findIndex((s) => s.id === 'encapsulate'), samples).facts;
      const over = f.walk.tunnelOverhead!;
      const truth = scenario(lesson.sample);
      const node1 = truth.topology.nodes[0]!;
      const mtu = node1.interfaces.find((i) => i.name === dev)!.mtu;
      // flannel sets exactly what fits; Calico's default leaves 40 bytes spare, never too little.
      if (id === 'flannel-udp') expect(mtu).toBe(1500 - over);
      else expect(mtu).toBeLessThanOrEqual(1500 - over);
    }
  });
});

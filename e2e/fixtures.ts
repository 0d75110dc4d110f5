import { expect, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectedKind as truthKind, expectedStop, scenarios as truthScenarios, type GroundTruth, type TruthFlow } from '../lib/testing/truth';

export const SAMPLES_DIR = path.join(process.cwd(), 'public', 'samples');

/** The first manifest entry that exists on disk, or null when the lead has not added samples. */
export function firstSample(): { file: string; title: string; path: string } | null {
  const manifest = path.join(SAMPLES_DIR, 'index.json');
  if (!existsSync(manifest)) return null;
  try {
    const entries = JSON.parse(readFileSync(manifest, 'utf8')) as { file?: unknown; title?: unknown }[];
    for (const e of entries) {
      if (typeof e.file !== 'string') continue;
      const p = path.join(SAMPLES_DIR, e.file);
      if (existsSync(p)) return { file: e.file, title: typeof e.title === 'string' ? e.title : e.file, path: p };
    }
  } catch {
    return null;
  }
  return null;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'hopscope-e2e-'));
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Ethernet[IPv4[ICMP echo request]]
const ICMP_FRAME = hex(`
  02 00 00 00 00 02 02 00 00 00 00 01 08 00
  45 00 00 1c 00 01 00 00 40 01 f9 8d 0a 00 00 01 0a 00 00 02
  08 00 f7 fe 00 01 00 00`);

// Ethernet[IPv4[UDP 4789[VXLAN vni 42[Ethernet[IPv4[ICMP echo request]]]]]]
const VXLAN_FRAME = Buffer.concat([
  hex(`02 00 00 00 00 12 02 00 00 00 00 11 08 00
       45 00 00 4e 00 02 00 00 40 11 00 00 c0 a8 01 01 c0 a8 01 02
       c0 00 12 b5 00 3a 00 00
       08 00 00 00 00 00 2a 00`),
  ICMP_FRAME,
]);

/** A classic little-endian microsecond pcap with two Ethernet frames 1.5 s apart. */
export function tinyPcap(): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const record = (sec: number, usec: number, frame: Buffer) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(usec, 4);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    return Buffer.concat([h, frame]);
  };
  return Buffer.concat([header, record(1_714_564_800, 0, ICMP_FRAME), record(1_714_564_801, 500_000, VXLAN_FRAME)]);
}

/** A 1×1 PNG: a real file that is not a capture. */
export function tinyPng(): Buffer {
  return Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
}

export function writeTemp(dir: string, name: string, data: Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
}

export const SAMPLE_CAPTURES = path.join(process.cwd(), 'sample-captures');

export type ScenarioFlow = TruthFlow;

export interface Scenario {
  name: string;
  title: string;
  dir: string;
  fault: { kind: string } | null;
  flows: ScenarioFlow[];
  /** The per-interface captures, as an engineer would collect them, and the nodes' interface lists beside `-i any` ones. */
  files: string[];
  truth: GroundTruth;
}

/** The lab's recorded incidents in sample-captures/, with the ground truth of each. */
export function scenarios(): Scenario[] {
  return truthScenarios().map(({ dir, truth }) => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.pcap') || /-links\.(txt|json)$/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
    return { name: truth.name, title: (truth as unknown as { title: string }).title, dir, fault: truth.fault, flows: truth.flows, files, truth };
  });
}

/** The verdict the ground truth calls for (lib/testing/truth.ts, as the unit tests derive it). */
export function expectedKind(s: Scenario, f: ScenarioFlow): string {
  return truthKind(s.truth, f);
}

export { expectedStop };

/**
 * One TCP flow of `n` data segments (10.1.0.1:40000 → 10.2.0.2:80), one capture point: a packet
 * list of `n` rows. Each segment has its own sequence number, so each is its own packet.
 */
export function longTcpPcap(n: number): Buffer {
  const frameLen = 14 + 20 + 20 + 8;
  const out = Buffer.alloc(24 + n * (16 + frameLen));
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(1, 20);
  let o = 24;
  for (let i = 0; i < n; i++) {
    out.writeUInt32LE(1_714_564_800 + Math.floor(i / 1000), o);
    out.writeUInt32LE((i % 1000) * 1000, o + 4);
    out.writeUInt32LE(frameLen, o + 8);
    out.writeUInt32LE(frameLen, o + 12);
    const f = o + 16;
    out.write('020000000002020000000001' + '0800', f, 'hex');
    const ip = f + 14;
    out.write('45000030', ip, 'hex'); // IPv4, IHL 5, total length 48
    out.writeUInt16BE(i & 0xffff, ip + 4);
    out.write('4000' + '4006' + '0000' + '0a010001' + '0a020002', ip + 6, 'hex');
    const tcp = ip + 20;
    out.writeUInt16BE(40000, tcp);
    out.writeUInt16BE(80, tcp + 2);
    out.writeUInt32BE((1000 + i * 8) >>> 0, tcp + 4);
    out.writeUInt32BE(1, tcp + 8);
    out.write('5018' + 'ffff' + '0000' + '0000', tcp + 12, 'hex'); // data offset 5, PSH+ACK
    out.writeUInt32BE(i, tcp + 20);
    out.writeUInt32BE(~i >>> 0, tcp + 24);
    o += 16 + frameLen;
  }
  return out;
}

/**
 * The verdict card shows `kind`, and the panels beside it (flows, path, points) have drawn the
 * same analysis: they draw a moment after the card, and the dashboard is aria-busy until then.
 */
export async function expectVerdict(page: Page, kind: string | RegExp = /.+/, options: { timeout?: number } = {}): Promise<void> {
  await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-kind', kind, options);
  await expect(page.getByTestId('dashboard')).not.toHaveAttribute('aria-busy', 'true', options);
}

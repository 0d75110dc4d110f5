import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPcap } from '../capture/build';
import { readCapture } from '../capture/read';
import { mergeToPcapng } from './pcapng-copy';

const dir = mkdtempSync(path.join(tmpdir(), 'hopscope-pcapng-copy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mergeToPcapng', () => {
  it('keeps every packet its own bytes when the input is read over several chunks (over 8 MB)', async () => {
    // 12,000 frames of 1,000 bytes (12 MB: three 4 MB chunks), each stamped with its number.
    const n = 12_000;
    const records = Array.from({ length: n }, (_, i) => {
      const data = new Uint8Array(1000);
      new DataView(data.buffer).setUint32(100, i);
      data.fill(i & 0xff, 104);
      return { sec: 1_700_000_000 + Math.floor(i / 1000), frac: (i % 1000) * 1000, data };
    });
    const file = path.join(dir, 'node1-eth0.pcap');
    writeFileSync(file, buildPcap({ records }));
    const { bytes, packets } = await mergeToPcapng([{ path: file, name: 'node1/eth0', description: 'test' }]);
    expect(packets).toBe(n);
    const seen: number[] = [];
    let intact = 0;
    await readCapture('merged.pcapng', [bytes], {
      onPacket(rec) {
        const data = rec.buf.subarray(rec.offset, rec.offset + rec.capLen);
        const i = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(100);
        seen.push(i);
        if (data.subarray(104).every((b) => b === (i & 0xff))) intact++;
      },
    });
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(intact).toBe(n);
  });
});

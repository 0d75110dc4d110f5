/** A read stopped by a bad record closes its source at once (a file handle, in Node). */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureIndexer } from '../decode/capture-index';
import { CaptureFormatError } from './errors';
import { readCapture } from './read';

/** A pcap global header, then a record that claims 2 GB. */
function badPcap(): Uint8Array {
  const b = Buffer.alloc(24 + 16);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(1, 20);
  b.writeUInt32LE(0x7fffffff, 24 + 8);
  b.writeUInt32LE(0x7fffffff, 24 + 12);
  return b;
}

/** A gzip header, then bytes that are no deflate stream. */
function badGzip(): Uint8Array {
  const good = gzipSync(Buffer.alloc(4096, 7));
  const b = Buffer.from(good);
  b.fill(0xff, 10, b.length - 8);
  return b;
}

describe('readCapture', () => {
  const cases: [string, () => Uint8Array][] = [
    ['a bad record', badPcap],
    ['a bad record (gzip)', () => gzipSync(badPcap())],
    ['a broken gzip stream', badGzip],
  ];
  for (const [what, make] of cases) {
    it(`closes its source when ${what} stops it`, async () => {
      let closed = false;
      const bytes = make();
      async function* source(): AsyncGenerator<Uint8Array> {
        try {
          yield bytes;
          // More would come from a real file.
          yield new Uint8Array(1024);
        } finally {
          closed = true;
        }
      }
      await expect(readCapture('bad.pcap', source(), new CaptureIndexer())).rejects.toBeInstanceOf(CaptureFormatError);
      expect(closed).toBe(true);
    });
  }
});

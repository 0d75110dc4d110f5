/** A TCP segment's sequence space when only one side's ISN is known (direction.ts). */
import { describe, expect, it } from 'vitest';
import { inSpace } from './direction';

const int32 = (x: number) => x | 0;

describe('inSpace', () => {
  // Client ISN 1,000,000,000; the server's, 1,200,000,000, falls within 2^30 of it: its segments'
  // own sequence numbers alone looked like the client's.
  const client = 1_000_000_000;
  const server = 1_200_000_000;

  it("puts the client's segments in its space: sequence number just ahead, acknowledgment in the server's", () => {
    expect(inSpace(int32(client + 1), int32(server + 1), int32(client))).toBe(true);
    expect(inSpace(int32(client + 4097), int32(server + 80), int32(client))).toBe(true);
  });

  it("keeps the server's segments out of it, though their sequence numbers are within 2^30: they acknowledge it", () => {
    expect(inSpace(int32(server + 1), int32(client + 1), int32(client))).toBe(false);
    expect(inSpace(int32(server + 80), int32(client + 4097), int32(client))).toBe(false);
  });

  it('counts modulo 2^32: an ISN near the top wraps', () => {
    const top = 0xffff_fff0;
    expect(inSpace(int32(top + 0x20), int32(server), int32(top))).toBe(true);
    expect(inSpace(int32(server), int32(top + 0x20), int32(top))).toBe(false);
  });
});

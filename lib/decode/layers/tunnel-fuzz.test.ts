/**
 * The tunnel decoders of this folder on mutated bytes (lib/fuzz.test.ts seeds its mutations with
 * the benchmark's VXLAN and TCP frames, which rarely turn into ERSPAN, NSH, FOU or GUE): every
 * fixture of tunnel-fixtures.ts, and GSO super-packets, with bit flips, byte overwrites and cuts
 * in the headers. decodePacket never throws nor reaches its decoder-fault net, its layers tile
 * the packet, the summarizer's fast path gives decodePacket's row, and the anatomy builds.
 */
import { describe, expect, it } from 'vitest';
import { packetAnatomy } from '../../anatomy';
import { leadingNumber, readField } from '../../anatomy/test-util';
import { decodePacket } from '../decode-packet';
import { emptyRow } from '../packet-index';
import { Summarizer } from '../summarize';
import { hex, tilingProblems } from '../../testing/decode';
import { TUNNEL_FIXTURES } from './tunnel-fixtures';

const GSO = [
  // Ethernet[IPv4 total length 0[TCP[200 bytes]]]
  '020000000002 020000000001 0800 45000000 00014000 400626f5 0a000001 0a000002 9c40 9c41 00000001 00000000 5010 faf0 0000 0000' + '61'.repeat(200),
  // Ethernet[IPv6 payload length 0[TCP[200 bytes]]]
  '020000000002 020000000001 86dd 60000000 0000 06 40 20010db8000000000000000000000001 20010db8000000000000000000000002 9c40 9c41 00011d29 00000000 5010 faf0 0000 0000' + '61'.repeat(200),
  // Ethernet[IPv6 payload length 0 + Jumbo Payload 228[TCP[200 bytes]]]
  '020000000002 020000000001 86dd 60000000 0000 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002 06 00 c2 04 000000e4 9c40 9c41 00022e99 00000000 5010 faf0 0000 0000' + '61'.repeat(200),
];

const SEEDS = [...Object.values(TUNNEL_FIXTURES), ...GSO].map((s) => hex(s));

describe('tunnel decoders on mutated bytes', () => {
  it('never throw, tile the packet, and agree with the fast path', () => {
    let x = 0x7e11e1;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const s = new Summarizer();
    let cases = 0;
    for (let i = 0; i < 100_000; i++) {
      const seed = SEEDS[i % SEEDS.length]!;
      const p = seed.slice();
      // Most mutations land in the headers (the first 90 bytes), where the decoders look.
      for (let k = rnd(4); k >= 0; k--) {
        const at = rnd(Math.min(p.length, 90));
        if (rnd(3) === 0) p[at] = rnd(256);
        else p[at]! ^= 1 << rnd(8);
      }
      const cut = rnd(4) === 0 ? rnd(p.length + 1) : p.length;
      const data = p.subarray(0, cut);
      const decoded = decodePacket(data, 1);
      const fault = decoded.errors.find((e) => e.message.startsWith('decoder fault'));
      if (fault !== undefined) expect(fault, `case ${i}`).toBeUndefined();
      const problems = tilingProblems(decoded, data.length);
      if (problems.length > 0) expect(problems, `case ${i}`).toEqual([]);
      const fast = emptyRow();
      s.summarize(p, 0, cut, 1, 0, fast, seed.length);
      const ref = emptyRow();
      s.summarizeDecoded(decoded, data, 0, ref, seed.length);
      if (JSON.stringify(fast) !== JSON.stringify(ref)) expect(fast, `case ${i}`).toEqual(ref);
      if (!Object.values(fast).every((v) => Number.isInteger(v))) expect(fast, `case ${i}: not all integers`).toBeNull();
      if (i % 8 === 0) packetAnatomy(1, data);
      cases++;
    }
    expect(cases).toBe(100_000);
  });
});

describe('the anatomy of the tunnel headers', () => {
  it('shows in each numeric field the number its bytes and bits hold', () => {
    let checked = 0;
    for (const [name, fixture] of Object.entries(TUNNEL_FIXTURES)) {
      const data = hex(fixture);
      for (const l of packetAnatomy(1, data).layers) {
        if (!['vxlan', 'gue', 'nsh', 'erspan', 'fou', 'gre'].includes(l.kind)) continue;
        for (const f of l.fields) {
          const shown = leadingNumber(f.value);
          const raw = readField(data, f);
          if (shown === undefined || raw === undefined) continue;
          expect(raw, `${name} ${l.kind}.${f.key} "${f.value}"`).toBe(shown);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(150);
  });
});

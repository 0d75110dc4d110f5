/**
 * What every layer decoder shares (gopacket layers/base.go): big-endian reads, address
 * formatting, and the construction of a layer's views. Every read here is preceded, in the
 * decoder, by a bound check against the enclosing layer's end.
 */
import type { DecodeContext, LayerBase, LayerKind } from '../types';

export function u8(b: Uint8Array, o: number): number {
  return b[o] ?? 0;
}

export function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function u24(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 16) | ((b[o + 1] ?? 0) << 8) | (b[o + 2] ?? 0);
}

export function u32(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) * 0x1000000 + (((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0));
}

export function u16le(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o + 3] ?? 0) * 0x1000000 + (((b[o + 2] ?? 0) << 16) | ((b[o + 1] ?? 0) << 8) | (b[o] ?? 0));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** aa:bb:cc:dd:ee:ff, lower case, as tshark prints hardware addresses. */
export function formatMac(b: Uint8Array, o: number, len = 6): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (i === 0 ? '' : ':') + HEX[b[o + i] ?? 0];
  return s;
}

export function formatIpv4(b: Uint8Array, o: number): string {
  return `${b[o] ?? 0}.${b[o + 1] ?? 0}.${b[o + 2] ?? 0}.${b[o + 3] ?? 0}`;
}

/**
 * IPv6 text form of RFC 5952 §4: lower case, no leading zeros, the longest run (leftmost on a
 * tie) of two or more zero groups as "::". Like glibc's inet_ntop, which tshark uses on Linux,
 * IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses end in dotted quad.
 */
export function formatIpv6(b: Uint8Array, o: number): string {
  const w: number[] = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = u16(b, o + 2 * i);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i > 0) s += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += formatIpv4(b, o + 12);
      break;
    }
    s += (w[i] ?? 0).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
  return s;
}

/**
 * A layer with no fields of its own: header [offset, offset+headerLength), payload up to
 * `payloadEnd`, and the enclosing layer's bytes from there to `end` as the trailer. Callers
 * clamp `payloadEnd` to `end` first. Layers with fields write the same eight properties out in
 * their own object literal: `{...base(), field}` is two orders of magnitude slower in V8.
 */
export function base<K extends LayerKind>(
  ctx: DecodeContext,
  kind: K,
  offset: number,
  headerLength: number,
  payloadEnd: number,
  end: number,
  truncated: boolean,
): LayerBase<K> {
  const d = ctx.data;
  const headerEnd = offset + headerLength;
  return {
    kind,
    offset,
    headerLength,
    header: d.subarray(offset, headerEnd),
    payload: d.subarray(headerEnd, payloadEnd),
    trailer: d.subarray(payloadEnd, end),
    truncated,
    quoted: ctx.quoted,
  };
}

import { LINKTYPE_LOOP } from '../../protocols/numbers';
import { LOOPBACK_FAMILY_LAYERS } from '../tables';
import type { LayerBase, LayerDecoder } from '../types';
import { u32, u32le } from './base';

export const LOOPBACK_HEADER_LEN = 4;

/**
 * BSD loopback encapsulation, LINKTYPE_NULL and LINKTYPE_LOOP
 * (tcpdump.org/linktypes/LINKTYPE_NULL.html): one 32-bit address family. NULL writes it in the
 * capturing host's byte order, LOOP in network order; AF_INET6 differs per OS (10, 24, 28, 30).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Address family                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface LoopbackLayer extends LayerBase<'loopback'> {
  /** Address family (AF_INET = 2; AF_INET6 = 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS). */
  family: number;
  /** Byte order the family was written in. */
  byteOrder: 'big' | 'little';
}

export const decodeLoopback: LayerDecoder<LoopbackLayer> = (ctx, offset, end, linkType) => {
  if (end - offset < LOOPBACK_HEADER_LEN) return { short: true };
  const d = ctx.data;
  let family: number;
  let byteOrder: 'big' | 'little';
  const be = u32(d, offset);
  if (linkType === LINKTYPE_LOOP) {
    family = be;
    byteOrder = 'big';
  } else {
    // Families are small numbers, so whichever reading fits in 16 bits is the writer's order
    // (Wireshark packet-null.c makes the same guess).
    const le = u32le(d, offset);
    if (le <= 0xffff) {
      family = le;
      byteOrder = 'little';
    } else {
      family = be;
      byteOrder = 'big';
    }
  }
  const layer: LoopbackLayer = {
    kind: 'loopback',
    offset,
    headerLength: LOOPBACK_HEADER_LEN,
    header: d.subarray(offset, offset + LOOPBACK_HEADER_LEN),
    payload: d.subarray(offset + LOOPBACK_HEADER_LEN, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    family,
    byteOrder,
  };
  return { layer, next: LOOPBACK_FAMILY_LAYERS.get(family) ?? 'payload', hint: family };
};

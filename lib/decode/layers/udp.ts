import { udpPayloadLayer } from '../heuristics';
import type { LayerBase, LayerDecoder } from '../types';
import { u16 } from './base';

export const UDP_HEADER_LEN = 8;

/**
 * UDP header (RFC 768).
 *
 *   0      7 8     15 16    23 24    31
 *  +--------+--------+--------+--------+
 *  |     Source      |   Destination   |
 *  |      Port       |      Port       |
 *  +--------+--------+--------+--------+
 *  |                 |                 |
 *  |     Length      |    Checksum     |
 *  +--------+--------+--------+--------+
 */
export interface UdpLayer extends LayerBase<'udp'> {
  /** Source Port. */
  srcPort: number;
  /** Destination Port. */
  dstPort: number;
  /** Length of header and data in octets, as declared (0 for IPv6 jumbograms and GSO). */
  length: number;
  /** Checksum, as read (0 = none over IPv4). */
  checksum: number;
}

export const decodeUdp: LayerDecoder<UdpLayer> = (ctx, offset, end) => {
  if (end - offset < UDP_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const length = u16(d, offset + 4);
  let payloadEnd: number;
  let truncated = false;
  if (length === 0) {
    // RFC 2675 §4: a jumbogram's UDP length is 0; Linux UDP GSO super-packets look the same.
    payloadEnd = end;
  } else if (length < UDP_HEADER_LEN) {
    return { malformed: `UDP length ${length} < 8`, at: offset + 4 };
  } else if (offset + length > end) {
    payloadEnd = end;
    if (ctx.endIsDeclared && !ctx.quoted) {
      ctx.errors.push({ layer: 'udp', offset: offset + 4, message: `UDP length ${length} exceeds the ${end - offset} bytes its enclosing layer declares` });
    } else truncated = true;
  } else {
    payloadEnd = offset + length;
  }
  const srcPort = u16(d, offset);
  const dstPort = u16(d, offset + 2);
  const layer: UdpLayer = {
    kind: 'udp',
    offset,
    headerLength: UDP_HEADER_LEN,
    header: d.subarray(offset, offset + UDP_HEADER_LEN),
    payload: d.subarray(offset + UDP_HEADER_LEN, payloadEnd),
    trailer: d.subarray(payloadEnd, end),
    truncated,
    quoted: ctx.quoted,
    srcPort,
    dstPort,
    length,
    checksum: u16(d, offset + 6),
  };
  const payloadStart = offset + UDP_HEADER_LEN;
  const next = udpPayloadLayer(d, payloadStart, payloadEnd - payloadStart, srcPort, dstPort, ctx.opts);
  return { layer, next, hint: dstPort };
};

import type { LayerBase, LayerDecoder } from '../types';
import { u16, u32, u8 } from './base';

export const TCP_MIN_HEADER_LEN = 20;

export const TCP_FLAG_FIN = 0x001;
export const TCP_FLAG_SYN = 0x002;
export const TCP_FLAG_RST = 0x004;
export const TCP_FLAG_PSH = 0x008;
export const TCP_FLAG_ACK = 0x010;
export const TCP_FLAG_URG = 0x020;
export const TCP_FLAG_ECE = 0x040;
export const TCP_FLAG_CWR = 0x080;
/** Bit 7 of the offset/flags word: NS (RFC 3540, historic), now AE (AccECN). */
export const TCP_FLAG_AE = 0x100;

export const TCP_OPT_EOL = 0;
export const TCP_OPT_NOP = 1;
export const TCP_OPT_MSS = 2;
export const TCP_OPT_WSCALE = 3;
export const TCP_OPT_SACK_PERMITTED = 4;
export const TCP_OPT_SACK = 5;
export const TCP_OPT_TIMESTAMPS = 8;

/** One TCP option (RFC 9293 §3.2): kind, and for all but EOL/NOP a length and data. */
export interface TcpOption {
  kind: number;
  /** Total length including kind and length octets; 1 for EOL/NOP. */
  length: number;
  /** Option data, a view. */
  data: Uint8Array;
}

/**
 * TCP header (RFC 9293 §3.1). A header cut short is still returned when its ports are there
 * (ICMP errors quote only 8 bytes of it, RFC 792): then `truncated` is true and every field
 * whose bytes lie past `header.length` reads 0.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Sequence Number                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Acknowledgment Number                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsr |E|W|C|R|C|S|S|Y|I|            Window             |
 *  |       |     | |R|E|G|K|H|T|N|N|                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                           [Options]                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface TcpLayer extends LayerBase<'tcp'> {
  /** Source Port. */
  srcPort: number;
  /** Destination Port. */
  dstPort: number;
  /** Sequence Number, raw (not relative). */
  seq: number;
  /** Acknowledgment Number, raw. */
  ack: number;
  /** Data Offset: header length in 32-bit words. */
  dataOffset: number;
  /** The 12 bits after Data Offset: 3 reserved bits, AE, CWR … FIN (tshark's tcp.flags). */
  flags: number;
  flagFin: boolean;
  flagSyn: boolean;
  flagRst: boolean;
  flagPsh: boolean;
  flagAck: boolean;
  flagUrg: boolean;
  flagEce: boolean;
  flagCwr: boolean;
  flagAe: boolean;
  /** Window, unscaled. */
  window: number;
  /** Checksum, as read (offloaded senders leave it unfinished). */
  checksum: number;
  /** Urgent Pointer. */
  urgent: number;
  options: TcpOption[];
  /** MSS option (RFC 9293 §3.7.1). */
  mss: number | undefined;
  /** Window scale shift count (RFC 7323 §2). */
  windowScale: number | undefined;
  /** SACK-permitted option present (RFC 2018 §2). */
  sackPermitted: boolean;
  /** SACK blocks, [left edge, right edge) pairs (RFC 2018 §3). */
  sack: Array<{ left: number; right: number }> | undefined;
  /** Timestamps option (RFC 7323 §3): TSval and TSecr. */
  timestamps: { value: number; echoReply: number } | undefined;
}

export const decodeTcp: LayerDecoder<TcpLayer> = (ctx, offset, end) => {
  const d = ctx.data;
  const avail = end - offset;
  if (avail < 4) return { short: true };
  let headerLength: number;
  let dataOffset = 0;
  let truncated = false;
  if (avail >= 13) {
    dataOffset = u8(d, offset + 12) >> 4;
    if (dataOffset < 5) return { malformed: `TCP data offset ${dataOffset} (< 5, header length ${dataOffset * 4} bytes)`, at: offset + 12 };
  }
  if (avail < TCP_MIN_HEADER_LEN || avail < dataOffset * 4) {
    headerLength = avail;
    truncated = true;
  } else {
    headerLength = dataOffset * 4;
  }
  const has = (n: number): boolean => headerLength >= n;
  const flags = has(14) ? u16(d, offset + 12) & 0x0fff : 0;
  const options: TcpOption[] = [];
  let mss: number | undefined;
  let windowScale: number | undefined;
  let sackPermitted = false;
  let sack: Array<{ left: number; right: number }> | undefined;
  let timestamps: { value: number; echoReply: number } | undefined;
  const optEnd = offset + headerLength;
  let p = offset + TCP_MIN_HEADER_LEN;
  while (p < optEnd) {
    const kind = u8(d, p);
    if (kind === TCP_OPT_EOL || kind === TCP_OPT_NOP) {
      options.push({ kind, length: 1, data: d.subarray(p + 1, p + 1) });
      p++;
      if (kind === TCP_OPT_EOL) break;
      continue;
    }
    if (p + 1 >= optEnd) {
      if (!truncated) ctx.errors.push({ layer: 'tcp', offset: p, message: `TCP option ${kind} has no length octet` });
      break;
    }
    const len = u8(d, p + 1);
    if (len < 2 || p + len > optEnd) {
      if (!truncated || len < 2) ctx.errors.push({ layer: 'tcp', offset: p + 1, message: `TCP option ${kind} with length ${len} overruns the header` });
      break;
    }
    const data = d.subarray(p + 2, p + len);
    options.push({ kind, length: len, data });
    const bad = (): void => {
      ctx.errors.push({ layer: 'tcp', offset: p + 1, message: `TCP option ${kind} with length ${len}` });
    };
    if (kind === TCP_OPT_MSS) {
      if (len === 4) mss = u16(d, p + 2);
      else bad();
    } else if (kind === TCP_OPT_WSCALE) {
      if (len === 3) windowScale = u8(d, p + 2);
      else bad();
    } else if (kind === TCP_OPT_SACK_PERMITTED) {
      if (len === 2) sackPermitted = true;
      else bad();
    } else if (kind === TCP_OPT_SACK) {
      if (len >= 10 && (len - 2) % 8 === 0) {
        sack = [];
        for (let q = p + 2; q < p + len; q += 8) sack.push({ left: u32(d, q), right: u32(d, q + 4) });
      } else bad();
    } else if (kind === TCP_OPT_TIMESTAMPS) {
      if (len === 10) timestamps = { value: u32(d, p + 2), echoReply: u32(d, p + 6) };
      else bad();
    }
    p += len;
  }
  const layer: TcpLayer = {
    kind: 'tcp',
    offset,
    headerLength,
    header: d.subarray(offset, offset + headerLength),
    payload: d.subarray(offset + headerLength, end),
    trailer: d.subarray(end, end),
    truncated,
    quoted: ctx.quoted,
    srcPort: u16(d, offset),
    dstPort: u16(d, offset + 2),
    seq: has(8) ? u32(d, offset + 4) : 0,
    ack: has(12) ? u32(d, offset + 8) : 0,
    dataOffset,
    flags,
    flagFin: (flags & TCP_FLAG_FIN) !== 0,
    flagSyn: (flags & TCP_FLAG_SYN) !== 0,
    flagRst: (flags & TCP_FLAG_RST) !== 0,
    flagPsh: (flags & TCP_FLAG_PSH) !== 0,
    flagAck: (flags & TCP_FLAG_ACK) !== 0,
    flagUrg: (flags & TCP_FLAG_URG) !== 0,
    flagEce: (flags & TCP_FLAG_ECE) !== 0,
    flagCwr: (flags & TCP_FLAG_CWR) !== 0,
    flagAe: (flags & TCP_FLAG_AE) !== 0,
    window: has(16) ? u16(d, offset + 14) : 0,
    checksum: has(18) ? u16(d, offset + 16) : 0,
    urgent: has(20) ? u16(d, offset + 18) : 0,
    options,
    mss,
    windowScale,
    sackPermitted,
    sack,
    timestamps,
  };
  return { layer, next: 'payload', hint: 0 };
};

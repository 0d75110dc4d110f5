import { greProtocolLayer } from '../tables';
import { erspanHint } from './erspan';
import type { LayerBase, LayerDecoder } from '../types';
import { u16, u32 } from './base';

export const GRE_MIN_HEADER_LEN = 4;

/**
 * GRE header (RFC 2784 §2.1 with the Key and Sequence Number of RFC 2890 §2); version 1 is
 * PPTP's enhanced GRE (RFC 2637 §4.1), with the A bit and an Acknowledgment Number.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Checksum (optional)      |       Reserved1 (Optional)    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Key (optional)                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Sequence Number (Optional)                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Acknowledgment Number (version 1, A set)            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface GreLayer extends LayerBase<'gre'> {
  /** C: Checksum and Reserved1 present. */
  checksumPresent: boolean;
  /** R: RFC 1701 routing present (deprecated by RFC 2784; not decoded). */
  routingPresent: boolean;
  /** K: Key present (RFC 2890). */
  keyPresent: boolean;
  /** S: Sequence Number present (RFC 2890). */
  sequencePresent: boolean;
  /** s: RFC 1701 strict source route. */
  strictSourceRoute: boolean;
  /** Recur: RFC 1701 recursion control, 3 bits. */
  recursionControl: number;
  /** A: Acknowledgment Number present (version 1). */
  ackPresent: boolean;
  /** Flags: the 4 bits before Ver (Reserved0 in RFC 2784). */
  flags: number;
  /** Ver: 0 GRE, 1 enhanced GRE (PPTP). */
  version: number;
  /** Protocol Type: an EtherType (0x6558 transparent Ethernet bridging), or ERSPAN's 0x88BE and 0x22EB. */
  protocolType: number;
  checksum: number | undefined;
  reserved1: number | undefined;
  /** Key; in version 1, payload length (high 16 bits) and call ID (low 16 bits). */
  key: number | undefined;
  sequence: number | undefined;
  ack: number | undefined;
}

export const decodeGre: LayerDecoder<GreLayer> = (ctx, offset, end) => {
  if (end - offset < GRE_MIN_HEADER_LEN) return { short: true };
  const d = ctx.data;
  const w = u16(d, offset);
  const version = w & 0x7;
  if (version > 1) return { malformed: `GRE version ${version}`, at: offset };
  const c = (w & 0x8000) !== 0;
  const r = (w & 0x4000) !== 0;
  const k = (w & 0x2000) !== 0;
  const s = (w & 0x1000) !== 0;
  const a = (w & 0x0080) !== 0;
  const headerLength = 4 + (c || r ? 4 : 0) + (k ? 4 : 0) + (s ? 4 : 0) + (version === 1 && a ? 4 : 0);
  if (end - offset < headerLength) return { short: true };
  const protocolType = u16(d, offset + 2);
  const layer: GreLayer = {
    kind: 'gre',
    offset,
    headerLength,
    header: d.subarray(offset, offset + headerLength),
    payload: d.subarray(offset + headerLength, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    checksumPresent: c,
    routingPresent: r,
    keyPresent: k,
    sequencePresent: s,
    strictSourceRoute: (w & 0x0800) !== 0,
    recursionControl: (w >> 8) & 0x7,
    ackPresent: a,
    flags: (w >> 3) & 0xf,
    version,
    protocolType,
    checksum: undefined,
    reserved1: undefined,
    key: undefined,
    sequence: undefined,
    ack: undefined,
  };
  let p = offset + 4;
  if (c || r) {
    layer.checksum = u16(d, p);
    layer.reserved1 = u16(d, p + 2);
    p += 4;
  }
  if (k) {
    layer.key = u32(d, p);
    p += 4;
  }
  if (s) {
    layer.sequence = u32(d, p);
    p += 4;
  }
  if (version === 1 && a) layer.ack = u32(d, p);
  if (r) {
    ctx.notes.push(`GRE at byte ${offset} carries RFC 1701 source routing, which is not decoded`);
    return { layer, next: 'undecoded', hint: protocolType };
  }
  // Version 1 carries PPP, which Hopscope does not decode.
  const next = version === 0 ? greProtocolLayer(protocolType) : 'payload';
  // ERSPAN type I and II share a Protocol Type; GRE's S flag tells them apart.
  return { layer, next, hint: next === 'erspan' ? erspanHint(w, protocolType) : protocolType };
};

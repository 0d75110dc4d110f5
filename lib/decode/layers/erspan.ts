import { GRE_PROTO_ERSPAN_II } from '../../protocols/numbers';
import type { DecodeContext, LayerBase, LayerDecoder, NextKind } from '../types';
import { u16, u32, u8 } from './base';

export const ERSPAN_II_HEADER_LEN = 8;
export const ERSPAN_III_HEADER_LEN = 12;
export const ERSPAN_III_PLATFORM_LEN = 8;
/** GRE's S flag in its flags-and-version word: ERSPAN type II and III carry a sequence number. */
const GRE_FLAG_S = 0x1000;
/** ERSPAN type III Frame Type values (draft-foschiano-erspan-03 §4.3). */
export const ERSPAN_FT_ETHERNET = 0;
export const ERSPAN_FT_IP = 2;

/**
 * The hint GRE hands ERSPAN: GRE's flags-and-version word and its Protocol Type, as Wireshark
 * hands its ERSPAN dissector a gre_hdr_info_t. Type I differs from type II only there: the same
 * Protocol Type 0x88BE, but no GRE sequence number and no ERSPAN header.
 */
export function erspanHint(greFlagsAndVersion: number, protocolType: number): number {
  return greFlagsAndVersion * 0x10000 + protocolType;
}

/**
 * ERSPAN (draft-foschiano-erspan-03): a switch's or a Linux erspan device's copy of a frame,
 * sent in GRE to a collector. Type I has no header of its own (GRE Protocol Type 0x88BE, no
 * sequence number); type II (0x88BE with a sequence number) has 8 bytes; type III (0x22EB) has
 * 12, and 8 more of platform-specific sub-header when O is set. Then the mirrored frame.
 *
 * Type II (§4.2):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Ver  |          VLAN         | COS | En|T|    Session ID     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Reserved         |                  Index                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Type III (§4.3):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Ver  |          VLAN         | COS |BSO|T|     Session ID    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          Timestamp                            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Platf ID |               Platform Specific Info              |  (O set)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  Platform Specific Info                       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Fields a type does not have are undefined (all of them for type I).
 */
export interface ErspanLayer extends LayerBase<'erspan'> {
  /** The ERSPAN type: 1 (no header), 2 or 3. */
  type: 1 | 2 | 3;
  /** Ver: 1 for type II, 2 for type III. */
  version: number | undefined;
  /** VLAN: the mirrored frame's VLAN, 12 bits. */
  vlan: number | undefined;
  /** COS: its class of service, 3 bits. */
  cos: number | undefined;
  /** En (type II): how the original frame was tagged: 0 untagged, 1 ISL, 2 802.1Q, 3 tag kept in the frame. */
  encapsulation: number | undefined;
  /** BSO (type III): 0 good, 1 short, 2 oversized, 3 bad frame. */
  bso: number | undefined;
  /** T: the mirrored frame was cut short by the sender (the session's MTU), not by this capture. */
  frameTruncated: boolean | undefined;
  /** Session ID, 10 bits: the mirror session that copied the frame. */
  sessionId: number | undefined;
  /** Reserved (type II), 12 bits. */
  reserved: number | undefined;
  /** Index (type II), 20 bits: the port or module the frame was copied at. */
  index: number | undefined;
  /** Timestamp (type III), 32 bits, in the granularity Gra names. */
  timestamp: number | undefined;
  /** Security Group Tag (type III). */
  sgt: number | undefined;
  /** P (type III): the payload is an Ethernet PDU. */
  pduEthernet: boolean | undefined;
  /** FT (type III), 5 bits: 0 Ethernet frame, 2 IP packet. */
  frameType: number | undefined;
  /** Hw ID (type III), 6 bits: the engine that mirrored it. */
  hardwareId: number | undefined;
  /** D (type III): the frame was copied as it left the port (egress) or entered it (ingress). */
  direction: 'ingress' | 'egress' | undefined;
  /** Gra (type III), 2 bits: 0 100 µs, 1 100 ns, 2 IEEE 1588, 3 platform-specific. */
  granularity: number | undefined;
  /** O (type III): a platform-specific sub-header follows. */
  subHeader: boolean | undefined;
  /** Platf ID of the sub-header, 6 bits. */
  platformId: number | undefined;
  /** The sub-header's 8 bytes, a view. */
  platformSpecific: Uint8Array | undefined;
}

/** A layer of `type` with none of the type-specific fields read yet. */
function emptyLayer(ctx: DecodeContext, offset: number, headerLength: number, end: number, type: 1 | 2 | 3): ErspanLayer {
  const d = ctx.data;
  return {
    kind: 'erspan',
    offset,
    headerLength,
    header: d.subarray(offset, offset + headerLength),
    payload: d.subarray(offset + headerLength, end),
    trailer: d.subarray(end, end),
    truncated: false,
    quoted: ctx.quoted,
    type,
    version: undefined,
    vlan: undefined,
    cos: undefined,
    encapsulation: undefined,
    bso: undefined,
    frameTruncated: undefined,
    sessionId: undefined,
    reserved: undefined,
    index: undefined,
    timestamp: undefined,
    sgt: undefined,
    pduEthernet: undefined,
    frameType: undefined,
    hardwareId: undefined,
    direction: undefined,
    granularity: undefined,
    subHeader: undefined,
    platformId: undefined,
    platformSpecific: undefined,
  };
}

export const decodeErspan: LayerDecoder<ErspanLayer> = (ctx, offset, end, hint) => {
  const d = ctx.data;
  const protocolType = hint % 0x10000;
  const greFlags = Math.floor(hint / 0x10000);
  // Type I: 0x88BE in a GRE header without a sequence number (Wireshark decides the same way).
  if (protocolType === GRE_PROTO_ERSPAN_II && (greFlags & GRE_FLAG_S) === 0) {
    return { layer: emptyLayer(ctx, offset, 0, end, 1), next: 'ethernet', hint: 0 };
  }
  if (end - offset < 2) return { short: true };
  const w0 = u16(d, offset);
  const version = w0 >> 12;
  if (version !== 1 && version !== 2) return { malformed: `ERSPAN version ${version}`, at: offset };
  const w1 = u16(d, offset + 2);
  let layer: ErspanLayer;
  let next: NextKind = 'ethernet';
  if (version === 1) {
    if (end - offset < ERSPAN_II_HEADER_LEN) return { short: true };
    layer = emptyLayer(ctx, offset, ERSPAN_II_HEADER_LEN, end, 2);
    layer.encapsulation = (w1 >> 11) & 0x3;
    const w2 = u32(d, offset + 4);
    layer.reserved = Math.floor(w2 / 0x100000);
    layer.index = w2 % 0x100000;
  } else {
    if (end - offset < ERSPAN_III_HEADER_LEN) return { short: true };
    const w3 = u16(d, offset + 10);
    const subHeader = (w3 & 0x1) !== 0;
    const headerLength = ERSPAN_III_HEADER_LEN + (subHeader ? ERSPAN_III_PLATFORM_LEN : 0);
    if (end - offset < headerLength) return { short: true };
    layer = emptyLayer(ctx, offset, headerLength, end, 3);
    layer.bso = (w1 >> 11) & 0x3;
    layer.timestamp = u32(d, offset + 4);
    layer.sgt = u16(d, offset + 8);
    layer.pduEthernet = (w3 & 0x8000) !== 0;
    layer.frameType = (w3 >> 10) & 0x1f;
    layer.hardwareId = (w3 >> 4) & 0x3f;
    layer.direction = (w3 & 0x8) !== 0 ? 'egress' : 'ingress';
    layer.granularity = (w3 >> 1) & 0x3;
    layer.subHeader = subHeader;
    if (subHeader) {
      layer.platformId = u8(d, offset + ERSPAN_III_HEADER_LEN) >> 2;
      layer.platformSpecific = d.subarray(offset + ERSPAN_III_HEADER_LEN, offset + headerLength);
    }
    // Wireshark 4.0 stops at "data" for an IP frame type; the draft says the payload is an IP packet.
    next = layer.frameType === ERSPAN_FT_ETHERNET ? 'ethernet' : layer.frameType === ERSPAN_FT_IP ? 'ip' : 'payload';
  }
  layer.version = version;
  layer.vlan = w0 & 0x0fff;
  layer.cos = w1 >> 13;
  layer.frameTruncated = (w1 & 0x0400) !== 0;
  layer.sessionId = w1 & 0x03ff;
  return { layer, next, hint: 0 };
};

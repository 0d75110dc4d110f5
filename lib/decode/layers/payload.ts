import type { DecodeContext, LayerBase, LayerKind } from '../types';
import { base } from './base';

/**
 * Application data no decoder claims (DNS, HTTP, echo data): zero header bytes, all payload.
 * It ends the stack, like gopacket's Payload layer.
 */
export type PayloadLayer = LayerBase<'payload'>;

/** Why decoding stopped before the end of the packet. */
export type UndecodedReason =
  /** The capture (or the quoted datagram) ends inside the next header. */
  | 'truncated'
  /** An impossible value; the matching DecodeError is in DecodedPacket.errors. */
  | 'malformed'
  /** Link type or encapsulation Hopscope does not decode. */
  | 'unsupported'
  /** The layer limit was reached. */
  | 'depth';

/** The rest of a packet that could not be decoded, as raw bytes in `payload`. */
export interface UndecodedLayer extends LayerBase<'undecoded'> {
  reason: UndecodedReason;
  /** The layer that was to be decoded here, when one was. */
  wanted: LayerKind | undefined;
}

export function payloadLayer(ctx: DecodeContext, offset: number, end: number): PayloadLayer {
  return base(ctx, 'payload', offset, 0, end, end, false);
}

export function undecodedLayer(
  ctx: DecodeContext,
  offset: number,
  end: number,
  reason: UndecodedReason,
  wanted: LayerKind | undefined,
): UndecodedLayer {
  const payload = ctx.data.subarray(offset, end);
  return {
    kind: 'undecoded',
    offset,
    headerLength: 0,
    header: ctx.data.subarray(offset, offset),
    payload,
    trailer: ctx.data.subarray(end, end),
    truncated: reason === 'truncated',
    quoted: ctx.quoted,
    reason,
    wanted,
  };
}

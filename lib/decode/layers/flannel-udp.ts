import { looksLikeGreHeader } from '../../protocols/recognise';
import type { LayerBase, LayerDecoder } from '../types';
import { base, u8 } from './base';

/**
 * flannel's "udp" backend (flannel backend/udp, port 8285): flanneld reads an IP packet from the
 * flannel0 TUN device and sends it as the whole UDP payload. There is no header of its own, so
 * this layer is zero bytes long and exists to say what the UDP payload is; the next layer is
 * IPv4 or IPv6 by the version nibble.
 */
export type FlannelUdpLayer = LayerBase<'flannel-udp'>;

/**
 * The decoder of a UDP payload that is a bare inner packet with no header of its own: flannel's
 * UDP backend and Linux's FOU share this wire format and differ only in who encapsulates (see
 * the registry, lib/protocols/overlays.ts). A zero-length layer of `kind`; then IPv4 or IPv6 by
 * the version nibble, or GRE when the bytes are a GRE header (FOU with `ipproto 47`; GRE's first
 * nibble holds C R K S, and R, RFC 1701 routing, is never sent, so 4 and 6 are never GRE).
 * Anything else is left to the IP decoder to call not an IP packet.
 */
export function bareInnerDecoder<K extends 'flannel-udp' | 'fou'>(kind: K): LayerDecoder<LayerBase<K>> {
  return (ctx, offset, end) => {
    const version = offset < end ? u8(ctx.data, offset) >> 4 : 0;
    const gre = version !== 4 && version !== 6 && looksLikeGreHeader(ctx.data, offset, end - offset);
    return { layer: base(ctx, kind, offset, 0, end, end, false), next: gre ? 'gre' : 'ip', hint: 0 };
  };
}

export const decodeFlannelUdp = bareInnerDecoder('flannel-udp');

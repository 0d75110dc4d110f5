import type { LayerBase, LayerDecoder } from '../types';
import { base } from './base';

/**
 * flannel's "udp" backend (flannel backend/udp, port 8285): flanneld reads an IP packet from the
 * flannel0 TUN device and sends it as the whole UDP payload. There is no header of its own, so
 * this layer is zero bytes long and exists to say what the UDP payload is; the next layer is
 * IPv4 or IPv6 by the version nibble.
 */
export type FlannelUdpLayer = LayerBase<'flannel-udp'>;

export const decodeFlannelUdp: LayerDecoder<FlannelUdpLayer> = (ctx, offset, end) => {
  return { layer: base(ctx, 'flannel-udp', offset, 0, end, end, false), next: 'ip', hint: 0 };
};

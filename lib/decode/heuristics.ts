/**
 * What a UDP payload is, in Wireshark's order: the user's "Decode As" mapping, the overlay
 * registry's ports, then the registry's byte recognisers (lib/protocols/recognise.ts).
 */
import { OVERLAYS, overlayLayerForUdpPayload } from '../protocols/overlays';
import type { DecodeOptions, LayerKind } from './types';

const RECOGNISED = OVERLAYS.filter((o) => o.recognise !== undefined && o.layer !== null);

/**
 * The user's mapping first, then the registry's ports (lower port first, as packet-udp.c
 * tries them; on a port two overlays share, their byte claims decide), then — unless turned
 * off — each overlay's recogniser in registry order. Returns 'payload' for anything else.
 */
export function udpPayloadLayer(
  buf: Uint8Array,
  offset: number,
  length: number,
  srcPort: number,
  dstPort: number,
  opts?: DecodeOptions,
): LayerKind {
  const low = srcPort < dstPort ? srcPort : dstPort;
  const high = srcPort < dstPort ? dstPort : srcPort;
  const user = opts?.udpPorts;
  if (user !== undefined) {
    const mapped = (low !== 0 ? user[low] : undefined) ?? (high !== 0 ? user[high] : undefined);
    if (mapped !== undefined) return mapped;
  }
  const known =
    (low !== 0 ? overlayLayerForUdpPayload(low, buf, offset, length) : undefined) ??
    (high !== 0 ? overlayLayerForUdpPayload(high, buf, offset, length) : undefined);
  if (known !== undefined) return known;
  if (opts?.heuristics === false) return 'payload';
  for (const o of RECOGNISED) if (o.recognise!(buf, offset, length)) return o.layer!;
  return 'payload';
}

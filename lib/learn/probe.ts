/**
 * Which packet a lesson step shows, and the same packet at every other capture point. A packet
 * is recognised by its innermost IPv4 header's identification, protocol and total length:
 * encapsulation, routing (TTL) and NAT (addresses, ports) all leave those three alone, so
 * one echo request is one key from pod A's veth to pod B's.
 */
import type { DecodedPacket, Layer, LayerOf } from '../decode/decode-packet';
import type { LoadedSample, SamplePacket } from './sample';

export type Ipv4 = LayerOf<'ipv4'>;

/** Layers of the packet itself, not of a datagram an ICMP error quotes. */
export function ownLayers(p: DecodedPacket): Layer[] {
  return p.layers.filter((l) => !l.quoted);
}

export function ipv4Layers(p: DecodedPacket): Ipv4[] {
  return ownLayers(p).filter((l): l is Ipv4 => l.kind === 'ipv4');
}

export function innerIpv4(p: DecodedPacket): Ipv4 | undefined {
  const ips = ipv4Layers(p);
  return ips[ips.length - 1];
}

/** The outer IPv4 header of an encapsulated packet (undefined when there is one IP layer). */
export function outerIpv4(p: DecodedPacket): Ipv4 | undefined {
  const ips = ipv4Layers(p);
  return ips.length > 1 ? ips[0] : undefined;
}

export function firstLayer<K extends Layer['kind']>(p: DecodedPacket, kind: K, opts: { quoted?: boolean } = {}): LayerOf<K> | undefined {
  return p.layers.find((l) => l.kind === kind && l.quoted === (opts.quoted ?? false)) as LayerOf<K> | undefined;
}

export function lastLayer<K extends Layer['kind']>(p: DecodedPacket, kind: K): LayerOf<K> | undefined {
  const own = ownLayers(p).filter((l) => l.kind === kind);
  return own[own.length - 1] as LayerOf<K> | undefined;
}

/** The ICMP header that follows the innermost IPv4 header, when there is one. */
export function innerIcmp(p: DecodedPacket): LayerOf<'icmp'> | undefined {
  const ip = innerIpv4(p);
  if (!ip || ip.protocol !== 1) return undefined;
  return lastLayer(p, 'icmp');
}

export function innerTcp(p: DecodedPacket): LayerOf<'tcp'> | undefined {
  const ip = innerIpv4(p);
  if (!ip || ip.protocol !== 6) return undefined;
  return lastLayer(p, 'tcp');
}

export interface PacketKey {
  id: number;
  protocol: number;
  totalLength: number;
}

export function keyOf(p: SamplePacket): PacketKey | undefined {
  const ip = innerIpv4(p.decoded);
  return ip && { id: ip.id, protocol: ip.protocol, totalLength: ip.totalLength };
}

export function sameKey(a: PacketKey, b: PacketKey): boolean {
  return a.id === b.id && a.protocol === b.protocol && a.totalLength === b.totalLength;
}

/** What a step's packet is: the first packet at its station that matches. */
export type ProbeSelector =
  /** An ICMP echo request (type 8), optionally at least `minLength` bytes of inner IPv4. */
  | { kind: 'echo-request'; minLength?: number }
  | { kind: 'echo-reply' }
  | { kind: 'tcp-syn' }
  /** An ICMP error (type 3), optionally of one code. */
  | { kind: 'icmp-error'; code?: number };

export function matches(p: SamplePacket, sel: ProbeSelector): boolean {
  const d = p.decoded;
  switch (sel.kind) {
    case 'echo-request': {
      const icmp = innerIcmp(d);
      return icmp?.type === 8 && (innerIpv4(d)?.totalLength ?? 0) >= (sel.minLength ?? 0);
    }
    case 'echo-reply':
      return innerIcmp(d)?.type === 0;
    case 'tcp-syn': {
      const tcp = innerTcp(d);
      return !!tcp && tcp.flagSyn && !tcp.flagAck;
    }
    case 'icmp-error': {
      const icmp = firstLayer(d, 'icmp');
      return !!icmp && icmp.type === 3 && (sel.code === undefined || icmp.code === sel.code);
    }
  }
}

export function packetsAt(sample: LoadedSample, station: string): SamplePacket[] {
  return sample.packets.filter((p) => p.station === station);
}

/** The first packet matching `sel` anywhere in the sample (in capture order). */
export function firstMatching(sample: LoadedSample, sel: ProbeSelector, station?: string): SamplePacket | undefined {
  return sample.packets.find((p) => (station === undefined || p.station === station) && matches(p, sel));
}

/** The packet with `key` at `station`: the same packet as seen by another capture point. */
export function samePacketAt(sample: LoadedSample, key: PacketKey, station: string): SamplePacket | undefined {
  return sample.packets.find((p) => {
    if (p.station !== station) return false;
    const k = keyOf(p);
    return !!k && sameKey(k, key);
  });
}

/** Per station, how many packets matched `sel` (every station of the sample, in file order). */
export function countsBy(
  sample: LoadedSample,
  sel: ProbeSelector,
  also: (p: SamplePacket) => boolean = () => true,
): { station: string; count: number }[] {
  return sample.stations.map((station) => ({
    station,
    count: sample.packets.filter((p) => p.station === station && matches(p, sel) && also(p)).length,
  }));
}

export function hexOf(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

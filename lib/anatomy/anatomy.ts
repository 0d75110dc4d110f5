/**
 * One packet as nested layers to scale in bytes, built on the decoder (decodePacket): the
 * layers are the decoder's header layers, each with its RFC fields; the segments tile every
 * captured byte, in byte order. The decoder already tiles the packet (parent payload = child
 * header + child payload + child trailer), so in byte order a packet reads: every header, outer
 * first; then what the innermost header carries; then the trailers, innermost first (UDP bytes
 * past its length inside IPv4, then Ethernet padding after the IPv4 total length); then an FCS.
 */
import { decodePacket, type Layer } from '../decode/decode-packet';
import type { DecodeOptions, LayerKind } from '../decode/types';
import type { UndecodedLayer } from '../decode/layers/payload';
import { kindTitle, layerFields, layerTitle } from './fields';
import { overlayOfLayer } from '../protocols/overlays';
import type { Anatomy, AnatomyLayer, AnatomySegment } from './types';

export interface AnatomyOptions {
  /** Length of the packet on the wire (the record's orig_len); the captured length by default. */
  origLen?: number;
  /**
   * Bytes of Ethernet FCS at the end of the frame (pcapng if_fcslen, pcap's FCS bits), 0 by
   * default. Only the FCS bytes the capture kept become an `fcs` segment; the rest is decoded.
   */
  fcsLen?: number;
  decode?: DecodeOptions;
}


function isIp(kind: LayerKind): boolean {
  return kind === 'ipv4' || kind === 'ipv6';
}

/** Whether `next`, following `prev`, is inside a tunnel `prev` opens (IP-in-IP: IP right after IP). */
function opensTunnel(prev: Layer, next: Layer): boolean {
  return overlayOfLayer(prev.kind) !== undefined || (isIp(prev.kind) && isIp(next.kind));
}

function undecodedLabel(l: UndecodedLayer): string {
  const wanted = l.wanted === undefined ? undefined : kindTitle(l.wanted);
  switch (l.reason) {
    case 'truncated':
      return wanted === undefined ? 'undecoded: the capture ends here' : `undecoded: ${wanted} header cut short by the capture`;
    case 'malformed':
      return wanted === undefined ? 'undecoded: malformed' : `undecoded: malformed ${wanted} header`;
    case 'unsupported':
      return 'undecoded: not a protocol Hopscope decodes';
    case 'depth':
      return 'undecoded: layer limit reached';
  }
}

function trailerLabel(parent: Layer | undefined, child: Layer): string {
  switch (parent?.kind) {
    case 'ethernet':
    case 'vlan':
      return 'Ethernet padding';
    case 'sll':
    case 'sll2':
      return 'link-layer padding';
    case 'icmp':
    case 'icmpv6':
      return `${layerTitle(parent)} extensions (RFC 4884)`;
    case undefined:
      // The first layer's own trailer: bytes after an 802.3 length.
      return child.kind === 'ethernet' ? 'Ethernet padding' : `bytes past the ${layerTitle(child)} length`;
    default:
      return `bytes past the ${layerTitle(child)} length`;
  }
}

function dataLabel(owner: Layer | undefined): string {
  if (owner === undefined) return 'data';
  const title = layerTitle(owner);
  const quoted = owner.quoted ? ' (quoted)' : '';
  if (owner.kind === 'icmp' || owner.kind === 'icmpv6') return `${title} data${quoted}`;
  if ((owner.kind === 'ipv4' || owner.kind === 'ipv6') && owner.isLaterFragment) return `${title} fragment data${quoted}`;
  return `${title} payload${quoted}`;
}

/**
 * The anatomy of one captured packet (`packet` holds exactly the captured bytes). Never
 * throws: what the decoder could not decode is an `undecoded` segment.
 */
export function packetAnatomy(linkType: number, packet: Uint8Array, opts: AnatomyOptions = {}): Anatomy {
  const capLen = packet.length;
  const origLen = opts.origLen ?? capLen;
  const fcsLen = Math.max(0, Math.floor(opts.fcsLen ?? 0));
  // The FCS ends the frame on the wire: with a short snaplen none or only part of it was kept.
  const fcsStart = fcsLen > 0 ? Math.min(capLen, Math.max(0, Math.max(origLen, capLen) - fcsLen)) : capLen;
  const data = packet.subarray(0, fcsStart);
  const decoded = decodePacket(data, linkType, opts.decode);
  const dec = decoded.layers;

  const layers: AnatomyLayer[] = [];
  /** Decoder layer index → anatomy layer index (-1 for payload/undecoded). */
  const index: number[] = [];
  let depth = 0;
  let prev: Layer | undefined;
  for (let i = 0; i < dec.length; i++) {
    const l = dec[i]!;
    if (l.kind === 'payload' || l.kind === 'undecoded') {
      index.push(-1);
      continue;
    }
    if (prev !== undefined && opensTunnel(prev, l)) depth++;
    index.push(layers.length);
    layers.push({
      kind: l.kind,
      title: layerTitle(l),
      offset: l.offset,
      length: l.headerLength,
      depth,
      quoted: l.quoted,
      truncated: l.truncated,
      fields: layerFields(dec, i, data),
    });
    prev = l;
  }

  const segments: AnatomySegment[] = [];
  const base = data.byteOffset;
  const at = (v: Uint8Array): number => v.byteOffset - base;
  const push = (role: AnatomySegment['role'], offset: number, length: number, layer: number, label: string): void => {
    if (length > 0) segments.push({ role, offset, length, layer, label });
  };
  /** The nearest header layer at or before decoder index i, as an anatomy index. */
  const owner = (i: number): number => {
    for (let j = i; j >= 0; j--) if ((index[j] ?? -1) >= 0) return index[j]!;
    return -1;
  };

  for (let i = 0; i < dec.length; i++) {
    const l = dec[i]!;
    const a = index[i]!;
    if (a >= 0) {
      const al = layers[a]!;
      push('header', l.offset, l.headerLength, a, `${al.title}${al.depth > 0 ? ' (inner)' : ''}${l.quoted ? ' (quoted)' : ''}`);
    }
  }
  const last = dec[dec.length - 1];
  if (last !== undefined && last.payload.length > 0) {
    const o = owner(dec.length - 1);
    if (last.kind === 'undecoded') push('undecoded', at(last.payload), last.payload.length, o, undecodedLabel(last));
    else {
      const ownerLayer = last.kind === 'payload' ? dec[dec.length - 2] : last;
      push('data', at(last.payload), last.payload.length, o, dataLabel(ownerLayer));
    }
  }
  for (let i = dec.length - 1; i >= 0; i--) {
    const l = dec[i]!;
    if (l.trailer.length === 0) continue;
    const parent = dec[i - 1];
    push('trailer', at(l.trailer), l.trailer.length, i > 0 ? owner(i - 1) : owner(i), trailerLabel(parent, l));
  }

  // The decoder tiles the packet; should it ever not, the gaps still belong somewhere.
  segments.sort((x, y) => x.offset - y.offset);
  const tiled: AnatomySegment[] = [];
  let pos = 0;
  for (const s of segments) {
    if (s.offset > pos) tiled.push({ role: 'undecoded', offset: pos, length: s.offset - pos, layer: -1, label: 'undecoded' });
    if (s.offset < pos) continue;
    tiled.push(s);
    pos = s.offset + s.length;
  }
  if (pos < fcsStart) tiled.push({ role: 'undecoded', offset: pos, length: fcsStart - pos, layer: owner(dec.length - 1), label: 'undecoded' });
  if (fcsStart < capLen) {
    tiled.push({ role: 'fcs', offset: fcsStart, length: capLen - fcsStart, layer: layers.length > 0 ? 0 : -1, label: capLen - fcsStart < fcsLen ? 'Frame Check Sequence (cut short)' : 'Frame Check Sequence' });
  }

  const notes = [...decoded.errors.map((e) => `${e.layer} at byte ${e.offset}: ${e.message}`), ...decoded.notes];
  const anatomy: Anatomy = { linkType, capLen, origLen, layers, segments: tiled };
  if (notes.length > 0) anatomy.notes = notes;
  return anatomy;
}

/** The field of `layer` with `key`, if the captured header holds it. */
export function fieldOf(layer: AnatomyLayer | undefined, key: string): AnatomyLayer['fields'][number] | undefined {
  return layer?.fields.find((f) => f.key === key);
}

/**
 * The leading number of a field value: "64" → 64, "0x0800 (IPv4)" → 2048, "1 (set)" → 1;
 * undefined when the value does not start with one (addresses).
 */
export function fieldNumber(layer: AnatomyLayer | undefined, key: string): number | undefined {
  const v = fieldOf(layer, key)?.value;
  if (v === undefined) return undefined;
  const m = /^(0x[0-9a-f]+|\d+)(?![.:\d])/i.exec(v);
  if (m === null) return undefined;
  return Number(m[1]);
}

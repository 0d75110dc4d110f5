/**
 * The full decoder: one generic loop that asks each layer decoder for its layer and the next
 * layer kind (gopacket packet.go's decode loop; the kinds come from tables.ts). It allocates
 * per packet — layers, strings — and is meant for one packet at a time, on demand; scanning a
 * whole capture is index-packet.ts's job.
 */
import { ipVersionLayer, linkTypeLayer } from './tables';
import type { DecodeContext, DecodeError, DecodeOptions, LayerDecoder, LayerKind, NextKind } from './types';
import { decodeArp, type ArpLayer } from './layers/arp';
import { decodeErspan, type ErspanLayer } from './layers/erspan';
import { decodeEthernet, type EthernetLayer } from './layers/ethernet';
import { decodeFlannelUdp, type FlannelUdpLayer } from './layers/flannel-udp';
import { decodeFou, type FouLayer } from './layers/fou';
import { decodeGeneve, type GeneveLayer } from './layers/geneve';
import { decodeGre, type GreLayer } from './layers/gre';
import { decodeGue, type GueLayer } from './layers/gue';
import { decodeIcmp, type IcmpLayer } from './layers/icmp';
import { decodeIcmpv6, type Icmpv6Layer } from './layers/icmpv6';
import { decodeIpv4, type Ipv4Layer } from './layers/ipv4';
import { decodeIpv6, type Ipv6Layer } from './layers/ipv6';
import { decodeLoopback, type LoopbackLayer } from './layers/loopback';
import { decodeNsh, type NshLayer } from './layers/nsh';
import { payloadLayer, undecodedLayer, type PayloadLayer, type UndecodedLayer, type UndecodedReason } from './layers/payload';
import { decodeSll, type SllLayer } from './layers/sll';
import { decodeSll2, type Sll2Layer } from './layers/sll2';
import { decodeTcp, type TcpLayer } from './layers/tcp';
import { decodeUdp, type UdpLayer } from './layers/udp';
import { decodeVlan, type VlanLayer } from './layers/vlan';
import { decodeVxlan, type VxlanLayer } from './layers/vxlan';
import { decodeVxlanGpe, type VxlanGpeLayer } from './layers/vxlan-gpe';

export type Layer =
  | EthernetLayer
  | VlanLayer
  | SllLayer
  | Sll2Layer
  | LoopbackLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | UdpLayer
  | TcpLayer
  | IcmpLayer
  | Icmpv6Layer
  | VxlanLayer
  | VxlanGpeLayer
  | GeneveLayer
  | FlannelUdpLayer
  | GreLayer
  | FouLayer
  | GueLayer
  | NshLayer
  | ErspanLayer
  | PayloadLayer
  | UndecodedLayer;

/** The layer type of a kind: LayerOf<'vxlan'> is VxlanLayer. */
export type LayerOf<K extends LayerKind> = Extract<Layer, { kind: K }>;

export interface DecodedPacket {
  /** Outermost first. Headers plus trailers plus the last layer's payload tile the packet. */
  layers: Layer[];
  /** Impossible values found, in the order met. */
  errors: DecodeError[];
  /** The capture ends before a length some layer declares (a short snaplen), or inside a header. */
  truncated: boolean;
  /** Things worth knowing that are not errors (unknown link type, TSO lengths, layer limit). */
  notes: string[];
  /** The link type the packet was decoded as. */
  linkType: number;
}

/** Layers per packet before the rest is left undecoded: hostile input cannot nest for ever. */
export const MAX_LAYERS = 32;

type DecodableKind = Exclude<LayerKind, 'payload' | 'undecoded'>;

const DECODERS: { readonly [K in DecodableKind]: LayerDecoder<LayerOf<K>> } = {
  ethernet: decodeEthernet,
  vlan: decodeVlan,
  sll: decodeSll,
  sll2: decodeSll2,
  loopback: decodeLoopback,
  arp: decodeArp,
  ipv4: decodeIpv4,
  ipv6: decodeIpv6,
  udp: decodeUdp,
  tcp: decodeTcp,
  icmp: decodeIcmp,
  icmpv6: decodeIcmpv6,
  vxlan: decodeVxlan,
  'vxlan-gpe': decodeVxlanGpe,
  geneve: decodeGeneve,
  'flannel-udp': decodeFlannelUdp,
  gre: decodeGre,
  fou: decodeFou,
  gue: decodeGue,
  nsh: decodeNsh,
  erspan: decodeErspan,
};

/**
 * Decode one packet's bytes as `linkType`. Never throws: a short capture gives `truncated` and
 * an `undecoded` rest; an impossible value gives an entry in `errors` and an `undecoded` rest;
 * an unknown link type gives one `undecoded` layer and a note.
 */
export function decodePacket(data: Uint8Array, linkType: number, opts: DecodeOptions = {}): DecodedPacket {
  const ctx: DecodeContext = { data, opts, quoted: false, endIsDeclared: false, errors: [], notes: [] };
  const layers: Layer[] = [];
  const packet: DecodedPacket = { layers, errors: ctx.errors, truncated: false, notes: ctx.notes, linkType };
  const maxLayers = Math.max(1, Math.min(opts.maxLayers ?? MAX_LAYERS, 1024));

  const first = linkTypeLayer(linkType);
  if (first === undefined) {
    ctx.notes.push(`link type ${linkType} is not decoded`);
    layers.push(undecodedLayer(ctx, 0, data.length, 'unsupported', undefined));
    return packet;
  }

  let next: NextKind = first;
  let hint = linkType;
  let off = 0;
  let end = data.length;
  // Set when a layer narrows the next one's bytes (RFC 4884): the next layer's trailer runs on.
  let trailerTo = -1;
  // For an `undecoded` next: did the last decoder record an error, or run out of bytes?
  let errorsAtLastLayer = 0;
  let lastTruncated = false;
  // Some enclosing layer declared the length of what follows and it was all captured.
  let declared = false;
  // A mirror session cut what follows short on purpose: a length past the end is not an error.
  let cutBySender = false;

  const push = (layer: Layer): void => {
    if (trailerTo > end) {
      layer.trailer = data.subarray(layer.offset + layer.headerLength + layer.payload.length, trailerTo);
      trailerTo = -1;
    }
    layers.push(layer);
  };
  const stop = (reason: UndecodedReason, wanted: LayerKind | undefined): void => {
    push(undecodedLayer(ctx, off, end, reason, wanted));
    if (reason === 'truncated' && !ctx.quoted) packet.truncated = true;
  };

  try {
    for (;;) {
      if (next === 'payload' || next === 'undecoded') {
        if (off < end) {
          if (next === 'payload') push(payloadLayer(ctx, off, end));
          else stop(ctx.errors.length > errorsAtLastLayer ? 'malformed' : lastTruncated ? 'truncated' : 'unsupported', undefined);
        }
        break;
      }
      // A quoted datagram simply ends where the ICMP error's quote ends.
      if (off >= end && ctx.quoted) break;
      // From here a header is expected. If no bytes are left for it the decoder reports
      // "short", and the stack ends in an empty undecoded layer naming what was missing, as
      // tshark lists a protocol it could not dissect.
      if (next === 'ip') {
        next = off < end ? ipVersionLayer(data, off, end) : 'ipv4';
        if (next === 'undecoded') {
          ctx.errors.push({ layer: 'ipv4', offset: off, message: `not an IP packet: version ${(data[off] ?? 0) >> 4}` });
          stop('malformed', undefined);
          break;
        }
      }
      if (layers.length >= maxLayers - 1) {
        ctx.notes.push(`stopped after ${layers.length} layers at byte ${off}`);
        stop('depth', next);
        break;
      }
      const kind: DecodableKind = next;
      errorsAtLastLayer = ctx.errors.length;
      ctx.endIsDeclared = !cutBySender && (end < data.length || (declared && !packet.truncated));
      const step = (DECODERS[kind] as LayerDecoder<Layer>)(ctx, off, end, hint);
      if ('short' in step) {
        if (ctx.quoted || !ctx.endIsDeclared) {
          stop('truncated', kind);
        } else {
          // The enclosing layer declared fewer bytes than this header needs.
          ctx.errors.push({ layer: kind, offset: off, message: `${kind} header does not fit in the ${end - off} bytes its enclosing layer declares` });
          stop('malformed', kind);
        }
        break;
      }
      if ('malformed' in step) {
        ctx.errors.push({ layer: kind, offset: step.at, message: step.malformed });
        stop('malformed', kind);
        break;
      }
      const layer = step.layer;
      push(layer);
      if (layer.truncated && !layer.quoted) packet.truncated = true;
      if (step.entersQuote === true) ctx.quoted = true;
      off = layer.offset + layer.headerLength;
      end = off + layer.payload.length;
      if (step.nextEnd !== undefined && step.nextEnd > off && step.nextEnd < end) {
        trailerTo = end;
        end = step.nextEnd;
      }
      next = step.next;
      hint = step.hint;
      lastTruncated = layer.truncated;
      if (!layer.truncated && declaresLength(layer)) declared = true;
      if (cutsShort(layer)) cutBySender = true;
    }
  } catch (e) {
    // Decoders bound-check every read; this is the last line of defence, not a code path.
    ctx.errors.push({ layer: 'undecoded', offset: off, message: `decoder fault: ${e instanceof Error ? e.message : String(e)}` });
    const last = layers[layers.length - 1];
    const from = last === undefined ? 0 : last.offset + last.headerLength;
    if (from < data.length && (last === undefined || last.kind !== 'undecoded')) {
      layers.push(undecodedLayer(ctx, from, data.length, 'malformed', undefined));
    }
  }
  return packet;
}

/** Whether a layer states how long its payload is (so bytes past that are not missing). */
function declaresLength(l: Layer): boolean {
  switch (l.kind) {
    case 'ipv4':
      return l.totalLength !== 0;
    case 'ipv6':
      return l.payloadLength !== 0 || l.jumboPayloadLength !== undefined;
    case 'udp':
      return l.length !== 0;
    case 'ethernet':
      return l.length !== undefined;
    default:
      return false;
  }
}

/**
 * Whether a layer says what it carries was cut short by its sender (an ERSPAN session's T bit:
 * the switch kept the first bytes of the frame): the inner lengths then run past the bytes,
 * like a short capture's, and the rest decodes as truncated, not malformed.
 */
function cutsShort(l: Layer): boolean {
  return l.kind === 'erspan' && l.frameTruncated === true;
}

/** The layers of one kind, outermost first. */
export function layersOf<K extends LayerKind>(packet: DecodedPacket, kind: K): LayerOf<K>[] {
  return packet.layers.filter((l): l is LayerOf<K> => l.kind === kind);
}

/**
 * The hot path: walk one packet's layers with integer offsets, allocating nothing, down to the
 * innermost IP header (through VLAN tags, VXLAN, Geneve, flannel-in-UDP, GRE, IP-in-IP) and
 * fill one PacketRow: the innermost 5-tuple, IP id/TTL/length, TCP seq/ack/flags, ICMP
 * id/seq, a digest of the first payload bytes, and the interned layer-stack "shape".
 *
 * It follows the same tables and heuristics as decodePacket (the full, allocating decoder used
 * on demand); summarize.test.ts checks the two agree on every packet of every capture.
 */
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_TRANSPARENT_ETHERNET,
  ETHERTYPE_VLAN,
  IP_PROTO_GRE,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  IP_PROTO_IPV4,
  IP_PROTO_IPV6,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  IPV6_EXTENSION_HEADERS,
  IP_PROTO_FRAGMENT,
  IP_PROTO_AH,
  LINKTYPE_LAYERS,
  LINKTYPE_LOOP,
  LOOPBACK_FAMILY_LAYERS,
} from './tables';
import { udpPayloadLayer } from './heuristics';
import type { DecodeOptions, LayerKind } from './types';
import {
  META_ENCAPSULATED,
  META_ERROR,
  META_FRAGMENT,
  META_HAS_IP,
  META_ICMP_ERROR,
  META_INNER_IPV6,
  META_TRUNCATED,
  type PacketRow,
} from './packet-index';

/** Short names for the protocol hierarchy, as tshark's io,phs names them where it can. */
export const SHAPE_NAMES: Record<LayerKind, string> = {
  ethernet: 'eth',
  vlan: 'vlan',
  sll: 'sll',
  sll2: 'sll2',
  loopback: 'null',
  arp: 'arp',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  udp: 'udp',
  tcp: 'tcp',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  vxlan: 'vxlan',
  geneve: 'geneve',
  'flannel-udp': 'flannel',
  gre: 'gre',
  payload: 'data',
  undecoded: 'undecoded',
} as Record<LayerKind, string>;

const KINDS: LayerKind[] = Object.keys(SHAPE_NAMES) as LayerKind[];
const KIND_CODE = new Map<LayerKind, number>(KINDS.map((k, i) => [k, i]));
// Literal codes (the order of SHAPE_NAMES) so the walker's switch compiles to a jump table.
const C_ETH = 0, C_VLAN = 1, C_SLL = 2, C_SLL2 = 3, C_NULL = 4, C_ARP = 5, C_IPV4 = 6, C_IPV6 = 7;
const C_UDP = 8, C_TCP = 9, C_ICMP = 10, C_ICMPV6 = 11, C_VXLAN = 12, C_GENEVE = 13, C_FLANNEL = 14;
const C_GRE = 15, C_DATA = 16, C_UNDECODED = 17;
const C_STOP = 0xff;
for (const [code, kind] of [[C_ETH, 'ethernet'], [C_VLAN, 'vlan'], [C_SLL, 'sll'], [C_SLL2, 'sll2'], [C_NULL, 'loopback'], [C_ARP, 'arp'], [C_IPV4, 'ipv4'], [C_IPV6, 'ipv6'], [C_UDP, 'udp'], [C_TCP, 'tcp'], [C_ICMP, 'icmp'], [C_ICMPV6, 'icmpv6'], [C_VXLAN, 'vxlan'], [C_GENEVE, 'geneve'], [C_FLANNEL, 'flannel-udp'], [C_GRE, 'gre'], [C_DATA, 'payload'], [C_UNDECODED, 'undecoded']] as const) {
  if (KINDS[code] !== kind) throw new Error(`summarize: code ${code} is ${KINDS[code]}, not ${kind}`);
}
/** First layer code per link type (-1: IP by version nibble), cached as a plain array. */
const LINK_FIRST: number[] = [];
for (const [lt, kind] of LINKTYPE_LAYERS) LINK_FIRST[lt] = kind === 'ip' ? -1 : KIND_CODE.get(kind as LayerKind)!;

const MAX_LAYERS = 32;
const DIGEST_BYTES = 16;

/** A packet's shape: its interface, its layer kinds, outer to inner. */
export interface Shape {
  id: number;
  /** The kinds as walker codes, for allocation-free comparison. */
  codes: Uint8Array;
  interfaceId: number;
  kinds: LayerKind[];
  /** e.g. "eth:ipv4:udp:vxlan:eth:ipv4:icmp" */
  path: string;
}

/**
 * Interns layer stacks without allocating on the common path: the walker fills `codes`, the
 * table hashes them and compares against the stored stacks.
 */
export class ShapeTable {
  readonly shapes: Shape[] = [];
  private byHash = new Map<number, number[]>();
  readonly codes = new Uint8Array(MAX_LAYERS + 1);
  n = 0;

  reset(): void {
    this.n = 0;
  }
  push(code: number): boolean {
    if (this.n >= MAX_LAYERS) return false;
    this.codes[this.n++] = code;
    return true;
  }
  intern(interfaceId: number): number {
    let h = 0x811c9dc5 ^ interfaceId;
    for (let i = 0; i < this.n; i++) h = Math.imul(h ^ this.codes[i]!, 0x01000193);
    const ids = this.byHash.get(h);
    if (ids) {
      for (const id of ids) {
        const s = this.shapes[id]!;
        if (s.interfaceId !== interfaceId || s.codes.length !== this.n) continue;
        let same = true;
        for (let i = 0; i < this.n; i++) if (s.codes[i] !== this.codes[i]) { same = false; break; }
        if (same) return id;
      }
    }
    const kinds = Array.from(this.codes.subarray(0, this.n), (c) => KINDS[c]!);
    const id = this.shapes.length;
    if (id > 0xffff) return 0xffff; // the column is 16 bits; 65,536 distinct stacks is hostile input
    this.shapes.push({ id, codes: this.codes.slice(0, this.n), interfaceId, kinds, path: kinds.map((k) => SHAPE_NAMES[k]).join(':') });
    if (ids) ids.push(id);
    else this.byHash.set(h, [id]);
    return id;
  }
}

/**
 * A summarizer bound to one set of decode options. `summarize` fills `row` (all fields except
 * dataOffset/tsNs/meta bits that the caller owns) and returns nothing; it never throws.
 */
export class Summarizer {
  readonly shapes = new ShapeTable();
  /** Interned IPv6 addresses: id → text. */
  readonly ipv6: string[] = [];
  private ipv6Ids = new Map<string, number>();
  constructor(private readonly opts: DecodeOptions = {}) {}

  private internIpv6(b: Uint8Array, off: number): number {
    let key = '';
    for (let i = 0; i < 16; i += 2) key += ((b[off + i]! << 8) | b[off + i + 1]!).toString(16) + ':';
    let id = this.ipv6Ids.get(key);
    if (id === undefined) {
      id = this.ipv6.length;
      this.ipv6.push(formatIpv6(b, off));
      this.ipv6Ids.set(key, id);
    }
    return id;
  }

  /**
   * Fill `row` from the packet at b[start, start+capLen). `dataOffset` and `tsNs` are the
   * caller's; every other field is set here. Never throws, allocates only for a new shape or a
   * new IPv6 address.
   */
  summarize(b: Uint8Array, start: number, capLen: number, linkType: number, interfaceId: number, row: PacketRow): void {
    const sh = this.shapes;
    sh.reset();
    let end = start + capLen;
    row.src = row.dst = row.sport = row.dport = row.seq = row.ack = 0;
    row.ipId = row.ipLen = row.digest = row.proto = row.tcpFlags = row.ttl = 0;
    let meta = 0;
    let p = start;
    let fragment = false;
    let ipCount = 0;
    // -1: IP by its version nibble (raw-IP link types, flannel's UDP payload).
    let next = (linkType >= 0 ? LINK_FIRST[linkType] : undefined) ?? C_UNDECODED;

    // One generic loop, one case per layer kind; the next kind comes from the tables.
    for (let depth = 0; ; depth++) {
      if (depth >= MAX_LAYERS) { meta |= META_ERROR; break; }
      if (next === -1) {
        if (p >= end) { meta |= META_TRUNCATED; break; }
        const v = b[p]! >> 4;
        next = v === 4 ? C_IPV4 : v === 6 ? C_IPV6 : C_UNDECODED;
      }
      if (next === C_DATA) { if (p < end) sh.push(C_DATA); break; }
      if (next === C_UNDECODED) { sh.push(C_UNDECODED); break; }
      sh.push(next);
      const avail = end - p;
      switch (next) {
        case C_ETH:
          if (avail < 14) { meta |= META_TRUNCATED; next = C_STOP; break; }
          next = etherNext((b[p + 12]! << 8) | b[p + 13]!);
          p += 14;
          break;
        case C_VLAN:
          if (avail < 4) { meta |= META_TRUNCATED; next = C_STOP; break; }
          next = etherNext((b[p + 2]! << 8) | b[p + 3]!);
          p += 4;
          break;
        case C_SLL:
          if (avail < 16) { meta |= META_TRUNCATED; next = C_STOP; break; }
          next = etherNext((b[p + 14]! << 8) | b[p + 15]!);
          p += 16;
          break;
        case C_SLL2:
          if (avail < 20) { meta |= META_TRUNCATED; next = C_STOP; break; }
          next = etherNext((b[p]! << 8) | b[p + 1]!);
          p += 20;
          break;
        case C_NULL: {
          if (avail < 4) { meta |= META_TRUNCATED; next = C_STOP; break; }
          // DLT_NULL's family is in the writer's byte order, DLT_LOOP's in network order.
          const le = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
          const be = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
          const fam = linkType === LINKTYPE_LOOP ? be : le <= 0xffff ? le : be;
          const k = LOOPBACK_FAMILY_LAYERS.get(fam);
          next = k ? KIND_CODE.get(k)! : C_DATA;
          p += 4;
          break;
        }
        case C_ARP:
          next = C_STOP;
          break;
        case C_IPV4: {
          meta |= META_HAS_IP;
          if (avail < 20) { meta |= META_TRUNCATED; next = C_STOP; break; }
          const ihl = (b[p]! & 0x0f) * 4;
          if (b[p]! >> 4 !== 4 || ihl < 20) { meta |= META_ERROR; sh.n--; next = C_UNDECODED; break; }
          if (++ipCount > 1) meta |= META_ENCAPSULATED; // IP-in-IP, or IP inside an overlay
          meta &= ~(META_INNER_IPV6 | META_FRAGMENT | META_ICMP_ERROR);
          const total = (b[p + 2]! << 8) | b[p + 3]!;
          const frag = ((b[p + 6]! << 8) | b[p + 7]!) & 0x3fff; // MF and fragment offset
          row.ipLen = total;
          row.ipId = (b[p + 4]! << 8) | b[p + 5]!;
          row.ttl = b[p + 8]!;
          row.proto = b[p + 9]!;
          row.src = ((b[p + 12]! << 24) | (b[p + 13]! << 16) | (b[p + 14]! << 8) | b[p + 15]!) >>> 0;
          row.dst = ((b[p + 16]! << 24) | (b[p + 17]! << 16) | (b[p + 18]! << 8) | b[p + 19]!) >>> 0;
          row.sport = row.dport = row.seq = row.ack = row.tcpFlags = row.digest = 0;
          if (avail < ihl) { meta |= META_TRUNCATED; next = C_STOP; break; }
          if (total < ihl) { meta |= META_ERROR; next = C_UNDECODED; p += ihl; break; }
          // The IP payload ends at the total length: Ethernet padding is not payload.
          if (total < avail) end = p + total;
          else if (total > avail) meta |= META_TRUNCATED;
          fragment = frag !== 0;
          if (fragment) meta |= META_FRAGMENT;
          p += ihl;
          next = (frag & 0x1fff) !== 0 ? C_DATA : ipNext(row.proto);
          break;
        }
        case C_IPV6: {
          meta |= META_HAS_IP;
          if (avail < 40) { meta |= META_TRUNCATED; next = C_STOP; break; }
          if (b[p]! >> 4 !== 6) { meta |= META_ERROR; sh.n--; next = C_UNDECODED; break; }
          if (++ipCount > 1) meta |= META_ENCAPSULATED;
          meta = (meta | META_INNER_IPV6) & ~(META_FRAGMENT | META_ICMP_ERROR);
          const plen = (b[p + 4]! << 8) | b[p + 5]!;
          row.ipLen = Math.min(plen + 40, 0xffff);
          row.ipId = 0;
          row.ttl = b[p + 7]!;
          row.src = this.internIpv6(b, p + 8);
          row.dst = this.internIpv6(b, p + 24);
          row.sport = row.dport = row.seq = row.ack = row.tcpFlags = row.digest = 0;
          if (40 + plen < avail) end = p + 40 + plen;
          else if (40 + plen > avail) meta |= META_TRUNCATED;
          let nh = b[p + 6]!;
          p += 40;
          let nonFirst = false;
          fragment = false;
          while (IPV6_EXTENSION_HEADERS.has(nh)) {
            if (end - p < 8) { meta |= META_TRUNCATED; nh = -1; break; }
            const len = nh === IP_PROTO_FRAGMENT ? 8 : nh === IP_PROTO_AH ? (b[p + 1]! + 2) * 4 : (b[p + 1]! + 1) * 8;
            if (nh === IP_PROTO_FRAGMENT) {
              fragment = true;
              meta |= META_FRAGMENT;
              row.ipId = (b[p + 6]! << 8) | b[p + 7]!;
              nonFirst = ((b[p + 2]! << 8) | b[p + 3]!) >> 3 !== 0;
            }
            if (end - p < len) { meta |= META_TRUNCATED; nh = -1; break; }
            nh = b[p]!;
            p += len;
          }
          if (nh < 0) { next = C_STOP; break; }
          row.proto = nh;
          next = nonFirst ? C_DATA : ipNext(nh);
          break;
        }
        case C_TCP: {
          if (avail < 20) { meta |= META_TRUNCATED; next = C_STOP; break; }
          row.sport = (b[p]! << 8) | b[p + 1]!;
          row.dport = (b[p + 2]! << 8) | b[p + 3]!;
          row.seq = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
          row.ack = ((b[p + 8]! << 24) | (b[p + 9]! << 16) | (b[p + 10]! << 8) | b[p + 11]!) >>> 0;
          row.tcpFlags = b[p + 13]!;
          const doff = (b[p + 12]! >> 4) * 4;
          if (doff < 20) { meta |= META_ERROR; next = C_UNDECODED; break; }
          if (avail < doff) { meta |= META_TRUNCATED; next = C_STOP; break; }
          p += doff;
          row.digest = digest(b, p, end);
          next = C_DATA;
          break;
        }
        case C_UDP: {
          if (avail < 8) { meta |= META_TRUNCATED; next = C_STOP; break; }
          const sport = (b[p]! << 8) | b[p + 1]!;
          const dport = (b[p + 2]! << 8) | b[p + 3]!;
          const ulen = (b[p + 4]! << 8) | b[p + 5]!;
          row.sport = sport;
          row.dport = dport;
          if (ulen < 8) { meta |= META_ERROR; p += 8; next = C_UNDECODED; break; }
          if (ulen < avail) end = p + ulen;
          p += 8;
          // A fragment's UDP payload is incomplete: don't walk into an overlay from it.
          const overlay = fragment ? 'payload' : udpPayloadLayer(b, p, end - p, sport, dport, this.opts);
          if (overlay !== 'payload') {
            meta |= META_ENCAPSULATED;
            next = KIND_CODE.get(overlay)!;
          } else {
            row.digest = digest(b, p, end);
            next = C_DATA;
          }
          break;
        }
        case C_ICMP:
        case C_ICMPV6: {
          if (avail < 4) { meta |= META_TRUNCATED; next = C_STOP; break; }
          const v6 = next === C_ICMPV6;
          const type = b[p]!;
          const code = b[p + 1]!;
          row.dport = (type << 8) | code;
          const echo = v6 ? type === 128 || type === 129 : type === 0 || type === 8;
          const error = v6 ? type >= 1 && type <= 4 : type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
          if (avail >= 8) {
            // Echo: identifier and sequence. Frag-needed / packet-too-big: the next-hop MTU.
            if (echo) {
              row.sport = (b[p + 4]! << 8) | b[p + 5]!;
              row.seq = (b[p + 6]! << 8) | b[p + 7]!;
            } else if ((!v6 && type === 3 && code === 4) || (v6 && type === 2)) {
              row.seq = v6 ? ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0 : (b[p + 6]! << 8) | b[p + 7]!;
            }
          } else meta |= META_TRUNCATED;
          // The quoted datagram of an error is decoded lazily, when a flow asks for it.
          if (error) meta |= META_ICMP_ERROR;
          row.digest = digest(b, p + 8, end);
          next = C_STOP;
          break;
        }
        case C_VXLAN:
          if (avail < 8) { meta |= META_TRUNCATED; next = C_STOP; break; }
          p += 8;
          next = C_ETH;
          break;
        case C_GENEVE: {
          if (avail < 8) { meta |= META_TRUNCATED; next = C_STOP; break; }
          const hlen = 8 + (b[p]! & 0x3f) * 4;
          const ptype = (b[p + 2]! << 8) | b[p + 3]!;
          if (avail < hlen) { meta |= META_TRUNCATED; next = C_STOP; break; }
          p += hlen;
          next = etherNext(ptype);
          break;
        }
        case C_FLANNEL:
          next = -1;
          break;
        case C_GRE: {
          if (avail < 4) { meta |= META_TRUNCATED; next = C_STOP; break; }
          const flags = b[p]!;
          const hlen = 4 + (flags & 0x80 ? 4 : 0) + (flags & 0x20 ? 4 : 0) + (flags & 0x10 ? 4 : 0);
          const ptype = (b[p + 2]! << 8) | b[p + 3]!;
          if (avail < hlen) { meta |= META_TRUNCATED; next = C_STOP; break; }
          meta |= META_ENCAPSULATED;
          p += hlen;
          next = etherNext(ptype);
          break;
        }
        default:
          next = C_STOP;
      }
      if (next === C_STOP) break;
    }
    row.meta = meta;
    row.shape = sh.intern(interfaceId);
  }
}

function etherNext(t: number): number {
  switch (t) {
    case ETHERTYPE_IPV4: return C_IPV4;
    case ETHERTYPE_IPV6: return C_IPV6;
    case ETHERTYPE_VLAN: case ETHERTYPE_QINQ: case ETHERTYPE_QINQ_OLD: return C_VLAN;
    case ETHERTYPE_ARP: return C_ARP;
    case ETHERTYPE_TRANSPARENT_ETHERNET: return C_ETH;
    default: return C_DATA;
  }
}

function ipNext(proto: number): number {
  switch (proto) {
    case IP_PROTO_TCP: return C_TCP;
    case IP_PROTO_UDP: return C_UDP;
    case IP_PROTO_ICMP: return C_ICMP;
    case IP_PROTO_ICMPV6: return C_ICMPV6;
    case IP_PROTO_IPV4: return C_IPV4;
    case IP_PROTO_IPV6: return C_IPV6;
    case IP_PROTO_GRE: return C_GRE;
    default: return C_DATA;
  }
}

function digest(b: Uint8Array, p: number, end: number): number {
  let h = 0x811c9dc5;
  const stop = Math.min(end, p + DIGEST_BYTES);
  for (let i = p; i < stop; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (h >>> 16)) & 0xffff;
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text form: lowercase, longest run of zero groups (≥2) compressed. */
export function formatIpv6(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[off + i] ?? 0) << 8) | (b[off + i + 1] ?? 0));
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (x: number[]) => x.map((v) => v.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

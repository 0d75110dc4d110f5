/**
 * The hot path: walk one packet's layers with integer offsets, allocating nothing, down to the
 * innermost IP header (through VLAN tags, VXLAN, Geneve, flannel-in-UDP, GRE, IP-in-IP) and
 * fill one PacketRow: the innermost 5-tuple, IP id/TTL/length, TCP seq/ack/flags, ICMP
 * id/seq, a digest of the first payload bytes, and the interned layer-stack "shape".
 *
 * It follows the same tables and heuristics as decodePacket (the full, allocating decoder used
 * on demand); summarize.test.ts checks the two agree on every packet of every capture.
 */
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MIN, IP_PROTO_NONXT, IP_PROTO_TCP, IP_PROTO_UDP, LINKTYPE_LOOP } from '../protocols/numbers';
import { ETHERTYPE_LAYERS, IP_PROTO_LAYERS, IPV6_EXTENSION_HEADERS, LINKTYPE_LAYERS, LOOPBACK_FAMILY_LAYERS } from './tables';
import { udpPayloadLayer } from './heuristics';
import { LAYER_KINDS, LAYERS } from '../protocols/layers';
import { IPIP, OVERLAYS, overlayOfLayer } from '../protocols/overlays';
import { outermostOverlay, quotedErrorIn, type Encapsulation, type QuotedError } from './encapsulation';
import { formatIpv6 } from './layers/base';
import { decodePacket, type DecodedPacket } from './decode-packet';
import { ARPHRD_NETLINK } from './layers/sll';
import type { DecodeOptions, LayerKind } from './types';
import {
  CUT_DIGEST,
  CUT_TCP_FLAGS,
  META_ENCAPSULATED,
  META_ERROR,
  META_FRAGMENT,
  META_HAS_IP,
  META_ICMP_ERROR,
  META_INNER_IPV6,
  META_TRUNCATED,
  type PacketRow,
} from './packet-index';

const KINDS: readonly LayerKind[] = LAYER_KINDS;
const KIND_CODE = new Map<LayerKind, number>(KINDS.map((k, i) => [k, i]));
// Literal codes (the order of LAYER_KINDS) so the walker's switch compiles to a jump table.
const C_ETH = 0, C_VLAN = 1, C_SLL = 2, C_SLL2 = 3, C_NULL = 4, C_ARP = 5, C_IPV4 = 6, C_IPV6 = 7;
const C_UDP = 8, C_TCP = 9, C_ICMP = 10, C_ICMPV6 = 11, C_VXLAN = 12, C_GENEVE = 13, C_FLANNEL = 14;
const C_GRE = 15, C_DATA = 16, C_UNDECODED = 17;
for (const [code, kind] of [[C_ETH, 'ethernet'], [C_VLAN, 'vlan'], [C_SLL, 'sll'], [C_SLL2, 'sll2'], [C_NULL, 'loopback'], [C_ARP, 'arp'], [C_IPV4, 'ipv4'], [C_IPV6, 'ipv6'], [C_UDP, 'udp'], [C_TCP, 'tcp'], [C_ICMP, 'icmp'], [C_ICMPV6, 'icmpv6'], [C_VXLAN, 'vxlan'], [C_GENEVE, 'geneve'], [C_FLANNEL, 'flannel-udp'], [C_GRE, 'gre'], [C_DATA, 'payload'], [C_UNDECODED, 'undecoded']] as const) {
  if (KINDS[code] !== kind) throw new Error(`summarize: code ${code} is ${KINDS[code]}, not ${kind}`);
}
/** First layer code per link type (-1: IP by version nibble), cached as a plain array. */
const LINK_FIRST: number[] = [];
for (const [lt, kind] of LINKTYPE_LAYERS) LINK_FIRST[lt] = kind === 'ip' ? -1 : KIND_CODE.get(kind as LayerKind)!;

const MAX_LAYERS = 32;
/** Overlay index in OVERLAYS by the layer the UDP dispatch chose, and IP-in-IP's. */
const OVERLAY_CODE = new Map<LayerKind, number>(OVERLAYS.flatMap((o, i) => (o.layer ? [[o.layer, i] as const] : [])));
const IPIP_CODE = OVERLAYS.indexOf(IPIP);
const DIGEST_BYTES = 16;

/**
 * IPv6 has no IP id. The flow label stands in for it in a row's `ipId`: Linux gives each flow
 * its own (net.ipv6.auto_flowlabels), and neither forwarding nor NAT changes it, so two pods'
 * pings with equal sequence numbers stay apart even when the payload is cut off. Folded to 16 bits.
 */
function flowLabelId(label: number): number {
  return (label ^ (label >>> 16)) & 0xffff;
}

/** A packet's shape: its interface, its layer kinds, outer to inner. */
export interface Shape {
  id: number;
  /** The kinds as walker codes, for allocation-free comparison. */
  codes: Uint8Array;
  /**
   * Linux cooked captures (tcpdump -i any): the packet type (0 to us, 1 broadcast,
   * 2 multicast, 3 to another host, 4 sent by us) and, for SLL2, the interface index.
   * -1 when the link layer does not say.
   */
  sllPacketType: number;
  sllIfindex: number;
  /**
   * What the snap length cut off that a whole copy of the packet has (CUT_TCP_FLAGS,
   * CUT_DIGEST; 0 none): fields the correlator cannot match on at this point.
   */
  cut: number;
  interfaceId: number;
  kinds: LayerKind[];
  /** e.g. "eth:ipv4:udp:vxlan:eth:ipv4:icmp" */
  path: string;
  /** The outermost overlay the packets of this shape carry, endpoints and id included. */
  encapsulation: Encapsulation | null;
  /** The same as numbers (ShapeTable's fields), to compare without allocating. */
  encKey: Float64Array | null;
}

/** No overlay seen (ShapeTable.encKind). */
const NO_ENCAP = -1;

/** Slots of ShapeTable's cache of recent shapes, and the shift folding a hash's high bits into its slot. */
const RECENT_MASK = 255;
const RECENT_SHIFT = 8;

/**
 * Interns layer stacks without allocating on the common path: the walker fills `codes`, the
 * table hashes them and compares against the stored stacks.
 */
export class ShapeTable {
  readonly shapes: Shape[] = [];
  private byHash = new Map<number, number[]>();
  /**
   * The shape last found for each slot of hashes: a capture has a handful of stacks, and a
   * packet's is nearly always one already met, found here without the map's lookup.
   */
  private readonly recentHash = new Int32Array(RECENT_MASK + 1);
  private readonly recentId = new Int32Array(RECENT_MASK + 1).fill(-1);
  readonly codes = new Uint8Array(MAX_LAYERS + 1);
  n = 0;
  /** Set by the walker for SLL/SLL2 packets; part of the shape's identity. */
  sllPacketType = -1;
  sllIfindex = -1;
  /** Shape.cut, set by the decoder fallback; part of the shape's identity. */
  cut = 0;
  /**
   * The outermost overlay, set by the walker: its index in OVERLAYS, id and UDP port (-1 when
   * none), and the outer addresses as IPv4 numbers or, with encV6, interned IPv6 ids. Part of
   * the shape's identity, so a shape says which tunnel endpoints its packets went between.
   */
  encKind = NO_ENCAP;
  encVni = -1;
  encPort = -1;
  encSrc = 0;
  encDst = 0;
  encV6 = false;

  constructor(private readonly ipv6Text: (id: number) => string) {}

  reset(): void {
    this.n = 0;
    this.sllPacketType = -1;
    this.sllIfindex = -1;
    this.cut = 0;
    this.encKind = NO_ENCAP;
  }
  /** Records the outermost overlay; later (inner) ones are ignored. */
  encapsulate(kind: number, vni: number, port: number, src: number, dst: number, v6: boolean): void {
    if (this.encKind !== NO_ENCAP) return;
    this.encKind = kind;
    this.encVni = vni;
    this.encPort = port;
    this.encSrc = src;
    this.encDst = dst;
    this.encV6 = v6;
  }
  push(code: number): boolean {
    if (this.n >= MAX_LAYERS) return false;
    this.codes[this.n++] = code;
    return true;
  }
  intern(interfaceId: number): number {
    let h = 0x811c9dc5 ^ interfaceId;
    h = Math.imul(h ^ this.sllPacketType, 0x01000193);
    h = Math.imul(h ^ this.sllIfindex, 0x01000193);
    if (this.cut !== 0) h = Math.imul(h ^ (this.cut << 8), 0x01000193);
    if (this.encKind !== NO_ENCAP) {
      h = Math.imul(h ^ this.encKind, 0x01000193);
      h = Math.imul(h ^ this.encVni, 0x01000193);
      h = Math.imul(h ^ this.encPort, 0x01000193);
      h = Math.imul(h ^ this.encSrc, 0x01000193);
      h = Math.imul(h ^ this.encDst, 0x01000193);
    }
    for (let i = 0; i < this.n; i++) h = Math.imul(h ^ this.codes[i]!, 0x01000193);
    const slot = (h ^ (h >>> RECENT_SHIFT)) & RECENT_MASK;
    const recent = this.recentId[slot]!;
    if (recent >= 0 && this.recentHash[slot] === h && this.isShape(this.shapes[recent]!, interfaceId)) return recent;
    const ids = this.byHash.get(h);
    if (ids) {
      for (const id of ids) {
        if (!this.isShape(this.shapes[id]!, interfaceId)) continue;
        this.recentHash[slot] = h;
        this.recentId[slot] = id;
        return id;
      }
    }
    const kinds = Array.from(this.codes.subarray(0, this.n), (c) => KINDS[c]!);
    const id = this.shapes.length;
    if (id > 0xffff) return 0xffff; // the column is 16 bits; 65,536 distinct stacks is hostile input
    this.shapes.push({
      id,
      codes: this.codes.slice(0, this.n),
      interfaceId,
      sllPacketType: this.sllPacketType,
      sllIfindex: this.sllIfindex,
      cut: this.cut,
      kinds,
      path: kinds.map((k) => LAYERS[k].short).join(':'),
      encapsulation: this.encapsulation(),
      encKey: this.encKey(),
    });
    if (ids) ids.push(id);
    else this.byHash.set(h, [id]);
    this.recentHash[slot] = h;
    this.recentId[slot] = id;
    return id;
  }

  /** Whether shape `s` is the stack the walker holds, on interface `interfaceId`. */
  private isShape(s: Shape, interfaceId: number): boolean {
    if (s.interfaceId !== interfaceId || s.codes.length !== this.n) return false;
    if (s.sllPacketType !== this.sllPacketType || s.sllIfindex !== this.sllIfindex || s.cut !== this.cut) return false;
    if (!this.sameEncapsulation(s.encKey)) return false;
    for (let i = 0; i < this.n; i++) if (s.codes[i] !== this.codes[i]) return false;
    return true;
  }

  private addressText(v: number, v6: boolean): string {
    return v6 ? this.ipv6Text(v) : formatIpv4(v);
  }

  private encapsulation(): Encapsulation | null {
    if (this.encKind === NO_ENCAP) return null;
    return {
      kind: OVERLAYS[this.encKind]!.kind,
      vni: this.encVni < 0 ? null : this.encVni,
      port: this.encPort < 0 ? null : this.encPort,
      outerSrc: this.addressText(this.encSrc, this.encV6),
      outerDst: this.addressText(this.encDst, this.encV6),
    };
  }

  /** The walker's overlay fields as stored on a shape, for allocation-free comparison. */
  private encKey(): Float64Array | null {
    if (this.encKind === NO_ENCAP) return null;
    return Float64Array.of(this.encKind, this.encVni, this.encPort, this.encSrc, this.encDst, this.encV6 ? 1 : 0);
  }

  private sameEncapsulation(k: Float64Array | null): boolean {
    if (k === null || this.encKind === NO_ENCAP) return k === null && this.encKind === NO_ENCAP;
    return k[0] === this.encKind && k[1] === this.encVni && k[2] === this.encPort && k[3] === this.encSrc && k[4] === this.encDst && k[5] === (this.encV6 ? 1 : 0);
  }
}

/**
 * A summarizer bound to one set of decode options. `summarize` fills `row` (all fields except
 * dataOffset/tsNs/meta bits that the caller owns) and returns nothing; it never throws.
 */
export class Summarizer {
  /** Interned IPv6 addresses: id → text. */
  readonly ipv6: string[] = [];
  readonly shapes = new ShapeTable((id) => this.ipv6[id] ?? '?');
  /** The ICMP error the last packet summarized was, with what it quotes; null for any other packet. */
  lastError: QuotedError | null = null;
  private ipv6Ids = new Map<string, number>();
  /** Packets that took the decoder fallback (for tests and the benchmark). */
  slowPackets = 0;
  /** The wire length of the packet being summarized, for the decoder fallback. */
  private origLen = 0;

  /**
   * @param digests false: the payload digest is not taken (rows that are only counted, never
   * matched: its bytes are the only ones past the headers the summary reads).
   */
  constructor(
    private readonly opts: DecodeOptions = {},
    digests = true,
  ) {
    this.digestBytes = digests ? DIGEST_BYTES : 0;
  }

  /** Payload bytes digested: DIGEST_BYTES, or none. */
  private readonly digestBytes: number;

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
   * caller's; every other field is set here. Never throws. `origLen`, the packet's length on the
   * wire, only matters for an IP header that declares length 0 (TSO/GSO, BIG TCP): its ipLen is
   * then the wire length, as tshark's ip.len, clamped to 65535.
   *
   * The fast path walks well-formed, fully captured headers only. Anything else — a header cut
   * short, an impossible length, IPv4 options, IPv6 extension headers, ICMP errors, ARP,
   * Geneve, GRE — is handed to decodePacket and the row is read off its layers, so the
   * summarizer and the full decoder cannot disagree on the odd packet.
   */
  summarize(b: Uint8Array, start: number, capLen: number, linkType: number, interfaceId: number, row: PacketRow, origLen = capLen): void {
    this.origLen = origLen;
    const sh = this.shapes;
    sh.reset();
    this.lastError = null;
    let end = start + capLen;
    row.src = row.dst = row.sport = row.dport = row.seq = row.ack = 0;
    row.ipId = row.ipLen = row.digest = row.proto = row.tcpFlags = row.ttl = 0;
    let meta = 0;
    let p = start;
    let ipCount = 0;
    // -1: IP by its version nibble (raw-IP link types, flannel's UDP payload).
    let next = (linkType >= 0 ? LINK_FIRST[linkType] : undefined) ?? C_UNDECODED;

    // One generic loop, one case per layer kind; the next kind comes from the same tables
    // decodePacket follows. `break` out of the switch continues the walk; SLOW leaves it.
    walk: for (let depth = 0; ; depth++) {
      if (depth >= MAX_LAYERS - 1) return this.slow(b, start, capLen, linkType, interfaceId, row);
      if (next === -1) {
        const v = p < end ? b[p]! >> 4 : 0;
        next = v === 4 ? C_IPV4 : v === 6 ? C_IPV6 : SLOW;
      }
      if (next === C_DATA) {
        if (p < end) sh.push(C_DATA);
        break;
      }
      if (next === SLOW || next === C_UNDECODED) return this.slow(b, start, capLen, linkType, interfaceId, row);
      const avail = end - p;
      sh.push(next);
      switch (next) {
        case C_ETH: {
          if (avail < 14) return this.slow(b, start, capLen, linkType, interfaceId, row);
          const t = (b[p + 12]! << 8) | b[p + 13]!;
          if (t < ETHERTYPE_MIN) return this.slow(b, start, capLen, linkType, interfaceId, row); // 802.3 length
          next = etherNext(t);
          p += 14;
          break;
        }
        case C_VLAN: {
          if (avail < 4) return this.slow(b, start, capLen, linkType, interfaceId, row);
          const t = (b[p + 2]! << 8) | b[p + 3]!;
          if (t < ETHERTYPE_MIN) return this.slow(b, start, capLen, linkType, interfaceId, row);
          next = etherNext(t);
          p += 4;
          break;
        }
        case C_SLL:
          if (avail < 16 || ((b[p + 2]! << 8) | b[p + 3]!) === ARPHRD_NETLINK) return this.slow(b, start, capLen, linkType, interfaceId, row);
          sh.sllPacketType = (b[p]! << 8) | b[p + 1]!;
          next = etherNext((b[p + 14]! << 8) | b[p + 15]!);
          p += 16;
          break;
        case C_SLL2:
          if (avail < 20 || ((b[p + 8]! << 8) | b[p + 9]!) === ARPHRD_NETLINK) return this.slow(b, start, capLen, linkType, interfaceId, row);
          sh.sllPacketType = b[p + 10]!;
          sh.sllIfindex = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
          next = etherNext((b[p]! << 8) | b[p + 1]!);
          p += 20;
          break;
        case C_NULL: {
          if (avail < 4) return this.slow(b, start, capLen, linkType, interfaceId, row);
          // DLT_NULL's family is in the writer's byte order, DLT_LOOP's in network order.
          const le = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
          const be = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
          const k = LOOPBACK_FAMILY_LAYERS.get(linkType === LINKTYPE_LOOP ? be : le <= 0xffff ? le : be);
          next = k ? KIND_CODE.get(k)! : C_DATA;
          p += 4;
          break;
        }
        case C_IPV4: {
          if (avail < 20 || b[p]! !== 0x45) return this.slow(b, start, capLen, linkType, interfaceId, row); // options or worse
          let total = (b[p + 2]! << 8) | b[p + 3]!;
          let ipLen = total;
          if (total < 20 || total > avail) {
            if (total !== 0) return this.slow(b, start, capLen, linkType, interfaceId, row);
            // TSO/GSO: total length 0, the packet runs to the end of what encloses it.
            total = avail;
            ipLen = wireLength(avail, p + avail === start + capLen, capLen, origLen);
          }
          if (++ipCount > 1) {
            meta |= META_ENCAPSULATED; // IP-in-IP, or IP inside an overlay
            sh.encapsulate(IPIP_CODE, -1, -1, row.src, row.dst, (meta & META_INNER_IPV6) !== 0);
          }
          meta = (meta | META_HAS_IP) & ~(META_INNER_IPV6 | META_FRAGMENT);
          const frag = ((b[p + 6]! << 8) | b[p + 7]!) & 0x3fff; // MF and fragment offset
          row.ipLen = ipLen;
          row.ipId = (b[p + 4]! << 8) | b[p + 5]!;
          row.ttl = b[p + 8]!;
          row.proto = b[p + 9]!;
          row.src = ((b[p + 12]! << 24) | (b[p + 13]! << 16) | (b[p + 14]! << 8) | b[p + 15]!) >>> 0;
          row.dst = ((b[p + 16]! << 24) | (b[p + 17]! << 16) | (b[p + 18]! << 8) | b[p + 19]!) >>> 0;
          row.sport = row.dport = row.seq = row.ack = row.tcpFlags = row.digest = 0;
          if (frag !== 0) meta |= META_FRAGMENT;
          end = p + total; // Ethernet padding is not payload
          p += 20;
          next = (frag & 0x1fff) !== 0 ? C_DATA : ipNext(row.proto);
          break;
        }
        case C_IPV6: {
          if (avail < 40 || b[p]! >> 4 !== 6) return this.slow(b, start, capLen, linkType, interfaceId, row);
          let plen = (b[p + 4]! << 8) | b[p + 5]!;
          const nh = b[p + 6]!;
          let ipLen = plen + 40;
          if (plen === 0 || 40 + plen > avail || IPV6_EXTENSION_HEADERS.has(nh)) {
            if (plen !== 0 || avail <= 40 || nh === IP_PROTO_NONXT || IPV6_EXTENSION_HEADERS.has(nh)) return this.slow(b, start, capLen, linkType, interfaceId, row);
            // BIG TCP: payload length 0 and no jumbo option, the packet runs to the end of what encloses it.
            plen = avail - 40;
            ipLen = wireLength(avail, p + avail === start + capLen, capLen, origLen);
          }
          if (++ipCount > 1) {
            meta |= META_ENCAPSULATED;
            sh.encapsulate(IPIP_CODE, -1, -1, row.src, row.dst, (meta & META_INNER_IPV6) !== 0);
          }
          meta = (meta | META_HAS_IP | META_INNER_IPV6) & ~META_FRAGMENT;
          row.ipLen = ipLen > 0xffff ? 0xffff : ipLen;
          row.ipId = flowLabelId(((b[p + 1]! & 0x0f) << 16) | (b[p + 2]! << 8) | b[p + 3]!);
          row.ttl = b[p + 7]!;
          row.proto = nh;
          row.src = this.internIpv6(b, p + 8);
          row.dst = this.internIpv6(b, p + 24);
          row.sport = row.dport = row.seq = row.ack = row.tcpFlags = row.digest = 0;
          end = p + 40 + plen;
          p += 40;
          next = ipNext(nh);
          break;
        }
        case C_TCP: {
          const doff = avail >= 20 ? (b[p + 12]! >> 4) * 4 : 0;
          if (doff < 20 || doff > avail) return this.slow(b, start, capLen, linkType, interfaceId, row);
          row.sport = (b[p]! << 8) | b[p + 1]!;
          row.dport = (b[p + 2]! << 8) | b[p + 3]!;
          row.seq = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
          row.ack = ((b[p + 8]! << 24) | (b[p + 9]! << 16) | (b[p + 10]! << 8) | b[p + 11]!) >>> 0;
          row.tcpFlags = b[p + 13]!;
          p += doff;
          row.digest = digest(b, p, end, this.digestBytes);
          next = C_DATA;
          break;
        }
        case C_UDP: {
          const ulen = avail >= 8 ? (b[p + 4]! << 8) | b[p + 5]! : 0;
          if (ulen < 8 || ulen > avail) return this.slow(b, start, capLen, linkType, interfaceId, row);
          const sport = (b[p]! << 8) | b[p + 1]!;
          const dport = (b[p + 2]! << 8) | b[p + 3]!;
          row.sport = sport;
          row.dport = dport;
          end = p + ulen;
          p += 8;
          const overlay = udpPayloadLayer(b, p, end - p, sport, dport, this.opts);
          row.digest = digest(b, p, end, this.digestBytes); // an inner IP header, if any, replaces it
          if (overlay === 'payload') {
            next = C_DATA;
          } else {
            meta |= META_ENCAPSULATED;
            next = KIND_CODE.get(overlay)!;
            // VXLAN's VNI sits in bytes 4-6 of its header; the other UDP overlays take the slow path or have none.
            const vni = next === C_VXLAN && end - p >= 8 ? (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]! : -1;
            sh.encapsulate(OVERLAY_CODE.get(overlay)!, vni, dport, row.src, row.dst, (meta & META_INNER_IPV6) !== 0);
          }
          break;
        }
        case C_ICMP: {
          if (avail < 8) return this.slow(b, start, capLen, linkType, interfaceId, row);
          const type = b[p]!;
          // Errors quote the datagram that caused them: the decoder walks the quote.
          if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) return this.slow(b, start, capLen, linkType, interfaceId, row);
          row.dport = (type << 8) | b[p + 1]!;
          if (type === 0 || type === 8) {
            row.sport = (b[p + 4]! << 8) | b[p + 5]!;
            row.seq = (b[p + 6]! << 8) | b[p + 7]!;
          }
          p += 8;
          row.digest = digest(b, p, end, this.digestBytes);
          next = C_DATA;
          break;
        }
        case C_ICMPV6: {
          const type = avail >= 8 ? b[p]! : 0;
          if (type !== 128 && type !== 129) return this.slow(b, start, capLen, linkType, interfaceId, row);
          row.dport = (type << 8) | b[p + 1]!;
          row.sport = (b[p + 4]! << 8) | b[p + 5]!;
          row.seq = (b[p + 6]! << 8) | b[p + 7]!;
          p += 8;
          row.digest = digest(b, p, end, this.digestBytes);
          next = C_DATA;
          break;
        }
        case C_VXLAN:
          if (avail < 8) return this.slow(b, start, capLen, linkType, interfaceId, row);
          p += 8;
          next = C_ETH;
          break;
        case C_FLANNEL:
          next = -1;
          break;
        default:
          // ARP, Geneve, GRE, FOU, GUE, NSH, ERSPAN: rare on the hot path, and their decoders check more than lengths.
          return this.slow(b, start, capLen, linkType, interfaceId, row);
      }
      continue walk;
    }
    row.meta = meta;
    row.shape = sh.intern(interfaceId);
  }

  /** The row from a full decode: the reference the fast path is tested against. */
  summarizeDecoded(packet: DecodedPacket, data: Uint8Array, interfaceId: number, row: PacketRow, origLen = data.length): void {
    const sh = this.shapes;
    sh.reset();
    row.src = row.dst = row.sport = row.dport = row.seq = row.ack = 0;
    row.ipId = row.ipLen = row.digest = row.proto = row.tcpFlags = row.ttl = 0;
    let meta = packet.truncated ? META_TRUNCATED : 0;
    let ips = 0;
    this.lastError = null;
    const enc = outermostOverlay(packet.layers);
    if (enc) {
      const v6 = enc.outer.kind === 'ipv6';
      const at = enc.outer.offset + (v6 ? 8 : 12);
      const src = v6 ? this.internIpv6(data, at) : ipv4Number(data, at);
      const dst = v6 ? this.internIpv6(data, at + 16) : ipv4Number(data, at + 4);
      sh.encapsulate(OVERLAYS.indexOf(enc.spec), enc.id ?? -1, enc.port ?? -1, src, dst, v6);
    }
    for (const l of packet.layers) {
      if (l.quoted) continue;
      sh.push(KIND_CODE.get(l.kind)!);
      switch (l.kind) {
        case 'sll':
          sh.sllPacketType = l.packetType;
          break;
        case 'sll2':
          sh.sllPacketType = l.packetType;
          sh.sllIfindex = l.interfaceIndex;
          break;
        case 'ipv4':
          if (++ips > 1) meta |= META_ENCAPSULATED;
          meta = (meta | META_HAS_IP) & ~(META_INNER_IPV6 | META_FRAGMENT | META_ICMP_ERROR);
          if (l.moreFragments || l.fragmentOffset !== 0) meta |= META_FRAGMENT;
          row.src = ipv4Number(data, l.offset + 12);
          row.dst = ipv4Number(data, l.offset + 16);
          row.ipId = l.id;
          row.ipLen = l.totalLength !== 0 ? l.totalLength : wireLength(l.headerLength + l.payload.length, l.offset + l.headerLength + l.payload.length === data.length, data.length, origLen);
          row.ttl = l.ttl;
          row.proto = l.protocol;
          row.sport = row.dport = row.seq = row.ack = row.tcpFlags = row.digest = 0;
          sh.cut = 0;
          break;
        case 'ipv6':
          if (++ips > 1) meta |= META_ENCAPSULATED;
          meta = (meta | META_HAS_IP | META_INNER_IPV6) & ~(META_FRAGMENT | META_ICMP_ERROR);
          if (l.fragment) meta |= META_FRAGMENT;
          row.src = this.internIpv6(data, l.offset + 8);
          row.dst = this.internIpv6(data, l.offset + 24);
          row.ipId = l.fragment ? l.fragment.identification & 0xffff : flowLabelId(l.flowLabel);
          row.ipLen = Math.min(ipv6Length(l, data.length, origLen), 0xffff);
          row.ttl = l.hopLimit;
          row.proto = l.finalNextHeader;
          row.sport = row.dport = row.seq = row.ack = row.tcpFlags = row.digest = 0;
          sh.cut = 0;
          break;
        case 'tcp':
          row.sport = l.srcPort;
          row.dport = l.dstPort;
          row.seq = l.seq;
          row.ack = l.ack;
          row.tcpFlags = l.flags & 0xff;
          row.digest = digestOf(l.payload);
          sh.cut = packet.truncated ? (l.header.length < 14 ? CUT_TCP_FLAGS | CUT_DIGEST : digestCut(l.payload)) : 0;
          break;
        case 'udp':
          row.sport = l.srcPort;
          row.dport = l.dstPort;
          row.digest = digestOf(l.payload);
          sh.cut = packet.truncated ? digestCut(l.payload) : 0;
          break;
        case 'arp':
          // The row keeps who asks for whom: seq the sender's IPv4 address, ack the target's,
          // tcpFlags the operation (1 request, 2 reply). src and dst stay the innermost IP's.
          if (l.protocolType === 0x0800 && l.protocolLength === 4) {
            const spa = l.offset + 8 + l.hardwareLength;
            row.seq = ipv4Number(data, spa) >>> 0;
            row.ack = ipv4Number(data, spa + 4 + l.hardwareLength) >>> 0;
            row.tcpFlags = l.opcode & 0xff;
          }
          break;
        case 'icmp':
        case 'icmpv6': {
          row.dport = (l.type << 8) | l.code;
          const echo = l.kind === 'icmp' ? l.type === 0 || l.type === 8 : l.type === 128 || l.type === 129;
          if (echo) {
            row.sport = l.identifier ?? 0;
            row.seq = l.sequence ?? 0;
          } else row.sport = 0;
          if (l.isError) {
            meta |= META_ICMP_ERROR;
            this.lastError = quotedErrorIn(packet.layers);
            // Frag-needed and packet-too-big carry the next-hop MTU the sender should use.
            row.seq = (l.kind === 'icmp' ? (l.type === 3 && l.code === 4 ? l.nextHopMtu : 0) : l.type === 2 ? l.mtu : 0) ?? 0;
          }
          // Neighbour solicitation and advertisement: `ack` holds the target address (its
          // interned IPv6 id, as src and dst hold theirs, plus one: 0 is none; read it with
          // neighbourTarget): whom the node is looking for, or who answers.
          if (l.kind === 'icmpv6' && (l.type === 135 || l.type === 136) && l.targetAddress !== undefined) row.ack = this.internIpv6(data, l.offset + 8) + 1;
          row.digest = digestOf(l.payload);
          // Echoes are matched on their digest; errors and neighbour discovery are not.
          sh.cut = packet.truncated && echo ? digestCut(l.payload) : 0;
          break;
        }
        case 'undecoded':
          // Only an impossible value that stopped the walk counts; a bad TCP option does not.
          if (l.reason === 'malformed') meta |= META_ERROR;
          break;
        default:
          if (overlayOfLayer(l.kind)) meta |= META_ENCAPSULATED;
      }
    }
    row.meta = meta;
    row.shape = sh.intern(interfaceId);
  }

  private slow(b: Uint8Array, start: number, capLen: number, linkType: number, interfaceId: number, row: PacketRow): void {
    this.slowPackets++;
    const data = b.subarray(start, start + capLen);
    this.summarizeDecoded(decodePacket(data, linkType, this.opts), data, interfaceId, row, this.origLen);
  }
}

/** Walker code for "leave the fast path". */
const SLOW = 0xfe;

/**
 * The length of an IP packet that declares 0 (TSO/GSO, BIG TCP): its captured bytes, plus what
 * the capture cut off when it runs to the end of the frame, as tshark's ip.len; at most 65535,
 * the index's 16 bits.
 */
function wireLength(captured: number, runsToEnd: boolean, capLen: number, origLen: number): number {
  const n = captured + (runsToEnd && origLen > capLen ? origLen - capLen : 0);
  return n > 0xffff ? 0xffff : n;
}

/** An IPv6 packet's length: declared, from a Jumbo Payload option, or (BIG TCP) from the frame. */
function ipv6Length(l: Extract<DecodedPacket['layers'][number], { kind: 'ipv6' }>, capLen: number, origLen: number): number {
  if (l.payloadLength !== 0) return l.payloadLength + 40;
  if (l.jumboPayloadLength !== undefined) return l.jumboPayloadLength + 40;
  const captured = l.headerLength + l.payload.length;
  return wireLength(captured, l.offset + captured === capLen, capLen, origLen);
}

function ipv4Number(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** A cut packet's payload digested over fewer bytes than a whole copy's: CUT_DIGEST, else 0. */
function digestCut(payload: Uint8Array): number {
  return payload.length < DIGEST_BYTES ? CUT_DIGEST : 0;
}

function digestOf(payload: Uint8Array): number {
  return digest(payload, 0, payload.length);
}

// The dispatch tables as walker codes. The two commonest answers are tested first so the
// usual packet never reaches a Map lookup.
const ETHER_CODES = new Map<number, number>([...ETHERTYPE_LAYERS].map(([t, k]) => [t, KIND_CODE.get(k)!]));
const PROTO_CODES = new Map<number, number>([...IP_PROTO_LAYERS].map(([t, k]) => [t, KIND_CODE.get(k)!]));

function etherNext(t: number): number {
  if (t === ETHERTYPE_IPV4) return C_IPV4;
  if (t === ETHERTYPE_IPV6) return C_IPV6;
  return ETHER_CODES.get(t) ?? C_DATA;
}

function ipNext(proto: number): number {
  if (proto === IP_PROTO_TCP) return C_TCP;
  if (proto === IP_PROTO_UDP) return C_UDP;
  return PROTO_CODES.get(proto) ?? C_DATA;
}

function digest(b: Uint8Array, p: number, end: number, bytes = DIGEST_BYTES): number {
  let h = 0x811c9dc5;
  const stop = Math.min(end, p + bytes);
  for (let i = p; i < stop; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (h >>> 16)) & 0xffff;
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

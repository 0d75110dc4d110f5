/**
 * Byte-level recognisers for overlays on ports the tables do not name. Ports are hints
 * (Wireshark's "Decode As" and heuristic dissectors): a capture of a cluster that moved VXLAN
 * to another port is still VXLAN. Each recogniser is strict enough that ordinary UDP payloads
 * (DNS, DHCP, QUIC, JSON) fail it, and none allocates: the indexer calls them per packet. The
 * overlay registry (overlays.ts) says which recogniser belongs to which overlay, and in which
 * order they are tried.
 */
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_NSH,
  ETHERTYPE_QINQ,
  ETHERTYPE_TRANSPARENT_ETHERNET,
  ETHERTYPE_VLAN,
  GRE_PROTO_ERSPAN_II,
  GRE_PROTO_ERSPAN_III,
  IP_PROTO_AH,
  IP_PROTO_DSTOPTS,
  IP_PROTO_FRAGMENT,
  IP_PROTO_GRE,
  IP_PROTO_HOPOPT,
  IP_PROTO_ICMPV6,
  IP_PROTO_IPV4,
  IP_PROTO_IPV6,
  IP_PROTO_ROUTING,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  VXLAN_GPE_NEXT_ETHERNET,
  VXLAN_GPE_NEXT_IPV4,
  VXLAN_GPE_NEXT_IPV6,
  VXLAN_GPE_NEXT_MPLS,
  VXLAN_GPE_NEXT_NSH,
} from './numbers';

const ETHERNET_HEADER_LEN = 14;
const VXLAN_HEADER_LEN = 8;
const GENEVE_HEADER_LEN = 8;
const GUE_HEADER_LEN = 4;
const NSH_MIN_HEADER_LEN = 8;
const IPV4_MIN_HEADER_LEN = 20;
const IPV6_HEADER_LEN = 40;

function u16(buf: Uint8Array, offset: number): number {
  return ((buf[offset] ?? 0) << 8) | (buf[offset + 1] ?? 0);
}

/** The EtherTypes an overlay's inner frame plausibly carries. */
function isInnerEtherType(t: number): boolean {
  return t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6 || t === ETHERTYPE_ARP || t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ;
}

/**
 * An Ethernet header with a unicast source MAC (a source is never a group address, IEEE 802
 * §8.2) and a known EtherType; for IP, the next byte must carry the matching version.
 */
export function looksLikeEthernetFrame(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < ETHERNET_HEADER_LEN || offset + length > buf.length) return false;
  if (((buf[offset + 6] ?? 0) & 0x01) !== 0) return false;
  const type = u16(buf, offset + 12);
  if (!isInnerEtherType(type)) return false;
  if (length > ETHERNET_HEADER_LEN && (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6)) {
    const version = (buf[offset + ETHERNET_HEADER_LEN] ?? 0) >> 4;
    return version === (type === ETHERTYPE_IPV4 ? 4 : 6);
  }
  return true;
}

/** RFC 1071 one's-complement sum over an IPv4 header; true when it verifies. */
export function ipv4HeaderChecksumOk(buf: Uint8Array, offset: number, headerLength: number): boolean {
  if (headerLength < IPV4_MIN_HEADER_LEN || offset + headerLength > buf.length) return false;
  let sum = 0;
  for (let i = 0; i < headerLength; i += 2) sum += u16(buf, offset + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

function isPlausibleIpv6Next(nh: number): boolean {
  return (
    nh === IP_PROTO_TCP ||
    nh === IP_PROTO_UDP ||
    nh === IP_PROTO_ICMPV6 ||
    nh === IP_PROTO_HOPOPT ||
    nh === IP_PROTO_ROUTING ||
    nh === IP_PROTO_FRAGMENT ||
    nh === IP_PROTO_DSTOPTS ||
    nh === IP_PROTO_AH ||
    nh === IP_PROTO_GRE ||
    nh === IP_PROTO_IPV4 ||
    nh === IP_PROTO_IPV6
  );
}

/**
 * A whole raw IPv4 or IPv6 packet filling exactly `length` bytes: version, IHL ≥ 5, total
 * length equal to `length` and a valid header checksum (the kernel always computes the IPv4
 * header checksum in software, so a forwarded packet's verifies); for IPv6, payload length + 40
 * equal to `length` and a next header a host would send.
 */
export function looksLikeRawIpPacket(buf: Uint8Array, offset: number, length: number): boolean {
  if (offset + length > buf.length || length < IPV4_MIN_HEADER_LEN) return false;
  const b0 = buf[offset] ?? 0;
  const version = b0 >> 4;
  if (version === 4) {
    const ihl = (b0 & 0x0f) * 4;
    if (ihl < IPV4_MIN_HEADER_LEN || ihl > length) return false;
    if (u16(buf, offset + 2) !== length) return false;
    return ipv4HeaderChecksumOk(buf, offset, ihl);
  }
  if (version === 6) {
    if (length < IPV6_HEADER_LEN) return false;
    if (u16(buf, offset + 4) + IPV6_HEADER_LEN !== length) return false;
    return isPlausibleIpv6Next(buf[offset + 6] ?? 0) && (buf[offset + 7] ?? 0) !== 0;
  }
  return false;
}

/**
 * VXLAN (RFC 7348 §5): flags 0x08 (the I flag alone), the 24 reserved bits after it and the
 * last reserved byte zero, then an Ethernet frame (see looksLikeEthernetFrame). With the Group
 * Based Policy extension (draft-smith-vxlan-group-policy-05) the flags are 0x88 (G and I), the
 * next octet may carry D (0x40) and A (0x08) and the next two the Group Policy ID. VXLAN-GPE
 * always sets P (0x04) and never G (its two top bits are reserved), so neither is taken for the
 * other.
 */
export function looksLikeVxlan(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN || offset + length > buf.length) return false;
  const flags = buf[offset];
  if (flags === 0x08) {
    if ((buf[offset + 1] ?? 1) !== 0 || (buf[offset + 2] ?? 1) !== 0 || (buf[offset + 3] ?? 1) !== 0) return false;
  } else if (flags === 0x88) {
    if (((buf[offset + 1] ?? 1) & ~0x48) !== 0) return false;
  } else return false;
  if ((buf[offset + 7] ?? 1) !== 0) return false;
  return looksLikeEthernetFrame(buf, offset + VXLAN_HEADER_LEN, length - VXLAN_HEADER_LEN);
}

/**
 * VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe-13): R bits and Ver zero with I and P set (so never
 * VXLAN's lone I, 0x08), the reserved bits zero, then what Next Protocol names: a raw IPv4 or
 * IPv6 packet filling the rest exactly, an Ethernet frame, or an NSH that passes
 * looksLikeNsh. MPLS (5) is not decoded, so its bytes cannot be checked: only port 4790 says
 * it is VXLAN-GPE.
 */
export function looksLikeVxlanGpe(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < VXLAN_HEADER_LEN || offset + length > buf.length) return false;
  if (((buf[offset] ?? 0) & 0xfc) !== 0x0c) return false;
  if ((buf[offset + 1] ?? 1) !== 0 || (buf[offset + 2] ?? 1) !== 0 || (buf[offset + 7] ?? 1) !== 0) return false;
  return looksLikeNext(buf[offset + 3] ?? 0, buf, offset + VXLAN_HEADER_LEN, length - VXLAN_HEADER_LEN, true);
}

/** What a VXLAN-GPE or NSH Next Protocol (the same numbers) names, checked as looksLikeVxlanGpe says. */
function looksLikeNext(next: number, buf: Uint8Array, inner: number, rest: number, nshAllowed: boolean): boolean {
  switch (next) {
    case VXLAN_GPE_NEXT_IPV4:
      return (buf[inner] ?? 0) >> 4 === 4 && looksLikeRawIpPacket(buf, inner, rest);
    case VXLAN_GPE_NEXT_IPV6:
      return (buf[inner] ?? 0) >> 4 === 6 && looksLikeRawIpPacket(buf, inner, rest);
    case VXLAN_GPE_NEXT_ETHERNET:
      return looksLikeEthernetFrame(buf, inner, rest);
    case VXLAN_GPE_NEXT_NSH:
      return nshAllowed && looksLikeNsh(buf, inner, rest);
    default:
      return false;
  }
}

/**
 * NSH (RFC 8300 §2.2): version 0, MD type 1 with Length 6 or MD type 2 with Length at least 2,
 * the header within `length`, then IPv4, IPv6 or Ethernet as Next Protocol says, checked as
 * looksLikeVxlanGpe checks them (NSH in NSH is not followed).
 */
export function looksLikeNsh(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < NSH_MIN_HEADER_LEN || offset + length > buf.length) return false;
  const w0 = u16(buf, offset);
  if (w0 >> 14 !== 0) return false;
  const words = w0 & 0x3f;
  const mdType = (buf[offset + 2] ?? 0) & 0x0f;
  if (!((mdType === 1 && words === 6) || (mdType === 2 && words >= 2))) return false;
  const headerLength = words * 4;
  if (headerLength > length) return false;
  return looksLikeNext(buf[offset + 3] ?? 0, buf, offset + headerLength, length - headerLength, false);
}

/**
 * flannel's UDP backend has no header of its own: the UDP payload is the IP packet flanneld
 * read from flannel0, so "a plausible raw IP packet of exactly this length" is the test.
 */
export function looksLikeFlannelUdp(buf: Uint8Array, offset: number, length: number): boolean {
  return looksLikeRawIpPacket(buf, offset, length);
}

/**
 * Geneve (RFC 8926 §3.4): version 0, the six reserved flag bits and the reserved byte zero, a
 * protocol type we decode, options that tile the option length exactly, then an inner frame
 * or packet that looks like its protocol type says.
 */
export function looksLikeGeneve(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < GENEVE_HEADER_LEN || offset + length > buf.length) return false;
  const b0 = buf[offset] ?? 0;
  if (b0 >> 6 !== 0) return false;
  if (((buf[offset + 1] ?? 0) & 0x3f) !== 0) return false;
  if ((buf[offset + 7] ?? 1) !== 0) return false;
  const proto = u16(buf, offset + 2);
  if (proto !== ETHERTYPE_TRANSPARENT_ETHERNET && proto !== ETHERTYPE_IPV4 && proto !== ETHERTYPE_IPV6) return false;
  const optEnd = offset + GENEVE_HEADER_LEN + (b0 & 0x3f) * 4;
  if (optEnd > offset + length) return false;
  let p = offset + GENEVE_HEADER_LEN;
  while (p < optEnd) {
    if (p + 4 > optEnd) return false;
    const b3 = buf[p + 3] ?? 0;
    if (b3 >> 5 !== 0) return false;
    p += 4 + (b3 & 0x1f) * 4;
  }
  if (p !== optEnd) return false;
  const inner = offset + length - optEnd;
  if (proto === ETHERTYPE_TRANSPARENT_ETHERNET) return looksLikeEthernetFrame(buf, optEnd, inner);
  if (inner < 1) return false;
  return (buf[optEnd] ?? 0) >> 4 === (proto === ETHERTYPE_IPV4 ? 4 : 6);
}

/** GRE Protocol Types a tunnel plausibly carries: IP, bridged Ethernet, ERSPAN, NSH. */
function isGreCarried(t: number): boolean {
  return (
    t === ETHERTYPE_IPV4 ||
    t === ETHERTYPE_IPV6 ||
    t === ETHERTYPE_TRANSPARENT_ETHERNET ||
    t === GRE_PROTO_ERSPAN_II ||
    t === GRE_PROTO_ERSPAN_III ||
    t === ETHERTYPE_NSH
  );
}

/**
 * A GRE header as Linux sends it (RFC 2784, RFC 2890): version 0, no RFC 1701 routing, strict
 * source route, recursion or reserved flag bits, its optional fields within `length`, and a
 * Protocol Type a tunnel carries. What FOU with `ipproto 47` puts in its UDP payload.
 */
export function looksLikeGreHeader(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < 4 || offset + length > buf.length) return false;
  const b0 = buf[offset] ?? 0;
  if ((b0 & 0x4f) !== 0 || (buf[offset + 1] ?? 1) !== 0) return false;
  const optional = ((b0 & 0x80) !== 0 ? 4 : 0) + ((b0 & 0x20) !== 0 ? 4 : 0) + ((b0 & 0x10) !== 0 ? 4 : 0);
  return 4 + optional <= length && isGreCarried(u16(buf, offset + 2));
}

/**
 * GUE variant 0 on a port nothing names (draft-ietf-intarea-gue-09 §3.1): a data message (C
 * clear) whose extension fields fit, carrying IPv4 or IPv6 (Proto/ctype 4 or 41) as a whole raw
 * packet filling the rest exactly (see looksLikeRawIpPacket). Variant 1 is a bare IP packet,
 * which flannel's recogniser already claims; control messages are left to the GUE ports.
 */
export function looksLikeGue(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < GUE_HEADER_LEN || offset + length > buf.length) return false;
  const b0 = buf[offset] ?? 0;
  if ((b0 & 0xe0) !== 0) return false;
  const headerLength = GUE_HEADER_LEN + (b0 & 0x1f) * 4;
  if (headerLength >= length) return false;
  const proto = buf[offset + 1];
  const inner = offset + headerLength;
  if (proto === IP_PROTO_IPV4) return (buf[inner] ?? 0) >> 4 === 4 && looksLikeRawIpPacket(buf, inner, length - headerLength);
  if (proto === IP_PROTO_IPV6) return (buf[inner] ?? 0) >> 4 === 6 && looksLikeRawIpPacket(buf, inner, length - headerLength);
  return false;
}

/**
 * On a port FOU and GUE share (Linux's examples use 5555 for both), whether the payload is
 * FOU's: a bare IPv4 or IPv6 packet by its version nibble, or a GRE header (FOU with ipproto
 * 47). GUE's variant 1 is the same bytes; on a shared port they are called FOU.
 */
export function fouClaims(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < 1 || offset + length > buf.length) return false;
  const version = (buf[offset] ?? 0) >> 4;
  return version === 4 || version === 6 || looksLikeGreHeader(buf, offset, length);
}

/**
 * On a port FOU and GUE share, whether the payload is a GUE header: variant 0, extension fields
 * that fit, and a non-zero Proto/ctype (0 is reserved as a control type and is IPv6 hop-by-hop
 * options as a protocol, which never travels alone; a GRE header's second octet is 0).
 */
export function gueClaims(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < GUE_HEADER_LEN || offset + length > buf.length) return false;
  if ((buf[offset] ?? 0) >> 6 !== 0) return false;
  return GUE_HEADER_LEN + ((buf[offset] ?? 0) & 0x1f) * 4 <= length && (buf[offset + 1] ?? 0) !== 0;
}

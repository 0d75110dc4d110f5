/**
 * Bytes on the wire: one IPv4 packet as its sender wrote it, and the frames each capture point
 * records of it — the plain frame (pod veth, cni0, eth0 for underlay traffic), the frame between
 * the two VTEP MACs (flannel.1), and the VXLAN packet (eth0):
 *
 *   Ethernet[IPv4[UDP 8472[VXLAN VNI 1[Ethernet vtep→vtep[IPv4 TTL−1[TCP | UDP | ICMP]]]]]]
 *
 * A point may see the packet with its TTL lowered (each routing step takes one) and with its
 * addresses and ports rewritten (DNAT, MASQUERADE): the IPv4 header checksum is recomputed and
 * the TCP/UDP checksum updated incrementally (RFC 1624), as netfilter does.
 */
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  FLANNEL_VNI,
  FLANNEL_VXLAN_PORT,
  IP_PROTO_ICMP,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  UNDERLAY_MTU,
} from './cluster';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../protocols/numbers';

export const ETHERNET_HEADER = 14;
export const IPV4_HEADER = 20;
export const UDP_HEADER = 8;
export const VXLAN_HEADER = 8;
export const ICMP_HEADER = 8;
/** 20 bytes + NOP, NOP, Timestamps: what Linux puts on every segment after the handshake. */
export const TCP_HEADER = 32;
/** 20 bytes + MSS, SACK permitted, Timestamps, NOP, window scale: Linux's SYN and SYN-ACK. */
export const TCP_SYN_HEADER = 40;
export const VXLAN_OVERHEAD = ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER + VXLAN_HEADER;
/** Frames that arrive from a wire are padded to Ethernet's 60-byte minimum (FCS stripped). */
const MIN_WIRE_FRAME = 60;
const ARP_FRAME = ETHERNET_HEADER + 28;

export { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN };

/** Addresses and ports of a packet (ports 0 for ICMP). */
export interface Tuple {
  src: number;
  sport: number;
  dst: number;
  dport: number;
}

/** Sum of the big-endian 16-bit words of buf[start, end), an odd last byte padded with zero. */
export function wordSum(buf: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** RFC 1071: fold the carries back in and complement. */
export function checksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** RFC 1624 eqn. 3: the checksum after one 16-bit word changed from `from` to `to`. */
function adjust(sum: number, from: number, to: number): number {
  let s = (~sum & 0xffff) + (~from & 0xffff) + to;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function pseudoSum(src: number, dst: number, proto: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + length;
}

export interface TcpFields {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** 'syn' writes the SYN options (MSS, SACK permitted, timestamps, window scale). */
  options: 'syn' | 'ts';
  mss: number;
  wscale: number;
  tsval: number;
  tsecr: number;
}

/**
 * The packet being sent, in one reusable buffer: IPv4 header at 0, no options (Linux sends
 * none), the transport header at 20. Fill it with one of the builders, then render it.
 */
export class Packet {
  readonly bytes = new Uint8Array(UNDERLAY_MTU);
  private readonly dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  length = 0;
  proto = 0;
  tuple: Tuple = { src: 0, sport: 0, dst: 0, dport: 0 };

  private ipv4(totalLength: number, id: number, dontFragment: boolean, proto: number, t: Tuple): void {
    const dv = this.dv;
    dv.setUint8(0, 0x45);
    dv.setUint8(1, 0);
    dv.setUint16(2, totalLength);
    dv.setUint16(4, id & 0xffff);
    dv.setUint16(6, dontFragment ? 0x4000 : 0);
    dv.setUint8(8, 64);
    dv.setUint8(9, proto);
    dv.setUint16(10, 0);
    dv.setUint32(12, t.src);
    dv.setUint32(16, t.dst);
    dv.setUint16(10, checksum(wordSum(this.bytes, 0, IPV4_HEADER)));
    this.length = totalLength;
    this.proto = proto;
    this.tuple = t;
  }

  /** A TCP segment; `fill` writes the payload bytes at the given offset. */
  tcp(t: Tuple, id: number, f: TcpFields, payloadLength: number, fill?: (buf: Uint8Array, at: number) => void): void {
    const header = f.options === 'syn' ? TCP_SYN_HEADER : TCP_HEADER;
    const tcpLength = header + payloadLength;
    this.ipv4(IPV4_HEADER + tcpLength, id, true, IP_PROTO_TCP, t);
    const dv = this.dv;
    const o = IPV4_HEADER;
    dv.setUint16(o, t.sport);
    dv.setUint16(o + 2, t.dport);
    dv.setUint32(o + 4, f.seq >>> 0);
    dv.setUint32(o + 8, f.flags & TCP_ACK ? f.ack >>> 0 : 0);
    dv.setUint16(o + 12, ((header / 4) << 12) | f.flags);
    dv.setUint16(o + 14, f.window);
    dv.setUint32(o + 16, 0); // checksum, urgent pointer
    if (f.options === 'syn') {
      // MSS, SACK permitted, Timestamps, NOP, window scale: Linux's order.
      dv.setUint16(o + 20, 0x0204);
      dv.setUint16(o + 22, f.mss);
      dv.setUint16(o + 24, 0x0402);
      dv.setUint16(o + 26, 0x080a);
      dv.setUint32(o + 28, f.tsval >>> 0);
      dv.setUint32(o + 32, f.tsecr >>> 0);
      dv.setUint32(o + 36, 0x01030300 | f.wscale);
    } else {
      dv.setUint32(o + 20, 0x0101080a);
      dv.setUint32(o + 24, f.tsval >>> 0);
      dv.setUint32(o + 28, f.tsecr >>> 0);
    }
    if (payloadLength > 0) fill?.(this.bytes, o + header);
    const sum = pseudoSum(t.src, t.dst, IP_PROTO_TCP, tcpLength) + wordSum(this.bytes, o, o + tcpLength);
    dv.setUint16(o + 16, checksum(sum));
  }

  /** A UDP datagram with its checksum computed (Linux computes it for pod traffic). */
  udp(t: Tuple, id: number, payloadLength: number, fill: (buf: Uint8Array, at: number) => void): void {
    const udpLength = UDP_HEADER + payloadLength;
    this.ipv4(IPV4_HEADER + udpLength, id, true, IP_PROTO_UDP, t);
    const dv = this.dv;
    const o = IPV4_HEADER;
    dv.setUint16(o, t.sport);
    dv.setUint16(o + 2, t.dport);
    dv.setUint16(o + 4, udpLength);
    dv.setUint16(o + 6, 0);
    fill(this.bytes, o + UDP_HEADER);
    const sum = checksum(pseudoSum(t.src, t.dst, IP_PROTO_UDP, udpLength) + wordSum(this.bytes, o, o + udpLength));
    dv.setUint16(o + 6, sum === 0 ? 0xffff : sum);
  }

  /**
   * An ICMP echo request (type 8, DF set, as ping sends it) or reply (type 0, DF clear, as the
   * kernel answers); `fill` writes the echoed data.
   */
  icmpEcho(t: Tuple, id: number, type: 0 | 8, ident: number, seq: number, dataLength: number, fill: (buf: Uint8Array, at: number) => void): void {
    const icmpLength = ICMP_HEADER + dataLength;
    this.ipv4(IPV4_HEADER + icmpLength, id, type === 8, IP_PROTO_ICMP, { src: t.src, sport: 0, dst: t.dst, dport: 0 });
    const dv = this.dv;
    const o = IPV4_HEADER;
    dv.setUint8(o, type);
    dv.setUint8(o + 1, 0);
    dv.setUint16(o + 2, 0);
    dv.setUint16(o + 4, ident);
    dv.setUint16(o + 6, seq);
    fill(this.bytes, o + ICMP_HEADER);
    dv.setUint16(o + 2, checksum(wordSum(this.bytes, o, o + icmpLength)));
  }
}

function writeEthernet(out: Uint8Array, off: number, dst: Uint8Array, src: Uint8Array, type: number): number {
  out.set(dst, off);
  out.set(src, off + 6);
  out[off + 12] = type >>> 8;
  out[off + 13] = type & 0xff;
  return off + ETHERNET_HEADER;
}

/** Copies the packet to out[off…], lowers its TTL and applies a rewrite, fixing checksums. */
function writeIp(out: Uint8Array, off: number, p: Packet, ttlDrop: number, rw: Tuple | null): void {
  out.set(p.bytes.subarray(0, p.length), off);
  if (ttlDrop === 0 && rw === null) return;
  out[off + 8] = out[off + 8]! - ttlDrop;
  if (rw !== null) {
    const t = p.tuple;
    const l4 = off + IPV4_HEADER;
    const at = p.proto === IP_PROTO_TCP ? l4 + 16 : p.proto === IP_PROTO_UDP ? l4 + 6 : -1;
    // ICMP has no pseudo-header; a UDP checksum of 0 means "none" and stays 0.
    let sum = at >= 0 ? (out[at]! << 8) | out[at + 1]! : 0;
    const fix = at >= 0 && sum !== 0;
    const words: [number, number][] = [
      [t.src >>> 16, rw.src >>> 16],
      [t.src & 0xffff, rw.src & 0xffff],
      [t.dst >>> 16, rw.dst >>> 16],
      [t.dst & 0xffff, rw.dst & 0xffff],
    ];
    if (at >= 0) words.push([t.sport, rw.sport], [t.dport, rw.dport]);
    for (const [from, to] of words) if (from !== to && fix) sum = adjust(sum, from, to);
    if (fix) {
      if (p.proto === IP_PROTO_UDP && sum === 0) sum = 0xffff;
      out[at] = sum >>> 8;
      out[at + 1] = sum & 0xff;
    }
    writeU32(out, off + 12, rw.src);
    writeU32(out, off + 16, rw.dst);
    if (at >= 0) {
      writeU16(out, l4, rw.sport);
      writeU16(out, l4 + 2, rw.dport);
    }
  }
  out[off + 10] = 0;
  out[off + 11] = 0;
  writeU16(out, off + 10, checksum(wordSum(out, off, off + IPV4_HEADER)));
}

function writeU16(out: Uint8Array, off: number, v: number): void {
  out[off] = (v >>> 8) & 0xff;
  out[off + 1] = v & 0xff;
}

function writeU32(out: Uint8Array, off: number, v: number): void {
  out[off] = v >>> 24;
  out[off + 1] = (v >>> 16) & 0xff;
  out[off + 2] = (v >>> 8) & 0xff;
  out[off + 3] = v & 0xff;
}

/** Ethernet[IPv4[…]]: the packet as a pod veth, cni0, flannel.1 or a plain eth0 records it. */
export function renderFrame(p: Packet, dstMac: Uint8Array, srcMac: Uint8Array, ttlDrop: number, rw: Tuple | null): Uint8Array {
  const out = new Uint8Array(ETHERNET_HEADER + p.length);
  writeEthernet(out, 0, dstMac, srcMac, ETHERTYPE_IPV4);
  writeIp(out, ETHERNET_HEADER, p, ttlDrop, rw);
  return out;
}

export interface VxlanOuter {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  src: number;
  dst: number;
  /** Outer IPv4 id: DF is clear, so the kernel's per-destination counter picks it. */
  id: number;
  /** Outer UDP source port, from the inner flow's hash. */
  sport: number;
  innerSrcMac: Uint8Array;
  innerDstMac: Uint8Array;
}

/**
 * Ethernet[IPv4[UDP 8472[VXLAN[Ethernet[IPv4[…]]]]]]: outer TTL 64, DF clear (the inner packet
 * keeps its DF), UDP checksum 0 (flannel creates flannel.1 with `noudpcsum`), VXLAN flags I.
 */
export function renderVxlan(p: Packet, outer: VxlanOuter, ttlDrop: number, rw: Tuple | null): Uint8Array {
  const inner = ETHERNET_HEADER + p.length;
  const udpLength = UDP_HEADER + VXLAN_HEADER + inner;
  const out = new Uint8Array(VXLAN_OVERHEAD + inner);
  let o = writeEthernet(out, 0, outer.dstMac, outer.srcMac, ETHERTYPE_IPV4);
  out[o] = 0x45;
  writeU16(out, o + 2, IPV4_HEADER + udpLength);
  writeU16(out, o + 4, outer.id & 0xffff);
  out[o + 8] = 64;
  out[o + 9] = IP_PROTO_UDP;
  writeU32(out, o + 12, outer.src);
  writeU32(out, o + 16, outer.dst);
  writeU16(out, o + 10, checksum(wordSum(out, o, o + IPV4_HEADER)));
  o += IPV4_HEADER;
  writeU16(out, o, outer.sport);
  writeU16(out, o + 2, FLANNEL_VXLAN_PORT);
  writeU16(out, o + 4, udpLength);
  o += UDP_HEADER;
  out[o] = 0x08; // I flag: the VNI is valid
  writeU32(out, o + 4, FLANNEL_VNI << 8);
  o += VXLAN_HEADER;
  o = writeEthernet(out, o, outer.innerDstMac, outer.innerSrcMac, ETHERTYPE_IPV4);
  writeIp(out, o, p, ttlDrop, rw);
  return out;
}

/**
 * An ARP request (op 1) or reply (op 2). Frames that came in from a wire are padded to 60
 * bytes; frames sent by the capturing host, or crossing only veths and bridges, are 42.
 */
export function arpFrame(dstMac: Uint8Array, srcMac: Uint8Array, op: 1 | 2, spa: number, tpa: number, tha: Uint8Array, padded: boolean): Uint8Array {
  const out = new Uint8Array(padded ? MIN_WIRE_FRAME : ARP_FRAME);
  const o = writeEthernet(out, 0, dstMac, srcMac, ETHERTYPE_ARP);
  writeU16(out, o, 1); // Ethernet
  writeU16(out, o + 2, ETHERTYPE_IPV4);
  out[o + 4] = 6;
  out[o + 5] = 4;
  writeU16(out, o + 6, op);
  out.set(srcMac, o + 8);
  writeU32(out, o + 14, spa);
  out.set(tha, o + 18);
  writeU32(out, o + 24, tpa);
  return out;
}

/**
 * The VXLAN source port Linux picks (udp_flow_src_port): the inner flow's hash, which the flow
 * dissector makes the same in both directions, keyed per boot, scaled into the ephemeral range.
 */
export function vxlanSourcePort(key: number, proto: number, t: Tuple, low: number, high: number): number {
  const a = t.src * 65536 + t.sport;
  const b = t.dst * 65536 + t.dport;
  const [s, sp, d, dp] = a <= b ? [t.src, t.sport, t.dst, t.dport] : [t.dst, t.dport, t.src, t.sport];
  let h = key ^ proto;
  for (const v of [s, sp, d, dp]) {
    h = Math.imul(h ^ v, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
  }
  h ^= h >>> 13;
  h = (h ^ (h << 16)) >>> 0;
  return low + Math.floor((h * (high - low)) / 0x1_0000_0000);
}

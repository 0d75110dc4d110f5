/**
 * A deterministic, realistic capture for the benchmark: what tcpdump records on one node's eth0
 * (node1, 192.168.56.11) of a four-node flannel VXLAN cluster on a VirtualBox host-only network.
 *
 *   30%  Ethernet[IPv4[UDP 8472[VXLAN VNI 1[Ethernet[IPv4[ICMP echo / echo reply]]]]]]
 *   30%  Ethernet[IPv4[UDP 8472[VXLAN VNI 1[Ethernet[IPv4[TCP]]]]]]   pod ↔ pod
 *   40%  Ethernet[IPv4[TCP]]                                          node ↔ node, host → node
 *
 * Lengths and IPv4/ICMP/TCP checksums are correct (payload sums come from prefix tables, so they
 * cost nothing per byte); the outer UDP checksum is 0, as the Linux VXLAN driver sends it.
 * Packet i depends only on packets before it, never on the requested count, so the file of N
 * packets is a prefix of the file of M > N packets.
 */
import { mulberry32 } from '../util/prng';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PCAP_FILE_HEADER_LENGTH, PcapWriter } from '../capture/pcap-writer';

/** Bump whenever the bytes generated for a given count change, so cached files are rebuilt. */
export const BENCH_GENERATOR_VERSION = 1;
export const DEFAULT_BENCH_PACKETS = 1_000_000;
export const BENCH_SEED = 0x4f50_4843;
export const BENCH_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench-data');

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const IP_PROTO_ICMP = 1;
const IP_PROTO_TCP = 6;
const IP_PROTO_UDP = 17;
/** flannel's VXLAN port (the kernel's pre-IANA default), not 4789. */
const UDP_PORT_FLANNEL_VXLAN = 8472;
const FLANNEL_VNI = 1;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const TCP_FLAG_PSH = 0x08;
const TCP_FLAG_ACK = 0x10;

const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const VXLAN_HEADER = 8;
const ICMP_HEADER = 8;
/** 20 bytes + NOP, NOP, Timestamps (kind 8, length 10): what Linux sends on every segment. */
const TCP_HEADER = 32;
const MAX_FRAME = 1514;
/** flannel.1 has MTU 1450: 1500 minus the 50 bytes of outer Ethernet, IPv4, UDP and VXLAN. */
const OVERLAY_MTU = 1450;
const MSS_UNDERLAY = 1500 - IPV4_HEADER - TCP_HEADER;
const MSS_OVERLAY = OVERLAY_MTU - IPV4_HEADER - TCP_HEADER;
const MAX_PING_PAYLOAD = OVERLAY_MTU - IPV4_HEADER - ICMP_HEADER;
/** Linux ping puts a struct timeval (two 64-bit words) first, then bytes 0x10, 0x11, … */
const PING_TIMEVAL = 16;
/** Linux picks the VXLAN source port from a flow hash within the ephemeral port range. */
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;

const CAPTURE_START_US = 1_700_000_000 * 1_000_000 + 123_456;
const DEFAULT_CHUNK_SIZE = 1 << 20;

export { mulberry32 };

interface Node {
  ip: number;
  mac: Uint8Array;
  /** flannel.1's MAC: inner frames go from one node's VTEP MAC to the other's. */
  vtepMac: Uint8Array;
  podNet: number;
}

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
}

const NODES: readonly Node[] = [
  { ip: ipv4(192, 168, 56, 10), mac: mac('08:00:27:3a:5c:10'), vtepMac: mac('a6:1e:4b:09:7d:c2'), podNet: ipv4(10, 244, 0, 0) },
  { ip: ipv4(192, 168, 56, 11), mac: mac('08:00:27:8e:21:f4'), vtepMac: mac('ce:6f:1a:b3:40:5e'), podNet: ipv4(10, 244, 1, 0) },
  { ip: ipv4(192, 168, 56, 12), mac: mac('08:00:27:d1:07:9b'), vtepMac: mac('1a:c4:82:f7:2e:93'), podNet: ipv4(10, 244, 2, 0) },
  { ip: ipv4(192, 168, 56, 13), mac: mac('08:00:27:45:b8:6a'), vtepMac: mac('5e:90:d3:6c:a1:08'), podNet: ipv4(10, 244, 3, 0) },
];
/** The capture runs on this node's eth0, so it is one end of every packet. */
const CAPTURE_NODE = 1;
/** The VirtualBox host on the host-only network: where ssh and kubectl come from. */
const VBOX_HOST: Node = { ip: ipv4(192, 168, 56, 1), mac: mac('0a:00:27:00:00:00'), vtepMac: new Uint8Array(6), podNet: 0 };

function captureNode(): Node {
  const node = NODES[CAPTURE_NODE];
  if (!node) throw new Error('capture node missing');
  return node;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function randInt(rand: () => number, low: number, high: number): number {
  return low + Math.floor(rand() * (high - low + 1));
}

interface Side {
  node: Node;
  ip: number;
  port: number;
  seq: number;
  ipId: number;
  window: number;
  tsBase: number;
  /** Outer UDP source port of VXLAN packets this side sends. */
  vxlanPort: number;
}

interface TcpFlow {
  overlay: boolean;
  sides: [Side, Side];
  /** Which side sends the bulk of the data; the other mostly ACKs. */
  bulk: 0 | 1;
  mss: number;
  /** The last acknowledgement number each side sent: a pure ACK only goes out for new data. */
  acked: [number, number];
}

interface PingFlow {
  sides: [Side, Side];
  id: number;
  seq: number;
  payloadLength: number;
  awaitingReply: boolean;
  tvSec: number;
  tvUsec: number;
}

function makeSide(rand: () => number, node: Node, ip: number, port: number): Side {
  return {
    node,
    ip,
    port,
    seq: Math.floor(rand() * 0x1_0000_0000),
    ipId: randInt(rand, 0, 0xffff),
    window: pick(rand, [502, 501, 1002, 2048, 24576, 64240, 65535]),
    tsBase: Math.floor(rand() * 0x1_0000_0000),
    vxlanPort: randInt(rand, EPHEMERAL_LOW, EPHEMERAL_HIGH),
  };
}

function remoteNode(rand: () => number): Node {
  return pick(
    rand,
    NODES.filter((_, i) => i !== CAPTURE_NODE),
  );
}

function podIp(rand: () => number, node: Node): number {
  return (node.podNet | randInt(rand, 2, 60)) >>> 0;
}

function makeOverlayTcpFlow(rand: () => number): TcpFlow {
  const local = captureNode();
  const remote = remoteNode(rand);
  const serverPort = pick(rand, [443, 8443, 6379, 5432, 3306, 9090, 50051, 2379]);
  const client = makeSide(rand, local, podIp(rand, local), randInt(rand, EPHEMERAL_LOW, EPHEMERAL_HIGH));
  const server = makeSide(rand, remote, podIp(rand, remote), serverPort);
  const sides: [Side, Side] = rand() < 0.5 ? [client, server] : [server, client];
  return { overlay: true, sides, bulk: rand() < 0.7 ? 1 : 0, mss: MSS_OVERLAY, acked: [sides[1].seq, sides[0].seq] };
}

function makeUnderlayTcpFlow(rand: () => number): TcpFlow {
  const local = captureNode();
  const kind = rand();
  let client: Side;
  let server: Side;
  if (kind < 0.4) {
    // kubelet, kube-proxy and flanneld watching the API server.
    const master = NODES[0] ?? local;
    client = makeSide(rand, local, local.ip, randInt(rand, EPHEMERAL_LOW, EPHEMERAL_HIGH));
    server = makeSide(rand, master, master.ip, 6443);
  } else if (kind < 0.7) {
    // The API server or Prometheus reaching kubelet, node-exporter.
    const peer = remoteNode(rand);
    client = makeSide(rand, peer, peer.ip, randInt(rand, EPHEMERAL_LOW, EPHEMERAL_HIGH));
    server = makeSide(rand, local, local.ip, pick(rand, [10250, 9100, 10249]));
  } else {
    client = makeSide(rand, VBOX_HOST, VBOX_HOST.ip, randInt(rand, 49152, 65535));
    server = makeSide(rand, local, local.ip, pick(rand, [22, 30080, 6443]));
  }
  const sides: [Side, Side] = [client, server];
  return { overlay: false, sides, bulk: rand() < 0.75 ? 1 : 0, mss: MSS_UNDERLAY, acked: [sides[1].seq, sides[0].seq] };
}

function makePingFlow(rand: () => number): PingFlow {
  const local = captureNode();
  const remote = remoteNode(rand);
  const a = makeSide(rand, local, podIp(rand, local), 0);
  const b = makeSide(rand, remote, podIp(rand, remote), 0);
  const sides: [Side, Side] = rand() < 0.5 ? [a, b] : [b, a];
  // Mostly `ping -s SIZE` probing the overlay MTU, some default 56-byte pings.
  const payloadLength = rand() < 0.3 ? 56 : randInt(rand, 0, MAX_PING_PAYLOAD);
  return { sides, id: randInt(rand, 1, 0xffff), seq: 1, payloadLength, awaitingReply: false, tvSec: 0, tvUsec: 0 };
}

/** Sum of the big-endian 16-bit words of buf[start, end), an odd last byte padded with zero. */
function wordSum(buf: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
  if (i < end) sum += (buf[i] ?? 0) << 8;
  return sum;
}

/** RFC 1071: fold the carries back in and complement. */
function checksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** Bytes with their 16-bit word prefix sums, so the checksum of any even-aligned run is O(1). */
class SummedPattern {
  readonly bytes: Uint8Array;
  private readonly prefix: Float64Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.prefix = new Float64Array((bytes.length >> 1) + 1);
    for (let w = 0; w < bytes.length >> 1; w++) {
      this.prefix[w + 1] = (this.prefix[w] ?? 0) + (((bytes[2 * w] ?? 0) << 8) | (bytes[2 * w + 1] ?? 0));
    }
  }

  /** Word sum of bytes[start, start+length); `start` must be even. */
  sum(start: number, length: number): number {
    const w0 = start >> 1;
    const words = length >> 1;
    let s = (this.prefix[w0 + words] ?? 0) - (this.prefix[w0] ?? 0);
    if (length & 1) s += (this.bytes[start + length - 1] ?? 0) << 8;
    return s;
  }
}

/** Writes frames into one reusable 1514-byte buffer. */
class FrameBuilder {
  readonly frame = new Uint8Array(MAX_FRAME);
  private readonly dv = new DataView(this.frame.buffer, this.frame.byteOffset, this.frame.byteLength);
  private readonly tcpPayload: SummedPattern;
  private readonly pingPayload: SummedPattern;
  private readonly rand: () => number;

  constructor(rand: () => number) {
    this.rand = rand;
    const random = new Uint8Array(65536 + 2048);
    for (let i = 0; i < random.length; i++) random[i] = Math.floor(rand() * 256);
    this.tcpPayload = new SummedPattern(random);
    this.pingPayload = new SummedPattern(Uint8Array.from({ length: MAX_PING_PAYLOAD }, (_, i) => i & 0xff));
  }

  private ethernet(off: number, dst: Uint8Array, src: Uint8Array): number {
    this.frame.set(dst, off);
    this.frame.set(src, off + 6);
    this.dv.setUint16(off + 12, ETHERTYPE_IPV4);
    return off + ETHERNET_HEADER;
  }

  private ipv4(off: number, totalLength: number, id: number, dontFragment: boolean, protocol: number, src: number, dst: number): number {
    const dv = this.dv;
    dv.setUint8(off, 0x45);
    dv.setUint8(off + 1, 0);
    dv.setUint16(off + 2, totalLength);
    dv.setUint16(off + 4, id);
    dv.setUint16(off + 6, dontFragment ? 0x4000 : 0);
    dv.setUint8(off + 8, 64);
    dv.setUint8(off + 9, protocol);
    dv.setUint16(off + 10, 0);
    dv.setUint32(off + 12, src);
    dv.setUint32(off + 16, dst);
    dv.setUint16(off + 10, checksum(wordSum(this.frame, off, off + IPV4_HEADER)));
    return off + IPV4_HEADER;
  }

  /** Outer Ethernet, IPv4, UDP and VXLAN around an inner frame of `innerLength` bytes. */
  private vxlan(from: Side, to: Side, innerLength: number): number {
    let off = this.ethernet(0, to.node.mac, from.node.mac);
    const udpLength = UDP_HEADER + VXLAN_HEADER + innerLength;
    // Outer DF clear, inner DF set: what the kernel's VXLAN driver does by default.
    off = this.ipv4(off, IPV4_HEADER + udpLength, from.node === captureNode() ? this.nextOuterId() : randInt(this.rand, 0, 0xffff), false, IP_PROTO_UDP, from.node.ip, to.node.ip);
    this.dv.setUint16(off, from.vxlanPort);
    this.dv.setUint16(off + 2, UDP_PORT_FLANNEL_VXLAN);
    this.dv.setUint16(off + 4, udpLength);
    this.dv.setUint16(off + 6, 0);
    off += UDP_HEADER;
    this.dv.setUint32(off, 0x08000000);
    this.dv.setUint32(off + 4, FLANNEL_VNI << 8);
    off += VXLAN_HEADER;
    return this.ethernet(off, to.node.vtepMac, from.node.vtepMac);
  }

  private outerId = 0x2f31;
  private nextOuterId(): number {
    this.outerId = (this.outerId + 1) & 0xffff;
    return this.outerId;
  }

  /** Returns the frame length. */
  tcp(flow: TcpFlow, from: 0 | 1, payloadLength: number, timeUs: number): number {
    const src = flow.sides[from];
    const dst = flow.sides[from === 0 ? 1 : 0];
    const ipLength = IPV4_HEADER + TCP_HEADER + payloadLength;
    let off = flow.overlay ? this.vxlan(src, dst, ETHERNET_HEADER + ipLength) : this.ethernet(0, dst.node.mac, src.node.mac);
    src.ipId = (src.ipId + 1) & 0xffff;
    off = this.ipv4(off, ipLength, src.ipId, true, IP_PROTO_TCP, src.ip, dst.ip);

    const tcp = off;
    const dv = this.dv;
    const flags = TCP_FLAG_ACK | (payloadLength > 0 && payloadLength < flow.mss ? TCP_FLAG_PSH : 0);
    const ms = Math.floor(timeUs / 1000);
    dv.setUint16(tcp, src.port);
    dv.setUint16(tcp + 2, dst.port);
    dv.setUint32(tcp + 4, src.seq);
    dv.setUint32(tcp + 8, dst.seq);
    flow.acked[from] = dst.seq;
    dv.setUint16(tcp + 12, ((TCP_HEADER / 4) << 12) | flags);
    dv.setUint16(tcp + 14, src.window);
    dv.setUint16(tcp + 16, 0);
    dv.setUint16(tcp + 18, 0);
    dv.setUint32(tcp + 20, 0x0101080a);
    dv.setUint32(tcp + 24, (src.tsBase + ms) >>> 0);
    dv.setUint32(tcp + 28, (dst.tsBase + ms - 1) >>> 0);
    src.seq = (src.seq + payloadLength) >>> 0;

    const patternStart = 2 * randInt(this.rand, 0, (this.tcpPayload.bytes.length - payloadLength) >> 1);
    this.frame.set(this.tcpPayload.bytes.subarray(patternStart, patternStart + payloadLength), tcp + TCP_HEADER);
    const tcpLength = TCP_HEADER + payloadLength;
    const pseudo = (src.ip >>> 16) + (src.ip & 0xffff) + (dst.ip >>> 16) + (dst.ip & 0xffff) + IP_PROTO_TCP + tcpLength;
    const sum = pseudo + wordSum(this.frame, tcp, tcp + TCP_HEADER) + this.tcpPayload.sum(patternStart, payloadLength);
    dv.setUint16(tcp + 16, checksum(sum));
    return tcp + tcpLength;
  }

  /** An echo request (reply false) from side 0 or the echo reply from side 1. */
  ping(flow: PingFlow, reply: boolean): number {
    const src = flow.sides[reply ? 1 : 0];
    const dst = flow.sides[reply ? 0 : 1];
    const icmpLength = ICMP_HEADER + flow.payloadLength;
    const ipLength = IPV4_HEADER + icmpLength;
    let off = this.vxlan(src, dst, ETHERNET_HEADER + ipLength);
    src.ipId = (src.ipId + 1) & 0xffff;
    off = this.ipv4(off, ipLength, src.ipId, true, IP_PROTO_ICMP, src.ip, dst.ip);

    const icmp = off;
    const dv = this.dv;
    dv.setUint8(icmp, reply ? ICMP_ECHO_REPLY : ICMP_ECHO_REQUEST);
    dv.setUint8(icmp + 1, 0);
    dv.setUint16(icmp + 2, 0);
    dv.setUint16(icmp + 4, flow.id);
    dv.setUint16(icmp + 6, flow.seq);
    const data = icmp + ICMP_HEADER;
    const head = Math.min(flow.payloadLength, PING_TIMEVAL);
    this.frame.set(this.pingPayload.bytes.subarray(0, flow.payloadLength), data);
    if (head === PING_TIMEVAL) {
      // struct timeval in the sender's (little-endian) byte order; the reply echoes it.
      dv.setUint32(data, flow.tvSec, true);
      dv.setUint32(data + 4, 0, true);
      dv.setUint32(data + 8, flow.tvUsec, true);
      dv.setUint32(data + 12, 0, true);
    }
    const sum = wordSum(this.frame, icmp, data + head) + this.pingPayload.sum(head, flow.payloadLength - head);
    dv.setUint16(icmp + 2, checksum(sum));
    return data + flow.payloadLength;
  }
}

export interface BenchCaptureOptions {
  seed?: number;
  /** Size of the chunks yielded (each a new buffer, safe to keep); default 1 MiB. */
  chunkSize?: number;
}

/**
 * The benchmark capture as classic-pcap chunks (microsecond, Ethernet), generated lazily: only
 * one chunk is in memory at a time unless the caller keeps them.
 */
export function* generateBenchCapture(packets: number, opts: BenchCaptureOptions = {}): Generator<Uint8Array, void, undefined> {
  if (!Number.isInteger(packets) || packets < 0) throw new RangeError(`packet count must be a non-negative integer, got ${packets}`);
  const chunkSize = Math.max(opts.chunkSize ?? DEFAULT_CHUNK_SIZE, PCAP_FILE_HEADER_LENGTH + 16 + MAX_FRAME);
  const rand = mulberry32(opts.seed ?? BENCH_SEED);
  const builder = new FrameBuilder(rand);
  const pings = Array.from({ length: 48 }, () => makePingFlow(rand));
  const overlayTcp = Array.from({ length: 64 }, () => makeOverlayTcpFlow(rand));
  const underlayTcp = Array.from({ length: 64 }, () => makeUnderlayTcpFlow(rand));

  const writer = new PcapWriter();
  let chunk = new Uint8Array(chunkSize);
  chunk.set(writer.header(LINKTYPE_ETHERNET));
  let used = PCAP_FILE_HEADER_LENGTH;
  let timeUs = CAPTURE_START_US;

  for (let i = 0; i < packets; i++) {
    timeUs += randInt(rand, 1, 20);
    const r = rand();
    let length: number;
    if (r < 0.3) {
      const flow = pick(rand, pings);
      if (flow.awaitingReply) {
        length = builder.ping(flow, true);
        flow.awaitingReply = false;
        flow.seq = (flow.seq + 1) & 0xffff;
      } else {
        flow.tvSec = Math.floor(timeUs / 1_000_000);
        flow.tvUsec = timeUs % 1_000_000;
        length = builder.ping(flow, false);
        flow.awaitingReply = true;
      }
    } else {
      const flow = r < 0.6 ? pick(rand, overlayTcp) : pick(rand, underlayTcp);
      const other: 0 | 1 = flow.bulk === 0 ? 1 : 0;
      const kind = rand();
      if (kind < 0.35 && flow.acked[other] !== flow.sides[flow.bulk].seq) {
        length = builder.tcp(flow, other, 0, timeUs);
      } else if (kind >= 0.35 && kind < 0.42) {
        length = builder.tcp(flow, other, randInt(rand, 40, 600), timeUs);
      } else {
        const payload = rand() < 0.6 ? flow.mss : randInt(rand, 1, flow.mss);
        length = builder.tcp(flow, flow.bulk, payload, timeUs);
      }
    }

    if (used + 16 + length > chunk.length) {
      yield chunk.subarray(0, used);
      chunk = new Uint8Array(chunkSize);
      used = 0;
    }
    used += writer.recordInto(chunk, used, Math.floor(timeUs / 1_000_000), (timeUs % 1_000_000) * 1000, builder.frame.subarray(0, length));
  }
  if (used > 0) yield chunk.subarray(0, used);
}

export function benchFileName(packets: number): string {
  return `bench-v${BENCH_GENERATOR_VERSION}-${packets}.pcap`;
}

export interface BenchCapture {
  path: string;
  packets: number;
  bytes: number;
  /** False when the cached file was reused. */
  generated: boolean;
  seconds: number;
}

/**
 * The benchmark file for `packets`, generated into `dir` unless already cached there. Written to
 * a temporary name and renamed, so an interrupted run never leaves a short file behind.
 */
export async function ensureBenchCapture(packets: number, dir: string = BENCH_DATA_DIR): Promise<BenchCapture> {
  const file = path.join(dir, benchFileName(packets));
  const started = performance.now();
  try {
    const st = await stat(file);
    if (st.isFile()) return { path: file, packets, bytes: st.size, generated: false, seconds: 0 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w');
  let bytes = 0;
  try {
    for (const chunk of generateBenchCapture(packets)) {
      for (let done = 0; done < chunk.length; ) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
        done += bytesWritten;
      }
      bytes += chunk.length;
    }
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, file);
  return { path: file, packets, bytes, generated: true, seconds: (performance.now() - started) / 1000 };
}

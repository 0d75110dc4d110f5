/**
 * "Headers only" sharing: rewrite a capture with every packet cut after its innermost transport
 * header, so payloads never leave the engineer's machine while everything the analysis matches
 * on — IP id, TTL and lengths, TCP seq/ack/flags, ICMP type/id/seq, overlay headers, the
 * datagram an ICMP error quotes — stays. Original lengths are kept, so the file says how big
 * each packet was (tcpdump -s does the same with a fixed snaplen; here the cut is per packet).
 *
 * Streams: input chunks go through readCapture (pcap, pcapng, gzip), each record is decoded
 * with decodePacket only to find the cut, and output records are packed into 1 MiB batches.
 * Runs unchanged in a Web Worker and in the CLI.
 */
import { ngInterface, ngSection, type NgOption } from '../capture/build';
import type { CaptureWarning } from '../capture/errors';
import { PcapWriter } from '../capture/pcap-writer';
import { readCapture, type ChunkSource } from '../capture/read';
import type { CaptureInterface, PacketRecord } from '../capture/types';
import { decodePacket } from './decode-packet';
import { ICMPV6_HEADER_LEN } from './layers/icmpv6';
import type { DecodeOptions } from './types';

export interface HeadersOnlyResult {
  packets: number;
  /** Bytes read from `chunks`: the file as given (compressed, for a gzip input). */
  bytesIn: number;
  /** Bytes handed to `emit`. */
  bytesOut: number;
  /** The output's format, which is the input's (a gzip input comes out uncompressed). */
  format: 'pcap' | 'pcapng';
  /** The reader's warnings (a truncated input is cut up to its last whole packet). */
  warnings: CaptureWarning[];
}

export interface HeadersOnlyOptions {
  /**
   * The decode options the analysis will use: a "Decode As" port must be known here too, or
   * an overlay on that port is cut after its outer UDP header and its inner packet is lost.
   */
  decode?: DecodeOptions;
}

/** Written in every output section header, so whoever opens the file knows what is missing. */
export const HEADERS_ONLY_COMMENT = 'headers only: every packet cut after its innermost transport header (hopscope)';

const BATCH_BYTES = 1 << 20;

/**
 * An echo's first data bytes stay: ping puts its send time there, never user data, and they
 * are what tells two pings with the same sequence number apart (IPv6 has no IP id, and Linux
 * gives both directions between two pods the same flow label).
 */
const ECHO_DATA_KEPT = 16;

// pcapng block types and option codes (draft-ietf-opsawg-pcapng §4, §4.2, §4.3).
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
const OPT_COMMENT = 1;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const OPT_IF_FCSLEN = 13;
const OPT_EPB_FLAGS = 2;
const EPB_FIXED_LEN = 28;
const SPB_FIXED_LEN = 12;
const PCAP_RECORD_HEADER_LEN = 16;

const TWO_POW_16 = 65536;
const TWO_POW_32 = 4294967296;
const NS_PER_SECOND = 1_000_000_000;

const utf8 = new TextEncoder();

/**
 * The number of bytes of one packet to keep: the end offset of its innermost transport header.
 *
 * The packet is decoded as the analysis decodes it, and the cut falls at the end of the last
 * header the decoder understood: through every overlay (VXLAN, Geneve, flannel UDP, GRE,
 * IP-in-IP) the inner TCP header with its options, UDP's 8 bytes or ICMP's 8 (an echo keeps
 * the first 16 bytes of its data: ping's timestamp, ECHO_DATA_KEPT); for an ICMP
 * error, the quoted datagram through its own innermost transport header, since verdicts name
 * the flow and the underlay from it. A packet without a transport layer (ARP, a later IP
 * fragment, an unknown protocol) keeps its innermost network or link header. A header the
 * capture itself cut short keeps its captured bytes (an ICMP error quoting 8 bytes of TCP, as
 * RFC 792 asks, keeps the ports). Payload, Ethernet padding, RFC 4884 extensions and the FCS
 * are dropped. `fcsLen` and `origLen` locate the FCS: it is the last `fcsLen` bytes of the
 * frame, present in the capture only as far as the snaplen reached.
 */
export function headerBytes(
  linkType: number,
  packet: Uint8Array,
  fcsLen = 0,
  origLen = packet.length,
  opts: DecodeOptions = {},
): number {
  const dataEnd = Math.min(packet.length, Math.max(0, origLen - fcsLen));
  const data = dataEnd === packet.length ? packet : packet.subarray(0, dataEnd);
  const { layers } = decodePacket(data, linkType, opts);
  let keep = 0;
  for (const l of layers) {
    switch (l.kind) {
      case 'payload':
        break;
      case 'undecoded':
        // 'truncated' with a named layer: the capture (or the quote) ends inside that header,
        // so every byte left is header. Malformed or unsupported rests may be anything.
        if (l.reason === 'truncated' && l.wanted !== undefined) keep = l.offset + l.payload.length;
        break;
      case 'icmpv6':
        // The decoder gives unnamed types a 4-byte header; RFC 4443 §2.1's message body starts
        // with a type-specific word (MLD's delay, an error's MTU/pointer), so keep 8 as for ICMP.
        keep = l.offset + Math.max(l.headerLength, Math.min(ICMPV6_HEADER_LEN, l.headerLength + l.payload.length));
        if (!l.quoted && (l.type === 128 || l.type === 129)) keep = l.offset + l.headerLength + Math.min(ECHO_DATA_KEPT, l.payload.length);
        break;
      case 'icmp':
        keep = l.offset + l.headerLength;
        if (!l.quoted && (l.type === 8 || l.type === 0)) keep += Math.min(ECHO_DATA_KEPT, l.payload.length);
        break;
      default:
        keep = l.offset + l.headerLength;
    }
  }
  return keep;
}

/** Output bytes packed into batches; a batch handed to `emit` is never written again. */
class Batches {
  buf = new Uint8Array(BATCH_BYTES);
  dv = new DataView(this.buf.buffer);
  private used = 0;
  bytes = 0;

  constructor(private readonly emit: (bytes: Uint8Array) => void) {}

  /** Reserve `n` bytes; returns where to write them in `buf`. */
  reserve(n: number): number {
    if (this.used + n > this.buf.length) {
      this.flush(false);
      if (n > this.buf.length) this.replace(n);
    }
    const at = this.used;
    this.used += n;
    this.bytes += n;
    return at;
  }

  push(bytes: Uint8Array): void {
    this.buf.set(bytes, this.reserve(bytes.length));
  }

  flush(last: boolean): void {
    if (this.used === 0) return;
    // The caller may keep what it gets: a mostly empty last batch is copied, not pinned.
    this.emit(last && this.used < this.buf.length / 2 ? this.buf.slice(0, this.used) : this.buf.subarray(0, this.used));
    this.used = 0;
    this.replace(last ? 0 : BATCH_BYTES);
  }

  private replace(size: number): void {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
  }
}

/** 2^32-based halves of ns since the epoch, exact where a double's product would round. */
function nsHalves(tsSec: number, tsNsec: number): [hi: number, lo: number] {
  if (tsSec < 0) return [0, 0]; // a negative if_tsoffset before 1970: not representable
  if (tsSec < 2 ** 37) {
    // tsSec·1e9 exceeds 2^53 from 1970-04; split tsSec in 16-bit parts so every product is exact.
    const x = Math.floor(tsSec / TWO_POW_16) * NS_PER_SECOND; // < 2^51
    const y = (tsSec % TWO_POW_16) * NS_PER_SECOND + tsNsec; // < 2^47
    const low = (x % TWO_POW_16) * TWO_POW_16 + y;
    return [Math.floor(x / TWO_POW_16) + Math.floor(low / TWO_POW_32), low % TWO_POW_32];
  }
  const ns = BigInt(tsSec) * 1_000_000_000n + BigInt(tsNsec);
  const capped = ns > 0xffffffffffffffffn ? 0xffffffffffffffffn : ns;
  return [Number(capped >> 32n), Number(capped & 0xffffffffn)];
}

function padded(n: number): number {
  return n + (-n & 3);
}

/**
 * Read a capture (pcap / pcapng / gzip'ed either, via readCapture) and emit a new capture with
 * every packet cut after its innermost transport header (see headerBytes). `emit` receives
 * output bytes in order; the caller may keep the arrays. Throws CaptureFormatError for bad
 * input, exactly as readCapture does; the bytes emitted before a throw are not a whole file.
 *
 * Classic pcap comes out as classic pcap (little-endian) with the input's link type, FCS bits,
 * snaplen and timestamp precision. pcapng comes out as one section per section, one interface
 * per interface (link type, snaplen, name, description, FCS length) with nanosecond timestamps,
 * and Enhanced Packet Blocks that keep the original length, the flags and the comments.
 */
export async function cutToHeaders(
  fileName: string,
  chunks: ChunkSource,
  emit: (bytes: Uint8Array) => void,
  opts: HeadersOnlyOptions = {},
): Promise<HeadersOnlyResult> {
  const decode = opts.decode ?? {};
  const out = new Batches(emit);
  const counted = { bytes: 0 };
  const ifaces: CaptureInterface[] = [];
  /** Per global interface id: its index within its section, as the output's EPBs name it. */
  const localIds: number[] = [];
  let format: HeadersOnlyResult['format'] | null = null;
  const pcap = new PcapWriter();
  let sectionsOut = 0;
  let ifacesInSection = 0;

  const writeInterface = (iface: CaptureInterface) => {
    // Sections with no interface still get their header, so section numbers line up.
    while (sectionsOut <= iface.section) {
      out.push(
        ngSection(true, [
          { code: OPT_COMMENT, value: HEADERS_ONLY_COMMENT },
          { code: OPT_SHB_USERAPPL, value: 'hopscope headers-only' },
        ]),
      );
      sectionsOut++;
      ifacesInSection = 0;
    }
    localIds[iface.id] = ifacesInSection++;
    const options: NgOption[] = [];
    if (iface.name !== undefined) options.push({ code: OPT_IF_NAME, value: iface.name });
    if (iface.description !== undefined) options.push({ code: OPT_IF_DESCRIPTION, value: iface.description });
    options.push({ code: OPT_IF_TSRESOL, value: Uint8Array.of(9) });
    if (iface.fcsLen > 0) options.push({ code: OPT_IF_FCSLEN, value: Uint8Array.of(iface.fcsLen) });
    out.push(ngInterface(true, iface.linkType, iface.snaplen, options));
  };

  const start = (f: HeadersOnlyResult['format']) => {
    format = f;
    if (f === 'pcapng') {
      for (const iface of ifaces) writeInterface(iface);
      return;
    }
    const iface = ifaces[0];
    const header = pcap.header(iface?.linkType ?? 1, iface?.snaplen || undefined, { nanosecond: iface?.tsUnitsPerSecond === 1e9 });
    // PcapWriter keeps link types to 16 bits; the FCS length rides in the top bits of the same
    // field (draft-ietf-opsawg-pcap §4: bit 26 "FCS length present", bits 28-31 in 16-bit words).
    const fcs = iface?.fcsLen ?? 0;
    if (fcs > 0) header[23] = header[23]! | 0x04 | ((Math.min(fcs >> 1, 15)) << 4);
    out.push(header);
  };

  const writeEpb = (rec: PacketRecord, keep: number) => {
    let optLen = 0;
    const comments = rec.comments;
    let encoded: Uint8Array[] | undefined;
    if (comments !== undefined && comments.length > 0) {
      encoded = comments.map((c) => utf8.encode(c).subarray(0, 0xffff));
      for (const e of encoded) optLen += 4 + padded(e.length);
    }
    if (rec.epbFlags !== 0) optLen += 8;
    if (optLen > 0) optLen += 4; // opt_endofopt
    const total = EPB_FIXED_LEN + padded(keep) + optLen + 4;
    const at = out.reserve(total);
    const { buf, dv } = out;
    const [hi, lo] = nsHalves(rec.tsSec, rec.tsNsec);
    dv.setUint32(at, BT_EPB, true);
    dv.setUint32(at + 4, total, true);
    dv.setUint32(at + 8, localIds[rec.interfaceId] ?? 0, true);
    dv.setUint32(at + 12, hi, true);
    dv.setUint32(at + 16, lo, true);
    dv.setUint32(at + 20, keep, true);
    dv.setUint32(at + 24, rec.origLen, true);
    buf.set(rec.buf.subarray(rec.offset, rec.offset + keep), at + EPB_FIXED_LEN);
    let p = at + EPB_FIXED_LEN + padded(keep);
    buf.fill(0, at + EPB_FIXED_LEN + keep, p);
    if (encoded !== undefined) {
      for (const e of encoded) {
        dv.setUint16(p, OPT_COMMENT, true);
        dv.setUint16(p + 2, e.length, true);
        buf.set(e, p + 4);
        buf.fill(0, p + 4 + e.length, p + 4 + padded(e.length));
        p += 4 + padded(e.length);
      }
    }
    if (rec.epbFlags !== 0) {
      dv.setUint32(p, (4 << 16) | OPT_EPB_FLAGS, true); // code 2, length 4, little-endian halves
      dv.setUint32(p + 4, rec.epbFlags, true);
      p += 8;
    }
    if (optLen > 0) {
      dv.setUint32(p, 0, true);
      p += 4;
    }
    dv.setUint32(p, total, true);
  };

  /**
   * A Simple Packet Block has no captured-length field: readers take min(original length,
   * snaplen, block body), §4.4. A cut SPB therefore reads as the headers plus up to 3 zero
   * bytes of padding — no payload, and the packet keeps having no timestamp.
   */
  const writeSpb = (rec: PacketRecord, keep: number) => {
    const total = SPB_FIXED_LEN + padded(keep) + 4;
    const at = out.reserve(total);
    const { buf, dv } = out;
    dv.setUint32(at, BT_SPB, true);
    dv.setUint32(at + 4, total, true);
    dv.setUint32(at + 8, rec.origLen, true);
    buf.set(rec.buf.subarray(rec.offset, rec.offset + keep), at + SPB_FIXED_LEN);
    buf.fill(0, at + SPB_FIXED_LEN + keep, at + SPB_FIXED_LEN + padded(keep));
    dv.setUint32(at + total - 4, total, true);
  };

  const summary = await readCapture(fileName, countBytes(chunks, counted), {
    onInterface(iface) {
      ifaces.push(iface);
      if (format === 'pcapng') writeInterface(iface);
    },
    onPacket(rec) {
      if (format === null) {
        // The sink is not told the format until the end; the record header's size says it:
        // 16 bytes in classic pcap, 28 (EPB, PB) or 12 (SPB) in pcapng.
        start(rec.dataFileOffset - rec.recordFileOffset === PCAP_RECORD_HEADER_LEN ? 'pcap' : 'pcapng');
      }
      const iface = ifaces[rec.interfaceId];
      const packet = rec.buf.subarray(rec.offset, rec.offset + rec.capLen);
      const keep = headerBytes(iface?.linkType ?? -1, packet, iface?.fcsLen ?? 0, rec.origLen, decode);
      if (format === 'pcap') {
        // A microsecond field ≥ 10^6 was carried into the seconds by the reader; clamp the rare
        // overflow rather than throw on an input readCapture accepted.
        const sec = Math.min(rec.tsSec, 0xffffffff);
        const at = out.reserve(PCAP_RECORD_HEADER_LEN + keep);
        pcap.recordInto(out.buf, at, sec, rec.tsNsec, packet.subarray(0, keep), rec.origLen);
      } else if (rec.hasTimestamp) writeEpb(rec, keep);
      else writeSpb(rec, keep);
    },
  });
  if (format === null) start(summary.format);
  if (summary.format === 'pcapng' && sectionsOut === 0) {
    out.push(ngSection(true, [{ code: OPT_COMMENT, value: HEADERS_ONLY_COMMENT }]));
  }
  out.flush(true);
  return {
    packets: summary.packets,
    bytesIn: counted.bytes,
    bytesOut: out.bytes,
    format: format ?? summary.format,
    warnings: summary.warnings,
  };
}

async function* countBytes(chunks: ChunkSource, counted: { bytes: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    counted.bytes += chunk.length;
    yield chunk;
  }
}

/**
 * The numbers that say what a capture file is and where its records start: classic pcap's
 * magics and lengths (draft-ietf-opsawg-pcap §4) and pcapng's block types and byte-order magic
 * (draft-ietf-opsawg-pcapng §4, §11.1), with the reads and rules built on them. The readers, the
 * record lookup and the boundary scan read them here.
 */

/** The largest record or block we accept. Wireshark caps pcapng blocks at 16 MiB too. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Classic pcap magics as read little-endian: microsecond and nanosecond timestamps, and byte-swapped. */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
export const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** libpcap's MAXIMUM_SNAPLEN: what a pcap header's snaplen of 0 or above the limit means. */
export const DEFAULT_SNAPLEN = 262144;

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB_OBSOLETE = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const PCAPNG_BOM = 0x1a2b3c4d;
export const PCAPNG_BOM_SWAPPED = 0x4d3c2b1a;
/** Bytes before an Enhanced Packet Block's packet data, and a Simple Packet Block's. */
export const EPB_HEADER_LEN = 28;
export const SPB_HEADER_LEN = 12;

/** A 32-bit unsigned read without allocating a DataView: the per-record hot path. */
export function u32(buf: Uint8Array, o: number, le: boolean): number {
  return le
    ? (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16) | (buf[o + 3]! << 24)) >>> 0
    : ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}

/** A classic pcap file's byte order and timestamp unit from its magic (read little-endian); null for anything else. */
export function pcapMagic(magic: number): { le: boolean; nanos: boolean } | null {
  if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) return { le: true, nanos: magic === PCAP_MAGIC_NS };
  if (magic === PCAP_MAGIC_US_SWAPPED || magic === PCAP_MAGIC_NS_SWAPPED) return { le: false, nanos: magic === PCAP_MAGIC_NS_SWAPPED };
  return null;
}

/** The largest captured length a pcap record may have: snaplen 0 or absurd values appear in the wild, and libpcap then assumes its maximum. */
export function pcapMaxCapLen(snaplen: number): number {
  return snaplen === 0 || snaplen > MAX_RECORD_BYTES ? DEFAULT_SNAPLEN : snaplen;
}

/**
 * The numbers that say what a capture file is and where its records start: classic pcap's
 * magics and lengths (draft-ietf-opsawg-pcap §4) and pcapng's block types and byte-order magic
 * (draft-ietf-opsawg-pcapng §4, §11.1). The readers, the record lookup and the boundary scan
 * read them here.
 */

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

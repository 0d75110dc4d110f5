import type { CaptureWarning } from './errors';

export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * One capture interface. In classic pcap there is exactly one per file; in pcapng the
 * link type, name, timestamp resolution and FCS length belong to the interface, not the file
 * (pcapng spec §4.2). `id` is global across all sections of the file, in order of appearance.
 */
export interface CaptureInterface {
  id: number;
  /** Section number (0-based) the interface was declared in. */
  section: number;
  linkType: number;
  snaplen: number;
  name?: string;
  description?: string;
  /** Timestamp units per second: 10^n or 2^n (if_tsresol); 1e6 by default. */
  tsUnitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp of this interface. */
  tsOffsetSeconds: number;
  /** if_fcslen in bytes, or the FCS bits of a pcap link-type field; 0 when there is none. */
  fcsLen: number;
  /** What the pcapng's Interface Statistics Blocks said (dumpcap writes them when it stops). */
  stats?: InterfaceStatistics;
}

/** A pcapng interface's own statistics: its capture's start and end, [seconds, nanoseconds] since the epoch, and its drops. */
export interface InterfaceStatistics {
  start?: [number, number];
  end?: [number, number];
  /** isb_ifdrop: dropped by the interface for lack of resources. */
  ifDrop?: number;
  /** isb_osdrop: dropped by the operating system (the capture buffer was full). */
  osDrop?: number;
}

/**
 * One packet record, handed to the sink synchronously. `buf` is a view that is only valid
 * during the callback: readers reuse their buffers. Copy `buf.subarray(offset, offset+capLen)`
 * with `slice` if you need to keep it.
 */
export interface PacketRecord {
  /** 1-based frame number within the file, as Wireshark counts them. */
  frameNumber: number;
  buf: Uint8Array;
  /** Start of the packet bytes inside `buf`. */
  offset: number;
  capLen: number;
  origLen: number;
  /** False for pcapng Simple Packet Blocks, which carry no timestamp. */
  hasTimestamp: boolean;
  /** Whole seconds since the Unix epoch (after if_tsoffset). */
  tsSec: number;
  /** Nanoseconds within the second, 0..999,999,999. */
  tsNsec: number;
  interfaceId: number;
  /** Byte offset of the record/block header in the (decompressed) file. */
  recordFileOffset: number;
  /** Byte offset of the first packet byte in the (decompressed) file. */
  dataFileOffset: number;
  /** pcapng epb_flags (direction in bits 0-1), 0 when absent. */
  epbFlags: number;
  /** pcapng opt_comment values of the packet, when present. */
  comments?: string[];
}

export interface CaptureSink {
  onInterface?(iface: CaptureInterface): void;
  onPacket(rec: PacketRecord): void;
  onWarning?(warning: CaptureWarning): void;
  /**
   * A pcapng block that carries no packet and was skipped (Name Resolution, Interface
   * Statistics, Decryption Secrets, Custom, unknown). Wireshark lists Custom Blocks as frames of
   * their own; Hopscope does not, and this hook lets a caller line the two up.
   */
  onSkippedBlock?(blockType: number, fileOffset: number, blockLength: number): void;
  /**
   * A gzip file decompressed this far (bytes out, in all so far). It may throw to stop the
   * reading: a server caps what a small upload may inflate to.
   */
  onInflated?(totalBytes: number): void;
}

export interface CaptureSummary {
  fileName: string;
  format: CaptureFormat;
  gzip: boolean;
  /** Bytes of capture data read (after decompression). */
  bytes: number;
  packets: number;
  interfaces: CaptureInterface[];
  warnings: CaptureWarning[];
  /** pcapng section header comments, in order. */
  sectionComments: string[];
}

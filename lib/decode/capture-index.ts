/**
 * A CaptureSink that turns one file's records into its compact PacketIndex: the bridge between
 * lib/capture (records) and everything after it (correlation, stats). Runs unchanged in Node,
 * in a Web Worker and in route handlers.
 */
import type { CaptureInterface, CaptureSink, CaptureSummary, PacketRecord } from '../capture/types';
import type { CaptureWarning } from '../capture/errors';
import { emptyRow, META_ENCAPSULATED, META_ICMP_ERROR, META_NO_TIMESTAMP, PacketIndex } from './packet-index';
import { Summarizer, type Shape } from './summarize';
import type { DecodeOptions } from './types';

export interface IndexedCapture {
  fileName: string;
  summary: CaptureSummary;
  index: PacketIndex;
  interfaces: CaptureInterface[];
  /** Shapes by id (see PacketRow.shape). */
  shapes: Shape[];
  /** Interned IPv6 addresses by id (see META_INNER_IPV6). */
  ipv6: string[];
  /** Time origin of `tsNs`: the first timestamped packet, as seconds + nanoseconds. */
  baseSec: number;
  baseNsec: number;
  /** Last timestamp relative to the base, in ns; NaN when no packet had one. */
  lastNs: number;
  /** Per shape id: packets and bytes (original lengths). */
  shapePackets: number[];
  shapeBytes: number[];
  /** Sum of original lengths. */
  wireBytes: number;
  /**
   * Bytes of the packets the correlator will decode in full (ICMP errors: their quoted
   * datagram names the flow they belong to), by row; at most KEEP_LIMIT of them.
   */
  kept: Map<number, Uint8Array>;
  /** The first packet of every encapsulated shape: what the overlay headers say (VNI, port). */
  shapeSamples: Map<number, Uint8Array>;
}

/** ICMP errors kept per file; a storm of them beyond this is counted, not decoded. */
export const KEEP_LIMIT = 10_000;

export class CaptureIndexer implements CaptureSink {
  readonly index = new PacketIndex();
  readonly interfaces: CaptureInterface[] = [];
  readonly warnings: CaptureWarning[] = [];
  private readonly summarizer: Summarizer;
  private readonly row = emptyRow();
  private linkTypes: number[] = [];
  private baseSec = NaN;
  private baseNsec = 0;
  private lastNs = NaN;
  private shapePackets: number[] = [];
  private shapeBytes: number[] = [];
  private wireBytes = 0;
  private kept = new Map<number, Uint8Array>();
  private shapeSamples = new Map<number, Uint8Array>();
  /** Shape ids already sampled (the column is 16 bits). */
  private sampled = new Uint8Array(0x10000);

  constructor(opts: DecodeOptions = {}) {
    this.summarizer = new Summarizer(opts);
  }

  onInterface(iface: CaptureInterface): void {
    this.interfaces.push(iface);
    this.linkTypes[iface.id] = iface.linkType;
  }

  onWarning(w: CaptureWarning): void {
    this.warnings.push(w);
  }

  onPacket(rec: PacketRecord): void {
    const row = this.row;
    this.summarizer.summarize(rec.buf, rec.offset, rec.capLen, this.linkTypes[rec.interfaceId] ?? -1, rec.interfaceId, row);
    row.dataOffset = rec.dataFileOffset;
    if (rec.hasTimestamp) {
      if (Number.isNaN(this.baseSec)) {
        this.baseSec = rec.tsSec;
        this.baseNsec = rec.tsNsec;
      }
      row.tsNs = (rec.tsSec - this.baseSec) * 1e9 + (rec.tsNsec - this.baseNsec);
      if (!(row.tsNs <= this.lastNs)) this.lastNs = row.tsNs;
    } else {
      row.tsNs = NaN;
      row.meta |= META_NO_TIMESTAMP;
    }
    if ((row.meta & META_ICMP_ERROR) !== 0 && this.kept.size < KEEP_LIMIT) {
      this.kept.set(this.index.count, rec.buf.slice(rec.offset, rec.offset + rec.capLen));
    }
    if ((row.meta & META_ENCAPSULATED) !== 0 && this.sampled[row.shape] !== 1) {
      this.sampled[row.shape] = 1;
      this.shapeSamples.set(row.shape, rec.buf.slice(rec.offset, rec.offset + rec.capLen));
    }
    this.index.append(row);
    const s = row.shape;
    this.shapePackets[s] = (this.shapePackets[s] ?? 0) + 1;
    this.shapeBytes[s] = (this.shapeBytes[s] ?? 0) + rec.origLen;
    this.wireBytes += rec.origLen;
  }

  finish(summary: CaptureSummary): IndexedCapture {
    return {
      fileName: summary.fileName,
      summary,
      index: this.index,
      interfaces: this.interfaces,
      shapes: this.summarizer.shapes.shapes,
      ipv6: this.summarizer.ipv6,
      baseSec: Number.isNaN(this.baseSec) ? 0 : this.baseSec,
      baseNsec: this.baseNsec,
      lastNs: this.lastNs,
      shapePackets: this.shapePackets,
      shapeBytes: this.shapeBytes,
      wireBytes: this.wireBytes,
      kept: this.kept,
      shapeSamples: this.shapeSamples,
    };
  }
}

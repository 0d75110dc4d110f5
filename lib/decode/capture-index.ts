/**
 * A CaptureSink that turns one file's records into its compact PacketIndex: the bridge between
 * lib/capture (records) and everything after it (correlation, stats). Runs unchanged in Node,
 * in a Web Worker and in route handlers.
 */
import type { CaptureInterface, CaptureSink, CaptureSummary, PacketRecord } from '../capture/types';
import type { CaptureWarning } from '../capture/errors';
import { emptyRow, META_ICMP_ERROR, META_NO_TIMESTAMP, PacketIndex, type IndexColumns } from './packet-index';
import type { QuotedError } from './encapsulation';
import { ns, type Nanoseconds } from '../util/units';
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
  lastNs: Nanoseconds;
  /** Per shape id: packets and bytes (original lengths). */
  shapePackets: number[];
  shapeBytes: number[];
  /** Per shape id: first and last timestamp, relative to the base, in ns (absent: none timestamped). */
  shapeFirstNs: number[];
  shapeLastNs: number[];
  /** Sum of original lengths. */
  wireBytes: number;
  /**
   * ICMP errors by row, with the datagram each quotes (which names the flow it answers); at
   * most ERROR_LIMIT of them. What overlay a packet carried is its shape's `encapsulation`.
   */
  icmpErrors: Map<number, QuotedError>;
}

/** An indexed capture as it crosses to another thread: its index as columns, their buffers transferred. */
export type TransferredCapture = Omit<IndexedCapture, 'index'> & { index: IndexColumns };

/** The capture to post, and the buffers to transfer with it (the index is unusable here afterwards). */
export function toTransfer(c: IndexedCapture): { capture: TransferredCapture; transfer: ArrayBuffer[] } {
  return { capture: { ...c, index: c.index.toColumns() }, transfer: c.index.buffers() };
}

export function fromTransfer(c: TransferredCapture): IndexedCapture {
  return { ...c, index: PacketIndex.fromColumns(c.index) };
}

/** ICMP errors kept per file; a storm of them beyond this is counted, not attached to flows. */
export const ERROR_LIMIT = 10_000;

/** How a CaptureIndexer decodes (DecodeOptions), and whether it keeps each packet's row. */
export interface IndexerOptions extends DecodeOptions {
  /** False: the packets are decoded and counted, by shape, but no row is kept (PacketIndex's keepsRows). */
  rows?: boolean;
}

export class CaptureIndexer implements CaptureSink {
  readonly index: PacketIndex;
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
  private shapeFirstNs: number[] = [];
  private shapeLastNs: number[] = [];
  private wireBytes = 0;
  private icmpErrors = new Map<number, QuotedError>();

  constructor(opts: IndexerOptions = {}) {
    const rows = opts.rows ?? true;
    this.summarizer = new Summarizer(opts, rows);
    this.index = new PacketIndex(rows);
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
    this.summarizer.summarize(rec.buf, rec.offset, rec.capLen, this.linkTypes[rec.interfaceId] ?? -1, rec.interfaceId, row, rec.origLen);
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
    const error = this.summarizer.lastError;
    // Kept by row, for the correlator: an index that only counts has no row to key them by.
    if (error !== null && (row.meta & META_ICMP_ERROR) !== 0 && this.icmpErrors.size < ERROR_LIMIT && this.index.keepsRows) this.icmpErrors.set(this.index.count, error);
    this.index.append(row);
    const s = row.shape;
    this.shapePackets[s] = (this.shapePackets[s] ?? 0) + 1;
    this.shapeBytes[s] = (this.shapeBytes[s] ?? 0) + rec.origLen;
    if (rec.hasTimestamp) {
      const t = row.tsNs;
      if (!(t >= this.shapeFirstNs[s]!)) this.shapeFirstNs[s] = t;
      if (!(t <= this.shapeLastNs[s]!)) this.shapeLastNs[s] = t;
    }
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
      lastNs: ns(this.lastNs),
      shapePackets: this.shapePackets,
      shapeBytes: this.shapeBytes,
      shapeFirstNs: this.shapeFirstNs,
      shapeLastNs: this.shapeLastNs,
      wireBytes: this.wireBytes,
      icmpErrors: this.icmpErrors,
    };
  }
}

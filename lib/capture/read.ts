/**
 * Streaming readers for classic pcap and pcapng.
 *
 * The reader consumes a sequence of byte chunks of any size (a browser File read by slices, a
 * Node stream) and never needs the whole file in one buffer: a record that straddles a chunk
 * boundary is assembled in a small carry buffer, every other record is handed to the sink as
 * a view into the chunk it arrived in. Memory is bounded by the chunk size plus the largest
 * record, and every length read from the file is checked before it is used.
 */
import { CaptureFormatError, type CaptureWarning } from './errors';
import type { CaptureFormat, CaptureInterface, CaptureSink, CaptureSummary, InterfaceStatistics, PacketRecord } from './types';

import {
  BT_EPB,
  BT_IDB,
  BT_ISB,
  BT_PB_OBSOLETE,
  BT_SHB,
  BT_SPB,
  DEFAULT_SNAPLEN,
  MAX_RECORD_BYTES,
  PCAP_FILE_HEADER_LEN,
  PCAP_RECORD_HEADER_LEN,
  PCAPNG_BOM,
  PCAPNG_BOM_SWAPPED,
  pcapMagic,
  pcapMaxCapLen,
  u32,
} from './formats';

const TWO_POW_32 = 4294967296;

export interface CaptureReader {
  /** Feed the next chunk. The chunk may be reused by the caller once push returns. */
  push(chunk: Uint8Array): void;
  /** Signal end of input; returns the summary (with a warning if the file was cut short). */
  end(): CaptureSummary;
  /** Where the reading stands; see ReaderPosition. */
  position(): ReaderPosition;
}

/** How far a reader got: what tells whether a part of a file ended where the next one began. */
export interface ReaderPosition {
  /** The file offset of the first byte not yet consumed as part of a whole record or block. */
  filePos: number;
  /** Bytes of a record or block held back, waiting for the rest of it. */
  partial: number;
  /** Units read that set the reading's state: the pcap file header; pcapng section headers and interface descriptions. */
  stateUnits: number;
}

/**
 * Reading a part of a file that starts inside it, at a record or block boundary: `header` holds
 * the file's leading units (the pcap file header, or pcapng's section header and interface
 * descriptions) and is read first, then the chunks pushed, which start at file offset `at`.
 * The header declares the interfaces again (the sink hears them: it needs their link types), but
 * its warnings are dropped and its bytes are not counted in `bytes`: the part that starts at 0
 * reads and reports them. Packets are counted from the cut.
 */
export interface ResumeAt {
  header: Uint8Array;
  at: number;
}

interface FramerState {
  /** Bytes needed for the next unit given `avail` bytes at `off`, or the unit length. */
  need(buf: Uint8Array, off: number, avail: number, fileOffset: number): number;
  /** Consume one complete unit of `len` bytes at `off`. */
  consume(buf: Uint8Array, off: number, len: number, fileOffset: number): void;
  /** Units consumed so far that set state (see ReaderPosition.stateUnits). */
  stateUnits(): number;
}

/**
 * What an Interface Statistics Block says, added to what the interface already has: the earliest
 * start, the latest end, the most drops (a capture's ISBs repeat and grow). The reader folds each
 * block's options in; a file read in parts folds the parts' (merge-parts.ts).
 */
export function foldInterfaceStats(into: CaptureInterface, from: InterfaceStatistics): void {
  const s = (into.stats ??= {});
  const before = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  if (from.start && (!s.start || before(from.start, s.start))) s.start = from.start;
  if (from.end && (!s.end || before(s.end, from.end))) s.end = from.end;
  if (from.ifDrop !== undefined) s.ifDrop = Math.max(s.ifDrop ?? 0, from.ifDrop);
  if (from.osDrop !== undefined) s.osDrop = Math.max(s.osDrop ?? 0, from.osDrop);
}

/** "the 3 whole packets … were read" / "the 1 whole packet … was read" / "no whole packet". */
export function wholePackets(n: number): string {
  return n === 0 ? 'no whole packet came' : n === 1 ? 'the 1 whole packet was read' : `the ${n} whole packets were read`;
}

function hexStart(buf: Uint8Array, n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(n, buf.length); i++) parts.push((buf[i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(' ');
}

/**
 * Create a streaming reader for one capture file (pcap or pcapng, detected from the first
 * bytes). gzip is handled one level up, by `readCapture`.
 */
export function createCaptureReader(fileName: string, sink: CaptureSink, resume?: ResumeAt): CaptureReader {
  const summary: CaptureSummary = {
    fileName,
    format: 'pcap',
    gzip: false,
    bytes: 0,
    packets: 0,
    interfaces: [],
    warnings: [],
    sectionComments: [],
  };
  let replaying = false;
  const warn = (w: CaptureWarning) => {
    if (replaying) return;
    summary.warnings.push(w);
    sink.onWarning?.(w);
  };

  // One reused record object: sinks read it synchronously (see PacketRecord).
  const rec: PacketRecord = {
    frameNumber: 0,
    buf: new Uint8Array(0),
    offset: 0,
    capLen: 0,
    origLen: 0,
    hasTimestamp: true,
    tsSec: 0,
    tsNsec: 0,
    interfaceId: 0,
    recordFileOffset: 0,
    dataFileOffset: 0,
    epbFlags: 0,
    comments: undefined,
  };

  const addInterface = (iface: CaptureInterface) => {
    summary.interfaces.push(iface);
    sink.onInterface?.(iface);
  };

  const emit = () => {
    summary.packets++;
    rec.frameNumber = summary.packets;
    sink.onPacket(rec);
  };

  let framer: FramerState | null = null;
  let filePos = 0; // absolute offset of the next byte not yet consumed
  let carry = new Uint8Array(0); // grown on the first record that straddles a chunk boundary
  let carryLen = 0;
  let ended = false;

  const detect = (buf: Uint8Array, off: number): FramerState => {
    const dv = new DataView(buf.buffer, buf.byteOffset + off, 4);
    const le = dv.getUint32(0, true);
    if (pcapMagic(le)) {
      summary.format = 'pcap';
      return pcapFramer(fileName, summary, rec, addInterface, emit);
    }
    if (le === BT_SHB) {
      summary.format = 'pcapng';
      return pcapngFramer(fileName, summary, rec, addInterface, emit, warn, (t, o, l) => sink.onSkippedBlock?.(t, o, l));
    }
    const first = buf.subarray(off, off + 4);
    const hint = first[0] === 0x1f && first[1] === 0x8b ? ' (gzip: read it through readCapture)' : '';
    throw new CaptureFormatError('NOT_A_CAPTURE', fileName, 0, `not a pcap or pcapng file: starts with ${hexStart(first, 4)}${hint}`);
  };

  const ensureCarry = (n: number) => {
    if (carry.length >= n) return;
    let size = Math.max(carry.length, 4096);
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(carry.subarray(0, carryLen));
    carry = next;
  };

  /** Bytes needed for the next unit at `off` (detecting the format on the first call). */
  const needAt = (buf: Uint8Array, off: number, avail: number): number => {
    if (framer === null) {
      if (avail < 4) return 4;
      framer = detect(buf, off);
    }
    return framer.need(buf, off, avail, filePos);
  };

  /** Consume whole units from `buf[off, end)`; returns the offset of the first unconsumed byte. */
  const run = (buf: Uint8Array, off: number, end: number): number => {
    let p = off;
    for (;;) {
      const need = needAt(buf, p, end - p);
      if (need > end - p) return p;
      framer!.consume(buf, p, need, filePos);
      p += need;
      filePos += need;
    }
  };

  if (resume) {
    replaying = true;
    const p = run(resume.header, 0, resume.header.length);
    replaying = false;
    if (p !== resume.header.length) throw new Error(`${fileName}: the header given to resume at byte ${resume.at} is not whole records or blocks`);
    filePos = resume.at;
  }

  return {
    position: () => ({ filePos, partial: carryLen, stateUnits: framer?.stateUnits() ?? 0 }),
    push(chunk: Uint8Array) {
      if (ended) throw new Error('push after end');
      summary.bytes += chunk.length;
      let off = 0;
      // Finish the unit that straddles the previous chunk boundary. `need` only grows as more of
      // the header arrives (4 → header → whole record), so the carry never holds more than one unit.
      while (carryLen > 0) {
        const need = needAt(carry, 0, carryLen);
        if (need <= carryLen) {
          const p = run(carry, 0, carryLen);
          carry.copyWithin(0, p, carryLen);
          carryLen -= p;
          continue;
        }
        const take = Math.min(need - carryLen, chunk.length - off);
        if (take === 0) return;
        ensureCarry(carryLen + take);
        carry.set(chunk.subarray(off, off + take), carryLen);
        carryLen += take;
        off += take;
      }
      const p = run(chunk, off, chunk.length);
      const rest = chunk.length - p;
      if (rest > 0) {
        ensureCarry(rest);
        carry.set(chunk.subarray(p), 0);
        carryLen = rest;
      }
    },
    end(): CaptureSummary {
      ended = true;
      if (summary.bytes === 0) {
        throw new CaptureFormatError('EMPTY_FILE', fileName, 0, 'the file is empty (0 bytes)');
      }
      if (framer === null) {
        throw new CaptureFormatError(
          'NOT_A_CAPTURE',
          fileName,
          0,
          `not a pcap or pcapng file: only ${summary.bytes} bytes (${hexStart(carry.subarray(0, carryLen), 4)})`,
        );
      }
      if (carryLen > 0) {
        let declared = '';
        if (carryLen >= 4) {
          try {
            const need = framer.need(carry, 0, carryLen, filePos);
            declared = `, the record there needs ${need} bytes but only ${carryLen} remain`;
          } catch {
            declared = `, ${carryLen} bytes of an unreadable record remain`;
          }
        } else declared = `, ${carryLen} stray bytes remain`;
        if (summary.packets === 0 && summary.interfaces.length === 0 && summary.format === 'pcap' && filePos === 0) {
          throw new CaptureFormatError('BAD_HEADER', fileName, 0, `pcap file header cut short: ${carryLen} of 24 bytes`);
        }
        warn({
          code: 'TRUNCATED_FILE',
          byteOffset: filePos,
          message: `${fileName} is cut short at byte ${filePos}${declared} (was tcpdump killed?); ${wholePackets(summary.packets)} before it`,
        });
      }
      return summary;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Classic pcap

function pcapFramer(
  fileName: string,
  summary: CaptureSummary,
  rec: PacketRecord,
  addInterface: (i: CaptureInterface) => void,
  emit: () => void,
): FramerState {
  let haveHeader = false;
  let le = true;
  let nanos = false;
  let snaplen = DEFAULT_SNAPLEN;
  let maxCap = DEFAULT_SNAPLEN;

  return {
    stateUnits: () => (haveHeader ? 1 : 0),
    need(buf, off, avail, fileOffset) {
      if (!haveHeader) return PCAP_FILE_HEADER_LEN;
      if (avail < PCAP_RECORD_HEADER_LEN) return PCAP_RECORD_HEADER_LEN;
      const capLen = u32(buf, off + 8, le);
      if (capLen > maxCap) {
        throw new CaptureFormatError(
          'RECORD_TOO_LONG',
          fileName,
          fileOffset,
          `record ${summary.packets + 1} has captured length ${capLen}, more than the file's snaplen ${snaplen}`,
        );
      }
      const origLen = u32(buf, off + 12, le);
      if (capLen > origLen) {
        throw new CaptureFormatError(
          'RECORD_TOO_LONG',
          fileName,
          fileOffset,
          `record ${summary.packets + 1} has captured length ${capLen}, more than its original length ${origLen}`,
        );
      }
      return PCAP_RECORD_HEADER_LEN + capLen;
    },
    consume(buf, off, len, fileOffset) {
      if (!haveHeader) {
        const dv = new DataView(buf.buffer, buf.byteOffset + off, len);
        ({ le, nanos } = pcapMagic(dv.getUint32(0, true))!);
        const major = dv.getUint16(4, le);
        if (major !== 2) {
          throw new CaptureFormatError('UNSUPPORTED_VERSION', fileName, 4, `pcap version ${major}.${dv.getUint16(6, le)} (only 2.x exists)`);
        }
        const rawSnap = dv.getUint32(16, le);
        snaplen = rawSnap;
        maxCap = pcapMaxCapLen(rawSnap);
        if (rawSnap === 0) snaplen = DEFAULT_SNAPLEN;
        const lt = dv.getUint32(20, le);
        // Bit 26 says the FCS length is known; bits 28-31 give it in 16-bit words (libpcap LT_FCS_LENGTH).
        const fcsLen = lt & 0x04000000 ? ((lt >>> 28) & 0xf) * 2 : 0;
        haveHeader = true;
        addInterface({
          id: 0,
          section: 0,
          linkType: lt & 0xffff,
          snaplen,
          tsUnitsPerSecond: nanos ? 1e9 : 1e6,
          tsOffsetSeconds: 0,
          fcsLen,
        });
        return;
      }
      const sec = u32(buf, off, le);
      const frac = u32(buf, off + 4, le);
      rec.buf = buf;
      rec.offset = off + PCAP_RECORD_HEADER_LEN;
      rec.capLen = len - PCAP_RECORD_HEADER_LEN;
      rec.origLen = u32(buf, off + 12, le);
      rec.hasTimestamp = true;
      // A microsecond field ≥ 10^6 is invalid; carry it into seconds as libpcap readers do.
      if (nanos) {
        if (frac < 1e9) { rec.tsSec = sec; rec.tsNsec = frac; }
        else { rec.tsSec = sec + Math.floor(frac / 1e9); rec.tsNsec = frac % 1e9; }
      } else if (frac < 1e6) {
        rec.tsSec = sec;
        rec.tsNsec = frac * 1000;
      } else {
        rec.tsSec = sec + Math.floor(frac / 1e6);
        rec.tsNsec = (frac % 1e6) * 1000;
      }
      rec.interfaceId = 0;
      rec.recordFileOffset = fileOffset;
      rec.dataFileOffset = fileOffset + PCAP_RECORD_HEADER_LEN;
      rec.epbFlags = 0;
      rec.comments = undefined;
      emit();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// pcapng

interface NgInterface {
  iface: CaptureInterface;
  /** 10^n as a number when decimal, or 0 when the resolution is 2^-n. */
  decimalUnits: number;
  binaryExp: number;
}

function readOptions(
  dv: DataView,
  start: number,
  end: number,
  le: boolean,
  visit: (code: number, valueOffset: number, valueLength: number) => void,
): void {
  let p = start;
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const length = dv.getUint16(p + 2, le);
    if (code === 0) return; // opt_endofopt
    if (p + 4 + length > end) return; // a malformed option list ends the list, not the file
    visit(code, p + 4, length);
    p += 4 + ((length + 3) & ~3);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function optString(dv: DataView, off: number, len: number): string {
  let s = utf8.decode(new Uint8Array(dv.buffer, dv.byteOffset + off, len));
  // Some writers include the C string terminator in the option length.
  while (s.endsWith('\0')) s = s.slice(0, -1);
  return s;
}

/** 1990-01-01 to 2200-01-01: a capture's start or end time that can be meant. */
const plausibleSec = (sec: number) => sec >= 631_152_000 && sec < 7_258_118_400;

function pcapngFramer(
  fileName: string,
  summary: CaptureSummary,
  rec: PacketRecord,
  addInterface: (i: CaptureInterface) => void,
  emit: () => void,
  warn: (w: CaptureWarning) => void,
  skipped: (blockType: number, fileOffset: number, blockLength: number) => void,
): FramerState {
  let le = true;
  let section = -1;
  let sectionIfaces: NgInterface[] = [];
  let stateBlocks = 0;

  const unitsToTime = (ng: NgInterface, hi: number, lo: number) => {
    const units = hi * TWO_POW_32 + lo;
    if (ng.decimalUnits === 1e6 && units <= Number.MAX_SAFE_INTEGER) {
      const sec = Math.floor(units / 1e6);
      rec.tsSec = sec;
      rec.tsNsec = (units - sec * 1e6) * 1000;
    } else if (ng.decimalUnits === 1e9 && units <= Number.MAX_SAFE_INTEGER) {
      const sec = Math.floor(units / 1e9);
      rec.tsSec = sec;
      rec.tsNsec = units - sec * 1e9;
    } else {
      // Exact integer arithmetic for nanosecond clocks past 2^53 and for binary resolutions;
      // the fraction is truncated to nanoseconds as Wireshark's wiretap does.
      const big = (BigInt(hi) << 32n) | BigInt(lo);
      const per = ng.decimalUnits > 0 ? BigInt(ng.decimalUnits) : 1n << BigInt(ng.binaryExp);
      const sec = big / per;
      const rem = big % per;
      rec.tsSec = Number(sec);
      rec.tsNsec = Number((rem * 1_000_000_000n) / per);
    }
    rec.tsSec += ng.iface.tsOffsetSeconds;
  };

  const ifaceFor = (localId: number, fileOffset: number): NgInterface => {
    const ng = sectionIfaces[localId];
    if (!ng) {
      throw new CaptureFormatError(
        'UNKNOWN_INTERFACE',
        fileName,
        fileOffset,
        `packet block names interface ${localId}, but section ${section} declared only ${sectionIfaces.length}`,
      );
    }
    return ng;
  };

  return {
    stateUnits: () => stateBlocks,
    need(buf, off, avail, fileOffset) {
      if (avail < 12) return 12;
      const dv = new DataView(buf.buffer, buf.byteOffset + off, 12);
      let type = dv.getUint32(0, le);
      let blockLe = le;
      if (dv.getUint32(0, true) === BT_SHB) {
        type = BT_SHB;
        const bom = dv.getUint32(8, true);
        if (bom === PCAPNG_BOM) blockLe = true;
        else if (bom === PCAPNG_BOM_SWAPPED) blockLe = false;
        else {
          throw new CaptureFormatError(
            'BAD_HEADER',
            fileName,
            fileOffset + 8,
            `section header block has byte-order magic 0x${bom.toString(16).padStart(8, '0')}, expected 0x1a2b3c4d`,
          );
        }
      }
      const total = dv.getUint32(4, blockLe);
      if (total < 12 || total % 4 !== 0) {
        throw new CaptureFormatError(
          'BAD_BLOCK_LENGTH',
          fileName,
          fileOffset,
          `block type 0x${type.toString(16).padStart(8, '0')} has length ${total} (must be a multiple of 4, at least 12)`,
        );
      }
      if (total > MAX_RECORD_BYTES) {
        throw new CaptureFormatError(
          'BLOCK_OVERRUN',
          fileName,
          fileOffset,
          `block length ${total} exceeds the ${MAX_RECORD_BYTES}-byte limit for one block`,
        );
      }
      if (type !== BT_SHB && section < 0) {
        throw new CaptureFormatError('NO_SECTION', fileName, fileOffset, 'pcapng block before any section header block');
      }
      return total;
    },
    consume(buf, off, len, fileOffset) {
      const first = new DataView(buf.buffer, buf.byteOffset + off, len);
      if (first.getUint32(0, true) === BT_SHB) {
        le = first.getUint32(8, true) === PCAPNG_BOM;
      }
      const dv = first;
      const type = dv.getUint32(0, le);
      const trailer = dv.getUint32(len - 4, le);
      if (trailer !== len) {
        throw new CaptureFormatError(
          'BAD_BLOCK_LENGTH',
          fileName,
          fileOffset + len - 4,
          `block type 0x${type.toString(16).padStart(8, '0')} at byte ${fileOffset} declares length ${len} at its start and ${trailer} at its end`,
        );
      }
      const bodyEnd = len - 4;
      switch (type) {
        case BT_SHB: {
          if (len < 28) throw new CaptureFormatError('BAD_BLOCK_LENGTH', fileName, fileOffset, `section header block of ${len} bytes (at least 28)`);
          const major = dv.getUint16(12, le);
          if (major !== 1) {
            throw new CaptureFormatError('UNSUPPORTED_VERSION', fileName, fileOffset + 12, `pcapng version ${major}.${dv.getUint16(14, le)} (only 1.x is defined)`);
          }
          section++;
          stateBlocks++;
          sectionIfaces = [];
          readOptions(dv, 24, bodyEnd, le, (code, vo, vl) => {
            if (code === 1) summary.sectionComments.push(optString(dv, vo, vl));
          });
          return;
        }
        case BT_IDB: {
          if (len < 20) throw new CaptureFormatError('BAD_BLOCK_LENGTH', fileName, fileOffset, `interface description block of ${len} bytes (at least 20)`);
          const iface: CaptureInterface = {
            id: summary.interfaces.length,
            section,
            linkType: dv.getUint16(8, le),
            snaplen: dv.getUint32(12, le),
            tsUnitsPerSecond: 1e6,
            tsOffsetSeconds: 0,
            fcsLen: 0,
          };
          const ng: NgInterface = { iface, decimalUnits: 1e6, binaryExp: 0 };
          readOptions(dv, 16, bodyEnd, le, (code, vo, vl) => {
            switch (code) {
              case 2: iface.name = optString(dv, vo, vl); break; // if_name
              case 3: iface.description = optString(dv, vo, vl); break; // if_description
              case 9: { // if_tsresol: MSB clear → 10^-n, set → 2^-n
                if (vl < 1) break;
                const v = dv.getUint8(vo);
                const n = v & 0x7f;
                if (v & 0x80) {
                  if (n > 63) break;
                  ng.decimalUnits = 0;
                  ng.binaryExp = n;
                  iface.tsUnitsPerSecond = 2 ** n;
                } else {
                  if (n > 18) break;
                  ng.decimalUnits = 10 ** n;
                  iface.tsUnitsPerSecond = 10 ** n;
                }
                break;
              }
              case 13: if (vl >= 1) iface.fcsLen = dv.getUint8(vo); break; // if_fcslen
              case 14: // if_tsoffset: signed 64-bit seconds
                if (vl >= 8) iface.tsOffsetSeconds = Number(dv.getBigInt64(vo, le));
                break;
            }
          });
          if (ng.decimalUnits > 1e9 || ng.binaryExp > 30) {
            warn({
              code: 'TIMESTAMP_PRECISION',
              byteOffset: fileOffset,
              message: `interface ${iface.id} of ${fileName} records timestamps finer than a nanosecond; they are truncated to nanoseconds`,
            });
          }
          sectionIfaces.push(ng);
          stateBlocks++;
          addInterface(iface);
          return;
        }
        case BT_EPB:
        case BT_PB_OBSOLETE: {
          if (len < 32) throw new CaptureFormatError('BAD_BLOCK_LENGTH', fileName, fileOffset, `packet block of ${len} bytes (at least 32)`);
          const localId = type === BT_EPB ? dv.getUint32(8, le) : dv.getUint16(8, le);
          const ng = ifaceFor(localId, fileOffset + 8);
          const capLen = dv.getUint32(20, le);
          const origLen = dv.getUint32(24, le);
          // Compare before padding: (capLen + 3) & ~3 goes negative for capLen ≥ 2^31.
          if (capLen > bodyEnd - 28) {
            throw new CaptureFormatError(
              'BLOCK_OVERRUN',
              fileName,
              fileOffset + 20,
              `packet's captured length ${capLen} exceeds its block of ${len} bytes`,
            );
          }
          const padded = capLen + (-capLen & 3);
          unitsToTime(ng, dv.getUint32(12, le), dv.getUint32(16, le));
          rec.buf = buf;
          rec.offset = off + 28;
          rec.capLen = capLen;
          rec.origLen = Math.max(origLen, capLen);
          rec.hasTimestamp = true;
          rec.interfaceId = ng.iface.id;
          rec.recordFileOffset = fileOffset;
          rec.dataFileOffset = fileOffset + 28;
          rec.epbFlags = 0;
          rec.comments = undefined;
          readOptions(dv, 28 + padded, bodyEnd, le, (code, vo, vl) => {
            if (code === 1) (rec.comments ??= []).push(optString(dv, vo, vl));
            else if (code === 2 && type === BT_EPB && vl >= 4) rec.epbFlags = dv.getUint32(vo, le);
          });
          emit();
          return;
        }
        case BT_SPB: {
          if (len < 16) throw new CaptureFormatError('BAD_BLOCK_LENGTH', fileName, fileOffset, `simple packet block of ${len} bytes (at least 16)`);
          // An SPB belongs to the section's first interface and carries no timestamp (§4.4).
          const ng = ifaceFor(0, fileOffset);
          const origLen = dv.getUint32(8, le);
          const snap = ng.iface.snaplen === 0 ? Number.MAX_SAFE_INTEGER : ng.iface.snaplen;
          const capLen = Math.min(origLen, snap, bodyEnd - 12);
          rec.buf = buf;
          rec.offset = off + 12;
          rec.capLen = capLen;
          rec.origLen = origLen;
          rec.hasTimestamp = false;
          rec.tsSec = 0;
          rec.tsNsec = 0;
          rec.interfaceId = ng.iface.id;
          rec.recordFileOffset = fileOffset;
          rec.dataFileOffset = fileOffset + 12;
          rec.epbFlags = 0;
          rec.comments = undefined;
          emit();
          return;
        }
        case BT_ISB: {
          // Interface Statistics (§4.6): when the capture of that interface started and ended,
          // and what it dropped. Kept on the interface; the block is still no frame.
          skipped(type, fileOffset, len);
          const ng = len >= 24 ? sectionIfaces[dv.getUint32(8, le)] : undefined;
          if (!ng) return;
          // An ISB says statistics were kept, even one with no option.
          ng.iface.stats ??= {};
          const saved = [rec.tsSec, rec.tsNsec] as const;
          // In the interface's resolution, as §4.6 says; but dumpcap 4.0 writes them in
          // microseconds on a nanosecond interface (measured: lib/capture/testdata). A time
          // outside 1990–2200 is read in microseconds, then nanoseconds; else it is dropped.
          const at = (vo: number): [number, number] | null => {
            unitsToTime(ng, dv.getUint32(vo, le), dv.getUint32(vo + 4, le));
            if (plausibleSec(rec.tsSec)) return [rec.tsSec, rec.tsNsec];
            const raw = (BigInt(dv.getUint32(vo, le)) << 32n) | BigInt(dv.getUint32(vo + 4, le));
            for (const per of [1_000_000n, 1_000_000_000n]) {
              const sec = Number(raw / per) + ng.iface.tsOffsetSeconds;
              if (plausibleSec(sec)) return [sec, Number(((raw % per) * 1_000_000_000n) / per)];
            }
            return null;
          };
          const u64 = (vo: number) => Number(dv.getBigUint64(vo, le));
          readOptions(dv, 20, bodyEnd, le, (code, vo, vl) => {
            if (vl < 8) return;
            switch (code) {
              case 2: { const t = at(vo); if (t) foldInterfaceStats(ng.iface, { start: t }); break; } // isb_starttime
              case 3: { const t = at(vo); if (t) foldInterfaceStats(ng.iface, { end: t }); break; } // isb_endtime
              case 5: foldInterfaceStats(ng.iface, { ifDrop: u64(vo) }); break; // isb_ifdrop
              case 7: foldInterfaceStats(ng.iface, { osDrop: u64(vo) }); break; // isb_osdrop
            }
          });
          [rec.tsSec, rec.tsNsec] = saved;
          return;
        }
        default:
          // Name Resolution, Decryption Secrets, Custom and unknown blocks
          // carry nothing the analysis needs; their length was checked, so skipping is safe.
          skipped(type, fileOffset, len);
          return;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Sources: gzip and chunk sequences

export type ChunkSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const GZIP_TRUNCATED = /unexpected end|premature|incomplete|truncat/i;
/** Bytes inflated between two turns of the event loop while a cancel can come (gunzip). */
const YIELD_BYTES = 8 << 20;

async function* gunzip(
  fileName: string,
  first: Uint8Array,
  rest: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
  state: { truncated: boolean },
  onInflated?: (totalBytes: number) => void,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  // The inflater's errors surface on both sides of the stream: the pump's writes swallow them
  // and read() reports them. The source's own (a read that failed, stalled or was cancelled)
  // would reach nobody and leave read() waiting for ever: it ends the inflater and is thrown
  // as it came. Each chunk goes in as a copy: the inflater may still hold it once write()
  // resolves (Node's stream adapter resolves as soon as zlib has queued it), and the sources
  // (node.ts, blob.ts) read the next chunk into a buffer they reuse. `new Uint8Array(x)`, not
  // x.slice(): a Node Buffer's slice is a view.
  const source = { failed: false, error: undefined as unknown };
  const pump = (async () => {
    try {
      await writer.write(new Uint8Array(first));
      for (;;) {
        let r: IteratorResult<Uint8Array>;
        try {
          r = await rest.next();
        } catch (error) {
          Object.assign(source, { failed: true, error });
          await writer.abort(error).catch(() => undefined);
          return;
        }
        if (r.done) break;
        await writer.write(new Uint8Array(r.value));
      }
      await writer.close();
    } catch {
      /* reported by reader.read() */
    }
  })();
  let out = 0;
  let nextYield = YIELD_BYTES;
  let finished = false;
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (source.failed) throw source.error;
        const msg = (e as Error)?.message ?? String(e);
        // A gzip stream cut short (compressed while tcpdump still wrote, or a cut download) reads
        // like a truncated capture: keep what was decompressed.
        if (!GZIP_TRUNCATED.test(msg)) {
          throw new CaptureFormatError('BAD_GZIP', fileName, out, `gzip data is corrupt after ${out} decompressed bytes: ${msg}`);
        }
        state.truncated = true;
        break;
      }
      if (r.done) break;
      out += r.value.length;
      // One chunk of the file may inflate to gigabytes (a capture of repeated bytes), and a
      // browser's inflater queues all its pieces at once, so reading them never leaves this loop
      // for the event loop: a Cancel (a message to this worker) would wait for the whole chunk.
      // Every YIELD_BYTES inflated, the event loop gets a turn, then the signal is asked.
      if (signal && out >= nextYield) {
        nextYield = out + YIELD_BYTES;
        await new Promise((resolve) => setTimeout(resolve, 0));
        signal.throwIfAborted();
      }
      // The sink may refuse more (a server's cap on what an upload inflates to): its error stands.
      onInflated?.(out);
      yield r.value;
    }
    finished = true;
  } finally {
    // Stopped early (a refusal, a consumer that gave up): cancel the stream, so the pump waiting
    // on it ends and the rest of the input is never inflated.
    if (!finished) {
      await reader.cancel().catch(() => {});
      await writer.abort().catch(() => {});
    }
  }
  await pump;
}

/**
 * Read a whole capture from a chunk source, decompressing gzip transparently (as Wireshark
 * does for .pcap.gz / .pcapng.gz). Throws only CaptureFormatError for bad input, and the
 * signal's reason once it aborts (the source checks it between chunks, gzip between the
 * inflater's pieces).
 */
export async function readCapture(fileName: string, chunks: ChunkSource, sink: CaptureSink, signal?: AbortSignal): Promise<CaptureSummary> {
  const it: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    Symbol.asyncIterator in chunks
      ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
  try {
    return await readFrom(fileName, it, sink, signal);
  } finally {
    // Stopped early by a bad record or a bad gzip stream: the source closes its file now, not at
    // some later garbage collection (Node warns of those, and a worker reading file after file
    // would hold them open).
    await it.return?.();
  }
}

/**
 * One part of a plain (not gzip) capture, its bytes from the chunk source (boundary.ts's
 * FilePart: a part after the first starts at a record or block boundary and is given the file's
 * leading units). Returns the summary and where the reading stopped, which says whether the
 * part's end was a boundary too: a part other than the last that ends inside a record holds it
 * back (`partial` > 0) and is not ended (no summary).
 */
export async function readCapturePart(
  fileName: string,
  chunks: AsyncIterable<Uint8Array>,
  sink: CaptureSink,
  part: { start: number; header: Uint8Array | null; last: boolean },
): Promise<{ summary: CaptureSummary | null; position: ReaderPosition }> {
  const reader = createCaptureReader(fileName, sink, part.start > 0 ? { header: part.header ?? new Uint8Array(0), at: part.start } : undefined);
  for await (const chunk of chunks) reader.push(chunk);
  const position = reader.position();
  if (!part.last && position.partial > 0) return { summary: null, position };
  return { summary: reader.end(), position };
}

async function readFrom(fileName: string, it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>, sink: CaptureSink, signal?: AbortSignal): Promise<CaptureSummary> {
  let first: Uint8Array | undefined;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    if (r.value.length > 0) {
      first = r.value;
      break;
    }
  }
  const reader = createCaptureReader(fileName, sink);
  if (!first) return reader.end();
  if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
    const state = { truncated: false };
    for await (const chunk of gunzip(fileName, first, it, state, sink.onInflated?.bind(sink), signal)) reader.push(chunk);
    const s = reader.end();
    s.gzip = true;
    if (state.truncated && !s.warnings.some((w) => w.code === 'TRUNCATED_FILE')) {
      const w = {
        code: 'TRUNCATED_FILE' as const,
        byteOffset: s.bytes,
        message: `${fileName}: the gzip stream ends early, after ${s.bytes} decompressed bytes; ${wholePackets(s.packets)} before it`,
      };
      s.warnings.push(w);
      sink.onWarning?.(w);
    }
    return s;
  }
  reader.push(first);
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    reader.push(r.value);
  }
  return reader.end();
}

export type { CaptureFormat };

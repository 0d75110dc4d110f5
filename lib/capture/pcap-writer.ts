/**
 * A streaming writer for classic pcap files (draft-ietf-opsawg-pcap §4–5), little-endian, as
 * tcpdump writes them on x86. Every call returns a chunk (or fills the caller's buffer); nothing
 * is kept, so a file of any size streams through a fixed amount of memory.
 *
 * File header:
 *
 *                         1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  0 |                          Magic Number                         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  4 |          Major Version        |         Minor Version         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  8 |                           Reserved1                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 12 |                           Reserved2                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 16 |                            SnapLen                            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 20 | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Packet record:
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  0 |                      Timestamp (Seconds)                      |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  4 |            Timestamp (Microseconds or nanoseconds)            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  8 |                    Captured Packet Length                     |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 12 |                    Original Packet Length                     |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * 16 /                          Packet Data                          /
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

import { PCAP_FILE_HEADER_LEN, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_RECORD_HEADER_LEN } from './formats';

export const PCAP_MAGIC_MICROSECONDS = PCAP_MAGIC_US;
export const PCAP_MAGIC_NANOSECONDS = PCAP_MAGIC_NS;
export const PCAP_FILE_HEADER_LENGTH = PCAP_FILE_HEADER_LEN;
export const PCAP_RECORD_HEADER_LENGTH = PCAP_RECORD_HEADER_LEN;
/** tcpdump's default snapshot length since 4.99 (MAXIMUM_SNAPLEN in libpcap). */
export const PCAP_DEFAULT_SNAPLEN = 262144;

const UINT32_MAX = 0xffffffff;
const NS_PER_US = 1000;
const NS_PER_SECOND = 1_000_000_000;

export interface PcapHeaderOptions {
  /** Write the nanosecond magic (0xa1b23c4d) and nanosecond timestamps; default microseconds. */
  nanosecond?: boolean;
}

function checkUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new RangeError(`pcap ${name} must be an integer in 0..${UINT32_MAX}, got ${value}`);
  }
}

export class PcapWriter {
  private linkTypeValue = -1;
  private snaplenValue = 0;
  private nanosecondValue = false;

  get linkType(): number {
    return this.linkTypeValue;
  }

  get snaplen(): number {
    return this.snaplenValue;
  }

  get nanosecond(): boolean {
    return this.nanosecondValue;
  }

  /** The 24-byte file header; must be written first, once. */
  header(linkType: number, snaplen: number = PCAP_DEFAULT_SNAPLEN, opts: PcapHeaderOptions = {}): Uint8Array {
    // The upper bits of the link-type field carry the FCS length (§4); keep link types in 16 bits.
    if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0xffff) {
      throw new RangeError(`pcap link type must be an integer in 0..65535, got ${linkType}`);
    }
    checkUint32('snaplen', snaplen);
    if (snaplen === 0) throw new RangeError('pcap snaplen must be positive');
    this.linkTypeValue = linkType;
    this.snaplenValue = snaplen;
    this.nanosecondValue = opts.nanosecond === true;

    const out = new Uint8Array(PCAP_FILE_HEADER_LENGTH);
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    dv.setUint32(0, this.nanosecondValue ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, 0, true);
    dv.setUint32(16, snaplen, true);
    dv.setUint32(20, linkType, true);
    return out;
  }

  /** Bytes `record` will produce for a packet of `dataLength` bytes (after snaplen truncation). */
  recordLength(dataLength: number): number {
    this.checkStarted();
    return PCAP_RECORD_HEADER_LENGTH + Math.min(dataLength, this.snaplenValue);
  }

  /**
   * One packet record as a new chunk. `tsNsec` is always nanoseconds within the second; in a
   * microsecond file it is truncated to microseconds, as libpcap does. Data longer than the
   * snaplen is cut, keeping its full length as the original length.
   */
  record(tsSec: number, tsNsec: number, data: Uint8Array, origLen?: number): Uint8Array {
    const out = new Uint8Array(this.recordLength(data.length));
    this.recordInto(out, 0, tsSec, tsNsec, data, origLen);
    return out;
  }

  /**
   * Writes one packet record into `target` at `offset` without allocating; returns the number of
   * bytes written. For batching many records into one large chunk.
   */
  recordInto(
    target: Uint8Array,
    offset: number,
    tsSec: number,
    tsNsec: number,
    data: Uint8Array,
    origLen: number = data.length,
  ): number {
    this.checkStarted();
    checkUint32('timestamp seconds', tsSec);
    if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec >= NS_PER_SECOND) {
      throw new RangeError(`pcap timestamp nanoseconds must be an integer in 0..999999999, got ${tsNsec}`);
    }
    checkUint32('original length', origLen);
    const capLen = Math.min(data.length, this.snaplenValue);
    if (origLen < capLen) {
      throw new RangeError(`pcap original length ${origLen} is less than the captured length ${capLen}`);
    }
    const length = PCAP_RECORD_HEADER_LENGTH + capLen;
    if (!Number.isInteger(offset) || offset < 0 || offset + length > target.length) {
      throw new RangeError(`pcap record of ${length} bytes does not fit at ${offset} in ${target.length} bytes`);
    }
    const dv = new DataView(target.buffer, target.byteOffset + offset, PCAP_RECORD_HEADER_LENGTH);
    dv.setUint32(0, tsSec, true);
    dv.setUint32(4, this.nanosecondValue ? tsNsec : Math.floor(tsNsec / NS_PER_US), true);
    dv.setUint32(8, capLen, true);
    dv.setUint32(12, origLen, true);
    target.set(capLen === data.length ? data : data.subarray(0, capLen), offset + PCAP_RECORD_HEADER_LENGTH);
    return length;
  }

  private checkStarted(): void {
    if (this.linkTypeValue < 0) throw new Error('PcapWriter: header() must be written before records');
  }
}

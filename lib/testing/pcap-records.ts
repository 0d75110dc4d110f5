/**
 * Classic pcap files rewritten record by record, as a capture that missed or never held some
 * packets would be: found by the project's own reader, copied byte for byte. For tests.
 */
import { readFileSync } from 'node:fs';
import { loadInputs } from '../analyze/files';
import { PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN } from '../capture/formats';
import type { IndexedCapture } from '../decode/capture-index';
import type { PacketRow } from '../decode/packet-index';

/** A capture's time of packet i, ns since the epoch. */
export const packetNs = (cap: IndexedCapture, i: number) => BigInt(cap.baseSec) * 1_000_000_000n + BigInt(cap.baseNsec) + BigInt(Math.round(cap.index.tsNsAt(i)));

/** A file's bytes, its capture as the project's reader indexed it, and each record's bytes (header and data). */
async function recordsOf(file: string): Promise<{ bytes: Uint8Array; cap: IndexedCapture; records: Uint8Array[] }> {
  const bytes = new Uint8Array(readFileSync(file));
  const cap = (await loadInputs([file], new Map())).inputs[0]!.capture;
  const records: Uint8Array[] = [];
  for (let i = 0; i < cap.index.count; i++) {
    const at = cap.index.read(i).dataOffset - PCAP_RECORD_HEADER_LEN;
    records.push(bytes.subarray(at, i + 1 < cap.index.count ? cap.index.read(i + 1).dataOffset - PCAP_RECORD_HEADER_LEN : bytes.length));
  }
  return { bytes, cap, records };
}

/** The pcap file header `bytes` begins with, then `records`. */
function pcapOf(bytes: Uint8Array, records: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(PCAP_FILE_HEADER_LEN + records.reduce((n, r) => n + r.length, 0));
  out.set(bytes.subarray(0, PCAP_FILE_HEADER_LEN));
  records.reduce((o, r) => (out.set(r, o), o + r.length), PCAP_FILE_HEADER_LEN);
  return out;
}

/** A pcap holding only the records `keep` accepts (its row, its time in ns since the epoch), in their order. */
export async function keptWhere(file: string, keep: (row: PacketRow, ns: bigint) => boolean): Promise<Uint8Array> {
  const { bytes, cap, records } = await recordsOf(file);
  return pcapOf(bytes, records.filter((_, i) => keep(cap.index.read(i), packetNs(cap, i))));
}

/**
 * A pcap with each pair of records (first and second, third and fourth, …) less than `withinNs`
 * apart written the other way round, each keeping its own timestamp: as tcpdump on several CPUs
 * writes packets, microseconds out of order. How many pairs it swapped, and the file.
 */
export async function swappedPairs(file: string, withinNs: bigint): Promise<{ swapped: number; bytes: Uint8Array }> {
  const { bytes, cap, records } = await recordsOf(file);
  let swapped = 0;
  for (let i = 0; i + 1 < records.length; i += 2) {
    if (packetNs(cap, i + 1) - packetNs(cap, i) >= withinNs) continue;
    [records[i], records[i + 1]] = [records[i + 1]!, records[i]!];
    swapped++;
  }
  return { swapped, bytes: pcapOf(bytes, records) };
}

/** A pcap as `tcpdump -s len` would have written it: each record cut to `len` bytes, its wire length kept; the header's snap length too. */
export async function snapped(file: string, len: number): Promise<Uint8Array> {
  const { bytes, records } = await recordsOf(file);
  const little = byteOrder(bytes).little;
  const out = pcapOf(bytes, records.map((r) => {
    const cut = r.slice(0, PCAP_RECORD_HEADER_LEN + Math.min(len, r.length - PCAP_RECORD_HEADER_LEN));
    new DataView(cut.buffer).setUint32(8, cut.length - PCAP_RECORD_HEADER_LEN, little);
    return cut;
  }));
  const header = new DataView(out.buffer);
  header.setUint32(16, Math.min(len, header.getUint32(16, little)), little);
  return out;
}

/** A pcap with the records `twice` picks written twice in a row, as `mergecap -w out f f` (a file merged with itself) writes every one. */
export async function doubledWhere(file: string, twice: (i: number) => boolean): Promise<Uint8Array> {
  const { bytes, records } = await recordsOf(file);
  return pcapOf(bytes, records.flatMap((r, i) => (twice(i) ? [r, r] : [r])));
}

/**
 * A pcap as tcpdump -C writes it when it rotates: the records in order, a new file (its own file
 * header) after every `perFile` of them.
 */
export async function rotated(file: string, perFile: number): Promise<Uint8Array[]> {
  const { bytes, records } = await recordsOf(file);
  const out: Uint8Array[] = [];
  for (let i = 0; i < records.length; i += perFile) out.push(pcapOf(bytes, records.slice(i, i + perFile)));
  // A capture that saw nothing still wrote its first file's header.
  return out.length > 0 ? out : [pcapOf(bytes, [])];
}

/** A classic pcap (microsecond or nanosecond, either byte order) with every record's time moved by `us` microseconds: its node's clock `us` ahead. */
export function shifted(file: string, us: number): Uint8Array {
  const bytes = new Uint8Array(readFileSync(file));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { little, unit } = byteOrder(bytes);
  for (let at = PCAP_FILE_HEADER_LEN; at + PCAP_RECORD_HEADER_LEN <= bytes.length; at += PCAP_RECORD_HEADER_LEN + dv.getUint32(at + 8, little)) {
    const t = dv.getUint32(at, little) * unit + dv.getUint32(at + 4, little) + Math.round((us * unit) / 1e6);
    dv.setUint32(at, Math.floor(t / unit), little);
    dv.setUint32(at + 4, t % unit, little);
  }
  return bytes;
}

/** A classic pcap's byte order and the units of its records' second fractions, by its magic. */
function byteOrder(bytes: Uint8Array): { little: boolean; unit: number } {
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = (little ? magic : new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false)) === 0xa1b23c4d;
  return { little, unit: nano ? 1e9 : 1e6 };
}

/**
 * Captures made in memory for tests of the analysis: frames written as a nanosecond pcap, the
 * file indexed as the analysis reads one, and labelled from its name as the CLI labels it.
 */
import { concatBytes } from '../capture/build';
import { PcapWriter } from '../capture/pcap-writer';
import { createCaptureReader } from '../capture/read';
import { CaptureIndexer, type IndexedCapture } from '../decode/capture-index';
import { resolveLabel } from '../correlate/labels';
import type { CaptureInput } from '../correlate/types';

/** One frame to write: when, in ns after the file's start second, and its bytes. */
export interface TimedFrame {
  ns: number;
  bytes: Uint8Array;
}

/** The second the files start at unless a test says otherwise (2023-11-14). */
export const START_SEC = 1_700_000_000;

/** A nanosecond pcap of `frames` in time order (equal times keep their order). Ethernet, snap length 262144, unless told. */
export function pcapOf(frames: readonly TimedFrame[], opts: { startSec?: number; linkType?: number; snaplen?: number } = {}): Uint8Array {
  const w = new PcapWriter();
  const start = opts.startSec ?? START_SEC;
  const header = w.header(opts.linkType ?? 1, opts.snaplen ?? 262144, { nanosecond: true });
  const records = [...frames].sort((a, b) => a.ns - b.ns).map((f) => w.record(start + Math.floor(f.ns / 1e9), f.ns % 1e9, f.bytes));
  return concatBytes(header, ...records);
}

/** A capture file's bytes indexed as the analysis reads them. */
export function indexedCapture(file: string, bytes: Uint8Array): IndexedCapture {
  const indexer = new CaptureIndexer();
  const reader = createCaptureReader(file, indexer);
  reader.push(bytes);
  return indexer.finish(reader.end());
}

/** The file indexed and labelled as the correlator gets it; `knownNodes` as other files of the incident name them. */
export function captureInput(file: string, bytes: Uint8Array, knownNodes: readonly string[] = []): CaptureInput {
  const capture = indexedCapture(file, bytes);
  return { file, capture, label: resolveLabel(file, undefined, capture.interfaces.map((i) => i.name), knownNodes) };
}

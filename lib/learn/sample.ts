/**
 * A lab sample loaded for the lesson: every packet of its one-file pcapng (one interface per
 * capture point, named `<node>/<interface>`), kept whole, plus the compact index the analysis
 * needs. The samples are a few tens of kilobytes, so keeping every packet costs nothing; the
 * same function runs in Node (tests) and in the browser (the /learn page).
 */
import { readCapture, type ChunkSource } from '../capture/read';
import type { CaptureInterface, CaptureSink, CaptureSummary, PacketRecord } from '../capture/types';
import { CaptureIndexer, type IndexedCapture } from '../decode/capture-index';
import { decodePacket, type DecodedPacket } from '../decode/decode-packet';

export interface SamplePacket {
  /** 1-based frame number in the pcapng, as Wireshark counts. */
  frame: number;
  /** `<node>/<interface>`, the capture point. */
  station: string;
  /**
   * 1-based frame number among this station's packets: the frame number in the per-interface
   * `<node>-<interface>.pcap` the pcapng was merged from.
   */
  stationFrame: number;
  linkType: number;
  bytes: Uint8Array;
  origLen: number;
  decoded: DecodedPacket;
}

export interface LoadedSample {
  name: string;
  /** Capture points in the file's order (the lab writes them in path order, client first). */
  stations: string[];
  packets: SamplePacket[];
  capture: IndexedCapture;
}

/** `node1-flannel.1.pcap` for `node1/flannel.1`: the lab's per-interface file name. */
export function stationFile(station: string): string {
  return `${station.replace('/', '-')}.pcap`;
}

export function sampleFile(name: string): string {
  return `${name}.pcapng`;
}

class Collector implements CaptureSink {
  readonly interfaces: CaptureInterface[] = [];
  readonly packets: SamplePacket[] = [];
  private readonly perStation = new Map<string, number>();
  constructor(private readonly indexer: CaptureIndexer) {}

  onInterface(iface: CaptureInterface): void {
    this.interfaces[iface.id] = iface;
    this.indexer.onInterface(iface);
  }

  onWarning(w: Parameters<NonNullable<CaptureSink['onWarning']>>[0]): void {
    this.indexer.onWarning(w);
  }

  onPacket(rec: PacketRecord): void {
    this.indexer.onPacket(rec);
    const iface = this.interfaces[rec.interfaceId];
    const station = iface?.name ?? `interface ${rec.interfaceId}`;
    const n = (this.perStation.get(station) ?? 0) + 1;
    this.perStation.set(station, n);
    const bytes = rec.buf.slice(rec.offset, rec.offset + rec.capLen);
    const linkType = iface?.linkType ?? -1;
    this.packets.push({
      frame: rec.frameNumber,
      station,
      stationFrame: n,
      linkType,
      bytes,
      origLen: rec.origLen,
      decoded: decodePacket(bytes, linkType),
    });
  }
}

export async function loadSample(name: string, chunks: ChunkSource): Promise<LoadedSample> {
  const indexer = new CaptureIndexer();
  const collector = new Collector(indexer);
  const summary: CaptureSummary = await readCapture(sampleFile(name), chunks, collector);
  const stations = collector.interfaces.map((i) => i.name ?? `interface ${i.id}`);
  return { name, stations, packets: collector.packets, capture: indexer.finish(summary) };
}

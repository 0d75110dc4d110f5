/**
 * Messages between the dashboard (main thread) and the analysis worker. The worker owns the
 * files, their indexes and the correlation; the page holds only what it shows: per-file
 * summaries, the report, and pages of packet rows it asks for.
 */
import type { AnalysisReport } from '../analyze';
import type { InterfaceRole } from '../protocols/devices';
import type { Nanoseconds } from '../util/units';
import type { Anatomy, MtuArithmetic, StationDiff } from '../anatomy/types';

export type FileId = string & { readonly __brand: 'FileId' };

export interface NodeLabel {
  node: string;
  interface: string;
}

export interface FileSummary {
  format: 'pcap' | 'pcapng';
  gzip: boolean;
  packets: number;
  /** Bytes of capture data (decompressed). */
  bytes: number;
  /** ISO-8601 with nanoseconds; null when no packet carries a timestamp. */
  firstTs: string | null;
  lastTs: string | null;
  linkTypes: { linkType: number; name: string; packets: number; decoded: boolean }[];
  interfaces: { id: number; name?: string; linkType: number }[];
  /** The five most common layer stacks. */
  hierarchy: { path: string; packets: number }[];
  warnings: string[];
  /** The label found in the file (pcapng interface name, file name), before any edit. */
  detected: NodeLabel & { source: string };
  /** Several named pcapng interfaces: each is its own capture point and carries its own label. */
  multiInterface: boolean;
}

export interface PointInfo {
  id: number;
  fileId: FileId | null;
  file: string;
  node: string;
  /** The node whose clock the capture ran on (a capture inside a pod: the pod's node). */
  host: string;
  interface: string;
  role: InterfaceRole;
  /** Whether the interface's name said the role, the packets did (inferred), or the user. */
  roleSource: 'name' | 'inferred' | 'user' | 'state';
  packets: number;
  /** The capture window: first and last packet, ns since the incident's epoch, on the node's own clock (NaN: none). */
  firstNs: Nanoseconds;
  lastNs: Nanoseconds;
}

/** Where a file ended up in the last analysis. */
export interface FileAnalysis {
  points: { id: number; node: string; interface: string }[];
  /** Why the file adds no capture point, when it does not. */
  unused: string | null;
  /** One file of a capture written as several (a rotation): its place among them, from 1, in time order. */
  part?: { index: number; of: number };
}

export type ToWorker =
  | { type: 'add'; files: { id: FileId; file: File; name: string; label?: NodeLabel }[] }
  | { type: 'remove'; ids: FileId[] }
  /** `label: null` goes back to the detected label. */
  | { type: 'relabel'; id: FileId; label: NodeLabel | null }
  /** Roles the user set, by "node/interface"; they replace what names and traffic say. */
  | { type: 'roles'; roles: Record<string, InterfaceRole> }
  /** Stop every read in progress or waiting; what was read stays. */
  | { type: 'cancel' }
  | { type: 'retry'; id: FileId }
  | { type: 'packets'; req: number; generation: number; flow: number; point: number; offset: number; limit: number }
  | { type: 'packet'; req: number; generation: number; flow: number; group: number; point: number }
  | { type: 'export-pcap'; req: number; generation: number; flow: number; point: number }
  /** One packet (group) at every station that saw it: bytes, layers, fields, what changed. */
  | { type: 'anatomy'; req: number; generation: number; flow: number; group: number }
  /** A copy of one file with every packet cut after its innermost transport header. */
  | { type: 'cut-headers'; req: number; id: FileId }
  /**
   * The next batch of an analysis's flows, from its `from`-th: the page asks for each once it has
   * taken the one before, so that its verdict is drawn before the rest arrive.
   */
  | { type: 'more-flows'; generation: number; from: number };

/** One packet of a flow as one capture point saw it. */
export interface PacketListRow {
  /** Position in the list. */
  n: number;
  /** Packet group id (the same packet at every capture point). */
  group: number;
  dir: 'request' | 'reply';
  /** Corrected time (the point's node clock offset applied), ns since the incident epoch. */
  tNs: Nanoseconds;
  /** Frame number in its file, as Wireshark counts. */
  frame: number;
  /** That file, where the point's capture was written as several (a rotation). */
  file?: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  protocol: string;
  ipLen: number;
  ttl: number;
  info: string;
  /** Stations (capture points but `-i any`) of the flow's path that saw this packet, and of all. */
  seen: number;
  stations: number;
}

export interface PacketPage {
  flow: number;
  point: number;
  offset: number;
  total: number;
  rows: PacketListRow[];
}

export type { LadderSighting, PacketDetail } from '../viz/ladder-layout';
import type { PacketDetail } from '../viz/ladder-layout';

/** The packet as one station captured it. */
export interface StationAnatomy {
  point: number;
  node: string;
  interface: string;
  role: InterfaceRole;
  /** Frame number in its file, as Wireshark counts. */
  frame: number;
  /** That file, where the point's capture was written as several (a rotation). */
  file?: string;
  linkType: number;
  /** The captured bytes (capLen of them). */
  bytes: Uint8Array;
  anatomy: Anatomy;
}

export interface PacketAnatomyDetail {
  flow: number;
  group: number;
  dir: 'request' | 'reply';
  /** The stations that saw the packet, in the order it crossed them. */
  stations: StationAnatomy[];
  /** `diffs[i]` goes from `stations[i - 1]` to `stations[i]`; `diffs[0]` is null. */
  diffs: (StationDiff | null)[];
  /** The MTU arithmetic of each station's copy (same order as `stations`). */
  mtu: MtuArithmetic[];
}

export type FromWorker =
  | { type: 'file-progress'; id: FileId; bytesRead: number; total: number }
  | { type: 'file-reading'; id: FileId; total: number }
  | { type: 'file-loaded'; id: FileId; summary: FileSummary }
  /** A node's interface list (`<node>-links.txt`, what `ip -o link` or `ip -j link` printed). */
  | { type: 'links-loaded'; id: FileId; node: string; interfaces: number }
  | { type: 'state-loaded'; id: FileId; node: string; files: number }
  | { type: 'file-error'; id: FileId; message: string; code: string | null }
  | { type: 'file-cancelled'; id: FileId; bytesRead: number }
  | { type: 'analysing'; generation: number }
  /**
   * The rest of an analysis's flows, a batch for each `more-flows`: one message of tens of
   * thousands of flows held the page's main thread half a second while it was unpacked.
   */
  | { type: 'analysis-flows'; generation: number; flows: AnalysisReport['flows'] }
  | {
      type: 'analysis';
      generation: number;
      /** With the first flows only (the worst: they come sorted) when `flowsToCome` is not 0. */
      report: AnalysisReport | null;
      /** Flows not in `report` yet: the page asks for them (`more-flows`), in the report's order. */
      flowsToCome: number;
      points: PointInfo[];
      epochSec: number;
      files: Record<string, FileAnalysis>;
      ms: number;
    }
  | { type: 'analysis-error'; generation: number; message: string }
  /** The worker failed, or a message between it and the page was lost: no pending answer will come. */
  | { type: 'worker-lost'; message: string }
  | { type: 'packets'; req: number; page: PacketPage }
  | { type: 'packet'; req: number; detail: PacketDetail }
  | { type: 'anatomy'; req: number; detail: PacketAnatomyDetail }
  | { type: 'export'; req: number; fileName: string; blob: Blob; packets: number; skipped: number }
  | { type: 'cut'; req: number; blob: Blob; packets: number; bytesOut: number }
  | { type: 'request-error'; req: number; message: string };

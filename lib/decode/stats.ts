/**
 * Per-file statistics: what `hopscope stats` prints and what the capture inspector shows.
 * Pure functions over an IndexedCapture.
 */
import { addNs } from '../util/units';
import type { IndexedCapture } from './capture-index';

export interface CaptureStats {
  fileName: string;
  format: 'pcap' | 'pcapng';
  gzip: boolean;
  packets: number;
  /** Sum of the packets' original lengths (what tshark's io,phs counts as bytes). */
  bytes: number;
  /** ISO-8601 with nanoseconds, or null when no packet carries a timestamp. */
  firstTs: string | null;
  lastTs: string | null;
  linkTypes: { linkType: number; name: string; packets: number }[];
  interfaces: { id: number; name?: string; description?: string; linkType: number }[];
  /** Full layer stacks, outer to inner, with their packet and byte counts; most packets first. */
  hierarchy: { path: string; packets: number; bytes: number }[];
  warnings: string[];
}

const LINK_TYPE_NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'ETHERNET',
  12: 'RAW (IP)',
  14: 'RAW (IP)',
  101: 'RAW (IP)',
  108: 'LOOP (OpenBSD loopback)',
  113: 'LINUX_SLL (cooked, tcpdump -i any)',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2 (cooked v2, tcpdump -i any)',
};

export function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES[linkType] ?? `link type ${linkType} (not decoded)`;
}

/** ISO-8601 UTC with all nine fractional digits: a capture's nanoseconds matter. */
export function isoNs(sec: number, nsec: number): string {
  const whole = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${whole}.${String(nsec).padStart(9, '0')}Z`;
}

/**
 * Layer stacks in the order `localeCompare` gives them, without ICU's collator, whose first use
 * cost 13 ms of a `stats` run: their text is lower-case kinds, digits and ':', and the collator
 * puts ':' before digits and letters, which a space does in code units (sll:… before sll2:…).
 */
export function comparePaths(a: string, b: string): number {
  const x = a.replaceAll(':', ' ');
  const y = b.replaceAll(':', ' ');
  return x < y ? -1 : x > y ? 1 : 0;
}

export function captureStats(c: IndexedCapture): CaptureStats {
  const byPath = new Map<string, { packets: number; bytes: number }>();
  const perIfacePackets = new Map<number, number>();
  for (const shape of c.shapes) {
    const packets = c.shapePackets[shape.id] ?? 0;
    const bytes = c.shapeBytes[shape.id] ?? 0;
    const e = byPath.get(shape.path) ?? { packets: 0, bytes: 0 };
    e.packets += packets;
    e.bytes += bytes;
    byPath.set(shape.path, e);
    perIfacePackets.set(shape.interfaceId, (perIfacePackets.get(shape.interfaceId) ?? 0) + packets);
  }
  const byLinkType = new Map<number, number>();
  for (const iface of c.interfaces) {
    byLinkType.set(iface.linkType, (byLinkType.get(iface.linkType) ?? 0) + (perIfacePackets.get(iface.id) ?? 0));
  }
  const hasTs = !Number.isNaN(c.lastNs);
  const last = hasTs ? addNs(c.baseSec, c.baseNsec, c.lastNs) : null;
  return {
    fileName: c.fileName,
    format: c.summary.format,
    gzip: c.summary.gzip,
    packets: c.index.count,
    bytes: c.wireBytes,
    firstTs: hasTs ? isoNs(c.baseSec, c.baseNsec) : null,
    lastTs: last ? isoNs(last[0], last[1]) : null,
    linkTypes: [...byLinkType].map(([linkType, packets]) => ({ linkType, name: linkTypeName(linkType), packets })),
    interfaces: c.interfaces.map((i) => ({ id: i.id, name: i.name, description: i.description, linkType: i.linkType })),
    hierarchy: [...byPath]
      .map(([path, v]) => ({ path, ...v }))
      .sort((a, b) => b.packets - a.packets || comparePaths(a.path, b.path)),
    warnings: c.summary.warnings.map((w) => w.message),
  };
}

/**
 * The hierarchy as tshark's io,phs tree: every prefix of every stack with the packets that
 * reach at least that deep, indented one level per layer.
 */
export function hierarchyTree(hierarchy: CaptureStats['hierarchy']): { depth: number; name: string; path: string; packets: number; bytes: number }[] {
  const nodes = new Map<string, { depth: number; name: string; path: string; packets: number; bytes: number }>();
  for (const h of hierarchy) {
    const parts = h.path.split(':');
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join(':');
      const n = nodes.get(path) ?? { depth: i - 1, name: parts[i - 1]!, path, packets: 0, bytes: 0 };
      n.packets += h.packets;
      n.bytes += h.bytes;
      nodes.set(path, n);
    }
  }
  return [...nodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

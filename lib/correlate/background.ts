/**
 * Background: what every network carries and nobody calls a flow — ARP, IPv6 neighbour
 * discovery and MLD, IGMP, DHCP, LLDP, STP, broadcast and multicast — outside the tunnel and
 * inside it (flooded to every VTEP), and the tunnel's own outer packets when what they carry is
 * not IP. None of it is "dropped" or "unanswered": it is counted apart, per capture point. So
 * are the packets of tunnels Hopscope cannot look into (protocols/opaque.ts): they are no flow
 * of the node addresses that carry them; the report says what was not decoded. And so are a
 * port mirror's copies (ERSPAN, or what a collector's erspan device decapsulated): copies of
 * traffic at a mirrored port elsewhere, not packets crossing the collector.
 */
import type { Shape } from '../decode/summarize';
import type { PacketRow } from '../decode/packet-index';
import { META_HAS_IP, META_INNER_IPV6 } from '../decode/packet-index';
import { overlayOfLayer } from '../protocols/overlays';

export const BACKGROUND_KINDS = ['arp', 'nd', 'mld', 'igmp', 'dhcp', 'multicast', 'broadcast', 'link', 'tunnelled', 'opaque', 'mirrored'] as const;
export type BackgroundKind = (typeof BACKGROUND_KINDS)[number];

/** Per capture point: background packets by kind. */
export type BackgroundCounts = Record<BackgroundKind, number>;

export function emptyBackground(): BackgroundCounts {
  return { arp: 0, nd: 0, mld: 0, igmp: 0, dhcp: 0, multicast: 0, broadcast: 0, link: 0, tunnelled: 0, opaque: 0, mirrored: 0 };
}

export const BACKGROUND_NAMES: Record<BackgroundKind, string> = {
  arp: 'ARP',
  nd: 'IPv6 neighbour discovery',
  mld: 'MLD',
  igmp: 'IGMP',
  dhcp: 'DHCP',
  multicast: 'multicast',
  broadcast: 'broadcast',
  link: 'other link-layer (LLDP, STP, …)',
  tunnelled: 'non-IP frames inside a tunnel',
  opaque: 'packets of tunnels not decoded (WireGuard, IPsec, …)',
  mirrored: 'mirrored copies (ERSPAN)',
};

/** Codes: 0 not background; 1 + index into BACKGROUND_KINDS. */
const code = (k: BackgroundKind) => 1 + BACKGROUND_KINDS.indexOf(k);
export const NOT_BACKGROUND = 0;
export const OPAQUE_CODE = code('opaque');
export const ARP_CODE = code('arp');
export const ND_CODE = code('nd');
export const MIRRORED_CODE = code('mirrored');
export const TUNNELLED_CODE = code('tunnelled');

/**
 * What a packet shape alone says: a frame with no IP at all (ARP, LLDP, STP), or an overlay
 * whose payload holds no IP header (ARP flooded inside VXLAN). Otherwise NOT_BACKGROUND, and
 * the row decides (rowBackground).
 */
export function shapeBackground(shape: Shape): number {
  const kinds = shape.kinds;
  // A port mirror's copy (ERSPAN), or a frame on the collector's decapsulating device: a copy
  // of traffic that crossed another point, on no path of its own.
  if (kinds.includes('erspan')) return code('mirrored');
  const overlay = kinds.findIndex((k) => overlayOfLayer(k) !== undefined);
  // An overlay whose payload holds no IP header (ARP flooded to every VTEP, or the inner
  // packet cut off by the snap length) is the tunnel's own traffic, never a flow of the outer
  // addresses.
  if (overlay >= 0) {
    const inner = kinds.slice(overlay + 1);
    if (!inner.includes('ipv4') && !inner.includes('ipv6')) return code('tunnelled');
  }
  if (kinds.includes('ipv4') || kinds.includes('ipv6')) return NOT_BACKGROUND;
  return kinds.includes('arp') ? code('arp') : code('link');
}

const ND_TYPES = new Set([133, 134, 135, 136, 137]);
const MLD_TYPES = new Set([130, 131, 132, 143]);
const DHCP_PORTS = new Set([67, 68, 546, 547]);

/** The background kind of an IP packet's innermost header, or NOT_BACKGROUND. */
export function rowBackground(row: PacketRow, ipv6Text: (id: number) => string): number {
  if ((row.meta & META_HAS_IP) === 0) return code('link');
  const proto = row.proto;
  if (proto === 2) return code('igmp');
  if (proto === 58) {
    const type = row.dport >>> 8;
    if (ND_TYPES.has(type)) return code('nd');
    if (MLD_TYPES.has(type)) return code('mld');
  }
  if (proto === 17 && (DHCP_PORTS.has(row.sport) || DHCP_PORTS.has(row.dport))) return code('dhcp');
  if ((row.meta & META_INNER_IPV6) !== 0) {
    if (ipv6Text(row.dst).startsWith('ff')) return code('multicast');
  } else {
    if (row.dst >>> 28 === 0xe) return code('multicast');
    if (row.dst === 0xffffffff) return code('broadcast');
  }
  return NOT_BACKGROUND;
}

export function backgroundKind(c: number): BackgroundKind {
  return BACKGROUND_KINDS[c - 1]!;
}

/**
 * Interface names as the kernel, the CNIs and the distributions create them: what role an
 * interface plays on a pod's path, and, for an overlay device, which overlay it is and on
 * which port. One home for every device name pattern.
 */
import { innerMtu, overheadBytes, overlay, wireText, type OverlayKind, type OverlaySpec } from './overlays';

export type InterfaceRole = 'pod' | 'bridge' | 'overlay' | 'nic' | 'any' | 'other';

/** The roles in the order a packet crosses them leaving a pod: veth, bridge, overlay, NIC. */
export const EGRESS_ORDER: readonly InterfaceRole[] = ['pod', 'bridge', 'other', 'overlay', 'nic', 'any'];

/** A role as a noun in a sentence or a label: "node2/eth0 (NIC)", "a node's overlay device". */
export const ROLE_NOUNS: Record<InterfaceRole, string> = {
  pod: 'pod veth',
  bridge: 'bridge',
  overlay: 'overlay device',
  nic: 'NIC',
  any: '-i any',
  other: 'interface',
};

/** A role as the app's capture points table offers it, to choose or to name in a note. */
export const ROLE_LABELS: Record<InterfaceRole, string> = {
  pod: 'pod veth',
  bridge: 'bridge / gateway',
  overlay: 'overlay device',
  nic: 'node NIC',
  other: 'other',
  any: 'any (-i any)',
};

/**
 * Name patterns per role, as the CNIs name things: flannel (cni0, flannel.1, flannel-v6.1,
 * flannel0, flannel-wg), Calico (routed cali* veths without a bridge, vxlan.calico,
 * vxlan-v6.calico, tunl0, wireguard.cali), Cilium (lxc* veths, cilium_host as the pods'
 * gateway, cilium_vxlan / cilium_geneve collect-metadata devices, cilium_wg0), Antrea
 * (antrea-gw0, genev_sys_6081, antrea-tun0), kube-router (tun-<hash> tunnels), OVS
 * (vxlan_sys_4790), plain Linux tunnels (tun1, gre1, erspan1, sit1), Weave, Docker. Antrea names pod veths
 * `<pod prefix>-<hash>`, which no pattern can tell from other names: those roles come from
 * what crosses them. Service and node-local DNS dummies (kube-ipvs0, nodelocaldns) and
 * cilium_net, cilium_host's peer, are on no pod path: 'other'.
 */
const INTERFACE_PATTERNS: [RegExp, InterfaceRole][] = [
  [/^any$/, 'any'],
  [/^(veth[0-9a-z]*|cali[0-9a-z]+|lxc[0-9a-z_]*|vnet\d+|tap[0-9a-z]+)$/i, 'pod'],
  [/^(cni0|docker0|cbr0|br-[0-9a-z]+|kube-bridge|virbr\d+|br\d+|cilium_host|antrea-gw\d+)$/i, 'bridge'],
  [
    /^(flannel\.\d+|flannel-v6\.\d+|flannel0|flannel-wg(-v6)?|tunl0|vxlan\.calico|vxlan-v6\.calico|wireguard\.cali|wg-v6\.cali|vxlan[-_.0-9a-z]*|genev_sys_\d+|antrea-tun\d+|cilium_vxlan|cilium_geneve|cilium_wg\d+|weave|vxlan-6784|wg\d+|ipip\d*|gre\d+|gretap\d+|erspan\d+|ip6tnl\d+|ip6gre\d+|sit\d+|tun\d+|tun-[0-9a-f]+)$/i,
    'overlay',
  ],
  [/^(eth\d+(\.\d+)?|ens\d+[0-9a-z]*|enp\d+s\d+[0-9a-z]*|eno\d+|em\d+|bond\d+(\.\d+)?|wlan\d+|enx[0-9a-f]+)$/i, 'nic'],
];

export function interfaceRole(name: string): InterfaceRole {
  for (const [re, role] of INTERFACE_PATTERNS) if (re.test(name)) return role;
  return 'other';
}

/**
 * Tunnel devices by the kind `ip -d link` prints on their third line ("vxlan id 1 …", "tun type
 * tun …"), with the overlay each carries where Hopscope decodes it (flannel's UDP backend is
 * flanneld behind a TUN device, flannel0), else the bytes its headers add over an IPv4 underlay:
 * sit an IPv4 header (RFC 4213 §3.5), ip6tnl an IPv6 one (RFC 2473), WireGuard an IPv4 and a UDP
 * header and its own 32 bytes of header and tag (the WireGuard paper, §5.4.6).
 */
const TUNNEL_LINK_KINDS: ReadonlyMap<string, OverlayKind | number> = new Map<string, OverlayKind | number>([
  ['vxlan', 'vxlan'],
  ['geneve', 'geneve'],
  ['ipip', 'ipip'],
  ['gre', 'gre'],
  ['tun', 'flannel-udp'],
  ['sit', 20],
  ['ip6tnl', 40],
  ['wireguard', 60],
]);

/** Whether a device of this `ip -d link` kind is a tunnel: the overlay side of a node. */
export function isTunnelLink(kind: string | null | undefined): boolean {
  return !!kind && TUNNEL_LINK_KINDS.has(kind);
}

/** The `ip -d link` kind of the device that carries an overlay, where the kernel has one (not FOU, GUE, ERSPAN's collector…). */
export function tunnelLinkKind(o: OverlayKind): string | undefined {
  for (const [kind, v] of TUNNEL_LINK_KINDS) if (v === o) return kind;
  return undefined;
}

/** Bytes a tunnel device of this kind adds to each packet over an IPv4 underlay; 0 for no tunnel. */
export function tunnelLinkOverhead(kind: string): number {
  const v = TUNNEL_LINK_KINDS.get(kind);
  return v === undefined ? 0 : typeof v === 'number' ? v : overheadBytes(overlay(v));
}

/** Overlay devices by name, most specific first, with the ports the CNI configures them with. */
const OVERLAY_DEVICES: { pattern: RegExp; overlay: OverlayKind; ports?: readonly number[]; ipv6Underlay?: true }[] = [
  { pattern: /^flannel\.\d+$/, overlay: 'vxlan', ports: [8472] },
  // flannel's IPv6 VXLAN rides an IPv6 underlay: 20 bytes more overhead (MTU 1430 on 1500).
  { pattern: /^flannel-v6\.\d+$/, overlay: 'vxlan', ports: [8472], ipv6Underlay: true },
  { pattern: /^vxlan\.calico$/, overlay: 'vxlan', ports: [4789] },
  { pattern: /^vxlan-v6\.calico$/, overlay: 'vxlan', ports: [4789], ipv6Underlay: true },
  { pattern: /^cilium_vxlan$/, overlay: 'vxlan', ports: [8472] },
  { pattern: /^vxlan-6784$/, overlay: 'vxlan', ports: [6784] },
  { pattern: /^vxlan/, overlay: 'vxlan' },
  { pattern: /^flannel0$/, overlay: 'flannel-udp' },
  { pattern: /^(tunl0|ipip)/, overlay: 'ipip' },
  { pattern: /^(cilium_geneve|genev_sys_6081|antrea-tun\d+)$/, overlay: 'geneve', ports: [6081] },
  { pattern: /^genev|geneve/, overlay: 'geneve' },
];

/** How much more an IPv6 outer header costs than an IPv4 one. */
const IPV6_UNDERLAY_EXTRA = 20;

/** What an overlay device's name says about its encapsulation. */
export interface OverlayDevice {
  device: string;
  /** null when the name is not one the registry knows. */
  spec: OverlaySpec | null;
  /** The UDP ports it uses (all the overlay's registered ones when the name does not say). */
  ports: readonly number[];
  /** Bytes of overhead and the inner MTU on a 1500-byte underlay (VXLAN's when unknown). */
  overhead: number;
  mtu: number;
  /** How it crosses the underlay: "UDP 8472 (VXLAN)". */
  wire: string;
}

export function overlayDevice(device: string): OverlayDevice {
  const hit = OVERLAY_DEVICES.find((d) => d.pattern.test(device));
  if (!hit) {
    // An overlay device of a name we do not know: assume VXLAN's size, say nothing of its wire.
    const guess = overlay('vxlan');
    return { device, spec: null, ports: [], overhead: overheadBytes(guess), mtu: innerMtu(guess), wire: 'the overlay encapsulation' };
  }
  const spec = overlay(hit.overlay);
  const ports = hit.ports ?? spec.udpPorts;
  const extra = hit.ipv6Underlay ? IPV6_UNDERLAY_EXTRA : 0;
  return { device, spec, ports, overhead: overheadBytes(spec) + extra, mtu: innerMtu(spec) - extra, wire: wireText(spec, ports) };
}

/** "VXLAN, UDP 8472", "flannel UDP 8285", "IP-in-IP (proto 4)", "overlay (weave)". */
export function deviceEncapsulationText(device: string): string {
  const d = overlayDevice(device);
  return d.spec ? d.spec.label(undefined, d.ports.join(' or ') || null) : `overlay (${device})`;
}

/**
 * Interface names as the kernel, the CNIs and the distributions create them: what role an
 * interface plays on a pod's path, and, for an overlay device, which overlay it is and on
 * which port. One home for every device name pattern.
 */
import { innerMtu, overheadBytes, overlay, wireText, type OverlayKind, type OverlaySpec } from './overlays';

export type InterfaceRole = 'pod' | 'bridge' | 'overlay' | 'nic' | 'any' | 'other';

/** The roles in the order a packet crosses them leaving a pod: veth, bridge, overlay, NIC. */
export const EGRESS_ORDER: readonly InterfaceRole[] = ['pod', 'bridge', 'other', 'overlay', 'nic', 'any'];

const INTERFACE_PATTERNS: [RegExp, InterfaceRole][] = [
  [/^any$/, 'any'],
  [/^(veth[0-9a-z]*|cali[0-9a-z]+|lxc[0-9a-z_]*|vnet\d+|tap[0-9a-z]+)$/i, 'pod'],
  [/^(cni0|docker0|cbr0|br-[0-9a-z]+|kube-bridge|virbr\d+|br\d+)$/i, 'bridge'],
  [/^(flannel\.\d+|flannel0|tunl0|vxlan\.calico|vxlan[-_.0-9a-z]*|genev_sys_\d+|cilium_vxlan|cilium_geneve|weave|wg\d+|ipip\d*|gre\d+)$/i, 'overlay'],
  [/^(eth\d+(\.\d+)?|ens\d+[0-9a-z]*|enp\d+s\d+[0-9a-z]*|eno\d+|em\d+|bond\d+(\.\d+)?|wlan\d+|enx[0-9a-f]+)$/i, 'nic'],
];

export function interfaceRole(name: string): InterfaceRole {
  for (const [re, role] of INTERFACE_PATTERNS) if (re.test(name)) return role;
  return 'other';
}

/** Overlay devices by name, most specific first, with the ports the CNI configures them with. */
const OVERLAY_DEVICES: { pattern: RegExp; overlay: OverlayKind; ports?: readonly number[] }[] = [
  { pattern: /^flannel\.\d+$/, overlay: 'vxlan', ports: [8472] },
  { pattern: /^vxlan\.calico$/, overlay: 'vxlan', ports: [4789] },
  { pattern: /^vxlan/, overlay: 'vxlan' },
  { pattern: /^flannel0$/, overlay: 'flannel-udp' },
  { pattern: /^(tunl0|ipip)/, overlay: 'ipip' },
  { pattern: /^genev|geneve/, overlay: 'geneve' },
];

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
  return { device, spec, ports, overhead: overheadBytes(spec), mtu: innerMtu(spec), wire: wireText(spec, ports) };
}

/** "VXLAN, UDP 8472", "flannel UDP 8285", "IP-in-IP (proto 4)", "overlay (weave)". */
export function deviceEncapsulationText(device: string): string {
  const d = overlayDevice(device);
  return d.spec ? d.spec.label(undefined, d.ports.join(' or ') || null) : `overlay (${device})`;
}

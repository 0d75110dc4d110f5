/**
 * Capture-point labels: which node and which interface a capture was taken on. In order of
 * precedence: an explicit label, the pcapng interface name, then the file name
 * `<node>-<interface>.<ext>` (e.g. `k8s-master-flannel.1.pcap`).
 */

export type InterfaceRole = 'pod' | 'bridge' | 'overlay' | 'nic' | 'any' | 'other';

export interface Label {
  node: string;
  interface: string;
  /** Where the label came from, for the report. */
  source: 'explicit' | 'pcapng' | 'file name' | 'unknown';
}

/** Interface names as CNIs and distributions create them; the role orders them on a path. */
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

const CAPTURE_EXT = /\.(pcapng|pcap|cap)(\.gz)?$/i;

/**
 * Split `<node>-<interface>.<ext>`: the interface is the longest trailing part, after a `-` or
 * `_`, that looks like an interface name (it may itself contain dots: flannel.1, eth0.100).
 */
export function labelFromFileName(fileName: string): { node: string; interface: string } | null {
  const base = fileName.replace(/^.*[\\/]/, '').replace(CAPTURE_EXT, '');
  for (let i = 0; i < base.length; i++) {
    const c = base[i];
    if (c !== '-' && c !== '_') continue;
    const node = base.slice(0, i);
    const iface = base.slice(i + 1);
    if (node.length > 0 && interfaceRole(iface) !== 'other') return { node, interface: iface };
  }
  return null;
}

/**
 * Parse `--label FILE=NODE/INTERFACE`. FILE matches a path or its base name.
 */
export function parseLabelArg(arg: string): { file: string; node: string; interface: string } {
  const eq = arg.lastIndexOf('=');
  const slash = arg.indexOf('/', eq + 1);
  if (eq <= 0 || slash < 0 || slash === eq + 1 || slash === arg.length - 1) {
    throw new Error(`--label wants FILE=NODE/INTERFACE, got '${arg}'`);
  }
  return { file: arg.slice(0, eq), node: arg.slice(eq + 1, slash), interface: arg.slice(slash + 1) };
}

export function resolveLabel(
  fileName: string,
  explicit: { node: string; interface: string } | undefined,
  pcapngInterfaceNames: (string | undefined)[],
): Label {
  if (explicit) return { ...explicit, source: 'explicit' };
  const fromFile = labelFromFileName(fileName);
  const names = [...new Set(pcapngInterfaceNames.filter((n): n is string => !!n))];
  if (names.length === 1) {
    // A pcapng names the interface; the node still comes from the file name when it can.
    const name = names[0]!;
    const node = fromFile?.node ?? fileName.replace(/^.*[\\/]/, '').replace(CAPTURE_EXT, '').replace(new RegExp(`[-_.]?${escapeRe(name)}$`), '') ?? 'unknown';
    return { node: node || 'unknown', interface: name, source: 'pcapng' };
  }
  if (fromFile) return { ...fromFile, source: 'file name' };
  const base = fileName.replace(/^.*[\\/]/, '').replace(CAPTURE_EXT, '');
  return { node: base, interface: '?', source: 'unknown' };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

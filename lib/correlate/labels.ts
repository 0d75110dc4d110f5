/**
 * Capture-point labels: which node and which interface a capture was taken on. In order of
 * precedence: an explicit label, the pcapng interface name, then the file name
 * `<node>-<interface>.<ext>` (e.g. `k8s-master-flannel.1.pcap`).
 */
import { interfaceRole, ROLE_LABELS, type InterfaceRole } from '../protocols/devices';
import { baseName } from '../util/names';

export interface Label {
  node: string;
  interface: string;
  /** Where the label came from, for the report. */
  source: 'explicit' | 'pcapng' | 'file name' | 'unknown';
}

const CAPTURE_EXT = /\.(pcapng|pcap|cap)(\.gz)?$/i;

/** A capture file's name: its extension, with the number tcpdump -C adds after it (`x.pcap1`), gzipped or not. */
export const CAPTURE_FILE = /\.(pcapng|pcap|cap|dmp)\d*(\.gz)?$/i;

/** Where one capture was written as several files, which file of it this is. */
export interface RotationPart {
  /** The file's name as the capture was told to write it: `node1-eth0.pcap`. */
  name: string;
  /** Its number among the files (tcpdump -C/-W, dumpcap -b); null where only its time tells (tcpdump -G). */
  part: number | null;
}

/** tcpdump -C appends the file's number to the name it was given: `x.pcap`, `x.pcap1`, … (`-W 10`: `x.pcap0` … `x.pcap9`). */
const TCPDUMP_PART = /^(.*\.(?:pcapng|pcap|cap))(\d+)(\.gz)?$/i;
/** dumpcap (Wireshark, tshark) -b: `x_00001_20261206220700.pcapng`, the number then the time the file was opened. */
const DUMPCAP_PART = /^(.*)_(\d{5,})_(\d{14})(\.(?:pcapng|pcap|cap)(?:\.gz)?)$/i;
/**
 * tcpdump -G names each file by its start with the strftime format it was given: a date and a
 * time (`x-20261206-220700.pcap`, `x_2026-12-06_22:07:00.pcap`) or Unix seconds (`x.1765058820.pcap`).
 */
const TIMED_PART = /^(.*?)[-_.](\d{8}[-_T]?\d{4,6}|\d{4}-\d{2}-\d{2}[-_T]\d{2}[-:.]?\d{2}(?:[-:.]?\d{2})?|1\d{9})(\.(?:pcapng|pcap|cap)(?:\.gz)?)$/i;

/**
 * The file's place in a rotation, when its name says it is one file of several that one
 * capture wrote; null for a plain name (which may still be a rotation's first file: tcpdump -C
 * without -W does not number it).
 */
export function rotationPart(fileName: string): RotationPart | null {
  let name = baseName(fileName);
  let part: number | null = null;
  let m = TCPDUMP_PART.exec(name);
  if (m) [name, part] = [m[1]! + (m[3] ?? ''), Number(m[2])];
  else if ((m = DUMPCAP_PART.exec(name))) return { name: m[1]! + m[4]!, part: Number(m[2]) };
  const timed = TIMED_PART.exec(name);
  if (timed) name = timed[1]! + timed[3]!;
  return m || timed ? { name, part } : null;
}

/** The file's name without what a rotation added to it. */
const unrotated = (fileName: string) => rotationPart(fileName)?.name ?? baseName(fileName);

/**
 * Split `<node>-<interface>.<ext>`: the interface is the longest trailing part, after a `-` or
 * `_`, that looks like an interface name (it may itself contain dots: flannel.1, eth0.100).
 */
export function labelFromFileName(fileName: string): { node: string; interface: string } | null {
  const base = unrotated(fileName).replace(CAPTURE_EXT, '');
  for (let i = 0; i < base.length; i++) {
    const c = base[i];
    if (c !== '-' && c !== '_') continue;
    const node = base.slice(0, i);
    const iface = base.slice(i + 1);
    if (node.length > 0 && interfaceRole(iface) !== 'other') return { node, interface: iface };
  }
  // A NIC name Hopscope has no role for (net0, ens160, bond0.100, enp0s3, p1p1): the last part,
  // when it is exactly how Linux and hypervisors name NICs (a stem and its numbers, a VLAN
  // suffix allowed). Not any word with a digit: `icmp_dot1q`, `prod-emea1`, `db-lan2` are names.
  // Its role then comes from what crosses it.
  const m = /^(.+?)[-_]((?:eth\d+|ens\d+(?:f\d+)?|enp\d+s\d+(?:f\d+)?|eno\d+|enx[0-9a-f]{12}|em\d+|p\d+p\d+|bond\d+|net\d+|nic\d+|wlan\d+|wlp\d+s\d+|ib\d+|vlan\d+|vnet\d+)(?:\.\d+)?)$/i.exec(base);
  return m ? { node: m[1]!, interface: m[2]! } : null;
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

const ROLES: readonly InterfaceRole[] = ['pod', 'bridge', 'overlay', 'nic', 'other', 'any'];

/** Parse `--role NODE/INTERFACE=ROLE` (pod, bridge, overlay, nic, other, any). */
export function parseRoleArg(arg: string): { point: string; role: InterfaceRole } {
  const eq = arg.lastIndexOf('=');
  const point = arg.slice(0, eq);
  const role = arg.slice(eq + 1) as InterfaceRole;
  if (eq <= 0 || !/^[^/]+\/.+$/.test(point) || !ROLES.includes(role)) {
    throw new Error(`--role wants NODE/INTERFACE=ROLE with ROLE one of ${ROLES.join(', ')}, got '${arg}'`);
  }
  return { point, role };
}

/** Where the user corrects a capture point's role: the CLI's `--role`, or the app's capture points table. */
export type RoleHints = 'cli' | 'app';

/**
 * The clause of a note that tells the user how to correct a role: one interface's (`iface`, to
 * `role`) or any of a node's (null). On the command line `correct it with --role
 * node1/tnl0=overlay`; in the app, where that flag means nothing, the capture points table
 * above the notes, naming the role as its menu does.
 */
export function roleCorrection(hints: RoleHints, node: string, iface: string | null, role: InterfaceRole | null): string {
  if (iface === null || role === null) return hints === 'cli' ? `correct them with --role ${node}/IFACE=ROLE` : 'correct them in the capture points table';
  return hints === 'cli' ? `correct it with --role ${node}/${iface}=${role}` : `correct it in the capture points table: ${node}/${iface} as ${ROLE_LABELS[role]}`;
}

/** A role as a note lists it: its own word for the CLI (as `--role` takes it), the menu's in the app. */
export function roleName(hints: RoleHints, role: InterfaceRole): string {
  return hints === 'cli' ? role : ROLE_LABELS[role];
}

export function resolveLabel(
  fileName: string,
  explicit: { node: string; interface: string } | undefined,
  pcapngInterfaceNames: (string | undefined)[],
  /** Nodes other files of the incident name: `<node>-<anything>` splits after one of them. */
  knownNodes: readonly string[] = [],
): Label {
  if (explicit) return { ...explicit, source: 'explicit' };
  const fromFile = labelFromFileName(fileName);
  const names = [...new Set(pcapngInterfaceNames.filter((n): n is string => !!n))];
  if (names.length === 1) {
    // A pcapng names the interface; the node still comes from the file name when it can.
    const name = names[0]!;
    const node = fromFile?.node ?? unrotated(fileName).replace(CAPTURE_EXT, '').replace(new RegExp(`[-_.]?${escapeRe(name)}$`), '') ?? 'unknown';
    return { node: node || 'unknown', interface: name, source: 'pcapng' };
  }
  if (fromFile) return { ...fromFile, source: 'file name' };
  const base = unrotated(fileName).replace(CAPTURE_EXT, '');
  // An interface name no pattern knows (Antrea's `<pod>-<hash>` veths, a custom tunnel) after
  // a node the other files name: its role then comes from what crosses it.
  const known = knownNodes.filter((n) => base.length > n.length + 1 && base.startsWith(n) && /[-_]/.test(base[n.length]!)).sort((a, b) => b.length - a.length)[0];
  if (known !== undefined) return { node: known, interface: base.slice(known.length + 1), source: 'file name' };
  return { node: base, interface: '?', source: 'unknown' };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

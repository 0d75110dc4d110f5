/**
 * What a node's recorded state holds, as parsed (state.ts): the types alone, so that the modules
 * reading it (forwarding.ts, roles.ts) and the parser that uses them need not import each other.
 */
import type { Ruleset } from './iptables';

export interface LinkState {
  name: string;
  /** Administratively up (the UP flag) and with a carrier (not state DOWN). */
  up: boolean;
  /** The line `ip -d -o link` printed, for quoting. */
  line: string;
  mtu: number | null;
  kind: string | null;
  master: string | null;
}

export interface Counters {
  rxDropped: number;
  txDropped: number;
  rxPackets: number;
  txPackets: number;
}

export interface NodeState {
  node: string;
  manifest: Record<string, string>;
  /** "net.ipv4.ip_forward" → "1". */
  sysctl: Map<string, string>;
  links: Map<string, LinkState>;
  iptables: Ruleset | null;
  ip6tables: Ruleset | null;
  /** /proc/net/dev before and after the captures. */
  before: Map<string, Counters>;
  after: Map<string, Counters>;
  /** Tools the node lacked. */
  missing: string[];
  /** The devices of its default routes (IPv4 and IPv6). */
  defaultRoutes: string[];
  /** Firewall rules beside each family's iptables-save output that can also drop a forwarded packet, described; null if none. */
  firewallsElsewhere: { v4: string | null; v6: string | null };
  /** `ip route show table all` and `ip -6 route …`, `ip neigh`, `bridge fdb`: lines, null when not recorded. */
  routes: string[] | null;
  neighbours: string[] | null;
  fdb: string[] | null;
  /** Each device's global-scope addresses (`ip -j addr`); empty when not recorded. */
  addresses: Map<string, string[]>;
  /** `ip rule` lines other than the kernel's three defaults (local, main, default); null when not recorded. */
  policyRules: string[] | null;
  /** State files whose before and after copies differ (comments aside): it changed while the kit ran. */
  changed: string[];
  /** What the manifest proves the kit's captures ran through (see `capturedSpan`). */
  captured: CapturedSpan;
}

/**
 * The span every capture of a kit run covered, in ms since the epoch (null: not known), and the
 * interfaces it does not hold for. The manifest's times are whole seconds. Kit 3 records the
 * start once every tcpdump listens, and tells the user to reproduce only a second later: the
 * span begins a second after it. It records the stop before any tcpdump is stopped, but a
 * tcpdump stopped by a signal writes nothing of the kernel's half-filled buffer block, up to its
 * 1 s buffer timeout of packets, and the kernel may hold a block up to twice that: the span
 * ends two seconds before the stop. Kit 2 recorded the start just before launching tcpdump and the stop after they ended;
 * it too asked for the reproduction only once every tcpdump listened, so its bundles are read
 * as they always were: from the start to a second after the stop.
 */
export interface CapturedSpan {
  fromMs: number | null;
  untilMs: number | null;
  /** Interfaces whose tcpdump had not said it listened when the run began: when it ran is unknown. */
  late: string[];
  /** Interfaces whose ring buffer may have written over its beginning: it ran to the stop, from an unknown start. */
  wrapped: string[];
  /** Per interface, what its tcpdump said when it stopped (`state/tcpdump-<interface>.log`). */
  counts: Map<string, TcpdumpCounts>;
}

/** tcpdump's last words: "N packets captured", "N packets received by filter", "N packets dropped by kernel". */
export interface TcpdumpCounts {
  captured: number;
  received: number;
  /** Lost because its buffer was full: they crossed the interface and were never recorded. */
  droppedByKernel: number;
}

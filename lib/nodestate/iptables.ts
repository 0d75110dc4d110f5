/**
 * iptables rules as `iptables-save` prints them, and the path one packet takes through a chain:
 * policies, jumps to user chains (and RETURN), addresses, interfaces (`+` wildcards), protocols,
 * ports (tcp/udp, multiport), ICMP types, conntrack/state, fragments and comments. A match this
 * module cannot decide (a mark it does not know, physdev, ipset, addrtype, owner…) is never
 * guessed: when such a rule could decide the packet's fate, the answer is "unknown", naming it.
 */

import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../protocols/numbers';

export interface IptRule {
  /** 1-based line in the iptables-save text. */
  line: number;
  text: string;
  chain: string;
  args: string[];
}

export interface IptChain {
  name: string;
  /** ACCEPT or DROP for a built-in chain; null for a user chain. */
  policy: string | null;
  line: number;
  rules: IptRule[];
}

/** table → chain → chain. */
export type Ruleset = Map<string, Map<string, IptChain>>;

export interface PacketTuple {
  src: string;
  dst: string;
  /** 'tcp', 'udp', 'icmp', 'ipv6-icmp', or a protocol number. */
  proto: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  /** Interfaces it came in by and goes out by; unknown ones make `-i`/`-o` rules unknown. */
  in?: string;
  out?: string;
  ctstate: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';
  /** A non-first fragment (`-f`). */
  fragment?: boolean;
  /** The packet's mark, when known (0: nothing marked it). */
  mark?: number;
  /** The TCP flag byte (0x02 SYN, 0x12 SYN-ACK), when known. */
  tcpFlags?: number;
}

export type Decision =
  | { verdict: 'ACCEPT' | 'DROP' | 'REJECT'; line: number; text: string; trace: string[] }
  | { verdict: 'unknown'; line: number; text: string; why: string; trace: string[] };

/** Split a rule line as the shell would (iptables-save quotes comments and prefixes). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && quoted && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === '"') {
      quoted = !quoted;
      any = true;
    } else if (c === ' ' && !quoted) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
    }
  }
  if (any || cur) out.push(cur);
  return out;
}

export function parseIptablesSave(text: string): Ruleset {
  const tables: Ruleset = new Map();
  let table: Map<string, IptChain> | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (line.startsWith('*')) tables.set(line.slice(1), (table = new Map()));
    else if (line.startsWith(':') && table) {
      const [name, policy] = line.slice(1).split(/\s+/);
      table.set(name!, { name: name!, policy: policy === '-' || policy === undefined ? null : policy, line: n, rules: [] });
    } else if (line.startsWith('-A ') && table) {
      const args = tokenize(line);
      const chain = args[1]!;
      let c = table.get(chain);
      if (!c) table.set(chain, (c = { name: chain, policy: null, line: n, rules: [] }));
      c.rules.push({ line: n, text: line, chain, args: args.slice(2) });
    }
  });
  return tables;
}

// ---------------------------------------------------------------------------------------------
// Matching

type Tri = true | false | { unknown: string };

/** As /etc/protocols names them: iptables-save prints protocol 4 as `ipencap` (older netbase) or `ipv4`. */
const PROTO_NUMBERS: Record<string, number> = { icmp: 1, ipencap: 4, ipv4: 4, ipip: 4, tcp: 6, udp: 17, ipv6: 41, gre: 47, esp: 50, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132 };
const protoNumber = (p: string) => (/^\d+$/.test(p) ? Number(p) : (PROTO_NUMBERS[p.toLowerCase()] ?? -1));

function v4(ip: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0 : null;
}

function v6(ip: string): bigint | null {
  if (!ip.includes(':')) return null;
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const parts = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (parts.length !== 8) return null;
  return parts.reduce((a, p) => (a << 16n) | BigInt(parseInt(p || '0', 16)), 0n);
}

/** Whether `ip` is in `cidr` (a plain address is a /32 or /128). */
export function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/') as [string, string | undefined];
  const a4 = v4(ip);
  const n4 = v4(net);
  if (a4 !== null && n4 !== null) {
    // iptables-save prints a mask that is not a prefix dotted: -s 10.0.0.0/255.0.255.0.
    const dotted = bits !== undefined && bits.includes('.') ? v4(bits) : null;
    const b = bits === undefined ? 32 : Number(bits);
    const mask = dotted !== null ? dotted : b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    return ((a4 & mask) >>> 0) === ((n4 & mask) >>> 0);
  }
  const a6 = v6(ip);
  const n6 = v6(net);
  if (a6 === null || n6 === null) return false;
  // ip6tables-save prints a mask that is not a prefix in full: -s 2001:db8::/ffff:0:ffff::.
  if (bits !== undefined && bits.includes(':')) {
    const m6 = v6(bits);
    return m6 !== null && (a6 & m6) === (n6 & m6);
  }
  const n = bits === undefined ? 128 : Number(bits);
  if (!Number.isInteger(n) || n < 0 || n > 128) return false;
  const shift = 128n - BigInt(n);
  return a6 >> shift === n6 >> shift;
}

function ifaceMatches(name: string | undefined, pattern: string): Tri {
  if (name === undefined) return { unknown: `the interface the packet ${pattern} uses is not known` };
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function portIn(port: number | undefined, spec: string): Tri {
  if (port === undefined) return { unknown: 'the packet has no port' };
  return spec.split(',').some((s) => {
    const [lo, hi] = s.split(':');
    return hi === undefined ? port === Number(lo) : port >= Number(lo || 0) && port <= Number(hi || 65535);
  });
}

const ICMP_TYPES: Record<string, number> = { 'echo-reply': 0, 'destination-unreachable': 3, 'echo-request': 8, 'time-exceeded': 11, 'fragmentation-needed': 3 };

/** The rule's matches, in order, each with its negation; and its target. */
function ruleParts(args: string[]): { matches: { opt: string; value: string; negated: boolean; module: string | null }[]; target: string | null; goto: boolean } {
  const matches: { opt: string; value: string; negated: boolean; module: string | null }[] = [];
  let target: string | null = null;
  let goto = false;
  let module: string | null = null;
  let negated = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '!') {
      negated = true;
      continue;
    }
    if (a === '-m' || a === '--match') {
      module = args[++i]!;
      matches.push({ opt: '-m', value: module, negated: false, module });
    } else if (a === '-j' || a === '--jump' || a === '-g' || a === '--goto') {
      goto = a === '-g' || a === '--goto';
      target = args[++i]!;
      // The target's own options (--reject-with, --log-prefix…) follow; they match nothing.
      break;
    } else if (a === '-f' || a === '--fragment') {
      matches.push({ opt: '-f', value: '', negated, module: null });
    } else if (a.startsWith('-')) {
      // A comment is always a value, whatever it starts with ("-j DROP …" quoted is no option).
      const next = args[i + 1];
      let value = next !== undefined && (!next.startsWith('-') || a === '--comment' || /\s/.test(next)) ? args[++i]! : '';
      // --tcp-flags takes two: the flags looked at, and those of them that must be set.
      if (a === '--tcp-flags' && args[i + 1] !== undefined) value += ` ${args[++i]!}`;
      matches.push({ opt: a, value, negated, module: ['-s', '-d', '-i', '-o', '-p', '--source', '--destination', '--in-interface', '--out-interface', '--protocol'].includes(a) ? null : module });
    }
    negated = false;
  }
  return { matches, target, goto };
}

/** Modules whose options are understood; any other module makes the rule unknown. */
const KNOWN_MODULES = new Set(['tcp', 'udp', 'icmp', 'icmp6', 'multiport', 'conntrack', 'state', 'comment', 'mark', 'connmark']);

function matchOne(m: { opt: string; value: string; module: string | null }, p: PacketTuple): Tri {
  switch (m.opt) {
    case '-m':
      if (m.value === 'statistic') return { unknown: '-m statistic matches a share of the packets (every nth, or at random), not a given one' };
      return KNOWN_MODULES.has(m.value) ? true : { unknown: `-m ${m.value} is not evaluated here` };
    case '-s':
    case '--source':
      return m.value.split(',').some((c) => inCidr(p.src, c));
    case '-d':
    case '--destination':
      return m.value.split(',').some((c) => inCidr(p.dst, c));
    case '-i':
    case '--in-interface':
      return ifaceMatches(p.in, m.value);
    case '-o':
    case '--out-interface':
      return ifaceMatches(p.out, m.value);
    case '-p':
    case '--protocol':
      return m.value === 'all' || m.value === '0' || protoNumber(m.value) === protoNumber(p.proto);
    case '-f':
      return !!p.fragment;
    case '--dport':
    case '--destination-port':
    case '--dports':
    case '--destination-ports':
      return portIn(p.dport, m.value);
    case '--sport':
    case '--source-port':
    case '--sports':
    case '--source-ports':
      return portIn(p.sport, m.value);
    case '--ports':
      return portIn(p.dport, m.value) === true || portIn(p.sport, m.value) === true;
    case '--icmp-type':
    case '--icmpv6-type': {
      if (m.value === 'any') return true;
      if (p.icmpType === undefined) return { unknown: 'the ICMP type is not known' };
      // A code (3/4) or a name that stands for one (fragmentation-needed) is not evaluated.
      if (m.value.includes('/') || !/^(\d+|echo-request|echo-reply|destination-unreachable|time-exceeded)$/.test(m.value)) return { unknown: `ICMP type ${m.value} (with its code)` };
      const want = /^\d+$/.test(m.value) ? Number(m.value) : ICMP_TYPES[m.value]!;
      return p.icmpType === want;
    }
    case '--ctstate':
    case '--state': {
      const states = m.value.split(',');
      // DNAT/SNAT are the connection's translation, not its state: not known here.
      if (states.some((s) => s === 'DNAT' || s === 'SNAT')) return { unknown: `--ctstate ${m.value}` };
      return states.includes(p.ctstate);
    }
    case '--comment':
      return true;
    case '--syn':
      return tcpFlagsMatch(p, 'SYN,RST,ACK,FIN', 'SYN');
    case '--tcp-flags': {
      const [mask, comp] = m.value.split(' ');
      return tcpFlagsMatch(p, mask ?? '', comp ?? '');
    }
    case '--mark': {
      if (m.module === 'connmark') return { unknown: "the connection's mark is not known" };
      if (p.mark === undefined) return { unknown: "the packet's mark is not known" };
      const [v, mask] = m.value.split('/').map((x) => Number(x));
      return ((p.mark & (mask ?? 0xffffffff)) >>> 0) === ((v! & (mask ?? 0xffffffff)) >>> 0);
    }
    default:
      return m.module && KNOWN_MODULES.has(m.module) ? { unknown: `${m.opt} of -m ${m.module} is not evaluated here` } : { unknown: `${m.opt} is not evaluated here` };
  }
}

const TCP_FLAG_BITS: Record<string, number> = { FIN: TCP_FIN, SYN: TCP_SYN, RST: TCP_RST, PSH: TCP_PSH, ACK: TCP_ACK, URG: TCP_URG, ECE: TCP_ECE, CWR: TCP_CWR, ALL: 0xff, NONE: 0 };
const flagBits = (list: string) => list.split(',').reduce((b, f) => b | (TCP_FLAG_BITS[f.toUpperCase()] ?? 0), 0);

/** `--tcp-flags MASK COMP`: of the flags in MASK, exactly those in COMP are set. */
function tcpFlagsMatch(p: PacketTuple, mask: string, comp: string): Tri {
  if (p.tcpFlags === undefined) return { unknown: "the segment's TCP flags are not known" };
  return (p.tcpFlags & flagBits(mask)) === flagBits(comp);
}

/** Each rule's parts, parsed the first time it is walked: a chain is walked once per packet kind and conntrack state asked about. */
const PARTS = new WeakMap<IptRule, ReturnType<typeof ruleParts>>();
function partsOf(r: IptRule): ReturnType<typeof ruleParts> {
  let parts = PARTS.get(r);
  if (!parts) PARTS.set(r, (parts = ruleParts(r.args)));
  return parts;
}

function ruleMatches(r: IptRule, p: PacketTuple): Tri {
  let unknown: string | null = null;
  for (const m of partsOf(r).matches) {
    let t = matchOne(m, p);
    if (typeof t === 'boolean' && (m as { negated: boolean }).negated) t = !t;
    if (t === false) return false;
    if (t !== true && unknown === null) unknown = t.unknown;
  }
  return unknown === null ? true : { unknown };
}

/** Targets that decide nothing: the packet goes on to the next rule. */
const NON_TERMINAL = new Set(['LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'TRACE', 'CT', 'NOTRACK', 'AUDIT', 'CLASSIFY', 'DSCP', 'TOS', 'TCPMSS', 'SET', 'CHECKSUM', 'TEE']);

/** The packet's way through `table`'s `chain` (FORWARD of filter, usually): the rule or policy that decides. */
export function evaluate(rules: Ruleset, table: string, chain: string, packet: PacketTuple): Decision {
  let p = packet;
  const t = rules.get(table);
  const trace: string[] = [];
  const builtin = t?.get(chain);
  if (!t || !builtin) return { verdict: 'ACCEPT', line: 0, text: `no ${table} ${chain} chain: nothing filters`, trace };
  const walk = (c: IptChain, depth: number): Decision | 'return' => {
    if (depth > 32) return { verdict: 'unknown', line: c.line, text: `:${c.name}`, why: 'chains jump deeper than 32', trace };
    for (const r of c.rules) {
      const m = ruleMatches(r, p);
      if (m === false) continue;
      const { target, goto } = partsOf(r);
      if (m !== true) {
        if (target === null || NON_TERMINAL.has(target) || (t.has(target) && !goto && emptyChain(t.get(target)!))) continue;
        return { verdict: 'unknown', line: r.line, text: r.text, why: m.unknown, trace };
      }
      trace.push(`line ${r.line}: ${r.text}`);
      // MARK changes what later -m mark rules see; CONNMARK may restore any mark.
      if (target === 'MARK') p = { ...p, mark: applyMark(p.mark, r.args) };
      else if (target === 'CONNMARK') p = { ...p, mark: undefined };
      if (target === null || NON_TERMINAL.has(target)) continue;
      if (target === 'ACCEPT' || target === 'DROP' || target === 'REJECT') return { verdict: target, line: r.line, text: r.text, trace };
      if (target === 'RETURN') return 'return';
      const next = t.get(target);
      if (!next) return { verdict: 'unknown', line: r.line, text: r.text, why: `target ${target} is not evaluated here`, trace };
      const d = walk(next, depth + 1);
      if (d !== 'return') return d;
      if (goto) return 'return';
    }
    return 'return';
  };
  const d = walk(builtin, 0);
  if (d !== 'return') return d;
  return { verdict: (builtin.policy ?? 'ACCEPT') as 'ACCEPT' | 'DROP', line: builtin.line, text: `:${chain} ${builtin.policy} (the chain's policy)`, trace };
}

/** `--set-xmark V/M` (and `--set-mark`, `--or-mark`, `--and-mark`) applied to a known mark. */
function applyMark(mark: number | undefined, args: string[]): number | undefined {
  if (mark === undefined) return undefined;
  const at = (o: string) => {
    const i = args.indexOf(o);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (s: string) => Number(s) >>> 0;
  const x = at('--set-xmark') ?? at('--set-mark');
  if (x !== undefined) {
    const [v, m] = x.split('/');
    const mask = m === undefined ? 0xffffffff : num(m);
    return ((mark & ~mask) ^ num(v!)) >>> 0;
  }
  if (at('--or-mark') !== undefined) return (mark | num(at('--or-mark')!)) >>> 0;
  if (at('--and-mark') !== undefined) return (mark & num(at('--and-mark')!)) >>> 0;
  return undefined;
}

function emptyChain(c: IptChain): boolean {
  return c.rules.length === 0;
}

/**
 * The same packet at two stations, header by header: which encapsulation was added or removed
 * and which fields changed, each with the reason an engineer would give.
 *
 * Layers are aligned on the innermost IP packet (the last IP header outside an ICMP quote):
 * that header and what follows it (transport, a quoted datagram) pair up in order; the layers
 * in front of it are the encapsulation, paired from the inside out while their kinds agree
 * (the inner Ethernet of a VXLAN packet pairs with the frame flannel.1 saw). What is left is
 * added or removed, except that two link headers of one kind left outermost are the same
 * packet on a new link (flannel UDP: docker0's Ethernet and eth0's outer Ethernet).
 */
import type { LayerKind } from '../decode/types';
import { IPIP, OVERLAYS, overlayOfLayer } from '../protocols/overlays';
import { fieldNumber, fieldOf } from './anatomy';
import type { Anatomy, AnatomyLayer, FieldChange, StationDiff, StationLabel } from './types';

/** The value shown for a field on the side where its layer does not exist. */
export const ABSENT = '—';

export interface DiffOptions {
  /** Where each anatomy was captured, for the explanations ("node1 routed it from cni0 to flannel.1"). */
  from?: StationLabel;
  to?: StationLabel;
}

const LINK: ReadonlySet<LayerKind> = new Set<LayerKind>(['ethernet', 'sll', 'sll2', 'loopback']);

function isIp(l: AnatomyLayer | undefined): boolean {
  return l !== undefined && (l.kind === 'ipv4' || l.kind === 'ipv6');
}

function innermostIp(a: Anatomy): number {
  for (let i = a.layers.length - 1; i >= 0; i--) {
    const l = a.layers[i]!;
    if (isIp(l) && !l.quoted) return i;
  }
  return -1;
}

function sameKind(x: AnatomyLayer | undefined, y: AnatomyLayer | undefined): boolean {
  return x !== undefined && y !== undefined && x.kind === y.kind && x.quoted === y.quoted;
}

/** Pairs [from index, to index] of the layers that are the same header at both stations. */
function align(from: Anatomy, to: Anatomy): [number, number][] {
  const pairs: [number, number][] = [];
  const kf = innermostIp(from);
  const kt = innermostIp(to);
  const F = from.layers;
  const T = to.layers;
  if (kf < 0 || kt < 0 || F[kf]!.kind !== T[kt]!.kind) {
    for (let i = 0; i < F.length && i < T.length && sameKind(F[i], T[i]); i++) pairs.push([i, i]);
    return pairs;
  }
  let i = kf - 1;
  let j = kt - 1;
  const outer: [number, number][] = [];
  for (; i >= 0 && j >= 0 && sameKind(F[i], T[j]); i--, j--) outer.push([i, j]);
  if (i >= 0 && j >= 0 && LINK.has(F[0]!.kind) && sameKind(F[0], T[0])) outer.push([0, 0]);
  pairs.push(...outer.reverse());
  for (i = kf, j = kt; i < F.length && j < T.length && sameKind(F[i], T[j]); i++, j++) pairs.push([i, j]);
  return pairs;
}

function label(s: StationLabel | undefined): string | undefined {
  if (s === undefined || (s.node === undefined && s.interface === undefined)) return undefined;
  return [s.node, s.interface].filter((x) => x !== undefined).join(' ');
}

function hopWhy(field: string, fromV: number, toV: number, opts: DiffOptions): string {
  const d = fromV - toV;
  if (d < 0) return `higher at the later station (${fromV} → ${toV}): a new packet, or the stations are in reverse order`;
  const f = opts.from;
  const t = opts.to;
  if (d === 1) {
    if (f?.node !== undefined && f.node === t?.node) {
      const via = f.interface !== undefined && t.interface !== undefined ? ` from ${f.interface} to ${t.interface}` : '';
      return `decremented once per routing hop: ${f.node} routed it${via}`;
    }
    const between = label(f) !== undefined && label(t) !== undefined ? `between ${label(f)} and ${label(t)}` : 'between the two stations';
    return `decremented once per routing hop: one router (a node forwarding between its interfaces) ${between}`;
  }
  const between = label(f) !== undefined && label(t) !== undefined ? `between ${label(f)} and ${label(t)}` : 'between the two stations';
  return `${field} decremented by ${d}, once per routing hop: ${d} routers ${between}`;
}

const IP_FIELD_WORDS: Readonly<Record<string, string>> = {
  ttl: 'TTL',
  src: 'source address',
  dst: 'destination address',
  id: 'identification',
  dscp: 'DSCP',
  ecn: 'ECN',
  totalLength: 'total length',
  flags: 'flags',
  'flags.df': 'DF flag',
  'flags.mf': 'MF flag',
  'flags.reserved': 'reserved flag',
  fragmentOffset: 'fragment offset',
  protocol: 'protocol',
};

function list(words: string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function checksumState(v: string): 'correct' | 'partial' | 'incorrect' | 'other' {
  if (v.includes('(correct)')) return 'correct';
  if (v.includes('(partial')) return 'partial';
  if (v.includes('(incorrect')) return 'incorrect';
  return 'other';
}

const OFFLOAD_WHY = "offloaded: the sender's checksum is filled in by the NIC, so tcpdump on the sending host sees a partial one";

/** One pair of layers and the keys whose values differ. */
interface PairDiff {
  from: number;
  to: number;
  fl: AnatomyLayer;
  tl: AnatomyLayer;
  changed: Map<string, { name: string; from: string; to: string }>;
}

function compare(fl: AnatomyLayer, tl: AnatomyLayer, from: number, to: number): PairDiff {
  const changed = new Map<string, { name: string; from: string; to: string }>();
  const fromFields = new Map(fl.fields.map((f) => [f.key, f]));
  const seen = new Set<string>();
  for (const tf of tl.fields) {
    seen.add(tf.key);
    const ff = fromFields.get(tf.key);
    const fv = ff?.value ?? ABSENT;
    if (fv !== tf.value) changed.set(tf.key, { name: tf.name, from: fv, to: tf.value });
  }
  for (const ff of fl.fields) if (!seen.has(ff.key)) changed.set(ff.key, { name: ff.name, from: ff.value, to: ABSENT });
  // An aggregate (IPv4 "flags", TCP "flags") whose bits are listed one by one says nothing more.
  for (const k of [...changed.keys()]) {
    const prefix = `${k}.`;
    for (const other of changed.keys()) {
      if (other.startsWith(prefix)) {
        changed.delete(k);
        break;
      }
    }
  }
  return { from, to, fl, tl, changed };
}

/** Why a field of a paired layer changed. */
function why(p: PairDiff, key: string, c: { from: string; to: string }, all: PairDiff[], opts: DiffOptions): string {
  const kind = p.tl.kind;
  const ipAround = all.find((q) => q.to === p.to - 1 && q.from === p.from - 1 && isIp(q.tl));
  switch (kind) {
    case 'ethernet':
      if (key === 'src' || key === 'dst') return 'a new link: each hop rewrites source and destination MAC';
      break;
    case 'vlan':
      if (key === 'vid') return 'retagged: the frame is on another VLAN at this station';
      break;
    case 'sll':
    case 'sll2':
      if (key === 'interfaceIndex') return 'another interface: tcpdump -i any records which interface saw the packet';
      if (key === 'packetType') return 'the direction at each interface: received (to us) on one, sent by us on the other';
      if (key === 'address' || key === 'addressLength') return 'the cooked header keeps the link-layer source of each interface';
      if (key === 'arphrdType' || key === 'protocol') return 'a different kind of interface';
      break;
    case 'ipv4':
    case 'ipv6': {
      if (key === 'ttl' || key === 'hopLimit') {
        const fv = Number.parseInt(c.from, 10);
        const tv = Number.parseInt(c.to, 10);
        if (Number.isFinite(fv) && Number.isFinite(tv)) return hopWhy(key === 'ttl' ? 'TTL' : 'hop limit', fv, tv, opts);
        break;
      }
      if (key === 'checksum') {
        const because = [...p.changed].filter(([k]) => k !== 'checksum').map(([k, v]) => IP_FIELD_WORDS[k] ?? v.name);
        if (because.length === 0) return 'differs though no other header field does: a corrupted header, or not the same packet';
        return `recomputed because the ${list(because)} changed`;
      }
      if (key === 'dst') return 'DNAT (kube-proxy: Service VIP → pod); on a reply, conntrack undoing an SNAT looks the same';
      if (key === 'src') return 'SNAT/MASQUERADE: the source is rewritten; on a reply, conntrack undoing a DNAT looks the same';
      if (key === 'id') return 'the IP identification never changes in forwarding: probably not the same packet';
      if (key === 'totalLength' || key === 'payloadLength') return 'a different length: GSO/TSO segmentation between the stations, or not the same packet';
      if (key === 'ecn' || key === 'trafficClass') {
        if (c.to.includes('CE') || c.to.includes('ECN 3')) return 'congestion experienced: a queue on the way marked it (RFC 3168)';
        return 're-marked: a QoS policy or ECN marking on the way';
      }
      if (key === 'dscp') return 're-marked: a QoS policy on the way';
      if (key === 'flowLabel') return 'the flow label is set by the source; a tunnel or a NAT may set its own';
      break;
    }
    case 'tcp':
    case 'udp':
    case 'icmp':
    case 'icmpv6': {
      if (key === 'srcPort') return 'SNAT/MASQUERADE rewrote the source port (--random-fully picks a new one)';
      if (key === 'dstPort') return 'DNAT (kube-proxy: Service port → pod port); on a reply, conntrack undoing an SNAT looks the same';
      if (key === 'identifier') return 'MASQUERADE rewrites the ICMP identifier as it would a source port';
      if (key === 'checksum') {
        const nat: string[] = [];
        if (kind !== 'icmp' && ipAround !== undefined) {
          if (ipAround.changed.has('src')) nat.push('source address');
          if (ipAround.changed.has('dst')) nat.push('destination address');
        }
        if (p.changed.has('srcPort')) nat.push('source port');
        if (p.changed.has('dstPort')) nat.push('destination port');
        if (p.changed.has('identifier')) nat.push('ICMP identifier');
        const fs = checksumState(c.from);
        const ts = checksumState(c.to);
        const stillPartial = fs === 'partial' && ts === 'partial' ? ' (still partial: the NIC finishes it)' : '';
        if (nat.length > 0) return `recomputed after NAT: it covers the ${list(nat)}${stillPartial}`;
        const others = [...p.changed].filter(([k]) => k !== 'checksum').map(([, v]) => v.name);
        if (others.length > 0) return `recomputed because the ${list(others)} changed${stillPartial}`;
        if (fs === 'partial' || ts === 'partial') return OFFLOAD_WHY;
        return 'differs while the headers it covers do not: the payload differs, or this is not the same packet';
      }
      if (key.startsWith('options.') && fieldOf(p.tl, key)?.name === 'Maximum Segment Size') {
        return 'MSS clamped on the way (iptables TCPMSS --clamp-mss-to-pmtu) to fit a smaller MTU';
      }
      if (key === 'seq' || key === 'ack') return 'sequence numbers survive forwarding: a middlebox rewrote them, or not the same segment';
      if (key === 'sequence' || key === 'length') return 'not the same packet';
      break;
    }
    default: {
      const id = overlayOfLayer(kind)?.id;
      if (id && key === id.field) return `another overlay segment: the two stations are on different ${id.label}s`;
      break;
    }
  }
  return 'rewritten between the two stations';
}

/** Explanations for the notable fields of a header that encapsulation added. */
function introduced(to: Anatomy, j: number): { key: string; why: string }[] {
  const l = to.layers[j]!;
  const next = to.layers[j + 1];
  const out: { key: string; why: string }[] = [];
  if (isIp(l) && next !== undefined && (next.kind === 'udp' || next.kind === 'gre' || isIp(next))) {
    out.push({ key: 'src', why: "the tunnel's source: the encapsulating node's underlay address" });
    out.push({ key: 'dst', why: "the tunnel's destination: the remote node's underlay address (its tunnel endpoint)" });
    if (l.kind === 'ipv4') {
      const inner = to.layers.slice(j + 1).find((x) => isIp(x) && x.depth > l.depth && !x.quoted);
      const outerDf = fieldNumber(l, 'flags.df');
      const innerDf = fieldNumber(inner, 'flags.df');
      if (outerDf !== undefined && innerDf !== undefined && outerDf !== innerDf) {
        out.push({
          key: 'flags.df',
          why:
            outerDf === 0
              ? 'outer DF clear while the inner packet has DF set: the tunnel device does not copy DF, so the underlay may fragment the outer packet'
              : 'outer DF set while the inner packet has it clear: the tunnel device sets DF on everything it sends',
        });
      }
    }
  } else if (l.kind === 'udp' && next !== undefined) {
    const notes = overlayOfLayer(next.kind)?.notes;
    const dport = fieldNumber(l, 'dstPort');
    if (notes?.srcPort) out.push({ key: 'srcPort', why: notes.srcPort });
    const dwhy = (dport !== undefined ? notes?.dstPort?.[dport] : undefined) ?? notes?.otherDstPort;
    if (dwhy) out.push({ key: 'dstPort', why: dwhy });
  } else {
    for (const [key, why] of Object.entries(overlayOfLayer(l.kind)?.notes.fields ?? {})) out.push({ key, why });
  }
  return out.filter((x) => fieldOf(l, x.key) !== undefined);
}

function tunnelName(ls: AnatomyLayer[]): string | undefined {
  const o = OVERLAYS.find((x) => x.layer !== null && ls.some((l) => l.kind === x.layer));
  if (o) return o.name;
  if (ls.some(isIp)) return IPIP.name;
  return undefined;
}

function headerNames(ls: AnatomyLayer[]): string {
  const top = Math.min(...ls.map((l) => l.depth));
  return ls
    .filter((l) => l.length > 0)
    .map((l, i) => (l.depth > top ? `inner ${l.title}` : i === 0 ? `outer ${l.title}` : l.title))
    .join(', ');
}

function bytesOf(ls: AnatomyLayer[]): number {
  return ls.reduce((s, l) => s + l.length, 0);
}

function layerList(ls: AnatomyLayer[]): string {
  return ls.map((l) => `${l.title} (${l.length} bytes)`).join(' + ');
}

/** "10.244.1.2:40080", or the address alone for a protocol without ports. */
function endpoint(ip: AnatomyLayer, tr: AnatomyLayer | undefined, side: 'src' | 'dst', pick: 'from' | 'to', p: PairDiff | undefined, ipDiff: PairDiff): string {
  const addr = ipDiff.changed.get(side)?.[pick] ?? fieldOf(ip, side)?.value ?? '?';
  const key = side === 'src' ? 'srcPort' : 'dstPort';
  const portText = p?.changed.get(key)?.[pick] ?? fieldOf(tr, key)?.value;
  if (portText === undefined) return addr;
  const n = /^\d+/.exec(portText)?.[0];
  return n === undefined ? addr : `${addr}:${n}`;
}

/**
 * What happened to one packet between two stations. `from` is the earlier station on the
 * packet's way, `to` the later.
 */
export function diffStations(from: Anatomy, to: Anatomy, opts: DiffOptions = {}): StationDiff {
  const pairs = align(from, to);
  const pairedFrom = new Set(pairs.map((p) => p[0]));
  const pairedTo = new Set(pairs.map((p) => p[1]));
  const removedIdx = from.layers.map((_, i) => i).filter((i) => !pairedFrom.has(i));
  const addedIdx = to.layers.map((_, j) => j).filter((j) => !pairedTo.has(j));

  const diffs = pairs.map(([i, j]) => compare(from.layers[i]!, to.layers[j]!, i, j));
  const changed: FieldChange[] = [];
  for (const p of diffs) {
    for (const [key, c] of p.changed) {
      changed.push({
        layerTitle: p.tl.title,
        depth: p.tl.depth,
        key,
        name: c.name,
        from: c.from,
        to: c.to,
        why: why(p, key, c, diffs, opts),
        fromLayer: p.from,
        toLayer: p.to,
      });
    }
  }
  for (const j of addedIdx) {
    const l = to.layers[j]!;
    for (const { key, why: w } of introduced(to, j)) {
      const f = fieldOf(l, key)!;
      changed.push({ layerTitle: l.title, depth: l.depth, key, name: f.name, from: ABSENT, to: f.value, why: w, toLayer: j });
    }
  }

  // Same packet? The innermost IP's identification and protocol survive every hop.
  const kf = innermostIp(from);
  const kt = innermostIp(to);
  let samePacket = true;
  let mismatch = '';
  if (kf >= 0 && kt >= 0) {
    const a = from.layers[kf]!;
    const b = to.layers[kt]!;
    if (a.kind !== b.kind) {
      samePacket = false;
      mismatch = `${a.title} at one station, ${b.title} at the other`;
    } else {
      for (const key of a.kind === 'ipv4' ? ['id', 'protocol'] : ['nextHeader']) {
        const x = fieldOf(a, key)?.value;
        const y = fieldOf(b, key)?.value;
        if (x !== y) {
          samePacket = false;
          mismatch = `${fieldOf(a, key)?.name ?? key} ${x ?? ABSENT} ≠ ${y ?? ABSENT}`;
          break;
        }
      }
    }
  } else if ((kf >= 0) !== (kt >= 0)) {
    samePacket = false;
    mismatch = 'an IP packet at one station only';
  }

  const added = addedIdx.map((j) => to.layers[j]!);
  const removed = removedIdx.map((i) => from.layers[i]!);
  const summary = summarize(from, to, added, removed, diffs, changed, samePacket ? undefined : mismatch);
  return {
    added: added.map((l, k) => ({ title: l.title, depth: l.depth, length: l.length, layer: addedIdx[k]! })),
    removed: removed.map((l, k) => ({ title: l.title, depth: l.depth, length: l.length, layer: removedIdx[k]! })),
    changed,
    summary,
    samePacket,
  };
}

function summarize(
  from: Anatomy,
  to: Anatomy,
  added: AnatomyLayer[],
  removed: AnatomyLayer[],
  diffs: PairDiff[],
  changed: FieldChange[],
  mismatch: string | undefined,
): string {
  const parts: string[] = [];
  if (mismatch !== undefined) parts.push(`not the same packet? ${mismatch}`);
  const addTunnel = tunnelName(added);
  const remTunnel = tunnelName(removed);
  if (remTunnel !== undefined) parts.push(`decapsulated: −${bytesOf(removed)} bytes of ${remTunnel} headers (${headerNames(removed)})`);
  if (addTunnel !== undefined) parts.push(`encapsulated: +${bytesOf(added)} bytes of ${addTunnel} headers (${headerNames(added)})`);
  if (addTunnel === undefined && remTunnel === undefined) {
    // A TUN or IP tunnel device (flannel0, tunl0) is captured as bare IP: no link header at all.
    const bare = (a: Anatomy): boolean => isIp(a.layers[0]);
    const what = [...added, ...removed].every((l) => LINK.has(l.kind) || l.kind === 'vlan') ? 'link header' : 'headers';
    if (added.length > 0 && removed.length > 0) parts.push(`${what}: ${layerList(removed)} → ${layerList(added)}`);
    else if (added.length > 0) parts.push(`${what} added: ${layerList(added)}${bare(from) ? ' (the earlier station captures bare IP: a TUN or IP tunnel device)' : ''}`);
    else if (removed.length > 0) parts.push(`${what} removed: ${layerList(removed)}${bare(to) ? ' (the later station captures bare IP: a TUN or IP tunnel device)' : ''}`);
  }

  // NAT and routing on the innermost IP packet.
  const kf = innermostIp(from);
  const kt = innermostIp(to);
  const ipDiff = diffs.find((p) => p.from === kf && p.to === kt);
  const counted = new Set<FieldChange>();
  if (ipDiff !== undefined) {
    const tr = diffs.find((p) => p.from === kf + 1 && p.to === kt + 1);
    const trTo = to.layers[kt + 1];
    const trFrom = from.layers[kf + 1];
    const natOn = (side: 'src' | 'dst'): boolean =>
      ipDiff.changed.has(side) || (tr?.changed.has(side === 'src' ? 'srcPort' : 'dstPort') ?? false) || (side === 'src' && (tr?.changed.has('identifier') ?? false));
    if (natOn('dst')) {
      parts.push(`DNAT ${endpoint(from.layers[kf]!, trFrom, 'dst', 'from', tr, ipDiff)} → ${endpoint(to.layers[kt]!, trTo, 'dst', 'to', tr, ipDiff)}`);
    }
    if (natOn('src')) {
      let s = `SNAT ${endpoint(from.layers[kf]!, trFrom, 'src', 'from', tr, ipDiff)} → ${endpoint(to.layers[kt]!, trTo, 'src', 'to', tr, ipDiff)}`;
      const id = tr?.changed.get('identifier');
      if (id !== undefined) s += ` (ICMP identifier ${id.from.split(' ')[0]} → ${id.to.split(' ')[0]})`;
      parts.push(s);
    }
    for (const c of changed) {
      if (c.toLayer === kt || c.toLayer === kt + 1) {
        if (['src', 'dst', 'srcPort', 'dstPort', 'identifier', 'checksum'].includes(c.key)) counted.add(c);
      }
    }
  }
  const hops = changed.filter((c) => (c.key === 'ttl' || c.key === 'hopLimit') && c.from !== ABSENT && c.to !== ABSENT);
  const innerHop = hops.find((c) => c.toLayer === kt) ?? hops[0];
  if (innerHop !== undefined) parts.push(`routed: ${innerHop.key === 'ttl' ? 'TTL' : 'hop limit'} ${innerHop.from} → ${innerHop.to}`);
  for (const c of hops) counted.add(c);
  const ifindex = changed.find((c) => c.key === 'interfaceIndex' && c.from !== ABSENT && c.to !== ABSENT);
  if (ifindex !== undefined) parts.push(`seen on another interface (ifindex ${ifindex.from} → ${ifindex.to})`);
  for (const c of changed) if (c.layerTitle.startsWith('Linux cooked')) counted.add(c);
  const macs = changed.filter((c) => c.layerTitle === 'Ethernet II' && (c.key === 'src' || c.key === 'dst') && c.from !== ABSENT);
  if (macs.length > 0) parts.push('new MAC addresses');
  for (const c of macs) counted.add(c);
  for (const c of changed) {
    if (c.key === 'checksum' && c.from !== ABSENT && c.to !== ABSENT) counted.add(c);
    if (c.from === ABSENT || c.to === ABSENT) counted.add(c);
  }
  const rest = changed.filter((c) => !counted.has(c));
  if (rest.length > 0) parts.push(`${rest.length === 1 ? `${rest[0]!.name} changed` : `${rest.length} more fields changed`}`);
  if (parts.length === 0 && changed.length > 0) {
    if (changed.every((c) => c.why === OFFLOAD_WHY)) parts.push(`${list(changed.map((c) => `${c.layerTitle} checksum`))} completed by the NIC (checksum offload)`);
    else parts.push(`${list(changed.map((c) => `${c.layerTitle} ${c.name}`))} changed`);
  }
  if (parts.length === 0) return 'unchanged: the same headers at both stations';
  return parts.join('; ');
}
